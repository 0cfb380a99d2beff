//! The order graph: which server must be upgraded before which, and why.
//!
//! Edges come from the profile (every server of an earlier tier before every
//! server of a later one, auxiliary roles after the roles they name) and from
//! `depends_on`. Only servers that need an upgrade take part: a server already
//! at the target constrains nothing. Each edge keeps its reason, so that plans
//! and `explain` can say why a server waits.

use std::collections::BTreeMap;

use crate::inventory::{Inventory, ServerId};
use crate::plan::WaitRule;

/// Why one server waits for another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeReason {
    /// The profile orders the earlier server's tier before the later's.
    Tier {
        /// The earlier tier's role.
        before: String,
        /// The later tier's role.
        after: String,
    },
    /// An auxiliary role waits for a role it names in `after`.
    After {
        /// The auxiliary role.
        role: String,
        /// The role it waits for.
        waits_for: String,
    },
    /// The inventory's `depends_on`.
    DependsOn,
}

impl EdgeReason {
    /// The rule as the plan records it (tier edges name the profile).
    pub fn rule(&self, profile: &str) -> WaitRule {
        match self {
            EdgeReason::Tier { before, after } => WaitRule::Order {
                profile: profile.to_string(),
                before: before.clone(),
                after: after.clone(),
            },
            EdgeReason::After { role, waits_for } => WaitRule::After {
                role: role.clone(),
                waits_for: waits_for.clone(),
            },
            EdgeReason::DependsOn => WaitRule::DependsOn,
        }
    }
}

/// The order among the servers to upgrade.
pub struct Order {
    /// For each server, the servers it waits for, with the reason (direct edges only).
    pub preds: Vec<Vec<(ServerId, EdgeReason)>>,
    /// Each server's tier (position of its earliest main role), if it has one.
    pub tier: Vec<Option<usize>>,
    /// Each server's rank for ties: its tier, or for auxiliary-only servers the
    /// position of its first role in the profile.
    pub rank: Vec<usize>,
}

/// A cycle of servers, each waiting for the next.
pub struct Cycle {
    /// The servers in cycle order; the last waits for the first.
    pub servers: Vec<ServerId>,
    /// The reason of each edge: `reasons[i]` is why `servers[i]` waits for the next.
    pub reasons: Vec<EdgeReason>,
}

/// Builds the order graph; fails with every cycle found.
pub fn build(inv: &Inventory) -> Result<Order, Vec<Cycle>> {
    let upgrading: Vec<bool> = inv.servers.iter().map(|s| s.needs_upgrade()).collect();
    let (tier, rank) = tiers_and_ranks(inv);
    // Edge (waiter, waited-for) → reason; a BTreeMap keeps one reason per pair
    // (the first found, in a fixed order) and a fixed iteration order.
    let mut edges: BTreeMap<(usize, usize), EdgeReason> = BTreeMap::new();
    tier_edges(inv, &upgrading, &tier, &mut edges);
    after_edges(inv, &upgrading, &tier, &mut edges);
    depends_on_edges(inv, &upgrading, &mut edges);

    let mut preds: Vec<Vec<(ServerId, EdgeReason)>> = vec![Vec::new(); inv.servers.len()];
    for ((waiter, waited), reason) in edges {
        preds[waiter].push((ServerId(waited as u32), reason));
    }
    let cycles = cycles_of(&preds);
    if !cycles.is_empty() {
        return Err(cycles);
    }
    Ok(Order { preds, tier, rank })
}

/// Each server's tier (its earliest main role), and its rank for ties (its
/// tier, or for auxiliary-only servers the position of its first role).
fn tiers_and_ranks(inv: &Inventory) -> (Vec<Option<usize>>, Vec<usize>) {
    let profile = &inv.profile;
    let tier: Vec<Option<usize>> = inv
        .servers
        .iter()
        .map(|s| {
            s.roles
                .iter()
                .filter_map(|r| profile.role(r).and_then(|d| d.tier))
                .min()
        })
        .collect();
    let rank: Vec<usize> = inv
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            tier[i].unwrap_or_else(|| {
                s.roles
                    .iter()
                    .map(|r| profile.role_rank(r))
                    .min()
                    .unwrap_or(usize::MAX)
            })
        })
        .collect();
    (tier, rank)
}

/// Tiers: each server waits for the servers of the nearest earlier tier
/// that has servers to upgrade (edges pass through empty tiers).
fn tier_edges(
    inv: &Inventory,
    upgrading: &[bool],
    tier: &[Option<usize>],
    edges: &mut BTreeMap<(usize, usize), EdgeReason>,
) {
    let profile = &inv.profile;
    let mut by_tier: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..inv.servers.len() {
        if let (true, Some(t)) = (upgrading[i], tier[i]) {
            by_tier.entry(t).or_default().push(i);
        }
    }
    let tiers: Vec<(usize, Vec<usize>)> = by_tier.into_iter().collect();
    for pair in tiers.windows(2) {
        let (before_tier, before) = (&pair[0].0, &pair[0].1);
        let (after_tier, after) = (&pair[1].0, &pair[1].1);
        for &a in after {
            for &b in before {
                edges.entry((a, b)).or_insert_with(|| EdgeReason::Tier {
                    before: profile.tiers[*before_tier].clone(),
                    after: profile.tiers[*after_tier].clone(),
                });
            }
        }
    }
}

/// Auxiliary roles wait for every server (to upgrade) having a role they name.
///
/// On a server that also has a main role, the profile's order for that role
/// wins: an auxiliary role does not make it wait for servers of its own tier
/// or a later one (a logger on the LDAP master upgrades with the master,
/// first, rather than after the replicas that wait for it).
fn after_edges(
    inv: &Inventory,
    upgrading: &[bool],
    tier: &[Option<usize>],
    edges: &mut BTreeMap<(usize, usize), EdgeReason>,
) {
    for (i, s) in inv.servers.iter().enumerate() {
        if !upgrading[i] {
            continue;
        }
        for role in &s.roles {
            let Some(def) = inv.profile.role(role) else {
                continue;
            };
            if def.tier.is_some() {
                continue;
            }
            for waited in &def.after {
                for (j, other) in inv.servers.iter().enumerate() {
                    let profile_orders_after =
                        tier[i].is_some_and(|own| tier[j].is_some_and(|theirs| theirs >= own));
                    if j != i && upgrading[j] && other.has_role(waited) && !profile_orders_after {
                        edges.entry((i, j)).or_insert_with(|| EdgeReason::After {
                            role: role.clone(),
                            waits_for: waited.clone(),
                        });
                    }
                }
            }
        }
    }
}

/// `depends_on` between servers that both upgrade.
fn depends_on_edges(
    inv: &Inventory,
    upgrading: &[bool],
    edges: &mut BTreeMap<(usize, usize), EdgeReason>,
) {
    for (i, s) in inv.servers.iter().enumerate() {
        for dep in &s.depends_on {
            let j = dep.index();
            if i != j && upgrading[i] && upgrading[j] {
                edges.insert((i, j), EdgeReason::DependsOn);
            }
        }
    }
}

/// Every cycle of the order, each with the reasons of its edges.
fn cycles_of(preds: &[Vec<(ServerId, EdgeReason)>]) -> Vec<Cycle> {
    let successors: Vec<Vec<usize>> = preds
        .iter()
        .map(|p| p.iter().map(|(s, _)| s.index()).collect())
        .collect();
    crate::cycles::find(&successors)
        .into_iter()
        .map(|c| Cycle {
            reasons: c
                .nodes
                .iter()
                .zip(&c.edges)
                .map(|(&n, &k)| preds[n][k].1.clone())
                .collect(),
            servers: c.nodes.into_iter().map(|i| ServerId(i as u32)).collect(),
        })
        .collect()
}
