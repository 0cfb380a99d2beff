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

use crate::inventory::{Bytes, Checked, Fraction, Inventory, Strategy};
use crate::plan::{ChosenStrategy, Plan, PlanOptions, effective_policy};
use place::Mode;
use schedule::{Sched, Scheduled, Totals};

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
    /// For missing capacity: an empty store at the target version with this
    /// much room, in this site, is enough.
    pub missing: Option<Missing>,
}

/// Capacity that would make a refused plan feasible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The version the new store should run: the target, or the version of
    /// a store that must be emptied before accounts may land on the target.
    pub version: crate::inventory::Version,
    /// The site that lacks it (`None`: the one unnamed site).
    pub site: Option<String>,
    /// Disk for a new empty store at the target version.
    pub disk: Bytes,
    /// Accounts that store must be able to serve.
    pub mailboxes: u64,
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
        reasons: vec![Reason {
            message,
            hint,
            missing: None,
        }],
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
                    missing: None,
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
        // One pass over the mailboxes, whatever the number of spares.
        let mut holds = vec![false; inv.servers.len()];
        for m in &inv.mailboxes {
            holds[m.store.index()] = true;
        }
        spares.iter().find(|&&i| holds[i]).map(|&i| {
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

    let results = attempts(inv, &policy, &order, &modes, options.now);
    let Some(best) = cheapest(&results) else {
        return Err(refusal(inv, &policy, &modes, options.now, &results[0].1));
    };

    let (mode, scheduled) = &results[best];
    let chosen = match mode {
        Mode::Forward => ChosenStrategy::Forward,
        Mode::Spread => ChosenStrategy::Spread,
        Mode::Spare => ChosenStrategy::Spare,
        Mode::Greedy if scheduled.parked => ChosenStrategy::SpreadThenForward,
        Mode::Greedy => ChosenStrategy::Forward,
    };
    let why = if scheduled.totals.moved == 0 {
        "no mailbox has to move: every mailstore to upgrade is empty, or upgraded in place"
            .to_string()
    } else {
        strategy_why(
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

/// Runs one scheduling attempt per mode.
fn attempts(
    inv: &Inventory,
    policy: &crate::inventory::Policy,
    order: &graph::Order,
    modes: &[Mode],
    now: jiff::Timestamp,
) -> Vec<(Mode, Scheduled)> {
    let mut results = Vec::with_capacity(modes.len());
    for &mode in modes {
        let scheduled = Sched::new(inv, policy, order, mode, now).run();
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

/// The feasible attempt with the fewest bytes moved, then the fewest
/// mailboxes moved twice; on a tie the earlier attempt wins (auto's own
/// order, which prefers upgraded targets, is tried first).
fn cheapest(results: &[(Mode, Scheduled)]) -> Option<usize> {
    (0..results.len())
        .filter(|&k| results[k].1.shortfalls.is_empty() && results[k].1.stuck.is_empty())
        .min_by_key(|&k| (results[k].1.totals.bytes, results[k].1.totals.twice, k))
}

/// The refusal of a schedule that could not empty every store: its
/// shortfalls per site, and the capacity that would make the inventory plan.
/// That capacity is tried before it is named: the inventory with the stores
/// it names added is planned again (doubling them if needed), so the hint is
/// one that works.
fn refusal(
    inv: &Inventory,
    policy: &crate::inventory::Policy,
    modes: &[Mode],
    now: jiff::Timestamp,
    first: &Scheduled,
) -> NoSafePlan {
    let mut by_site: std::collections::BTreeMap<Option<&str>, Vec<&place::Shortfall>> =
        Default::default();
    for f in &first.shortfalls {
        by_site.entry(f.site.as_deref()).or_default().push(f);
    }
    let described: Vec<(String, Vec<String>, Option<Missing>)> = by_site
        .values()
        .map(|site| place::describe_shortfalls(inv, policy, site))
        .collect();
    let wanted: Vec<Missing> = described.iter().filter_map(|(_, _, m)| m.clone()).collect();
    let found = if wanted.len() == described.len() && !wanted.is_empty() {
        probe(inv, policy, modes, now, &wanted)
    } else {
        None
    };
    let mut reasons: Vec<Reason> = first
        .stuck
        .iter()
        .map(|message| Reason {
            message: message.clone(),
            hint: None,
            missing: None,
        })
        .collect();
    let mut found = found.into_iter().flatten();
    for (message, options, missing) in described {
        let mut hints = Vec::new();
        let mut named = None;
        if missing.is_some() {
            match found.next() {
                Some(m) => {
                    hints.push(place::store_hint(&m));
                    named = Some(m);
                }
                None => hints.push(
                    "more room is needed in this site than the planner could size".to_string(),
                ),
            }
        }
        hints.extend(options);
        reasons.push(Reason {
            message,
            hint: (!hints.is_empty()).then(|| hints.join(", or ")),
            missing: named,
        });
    }
    if reasons.is_empty() {
        reasons.push(Reason {
            message: "no attempt produced a plan".to_string(),
            hint: None,
            missing: None,
        });
    }
    NoSafePlan { reasons }
}

/// Plans again with the missing stores added, growing them step by step
/// (up to 16 times the first estimate, which packing may need: mailboxes do
/// not split); returns the first amounts that make the inventory plan.
fn probe(
    inv: &Inventory,
    policy: &crate::inventory::Policy,
    modes: &[Mode],
    now: jiff::Timestamp,
    wanted: &[Missing],
) -> Option<Vec<Missing>> {
    // Scales in percent of the first estimate.
    for scale in [100u128, 125, 150, 200, 400, 800, 1600] {
        let grow =
            |v: u64| u64::try_from((u128::from(v) * scale).div_ceil(100)).unwrap_or(u64::MAX);
        let scaled: Vec<Missing> = wanted
            .iter()
            .map(|m| Missing {
                disk: Bytes(grow(m.disk.0)),
                mailboxes: grow(m.mailboxes).max(m.mailboxes + u64::from(scale > 100)),
                ..m.clone()
            })
            .collect();
        let mut with = inv.clone();
        for (k, m) in scaled.iter().enumerate() {
            let name =
                crate::inventory::ServerName::parse(&format!("added-store-{k}.invalid")).ok()?;
            let capacity = crate::inventory::Capacity {
                disk: m.disk,
                mailboxes: Some(m.mailboxes),
            };
            with = with.with_added_store(name, m.version.clone(), m.site.clone(), capacity);
        }
        let order = graph::build(&with).ok()?;
        if cheapest(&attempts(&with, policy, &order, modes, now)).is_some() {
            return Some(scaled);
        }
    }
    None
}

/// Why this strategy, with the figures of the alternatives.
fn strategy_why(
    requested: Strategy,
    chosen: ChosenStrategy,
    results: &[(Mode, Scheduled)],
    best: usize,
    spare_problem: Option<&str>,
) -> String {
    let figures = |s: &Scheduled| -> String {
        let Totals {
            moved,
            bytes,
            twice,
            ..
        } = s.totals;
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
            if s.shortfalls.is_empty() && s.stuck.is_empty() {
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
