//! `planner status PLAN.json --journal FILE`: what the script's journal says
//! is done and left, the failed step with its message, and when the rest
//! should end at the plan's estimates.

use std::fmt::Write as _;
use std::path::Path;

use planner_core::inventory::Seconds;
use planner_core::journal::{self, Entry, Status};
use planner_core::plan::Plan;

use crate::emit;
use crate::exit::Outcome;
use crate::load::describe;
use crate::verify::{PlanError, read_plan};

/// Ids shown per list before the rest are counted.
const SHOWN: usize = 10;

/// Runs the command.
pub fn run(plan_path: &Path, journal_path: &Path) -> Outcome {
    let plan = match read_plan(plan_path) {
        Ok(p) => p,
        Err(PlanError::Unreadable) => return Outcome::Usage,
        Err(PlanError::NotAPlan) => return Outcome::Refused,
    };
    let label = journal_path.display().to_string();
    let entries = match read_journal(journal_path) {
        Ok(entries) => entries,
        Err(outcome) => return outcome,
    };
    let status = journal::status(&plan, &entries);
    if !status.unknown.is_empty() {
        let shown: Vec<&str> = status
            .unknown
            .iter()
            .take(SHOWN)
            .map(String::as_str)
            .collect();
        eprintln!(
            "{label}: warning: {} step id{} the plan does not have: {}{}",
            status.unknown.len(),
            if status.unknown.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if status.unknown.len() > SHOWN {
                ", ..."
            } else {
                ""
            }
        );
        if status.done + status.failed.len() + status.started.len() == 0 {
            eprintln!(
                "  hint: this journal is not this plan's: give the plan its script was made from"
            );
            return Outcome::Refused;
        }
    }
    emit(&report(&plan_path.display().to_string(), &plan, &status))
}

/// Reads and parses a journal, printing what is wrong: exit 2 when it
/// cannot be read, 1 when it is not a journal.
pub(crate) fn read_journal(path: &Path) -> Result<Vec<Entry>, Outcome> {
    let label = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                eprintln!("{label}: error: the journal is not UTF-8 text");
                return Err(Outcome::Refused);
            }
        },
        Err(e) => {
            eprintln!("error: cannot read journal `{label}`: {}", describe(&e));
            return Err(Outcome::Usage);
        }
    };
    journal::parse(&text).map_err(|e| {
        eprintln!("{label}:{}: error: {}", e.line, e.message);
        eprintln!(
            "  hint: the script writes `STEP_ID started|done|failed TIME [MESSAGE]`, one line per event"
        );
        Outcome::Refused
    })
}

/// The report, as text.
pub(crate) fn report(label: &str, plan: &Plan, s: &Status) -> String {
    let mut out = String::new();
    let waves = plan.waves.len();
    let _ = write!(
        out,
        "{label}: {} of {waves} waves done, {} of {} steps done",
        s.waves_done, s.done, s.steps
    );
    if s.done_before > 0 {
        let _ = write!(
            out,
            " (and {} done before the resume this plan was made by)",
            s.done_before
        );
    }
    match s.current_wave {
        None => {
            let _ = writeln!(out, "; every step is done: the plan is complete.");
            return out;
        }
        Some(w) => {
            let _ = writeln!(out, "; wave {w} is the first with work left.");
        }
    }
    for (title, list, advice) in [
        (
            "Failed",
            &s.failed,
            "fix the cause, then run the script again from its wave",
        ),
        (
            "Started and not finished",
            &s.started,
            "still running, or stopped half way: check what it did before going on",
        ),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title} ({}): {advice}", list.len());
        for (wave, e) in list.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  wave {wave}: {} at {}{}",
                e.id,
                e.time,
                e.message
                    .as_deref()
                    .map_or(String::new(), |m| format!(": {m}"))
            );
        }
        if list.len() > SHOWN {
            let _ = writeln!(out, "  ... and {} more", list.len() - SHOWN);
        }
    }
    let _ = write!(
        out,
        "Left: {} step{} in {} wave{}",
        s.steps - s.done,
        if s.steps - s.done == 1 { "" } else { "s" },
        waves - s.waves_done,
        if waves - s.waves_done == 1 { "" } else { "s" }
    );
    end(&mut out, s);
    out
}

/// The end of the report: the work left and when it should end.
fn end(out: &mut String, s: &Status) {
    let counted = match (s.from, s.last_time) {
        (Some(from), Some(last)) if from == last => format!("the journal's last line ({last})"),
        (Some(from), Some(_)) => {
            format!("the plan's time ({from}), later than the journal's last line")
        }
        (Some(from), None) => format!("the plan's time ({from})"),
        _ => String::new(),
    };
    match (s.left_s, s.estimated_end(), s.from) {
        (Some(left), Some(end), Some(_)) if s.end_on_calendar.is_some() => {
            let _ = writeln!(
                out,
                ", about {} of work at the plan's estimates: in the schedule's windows from {counted} on, it should end about {end}.",
                Seconds(left)
            );
        }
        (Some(left), Some(end), Some(_)) => {
            let _ = writeln!(
                out,
                ", about {} of work at the plan's estimates: it should end about {end}, counted from {counted}.",
                Seconds(left)
            );
        }
        (Some(left), _, _) => {
            let _ = writeln!(
                out,
                ", about {} of work at the plan's estimates.",
                Seconds(left)
            );
        }
        (None, _, _) => {
            let _ = writeln!(
                out,
                "; the plan has no estimates (no rates), so no end is given."
            );
        }
    }
}
