//! Planning options: the command line's overrides of the inventory's policy,
//! and the reference time. Shared by the planner and the checker, so a plan
//! is judged against exactly the policy it was made with.

use crate::inventory::{Fraction, Inventory, Policy, Strategy};

/// What a caller may change for one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Overrides `policy.strategy`.
    pub strategy: Option<Strategy>,
    /// Overrides `policy.max_fill`.
    pub max_fill: Option<Fraction>,
    /// The reference time for backup ages; the library never reads a clock.
    pub now: jiff::Timestamp,
}

impl PlanOptions {
    /// No overrides, at `now`.
    pub fn at(now: jiff::Timestamp) -> PlanOptions {
        PlanOptions {
            strategy: None,
            max_fill: None,
            now,
        }
    }
}

/// The inventory's policy with the options' overrides applied.
pub fn effective_policy(inventory: &Inventory, options: &PlanOptions) -> Policy {
    let mut policy = inventory.policy.clone();
    if let Some(s) = options.strategy {
        policy.strategy = s;
    }
    if let Some(f) = options.max_fill {
        policy.max_fill = f;
    }
    policy
}

/// The command-line flags a plan was made with that `options` do not repeat:
/// where the policy the plan records differs from the inventory's with
/// `options` in the keys the command line overrides (`--strategy`,
/// `--max-fill`), each flag as the plan's value. Empty when they agree. A
/// plan is judged against the inventory's policy and the options given, so
/// these are what a caller must give again to judge it as it was made.
pub fn flags_to_repeat(
    plan: &super::Plan,
    inventory: &Inventory,
    options: &PlanOptions,
) -> Vec<String> {
    let now = effective_policy(inventory, options);
    let mut flags = Vec::new();
    if plan.policy.strategy != now.strategy {
        flags.push(format!(
            "--strategy {}",
            format!("{:?}", plan.policy.strategy).to_lowercase()
        ));
    }
    // The plan writes the fraction as a decimal; millionths are exact.
    let recorded = (plan.policy.max_fill * 1_000_000.0).round();
    if recorded != f64::from(now.max_fill.0) && (0.0..=1_000_000.0).contains(&recorded) {
        flags.push(format!("--max-fill {}", Fraction(recorded as u32)));
    }
    flags
}
