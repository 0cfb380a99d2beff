//! The toolset (SPEC section 7): the plan names the policy's toolset, and
//! that toolset runs on every version at which the plan backs up, moves or
//! purges a store: the store's own version before its upgrade, the target's
//! from the wave after it.

use std::collections::BTreeSet;

use super::timeline::Timeline;
use super::{Ctx, Report, Rule};
use crate::inventory::{ServerId, Version};
use crate::plan::{Plan, Step};

pub(super) fn check(plan: &Plan, ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    let tools = ctx.policy.tools;
    if plan.tools != tools {
        report.plan(
            Rule::Tools,
            format!(
                "the plan runs the {} toolset, but the inventory's policy says {tools}",
                plan.tools
            ),
        );
    }
    let target = &ctx.inv.target_version;
    // The version of a server in wave `w`.
    let version = |s: ServerId, w: u32| -> &Version {
        let upgraded = t.upgrades[s.index()].first().is_some_and(|u| u.wave < w);
        if upgraded {
            target
        } else {
            &ctx.server(s).version
        }
    };
    // Each store and version is reported once, at its first step.
    let mut reported: BTreeSet<(ServerId, &Version)> = BTreeSet::new();
    let mut use_at = |s: ServerId, w: u32, step: &Step, report: &mut Report| {
        let v = version(s, w);
        if !tools.runs_on(v) && reported.insert((s, v)) {
            report.step(
                w,
                step,
                Rule::Tools,
                format!(
                    "tools: {tools} cannot run on {}, at {v} in this wave: {}",
                    ctx.name(s),
                    tools.platforms()
                ),
            );
        }
    };
    // Without a tool nothing moves or is purged.
    if !tools.moves() {
        let moves = t.moves.iter().flatten().map(|m| (m.wave, m.step));
        let purges = t.purges.iter().flatten().map(|at| (at.wave, at.step));
        if let Some((w, step)) = moves.chain(purges).min_by_key(|(w, _)| *w) {
            report.step(
                w,
                step,
                Rule::Tools,
                "tools: none has no tool to move or purge mailboxes, but the plan does".to_string(),
            );
        }
    }
    for (s, (backups, purges)) in t.backups.iter().zip(&t.purges).enumerate() {
        let s = ServerId(s as u32);
        for at in backups.iter().chain(purges) {
            use_at(s, at.wave, at.step, report);
        }
    }
    for m in t.moves.iter().flatten() {
        for s in [m.source, m.target].into_iter().flatten() {
            use_at(s, m.wave, m.step, report);
        }
    }
}
