//! Figures for the document: percentages, shares of a disk, fill bars, wave
//! lists, capacities, and the fill of each store replayed over the waves.
//!
//! Sections that show the same figure (the fill table and the chart, the
//! pre-checks and the rollback notes) compute it here, once.

use std::collections::{BTreeMap, BTreeSet};

use planner_core::plan::{BackupMode, Plan, PlanCapacity, Step, StepKind};

use super::prose::escape;

/// Cells of a fill bar.
const BAR_CELLS: u64 = 10;

/// Every step with its wave, in plan order.
pub(super) fn steps(plan: &Plan) -> impl Iterator<Item = (u32, &Step)> {
    plan.waves
        .iter()
        .flat_map(|w| w.steps.iter().map(move |s| (w.index, s)))
}

pub(super) fn backup_mode(mode: Option<BackupMode>) -> &'static str {
    match mode {
        Some(BackupMode::Full) => "full",
        Some(BackupMode::Incremental) => "incremental",
        None => "unspecified",
    }
}

/// The name a serde enum is written with (`spread-then-forward`, `auto`).
pub(super) fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => escape(&s),
        _ => "?".to_string(),
    }
}

/// `90%`, `12.5%`.
pub(super) fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{}%", number(p))
    }
}

/// A figure with up to two decimals and no trailing zeros.
pub(super) fn number(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    // A tiny negative value rounds to "-0.00": zero has no sign.
    if s.is_empty() || s == "-" || s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The least capacity at which `value` stays within `max_fill`, rounded up.
pub(super) fn needed(value: u64, max_fill: f64) -> u64 {
    if max_fill <= 0.0 {
        return value;
    }
    (value as f64 / max_fill).ceil() as u64
}

/// `waves 1–3, 5` or `wave 4`.
pub(super) fn wave_list(waves: &[u32]) -> String {
    let set: BTreeSet<u32> = waves.iter().copied().collect();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for w in set {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == w => *end = w,
            _ => ranges.push((w, w)),
        }
    }
    let text: Vec<String> = ranges
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    let many = ranges.len() > 1 || ranges.first().is_some_and(|(a, b)| a != b);
    format!(
        "{} {}",
        if many { "waves" } else { "wave" },
        text.join(", ")
    )
}

/// `███████░░░`: `value` against `scale`, rounded to the nearest cell, with at
/// least one cell for anything above zero.
pub(super) fn bar(value: u64, scale: u64) -> String {
    let filled = if scale == 0 || value == 0 {
        0
    } else {
        let cells = (u128::from(value) * u128::from(BAR_CELLS) * 2 + u128::from(scale))
            / (u128::from(scale) * 2);
        (cells as u64).clamp(1, BAR_CELLS)
    };
    let mut s = "█".repeat(filled as usize);
    s.push_str(&"░".repeat((BAR_CELLS - filled) as usize));
    s
}

/// `████████░│░`: `value` as a share of the store's disk, rounded to the
/// nearest cell, with `│` after the cell its ceiling (`max_bytes`) falls on.
/// Rounding never puts a store on the wrong side of the mark: a store within
/// its ceiling stops at the mark, one above it crosses it, and anything above
/// zero shows at least one cell.
pub(super) fn disk_bar(value: u64, cap: &PlanCapacity) -> String {
    let cells_of = |v: u64| -> u64 {
        if cap.disk == 0 {
            return 0;
        }
        let cells = (u128::from(v) * u128::from(BAR_CELLS) * 2 + u128::from(cap.disk))
            / (u128::from(cap.disk) * 2);
        (cells.min(u128::from(BAR_CELLS))) as u64
    };
    let mark = cells_of(cap.max_bytes);
    let mut filled = cells_of(value);
    if value > 0 {
        filled = filled.max(1);
    }
    if value <= cap.max_bytes {
        filled = filled.min(mark.max(u64::from(value > 0)));
    } else {
        filled = filled.max(mark + 1).min(BAR_CELLS);
    }
    let mut s = String::new();
    for i in 0..BAR_CELLS {
        if i == mark {
            s.push('│');
        }
        s.push(if i < filled { '█' } else { '░' });
    }
    if mark == BAR_CELLS {
        s.push('│');
    }
    s
}

/// `part` as a percentage of `whole`, to one decimal: `74.1%`, `90%`.
pub(super) fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".to_string();
    }
    let p = format!("{:.1}", part as f64 * 100.0 / whole as f64);
    format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
}

/// Each mailstore's capacity, by name, when the plan gives one with a disk
/// for every store of `placement`; `None` for plans without them.
pub(super) fn capacities(plan: &Plan) -> Option<BTreeMap<&str, PlanCapacity>> {
    let p = &plan.placement;
    let stores: BTreeSet<&str> = p
        .before
        .keys()
        .chain(p.peak.keys())
        .chain(p.after.keys())
        .map(String::as_str)
        .collect();
    if stores.is_empty() {
        return None;
    }
    stores
        .into_iter()
        .map(|store| {
            plan.servers
                .get(store)
                .and_then(|s| s.capacity)
                .filter(|c| c.disk > 0)
                .map(|c| (store, c))
        })
        .collect()
}

/// The unit of the fill chart: the largest binary unit in which the largest
/// value is at least one.
pub(super) fn chart_unit(max: u64) -> (&'static str, f64) {
    const GIB: f64 = 1_073_741_824.0;
    if max as f64 >= 1024.0 * GIB {
        ("TiB", 1024.0 * GIB)
    } else if max as f64 >= GIB {
        ("GiB", GIB)
    } else {
        ("MiB", 1_048_576.0)
    }
}

/// A round axis top a little above `x`: 118.6 gives 130, 7.3 gives 8.
pub(super) fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(x.log10().floor() - 1.0).max(0.01);
    ((x * 1.05) / step).ceil() * step
}

/// Disk in use per store over the waves, replayed from `placement.before`
/// and the steps: a copy adds to its target; a switch adds what was not
/// copied yet; the source keeps the old copy until a purge step on it frees
/// the purge's bytes once the wave is over. Each point is the most a store
/// holds during that wave; the first is the start, the last the end.
pub(super) fn replay(plan: &Plan) -> BTreeMap<&str, Vec<u64>> {
    let mut now: BTreeMap<&str, u64> = plan
        .placement
        .before
        .iter()
        .map(|(s, l)| (s.as_str(), l.bytes))
        .collect();
    let mut series: BTreeMap<&str, Vec<u64>> = now.iter().map(|(s, b)| (*s, vec![*b])).collect();
    let mut pending: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for wave in &plan.waves {
        let mut releases: Vec<(&str, u64)> = Vec::new();
        for step in &wave.steps {
            if step.kind == StepKind::Purge {
                if let Some(store) = step.server.as_deref() {
                    releases.push((store, step.bytes.unwrap_or(0)));
                }
                continue;
            }
            if !step.kind.is_move() {
                continue;
            }
            let (Some(src), Some(tgt)) = (step.source.as_deref(), step.target.as_deref()) else {
                continue;
            };
            let bytes = step.bytes.unwrap_or(0);
            let copied = pending.entry((src, tgt)).or_insert(0);
            let added = if step.kind == StepKind::MoveData {
                *copied = copied.saturating_add(bytes);
                bytes
            } else {
                let covered = (*copied).min(bytes);
                *copied -= covered;
                bytes - covered
            };
            if let Some(b) = now.get_mut(tgt) {
                *b = b.saturating_add(added);
            }
        }
        for (store, b) in &now {
            if let Some(v) = series.get_mut(store) {
                v.push(*b);
            }
        }
        for (store, bytes) in releases {
            if let Some(b) = now.get_mut(store) {
                *b = b.saturating_sub(bytes);
            }
        }
    }
    for (store, b) in &now {
        if let Some(v) = series.get_mut(store) {
            v.push(*b);
        }
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn numbers_percentages_and_shares() {
        for (x, text) in [(0.9, "90%"), (0.125, "12.5%"), (0.0, "0%")] {
            assert_eq!(percent(x), text);
        }
        for (x, text) in [(7.0, "7"), (7.25, "7.25"), (7.333, "7.33"), (-0.001, "0")] {
            assert_eq!(number(x), text);
        }
        assert_eq!(share(741, 1000), "74.1%");
        assert_eq!(share(9, 10), "90%");
        assert_eq!(share(1, 0), "—");
        assert_eq!(needed(90, 0.9), 100);
        assert_eq!(needed(91, 0.9), 102);
        assert_eq!(nice_ceiling(118.6), 130.0);
        assert_eq!(nice_ceiling(7.3), 7.7);
        assert_eq!(chart_unit(2 << 30), ("GiB", 1_073_741_824.0));
    }

    #[test]
    fn wave_lists() {
        assert_eq!(wave_list(&[4]), "wave 4");
        assert_eq!(wave_list(&[3, 1, 2, 5]), "waves 1–3, 5");
        assert_eq!(wave_list(&[2, 4]), "waves 2, 4");
    }

    #[test]
    fn bars_never_put_a_store_on_the_wrong_side_of_its_ceiling() {
        assert_eq!(bar(0, 10), "░░░░░░░░░░");
        assert_eq!(bar(1, 1000), "█░░░░░░░░░");
        assert_eq!(bar(10, 10), "██████████");
        let cap = PlanCapacity {
            disk: 100,
            mailboxes: None,
            max_bytes: 90,
            max_mailboxes: None,
        };
        assert_eq!(disk_bar(0, &cap), "░░░░░░░░░│░");
        assert_eq!(
            disk_bar(89, &cap),
            "█████████│░",
            "within: stops at the mark"
        );
        assert_eq!(disk_bar(91, &cap), "█████████│█", "above: crosses it");
    }

    #[test]
    fn the_fill_replayed_over_the_waves() {
        let plan = testing::plan();
        let gib = 1 << 30;
        // The switch in wave 2 moves alice; mbx1 keeps her old copy, since
        // this plan has no purge.
        assert_eq!(
            replay(&plan),
            BTreeMap::from([
                ("mbx1.example.com", vec![gib, gib, gib, gib, gib]),
                ("mbx2.example.com", vec![0, 0, gib, gib, gib]),
            ])
        );
        // A purge in a fourth wave frees it once that wave is over.
        let mut purged = plan.clone();
        let mut purge = testing::step(&mut purged, "upgrade:mbx1.example.com").clone();
        purge.id = "purge:mbx1.example.com".to_string();
        purge.kind = StepKind::Purge;
        purge.actions = None;
        purge.checks = None;
        purge.accounts = Some(vec!["alice@example.com".to_string()]);
        purge.bytes = Some(gib);
        purged.waves.push(planner_core::plan::Wave {
            index: 4,
            steps: vec![purge],
            estimated_duration_s: None,
            start: None,
            end: None,
        });
        assert_eq!(
            replay(&purged)["mbx1.example.com"],
            vec![gib, gib, gib, gib, gib, 0]
        );
        assert_eq!(capacities(&plan).map(|c| c.len()), Some(2));
        let mut old = plan.clone();
        old.servers.clear();
        assert_eq!(capacities(&old), None);
        assert_eq!(name_of(&plan.policy.move_by), "account");
        assert_eq!(backup_mode(None), "unspecified");
    }
}
