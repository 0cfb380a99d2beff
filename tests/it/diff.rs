//! `planner diff OLD.json NEW.json`: what a reviewer must re-approve, and its
//! exit codes (0 same work, 1 different, 2 unreadable or not a plan).

use std::fs;

use crate::util::{planner, root, scratch};

/// The enterprise example's plan as JSON text, with extra options.
fn plan_text(inventory: &str, extra: &[&str]) -> String {
    serde_json::to_string_pretty(&crate::util::plan_json(inventory, extra)).expect("JSON")
}

#[test]
fn a_plan_does_the_same_work_as_itself_and_differs_from_another_strategy() {
    let dir = scratch!("strategies");
    let a = dir.write("a.json", plan_text("examples/enterprise.yaml", &[]));
    let b = dir.write(
        "b.json",
        plan_text("examples/enterprise.yaml", &["--strategy", "spread"]),
    );
    let same = planner(["diff"]).arg(&a).arg(&a).output();
    assert_eq!(same.code, 0, "{}", same.transcript());
    assert!(same.stdout().starts_with("Same work:"), "{}", same.stdout());
    let differ = planner(["diff"]).arg(&a).arg(&b).output();
    assert_eq!(differ.code, 1, "{}", differ.transcript());
    let text = differ.stdout();
    for needle in [
        "The plans differ",
        "mailbox moves 128 -> 132",
        "Servers whose upgrade changed (3):\n  mbx1.corp.example.com: wave 9 (install, health-check) -> wave 7 (install, health-check)",
        "Accounts whose destination changed (98):",
        "  ... and 88 more",
        "Steps added (5):\n  move-switch:mbx1.corp.example.com>mbx2.corp.example.com",
        "Steps removed (5):",
        "Steps changed (kind, servers, accounts, mode or actions) (",
        "Steps moved to another wave (after the renumbering), doing the same (",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
}

#[test]
fn step_ids_stay_stable_when_an_unrelated_part_of_the_inventory_changes() {
    // A new notification address and slower installers change no step: the
    // same ids, doing the same, in the same waves; only the estimate moves.
    let dir = scratch!("unrelated");
    let text = fs::read_to_string(root().join("examples/enterprise.yaml")).expect("example");
    let changed = text
        .replacen(
            "notify: zimbra-admin@corp.example.com",
            "notify: noc@corp.example.com",
            1,
        )
        .replacen("upgrade: 40m", "upgrade: 55m", 1);
    assert_ne!(
        changed, text,
        "the example has a notify address and an upgrade rate"
    );
    let exports = root().join("examples/exports");
    fs::create_dir_all(dir.join("exports")).expect("exports");
    for entry in fs::read_dir(&exports).expect("exports") {
        let path = entry.expect("entry").path();
        fs::copy(
            &path,
            dir.join("exports").join(path.file_name().expect("name")),
        )
        .expect("copy");
    }
    let inventory = dir.write("enterprise.yaml", changed);
    let a = dir.write("a.json", plan_text("examples/enterprise.yaml", &[]));
    let b = dir.write(
        "b.json",
        plan_text(inventory.to_str().expect("a path"), &[]),
    );
    let out = planner(["diff"]).arg(&a).arg(&b).output();
    assert_eq!(out.code, 0, "{}", out.transcript());
    assert!(
        out.stdout().contains("estimate 10h55m39s -> "),
        "{}",
        out.stdout()
    );
}

#[test]
fn an_unreadable_file_or_a_non_plan_is_exit_2() {
    let dir = scratch!("unreadable");
    let a = dir.write("a.json", plan_text("examples/saas.yaml", &[]));
    let not_a_plan = dir.write("x.json", r#"{"format": "something-else"}"#);
    let broken = dir.write("y.json", "{ not json");
    for other in [dir.join("missing.json"), not_a_plan, broken] {
        let out = planner(["diff"]).arg(&a).arg(&other).output();
        assert_eq!(out.code, 2, "{}: {}", other.display(), out.transcript());
        assert!(out.stdout().is_empty(), "{}", out.stdout());
        assert!(out.stderr().contains("error"), "{}", out.stderr());
    }
}
