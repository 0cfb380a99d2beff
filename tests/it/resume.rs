//! Resuming after a partial run (SPEC section 11): for every example, every
//! prefix of every wave (the script stopped after each step in turn), and
//! the same with the next step failed, the resumed plan repeats no done
//! step, reuses no id the journal mentions, and, after the steps done, is
//! one plan the checker accepts against the original inventory.

use std::collections::BTreeSet;

use planner_core::inventory::Checked;
use planner_core::journal::{Entry, StepState};
use planner_core::plan::{Plan, StepKind};
use planner_core::resume::{self, ResumeError};
use planner_core::verify;

use crate::util::{checked_plan, now, options, root, yaml_files};

/// The journal of a run that did `done` (in order) and then, if `failed`,
/// failed that step.
fn journal(done: &[&str], failed: Option<&str>) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut line = 0;
    let mut push = |id: &str, state: StepState, message: Option<&str>| {
        line += 1;
        entries.push(Entry {
            id: id.to_string(),
            state,
            time: now(),
            message: message.map(str::to_string),
            line,
        });
    };
    for id in done {
        push(id, StepState::Started, None);
        push(id, StepState::Done, None);
    }
    if let Some(id) = failed {
        push(id, StepState::Started, None);
        push(id, StepState::Failed, Some("exit status 1"));
    }
    entries
}

/// Resumes `plan` after `done` (and `failed`), and checks what the module
/// promises; returns the new plan.
fn resumed(checked: &Checked, plan: &Plan, done: &[&str], failed: Option<&str>) -> Plan {
    let entries = journal(done, failed);
    let new = resume::resume(checked, plan, "sha256:test", &entries, &options())
        .unwrap_or_else(|e| panic!("resume after {done:?} (failed {failed:?}):\n{e}"));
    let from = new.resumed_from.as_ref().expect("resumed_from");
    let mut earlier: Vec<&str> = plan
        .resumed_from
        .iter()
        .flat_map(|r| r.done.iter().map(|s| s.id.as_str()))
        .collect();
    for id in done {
        if !earlier.contains(id) {
            earlier.push(id);
        }
    }
    let recorded: Vec<&str> = from.done.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        recorded, earlier,
        "resumed_from.done lists the done steps in order"
    );
    let mentioned: BTreeSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    for step in new.waves.iter().flat_map(|w| &w.steps) {
        assert!(
            !mentioned.contains(step.id.as_str()) && !earlier.contains(&step.id.as_str()),
            "the resumed plan reuses the id {}",
            step.id
        );
    }
    // A one-stage move that failed goes to the same target again, with
    // every account it had (some may have moved before it failed).
    let failed_move = failed
        .and_then(|id| {
            plan.waves
                .iter()
                .flat_map(|w| &w.steps)
                .find(|s| s.id == id)
        })
        .filter(|s| s.kind == StepKind::MoveSwitch && !plan.policy.two_stage_moves);
    if let Some(step) = failed_move {
        let again = new.waves.iter().flat_map(|w| &w.steps).find(|s| {
            s.kind == StepKind::MoveSwitch && s.source == step.source && s.target == step.target
        });
        let accounts = |s: &planner_core::plan::Step| s.accounts.clone().unwrap_or_default();
        assert!(
            again.is_some_and(|s| accounts(step).iter().all(|a| accounts(s).contains(a))),
            "{} is not made again to the same target",
            step.id
        );
    }
    // The library already judged it; judge it again, as `planner verify` does.
    let violations = verify::verify(&new, checked.inventory(), &options());
    assert!(
        violations.is_empty(),
        "after {done:?}: {}",
        violations
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    new
}

/// Every step id of a plan, in the order the script runs them.
fn script_order(plan: &Plan) -> Vec<&str> {
    plan.waves
        .iter()
        .flat_map(|w| w.steps.iter().map(|s| s.id.as_str()))
        .collect()
}

#[test]
fn every_prefix_of_every_example_resumes_into_a_safe_plan() {
    let resumes = every_prefix(&yaml_files("examples"));
    assert!(resumes > 100, "only {resumes} resumes tried");
}

/// The test inventories' plans too: spare stores and their returns, purges
/// at the end, in-place upgrades, schedules.
#[test]
fn every_prefix_of_every_test_plan_resumes_into_a_safe_plan() {
    let plans = |name: &String| {
        let path = root().join(name);
        let bytes = std::fs::read(&path).expect("inventory");
        planner_core::load(name, &bytes, |file| {
            std::fs::read(root().join("tests/plans").join(file)).map_err(|e| e.to_string())
        })
        .is_ok_and(|checked| planner_core::engine::plan(&checked, &options()).is_ok())
    };
    let names: Vec<String> = yaml_files("tests/plans")
        .into_iter()
        .filter(plans)
        .collect();
    assert!(names.len() >= 10, "only {} test plans", names.len());
    let resumes = every_prefix(&names);
    assert!(resumes > 100, "only {resumes} resumes tried");
}

/// Resumes each inventory's plan after every prefix of its steps, and after
/// every prefix followed by a failed step; returns how many resumes ran.
fn every_prefix(names: &[String]) -> usize {
    let mut resumes = 0;
    for name in names {
        let (checked, plan) = checked_plan(&root().join(name)).expect("a plan");
        let order = script_order(&plan);
        for k in 0..order.len() {
            let done = &order[..k];
            let new = resumed(&checked, &plan, done, None);
            // Nothing done twice: what the new plan does is what was left.
            let left: BTreeSet<(StepKind, Option<&str>)> = plan
                .waves
                .iter()
                .flat_map(|w| &w.steps)
                .filter(|s| !done.contains(&s.id.as_str()))
                .filter(|s| s.kind == StepKind::Upgrade)
                .map(|s| (s.kind, s.server.as_deref()))
                .collect();
            let upgrades: BTreeSet<(StepKind, Option<&str>)> = new
                .waves
                .iter()
                .flat_map(|w| &w.steps)
                .filter(|s| s.kind == StepKind::Upgrade)
                .map(|s| (s.kind, s.server.as_deref()))
                .collect();
            assert_eq!(upgrades, left, "{name} after {k} steps: the upgrades left");
            resumed(&checked, &plan, done, Some(order[k]));
            resumes += 2;
        }
    }
    resumes
}

/// A plan resumed twice: after a failure, then after part of the resumed
/// plan ran. The second resume needs only the resumed plan (its
/// `resumed_from` carries the first steps) and the one journal.
#[test]
fn a_resumed_plan_resumes_again() {
    for name in yaml_files("examples") {
        let (checked, plan) = checked_plan(&root().join(&name)).expect("a plan");
        let order = script_order(&plan);
        let k = order.len() / 3;
        let first = resumed(&checked, &plan, &order[..k], Some(order[k]));
        let next = script_order(&first);
        let j = next.len() / 2;
        // The journal goes on: the first run's lines, then the second's.
        let mut done: Vec<&str> = order[..k].to_vec();
        done.extend(&next[..j]);
        let mut entries = journal(&order[..k], Some(order[k]));
        let more = journal(&next[..j], None);
        let offset = entries.len();
        entries.extend(more.into_iter().map(|mut e| {
            e.line += offset;
            e
        }));
        let second = resume::resume(&checked, &first, "sha256:first", &entries, &options())
            .unwrap_or_else(|e| panic!("{name}: second resume: {e}"));
        let recorded: Vec<&str> = second
            .resumed_from
            .iter()
            .flat_map(|r| r.done.iter().map(|s| s.id.as_str()))
            .collect();
        assert_eq!(recorded, done, "{name}: every done step, in order");
        assert!(
            verify::verify(&second, checked.inventory(), &options()).is_empty(),
            "{name}: the second resumed plan is safe"
        );
        assert!(
            resume::journal_disagrees(&second, &entries).is_empty(),
            "{name}: the plan agrees with its journal"
        );
    }
}

/// What resume refuses, and what it says.
#[test]
fn resume_refuses_half_run_steps_unknown_ids_and_other_inventories() {
    let (checked, plan) = checked_plan(&root().join("examples/saas.yaml")).expect("a plan");
    let order = script_order(&plan);
    // A step started and not finished.
    let mut entries = journal(&order[..3], None);
    entries.push(Entry {
        id: order[3].to_string(),
        state: StepState::Started,
        time: now(),
        message: None,
        line: entries.len() + 1,
    });
    let error = resume::resume(&checked, &plan, "x", &entries, &options()).expect_err("refused");
    assert!(matches!(error, ResumeError::Started(ref s) if s.len() == 1 && s[0].0 == order[3]));
    assert!(
        error.to_string().contains("append `ID done TIME`"),
        "{error}"
    );
    // A journal of another plan.
    let error = resume::resume_done(&checked, &plan, "x", &["upgrade:elsewhere"], &options())
        .expect_err("refused");
    assert!(matches!(error, ResumeError::Unknown(ref ids) if ids == &["upgrade:elsewhere"]));
    // A plan made from another inventory: what differs is named.
    let (other, _) = checked_plan(&root().join("examples/two-sites.yaml")).expect("a plan");
    let error =
        resume::resume_done(&other, &plan, "x", &order[..2], &options()).expect_err("stale");
    let ResumeError::Stale(changes) = &error else {
        panic!("not stale: {error}");
    };
    assert!(
        changes.iter().any(|c| c.starts_with("target_version:"))
            && changes
                .iter()
                .any(|c| c.contains("in the inventory, not in the plan")),
        "{changes:?}"
    );
    // Other planning options than the plan's: the flags to repeat.
    let mut other = options();
    other.max_fill = Some(planner_core::inventory::Fraction::parse("80%").expect("a fraction"));
    let error = resume::resume(&checked, &plan, "x", &journal(&order[..2], None), &other)
        .expect_err("other options");
    assert!(
        matches!(error, ResumeError::OtherOptions(ref f) if f == &["--max-fill 90%"]),
        "{error}"
    );
    // The library form with done ids plans as the journal form does.
    let by_ids =
        resume::resume_done(&checked, &plan, "x", &order[..5], &options()).expect("a plan");
    let by_journal = resume::resume(
        &checked,
        &plan,
        "x",
        &journal(&order[..5], None),
        &options(),
    )
    .expect("a plan");
    assert_eq!(by_ids, by_journal);
}

/// A journal the plan disagrees with: `verify --journal`'s check.
#[test]
fn a_plan_and_a_journal_that_disagree_are_told_apart() {
    let (checked, plan) = checked_plan(&root().join("examples/enterprise.yaml")).expect("a plan");
    let order = script_order(&plan);
    let new = resumed(&checked, &plan, &order[..6], None);
    assert!(resume::journal_disagrees(&new, &journal(&order[..6], None)).is_empty());
    // An older journal lacks a step the plan says was done.
    let problems = resume::journal_disagrees(&new, &journal(&order[..5], None));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains(order[5]), "{problems:?}");
    // A journal that went on with the old plan's script: the step the new
    // plan took up again under a new id is done under its old one.
    let failed = resumed(&checked, &plan, &order[..6], Some(order[6]));
    let problems = resume::journal_disagrees(&failed, &journal(&order[..7], None));
    assert!(
        problems
            .iter()
            .any(|p| p.contains(order[6]) && p.contains("neither did it")),
        "{problems:?}"
    );
}

/// `planner plan --resume` on the command line: its exit codes.
#[test]
fn the_command_line_resume_exits_as_documented() {
    let dir = crate::util::scratch!("cli");
    let inventory = root().join("examples/saas.yaml");
    let plan = dir.join("plan.json");
    let made = crate::util::planner(["plan"])
        .arg(&inventory)
        .args(["--format", "json", "--now", crate::util::NOW, "--output"])
        .arg(&plan)
        .output();
    assert_eq!(made.code, 0, "{}", made.transcript());
    let journal = dir.join("upgrade.journal");
    std::fs::write(&journal, "").expect("a journal");
    let resume =
        |inventory: &std::path::Path, plan: &std::path::Path, journal: &std::path::Path| {
            crate::util::planner(["plan"])
                .arg(inventory)
                .arg("--resume")
                .arg(plan)
                .arg("--journal")
                .arg(journal)
                .output()
        };
    // Nothing done yet: the whole plan again, as a resumed plan.
    let out = resume(&inventory, &plan, &journal);
    assert_eq!(out.code, 0, "{}", out.transcript());
    assert!(
        out.stdout().contains("after the 0 steps"),
        "{}",
        out.stdout()
    );
    // A journal or a plan that cannot be read: 2; another inventory's plan: 1.
    assert_eq!(resume(&inventory, &plan, &dir.join("none")).code, 2);
    assert_eq!(resume(&inventory, &dir.join("none.json"), &journal).code, 2);
    let other = resume(&root().join("examples/carbonio.yaml"), &plan, &journal);
    assert_eq!(other.code, 1, "{}", other.transcript());
    assert!(
        other.stderr().contains("was not made from this inventory"),
        "{}",
        other.stderr()
    );
    // --resume needs --journal.
    let alone = crate::util::planner(["plan"])
        .arg(&inventory)
        .arg("--resume")
        .arg(&plan)
        .output();
    assert_eq!(alone.code, 2, "{}", alone.transcript());
}
