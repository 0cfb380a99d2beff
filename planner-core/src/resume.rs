//! Resuming a plan after some of its steps ran (SPEC section 11).
//!
//! The steps a journal records as done are applied to the inventory's state
//! (servers upgraded, copies made, accounts switched, backups taken, stores
//! pooled out or in, copies purged), and what remains is planned from there:
//! no done step is repeated, a copy without its switch is switched, a store
//! pooled out gets its pool-in, copies kept on a store get their purge. The
//! new plan records the steps done before it (`resumed_from`), and the two
//! together, judged as one plan by the checker against the original
//! inventory, must be safe; otherwise nothing is returned.
//!
//! A step whose last journal line is `started` may still run or may have
//! half happened: the resume refuses it, saying what to check. A `failed`
//! step is planned again, under a new id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::engine::{self, Copied, Guide, NoSafePlan, Parked, Start};
use crate::inventory::{BackupAfterUpgrade, BackupPolicy, Checked, Inventory, ServerId};
use crate::journal::{Entry, StepState};
use crate::plan::{BackupWhen, Plan, PlanOptions, ResumedFrom, Step, StepKind, effective_policy};
use crate::verify::{self, Violation};

/// Why a plan cannot be resumed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ResumeError {
    /// The plan was made from another inventory, or from this one before it
    /// changed: what differs, as far as the plan records it.
    Stale(Vec<String>),
    /// Steps whose last journal line is `started`: each with what to check
    /// before its outcome is recorded.
    Started(Vec<(String, String)>),
    /// Ids the journal records as done that the plan does not have.
    Unknown(Vec<String>),
    /// This run's options (`--strategy`, `--max-fill`) differ from those the
    /// plan was made with: the flags to repeat.
    OtherOptions(Vec<String>),
    /// A done step names a server or an account the inventory lacks.
    Malformed(String),
    /// The steps done break the safety rules by themselves (they were not
    /// run in the plan's order): re-planning cannot undo them.
    UnsafeHistory(Vec<Violation>),
    /// What is left has no safe plan.
    NoSafePlan(NoSafePlan),
    /// The new plan with the steps done before it fails the checker: a bug
    /// of the planner, reported rather than written.
    Internal(Vec<Violation>),
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = |f: &mut fmt::Formatter<'_>, v: &[Violation]| -> fmt::Result {
            for v in v {
                writeln!(f, "  {v}")?;
            }
            Ok(())
        };
        match self {
            ResumeError::Stale(changes) => {
                writeln!(
                    f,
                    "the plan was not made from this inventory (their digests differ):"
                )?;
                for c in changes {
                    writeln!(f, "  - {c}")?;
                }
                write!(
                    f,
                    "hint: resume with the inventory the plan was made from, or, if the installation itself changed, make a new plan from an inventory that describes it as it is now"
                )
            }
            ResumeError::Started(steps) => {
                writeln!(
                    f,
                    "the journal has {} step{} started and not finished; each may still run, or may have half happened:",
                    steps.len(),
                    if steps.len() == 1 { "" } else { "s" }
                )?;
                for (id, check) in steps {
                    writeln!(f, "  - {id}: {check}")?;
                }
                write!(
                    f,
                    "hint: once you know the outcome, append `ID done TIME` or `ID failed TIME MESSAGE` (RFC 3339 TIME) to the journal for each, then resume again"
                )
            }
            ResumeError::Unknown(ids) => write!(
                f,
                "the journal records as done {} step{} the plan does not have: {}\nhint: give the plan this journal was written for",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                ids.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ),
            ResumeError::Malformed(what) => write!(f, "a done step {what}"),
            ResumeError::OtherOptions(flags) => write!(
                f,
                "the plan was made with other planning options than this run's, and the steps done are judged under the plan's\nhint: repeat them: {}",
                flags.join(" ")
            ),
            ResumeError::UnsafeHistory(v) => {
                writeln!(
                    f,
                    "the steps the journal records as done break the safety rules by themselves (were steps run out of the plan's order?):"
                )?;
                lines(f, v)?;
                write!(
                    f,
                    "hint: describe the installation as it is now in the inventory and make a new plan"
                )
            }
            ResumeError::NoSafePlan(refusal) => write!(f, "{refusal}"),
            ResumeError::Internal(v) => {
                writeln!(
                    f,
                    "internal error: the resumed plan, after the steps done before it, fails the checker; nothing was written. Please report this with the inventory, the plan and the journal:"
                )?;
                lines(f, v)
            }
        }
    }
}

impl std::error::Error for ResumeError {}

/// Resumes `previous` (made from `checked`; `plan_digest` is the sha256 of
/// its file, as `sha256:HEX`) after the steps `journal` records: the new
/// plan of what is left, with `resumed_from`.
pub fn resume(
    checked: &Checked,
    previous: &Plan,
    plan_digest: &str,
    journal: &[Entry],
    options: &PlanOptions,
) -> Result<Plan, ResumeError> {
    fresh(checked, previous, options)?;
    let steps = steps_by_id(previous);
    let mut last: BTreeMap<&str, &Entry> = BTreeMap::new();
    for e in journal {
        last.insert(e.id.as_str(), e);
    }
    let started: Vec<(String, String)> = last
        .values()
        .filter(|e| e.state == StepState::Started)
        .map(|e| {
            let check = steps.get(e.id.as_str()).map_or_else(
                || "a step this plan does not have".to_string(),
                |s| what_to_check(s),
            );
            (e.id.clone(), format!("started {}; {check}", e.time))
        })
        .collect();
    if !started.is_empty() {
        return Err(ResumeError::Started(started));
    }
    // Done, in the order of the lines that made them done.
    let mut done: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for e in journal {
        if last.get(e.id.as_str()).is_some_and(|l| l.line == e.line)
            && e.state == StepState::Done
            && seen.insert(e.id.as_str())
        {
            done.push(e.id.as_str());
        }
    }
    let used: Vec<&str> = last.keys().copied().collect();
    let failed: Vec<&str> = last
        .values()
        .filter(|e| e.state == StepState::Failed)
        .map(|e| e.id.as_str())
        .collect();
    resume_with(
        checked,
        previous,
        plan_digest,
        (&done, &failed, &used),
        options,
    )
}

/// The plan was made from this inventory, with this run's options.
fn fresh(checked: &Checked, previous: &Plan, options: &PlanOptions) -> Result<(), ResumeError> {
    let inv = checked.inventory();
    if previous.inventory_digest != checked.digest() {
        return Err(ResumeError::Stale(what_changed(previous, inv, options)));
    }
    let flags = crate::plan::flags_to_repeat(previous, inv, options);
    if !flags.is_empty() {
        return Err(ResumeError::OtherOptions(flags));
    }
    if previous.policy != engine::plan_policy(&effective_policy(inv, options)) {
        return Err(ResumeError::Stale(what_changed(previous, inv, options)));
    }
    Ok(())
}

/// [`resume`] from a list of done step ids (in the order they were done)
/// instead of a journal: for a tool that keeps its own record. It knows
/// nothing of failed steps: their ids may come back, and a one-stage move
/// that failed part way is planned afresh (give a journal to [`resume`] to
/// send it to the same target).
pub fn resume_done(
    checked: &Checked,
    previous: &Plan,
    plan_digest: &str,
    done: &[&str],
    options: &PlanOptions,
) -> Result<Plan, ResumeError> {
    fresh(checked, previous, options)?;
    resume_with(checked, previous, plan_digest, (done, &[], done), options)
}

fn resume_with(
    checked: &Checked,
    previous: &Plan,
    plan_digest: &str,
    (done, failed, used): (&[&str], &[&str], &[&str]),
    options: &PlanOptions,
) -> Result<Plan, ResumeError> {
    let inv = checked.inventory();
    let steps = steps_by_id(previous);
    let unknown: Vec<String> = done
        .iter()
        .filter(|id| !steps.contains_key(**id))
        .map(|id| id.to_string())
        .collect();
    if !unknown.is_empty() {
        return Err(ResumeError::Unknown(unknown));
    }
    // The steps done before the previous plan, then those done of its own.
    let earlier: Vec<&Step> = previous.done_before().iter().collect();
    let earlier_ids: BTreeSet<&str> = earlier.iter().map(|s| s.id.as_str()).collect();
    let mut history: Vec<&Step> = earlier.clone();
    history.extend(
        done.iter()
            .filter(|id| !earlier_ids.contains(**id))
            .filter_map(|id| steps.get(*id).copied()),
    );
    let spare = previous.strategy.chosen == crate::plan::ChosenStrategy::Spare;
    let progress = Progress::replay(inv, &history, spare)?;
    let mut used_ids: Vec<String> = used.iter().map(|s| s.to_string()).collect();
    used_ids.extend(history.iter().map(|s| s.id.clone()));
    let lookup = Lookup::new(inv);
    let mut start = progress.start(&lookup, used_ids, options.now)?;
    start.guide = Some(guide(&lookup, previous, &history));
    start.chosen_before = Some(previous.strategy.chosen);
    let resumed = checked.with_inventory(progress.inventory(&lookup)?);
    if !inv.policy().two_stage_moves {
        let failed = failed.iter().filter_map(|id| steps.get(id).copied());
        retry_failed_moves(&lookup, resumed.inventory(), &mut start, failed)?;
    }
    let mut plan = engine::plan_from(&resumed, options, &start).map_err(ResumeError::NoSafePlan)?;
    plan.resumed_from = Some(ResumedFrom {
        plan_digest: plan_digest.to_string(),
        done: history.into_iter().cloned().collect(),
    });
    let violations = verify::verify_new(&plan, inv, options);
    if violations.is_empty() {
        return Ok(plan);
    }
    let done_ids: BTreeSet<&str> = plan.done_before().iter().map(|s| s.id.as_str()).collect();
    let in_history = violations
        .iter()
        .all(|v| v.wave.is_none() && v.step.as_deref().is_some_and(|s| done_ids.contains(s)));
    Err(if in_history {
        ResumeError::UnsafeHistory(violations)
    } else {
        ResumeError::Internal(violations)
    })
}

/// One-stage moves that failed may have moved some of their accounts (the
/// tool moves one account after another): each is made again to the same
/// target, so that the accounts already there stay and the rest follow.
/// `now` is the inventory as the done steps left it.
fn retry_failed_moves<'s>(
    lookup: &Lookup<'_>,
    now: &Inventory,
    start: &mut Start,
    failed: impl Iterator<Item = &'s Step>,
) -> Result<(), ResumeError> {
    for step in failed.filter(|s| s.kind == StepKind::MoveSwitch) {
        let ends = (
            step.source.as_deref().and_then(|n| now.server_id(n)),
            step.target.as_deref().and_then(|n| now.server_id(n)),
        );
        let (Some(source), Some(target)) = ends else {
            continue;
        };
        let mut mailboxes = Vec::new();
        for account in step.accounts.iter().flatten() {
            let m = lookup.mailbox(account)?;
            // Moved since by a done step: not this move's any more.
            if now.mailboxes()[m].store() == source {
                mailboxes.push(m as u32);
            }
        }
        if mailboxes.is_empty() || start.copied.iter().any(|c| c.source == source) {
            continue;
        }
        mailboxes.sort_unstable();
        start.copied.push(Copied {
            made: false,
            source,
            target,
            mailboxes,
            domains: step.domains.clone().unwrap_or_default(),
            step: step.id.clone(),
        });
    }
    Ok(())
}

/// What the plan being resumed chose for the moves it has left: the order
/// in which it empties stores (the order of their upgrades: a store emptied
/// onto another is emptied after it) and, per store, the target of each
/// mailbox.
fn guide(lookup: &Lookup<'_>, previous: &Plan, history: &[&Step]) -> Guide {
    let inv = lookup.inv;
    let done: BTreeSet<&str> = history.iter().map(|s| s.id.as_str()).collect();
    let mut guide = Guide {
        order: Vec::new(),
        targets: vec![Vec::new(); inv.servers().len()],
    };
    let upgrades = previous
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| s.kind == StepKind::Upgrade && !done.contains(s.id.as_str()));
    for step in upgrades {
        if let Some(s) = step.server.as_deref().and_then(|n| inv.server_id(n))
            && inv.server(s).is_mailstore()
            && !guide.order.contains(&s.index())
        {
            guide.order.push(s.index());
        }
    }
    let moves = previous
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| s.kind.is_move() && !done.contains(s.id.as_str()));
    for step in moves {
        let ends = (
            step.source.as_deref().and_then(|n| inv.server_id(n)),
            step.target.as_deref().and_then(|n| inv.server_id(n)),
        );
        let (Some(source), Some(target)) = ends else {
            continue;
        };
        if !guide.order.contains(&source.index()) {
            guide.order.push(source.index());
        }
        for account in step.accounts.iter().flatten() {
            if let Ok(m) = lookup.mailbox(account) {
                guide.targets[source.index()].push((m as u32, target.index() as u32));
            }
        }
    }
    for list in &mut guide.targets {
        // The first move off a store decides (a copy before its switch).
        list.sort_by_key(|&(m, _)| m);
        list.dedup_by_key(|&mut (m, _)| m);
    }
    guide
}

/// Every step of a plan by id, the steps done before it (if it was itself
/// resumed) included.
fn steps_by_id(plan: &Plan) -> HashMap<&str, &Step> {
    plan.done_before()
        .iter()
        .chain(plan.waves.iter().flat_map(|w| w.steps.iter()))
        .map(|s| (s.id.as_str(), s))
        .collect()
}

/// What an operator checks before recording the outcome of a step left
/// `started`.
fn what_to_check(step: &Step) -> String {
    let server = step
        .server
        .as_deref()
        .or(step.source.as_deref())
        .unwrap_or("?");
    let target = step.target.as_deref().unwrap_or("?");
    let accounts = step.accounts.as_ref().map_or(0, Vec::len);
    match step.kind {
        StepKind::Upgrade => format!(
            "check the version and services on {server} (`zmcontrol -v`, `zmcontrol status`): done if it runs the new version and every service is up"
        ),
        StepKind::Backup => format!(
            "check on {server} that the backup finished (the backup tool's status or its latest session)"
        ),
        StepKind::MoveData => format!(
            "check on {server} that the copy to {target} finished (no move operation still runs there)"
        ),
        StepKind::MoveSwitch => format!(
            "check where its {accounts} account{} live (`zmprov ga ACCOUNT zimbraMailHost`) and that no move still runs on {server}: record it done only if every one is on {target}; if some are, run the step again until all are (the move tools skip accounts already moved) and then record it done",
            if accounts == 1 { "" } else { "s" }
        ),
        StepKind::Purge => format!(
            "check on {server} that the purge finished (no purge operation still runs there)"
        ),
        StepKind::PoolOut | StepKind::PoolIn => format!(
            "check whether {server} is in the class-of-service pools (`zmprov gc COS zimbraMailHostPool`)"
        ),
    }
}

/// The inventory's servers and accounts by the names steps give them: the
/// accounts hashed once, since a resume looks up every account the done
/// and the remaining moves name (a binary search per account cost most of
/// a million-mailbox resume).
struct Lookup<'i> {
    inv: &'i Inventory,
    accounts: HashMap<&'i str, usize>,
    servers: HashMap<&'i str, ServerId>,
}

impl<'i> Lookup<'i> {
    fn new(inv: &'i Inventory) -> Lookup<'i> {
        let accounts = inv
            .mailboxes()
            .iter()
            .enumerate()
            .map(|(i, m)| (m.account().as_str(), i))
            .collect();
        let servers = inv
            .server_ids()
            .map(|(id, s)| (s.name().as_str(), id))
            .collect();
        Lookup {
            inv,
            accounts,
            servers,
        }
    }

    /// The mailbox of an account, whatever its case.
    fn mailbox(&self, account: &str) -> Result<usize, ResumeError> {
        self.accounts
            .get(account)
            .copied()
            .or_else(|| self.inv.mailbox_index(account))
            .ok_or_else(|| {
                ResumeError::Malformed(format!(
                    "names the account `{account}`, which the inventory lacks"
                ))
            })
    }

    /// A server, whatever its case.
    fn server(&self, name: &str) -> Result<ServerId, ResumeError> {
        let found = self.servers.get(name).copied();
        found.or_else(|| self.inv.server_id(name)).ok_or_else(|| {
            ResumeError::Malformed(format!("names `{name}`, no server of the inventory"))
        })
    }
}

/// What the steps done so far did, read from the steps themselves.
#[derive(Default)]
struct Progress<'p> {
    upgraded: BTreeSet<&'p str>,
    /// Each switched account and the store it now lives on.
    home: BTreeMap<&'p str, &'p str>,
    pooled_out: BTreeSet<&'p str>,
    backed_up: BTreeSet<&'p str>,
    backed_up_after: BTreeSet<&'p str>,
    /// Copies made and not switched, by (source, target).
    copied: BTreeMap<(&'p str, &'p str), &'p Step>,
    /// Per store, the accounts whose old copies it keeps.
    kept: BTreeMap<&'p str, BTreeSet<&'p str>>,
    /// Accounts switched onto a spare store and not back: (home, spare).
    parked: BTreeMap<&'p str, (&'p str, &'p str)>,
}

fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl<'p> Progress<'p> {
    /// Applies the done steps in order.
    /// Under strategy spare (`spare`), switches onto a spare park mailboxes
    /// that come back.
    fn replay(
        inv: &Inventory,
        history: &[&'p Step],
        spare: bool,
    ) -> Result<Progress<'p>, ResumeError> {
        let mut p = Progress::default();
        fn named<'s>(
            inv: &Inventory,
            field: &'s Option<String>,
            what: &str,
            step: &Step,
        ) -> Result<&'s str, ResumeError> {
            field
                .as_deref()
                .filter(|n| inv.server_id(n).is_some())
                .ok_or_else(|| {
                    ResumeError::Malformed(format!(
                        "`{}` names no {what} of the inventory",
                        step.id
                    ))
                })
        }
        let named =
            |field: &'p Option<String>, what: &str, step: &Step| named(inv, field, what, step);
        for &step in history {
            match step.kind {
                StepKind::Upgrade => {
                    p.upgraded.insert(named(&step.server, "server", step)?);
                }
                StepKind::PoolOut => {
                    p.pooled_out.insert(named(&step.server, "server", step)?);
                }
                StepKind::PoolIn => {
                    p.pooled_out.remove(named(&step.server, "server", step)?);
                }
                StepKind::Backup => {
                    let server = named(&step.server, "server", step)?;
                    if step.when == Some(BackupWhen::AfterUpgrade) {
                        p.backed_up_after.insert(server);
                    } else {
                        p.backed_up.insert(server);
                    }
                }
                StepKind::MoveData => {
                    let pair = (
                        named(&step.source, "source", step)?,
                        named(&step.target, "target", step)?,
                    );
                    p.copied.insert(pair, step);
                }
                StepKind::MoveSwitch => {
                    let (source, target) = (
                        named(&step.source, "source", step)?,
                        named(&step.target, "target", step)?,
                    );
                    p.copied.remove(&(source, target));
                    let spare = |name: &str| {
                        spare && inv.server_id(name).is_some_and(|s| inv.server(s).spare())
                    };
                    let kept = p.kept.entry(source).or_default();
                    for account in step.accounts.iter().flatten() {
                        p.home.insert(account.as_str(), target);
                        kept.insert(account.as_str());
                        if spare(source) {
                            p.parked.remove(account.as_str());
                        } else if spare(target) {
                            p.parked.insert(account.as_str(), (source, target));
                        }
                    }
                }
                StepKind::Purge => {
                    let server = named(&step.server, "server", step)?;
                    if let Some(kept) = p.kept.get_mut(server) {
                        for account in step.accounts.iter().flatten() {
                            kept.remove(account.as_str());
                        }
                    }
                }
            }
        }
        Ok(p)
    }

    /// The inventory as the done steps left it: upgraded servers at the
    /// target, switched accounts on their new stores.
    fn inventory(&self, lookup: &Lookup<'_>) -> Result<Inventory, ResumeError> {
        let inv = lookup.inv;
        let mut upgraded = Vec::with_capacity(self.upgraded.len());
        for name in &self.upgraded {
            upgraded.push(lookup.server(name)?);
        }
        let mut homes = Vec::with_capacity(self.home.len());
        for (account, store) in &self.home {
            let store = lookup.server(store)?;
            if !inv.server(store).is_mailstore() {
                return Err(ResumeError::Malformed(format!(
                    "moves `{account}` onto {}, which is not a mailstore",
                    inv.server(store).name()
                )));
            }
            homes.push((lookup.mailbox(account)?, store));
        }
        Ok(inv.with_homes(upgraded, homes))
    }

    /// What the schedule must finish, beyond the inventory's new state.
    fn start(
        &self,
        lookup: &Lookup<'_>,
        used_ids: Vec<String>,
        now: jiff::Timestamp,
    ) -> Result<Start, ResumeError> {
        let inv = lookup.inv;
        let id = |name: &str| lookup.server(name);
        let index = |account: &str| lookup.mailbox(account).map(|m| m as u32);
        let policy = inv.policy();
        let mut start = Start {
            used_ids,
            not_before: Some(now),
            ..Start::default()
        };
        for name in &self.pooled_out {
            start.pooled_out.insert(id(name)?.index());
        }
        for name in &self.backed_up {
            start.backed_up.insert(id(name)?.index());
        }
        for name in &self.upgraded {
            let s = id(name)?;
            let server = inv.server(s);
            let wanted = match policy.backup_after_upgrade {
                BackupAfterUpgrade::Never => false,
                BackupAfterUpgrade::Always => true,
                BackupAfterUpgrade::Major => server.version().major_change_to(inv.target_version()),
            };
            if server.is_mailstore()
                && wanted
                && policy.backup != BackupPolicy::None
                && !self.backed_up_after.contains(*name)
            {
                start.backup_after_due.insert(s.index());
            }
        }
        for (&(source, target), step) in &self.copied {
            let mut mailboxes = Vec::new();
            for account in step.accounts.iter().flatten() {
                mailboxes.push(index(account)?);
            }
            mailboxes.sort_unstable();
            start.copied.push(Copied {
                made: true,
                source: id(source)?,
                target: id(target)?,
                mailboxes,
                domains: step.domains.clone().unwrap_or_default(),
                step: step.id.clone(),
            });
        }
        let mut parked: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
        for (account, &pair) in &self.parked {
            parked.entry(pair).or_default().push(index(account)?);
        }
        for ((home, spare), mut mailboxes) in parked {
            mailboxes.sort_unstable();
            start.parked.push(Parked {
                home: id(home)?,
                spare: id(spare)?,
                mailboxes,
            });
        }
        for (store, accounts) in &self.kept {
            if accounts.is_empty() {
                continue;
            }
            let mut list = Vec::with_capacity(accounts.len());
            for account in accounts {
                list.push(index(account)?);
            }
            list.sort_unstable();
            start
                .kept
                .entry(id(store)?.index())
                .or_default()
                .extend(list);
        }
        Ok(start)
    }
}

/// What differs between the inventory and what the plan records of the one
/// it was made from: target, profile, servers, policy and, for a plan that
/// was not itself resumed, what each store held.
fn what_changed(plan: &Plan, inv: &Inventory, options: &PlanOptions) -> Vec<String> {
    let mut changes = Vec::new();
    if plan.target_version != inv.target_version().to_string() {
        changes.push(format!(
            "target_version: the plan upgrades to {}, the inventory to {}",
            plan.target_version,
            inv.target_version()
        ));
    }
    if plan.profile != inv.profile().name.as_str() {
        changes.push(format!(
            "profile: the plan's is {}, the inventory's {}",
            plan.profile,
            inv.profile().name.as_str()
        ));
    }
    let names: BTreeSet<String> = inv.servers().iter().map(|s| s.name().to_string()).collect();
    for name in plan.servers.keys() {
        if !names.contains(&lower(name)) {
            changes.push(format!("server {name}: in the plan, not in the inventory"));
        }
    }
    for server in inv.servers() {
        let name = server.name().as_str();
        let Some(was) = plan.servers.get(name) else {
            changes.push(format!("server {name}: in the inventory, not in the plan"));
            continue;
        };
        if was.roles != server.roles() {
            changes.push(format!(
                "server {name}: roles {} in the plan, {} in the inventory",
                was.roles.join(", "),
                server.roles().join(", ")
            ));
        }
        if plan.resumed_from.is_none() && was.version != server.version().to_string() {
            changes.push(format!(
                "server {name}: version {} in the plan, {} in the inventory",
                was.version,
                server.version()
            ));
        }
        if was.site.as_deref() != server.site() {
            changes.push(format!("server {name}: its site changed"));
        }
    }
    let policy = engine::plan_policy(&effective_policy(inv, options));
    if plan.policy != policy {
        changes.push(
            "policy: the plan's differs from the inventory's with this run's options (repeat the options the plan was made with, or the policy changed)".to_string(),
        );
    }
    if plan.resumed_from.is_none() {
        let loads = inv.store_loads();
        for (i, server) in inv.servers().iter().enumerate() {
            let (Some(was), Some(now)) = (
                plan.placement.before.get(server.name().as_str()),
                loads.get(i),
            ) else {
                continue;
            };
            if (was.bytes, was.mailboxes) != (now.bytes.0, now.mailboxes) {
                changes.push(format!(
                    "mailboxes on {}: {} ({} bytes) in the plan, {} ({} bytes) in the inventory",
                    server.name(),
                    was.mailboxes,
                    was.bytes,
                    now.mailboxes,
                    now.bytes.0
                ));
            }
        }
    }
    if changes.is_empty() {
        changes.push(
            "nothing the plan records: a mailbox's account or size, a capacity, a version or a policy detail changed".to_string(),
        );
    }
    changes
}

/// Where a journal and a plan disagree, for `planner verify --journal`: a
/// step the plan records as done before its resume that the journal does
/// not have as done (the plan was resumed from another journal), and a step
/// the journal has as done that the plan neither did before nor plans (the
/// journal went on after the plan was made). Empty when they agree.
pub fn journal_disagrees(plan: &Plan, journal: &[Entry]) -> Vec<String> {
    let mut last: BTreeMap<&str, &Entry> = BTreeMap::new();
    for e in journal {
        last.insert(e.id.as_str(), e);
    }
    let before: Vec<&str> = plan.done_before().iter().map(|s| s.id.as_str()).collect();
    let own: BTreeSet<&str> = plan
        .waves
        .iter()
        .flat_map(|w| w.steps.iter().map(|s| s.id.as_str()))
        .collect();
    let mut problems = Vec::new();
    for id in &before {
        let state = last.get(id).map(|e| e.state);
        if state != Some(StepState::Done) {
            problems.push(format!(
                "`{id}`: the plan records it as done before its resume, but the journal {}",
                match state {
                    None => "does not mention it".to_string(),
                    Some(StepState::Started) => "has it started, not done".to_string(),
                    Some(_) => "has it failed".to_string(),
                }
            ));
        }
    }
    let before: BTreeSet<&str> = before.into_iter().collect();
    for (id, e) in &last {
        if e.state == StepState::Done && !before.contains(id) && !own.contains(id) {
            problems.push(format!(
                "`{id}`: the journal has it done (line {}), but the plan neither did it before a resume nor plans it",
                e.line
            ));
        }
    }
    problems
}
