//! Rules about servers: each upgraded once (1), in order (2), with every role
//! and group kept available (3), and mailstores backed up first (5).

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use super::timeline::{At, Timeline};
use super::{Ctx, Report, Rule, few};
use crate::inventory::{BackupAfterUpgrade, BackupPolicy, Load, Server, ServerId};
use crate::plan::{Action, BackupMode, BackupWhen, StepKind};

pub(super) fn check(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    complete(ctx, t, report);
    tiers(ctx, t, report);
    auxiliary(ctx, t, report);
    depends_on(ctx, t, report);
    actions(ctx, t, report);
    availability(ctx, t, report);
    backups(ctx, t, report);
}

fn ids(ctx: &Ctx<'_>) -> impl Iterator<Item = ServerId> + use<> {
    (0..ctx.inv.servers.len()).map(|i| ServerId(i as u32))
}

/// The first upgrade of a server that needs one.
fn upgrade<'p>(ctx: &Ctx<'_>, t: &Timeline<'p>, id: ServerId) -> Option<At<'p>> {
    if !ctx.server(id).needs_upgrade() {
        return None;
    }
    t.upgrades[id.index()].first().copied()
}

/// Rule 1: every server below the target is upgraded exactly once, no other.
fn complete(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    for id in ids(ctx) {
        let server = ctx.server(id);
        let upgrades = &t.upgrades[id.index()];
        if !server.needs_upgrade() {
            for at in upgrades {
                report.step(
                    at.wave,
                    at.step,
                    Rule::Complete,
                    format!(
                        "{} is already at the target version ({}) and must not be upgraded",
                        server.name, server.version
                    ),
                );
            }
        } else if upgrades.is_empty() {
            report.plan(
                Rule::Complete,
                format!(
                    "{} is at {}, below the target {}, and is never upgraded",
                    server.name,
                    server.version,
                    ctx.target()
                ),
            );
        } else {
            for at in &upgrades[1..] {
                report.step(
                    at.wave,
                    at.step,
                    Rule::Complete,
                    format!(
                        "{} is upgraded more than once (first in wave {})",
                        server.name, upgrades[0].wave
                    ),
                );
            }
        }
    }
}

/// Rule 2, tiers: every server of an earlier tier upgrades in an earlier wave
/// than any server of a later tier.
fn tiers(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    let mut upgraded: Vec<(usize, u32, ServerId)> = ids(ctx)
        .filter_map(|id| Some((ctx.tiers[id.index()]?, upgrade(ctx, t, id)?.wave, id)))
        .collect();
    upgraded.sort_unstable();
    // The latest upgrade among the tiers before the current one: (wave, server),
    // ties going to the first name.
    let mut latest: Option<(u32, ServerId)> = None;
    let mut start = 0;
    while start < upgraded.len() {
        let tier = upgraded[start].0;
        let end = upgraded[start..]
            .iter()
            .position(|u| u.0 != tier)
            .map_or(upgraded.len(), |p| start + p);
        for &(_, wave, id) in &upgraded[start..end] {
            if let Some((before, earlier)) = latest
                && before >= wave
                && let Some(at) = upgrade(ctx, t, id)
            {
                let earlier_tier = ctx.tiers[earlier.index()].map_or("", |i| tier_name(ctx, i));
                report.step(
                    wave,
                    at.step,
                    Rule::Order,
                    format!(
                        "{} (tier {}) is upgraded in wave {wave}, not after {} (tier {earlier_tier}, upgraded in wave {before})",
                        ctx.name(id),
                        tier_name(ctx, tier),
                        ctx.name(earlier),
                    ),
                );
            }
        }
        for &(_, wave, id) in &upgraded[start..end] {
            latest = match latest {
                Some((w, s)) if w >= wave => Some((w, s)),
                _ => Some((wave, id)),
            };
        }
        start = end;
    }
}

fn tier_name<'a>(ctx: &Ctx<'a>, tier: usize) -> &'a str {
    ctx.inv.profile.tiers.get(tier).map_or("?", String::as_str)
}

/// Rule 2, auxiliary roles: a server with an auxiliary role upgrades after
/// every other server that has a role named in that role's `after`, except,
/// on a server that also has a tier, the servers of its own tier or a later
/// one: the profile's order for its main role wins.
fn auxiliary(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    let profile = &ctx.inv.profile;
    let mut by_role: HashMap<&str, Vec<(u32, ServerId)>> = HashMap::new();
    for id in ids(ctx) {
        if let Some(at) = upgrade(ctx, t, id) {
            for role in &ctx.server(id).roles {
                by_role
                    .entry(role.as_str())
                    .or_default()
                    .push((at.wave, id));
            }
        }
    }
    for id in ids(ctx) {
        let Some(at) = upgrade(ctx, t, id) else {
            continue;
        };
        let mut worst: Option<(u32, ServerId, &str, &str)> = None;
        for role in &ctx.server(id).roles {
            let Some(def) = profile.role(role) else {
                continue;
            };
            if def.tier.is_some() {
                continue;
            }
            for after in &def.after {
                for &(wave, other) in by_role.get(after.as_str()).map_or(&[][..], Vec::as_slice) {
                    let own = ctx.tiers[id.index()];
                    let profile_orders_after = own.is_some_and(|own| {
                        ctx.tiers[other.index()].is_some_and(|theirs| theirs >= own)
                    });
                    if other != id
                        && !profile_orders_after
                        && wave >= at.wave
                        && worst.is_none_or(|(w, s, _, _)| {
                            (wave, std::cmp::Reverse(other)) > (w, std::cmp::Reverse(s))
                        })
                    {
                        worst = Some((wave, other, after.as_str(), role.as_str()));
                    }
                }
            }
        }
        if let Some((wave, other, after, role)) = worst {
            report.step(
                at.wave,
                at.step,
                Rule::Order,
                format!(
                    "{} ({role}) must wait for every {after} server, but is upgraded in wave {}, not after {} (upgraded in wave {wave})",
                    ctx.name(id),
                    at.wave,
                    ctx.name(other),
                ),
            );
        }
    }
}

/// Rule 2, `depends_on`: a dependency upgrades in an earlier wave.
fn depends_on(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    for id in ids(ctx) {
        let Some(at) = upgrade(ctx, t, id) else {
            continue;
        };
        for &dep in &ctx.server(id).depends_on {
            if dep == id {
                continue;
            }
            if let Some(before) = upgrade(ctx, t, dep)
                && before.wave >= at.wave
            {
                report.step(
                    at.wave,
                    at.step,
                    Rule::Order,
                    format!(
                        "{} depends on {}, which is upgraded in wave {}, not before wave {}",
                        ctx.name(id),
                        ctx.name(dep),
                        before.wave,
                        at.wave
                    ),
                );
            }
        }
    }
}

/// An upgrade's `actions` (SPEC section 4): the install, then its health
/// check, which gates every later wave (rule 2); a drain before and an
/// undrain after the install for a server with a role that drains (rule 3);
/// a directory dump before a directory server's install (rule 12); and the
/// checks the health check runs.
fn actions(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    let profile = &ctx.inv.profile;
    for id in ids(ctx) {
        let server = ctx.server(id);
        let drains = profile.draining_role(&server.roles);
        let directory = profile.serves_directory(&server.roles);
        for at in &t.upgrades[id.index()] {
            let (wave, step) = (at.wave, at.step);
            let mut problem = |rule: Rule, message: String| report.step(wave, step, rule, message);
            // A missing `actions` is reported with the step's other missing fields.
            let Some(actions) = step.actions.as_deref() else {
                continue;
            };
            let name = &server.name;
            let at_index = |action: Action| actions.iter().position(|a| *a == action);
            let count = |action: Action| actions.iter().filter(|a| **a == action).count();
            if let Some(twice) = ACTIONS.iter().find(|&&a| count(a) > 1) {
                problem(
                    Rule::Format,
                    format!(
                        "the upgrade of {name} lists `{}` more than once",
                        twice.as_str()
                    ),
                );
            }
            let Some(install) = at_index(Action::Install) else {
                problem(
                    Rule::Complete,
                    format!("the upgrade of {name} has no `install` action"),
                );
                continue;
            };
            match at_index(Action::HealthCheck) {
                Some(check) if check > install => {
                    if step.checks.as_ref().is_none_or(Vec::is_empty) {
                        problem(
                            Rule::Format,
                            format!("the upgrade of {name} has a health check but no `checks`"),
                        );
                    }
                }
                _ => problem(
                    Rule::Order,
                    format!(
                        "the upgrade of {name} has no health check after its install, so the waves after it are not gated on its health"
                    ),
                ),
            }
            if let Some(role) = drains {
                let drained = at_index(Action::Drain).is_some_and(|d| d < install);
                // Back in rotation only once its checks have passed.
                let checked = at_index(Action::HealthCheck).unwrap_or(install);
                let undrained = at_index(Action::Undrain).is_some_and(|u| u > install.max(checked));
                if !drained || !undrained {
                    problem(
                        Rule::Availability,
                        format!(
                            "{name} ({role}) must be drained before its install and undrained after it and its health check"
                        ),
                    );
                }
            } else if at_index(Action::Drain).is_some() || at_index(Action::Undrain).is_some() {
                problem(
                    Rule::Availability,
                    format!("{name} has no role that drains, but its upgrade drains it"),
                );
            }
            if directory && at_index(Action::DirectoryDump).is_none_or(|d| d >= install) {
                problem(
                    Rule::DirectoryAndTiers,
                    format!(
                        "{name} serves the directory: its upgrade must dump the directory before the install"
                    ),
                );
            }
        }
    }
}

/// Every action, for the duplicate check.
const ACTIONS: [Action; 5] = [
    Action::Drain,
    Action::DirectoryDump,
    Action::Install,
    Action::HealthCheck,
    Action::Undrain,
];

/// A role, or a group of roles, that shares one availability rule.
struct Unit<'a> {
    roles: Vec<&'a str>,
    min_available: u32,
    max_unavailable: u32,
    members: Vec<ServerId>,
}

/// Rule 3: in every wave, every role or group keeps at most `max_unavailable`
/// servers out of service and at least `min_available` in service, unless
/// its outage is accepted, and then the upgrades that cause it say so.
/// Directory masters go one at a time whatever the overrides say.
fn availability(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    for (name, unit) in &units(ctx) {
        if unit.members.is_empty() {
            continue;
        }
        unit_availability(ctx, t, name, unit, report);
    }
    let master = ctx.inv.profile.directory_master;
    let masters = Unit {
        roles: vec![master],
        min_available: 0,
        max_unavailable: 1,
        members: ids(ctx)
            .filter(|&id| ctx.server(id).has_role(master))
            .collect(),
    };
    if masters.members.len() > 1 {
        let name = format!("{master} (masters go one at a time)");
        unit_availability(ctx, t, &name, &masters, report);
    }
}

/// The profile's availability units (a role, or the group it is in), by
/// name, each with its roles, limits and member servers.
fn units<'a>(ctx: &Ctx<'a>) -> BTreeMap<&'a str, Unit<'a>> {
    let profile = &ctx.inv.profile;
    let mut units: BTreeMap<&str, Unit<'_>> = BTreeMap::new();
    for role in &profile.roles {
        let (name, min, max) = match role.group.as_deref() {
            Some(group) => match profile.group(group) {
                Some(g) => (group, g.min_available, g.max_unavailable),
                None => (group, role.min_available, role.max_unavailable),
            },
            None => (role.name.as_str(), role.min_available, role.max_unavailable),
        };
        units
            .entry(name)
            .or_insert_with(|| Unit {
                roles: Vec::new(),
                min_available: min,
                max_unavailable: max,
                members: Vec::new(),
            })
            .roles
            .push(role.name.as_str());
    }
    for id in ids(ctx) {
        for unit in units.values_mut() {
            if ctx
                .server(id)
                .roles
                .iter()
                .any(|r| unit.roles.contains(&r.as_str()))
            {
                unit.members.push(id);
            }
        }
    }
    units
}

/// Rule 3 for one unit with members, wave by wave.
fn unit_availability(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    name: &str,
    unit: &Unit<'_>,
    report: &mut Report,
) {
    // `allow_outage` relaxes min_available only, and only for a unit with no
    // more servers than min_available; max_unavailable always holds.
    let allowed = unit.members.len() <= unit.min_available as usize
        && ctx.policy.accepts_outage(name, &unit.roles);
    let waves = t.waves as usize;
    let mut out = 0i64;
    for (w, change) in out_changes(t, unit)
        .iter()
        .enumerate()
        .take(waves + 1)
        .skip(1)
    {
        out += change;
        if out <= 0 {
            continue;
        }
        let Some((why, too_many)) = shortfall(unit, out) else {
            continue;
        };
        let wave = w as u32;
        if allowed && !too_many {
            unmarked_outages(ctx, t, wave, name, unit, &why, report);
        } else {
            let down: Vec<&str> = unit
                .members
                .iter()
                .filter(|&&id| t.upgraded_in(id, wave))
                .map(|&id| ctx.name(id))
                .collect();
            report.wave(
                wave,
                Rule::Availability,
                format!("{name} has {why} ({} out)", few(&down, down.len() as u64)),
            );
        }
    }
}

/// Per wave (index `wave`, with room for `waves + 1`), the change in how many
/// of the unit's members are out of service, from each member's merged
/// stretches. A running sum gives the count in each wave.
fn out_changes(t: &Timeline<'_>, unit: &Unit<'_>) -> Vec<i64> {
    let mut delta = vec![0i64; t.waves as usize + 2];
    for &id in &unit.members {
        for (from, to) in out_of_service(t, id) {
            delta[from as usize] += 1;
            delta[to as usize + 1] -= 1;
        }
    }
    delta
}

/// What is wrong with a unit that has `out` members out of service, if
/// anything, and whether it is too many out (which nothing excuses); too many
/// out takes precedence over too few in service.
fn shortfall(unit: &Unit<'_>, out: i64) -> Option<(String, bool)> {
    let total = unit.members.len() as i64;
    let up = total - out;
    if out > i64::from(unit.max_unavailable) {
        Some((
            format!(
                "{out} of its {total} servers out of service at once, above max_unavailable {}",
                unit.max_unavailable
            ),
            true,
        ))
    } else if up < i64::from(unit.min_available) {
        Some((
            format!(
                "{up} of its {total} servers in service, below min_available {}",
                unit.min_available
            ),
            false,
        ))
    } else {
        None
    }
}

/// For a unit whose outage is accepted: each upgrade of a member in the wave
/// must be marked as an outage.
fn unmarked_outages(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    wave: u32,
    name: &str,
    unit: &Unit<'_>,
    why: &str,
    report: &mut Report,
) {
    for &(id, step) in &t.upgrades_in[wave as usize - 1] {
        if unit.members.contains(&id) && step.outage != Some(true) {
            report.step(
                wave,
                step,
                Rule::Availability,
                format!("the upgrade of {} leaves {name} with {why}; its outage is accepted, but the step is not marked `outage: true`", ctx.name(id)),
            );
        }
    }
}

/// The waves a server is out of service, as merged inclusive stretches.
fn out_of_service(t: &Timeline<'_>, id: ServerId) -> Vec<(u32, u32)> {
    let mut stretches: Vec<(u32, u32)> = t.upgrades[id.index()]
        .iter()
        .map(|a| (a.wave, a.wave))
        .collect();
    stretches.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(stretches.len());
    for (from, to) in stretches {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// Rule 5: with backups on, every mailstore that is upgraded and holds
/// mailboxes gets one backup, before its first move out and its upgrade,
/// full when the policy or the age of the last full backup requires it.
fn backups(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    let after = |at: &&At<'_>| at.step.when == Some(BackupWhen::AfterUpgrade);
    if ctx.policy.backup == BackupPolicy::None {
        for at in t.backups.iter().flatten() {
            report.step(
                at.wave,
                at.step,
                Rule::BackupFirst,
                "a backup step under policy backup: none".to_string(),
            );
        }
        return;
    }
    let loads = ctx.inv.store_loads();
    let first_out = first_moves_out(ctx, t);
    for id in ids(ctx) {
        let server = ctx.server(id);
        let held = loads.get(id.index()).map_or(0, |l| l.mailboxes);
        let list: Vec<At<'_>> = t.backups[id.index()]
            .iter()
            .filter(|at| !after(at))
            .copied()
            .collect();
        // A store that receives mailboxes during the plan and is emptied
        // again may be backed up first too; only these must be.
        if !server.is_mailstore() || !server.needs_upgrade() || held == 0 {
            continue;
        }
        let Some(first) = list.first() else {
            report.plan(
                Rule::BackupFirst,
                format!(
                    "{} holds {held} mailboxes and is upgraded, but gets no backup step",
                    server.name
                ),
            );
            continue;
        };
        backup_order(ctx, t, id, &list, first_out[id.index()], report);
        if let (Some(now), Some(mode), true) = (t.now, first.step.mode, first.wave > t.history) {
            backup_mode(ctx, server, *first, now, mode, report);
        }
    }
    backups_after_upgrade(ctx, t, &loads, report);
}

/// Per store: the accounts switched onto it minus those switched off it, and
/// the last wave a move targets it.
fn moved_in(ctx: &Ctx<'_>, t: &Timeline<'_>) -> (Vec<i64>, Vec<u32>) {
    let mut net: Vec<i64> = vec![0; ctx.inv.servers.len()];
    let mut last_in: Vec<u32> = vec![0; ctx.inv.servers.len()];
    for m in t.moves.iter().flatten() {
        let n = m.accounts.len() as i64;
        if let Some(target) = m.target {
            last_in[target.index()] = last_in[target.index()].max(m.wave);
            if m.kind == StepKind::MoveSwitch {
                net[target.index()] += n;
            }
        }
        if let (Some(source), StepKind::MoveSwitch) = (m.source, m.kind) {
            net[source.index()] -= n;
        }
    }
    (net, last_in)
}

/// Rule 5's full backup after the upgrade (`backup_after_upgrade`): one for
/// each mailstore the plan upgrades that ends holding mailboxes (for
/// `major`, when the first version component changes), full, in a wave after
/// its upgrade and after the last move onto it; none for any other store.
/// `loads` are the inventory's, per server (a pass over every mailbox, done
/// once for both backup checks).
fn backups_after_upgrade(ctx: &Ctx<'_>, t: &Timeline<'_>, loads: &[Load], report: &mut Report) {
    let (net, last_in) = moved_in(ctx, t);
    let policy = ctx.policy.backup_after_upgrade;
    for id in ids(ctx) {
        let i = id.index();
        let server = ctx.server(id);
        let listed: Vec<&At<'_>> = t.backups[i]
            .iter()
            .filter(|at| at.step.when == Some(BackupWhen::AfterUpgrade))
            .collect();
        let held = loads.get(i).map_or(0, |l| l.mailboxes as i64) + net[i];
        let major = server.version.major_change_to(ctx.target());
        let upgraded = upgrade(ctx, t, id).map(|at| at.wave);
        let wanted = server.is_mailstore()
            && upgraded.is_some()
            && held > 0
            && match policy {
                BackupAfterUpgrade::Major => major,
                BackupAfterUpgrade::Always => true,
                BackupAfterUpgrade::Never => false,
            };
        let Some(first) = listed.first() else {
            if wanted {
                report.plan(
                    Rule::BackupFirst,
                    format!(
                        "{} ends with {held} mailboxes after its upgrade from {} to {}, but gets no full backup after it (policy backup_after_upgrade: {})",
                        server.name,
                        server.version,
                        ctx.target(),
                        policy.as_str()
                    ),
                );
            }
            continue;
        };
        if !wanted {
            report.step(
                first.wave,
                first.step,
                Rule::BackupFirst,
                format!(
                    "{} gets a backup after its upgrade, which policy backup_after_upgrade: {} does not call for here",
                    server.name,
                    policy.as_str()
                ),
            );
            continue;
        }
        for extra in &listed[1..] {
            report.step(
                extra.wave,
                extra.step,
                Rule::BackupFirst,
                format!(
                    "{} is backed up after its upgrade more than once (first in wave {})",
                    server.name, first.wave
                ),
            );
        }
        let after = upgraded.unwrap_or(0).max(last_in[i]);
        if first.wave <= after {
            report.step(
                first.wave,
                first.step,
                Rule::BackupFirst,
                format!(
                    "the backup of {} after its upgrade must come after wave {after} (its upgrade and the last move onto it)",
                    server.name
                ),
            );
        }
        if first.step.mode != Some(BackupMode::Full) {
            report.step(
                first.wave,
                first.step,
                Rule::BackupFirst,
                format!(
                    "the backup of {} after its upgrade must be full",
                    server.name
                ),
            );
        }
    }
}

/// Per server: the first wave that moves mailboxes off it.
fn first_moves_out(ctx: &Ctx<'_>, t: &Timeline<'_>) -> Vec<Option<u32>> {
    let mut first_out: Vec<Option<u32>> = vec![None; ctx.inv.servers.len()];
    for m in t.moves.iter().flatten() {
        if let Some(source) = m.source {
            let slot = &mut first_out[source.index()];
            *slot = Some(slot.map_or(m.wave, |w| w.min(m.wave)));
        }
    }
    first_out
}

/// Rule 5 on when a store's backups come: once, in a wave before its first
/// move out (`out`) and before its upgrade. `list` is not empty.
fn backup_order(
    ctx: &Ctx<'_>,
    t: &Timeline<'_>,
    id: ServerId,
    list: &[At<'_>],
    out: Option<u32>,
    report: &mut Report,
) {
    let server = ctx.server(id);
    let first = list[0];
    for extra in &list[1..] {
        report.step(
            extra.wave,
            extra.step,
            Rule::BackupFirst,
            format!(
                "{} is backed up more than once (first in wave {})",
                server.name, first.wave
            ),
        );
    }
    if let Some(out) = out
        && first.wave >= out
    {
        report.step(
            first.wave,
            first.step,
            Rule::BackupFirst,
            format!(
                "the backup of {} must come in a wave before its first move out (wave {out})",
                server.name
            ),
        );
    }
    if let Some(up) = t.upgrade_wave(id)
        && first.wave >= up
    {
        report.step(
            first.wave,
            first.step,
            Rule::BackupFirst,
            format!(
                "the backup of {} must come in a wave before its upgrade (wave {up})",
                server.name
            ),
        );
    }
}

/// Rule 5 on the mode of a store's first backup, `first`, judged at `now`.
fn backup_mode(
    ctx: &Ctx<'_>,
    server: &Server,
    first: At<'_>,
    now: Timestamp,
    mode: BackupMode,
    report: &mut Report,
) {
    let (expected, why) = expected_mode(ctx, server, now);
    if mode != expected {
        let name = |m: BackupMode| match m {
            BackupMode::Full => "full",
            BackupMode::Incremental => "incremental",
        };
        report.step(
            first.wave,
            first.step,
            Rule::BackupFirst,
            format!(
                "the backup of {} is {} but must be {}: {why}",
                server.name,
                name(mode),
                name(expected)
            ),
        );
    }
}

/// The mode a store's backup must have at `now`, and why: full when the
/// policy asks for it or the last full backup is unknown or too old.
fn expected_mode(ctx: &Ctx<'_>, server: &Server, now: Timestamp) -> (BackupMode, String) {
    let max_age = ctx.policy.full_backup_max_age;
    if ctx.policy.backup == BackupPolicy::Full {
        return (
            BackupMode::Full,
            "the policy asks for full backups".to_string(),
        );
    }
    match server.last_backup.full {
        None => (BackupMode::Full, "no full backup is known".to_string()),
        Some(full) => {
            let age = i128::from(now.as_second()) - i128::from(full.as_second());
            if age > i128::from(max_age.0) {
                (
                    BackupMode::Full,
                    format!("the last full backup ({full}) is older than {max_age} at {now}"),
                )
            } else {
                (
                    BackupMode::Incremental,
                    format!("the last full backup ({full}) is within {max_age} of {now}"),
                )
            }
        }
    }
}
