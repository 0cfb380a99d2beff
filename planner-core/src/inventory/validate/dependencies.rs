//! Resolves `depends_on` between servers and refuses cycles among them.
//!
//! A dependency names another server, so it can only be checked once every
//! server's name is known; and a cycle would leave no server free to go
//! first, so it is refused here, with its members named in order, rather
//! than found later as a plan that cannot be ordered.

use std::collections::{BTreeSet, HashMap};

use super::{Ctx, set_hint};
use crate::diagnostic::did_you_mean;
use crate::engine::ReasonKind;
use crate::inventory::model::{Inventory, Server, ServerId};
use crate::inventory::raw::RawInventory;

/// Fills each server's `depends_on` from the names written, given each
/// server's index by its lowercase name.
pub(super) fn resolve_depends_on(
    raw: &RawInventory,
    by_name: &HashMap<String, usize>,
    servers: &mut [Server],
    ctx: &mut Ctx<'_>,
) {
    let names: Vec<&str> = raw.servers.iter().map(|s| s.name.as_str()).collect();
    for (i, s) in raw.servers.iter().enumerate() {
        let mut deps = Vec::new();
        let mut reported: BTreeSet<String> = BTreeSet::new();
        for (k, dep) in s.depends_on.iter().enumerate() {
            let path = format!("servers[{i}].depends_on[{k}]");
            if !reported.insert(dep.trim().to_ascii_lowercase()) {
                // Each name is checked once per server.
                continue;
            }
            match by_name.get(&dep.trim().to_ascii_lowercase()) {
                Some(&j) if j == i => {
                    ctx.error(path, format!("server `{}` depends on itself", s.name));
                }
                Some(&j) => deps.push(ServerId(j as u32)),
                None => {
                    let hint = did_you_mean(dep, names.iter().copied());
                    let d = ctx.error(
                        path,
                        format!("unknown server `{dep}` in depends_on of `{}`", s.name),
                    );
                    set_hint(d, hint);
                }
            }
        }
        deps.sort();
        deps.dedup();
        servers[i].depends_on = deps;
    }
}

/// Cycles among `depends_on` edges, each named in order.
pub(super) fn check_cycles(servers: &[Server], ctx: &mut Ctx<'_>) {
    let successors: Vec<Vec<usize>> = servers
        .iter()
        .map(|s| s.depends_on.iter().map(|d| d.index()).collect())
        .collect();
    for cycle in crate::cycles::find(&successors) {
        let cycle = cycle.nodes;
        let first = cycle[0];
        let mut names: Vec<&str> = cycle.iter().map(|i| servers[*i].name.as_str()).collect();
        names.push(servers[first].name.as_str());
        ctx.error(
            format!("servers[{first}].depends_on"),
            format!(
                "depends_on forms a cycle: {} (each depends on the next)",
                names.join(" → ")
            ),
        )
        .hint = Some("remove one of these depends_on entries".into());
    }
}

/// Cycles that `depends_on` forms with the profile's order (an LDAP master
/// that depends on an MTA), once the inventory is otherwise valid: reported
/// at the `depends_on` of the first server on the cycle that has one.
pub(super) fn check_order(inventory: &Inventory, ctx: &mut Ctx<'_>) {
    let Some(refusal) = crate::engine::order_cycles(inventory) else {
        return;
    };
    for reason in &refusal.reasons {
        let ReasonKind::OrderCycle { servers } = &reason.kind else {
            continue;
        };
        let index = |name: &String| {
            inventory
                .servers
                .iter()
                .position(|s| s.name.as_str() == name)
        };
        // The server whose own depends_on is an edge of the cycle.
        let on_cycle: Vec<usize> = servers.iter().filter_map(index).collect();
        let next = on_cycle.iter().skip(1).chain(on_cycle.first());
        let at = on_cycle
            .iter()
            .zip(next)
            .find(|&(&a, &b)| {
                inventory.servers[a]
                    .depends_on
                    .contains(&ServerId(b as u32))
            })
            .map(|(&a, _)| format!("servers[{a}].depends_on"));
        // Without a depends_on on it, roles' `after` closed the cycle.
        let path =
            at.unwrap_or_else(|| format!("servers[{}].roles", on_cycle.first().unwrap_or(&0)));
        let d = ctx.error(path, reason.message());
        set_hint(d, reason.hint());
    }
}
