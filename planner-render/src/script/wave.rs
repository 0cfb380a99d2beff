//! One block per wave: a title with the estimate, a line of what it does, its
//! steps in plan order, and a pause at its end to check that its backups and
//! moves have finished. The block runs only from the starting wave on.

use std::collections::BTreeMap;
use std::io::{self, Write};

use planner_core::plan::{Plan, StepKind, Wave};

use super::shell::{IN, WIDTH, comment, manual, sh_quote};
use super::steps::{Context, render_step};
use crate::flavour::Flavour;
use crate::units::duration;

/// Writes one wave's block: a title, what it does, its steps, and the pause
/// at its end; the whole block is skipped before the starting wave.
pub(super) fn render_wave(out: &mut dyn Write, cx: &Context, wave: &Wave) -> io::Result<()> {
    let plan = cx.plan;
    let estimate = wave
        .estimated_duration_s
        .filter(|d| *d > 0)
        .map_or(String::new(), |d| format!("about {}", duration(d)));
    let rule = "#".repeat(WIDTH);
    writeln!(out)?;
    writeln!(out, "{rule}")?;
    writeln!(
        out,
        "# Wave {} of {}{}",
        wave.index,
        plan.waves.len(),
        if estimate.is_empty() {
            String::new()
        } else {
            format!(" ({estimate})")
        }
    )?;
    comment(out, "", "", &wave_contents(wave))?;
    writeln!(out, "{rule}")?;
    writeln!(out, "if wave {} {}; then", wave.index, sh_quote(&estimate))?;
    for step in &wave.steps {
        writeln!(out)?;
        render_step(out, cx, wave, step)?;
    }
    checkpoint(out, plan, cx.flavour, wave)?;
    writeln!(out, "fi")
}

/// What a wave does, in a line or two under its title: each kind of step with
/// its servers (`move-data mbx4 -> mbx1, mbx4 -> mbx2; upgrade ldap2`).
fn wave_contents(wave: &Wave) -> String {
    let mut kinds: BTreeMap<StepKind, Vec<String>> = BTreeMap::new();
    for step in &wave.steps {
        let subject = match (&step.server, &step.source, &step.target) {
            (Some(server), _, _) => server.clone(),
            (None, Some(source), Some(target)) => format!("{source} -> {target}"),
            _ => step.id.clone(),
        };
        kinds.entry(step.kind).or_default().push(subject);
    }
    kinds
        .into_iter()
        .map(|(kind, subjects)| format!("{} {}", kind.as_str(), subjects.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// At the end of a wave that started backups or moves: a pause to check that
/// they have finished, because the next waves (and the upgrades) rely on them.
fn checkpoint(out: &mut dyn Write, plan: &Plan, flavour: &Flavour, wave: &Wave) -> io::Result<()> {
    let mut servers: Vec<&str> = Vec::new();
    let mut backups = false;
    let mut moves = false;
    for step in &wave.steps {
        let server = match step.kind {
            StepKind::Backup => {
                backups = true;
                step.server.as_deref()
            }
            StepKind::MoveData | StepKind::MoveSwitch
                if flavour.staged_moves || step.kind == StepKind::MoveSwitch =>
            {
                moves = true;
                step.source.as_deref()
            }
            _ => None,
        };
        if let Some(server) = server
            && !servers.contains(&server)
        {
            servers.push(server);
        }
    }
    if servers.is_empty() {
        return Ok(());
    }
    let what = match (backups, moves) {
        (true, true) => "backups and mailbox moves",
        (true, false) => "backups",
        _ => "mailbox moves",
    };
    let mut lines = vec![format!(
        "Check that the {what} of wave {} have finished without errors on: {}.",
        wave.index,
        servers.join(", ")
    )];
    if moves {
        lines.push(format!(
            "{} runs them as server operations; a move that stops early leaves its accounts \
             active on the source store.",
            flavour.tool
        ));
        if let Some(notify) = plan.policy.notify.as_deref() {
            lines.push(format!("Move reports are mailed to {notify}."));
        }
    } else {
        lines.push(format!("{} runs them as server operations.", flavour.tool));
    }
    writeln!(out)?;
    writeln!(
        out,
        "    # End of wave {}: the {what} must be finished before the next wave.",
        wave.index
    )?;
    manual(out, IN, &format!("end of wave {}", wave.index), &lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, written};

    #[test]
    fn a_wave_says_what_it_does() {
        assert_eq!(
            wave_contents(&testing::plan().waves[1]),
            "backup mbx1.example.com; move-switch mbx1.example.com -> mbx2.example.com"
        );
    }

    #[test]
    fn a_wave_with_moves_ends_with_a_pause_to_check_them() {
        let plan = testing::plan();
        assert_eq!(
            written(|out| checkpoint(out, &plan, Flavour::of(&plan), &plan.waves[1])),
            "
    # End of wave 2: the backups and mailbox moves must be finished before the next wave.
    manual 'end of wave 2' \\
        'Check that the backups and mailbox moves of wave 2 have finished without errors on: mbx1.example.com.' \\
        'zxsuite runs them as server operations; a move that stops early leaves its accounts active on the source store.'
"
        );
        assert_eq!(
            written(|out| checkpoint(out, &plan, Flavour::of(&plan), &plan.waves[0])),
            ""
        );
    }
}
