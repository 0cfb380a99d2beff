//! The warnings of a valid inventory: what planning can cope with but an
//! operator should know before the change window.
//!
//! They run only when there is no error, since they read the resolved model
//! (store loads, ceilings, roles) that errors would make meaningless. Each
//! warning that looks at mailboxes does so in one pass over all of them: a
//! million mailboxes on 200 stores must not be scanned once per store.

use super::Ctx;
use crate::inventory::model::{Inventory, ServerId};
use crate::inventory::profile::MAILSTORE;
use crate::inventory::raw::{EvacuatePolicy, MailboxFileFormat, RawInventory};
use crate::inventory::units::{Bytes, Fraction};

/// The warnings of a valid inventory.
pub(super) fn warn(raw: &RawInventory, inventory: &Inventory, ctx: &mut Ctx<'_>) {
    warn_over_ceiling(inventory, ctx);
    warn_assumed_sizes(raw, inventory, ctx);
    warn_system_accounts(inventory, ctx);
    warn_single_directory_master(inventory, ctx);
}

/// Stores already above their ceiling, which receive nothing until emptied.
fn warn_over_ceiling(inventory: &Inventory, ctx: &mut Ctx<'_>) {
    let loads = inventory.store_loads();
    for (i, server) in inventory.servers.iter().enumerate() {
        let id = ServerId(i as u32);
        let (Some(ceiling), Some(capacity)) = (inventory.ceiling(id), server.capacity) else {
            continue;
        };
        let load = loads[i];
        if load.bytes > ceiling.bytes {
            ctx.warning(
                format!("servers[{i}]"),
                format!(
                    "store `{}` holds {} ({} of {}), above max_fill {}",
                    server.name,
                    load.bytes,
                    Fraction::ratio(load.bytes.0, capacity.disk.0),
                    capacity.disk,
                    inventory.policy.max_fill
                ),
            )
            .hint = Some("it receives no mailbox until it is below its ceiling".into());
        }
        if load.mailboxes > ceiling.mailboxes {
            ctx.warning(
                format!("servers[{i}]"),
                format!(
                    "store `{}` serves {} mailboxes, above max_fill {} of its {}",
                    server.name,
                    load.mailboxes,
                    inventory.policy.max_fill,
                    capacity.mailboxes.unwrap_or(0)
                ),
            )
            .hint = Some("it receives no mailbox until it is below its ceiling".into());
        }
    }
}

/// Sizes assumed from accounts lists, counted per store in one pass.
fn warn_assumed_sizes(raw: &RawInventory, inventory: &Inventory, ctx: &mut Ctx<'_>) {
    let mut assumed_on: Vec<(usize, Bytes)> = vec![(0, Bytes::ZERO); inventory.servers.len()];
    for m in inventory.mailboxes.iter().filter(|m| m.assumed) {
        let entry = &mut assumed_on[m.store.index()];
        if entry.0 == 0 {
            entry.1 = m.size;
        }
        entry.0 += 1;
    }
    for (i, entry) in raw.mailbox_files.iter().enumerate() {
        if entry.format != MailboxFileFormat::Accounts {
            continue;
        }
        let Some(store) = entry.store.as_deref().and_then(|s| inventory.server_id(s)) else {
            continue;
        };
        let (count, size) = assumed_on[store.index()];
        ctx.warning(
            format!("mailbox_files[{i}].assumed_size"),
            format!(
                "the sizes of the {count} mailboxes listed for `{}` are assumed ({size} each), not measured",
                inventory.server(store).name
            ),
        )
        .hint = Some("capacity checks are only as good as this guess; `zmprov gqu SERVER` gives real sizes".into());
    }
}

/// System accounts on stores that will be emptied.
fn warn_system_accounts(inventory: &Inventory, ctx: &mut Ctx<'_>) {
    let mailstore_evacuates = inventory
        .profile
        .role(MAILSTORE)
        .is_some_and(|r| r.evacuate);
    // One pass over the mailboxes: a million of them on 200 stores must not
    // be scanned once per store.
    let mut system_on: Vec<Vec<&str>> = vec![Vec::new(); inventory.servers.len()];
    for m in &inventory.mailboxes {
        if m.account.is_system() {
            system_on[m.store.index()].push(m.account.as_str());
        }
    }
    for (i, server) in inventory.servers.iter().enumerate() {
        let emptied = server.is_mailstore()
            && server.needs_upgrade()
            && mailstore_evacuates
            && inventory.policy.evacuate == EvacuatePolicy::Always
            && server.evacuate != Some(false);
        if !emptied {
            continue;
        }
        let system = &system_on[i];
        if system.is_empty() {
            continue;
        }
        ctx.warning(
            format!("servers[{i}]"),
            format!(
                "{} system account{} on `{}` will move: {}",
                system.len(),
                if system.len() == 1 { "" } else { "s" },
                server.name,
                first_four(system)
            ),
        )
        .hint = Some(
            "check them after the move (a GAL sync account's data source names its server)".into(),
        );
    }
}

/// The first four accounts, quoted, and how many more there are: enough to
/// recognise them without a wall of names.
fn first_four(accounts: &[&str]) -> String {
    let mut names = accounts
        .iter()
        .take(4)
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if accounts.len() > 4 {
        names.push_str(&format!(" and {} more", accounts.len() - 4));
    }
    names
}

/// A single directory master pauses writes while it upgrades.
fn warn_single_directory_master(inventory: &Inventory, ctx: &mut Ctx<'_>) {
    let masters: Vec<usize> = inventory
        .servers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.has_role(inventory.profile.directory_master))
        .map(|(i, _)| i)
        .collect();
    let [only] = masters[..] else {
        return;
    };
    let group_size = inventory
        .servers
        .iter()
        .filter(|s| {
            s.roles.iter().any(|r| {
                inventory.profile.role(r).and_then(|d| d.group.as_deref())
                    == Some(inventory.profile.directory_group)
            })
        })
        .count();
    if inventory.servers[only].needs_upgrade() && group_size > 1 {
        ctx.warning(
            format!("servers[{only}]"),
            format!(
                "`{}` is the only directory master: directory writes pause while it upgrades",
                inventory.servers[only].name
            ),
        )
        .hint = Some(
            "replicas keep serving reads; schedule the master's upgrade in a quiet hour".into(),
        );
    }
}
