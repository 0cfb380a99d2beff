//! Placement: where each mailbox of a store being emptied goes.
//!
//! Capacity is kept per store over both dimensions, bytes (with the policy's
//! size overhead) and accounts, at `max_fill`. A target is charged for a
//! mailbox from the moment it is planned, so every later decision sees the
//! copies in flight. Units (mailboxes, or whole domains) are placed largest
//! first, each on the best eligible store: the strategy decides which stores
//! are eligible and which are preferred, and among equals the lowest resulting
//! fill wins, then the name, except that a target already taking the same
//! store's mailboxes keeps them while it stays within [`KEEP_TOGETHER_PPM`] of
//! the lowest (few batches, not one per mailbox). Every store considered gets a verdict; the move
//! steps carry their target's and the five most telling others' for `explain`,
//! and count the rest by verdict.
//!
//! Placement decides and the schedule commits: the functions here read a
//! [`View`] of the schedule and the [`State`] of the stores and return their
//! decision; only [`State::commit`] and [`State::bring_back`] change the
//! state. So placement does not depend on the scheduler that calls it.
//!
//! A store emptied keeps the disk of the copies switched off it until it is
//! purged (rule 7). Under `purge: before-reuse` the schedule purges it before
//! it next receives a copy, so its bytes are released when its accounts
//! leave; under `at-end` and `never` they stay charged to the end.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::reason::Limit;
use super::start::Start;
use crate::inventory::{
    AgainstTarget, Bytes, Inventory, MoveBy, Policy, PurgePolicy, ServerId, Version,
};
use crate::plan::Verdict;

/// How targets are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `auto`: stores at the target version first, then the others.
    Greedy,
    /// `spread`: every store of the site alike, balancing fill.
    Spread,
    /// `spare`: spare stores only, and back after the upgrade.
    Spare,
    /// `forward`: stores at the target version only.
    Forward,
}

/// Capacity and location of every mailbox during one attempt.
pub struct State {
    /// The store each mailbox is on (or switching to).
    pub loc: Vec<u32>,
    /// The mailboxes on each store.
    pub on_store: Vec<Vec<u32>>,
    /// Committed bytes per store (with overhead), copies in flight included.
    pub bytes: Vec<u64>,
    /// Committed accounts per store.
    pub count: Vec<u64>,
    pub ceil_bytes: Vec<u64>,
    pub ceil_count: Vec<u64>,
    /// Stores above their ceiling since the start, until they are below.
    pub over: Vec<bool>,
    /// Each mailbox's size for capacity.
    pub footprint: Vec<u64>,
    /// How many times each mailbox has moved.
    pub moves: Vec<u8>,
    pub parked: bool,
    /// Each server's rank by name, for ties (sorted once, not per decision).
    pub name_rank: Vec<u32>,
    /// Whether a store keeps the disk of the copies switched off it to the
    /// end (`purge: at-end` or `never`). Under `before-reuse` a store is
    /// purged before it receives again, so its disk counts as freed.
    pub keeps_copies: bool,
}

impl State {
    pub fn new(inv: &Inventory, policy: &Policy) -> State {
        let n = inv.servers.len();
        let mut on_store: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut bytes = vec![0u64; n];
        let mut count = vec![0u64; n];
        let footprint: Vec<u64> = inv
            .mailboxes
            .iter()
            .map(|m| m.size.with_overhead(policy.size_overhead).0)
            .collect();
        let mut loc = Vec::with_capacity(inv.mailboxes.len());
        for (i, m) in inv.mailboxes.iter().enumerate() {
            let s = m.store.index();
            on_store[s].push(i as u32);
            bytes[s] = bytes[s].saturating_add(footprint[i]);
            count[s] += 1;
            loc.push(m.store.0);
        }
        let mut ceil_bytes = vec![0u64; n];
        let mut ceil_count = vec![0u64; n];
        for (i, s) in inv.servers.iter().enumerate() {
            if let Some(c) = s.capacity {
                ceil_bytes[i] = policy.max_fill.of(c.disk.0);
                ceil_count[i] = c.mailboxes.map_or(u64::MAX, |m| policy.max_fill.of(m));
            }
        }
        let over = (0..n)
            .map(|i| bytes[i] > ceil_bytes[i] || count[i] > ceil_count[i])
            .collect();
        let mut by_name: Vec<usize> = (0..n).collect();
        by_name.sort_unstable_by(|&a, &b| inv.servers[a].name.cmp(&inv.servers[b].name));
        let mut name_rank = vec![0u32; n];
        for (r, &i) in by_name.iter().enumerate() {
            name_rank[i] = r as u32;
        }
        State {
            loc,
            on_store,
            bytes,
            count,
            ceil_bytes,
            ceil_count,
            over,
            footprint,
            moves: vec![0; inv.mailboxes.len()],
            parked: false,
            name_rank,
            keeps_copies: policy.purge != PurgePolicy::BeforeReuse,
        }
    }

    /// How many mailboxes a store holds.
    pub fn holds(&self, s: usize) -> usize {
        self.on_store[s].len()
    }

    /// Whether store `t` stays within its ceilings holding `(bytes, count)`.
    fn within(&self, t: usize, (bytes, count): (u64, u64)) -> bool {
        bytes <= self.ceil_bytes[t] && count <= self.ceil_count[t]
    }

    /// The committed loads of the eligible stores, as placement's tentative
    /// loads start.
    fn loads(&self, eligible: &[(usize, Preference)]) -> Vec<(u64, u64)> {
        eligible
            .iter()
            .map(|(t, _)| (self.bytes[*t], self.count[*t]))
            .collect()
    }

    fn fill_ppm(&self, t: usize, bytes: u64, count: u64) -> u64 {
        // Millionths of the ceiling; in 64 bits when they fit (128-bit
        // division is several times slower, and this runs for every
        // mailbox and candidate).
        let ratio = |v: u64, c: u64| -> u64 {
            match (v.checked_mul(1_000_000), c) {
                (_, 0) => u64::MAX,
                (Some(scaled), _) => scaled / c,
                (None, _) => {
                    u64::try_from(u128::from(v) * 1_000_000 / u128::from(c)).unwrap_or(u64::MAX)
                }
            }
        };
        ratio(bytes, self.ceil_bytes[t]).max(ratio(count, self.ceil_count[t]))
    }

    /// Releases what leaves store `s`: its accounts, and its bytes unless
    /// the store keeps them until the end of the plan.
    fn release(&mut self, s: usize, bytes: u64, count: u64) {
        let bytes = if self.keeps_copies { 0 } else { bytes };
        self.bytes[s] = self.bytes[s].saturating_sub(bytes);
        self.count[s] = self.count[s].saturating_sub(count);
        if self.over[s]
            && self.bytes[s] <= self.ceil_bytes[s]
            && self.count[s] <= self.ceil_count[s]
        {
            self.over[s] = false;
        }
    }
}

impl State {
    /// Commits an evacuation: every placed mailbox is charged to its target
    /// from now on, and released from the store being emptied.
    pub fn commit(&mut self, ev: &Evacuation) {
        let s = ev.source;
        for (t, bytes, count, range) in &ev.placed {
            let t = *t;
            for &m in &ev.members[range.clone()] {
                self.loc[m as usize] = t as u32;
                self.moves[m as usize] = self.moves[m as usize].saturating_add(1);
                self.on_store[t].push(m);
            }
            self.bytes[t] = self.bytes[t].saturating_add(*bytes);
            self.count[t] += count;
            self.release(s, *bytes, *count);
        }
        self.parked |= ev.parks;
        self.on_store[s].clear();
    }

    /// Takes in what steps done before a resume left: the mailboxes of a
    /// copy waiting for its switch count as placed on its target (and moved
    /// once), and, where stores keep the copies switched off them to the end,
    /// the copies kept since take their disk.
    pub fn resume(&mut self, start: &Start) {
        for c in &start.copied {
            let (s, t) = (c.source.index(), c.target.index());
            for &m in &c.mailboxes {
                let Some(&fp) = self.footprint.get(m as usize) else {
                    continue;
                };
                self.loc[m as usize] = t as u32;
                self.moves[m as usize] = self.moves[m as usize].saturating_add(1);
                self.on_store[t].push(m);
                self.bytes[t] = self.bytes[t].saturating_add(fp);
                self.count[t] += 1;
                self.release(s, fp, 1);
            }
            let loc = &self.loc;
            self.on_store[s].retain(|m| loc[*m as usize] as usize == s);
        }
        if self.keeps_copies {
            for (&s, kept) in &start.kept {
                for &m in kept {
                    let fp = self.footprint.get(m as usize).copied().unwrap_or(0);
                    self.bytes[s] = self.bytes[s].saturating_add(fp);
                }
            }
        }
        for i in 0..self.bytes.len() {
            self.over[i] = self.bytes[i] > self.ceil_bytes[i] || self.count[i] > self.ceil_count[i];
        }
    }

    /// Commits the return of a store's mailboxes from the spares (`back`,
    /// from [`returns`]).
    pub fn bring_back(&mut self, s: usize, back: &[Batch]) {
        for b in back {
            let spare = b.source.index();
            for &m in &b.mailboxes {
                let fp = self.footprint[m as usize];
                self.release(spare, fp, 1);
                self.bytes[s] = self.bytes[s].saturating_add(fp);
                self.count[s] += 1;
                self.loc[m as usize] = s as u32;
                self.moves[m as usize] = self.moves[m as usize].saturating_add(1);
                self.on_store[s].push(m);
            }
            let loc = &self.loc;
            self.on_store[spare].retain(|m| loc[*m as usize] as usize == spare);
        }
    }
}

/// What placement reads of the schedule for one decision. The schedule
/// builds it; placement never sees the schedule itself.
pub struct View<'a> {
    pub inv: &'a Inventory,
    pub policy: &'a Policy,
    pub mode: Mode,
    /// Each server's booked upgrade wave, if any.
    pub upgrade_wave: &'a [Option<usize>],
    /// Whether every server ordered before the mailstores is scheduled, so
    /// that accounts may switch onto stores at the target version.
    pub tier_ready: bool,
    /// The order and targets to follow, when the exact search found them.
    pub guide: Option<&'a Guide>,
}

/// An emptying order and a placement given by the exact search
/// (`engine::exact`), which the schedule follows instead of choosing.
#[derive(Clone, Debug, Default)]
pub struct Guide {
    /// The stores to empty, in order.
    pub order: Vec<usize>,
    /// For each store, the target of each mailbox on it when it is emptied,
    /// as (mailbox, target) sorted by mailbox.
    pub targets: Vec<Vec<(u32, u32)>>,
}

impl Guide {
    /// The first store of the order among `level`, if any.
    pub fn next(&self, level: &[usize]) -> Option<usize> {
        self.order.iter().copied().find(|s| level.contains(s))
    }

    /// The target given to mailbox `m` of store `s`.
    fn target(&self, s: usize, m: u32) -> Option<usize> {
        let list = self.targets.get(s)?;
        let k = list.binary_search_by_key(&m, |(x, _)| *x).ok()?;
        Some(list[k].1 as usize)
    }
}

impl View<'_> {
    /// Whether a store is at the target version by the time it receives
    /// anything: moves onto a store whose upgrade is booked come after it.
    fn at_target(&self, t: usize) -> bool {
        self.inv.servers[t].status == AgainstTarget::At || self.upgrade_wave[t].is_some()
    }

    /// The version a store has when it receives mailboxes.
    fn version_at(&self, t: usize) -> &Version {
        if self.at_target(t) {
            &self.inv.target_version
        } else {
            &self.inv.servers[t].version
        }
    }

    fn same_site(&self, a: usize, b: usize) -> bool {
        self.inv.servers[a].site == self.inv.servers[b].site
    }
}

/// Which eligible stores are tried first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Preference {
    /// Tried first: under auto, stores at the target version; under the
    /// other strategies, every eligible store.
    First,
    /// Under auto, stores not yet upgraded: mailboxes parked there move again.
    Fallback,
    /// With `cross_site_moves`, a store of another site: tried only when no
    /// store of the source's own site has room (rule 10); those at the
    /// target version (`parks: false`) before the others.
    OtherSite {
        /// Whether the store is not yet upgraded.
        parks: bool,
    },
}

/// Whether a store may receive mailboxes of the store being emptied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Eligibility {
    /// It may, with this preference.
    Eligible(Preference),
    /// It may not, for this reason (the verdict the move steps carry).
    Ineligible(Verdict),
}

impl Eligibility {
    fn preference(&self) -> Option<Preference> {
        match self {
            Eligibility::Eligible(p) => Some(*p),
            Eligibility::Ineligible(_) => None,
        }
    }
}

/// The mailboxes going from one store to another in one phase.
pub struct Batch {
    pub source: ServerId,
    pub target: ServerId,
    pub mailboxes: Vec<u32>,
    pub domains: Vec<String>,
    pub why_data: String,
    pub why_switch: String,
    /// The target and at most [`LISTED`] other stores, in the inventory's order.
    pub candidates: Vec<(ServerId, Verdict)>,
    /// How many other stores were considered and not listed, by verdict.
    pub not_listed: Vec<(Verdict, u64)>,
    /// Whether its stage-1 copy was made before a resume: only its switch is left.
    pub copied: bool,
}

/// How many stores besides its target a move lists with their verdicts
/// (SPEC section 6): the rest are counted by verdict, so a plan does not grow
/// with the square of the stores.
pub const LISTED: usize = 5;

/// Mailboxes of a store that found no room.
pub struct Shortfall {
    pub store: ServerId,
    pub site: Option<String>,
    /// Bytes for capacity (with overhead) and accounts without a place.
    pub bytes: u64,
    pub mailboxes: u64,
    /// The stores that were eligible targets.
    pub eligible: Vec<ServerId>,
    /// Their committed bytes and their disks, when the shortfall was found.
    pub eligible_used: u128,
    pub eligible_disk: u128,
    /// What limited the targets.
    pub limited_by: Limit,
    /// Whether stores of other sites have the room.
    pub other_sites_have_room: bool,
    /// Set when stores at the target version could not take accounts yet
    /// (the servers ordered before the mailstores are not all upgraded): a
    /// new store must then be at the source's version to help.
    pub tier_blocked: Option<Version>,
    /// The attempt's mode.
    pub mode: Mode,
}

/// Where every mailbox of a store goes, decided but not yet committed (see
/// [`State::commit`]).
pub struct Evacuation {
    /// The store being emptied.
    source: usize,
    /// Its mailboxes; the placed units' ranges point into this list.
    members: Vec<u32>,
    /// Each unit placed, in placement order: target, bytes, accounts, members.
    placed: Vec<(usize, u64, u64, Range<usize>)>,
    /// Whether a target is not at the target version (its mailboxes move again).
    parks: bool,
    /// The moves, one per target.
    pub batches: Vec<Batch>,
}

/// A group of mailboxes that moves as one: a mailbox, or a domain's mailboxes.
struct Unit<'a> {
    /// Its mailboxes, as a range of the phase's member list.
    members: Range<usize>,
    bytes: u64,
    count: u64,
    moved_before: bool,
    /// The account or the domain, for ties.
    key: &'a str,
}

impl Unit<'_> {
    /// A store's `(bytes, accounts)` once it holds this unit too.
    fn on(&self, (bytes, count): (u64, u64)) -> (u64, u64) {
        (bytes.saturating_add(self.bytes), count + self.count)
    }
}

/// Each mailstore that may be considered for mailboxes of `s` (same site unless
/// cross-site moves are allowed), with whether it is eligible.
fn candidates(view: &View<'_>, state: &State, s: usize) -> Vec<(usize, Eligibility)> {
    let source_version = view.version_at(s);
    let mut out = Vec::new();
    for (t, server) in view.inv.servers.iter().enumerate() {
        if t == s || !server.is_mailstore() {
            continue;
        }
        if !view.policy.cross_site_moves && !view.same_site(s, t) {
            continue;
        }
        let upgraded = view.at_target(t);
        let ineligible = |v: Verdict| Eligibility::Ineligible(v);
        let eligibility = if view.version_at(t) < source_version {
            ineligible(Verdict::OlderVersion {
                version: view.version_at(t).clone(),
            })
        } else if upgraded && !view.tier_ready {
            ineligible(Verdict::TiersNotUpgraded)
        } else if state.over[t] {
            ineligible(Verdict::AboveCeiling)
        } else {
            match view.mode {
                Mode::Forward if !upgraded => ineligible(Verdict::NotAtTargetVersion),
                Mode::Spare if !server.spare => ineligible(Verdict::NotASpare),
                _ if !view.same_site(s, t) => Eligibility::Eligible(Preference::OtherSite {
                    parks: view.mode == Mode::Greedy && !upgraded,
                }),
                Mode::Greedy if !upgraded => Eligibility::Eligible(Preference::Fallback),
                _ => Eligibility::Eligible(Preference::First),
            }
        };
        out.push((t, eligibility));
    }
    out
}

/// The units of a store, in placement order, with the member list their
/// ranges point into (no allocation per unit: a million mailboxes are a
/// million units).
fn units_of<'a>(view: &View<'a>, state: &State, s: usize) -> (Vec<u32>, Vec<Unit<'a>>) {
    let inv = view.inv;
    let mut members: Vec<u32> = state.on_store[s].clone();
    let mut units: Vec<Unit<'a>> = Vec::new();
    match view.policy.move_by {
        MoveBy::Account => {
            units.reserve(members.len());
            for (k, &m) in members.iter().enumerate() {
                units.push(Unit {
                    members: k..k + 1,
                    bytes: state.footprint[m as usize],
                    count: 1,
                    moved_before: state.moves[m as usize] > 0,
                    key: inv.mailboxes[m as usize].account.as_str(),
                });
            }
        }
        MoveBy::Domain => {
            let domain = |m: u32| inv.mailboxes[m as usize].account.domain();
            members.sort_by(|a, b| domain(*a).cmp(domain(*b)).then(a.cmp(b)));
            let mut start = 0;
            while start < members.len() {
                let key = domain(members[start]);
                let mut end = start;
                let (mut bytes, mut moved_before) = (0u64, false);
                while end < members.len() && domain(members[end]) == key {
                    let m = members[end] as usize;
                    bytes = bytes.saturating_add(state.footprint[m]);
                    moved_before |= state.moves[m] > 0;
                    end += 1;
                }
                units.push(Unit {
                    members: start..end,
                    bytes,
                    count: (end - start) as u64,
                    moved_before,
                    key,
                });
                start = end;
            }
        }
    }
    // Under auto, mailboxes that moved before go first, so that they find
    // room on upgraded stores and do not move a third time.
    let greedy = view.mode == Mode::Greedy;
    units.sort_by(|a, b| {
        (greedy && b.moved_before)
            .cmp(&(greedy && a.moved_before))
            .then(b.bytes.cmp(&a.bytes))
            .then_with(|| a.key.cmp(b.key))
    });
    (members, units)
}

/// How far above the lowest resulting fill a target that already takes
/// mailboxes of the same store may go, in millionths of its ceiling (5
/// points). Within it the store's mailboxes stay on the targets they already
/// go to: each (source, target) pair is one batch, one command with one
/// destination, so an evacuation onto many alike stores makes a few batches
/// rather than one per mailbox.
pub const KEEP_TOGETHER_PPM: u64 = 50_000;

/// The units that found room, by eligible store (an index into `eligible`),
/// and the bytes and accounts of those that did not.
fn assign(
    state: &State,
    eligible: &[(usize, Preference)],
    units: &[Unit<'_>],
) -> (Vec<Option<usize>>, u64, u64) {
    // Tentative loads of the eligible stores.
    let mut load = state.loads(eligible);
    // Each eligible store's rank by name, for ties.
    let name_rank: Vec<u32> = eligible.iter().map(|(t, _)| state.name_rank[*t]).collect();
    let fill_now =
        |k: usize, load: &[(u64, u64)]| state.fill_ppm(eligible[k].0, load[k].0, load[k].1);
    // Every eligible store, and those already taking units of this store,
    // by (preference, fill now, name).
    let mut order: BTreeSet<Key> = (0..eligible.len())
        .map(|k| (eligible[k].1, fill_now(k, &load), name_rank[k], k))
        .collect();
    let mut taking: BTreeSet<Key> = BTreeSet::new();
    let mut assigned: Vec<Option<usize>> = Vec::with_capacity(units.len());
    let (mut short_bytes, mut short_count) = (0u64, 0u64);
    for unit in units {
        let lowest = lowest_fill(state, eligible, &load, &order, unit, None);
        // A target already taking this store's units, of the same preference
        // and within the slack, keeps taking them.
        let best = lowest.map(|low| {
            let bound = (low.0, low.1.saturating_add(KEEP_TOGETHER_PPM));
            lowest_fill(state, eligible, &load, &taking, unit, Some(bound)).unwrap_or(low)
        });
        match best {
            Some((preference, _, rank, k)) => {
                let before = (preference, fill_now(k, &load), rank, k);
                order.remove(&before);
                taking.remove(&before);
                load[k] = unit.on(load[k]);
                let after = (preference, fill_now(k, &load), rank, k);
                order.insert(after);
                taking.insert(after);
                assigned.push(Some(k));
            }
            None => {
                short_bytes = short_bytes.saturating_add(unit.bytes);
                short_count += unit.count;
                assigned.push(None);
            }
        }
    }
    (assigned, short_bytes, short_count)
}

/// A store as placement orders them: (preference, fill in millionths, name
/// rank, index into the eligible stores).
type Key = (Preference, u64, u32, usize);

/// Among `stores`, the one where `unit` fits with the best (preference,
/// resulting fill, name), as a [`Key`] with the resulting fill; with a
/// `bound`, only one whose resulting fill is at most the bound's. A store's
/// fill after taking a unit is at least its fill now, so the search stops at
/// the first store whose fill now is above the best found (or the bound):
/// the same choice as trying every store, without trying every store for
/// every unit.
fn lowest_fill(
    state: &State,
    eligible: &[(usize, Preference)],
    load: &[(u64, u64)],
    stores: &BTreeSet<Key>,
    unit: &Unit<'_>,
    bound: Option<(Preference, u64)>,
) -> Option<Key> {
    let mut best: Option<Key> = None;
    for &(preference, now, rank, k) in stores {
        let limit = best.map(|(bp, bf, _, _)| (bp, bf)).or(bound);
        if limit.is_some_and(|limit| (preference, now) > limit) {
            break;
        }
        let t = eligible[k].0;
        let (b, c) = unit.on(load[k]);
        if !state.within(t, (b, c)) {
            continue;
        }
        let candidate = (preference, state.fill_ppm(t, b, c), rank, k);
        if bound.is_some_and(|bound| (candidate.0, candidate.1) > bound) {
            continue;
        }
        if best.is_none_or(|b| candidate < b) {
            best = Some(candidate);
        }
    }
    best
}

/// The units on the targets the guide gives (by an index into `eligible`),
/// and the bytes and accounts of those whose target is not eligible or has
/// no room (which the exact search rules out).
fn guided(
    guide: &Guide,
    state: &State,
    s: usize,
    eligible: &[(usize, Preference)],
    members: &[u32],
    units: &[Unit<'_>],
) -> (Vec<Option<usize>>, u64, u64) {
    let mut load = state.loads(eligible);
    let mut assigned = Vec::with_capacity(units.len());
    let (mut short_bytes, mut short_count) = (0u64, 0u64);
    for unit in units {
        let k = guide
            .target(s, members[unit.members.start])
            .and_then(|t| eligible.iter().position(|(e, _)| *e == t))
            .filter(|&k| state.within(eligible[k].0, unit.on(load[k])));
        if let Some(k) = k {
            load[k] = unit.on(load[k]);
        } else {
            short_bytes = short_bytes.saturating_add(unit.bytes);
            short_count += unit.count;
        }
        assigned.push(k);
    }
    (assigned, short_bytes, short_count)
}

/// The shortfall of a store whose units did not all find room.
fn shortfall(
    view: &View<'_>,
    state: &State,
    s: usize,
    eligible: &[(usize, Preference)],
    (bytes, mailboxes): (u64, u64),
) -> Shortfall {
    let inv = view.inv;
    let other_room: u64 = inv
        .servers
        .iter()
        .enumerate()
        .filter(|(t, srv)| srv.is_mailstore() && *t != s && !view.same_site(s, *t))
        .map(|(t, _)| state.ceil_bytes[t].saturating_sub(state.bytes[t]))
        .sum();
    let limited_by = match view.mode {
        Mode::Forward => Limit::TargetVersionStores,
        Mode::Spare => Limit::SpareStores,
        Mode::Greedy | Mode::Spread => Limit::OtherStores,
    };
    Shortfall {
        store: ServerId(s as u32),
        site: inv.servers[s].site.clone(),
        bytes,
        mailboxes,
        eligible: eligible.iter().map(|(t, _)| ServerId(*t as u32)).collect(),
        eligible_used: eligible
            .iter()
            .map(|(t, _)| u128::from(state.bytes[*t]))
            .sum(),
        eligible_disk: eligible
            .iter()
            .map(|(t, _)| u128::from(inv.servers[*t].capacity.map_or(0, |c| c.disk.0)))
            .sum(),
        limited_by,
        other_sites_have_room: !view.policy.cross_site_moves && other_room >= bytes,
        tier_blocked: (!view.tier_ready).then(|| view.version_at(s).clone()),
        mode: view.mode,
    }
}

/// Plans where every mailbox of `s` goes, or says what found no room. Nothing
/// changes until the caller commits the result.
pub fn evacuate(view: &View<'_>, state: &State, s: usize) -> Result<Evacuation, Box<Shortfall>> {
    let cands = candidates(view, state, s);
    let (members, units) = units_of(view, state, s);
    let eligible: Vec<(usize, Preference)> = cands
        .iter()
        .filter_map(|(t, e)| e.preference().map(|p| (*t, p)))
        .collect();
    let (assigned, short_bytes, short_count) = match view.guide {
        Some(guide) => guided(guide, state, s, &eligible, &members, &units),
        None => assign(state, &eligible, &units),
    };
    if short_count > 0 {
        return Err(Box::new(shortfall(
            view,
            state,
            s,
            &eligible,
            (short_bytes, short_count),
        )));
    }

    let mut placed = Vec::with_capacity(units.len());
    let mut per_target: BTreeMap<usize, (Vec<u32>, Vec<String>, Preference)> = BTreeMap::new();
    for (unit, k) in units.iter().zip(&assigned) {
        let Some(k) = *k else { continue };
        let (t, preference) = eligible[k];
        let entry = per_target
            .entry(t)
            .or_insert_with(|| (Vec::new(), Vec::new(), preference));
        entry.0.extend_from_slice(&members[unit.members.clone()]);
        if view.policy.move_by == MoveBy::Domain {
            entry.1.push(unit.key.to_string());
        }
        placed.push((t, unit.bytes, unit.count, unit.members.clone()));
    }
    let smallest = units
        .iter()
        .map(|u| (u.bytes, u.count))
        .min()
        .unwrap_or((0, 0));
    let listing = Listing::of(state, verdicts(view, state, &cands, &per_target, smallest));
    let parks = per_target.keys().any(|&t| !view.at_target(t));
    let batches = per_target
        .into_iter()
        .map(|(t, (mailboxes, domains, preference))| {
            batch(view, s, t, mailboxes, domains, preference, &listing)
        })
        .collect();
    Ok(Evacuation {
        source: s,
        members,
        placed,
        parks,
        batches,
    })
}

/// The verdict on every store considered, for the explanation of every batch
/// (`Chosen` for each target; each batch then tells its own target from the
/// others). The state is the one before the commit: only the chosen targets
/// and the source change with it, and neither is judged on its fill here.
fn verdicts(
    view: &View<'_>,
    state: &State,
    cands: &[(usize, Eligibility)],
    per_target: &BTreeMap<usize, (Vec<u32>, Vec<String>, Preference)>,
    smallest: (u64, u64),
) -> Vec<(usize, Verdict)> {
    cands
        .iter()
        .map(|(t, e)| {
            let verdict = match e {
                Eligibility::Ineligible(reason) => reason.clone(),
                Eligibility::Eligible(_) if per_target.contains_key(t) => Verdict::Chosen,
                Eligibility::Eligible(_) => {
                    let full = !state.within(
                        *t,
                        (
                            state.bytes[*t].saturating_add(smallest.0),
                            state.count[*t] + smallest.1,
                        ),
                    );
                    if full {
                        Verdict::Full {
                            max_fill: view.policy.max_fill,
                        }
                    } else {
                        Verdict::LessPreferred
                    }
                }
            };
            (*t, verdict)
        })
        .collect()
}

/// What one move lists: its candidates, and the counts of those not listed.
type Listed = (Vec<(ServerId, Verdict)>, Vec<(Verdict, u64)>);

/// Which stores the moves of one evacuation list, and the counts of the
/// others: built once per evacuation, so each move costs the same whatever
/// the number of stores.
struct Listing {
    /// The [`LISTED`] + 1 most telling verdicts (see [`telling`]), best
    /// first; one move's target may be among them.
    top: Vec<(usize, Verdict)>,
    /// Every store considered, counted by verdict (in [`telling`] order, then
    /// by the verdict's text), a chosen store as chosen for other mailboxes.
    counts: Vec<(Verdict, u64)>,
}

/// The order in which a move's runners-up are listed: the stores that could
/// have taken the mailboxes and lost (less preferred), then those that were
/// full, then the other targets of the same store, then those that were
/// ruled out, the nearest to eligible first.
fn telling(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::LessPreferred => 0,
        Verdict::Full { .. } => 1,
        Verdict::Chosen | Verdict::ChosenForOtherMailboxes | Verdict::ChosenReturn => 2,
        Verdict::AboveCeiling => 3,
        Verdict::TiersNotUpgraded => 4,
        Verdict::NotAtTargetVersion | Verdict::NotASpare => 5,
        Verdict::OlderVersion { .. } => 6,
        _ => 7,
    }
}

/// A store chosen for the evacuation, as the moves to its other targets see it.
fn as_other(verdict: &Verdict) -> Verdict {
    match verdict {
        Verdict::Chosen => Verdict::ChosenForOtherMailboxes,
        v => v.clone(),
    }
}

impl Listing {
    fn of(state: &State, verdicts: Vec<(usize, Verdict)>) -> Listing {
        let name = |t: usize| state.name_rank[t];
        let mut top: Vec<(usize, Verdict)> = Vec::with_capacity(LISTED + 2);
        let mut counts: Vec<(Verdict, u64)> = Vec::new();
        for (t, verdict) in verdicts {
            let other = as_other(&verdict);
            match counts.iter_mut().find(|(v, _)| *v == other) {
                Some((_, n)) => *n += 1,
                None => counts.push((other, 1)),
            }
            let key = (telling(&verdict), name(t));
            let at = top.partition_point(|(u, v)| (telling(v), name(*u)) <= key);
            if at <= LISTED {
                top.insert(at, (t, verdict));
                top.truncate(LISTED + 1);
            }
        }
        counts.sort_by_cached_key(|(v, _)| (telling(v), v.to_string()));
        Listing { top, counts }
    }

    /// What the move to `t` lists: `t` and at most [`LISTED`] others, in the
    /// inventory's order, and the counts of the stores not listed.
    fn for_target(&self, t: usize) -> Listed {
        let mut listed: Vec<(ServerId, Verdict)> = self
            .top
            .iter()
            .filter(|(c, _)| *c != t)
            .take(LISTED)
            .map(|(c, v)| (ServerId(*c as u32), as_other(v)))
            .collect();
        let mut counts = self.counts.clone();
        let mut uncount = |verdict: &Verdict| {
            if let Some((_, n)) = counts.iter_mut().find(|(v, _)| v == verdict) {
                *n = n.saturating_sub(1);
            }
        };
        for (_, v) in &listed {
            uncount(v);
        }
        if let Some((_, v)) = self.top.iter().find(|(c, _)| *c == t) {
            uncount(&as_other(v));
            listed.push((ServerId(t as u32), v.clone()));
        } else {
            // Beyond the top: a target is always chosen.
            uncount(&Verdict::ChosenForOtherMailboxes);
            listed.push((ServerId(t as u32), Verdict::Chosen));
        }
        listed.sort_by_key(|(c, _)| *c);
        counts.retain(|(_, n)| *n > 0);
        (listed, counts)
    }
}

/// One move of a store's mailboxes to one target, with its `why`s.
fn batch(
    view: &View<'_>,
    s: usize,
    t: usize,
    mut mailboxes: Vec<u32>,
    mut domains: Vec<String>,
    preference: Preference,
    listing: &Listing,
) -> Batch {
    let inv = view.inv;
    mailboxes.sort_unstable();
    domains.sort();
    let n = mailboxes.len();
    // With size_overhead, as the steps' `bytes`.
    let bytes: u64 = mailboxes
        .iter()
        .map(|&m| {
            inv.mailboxes[m as usize]
                .size
                .with_overhead(view.policy.size_overhead)
                .0
        })
        .sum();
    let source_name = inv.servers[s].name.as_str();
    let target_name = inv.servers[t].name.as_str();
    let reason = match (view.mode, preference) {
        _ if view.guide.is_some() => {
            let version = if view.at_target(t) {
                "at the target version, so they move once"
            } else {
                "not yet upgraded, so they move again later"
            };
            format!(
                "the target the exhaustive search found, as no balancing placement had room for every mailbox; {version}"
            )
        }
        (_, Preference::OtherSite { parks }) => {
            let site = inv.servers[s]
                .site
                .as_deref()
                .map_or(String::new(), |x| format!(" {x}"));
            let then = if parks {
                "; not yet upgraded, so they move again later"
            } else {
                ""
            };
            format!(
                "in another site: no store of their own site{site} has room (cross_site_moves){then}"
            )
        }
        (Mode::Spare, _) => "a spare store: they come back after the upgrade".to_string(),
        (Mode::Spread, _) => {
            let site = inv.servers[s]
                .site
                .as_deref()
                .map_or(String::new(), |x| format!(" of site {x}"));
            format!("balancing fill among the stores{site}, on few targets")
        }
        (_, Preference::First) => "already at the target version, so they move once".to_string(),
        (_, Preference::Fallback) => {
            "not yet upgraded: no store at the target version has room, so they move again later"
                .to_string()
        }
    };
    let what = match domains.len() {
        0 => format!("{n} mailbox{} ({})", plural_es(n), Bytes(bytes)),
        d => format!(
            "{d} domain{} ({n} mailbox{}, {})",
            if d == 1 { "" } else { "s" },
            plural_es(n),
            Bytes(bytes)
        ),
    };
    let them = if n == 1 { "it" } else { "them" };
    let (candidates, not_listed) = listing.for_target(t);
    Batch {
        source: ServerId(s as u32),
        target: ServerId(t as u32),
        why_data: format!(
            "stage 1 of emptying {source_name}: copy {what} to {target_name}, {reason}"
        ),
        why_switch: if view.policy.two_stage_moves {
            format!(
                "stage 2 of emptying {source_name}: copy the changes of {what} and switch {them} to {target_name}"
            )
        } else {
            format!("empty {source_name}: move {what} to {target_name} and switch {them}, {reason}")
        },
        mailboxes,
        domains,
        candidates,
        not_listed,
        copied: false,
    }
}

fn plural_es(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// Under `spare`: the moves that bring a store's mailboxes back from the
/// spares, or the shortfall when they do not all fit. Nothing changes until
/// the caller commits them with [`State::bring_back`].
pub fn returns(
    view: &View<'_>,
    state: &State,
    s: usize,
    out: &[Batch],
) -> Result<Vec<Batch>, Box<Shortfall>> {
    let inv = view.inv;
    let (bytes, count): (u64, u64) = out
        .iter()
        .flat_map(|b| b.mailboxes.iter())
        .fold((0, 0), |(b, c), &m| {
            (b.saturating_add(state.footprint[m as usize]), c + 1)
        });
    if state.bytes[s].saturating_add(bytes) > state.ceil_bytes[s]
        || state.count[s] + count > state.ceil_count[s]
    {
        return Err(Box::new(Shortfall {
            store: ServerId(s as u32),
            site: inv.servers[s].site.clone(),
            bytes: (state.bytes[s] + bytes).saturating_sub(state.ceil_bytes[s]),
            mailboxes: (state.count[s] + count).saturating_sub(state.ceil_count[s]),
            eligible: Vec::new(),
            eligible_used: 0,
            eligible_disk: 0,
            limited_by: Limit::OwnCeiling,
            other_sites_have_room: false,
            tier_blocked: None,
            mode: view.mode,
        }));
    }
    let name = inv.servers[s].name.as_str();
    let back = out
        .iter()
        .map(|b| {
            let moved_bytes: u64 = b
                .mailboxes
                .iter()
                .map(|&m| {
                    inv.mailboxes[m as usize]
                        .size
                        .with_overhead(view.policy.size_overhead)
                        .0
                })
                .sum();
            let n = b.mailboxes.len();
            let what = format!("{n} mailbox{} ({})", plural_es(n), Bytes(moved_bytes));
            let spare_name = inv.servers[b.target.index()].name.as_str();
            Batch {
                source: b.target,
                target: b.source,
                mailboxes: b.mailboxes.clone(),
                domains: b.domains.clone(),
                why_data: format!("restore {name}: copy {what} back from the spare {spare_name}"),
                why_switch: format!(
                    "restore {name}: switch {what} back from the spare {spare_name}"
                ),
                candidates: vec![(b.source, Verdict::ChosenReturn)],
                not_listed: Vec::new(),
                copied: false,
            }
        })
        .collect();
    Ok(back)
}

/// The room on the stores at the target version that may receive mailboxes
/// (in the same site, unless cross-site moves are allowed), by store: what
/// [`candidates`] would find eligible and preferred and at the target, summed
/// once per site (`None`: no site; everything in one entry with cross-site
/// moves) instead of once for every store asking.
struct TargetRoom;

impl TargetRoom {
    fn site<'a>(view: &View<'a>, t: usize) -> Option<&'a str> {
        if view.policy.cross_site_moves {
            None
        } else {
            view.inv.servers[t].site.as_deref()
        }
    }

    /// Whether `t` counts: a mailstore at the target version, eligible as
    /// preferred for any source (not above its ceiling, the tiers ready).
    fn counts(view: &View<'_>, state: &State, t: usize) -> bool {
        view.inv.servers[t].is_mailstore()
            && view.at_target(t)
            && view.tier_ready
            && !state.over[t]
            && match view.mode {
                Mode::Spare => view.inv.servers[t].spare,
                _ => true,
            }
    }

    fn free(state: &State, t: usize) -> (u128, u128) {
        (
            u128::from(state.ceil_bytes[t].saturating_sub(state.bytes[t])),
            u128::from(state.ceil_count[t].saturating_sub(state.count[t])),
        )
    }

    fn by_site<'a>(view: &View<'a>, state: &State) -> BTreeMap<Option<&'a str>, (u128, u128)> {
        let mut by_site: BTreeMap<Option<&'a str>, (u128, u128)> = BTreeMap::new();
        for t in 0..view.inv.servers.len() {
            if Self::counts(view, state, t) {
                let (b, c) = Self::free(state, t);
                let e = by_site.entry(Self::site(view, t)).or_default();
                *e = (e.0 + b, e.1 + c);
            }
        }
        by_site
    }

    /// The room for the mailboxes of `s`: the stores of its reach, less `s`
    /// itself, and only when the target version is not older than its own.
    fn of<'a>(
        view: &View<'a>,
        state: &State,
        by_site: &BTreeMap<Option<&'a str>, (u128, u128)>,
        s: usize,
    ) -> (u64, u64) {
        if view.inv.target_version < *view.version_at(s) {
            return (0, 0);
        }
        let (mut b, mut c) = by_site.get(&Self::site(view, s)).copied().unwrap_or((0, 0));
        if Self::counts(view, state, s) {
            let (own_b, own_c) = Self::free(state, s);
            b -= own_b;
            c -= own_c;
        }
        let clamp = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
        (clamp(b), clamp(c))
    }
}

/// Which of the ready stores to empty next.
pub fn next_store(view: &View<'_>, state: &State, level: &[usize]) -> usize {
    let inv = view.inv;
    let st = state;
    let name = |i: usize| inv.servers[i].name.as_str();
    // Room on stores at the target version in the store's reach.
    let by_site = match view.mode {
        Mode::Greedy | Mode::Forward => TargetRoom::by_site(view, state),
        Mode::Spread | Mode::Spare => BTreeMap::new(),
    };
    let room = |s: usize| -> (u64, u64) { TargetRoom::of(view, state, &by_site, s) };
    let pick = match view.mode {
        Mode::Greedy => level
            .iter()
            .map(|&s| {
                let (rb, rc) = room(s);
                let parked = st.bytes[s].saturating_sub(rb);
                let parked_count = st.count[s].saturating_sub(rc);
                ((parked, parked_count, st.bytes[s]), s)
            })
            .min_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| name(*a).cmp(name(*b))))
            .map(|(_, s)| s),
        Mode::Forward => level
            .iter()
            .map(|&s| {
                let (rb, rc) = room(s);
                let fits = st.bytes[s] <= rb && st.count[s] <= rc;
                // Fitting stores first, the largest of them first; else the smallest.
                let key = (
                    !fits,
                    if fits {
                        u64::MAX - st.bytes[s]
                    } else {
                        st.bytes[s]
                    },
                );
                (key, s)
            })
            .min_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| name(*a).cmp(name(*b))))
            .map(|(_, s)| s),
        Mode::Spread | Mode::Spare => level.iter().copied().min_by(|&a, &b| name(a).cmp(name(b))),
    };
    pick.unwrap_or(level[0])
}
