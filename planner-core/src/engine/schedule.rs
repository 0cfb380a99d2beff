//! Scheduling: puts every upgrade, backup, pool change and mailbox move into waves.
//!
//! Servers are taken in the order graph's topological order (ties: the
//! profile's rank, then kind, then name; among mailstores to empty, the
//! strategy decides). Each upgrade goes in the earliest wave where the upgrade
//! slots, the availability of its roles and the moves around it allow. A
//! mailstore to empty gets a phase: backup and pool-out, then its mailboxes
//! placed on other stores (see `place`), copied and switched in batches, then
//! its upgrade once it is empty. Phases run one after another, so a store is
//! never source and target at once and each phase sees the stores upgraded
//! before it as upgraded.

use std::collections::BTreeMap;

use super::graph::Order;
use super::place::{self, Batch, Guide, Mode, Shortfall};
use super::reason::{Blocker, Stuck};
use super::start::Start;
use super::table::{Draft, Table};
use crate::inventory::{
    AgainstTarget, BackupAfterUpgrade, BackupPolicy, EvacuatePolicy, Inventory, MAILSTORE, Policy,
    PurgePolicy, ServerId,
};
use crate::plan::{StepKind, Verdict};

/// An availability unit: a group, or a role without a group; or the
/// directory masters, which go one at a time whatever the overrides say.
pub struct Unit {
    pub name: String,
    pub members: u32,
    pub min_available: u32,
    pub max_unavailable: u32,
    /// Whether `allow_outage` relaxes its `min_available`: it names the unit
    /// (or one of its roles) and the unit has no more servers than
    /// `min_available`, so no upgrade could keep enough up. `max_unavailable`
    /// holds regardless.
    pub allowed: bool,
    /// The directory masters' own unit (rule 3: one master at a time).
    pub masters: bool,
}

/// An accepted outage found while scheduling.
pub struct OutageNote {
    pub wave: usize,
    pub server: ServerId,
    pub unit: String,
    pub message: String,
}

/// The result of one scheduling attempt.
pub struct Scheduled {
    pub table: Table,
    pub outages: Vec<OutageNote>,
    /// What the schedule moves, counted once.
    pub totals: Totals,
    /// Whether any mailbox was parked on a store not at the target version.
    pub parked: bool,
    pub shortfalls: Vec<Shortfall>,
    /// Steps that fit in no wave.
    pub stuck: Vec<Stuck>,
    /// Whether it followed the exact search's order and targets.
    pub guided: bool,
}

/// What a schedule moves, counted once when the attempt ends (the strategy
/// choice, the summary and the reasons all read it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    /// Mailbox moves (a copy and its switch are one move).
    pub moved: u64,
    /// Bytes of those moves (sizes with `size_overhead`, as in the steps).
    pub bytes: u64,
    /// Mailboxes that move more than once.
    pub twice: u64,
    /// Bytes of the moves beyond each mailbox's first.
    pub bytes_again: u64,
}

impl Totals {
    fn of(inv: &Inventory, policy: &Policy, moves: &[u8]) -> Totals {
        let mut t = Totals::default();
        for (m, &n) in moves.iter().enumerate() {
            let size = inv.mailboxes[m].size.with_overhead(policy.size_overhead).0;
            let n = u64::from(n);
            t.moved += n;
            t.bytes = t.bytes.saturating_add(size.saturating_mul(n));
            t.bytes_again = t
                .bytes_again
                .saturating_add(size.saturating_mul(n.saturating_sub(1)));
            t.twice += u64::from(n >= 2);
        }
        t
    }
}

/// The working state of one attempt.
pub struct Sched<'a> {
    pub inv: &'a Inventory,
    pub policy: &'a Policy,
    pub order: &'a Order,
    pub now: jiff::Timestamp,
    pub mode: Mode,
    pub table: Table,
    pub units: Vec<Unit>,
    pub units_of: Vec<Vec<usize>>,
    /// Per server: whether it is a directory master (rule 12: no directory
    /// write in its upgrade wave).
    pub master: Vec<bool>,
    pub upgrade_wave: Vec<Option<usize>>,
    pub mail_cursor: usize,
    pub outages: Vec<OutageNote>,
    pub place: place::State,
    pub shortfalls: Vec<Shortfall>,
    /// Steps that fit in no wave.
    pub stuck: Vec<Stuck>,
    /// Servers that count for rule 12: non-mailstores ordered before the mailstores.
    pub before_mailstores: Vec<usize>,
    /// The order and targets to follow, from the exact search.
    pub guide: Option<&'a Guide>,
    /// Per store: the waves of switches off it, and of its purges (rule 7:
    /// a store keeps the disk of the copies switched off it until a purge).
    pub offs: Vec<Vec<usize>>,
    pub purges: Vec<Vec<usize>>,
    /// What steps done before a resume left to finish (nothing, for a fresh plan).
    pub start: &'a Start,
}

impl<'a> Sched<'a> {
    /// A schedule from `start` (nothing done, for a fresh plan): copies
    /// waiting for their switch are placed on their targets, and copies kept
    /// on stores count as switched off them before the first wave (wave 0),
    /// for their purges.
    pub fn new(
        inv: &'a Inventory,
        policy: &'a Policy,
        order: &'a Order,
        mode: Mode,
        (now, start): (jiff::Timestamp, &'a Start),
    ) -> Sched<'a> {
        let profile = &inv.profile;
        let (units, units_of) = availability_units(inv, policy);
        let master = inv
            .servers
            .iter()
            .map(|s| s.has_role(profile.directory_master))
            .collect();
        let mailstore_tier = profile
            .role(MAILSTORE)
            .and_then(|r| r.tier)
            .unwrap_or(usize::MAX);
        let before_mailstores = (0..inv.servers.len())
            .filter(|&i| {
                let s = &inv.servers[i];
                s.needs_upgrade()
                    && !s.is_mailstore()
                    && order.tier[i].is_some_and(|t| t < mailstore_tier)
            })
            .collect();
        Sched {
            inv,
            policy,
            order,
            now,
            mode,
            table: Table::new(units.len(), policy.max_parallel_moves),
            units,
            units_of,
            master,
            upgrade_wave: vec![None; inv.servers.len()],
            mail_cursor: 1,
            outages: Vec::new(),
            place: {
                let mut place = place::State::new(inv, policy);
                place.resume(start);
                place
            },
            shortfalls: Vec::new(),
            stuck: Vec::new(),
            before_mailstores,
            guide: None,
            offs: (0..inv.servers.len())
                .map(|s| {
                    let kept = start.kept.get(&s).is_some_and(|k| !k.is_empty());
                    if kept { vec![0] } else { Vec::new() }
                })
                .collect(),
            purges: vec![Vec::new(); inv.servers.len()],
            start,
        }
    }

    /// Follows the exact search's emptying order and targets.
    pub fn guided(mut self, guide: &'a Guide) -> Sched<'a> {
        self.guide = Some(guide);
        self
    }

    /// Whether a mailstore is emptied before its upgrade.
    pub fn evacuated(&self, s: usize) -> bool {
        let server = &self.inv.servers[s];
        server.is_mailstore()
            && self.policy.evacuate == EvacuatePolicy::Always
            && server.evacuate != Some(false)
            && self.inv.profile.role(MAILSTORE).is_some_and(|r| r.evacuate)
    }

    /// The first wave in which a switch onto a store at the target version may
    /// run, once every server ordered before the mailstores is scheduled.
    pub fn tier_ready(&self) -> Option<usize> {
        let mut ready = 1;
        for &i in &self.before_mailstores {
            ready = ready.max(self.upgrade_wave[i]? + 1);
        }
        Some(ready)
    }

    /// What placement reads of this schedule.
    fn view(&self) -> place::View<'_> {
        place::View {
            inv: self.inv,
            policy: self.policy,
            mode: self.mode,
            upgrade_wave: &self.upgrade_wave,
            tier_ready: self.tier_ready().is_some(),
            guide: self.guide,
        }
    }

    /// Whether a store is at the target version in a wave.
    pub fn at_target_in(&self, s: ServerId, wave: usize) -> bool {
        self.inv.server(s).status == AgainstTarget::At
            || self.upgrade_wave[s.index()].is_some_and(|u| u < wave)
    }

    /// Runs the whole attempt.
    pub fn run(mut self) -> Scheduled {
        let n = self.inv.servers.len();
        let mut done: Vec<bool> = self
            .inv
            .servers
            .iter()
            .map(|s| !s.needs_upgrade())
            .collect();
        // Per server, its order edges from servers not yet done; and the
        // reverse edges, to count them down.
        let mut waiting: Vec<usize> = vec![0; n];
        let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, preds) in self.order.preds.iter().enumerate() {
            for (p, _) in preds {
                if !done[p.index()] {
                    waiting[i] += 1;
                    succs[p.index()].push(i);
                }
            }
        }
        for &s in &self.start.pooled_out {
            if self.inv.servers.get(s).is_some_and(|x| !x.needs_upgrade()) {
                let name = &self.inv.servers[s].name;
                let why = format!(
                    "{name} was upgraded before the resume: new accounts may land on it again"
                );
                self.book_pool_in(s, 1, why);
            }
        }
        // Mailboxes parked on a spare by a store upgraded before the resume
        // free the spare before any other store's phase.
        self.return_parked();
        self.switch_left_copies();
        loop {
            let ready: Vec<usize> = (0..n).filter(|&i| !done[i] && waiting[i] == 0).collect();
            let Some(min_rank) = ready.iter().map(|&i| self.order.rank[i]).min() else {
                break;
            };
            let level: Vec<usize> = ready
                .into_iter()
                .filter(|&i| self.order.rank[i] == min_rank)
                .collect();
            let pick = self.pick(&level);
            self.schedule(pick);
            done[pick] = true;
            for &i in &succs[pick] {
                waiting[i] -= 1;
            }
        }
        if self.shortfalls.is_empty() && self.stuck.is_empty() {
            self.backups_after_upgrade();
            self.end_purges();
            self.purge_lists();
        }
        let totals = Totals::of(self.inv, self.policy, &self.place.moves);
        Scheduled {
            outages: self.outages,
            parked: self.place.parked,
            totals,
            shortfalls: self.shortfalls,
            stuck: self.stuck,
            table: self.table,
            guided: self.guide.is_some(),
        }
    }

    /// The next server among those ready at the lowest rank.
    fn pick(&self, level: &[usize]) -> usize {
        let kind = |i: usize| -> u8 {
            let s = &self.inv.servers[i];
            if !s.is_mailstore() {
                0
            } else if self.place.holds(i) == 0 {
                1
            } else if !self.evacuated(i) {
                2
            } else {
                3
            }
        };
        let simple: Vec<usize> = level.iter().copied().filter(|&i| kind(i) < 3).collect();
        if let Some(&first) = simple.iter().min_by(|&&a, &&b| {
            kind(a)
                .cmp(&kind(b))
                .then_with(|| self.inv.servers[a].name.cmp(&self.inv.servers[b].name))
        }) {
            return first;
        }
        if let Some(s) = self.guide.and_then(|g| g.next(level)) {
            return s;
        }
        place::next_store(&self.view(), &self.place, level)
    }

    /// The earliest wave a server may be upgraded in by the order graph.
    fn ready_wave(&self, s: usize) -> usize {
        self.order.preds[s]
            .iter()
            .filter_map(|(p, _)| self.upgrade_wave[p.index()])
            .map(|w| w + 1)
            .max()
            .unwrap_or(1)
    }

    fn schedule(&mut self, s: usize) {
        let server = &self.inv.servers[s];
        let copied = self.start.copied_from(s).next().is_some()
            || (self.mode == Mode::Spare && self.start.parked_from(s).next().is_some());
        if server.is_mailstore() && (self.place.holds(s) > 0 || copied) {
            if self.evacuated(s) {
                self.phase(s);
            } else {
                self.in_place(s);
            }
        } else {
            let earliest = self.ready_wave(s);
            let why = self.upgrade_why(s, None);
            let wave = self.book_upgrade(s, earliest, why);
            if server.is_mailstore() {
                // An empty store upgraded early is the best target for what follows.
                self.mail_cursor = self.mail_cursor.max(wave + 1);
            }
            self.pool_in_after(s, wave);
        }
    }

    /// A store pooled out before a resume and upgraded in `wave` without a
    /// phase of its own gets its pool-in after it.
    fn pool_in_after(&mut self, s: usize, wave: usize) {
        if self.start.pooled_out.contains(&s) {
            let name = &self.inv.servers[s].name;
            let why = format!(
                "{name} was pooled out before the resume and is upgraded: new accounts may land on it again"
            );
            self.book_pool_in(s, wave + 1, why);
        }
    }

    /// Books a pool-in of store `s` in the first wave from `from` where a
    /// directory write may go.
    fn book_pool_in(&mut self, s: usize, from: usize, why: String) {
        let wave = self.writable(from);
        self.table
            .push(wave, Draft::on(StepKind::PoolIn, ServerId(s as u32), why));
    }

    /// The moves off `s` that earlier steps fixed: the switches of the
    /// copies made before a resume (batches whose copy is done), and the
    /// one-stage moves that failed, again to the same target.
    fn pinned(&self, s: usize) -> Vec<Batch> {
        self.start
            .copied_from(s)
            .map(|c| {
                let n = c.mailboxes.len();
                let source = &self.inv.servers[s].name;
                let target = &self.inv.servers[c.target.index()].name;
                let (es, them) = if n == 1 { ("", "it") } else { ("es", "them") };
                let why_switch = if c.made {
                    format!(
                        "stage 2 of emptying {source}: copy the changes of {n} mailbox{es} and switch {them} to {target}; their copy ({}) was made before the resume, so it is not made again",
                        c.step
                    )
                } else {
                    format!(
                        "empty {source}: move {n} mailbox{es} to {target} and switch {them}, again: the move {} failed before the resume and may have moved some of them, so the same target finishes it",
                        c.step
                    )
                };
                Batch {
                    source: c.source,
                    target: c.target,
                    mailboxes: c.mailboxes.clone(),
                    domains: c.domains.clone(),
                    why_data: String::new(),
                    why_switch,
                    candidates: vec![(c.target, Verdict::Chosen)],
                    not_listed: Vec::new(),
                    copied: c.made,
                }
            })
            .collect()
    }

    /// The mailboxes of store `s` parked on spares before a resume, as the
    /// batches that took them there (for their return), less those whose
    /// copy back is made already (their switch is booked as such).
    fn parked(&self, s: usize) -> Vec<Batch> {
        let copied_back: std::collections::BTreeSet<u32> = self
            .start
            .copied
            .iter()
            .filter(|c| c.target.index() == s)
            .flat_map(|c| c.mailboxes.iter().copied())
            .collect();
        self.start
            .parked_from(s)
            .map(|p| Batch {
                source: p.home,
                target: p.spare,
                mailboxes: p
                    .mailboxes
                    .iter()
                    .copied()
                    .filter(|m| !copied_back.contains(m))
                    .collect(),
                domains: Vec::new(),
                why_data: String::new(),
                why_switch: String::new(),
                candidates: Vec::new(),
                not_listed: Vec::new(),
                copied: false,
            })
            .filter(|b| !b.mailboxes.is_empty())
            .collect()
    }

    /// Under `spare`, brings back the mailboxes parked before a resume from
    /// stores upgraded before it.
    fn return_parked(&mut self) {
        if self.mode != Mode::Spare {
            return;
        }
        for s in self.at_target(self.start.parked.iter().map(|p| p.home.index())) {
            let out = self.parked(s);
            if !out.is_empty() {
                self.bring_back(s, &out, 0);
            }
        }
    }

    /// The stores among `stores` at the target version, once each, in order.
    fn at_target(&self, stores: impl Iterator<Item = usize>) -> std::collections::BTreeSet<usize> {
        stores
            .filter(|&s| !self.inv.servers[s].needs_upgrade())
            .collect()
    }

    /// Switches, first, the copies made before a resume (and the failed
    /// moves) whose source is at the target version and so gets no phase:
    /// the returns from a spare. Placement counts them as switched from the
    /// start.
    fn switch_left_copies(&mut self) {
        for s in self.at_target(self.start.copied.iter().map(|c| c.source.index())) {
            let batches = self.pinned(s);
            if self.book_moves(&batches, 1).is_none() {
                self.stuck.push(Stuck::CannotSwitch {
                    store: self.inv.servers[s].name.to_string(),
                });
            }
        }
    }

    /// Whether the backup before touching a store is full.
    fn full_backup(&self, s: usize) -> (bool, String) {
        let server = &self.inv.servers[s];
        let max_age = self.policy.full_backup_max_age;
        match (self.policy.backup, server.last_backup.full) {
            (BackupPolicy::Full, _) => (true, "policy backup: full".to_string()),
            (_, None) => (
                true,
                "no full backup is known, so this one is full".to_string(),
            ),
            (_, Some(at)) => {
                let age = self.now.as_second().saturating_sub(at.as_second()).max(0) as u64;
                if age > max_age.0 {
                    (
                        true,
                        format!(
                            "the last full backup ({at}) is {} old, more than {max_age}, so this one is full",
                            crate::inventory::Seconds(age)
                        ),
                    )
                } else {
                    (
                        false,
                        format!(
                            "the last full backup ({at}) is {} old, within {max_age}",
                            crate::inventory::Seconds(age)
                        ),
                    )
                }
            }
        }
    }

    fn book_backup(&mut self, s: usize, wave: usize, purpose: &str, count: usize) {
        // A backup taken before a resume serves: it came before every move
        // off the store and its upgrade.
        if self.policy.backup == BackupPolicy::None || self.start.backed_up.contains(&s) {
            return;
        }
        let (full, reason) = self.full_backup(s);
        let mut draft = Draft::on(
            StepKind::Backup,
            ServerId(s as u32),
            format!(
                "{purpose}: {count} mailbox{} on it; {reason}",
                if count == 1 { "" } else { "es" }
            ),
        );
        draft.full_backup = full;
        self.table.push(wave, draft);
    }

    /// A mailstore upgraded with its mailboxes on it.
    fn in_place(&mut self, s: usize) {
        let earliest = self.ready_wave(s).max(2);
        let count = self.place.holds(s);
        let reason = if !self.policy.tools.moves() {
            "tools: none, no tool to move mailboxes"
        } else if self.policy.evacuate == EvacuatePolicy::Never {
            "policy evacuate: never"
        } else {
            "this store's evacuate: false"
        };
        let why = self.upgrade_why(
            s,
            Some(format!(
                "upgraded in place ({reason}): its {} {} unavailable during the upgrade",
                crate::words::count(count as u64, "mailbox", "mailboxes"),
                if count == 1 { "is" } else { "are" }
            )),
        );
        let wave = self.book_upgrade(s, earliest, why);
        // The backup goes in the latest wave before the upgrade where no move
        // touches the store (rule 13: one operation per store at a time).
        let sid = ServerId(s as u32);
        let mut backup = wave - 1;
        while backup > 1 && (self.table.moves_in(backup, sid) || self.table.is_busy(backup, sid)) {
            backup -= 1;
        }
        self.book_backup(s, backup, "before the in-place upgrade", count);
        self.pool_in_after(s, wave);
        self.outages.push(OutageNote {
            wave,
            server: ServerId(s as u32),
            unit: MAILSTORE.to_string(),
            message: format!(
                "{} {} unavailable while {} upgrades in place",
                crate::words::count(count as u64, "mailbox", "mailboxes"),
                if count == 1 { "is" } else { "are" },
                self.inv.servers[s].name
            ),
        });
        if let Some(slot) = self
            .table
            .slot(wave)
            .steps
            .iter_mut()
            .find(|d| d.kind == StepKind::Upgrade && d.server.index() == s)
        {
            slot.outage = true;
        }
    }

    /// Empties a store, then upgrades it (and, under `spare`, moves its mailboxes back).
    fn phase(&mut self, s: usize) {
        let sid = ServerId(s as u32);
        let name = self.inv.servers[s].name.clone();
        let count = self.place.holds(s);
        let mut batches = self.pinned(s);
        if count > 0 {
            match place::evacuate(&self.view(), &self.place, s) {
                Ok(evacuation) => {
                    self.place.commit(&evacuation);
                    batches.extend(evacuation.batches);
                }
                Err(shortfall) => {
                    self.shortfalls.push(*shortfall);
                    return;
                }
            }
        }
        let start = self.phase_start(s, &batches);
        self.book_backup(s, start, &format!("before {name} is emptied"), count);
        let moves_from = if self.start.pooled_out.contains(&s) {
            start
        } else {
            let pooled_out = self.writable(start);
            self.table.push(
                pooled_out,
                Draft::on(
                    StepKind::PoolOut,
                    sid,
                    format!("no new accounts land on {name} while it is emptied"),
                ),
            );
            pooled_out + 1
        };
        let Some(last) = self.book_moves(&batches, moves_from) else {
            self.stuck.push(Stuck::CannotSwitch {
                store: name.to_string(),
            });
            return;
        };
        let earliest = self.ready_wave(s).max(last + 1).max(start + 1);
        let why = self.upgrade_why(
            s,
            Some(format!(
                "{name} is empty once its last switch (wave {last}) is done"
            )),
        );
        let wave = self.book_upgrade(s, earliest, why);
        let pooled_in = self.writable(wave + 1);
        self.table.push(
            pooled_in,
            Draft::on(
                StepKind::PoolIn,
                sid,
                format!("{name} is upgraded: new accounts may land on it again"),
            ),
        );
        self.mail_cursor = self.mail_cursor.max(wave + 1);
        if self.mode == Mode::Spare {
            batches.extend(self.parked(s));
            self.bring_back(s, &batches, wave);
        }
    }

    /// The wave a store's phase starts in (its backup; its pool-out there or
    /// just after; its moves after that). Under `spare` phases run one after
    /// another, since every store reuses the same spares. Otherwise a phase
    /// is pipelined beside the others: it starts once no move touches the
    /// store any more (mailboxes parked on it have arrived) and one wave
    /// before the earliest of its targets can receive, so its evacuation
    /// runs beside other servers' upgrades and its own upgrade waits only
    /// for it.
    fn phase_start(&self, s: usize, batches: &[Batch]) -> usize {
        if self.mode == Mode::Spare {
            return self.mail_cursor.max(1);
        }
        let touched = self.table.last_move(ServerId(s as u32)) + 1;
        let ready = batches
            .iter()
            .map(|b| self.receivable(b.target.index()))
            .min()
            .unwrap_or(1);
        touched.max(ready.saturating_sub(1)).max(1)
    }

    /// About the first wave store `t` can receive in: after its upgrade, and
    /// after the purge that must follow the switches off it.
    fn receivable(&self, t: usize) -> usize {
        let mut w = self.upgrade_wave[t].map_or(1, |u| u + 1);
        if self.policy.purge == PurgePolicy::BeforeReuse
            && let Some(&off) = self.offs[t].iter().max()
        {
            w = w.max(off + 2);
            if self.upgrade_wave[t] == Some(off + 1) {
                w = w.max(off + 3);
            }
        }
        w
    }

    /// The first wave from `w` that upgrades no directory master, where a
    /// pool change (a directory write) may go.
    fn writable(&self, mut w: usize) -> usize {
        while self.table.get(w).is_some_and(|slot| slot.master_upgrade) {
            w += 1;
        }
        w
    }

    /// Under `spare`: books the return of a store's mailboxes from the
    /// spares, after its upgrade in `wave`.
    fn bring_back(&mut self, s: usize, out: &[Batch], wave: usize) {
        match place::returns(&self.view(), &self.place, s, out) {
            Ok(back) => {
                self.place.bring_back(s, &back);
                match self.book_moves(&back, wave + 2) {
                    Some(last_back) => self.mail_cursor = self.mail_cursor.max(last_back + 1),
                    None => self.stuck.push(Stuck::CannotReturn {
                        store: self.inv.servers[s].name.to_string(),
                    }),
                }
            }
            Err(shortfall) => self.shortfalls.push(*shortfall),
        }
    }

    /// Books the copies and switches of a phase's batches from `start` on;
    /// returns the last wave used, or `None` when a move fits in no wave.
    /// A batch copied before a resume gets its switch only, first; a new copy
    /// between the same two stores comes after that switch, so that every
    /// switch follows the last copy between its stores.
    fn book_moves(&mut self, batches: &[Batch], start: usize) -> Option<usize> {
        let two_stage = self.policy.two_stage_moves;
        let mut last = start;
        let mut pinned: BTreeMap<(ServerId, ServerId), usize> = BTreeMap::new();
        for b in batches.iter().filter(|b| b.copied) {
            let w = self.first_move_wave(StepKind::MoveSwitch, b.source, b.target, start)?;
            self.book_switch(b, w);
            pinned.insert((b.source, b.target), w);
            last = last.max(w);
        }
        let after_pinned = |b: &Batch| {
            pinned
                .get(&(b.source, b.target))
                .map_or(start, |&w| start.max(w + 1))
        };
        let fresh: Vec<&Batch> = batches.iter().filter(|b| !b.copied).collect();
        let mut data_waves = Vec::with_capacity(fresh.len());
        if two_stage {
            for b in &fresh {
                let from = after_pinned(b);
                let w = self.first_move_wave(StepKind::MoveData, b.source, b.target, from)?;
                self.book_purge_before(b.target.index(), w);
                self.table
                    .push(w, move_draft(StepKind::MoveData, b, b.why_data.clone()));
                data_waves.push(w);
            }
        }
        for (k, b) in fresh.iter().enumerate() {
            let from = if two_stage {
                data_waves[k] + 1
            } else {
                after_pinned(b)
            };
            let w = self.first_move_wave(StepKind::MoveSwitch, b.source, b.target, from)?;
            if !two_stage {
                self.book_purge_before(b.target.index(), w);
            }
            self.book_switch(b, w);
            last = last.max(w);
        }
        Some(last)
    }

    /// Books the switch of a batch in wave `w`.
    fn book_switch(&mut self, b: &Batch, w: usize) {
        self.offs[b.source.index()].push(w);
        self.table
            .push(w, move_draft(StepKind::MoveSwitch, b, b.why_switch.clone()));
    }

    /// The earliest wave from `from` on where a move step fits.
    fn first_move_wave(
        &self,
        kind: StepKind,
        source: ServerId,
        target: ServerId,
        from: usize,
    ) -> Option<usize> {
        // Past the last booked wave nothing else is in the way, except the
        // target's upgrade and, for a switch onto the target version, the
        // tiers before the mailstores: a move that fits nowhere up to there
        // never will.
        let tier = if kind == StepKind::MoveSwitch && self.at_target_in(target, usize::MAX) {
            self.tier_ready()?
        } else {
            0
        };
        let target_up = self.upgrade_wave[target.index()].unwrap_or(0);
        let limit = from.max(self.table.slots().len()).max(target_up).max(tier) + 2;
        // No move fits before these: waves full of moves, the target's
        // upgrade and, for a switch onto the target version, the tiers.
        let lowest = from
            .max(1)
            .max(self.upgrade_wave[target.index()].map_or(0, |u| u + 1))
            .max(tier);
        let mut w = self.table.open_from(lowest);
        while w <= limit {
            if self.move_fits(w, kind, source, target) {
                return Some(w);
            }
            w = self.table.open_from(w + 1);
        }
        None
    }

    fn move_fits(&self, w: usize, kind: StepKind, source: ServerId, target: ServerId) -> bool {
        // A store whose upgrade is booked receives only after it.
        if self.upgrade_wave[target.index()].is_some_and(|u| w <= u) {
            return false;
        }
        if self.table.is_out(w, target) || self.table.is_out(w, source) {
            return false;
        }
        if self.table.is_busy(w, target) || self.table.is_busy(w, source) {
            return false;
        }
        let receives_bytes = kind == StepKind::MoveData || !self.policy.two_stage_moves;
        if receives_bytes && self.purge_before(target.index(), w).is_err() {
            return false;
        }
        if kind == StepKind::MoveSwitch
            && self.at_target_in(target, w)
            && self.tier_ready().is_none_or(|r| w < r)
        {
            return false;
        }
        let Some(slot) = self.table.get(w) else {
            return true;
        };
        let from_source = slot.from_source.get(&source).copied().unwrap_or(0) as usize;
        if slot.moves >= self.policy.max_parallel_moves
            || from_source >= self.policy.max_moves_per_source as usize
            || slot.pairs.contains(&(kind, source, target))
            || slot.sources.contains(&target)
            || slot.targets.contains(&source)
        {
            return false;
        }
        !(kind == StepKind::MoveSwitch && slot.master_upgrade)
    }

    /// Rule 5's full backup after a major upgrade (`backup_after_upgrade`):
    /// each mailstore upgraded by the plan that ends holding mailboxes gets
    /// one in the first wave after its upgrade and after the last move onto
    /// it where nothing else touches it.
    fn backups_after_upgrade(&mut self) {
        if self.policy.backup == BackupPolicy::None
            || self.policy.backup_after_upgrade == BackupAfterUpgrade::Never
        {
            return;
        }
        for s in 0..self.inv.servers.len() {
            let server = &self.inv.servers[s];
            // A store upgraded before a resume is due one when the resume
            // found it so (from its version before the upgrade).
            let due = self.start.backup_after_due.contains(&s);
            let Some(upgraded) = self.upgrade_wave[s].or(due.then_some(0)) else {
                continue;
            };
            let held = self.place.holds(s);
            if !server.is_mailstore()
                || held == 0
                || (!due
                    && self.policy.backup_after_upgrade == BackupAfterUpgrade::Major
                    && !server.version.major_change_to(&self.inv.target_version))
            {
                continue;
            }
            let sid = ServerId(s as u32);
            let mut w = upgraded.max(self.table.last_move(sid)) + 1;
            while self.table.moves_in(w, sid) || self.table.is_out(w, sid) {
                w += 1;
            }
            let why = format!(
                "a full backup of {} after its upgrade to {} ({}; policy backup_after_upgrade: {}): {} mailbox{} on it at the end",
                server.name,
                self.inv.target_version,
                if self.policy.backup_after_upgrade == BackupAfterUpgrade::Major {
                    "a major upgrade changes the database schema, so Zimbra recommends one"
                } else {
                    "after every upgrade"
                },
                self.policy.backup_after_upgrade.as_str(),
                held,
                if held == 1 { "" } else { "es" }
            );
            let mut draft = Draft::on(StepKind::Backup, sid, why);
            draft.full_backup = true;
            draft.after_upgrade = true;
            self.table.push(w, draft);
        }
    }

    /// Under `purge: before-reuse`, where the purge of store `t` goes when it
    /// receives a copy in wave `w` (rule 7: it still holds the disk of the
    /// copies switched off it): `Ok(None)` when none is needed (no switch off
    /// it before `w`, or one purge already between the last and `w`),
    /// `Ok(Some(p))` for the latest wave before `w` where it fits, `Err` when
    /// it fits in none, so `w` cannot take the copy.
    fn purge_before(&self, t: usize, w: usize) -> Result<Option<usize>, ()> {
        if self.policy.purge != PurgePolicy::BeforeReuse {
            return Ok(None);
        }
        let Some(off) = self.offs[t].iter().copied().filter(|&o| o < w).max() else {
            return Ok(None);
        };
        if self.purges[t].iter().any(|&p| off < p && p < w) {
            return Ok(None);
        }
        ((off + 1)..w)
            .rev()
            .find(|&p| self.purge_fits(t, p))
            .map(Some)
            .ok_or(())
    }

    /// Whether a purge of store `t` may run in wave `p` (rule 13: no move
    /// touches the store and it is not upgraded in that wave).
    fn purge_fits(&self, t: usize, p: usize) -> bool {
        let sid = ServerId(t as u32);
        !self.table.is_out(p, sid) && !self.table.moves_in(p, sid)
    }

    /// Books the purge a copy onto `t` in wave `w` needs, if any (found
    /// possible by `move_fits`).
    fn book_purge_before(&mut self, t: usize, w: usize) {
        if let Ok(Some(p)) = self.purge_before(t, w) {
            self.book_purge(t, p, "before it receives copies again");
        }
    }

    fn book_purge(&mut self, t: usize, p: usize, when: &str) {
        let name = &self.inv.servers[t].name;
        self.table.push(
            p,
            Draft::on(
                StepKind::Purge,
                ServerId(t as u32),
                format!(
                    "deletes the copies left on {name} by the switches off it ({when}; policy purge: {})",
                    self.policy.purge.as_str()
                ),
            ),
        );
        self.purges[t].push(p);
    }

    /// The purges at the end of the plan: every store with copies not yet
    /// purged (all of them under `at-end`), in the last wave, or in a new one
    /// after it when a store is switched off, upgraded, moved or backed up in
    /// the last wave.
    fn end_purges(&mut self) {
        if self.policy.purge == PurgePolicy::Never {
            return;
        }
        let left: Vec<(usize, usize)> = (0..self.offs.len())
            .filter_map(|t| {
                let off = self.offs[t].iter().copied().max()?;
                let purged = self.purges[t].iter().any(|&p| p > off);
                (!purged).then_some((t, off))
            })
            .collect();
        if left.is_empty() {
            return;
        }
        let last = self.table.slots().len();
        let fits = left
            .iter()
            .all(|&(t, off)| off < last && self.purge_fits(t, last));
        let wave = if fits { last } else { last + 1 };
        let when = match self.policy.purge {
            PurgePolicy::AtEnd => "at the end of the plan",
            _ => "at the end of the plan: nothing is moved onto it again",
        };
        for (t, _) in left {
            self.book_purge(t, wave, when);
        }
    }

    /// Fills every purge with the mailboxes it deletes: those switched off
    /// its store in earlier waves since the store's previous purge.
    fn purge_lists(&mut self) {
        let mut switched: Vec<Vec<u32>> = vec![Vec::new(); self.inv.servers.len()];
        for (&s, kept) in &self.start.kept {
            if let Some(list) = switched.get_mut(s) {
                list.extend_from_slice(kept);
            }
        }
        for slot in self.table.slots_mut() {
            for d in &mut slot.steps {
                if d.kind == StepKind::Purge {
                    d.mailboxes = std::mem::take(&mut switched[d.server.index()]);
                    d.mailboxes.sort_unstable();
                }
            }
            // A purge that a later, earlier-placed one made idle (a copy
            // booked afterwards needed the store purged sooner) is dropped.
            slot.steps
                .retain(|d| d.kind != StepKind::Purge || !d.mailboxes.is_empty());
            for d in &slot.steps {
                if d.kind == StepKind::MoveSwitch {
                    switched[d.server.index()].extend_from_slice(&d.mailboxes);
                }
            }
        }
    }

    /// Books an upgrade in the earliest wave from `earliest` where it fits
    /// (its drain, undrain and health check are actions of the step);
    /// returns the wave.
    fn book_upgrade(&mut self, s: usize, earliest: usize, mut why: String) -> usize {
        let sid = ServerId(s as u32);
        let w = self.upgrade_slot(s, earliest, &mut why);
        let outage = self.accepted_outages(s, w);
        let units = self.units_of[s].clone();
        self.table.mark_out(w, sid, &units);
        let mut draft = Draft::on(StepKind::Upgrade, sid, why);
        draft.outage = outage;
        self.table.push(w, draft);
        if self.master[s] {
            self.table.slot(w).master_upgrade = true;
        }
        self.upgrade_wave[s] = Some(w);
        w
    }

    /// The earliest wave from `earliest` where nothing blocks the upgrade;
    /// what delayed it is added to its `why`. An upgrade that fits nowhere is
    /// noted as stuck (and the plan refused).
    fn upgrade_slot(&mut self, s: usize, earliest: usize, why: &mut String) -> usize {
        let mut w = earliest.max(1);
        let mut delays: Vec<Blocker> = Vec::new();
        // Past the last booked wave only an availability rule no wave can
        // meet blocks an upgrade (validation refuses those, but an embedder
        // may hand over a changed profile): give up there, refusing the plan.
        let limit = w.max(self.table.slots().len()) + 4;
        while let Some(blocker) = self.upgrade_blocker(s, w) {
            if w > limit {
                self.stuck.push(Stuck::CannotUpgrade {
                    server: self.inv.servers[s].name.to_string(),
                    blocker,
                });
                break;
            }
            if !delays.contains(&blocker) {
                delays.push(blocker);
            }
            w += 1;
        }
        if w > earliest && !delays.is_empty() {
            let delays: Vec<String> = delays.iter().map(Blocker::to_string).collect();
            why.push_str(&format!("; not before wave {w}: {}", delays.join(", ")));
        }
        w
    }

    /// Notes the outages accepted under `allow_outage` by an upgrade in wave
    /// `w`; returns whether there is any.
    fn accepted_outages(&mut self, s: usize, w: usize) -> bool {
        let mut outage = false;
        for &u in &self.units_of[s] {
            let unit = &self.units[u];
            let worst = self.table.out_count(w, u) + 1;
            if unit.members.saturating_sub(worst) < unit.min_available {
                outage = true;
                let accepted = if unit.name == MAILSTORE && !self.policy.tools.moves() {
                    "inherent: tools none moves no mailbox"
                } else {
                    "accepted by allow_outage"
                };
                self.outages.push(OutageNote {
                    wave: w,
                    server: ServerId(s as u32),
                    unit: unit.name.clone(),
                    message: format!(
                        "{} of {} {} server{} up while {} upgrades ({accepted})",
                        unit.members.saturating_sub(worst),
                        unit.members,
                        unit.name,
                        if unit.members == 1 { "" } else { "s" },
                        self.inv.servers[s].name
                    ),
                });
            }
        }
        outage
    }

    /// Why an upgrade cannot go in wave `w`, or `None` if it can.
    fn upgrade_blocker(&self, s: usize, w: usize) -> Option<Blocker> {
        let sid = ServerId(s as u32);
        if self
            .table
            .get(w)
            .is_some_and(|slot| slot.upgrades >= self.policy.max_parallel_upgrades)
        {
            return Some(Blocker::ParallelUpgrades {
                max: self.policy.max_parallel_upgrades,
            });
        }
        if self.master[s] && self.table.get(w).is_some_and(|slot| slot.writes_directory) {
            return Some(Blocker::DirectoryDuringSwitch);
        }
        if self.table.moves_from(w, sid) || self.table.is_busy(w, sid) {
            return Some(Blocker::MovesTouchIt);
        }
        for &u in &self.units_of[s] {
            let unit = &self.units[u];
            let out = self.table.out_count(w, u) + 1;
            if unit.masters && out > 1 {
                return Some(Blocker::OneMasterAtATime);
            }
            // `allow_outage` relaxes min_available only; max_unavailable holds.
            if out > unit.max_unavailable
                || (!unit.allowed && unit.members.saturating_sub(out) < unit.min_available)
            {
                return Some(Blocker::KeepUp {
                    unit: unit.name.clone(),
                    count: unit
                        .min_available
                        .max(unit.members.saturating_sub(unit.max_unavailable)),
                });
            }
        }
        None
    }

    /// The `why` of an upgrade: its place in the order, and what it waits for.
    fn upgrade_why(&self, s: usize, extra: Option<String>) -> String {
        let server = &self.inv.servers[s];
        let profile = &self.inv.profile;
        let mut why = match self.order.tier[s] {
            Some(t) => format!(
                "{} tier ({} of {} in the {} order)",
                profile.tiers[t],
                t + 1,
                profile.tiers.len(),
                profile.name.as_str()
            ),
            None => format!(
                "auxiliary role{} {}",
                if server.roles.len() == 1 { "" } else { "s" },
                server.roles.join(", ")
            ),
        };
        let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (p, reason) in &self.order.preds[s] {
            groups
                .entry(reason.rule(profile.name.as_str()).to_string())
                .or_default()
                .push(self.inv.server(*p).name.as_str());
        }
        for (reason, names) in groups {
            let shown: Vec<&str> = names.iter().take(3).copied().collect();
            let more = if names.len() > 3 {
                format!(" and {} more", names.len() - 3)
            } else {
                String::new()
            };
            why.push_str(&format!("; after {}{more} ({reason})", shown.join(", ")));
        }
        if let Some(extra) = extra {
            why.push_str("; ");
            why.push_str(&extra);
        }
        why
    }
}

/// A move step of `kind` for batch `b`.
fn move_draft(kind: StepKind, b: &Batch, why: String) -> Draft {
    let mut draft = Draft::on(kind, b.source, why);
    draft.target = Some(b.target);
    draft.mailboxes = b.mailboxes.clone();
    draft.domains = b.domains.clone();
    draft.candidates = b.candidates.clone();
    draft.not_listed = b.not_listed.clone();
    draft
}

/// The availability units of the profile (each group, each role without
/// one) plus the directory masters' own unit, with how many servers each
/// has and whether `allow_outage` relaxes it; and each server's units.
fn availability_units(inv: &Inventory, policy: &Policy) -> (Vec<Unit>, Vec<Vec<usize>>) {
    let profile = &inv.profile;
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_of_role: BTreeMap<String, usize> = BTreeMap::new();
    // Accepted for the unit by name, or by any of its roles.
    let mut named: Vec<bool> = Vec::new();
    for (index, u) in profile.availability_units().into_iter().enumerate() {
        named.push(policy.accepts_outage(&u.name, &u.roles));
        for role in &u.roles {
            unit_of_role.insert(role.clone(), index);
        }
        units.push(Unit {
            name: u.name,
            members: 0,
            min_available: u.min_available,
            max_unavailable: u.max_unavailable,
            allowed: false,
            masters: false,
        });
    }
    let masters_unit = units.len();
    named.push(false);
    units.push(Unit {
        name: profile.directory_master.to_string(),
        members: 0,
        min_available: 0,
        max_unavailable: 1,
        allowed: false,
        masters: true,
    });
    let units_of: Vec<Vec<usize>> = inv
        .servers
        .iter()
        .map(|s| {
            let mut u: Vec<usize> = s
                .roles
                .iter()
                .filter_map(|r| unit_of_role.get(r).copied())
                .collect();
            if s.has_role(profile.directory_master) {
                u.push(masters_unit);
            }
            u.sort_unstable();
            u.dedup();
            u
        })
        .collect();
    for list in &units_of {
        for &u in list {
            units[u].members += 1;
        }
    }
    for (unit, named) in units.iter_mut().zip(named) {
        unit.allowed = named && unit.members <= unit.min_available;
    }
    (units, units_of)
}
