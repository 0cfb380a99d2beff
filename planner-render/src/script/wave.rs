//! One block per wave: a title with the estimate, a line of what it does, its
//! steps in plan order, and a pause at its end to check that its backups and
//! moves have finished. The block runs only from the starting wave on.

use std::collections::BTreeMap;
use std::io::{self, Write};

use planner_core::plan::{Step, StepKind, Wave};

use super::moves::list_file;
use super::shell::{BODY, IN, WIDTH, comment, sh_quote};
use super::steps::{Context, queued, render_step};
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
    wait_for_operations(out, cx, wave)?;
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

/// At the end of a wave with operations Zextras queued: wait for each to
/// end, purge the proxies' routes of the accounts it switched, and journal
/// it done; the next wave (and the upgrades in it) relies on them.
fn wait_for_operations(out: &mut dyn Write, cx: &Context, wave: &Wave) -> io::Result<()> {
    let queued: Vec<&Step> = wave.steps.iter().filter(|s| queued(cx, s)).collect();
    if queued.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    comment(
        out,
        IN,
        "",
        &format!(
            "End of wave {}: Zextras returns once an operation is queued, so wait until \
             each has ended before the next wave.",
            wave.index
        ),
    )?;
    for step in queued {
        let host = match step.kind {
            StepKind::MoveData | StepKind::MoveSwitch => step.source.as_deref(),
            _ => step.server.as_deref(),
        }
        .unwrap_or("");
        // Only the steps this run started: one the journal had as done was
        // skipped.
        writeln!(out, "{IN}if started_here {}; then", sh_quote(&step.id))?;
        writeln!(
            out,
            "{BODY}wait_for {} {}",
            sh_quote(&step.id),
            sh_quote(host)
        )?;
        if step.kind == StepKind::MoveSwitch && cx.proxies {
            writeln!(
                out,
                "{BODY}proxy_purge {} \"$WORKDIR\"/{}",
                sh_quote(host),
                sh_quote(&list_file(wave, &step.id))
            )?;
        }
        writeln!(out, "{BODY}done_step {}", sh_quote(&step.id))?;
        writeln!(out, "{IN}fi")?;
    }
    Ok(())
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
    fn a_zextras_wave_waits_for_its_queued_operations() {
        let mut plan = testing::plan();
        plan.tools = planner_core::inventory::Tools::Zextras;
        let cx = Context::of(&plan);
        assert_eq!(
            written(|out| wait_for_operations(out, &cx, &plan.waves[1])),
            "
    # End of wave 2: Zextras returns once an operation is queued, so wait until each has ended
    # before the next wave.
    if started_here 'backup:mbx1.example.com'; then
        wait_for 'backup:mbx1.example.com' 'mbx1.example.com'
        done_step 'backup:mbx1.example.com'
    fi
    if started_here 'move-switch:mbx1.example.com>mbx2.example.com'; then
        wait_for 'move-switch:mbx1.example.com>mbx2.example.com' 'mbx1.example.com'
        done_step 'move-switch:mbx1.example.com>mbx2.example.com'
    fi
"
        );
        // Zimbra's tools run synchronously: nothing to wait for.
        let plan = testing::plan();
        let cx = Context::of(&plan);
        assert_eq!(
            written(|out| wait_for_operations(out, &cx, &plan.waves[1])),
            ""
        );
    }
}
