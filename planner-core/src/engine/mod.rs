//! The planning engine: from a validated inventory to a safe plan.
//!
//! The flow: `graph` builds the order among servers; `schedule` takes the
//! servers in that order and books every step into the wave table (`table`),
//! asking `place` where each mailbox of a store being emptied goes; `assemble`
//! writes the result as the `Plan` contract. `strategy` decides which
//! placement modes to try and picks the cheapest feasible plan; when none is
//! feasible, `exact` searches the emptying orders and placements within a
//! node budget and, when it finds one, the schedule follows it; when that
//! fails too, `refuse` says what is missing, in numbers, as the typed
//! reasons of `reason`, each hint tried with [`attempt`], the one function
//! that finds plans.
//!
//! Architecture invariant: the modules import each other in one direction
//! only (`strategy` → `schedule` → `place`, `table`, `graph`; `exact` →
//! `schedule`, `place`; `assemble` reads a finished schedule; `refuse` plans
//! changed inventories only through the oracle this module hands it), and no
//! decision reads the text of a sentence: verdicts, wait rules, blockers,
//! shortfalls and reasons are enums, put into words only by their `Display`.

mod assemble;
mod calendar;
mod exact;
mod graph;
mod place;
mod reason;
mod refuse;
mod schedule;
mod start;
mod strategy;
mod table;
mod toolcheck;

pub(crate) use assemble::plan_policy;
pub(crate) use calendar::end_from;
pub(crate) use place::Guide;
pub(crate) use start::{Copied, Parked, Start};

pub use reason::{
    Blocker, CycleEdge, Hint, Limit, Missing, NoSafePlan, Reason, ReasonKind, SpareProblem,
    StoreShortfall, Stuck,
};

use crate::inventory::{Checked, Inventory, Policy};
use crate::plan::{Plan, PlanOptions, effective_policy};

/// Plans the upgrade of a checked inventory with the given options. The
/// inventory is only read: the refusal probe plans copies built by the model.
pub fn plan(checked: &Checked, options: &PlanOptions) -> Result<Plan, NoSafePlan> {
    let plan = plan_from(checked, options, &Start::default())?;
    #[cfg(debug_assertions)]
    judge(&plan, checked, options);
    Ok(plan)
}

/// Plans from where earlier steps left off (`start`; nothing, for a fresh
/// plan) on an inventory that already reads as they left it. The resume
/// checks the result with the steps done before it; a fresh plan is
/// checked by [`plan`].
pub(crate) fn plan_from(
    checked: &Checked,
    options: &PlanOptions,
    start: &Start,
) -> Result<Plan, NoSafePlan> {
    let inv = &checked.inventory;
    let policy = effective_policy(inv, options);
    let now = options.now;
    let tried = attempt(inv, &policy, now, start, &mut { exact::BUDGET })?;
    let Some(best) = tried.best else {
        // The oracle of every hint: the inventory changed as the hint says,
        // planned by the same function as this one.
        // The exact searches of all the tries share one budget, so that a
        // refusal stays quick.
        let budget = std::cell::Cell::new(exact::PROBES_BUDGET);
        let plans = |inv: &Inventory, policy: &Policy| {
            let mut left = budget.get().min(exact::PROBE_BUDGET);
            let before = left;
            let planned =
                attempt(inv, policy, now, start, &mut left).is_ok_and(|t| t.best.is_some());
            budget.set(budget.get() - (before - left));
            planned
        };
        return Err(refuse::refusal(inv, &policy, &tried.results[0].1, &plans));
    };
    let (mode, scheduled) = &tried.results[best];
    let chosen = strategy::chosen(*mode, scheduled);
    let why = strategy::why(
        policy.strategy,
        chosen,
        &tried.results,
        best,
        tried.spare_problem.as_ref(),
    );
    let mut plan = assemble::assemble(
        checked,
        &policy,
        options,
        &tried.order,
        scheduled,
        (chosen, why),
        start,
    );
    if let Some(refusal) = toolcheck::unavailable(&plan, inv, &policy) {
        return Err(refusal);
    }
    if let Some(schedule) = &policy.schedule {
        calendar::place(&mut plan, schedule, start.not_before)?;
    }
    Ok(plan)
}

/// What planning an inventory under a policy tried, and the feasible attempt
/// it would keep, if any.
struct Tried {
    order: graph::Order,
    spare_problem: Option<SpareProblem>,
    results: Vec<(place::Mode, schedule::Scheduled)>,
    best: Option<usize>,
}

/// Every way the engine has of finding a plan, in one place: [`plan`] keeps
/// its result, and a refusal calls it on changed copies of the inventory to
/// try each hint before naming it. A new way of finding plans belongs here,
/// so that the hints stay true. An `Err` is a refusal that needs no search
/// (max_fill out of range, an order cycle, an impossible `spare`).
///
/// The exact search visits at most `budget` nodes (and at most
/// [`exact::BUDGET`]), which are taken off it.
fn attempt(
    inv: &Inventory,
    policy: &Policy,
    now: jiff::Timestamp,
    start: &Start,
    budget: &mut u64,
) -> Result<Tried, NoSafePlan> {
    if let Some(refusal) = refuse::max_fill_out_of_range(policy) {
        return Err(refusal);
    }
    let order = graph::build(inv).map_err(|cycles| refuse::cycles(inv, &cycles))?;
    let spare_problem = strategy::spare_problem(inv, start);
    let modes = strategy::modes(policy.strategy, spare_problem.as_ref())?;
    // A resume follows the choices of the plan it continues where they hold.
    let mut results = strategy::as_before(inv, policy, &order, &modes, now, start);
    if results.is_empty() {
        results = strategy::attempts(inv, policy, &order, &modes, now, start);
    }
    if strategy::cheapest(&results).is_none() {
        // Every heuristic attempt failed: the exact search is the last resort.
        results.extend(exact::attempts(
            inv, policy, &order, &modes, now, start, budget,
        ));
    }
    let best = strategy::cheapest(&results);
    Ok(Tried {
        order,
        spare_problem,
        results,
        best,
    })
}

/// Cycles in the upgrade order (the profile's tiers with `depends_on`),
/// as the refusal `plan` would give; validation reports them, so `check`
/// refuses every inventory that `plan` refuses for its order.
pub(crate) fn order_cycles(inv: &crate::inventory::Inventory) -> Option<NoSafePlan> {
    graph::build(inv)
        .err()
        .map(|cycles| refuse::cycles(inv, &cycles))
}

/// A debug build has the independent checker judge every plan it returns.
#[cfg(debug_assertions)]
fn judge(plan: &Plan, checked: &Checked, options: &PlanOptions) {
    let violations = crate::verify::verify(plan, &checked.inventory, options);
    debug_assert!(
        violations.is_empty(),
        "the engine produced a plan the checker refuses:\n{}",
        violations
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
