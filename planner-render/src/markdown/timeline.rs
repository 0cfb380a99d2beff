//! The timeline: the waves as a Mermaid gantt chart, one bar per wave as
//! long as its estimate, when the policy has rates to estimate with.

use std::collections::BTreeSet;
use std::io::{self, Write};

use planner_core::plan::{Plan, StepKind};

use super::prose::paragraph;
use crate::units::duration_words as duration;

pub(super) fn timeline(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "### Timeline\n");
    if plan.summary.estimated_duration_s.is_none() {
        paragraph(
            out,
            "No timeline: the policy has no rates, so the plan has no estimates. Add `rates` \
             to the inventory's policy to get one.",
        )?;
        return Ok(());
    }
    let total = plan.summary.estimated_duration_s.unwrap_or(0);
    if plan.waves.first().is_some_and(|w| w.start.is_some()) {
        return calendar(out, plan);
    }
    paragraph(
        out,
        &format!(
            "Waves run one after another, each as long as its longest estimated step; waves \
             with no estimated step (only backups, health checks and manual steps, which have \
             no estimate) are diamonds. The axis is the time since the start of wave 1 ({} in \
             all, plus the time of the steps without an estimate).",
            duration(total)
        ),
    )?;
    put!(out, "```mermaid");
    put!(out, "gantt");
    put!(out, "    title Estimated timeline");
    put!(out, "    dateFormat YYYY-MM-DD HH:mm:ss");
    // A nominal first day, so the axis reads as time since the start.
    put!(
        out,
        "    axisFormat {}",
        if total >= 86_400 {
            "day %e %H:%M"
        } else {
            "%H:%M"
        }
    );
    put!(out, "    section Waves");
    for (i, wave) in plan.waves.iter().enumerate() {
        let start = if i == 0 {
            "2000-01-01 00:00:00".to_string()
        } else {
            format!("after w{}", plan.waves[i - 1].index)
        };
        match wave.estimated_duration_s.unwrap_or(0) {
            0 => put!(
                out,
                "    Wave {}{} :milestone, w{}, {start}, 0s",
                wave.index,
                gantt_label(wave),
                wave.index
            ),
            d => put!(
                out,
                "    Wave {}{} :w{}, {start}, {d}s",
                wave.index,
                gantt_label(wave),
                wave.index
            ),
        }
    }
    put!(out, "```\n");
    Ok(())
}

/// With a schedule: the waves at their planned local times, and the
/// windows they use.
fn calendar(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    paragraph(
        out,
        "Waves at their planned times, in local time (the offsets are in the plan and in \
         the list of windows below); upgrades, switches and pool changes run only inside \
         the windows.",
    )?;
    put!(out, "```mermaid");
    put!(out, "gantt");
    put!(out, "    title Planned timeline");
    put!(out, "    dateFormat YYYY-MM-DD HH:mm:ss");
    put!(out, "    axisFormat %a %d %H:%M");
    put!(out, "    section Waves");
    for wave in &plan.waves {
        let local = wave
            .start
            .as_deref()
            .map(|s| s.get(..19).unwrap_or(s).replace('T', " "))
            .unwrap_or_default();
        let d = wave.estimated_duration_s.unwrap_or(0);
        if d == 0 {
            put!(
                out,
                "    Wave {}{} :milestone, w{}, {local}, 0s",
                wave.index,
                gantt_label(wave),
                wave.index
            );
        } else {
            put!(
                out,
                "    Wave {}{} :w{}, {local}, {d}s",
                wave.index,
                gantt_label(wave),
                wave.index
            );
        }
    }
    put!(out, "```\n");
    for (start, end, waves) in crate::calendar::waves_by_window(plan) {
        let what = if waves.is_empty() {
            "no wave starts in it".to_string()
        } else {
            crate::calendar::ranges(&waves)
        };
        super::prose::bullet(out, &format!("{start} to {end}: {what}."))?;
    }
    put!(out);
    Ok(())
}

/// What a wave mostly does, for its bar on the timeline: its upgrades, else
/// its switches, else its copies, by short server name (` · upgrade ldap1`).
fn gantt_label(wave: &planner_core::plan::Wave) -> String {
    // Short names, and nothing Mermaid's gantt syntax would read (`:`, `#`, `;`).
    let short = |name: &str| -> String {
        name.split('.')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    };
    let of = |kind: StepKind, by_source: bool| -> Vec<String> {
        let names: BTreeSet<String> = wave
            .steps
            .iter()
            .filter(|s| s.kind == kind)
            .filter_map(|s| {
                if by_source {
                    s.source.as_deref()
                } else {
                    s.server.as_deref()
                }
            })
            .map(short)
            .collect();
        names.into_iter().collect()
    };
    let upgrades = of(StepKind::Upgrade, false);
    let switches = of(StepKind::MoveSwitch, true);
    let copies = of(StepKind::MoveData, true);
    if !upgrades.is_empty() {
        format!(" · upgrade {}", upgrades.join(", "))
    } else if !switches.is_empty() {
        format!(" · switch from {}", switches.join(", "))
    } else if !copies.is_empty() {
        format!(" · copy from {}", copies.join(", "))
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn no_rates_no_timeline() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| timeline(o, &plan)),
            r##"### Timeline

No timeline: the policy has no rates, so the plan has no estimates. Add `rates` to the inventory's
policy to get one.

"##
        );
    }

    #[test]
    fn one_bar_per_wave_a_diamond_for_a_wave_without_estimate() {
        let mut plan = testing::plan();
        plan.summary.estimated_duration_s = Some(5400);
        plan.waves[1].estimated_duration_s = Some(1800);
        plan.waves[2].estimated_duration_s = Some(3600);
        assert_eq!(
            section(|o| timeline(o, &plan)),
            r##"### Timeline

Waves run one after another, each as long as its longest estimated step; waves with no estimated
step (only backups, health checks and manual steps, which have no estimate) are diamonds. The axis
is the time since the start of wave 1 (1 h 30 min in all, plus the time of the steps without an
estimate).

```mermaid
gantt
    title Estimated timeline
    dateFormat YYYY-MM-DD HH:mm:ss
    axisFormat %H:%M
    section Waves
    Wave 1 · upgrade ldap2 :milestone, w1, 2000-01-01 00:00:00, 0s
    Wave 2 · switch from mbx1 :w2, after w1, 1800s
    Wave 3 · upgrade mbx1 :w3, after w2, 3600s
```

"##
        );
    }
}
