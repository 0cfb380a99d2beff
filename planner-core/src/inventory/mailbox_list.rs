//! Mailbox lists exported from the servers: `zmprov gqu`, CSV and plain
//! account lists.
//!
//! Lists can have a million lines, so they are read line by line from bytes,
//! without building any tree, and each problem is reported with its file and
//! line. After a few problems in one file the rest are only counted, so a
//! wholly wrong file gives a short, readable refusal.

use std::collections::HashMap;

use super::model::{Mailbox, ServerId};
use super::names::Account;
use super::units::Bytes;
use crate::diagnostic::Diagnostic;

/// Problems shown per file before the rest are only counted.
const SHOWN_PER_FILE: usize = 20;

/// Where a mailbox was listed, for duplicate reports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    /// 0 for the inline list, 1 + i for `mailbox_files[i]`.
    pub source: u32,
    /// The line in a file, or the index in the inline list.
    pub line: u32,
}

/// How a list's stores are found.
pub(crate) enum StoreOf<'a> {
    /// Every line is on this store.
    Fixed(ServerId),
    /// Each line names its store, looked up among the mailstores.
    PerLine {
        /// Lower-case mailstore names.
        mailstores: &'a HashMap<String, ServerId>,
        /// Every server name, to tell "not a mailstore" from "unknown".
        servers: &'a HashMap<String, ServerId>,
    },
}

/// The format-specific part of reading one line.
pub(crate) enum Shape {
    /// `account limit used`.
    Gqu,
    /// `account,store,size`, after a header.
    Csv,
    /// `account`, with this size assumed.
    Accounts(Bytes),
}

/// Collects mailboxes and problems from one list.
pub(crate) struct ListReader<'a> {
    pub label: &'a str,
    pub source: u32,
    pub shape: Shape,
    pub store: StoreOf<'a>,
}

struct Problems<'a> {
    label: &'a str,
    shown: usize,
    more: usize,
    out: &'a mut Vec<Diagnostic>,
}

impl Problems<'_> {
    fn add(&mut self, line: u32, column: u32, message: String, hint: Option<&str>) {
        if self.shown < SHOWN_PER_FILE {
            let mut d = Diagnostic::error(self.label, message).at(line, column);
            if let Some(h) = hint {
                d = d.hint(h);
            }
            self.out.push(d);
            self.shown += 1;
        } else {
            self.more += 1;
        }
    }
}

/// The UTF-8 byte-order mark some editors write at the start of a file.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

impl ListReader<'_> {
    /// Reads the whole list, appending mailboxes, their origins and problems.
    pub fn read(
        &self,
        bytes: &[u8],
        mailboxes: &mut Vec<Mailbox>,
        origins: &mut Vec<Origin>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut problems = Problems {
            label: self.label,
            shown: 0,
            more: 0,
            out: diagnostics,
        };
        let mut header_seen = false;
        let mut last_line: u32 = 0;
        // Editors on Windows start UTF-8 files with a byte-order mark; it is
        // not part of the first line's text.
        let bytes = bytes.strip_prefix(BYTE_ORDER_MARK).unwrap_or(bytes);
        for (index, raw_line) in bytes.split(|b| *b == b'\n').enumerate() {
            let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
            last_line = line_no;
            let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            let line = match std::str::from_utf8(raw_line) {
                Ok(l) => l,
                Err(e) => {
                    let column = u32::try_from(e.valid_up_to() + 1).unwrap_or(u32::MAX);
                    problems.add(line_no, column, "this line is not valid UTF-8".into(), None);
                    continue;
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            if matches!(self.shape, Shape::Csv) && !header_seen {
                header_seen = true;
                if line.trim() != "account,store,size" {
                    problems.add(
                        line_no,
                        1,
                        format!("the first line is `{}`, not the header `account,store,size`", clip(line)),
                        Some("a csv mailbox list starts with exactly `account,store,size`, without quoting"),
                    );
                    // Without the header the columns are unknown: stop here.
                    break;
                }
                continue;
            }
            match self.read_line(line) {
                Ok((account, store, size)) => {
                    mailboxes.push(Mailbox {
                        account,
                        store,
                        size,
                        assumed: matches!(self.shape, Shape::Accounts(_)),
                    });
                    origins.push(Origin {
                        source: self.source,
                        line: line_no,
                    });
                }
                Err((column, message, hint)) => problems.add(line_no, column, message, hint),
            }
        }
        if matches!(self.shape, Shape::Csv) && !header_seen {
            problems.add(
                1,
                1,
                "the file is empty: the header `account,store,size` is missing".into(),
                None,
            );
        }
        if problems.more > 0 {
            let more = problems.more;
            problems.out.push(
                Diagnostic::error(
                    self.label,
                    format!("{more} more lines with problems are not shown"),
                )
                .at(last_line, 1),
            );
        }
    }

    fn read_line(&self, line: &str) -> Result<(Account, ServerId, Bytes), LineProblem> {
        match self.shape {
            Shape::Gqu => {
                let fields: Vec<(usize, &str)> = fields(line, ' ');
                let [(_, account), (limit_at, limit), (used_at, used)] = fields[..] else {
                    return Err((
                        1,
                        format!("expected `account limit used`, found `{}`", clip(line)),
                        Some(
                            "a zmprov-gqu list is the output of `zmprov gqu SERVER`: three fields separated by spaces",
                        ),
                    ));
                };
                let account = Account::parse(account).map_err(|m| (1, m, None))?;
                limit.parse::<u64>().map_err(|_| {
                    (
                        col(limit_at),
                        format!("the quota limit `{}` is not a number of bytes", clip(limit)),
                        None,
                    )
                })?;
                let used = used.parse::<u64>().map_err(|_| {
                    (
                        col(used_at),
                        format!("the quota usage `{}` is not a number of bytes", clip(used)),
                        None,
                    )
                })?;
                Ok((account, self.fixed_store(), Bytes(used)))
            }
            Shape::Accounts(size) => {
                let account = Account::parse(line.trim()).map_err(|m| (1, m, None))?;
                Ok((account, self.fixed_store(), size))
            }
            Shape::Csv => {
                let fields: Vec<(usize, &str)> = line
                    .split(',')
                    .scan(0, |at, f| {
                        let start = *at;
                        *at += f.len() + 1;
                        Some((start, f))
                    })
                    .collect();
                let [(_, account), (store_at, store), (size_at, size)] = fields[..] else {
                    return Err((
                        1,
                        format!(
                            "expected `account,store,size`, found {} fields in `{}`",
                            fields.len(),
                            clip(line)
                        ),
                        Some("csv lists have exactly three fields and no quoting"),
                    ));
                };
                let account = Account::parse(account.trim()).map_err(|m| (1, m, None))?;
                let store = self
                    .store_on_line(store.trim())
                    .map_err(|m| (col(store_at), m, None))?;
                let size = Bytes::parse(size).map_err(|m| (col(size_at), m, None))?;
                Ok((account, store, size))
            }
        }
    }

    fn fixed_store(&self) -> ServerId {
        match self.store {
            StoreOf::Fixed(id) => id,
            // Lists that name a store per line never call this.
            StoreOf::PerLine { .. } => ServerId(0),
        }
    }

    fn store_on_line(&self, name: &str) -> Result<ServerId, String> {
        match &self.store {
            StoreOf::Fixed(id) => Ok(*id),
            StoreOf::PerLine {
                mailstores,
                servers,
            } => {
                let lower;
                let key = if name.bytes().any(|b| b.is_ascii_uppercase()) {
                    lower = name.to_ascii_lowercase();
                    lower.as_str()
                } else {
                    name
                };
                if let Some(id) = mailstores.get(key) {
                    Ok(*id)
                } else if servers.contains_key(key) {
                    Err(format!(
                        "`{name}` is not a mailstore; mailboxes can only be on servers with the mailstore role"
                    ))
                } else {
                    Err(format!("unknown store `{}`", clip(name)))
                }
            }
        }
    }
}

/// A problem on one line: its column, the message, and a hint.
type LineProblem = (u32, String, Option<&'static str>);

/// Fields separated by `sep`, runs of separators counting as one, with the
/// byte offset of each.
fn fields(line: &str, sep: char) -> Vec<(usize, &str)> {
    let mut out = Vec::with_capacity(3);
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c == sep || c == '\t' {
            if let Some(s) = start.take() {
                out.push((s, &line[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

fn col(offset: usize) -> u32 {
    u32::try_from(offset + 1).unwrap_or(u32::MAX)
}

/// A line shortened for a message.
fn clip(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
