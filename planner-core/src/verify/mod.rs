//! The plan checker: judges any [`Plan`] against the safety rules, on its own.
//!
//! A plan is a promise that an operator will act on, and it may have been
//! written by this planner, by an older one, or edited by hand. The checker
//! therefore shares nothing with the planning engine but the inventory model,
//! the plan types and the policy helpers: it recomputes the order relation,
//! the availability of every role and group, and a wave-by-wave replay of
//! every mailbox move, and reports each broken rule of the specification
//! (section 4, rules 1 to 13) with the wave, the step and the figures.
//!
//! It never trusts the plan: names are resolved against the inventory (case
//! does not matter), unknown names and missing fields are violations, and no
//! plan, however malformed, makes it panic. Cost is linear in the accounts the
//! plan moves (plus hashing), so plans for a million mailboxes check quickly.

mod calendar;
mod moves;
mod replay;
mod servers;
mod timeline;
mod tools;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;

use crate::inventory::{EvacuatePolicy, Inventory, MAILSTORE, Policy, Server, ServerId, Version};
use crate::plan::{FORMAT, Plan, PlanOptions, Step, effective_policy, inventory_digest};

use timeline::Timeline;

/// Which safety rule a violation breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The plan is not a well-formed `upgrade-plan/v1` document.
    Format,
    /// The inventory changed since the plan was made.
    Stale,
    /// Rule 1: every server below the target is upgraded exactly once, no other.
    Complete,
    /// Rule 2: the profile's tiers, auxiliary roles and `depends_on` edges hold.
    Order,
    /// Rule 3: every role or group keeps enough servers in service.
    Availability,
    /// Rule 4: an evacuated mailstore is empty when its upgrade starts.
    EmptyBeforeUpgrade,
    /// Rule 5: a mailstore with mailboxes is backed up before it is touched.
    BackupFirst,
    /// Rule 6: with two-stage moves, every switch follows a data copy.
    TwoStages,
    /// Rule 7: no store holds more than `max_fill` of its disk or mailboxes.
    Capacity,
    /// Rule 8: no mailbox is lost or duplicated; the placement figures are right.
    Conservation,
    /// Rule 9: mailboxes move only to mailstores that can take them in that wave.
    SafeTargets,
    /// Rule 10: moves stay within their site unless cross-site moves are allowed.
    Locality,
    /// Rule 11: with `move_by: domain`, domains move and stay together.
    Domains,
    /// Rule 12: no directory write (switch, pool change) while a master upgrades,
    /// pools changed around an emptied store's moves and upgrade, no switch onto
    /// the new version too early.
    DirectoryAndTiers,
    /// Rule 13: per wave, one step per move batch, the parallelism limits and
    /// one operation per store (`max_moves_per_source`, nothing beside an
    /// upgrade or a backup of the same store).
    Batches,
    /// The toolset is the policy's and runs on every version at which the
    /// plan backs up, moves or purges a store.
    Tools,
    /// With a schedule, the waves' times follow it: in order from its start,
    /// each lasting its estimate, user-visible waves inside one window.
    Schedule,
}

impl Rule {
    /// The rule's number in section 4 of the specification, if it has one.
    pub fn number(self) -> Option<u8> {
        match self {
            Rule::Format | Rule::Stale | Rule::Tools | Rule::Schedule => None,
            Rule::Complete => Some(1),
            Rule::Order => Some(2),
            Rule::Availability => Some(3),
            Rule::EmptyBeforeUpgrade => Some(4),
            Rule::BackupFirst => Some(5),
            Rule::TwoStages => Some(6),
            Rule::Capacity => Some(7),
            Rule::Conservation => Some(8),
            Rule::SafeTargets => Some(9),
            Rule::Locality => Some(10),
            Rule::Domains => Some(11),
            Rule::DirectoryAndTiers => Some(12),
            Rule::Batches => Some(13),
        }
    }

    /// The rule's short name, as shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Format => "format",
            Rule::Stale => "stale plan",
            Rule::Complete => "complete",
            Rule::Order => "order",
            Rule::Availability => "availability",
            Rule::EmptyBeforeUpgrade => "empty before upgrade",
            Rule::BackupFirst => "backup first",
            Rule::TwoStages => "two stages",
            Rule::Capacity => "capacity",
            Rule::Conservation => "conservation",
            Rule::SafeTargets => "safe targets",
            Rule::Locality => "locality",
            Rule::Domains => "domains",
            Rule::DirectoryAndTiers => "directory, pools and tiers",
            Rule::Batches => "batches",
            Rule::Tools => "toolset",
            Rule::Schedule => "schedule",
        }
    }
}

impl fmt::Display for Rule {
    /// `rule 7 (capacity)`, or the bare name for `format` and `stale plan`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number() {
            Some(n) => write!(f, "rule {n} ({})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// One broken rule, located in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The wave it happens in (1-based position), or `None` for the plan as a whole.
    pub wave: Option<u32>,
    /// The id of the step at fault, when one is.
    pub step: Option<String>,
    /// The rule it breaks.
    pub rule: Rule,
    /// What is wrong, with names and figures.
    pub message: String,
}

impl fmt::Display for Violation {
    /// `wave 7: step move-switch:a>b: rule 7 (capacity): MESSAGE`, leaving out
    /// the wave and step when there are none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(wave) = self.wave {
            write!(f, "wave {wave}: ")?;
        }
        if let Some(step) = &self.step {
            write!(f, "step {step}: ")?;
        }
        write!(f, "{}: {}", self.rule, self.message)
    }
}

/// Checks a plan against the inventory and the safety rules.
///
/// The plan is judged against the inventory's policy with the options'
/// overrides, never against the policy the plan records. The result is
/// sorted by wave, step and rule; an empty list means the plan is safe.
pub fn verify(plan: &Plan, inventory: &Inventory, options: &PlanOptions) -> Vec<Violation> {
    judge(plan, inventory, options, true, None)
}

/// Checks a plan that the engine has just made from this very inventory:
/// every safety rule, as [`verify`], but not whether the inventory changed
/// since (the plan's digest was computed from it a moment ago, and hashing a
/// million mailboxes again costs more than half a second).
pub fn verify_new(plan: &Plan, inventory: &Inventory, options: &PlanOptions) -> Vec<Violation> {
    judge(plan, inventory, options, false, None)
}

/// [`verify_new`] with the inventory's accounts already indexed: the part of
/// the check that does not depend on the plan, which a caller can build on
/// another thread while the engine plans. An index of another inventory is
/// not used (the check builds its own).
pub fn verify_new_with(
    plan: &Plan,
    inventory: &Inventory,
    options: &PlanOptions,
    accounts: &Accounts<'_>,
) -> Vec<Violation> {
    judge(plan, inventory, options, false, Some(accounts))
}

/// The inventory's accounts by name, as the checker looks up the accounts a
/// plan names: for a million mailboxes, a third of the check's time.
pub struct Accounts<'i> {
    inventory: &'i Inventory,
    map: HashMap<&'i str, u32>,
}

impl<'i> Accounts<'i> {
    /// Indexes every account of `inventory`.
    pub fn new(inventory: &'i Inventory) -> Accounts<'i> {
        let map = inventory
            .mailboxes
            .iter()
            .enumerate()
            .map(|(i, m)| (m.account.as_str(), i as u32))
            .collect();
        Accounts { inventory, map }
    }

    /// The index, if it was built from this very inventory.
    fn of(&self, inventory: &Inventory) -> Option<&HashMap<&'i str, u32>> {
        std::ptr::eq(self.inventory, inventory).then_some(&self.map)
    }
}

/// Judges a plan; a resumed plan as one plan with the steps done before it
/// (`resumed_from.done`, one wave each, in the order they were done) ahead
/// of its own waves, against the original inventory. Violations in its own
/// waves are numbered as the plan numbers them; those in the steps done
/// before the resume have no wave and say so.
fn judge(
    plan: &Plan,
    inventory: &Inventory,
    options: &PlanOptions,
    staleness: bool,
    accounts: Option<&Accounts<'_>>,
) -> Vec<Violation> {
    let Some(from) = &plan.resumed_from else {
        return judge_waves(plan, inventory, options, staleness, accounts, 0);
    };
    let history = u32::try_from(from.done.len()).unwrap_or(u32::MAX);
    let whole = with_history(plan, &from.done);
    let mut report = Report::default();
    for mut v in judge_waves(&whole, inventory, options, staleness, accounts, history) {
        match v.wave {
            Some(w) if w <= history => {
                v.wave = None;
                v.message = format!("in a step done before the resume: {}", v.message);
            }
            Some(w) => v.wave = Some(w - history),
            None => {}
        }
        report.out.push(v);
    }
    report.finish()
}

/// A resumed plan as one plan: each step done before it in a wave of its
/// own, then its waves, numbered on from there.
fn with_history(plan: &Plan, done: &[Step]) -> Plan {
    // One copy of the plan: its own waves are moved behind the history.
    let mut whole = plan.clone();
    let own = std::mem::take(&mut whole.waves);
    whole.resumed_from = None;
    let mut waves: Vec<crate::plan::Wave> = done
        .iter()
        .map(|step| crate::plan::Wave {
            index: 0,
            steps: vec![step.clone()],
            estimated_duration_s: None,
            start: None,
            end: None,
        })
        .collect();
    waves.extend(own);
    for (i, wave) in waves.iter_mut().enumerate() {
        wave.index = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    whole.waves = waves;
    whole
}

fn judge_waves(
    plan: &Plan,
    inventory: &Inventory,
    options: &PlanOptions,
    staleness: bool,
    accounts: Option<&Accounts<'_>>,
    history: u32,
) -> Vec<Violation> {
    let ctx = Ctx::new(inventory, effective_policy(inventory, options));
    let mut report = Report::default();
    if plan.format != FORMAT {
        report.plan(
            Rule::Format,
            format!("the plan's format is `{}`, not `{FORMAT}`", plan.format),
        );
    }
    if staleness && plan.inventory_digest != inventory_digest(inventory) {
        report.plan(
            Rule::Stale,
            "the inventory changed since the plan was made (its digest differs)".to_string(),
        );
    }
    let mut timeline = Timeline::build(plan, &ctx, &mut report);
    timeline.history = history;
    servers::check(&ctx, &timeline, &mut report);
    moves::check(&ctx, &timeline, &mut report);
    tools::check(plan, &ctx, &timeline, &mut report);
    calendar::check(plan, &ctx, history, &mut report);
    match accounts.and_then(|a| a.of(inventory)) {
        Some(map) => replay::check(plan, &ctx, &timeline, map, &mut report),
        None => {
            let own = Accounts::new(inventory);
            replay::check(plan, &ctx, &timeline, &own.map, &mut report);
        }
    }
    report.finish()
}

/// What every check reads: the inventory, the effective policy and facts
/// about each server that several rules need.
struct Ctx<'a> {
    inv: &'a Inventory,
    policy: Policy,
    /// Lower-case server name to id.
    names: HashMap<&'a str, ServerId>,
    /// Per server: its tier, the smallest tier among its roles.
    tiers: Vec<Option<usize>>,
    /// The mailstore role's tier.
    mailstore_tier: Option<usize>,
}

impl<'a> Ctx<'a> {
    fn new(inv: &'a Inventory, policy: Policy) -> Ctx<'a> {
        let names = inv
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), ServerId(i as u32)))
            .collect();
        let tiers = inv
            .servers
            .iter()
            .map(|s| {
                s.roles
                    .iter()
                    .filter_map(|r| inv.profile.role(r).and_then(|d| d.tier))
                    .min()
            })
            .collect();
        let mailstore_tier = inv.profile.role(MAILSTORE).and_then(|r| r.tier);
        Ctx {
            inv,
            policy,
            names,
            tiers,
            mailstore_tier,
        }
    }

    fn server(&self, id: ServerId) -> &'a Server {
        self.inv.server(id)
    }

    fn name(&self, id: ServerId) -> &'a str {
        self.inv.server(id).name.as_str()
    }

    /// Resolves a server name written in the plan, whatever its case.
    fn resolve(&self, name: &str) -> Option<ServerId> {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.names.get(name.to_ascii_lowercase().as_str()).copied()
        } else {
            self.names.get(name).copied()
        }
    }

    /// Whether a mailstore must be emptied before its upgrade.
    fn evacuated(&self, id: ServerId) -> bool {
        let server = self.server(id);
        server.is_mailstore()
            && self.policy.evacuate == EvacuatePolicy::Always
            && server.evacuate != Some(false)
            && self.inv.profile.role(MAILSTORE).is_some_and(|r| r.evacuate)
    }

    /// The most a store may hold at the effective `max_fill`: bytes, and
    /// accounts when its capacity limits them.
    fn ceiling(&self, id: ServerId) -> Option<(u64, Option<u64>)> {
        let capacity = self.server(id).capacity?;
        let fill = self.policy.max_fill;
        Some((
            fill.of(capacity.disk.0),
            capacity.mailboxes.map(|m| fill.of(m)),
        ))
    }

    fn target(&self) -> &'a Version {
        &self.inv.target_version
    }
}

/// Collects violations.
#[derive(Default)]
struct Report {
    out: Vec<Violation>,
}

impl Report {
    fn add(&mut self, wave: Option<u32>, step: Option<&Step>, rule: Rule, message: String) {
        self.out.push(Violation {
            wave,
            step: step.map(|s| s.id.clone()),
            rule,
            message,
        });
    }

    /// A violation of the plan as a whole.
    fn plan(&mut self, rule: Rule, message: String) {
        self.add(None, None, rule, message);
    }

    /// A violation located in a wave, at a step.
    fn step(&mut self, wave: u32, step: &Step, rule: Rule, message: String) {
        self.add(Some(wave), Some(step), rule, message);
    }

    /// A violation located in a wave, at no step in particular.
    fn wave(&mut self, wave: u32, rule: Rule, message: String) {
        self.add(Some(wave), None, rule, message);
    }

    fn finish(mut self) -> Vec<Violation> {
        self.out.sort_by(|a, b| {
            (a.wave, &a.step, a.rule, &a.message).cmp(&(b.wave, &b.step, b.rule, &b.message))
        });
        self.out.dedup();
        self.out
    }
}

/// A few names for a message: `a`, `a and b`, `a, b, c and 4 more`.
fn few<S: AsRef<str>>(names: &[S], total: u64) -> String {
    let shown: Vec<&str> = names.iter().take(3).map(AsRef::as_ref).collect();
    let rest = total.saturating_sub(shown.len() as u64);
    match (shown.as_slice(), rest) {
        ([], _) => String::new(),
        ([one], 0) => (*one).to_string(),
        (list, 0) => {
            let (last, head) = list.split_last().map_or((&"", &[][..]), |(l, h)| (l, h));
            format!("{} and {last}", head.join(", "))
        }
        (list, rest) => format!("{} and {rest} more", list.join(", ")),
    }
}

/// Examples and a count of accounts that share one problem in one step.
#[derive(Default)]
struct Tally<'p> {
    count: u64,
    examples: Vec<&'p str>,
}

impl<'p> Tally<'p> {
    fn add(&mut self, account: &'p str) {
        self.count += 1;
        if self.examples.len() < 3 {
            self.examples.push(account);
        }
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn names(&self) -> String {
        few(&self.examples, self.count)
    }
}
