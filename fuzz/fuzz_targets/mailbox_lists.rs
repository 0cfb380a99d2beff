//! Any bytes as each kind of mailbox list: reading must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planner_core::inventory::{self, MailboxList};

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
    let Ok(document) = inventory::parse("fuzz.yaml", INVENTORY.as_bytes()) else {
        return;
    };
    let lists: Vec<MailboxList<'_>> = ["a.gqu", "b.csv", "c.txt"]
        .iter()
        .map(|label| MailboxList {
            label: (*label).to_string(),
            content: Ok(data),
        })
        .collect();
    let _ = document.validate(&lists);
});
