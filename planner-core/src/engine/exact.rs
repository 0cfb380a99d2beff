//! Exact search: the last resort when every heuristic attempt leaves a store
//! that cannot be emptied. A bounded depth-first search over the order in
//! which the stores are emptied and the target of every mailbox (or, with
//! `move_by: domain`, every domain of the store) finds a placement that
//! works, if one exists within its budget; the schedule then follows it
//! ([`Guide`]), booking waves, backups and availability as usual.
//!
//! The search replays the scheduler's choices without waves: servers are
//! taken as `Sched::run` takes them (the lowest rank among the ready ones;
//! first those that need no emptying, by kind then name), and only the choice
//! among the stores to empty at one rank, and the targets of their
//! mailboxes, branch. Eligibility is the one of `place`: another mailstore,
//! of the same site unless cross-site moves are allowed, never at an older
//! version than the store emptied, upgraded stores only once the tiers
//! before the mailstores are, under `forward` upgraded stores only; capacity
//! over both dimensions at `max_fill` (a store above its ceiling receives
//! nothing). Mailboxes parked on a store not yet upgraded move again when it
//! is emptied. Failed states are remembered, and a deterministic node budget
//! bounds the work, so that large inventories are refused as fast as before.
//! It reads no clock: the same inventory gets the same answer.

use std::collections::BTreeSet;

use super::graph::Order;
use super::place::{Guide, Mode};
use super::schedule::{Sched, Scheduled};
use super::start::Start;
use crate::inventory::{AgainstTarget, Inventory, MoveBy, Policy};

/// States and placement decisions one search may visit. Two million left
/// case 1463 of the reference search's seed-7 run (6 stores, 20 mailboxes,
/// parked mailboxes moving again) refused; eight million plan it (7 s).
pub const BUDGET: u64 = 8_000_000;
/// What one search may visit when a refusal tries a hint: a hint is planned
/// dozens of times, and each infeasible try could spend a whole [`BUDGET`].
/// A hint found with it plans with the full budget too, but may be larger
/// than the least that the full budget would find.
pub const PROBE_BUDGET: u64 = 200_000;
/// What all the searches of one refusal's hints may visit together (a few
/// seconds at most in a release build); once it is spent, hints are tried
/// with the heuristics alone.
pub const PROBES_BUDGET: u64 = 5_000_000;
/// Mailboxes on stores to empty above which the search is not tried: its
/// budget could not decide such an inventory.
const MAX_MOVABLE: usize = 48;

/// The schedules that follow the exact search, for the modes it serves:
/// not `spare`, and under auto only auto's own order (spread's eligibility
/// is the same). Only feasible schedules are returned.
pub fn attempts(
    inv: &Inventory,
    policy: &Policy,
    order: &Order,
    modes: &[Mode],
    now: jiff::Timestamp,
    start: &Start,
    budget: &mut u64,
) -> Vec<(Mode, Scheduled)> {
    let movable = inv
        .mailboxes
        .iter()
        .filter(|m| inv.server(m.store).needs_upgrade())
        .count();
    if movable > MAX_MOVABLE {
        return Vec::new();
    }
    for &mode in modes {
        if mode == Mode::Spare || (mode == Mode::Spread && modes.contains(&Mode::Greedy)) {
            continue;
        }
        let (guide, nodes) = search(inv, policy, order, mode, now, start, (*budget).min(BUDGET));
        *budget = budget.saturating_sub(nodes);
        let Some(guide) = guide else {
            continue;
        };
        let scheduled = Sched::new(inv, policy, order, mode, (now, start))
            .guided(&guide)
            .run();
        if scheduled.shortfalls.is_empty() && scheduled.stuck.is_empty() {
            return vec![(mode, scheduled)];
        }
    }
    Vec::new()
}

/// A group of mailboxes that moves as one.
struct Unit {
    members: Vec<u32>,
    bytes: u64,
    count: u64,
}

/// What the scheduler does next, replayed.
enum Next {
    /// Every server is taken.
    Done,
    /// The stores to empty among which the scheduler may choose.
    Choose(Vec<usize>),
}

struct Exact<'a> {
    inv: &'a Inventory,
    order: &'a Order,
    mode: Mode,
    cross_site: bool,
    by_domain: bool,
    evacuated: Vec<bool>,
    before_mailstores: Vec<usize>,
    footprint: Vec<u64>,
    ceil_bytes: Vec<u64>,
    ceil_count: Vec<u64>,
    /// Mailboxes on stores that need an upgrade (the others never move).
    movable: Vec<u32>,
    loc: Vec<u32>,
    bytes: Vec<u64>,
    count: Vec<u64>,
    done: Vec<bool>,
    upgraded: Vec<bool>,
    failed: BTreeSet<Vec<u64>>,
    nodes: u64,
    /// The most nodes it may visit.
    budget: u64,
    /// The stores emptied, last first, with their mailboxes' targets.
    found: Vec<(usize, Vec<(u32, u32)>)>,
}

/// An emptying order and placement that empties every store, if the search
/// finds one within its budget; and the nodes it visited.
fn search(
    inv: &Inventory,
    policy: &Policy,
    order: &Order,
    mode: Mode,
    now: jiff::Timestamp,
    start: &Start,
    budget: u64,
) -> (Option<Guide>, u64) {
    let sched = Sched::new(inv, policy, order, mode, (now, start));
    let n = inv.servers.len();
    let place = &sched.place;
    let mut x = Exact {
        inv,
        order,
        mode,
        cross_site: policy.cross_site_moves,
        by_domain: policy.move_by == MoveBy::Domain,
        evacuated: (0..n).map(|s| sched.evacuated(s)).collect(),
        before_mailstores: sched.before_mailstores.clone(),
        footprint: place.footprint.clone(),
        ceil_bytes: place.ceil_bytes.clone(),
        ceil_count: place.ceil_count.clone(),
        movable: (0..inv.mailboxes.len() as u32)
            .filter(|&m| inv.server(inv.mailboxes[m as usize].store).needs_upgrade())
            .collect(),
        loc: place.loc.clone(),
        bytes: place.bytes.clone(),
        count: place.count.clone(),
        done: inv.servers.iter().map(|s| !s.needs_upgrade()).collect(),
        upgraded: vec![false; n],
        failed: BTreeSet::new(),
        nodes: 0,
        budget,
        found: Vec::new(),
    };
    if !x.solve() {
        return (None, x.nodes);
    }
    let mut guide = Guide {
        order: Vec::new(),
        targets: vec![Vec::new(); n],
    };
    for (s, mut moves) in x.found.into_iter().rev() {
        moves.sort_unstable();
        guide.order.push(s);
        guide.targets[s] = moves;
    }
    (Some(guide), x.nodes)
}

impl Exact<'_> {
    fn at_target(&self, t: usize) -> bool {
        self.inv.servers[t].status == AgainstTarget::At || self.upgraded[t]
    }

    fn tier_ready(&self) -> bool {
        self.before_mailstores.iter().all(|&i| self.upgraded[i])
    }

    fn reachable(&self, s: usize, t: usize) -> bool {
        t != s
            && self.inv.servers[t].is_mailstore()
            && (self.cross_site || self.inv.servers[s].site == self.inv.servers[t].site)
    }

    /// Whether `t` may receive mailboxes of `s` now, capacity aside.
    fn eligible(&self, s: usize, t: usize) -> bool {
        if !self.reachable(s, t) {
            return false;
        }
        let version = |i: usize| {
            if self.at_target(i) {
                &self.inv.target_version
            } else {
                &self.inv.servers[i].version
            }
        };
        let upgraded = self.at_target(t);
        // Upgraded stores receive once the tiers before the mailstores are
        // upgraded; under forward only they receive.
        let in_time = !upgraded || self.tier_ready();
        let strategy_allows = self.mode != Mode::Forward || upgraded;
        version(t) >= version(s) && in_time && strategy_allows
    }

    /// A store still to empty.
    fn pending(&self, s: usize) -> bool {
        !self.done[s] && self.evacuated[s] && self.count[s] > 0
    }

    /// Takes the servers the scheduler takes without a choice, noting them
    /// in `taken`, until it must choose a store to empty (or is done).
    fn advance(&mut self, taken: &mut Vec<usize>) -> Next {
        let n = self.inv.servers.len();
        loop {
            let ready = (0..n).filter(|&i| {
                !self.done[i]
                    && self.order.preds[i]
                        .iter()
                        .all(|(p, _)| self.done[p.index()])
            });
            let Some(rank) = ready.clone().map(|i| self.order.rank[i]).min() else {
                return Next::Done;
            };
            let level: Vec<usize> = ready.filter(|&i| self.order.rank[i] == rank).collect();
            let kind = |i: usize| -> u8 {
                if !self.inv.servers[i].is_mailstore() {
                    0
                } else if self.count[i] == 0 {
                    1
                } else if !self.evacuated[i] {
                    2
                } else {
                    3
                }
            };
            let simple = level
                .iter()
                .copied()
                .filter(|&i| kind(i) < 3)
                .min_by(|&a, &b| {
                    kind(a)
                        .cmp(&kind(b))
                        .then_with(|| self.inv.servers[a].name.cmp(&self.inv.servers[b].name))
                });
            match simple {
                Some(i) => {
                    self.done[i] = true;
                    self.upgraded[i] = true;
                    taken.push(i);
                }
                None => return Next::Choose(level),
            }
        }
    }

    fn units(&self, s: usize) -> Vec<Unit> {
        let mut units: Vec<Unit> = Vec::new();
        for &m in &self.movable {
            if self.loc[m as usize] as usize != s {
                continue;
            }
            let fp = self.footprint[m as usize];
            let domain = self.inv.mailboxes[m as usize].account.domain();
            let same = |u: &&mut Unit| {
                self.inv.mailboxes[u.members[0] as usize].account.domain() == domain
            };
            match units.iter_mut().find(same).filter(|_| self.by_domain) {
                Some(u) => {
                    u.members.push(m);
                    u.bytes = u.bytes.saturating_add(fp);
                    u.count += 1;
                }
                None => units.push(Unit {
                    members: vec![m],
                    bytes: fp,
                    count: 1,
                }),
            }
        }
        units.sort_by(|a, b| (b.bytes, b.count, &a.members).cmp(&(a.bytes, a.count, &b.members)));
        units
    }

    fn key(&self) -> Vec<u64> {
        let mut key: Vec<u64> = self
            .done
            .chunks(64)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u64, |k, (i, &d)| k | (u64::from(d) << i))
            })
            .collect();
        for &m in &self.movable {
            let l = self.loc[m as usize] as usize;
            key.push(if self.at_target(l) {
                u64::MAX
            } else {
                l as u64
            });
        }
        for t in 0..self.inv.servers.len() {
            if self.at_target(t) && self.inv.servers[t].is_mailstore() {
                key.push(self.bytes[t]);
                key.push(self.count[t]);
            }
        }
        key
    }

    /// Whether the budget is spent (counting this node).
    fn spent(&mut self) -> bool {
        self.nodes += 1;
        self.nodes > self.budget
    }

    /// Necessary conditions: every unit of a store to empty fits some store
    /// it could ever reach, and everything fits in the stores that share
    /// mailboxes (a site, or all with cross-site moves) without the store
    /// emptied last.
    fn hopeless(&self) -> bool {
        let n = self.inv.servers.len();
        let stores: Vec<usize> = (0..n)
            .filter(|&t| self.inv.servers[t].is_mailstore())
            .collect();
        // The most a store can hold from now on, and its room.
        let cap = |t: usize| -> (u64, u64) {
            if self.pending(t) {
                (self.ceil_bytes[t], self.ceil_count[t])
            } else {
                (
                    self.ceil_bytes[t].max(self.bytes[t]),
                    self.ceil_count[t].max(self.count[t]),
                )
            }
        };
        let room = |t: usize| -> (u64, u64) {
            if self.pending(t) {
                (self.ceil_bytes[t], self.ceil_count[t])
            } else {
                (
                    self.ceil_bytes[t].saturating_sub(self.bytes[t]),
                    self.ceil_count[t].saturating_sub(self.count[t]),
                )
            }
        };
        for &s in stores.iter().filter(|&&s| self.pending(s)) {
            for u in self.units(s) {
                let fits = stores.iter().any(|&t| {
                    let (b, c) = room(t);
                    self.reachable(s, t) && u.bytes <= b && u.count <= c
                });
                if !fits {
                    return true;
                }
            }
            let group: Vec<usize> = stores
                .iter()
                .copied()
                .filter(|&t| t == s || self.reachable(s, t))
                .collect();
            let total = |f: &dyn Fn(usize) -> u64| -> u128 {
                group.iter().map(|&t| u128::from(f(t))).sum()
            };
            let (held_b, held_c) = (total(&|t| self.bytes[t]), total(&|t| self.count[t]));
            let (cap_b, cap_c) = (total(&|t| cap(t).0), total(&|t| cap(t).1));
            let fits = group.iter().filter(|&&z| self.pending(z)).any(|&z| {
                held_b <= cap_b - u128::from(cap(z).0) && held_c <= cap_c - u128::from(cap(z).1)
            });
            if !fits {
                return true;
            }
        }
        false
    }

    fn solve(&mut self) -> bool {
        let mut taken = Vec::new();
        let solved = match self.advance(&mut taken) {
            Next::Done => true,
            Next::Choose(level) => self.choose(&level),
        };
        if !solved {
            for i in taken {
                self.done[i] = false;
                self.upgraded[i] = false;
            }
        }
        solved
    }

    fn choose(&mut self, level: &[usize]) -> bool {
        if self.spent() {
            return false;
        }
        let key = self.key();
        if self.failed.contains(&key) {
            return false;
        }
        if !self.hopeless() {
            for &s in level {
                let units = self.units(s);
                let targets: Vec<usize> = (0..self.inv.servers.len())
                    .filter(|&t| self.eligible(s, t))
                    .collect();
                let mut choice = vec![0; units.len()];
                if self.place(s, &units, &targets, 0, &mut choice) {
                    return true;
                }
                if self.nodes > self.budget {
                    return false;
                }
            }
        }
        self.failed.insert(key);
        false
    }

    /// Places units `k..` of `s` on `targets` (`choice` holds the targets of
    /// the units before), then goes on with the next store.
    fn place(
        &mut self,
        s: usize,
        units: &[Unit],
        targets: &[usize],
        k: usize,
        choice: &mut [usize],
    ) -> bool {
        if k == units.len() {
            return self.empty(s, units, targets, choice);
        }
        if self.spent() {
            return false;
        }
        let (rest_b, rest_c) = units[k..].iter().fold((0u64, 0u64), |(b, c), u| {
            (b.saturating_add(u.bytes), c + u.count)
        });
        let (room_b, room_c) = targets.iter().fold((0u64, 0u64), |(b, c), &t| {
            (
                b.saturating_add(self.ceil_bytes[t].saturating_sub(self.bytes[t])),
                c.saturating_add(self.ceil_count[t].saturating_sub(self.count[t])),
            )
        });
        if rest_b > room_b || rest_c > room_c {
            return false;
        }
        let unit = &units[k];
        // Mailboxes alike are interchangeable: their targets go in order.
        let from = match k.checked_sub(1).map(|p| &units[p]) {
            Some(p) if !self.by_domain && p.bytes == unit.bytes => choice[k - 1],
            _ => 0,
        };
        // Stores at the target version first (what goes there moves once),
        // then best fit: the target left with the least room, which keeps
        // the others' room for what follows.
        let mut fitting: Vec<(bool, u64, usize)> = Vec::with_capacity(targets.len());
        for (j, &t) in targets.iter().enumerate().skip(from) {
            let b = self.bytes[t].saturating_add(unit.bytes);
            if b <= self.ceil_bytes[t] && self.count[t] + unit.count <= self.ceil_count[t] {
                fitting.push((!self.at_target(t), self.ceil_bytes[t] - b, j));
            }
        }
        fitting.sort_unstable();
        for (_, _, j) in fitting {
            let t = targets[j];
            let (b, c) = (
                self.bytes[t].saturating_add(unit.bytes),
                self.count[t] + unit.count,
            );
            let (old_b, old_c) = (self.bytes[t], self.count[t]);
            self.bytes[t] = b;
            self.count[t] = c;
            choice[k] = j;
            if self.place(s, units, targets, k + 1, choice) {
                return true;
            }
            self.bytes[t] = old_b;
            self.count[t] = old_c;
            if self.nodes > self.budget {
                return false;
            }
        }
        false
    }

    /// With every unit of `s` charged to its target: empties and upgrades
    /// `s`, and goes on; undoes it unless that succeeds.
    fn empty(&mut self, s: usize, units: &[Unit], targets: &[usize], choice: &[usize]) -> bool {
        let mut moves = Vec::new();
        for (u, &j) in units.iter().zip(choice) {
            for &m in &u.members {
                self.loc[m as usize] = targets[j] as u32;
                moves.push((m, targets[j] as u32));
            }
        }
        let (b, c) = (self.bytes[s], self.count[s]);
        self.bytes[s] = 0;
        self.count[s] = 0;
        self.done[s] = true;
        self.upgraded[s] = true;
        if self.solve() {
            self.found.push((s, moves));
            return true;
        }
        self.done[s] = false;
        self.upgraded[s] = false;
        self.bytes[s] = b;
        self.count[s] = c;
        for (m, _) in moves {
            self.loc[m as usize] = s as u32;
        }
        false
    }
}
