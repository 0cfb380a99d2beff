//! Plans safe rolling upgrades of multi-server mail installations.
//!
//! `planner-core` is the pure half of the rolling-upgrade planner: it reads an
//! inventory of servers, roles, versions, capacities and mailboxes, checks it,
//! and computes a plan that upgrades every server without losing mail:
//! redundant roles one node at a time in the profile's order, mailstores only
//! after they are backed up and emptied by capacity-aware, two-stage mailbox
//! moves. It does no I/O, reads no clock and never prints: callers pass text
//! and the reference time in, and get values and diagnostics out.
//!
//! The flow, and the entry points:
//!
//! 1. [`inventory::parse`] reads the inventory's bytes; [`inventory::Document::mailbox_files`]
//!    names the mailbox lists it refers to, which the caller reads;
//! 2. [`inventory::Document::validate`] checks everything and returns a
//!    [`inventory::Checked`] inventory with its warnings, or every problem at once
//!    ([`Refusal`]);
//! 3. [`engine::plan`] computes the [`plan::Plan`] (the versioned `upgrade-plan/v2`
//!    contract, serializable with serde), or says why no safe plan exists
//!    ([`engine::NoSafePlan`], with the capacity that would make one);
//! 4. [`verify::verify`] checks any plan against the safety rules, independently
//!    of the engine;
//! 5. [`explain::explain`] answers why a server is in its wave, or where a
//!    mailbox goes and why.
//!
//! ```
//! use planner_core::{engine, explain, inventory, verify};
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
//!   - { account: bob@example.com, store: mbx1.example.com, size: 1GiB }
//! "#;
//! let document = inventory::parse("inventory.yaml", text.as_bytes()).expect("it parses");
//! let checked = document.validate(&[]).expect("it is valid");
//! assert_eq!(checked.inventory().mailboxes()[0].size().to_string(), "2.5 GiB");
//!
//! let options = PlanOptions::at("2026-11-29T00:00:00Z".parse().expect("a time"));
//! let plan = engine::plan(&checked, &options).expect("a safe plan exists");
//! assert_eq!(plan.summary.servers_to_upgrade, 5);
//! assert_eq!(plan.summary.mailboxes_moved, 2, "both mailboxes move once, to mbx2");
//! assert!(verify::verify(&plan, checked.inventory(), &options).is_empty());
//!
//! let why = explain::explain(checked.inventory(), &plan, "alice@example.com").expect("known");
//! assert!(why.to_string().contains("it ends on mbx2.example.com"));
//! ```

#![warn(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cycles;
pub mod diagnostic;
pub mod inventory;
pub mod words;

pub use diagnostic::{Diagnostic, Refusal, Severity};
pub use inventory::load;
/// The time type of the public API (plan times, backup times, `now`).
pub use jiff::Timestamp;
pub mod engine;
pub mod explain;
pub mod import;
pub mod journal;
pub mod plan;
pub mod resume;
pub mod verify;
