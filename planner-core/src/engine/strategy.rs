//! Strategy choice: which placement modes to try for the strategy asked for,
//! running them, and picking the cheapest feasible schedule, with the words
//! that say why it won.
//!
//! It is its own module because it sits above scheduling (it runs whole
//! attempts) and below both the engine's entry point and the refusal probe,
//! which plans a changed inventory again with the same modes.

use super::graph::Order;
use super::place::Mode;
use super::reason::{Hint, NoSafePlan, ReasonKind, SpareProblem};
use super::schedule::{Sched, Scheduled, Totals};
use super::start::Start;
use crate::inventory::{Bytes, Inventory, Policy, Strategy};
use crate::plan::ChosenStrategy;
use crate::words::count;

/// Why strategy `spare` cannot work on this inventory, if it cannot.
///
/// Mailboxes parked on a spare before a resume (`start`) come back to their
/// stores: they do not count.
pub fn spare_problem(inv: &Inventory, start: &Start) -> Option<SpareProblem> {
    let spares: Vec<usize> = (0..inv.servers.len())
        .filter(|&i| inv.servers[i].is_mailstore() && inv.servers[i].spare)
        .collect();
    if spares.is_empty() {
        return Some(SpareProblem::NoSpare);
    }
    // One pass over the mailboxes, whatever the number of spares.
    let parked: std::collections::BTreeSet<u32> = start
        .parked
        .iter()
        .flat_map(|p| p.mailboxes.iter().copied())
        .collect();
    let mut holds = vec![false; inv.servers.len()];
    for (i, m) in inv.mailboxes.iter().enumerate() {
        if !parked.contains(&(i as u32)) {
            holds[m.store.index()] = true;
        }
    }
    spares
        .iter()
        .find(|&&i| holds[i])
        .map(|&i| SpareProblem::SpareHoldsMailboxes {
            store: inv.servers[i].name.to_string(),
        })
}

/// The modes to try, in order, for the strategy asked for.
pub fn modes(
    requested: Strategy,
    spare_problem: Option<&SpareProblem>,
) -> Result<Vec<Mode>, NoSafePlan> {
    Ok(match requested {
        Strategy::Auto => {
            let mut m = vec![Mode::Greedy, Mode::Spread];
            if spare_problem.is_none() {
                m.push(Mode::Spare);
            }
            m
        }
        Strategy::Spread => vec![Mode::Spread],
        Strategy::Forward => vec![Mode::Forward],
        Strategy::Spare => {
            if let Some(problem) = spare_problem {
                return Err(NoSafePlan::one(
                    ReasonKind::SpareImpossible(problem.clone()),
                    vec![Hint::MarkSpares],
                ));
            }
            vec![Mode::Spare]
        }
    })
}

/// For a resume: the first feasible schedule, in the order of `modes`, that
/// follows the emptying order and targets of the plan resumed
/// (`start.guide`); none when there is no guide or it no longer holds.
pub fn as_before(
    inv: &Inventory,
    policy: &Policy,
    order: &Order,
    modes: &[Mode],
    now: jiff::Timestamp,
    start: &Start,
) -> Vec<(Mode, Scheduled)> {
    let Some(guide) = &start.guide else {
        return Vec::new();
    };
    // The mode of the strategy the plan followed first.
    let before = |mode: Mode| match (start.chosen_before, mode) {
        (Some(ChosenStrategy::Spare), Mode::Spare)
        | (Some(ChosenStrategy::Spread), Mode::Spread)
        | (Some(ChosenStrategy::Forward), Mode::Forward | Mode::Greedy)
        | (Some(ChosenStrategy::SpreadThenForward), Mode::Greedy) => 0,
        _ => 1,
    };
    let mut modes = modes.to_vec();
    modes.sort_by_key(|m| before(*m));
    for mode in modes {
        let scheduled = Sched::new(inv, policy, order, mode, (now, start))
            .guided(guide)
            .run();
        if scheduled.shortfalls.is_empty() && scheduled.stuck.is_empty() {
            return vec![(mode, scheduled)];
        }
    }
    Vec::new()
}

/// Runs one scheduling attempt per mode.
pub fn attempts(
    inv: &Inventory,
    policy: &Policy,
    order: &Order,
    modes: &[Mode],
    now: jiff::Timestamp,
    start: &Start,
) -> Vec<(Mode, Scheduled)> {
    let mut results = Vec::with_capacity(modes.len());
    for &mode in modes {
        let scheduled = Sched::new(inv, policy, order, mode, (now, start)).run();
        // Auto's own order moving every mailbox at most once is as cheap as
        // any plan can be (each mailbox of a store to empty moves at least
        // once): the other attempts cannot beat it.
        let optimal =
            mode == Mode::Greedy && scheduled.shortfalls.is_empty() && scheduled.totals.twice == 0;
        results.push((mode, scheduled));
        if optimal {
            break;
        }
    }
    results
}

/// Whether an attempt produced a schedule that empties every store.
fn feasible(s: &Scheduled) -> bool {
    s.shortfalls.is_empty() && s.stuck.is_empty()
}

/// The feasible attempt with the fewest bytes moved, then the fewest
/// mailboxes moved twice; on a tie the earlier attempt wins (auto's own
/// order, which prefers upgraded targets, is tried first).
pub fn cheapest(results: &[(Mode, Scheduled)]) -> Option<usize> {
    (0..results.len())
        .filter(|&k| feasible(&results[k].1))
        .min_by_key(|&k| (results[k].1.totals.bytes, results[k].1.totals.twice, k))
}

/// The strategy a schedule followed, as the plan names it.
pub fn chosen(mode: Mode, scheduled: &Scheduled) -> ChosenStrategy {
    match mode {
        Mode::Forward => ChosenStrategy::Forward,
        Mode::Spread => ChosenStrategy::Spread,
        Mode::Spare => ChosenStrategy::Spare,
        Mode::Greedy if scheduled.parked => ChosenStrategy::SpreadThenForward,
        Mode::Greedy => ChosenStrategy::Forward,
    }
}

/// What a schedule moves, in words.
fn figures(s: &Scheduled) -> String {
    let Totals {
        moved,
        bytes,
        twice,
        ..
    } = s.totals;
    if twice > 0 {
        format!(
            "makes {} ({}), {} moving more than once",
            count(moved, "mailbox move", "mailbox moves"),
            Bytes(bytes),
            count(twice, "mailbox", "mailboxes")
        )
    } else {
        format!(
            "moves {}, each once ({})",
            count(moved, "mailbox", "mailboxes"),
            Bytes(bytes)
        )
    }
}

/// Why this strategy, with the figures of the alternatives.
pub fn why(
    requested: Strategy,
    chosen: ChosenStrategy,
    results: &[(Mode, Scheduled)],
    best: usize,
    spare_problem: Option<&SpareProblem>,
) -> String {
    if results[best].1.totals.moved == 0 {
        return "no mailbox has to move: every mailstore to upgrade is empty, or upgraded in place"
            .to_string();
    }
    let what = match chosen {
        ChosenStrategy::Forward => {
            "every mailbox moves at most once, onto stores already at the target version"
        }
        ChosenStrategy::SpreadThenForward => {
            "while no store at the target version had room, stores were emptied into the others (those mailboxes move twice); after that every mailbox moves once, onto upgraded stores"
        }
        ChosenStrategy::Spread => {
            "each store is emptied into the other stores of its site, balancing fill"
        }
        ChosenStrategy::Spare => {
            "mailboxes are parked on spare stores and moved back after each upgrade"
        }
    };
    let mut why = format!("{what}; this plan {}", figures(&results[best].1));
    if results[best].1.guided {
        why.push_str(
            "; the usual emptying order and balancing placement left mailboxes without room, so the order and the targets come from an exhaustive search",
        );
    }
    if requested != Strategy::Auto {
        return format!("requested; {why}");
    }
    let others = alternatives(results, best, spare_problem);
    if others.is_empty() {
        why
    } else {
        format!(
            "{why}; auto chose it as the cheapest: {}",
            others.join("; ")
        )
    }
}

/// Under auto: how the other attempts fared, or why none could do better.
fn alternatives(
    results: &[(Mode, Scheduled)],
    best: usize,
    spare_problem: Option<&SpareProblem>,
) -> Vec<String> {
    let mut others = Vec::new();
    for (k, (mode, s)) in results.iter().enumerate() {
        if k == best || *mode == results[best].0 {
            continue;
        }
        let name = match mode {
            Mode::Greedy => "auto's own order",
            Mode::Spread => "spread",
            Mode::Spare => "spare",
            Mode::Forward => "forward",
        };
        if feasible(s) {
            others.push(format!("{name} {}", figures(s)));
        } else {
            others.push(format!("{name} is not feasible"));
        }
    }
    if results.len() == 1 && results[best].1.totals.twice == 0 {
        others.push(
            "no plan can move less: every mailbox of a store to empty moves at least once"
                .to_string(),
        );
    } else if let Some(p) = spare_problem {
        others.push(format!("spare is impossible: {p}"));
    }
    others
}
