//! For a large installation, section 4 summarises instead of listing: one
//! row per store (what it holds, when it is emptied, upgraded, filled and
//! purged) and one row per wave, in place of a table per wave. The accounts
//! stay in the plan JSON and the script.

use std::collections::BTreeMap;
use std::io::{self, Write};

use planner_core::plan::{Plan, Step, StepKind, Wave};

use super::prose::escape;
use super::table::Table;
use crate::units::duration_words as duration;

/// Plans with more steps than this, or more stores than [`LARGE_STORES`],
/// are summarised.
const LARGE_STEPS: usize = 120;
const LARGE_STORES: usize = 12;

/// Whether the plan is large enough to be summarised.
pub(super) fn is_large(plan: &Plan) -> bool {
    let steps: usize = plan.waves.iter().map(|w| w.steps.len()).sum();
    steps > LARGE_STEPS || plan.placement.before.len() > LARGE_STORES
}

/// What happens to one store, wave by wave.
#[derive(Default)]
struct StoreRow {
    out: BTreeMap<u32, u64>,
    into: BTreeMap<u32, u64>,
    upgrade: Option<u32>,
    backups: Vec<u32>,
    purges: Vec<u32>,
}

/// One row per store.
pub(super) fn per_store(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "### Per store\n");
    let mut rows: BTreeMap<&str, StoreRow> = plan
        .placement
        .before
        .keys()
        .map(|s| (s.as_str(), StoreRow::default()))
        .collect();
    for wave in &plan.waves {
        for step in &wave.steps {
            let count = step.accounts.as_ref().map_or(0, Vec::len) as u64;
            match step.kind {
                StepKind::MoveSwitch => {
                    if let Some(r) = row(&mut rows, step.source.as_ref()) {
                        *r.out.entry(wave.index).or_default() += count;
                    }
                    if let Some(r) = row(&mut rows, step.target.as_ref()) {
                        *r.into.entry(wave.index).or_default() += count;
                    }
                }
                StepKind::Upgrade => {
                    if let Some(r) = row(&mut rows, step.server.as_ref()) {
                        r.upgrade = Some(wave.index);
                    }
                }
                StepKind::Backup => {
                    if let Some(r) = row(&mut rows, step.server.as_ref()) {
                        r.backups.push(wave.index);
                    }
                }
                StepKind::Purge => {
                    if let Some(r) = row(&mut rows, step.server.as_ref()) {
                        r.purges.push(wave.index);
                    }
                }
                _ => {}
            }
        }
    }
    let mut t = Table::new(&[
        "Store",
        "Mailboxes before",
        "Backups",
        "Switched off (wave: accounts)",
        "Upgrade",
        "Switched onto (wave: accounts)",
        "Purges",
        "Mailboxes after",
    ]);
    t.align(&[false, true, false, false, true, false, false, true]);
    for (store, r) in &rows {
        let load = |m: &BTreeMap<String, planner_core::plan::StoreLoad>| {
            m.get(*store).map_or(0, |l| l.mailboxes).to_string()
        };
        t.row(vec![
            escape(store),
            load(&plan.placement.before),
            waves(&r.backups),
            counts(&r.out),
            r.upgrade.map_or_else(|| "—".to_string(), |w| w.to_string()),
            counts(&r.into),
            waves(&r.purges),
            load(&plan.placement.after),
        ]);
    }
    t.write(out)
}

/// The row of a store the step names, if it is a mailstore.
fn row<'r>(
    rows: &'r mut BTreeMap<&str, StoreRow>,
    name: Option<&String>,
) -> Option<&'r mut StoreRow> {
    name.and_then(|n| rows.get_mut(n.as_str()))
}

fn waves(list: &[u32]) -> String {
    if list.is_empty() {
        return "—".to_string();
    }
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn counts(by_wave: &BTreeMap<u32, u64>) -> String {
    if by_wave.is_empty() {
        return "—".to_string();
    }
    by_wave
        .iter()
        .map(|(w, n)| format!("{w}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// With a schedule, one row per window the plan uses (a night): its waves,
/// the servers upgraded, the accounts switched (each briefly unavailable)
/// and the other steps; then the waves that run between windows, if any.
pub(super) fn per_night(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let nights = crate::calendar::waves_by_window(plan);
    if nights.is_empty() {
        return Ok(());
    }
    put!(
        out,
        "### Per night
"
    );
    let mut t = Table::new(&[
        "Window",
        "Waves",
        "Upgrades",
        "Accounts switched",
        "Other steps",
    ]);
    t.align(&[false, false, false, true, true]);
    let mut placed: Vec<u32> = Vec::new();
    for (start, end, waves) in &nights {
        placed.extend(waves);
        t.row(night_row(plan, &format!("{start} to {end}"), waves));
    }
    let between: Vec<u32> = (1..=plan.waves.len() as u32)
        .filter(|w| !placed.contains(w))
        .collect();
    if !between.is_empty() {
        t.row(night_row(
            plan,
            "between windows (background work)",
            &between,
        ));
    }
    t.write(out)
}

/// A row of [`per_night`]: the waves `waves` (1-based) under `label`.
fn night_row(plan: &Plan, label: &str, waves: &[u32]) -> Vec<String> {
    let steps = || {
        waves
            .iter()
            .filter_map(|w| (*w as usize).checked_sub(1).and_then(|i| plan.waves.get(i)))
            .flat_map(|w| &w.steps)
    };
    let upgrades: Vec<String> = steps()
        .filter(|s| s.kind == StepKind::Upgrade)
        .filter_map(|s| s.server.as_deref())
        .map(escape)
        .collect();
    let switched: usize = steps()
        .filter(|s| s.kind == StepKind::MoveSwitch)
        .map(|s| s.accounts.as_ref().map_or(0, Vec::len))
        .sum();
    let other = steps()
        .filter(|s| !matches!(s.kind, StepKind::Upgrade | StepKind::MoveSwitch))
        .count();
    let shown = if upgrades.len() > 5 {
        format!(
            "{} and {} more",
            upgrades[..5].join(", "),
            upgrades.len() - 5
        )
    } else if upgrades.is_empty() {
        "—".to_string()
    } else {
        upgrades.join(", ")
    };
    vec![
        escape(label),
        crate::calendar::ranges(waves),
        shown,
        switched.to_string(),
        other.to_string(),
    ]
}

/// One row per wave: its estimate and what its steps do, by kind.
pub(super) fn per_wave(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "### Per wave\n");
    let mut t = Table::new(&["Wave", "Estimate", "Steps"]);
    t.align(&[true, false, false]);
    for wave in &plan.waves {
        t.row(vec![
            wave.index.to_string(),
            wave.estimated_duration_s
                .map_or_else(|| "—".to_string(), duration),
            contents(wave),
        ]);
    }
    t.write(out)
}

/// A wave's steps, kind by kind: `upgrade mbx1; move-switch mbx2 → mbx3 (40)`.
fn contents(wave: &Wave) -> String {
    let mut kinds: BTreeMap<StepKind, Vec<String>> = BTreeMap::new();
    for step in &wave.steps {
        kinds.entry(step.kind).or_default().push(subject(step));
    }
    kinds
        .into_iter()
        .map(|(kind, subjects)| format!("`{}` {}", kind.as_str(), subjects.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn subject(step: &Step) -> String {
    let count = step.accounts.as_ref().map_or(0, Vec::len);
    match (&step.server, &step.source, &step.target) {
        (Some(server), _, _) if step.kind == StepKind::Purge => {
            format!("{} ({count})", escape(server))
        }
        (Some(server), _, _) => escape(server),
        (None, Some(source), Some(target)) => {
            format!("{} → {} ({count})", escape(source), escape(target))
        }
        _ => escape(&step.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn each_night_in_a_row_and_background_work_apart() {
        let mut plan = testing::plan();
        assert_eq!(
            section(|o| per_night(o, &plan)),
            "",
            "no schedule, no nights"
        );
        let times = [
            ("2026-12-05T22:00:00+01:00", "2026-12-05T23:00:00+01:00"),
            ("2026-12-06T10:00:00+01:00", "2026-12-06T11:00:00+01:00"),
            ("2026-12-12T22:00:00+01:00", "2026-12-12T23:00:00+01:00"),
        ];
        for (wave, (start, end)) in plan.waves.iter_mut().zip(times) {
            wave.start = Some(start.to_string());
            wave.end = Some(end.to_string());
        }
        plan.summary.windows = [
            ("2026-12-05T22:00:00+01:00", "2026-12-06T06:00:00+01:00"),
            ("2026-12-12T22:00:00+01:00", "2026-12-13T06:00:00+01:00"),
        ]
        .iter()
        .map(|(start, end)| planner_core::plan::PlanWindow {
            start: start.to_string(),
            end: end.to_string(),
        })
        .collect();
        assert_eq!(
            section(|o| per_night(o, &plan)),
            "### Per night

| Window | Waves | Upgrades | Accounts switched | Other steps |
| --- | --- | --- | ---: | ---: |
| 2026-12-05T22:00:00+01:00 to 2026-12-06T06:00:00+01:00 | wave 1 | ldap2.example.com | 0 | 0 |
| 2026-12-12T22:00:00+01:00 to 2026-12-13T06:00:00+01:00 | wave 3 | mbx1.example.com | 0 | 0 |
| between windows (background work) | wave 2 | — | 1 | 1 |

"
        );
    }

    #[test]
    fn each_store_and_each_wave_in_a_row() {
        let plan = testing::plan();
        assert!(!is_large(&plan));
        assert_eq!(
            section(|o| per_store(o, &plan)),
            "### Per store

| Store | Mailboxes before | Backups | Switched off (wave: accounts) | Upgrade | Switched onto (wave: accounts) | Purges | Mailboxes after |
| --- | ---: | --- | --- | ---: | --- | --- | ---: |
| mbx1.example.com | 1 | 2 | 2: 1 | 3 | — | — | 0 |
| mbx2.example.com | 0 | — | — | — | 2: 1 | — | 1 |

"
        );
        assert_eq!(
            section(|o| per_wave(o, &plan)),
            "### Per wave

| Wave | Estimate | Steps |
| ---: | --- | --- |
| 1 | — | `upgrade` ldap2.example.com |
| 2 | — | `backup` mbx1.example.com; `move-switch` mbx1.example.com → mbx2.example.com (1) |
| 3 | — | `upgrade` mbx1.example.com |

"
        );
    }
}
