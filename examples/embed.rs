//! Embedding `planner-core` in another tool: build an inventory in code, plan
//! it, have the independent checker judge the plan, and print one line per
//! wave.
//!
//! Run it with `cargo run -p planner-core --example embed`.

use std::fmt::Write as _;

use planner_core::engine;
use planner_core::inventory;
use planner_core::plan::{PlanOptions, StepKind};
use planner_core::verify;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // An inventory as another tool would produce it, from its own data.
    let mut text = String::from(
        "format: 1\ntarget_version: \"10.1.5\"\nservers:\n\
         \x20 - { name: ldap1.example.com, roles: [ldap-master], version: \"9.0.0_P40\" }\n\
         \x20 - { name: ldap2.example.com, roles: [ldap-replica], version: \"9.0.0_P40\" }\n\
         \x20 - { name: mx1.example.com, roles: [mta, proxy], version: \"9.0.0_P40\" }\n\
         \x20 - { name: mx2.example.com, roles: [mta, proxy], version: \"9.0.0_P40\" }\n",
    );
    for store in 1..=3 {
        writeln!(
            text,
            "  - {{ name: mbx{store}.example.com, roles: [mailstore], version: \"9.0.0_P40\", capacity: {{ disk: 500GiB }} }}"
        )?;
    }
    text.push_str("mailboxes:\n");
    for user in 0..30 {
        let store = user % 3 + 1;
        writeln!(
            text,
            "  - {{ account: user{user}@example.com, store: mbx{store}.example.com, size: {}GiB }}",
            1 + user % 7
        )?;
    }

    // Parse and validate: the library takes text and never opens a file.
    let document = inventory::parse("generated.yaml", text.as_bytes())
        .map_err(|r| format!("{r}: {:?}", r.diagnostics))?;
    let checked = document
        .validate(&[])
        .map_err(|r| format!("{r}: {:?}", r.diagnostics))?;

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
    Ok(())
}
