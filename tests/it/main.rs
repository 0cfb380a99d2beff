//! The workspace's integration tests, as one test binary (`cargo test -p
//! planner-cli --test it`): one module per feature, built and linked once.
//!
//! It belongs to planner-cli because only the tests of the crate that builds
//! the `planner` binary can find it (`CARGO_BIN_EXE_planner`); the library
//! tests (`engine`, `properties`, `generator`) use planner-core directly.

mod cli;
mod collect;
mod diff;
mod docs;
mod engine;
mod generator;
mod graph;
mod import;
mod markdown;
mod properties;
mod resume;
mod script;
mod search;
mod stubs;
mod tidy;
mod trust;
mod util;
