//! The schedule (SPEC section 11), checked independently of the engine's
//! calendar: with `policy.schedule`, every wave has a start and an end, the
//! waves follow one another from the schedule's start, each lasts its
//! estimate, and a wave with a user-visible step (or any wave, when
//! background work may not run outside the windows) lies inside one opening
//! of a window; without a schedule, waves have no times.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Disambiguation, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};

use super::{Ctx, Report, Rule};
use crate::inventory::{Schedule, Window};
use crate::plan::{Plan, StepKind};

/// The first `history` waves are steps done before a resume: they have no
/// times, and the rest follow the schedule from its start (or later).
pub(super) fn check(plan: &Plan, ctx: &Ctx<'_>, history: u32, report: &mut Report) {
    let Some(schedule) = &ctx.policy.schedule else {
        if plan
            .waves
            .iter()
            .any(|w| w.start.is_some() || w.end.is_some())
        {
            report.plan(
                Rule::Schedule,
                "the plan gives waves times, but the inventory's policy has no schedule".into(),
            );
        }
        return;
    };
    let (Ok(tz), Ok(first)) = (
        jiff::tz::db().get(&schedule.time_zone),
        schedule.start.parse::<Timestamp>(),
    ) else {
        return;
    };
    let mut previous = first;
    for (i, wave) in plan.waves.iter().enumerate() {
        let w = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if w <= history {
            continue;
        }
        let parse = |t: &Option<String>| t.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
        let (Some(start), Some(end)) = (parse(&wave.start), parse(&wave.end)) else {
            report.wave(
                w,
                Rule::Schedule,
                "the wave has no RFC 3339 start and end, but the policy has a schedule".into(),
            );
            return;
        };
        let (start_text, end_text) = (
            wave.start.as_deref().unwrap_or(""),
            wave.end.as_deref().unwrap_or(""),
        );
        if start < previous {
            report.wave(
                w,
                Rule::Schedule,
                format!(
                    "the wave starts at {start_text}, before the previous wave ends or the \
                     schedule starts"
                ),
            );
        }
        let lasts = end.duration_since(start);
        let estimate = SignedDuration::from_secs(
            i64::try_from(wave.estimated_duration_s.unwrap_or(0)).unwrap_or(i64::MAX),
        );
        if lasts != estimate {
            report.wave(
                w,
                Rule::Schedule,
                format!("the wave lasts {lasts:?} from its start to its end, not its estimate of {estimate:?}"),
            );
        }
        let visible = wave.steps.iter().any(|s| {
            matches!(
                s.kind,
                StepKind::Upgrade | StepKind::MoveSwitch | StepKind::PoolOut | StepKind::PoolIn
            )
        });
        if (visible || !schedule.background_outside_windows) && !inside(&tz, schedule, start, end) {
            report.wave(
                w,
                Rule::Schedule,
                format!(
                    "the wave runs from {start_text} to {end_text}, not inside one window, though it {}",
                    if visible {
                        "holds an upgrade, a switch or a pool change"
                    } else {
                        "must: background_outside_windows is false"
                    }
                ),
            );
        }
        previous = end;
    }
}

/// Whether [start, end] lies inside one opening of a window: one that opens
/// on the local date of `start` or the day before.
fn inside(tz: &TimeZone, schedule: &Schedule, start: Timestamp, end: Timestamp) -> bool {
    let date = start.to_zoned(tz.clone()).date();
    [date.checked_sub(1.day()), Ok(date)]
        .into_iter()
        .flatten()
        .any(|day| {
            schedule.windows.iter().any(|w| {
                opening(tz, w, day).is_some_and(|(open, close)| open <= start && end <= close)
            })
        })
}

/// When `window` opens and closes if it opens on `day`.
fn opening(tz: &TimeZone, window: &Window, day: Date) -> Option<(Timestamp, Timestamp)> {
    let weekday = u8::try_from(day.weekday().to_monday_zero_offset()).ok()?;
    if !window.days.contains(&weekday) {
        return None;
    }
    let at = |d: Date, minutes: u16| -> Option<Timestamp> {
        let local = DateTime::new(
            d.year(),
            d.month(),
            d.day(),
            i8::try_from(minutes / 60).ok()?,
            i8::try_from(minutes % 60).ok()?,
            0,
            0,
        )
        .ok()?;
        tz.to_ambiguous_zoned(local)
            .disambiguate(Disambiguation::Compatible)
            .ok()
            .map(|z| z.timestamp())
    };
    let close_day = if window.to <= window.from {
        day.checked_add(1.day()).ok()?
    } else {
        day
    };
    Some((at(day, window.from)?, at(close_day, window.to)?))
}
