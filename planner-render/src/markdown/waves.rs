//! Section 4, the waves: one table per wave, one row per step, numbered
//! wave.step, with where it runs and what it does.

use std::io::{self, Write};

use planner_core::plan::{Action, BackupWhen, Plan, Step, StepKind};

use super::figures::backup_mode;
use super::prose::{capitalized, code, escape, inline, paragraph, sentence};
use super::table::Table;
use crate::units::duration_words as duration;

/// Names shown per move before the rest are counted.
const NAMES_SHOWN: usize = 3;

/// What the estimates count, as the plan's rates allow.
pub(super) fn estimates_note(plan: &Plan) -> &'static str {
    match plan
        .policy
        .rates
        .as_ref()
        .map(|r| r.backup_bytes_per_s.is_some())
    {
        None => "The policy has no rates, so nothing is estimated.",
        Some(true) => {
            "Estimates come from the policy's rates: an upgrade counts its installer, its \
             health check and each manual action; a pool change is a manual action; purges \
             have none."
        }
        Some(false) => {
            "Estimates come from the policy's rates: an upgrade counts its installer, its \
             health check and each manual action; a pool change is a manual action; backups \
             (no backup rate) and purges have none."
        }
    }
}

pub(super) fn waves(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "## 4. Waves\n");
    let large = super::stores::is_large(plan);
    paragraph(
        out,
        &format!(
            "A wave starts when the previous one is finished; the steps of one wave may run \
             in any order or at the same time. An upgrade runs its actions in the order listed \
             and is finished only when its health checks pass, so every later wave waits for \
             the servers upgraded before it to be healthy. {} Manual steps have no command: \
             the operator does them and confirms. {}",
            if large {
                "Section 8 numbers every step wave.step and gives its id in the plan JSON and \
                 the script."
            } else {
                "Steps are numbered wave.step; section 8 gives each one's id in the plan JSON \
                 and the script."
            },
            estimates_note(plan)
        ),
    )?;
    if large {
        paragraph(
            out,
            "A large installation: the tables below summarise each store, each night of \
             the schedule (when it has one) and each wave; the plan JSON and the script \
             list every step and account.",
        )?;
        super::stores::per_store(out, plan)?;
        super::stores::per_night(out, plan)?;
        return super::stores::per_wave(out, plan);
    }
    let with_estimates = plan.policy.rates.is_some();
    for wave in &plan.waves {
        let estimate = match wave.estimated_duration_s {
            Some(0) => " (no estimate)".to_string(),
            Some(d) => format!(" (about {})", duration(d)),
            None => String::new(),
        };
        put!(out, "### Wave {}{estimate}\n", wave.index);
        let mut header = vec!["#", "Step", "Server / source → target", "Details"];
        if with_estimates {
            header.push("Estimate");
        }
        let mut t = Table::new(&header);
        for (i, step) in wave.steps.iter().enumerate() {
            let mut row = vec![
                format!("{}.{}", wave.index, i + 1),
                code(step.kind.as_str(), true),
                where_(step),
                details(step),
            ];
            if with_estimates {
                row.push(
                    step.estimated_duration_s
                        .map_or_else(|| "—".to_string(), duration),
                );
            }
            t.row(row);
        }
        t.write(out)?;
    }
    Ok(())
}

pub(super) fn where_(step: &Step) -> String {
    if step.kind.is_move() {
        format!(
            "{} → {}",
            escape(step.source.as_deref().unwrap_or("?")),
            escape(step.target.as_deref().unwrap_or("?"))
        )
    } else {
        escape(step.server.as_deref().unwrap_or("?"))
    }
}

fn details(step: &Step) -> String {
    let why = sentence(&inline(&step.why, true));
    match step.kind {
        StepKind::Backup => format!(
            "{} backup{}: {why}",
            capitalized(backup_mode(step.mode)),
            if step.when == Some(BackupWhen::AfterUpgrade) {
                " after the upgrade"
            } else {
                ""
            }
        ),
        StepKind::Purge => format!("{why} {}.", names(step)),
        StepKind::Upgrade => format!(
            "{} → {}{}; {}{why}",
            escape(step.from_version.as_deref().unwrap_or("?")),
            escape(step.to_version.as_deref().unwrap_or("?")),
            if step.outage == Some(true) {
                ", **outage**"
            } else {
                ""
            },
            actions(step)
        ),
        StepKind::MoveData | StepKind::MoveSwitch => {
            let mut d = format!("{why} {}.", names(step));
            if let Some(u) = step.unavailable_per_account_s {
                d.push_str(&format!(
                    " Each account is unavailable for about {} at its switch.",
                    duration(u)
                ));
            }
            d
        }
        StepKind::PoolOut | StepKind::PoolIn => format!("Manual: {why}"),
    }
}

/// `actions: drain, install, health-check (`zmcontrol status`), undrain. `,
/// or nothing for a plan without them.
fn actions(step: &Step) -> String {
    let Some(actions) = step.actions.as_deref() else {
        return String::new();
    };
    let checks = step.checks.as_deref().unwrap_or(&[]);
    let listed: Vec<String> = actions
        .iter()
        .map(|a| match a {
            Action::HealthCheck if !checks.is_empty() => {
                let codes: Vec<String> = checks.iter().map(|c| format!("`{c}`")).collect();
                format!("health-check ({})", codes.join(", "))
            }
            a => a.as_str().to_string(),
        })
        .collect();
    format!("actions: {}. ", listed.join(", "))
}

/// `Accounts: a, b, c and 6 more` (or the domains, when moves are by domain).
fn names(step: &Step) -> String {
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    let domains = step.domains.as_deref().unwrap_or(&[]);
    let (label, list) = if domains.is_empty() {
        ("Accounts", accounts)
    } else {
        ("Domains", domains)
    };
    // As code: forges would turn addresses into mail links.
    let shown: Vec<String> = list
        .iter()
        .take(NAMES_SHOWN)
        .map(|n| code(n, true))
        .collect();
    let more = list.len().saturating_sub(NAMES_SHOWN);
    format!(
        "{label}: {}{}",
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn one_table_per_wave() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| waves(o, &plan)),
            r##"## 4. Waves

A wave starts when the previous one is finished; the steps of one wave may run in any order or at
the same time. An upgrade runs its actions in the order listed and is finished only when its health
checks pass, so every later wave waits for the servers upgraded before it to be healthy. Steps are
numbered wave.step; section 8 gives each one's id in the plan JSON and the script. Manual steps have
no command: the operator does them and confirms. The policy has no rates, so nothing is estimated.

### Wave 1

| # | Step | Server / source → target | Details |
| --- | --- | --- | --- |
| 1.1 | `upgrade` | ldap2.example.com | 9.0.0\_P40 → 10.1.5; actions: directory-dump, install, health-check (`zmcontrol status`, `zmreplchk`). ldap-replica tier. |

### Wave 2

| # | Step | Server / source → target | Details |
| --- | --- | --- | --- |
| 2.1 | `backup` | mbx1.example.com | Full backup: before its mailboxes move. |
| 2.2 | `move-switch` | mbx1.example.com → mbx2.example.com | empties `mbx1`. Accounts: `alice@example.com`. |

### Wave 3

| # | Step | Server / source → target | Details |
| --- | --- | --- | --- |
| 3.1 | `upgrade` | mbx1.example.com | 9.0.0\_P40 → 10.1.5; actions: install, health-check (`zmcontrol status`). mailstore tier, emptied. |

"##
        );
    }
}
