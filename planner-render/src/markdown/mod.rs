//! `--format markdown`: the change-approval document a board reads and signs.
//!
//! A change board reads this on a code forge or on paper, so it leads with
//! what changes and why, then what could go wrong, what to check before the
//! window, the waves as tables, how full each mailstore gets, whom to warn,
//! how to roll back each phase, which commands run, and ends with a sign-off
//! table. Every figure comes from the `Plan`; names from the inventory are
//! escaped so that no account or hostname can break a table or turn into
//! emphasis, and the same plan always gives the same bytes.
//!
//! Servers' roles and sites come from the plan's `servers`, and so do the
//! mailstores' disks and the ceilings `max_fill` puts on them: fill is shown
//! as a share of each store's disk, the ceiling marked, and the capacity
//! pre-check sets each peak against its ceiling. Plans written before
//! `servers` existed still render: their roles are what their structured
//! fields say (see `roles.rs`) and their fill is shown in bytes, with bars
//! that compare stores with one another.
//!
//! One module per section of the document, in its order; `prose`, `table`
//! and `figures` hold what the sections share: escaping and wrapping, tables,
//! and figures computed once.

use std::io::{self, Write};

use planner_core::plan::Plan;

/// Writes one line (or a blank line) and returns the writer's error.
macro_rules! put {
    ($out:expr) => {
        writeln!($out)?
    };
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*)?
    };
}

mod commands;
mod figures;
mod fill;
mod prechecks;
mod prose;
mod roles;
mod rollback;
mod signoff;
mod stores;
mod summary;
mod table;
mod timeline;
mod title;
mod users;
mod waves;

pub use prose::escape;

/// Writes the plan as a change-approval document.
pub fn render<W: io::Write>(plan: &Plan, out: &mut W) -> io::Result<()> {
    let mut document = OneNewlineAtTheEnd::new(out);
    sections(&mut document, plan)?;
    document.finish()
}

/// Writes the sections, in the document's order.
fn sections(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let roles = roles::Roles::of(plan);
    title::title(out, plan)?;
    title::decision(out, plan)?;
    roles::notes(out, plan)?;
    summary::summary(out, plan)?;
    summary::risks(out, plan)?;
    prechecks::prechecks(out, plan, &roles)?;
    waves::waves(out, plan)?;
    fill::fill(out, plan)?;
    timeline::timeline(out, plan)?;
    users::users(out, plan)?;
    rollback::rollback(out, plan, &roles)?;
    commands::commands(out, plan, &roles)?;
    signoff::signoff(out, plan)
}

/// The plan as a change-approval document, as a `String`.
pub fn to_string(plan: &Plan) -> String {
    crate::to_string(plan, render)
}

/// A writer that holds back line breaks until more text follows them, so that
/// the document ends with the one line break `render` writes, whatever the
/// last section wrote before it: each section ends with a blank line that
/// separates it from the next.
struct OneNewlineAtTheEnd<'a, W: Write> {
    inner: &'a mut W,
    /// Line breaks written but not yet passed on.
    held: usize,
}

impl<'a, W: Write> OneNewlineAtTheEnd<'a, W> {
    fn new(inner: &'a mut W) -> Self {
        OneNewlineAtTheEnd { inner, held: 0 }
    }

    /// Ends the document with one line break, whatever was held back.
    fn finish(self) -> io::Result<()> {
        self.inner.write_all(b"\n")
    }
}

impl<W: Write> Write for OneNewlineAtTheEnd<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text_len = buf.iter().rposition(|b| *b != b'\n').map_or(0, |i| i + 1);
        if text_len > 0 {
            for _ in 0..self.held {
                self.inner.write_all(b"\n")?;
            }
            self.inner.write_all(&buf[..text_len])?;
            self.held = 0;
        }
        self.held += buf.len() - text_len;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What a section writes, as text, for the sections' unit tests.
#[cfg(test)]
fn section(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    crate::testing::written(|out| write(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn the_document_ends_with_one_line_break() {
        let mut out = Vec::new();
        {
            let mut w = OneNewlineAtTheEnd::new(&mut out);
            w.write_all(b"a\n\n")
                .and_then(|()| w.write_all(b"\nb\n\n\n"))
                .expect("memory");
            w.finish().expect("memory");
        }
        assert_eq!(out, b"a\n\n\nb\n");
        let text = to_string(&testing::plan());
        assert!(text.starts_with("# Change approval: rolling upgrade to 10.1.5\n\n"));
        assert!(text.ends_with(" |\n") && !text.ends_with("\n\n"));
    }
}
