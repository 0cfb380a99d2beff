//! Section 8, the commands to be run: per kind of step, where it runs and
//! the command the script runs for it; then each step's id.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use planner_core::plan::{Plan, StepKind};

use super::figures::{backup_mode, steps};
use super::prose::{bullet, code, escape, paragraph, plain_or_code};
use super::roles::Roles;
use super::table::Table;
use crate::flavour::Flavour;
use crate::roles::REPLICATION_CHECK;
use crate::units::count;

/// Writes section 8.
pub(super) fn commands(out: &mut dyn Write, plan: &Plan, roles: &Roles) -> io::Result<()> {
    let flavour = Flavour::of(plan);
    put!(out, "## 8. Commands to be run\n");
    paragraph(
        out,
        &format!(
            "{} writes them as a POSIX shell script, with the same options as this plan: one \
             block per wave, each command run on its server as the {} user, manual steps as \
             pauses that wait for the operator's confirmation. It stops at the first failed \
             step and can restart from a given wave. The script is the reference; this table \
             summarises it.",
            code(
                &format!("planner plan INVENTORY --format script --now {}", plan.now),
                false
            ),
            flavour.user
        ),
    )?;
    let mut kinds: BTreeMap<StepKind, usize> = BTreeMap::new();
    for (_, s) in steps(plan) {
        *kinds.entry(s.kind).or_insert(0) += 1;
    }
    let mut t = Table::new(&["Step kind", "Steps", "Runs on", "Command"]);
    t.align(&[false, true, false, false]);
    for (kind, n) in kinds {
        let (on, command) = command(plan, roles, flavour, kind);
        t.row(vec![
            kind.as_str().to_string(),
            n.to_string(),
            on.to_string(),
            command,
        ]);
    }
    t.write(out)?;
    step_ids(out, plan)
}

/// Where the steps of a kind run, and what runs there.
fn command(
    plan: &Plan,
    roles: &Roles,
    flavour: &Flavour,
    kind: StepKind,
) -> (&'static str, String) {
    let manual = |what: &str| ("—", format!("manual: {what}"));
    match kind {
        StepKind::Backup => ("the mailstore", backup_commands(plan, flavour)),
        StepKind::PoolOut => {
            manual("take the store out of `zimbraMailHostPool` of its classes of service")
        }
        StepKind::PoolIn => manual("put the store back in `zimbraMailHostPool`"),
        StepKind::Purge => ("the store purged", code(flavour.purger, true)),
        StepKind::MoveData => ("the source store", move_command(plan, flavour, "data")),
        StepKind::MoveSwitch => (
            "the source store",
            move_command(plan, flavour, "data,account"),
        ),
        StepKind::Upgrade => (
            "the server",
            format!(
                "for an emptied mailstore, first a check that it is empty ({} prints \
                 nothing); then the actions the step lists, in order: drain (manual: out \
                 of its load balancer, an MTA also out of MX rotation), directory dump \
                 ({}), install (manual: {}), health check ({}), undrain (manual: back in \
                 rotation)",
                code("zmprov sa zimbraMailHost=HOST", true),
                code("/opt/zimbra/libexec/zmslapcat DIR", true),
                upgrade(plan, &escape(&plan.target_version)),
                health_commands(plan, roles)
            ),
        ),
    }
}

/// The account list, then the move command with its stages.
fn move_command(plan: &Plan, flavour: &Flavour, stages: &str) -> String {
    let notify = plan
        .policy
        .notify
        .as_deref()
        .map_or(String::new(), |a| format!(" notifications {a}"));
    let stages = if flavour.staged_moves {
        format!(" stages {stages}")
    } else {
        String::new()
    };
    format!(
        "the account list written to FILE, then {}",
        code(
            &format!("{} TARGET input_file FILE{stages}{notify}", flavour.mover),
            true,
        )
    )
}

/// The manual upgrade of one server.
fn upgrade(plan: &Plan, version: &str) -> String {
    if Flavour::is_carbonio(plan) {
        format!("upgrade the Carbonio packages to {version} as Carbonio's procedure says")
    } else {
        format!("run the {version} installer")
    }
}

/// Each step's id, wave by wave, numbered as in section 4.
fn step_ids(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "### Step ids\n");
    paragraph(
        out,
        "The plan JSON and the script name each step by its id; the numbers are those of \
         section 4.",
    )?;
    for wave in &plan.waves {
        let ids: Vec<String> = wave
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| format!("{}.{} {}", wave.index, i + 1, plain_or_code(&step.id)))
            .collect();
        bullet(out, &format!("Wave {}: {}.", wave.index, ids.join(", ")))?;
    }
    put!(out);
    Ok(())
}

/// The health checks the plan runs, from its steps' `checks`: those run on
/// every checked server, then the others with where they run. Plans without
/// `checks` get `zmcontrol status`, and `zmreplchk` on directory servers.
fn health_commands(plan: &Plan, roles: &Roles) -> String {
    let mut checked: BTreeSet<&str> = BTreeSet::new();
    // Each check with the servers it runs on, in the order first met.
    let mut runs: Vec<(&str, BTreeSet<&str>)> = Vec::new();
    for (_, s) in steps(plan).filter(|(_, s)| s.kind == StepKind::Upgrade) {
        let (Some(server), Some(checks)) = (s.server.as_deref(), s.checks.as_deref()) else {
            continue;
        };
        checked.insert(server);
        for check in checks {
            match runs.iter_mut().find(|(c, _)| c == check) {
                Some((_, on)) => {
                    on.insert(server);
                }
                None => runs.push((check, BTreeSet::from([server]))),
            }
        }
    }
    if runs.is_empty() {
        return if roles.directory.is_empty() {
            code("zmcontrol status", true)
        } else {
            format!(
                "{}, and {} on directory servers",
                code("zmcontrol status", true),
                code(REPLICATION_CHECK, true)
            )
        };
    }
    // Checks run everywhere first; the sort is stable.
    runs.sort_by_key(|(_, on)| *on != checked);
    let parts: Vec<String> = runs
        .iter()
        .map(|(check, on)| {
            let command = code(check, true);
            if *on == checked {
                command
            } else if on.iter().all(|n| roles.directory.contains(n))
                && checked
                    .iter()
                    .filter(|n| roles.directory.contains(*n))
                    .count()
                    == on.len()
            {
                format!("{command} on directory servers")
            } else {
                format!(
                    "{command} on {}",
                    count(on.len() as u64, "server", "servers")
                )
            }
        })
        .collect();
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
        _ => parts.join(""),
    }
}

/// The backup commands of the modes the plan uses.
fn backup_commands(plan: &Plan, tools: &Flavour) -> String {
    let modes: BTreeSet<&str> = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Backup)
        .map(|(_, s)| backup_mode(s.mode))
        .collect();
    let mut parts = Vec::new();
    if modes.contains("incremental") {
        parts.push(format!(
            "{} (incremental)",
            code(&format!("{} backup doSmartScan start", tools.tool), true)
        ));
    }
    if modes.contains("full") {
        parts.push(format!(
            "{} (full: a deep SmartScan, Zextras Backup having no separate full backup)",
            code(
                &format!("{} backup doSmartScan start deep true", tools.tool),
                true
            )
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn the_commands_of_zimbra() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| commands(o, &plan, &Roles::of(&plan))),
            r##"## 8. Commands to be run

`planner plan INVENTORY --format script --now 2026-11-29T00:00:00Z` writes them as a POSIX shell
script, with the same options as this plan: one block per wave, each command run on its server as
the zimbra user, manual steps as pauses that wait for the operator's confirmation. It stops at the
first failed step and can restart from a given wave. The script is the reference; this table
summarises it.

| Step kind | Steps | Runs on | Command |
| --- | ---: | --- | --- |
| backup | 1 | the mailstore | `zxsuite backup doSmartScan start deep true` (full: a deep SmartScan, Zextras Backup having no separate full backup) |
| move-switch | 1 | the source store | the account list written to FILE, then `zxsuite powerstore doMailboxMove TARGET input_file FILE stages data,account` |
| upgrade | 2 | the server | for an emptied mailstore, first a check that it is empty (`zmprov sa zimbraMailHost=HOST` prints nothing); then the actions the step lists, in order: drain (manual: out of its load balancer, an MTA also out of MX rotation), directory dump (`/opt/zimbra/libexec/zmslapcat DIR`), install (manual: run the 10.1.5 installer), health check (`zmcontrol status`, and `zmreplchk` on directory servers), undrain (manual: back in rotation) |

### Step ids

The plan JSON and the script name each step by its id; the numbers are those of section 4.

- Wave 1: 1.1 `upgrade:ldap2.example.com`.
- Wave 2: 2.1 `backup:mbx1.example.com`, 2.2 `move-switch:mbx1.example.com>mbx2.example.com`.
- Wave 3: 3.1 `upgrade:mbx1.example.com`.

"##
        );
    }

    #[test]
    fn the_commands_of_carbonio() {
        let plan = testing::carbonio();
        assert_eq!(
            section(|o| commands(o, &plan, &Roles::of(&plan))),
            r##"## 8. Commands to be run

`planner plan INVENTORY --format script --now 2026-11-29T00:00:00Z` writes them as a POSIX shell
script, with the same options as this plan: one block per wave, each command run on its server as
the zextras user, manual steps as pauses that wait for the operator's confirmation. It stops at the
first failed step and can restart from a given wave. The script is the reference; this table
summarises it.

| Step kind | Steps | Runs on | Command |
| --- | ---: | --- | --- |
| backup | 1 | the mailstore | `carbonio backup doSmartScan start deep true` (full: a deep SmartScan, Zextras Backup having no separate full backup) |
| move-switch | 1 | the source store | the account list written to FILE, then `carbonio powerstore mailboxMove TARGET input_file FILE` |
| upgrade | 2 | the server | for an emptied mailstore, first a check that it is empty (`zmprov sa zimbraMailHost=HOST` prints nothing); then the actions the step lists, in order: drain (manual: out of its load balancer, an MTA also out of MX rotation), directory dump (`/opt/zimbra/libexec/zmslapcat DIR`), install (manual: upgrade the Carbonio packages to 10.1.5 as Carbonio's procedure says), health check (`zmcontrol status`, and `zmreplchk` on directory servers), undrain (manual: back in rotation) |

### Step ids

The plan JSON and the script name each step by its id; the numbers are those of section 4.

- Wave 1: 1.1 `upgrade:ldap2.example.com`.
- Wave 2: 2.1 `backup:mbx1.example.com`, 2.2 `move-switch:mbx1.example.com>mbx2.example.com`.
- Wave 3: 3.1 `upgrade:mbx1.example.com`.

"##
        );
    }
}
