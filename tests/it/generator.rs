//! Generated inventories are valid, plan safely, and the plan empties every old store.
//!
//! Correctness only: benchmarks are not tests, and nothing here is timed.

use planner_bench::{Generated, Params, generate};
use planner_core::engine;
use planner_core::inventory::Checked;
use planner_core::plan::PlanOptions;
use planner_core::verify::verify;

fn load(generated: &Generated) -> Checked {
    planner_core::load("inventory.yaml", generated.inventory.as_bytes(), |path| {
        Ok(generated.file(path).expect("generated").to_vec())
    })
    .expect("valid")
}

fn plans_and_empties_every_old_store(params: Params) {
    let generated = generate(&params).expect("a possible layout");
    let checked = load(&generated);
    assert_eq!(
        checked.inventory().mailboxes().len() as u64,
        params.mailboxes,
        "{params:?}"
    );
    let options = PlanOptions::at("2026-11-29T00:00:00Z".parse().expect("a fixed time"));
    let plan = engine::plan(&checked, &options).expect("a safe plan");
    let violations = verify(&plan, checked.inventory(), &options);
    assert!(violations.is_empty(), "{params:?}: {violations:?}");
    assert_eq!(
        plan.summary.mailboxes_moved,
        generated.mailboxes_on_old_stores(),
        "{params:?}"
    );
}

#[test]
fn one_site() {
    plans_and_empties_every_old_store(Params::new(5_000, 5));
}

#[test]
fn several_sites_with_a_smaller_last_one() {
    plans_and_empties_every_old_store(Params::new(3_000, 45));
}

#[test]
fn other_seeds_and_shapes() {
    for seed in 2..6 {
        plans_and_empties_every_old_store(Params {
            seed,
            sites_of: 4,
            domain_size: 7,
            ..Params::new(1_234, 9)
        });
    }
}

/// On many stores, a move lists its target and at most five others, and
/// counts the rest by verdict: every other store of the site is accounted for.
#[test]
fn moves_list_at_most_five_other_stores_and_count_the_rest() {
    use planner_core::plan::Verdict;
    let params = Params {
        single_site: true,
        ..Params::new(3_000, 40)
    };
    let generated = generate(&params).expect("a possible layout");
    let checked = load(&generated);
    let options = PlanOptions::at("2026-11-29T00:00:00Z".parse().expect("a fixed time"));
    let plan = engine::plan(&checked, &options).expect("a safe plan");
    assert!(verify(&plan, checked.inventory(), &options).is_empty());
    let mut moves = 0;
    let mut counted = 0;
    for step in plan.waves.iter().flat_map(|w| &w.steps) {
        if !step.kind.is_move() {
            continue;
        }
        moves += 1;
        let listed = step.candidates.as_deref().expect("a move lists candidates");
        assert!(listed.len() <= 6, "{}: {} listed", step.id, listed.len());
        let chosen: Vec<&str> = listed
            .iter()
            .filter(|c| c.verdict == Verdict::Chosen)
            .map(|c| c.store.as_str())
            .collect();
        assert_eq!(chosen, [step.target.as_deref().expect("a target")]);
        let rest: u64 = step
            .candidates_not_listed
            .iter()
            .flatten()
            .map(|c| c.stores)
            .sum();
        counted += rest;
        // Every mailstore of the one site but the source is considered.
        assert_eq!(listed.len() as u64 + rest, 39, "{}", step.id);
    }
    assert!(moves > 0 && counted > 0);
}
