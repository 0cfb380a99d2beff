//! Checks a parsed inventory and resolves it into the validated model.
//!
//! Structural problems (syntax, unknown or missing keys, wrong types) stop at
//! the first one, as serde reports it; every problem of meaning is collected,
//! located and sorted, so an operator fixes them all in one round. This module
//! holds the entry point, [`Document::validate`], and the context [`Ctx`] every
//! check writes to; each concern of meaning has its own submodule, called in
//! the order [`build`] gives, so the diagnostics come out as they always did.

mod availability;
mod dependencies;
mod duplicates;
mod mailboxes;
mod policy;
mod profile;
mod servers;
mod warnings;

use std::collections::{BTreeMap, BTreeSet};

use super::locate::{Position, locate, parent};
use super::model::Inventory;
use super::raw::{MailboxFileFormat, RawInventory};
use super::version::Version;
use crate::diagnostic::{Diagnostic, Refusal, Severity};

/// An inventory whose text parsed, waiting for its mailbox lists.
#[derive(Debug)]
pub struct Document {
    pub(super) file: String,
    pub(super) text: String,
    pub(super) raw: RawInventory,
}

/// A mailbox list the inventory names, for the caller to fetch.
#[derive(Clone, Copy, Debug)]
pub struct MailboxFile<'a> {
    /// Its position in `mailbox_files`.
    pub index: usize,
    /// The path as written (relative to the inventory file unless absolute).
    pub path: &'a str,
    /// Its format.
    pub format: MailboxFileFormat,
}

/// The content of one mailbox list, as fetched by the caller.
#[derive(Clone, Debug)]
pub struct MailboxList<'a> {
    /// How to name the file in diagnostics.
    pub label: String,
    /// Its bytes, or why it could not be read.
    pub content: Result<&'a [u8], String>,
}

/// A valid inventory with the warnings found while checking it.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The validated inventory.
    pub(crate) inventory: Inventory,
    /// Warnings, sorted.
    pub(crate) warnings: Vec<Diagnostic>,
    /// The inventory's digest, computed once on first use.
    pub(crate) digest: std::sync::OnceLock<String>,
}

impl Checked {
    /// The validated inventory.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The warnings found while checking it, sorted.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The inventory's digest ([`crate::plan::inventory_digest`]), computed
    /// on first use and kept: the engine writes it into every plan, and a
    /// caller with a second core may compute it while the plan is made
    /// (a call made meanwhile waits for it rather than hashing twice).
    pub fn digest(&self) -> &str {
        self.digest
            .get_or_init(|| crate::plan::inventory_digest(&self.inventory))
    }

    /// The same inventory as some steps of a plan left it (`now`, made by
    /// [`Inventory::with_homes`]), keeping this one's warnings and
    /// digest: a resumed plan records the digest of the inventory file,
    /// which did not change.
    pub(crate) fn with_inventory(&self, now: Inventory) -> Checked {
        let digest = std::sync::OnceLock::new();
        let _ = digest.set(self.digest().to_string());
        Checked {
            inventory: now,
            warnings: self.warnings.clone(),
            digest,
        }
    }
}

impl From<Inventory> for Checked {
    /// A validated inventory with no warnings: only validation and the
    /// model's own methods make an [`Inventory`], so it is valid already.
    fn from(inventory: Inventory) -> Checked {
        Checked {
            inventory,
            warnings: Vec::new(),
            digest: std::sync::OnceLock::new(),
        }
    }
}

/// Collects diagnostics with YAML paths until they can be located.
struct Ctx<'a> {
    file: &'a str,
    /// Diagnostics, each with its YAML path and whether to point at the key.
    found: Vec<(Diagnostic, Option<(String, bool)>)>,
}

impl Ctx<'_> {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Error, path.into(), message.into(), false)
    }

    fn key_error(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Error, path.into(), message.into(), true)
    }

    fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Warning, path.into(), message.into(), false)
    }

    fn push(
        &mut self,
        severity: Severity,
        path: String,
        message: String,
        at_key: bool,
    ) -> &mut Diagnostic {
        let mut d = Diagnostic::error(self.file, message).path(path.clone());
        d.severity = severity;
        self.found.push((d, Some((path, at_key))));
        let last = self.found.len() - 1;
        &mut self.found[last].0
    }

    /// A diagnostic already located in another file.
    fn external(&mut self, d: Diagnostic) {
        self.found.push((d, None));
    }

    fn has_errors(&self) -> bool {
        self.found
            .iter()
            .any(|(d, _)| d.severity == Severity::Error)
    }

    /// Locates every YAML path in the inventory text, sorts, and caps.
    fn finish(self, text: &str) -> Vec<Diagnostic> {
        let positions = locate(text, &self.wanted_paths());
        let mut out = Vec::with_capacity(self.found.len());
        for (mut d, where_) in self.found {
            if let Some((path, at_key)) = where_
                && let Some((line, column)) = position_of(&positions, &path, at_key)
            {
                d = d.at(*line, *column);
            }
            out.push(d);
        }
        crate::diagnostic::sort(&mut out);
        cap(self.file, &mut out);
        out
    }

    /// Every path to look up: each diagnostic's own, its key when it points
    /// at one, and all their parents, which stand in for a path the text
    /// does not spell out (a default, or a key left out).
    fn wanted_paths(&self) -> BTreeSet<String> {
        let mut wanted = BTreeSet::new();
        for (_, where_) in &self.found {
            if let Some((path, at_key)) = where_ {
                if *at_key {
                    wanted.insert(format!("{path}@key"));
                }
                let mut p = Some(path.as_str());
                while let Some(q) = p {
                    wanted.insert(q.to_string());
                    p = parent(q);
                }
            }
        }
        wanted
    }
}

/// Where a diagnostic points: its key when asked and found, else the
/// nearest of its path and parents that the text holds.
fn position_of<'p>(
    positions: &'p BTreeMap<String, Position>,
    path: &str,
    at_key: bool,
) -> Option<&'p Position> {
    let mut position = if at_key {
        positions.get(&format!("{path}@key"))
    } else {
        None
    };
    let mut p = Some(path);
    while position.is_none() {
        let Some(q) = p else { break };
        position = positions.get(q);
        p = parent(q);
    }
    position
}

/// Keeps the first 200 sorted diagnostics and says how many more there are,
/// so a badly broken inventory stays readable; the summary is an error when
/// any error is hidden, so the refusal never looks like mere warnings.
fn cap(file: &str, out: &mut Vec<Diagnostic>) {
    const SHOWN: usize = 200;
    if out.len() > SHOWN {
        let hidden = out.len() - SHOWN;
        let errors_hidden = out[SHOWN..]
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        out.truncate(SHOWN);
        let mut d = Diagnostic::error(file, format!("{hidden} more problems are not shown"));
        if errors_hidden == 0 {
            d.severity = Severity::Warning;
        }
        out.push(d);
    }
}

/// Sets a hint when there is one; many checks offer a "did you mean" that
/// may find nothing.
fn set_hint(d: &mut Diagnostic, hint: Option<String>) {
    if let Some(h) = hint {
        d.hint = Some(h);
    }
}

/// Parses a unit value, recording a problem at `path`.
fn parse_unit<T>(
    ctx: &mut Ctx<'_>,
    path: &str,
    text: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Option<T> {
    match parse(text) {
        Ok(v) => Some(v),
        Err(message) => {
            ctx.error(path, message);
            None
        }
    }
}

impl Document {
    /// A document made in code (no text): diagnostics carry paths but no
    /// line and column.
    pub(crate) fn from_raw(file: &str, raw: RawInventory) -> Document {
        Document {
            file: file.to_string(),
            text: String::new(),
            raw,
        }
    }

    /// The file name given to [`parse`](super::parse()).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The mailbox lists the inventory names, for the caller to fetch.
    pub fn mailbox_files(&self) -> Vec<MailboxFile<'_>> {
        self.raw
            .mailbox_files
            .iter()
            .enumerate()
            .map(|(index, f)| MailboxFile {
                index,
                path: &f.path,
                format: f.format,
            })
            .collect()
    }

    /// Checks everything and resolves the inventory. `lists` holds the
    /// content of each of [`Document::mailbox_files`], in the same order.
    pub fn validate(&self, lists: &[MailboxList<'_>]) -> Result<Checked, Refusal> {
        let mut ctx = Ctx {
            file: &self.file,
            found: Vec::new(),
        };
        let inventory = build(&self.raw, lists, &mut ctx);
        let failed = ctx.has_errors();
        let diagnostics = ctx.finish(&self.text);
        match inventory {
            Some(inventory) if !failed => Ok(Checked {
                inventory,
                warnings: diagnostics,
                digest: std::sync::OnceLock::new(),
            }),
            _ => Err(Refusal::new(diagnostics)),
        }
    }
}

/// Builds the inventory, recording every problem in `ctx`; `None` when a
/// problem prevents building it at all.
///
/// The order of the checks is the order of the diagnostics before sorting,
/// and sorting is stable, so it is part of the output: keep it.
fn build(raw: &RawInventory, lists: &[MailboxList<'_>], ctx: &mut Ctx<'_>) -> Option<Inventory> {
    if raw.format != 1 {
        ctx.error(
            "format",
            format!("unsupported inventory format {}", raw.format),
        )
        .hint = Some("this planner reads `format: 1`".into());
    }
    let target_version = Version::new(raw.target_version.trim());
    if raw.target_version.trim().is_empty() {
        ctx.error("target_version", "the target version is empty");
    }
    let profile = profile::resolve_profile(raw, ctx);
    let policy = policy::resolve_policy(&raw.policy, &profile, &target_version, ctx);
    let servers = servers::resolve_servers(raw, &profile, &target_version, ctx);
    profile::check_unused_roles(raw, &profile, &servers, ctx);
    availability::check_availability(&profile, &policy, &servers, ctx);
    dependencies::check_cycles(&servers, ctx);
    let (mailboxes, origins) = mailboxes::resolve_mailboxes(raw, &servers, lists, ctx);
    mailboxes::check_total(&mailboxes, &origins, policy.size_overhead, ctx);
    let by_account = duplicates::check_duplicates(raw, lists, &mailboxes, &origins, ctx);
    let inventory = Inventory {
        target_version,
        profile,
        policy,
        servers,
        mailboxes,
        by_account,
    };
    if !ctx.has_errors() {
        dependencies::check_order(&inventory, ctx);
    }
    if !ctx.has_errors() {
        warnings::warn(raw, &inventory, ctx);
    }
    Some(inventory)
}
