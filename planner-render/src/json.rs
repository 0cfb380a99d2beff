//! `--format json`: the plan contract, pretty-printed, keys in a fixed order.

use planner_core::plan::Plan;

/// The plan as JSON text with a final newline.
pub fn render(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_default();
    text.push('\n');
    text
}
