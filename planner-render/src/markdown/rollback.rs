//! Section 7, the rollback notes: for each phase of the upgrade (directory,
//! MTA and proxy nodes, other servers, mailbox moves, mailstores), what to do
//! when a step of it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use planner_core::inventory::Tools;
use planner_core::plan::{BackupMode, Plan, StepKind};

use super::figures::{backup_mode, replay, steps, wave_list};
use super::prose::{bullet, escape, paragraph};
use super::roles::Roles;

/// Writes section 7.
pub(super) fn rollback(out: &mut dyn Write, plan: &Plan, roles: &Roles) -> io::Result<()> {
    put!(out, "## 7. Rollback notes\n");
    paragraph(
        out,
        "The script stops at the first failed step: do not start the next wave until the \
         failure is understood and the notes below are followed. The installer stops and \
         restarts only the server it runs on; the other servers keep running.",
    )?;
    let upgrade_waves = |filter: &dyn Fn(&str) -> bool| -> Vec<(u32, &str)> {
        steps(plan)
            .filter(|(_, s)| s.kind == StepKind::Upgrade)
            .filter_map(|(w, s)| s.server.as_deref().map(|n| (w, n)))
            .filter(|(_, n)| filter(n))
            .collect()
    };
    // A server with several roles belongs to each of their phases.
    let directory = upgrade_waves(&|n| roles.directory.contains(n));
    let rotation = upgrade_waves(&|n| roles.edge.contains(n));
    let others = upgrade_waves(&|n| {
        !roles.edge.contains(n) && !roles.directory.contains(n) && !roles.mailstore.contains(n)
    });
    let mailstores = upgrade_waves(&|n| roles.mailstore.contains(n));
    let moves: Vec<u32> = steps(plan)
        .filter(|(_, s)| s.kind.is_move())
        .map(|(w, _)| w)
        .collect();
    if !directory.is_empty() {
        directory_notes(out, roles, &directory)?;
    }
    if !rotation.is_empty() {
        rotation_notes(out, roles, &rotation)?;
    }
    if !others.is_empty() {
        other_notes(out, &others)?;
    }
    if !moves.is_empty() {
        move_notes(out, plan, &moves)?;
    }
    if !mailstores.is_empty() {
        mailstore_notes(out, plan, &mailstores)?;
    }
    Ok(())
}

/// Directory servers: restore from the site's own backup, and hold the rest.
fn directory_notes(
    out: &mut dyn Write,
    roles: &Roles,
    directory: &[(u32, &str)],
) -> io::Result<()> {
    phase(out, "Directory servers", directory)?;
    let others = if roles.directory.len() > 1 {
        "The other directory servers keep serving; if it is the only master, directory \
         writes stay paused until it is back (see the warnings)"
    } else {
        "It is the only directory server, so the directory stays down until it is back \
         (see the outages)"
    };
    bullet(
        out,
        &format!(
            "If an upgrade fails: stop. {others}. Restore the server from the site's system \
             backup or snapshot (the plan takes none for directory servers), then check \
             replication with `zmreplchk` before going on."
        ),
    )?;
    bullet(
        out,
        "Every other server waits for the directory: do not start a later wave while a \
         directory server is down.",
    )?;
    put!(out);
    Ok(())
}

/// MTA and proxy nodes: keep a failed node out of rotation.
fn rotation_notes(out: &mut dyn Write, roles: &Roles, rotation: &[(u32, &str)]) -> io::Result<()> {
    phase(out, "MTA and proxy nodes", rotation)?;
    bullet(
        out,
        "If an upgrade fails: keep the node out of service (drained, if the plan drains \
         it), so that the other nodes carry the traffic; repair or reinstall it, run \
         `zmcontrol status`, and only then put it back in rotation.",
    )?;
    if !roles.mta.is_empty() {
        bullet(
            out,
            "After the last MTA: if mail flow misbehaves, check the global MTA settings \
             first (pre-checks).",
        )?;
    }
    put!(out);
    Ok(())
}

/// Servers of no other phase: their services stay down until repaired.
fn other_notes(out: &mut dyn Write, others: &[(u32, &str)]) -> io::Result<()> {
    phase(out, "Other servers", others)?;
    bullet(
        out,
        "If an upgrade fails: the services of that server stay down until it is repaired \
         or restored from the site's system backup; the outages table says what users \
         lose meanwhile. Fix it before the servers that wait for it.",
    )?;
    put!(out);
    Ok(())
}

/// Mailbox moves: a stopped move leaves its accounts where they were.
fn move_notes(out: &mut dyn Write, plan: &Plan, moves: &[u32]) -> io::Result<()> {
    let waves: BTreeSet<u32> = moves.iter().copied().collect();
    put!(
        out,
        "### Mailbox moves ({})\n",
        wave_list(&waves.into_iter().collect::<Vec<_>>())
    );
    let stopped = match plan.tools {
        Tools::ZimbraNe => {
            "If a move stops: zmmboxmove moves one account at a time and locks it only for \
             its last sync; whether a failed run leaves the account active on the source is \
             unconfirmed, so check it with `zmprov ga ACCOUNT zimbraMailHost`. Find the cause \
             (room on the target, the mailbox log), then re-run the step: the script moves \
             the accounts of its list one by one, and `zmprov sa zimbraMailHost=SOURCE` \
             lists those still on the source."
        }
        _ => {
            "If a move stops: PowerStore stops a move when write errors reach 5%, and the \
             original account stays active on the source, so its user keeps working. Find \
             the cause (room on the target, the move's log), then re-run the step for the \
             accounts still on the source: `zmprov sa zimbraMailHost=SOURCE` lists them."
        }
    };
    bullet(out, stopped)?;
    if plan.policy.two_stage_moves {
        bullet(
            out,
            "A copy (`move-data`) switches nobody: if it fails, re-run it, or drop the \
             move and its switch; the accounts stay where they are.",
        )?;
    }
    bullet(
        out,
        "A switched account lives on its new store; sending it back is a new move of \
         its own, not an undo. Its old copy stays on the source until that store's purge \
         step, so that the moved mailbox can be checked first; the script checks that each \
         account lives on its new store before it purges (how to bring a mailbox back from \
         its old copy is unconfirmed).",
    )?;
    put!(out);
    Ok(())
}

/// Mailstores: what a failed upgrade costs, and which backup restores each.
fn mailstore_notes(out: &mut dyn Write, plan: &Plan, mailstores: &[(u32, &str)]) -> io::Result<()> {
    phase(out, "Mailstores", mailstores)?;
    let backups: BTreeMap<&str, Vec<(u32, Option<BackupMode>)>> = {
        let mut m: BTreeMap<&str, Vec<(u32, Option<BackupMode>)>> = BTreeMap::new();
        for (w, s) in steps(plan).filter(|(_, s)| s.kind == StepKind::Backup) {
            if let Some(n) = s.server.as_deref() {
                m.entry(n).or_default().push((w, s.mode));
            }
        }
        m
    };
    let emptied = mailstores.iter().any(|(w, n)| !in_place(plan, *w, n));
    if emptied {
        bullet(
            out,
            "An emptied store is upgraded with nobody on it: if its upgrade fails, no user \
             is affected. Leave it out of the pools for new accounts, repair or reinstall \
             it, and hold the later waves that move mailboxes onto it.",
        )?;
    }
    if mailstores.iter().any(|(w, n)| in_place(plan, *w, n)) {
        bullet(
            out,
            "A store upgraded in place has its users on it: if its upgrade fails, they stay \
             unavailable until it is repaired, or restored from its backup below.",
        )?;
    }
    let series = replay(plan);
    for (wave, store) in mailstores {
        bullet(out, &restore_note(plan, &series, &backups, *wave, store))?;
    }
    put!(out);
    Ok(())
}

/// How to restore one store's accounts, from the last backup the plan takes
/// of it up to its upgrade: onto the store itself when it is upgraded in
/// place, onto the stores they live on now when it was emptied first.
fn restore_note(
    plan: &Plan,
    series: &BTreeMap<&str, Vec<u64>>,
    backups: &BTreeMap<&str, Vec<(u32, Option<BackupMode>)>>,
    wave: u32,
    store: &str,
) -> String {
    // Whether the store held anything from the start up to its upgrade.
    let held = series.get(store).is_some_and(|v| {
        let upto = plan
            .waves
            .iter()
            .position(|w| w.index == wave)
            .map_or(v.len(), |p| p + 2);
        v.iter().take(upto).any(|b| *b > 0)
    });
    let taken: Vec<String> = backups
        .get(store)
        .map(|b| {
            b.iter()
                .filter(|(bw, _)| *bw <= wave)
                .map(|(bw, mode)| format!("{} backup of wave {bw}", backup_mode(*mode)))
                .collect()
        })
        .unwrap_or_default();
    // Where its accounts went before its upgrade, and in which waves.
    let mut went: BTreeSet<&str> = BTreeSet::new();
    let mut when: BTreeSet<u32> = BTreeSet::new();
    for (w, s) in steps(plan).filter(|(w, s)| *w < wave && s.kind == StepKind::MoveSwitch) {
        if s.source.as_deref() == Some(store) {
            went.extend(s.target.as_deref());
            when.insert(w);
        }
    }
    let name = escape(store);
    let Some(backup) = taken.last() else {
        return if held {
            format!(
                "{name} (upgrade in wave {wave}): no backup in this plan: rely on the site's own."
            )
        } else {
            format!(
                "{name} (upgrade in wave {wave}): it holds no mailbox up to its upgrade: nothing to restore."
            )
        };
    };
    if in_place(plan, wave, store) || went.is_empty() {
        return format!(
            "{name} (upgraded in place in wave {wave}): if mail is lost or damaged, restore \
             its accounts onto it from the {backup}."
        );
    }
    let targets: Vec<String> = went.iter().map(|t| escape(t)).collect();
    format!(
        "{name} (upgrade in wave {wave}): its accounts left it in {} for {}, so its own \
         upgrade touches no mailbox. If a moved account's mail is lost or damaged, restore \
         that account from the {backup} onto the store it lives on now.",
        wave_list(&when.into_iter().collect::<Vec<_>>()),
        targets.join(", ")
    )
}

/// Whether the upgrade of `store` in `wave` is in place (users on it).
fn in_place(plan: &Plan, wave: u32, store: &str) -> bool {
    steps(plan).any(|(w, s)| {
        w == wave
            && s.kind == StepKind::Upgrade
            && s.server.as_deref() == Some(store)
            && s.outage == Some(true)
    })
}

/// A phase's heading with its waves, and its servers.
fn phase(out: &mut dyn Write, name: &str, upgrades: &[(u32, &str)]) -> io::Result<()> {
    let waves: Vec<u32> = upgrades.iter().map(|(w, _)| *w).collect();
    let servers: Vec<String> = upgrades.iter().map(|(_, n)| escape(n)).collect();
    put!(out, "### {name} ({})\n", wave_list(&waves));
    paragraph(out, &format!("{}.", servers.join(", ")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn one_note_per_phase() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| rollback(o, &plan, &Roles::of(&plan))),
            r##"## 7. Rollback notes

The script stops at the first failed step: do not start the next wave until the failure is
understood and the notes below are followed. The installer stops and restarts only the server it
runs on; the other servers keep running.

### Directory servers (wave 1)

ldap2.example.com.

- If an upgrade fails: stop. The other directory servers keep serving; if it is the only master,
  directory writes stay paused until it is back (see the warnings). Restore the server from the
  site's system backup or snapshot (the plan takes none for directory servers), then check
  replication with `zmreplchk` before going on.
- Every other server waits for the directory: do not start a later wave while a directory server is
  down.

### Mailbox moves (wave 2)

- If a move stops: zmmboxmove moves one account at a time and locks it only for its last sync;
  whether a failed run leaves the account active on the source is unconfirmed, so check it with
  `zmprov ga ACCOUNT zimbraMailHost`. Find the cause (room on the target, the mailbox log), then
  re-run the step: the script moves the accounts of its list one by one, and `zmprov sa
  zimbraMailHost=SOURCE` lists those still on the source.
- A switched account lives on its new store; sending it back is a new move of its own, not an undo.
  Its old copy stays on the source until that store's purge step, so that the moved mailbox can be
  checked first; the script checks that each account lives on its new store before it purges (how
  to bring a mailbox back from its old copy is unconfirmed).

### Mailstores (wave 3)

mbx1.example.com.

- An emptied store is upgraded with nobody on it: if its upgrade fails, no user is affected. Leave
  it out of the pools for new accounts, repair or reinstall it, and hold the later waves that move
  mailboxes onto it.
- mbx1.example.com (upgrade in wave 3): its accounts left it in wave 2 for mbx2.example.com, so its
  own upgrade touches no mailbox. If a moved account's mail is lost or damaged, restore that
  account from the full backup of wave 2 onto the store it lives on now.

"##
        );
    }
}
