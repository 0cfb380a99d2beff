//! Any bytes as a JSON plan: reading and verifying must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planner_core::plan::{Plan, PlanOptions};

const INVENTORY: &str = r#"
format: 1
target_version: "10.1.5"
servers:
  - { name: ldap1.example.com, roles: [ldap-master], version: "9.0.0_P40" }
  - { name: ldap2.example.com, roles: [ldap-replica], version: "9.0.0_P40" }
  - { name: mx1.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
  - { name: mx2.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
  - { name: mbx1.example.com, roles: [mailstore], version: "9.0.0_P40", capacity: { disk: 100GiB } }
  - { name: new.example.com, roles: [mailstore], version: "10.1.5", capacity: { disk: 100GiB } }
mailboxes:
  - { account: alice@example.com, store: mbx1.example.com, size: 30GiB }
  - { account: bob@example.com, store: mbx1.example.com, size: 20GiB }
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(plan) = serde_json::from_slice::<Plan>(data) else {
        return;
    };
    let Ok(checked) = planner_core::load("fuzz.yaml", INVENTORY.as_bytes(), |_| {
        Err("no mailbox list".to_string())
    }) else {
        return;
    };
    let now = "2026-11-29T00:00:00Z".parse().unwrap_or_default();
    let _ = planner_core::verify::verify(&plan, checked.inventory(), &PlanOptions::at(now));
});
