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
use super::table::{Draft, Table};
use crate::inventory::{
    AgainstTarget, BackupPolicy, EvacuatePolicy, Inventory, MAILSTORE, Policy, ServerId,
};
use crate::plan::StepKind;

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
    /// Bytes of those moves, as listed.
    pub bytes: u64,
    /// Mailboxes that move more than once.
    pub twice: u64,
    /// Bytes of the moves beyond each mailbox's first.
    pub bytes_again: u64,
}

impl Totals {
    fn of(inv: &Inventory, moves: &[u8]) -> Totals {
        let mut t = Totals::default();
        for (m, &n) in moves.iter().enumerate() {
            let size = inv.mailboxes[m].size.0;
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
}

impl<'a> Sched<'a> {
    pub fn new(
        inv: &'a Inventory,
        policy: &'a Policy,
        order: &'a Order,
        mode: Mode,
        now: jiff::Timestamp,
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
            table: Table::new(units.len()),
            units,
            units_of,
            master,
            upgrade_wave: vec![None; inv.servers.len()],
            mail_cursor: 1,
            outages: Vec::new(),
            place: place::State::new(inv, policy),
            shortfalls: Vec::new(),
            stuck: Vec::new(),
            before_mailstores,
            guide: None,
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
        let totals = Totals::of(self.inv, &self.place.moves);
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
        if server.is_mailstore() && self.place.holds(s) > 0 {
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
        if self.policy.backup == BackupPolicy::None {
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
        let reason = if self.policy.evacuate == EvacuatePolicy::Never {
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
        while backup > 1
            && self
                .table
                .get(backup)
                .is_some_and(|slot| slot.sources.contains(&sid) || slot.targets.contains(&sid))
        {
            backup -= 1;
        }
        self.book_backup(s, backup, "before the in-place upgrade", count);
        self.outages.push(OutageNote {
            wave,
            server: ServerId(s as u32),
            unit: MAILSTORE.to_string(),
            message: format!(
                "{count} mailboxes are unavailable while {} upgrades in place",
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
        let start = self.mail_cursor.max(1);
        let count = self.place.holds(s);
        let batches = match place::evacuate(&self.view(), &self.place, s) {
            Ok(evacuation) => {
                self.place.commit(&evacuation);
                evacuation.batches
            }
            Err(shortfall) => {
                self.shortfalls.push(*shortfall);
                return;
            }
        };
        self.book_backup(s, start, &format!("before {name} is emptied"), count);
        let pooled_out = self.writable(start);
        self.table.push(
            pooled_out,
            Draft::on(
                StepKind::PoolOut,
                sid,
                format!("no new accounts land on {name} while it is emptied"),
            ),
        );
        let Some(last) = self.book_moves(&batches, pooled_out + 1) else {
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
            self.bring_back(s, &batches, wave);
        }
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
    fn book_moves(&mut self, batches: &[Batch], start: usize) -> Option<usize> {
        let two_stage = self.policy.two_stage_moves;
        let mut data_waves = Vec::with_capacity(batches.len());
        if two_stage {
            for b in batches {
                let w = self.first_move_wave(StepKind::MoveData, b.source, b.target, start)?;
                let mut draft = Draft::on(StepKind::MoveData, b.source, b.why_data.clone());
                draft.target = Some(b.target);
                draft.mailboxes = b.mailboxes.clone();
                draft.domains = b.domains.clone();
                draft.candidates = b.candidates.clone();
                draft.not_listed = b.not_listed.clone();
                self.table.push(w, draft);
                data_waves.push(w);
            }
        }
        let mut last = start;
        for (k, b) in batches.iter().enumerate() {
            let from = if two_stage { data_waves[k] + 1 } else { start };
            let w = self.first_move_wave(StepKind::MoveSwitch, b.source, b.target, from)?;
            let mut draft = Draft::on(StepKind::MoveSwitch, b.source, b.why_switch.clone());
            draft.target = Some(b.target);
            draft.mailboxes = b.mailboxes.clone();
            draft.domains = b.domains.clone();
            draft.candidates = b.candidates.clone();
            draft.not_listed = b.not_listed.clone();
            self.table.push(w, draft);
            last = last.max(w);
        }
        Some(last)
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
        (from.max(1)..=limit).find(|&w| self.move_fits(w, kind, source, target))
    }

    fn move_fits(&self, w: usize, kind: StepKind, source: ServerId, target: ServerId) -> bool {
        // A store whose upgrade is booked receives only after it.
        if self.upgrade_wave[target.index()].is_some_and(|u| w <= u) {
            return false;
        }
        if self.table.is_out(w, target) || self.table.is_out(w, source) {
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
        let from_source = slot.pairs.iter().filter(|(_, s, _)| *s == source).count();
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
                self.outages.push(OutageNote {
                    wave: w,
                    server: ServerId(s as u32),
                    unit: unit.name.clone(),
                    message: format!(
                        "{} of {} {} server{} up while {} upgrades (accepted by allow_outage)",
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
        if self.table.moves_from(w, sid) {
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
        named.push(
            policy.allow_outage.contains(&u.name)
                || u.roles.iter().any(|r| policy.allow_outage.contains(r)),
        );
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
