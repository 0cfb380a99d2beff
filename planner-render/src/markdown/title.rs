//! The title and the scope table: what is to be approved, for which
//! installation, made by which planner from which inventory.

use std::io::{self, Write};

use planner_core::inventory::Bytes;
use planner_core::plan::Plan;

use super::figures::percent;
use super::prose::{code, escape, paragraph};
use super::table::Table;
use crate::toolset::Toolset;
use crate::units::{count, duration_words};

pub(super) fn title(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let s = &plan.summary;
    put!(
        out,
        "# Change approval: rolling upgrade to {}\n",
        escape(&plan.target_version)
    );
    paragraph(
        out,
        &format!(
            "This document asks for approval to upgrade {} of a {} installation to {}, one \
             wave after another, as planned below. It is generated from the plan; the plan \
             file (JSON) is the reference for every name and figure.",
            count(u64::from(s.servers_to_upgrade), "server", "servers"),
            escape(&plan.profile),
            escape(&plan.target_version),
        ),
    )?;
    if let Some(from) = &plan.resumed_from {
        let upgraded = from
            .done
            .iter()
            .filter(|s| s.kind == planner_core::plan::StepKind::Upgrade)
            .count() as u64;
        paragraph(
            out,
            &format!(
                "It continues an approved plan (file digest `{}`) that stopped part way: {} \
                 of it {} done ({} upgraded) and {} not repeated here; what is left was \
                 planned again from there. Compare it with the approved plan \
                 (`planner diff`) before signing.",
                escape(&from.plan_digest),
                count(from.done.len() as u64, "step", "steps"),
                if from.done.len() == 1 { "is" } else { "are" },
                count(upgraded, "server", "servers"),
                if from.done.len() == 1 { "is" } else { "are" },
            ),
        )?;
    }
    let stores = plan.placement.before.len() as u64;
    let mailboxes: u64 = plan
        .placement
        .before
        .values()
        .fold(0, |n, l| n.saturating_add(l.mailboxes));
    let bytes: u64 = plan
        .placement
        .before
        .values()
        .fold(0, |n, l| n.saturating_add(l.bytes));
    let overhead = if plan.policy.size_overhead > 0.0 {
        format!(
            ", including the {} size overhead",
            percent(plan.policy.size_overhead)
        )
    } else {
        String::new()
    };
    let at_target = match s.servers_at_target {
        0 => "none already at the target".to_string(),
        n => format!("{n} more already at the target, left alone"),
    };
    let mut t = Table::new(&["Scope", "Value"]);
    t.row(vec!["Target version".into(), escape(&plan.target_version)]);
    t.row(vec!["Profile".into(), escape(&plan.profile)]);
    let toolset = Toolset::of(plan);
    t.row(vec![
        "Toolset".into(),
        format!("`{}`: {}", plan.tools, toolset.name),
    ]);
    t.row(vec![
        "Servers to upgrade".into(),
        format!("{} ({at_target})", s.servers_to_upgrade),
    ]);
    t.row(vec!["Mailstores".into(), stores.to_string()]);
    t.row(vec![
        "Mailboxes".into(),
        format!("{mailboxes} ({}{overhead})", Bytes(bytes)),
    ]);
    t.row(vec![
        "Planner".into(),
        format!(
            "version {}, plan format {}",
            escape(&plan.planner_version),
            escape(&plan.format)
        ),
    ]);
    t.row(vec![
        "Inventory digest".into(),
        code(&plan.inventory_digest, true),
    ]);
    t.row(vec![
        "Reference time (`now`)".into(),
        format!("{}; backup ages count from it", escape(&plan.now)),
    ]);
    t.write(out)?;
    Ok(())
}

/// The decision asked of the board, before the details: how long the work
/// takes, what users see, in numbers, and what could go wrong.
pub(super) fn decision(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let s = &plan.summary;
    put!(out, "## Decision asked\n");
    let nights = crate::calendar::waves_by_window(plan);
    let window = match s.estimated_duration_s {
        Some(d) if !nights.is_empty() => format!(
            "about {} of work in {}, in {} from {} to {} (listed in section 5)",
            duration_words(d),
            count(plan.waves.len() as u64, "wave", "waves"),
            count(nights.len() as u64, "window", "windows"),
            nights[0].0,
            plan.waves
                .last()
                .and_then(|w| w.end.as_deref())
                .unwrap_or(&nights[nights.len() - 1].1)
        ),
        Some(d) => format!(
            "about {} of work in {} run one after the other (section 4, timeline in \
             section 5); a wave starts only when the previous one has ended and its health \
             checks have passed",
            duration_words(d),
            count(plan.waves.len() as u64, "wave", "waves")
        ),
        None => format!(
            "{} run one after the other; no duration estimate (the inventory gives no rates)",
            count(plan.waves.len() as u64, "wave", "waves")
        ),
    };
    let switches: u64 = plan
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|st| st.kind == planner_core::plan::StepKind::MoveSwitch)
        .map(|st| st.accounts.as_ref().map_or(0, Vec::len) as u64)
        .sum();
    let each = plan.policy.rates.as_ref().map_or(String::new(), |r| {
        format!(
            ", each unavailable for about {}",
            duration_words(r.switch_per_account_s)
        )
    });
    let mut impact = vec![if switches == 0 {
        "no account switches store".to_string()
    } else {
        format!(
            "{} switch{} store{each} (section 6 lists whom to warn)",
            count(switches, "account", "accounts"),
            if switches == 1 { "es" } else { "" }
        )
    }];
    let in_place: u64 = s
        .outages
        .iter()
        .filter(|o| o.unit == planner_core::inventory::MAILSTORE)
        .count() as u64;
    if in_place == 1 {
        impact.push(
            "1 mailstore upgraded with its users on it, who cannot reach their mail during \
             its upgrade"
                .to_string(),
        );
    } else if in_place > 1 {
        impact.push(format!(
            "{in_place} mailstores upgraded with their users on them: each store's users \
             cannot reach their mail during its upgrade"
        ));
    }
    let other = s.outages.len() as u64 - in_place;
    if other > 0 {
        impact.push(format!(
            "{} of a whole service accepted by the policy",
            count(other, "outage", "outages")
        ));
    }
    let items = [
        format!("**Window:** {window}."),
        format!("**User impact:** {}.", impact.join("; ")),
        format!(
            "**Risks:** {} and {} (section 2); the script stops at the first failed step \
             and restarts from its wave (section 7).",
            count(s.outages.len() as u64, "outage", "outages"),
            count(s.warnings.len() as u64, "warning", "warnings")
        ),
        format!(
            "**Tools:** {} (`{}`), run by the script of section 8.",
            Toolset::of(plan).name,
            plan.tools
        ),
    ];
    for item in items {
        super::prose::bullet(out, &item)?;
    }
    put!(out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn the_scope_of_the_small_plan() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| title(o, &plan)),
            r##"# Change approval: rolling upgrade to 10.1.5

This document asks for approval to upgrade 2 servers of a zimbra installation to 10.1.5, one wave
after another, as planned below. It is generated from the plan; the plan file (JSON) is the
reference for every name and figure.

| Scope | Value |
| --- | --- |
| Target version | 10.1.5 |
| Profile | zimbra |
| Toolset | `zimbra-ne`: Zimbra Network Edition's own tools |
| Servers to upgrade | 2 (2 more already at the target, left alone) |
| Mailstores | 2 |
| Mailboxes | 1 (1 GiB) |
| Planner | version 0.1.0, plan format upgrade-plan/v2 |
| Inventory digest | `sha256:0123456789abcdef` |
| Reference time (`now`) | 2026-11-29T00:00:00Z; backup ages count from it |

"##
        );
    }
}
