//! The whole load sequence in one function, so that the CLI, the tests, the
//! benchmarks, the fuzz targets and embedders all read an inventory the same
//! way: parse its bytes, resolve each mailbox list's path against the
//! inventory's, fetch each list through the caller, validate.
//!
//! The library still does no I/O: the caller's callback reads the bytes, and
//! paths are joined as text (no file system call, no current directory).

use std::path::Path;

use super::parse::parse;
use super::validate::{Checked, MailboxList};
use crate::diagnostic::Refusal;

/// Parses and validates an inventory, fetching its mailbox lists through
/// `read`.
///
/// `path` names the inventory in diagnostics and is the base of relative
/// mailbox list paths: a list's `path` is joined to the folder of `path`
/// unless it is absolute. `read` gets that resolved path and returns the
/// list's bytes, or why they could not be read (the reason is shown in the
/// diagnostic, such as `No such file or directory`).
///
/// ```
/// let text = br#"
/// format: 1
/// target_version: "10.1.5"
/// policy: { allow_outage: [mailstore] }
/// servers:
///   - { name: mbx1.example.com, roles: [mailstore], version: "9.0.0", capacity: { disk: 1TiB } }
/// mailbox_files:
///   - { path: lists/mbx1.csv, format: csv }
/// "#;
/// let checked = planner_core::load("site/inventory.yaml", text, |path| {
///     assert_eq!(path, "site/lists/mbx1.csv");
///     Ok(b"account,store,size\nalice@example.com,mbx1.example.com,1GiB\n".to_vec())
/// })
/// .expect("valid");
/// assert_eq!(checked.inventory().mailboxes().len(), 1);
/// ```
pub fn load(
    path: &str,
    bytes: &[u8],
    mut read: impl FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Checked, Refusal> {
    let document = parse(path, bytes)?;
    let fetched: Vec<(String, Result<Vec<u8>, String>)> = document
        .mailbox_files()
        .iter()
        .map(|f| {
            let resolved = resolve(path, f.path);
            let content = read(&resolved);
            (resolved, content)
        })
        .collect();
    let lists: Vec<MailboxList<'_>> = fetched
        .iter()
        .map(|(label, content)| MailboxList {
            label: label.clone(),
            content: content.as_deref().map_err(Clone::clone),
        })
        .collect();
    document.validate(&lists)
}

/// A mailbox list's path as the caller should read it: `list` itself when
/// absolute, else `list` in the folder of `inventory`. Pure path arithmetic.
pub fn resolve(inventory: &str, list: &str) -> String {
    let list_path = Path::new(list);
    if list_path.is_absolute() {
        return list.to_string();
    }
    let base = Path::new(inventory).parent().unwrap_or(Path::new(""));
    base.join(list_path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn paths_resolve_against_the_inventory_folder() {
        assert_eq!(resolve("a/b/inv.yaml", "x.csv"), "a/b/x.csv");
        assert_eq!(resolve("inv.yaml", "lists/x.csv"), "lists/x.csv");
        assert_eq!(resolve("a/inv.yaml", "/abs/x.csv"), "/abs/x.csv");
        assert_eq!(resolve("/srv/inv.yaml", "../x.csv"), "/srv/../x.csv");
    }
}
