//! Reads an inventory and the mailbox lists it names from disk.
//!
//! This is the only place the planner touches the file system for input:
//! mailbox list paths are resolved relative to the inventory file, and the
//! bytes are handed to `planner-core`, which does the rest.

use std::path::{Path, PathBuf};

use planner_core::inventory::{self, Checked, MailboxList};
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
    let document = inventory::parse(&label, &bytes).map_err(LoadError::Refused)?;
    let base = path.parent().unwrap_or(Path::new(""));
    let files: Vec<(String, Result<Vec<u8>, String>)> = document
        .mailbox_files()
        .iter()
        .map(|f| {
            let full: PathBuf = if Path::new(f.path).is_absolute() {
                PathBuf::from(f.path)
            } else {
                base.join(f.path)
            };
            let content = std::fs::read(&full).map_err(|e| describe(&e));
            (full.display().to_string(), content)
        })
        .collect();
    let lists: Vec<MailboxList<'_>> = files
        .iter()
        .map(|(label, content)| MailboxList {
            label: label.clone(),
            content: content.as_ref().map(Vec::as_slice).map_err(Clone::clone),
        })
        .collect();
    document.validate(&lists).map_err(LoadError::Refused)
}

/// An I/O error in words, without Rust's `(os error 2)` suffix.
pub fn describe(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Prints diagnostics to stderr, errors and warnings alike, in order.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}
