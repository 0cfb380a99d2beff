//! Waves on a calendar: with `policy.schedule`, each wave gets a planned
//! start and end, one after the other from the schedule's start, waves with
//! a user-visible step (an upgrade, a switch, a pool change) only inside a
//! window and never across its end; the others also outside the windows
//! when `background_outside_windows` allows.
//!
//! Windows are local times in the schedule's IANA time zone, turned into
//! instants with the offset in force at each one: a local time in a
//! spring-forward gap moves forward to the first valid instant, an ambiguous
//! one (the autumn fold) takes the earlier. A window whose `to` is at or
//! before its `from` closes the next day.

use jiff::civil::{Date, Time};
use jiff::tz::{Disambiguation, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};

use super::reason::{Hint, NoSafePlan, ReasonKind};
use crate::inventory::{Schedule, Window};
use crate::plan::{Plan, PlanWindow, StepKind};

/// The longest a search for a window may look ahead, in days.
const HORIZON_DAYS: i32 = 3660;

/// One opening of a weekly window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Opening {
    start: Timestamp,
    end: Timestamp,
}

/// The instant of a local date and time in the zone (gap: forward; fold:
/// the earlier).
fn instant(tz: &TimeZone, date: Date, minutes: u16) -> Option<Timestamp> {
    let time = Time::new(
        i8::try_from(minutes / 60).ok()?,
        i8::try_from(minutes % 60).ok()?,
        0,
        0,
    )
    .ok()?;
    tz.to_ambiguous_zoned(date.to_datetime(time))
        .disambiguate(Disambiguation::Compatible)
        .ok()
        .map(|z| z.timestamp())
}

/// The opening of `window` on local `date`, if it opens that day.
fn opening(tz: &TimeZone, window: &Window, date: Date) -> Option<Opening> {
    let weekday = u8::try_from(date.weekday().to_monday_zero_offset()).ok()?;
    if !window.days.contains(&weekday) {
        return None;
    }
    let close_date = if window.to <= window.from {
        date.checked_add(1.day()).ok()?
    } else {
        date
    };
    Some(Opening {
        start: instant(tz, date, window.from)?,
        end: instant(tz, close_date, window.to)?,
    })
}

/// The earliest opening in which `duration` fits from no earlier than
/// `after`: the wave starts at the later of `after` and the opening.
fn fit(
    tz: &TimeZone,
    windows: &[Window],
    after: Timestamp,
    duration: SignedDuration,
) -> Option<(Timestamp, Opening)> {
    // A window that opened the day before may still be open.
    let first = after
        .to_zoned(tz.clone())
        .date()
        .checked_sub(1.day())
        .ok()?;
    for offset in 0..HORIZON_DAYS {
        let date = first.checked_add(offset.days()).ok()?;
        let mut best: Option<(Timestamp, Opening)> = None;
        for window in windows {
            let Some(o) = opening(tz, window, date) else {
                continue;
            };
            let start = o.start.max(after);
            let end = start.checked_add(duration).ok()?;
            if end <= o.end && best.is_none_or(|(b, _)| start < b) {
                best = Some((start, o));
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// The longest opening of any window, over a year of dates (daylight
/// saving makes some openings an hour shorter or longer).
fn longest(tz: &TimeZone, windows: &[Window], from: Date) -> SignedDuration {
    let mut most = SignedDuration::ZERO;
    for offset in 0..366 {
        let Ok(date) = from.checked_add(offset.days()) else {
            break;
        };
        for w in windows {
            if let Some(o) = opening(tz, w, date) {
                most = most.max(o.end.duration_since(o.start));
            }
        }
    }
    most
}

/// An RFC 3339 time in the zone's offset at that instant.
fn rfc3339(tz: &TimeZone, t: Timestamp) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Gives every wave of the plan its start and end, and the plan the windows
/// it uses; refuses a wave that must run in a window and is longer than
/// every window.
///
/// A resumed plan starts no earlier than `not_before` (the time it is made),
/// when that is after the schedule's start.
pub(super) fn place(
    plan: &mut Plan,
    schedule: &Schedule,
    not_before: Option<Timestamp>,
) -> Result<(), NoSafePlan> {
    // Validation checked both.
    let (Ok(tz), Ok(start)) = (
        jiff::tz::db().get(&schedule.time_zone),
        schedule.start.parse::<Timestamp>(),
    ) else {
        return Ok(());
    };
    let start = not_before.map_or(start, |t| t.max(start));
    let longest = longest(&tz, &schedule.windows, start.to_zoned(tz.clone()).date());
    let mut now = start;
    let mut used: Vec<Opening> = Vec::new();
    for (w, wave) in plan.waves.iter_mut().enumerate() {
        let seconds = wave.estimated_duration_s.unwrap_or(0);
        let duration = SignedDuration::from_secs(i64::try_from(seconds).unwrap_or(i64::MAX));
        let visible = wave.steps.iter().any(|s| {
            matches!(
                s.kind,
                StepKind::Upgrade | StepKind::MoveSwitch | StepKind::PoolOut | StepKind::PoolIn
            )
        });
        let begin = if visible || !schedule.background_outside_windows {
            let refusal = || {
                NoSafePlan::one(
                    ReasonKind::WaveLongerThanWindows {
                        wave: u32::try_from(w + 1).unwrap_or(u32::MAX),
                        duration_s: seconds,
                        longest_s: u64::try_from(longest.as_secs()).unwrap_or(0),
                    },
                    vec![Hint::LongerWindow(seconds)],
                )
            };
            if duration > longest {
                return Err(refusal());
            }
            let (begin, opening) =
                fit(&tz, &schedule.windows, now, duration).ok_or_else(refusal)?;
            if used.last() != Some(&opening) {
                used.push(opening);
            }
            begin
        } else {
            now
        };
        let end = begin.checked_add(duration).unwrap_or(begin);
        wave.start = Some(rfc3339(&tz, begin));
        wave.end = Some(rfc3339(&tz, end));
        now = end;
    }
    plan.summary.windows = used
        .iter()
        .map(|o| PlanWindow {
            start: rfc3339(&tz, o.start),
            end: rfc3339(&tz, o.end),
        })
        .collect();
    Ok(())
}

/// When the waves of `plan` from position `first` (0-based) on would end if
/// they ran on the plan's recorded schedule from `from` on: how `planner
/// status` gives the end in real time. `None` without a schedule, or when a
/// wave fits in no window.
pub fn end_from(plan: &Plan, first: usize, from: Timestamp) -> Option<Timestamp> {
    let recorded = plan.policy.schedule.as_ref()?;
    let minutes = |hhmm: &str| -> Option<u16> {
        let (h, m) = hhmm.split_once(':')?;
        let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let mut windows = Vec::with_capacity(recorded.windows.len());
    for w in &recorded.windows {
        let days = w
            .days
            .iter()
            .filter_map(|d| {
                crate::inventory::Weekday::ALL
                    .iter()
                    .position(|x| x.as_str() == d)
            })
            .filter_map(|i| u8::try_from(i).ok())
            .collect();
        windows.push(Window {
            days,
            from: minutes(&w.from)?,
            to: minutes(&w.to)?,
        });
    }
    let schedule = Schedule {
        start: recorded.start.clone(),
        time_zone: recorded.time_zone.clone(),
        windows,
        background_outside_windows: recorded.background_outside_windows,
    };
    let mut left = plan.clone();
    left.waves.drain(..first.min(left.waves.len()));
    left.resumed_from = None;
    left.summary.windows.clear();
    place(&mut left, &schedule, Some(from)).ok()?;
    left.waves.last()?.end.as_deref()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_night_across_the_autumn_change_lasts_nine_hours() {
        // Europe/Rome, Saturday 2026-10-24 22:00 (+02:00) to Sunday 06:00
        // (+01:00): the clocks go back at 03:00, so the night is nine hours.
        let tz = jiff::tz::db().get("Europe/Rome").expect("the zone");
        let window = Window {
            days: vec![4, 5],
            from: 22 * 60,
            to: 6 * 60,
        };
        let date = Date::new(2026, 10, 24).expect("a date");
        let o = opening(&tz, &window, date).expect("a Saturday opening");
        assert_eq!(rfc3339(&tz, o.start), "2026-10-24T22:00:00+02:00");
        assert_eq!(rfc3339(&tz, o.end), "2026-10-25T06:00:00+01:00");
        assert_eq!(o.end.duration_since(o.start), SignedDuration::from_hours(9));
        // Thursdays are closed; the spring gap moves a 02:30 opening forward.
        assert!(opening(&tz, &window, Date::new(2026, 10, 22).expect("a date")).is_none());
        let spring = Window {
            days: vec![6],
            from: 2 * 60 + 30,
            to: 5 * 60,
        };
        let o = opening(&tz, &spring, Date::new(2026, 3, 29).expect("a date")).expect("Sunday");
        assert_eq!(rfc3339(&tz, o.start), "2026-03-29T03:30:00+02:00");
    }

    #[test]
    fn a_wave_that_does_not_fit_the_rest_of_a_window_waits_for_the_next() {
        let tz = jiff::tz::db().get("Europe/Rome").expect("the zone");
        let windows = [Window {
            days: vec![4, 5],
            from: 22 * 60,
            to: 6 * 60,
        }];
        // Saturday 05:00: one hour left in Friday's night, so a two-hour wave
        // waits for Saturday 22:00.
        let after: Timestamp = "2026-10-24T05:00:00+02:00".parse().expect("a time");
        let (start, o) =
            fit(&tz, &windows, after, SignedDuration::from_hours(2)).expect("a window");
        assert_eq!(rfc3339(&tz, start), "2026-10-24T22:00:00+02:00");
        assert_eq!(rfc3339(&tz, o.end), "2026-10-25T06:00:00+01:00");
        // A half-hour wave fits the rest of Friday's night.
        let (start, _) =
            fit(&tz, &windows, after, SignedDuration::from_mins(30)).expect("a window");
        assert_eq!(rfc3339(&tz, start), "2026-10-24T05:00:00+02:00");
    }
}
