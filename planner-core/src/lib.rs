//! Plans safe rolling upgrades of multi-server mail installations.
//!
//! `planner-core` is the pure half of the rolling-upgrade planner: it reads an
//! inventory of servers, roles, versions, capacities and mailboxes, checks it,
//! and (in later modules) computes a plan that upgrades every server without
//! losing mail. It does no I/O, reads no clock and never prints: callers pass
//! text in and get values and diagnostics out.
//!
//! ```
//! use planner_core::inventory;
//!
//! let text = r#"
//! format: 1
//! target_version: "10.1.5"
//! policy: { allow_outage: [directory, mta, proxy] }
//! servers:
//!   - { name: ldap1.example.com, roles: [ldap-master], version: "9.0.0_P40" }
//!   - { name: mx1.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
//!   - name: mbx1.example.com
//!     roles: [mailstore]
//!     version: "9.0.0_P40"
//!     capacity: { disk: 2TiB }
//!   - name: mbx2.example.com
//!     roles: [mailstore]
//!     version: "9.0.0_P40"
//!     capacity: { disk: 2TiB }
//! mailboxes:
//!   - { account: alice@example.com, store: mbx1.example.com, size: 2.5GiB }
//! "#;
//! let document = inventory::parse("inventory.yaml", text.as_bytes()).expect("it parses");
//! let checked = document.validate(&[]).expect("it is valid");
//! assert_eq!(checked.inventory.servers.len(), 4);
//! assert_eq!(checked.inventory.mailboxes[0].size.to_string(), "2.5 GiB");
//! ```

#![warn(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod diagnostic;
pub mod inventory;

pub use diagnostic::{Diagnostic, Refusal, Severity};
pub mod engine;
pub mod explain;
pub mod plan;
pub mod verify;
