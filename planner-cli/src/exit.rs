//! Exit codes, in one place: every command maps its outcome here.

use std::process::ExitCode;

/// Success: the inventory is valid, the plan was written, the plan verifies.
pub const OK: u8 = 0;
/// The input was read but is refused: invalid content, no safe plan, a plan
/// that fails verification or is stale.
pub const REFUSED: u8 = 1;
/// A usage error, or an input file that does not exist or cannot be opened.
pub const USAGE: u8 = 2;

/// The exit codes in words, for `--help` and the manual page.
pub fn help() -> String {
    format!(
        "Exit codes:\n  {OK}  success\n  {REFUSED}  the input was read but is refused: invalid inventory, no safe plan, a plan that fails verify or is stale\n  {USAGE}  usage error, or an input file that does not exist or cannot be opened"
    )
}

/// How a command ended.
#[derive(Debug)]
pub enum Outcome {
    /// It did what was asked.
    Done,
    /// It read its input and refused it (diagnostics already printed).
    Refused,
    /// It could not start: bad usage or an unreadable file (message already printed).
    Usage,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(match outcome {
            Outcome::Done => OK,
            Outcome::Refused => REFUSED,
            Outcome::Usage => USAGE,
        })
    }
}
