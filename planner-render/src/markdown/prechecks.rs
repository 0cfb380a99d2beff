//! Section 3, the pre-checks: a checklist to tick before the first wave, then
//! the figures it points to: the backups (3.1), each store's peak against its
//! ceiling (3.2) and the versions before and after (3.3).

use std::collections::BTreeMap;
use std::io::{self, Write};

use planner_core::inventory::Bytes;
use planner_core::inventory::Tools;
use planner_core::plan::{Action, Plan, PlanCapacity, Step, StepKind};

use super::figures::{backup_mode, capacities, needed, percent, share, steps};
use super::prose::{code, escape, inline, paragraph, sentence, task};
use super::roles::Roles;
use super::table::Table;
use crate::flavour::Flavour;
use crate::units::count;

/// Writes section 3.
pub(super) fn prechecks(out: &mut dyn Write, plan: &Plan, roles: &Roles) -> io::Result<()> {
    put!(out, "## 3. Pre-checks\n");
    paragraph(
        out,
        "Tick each item before the first wave starts; the tables below give the figures.",
    )?;
    for item in &checklist(plan, roles) {
        task(out, item)?;
    }
    put!(out);
    let backups: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Backup)
        .collect();
    if !backups.is_empty() {
        put!(out, "### 3.1 Backups\n");
        let mut t = Table::new(&["Wave", "Store", "Mode", "Why"]);
        for (wave, s) in &backups {
            t.row(vec![
                wave.to_string(),
                escape(s.server.as_deref().unwrap_or("?")),
                backup_mode(s.mode).to_string(),
                sentence(&inline(&s.why, true)),
            ]);
        }
        t.write(out)?;
    }
    if !plan.placement.before.is_empty() {
        put!(out, "### 3.2 Capacity headroom\n");
        match &capacities(plan) {
            Some(caps) => headroom(out, plan, caps)?,
            None => headroom_needed(out, plan)?,
        }
    }
    versions(out, plan)
}

/// The items to tick, in the order an operator checks them.
fn checklist(plan: &Plan, roles: &Roles) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    items.push(format!(
        "**The plan is current.** Save it as JSON with the same options ({}) and run {} right \
         before the window: it refuses a plan whose inventory has changed (digest {}).",
        code(
            &format!("--format json --now {} --output plan.json", plan.now),
            false
        ),
        code("planner verify plan.json --inventory INVENTORY", false),
        code(&plan.inventory_digest, false),
    ));
    items.push(format!(
        "**Everything is healthy before the start.** `zmcontrol status` on every server shows \
         every service running{}.",
        if roles.directory.is_empty() {
            ""
        } else {
            "; `zmreplchk` shows directory replication in sync"
        }
    ));
    items.extend(backup_item(plan));
    items.extend(capacity_item(plan));
    items.push(installer_check(plan));
    items.push(format!(
        "**Versions.** Each server runs the version of table 3.3 before its upgrade, and {} \
         {} at hand on every server.",
        release(plan),
        if Flavour::is_carbonio(plan) {
            "are"
        } else {
            "is"
        }
    ));
    items.push(mta_item(plan, roles));
    let has = |kind: StepKind| steps(plan).any(|(_, s)| s.kind == kind);
    if has(StepKind::PoolOut) {
        items.push(
            "**Pools for new accounts.** Know which classes of service list each mailstore \
             in `zimbraMailHostPool`, so that each pool-out step takes the store out and its \
             pool-in step puts it back."
                .to_string(),
        );
    }
    let drains = steps(plan).any(|(_, s)| {
        s.actions
            .as_deref()
            .is_some_and(|a| a.contains(&Action::Drain))
    });
    if drains {
        items.push(
            "**Load balancer and MX.** Know how each drained node leaves and rejoins its \
             load balancer or MX rotation: drains are manual actions of their upgrades."
                .to_string(),
        );
    }
    if has(StepKind::MoveSwitch) {
        items.push("**Users are warned** before each switch wave (section 6).".to_string());
    }
    items
}

/// What the upgrade needs on each server.
fn release(plan: &Plan) -> String {
    let version = escape(&plan.target_version);
    if Flavour::is_carbonio(plan) {
        format!("the Carbonio {version} packages")
    } else {
        format!("the {version} installer")
    }
}

/// Fresh backups, or none taken at all.
fn backup_item(plan: &Plan) -> Option<String> {
    let backups = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Backup)
        .count();
    if backups == 0 {
        return (!plan.placement.before.is_empty()).then(|| {
            "**Backups.** The plan takes no backup (policy `backup: none`): confirm that \
             a recent backup of every mailstore exists elsewhere."
                .to_string()
        });
    }
    let query = match plan.tools {
        Tools::Zextras => "with `zxsuite backup getBackupInfo` on each store",
        Tools::Carbonio => "with `carbonio backup getBackupInfo` on each store",
        Tools::ZimbraNe => "with `zmbackupquery --type full` on each store",
        Tools::None => "in the records of the tool that takes them",
    };
    Some(format!(
        "**Backups are fresh.** The plan backs up each mailstore before it is touched \
         ({}, table 3.1), full when the last full backup is too old or unknown. Check the \
         last full backups it counts on {query}; ages count from {}.",
        count(backups as u64, "backup", "backups"),
        escape(&plan.now)
    ))
}

/// Capacity headroom, when the plan has mailstores.
fn capacity_item(plan: &Plan) -> Option<String> {
    if plan.placement.before.is_empty() {
        return None;
    }
    let against = match &capacities(plan) {
        None => "Capacities come from the inventory: check that each store really has at \
                 least the disk and mailbox room of table 3.2."
            .to_string(),
        Some(caps) => {
            let over: Vec<String> = over_ceiling(plan, caps).into_iter().map(escape).collect();
            format!(
                "Table 3.2 sets each store's peak against its ceiling: {}. Capacities come \
                 from the inventory: check that each store really has the disk and mailbox \
                 room given there.",
                if over.is_empty() {
                    "every store stays within it".to_string()
                } else {
                    format!(
                        "**{} over it** ({}); do not start until the inventory or the \
                         plan is put right",
                        count(over.len() as u64, "store is", "stores are"),
                        over.join(", ")
                    )
                }
            )
        }
    };
    Some(format!(
        "**Capacity headroom.** The planner keeps every store at or below max\\_fill {} of \
         its disk and mailbox capacity at every moment, stage-1 copies included. {against}",
        percent(plan.policy.max_fill)
    ))
}

/// The global MTA settings, after the last MTA's upgrade when the plan shows
/// which one that is.
fn mta_item(plan: &Plan, roles: &Roles) -> String {
    match roles.last_mta_upgrade(plan) {
        Some((wave, server)) => format!(
            "**MTA settings, after the last MTA.** After wave {wave} (the upgrade of {}), \
             check the global MTA settings: Zimbra's upgrade guide warns that some may need \
             fixing once every MTA is upgraded.",
            escape(server)
        ),
        None => "**MTA settings, after the last MTA.** Once every MTA is upgraded, check the \
                 global MTA settings: Zimbra's upgrade guide warns that some may need fixing."
            .to_string(),
    }
}

/// Table 3.2 when the plan gives capacities: each store's peak against the
/// ceilings `max_fill` puts on its disk and on the accounts it can serve.
fn headroom(
    out: &mut dyn Write,
    plan: &Plan,
    caps: &BTreeMap<&str, PlanCapacity>,
) -> io::Result<()> {
    paragraph(
        out,
        &format!(
            "Peak: the most each store holds at any moment (bytes with the size overhead and \
             stage-1 copies, and as a share of its disk; mailboxes). Ceiling: max\\_fill {} of \
             the store's disk and of the accounts it can serve, as the inventory gives them; a \
             store without an account limit has no mailbox ceiling. OK: the peak is at or below \
             the ceiling.",
            percent(plan.policy.max_fill)
        ),
    )?;
    let mut t = Table::new(&[
        "Store",
        "Disk",
        "Peak bytes",
        "Byte ceiling",
        "Byte headroom",
        "Peak mailboxes",
        "Mailbox ceiling",
        "Mailbox headroom",
    ]);
    t.align(&[false, true, true, true, false, true, true, false]);
    for (store, cap) in caps {
        let peak = plan.placement.peak.get(*store).copied().unwrap_or_default();
        t.row(vec![
            escape(store),
            Bytes(cap.disk).to_string(),
            format!("{} ({})", Bytes(peak.bytes), share(peak.bytes, cap.disk)),
            format!(
                "{} ({})",
                Bytes(cap.max_bytes),
                share(cap.max_bytes, cap.disk)
            ),
            verdict(peak.bytes, cap.max_bytes, |b| Bytes(b).to_string()),
            peak.mailboxes.to_string(),
            match (cap.max_mailboxes, cap.mailboxes) {
                (Some(max), Some(all)) => format!("{max} ({} of {all})", share(max, all)),
                (Some(max), None) => max.to_string(),
                (None, _) => "no limit".to_string(),
            },
            match cap.max_mailboxes {
                Some(max) => verdict(peak.mailboxes, max, |m| m.to_string()),
                None => "OK (no limit)".to_string(),
            },
        ]);
    }
    t.write(out)?;
    Ok(())
}

/// `OK (25 GiB below)`, `OK (at the ceiling)` or `**over** by 3 GiB`.
fn verdict(peak: u64, ceiling: u64, show: impl Fn(u64) -> String) -> String {
    match peak.cmp(&ceiling) {
        std::cmp::Ordering::Less => format!("OK ({} below)", show(ceiling - peak)),
        std::cmp::Ordering::Equal => "OK (at the ceiling)".to_string(),
        std::cmp::Ordering::Greater => format!("**over** by {}", show(peak - ceiling)),
    }
}

/// The stores whose peak bytes or mailboxes exceed their ceiling.
fn over_ceiling<'a>(plan: &Plan, caps: &BTreeMap<&'a str, PlanCapacity>) -> Vec<&'a str> {
    caps.iter()
        .filter(|(store, cap)| {
            let peak = plan
                .placement
                .peak
                .get(**store)
                .copied()
                .unwrap_or_default();
            peak.bytes > cap.max_bytes || cap.max_mailboxes.is_some_and(|m| peak.mailboxes > m)
        })
        .map(|(store, _)| *store)
        .collect()
}

/// Table 3.2 for plans without capacities: the least capacity each peak needs.
fn headroom_needed(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let max_fill = plan.policy.max_fill;
    paragraph(
        out,
        &format!(
            "Peak: the most each store holds at any moment (bytes with the size overhead \
             and stage-1 copies; mailboxes). Needed: the peak divided by max\\_fill {}, \
             the least capacity at which the peak stays within the ceiling.",
            percent(max_fill)
        ),
    )?;
    let mut t = Table::new(&[
        "Store",
        "Peak bytes",
        "Disk needed",
        "Peak mailboxes",
        "Mailbox room needed",
    ]);
    t.align(&[false, true, true, true, true]);
    for (store, peak) in &plan.placement.peak {
        t.row(vec![
            escape(store),
            Bytes(peak.bytes).to_string(),
            Bytes(needed(peak.bytes, max_fill)).to_string(),
            peak.mailboxes.to_string(),
            needed(peak.mailboxes, max_fill).to_string(),
        ]);
    }
    t.write(out)?;
    Ok(())
}

/// Table 3.3: each upgrade with the server's roles and site (when the plan
/// lists its servers), and the servers left alone.
fn versions(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "### 3.3 Versions\n");
    let upgrades: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Upgrade)
        .collect();
    let known = !plan.servers.is_empty();
    let roles_of = |name: &str| -> String {
        plan.servers
            .get(name)
            .filter(|s| !s.roles.is_empty())
            .map_or_else(
                || "—".to_string(),
                |s| {
                    s.roles
                        .iter()
                        .map(|r| escape(r))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            )
    };
    if upgrades.is_empty() {
        paragraph(out, "No server is upgraded: every server is at the target.")?;
    } else {
        // The site column only when the installation names its sites, the
        // outage column only when there is one to show.
        let sites = plan.servers.values().any(|s| s.site.is_some());
        let outages = upgrades.iter().any(|(_, s)| s.outage == Some(true));
        let mut header = vec!["Wave", "Server"];
        if known {
            header.push("Roles");
        }
        if sites {
            header.push("Site");
        }
        header.extend(["From", "To"]);
        if outages {
            header.push("Outage");
        }
        let mut t = Table::new(&header);
        for (wave, s) in &upgrades {
            let name = s.server.as_deref().unwrap_or("?");
            let mut row = vec![wave.to_string(), escape(name)];
            if known {
                row.push(roles_of(name));
            }
            if sites {
                row.push(
                    plan.servers
                        .get(name)
                        .and_then(|s| s.site.as_deref())
                        .map_or_else(|| "—".to_string(), escape),
                );
            }
            row.push(escape(s.from_version.as_deref().unwrap_or("?")));
            row.push(escape(s.to_version.as_deref().unwrap_or("?")));
            if outages && s.outage == Some(true) {
                row.push("**yes**".to_string());
            }
            t.row(row);
        }
        t.write(out)?;
    }
    if plan.summary.servers_at_target > 0 {
        let left: Vec<String> = plan
            .servers
            .iter()
            .filter(|(_, s)| !s.upgraded)
            .map(|(name, _)| format!("{} ({})", escape(name), roles_of(name)))
            .collect();
        paragraph(
            out,
            &format!(
                "{} already at {} and not upgraded{}.",
                count(
                    u64::from(plan.summary.servers_at_target),
                    "server is",
                    "servers are"
                ),
                escape(&plan.target_version),
                if left.is_empty() {
                    String::new()
                } else {
                    format!(": {}", left.join(", "))
                }
            ),
        )?;
    }
    Ok(())
}

fn installer_check(plan: &Plan) -> String {
    let check = "Zimbra's installer (8.7 and later) refuses to upgrade unless proxy and \
                 memcached are both present: `zmprov gas proxy` and `zmprov gas memcached` \
                 must each list at least one server.";
    if plan.profile == "zimbra" {
        format!("**Installer prerequisites.** {check}")
    } else {
        format!(
            "**Installer prerequisites.** {check} This rule comes from Zimbra's upgrade \
             guide; check what the {} installer requires.",
            escape(&plan.profile)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn each_peak_against_its_ceiling() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| prechecks(o, &plan, &Roles::of(&plan))),
            r##"## 3. Pre-checks

Tick each item before the first wave starts; the tables below give the figures.

- [ ] **The plan is current.** Save it as JSON with the same options (`--format json --now
      2026-11-29T00:00:00Z --output plan.json`) and run `planner verify plan.json --inventory
      INVENTORY` right before the window: it refuses a plan whose inventory has changed
      (digest `sha256:0123456789abcdef`).
- [ ] **Everything is healthy before the start.** `zmcontrol status` on every server shows every
      service running; `zmreplchk` shows directory replication in sync.
- [ ] **Backups are fresh.** The plan backs up each mailstore before it is touched (1 backup, table
      3.1), full when the last full backup is too old or unknown. Check the last full backups
      it counts on with `zmbackupquery --type full` on each store; ages count from
      2026-11-29T00:00:00Z.
- [ ] **Capacity headroom.** The planner keeps every store at or below max\_fill 90% of its disk and
      mailbox capacity at every moment, stage-1 copies included. Table 3.2 sets each store's
      peak against its ceiling: every store stays within it. Capacities come from the
      inventory: check that each store really has the disk and mailbox room given there.
- [ ] **Installer prerequisites.** Zimbra's installer (8.7 and later) refuses to upgrade unless
      proxy and memcached are both present: `zmprov gas proxy` and `zmprov gas memcached` must
      each list at least one server.
- [ ] **Versions.** Each server runs the version of table 3.3 before its upgrade, and the 10.1.5
      installer is at hand on every server.
- [ ] **MTA settings, after the last MTA.** Once every MTA is upgraded, check the global MTA
      settings: Zimbra's upgrade guide warns that some may need fixing.
- [ ] **Users are warned** before each switch wave (section 6).

### 3.1 Backups

| Wave | Store | Mode | Why |
| --- | --- | --- | --- |
| 2 | mbx1.example.com | full | before its mailboxes move. |

### 3.2 Capacity headroom

Peak: the most each store holds at any moment (bytes with the size overhead and stage-1 copies, and
as a share of its disk; mailboxes). Ceiling: max\_fill 90% of the store's disk and of the accounts
it can serve, as the inventory gives them; a store without an account limit has no mailbox ceiling.
OK: the peak is at or below the ceiling.

| Store | Disk | Peak bytes | Byte ceiling | Byte headroom | Peak mailboxes | Mailbox ceiling | Mailbox headroom |
| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |
| mbx1.example.com | 10 GiB | 1 GiB (10%) | 9 GiB (90%) | OK (8 GiB below) | 1 | no limit | OK (no limit) |
| mbx2.example.com | 10 GiB | 1 GiB (10%) | 9 GiB (90%) | OK (8 GiB below) | 1 | no limit | OK (no limit) |

### 3.3 Versions

| Wave | Server | Roles | From | To |
| --- | --- | --- | --- | --- |
| 1 | ldap2.example.com | ldap-replica | 9.0.0\_P40 | 10.1.5 |
| 3 | mbx1.example.com | mailstore | 9.0.0\_P40 | 10.1.5 |

2 servers are already at 10.1.5 and not upgraded: ldap1.example.com (ldap-master), mbx2.example.com
(mailstore).

"##
        );
    }

    #[test]
    fn a_plan_without_servers_gives_the_capacity_it_needs() {
        let mut plan = testing::plan();
        plan.servers.clear();
        assert_eq!(
            section(|o| prechecks(o, &plan, &Roles::of(&plan))),
            r##"## 3. Pre-checks

Tick each item before the first wave starts; the tables below give the figures.

- [ ] **The plan is current.** Save it as JSON with the same options (`--format json --now
      2026-11-29T00:00:00Z --output plan.json`) and run `planner verify plan.json --inventory
      INVENTORY` right before the window: it refuses a plan whose inventory has changed
      (digest `sha256:0123456789abcdef`).
- [ ] **Everything is healthy before the start.** `zmcontrol status` on every server shows every
      service running; `zmreplchk` shows directory replication in sync.
- [ ] **Backups are fresh.** The plan backs up each mailstore before it is touched (1 backup, table
      3.1), full when the last full backup is too old or unknown. Check the last full backups
      it counts on with `zmbackupquery --type full` on each store; ages count from
      2026-11-29T00:00:00Z.
- [ ] **Capacity headroom.** The planner keeps every store at or below max\_fill 90% of its disk and
      mailbox capacity at every moment, stage-1 copies included. Capacities come from the
      inventory: check that each store really has at least the disk and mailbox room of table
      3.2.
- [ ] **Installer prerequisites.** Zimbra's installer (8.7 and later) refuses to upgrade unless
      proxy and memcached are both present: `zmprov gas proxy` and `zmprov gas memcached` must
      each list at least one server.
- [ ] **Versions.** Each server runs the version of table 3.3 before its upgrade, and the 10.1.5
      installer is at hand on every server.
- [ ] **MTA settings, after the last MTA.** Once every MTA is upgraded, check the global MTA
      settings: Zimbra's upgrade guide warns that some may need fixing.
- [ ] **Users are warned** before each switch wave (section 6).

### 3.1 Backups

| Wave | Store | Mode | Why |
| --- | --- | --- | --- |
| 2 | mbx1.example.com | full | before its mailboxes move. |

### 3.2 Capacity headroom

Peak: the most each store holds at any moment (bytes with the size overhead and stage-1 copies;
mailboxes). Needed: the peak divided by max\_fill 90%, the least capacity at which the peak stays
within the ceiling.

| Store | Peak bytes | Disk needed | Peak mailboxes | Mailbox room needed |
| --- | ---: | ---: | ---: | ---: |
| mbx1.example.com | 1 GiB | 1.11 GiB | 1 | 2 |
| mbx2.example.com | 1 GiB | 1.11 GiB | 1 | 2 |

### 3.3 Versions

| Wave | Server | From | To |
| --- | --- | --- | --- |
| 1 | ldap2.example.com | 9.0.0\_P40 | 10.1.5 |
| 3 | mbx1.example.com | 9.0.0\_P40 | 10.1.5 |

2 servers are already at 10.1.5 and not upgraded.

"##
        );
    }
}
