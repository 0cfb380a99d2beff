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
//! reasons of `reason`.
//!
//! Architecture invariant: the modules import each other in one direction
//! only (`refuse` → `strategy` → `schedule` → `place`, `table`, `graph`;
//! `exact` → `schedule`, `place`;
//! `assemble` reads a finished schedule), and no decision reads the text of a
//! sentence: verdicts, wait rules, blockers, shortfalls and reasons are enums,
//! put into words only by their `Display`.

mod assemble;
mod exact;
mod graph;
mod place;
mod reason;
mod refuse;
mod schedule;
mod strategy;
mod table;

pub use reason::{
    Blocker, CycleEdge, Hint, Limit, Missing, NoSafePlan, Reason, ReasonKind, SpareProblem,
    StoreShortfall, Stuck,
};

use crate::inventory::Checked;
use crate::plan::{Plan, PlanOptions, effective_policy};

/// Plans the upgrade of a checked inventory with the given options. The
/// inventory is only read: the refusal probe plans copies built by the model.
pub fn plan(checked: &Checked, options: &PlanOptions) -> Result<Plan, NoSafePlan> {
    let inv = &checked.inventory;
    let policy = effective_policy(inv, options);
    if let Some(refusal) = refuse::max_fill_out_of_range(&policy) {
        return Err(refusal);
    }
    let order = graph::build(inv).map_err(|cycles| refuse::cycles(inv, &cycles))?;
    let spare_problem = strategy::spare_problem(inv);
    let modes = strategy::modes(policy.strategy, spare_problem.as_ref())?;

    let mut results = strategy::attempts(inv, &policy, &order, &modes, options.now);
    if strategy::cheapest(&results).is_none() {
        // Every heuristic attempt failed: the exact search is the last resort.
        results.extend(exact::attempts(inv, &policy, &order, &modes, options.now));
    }
    let Some(best) = strategy::cheapest(&results) else {
        return Err(refuse::refusal(
            inv,
            &policy,
            &modes,
            options.now,
            &results[0].1,
        ));
    };
    let (mode, scheduled) = &results[best];
    let chosen = strategy::chosen(*mode, scheduled);
    let why = strategy::why(
        policy.strategy,
        chosen,
        &results,
        best,
        spare_problem.as_ref(),
    );
    let plan = assemble::assemble(checked, &policy, options, &order, scheduled, chosen, why);
    #[cfg(debug_assertions)]
    judge(&plan, checked, options);
    Ok(plan)
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
