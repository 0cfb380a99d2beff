//! The renderers of the rolling-upgrade planner: one file per output format,
//! each reading only the `Plan` and returning the whole output as text. They
//! are a crate of their own so that a tool that embeds them does not pull in
//! the command line's dependencies.

pub mod dot;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod script;
pub mod text;
pub mod yaml;

/// A duration for people: `2h05m`, `40m`, `10m08s`, `12s`.
pub(crate) fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) if s == 0 => format!("{m}m"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m"),
    }
}
