//! Any bytes as an inventory: parsing and validation must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planner_core::inventory;

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = inventory::parse("fuzz.yaml", data) {
        let _ = document.validate(&[]);
    }
});
