//! `--format yaml`: the plan contract as YAML, the same data as the JSON.

use planner_core::plan::Plan;

/// The plan as YAML text.
pub fn render(plan: &Plan) -> String {
    serde_yaml::to_string(plan).unwrap_or_default()
}
