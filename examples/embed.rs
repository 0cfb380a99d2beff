//! Embedding `planner-core` in another tool: build an inventory in code, plan
//! it, have the independent checker judge the plan, print one line per wave,
//! then ask the plan where an account ends up and what each store receives.
//!
//! Run it with `cargo run -p planner-core --example embed`.

use planner_core::engine;
use planner_core::inventory::{Bytes, InventoryBuilder, ServerSpec};
use planner_core::plan::{Plan, PlanOptions, StepKind};
use planner_core::verify;

const GIB: u64 = 1 << 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Validate: the same checks as a file; a refusal lists every problem.
    let checked = inventory().build()?;

    // Plan, with the reference time passed in: the library reads no clock.
    let options = PlanOptions::at("2026-11-29T00:00:00Z".parse()?);
    let plan = engine::plan(&checked, &options)?;

    // Check it independently before acting on it.
    let violations = verify::verify(&plan, checked.inventory(), &options);
    if !violations.is_empty() {
        for v in &violations {
            eprintln!("{v}");
        }
        return Err("the plan fails its safety check".into());
    }
    print_waves(&plan);

    // Questions another tool asks of the plan, answered from its steps.
    if let Some(store) = plan.destination("o'hara@example.com") {
        println!("o'hara@example.com ends on {store}");
    }
    for (store, received) in plan.receipts() {
        println!(
            "{store} receives {} mailbox(es), {}",
            received.switches,
            Bytes(received.bytes)
        );
    }
    Ok(())
}

/// An inventory as another tool would produce it, from its own data: no YAML
/// text, so no quoting to get wrong.
fn inventory() -> InventoryBuilder {
    let mut builder = InventoryBuilder::new("10.1.5")
        .server(ServerSpec::new(
            "ldap1.example.com",
            ["ldap-master"],
            "9.0.0_P40",
        ))
        .server(ServerSpec::new(
            "ldap2.example.com",
            ["ldap-replica"],
            "9.0.0_P40",
        ))
        .server(ServerSpec::new(
            "mx1.example.com",
            ["mta", "proxy"],
            "9.0.0_P40",
        ))
        .server(ServerSpec::new(
            "mx2.example.com",
            ["mta", "proxy"],
            "9.0.0_P40",
        ));
    for store in 1..=3 {
        builder = builder.server(
            ServerSpec::new(
                &format!("mbx{store}.example.com"),
                ["mailstore"],
                "9.0.0_P40",
            )
            .capacity(Bytes(500 * GIB), None),
        );
    }
    for user in 0..30 {
        let store = user % 3 + 1;
        // An apostrophe is an ordinary character of an address.
        let account = if user == 0 {
            "o'hara@example.com".to_string()
        } else {
            format!("user{user}@example.com")
        };
        builder = builder.mailbox(
            &account,
            &format!("mbx{store}.example.com"),
            Bytes((1 + user % 7) * GIB),
        );
    }

    builder
}

/// One line per wave: its upgrades and how many steps of each kind it runs.
fn print_waves(plan: &Plan) {
    println!(
        "{} waves, strategy {}, {} mailbox moves",
        plan.waves.len(),
        plan.strategy.chosen.as_str(),
        plan.summary.mailboxes_moved
    );
    for wave in &plan.waves {
        let count = |kind: StepKind| wave.steps.iter().filter(|s| s.kind == kind).count();
        let upgrades: Vec<&str> = wave
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Upgrade)
            .filter_map(|s| s.server.as_deref())
            .collect();
        println!(
            "wave {:>2}: {} step(s); upgrade [{}]; {} copy, {} switch, {} backup",
            wave.index,
            wave.steps.len(),
            upgrades.join(", "),
            count(StepKind::MoveData),
            count(StepKind::MoveSwitch),
            count(StepKind::Backup)
        );
    }
}
