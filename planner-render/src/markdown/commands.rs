//! Section 8, the commands to be run: per kind of step, where it runs and
//! the command the script runs for it; then each step's id.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use planner_core::inventory::{MoveBy, Tools};
use planner_core::plan::{Plan, StepKind};

use super::figures::{backup_mode, steps};
use super::prose::{bullet, code, escape, paragraph, plain_or_code};
use super::roles::Roles;
use super::table::Table;
use crate::flavour::Flavour;
use crate::roles::REPLICATION_CHECK;
use crate::toolset::{Selection, Stage, Toolset};
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
    let toolset = Toolset::of(plan);
    let flush = format!(
        "then {} so that every server sees the change now, not when its cache expires",
        code("zmprov fc -a cos", true)
    );
    match kind {
        StepKind::Backup => ("the mailstore", backup_commands(plan, toolset)),
        StepKind::PoolOut => (
            "any server",
            format!(
                "manual: take the store out of `zimbraMailHostPool` of its classes of \
                 service; {flush}"
            ),
        ),
        StepKind::PoolIn => (
            "any server",
            format!("manual: put the store back in `zimbraMailHostPool`; {flush}"),
        ),
        StepKind::Purge => ("the store purged", purge_command(plan, toolset)),
        StepKind::MoveData => ("the source store", move_command(plan, toolset, Stage::Copy)),
        StepKind::MoveSwitch => {
            let stage = if toolset.staged() && plan.policy.two_stage_moves {
                Stage::Switch
            } else {
                Stage::Whole
            };
            let mut text = move_command(plan, toolset, stage);
            if plan
                .servers
                .values()
                .any(|s| s.roles.iter().any(|r| r == "proxy" || r == "memcached"))
            {
                text.push_str(&format!(
                    "; then {} so that the proxies forget the accounts' old routes",
                    code(&format!("{}/zmproxypurge -L FILE", flavour.libexec), true)
                ));
            }
            ("the source store", text)
        }
        StepKind::Upgrade => (
            "the server",
            format!(
                "for an emptied mailstore, first a check that it is empty ({} prints \
                 nothing); then the actions the step lists, in order: drain (manual: a proxy \
                 or other balanced node out of its load balancer, an MTA out of MX and relay \
                 rotation; wait for open connections or active deliveries, with a time \
                 limit), directory dump ({}), install (manual: {}), health check ({}), \
                 undrain (manual: back in rotation)",
                code("zmprov sa zimbraMailHost=HOST", true),
                code(&format!("{}/zmslapcat DIR", flavour.libexec), true),
                upgrade(plan, &escape(&plan.target_version)),
                health_commands(plan, roles, flavour)
            ),
        ),
    }
}

/// The move command of a stage, or why there is none.
fn move_command(plan: &Plan, toolset: &Toolset, stage: Stage) -> String {
    let domains = plan.policy.move_by == MoveBy::Domain;
    let selection = if domains {
        Selection::Domains("D1,D2")
    } else {
        Selection::File("FILE")
    };
    let plain = |s: &str| s.to_string();
    match toolset.tools {
        Tools::ZimbraNe => format!(
            "the account list written to FILE, then for each account {} (copy, sync and \
             switch in one run){}",
            code(&Toolset::move_account("ACCOUNT", "SOURCE", "TARGET"), true),
            if domains {
                "; zmmboxmove has no domain form, so the accounts are listed"
            } else {
                ""
            }
        ),
        Tools::None => "none: without a move tool no mailbox moves".to_string(),
        _ if stage == Stage::Copy && !toolset.staged() => format!(
            "nothing: {} has no stages, the accounts move at their switch",
            toolset.name
        ),
        _ => {
            let words = toolset
                .move_words(
                    "TARGET",
                    &selection,
                    stage,
                    plan.policy.notify.as_deref(),
                    &plain,
                )
                .unwrap_or_default();
            let lead = if domains {
                "the account list written to FILE (for the checks), then"
            } else {
                "the account list written to FILE, then"
            };
            let wait = if toolset.queued {
                format!(
                    "; the script waits until {} and {} name no operation",
                    code("zxsuite powerstore getAllOperations", true),
                    code("zxsuite backup getAllOperations", true)
                )
            } else {
                String::new()
            };
            format!("{lead} {}{wait}", code(&words, true))
        }
    }
}

/// The purge command, after the check that the accounts live on their new
/// stores.
fn purge_command(plan: &Plan, toolset: &Toolset) -> String {
    let check = format!(
        "first {} for each account, which must name its new store",
        code("zmprov ga ACCOUNT zimbraMailHost", true)
    );
    match toolset.tools {
        Tools::ZimbraNe => {
            let mut text = format!(
                "{check}; then for each account {}",
                code(&Toolset::purge_account("ACCOUNT", "STORE"), true)
            );
            if crate::toolset::purge_advisory(&plan.target_version) {
                text.push_str(
                    " (a 2026 Zimbra advisory warns against zmpurgeoldmbox on 10.1.15 and \
                     10.1.16 with external object storage: the script pauses before it)",
                );
            }
            text
        }
        _ => match toolset.purge_words() {
            Some(words) => format!("{check}; then {}", code(words, true)),
            None => "none".to_string(),
        },
    }
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
fn health_commands(plan: &Plan, roles: &Roles, flavour: &Flavour) -> String {
    let show = |check: &str| check_text(check, flavour);
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
            show("zmcontrol status")
        } else {
            format!(
                "{}, and {} on directory servers",
                show("zmcontrol status"),
                show(REPLICATION_CHECK)
            )
        };
    }
    // Checks run everywhere first; the sort is stable.
    runs.sort_by_key(|(_, on)| *on != checked);
    let parts: Vec<String> = runs
        .iter()
        .map(|(check, on)| {
            let command = show(check);
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

/// How a health check runs: Carbonio's services through systemd where it
/// manages them; `zmreplchk` from a server that lists every replica.
fn check_text(check: &str, flavour: &Flavour) -> String {
    match check {
        "zmcontrol status" if flavour.carbonio => format!(
            "{} with no failed unit where systemd runs Carbonio (25.6 and later on RHEL 9 \
             and Ubuntu 24.04), else {}",
            code("systemctl list-units 'carbonio*'", true),
            code("zmcontrol status", true)
        ),
        REPLICATION_CHECK => format!(
            "{} (run from a server whose `ldap_url` lists every replica and the master, \
             every `Code:` 0)",
            code(REPLICATION_CHECK, true)
        ),
        other => code(other, true),
    }
}

/// The backup commands of the modes the plan uses.
fn backup_commands(plan: &Plan, toolset: &Toolset) -> String {
    let modes: BTreeSet<&str> = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Backup)
        .map(|(_, s)| backup_mode(s.mode))
        .collect();
    let mut parts = Vec::new();
    for (mode, full) in [("incremental", false), ("full", true)] {
        if !modes.contains(mode) {
            continue;
        }
        let command = match toolset.backup(full) {
            None => "manual: a backup with the operator's own tools".to_string(),
            Some(mut words) => {
                if toolset.tools == Tools::ZimbraNe {
                    words.push("STORE".to_string());
                }
                code(&words.join(" "), true)
            }
        };
        let note = match (toolset.tools, full) {
            (Tools::Zextras | Tools::Carbonio, true) => {
                " (full: a deep SmartScan, Zextras Backup having no separate full backup)"
            }
            (_, false) => " (incremental)",
            _ => " (full)",
        };
        parts.push(format!("{command}{note}"));
    }
    let mut text = parts.join("; ");
    if toolset.tools == Tools::ZimbraNe && !parts.is_empty() {
        text.push_str(
            "; the Network Edition standard backup, deprecated after 8.8.12: whether ZCS 10 \
             ships it is unconfirmed, and the script pauses for a manual backup where it is \
             missing",
        );
    }
    text
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
| backup | 1 | the mailstore | `zmbackup -f -a all --sync -s STORE` (full); the Network Edition standard backup, deprecated after 8.8.12: whether ZCS 10 ships it is unconfirmed, and the script pauses for a manual backup where it is missing |
| move-switch | 1 | the source store | the account list written to FILE, then for each account `zmmboxmove -a ACCOUNT --from SOURCE --to TARGET --sync` (copy, sync and switch in one run) |
| upgrade | 2 | the server | for an emptied mailstore, first a check that it is empty (`zmprov sa zimbraMailHost=HOST` prints nothing); then the actions the step lists, in order: drain (manual: a proxy or other balanced node out of its load balancer, an MTA out of MX and relay rotation; wait for open connections or active deliveries, with a time limit), directory dump (`/opt/zimbra/libexec/zmslapcat DIR`), install (manual: run the 10.1.5 installer), health check (`zmcontrol status`, and `zmreplchk` (run from a server whose `ldap_url` lists every replica and the master, every `Code:` 0) on directory servers), undrain (manual: back in rotation) |

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
| backup | 1 | the mailstore | `carbonio --sync backup doSmartScan start deep true` (full: a deep SmartScan, Zextras Backup having no separate full backup) |
| move-switch | 1 | the source store | the account list written to FILE, then `carbonio --sync powerstore mailboxMove TARGET input_file FILE` |
| upgrade | 2 | the server | for an emptied mailstore, first a check that it is empty (`zmprov sa zimbraMailHost=HOST` prints nothing); then the actions the step lists, in order: drain (manual: a proxy or other balanced node out of its load balancer, an MTA out of MX and relay rotation; wait for open connections or active deliveries, with a time limit), directory dump (`/opt/zextras/libexec/zmslapcat DIR`), install (manual: upgrade the Carbonio packages to 10.1.5 as Carbonio's procedure says), health check (`systemctl list-units 'carbonio*'` with no failed unit where systemd runs Carbonio (25.6 and later on RHEL 9 and Ubuntu 24.04), else `zmcontrol status`, and `zmreplchk` (run from a server whose `ldap_url` lists every replica and the master, every `Code:` 0) on directory servers), undrain (manual: back in rotation) |

### Step ids

The plan JSON and the script name each step by its id; the numbers are those of section 4.

- Wave 1: 1.1 `upgrade:ldap2.example.com`.
- Wave 2: 2.1 `backup:mbx1.example.com`, 2.2 `move-switch:mbx1.example.com>mbx2.example.com`.
- Wave 3: 3.1 `upgrade:mbx1.example.com`.

"##
        );
    }
}
