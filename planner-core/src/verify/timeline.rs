//! The plan read once into per-server and per-wave facts, with its form checked.
//!
//! Every later check works from this: which waves upgrade, back up and pool
//! each server, and which move steps each wave holds with their ends
//! resolved. Problems of form (the format name, wave indices, duplicate ids,
//! fields a step's kind needs) and names the inventory does not know are
//! reported here, once.

use std::collections::HashSet;

use jiff::Timestamp;

use super::{Ctx, Report, Rule};
use crate::inventory::{AgainstTarget, ServerId, Version};
use crate::plan::{Plan, Step, StepKind, Wave};

/// A step and the wave it is in.
#[derive(Clone, Copy)]
pub(super) struct At<'p> {
    pub wave: u32,
    pub step: &'p Step,
}

/// One move step, its ends resolved where they can be.
pub(super) struct Move<'p> {
    pub wave: u32,
    pub step: &'p Step,
    pub kind: StepKind,
    pub source: Option<ServerId>,
    pub target: Option<ServerId>,
    /// The names as written, lower-cased, for batching steps whose ends are unknown.
    pub source_key: String,
    pub target_key: String,
    pub accounts: &'p [String],
    /// Whether the replay applies it: both ends are distinct known mailstores.
    pub replay: bool,
}

/// What the plan does to each server and in each wave.
pub(super) struct Timeline<'p> {
    /// The number of waves.
    pub waves: u32,
    /// How many waves at the start are steps done before a resume (one
    /// step each): history, whose times and backup modes are not judged.
    pub history: u32,
    /// The plan's reference time, when it parses.
    pub now: Option<Timestamp>,
    /// Per server: its upgrade steps, in plan order.
    pub upgrades: Vec<Vec<At<'p>>>,
    /// Per server: its backup steps, in plan order.
    pub backups: Vec<Vec<At<'p>>>,
    /// Per server: its pool-out and pool-in steps, in plan order.
    pub pool_outs: Vec<Vec<At<'p>>>,
    pub pool_ins: Vec<Vec<At<'p>>>,
    /// Per server: its purge steps, in plan order.
    pub purges: Vec<Vec<At<'p>>>,
    /// Per wave (index `wave - 1`): its move steps, in plan order.
    pub moves: Vec<Vec<Move<'p>>>,
    /// Per wave (index `wave - 1`): its upgrades of known servers.
    pub upgrades_in: Vec<Vec<(ServerId, &'p Step)>>,
    /// Per wave (index `wave - 1`): its upgrade steps, known servers or not.
    pub upgrade_steps: Vec<u32>,
}

impl<'p> Timeline<'p> {
    pub fn build(plan: &'p Plan, ctx: &Ctx<'_>, report: &mut Report) -> Timeline<'p> {
        let servers = ctx.inv.servers.len();
        let waves = u32::try_from(plan.waves.len()).unwrap_or(u32::MAX);
        let mut t = Timeline {
            waves,
            history: 0,
            now: read_now(plan, report),
            upgrades: vec![Vec::new(); servers],
            backups: vec![Vec::new(); servers],
            pool_outs: vec![Vec::new(); servers],
            pool_ins: vec![Vec::new(); servers],
            purges: vec![Vec::new(); servers],
            moves: Vec::with_capacity(plan.waves.len()),
            upgrades_in: Vec::with_capacity(plan.waves.len()),
            upgrade_steps: Vec::with_capacity(plan.waves.len()),
        };
        let mut ids: HashSet<&str> = HashSet::new();
        for (position, wave) in plan.waves.iter().enumerate() {
            let w = u32::try_from(position + 1).unwrap_or(u32::MAX);
            if wave.index != w {
                report.wave(
                    w,
                    Rule::Format,
                    format!("the wave at position {w} has index {}", wave.index),
                );
            }
            t.read_wave(w, wave, &mut ids, ctx, report);
        }
        t
    }

    /// Reads one wave's steps into the timeline, checking each step's id is
    /// new.
    fn read_wave(
        &mut self,
        w: u32,
        wave: &'p Wave,
        ids: &mut HashSet<&'p str>,
        ctx: &Ctx<'_>,
        report: &mut Report,
    ) {
        let mut moves = Vec::new();
        let mut upgrades_in = Vec::new();
        let mut upgrade_steps = 0u32;
        for step in &wave.steps {
            if !ids.insert(step.id.as_str()) {
                report.step(
                    w,
                    step,
                    Rule::Format,
                    format!("the step id `{}` is used more than once", step.id),
                );
            }
            for field in step.missing() {
                let kind = step.kind.as_str();
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                report.step(
                    w,
                    step,
                    Rule::Format,
                    format!("{article} {kind} step without `{field}`"),
                );
            }
            if step.kind.is_move() {
                moves.push(read_move(w, step, ctx, report));
                continue;
            }
            let Some(name) = step.server.as_deref() else {
                continue;
            };
            if step.kind == StepKind::Upgrade {
                upgrade_steps += 1;
            }
            let Some(id) = ctx.resolve(name) else {
                report.step(
                    w,
                    step,
                    Rule::Complete,
                    format!(
                        "the {} step names `{name}`, which is not a server of the inventory",
                        step.kind.as_str()
                    ),
                );
                continue;
            };
            let at = At { wave: w, step };
            if step.kind == StepKind::Upgrade {
                upgrades_in.push((id, step));
            }
            self.read_server_step(at, id, ctx, report);
        }
        self.moves.push(moves);
        self.upgrades_in.push(upgrades_in);
        self.upgrade_steps.push(upgrade_steps);
    }

    /// Files a step on a known server (upgrade, backup, pool change) under
    /// that server.
    fn read_server_step(&mut self, at: At<'p>, id: ServerId, ctx: &Ctx<'_>, report: &mut Report) {
        let step = at.step;
        match step.kind {
            StepKind::Upgrade => {
                read_upgrade(at, id, ctx, report);
                self.upgrades[id.index()].push(at);
            }
            StepKind::Backup => self.backups[id.index()].push(at),
            StepKind::Purge => self.purges[id.index()].push(at),
            StepKind::PoolOut => self.pool_outs[id.index()].push(at),
            StepKind::PoolIn => self.pool_ins[id.index()].push(at),
            _ => {}
        }
    }

    /// The wave of the server's first upgrade.
    pub fn upgrade_wave(&self, id: ServerId) -> Option<u32> {
        self.upgrades[id.index()].first().map(|a| a.wave)
    }

    /// Whether the server is upgraded (so down) in that wave.
    pub fn upgraded_in(&self, id: ServerId, wave: u32) -> bool {
        self.upgrades[id.index()].iter().any(|a| a.wave == wave)
    }

    /// Whether the server runs the target version during that wave: it was
    /// at the target from the start, or upgraded in an earlier wave.
    pub fn at_target(&self, ctx: &Ctx<'_>, id: ServerId, wave: u32) -> bool {
        ctx.server(id).status == AgainstTarget::At
            || self.upgrade_wave(id).is_some_and(|u| u < wave)
    }
}

fn read_upgrade(at: At<'_>, id: ServerId, ctx: &Ctx<'_>, report: &mut Report) {
    let step = at.step;
    // A missing `to_version` is reported with the step's other missing fields.
    if let Some(to) = step.to_version.as_deref()
        && Version::new(to).against(ctx.target()) != AgainstTarget::At
    {
        report.step(
            at.wave,
            step,
            Rule::Complete,
            format!(
                "upgrades {} to {to}, not to the target {}",
                ctx.name(id),
                ctx.target()
            ),
        );
    }
}

fn read_move<'p>(w: u32, step: &'p Step, ctx: &Ctx<'_>, report: &mut Report) -> Move<'p> {
    let kind = step.kind.as_str();
    let mut end = |field: &str, name: Option<&'p str>| -> (Option<ServerId>, String) {
        let Some(name) = name else {
            return (None, String::new());
        };
        let id = ctx.resolve(name);
        if id.is_none() {
            report.step(
                w,
                step,
                Rule::SafeTargets,
                format!("the {field} `{name}` is not a server of the inventory"),
            );
        }
        (id, name.to_ascii_lowercase())
    };
    let (source, source_key) = end("source", step.source.as_deref());
    let (target, target_key) = end("target", step.target.as_deref());
    let accounts: &[String] = match &step.accounts {
        Some(list) => {
            if list.is_empty() {
                report.step(
                    w,
                    step,
                    Rule::Format,
                    format!("a {kind} step that moves no account"),
                );
            }
            list
        }
        None => &[],
    };
    let replay = match (source, target) {
        (Some(s), Some(t)) => {
            s != t && ctx.server(s).is_mailstore() && ctx.server(t).is_mailstore()
        }
        _ => false,
    };
    Move {
        wave: w,
        step,
        kind: step.kind,
        source,
        target,
        source_key,
        target_key,
        accounts,
        replay,
    }
}

/// The plan's reference time, reported when it does not parse.
fn read_now(plan: &Plan, report: &mut Report) -> Option<Timestamp> {
    match plan.now.parse::<Timestamp>() {
        Ok(t) => Some(t),
        Err(_) => {
            report.plan(
                Rule::Format,
                format!("`now` is `{}`, not an RFC 3339 time", plan.now),
            );
            None
        }
    }
}
