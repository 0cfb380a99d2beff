//! Any bytes as an inventory: parsing and validation must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = planner_core::load("fuzz.yaml", data, |_| Err("not provided".to_string()));
});
