//! Sections 1 and 2: the summary (the strategy and why, the figures and the
//! policy the plan follows) and the risks (outages, warnings, and how long
//! each switched account is unavailable).

use std::io::{self, Write};

use planner_core::inventory::Bytes;
use planner_core::plan::{Plan, StepKind};

use super::figures::{name_of, percent, steps};
use super::prose::{bullet, code, escape, inline, paragraph, sentence};
use super::table::Table;
use crate::units::duration_words as duration;

/// Writes section 1.
pub(super) fn summary(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let s = &plan.summary;
    put!(out, "## 1. Summary\n");
    paragraph(
        out,
        &format!(
            "**Strategy: {}** (requested: {}): {}",
            plan.strategy.chosen.as_str(),
            name_of(&plan.strategy.requested),
            sentence(&inline(&plan.strategy.why, false))
        ),
    )?;
    let mut t = Table::new(&["Figure", "Value"]);
    t.row(vec![
        "Mailbox moves".into(),
        format!(
            "{} ({}); a copy and its switch are one move",
            s.mailboxes_moved,
            Bytes(s.bytes_moved)
        ),
    ]);
    t.row(vec![
        "Mailboxes moved more than once".into(),
        if s.mailboxes_moved_twice == 0 {
            "none".to_string()
        } else {
            format!(
                "{} ({} moved again)",
                s.mailboxes_moved_twice,
                Bytes(s.bytes_moved_again)
            )
        },
    ]);
    t.row(vec!["Waves".into(), s.waves.to_string()]);
    t.row(vec![
        "Estimated duration".into(),
        match s.estimated_duration_s {
            Some(d) => format!(
                "{}: the sum of the wave estimates (each wave lasts as long as its longest \
                 step); {}",
                duration(d),
                if plan
                    .policy
                    .rates
                    .as_ref()
                    .is_some_and(|r| r.backup_bytes_per_s.is_some())
                {
                    "purges are not estimated"
                } else {
                    "backups (no backup rate) and purges are not estimated"
                }
            ),
            None => "no estimate: the policy has no rates".to_string(),
        },
    ]);
    policy_rows(&mut t, plan);
    t.write(out)?;
    Ok(())
}

/// The rows of the summary that say the policy the plan follows.
fn policy_rows(t: &mut Table, plan: &Plan) {
    let p = &plan.policy;
    t.row(vec![
        "Capacity ceiling".into(),
        format!(
            "max\\_fill {} of every store's disk and mailbox count; size overhead {}",
            percent(p.max_fill),
            percent(p.size_overhead)
        ),
    ]);
    let moves = if plan.tools == planner_core::inventory::Tools::None {
        "none: without a move tool (`tools: none`) every mailstore is upgraded in place".to_string()
    } else {
        format!(
            "by {}, {}, at most {} per wave, {}",
            name_of(&p.move_by),
            if p.two_stage_moves {
                "two stages (copy, then copy the changes and switch)"
            } else {
                "one stage (copy and switch at once)"
            },
            p.max_parallel_moves,
            if p.cross_site_moves {
                "across sites allowed"
            } else {
                "within each site"
            }
        )
    };
    t.row(vec!["Moves".into(), moves]);
    t.row(vec![
        "Upgrades".into(),
        format!(
            "at most {} per wave; mailstores {}",
            p.max_parallel_upgrades,
            if name_of(&p.evacuate) == "never" {
                "upgraded in place, with their users on them"
            } else {
                "emptied first"
            }
        ),
    ]);
    t.row(vec![
        "Backups".into(),
        format!(
            "{} before a mailstore is touched; full when the last full backup is older than {}",
            name_of(&p.backup),
            duration(p.full_backup_max_age_s)
        ),
    ]);
    t.row(vec![
        "Accepted outages".into(),
        if p.allow_outage.is_empty() {
            "none".to_string()
        } else {
            p.allow_outage
                .iter()
                .map(|r| escape(r))
                .collect::<Vec<_>>()
                .join(", ")
        },
    ]);
    t.row(vec![
        "Move notifications".into(),
        match &p.notify {
            Some(a) => format!("sent to {}", code(a, true)),
            None => "none".to_string(),
        },
    ]);
}

/// Writes section 2.
pub(super) fn risks(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let s = &plan.summary;
    put!(out, "## 2. Risks and outages\n");
    put!(out, "### Outages\n");
    if s.outages.is_empty() {
        paragraph(
            out,
            "None: in every wave each role keeps enough servers up, and no mailstore is \
             upgraded with its users on it.",
        )?;
    } else {
        let mut t = Table::new(&["Wave", "Server", "Unit", "What users lose"]);
        for o in &s.outages {
            t.row(vec![
                o.wave.to_string(),
                escape(&o.server),
                escape(&o.unit),
                sentence(&inline(&o.message, true)),
            ]);
        }
        t.write(out)?;
    }
    put!(out, "### Warnings\n");
    if s.warnings.is_empty() {
        paragraph(out, "None.")?;
    } else {
        for w in &s.warnings {
            bullet(out, &sentence(&inline(w, false)))?;
        }
        put!(out);
    }
    let unavailable = steps(plan)
        .filter(|(_, st)| st.kind == StepKind::MoveSwitch)
        .filter_map(|(_, st)| st.unavailable_per_account_s)
        .max();
    let switched: usize = steps(plan)
        .filter(|(_, st)| st.kind == StepKind::MoveSwitch)
        .map(|(_, st)| st.accounts.as_ref().map_or(0, Vec::len))
        .sum();
    if switched > 0 {
        paragraph(
            out,
            &format!(
                "Account switches: {} in all (a mailbox that moves twice switches twice); each \
                 account is unavailable {} while it switches (section 6 says whom to warn, and \
                 when).",
                switched,
                match unavailable {
                    Some(u) => format!("for about {}", duration(u)),
                    None => "for a short time (no estimate: no rates)".to_string(),
                }
            ),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn the_figures_and_the_policy() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| summary(o, &plan)),
            r##"## 1. Summary

**Strategy: forward** (requested: forward): requested.

| Figure | Value |
| --- | --- |
| Mailbox moves | 1 (1 GiB); a copy and its switch are one move |
| Mailboxes moved more than once | none |
| Waves | 3 |
| Estimated duration | no estimate: the policy has no rates |
| Capacity ceiling | max\_fill 90% of every store's disk and mailbox count; size overhead 0% |
| Moves | by account, one stage (copy and switch at once), at most 2 per wave, within each site |
| Upgrades | at most 1 per wave; mailstores emptied first |
| Backups | incremental before a mailstore is touched; full when the last full backup is older than 7 d |
| Accepted outages | none |
| Move notifications | none |

"##
        );
    }

    #[test]
    fn outages_and_warnings_are_escaped_sentences() {
        let mut plan = testing::plan();
        plan.summary.outages.push(planner_core::plan::Outage {
            wave: 3,
            server: "mbx1.example.com".into(),
            unit: "mailstore".into(),
            message: "its users' mail is *down*".into(),
        });
        plan.summary
            .warnings
            .push("`ldap1` is the only master".into());
        assert_eq!(
            section(|o| risks(o, &plan)),
            r##"## 2. Risks and outages

### Outages

| Wave | Server | Unit | What users lose |
| --- | --- | --- | --- |
| 3 | mbx1.example.com | mailstore | its users' mail is \*down\*. |

### Warnings

- `ldap1` is the only master.

Account switches: 1 in all (a mailbox that moves twice switches twice); each account is unavailable
for a short time (no estimate: no rates) while it switches (section 6 says whom to warn, and when).

"##
        );
    }
}
