//! Section 6, the users to warn: the accounts each wave switches, how long
//! each is unavailable, and the stores upgraded with their users on them.

use std::io::{self, Write};

use planner_core::inventory::{Bytes, Tools};
use planner_core::plan::{Plan, Step, StepKind, Wave};

use super::figures::steps;
use super::prose::{bullet, code, escape, paragraph};
use super::table::Table;
use super::waves::where_;
use crate::units::{count, duration_words as duration};

/// Writes section 6.
pub(super) fn users(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "## 6. Users to warn\n");
    let switch_waves: Vec<&Wave> = plan
        .waves
        .iter()
        .filter(|w| w.steps.iter().any(|s| s.kind == StepKind::MoveSwitch))
        .collect();
    let in_place: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, s)| {
            s.kind == StepKind::Upgrade
                && s.outage == Some(true)
                && s.server
                    .as_deref()
                    .is_some_and(|n| plan.placement.before.contains_key(n))
        })
        .collect();
    if switch_waves.is_empty() && in_place.is_empty() {
        paragraph(
            out,
            "Nobody: no account switches store and no mailstore is upgraded with its users on \
             it.",
        )?;
        return Ok(());
    }
    if !switch_waves.is_empty() {
        switches(out, plan, &switch_waves)?;
    }
    if !in_place.is_empty() {
        upgraded_in_place(out, plan, &in_place)?;
    }
    Ok(())
}

/// The accounts each wave switches, and whom to warn.
fn switches(out: &mut dyn Write, plan: &Plan, switch_waves: &[&Wave]) -> io::Result<()> {
    paragraph(
        out,
        "A moved account is unavailable only while it switches to its new store (the \
         account stage of the move); copies before that do not disturb its user. Warn \
         these users before the wave starts.",
    )?;
    let mut t = Table::new(&[
        "Wave",
        "Accounts",
        "Moving",
        "Each unavailable for",
        "Switches take",
    ]);
    for wave in switch_waves {
        t.row(switch_row(plan, wave));
    }
    t.write(out)?;
    let total: usize = switch_waves
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| s.kind == StepKind::MoveSwitch)
        .map(|s| s.accounts.as_ref().map_or(0, Vec::len))
        .sum();
    if total <= NAMES_MAX {
        names(out, switch_waves)?;
    } else {
        paragraph(
            out,
            &format!(
                "{total} accounts switch in all, too many to list here. The users of a wave, \
                 one address a line, for a mailing to them: {}",
                code(
                    "jq -r '.waves[] | select(.index == WAVE) | .steps[] | select(.kind == \
                     \"move-switch\") | .accounts[]' plan.json > users-wave-WAVE.txt",
                    false
                )
            ),
        )?;
    }
    paragraph(
        out,
        &format!(
            "The full list of each switch is in the plan JSON (the `accounts` of its \
             `move-switch` step) and in the account file the script (`--format script`) \
             writes on the source store before the move.{}",
            match (&plan.policy.notify, plan.tools) {
                (Some(a), Tools::Zextras | Tools::Carbonio) => {
                    format!(" PowerStore reports each move to {}.", code(a, false))
                }
                _ => String::new(),
            }
        ),
    )?;
    Ok(())
}

/// Installations that switch at most this many accounts get their names
/// listed, wave by wave; larger ones a command that writes them to a file.
const NAMES_MAX: usize = 200;

/// The accounts each wave switches, by name.
fn names(out: &mut dyn Write, switch_waves: &[&Wave]) -> io::Result<()> {
    for wave in switch_waves {
        let mut accounts: Vec<&str> = wave
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::MoveSwitch)
            .flat_map(|s| s.accounts.iter().flatten())
            .map(String::as_str)
            .collect();
        accounts.sort_unstable();
        let listed: Vec<String> = accounts.iter().map(|a| code(a, false)).collect();
        bullet(out, &format!("Wave {}: {}.", wave.index, listed.join(", ")))?;
    }
    put!(out);
    Ok(())
}

/// One switch wave's row: its accounts, who moves where, how long each is
/// unavailable, and how long the switches take.
fn switch_row(plan: &Plan, wave: &Wave) -> Vec<String> {
    let with_estimates = plan.policy.rates.is_some();
    let switches: Vec<&Step> = wave
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::MoveSwitch)
        .collect();
    let accounts: usize = switches
        .iter()
        .map(|s| s.accounts.as_ref().map_or(0, Vec::len))
        .sum();
    let bytes: u64 = switches
        .iter()
        .filter_map(|s| s.bytes)
        .fold(0, u64::saturating_add);
    let moving: Vec<String> = switches
        .iter()
        .map(|s| {
            let n = s.accounts.as_ref().map_or(0, Vec::len);
            let d = s.domains.as_ref().map_or(0, Vec::len);
            format!(
                "{}: {}{}",
                where_(s),
                n,
                if d > 0 {
                    format!(" ({})", count(d as u64, "domain", "domains"))
                } else {
                    String::new()
                }
            )
        })
        .collect();
    let each = switches
        .iter()
        .filter_map(|s| s.unavailable_per_account_s)
        .max();
    let window = switches.iter().filter_map(|s| s.estimated_duration_s).max();
    vec![
        wave.index.to_string(),
        format!("{accounts} ({})", Bytes(bytes)),
        moving.join("; "),
        each.map_or_else(
            || {
                if with_estimates {
                    "unknown".to_string()
                } else {
                    "no estimate".to_string()
                }
            },
            |u| format!("about {}", duration(u)),
        ),
        window.map_or_else(
            || "no estimate".to_string(),
            |w| format!("about {}", duration(w)),
        ),
    ]
}

/// The stores upgraded with their users on them.
fn upgraded_in_place(
    out: &mut dyn Write,
    plan: &Plan,
    in_place: &[(u32, &Step)],
) -> io::Result<()> {
    paragraph(
        out,
        "Mailstores upgraded in place: every user on them is unavailable for the whole \
         upgrade.",
    )?;
    let mut t = Table::new(&["Wave", "Store", "Mailboxes", "Unavailable for"]);
    for (wave, s) in in_place {
        let store = s.server.as_deref().unwrap_or("?");
        let mailboxes = plan.placement.before.get(store).map_or(0, |l| l.mailboxes);
        t.row(vec![
            wave.to_string(),
            escape(store),
            mailboxes.to_string(),
            s.estimated_duration_s.map_or_else(
                || "the upgrade (no estimate)".to_string(),
                |d| format!("about {}", duration(d)),
            ),
        ]);
    }
    t.write(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn the_accounts_each_wave_switches() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| users(o, &plan)),
            r##"## 6. Users to warn

A moved account is unavailable only while it switches to its new store (the account stage of the
move); copies before that do not disturb its user. Warn these users before the wave starts.

| Wave | Accounts | Moving | Each unavailable for | Switches take |
| --- | --- | --- | --- | --- |
| 2 | 1 (1 GiB) | mbx1.example.com → mbx2.example.com: 1 | no estimate | no estimate |

- Wave 2: `alice@example.com`.

The full list of each switch is in the plan JSON (the `accounts` of its `move-switch` step) and in
the account file the script (`--format script`) writes on the source store before the move.

"##
        );
    }
}
