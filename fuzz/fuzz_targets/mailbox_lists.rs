//! Any bytes as each kind of mailbox list: reading must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const INVENTORY: &str = r#"
format: 1
target_version: "10.1.5"
policy: { allow_outage: [directory, mta, proxy] }
servers:
  - { name: ldap1.example.com, roles: [ldap-master], version: "9.0.0_P40" }
  - { name: mx1.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
  - { name: mbx1.example.com, roles: [mailstore], version: "9.0.0_P40", capacity: { disk: 1TiB } }
  - { name: mbx2.example.com, roles: [mailstore], version: "9.0.0_P40", capacity: { disk: 1TiB } }
mailbox_files:
  - { path: a.gqu, format: zmprov-gqu, store: mbx1.example.com }
  - { path: b.csv, format: csv }
  - { path: c.txt, format: accounts, store: mbx2.example.com, assumed_size: 1GiB }
"#;

fuzz_target!(|data: &[u8]| {
    let _ = planner_core::load("fuzz.yaml", INVENTORY.as_bytes(), |_| Ok(data.to_vec()));
});
