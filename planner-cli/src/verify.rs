//! `planner verify`: reads a JSON plan and has the library's checker judge it
//! against the inventory and the safety rules.

use std::path::Path;

use planner_core::plan::{FORMAT, Plan};

use crate::exit::Outcome;
use crate::load::{describe, load};
use crate::{PolicyArgs, emit, load_failed};

/// Runs the command; with a journal, also whether the plan agrees with it
/// (a resumed plan's steps done before it are done there, and nothing is
/// done there that the plan neither did nor plans).
pub fn run(
    plan_path: &Path,
    inventory: &Path,
    (options, journal): (&PolicyArgs, Option<&Path>),
) -> Outcome {
    let label = plan_path.display().to_string();
    let plan = match read_plan(plan_path) {
        Ok(p) => p,
        Err(PlanError::Unreadable) => return Outcome::Usage,
        Err(PlanError::NotAPlan) => return Outcome::Refused,
    };
    let entries = match journal.map(crate::status::read_journal).transpose() {
        Ok(entries) => entries,
        Err(outcome) => return outcome,
    };
    let now = match plan.now.parse::<jiff::Timestamp>() {
        Ok(t) => t,
        Err(_) => {
            eprintln!(
                "{label}: error: `now` is `{}`, not an RFC 3339 time",
                plan.now
            );
            return Outcome::Refused;
        }
    };
    let options = match options.resolve(now) {
        Ok(o) => o,
        Err(m) => {
            eprintln!("error: {m}");
            return Outcome::Usage;
        }
    };
    let checked = match load(inventory) {
        Ok(c) => c,
        Err(e) => return load_failed(e),
    };
    let violations = planner_core::verify::verify(&plan, checked.inventory(), &options);
    if let (Some(entries), Some(path)) = (&entries, journal)
        && violations.is_empty()
    {
        let problems = planner_core::resume::journal_disagrees(&plan, entries);
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("{}: error: {p}", path.display());
            }
            eprintln!(
                "  hint: resume again from the plan and this journal: `planner plan INVENTORY --resume PLAN.json --journal FILE`"
            );
            eprintln!("the plan does not match the journal; it is refused");
            return Outcome::Refused;
        }
    }
    if violations.is_empty() {
        let steps: usize = plan.waves.iter().map(|w| w.steps.len()).sum();
        return emit(&format!(
            "{label}: every safety rule holds ({} waves, {steps} steps, {} servers upgraded, {} mailbox moves)\n",
            plan.waves.len(),
            plan.summary.servers_to_upgrade,
            plan.summary.mailboxes_moved
        ));
    }
    // A stale plan is judged against an inventory it was not made from:
    // its other violations would only be noise.
    if let Some(stale) = violations
        .iter()
        .find(|v| v.rule == planner_core::verify::Rule::Stale)
    {
        eprintln!("{label}: {stale}");
        eprintln!(
            "  hint: the inventory changed since the plan was made: plan again from the current inventory"
        );
        eprintln!("the plan is stale; it is refused");
        return Outcome::Refused;
    }
    for v in &violations {
        eprintln!("{label}: {v}");
    }
    let flags = planner_core::plan::flags_to_repeat(&plan, checked.inventory(), &options);
    if !flags.is_empty() {
        eprintln!(
            "  hint: the plan was made with {}; verify judges it against the inventory's policy and this run's options only: repeat {} (`planner verify {label} --inventory {} {}`)",
            flags.join(" "),
            if flags.len() == 1 { "it" } else { "them" },
            inventory.display(),
            flags.join(" ")
        );
    }
    eprintln!(
        "{} violation{}; the plan is refused",
        violations.len(),
        if violations.len() == 1 { "" } else { "s" }
    );
    Outcome::Refused
}

/// Only the format, read before the rest so that a plan of another format
/// is named as such rather than reported as malformed.
#[derive(serde::Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
}

/// Why a plan file could not be read (the message is printed).
pub(crate) enum PlanError {
    /// It does not exist or cannot be opened.
    Unreadable,
    /// It is not a plan of this format, or not valid JSON.
    NotAPlan,
}

/// Reads a JSON plan of this planner's format, printing what is wrong.
pub(crate) fn read_plan(path: &Path) -> Result<Plan, PlanError> {
    read_plan_file(path).map(|(plan, _)| plan)
}

/// [`read_plan`], with the digest of the file's bytes (what a resumed plan
/// records of the plan it continues).
pub(crate) fn read_plan_file(path: &Path) -> Result<(Plan, String), PlanError> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read plan `{label}`: {}", describe(&e));
        PlanError::Unreadable
    })?;
    let header: Header = serde_json::from_slice(&bytes).map_err(|e| malformed(&label, &e))?;
    match header.format.as_ref().and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            eprintln!("{label}: error: unknown plan format `{other}`");
            eprintln!("  hint: this planner reads `{FORMAT}`");
            return Err(PlanError::NotAPlan);
        }
        None => {
            eprintln!("{label}: error: the plan has no `format`");
            eprintln!(
                "  hint: a plan made by `planner plan --format json` starts with \"format\": \"{FORMAT}\""
            );
            return Err(PlanError::NotAPlan);
        }
    }
    let plan = serde_json::from_slice(&bytes).map_err(|e| malformed(&label, &e))?;
    Ok((plan, planner_core::plan::file_digest(&bytes)))
}

fn malformed(label: &str, error: &serde_json::Error) -> PlanError {
    let mut message = error.to_string();
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    eprintln!(
        "{label}:{}:{}: error: the plan is not a valid {FORMAT} JSON document: {message}",
        error.line(),
        error.column()
    );
    if ["`drain`", "`undrain`", "`health-check`"]
        .iter()
        .any(|kind| message.starts_with(&format!("unknown variant {kind}")))
    {
        eprintln!(
            "  hint: {FORMAT} has no drain, undrain or health-check steps: they are actions of the upgrade step; plan again with this planner"
        );
    }
    PlanError::NotAPlan
}
