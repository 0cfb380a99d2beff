//! Explanations: why a server is in its wave, and where a mailbox goes and why.
//!
//! Answers are read from the plan's own records (each step's `why`, the
//! upgrade's `waits_for` edges, each move's candidate verdicts) and from the
//! inventory; nothing is decided again here, so an explanation can never
//! disagree with the plan it explains.

use std::fmt;

use crate::diagnostic::closest;
use crate::inventory::{Account, AgainstTarget, Bytes, Inventory, ServerId};
use crate::plan::{Plan, Step, StepKind};

/// An answer: a subject and the lines that explain it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// What is explained, in one line.
    pub subject: String,
    /// The explanation, line by line (indented lines belong to the one above).
    pub lines: Vec<String>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.subject)?;
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// A name that is neither a server nor an account of the inventory, nor
/// the beginning of exactly one server's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// The name asked for.
    pub name: String,
    /// The closest known names, best first; when `ambiguous`, the server
    /// names it begins (the first few).
    pub closest: Vec<String>,
    /// Whether the name begins several servers' names.
    pub ambiguous: bool,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ambiguous {
            write!(
                f,
                "`{}` begins the names of several servers: give more of the name",
                self.name
            )
        } else {
            write!(
                f,
                "`{}` is neither a server nor an account of the inventory",
                self.name
            )
        }
    }
}

impl std::error::Error for UnknownName {}

/// Explains a server or an account of `inventory` in `plan`. A server may
/// be named by the beginning of its name when no other server's name begins
/// the same way (`mbx1` for `mbx1.example.com`).
pub fn explain(inventory: &Inventory, plan: &Plan, name: &str) -> Result<Explanation, UnknownName> {
    if let Some(id) = inventory.server_id(name) {
        return Ok(server(inventory, plan, id));
    }
    let lower = name.trim().to_ascii_lowercase();
    if let Some(index) = inventory
        .mailboxes
        .iter()
        .position(|m| m.account.as_str() == lower)
    {
        return Ok(account(inventory, plan, index));
    }
    let begun: Vec<ServerId> = inventory
        .server_ids()
        .filter(|(_, s)| !lower.is_empty() && s.name.as_str().starts_with(&lower))
        .map(|(id, _)| id)
        .collect();
    match begun.as_slice() {
        [one] => return Ok(server(inventory, plan, *one)),
        [] => {}
        many => {
            return Err(UnknownName {
                name: name.to_string(),
                closest: many
                    .iter()
                    .take(3)
                    .map(|id| inventory.server(*id).name.to_string())
                    .collect(),
                ambiguous: true,
            });
        }
    }
    // Close names: servers, and accounts of about the same length.
    let mut known: Vec<&str> = inventory.servers.iter().map(|s| s.name.as_str()).collect();
    known.extend(
        inventory
            .mailboxes
            .iter()
            .map(|m| m.account.as_str())
            .filter(|a| a.len().abs_diff(lower.len()) <= 3),
    );
    Err(UnknownName {
        name: name.to_string(),
        closest: closest(&lower, known)
            .into_iter()
            .map(str::to_string)
            .collect(),
        ambiguous: false,
    })
}

/// Every step of the plan with its wave.
fn steps(plan: &Plan) -> impl Iterator<Item = (u32, &Step)> {
    plan.waves
        .iter()
        .flat_map(|w| w.steps.iter().map(move |s| (w.index, s)))
}

fn server(inv: &Inventory, plan: &Plan, id: ServerId) -> Explanation {
    let s = inv.server(id);
    let name = s.name.as_str();
    let mut lines = Vec::new();
    let site = s
        .site
        .as_deref()
        .map_or(String::new(), |x| format!(", site {x}"));
    let subject = format!("{name} ({}{site}): {}", s.roles.join(", "), s.version);
    let upgrade = steps(plan)
        .find(|(_, st)| st.kind == StepKind::Upgrade && st.server.as_deref() == Some(name));
    match (&upgrade, s.status) {
        (Some((wave, step)), _) => {
            lines.push(format!(
                "upgraded in wave {wave} of {}, {} -> {}{}",
                plan.waves.len(),
                step.from_version.as_deref().unwrap_or("?"),
                step.to_version.as_deref().unwrap_or("?"),
                if step.outage == Some(true) {
                    " (an accepted outage)"
                } else {
                    ""
                }
            ));
            lines.push(format!("why: {}", step.why));
            if let Some(actions) = step.actions.as_deref().filter(|a| !a.is_empty()) {
                let names: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
                let checks = step.checks.as_deref().unwrap_or(&[]).join(", ");
                let next = if (*wave as usize) < plan.waves.len() {
                    format!("wave {} starts", wave + 1)
                } else {
                    "the plan ends".to_string()
                };
                lines.push(format!(
                    "actions, in order: {}{}; {next} only when its checks have passed",
                    names.join(", "),
                    if checks.is_empty() {
                        String::new()
                    } else {
                        format!(" (checks: {checks})")
                    },
                ));
            }
            let waits = step.waits_for.as_deref().unwrap_or(&[]);
            if waits.is_empty() {
                lines.push(
                    "waits for: nothing; it is free to go as soon as a wave has room".to_string(),
                );
            } else {
                lines.push("waits for:".to_string());
                for w in waits {
                    let when = upgrade_wave(plan, &w.server)
                        .map_or(String::new(), |u| format!(", upgraded in wave {u}"));
                    lines.push(format!("  - {}{when} ({})", w.server, w.rule));
                }
            }
        }
        (None, AgainstTarget::At) => {
            lines.push(format!(
                "already at the target version {}: it is not upgraded",
                plan.target_version
            ));
        }
        (None, _) => lines.push("not upgraded by this plan".to_string()),
    }
    let waited_by: Vec<String> = steps(plan)
        .filter(|(_, st)| st.kind == StepKind::Upgrade)
        .filter_map(|(wave, st)| {
            let w = st.waits_for.as_deref()?.iter().find(|w| w.server == name)?;
            Some(format!(
                "  - {} (wave {wave}, {})",
                st.server.as_deref().unwrap_or("?"),
                w.rule
            ))
        })
        .collect();
    if !waited_by.is_empty() {
        lines.push("waited for by:".to_string());
        lines.extend(waited_by);
    }
    lines.extend(move_lines(plan, name));
    let others: Vec<String> = steps(plan)
        .filter(|(_, st)| {
            !st.kind.is_move() && st.kind != StepKind::Upgrade && st.server.as_deref() == Some(name)
        })
        .map(|(wave, st)| format!("  - wave {wave}: {}: {}", st.kind.as_str(), st.why))
        .collect();
    if !others.is_empty() {
        lines.push("its other steps:".to_string());
        lines.extend(others);
    }
    Explanation { subject, lines }
}

/// A store's moves: emptied first, and any mailboxes it receives.
fn move_lines(plan: &Plan, name: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let out: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, st)| st.kind == StepKind::MoveSwitch && st.source.as_deref() == Some(name))
        .collect();
    if !out.is_empty() {
        let count: usize = out
            .iter()
            .map(|(_, st)| st.accounts.as_ref().map_or(0, Vec::len))
            .sum();
        let bytes: u64 = out
            .iter()
            .filter_map(|(_, st)| st.bytes)
            .fold(0, u64::saturating_add);
        let waves = dedup(out.iter().map(|(w, _)| w.to_string()).collect());
        lines.push(format!(
            "emptied first: {count} mailboxes ({}) switched away in wave{} {}",
            Bytes(bytes),
            if waves.len() == 1 { "" } else { "s" },
            waves.join(", ")
        ));
    }
    let incoming: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, st)| st.kind == StepKind::MoveSwitch && st.target.as_deref() == Some(name))
        .collect();
    if !incoming.is_empty() {
        let count: usize = incoming
            .iter()
            .map(|(_, st)| st.accounts.as_ref().map_or(0, Vec::len))
            .sum();
        let waves = dedup(incoming.iter().map(|(w, _)| w.to_string()).collect());
        lines.push(format!(
            "receives {count} mailboxes, switched in wave{} {}",
            if waves.len() == 1 { "" } else { "s" },
            waves.join(", ")
        ));
    }
    lines
}

fn account(inv: &Inventory, plan: &Plan, index: usize) -> Explanation {
    let m = &inv.mailboxes[index];
    let account: &Account = &m.account;
    let home = inv.server(m.store);
    let site = home
        .site
        .as_deref()
        .map_or(String::new(), |x| format!(" (site {x})"));
    let subject = format!(
        "{account}: {}{} on {}{site}",
        m.size,
        if m.assumed { " (assumed)" } else { "" },
        home.name
    );
    let mut lines = Vec::new();
    let moves: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, st)| {
            st.kind.is_move()
                && st
                    .accounts
                    .as_ref()
                    .is_some_and(|a| a.iter().any(|x| x == account.as_str()))
        })
        .collect();
    if moves.iter().all(|(_, st)| st.kind != StepKind::MoveSwitch) {
        let reason = if !home.needs_upgrade() {
            "its store is already at the target version"
        } else if plan.waves.iter().flat_map(|w| &w.steps).any(|st| {
            st.kind == StepKind::Upgrade
                && st.server.as_deref() == Some(home.name.as_str())
                && st.outage == Some(true)
        }) {
            "its store is upgraded in place, with the mailbox on it (an outage for its user)"
        } else {
            "its store is not emptied"
        };
        lines.push(format!("it does not move: {reason}"));
        return Explanation { subject, lines };
    }
    let mut n = 0;
    for (wave, step) in &moves {
        if step.kind == StepKind::MoveData {
            lines.push(format!(
                "wave {wave}: copy from {} to {} (stage 1; the mailbox stays available)",
                step.source.as_deref().unwrap_or("?"),
                step.target.as_deref().unwrap_or("?")
            ));
            continue;
        }
        n += 1;
        lines.push(format!(
            "move {n}, wave {wave}: switch from {} to {}{}",
            step.source.as_deref().unwrap_or("?"),
            step.target.as_deref().unwrap_or("?"),
            step.unavailable_per_account_s
                .map_or(String::new(), |s| format!(" (about {s}s unavailable)"))
        ));
        lines.push(format!("  why: {}", step.why));
        let domains = step.domains.as_deref().unwrap_or(&[]);
        if domains.iter().any(|d| d == account.domain()) {
            lines.push(format!(
                "  it moves with its whole domain {}",
                account.domain()
            ));
        }
        considered(inv, plan, step, &mut lines);
    }
    if let Some((_, last)) = moves
        .iter()
        .rev()
        .find(|(_, st)| st.kind == StepKind::MoveSwitch)
    {
        lines.push(format!(
            "it ends on {}",
            last.target.as_deref().unwrap_or("?")
        ));
    }
    Explanation { subject, lines }
}

/// The stores a move considered: those it lists with their verdicts, a count
/// of those it leaves out, and the stores of other sites when cross-site
/// moves are off.
fn considered(inv: &Inventory, plan: &Plan, step: &Step, lines: &mut Vec<String>) {
    lines.push("  stores considered:".to_string());
    for c in step.candidates.as_deref().unwrap_or(&[]) {
        lines.push(format!("    - {}: {}", c.store, c.verdict));
    }
    let not_listed = step.candidates_not_listed.as_deref().unwrap_or(&[]);
    let more = not_listed
        .iter()
        .fold(0u64, |n, c| n.saturating_add(c.stores));
    if more > 0 {
        let counts: Vec<String> = not_listed
            .iter()
            .map(|c| format!("{} {}", c.stores, c.verdict))
            .collect();
        lines.push(format!(
            "    - {} not listed: {}",
            crate::words::count(more, "other store", "other stores"),
            counts.join("; ")
        ));
    }
    let source_site = step
        .source
        .as_deref()
        .and_then(|s| inv.server_id(s))
        .map(|s| &inv.server(s).site);
    let other_sites = inv
        .servers
        .iter()
        .filter(|s| s.is_mailstore() && Some(&s.site) != source_site)
        .count();
    if other_sites > 0 && !plan.policy.cross_site_moves {
        lines.push(format!(
            "    - {other_sites} store{} of other sites: other site (cross_site_moves is off)",
            if other_sites == 1 { "" } else { "s" }
        ));
    }
}

fn upgrade_wave(plan: &Plan, server: &str) -> Option<u32> {
    steps(plan)
        .find(|(_, st)| st.kind == StepKind::Upgrade && st.server.as_deref() == Some(server))
        .map(|(w, _)| w)
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.dedup();
    v
}
