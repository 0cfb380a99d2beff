//! Reads an inventory and the mailbox lists it names from disk.
//!
//! This is the only place the planner touches the file system for input:
//! it reads the inventory's bytes and hands them to [`planner_core::load`],
//! which resolves each mailbox list's path and asks back for its bytes.

use std::path::Path;

use planner_core::inventory::Checked;
use planner_core::{Diagnostic, Refusal};

/// Why an inventory could not be loaded.
pub enum LoadError {
    /// The inventory file itself cannot be read (exit 2).
    Unreadable(String),
    /// It was read and is refused (exit 1).
    Refused(Refusal),
}

/// Loads and validates the inventory at `path`.
pub fn load(path: &Path) -> Result<Checked, LoadError> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        LoadError::Unreadable(format!("cannot read inventory `{label}`: {}", describe(&e)))
    })?;
    let mut lists = 0usize;
    let checked = planner_core::load(&label, &bytes, |resolved| {
        lists += 1;
        std::fs::read(resolved).map_err(|e| describe(&e))
    })
    .map_err(LoadError::Refused)?;
    if verbose() {
        let inv = checked.inventory();
        eprintln!(
            "read {label}: {} servers, {} mailboxes from {} mailbox list{}",
            inv.servers().len(),
            inv.mailboxes().len(),
            lists,
            if lists == 1 { "" } else { "s" }
        );
    }
    Ok(checked)
}

/// An I/O error in words, without Rust's `(os error 2)` suffix.
pub fn describe(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// How much the command says on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Errors and warnings.
    Normal,
    /// Also what was read and what was planned.
    Verbose,
}

static VERBOSITY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

/// Sets the verbosity for the run (once, at start).
pub fn set_verbosity(v: Verbosity) {
    let level = match v {
        Verbosity::Quiet => 0,
        Verbosity::Normal => 1,
        Verbosity::Verbose => 2,
    };
    VERBOSITY.store(level, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `--verbose` is on.
pub fn verbose() -> bool {
    VERBOSITY.load(std::sync::atomic::Ordering::Relaxed) >= 2
}

/// Prints diagnostics to stderr in order: errors always, warnings unless `--quiet`.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let quiet = VERBOSITY.load(std::sync::atomic::Ordering::Relaxed) == 0;
    for d in diagnostics {
        if quiet && d.severity == planner_core::Severity::Warning {
            continue;
        }
        eprintln!("{d}");
    }
}
