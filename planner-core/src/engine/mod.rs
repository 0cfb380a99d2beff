//! The planning engine: from a validated inventory to a safe plan.
//!
//! The flow: `graph` builds the order among servers; `schedule` takes the
//! servers in that order and books every step into the wave table (`table`),
//! asking `place` where each mailbox of a store being emptied goes; `assemble`
//! writes the result as the `Plan` contract. Under `auto` several strategies
//! are tried and the cheapest feasible plan wins; when none is feasible, the
//! refusal says what is missing, in numbers.

mod assemble;
mod graph;
mod place;
mod schedule;
mod table;

use std::fmt;

use crate::inventory::{Bytes, Checked, Fraction, Strategy};
use crate::plan::{ChosenStrategy, Plan, PlanOptions, effective_policy};
use place::Mode;
use schedule::{Sched, Scheduled};

/// Why no safe plan exists, with what would make one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct NoSafePlan {
    /// Every reason found, each with a hint when one helps.
    pub reasons: Vec<Reason>,
}

/// One reason a plan is impossible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// What is impossible, with figures.
    pub message: String,
    /// What would make it possible.
    pub hint: Option<String>,
}

impl fmt::Display for NoSafePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no safe plan exists")?;
        for r in &self.reasons {
            write!(f, "\n{}", r.message)?;
            if let Some(h) = &r.hint {
                write!(f, "\n  hint: {h}")?;
            }
        }
        Ok(())
    }
}

fn refuse(message: String, hint: Option<String>) -> NoSafePlan {
    NoSafePlan {
        reasons: vec![Reason { message, hint }],
    }
}

/// Plans the upgrade of a checked inventory with the given options.
pub fn plan(checked: &Checked, options: &PlanOptions) -> Result<Plan, NoSafePlan> {
    let inv = &checked.inventory;
    let policy = effective_policy(inv, options);
    if policy.max_fill == Fraction::ZERO || policy.max_fill > Fraction::ONE {
        return Err(refuse(
            format!(
                "max_fill must be above 0% and at most 100%, not {}",
                policy.max_fill
            ),
            None,
        ));
    }
    let order = graph::build(inv).map_err(|cycles| NoSafePlan {
        reasons: cycles
            .iter()
            .map(|c| {
                let mut names: Vec<String> = c.servers.iter().map(|s| inv.server(*s).name.to_string()).collect();
                names.push(names[0].clone());
                let steps: Vec<String> = c
                    .reasons
                    .iter()
                    .zip(names.windows(2))
                    .map(|(r, pair)| format!("{} waits for {} ({})", pair[0], pair[1], r.describe(inv.profile.name.as_str())))
                    .collect();
                Reason {
                    message: format!("the upgrade order has a cycle: {}", names.join(" → ")),
                    hint: Some(format!(
                        "{}; remove the depends_on or role `after` that goes against the profile's order",
                        steps.join(", ")
                    )),
                }
            })
            .collect(),
    })?;

    let spares: Vec<usize> = (0..inv.servers.len())
        .filter(|&i| inv.servers[i].is_mailstore() && inv.servers[i].spare)
        .collect();
    let spare_problem = if spares.is_empty() {
        Some("no store is marked `spare: true`".to_string())
    } else {
        spares
            .iter()
            .find(|&&i| inv.mailboxes.iter().any(|m| m.store.index() == i))
            .map(|&i| {
                format!(
                    "the spare store {} holds mailboxes; the spare strategy needs empty spares",
                    inv.servers[i].name
                )
            })
    };
    let modes: Vec<Mode> = match policy.strategy {
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
                return Err(refuse(
                    format!("strategy spare is impossible: {problem}"),
                    Some("mark empty stores with `spare: true`, or use strategy auto".to_string()),
                ));
            }
            vec![Mode::Spare]
        }
    };

    let mut results: Vec<(Mode, Scheduled)> = Vec::new();
    for mode in modes {
        let scheduled = Sched::new(inv, &policy, &order, mode, options.now).run();
        results.push((mode, scheduled));
    }
    let feasible: Vec<usize> = (0..results.len())
        .filter(|&k| results[k].1.shortfalls.is_empty())
        .collect();
    // Fewest bytes moved, then fewest mailboxes moved twice; on a tie the
    // earlier attempt wins, and auto's own order (which prefers upgraded
    // targets) is tried first.
    let cost = |s: &Scheduled| -> (u64, u64) { assemble::move_totals(inv, s) };
    let Some(&best) = feasible.iter().min_by_key(|&&k| (cost(&results[k].1), k)) else {
        // Report the first attempt's reasons: the requested strategy, or auto's own.
        let (_, first) = &results[0];
        let mut reasons: Vec<Reason> = Vec::new();
        let mut by_site: std::collections::BTreeMap<Option<&str>, Vec<&place::Shortfall>> =
            Default::default();
        for f in &first.shortfalls {
            by_site.entry(f.site.as_deref()).or_default().push(f);
        }
        for site in by_site.values() {
            let (message, hint) = place::describe_shortfalls(inv, &policy, site);
            reasons.push(Reason {
                message,
                hint: Some(hint),
            });
        }
        if reasons.is_empty() {
            reasons.push(Reason {
                message: "no attempt produced a plan".to_string(),
                hint: None,
            });
        }
        return Err(NoSafePlan { reasons });
    };

    let (mode, scheduled) = &results[best];
    let chosen = match mode {
        Mode::Forward => ChosenStrategy::Forward,
        Mode::Spread => ChosenStrategy::Spread,
        Mode::Spare => ChosenStrategy::Spare,
        Mode::Greedy if scheduled.parked => ChosenStrategy::SpreadThenForward,
        Mode::Greedy => ChosenStrategy::Forward,
    };
    let why = if assemble::mailboxes_moved(scheduled) == 0 {
        "no mailbox has to move: every mailstore to upgrade is empty, or upgraded in place"
            .to_string()
    } else {
        strategy_why(
            inv,
            policy.strategy,
            chosen,
            &results,
            best,
            spare_problem.as_deref(),
        )
    };
    let plan = assemble::assemble(checked, &policy, options, &order, scheduled, chosen, why);
    // A debug build has the independent checker judge every plan it returns.
    #[cfg(debug_assertions)]
    {
        let violations = crate::verify::verify(&plan, inv, options);
        debug_assert!(
            violations.is_empty(),
            "the engine produced a plan the checker refuses:\n{}",
            violations
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(plan)
}

/// Why this strategy, with the figures of the alternatives.
fn strategy_why(
    inv: &crate::inventory::Inventory,
    requested: Strategy,
    chosen: ChosenStrategy,
    results: &[(Mode, Scheduled)],
    best: usize,
    spare_problem: Option<&str>,
) -> String {
    let figures = |s: &Scheduled| -> String {
        let (bytes, twice) = assemble::move_totals(inv, s);
        let moved = assemble::mailboxes_moved(s);
        if twice > 0 {
            format!(
                "makes {moved} mailbox moves ({}), {twice} mailbox{} moving more than once",
                Bytes(bytes),
                if twice == 1 { "" } else { "es" }
            )
        } else {
            format!("moves {moved} mailboxes, each once ({})", Bytes(bytes))
        }
    };
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
    if requested == Strategy::Auto {
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
            if s.shortfalls.is_empty() {
                others.push(format!("{name} {}", figures(s)));
            } else {
                others.push(format!("{name} is not feasible"));
            }
        }
        if let Some(p) = spare_problem {
            others.push(format!("spare is impossible: {p}"));
        }
        if !others.is_empty() {
            why.push_str(&format!(
                "; auto chose it as the cheapest: {}",
                others.join("; ")
            ));
        }
    } else {
        why = format!("requested; {why}");
    }
    why
}
