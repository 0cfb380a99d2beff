//! `planner diff OLD.json NEW.json`: what changed between two plans, for the
//! reviewer who must re-approve. Like diff(1), it exits 0 when both plans do
//! the same work, 1 when they differ, 2 when a plan cannot be read.

use std::fmt::Write as _;
use std::path::Path;

use planner_core::inventory::Bytes;
use planner_core::plan::{Action, PlanDiff, Totals, diff};

use crate::emit;
use crate::exit::Outcome;
use crate::verify::read_plan;

/// Names and ids shown per list before the rest are counted.
const SHOWN: usize = 10;

/// Runs the command.
pub fn run(old: &Path, new: &Path) -> Outcome {
    let (Ok(a), Ok(b)) = (read_plan(old), read_plan(new)) else {
        // The reason is printed; an unreadable or malformed plan is exit 2.
        return Outcome::Usage;
    };
    let d = diff(&a, &b);
    let text = report(&d);
    match emit(&text) {
        Outcome::Done if !d.same_work => Outcome::Refused,
        other => other,
    }
}

/// The report, as text.
pub(crate) fn report(d: &PlanDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        if d.same_work {
            "Same work: both plans have the same steps, each doing the same in the same wave."
        } else {
            "The plans differ: re-approve the changes below."
        }
    );
    totals(&mut out, &d.totals);
    if d.shift != 0 {
        let _ = writeln!(
            out,
            "Waves renumbered: the steps both plans share come {} wave{} {} in the new plan, \
             most of them; waves below are compared after that shift.",
            d.shift.unsigned_abs(),
            if d.shift.unsigned_abs() == 1 { "" } else { "s" },
            if d.shift < 0 { "earlier" } else { "later" }
        );
    }
    if !d.servers.is_empty() {
        let _ = writeln!(out, "Servers whose upgrade changed ({}):", d.servers.len());
        for s in d.servers.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {}: {} -> {}",
                s.server,
                upgrade(&s.old),
                upgrade(&s.new)
            );
        }
        more(&mut out, d.servers.len());
    }
    if !d.destinations.is_empty() {
        let _ = writeln!(
            out,
            "Accounts whose destination changed ({}):",
            d.destinations.len()
        );
        for (account, a, b) in d.destinations.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {account}: {} -> {}",
                a.as_deref().unwrap_or("not moved"),
                b.as_deref().unwrap_or("not moved")
            );
        }
        more(&mut out, d.destinations.len());
    }
    for (label, ids) in [
        ("Steps added", &d.added),
        ("Steps removed", &d.removed),
        ("Steps done before the new plan's resume", &d.done),
        (
            "Steps changed (kind, servers, accounts, mode or actions)",
            &d.changed,
        ),
        (
            "Steps moved to another wave (after the renumbering), doing the same",
            &d.moved,
        ),
    ] {
        if ids.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{label} ({}):", ids.len());
        for id in ids.iter().take(SHOWN) {
            let _ = writeln!(out, "  {id}");
        }
        more(&mut out, ids.len());
    }
    out
}

fn more(out: &mut String, total: usize) {
    if total > SHOWN {
        let _ = writeln!(out, "  ... and {} more", total - SHOWN);
    }
}

fn upgrade(u: &Option<(u32, Vec<Action>)>) -> String {
    match u {
        None => "not upgraded".to_string(),
        Some((wave, actions)) => format!(
            "wave {wave} ({})",
            actions
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn totals(out: &mut String, [a, b]: &[Totals; 2]) {
    let n = |x: u64, y: u64| {
        if x == y {
            x.to_string()
        } else {
            format!("{x} -> {y}")
        }
    };
    let _ = writeln!(
        out,
        "Totals: waves {}, steps {}, upgrades {}, mailbox moves {}, bytes moved {}, estimate {}",
        n(a.waves, b.waves),
        n(a.steps, b.steps),
        n(a.upgrades, b.upgrades),
        n(a.mailboxes_moved, b.mailboxes_moved),
        if a.bytes_moved == b.bytes_moved {
            Bytes(a.bytes_moved).to_string()
        } else {
            format!("{} -> {}", Bytes(a.bytes_moved), Bytes(b.bytes_moved))
        },
        match (a.estimated_duration_s, b.estimated_duration_s) {
            (Some(x), Some(y)) if x == y => planner_core::inventory::Seconds(x).to_string(),
            (x, y) => format!("{} -> {}", estimate(x), estimate(y)),
        }
    );
}

fn estimate(s: Option<u64>) -> String {
    s.map_or_else(
        || "none".to_string(),
        |s| planner_core::inventory::Seconds(s).to_string(),
    )
}
