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
