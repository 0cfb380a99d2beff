//! Rules about where and when each move step runs, that need no replay:
//! stores in their upgrade wave (4), one-stage plans (6), safe targets (9),
//! sites (10), directory writes and tier timing of switches and pool changes
//! (12) and batches (13).

use std::collections::{HashMap, HashSet};

use super::timeline::{Move, Timeline};
use super::{Ctx, Report, Rule};
use crate::inventory::{ServerId, Version};
use crate::plan::{Step, StepKind};

pub(super) fn check(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    let directory = master_waves(ctx, t);
    let ready = tiers_ready(ctx, t);
    pools(ctx, t, &directory, report);
    let others = others_by_wave(t);
    for (i, moves) in t.moves.iter().enumerate() {
        let wave = i as u32 + 1;
        let sources: HashSet<ServerId> = moves.iter().filter_map(|m| m.source).collect();
        for m in moves {
            ends(ctx, t, m, &sources, report);
            if let (Some(source), Some(target)) = (m.source, m.target) {
                locality(ctx, m, source, target, report);
            }
            if m.kind == StepKind::MoveData && !ctx.policy.two_stage_moves {
                report.step(
                    wave,
                    m.step,
                    Rule::TwoStages,
                    "a data copy, but two_stage_moves is off: a switch moves everything at once"
                        .to_string(),
                );
            }
            if m.kind == StepKind::MoveSwitch {
                switch_timing(ctx, t, m, directory.get(&wave).copied(), &ready, report);
            }
        }
        batches(ctx, t, wave, moves, &others[i], report);
    }
}

/// Rules 4 and 9 on a move's two ends in its wave.
fn ends(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    m: &Move<'_>,
    sources: &HashSet<ServerId>,
    report: &mut Report,
) {
    if let Some(source) = m.source {
        source_end(ctx, t, m, source, report);
    }
    let Some(target) = m.target else { return };
    if !target_fits(ctx, m, target, report) {
        return;
    }
    target_busy(ctx, t, m, target, sources, report);
    if let Some(source) = m.source {
        not_to_older(ctx, t, m, source, target, report);
    }
}

/// Rules 9 and 4 on a move's source: a mailstore, and not down for its upgrade.
fn source_end(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    m: &Move<'_>,
    source: ServerId,
    report: &mut Report,
) {
    let wave = m.wave;
    let name = ctx.name(source);
    if !ctx.server(source).is_mailstore() {
        report.step(
            wave,
            m.step,
            Rule::SafeTargets,
            format!("the source {name} is not a mailstore"),
        );
    }
    // A store being upgraded is down: nothing can be copied off it, and an
    // evacuated one must already be empty.
    if t.upgraded_in(source, wave) {
        report.step(
            wave,
            m.step,
            Rule::EmptyBeforeUpgrade,
            format!("moves mailboxes off {name} in the wave of its upgrade"),
        );
    }
}

/// Rule 9 on what a move's target is: a mailstore other than the source.
/// When it is not, the other target checks would only repeat the problem, so
/// this says whether they should run.
fn target_fits(ctx: &Ctx<'_>, m: &Move<'_>, target: ServerId, report: &mut Report) -> bool {
    let name = ctx.name(target);
    if !ctx.server(target).is_mailstore() {
        report.step(
            m.wave,
            m.step,
            Rule::SafeTargets,
            format!("the target {name} is not a mailstore"),
        );
        return false;
    }
    if m.source == Some(target) {
        report.step(
            m.wave,
            m.step,
            Rule::SafeTargets,
            format!("moves mailboxes from {name} to itself"),
        );
        return false;
    }
    true
}

/// Rules 9 and 4 on a move's target in its wave: not upgraded, nor
/// the source of another move.
fn target_busy(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    m: &Move<'_>,
    target: ServerId,
    sources: &HashSet<ServerId>,
    report: &mut Report,
) {
    let wave = m.wave;
    let name = ctx.name(target);
    if t.upgraded_in(target, wave) {
        report.step(
            wave,
            m.step,
            Rule::SafeTargets,
            format!("moves mailboxes to {name}, which is upgraded (down) in this wave"),
        );
        if ctx.evacuated(target) {
            report.step(
                wave,
                m.step,
                Rule::EmptyBeforeUpgrade,
                format!("moves mailboxes to {name} in the wave of its upgrade"),
            );
        }
    }
    if sources.contains(&target) {
        report.step(
            wave,
            m.step,
            Rule::SafeTargets,
            format!("moves mailboxes to {name}, which is the source of a move in this wave"),
        );
    }
}

/// Rule 9 on the versions of a move's ends: mailboxes never go to an older version.
fn not_to_older(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    m: &Move<'_>,
    source: ServerId,
    target: ServerId,
    report: &mut Report,
) {
    let wave = m.wave;
    let (from, to) = (
        version_in(ctx, t, source, wave),
        version_in(ctx, t, target, wave),
    );
    if newer(&from, &to) {
        report.step(
            wave,
            m.step,
            Rule::SafeTargets,
            format!(
                "moves mailboxes from {} at {} to {} at the older {}",
                ctx.name(source),
                from.1,
                ctx.name(target),
                to.1
            ),
        );
    }
}

/// A server's version during a wave: whether it is at the target, and the
/// version (the target once its upgrade wave has passed).
fn version_in<'a>(ctx: &Ctx<'a>, t: &Timeline<'_>, id: ServerId, wave: u32) -> (bool, &'a Version) {
    let server = ctx.server(id);
    if t.at_target(ctx, id, wave) && server.needs_upgrade() {
        (true, ctx.target())
    } else {
        (t.at_target(ctx, id, wave), &server.version)
    }
}

/// Whether `a` is newer than `b`. Every version at the target counts as the
/// same (`10.1.5_GA_4200` is not newer than an upgraded `10.1.5`); below it,
/// versions compare numerically.
fn newer(a: &(bool, &Version), b: &(bool, &Version)) -> bool {
    match (a.0, b.0) {
        (true, true) => false,
        (true, false) => true,
        (false, true) => false,
        (false, false) => a.1 > b.1,
    }
}

/// Rule 10: without cross-site moves, source and target share a site.
fn locality(ctx: &Ctx<'_>, m: &Move<'_>, source: ServerId, target: ServerId, report: &mut Report) {
    if ctx.policy.cross_site_moves {
        return;
    }
    let (a, b) = (&ctx.server(source).site, &ctx.server(target).site);
    if a != b {
        let site = |s: &Option<String>| {
            s.as_deref()
                .map_or("the unnamed site".to_string(), |s| format!("site {s}"))
        };
        report.step(
            m.wave,
            m.step,
            Rule::Locality,
            format!(
                "moves mailboxes from {} ({}) to {} ({}), but cross_site_moves is off",
                ctx.name(source),
                site(a),
                ctx.name(target),
                site(b)
            ),
        );
    }
}

/// A step on a store that is not a move: what rule 13 keeps apart from
/// the store's upgrade and moves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Backup,
    PoolOut,
    PoolIn,
    Purge,
}

impl Operation {
    /// What it does to its store, for messages.
    fn done(self) -> &'static str {
        match self {
            Operation::Backup => "backed up",
            Operation::PoolOut => "pooled out",
            Operation::PoolIn => "pooled in",
            Operation::Purge => "purged",
        }
    }
}

/// One such step of a wave: its store, what it is, the step.
type Other<'p> = (ServerId, Operation, &'p Step);

/// Per wave (index `wave - 1`): its backups and pool changes of known
/// servers, with what each does to its server.
fn others_by_wave<'p>(t: &Timeline<'p>) -> Vec<Vec<Other<'p>>> {
    let mut out = vec![Vec::new(); t.waves as usize];
    let lists = [
        (&t.backups, Operation::Backup),
        (&t.pool_outs, Operation::PoolOut),
        (&t.pool_ins, Operation::PoolIn),
        (&t.purges, Operation::Purge),
    ];
    for (list, what) in lists {
        for (i, ats) in list.iter().enumerate() {
            for at in ats {
                if let Some(wave) = out.get_mut(at.wave as usize - 1) {
                    wave.push((ServerId(i as u32), what, at.step));
                }
            }
        }
    }
    out
}

/// Waves that upgrade a directory master, with the first such master: no
/// step that writes to the directory may run beside it (a replica's upgrade
/// blocks nothing: writes go to the masters).
fn master_waves(ctx: &Ctx<'_>, t: &Timeline<'_>) -> HashMap<u32, ServerId> {
    let master = ctx.inv.profile.directory_master;
    let mut waves = HashMap::new();
    for (i, upgrades) in t.upgrades_in.iter().enumerate() {
        for &(id, _) in upgrades {
            if ctx.server(id).has_role(master) {
                waves.entry(i as u32 + 1).or_insert(id);
            }
        }
    }
    waves
}

/// Rule 12 for pool changes: none beside a master's upgrade; a store emptied
/// for its upgrade is pooled out in a wave before its first move out (a
/// spare, which holds mailboxes only in passing, need not be), and pooled in
/// in a wave after its upgrade.
fn pools(ctx: &Ctx<'_>, t: &Timeline<'_>, masters: &HashMap<u32, ServerId>, report: &mut Report) {
    // Each store's first move out, in one pass over the moves.
    let mut first_out: Vec<Option<(u32, &Step)>> = vec![None; ctx.inv.servers.len()];
    for m in t.moves.iter().flatten() {
        if let Some(source) = m.source
            && first_out[source.index()].is_none()
        {
            first_out[source.index()] = Some((m.wave, m.step));
        }
    }
    for (i, server) in ctx.inv.servers.iter().enumerate() {
        let id = ServerId(i as u32);
        let (outs, ins) = (&t.pool_outs[i], &t.pool_ins[i]);
        for at in outs.iter().chain(ins) {
            if let Some(master) = masters.get(&at.wave) {
                report.step(
                    at.wave,
                    at.step,
                    Rule::DirectoryAndTiers,
                    format!(
                        "changes the pools of {} (a directory write) in the wave that upgrades the directory master {}",
                        server.name,
                        ctx.name(*master)
                    ),
                );
            }
        }
        let first_out = first_out[i];
        if let (None, Some((wave, step))) = (outs.first(), first_out)
            && ctx.evacuated(id)
            && server.needs_upgrade()
            && !server.spare
        {
            report.step(
                wave,
                step,
                Rule::DirectoryAndTiers,
                format!(
                    "moves accounts off {} but never pools it out: new accounts may still land on it",
                    server.name
                ),
            );
        }
        if let (Some(pool_out), Some((wave, step))) = (outs.first(), first_out)
            && pool_out.wave >= wave
        {
            report.step(
                wave,
                step,
                Rule::DirectoryAndTiers,
                format!(
                    "moves accounts off {} before it is pooled out (wave {}): new accounts may still land on it",
                    server.name, pool_out.wave
                ),
            );
        }
        let (Some(pool_out), Some(upgrade)) = (outs.first(), t.upgrade_wave(id)) else {
            continue;
        };
        if pool_out.wave > upgrade {
            continue;
        }
        for pool_in in ins
            .iter()
            .filter(|p| p.wave > pool_out.wave && p.wave <= upgrade)
        {
            report.step(
                pool_in.wave,
                pool_in.step,
                Rule::DirectoryAndTiers,
                format!(
                    "pools {} in before its upgrade (wave {upgrade}) has passed its checks",
                    server.name
                ),
            );
        }
        if !ins.iter().any(|p| p.wave > upgrade) {
            report.step(
                pool_out.wave,
                pool_out.step,
                Rule::DirectoryAndTiers,
                format!(
                    "pools {} out and never back in after its upgrade (wave {upgrade}): it would take no new accounts again",
                    server.name
                ),
            );
        }
    }
}

/// When every server ordered before the mailstores (other than mailstores)
/// has been upgraded: the last such upgrade wave and server, or the first
/// such server that is never upgraded (`u32::MAX`).
fn tiers_ready(ctx: &Ctx<'_>, t: &Timeline<'_>) -> Option<(u32, ServerId)> {
    let mailstore = ctx.mailstore_tier?;
    let mut last: Option<(u32, ServerId)> = None;
    for (i, server) in ctx.inv.servers.iter().enumerate() {
        let id = ServerId(i as u32);
        let early = ctx.tiers[i].is_some_and(|tier| tier < mailstore);
        if !early || server.is_mailstore() || !server.needs_upgrade() {
            continue;
        }
        let wave = t.upgrade_wave(id).unwrap_or(u32::MAX);
        if last.is_none_or(|(w, _)| wave > w) {
            last = Some((wave, id));
        }
    }
    last
}

/// Rule 12 for one switch.
fn switch_timing(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    m: &Move<'_>,
    directory: Option<ServerId>,
    ready: &Option<(u32, ServerId)>,
    report: &mut Report,
) {
    if let Some(dir) = directory {
        report.step(
            m.wave,
            m.step,
            Rule::DirectoryAndTiers,
            format!(
                "switches accounts (a directory write) in the wave that upgrades the directory master {}",
                ctx.name(dir)
            ),
        );
    }
    let (Some(target), Some((last, server))) = (m.target, ready) else {
        return;
    };
    if m.wave > *last || !t.at_target(ctx, target, m.wave) {
        return;
    }
    let when = if *last == u32::MAX {
        "is never upgraded".to_string()
    } else {
        format!("is upgraded in wave {last}")
    };
    report.step(
        m.wave,
        m.step,
        Rule::DirectoryAndTiers,
        format!(
            "switches accounts onto {}, at the target version, while {} {when}: users would land on the new version before the servers ordered before the mailstores",
            ctx.name(target),
            ctx.name(*server),
        ),
    );
}

/// Rule 13 for one wave.
fn batches(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    wave: u32,
    moves: &[Move<'_>],
    others: &[Other<'_>],
    report: &mut Report,
) {
    let mut seen: HashSet<(StepKind, &str, &str)> = HashSet::new();
    for m in moves {
        if !seen.insert((m.kind, m.source_key.as_str(), m.target_key.as_str())) {
            report.step(
                wave,
                m.step,
                Rule::Batches,
                format!(
                    "a second {} step from {} to {} in one wave (moves between two stores form one batch)",
                    m.kind.as_str(),
                    m.source_key,
                    m.target_key
                ),
            );
        }
    }
    let mut per_source: HashMap<&str, u32> = HashMap::new();
    for m in moves {
        *per_source.entry(m.source_key.as_str()).or_insert(0) += 1;
    }
    let mut crowded: Vec<(&str, u32)> = per_source
        .into_iter()
        .filter(|(_, n)| *n > ctx.policy.max_moves_per_source)
        .collect();
    crowded.sort_unstable();
    for (source, n) in crowded {
        report.wave(
            wave,
            Rule::Batches,
            format!(
                "{n} move steps from {source}, above max_moves_per_source {}",
                ctx.policy.max_moves_per_source
            ),
        );
    }
    let limit = ctx.policy.max_parallel_moves;
    if moves.len() as u64 > u64::from(limit) {
        report.wave(
            wave,
            Rule::Batches,
            format!(
                "{} move steps, above max_parallel_moves {limit}",
                moves.len()
            ),
        );
    }
    let upgrades = t.upgrade_steps.get(wave as usize - 1).copied().unwrap_or(0);
    let limit = ctx.policy.max_parallel_upgrades;
    if upgrades > limit {
        report.wave(
            wave,
            Rule::Batches,
            format!("{upgrades} upgrades, above max_parallel_upgrades {limit}"),
        );
    }
    one_operation_per_store(ctx, t, wave, moves, others, report);
}

/// Rule 13 per store: a server upgraded in a wave has no backup, purge or
/// pool change in it (moves are rules 4 and 9), and a store backed up or
/// purged in a wave is neither the source nor the target of a move in it.
/// `others` lists the wave's backups, purges and pool changes by server.
fn one_operation_per_store(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    wave: u32,
    moves: &[Move<'_>],
    others: &[Other<'_>],
    report: &mut Report,
) {
    if others.is_empty() {
        return;
    }
    let upgraded: HashSet<ServerId> = t.upgrades_in[wave as usize - 1]
        .iter()
        .map(|(id, _)| *id)
        .collect();
    let moving: HashSet<ServerId> = moves
        .iter()
        .flat_map(|m| [m.source, m.target])
        .flatten()
        .collect();
    for &(id, what, step) in others {
        let name = ctx.name(id);
        if upgraded.contains(&id) {
            report.step(
                wave,
                step,
                Rule::Batches,
                format!(
                    "{name} is {} in the wave of its own upgrade: an upgrading server runs nothing else",
                    what.done()
                ),
            );
        }
        if matches!(what, Operation::Backup | Operation::Purge) && moving.contains(&id) {
            report.step(
                wave,
                step,
                Rule::Batches,
                format!(
                    "{name} is {} in a wave that moves mailboxes off or onto it: a store runs one operation at a time",
                    what.done()
                ),
            );
        }
    }
}
