//! `--format text` (the default): the summary first, then one line per step,
//! the wave number in the first column, so a small installation's plan fits
//! on one screen. Colour only when the caller asks for it (a terminal, and no
//! `NO_COLOR`).

use std::io::{self, Write};

use crate::units::{duration, plural, plural_es};
use planner_core::inventory::Bytes;
use planner_core::plan::{Action, BackupMode, BackupWhen, Plan, Step, StepKind};

/// Names shown per move line before the rest are counted.
const NAMES_SHOWN: usize = 2;

/// ANSI styles, or nothing.
struct Style {
    bold: &'static str,
    red: &'static str,
    yellow: &'static str,
    dim: &'static str,
    reset: &'static str,
}

const PLAIN: Style = Style {
    bold: "",
    red: "",
    yellow: "",
    dim: "",
    reset: "",
};

const ANSI: Style = Style {
    bold: "\x1b[1m",
    red: "\x1b[31m",
    yellow: "\x1b[33m",
    dim: "\x1b[2m",
    reset: "\x1b[0m",
};

/// Writes the plan for a person; `colour` adds ANSI colours.
pub fn render<W: io::Write>(plan: &Plan, colour: bool, out: &mut W) -> io::Result<()> {
    let st = if colour { &ANSI } else { &PLAIN };
    summary(plan, st, out)?;
    writeln!(out)?;
    steps(plan, st, out)
}

/// The plan for a person as a `String`; `colour` adds ANSI colours.
pub fn to_string(plan: &Plan, colour: bool) -> String {
    crate::to_string(plan, |plan, out| render(plan, colour, out))
}

/// The summary: size, strategy, moves, duration, outages and warnings.
fn summary(plan: &Plan, st: &Style, out: &mut dyn Write) -> io::Result<()> {
    let s = &plan.summary;
    writeln!(
        out,
        "{}Upgrade {} server{} to {} ({} profile, {} tools) in {} wave{}{}",
        st.bold,
        s.servers_to_upgrade,
        plural(u64::from(s.servers_to_upgrade)),
        plan.target_version,
        plan.profile,
        plan.tools,
        s.waves,
        plural(u64::from(s.waves)),
        st.reset
    )?;
    if let Some(from) = &plan.resumed_from {
        writeln!(
            out,
            "Resumes the plan {} after the {} step{} its journal records as done",
            from.plan_digest,
            from.done.len(),
            plural(from.done.len() as u64)
        )?;
    }
    writeln!(
        out,
        "Strategy: {} (requested {})",
        plan.strategy.chosen.as_str(),
        format!("{:?}", plan.strategy.requested).to_lowercase(),
    )?;
    for line in wrap(&plan.strategy.why, 96) {
        writeln!(out, "  {line}")?;
    }
    writeln!(
        out,
        "Moves: {} mailbox move{}, {}{}",
        s.mailboxes_moved,
        plural(s.mailboxes_moved),
        Bytes(s.bytes_moved),
        if s.mailboxes_moved_twice > 0 {
            format!(
                "; {} mailbox{} move more than once ({} moved again)",
                s.mailboxes_moved_twice,
                plural_es(s.mailboxes_moved_twice),
                Bytes(s.bytes_moved_again)
            )
        } else {
            String::new()
        }
    )?;
    match s.estimated_duration_s {
        Some(d) => writeln!(out, "Estimated duration: {}", duration(d))?,
        None => writeln!(out, "Estimated duration: none (no rates in the policy)")?,
    }
    for line in crate::calendar::nights(plan) {
        writeln!(out, "{line}")?;
    }
    if s.outages.is_empty() {
        writeln!(out, "Outages: none")?;
    } else {
        writeln!(out, "{}Outages:{}", st.red, st.reset)?;
        for o in &s.outages {
            writeln!(
                out,
                "  - wave {}: {} ({}): {}",
                o.wave, o.server, o.unit, o.message
            )?;
        }
    }
    if !s.warnings.is_empty() {
        writeln!(out, "{}Warnings:{}", st.yellow, st.reset)?;
        for w in &s.warnings {
            writeln!(out, "  - {w}")?;
        }
    }
    Ok(())
}

/// One line per step, the wave and its estimate on the wave's first line.
fn steps(plan: &Plan, st: &Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}Wave    ~  Step          What{}", st.bold, st.reset)?;
    for wave in &plan.waves {
        for (k, step) in wave.steps.iter().enumerate() {
            let (number, estimate) = if k == 0 {
                let estimate = wave
                    .estimated_duration_s
                    .filter(|d| *d > 0)
                    .map_or(String::new(), compact);
                (wave.index.to_string(), estimate)
            } else {
                (String::new(), String::new())
            };
            let what = describe(step, st);
            writeln!(
                out,
                "{number:>4} {}{estimate:>5}{}  {:<12}  {what}",
                st.dim,
                st.reset,
                step.kind.as_str()
            )?;
        }
    }
    Ok(())
}

/// A wave's estimate in at most five characters: `12s`, `40m`, `2h05`.
fn compact(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds.div_ceil(60)),
        _ => {
            let minutes = seconds.div_ceil(60);
            format!("{}h{:02}", minutes / 60, minutes % 60)
        }
    }
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// An upgrade's actions when it does more than install and check:
/// `  (drain, install, health-check, undrain)`.
fn extra_actions(step: &Step) -> String {
    let Some(actions) = step.actions.as_deref() else {
        return String::new();
    };
    if actions
        .iter()
        .all(|a| matches!(a, Action::Install | Action::HealthCheck))
    {
        return String::new();
    }
    let names: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
    format!("  ({})", names.join(", "))
}

fn describe(step: &Step, st: &Style) -> String {
    let server = step.server.as_deref().unwrap_or("");
    match step.kind {
        StepKind::Upgrade => format!(
            "{server}  {} -> {}{}{}",
            step.from_version.as_deref().unwrap_or("?"),
            step.to_version.as_deref().unwrap_or("?"),
            extra_actions(step),
            if step.outage == Some(true) {
                format!("  {}OUTAGE{}", st.red, st.reset)
            } else {
                String::new()
            }
        ),
        StepKind::Backup => format!(
            "{server}  {}{}",
            match step.mode {
                Some(BackupMode::Full) => "full",
                Some(BackupMode::Incremental) => "incremental",
                None => "",
            },
            if step.when == Some(BackupWhen::AfterUpgrade) {
                ", after its upgrade"
            } else {
                ""
            }
        ),
        StepKind::Purge => {
            let n = step.accounts.as_ref().map_or(0, Vec::len) as u64;
            format!(
                "{server}  old copies of {n} moved mailbox{}, {}",
                if n == 1 { "" } else { "es" },
                Bytes(step.bytes.unwrap_or(0))
            )
        }
        StepKind::MoveData | StepKind::MoveSwitch => {
            let accounts = step.accounts.as_deref().unwrap_or(&[]);
            let domains = step.domains.as_deref().unwrap_or(&[]);
            let (what, names, hidden) = if domains.is_empty() {
                (
                    format!(
                        "{} mailbox{}",
                        accounts.len(),
                        plural_es(accounts.len() as u64)
                    ),
                    accounts
                        .iter()
                        .take(NAMES_SHOWN)
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                    accounts.len().saturating_sub(NAMES_SHOWN),
                )
            } else {
                (
                    format!(
                        "{} domain{} ({} mailboxes)",
                        domains.len(),
                        plural(domains.len() as u64),
                        accounts.len()
                    ),
                    domains
                        .iter()
                        .take(NAMES_SHOWN)
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                    domains.len().saturating_sub(NAMES_SHOWN),
                )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_estimates() {
        assert_eq!(compact(12), "12s");
        assert_eq!(compact(2400), "40m");
        assert_eq!(compact(7500), "2h05");
        assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
    }

    #[test]
    fn the_small_plan_fits_on_a_screen() {
        let text = to_string(&crate::testing::plan(), false);
        assert_eq!(
            text.lines().skip(7).collect::<Vec<_>>(),
            [
                "Wave    ~  Step          What",
                "   1        upgrade       ldap2.example.com  9.0.0_P40 -> 10.1.5  (directory-dump, install, health-check)",
                "   2        backup        mbx1.example.com  full",
                "            move-switch   mbx1.example.com -> mbx2.example.com  1 mailbox, 1 GiB: alice@example.com",
                "   3        upgrade       mbx1.example.com  9.0.0_P40 -> 10.1.5",
            ]
        );
        assert!(to_string(&crate::testing::plan(), true).starts_with("\x1b[1mUpgrade 2 servers"));
    }
}
