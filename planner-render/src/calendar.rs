//! The plan's calendar in words, for the renderers: which waves run in
//! which window, read from the waves' planned `start` and the summary's
//! `windows` (both RFC 3339, with the schedule's offsets).

use jiff::Timestamp;
use planner_core::plan::Plan;

/// The waves (1-based positions) that start inside each window of the
/// plan, in order; waves that start outside every window (background work)
/// are left out.
pub(crate) fn waves_by_window(plan: &Plan) -> Vec<(String, String, Vec<u32>)> {
    let parse = |t: &str| t.parse::<Timestamp>().ok();
    plan.summary
        .windows
        .iter()
        .map(|w| {
            let (start, end) = (parse(&w.start), parse(&w.end));
            let waves = plan
                .waves
                .iter()
                .enumerate()
                .filter(|(_, wave)| {
                    let at = wave.start.as_deref().and_then(parse);
                    matches!((at, start, end), (Some(t), Some(s), Some(e)) if s <= t && t < e)
                })
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX))
                .collect();
            (w.start.clone(), w.end.clone(), waves)
        })
        .collect()
}

/// A list of waves as ranges: `waves 1-2, 4`, `wave 7`.
pub(crate) fn ranges(waves: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < waves.len() {
        let mut j = i;
        while j + 1 < waves.len() && waves[j + 1] == waves[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            waves[i].to_string()
        } else {
            format!("{}-{}", waves[i], waves[j])
        });
        i = j + 1;
    }
    format!(
        "{} {}",
        if waves.len() == 1 { "wave" } else { "waves" },
        parts.join(", ")
    )
}

/// The text summary's lines about the calendar: the windows used, with
/// their waves, and the planned end; nothing without a schedule.
pub(crate) fn nights(plan: &Plan) -> Vec<String> {
    let windows = waves_by_window(plan);
    if windows.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!(
        "Windows: {} used (upgrades, switches and pool changes run only inside them)",
        windows.len()
    )];
    for (start, end, waves) in &windows {
        let what = if waves.is_empty() {
            "no wave starts in it".to_string()
        } else {
            ranges(waves)
        };
        lines.push(format!("  - {start} to {end}: {what}"));
    }
    if let Some(end) = plan.waves.last().and_then(|w| w.end.as_deref()) {
        lines.push(format!("Planned end: {end}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waves_read_as_ranges() {
        assert_eq!(ranges(&[1, 2, 4, 6, 7, 8]), "waves 1-2, 4, 6-8");
        assert_eq!(ranges(&[7]), "wave 7");
    }
}
