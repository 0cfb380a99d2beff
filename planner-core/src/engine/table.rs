//! The wave table: what each wave already holds, so that every new step is
//! put in the earliest wave where all the safety rules still hold.
//!
//! The scheduler asks questions ("can this server go down in wave 7?", "can
//! this move run in wave 9?") and books what it decides. Waves are 1-based and
//! the table grows on demand.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use crate::inventory::ServerId;
use crate::plan::{StepKind, Verdict};

/// A step decided by the engine, before it is written out.
#[derive(Clone, Debug)]
pub struct Draft {
    /// Its kind.
    pub kind: StepKind,
    /// The server (non-move steps) or the source (moves).
    pub server: ServerId,
    /// The target of a move.
    pub target: Option<ServerId>,
    /// The mailboxes of a move (indices into the inventory), sorted.
    pub mailboxes: Vec<u32>,
    /// Whole domains moved, sorted.
    pub domains: Vec<String>,
    /// Upgrades: an accepted outage.
    pub outage: bool,
    /// Why it is here.
    pub why: String,
    /// Moves: the candidate verdicts, by store (the target and a few others).
    pub candidates: Vec<(ServerId, Verdict)>,
    /// Moves: how many other stores were considered, by verdict.
    pub not_listed: Vec<(Verdict, u64)>,
    /// Backups: full or incremental.
    pub full_backup: bool,
    /// Backups: after the store's upgrade (`backup_after_upgrade`).
    pub after_upgrade: bool,
}

impl Draft {
    /// A step on one server.
    pub fn on(kind: StepKind, server: ServerId, why: String) -> Draft {
        Draft {
            kind,
            server,
            target: None,
            mailboxes: Vec::new(),
            domains: Vec::new(),
            outage: false,
            why,
            candidates: Vec::new(),
            not_listed: Vec::new(),
            full_backup: false,
            after_upgrade: false,
        }
    }
}

/// One wave's bookings.
#[derive(Default)]
pub struct Slot {
    pub steps: Vec<Draft>,
    pub upgrades: u32,
    pub moves: u32,
    /// Whether a directory master is upgraded in the wave (no directory
    /// write may run beside it).
    pub master_upgrade: bool,
    /// Whether a step writes to the directory in the wave: a switch or a
    /// pool change.
    pub writes_directory: bool,
    /// Servers down (upgraded in the wave).
    pub out: BTreeSet<ServerId>,
    /// Out-of-service count per availability unit.
    pub out_per_unit: Vec<u32>,
    pub sources: BTreeSet<ServerId>,
    /// Move steps per source (rule 13's `max_moves_per_source`).
    pub from_source: BTreeMap<ServerId, u32>,
    pub targets: BTreeSet<ServerId>,
    /// Stores backed up or purged in the wave: no move touches them in it
    /// (rule 13), and they are not upgraded in it.
    pub busy: BTreeSet<ServerId>,
    pub pairs: BTreeSet<(StepKind, ServerId, ServerId)>,
}

/// Every wave.
pub struct Table {
    slots: Vec<Slot>,
    units: usize,
    /// Per server (by index), the last wave with a move from or to it: so
    /// that [`Table::moves_from`] does not scan the waves.
    last_move: Vec<usize>,
    /// `max_parallel_moves`, and per wave (index `wave - 1`) a link towards
    /// the first wave from it with room for another move: a full wave links
    /// past itself, and lookups shorten the links they follow, so a search
    /// for a move's wave skips the full waves instead of walking them again
    /// (with thousands of stores, most waves fill up).
    move_limit: u32,
    open: Vec<Cell<usize>>,
}

impl Table {
    pub fn new(units: usize, move_limit: u32) -> Table {
        Table {
            slots: Vec::new(),
            units,
            last_move: Vec::new(),
            move_limit,
            open: Vec::new(),
        }
    }

    /// The first wave from `wave` on with room for another move step.
    pub fn open_from(&self, wave: usize) -> usize {
        let mut w = wave.max(1);
        // Follow the links to the end, then point every wave passed at it.
        while let Some(next) = self.open.get(w - 1).map(Cell::get).filter(|&n| n != w) {
            w = next;
        }
        let end = w;
        let mut w = wave.max(1);
        while let Some(link) = self.open.get(w - 1).filter(|l| l.get() != w) {
            w = link.replace(end);
        }
        end
    }

    fn note_move(&mut self, server: ServerId, wave: usize) {
        let i = server.index();
        if self.last_move.len() <= i {
            self.last_move.resize(i + 1, 0);
        }
        self.last_move[i] = self.last_move[i].max(wave);
    }

    /// The wave, created if needed (1-based).
    pub fn slot(&mut self, wave: usize) -> &mut Slot {
        while self.slots.len() < wave {
            self.slots.push(Slot {
                out_per_unit: vec![0; self.units],
                ..Slot::default()
            });
        }
        &mut self.slots[wave - 1]
    }

    /// The wave if it exists.
    pub fn get(&self, wave: usize) -> Option<&Slot> {
        wave.checked_sub(1).and_then(|i| self.slots.get(i))
    }

    /// Out-of-service count of a unit in a wave.
    pub fn out_count(&self, wave: usize, unit: usize) -> u32 {
        self.get(wave).map_or(0, |s| s.out_per_unit[unit])
    }

    /// Whether the server is down (upgraded) in the wave.
    pub fn is_out(&self, wave: usize, server: ServerId) -> bool {
        self.get(wave).is_some_and(|s| s.out.contains(&server))
    }

    /// Whether the server is backed up or purged in the wave.
    pub fn is_busy(&self, wave: usize, server: ServerId) -> bool {
        self.get(wave).is_some_and(|s| s.busy.contains(&server))
    }

    /// Whether any move touches the server in the wave.
    pub fn moves_in(&self, wave: usize, server: ServerId) -> bool {
        self.get(wave)
            .is_some_and(|s| s.sources.contains(&server) || s.targets.contains(&server))
    }

    /// Mutable access to every wave, for the finishing passes.
    pub fn slots_mut(&mut self) -> &mut [Slot] {
        &mut self.slots
    }

    /// The last wave with a move from or to the server (0: none).
    pub fn last_move(&self, server: ServerId) -> usize {
        self.last_move.get(server.index()).copied().unwrap_or(0)
    }

    /// Whether any move touches the server in this wave or later.
    pub fn moves_from(&self, wave: usize, server: ServerId) -> bool {
        self.last_move
            .get(server.index())
            .is_some_and(|&last| last >= wave.max(1))
    }

    /// Books a step in a wave.
    pub fn push(&mut self, wave: usize, draft: Draft) {
        if draft.kind.is_move() {
            self.note_move(draft.server, wave);
            if let Some(t) = draft.target {
                self.note_move(t, wave);
            }
        }
        let limit = self.move_limit;
        let slot = self.slot(wave);
        if draft.kind.is_move() {
            slot.moves += 1;
            slot.sources.insert(draft.server);
            *slot.from_source.entry(draft.server).or_insert(0) += 1;
            if let Some(t) = draft.target {
                slot.targets.insert(t);
                slot.pairs.insert((draft.kind, draft.server, t));
            }
        }
        if matches!(
            draft.kind,
            StepKind::MoveSwitch | StepKind::PoolOut | StepKind::PoolIn
        ) {
            slot.writes_directory = true;
        }
        if draft.kind == StepKind::Upgrade {
            slot.upgrades += 1;
        }
        let full = draft.kind.is_move() && slot.moves >= limit;
        if matches!(draft.kind, StepKind::Backup | StepKind::Purge) {
            slot.busy.insert(draft.server);
        }
        slot.steps.push(draft);
        while self.open.len() < self.slots.len() {
            let w = self.open.len() + 1;
            self.open.push(Cell::new(w));
        }
        if full {
            self.open[wave - 1].set(wave + 1);
        }
    }

    /// Marks a server out of service in a wave for its units.
    pub fn mark_out(&mut self, wave: usize, server: ServerId, units: &[usize]) {
        let slot = self.slot(wave);
        if slot.out.insert(server) {
            for &u in units {
                slot.out_per_unit[u] += 1;
            }
        }
    }

    /// All waves, in order.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }
}
