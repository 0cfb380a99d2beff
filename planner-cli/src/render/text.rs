//! `--format text` (the default): the summary first, then one line per step.

use std::fmt::Write as _;

use planner_core::inventory::Bytes;
use planner_core::plan::{Plan, Step, StepKind};

/// Names shown per move line before the rest are counted.
const NAMES_SHOWN: usize = 3;

/// The plan for a person at a terminal.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let s = &plan.summary;
    let _ = writeln!(
        out,
        "Upgrade {} server{} to {} ({} profile) in {} wave{}",
        s.servers_to_upgrade,
        plural(u64::from(s.servers_to_upgrade)),
        plan.target_version,
        plan.profile,
        s.waves,
        plural(u64::from(s.waves))
    );
    let _ = writeln!(
        out,
        "Strategy: {} (requested {}): {}",
        plan.strategy.chosen.as_str(),
        strategy_name(plan),
        plan.strategy.why
    );
    let _ = writeln!(
        out,
        "Moves: {} mailbox move{}, {}{}",
        s.mailboxes_moved,
        plural(s.mailboxes_moved),
        Bytes(s.bytes_moved),
        if s.mailboxes_moved_twice > 0 {
            format!(
                "; {} mailbox{} move more than once ({} moved again)",
                s.mailboxes_moved_twice,
                if s.mailboxes_moved_twice == 1 {
                    ""
                } else {
                    "es"
                },
                Bytes(s.bytes_moved_again)
            )
        } else {
            String::new()
        }
    );
    match s.estimated_duration_s {
        Some(d) => {
            let _ = writeln!(out, "Estimated duration: {}", duration(d));
        }
        None => {
            let _ = writeln!(out, "Estimated duration: none (no rates in the policy)");
        }
    }
    if s.outages.is_empty() {
        let _ = writeln!(out, "Outages: none");
    } else {
        let _ = writeln!(out, "Outages:");
        for o in &s.outages {
            let _ = writeln!(
                out,
                "  - wave {}: {} ({}): {}",
                o.wave, o.server, o.unit, o.message
            );
        }
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out, "Warnings:");
        for w in &s.warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
    for wave in &plan.waves {
        out.push('\n');
        let estimate = wave
            .estimated_duration_s
            .filter(|d| *d > 0)
            .map_or(String::new(), |d| format!(" (~{})", duration(d)));
        let _ = writeln!(out, "Wave {}{estimate}", wave.index);
        for step in &wave.steps {
            let _ = writeln!(out, "  {:<12} {}", step.kind.as_str(), describe(step));
        }
    }
    out
}

fn strategy_name(plan: &Plan) -> String {
    format!("{:?}", plan.strategy.requested).to_lowercase()
}

fn describe(step: &Step) -> String {
    let server = step.server.as_deref().unwrap_or("");
    match step.kind {
        StepKind::Upgrade => format!(
            "{server}  {} -> {}{}",
            step.from_version.as_deref().unwrap_or("?"),
            step.to_version.as_deref().unwrap_or("?"),
            if step.outage == Some(true) {
                "  OUTAGE"
            } else {
                ""
            }
        ),
        StepKind::Backup => format!(
            "{server}  {}",
            step.mode.map_or("", |m| match m {
                planner_core::plan::BackupMode::Full => "full",
                planner_core::plan::BackupMode::Incremental => "incremental",
            })
        ),
        StepKind::MoveData | StepKind::MoveSwitch => {
            let accounts = step.accounts.as_deref().unwrap_or(&[]);
            let mut names: Vec<&str> = accounts
                .iter()
                .take(NAMES_SHOWN)
                .map(String::as_str)
                .collect();
            let more = accounts.len().saturating_sub(NAMES_SHOWN);
            let domains = step.domains.as_deref().unwrap_or(&[]);
            let what = if domains.is_empty() {
                format!(
                    "{} mailbox{}",
                    accounts.len(),
                    if accounts.len() == 1 { "" } else { "es" }
                )
            } else {
                names = domains
                    .iter()
                    .take(NAMES_SHOWN)
                    .map(String::as_str)
                    .collect();
                format!(
                    "{} domain{} ({} mailboxes)",
                    domains.len(),
                    plural(domains.len() as u64),
                    accounts.len()
                )
            };
            let hidden = if domains.is_empty() {
                more
            } else {
                domains.len().saturating_sub(NAMES_SHOWN)
            };
            format!(
                "{} -> {}  {what}, {}: {}{}",
                step.source.as_deref().unwrap_or("?"),
                step.target.as_deref().unwrap_or("?"),
                Bytes(step.bytes.unwrap_or(0)),
                names.join(", "),
                if hidden > 0 {
                    format!(" and {hidden} more")
                } else {
                    String::new()
                }
            )
        }
        _ => server.to_string(),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `2h05m`, `40m`, `12s`.
fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m"),
    }
}
