//! The order graph: which server must be upgraded before which, and why.
//!
//! Edges come from the profile (every server of an earlier tier before every
//! server of a later one, auxiliary roles after the roles they name) and from
//! `depends_on`. Only servers that need an upgrade take part: a server already
//! at the target constrains nothing. Each edge keeps its reason, so that plans
//! and `explain` can say why a server waits.

use std::collections::BTreeMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::inventory::{Inventory, ServerId};

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
    /// In words, for plans and explanations.
    pub fn describe(&self, profile: &str) -> String {
        match self {
            EdgeReason::Tier { before, after } => {
                format!("{profile} order: {before} before {after}")
            }
            EdgeReason::After { role, waits_for } => format!("role {role} waits for {waits_for}"),
            EdgeReason::DependsOn => "depends_on".to_string(),
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
    let n = inv.servers.len();
    let profile = &inv.profile;
    let upgrading: Vec<bool> = inv.servers.iter().map(|s| s.needs_upgrade()).collect();
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

    // Edge (waiter, waited-for) → reason; a BTreeMap keeps one reason per pair
    // (the first found, in a fixed order) and a fixed iteration order.
    let mut edges: BTreeMap<(usize, usize), EdgeReason> = BTreeMap::new();

    // Tiers: each server waits for the servers of the nearest earlier tier
    // that has servers to upgrade (edges pass through empty tiers).
    let mut by_tier: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
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
    // Auxiliary roles wait for every server (to upgrade) having a role they name.
    for (i, s) in inv.servers.iter().enumerate() {
        if !upgrading[i] {
            continue;
        }
        for role in &s.roles {
            let Some(def) = profile.role(role) else {
                continue;
            };
            if def.tier.is_some() {
                continue;
            }
            for waited in &def.after {
                for (j, other) in inv.servers.iter().enumerate() {
                    if j != i && upgrading[j] && other.has_role(waited) {
                        edges.entry((i, j)).or_insert_with(|| EdgeReason::After {
                            role: role.clone(),
                            waits_for: waited.clone(),
                        });
                    }
                }
            }
        }
    }
    // depends_on between servers that both upgrade.
    for (i, s) in inv.servers.iter().enumerate() {
        for dep in &s.depends_on {
            let j = dep.index();
            if i != j && upgrading[i] && upgrading[j] {
                edges.insert((i, j), EdgeReason::DependsOn);
            }
        }
    }

    let mut preds: Vec<Vec<(ServerId, EdgeReason)>> = vec![Vec::new(); n];
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(n, edges.len());
    let nodes: Vec<NodeIndex> = (0..n).map(|i| graph.add_node(i)).collect();
    for ((waiter, waited), reason) in &edges {
        preds[*waiter].push((ServerId(*waited as u32), reason.clone()));
        graph.add_edge(nodes[*waiter], nodes[*waited], ());
    }

    let mut cycles = Vec::new();
    for component in tarjan_scc(&graph) {
        if component.len() < 2 {
            continue;
        }
        let members: Vec<usize> = {
            let mut m: Vec<usize> = component.iter().map(|x| graph[*x]).collect();
            m.sort_unstable();
            m
        };
        // Walk from the first member along edges inside the component until a
        // server repeats: that walk's loop is a cycle in order.
        let mut path: Vec<usize> = vec![members[0]];
        let mut reasons: Vec<EdgeReason> = Vec::new();
        let mut current = members[0];
        while let Some((next, reason)) = preds[current]
            .iter()
            .find(|(p, _)| members.binary_search(&p.index()).is_ok())
            .map(|(p, r)| (p.index(), r.clone()))
        {
            if let Some(pos) = path.iter().position(|p| *p == next) {
                path.drain(..pos);
                reasons.drain(..pos);
                reasons.push(reason);
                break;
            }
            reasons.push(reason);
            path.push(next);
            current = next;
        }
        cycles.push(Cycle {
            servers: path.into_iter().map(|i| ServerId(i as u32)).collect(),
            reasons,
        });
    }
    if !cycles.is_empty() {
        cycles.sort_by(|a, b| a.servers.cmp(&b.servers));
        return Err(cycles);
    }
    Ok(Order { preds, tier, rank })
}
