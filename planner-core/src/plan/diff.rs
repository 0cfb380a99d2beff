//! What changed between two plans, for the reviewer who must re-approve:
//! servers whose wave or actions changed, accounts whose destination
//! changed, steps added and removed (matched by id, never by wave number),
//! and the totals before and after.
//!
//! Two plans **do the same work** when they have the same steps by id, each
//! with the same kind, servers, accounts, mode and actions, in the same
//! order of waves (each step in the same wave). Estimates, `why` texts and
//! the reference time do not count.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, BackupMode, Plan, Step, StepKind};

/// The difference between an old and a new plan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanDiff {
    /// Whether both plans do the same work (see the module documentation).
    pub same_work: bool,
    /// Servers whose upgrade moved to another wave, changed its actions,
    /// appeared or disappeared, by name.
    pub servers: Vec<ServerChange>,
    /// Accounts whose final store differs, by account: (account, old
    /// destination, new destination); `None` where the plan does not move it.
    pub destinations: Vec<(String, Option<String>, Option<String>)>,
    /// Ids of steps only in the new plan, in its order.
    pub added: Vec<String>,
    /// Ids of steps only in the old plan, in its order, less those the new
    /// plan records as done before its resume.
    pub removed: Vec<String>,
    /// Ids of steps of the old plan that the new one, a resumed plan,
    /// records as done before it (`resumed_from.done`), in the old plan's order.
    pub done: Vec<String>,
    /// Ids of steps in both whose work differs (kind, servers, accounts,
    /// mode or actions), in the new plan's order.
    pub changed: Vec<String>,
    /// Ids of steps in both doing the same work in another wave, once the
    /// renumbering is allowed for, in the new plan's order.
    pub moved: Vec<String>,
    /// How many waves later the new plan has the steps both plans share,
    /// most often (negative: earlier), as when a plan made after progress
    /// drops the waves already run; waves are compared after this shift.
    pub shift: i64,
    /// The totals of the old plan, then the new.
    pub totals: [Totals; 2],
}

/// One server's upgrade in each plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerChange {
    /// The server.
    pub server: String,
    /// Its upgrade wave and actions in the old plan, if it is upgraded there.
    pub old: Option<(u32, Vec<Action>)>,
    /// The same in the new plan.
    pub new: Option<(u32, Vec<Action>)>,
}

/// A plan's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Waves.
    pub waves: u64,
    /// Steps.
    pub steps: u64,
    /// Servers upgraded.
    pub upgrades: u64,
    /// Mailbox moves (a copy and its switch are one).
    pub mailboxes_moved: u64,
    /// Their bytes.
    pub bytes_moved: u64,
    /// The estimate, when the plan has one.
    pub estimated_duration_s: Option<u64>,
}

/// What a step does, for comparing: its kind, servers, accounts (sorted),
/// mode and actions.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Work<'p> {
    kind: StepKind,
    server: Option<&'p str>,
    source: Option<&'p str>,
    target: Option<&'p str>,
    accounts: Vec<&'p str>,
    mode: Option<BackupMode>,
    actions: Option<&'p [Action]>,
}

impl<'p> Work<'p> {
    fn of(step: &'p Step) -> Work<'p> {
        let mut accounts: Vec<&str> = step.accounts.iter().flatten().map(String::as_str).collect();
        accounts.sort_unstable();
        Work {
            kind: step.kind,
            server: step.server.as_deref(),
            source: step.source.as_deref(),
            target: step.target.as_deref(),
            accounts,
            mode: step.mode,
            actions: step.actions.as_deref(),
        }
    }
}

/// Every step by id, with its wave and its position in the plan.
fn by_id(plan: &Plan) -> BTreeMap<&str, (u32, usize, &Step)> {
    let mut found = BTreeMap::new();
    let mut position = 0;
    for (w, wave) in plan.waves.iter().enumerate() {
        for step in &wave.steps {
            // The position of a wave in the list, not its `index` field.
            let wave = u32::try_from(w + 1).unwrap_or(u32::MAX);
            found
                .entry(step.id.as_str())
                .or_insert((wave, position, step));
            position += 1;
        }
    }
    found
}

/// The most common wave shift of the steps both plans share (the smallest
/// one among equals), 0 when they share none.
fn common_shift(
    a: &BTreeMap<&str, (u32, usize, &Step)>,
    b: &BTreeMap<&str, (u32, usize, &Step)>,
) -> i64 {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for (id, (wave, _, _)) in b {
        if let Some((w, _, _)) = a.get(id) {
            *counts.entry(i64::from(*wave) - i64::from(*w)).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(shift, n)| (*n, std::cmp::Reverse(shift.abs())))
        .map_or(0, |(shift, _)| shift)
}

/// Each upgraded server's wave and actions.
fn upgrades(plan: &Plan) -> BTreeMap<&str, (u32, Vec<Action>)> {
    let mut found = BTreeMap::new();
    for (w, wave) in plan.waves.iter().enumerate() {
        for step in wave.steps.iter().filter(|s| s.kind == StepKind::Upgrade) {
            if let Some(server) = step.server.as_deref() {
                let wave = u32::try_from(w + 1).unwrap_or(u32::MAX);
                let actions = step.actions.clone().unwrap_or_default();
                found.entry(server).or_insert((wave, actions));
            }
        }
    }
    found
}

fn totals(plan: &Plan) -> Totals {
    let steps = plan.waves.iter().map(|w| w.steps.len() as u64).sum();
    let upgrades = plan
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| s.kind == StepKind::Upgrade)
        .count() as u64;
    Totals {
        waves: plan.waves.len() as u64,
        steps,
        upgrades,
        mailboxes_moved: plan.summary.mailboxes_moved,
        bytes_moved: plan.summary.bytes_moved,
        estimated_duration_s: plan.summary.estimated_duration_s,
    }
}

/// Compares two plans.
pub fn diff(old: &Plan, new: &Plan) -> PlanDiff {
    let (a, b) = (by_id(old), by_id(new));
    let in_order = |m: &BTreeMap<&str, (u32, usize, &Step)>, ids: Vec<&str>| {
        let mut ids: Vec<(usize, String)> = ids
            .into_iter()
            .map(|id| (m[id].1, id.to_string()))
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    };
    let added = in_order(
        &b,
        b.keys()
            .filter(|id| !a.contains_key(*id))
            .copied()
            .collect(),
    );
    let done_before: BTreeSet<&str> = new.done_before().iter().map(|s| s.id.as_str()).collect();
    let (done, removed): (Vec<&str>, Vec<&str>) = a
        .keys()
        .filter(|id| !b.contains_key(*id))
        .partition(|id| done_before.contains(*id));
    let (done, removed) = (in_order(&a, done), in_order(&a, removed));
    let changed = in_order(
        &b,
        b.iter()
            .filter(|(id, (_, _, step))| {
                a.get(*id)
                    .is_some_and(|(_, _, s)| Work::of(s) != Work::of(step))
            })
            .map(|(id, _)| *id)
            .collect(),
    );
    let shift = common_shift(&a, &b);
    let moved = in_order(
        &b,
        b.iter()
            .filter(|(id, (wave, _, step))| {
                a.get(*id).is_some_and(|(w, _, s)| {
                    i64::from(*wave) - i64::from(*w) != shift && Work::of(s) == Work::of(step)
                })
            })
            .map(|(id, _)| *id)
            .collect(),
    );
    // Duplicate ids (a hand-edited plan) make the maps shorter than the plans.
    let counts = |p: &Plan| p.waves.iter().map(|w| w.steps.len()).sum::<usize>();
    let complete = a.len() == counts(old) && b.len() == counts(new);
    let same_work = complete
        && added.is_empty()
        && removed.is_empty()
        && done.is_empty()
        && changed.is_empty()
        && moved.is_empty()
        && shift == 0;
    let servers = changed_servers(old, new, shift);
    let (da, db) = (old.destinations(), new.destinations());
    let accounts: BTreeSet<&str> = da.keys().chain(db.keys()).copied().collect();
    let destinations = accounts
        .into_iter()
        .filter(|acc| da.get(acc) != db.get(acc))
        .map(|acc| {
            (
                acc.to_string(),
                da.get(acc).map(|s| s.to_string()),
                db.get(acc).map(|s| s.to_string()),
            )
        })
        .collect();
    PlanDiff {
        same_work,
        servers,
        destinations,
        added,
        removed,
        done,
        changed,
        moved,
        shift,
        totals: [totals(old), totals(new)],
    }
}

/// Servers whose upgrade moved to another wave (after the shift), changed
/// its actions, appeared or disappeared; not those the new plan's resume
/// found upgraded (their steps are among the done ones).
fn changed_servers(old: &Plan, new: &Plan, shift: i64) -> Vec<ServerChange> {
    let (ua, ub) = (upgrades(old), upgrades(new));
    let servers: BTreeSet<&str> = ua.keys().chain(ub.keys()).copied().collect();
    // Servers the new plan's resume found upgraded are among `done`.
    let upgraded_before: BTreeSet<&str> = new
        .done_before()
        .iter()
        .filter(|s| s.kind == StepKind::Upgrade)
        .filter_map(|s| s.server.as_deref())
        .collect();
    servers
        .into_iter()
        .filter(|s| ub.contains_key(s) || !upgraded_before.contains(s))
        .filter(|s| match (ua.get(s), ub.get(s)) {
            (Some((wa, xa)), Some((wb, xb))) => {
                i64::from(*wb) - i64::from(*wa) != shift || xa != xb
            }
            (x, y) => x != y,
        })
        .map(|s| ServerChange {
            server: s.to_string(),
            old: ua.get(s).cloned(),
            new: ub.get(s).cloned(),
        })
        .collect()
}
