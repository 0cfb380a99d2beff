//! Resolves the `policy` section: every default filled in, every value checked.
//!
//! Planning reads a [`Policy`] with no optional settings, so the defaults live
//! here, in one place, beside the checks of the values an operator wrote.

use super::{Ctx, parse_unit, set_hint};
use crate::diagnostic::did_you_mean;
use crate::inventory::Version;
use crate::inventory::model::{Policy, Rates, Schedule, Window};
use crate::inventory::names::Account;
use crate::inventory::profile::Profile;
use crate::inventory::raw::{
    DurationText, EvacuatePolicy, FractionText, RawPolicy, RawRates, RawSchedule, Strategy,
};
use crate::inventory::tools::Tools;
use crate::inventory::units::{BytesPerSecond, Fraction, Seconds};

/// The policy with defaults filled in.
pub(super) fn resolve_policy(
    raw: &RawPolicy,
    profile: &Profile,
    target: &Version,
    ctx: &mut Ctx<'_>,
) -> Policy {
    let tools = resolve_tools(raw, profile, target, ctx);
    let max_fill = resolve_max_fill(raw, ctx);
    let size_overhead = fraction(
        ctx,
        "size_overhead",
        raw.size_overhead.as_ref(),
        Fraction::ZERO,
    );
    let full_backup_max_age = raw
        .full_backup_max_age
        .as_ref()
        .and_then(|t| parse_unit(ctx, "policy.full_backup_max_age", t.text(), Seconds::parse))
        .unwrap_or(Seconds(7 * 86_400));
    let max_parallel_moves = at_least_one(ctx, "max_parallel_moves", raw.max_parallel_moves, 4);
    let max_moves_per_source =
        at_least_one(ctx, "max_moves_per_source", raw.max_moves_per_source, 1);
    let max_parallel_upgrades =
        at_least_one(ctx, "max_parallel_upgrades", raw.max_parallel_upgrades, 1);
    let allow_outage = resolve_allow_outage(raw, profile, ctx);
    let notify = raw
        .notify
        .as_ref()
        .and_then(|n| parse_unit(ctx, "policy.notify", n, Account::parse));
    let rates = raw.rates.as_ref().and_then(|r| resolve_rates(r, ctx));
    let schedule = raw
        .schedule
        .as_ref()
        .and_then(|s| resolve_schedule(s, raw.rates.is_some(), ctx));
    Policy {
        strategy: raw.strategy.unwrap_or(Strategy::Auto),
        max_fill,
        size_overhead,
        evacuate: resolve_evacuate(raw, tools, ctx),
        move_by: raw.move_by.unwrap_or_default(),
        two_stage_moves: raw
            .two_stage_moves
            .unwrap_or(profile.two_stage_moves && tools.has_stages()),
        backup: raw.backup.unwrap_or_default(),
        full_backup_max_age,
        max_parallel_moves,
        max_moves_per_source,
        max_parallel_upgrades,
        purge: raw.purge.unwrap_or_default(),
        backup_after_upgrade: raw.backup_after_upgrade.unwrap_or_default(),
        cross_site_moves: raw.cross_site_moves.unwrap_or(false),
        allow_outage,
        notify,
        rates,
        tools,
        schedule,
    }
}

/// The schedule: a start with an offset, a time zone the bundled database
/// knows, windows of known days and `HH:MM` times; rates are needed to
/// place the waves in time.
fn resolve_schedule(raw: &RawSchedule, rates: bool, ctx: &mut Ctx<'_>) -> Option<Schedule> {
    let mut ok = true;
    if !rates {
        ctx.error(
            "policy.schedule",
            "a schedule needs rates: without them no wave has a duration to place in the windows",
        )
        .hint = Some("add policy.rates (copy, delta_fraction, switch_per_account, upgrade)".into());
        ok = false;
    }
    if raw.start.parse::<jiff::Timestamp>().is_err() {
        ctx.error(
            "policy.schedule.start",
            format!("`{}` is not an RFC 3339 time with an offset", raw.start),
        )
        .hint = Some("such as 2026-12-05T22:00:00+01:00".into());
        ok = false;
    }
    if jiff::tz::db().get(&raw.time_zone).is_err() {
        ctx.error(
            "policy.schedule.time_zone",
            format!("unknown time zone `{}`", raw.time_zone),
        )
        .hint = Some("an IANA name, such as Europe/Rome or America/New_York".into());
        ok = false;
    }
    if raw.windows.is_empty() {
        ctx.error(
            "policy.schedule.windows",
            "a schedule needs at least one window",
        );
        ok = false;
    }
    let mut windows = Vec::new();
    for (i, w) in raw.windows.iter().enumerate() {
        if w.days.is_empty() {
            ctx.error(
                format!("policy.schedule.windows[{i}].days"),
                "a window needs at least one day",
            );
            ok = false;
        }
        let mut time = |key: &str, text: &str| {
            let parsed = minutes(text);
            if parsed.is_none() {
                ctx.error(
                    format!("policy.schedule.windows[{i}].{key}"),
                    format!("`{text}` is not a time of day HH:MM"),
                )
                .hint = Some("such as 22:00 or 06:30".into());
            }
            parsed
        };
        let (from, to) = (time("from", &w.from), time("to", &w.to));
        let (Some(from), Some(to)) = (from, to) else {
            ok = false;
            continue;
        };
        let mut days: Vec<u8> = w.days.iter().map(|d| d.days_from_monday()).collect();
        days.sort_unstable();
        days.dedup();
        windows.push(Window { days, from, to });
    }
    ok.then(|| Schedule {
        start: raw.start.clone(),
        time_zone: raw.time_zone.clone(),
        windows,
        background_outside_windows: raw.background_outside_windows.unwrap_or(true),
    })
}

/// `HH:MM` as minutes after midnight.
fn minutes(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// The toolset: the inventory's, or the default for its profile and target.
/// Carbonio's commands serve only the Carbonio profile and Zimbra's only
/// Zimbra; a toolset without stages cannot run two-stage moves.
fn resolve_tools(raw: &RawPolicy, profile: &Profile, target: &Version, ctx: &mut Ctx<'_>) -> Tools {
    let tools = raw
        .tools
        .unwrap_or_else(|| Tools::default_for(&profile.name, target));
    if !tools.serves(&profile.name) {
        let works: Vec<&str> = Tools::ALL
            .iter()
            .filter(|t| t.serves(&profile.name))
            .map(|t| t.as_str())
            .collect();
        ctx.error(
            "policy.tools",
            format!(
                "tools: {tools} does not serve the {} profile",
                profile.name.as_str()
            ),
        )
        .hint = Some(format!("use one of: {}", works.join(", ")));
    }
    if raw.two_stage_moves == Some(true) && !tools.has_stages() {
        ctx.error(
            "policy.two_stage_moves",
            format!(
                "two_stage_moves is true, but the {tools} toolset has no stages: {}",
                match tools {
                    Tools::None => "it does not move mailboxes",
                    Tools::Carbonio => "carbonio powerstore mailboxMove copies and switches in one run",
                    _ => "zmmboxmove copies, syncs and switches in one run",
                }
            ),
        )
        .hint = Some("remove two_stage_moves (it defaults to false with this toolset), or use tools: zextras on ZCS 8.8.15 or 9.0".into());
    }
    tools
}

/// Whether mailstores are emptied: the inventory's choice, except that
/// without a move tool (`tools: none`) they are upgraded in place.
fn resolve_evacuate(raw: &RawPolicy, tools: Tools, ctx: &mut Ctx<'_>) -> EvacuatePolicy {
    let asked = raw.evacuate.unwrap_or(EvacuatePolicy::Always);
    if tools.moves() || asked == EvacuatePolicy::Never {
        return asked;
    }
    ctx.warning(
        "policy.tools",
        "tools: none has no tool to move mailboxes, so evacuate is treated as never: every \
         mailstore is upgraded in place, an outage for its users while it upgrades",
    )
    .hint = Some(
        "with Zextras Suite (ZCS 8.8.15, 9.0) or Zimbra Network Edition, set tools to zextras \
         or zimbra-ne and the stores can be emptied first"
            .into(),
    );
    EvacuatePolicy::Never
}

/// A fraction under `policy`, or its default when absent or wrong (the
/// problem is recorded, so the default never reaches a plan).
fn fraction(
    ctx: &mut Ctx<'_>,
    key: &str,
    text: Option<&FractionText>,
    default: Fraction,
) -> Fraction {
    text.and_then(|t| parse_unit(ctx, &format!("policy.{key}"), t.text(), Fraction::parse))
        .unwrap_or(default)
}

/// The ceiling on every store, 90% unless set; it must leave some room and
/// cannot exceed the disk.
fn resolve_max_fill(raw: &RawPolicy, ctx: &mut Ctx<'_>) -> Fraction {
    let max_fill = fraction(ctx, "max_fill", raw.max_fill.as_ref(), Fraction(900_000));
    if !max_fill.is_valid_fill() {
        ctx.error(
            "policy.max_fill",
            format!("max_fill must be above 0% and at most 100%, not {max_fill}"),
        )
        .hint = Some("the default is 90%: leave room for growth and for the index".into());
    }
    max_fill
}

/// A parallelism limit under `policy`, or its default; zero would let no
/// step run at all.
fn at_least_one(ctx: &mut Ctx<'_>, key: &str, value: Option<u32>, default: u32) -> u32 {
    let value = value.unwrap_or(default);
    if value == 0 {
        ctx.error(format!("policy.{key}"), format!("{key} must be at least 1"));
    }
    value
}

/// The roles and groups allowed to go down entirely, sorted and deduplicated;
/// an unknown name is an error, since it would allow nothing.
fn resolve_allow_outage(raw: &RawPolicy, profile: &Profile, ctx: &mut Ctx<'_>) -> Vec<String> {
    let mut allow_outage = Vec::new();
    let known: Vec<&str> = profile
        .roles
        .iter()
        .map(|r| r.name.as_str())
        .chain(profile.groups.iter().map(|g| g.name.as_str()))
        .collect();
    for (i, name) in raw.allow_outage.iter().flatten().enumerate() {
        if known.contains(&name.as_str()) {
            allow_outage.push(name.clone());
        } else {
            let hint = crate::inventory::profile::service_hint(profile.name, name)
                .or_else(|| did_you_mean(name, known.iter().copied()));
            let d = ctx.error(
                format!("policy.allow_outage[{i}]"),
                format!("unknown role or group `{name}`"),
            );
            set_hint(d, hint);
        }
    }
    allow_outage.sort();
    allow_outage.dedup();
    allow_outage
}

/// The measured rates, for durations; every field is parsed (so every
/// problem is reported) before any missing one drops the whole.
fn resolve_rates(r: &RawRates, ctx: &mut Ctx<'_>) -> Option<Rates> {
    let copy = parse_unit(
        ctx,
        "policy.rates.copy",
        r.copy.text(),
        BytesPerSecond::parse,
    );
    let delta = parse_unit(
        ctx,
        "policy.rates.delta_fraction",
        r.delta_fraction.text(),
        Fraction::parse,
    );
    if delta.is_some_and(|d| d > Fraction::ONE) {
        ctx.error(
            "policy.rates.delta_fraction",
            "delta_fraction cannot be above 100%",
        );
    }
    let switch = parse_unit(
        ctx,
        "policy.rates.switch_per_account",
        r.switch_per_account.text(),
        Seconds::parse,
    );
    let upgrade = parse_unit(
        ctx,
        "policy.rates.upgrade",
        r.upgrade.text(),
        Seconds::parse,
    );
    // Every rate is parsed before any is given up on, so that all their
    // problems are reported at once; `Some(None)` is a rate left out.
    let backup = match &r.backup {
        Some(t) => {
            parse_unit(ctx, "policy.rates.backup", t.text(), BytesPerSecond::parse).map(Some)
        }
        None => Some(None),
    };
    let duration = |ctx: &mut Ctx<'_>, key: &str, text: Option<&DurationText>, default: u64| {
        text.map_or(Some(Seconds(default)), |t| {
            parse_unit(
                ctx,
                &format!("policy.rates.{key}"),
                t.text(),
                Seconds::parse,
            )
        })
    };
    let health_check = duration(ctx, "health_check", r.health_check.as_ref(), 5 * 60);
    let manual = duration(ctx, "manual", r.manual.as_ref(), 10 * 60);
    Some(Rates {
        copy: copy?,
        delta_fraction: delta?,
        switch_per_account: switch?,
        upgrade: upgrade?,
        backup: backup?,
        health_check: health_check?,
        manual: manual?,
    })
}
