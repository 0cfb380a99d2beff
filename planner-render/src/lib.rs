//! The renderers of the rolling-upgrade planner: one module per output format,
//! each reading only a [`Plan`] and writing to any [`std::io::Write`].
//!
//! They live in a crate of their own, outside the command line, so that a tool
//! that wants the change-approval document, the shell script or the graph of a
//! plan gets them without clap and the rest of the `planner` binary; and so
//! that the formats can never disagree: every one of them is made from the
//! plan alone (`upgrade-plan/v2`), never from the inventory or the engine's
//! state, and the same plan always gives the same bytes.
//!
//! | Module | `--format` | For |
//! | --- | --- | --- |
//! | [`text`] | `text` | the operator at a terminal |
//! | [`json`], [`yaml`] | `json`, `yaml` | tools: the plan contract itself |
//! | [`markdown`] | `markdown` | the change board that approves the upgrade |
//! | [`script`] | `script` | the operator who runs it, wave by wave |
//! | [`dot`], [`mermaid`] | `dot`, `mermaid` | anyone who wants its shape at a glance |
//!
//! One module writes no plan: [`collect`] is the read-only script of
//! `planner collect`, which gathers an installation's facts for `planner
//! import`, reaching the servers as the plan scripts do.
//!
//! Each module has a `render(plan, out)` that streams to the writer and returns
//! its error; the text formats also have a `to_string(plan)` for tests and
//! small tools.
//!
//! ```
//! use planner_core::{engine, inventory};
//! use planner_core::plan::PlanOptions;
//!
//! let text = r#"
//! format: 1
//! target_version: "10.1.5"
//! servers:
//!   - { name: ldap1.example.com, roles: [ldap-master], version: "9.0.0_P40" }
//!   - { name: ldap2.example.com, roles: [ldap-replica], version: "9.0.0_P40" }
//!   - { name: mx1.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
//!   - { name: mx2.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
//!   - { name: mbx1.example.com, roles: [mailstore], version: "9.0.0_P40", capacity: { disk: 2TiB } }
//!   - { name: mbx2.example.com, roles: [mailstore], version: "10.1.5", capacity: { disk: 2TiB } }
//! mailboxes:
//!   - { account: alice@example.com, store: mbx1.example.com, size: 2.5GiB }
//! "#;
//! let document = inventory::parse("inventory.yaml", text.as_bytes()).expect("it parses");
//! let checked = document.validate(&[]).expect("it is valid");
//! let options = PlanOptions::at("2026-11-29T00:00:00Z".parse().expect("a time"));
//! let plan = engine::plan(&checked, &options).expect("a safe plan exists");
//!
//! let mut document = Vec::new();
//! planner_render::markdown::render(&plan, &mut document).expect("written to memory");
//! let document = String::from_utf8(document).expect("Markdown is UTF-8");
//! assert!(document.starts_with("# Change approval: rolling upgrade to 10.1.5"));
//! assert!(document.contains("## 9. Sign-off"));
//!
//! let mut json = Vec::new();
//! planner_render::json::render(&plan, &mut json).expect("serialized");
//! assert!(json.starts_with(b"{\n  \"format\": \"upgrade-plan/v2\""));
//! ```

#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io;

use planner_core::plan::Plan;

pub mod collect;
pub mod dot;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod script;
pub mod text;
pub mod yaml;

mod calendar;
mod flavour;
mod graph;
mod roles;
mod toolset;
mod units;

#[cfg(test)]
mod testing;

/// Why a plan could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The writer refused the output (a closed pipe, a full disk).
    #[error("cannot write the output: {0}")]
    Io(#[from] io::Error),
    /// The plan could not be serialized as JSON.
    #[error("cannot serialize the plan as JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The plan could not be serialized as YAML.
    #[error("cannot serialize the plan as YAML: {0}")]
    Yaml(#[source] serde_yaml::Error),
}

/// The output of a renderer that writes text, as a `String`.
///
/// Writing to memory cannot fail and every renderer writes whole UTF-8
/// strings, so neither is an error here.
fn to_string(plan: &Plan, render: impl FnOnce(&Plan, &mut Vec<u8>) -> io::Result<()>) -> String {
    let mut out = Vec::new();
    // `Vec<u8>`'s `Write` never returns an error.
    render(plan, &mut out).expect("writing to memory cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}
