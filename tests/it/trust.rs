//! Trust: `planner verify` accepts the planner's plans and refuses tampered
//! or stale ones naming the rule; `planner explain` answers for every server
//! and for accounts, from the plan's own records.

use std::path::Path;

use serde_json::Value;

use crate::util::{self, NOW, plan_json, root, scratch};

/// Runs the planner in the workspace root: exit code, stdout, stderr.
fn planner(args: &[&str]) -> (i32, String, String) {
    let output = util::planner(args).output();
    (output.code, output.stdout_lossy(), output.stderr())
}

fn examples() -> Vec<String> {
    util::yaml_files("examples")
}

/// Writes a plan and verifies it: exit code and stderr.
fn verify(
    dir: &Path,
    name: &str,
    plan: &Value,
    inventory: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(plan).expect("json")).expect("write");
    let mut args = vec![
        "verify",
        path.to_str().expect("utf-8"),
        "--inventory",
        inventory,
    ];
    args.extend_from_slice(extra);
    planner(&args)
}

#[test]
fn verify_accepts_the_plan_of_every_example() {
    let dir = scratch!("verify-examples");
    for inventory in examples() {
        let plan = plan_json(&inventory, &[]);
        let (code, stdout, stderr) = verify(&dir, "plan.json", &plan, &inventory, &[]);
        assert_eq!(code, 0, "{inventory}: {stderr}");
        assert!(stdout.contains("every safety rule holds"), "{stdout}");
    }
}

fn steps_mut(plan: &mut Value) -> impl Iterator<Item = &mut Value> {
    plan["waves"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .flat_map(|w| w["steps"].as_array_mut().into_iter().flatten())
}

fn renumber(plan: &mut Value) {
    if let Some(waves) = plan["waves"].as_array_mut() {
        waves.retain(|w| w["steps"].as_array().is_some_and(|s| !s.is_empty()));
        for (i, w) in waves.iter_mut().enumerate() {
            w["index"] = Value::from(i + 1);
        }
    }
}

fn remove_steps(plan: &mut Value, kind: &str) {
    for wave in plan["waves"].as_array_mut().into_iter().flatten() {
        if let Some(steps) = wave["steps"].as_array_mut() {
            steps.retain(|s| s["kind"] != kind);
        }
    }
    renumber(plan);
}

/// A tampering: its name, the rule the checker must name, and what it does.
type Tampering = (&'static str, &'static str, fn(&mut Value));

/// Each tampering, and the rule the checker must name.
fn tamperings() -> Vec<Tampering> {
    vec![
        ("remove-a-step", "rule 1 (complete)", |p| {
            let waves = p["waves"].as_array_mut().expect("waves");
            for wave in waves.iter_mut() {
                let steps = wave["steps"].as_array_mut().expect("steps");
                if let Some(pos) = steps.iter().position(|s| s["kind"] == "upgrade") {
                    steps.remove(pos);
                    break;
                }
            }
            renumber(p);
        }),
        ("reorder-waves", "rule 2 (order)", |p| {
            if let Some(waves) = p["waves"].as_array_mut() {
                waves.reverse();
            }
            renumber(p);
        }),
        ("merge-all-upgrades", "rule 13 (batches)", |p| {
            let mut upgrades = Vec::new();
            for wave in p["waves"].as_array_mut().expect("waves") {
                let steps = wave["steps"].as_array_mut().expect("steps");
                upgrades.extend(steps.iter().filter(|s| s["kind"] == "upgrade").cloned());
                steps.retain(|s| s["kind"] != "upgrade");
            }
            let last = p["waves"]
                .as_array_mut()
                .expect("waves")
                .last_mut()
                .expect("a wave");
            last["steps"]
                .as_array_mut()
                .expect("steps")
                .extend(upgrades);
            renumber(p);
        }),
        ("move-to-a-non-mailstore", "rule 9 (safe targets)", |p| {
            let ldap = steps_mut(p)
                .find(|s| s["kind"] == "upgrade")
                .and_then(|s| s["server"].as_str().map(str::to_string))
                .expect("an upgrade");
            for s in steps_mut(p).filter(|s| s["kind"] == "move-switch" || s["kind"] == "move-data")
            {
                s["target"] = Value::from(ldap.clone());
            }
        }),
        ("drop-the-switches", "rule 8 (conservation)", |p| {
            remove_steps(p, "move-switch")
        }),
        ("drop-the-backups", "rule 5 (backup first)", |p| {
            remove_steps(p, "backup")
        }),
    ]
}

#[test]
fn verify_rejects_every_tampering_naming_the_rule() {
    let dir = scratch!("verify-tampered");
    for inventory in examples() {
        let plan = plan_json(&inventory, &[]);
        for (name, rule, tamper) in tamperings() {
            let mut tampered = plan.clone();
            tamper(&mut tampered);
            assert_ne!(tampered, plan, "{inventory}: {name} changed nothing");
            let (code, _, stderr) =
                verify(&dir, &format!("{name}.json"), &tampered, &inventory, &[]);
            assert_eq!(code, 1, "{inventory}: {name} must be refused:\n{stderr}");
            assert!(
                stderr.contains(rule),
                "{inventory}: {name} must name {rule}:\n{stderr}"
            );
        }
    }
}

#[test]
fn verify_refuses_a_stale_plan() {
    let dir = scratch!("verify-stale");
    let plan = plan_json("examples/enterprise.yaml", &[]);
    let text = std::fs::read_to_string(root().join("examples/enterprise.yaml")).expect("read");
    let changed = text.replacen("size:  3.4GiB }", "size:  3.5GiB }", 1);
    assert!(
        changed != text,
        "the example has a 3.4GiB mailbox to change"
    );
    let inventory = dir.join("enterprise.yaml");
    std::fs::write(&inventory, changed).expect("write");
    let (code, _, stderr) = verify(
        &dir,
        "plan.json",
        &plan,
        inventory.to_str().expect("utf-8"),
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("stale plan"), "{stderr}");
    assert!(
        stderr.contains("the inventory changed since the plan was made"),
        "{stderr}"
    );
    // Reformatting the inventory without changing its meaning keeps the plan fresh.
    let reformatted = format!(
        "# a comment\n{}",
        text.replace("max_fill: 90%", "max_fill: 0.9")
    );
    std::fs::write(&inventory, reformatted).expect("write");
    let (code, _, stderr) = verify(
        &dir,
        "plan.json",
        &plan,
        inventory.to_str().expect("utf-8"),
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn verify_refuses_unknown_formats_and_malformed_json() {
    let dir = scratch!("verify-malformed");
    let inventory = "examples/enterprise.yaml";
    let mut plan = plan_json(inventory, &[]);
    plan["format"] = Value::from("upgrade-plan/v9");
    let (code, _, stderr) = verify(&dir, "v9.json", &plan, inventory, &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unknown plan format `upgrade-plan/v9`"),
        "{stderr}"
    );

    let path = dir.join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"format\": \"upgrade-plan/v1\",\n  \"waves\": [,]\n}\n",
    )
    .expect("write");
    let (code, _, stderr) = planner(&[
        "verify",
        path.to_str().expect("utf-8"),
        "--inventory",
        inventory,
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("broken.json:3:13: error"),
        "line and column: {stderr}"
    );

    let (code, _, stderr) = planner(&["verify", "no/such/plan.json", "--inventory", inventory]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn verify_judges_with_the_override_options_not_the_plans_policy() {
    let dir = scratch!("verify-overrides");
    // Emptying b into a needs 95% of a's disk: feasible only above max_fill 90%.
    let inventory = dir.join("tight.yaml");
    std::fs::write(
        &inventory,
        "format: 1
target_version: \"10.1.5\"
policy: { allow_outage: [directory, mta, proxy] }
servers:
  - { name: ldap1.example.com, roles: [ldap-master], version: \"9.0.0_P40\" }
  - { name: mx1.example.com, roles: [mta, proxy], version: \"9.0.0_P40\" }
  - { name: a.example.com, roles: [mailstore], version: \"9.0.0_P40\", capacity: { disk: 100GiB } }
  - { name: b.example.com, roles: [mailstore], version: \"9.0.0_P40\", capacity: { disk: 100GiB } }
mailboxes:
  - { account: big@example.com, store: a.example.com, size: 60GiB }
  - { account: small@example.com, store: b.example.com, size: 35GiB }
",
    )
    .expect("write");
    let inventory = inventory.to_str().expect("utf-8");
    let (code, _, _) = planner(&["plan", inventory, "--now", NOW]);
    assert_eq!(code, 1, "infeasible at the inventory's 90%");
    let plan = plan_json(inventory, &["--max-fill", "100%"]);
    let (code, _, stderr) = verify(&dir, "plan.json", &plan, inventory, &[]);
    assert_eq!(code, 1, "the inventory's own policy refuses it");
    assert!(stderr.contains("rule 7 (capacity)"), "{stderr}");
    // The refusal names the flag the plan was made with.
    assert!(
        stderr.contains("hint: the plan was made with --max-fill 100%")
            && stderr.contains("repeat it"),
        "{stderr}"
    );
    let (code, _, stderr) = verify(&dir, "plan.json", &plan, inventory, &["--max-fill", "100%"]);
    assert_eq!(code, 0, "the same override accepts it: {stderr}");
}

#[test]
fn explain_answers_for_every_server_and_sampled_accounts() {
    for inventory in examples() {
        let plan = plan_json(&inventory, &[]);
        // Every server of the inventory, in its order.
        let text = std::fs::read_to_string(root().join(&inventory)).expect("read");
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
        let servers: Vec<String> = yaml["servers"]
            .as_sequence()
            .expect("servers")
            .iter()
            .filter_map(|s| s["name"].as_str().map(str::to_string))
            .collect();
        // Accounts: the first and last of each move step kind, and every
        // account of the first switch step with an unusual character.
        let mut accounts: Vec<String> = Vec::new();
        for wave in plan["waves"].as_array().expect("waves") {
            for step in wave["steps"].as_array().expect("steps") {
                if step["kind"] == "move-switch" {
                    let list = step["accounts"].as_array().expect("accounts");
                    for a in [list.first(), list.last()].into_iter().flatten() {
                        let a = a.as_str().expect("account").to_string();
                        if !accounts.contains(&a) && accounts.len() < 6 {
                            accounts.push(a);
                        }
                    }
                    for a in list
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|a| a.contains('\'') || a.contains('+'))
                    {
                        if !accounts.iter().any(|x| x == a) {
                            accounts.push(a.to_string());
                        }
                    }
                }
            }
        }
        let mut transcript = String::new();
        for name in servers.iter().chain(&accounts) {
            let (code, stdout, stderr) = planner(&["explain", &inventory, name, "--now", NOW]);
            assert_eq!(code, 0, "{inventory} {name}: {stderr}");
            assert!(stdout.contains(name.as_str()), "{name}: {stdout}");
            transcript.push_str(&format!("$ planner explain {inventory} {name}\n{stdout}\n"));
        }
        insta::assert_snapshot!(
            format!("explain-{}", inventory.trim_start_matches("examples/")),
            transcript
        );
    }
}

#[test]
fn explain_takes_the_beginning_of_a_server_name_when_only_one_begins_so() {
    let (code, stdout, stderr) =
        planner(&["explain", "examples/enterprise.yaml", "mbx1", "--now", NOW]);
    assert_eq!(code, 0, "{stderr}");
    let (_, full, _) = planner(&[
        "explain",
        "examples/enterprise.yaml",
        "mbx1.corp.example.com",
        "--now",
        NOW,
    ]);
    assert_eq!(stdout, full, "the same answer as for the full name");
    let (code, stdout, stderr) =
        planner(&["explain", "examples/enterprise.yaml", "mbx", "--now", NOW]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("`mbx` begins the names of several servers")
            && stderr.contains("did you mean `mbx1.corp.example.com` or"),
        "{stderr}"
    );
}

#[test]
fn explain_names_the_closest_known_names_for_an_unknown_one() {
    let (code, stdout, stderr) = planner(&[
        "explain",
        "examples/enterprise.yaml",
        "mbx9.corp.example.com",
        "--now",
        NOW,
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("did you mean `mbx1.corp.example.com`"),
        "{stderr}"
    );
}

#[test]
fn verify_holds_the_waves_to_the_schedule() {
    let inventory = "tests/plans/nights.yaml";
    let plan = crate::util::plan_json(inventory, &[]);
    let dir = crate::util::scratch!("schedule");
    let good = dir.write("plan.json", plan.to_string());
    let out = crate::util::planner(["verify"])
        .arg(&good)
        .args(["--inventory", inventory])
        .output();
    assert_eq!(out.code, 0, "{}", out.transcript());
    // An upgrade moved to Saturday 05:00 crosses the end of Friday's night.
    let mut moved = plan.clone();
    moved["waves"][2]["start"] = serde_json::json!("2026-10-24T05:00:00+02:00");
    moved["waves"][2]["end"] = serde_json::json!("2026-10-24T07:35:00+02:00");
    let bad = dir.write("moved.json", moved.to_string());
    let out = crate::util::planner(["verify"])
        .arg(&bad)
        .args(["--inventory", inventory])
        .output();
    assert_eq!(out.code, 1, "{}", out.transcript());
    assert!(
        out.stderr().contains(
            "wave 3: schedule: the wave runs from 2026-10-24T05:00:00+02:00 to 2026-10-24T07:35:00+02:00, not inside one window"
        ),
        "{}",
        out.stderr()
    );
    // Times on a plan whose inventory has no schedule.
    let mut timed = crate::util::plan_json("examples/saas.yaml", &[]);
    timed["waves"][0]["start"] = serde_json::json!("2026-10-24T05:00:00+02:00");
    let bad = dir.write("timed.json", timed.to_string());
    let out = crate::util::planner(["verify"])
        .arg(&bad)
        .args(["--inventory", "examples/saas.yaml"])
        .output();
    assert_eq!(out.code, 1, "{}", out.transcript());
    assert!(
        out.stderr()
            .contains("schedule: the plan gives waves times"),
        "{}",
        out.stderr()
    );
}
