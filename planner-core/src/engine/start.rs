//! Where a schedule starts: from nothing done (a fresh plan), or from what
//! the steps a journal records as done left behind (a resumed plan, see
//! `crate::resume`), beyond what the inventory itself can say (versions and
//! homes, which the resumed inventory already has).

use std::collections::{BTreeMap, BTreeSet};

use super::place::Guide;
use crate::inventory::ServerId;

/// What earlier steps left for the schedule to finish. Server and mailbox
/// numbers are the inventory's indices.
#[derive(Clone, Debug, Default)]
pub struct Start {
    /// Stores out of the account pools (a pool-out done, no pool-in since):
    /// each gets its pool-in after its upgrade, and none gets a second pool-out.
    pub pooled_out: BTreeSet<usize>,
    /// Stores already backed up before being emptied or upgraded in place.
    pub backed_up: BTreeSet<usize>,
    /// Stores upgraded earlier whose full backup after the upgrade is still
    /// due (the policy asks for one and none was taken).
    pub backup_after_due: BTreeSet<usize>,
    /// Stage-1 copies made and not switched: each is switched, not copied
    /// again; and one-stage moves that failed, which may have switched some
    /// of their accounts: each goes to the same target again (`made: false`).
    pub copied: Vec<Copied>,
    /// Per store, the mailboxes whose old copies it keeps (switched off it,
    /// not purged since): its next purge deletes them.
    pub kept: BTreeMap<usize, Vec<u32>>,
    /// Mailboxes parked on spare stores by switches before a resume, by the
    /// store they came from: under strategy `spare` they come back to it
    /// after its upgrade, and they do not make the spare count as full.
    pub parked: Vec<Parked>,
    /// The order of emptying and the targets the plan being resumed chose
    /// for what is left: tried first, so that a resumed plan keeps the
    /// approved choices where they still hold.
    pub guide: Option<Guide>,
    /// The strategy the plan being resumed followed: its mode is tried first.
    pub chosen_before: Option<crate::plan::ChosenStrategy>,
    /// The step ids used before: new ids continue their numbering.
    pub used_ids: Vec<String>,
    /// The earliest time the first wave may start (a schedule's start in
    /// the past is moved to it).
    pub not_before: Option<jiff::Timestamp>,
}

/// A stage-1 copy whose switch has not run, or a one-stage move that failed
/// part way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    /// Whether the copy is made (on the target's disk); `false` for a failed
    /// one-stage move, which is made again to the same target.
    pub made: bool,
    pub source: ServerId,
    pub target: ServerId,
    /// Its mailboxes, as listed by the copy.
    pub mailboxes: Vec<u32>,
    /// Its domains, under `move_by: domain`.
    pub domains: Vec<String>,
    /// The id of the copy, or of the move that failed.
    pub step: String,
}

/// Mailboxes switched from a store onto a spare, not yet back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parked {
    pub home: ServerId,
    pub spare: ServerId,
    pub mailboxes: Vec<u32>,
}

impl Start {
    /// Whether mailboxes of store `s` wait on a spare to come back.
    pub fn parked_from(&self, s: usize) -> impl Iterator<Item = &Parked> {
        self.parked.iter().filter(move |p| p.home.index() == s)
    }

    /// The copies made off store `s` that wait for their switch.
    pub fn copied_from(&self, s: usize) -> impl Iterator<Item = &Copied> {
        self.copied.iter().filter(move |c| c.source.index() == s)
    }
}
