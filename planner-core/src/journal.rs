//! The progress journal the script writes, and what it says about a plan.
//!
//! One line per event, appended as the script runs: `STEP_ID started TIME`,
//! then `STEP_ID done TIME` or `STEP_ID failed TIME MESSAGE`, with TIME in
//! RFC 3339. The last line for an id wins. [`parse`] reads the text (the
//! caller reads the file); [`status`] sets it against a plan: what is done,
//! what is left, what failed, and when the rest should end.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;

use crate::plan::Plan;

/// The state a journal line gives a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepState {
    /// It started and has not ended (it may still run, or have half run).
    Started,
    /// It ended well.
    Done,
    /// It failed.
    Failed,
}

/// One journal line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The step id.
    pub id: String,
    /// What happened.
    pub state: StepState,
    /// When.
    pub time: Timestamp,
    /// Why it failed, for `failed` lines.
    pub message: Option<String>,
    /// Its line number, from 1.
    pub line: usize,
}

/// A line of the journal that is not a journal line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalError {
    /// Its line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads a journal's text: every line, in order; blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Entry>, JournalError> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let error = |message: String| JournalError { line, message };
        let mut parts = raw.splitn(4, ' ');
        let (Some(id), Some(state), Some(time)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(error(format!(
                "`{raw}` is not `STEP_ID started|done|failed TIME [MESSAGE]`"
            )));
        };
        let state = match state {
            "started" => StepState::Started,
            "done" => StepState::Done,
            "failed" => StepState::Failed,
            other => {
                return Err(error(format!(
                    "unknown state `{other}`: a journal line says started, done or failed"
                )));
            }
        };
        let time = time
            .parse::<Timestamp>()
            .map_err(|_| error(format!("`{time}` is not an RFC 3339 time")))?;
        entries.push(Entry {
            id: id.to_string(),
            state,
            time,
            message: parts.next().map(str::to_string),
            line,
        });
    }
    Ok(entries)
}

/// Where a plan stands, by its journal.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Steps in the plan, and those the journal has as done.
    pub steps: usize,
    /// Steps done.
    pub done: usize,
    /// Waves every step of which is done.
    pub waves_done: usize,
    /// The first wave with a step not done (1-based), if any.
    pub current_wave: Option<u32>,
    /// Steps whose last line is `failed`, with their wave and line.
    pub failed: Vec<(u32, Entry)>,
    /// Steps whose last line is `started`: running, or stopped half way.
    pub started: Vec<(u32, Entry)>,
    /// Ids in the journal that the plan does not have (another plan's
    /// journal, or a plan made again since). For a resumed plan, the steps
    /// done before it are known, and so are the steps of the plan it
    /// continues that did not finish (it plans them again, under new ids).
    pub unknown: Vec<String>,
    /// For a resumed plan: the steps done before it (`resumed_from.done`).
    pub done_before: usize,
    /// The estimated work left: the estimates of the waves not done
    /// (`None` when the plan has no estimates).
    pub left_s: Option<u64>,
    /// The journal's last time.
    pub last_time: Option<Timestamp>,
    /// When the work left is counted from: the journal's last time, or the
    /// plan's `now` when that is later (a plan made after the last line).
    pub from: Option<Timestamp>,
    /// With a schedule, when the waves left would end on it from `from`
    /// (the windows they need included); `None` without one.
    pub end_on_calendar: Option<Timestamp>,
}

impl Status {
    /// When the work left should end: on the schedule's windows when the
    /// plan has one, else at the plan's estimates counted from `from`.
    pub fn estimated_end(&self) -> Option<Timestamp> {
        if self.end_on_calendar.is_some() {
            return self.end_on_calendar;
        }
        let left = i64::try_from(self.left_s?).ok()?;
        self.from?
            .checked_add(jiff::SignedDuration::from_secs(left))
            .ok()
    }
}

/// Sets a journal against a plan.
pub fn status(plan: &Plan, entries: &[Entry]) -> Status {
    let mut last: BTreeMap<&str, &Entry> = BTreeMap::new();
    for e in entries {
        last.insert(e.id.as_str(), e);
    }
    let mut wave_of: BTreeMap<&str, u32> = BTreeMap::new();
    let mut status = Status {
        steps: 0,
        done: 0,
        waves_done: 0,
        current_wave: None,
        failed: Vec::new(),
        started: Vec::new(),
        unknown: Vec::new(),
        done_before: plan.done_before().len(),
        left_s: None,
        last_time: entries.iter().map(|e| e.time).max(),
        from: None,
        end_on_calendar: None,
    };
    let mut left: Option<u64> = Some(0);
    for (w, wave) in plan.waves.iter().enumerate() {
        let index = u32::try_from(w + 1).unwrap_or(u32::MAX);
        let mut all_done = true;
        for step in &wave.steps {
            wave_of.insert(step.id.as_str(), index);
            status.steps += 1;
            match last.get(step.id.as_str()).map(|e| (e.state, *e)) {
                Some((StepState::Done, _)) => status.done += 1,
                Some((StepState::Failed, e)) => {
                    all_done = false;
                    status.failed.push((index, e.clone()));
                }
                Some((StepState::Started, e)) => {
                    all_done = false;
                    status.started.push((index, e.clone()));
                }
                None => all_done = false,
            }
        }
        if all_done {
            status.waves_done += 1;
        } else {
            status.current_wave.get_or_insert(index);
            left = match (left, wave.estimated_duration_s) {
                (Some(sum), Some(d)) => Some(sum.saturating_add(d)),
                _ => None,
            };
        }
    }
    status.left_s = left;
    let now = plan.now.parse::<Timestamp>().ok();
    status.from = match (status.last_time, now) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let (Some(from), Some(first)) = (status.from, status.current_wave) {
        let left = (first as usize).saturating_sub(1);
        status.end_on_calendar = crate::engine::end_from(plan, left, from);
    }
    let before: std::collections::BTreeSet<&str> =
        plan.done_before().iter().map(|s| s.id.as_str()).collect();
    let resumed = plan.resumed_from.is_some();
    status.unknown = last
        .iter()
        .filter(|(id, e)| {
            let known = wave_of.contains_key(*id) || before.contains(*id);
            // A resumed plan took up its predecessor's unfinished steps.
            let taken_up = resumed && e.state != StepState::Done;
            !known && !taken_up
        })
        .map(|(id, _)| id.to_string())
        .collect();
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_lines_are_read_with_their_numbers() {
        let text = "a started 2026-12-05T21:00:00Z\n\na done 2026-12-05T21:30:00Z\nb failed 2026-12-05T21:31:00+01:00 zmprov failed: no such account\n";
        let entries = parse(text).expect("a journal");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].line, 3);
        assert_eq!(entries[2].state, StepState::Failed);
        assert_eq!(
            entries[2].message.as_deref(),
            Some("zmprov failed: no such account")
        );
        let bad = parse("a started yesterday\n").expect_err("a bad time");
        assert_eq!(
            bad.to_string(),
            "line 1: `yesterday` is not an RFC 3339 time"
        );
        let bad = parse("a begun 2026-12-05T21:00:00Z\n").expect_err("a bad state");
        assert_eq!(bad.line, 1);
        assert!(parse("just-an-id\n").is_err());
    }
}
