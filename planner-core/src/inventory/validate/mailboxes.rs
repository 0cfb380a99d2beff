//! Resolves the mailboxes: the inline ones, then each mailbox list, in order.
//!
//! A mailbox names its store, so each one is checked against the servers
//! already resolved; a list entry is checked for the settings its format
//! needs before its lines are read. Lists can hold a million lines, so the
//! reading itself is [`ListReader`]'s one pass over the bytes, and this
//! module adds nothing per mailbox to it.

use std::collections::HashMap;

use super::{Ctx, MailboxList, parse_unit, set_hint};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::inventory::mailbox_list::{ListReader, Origin, Shape, StoreOf};
use crate::inventory::model::{Mailbox, Server, ServerId};
use crate::inventory::names::Account;
use crate::inventory::raw::{MailboxFileFormat, RawInventory, RawMailboxFile};
use crate::inventory::units::{Bytes, Fraction};

/// Inline mailboxes, then each list, in order.
pub(super) fn resolve_mailboxes(
    raw: &RawInventory,
    servers: &[Server],
    lists: &[MailboxList<'_>],
    ctx: &mut Ctx<'_>,
) -> (Vec<Mailbox>, Vec<Origin>) {
    let stores = Stores::new(servers);
    let mut mailboxes = Vec::with_capacity(raw.mailboxes.len());
    let mut origins = Vec::with_capacity(raw.mailboxes.len());
    resolve_inline(raw, &stores, &mut mailboxes, &mut origins, ctx);
    let readable: Vec<Readable<'_>> = raw
        .mailbox_files
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| prepare_list(i, entry, lists.get(i), &stores, ctx))
        .collect();
    for read in read_lists(&readable) {
        mailboxes.extend(read.mailboxes);
        origins.extend(read.origins);
        for d in read.found {
            ctx.external(d);
        }
    }
    (mailboxes, origins)
}

/// A list whose settings are right, ready to be read.
type Readable<'a> = (ListReader<'a>, &'a [u8]);

/// What reading lists found, in list order.
#[derive(Default)]
struct Read {
    mailboxes: Vec<Mailbox>,
    origins: Vec<Origin>,
    found: Vec<Diagnostic>,
}

/// Below this many bytes of lists, a second thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 20;

/// Reads the lists: the first ones holding about half the bytes on this
/// thread, the others on a second one, each in order, so the result is the
/// same as reading them one after another (a million lines take about half
/// the time on two cores). Without a second thread, all are read here.
fn read_lists(readable: &[Readable<'_>]) -> Vec<Read> {
    let read = |part: &[Readable<'_>]| {
        let mut out = Read::default();
        for (reader, bytes) in part {
            reader.read(bytes, &mut out.mailboxes, &mut out.origins, &mut out.found);
        }
        out
    };
    let total: usize = readable.iter().map(|(_, b)| b.len()).sum();
    if readable.len() < 2 || total < PARALLEL_FROM {
        return vec![read(readable)];
    }
    let mut half = 0;
    let mut bytes = 0;
    while half < readable.len() && bytes < total / 2 {
        bytes += readable[half].1.len();
        half += 1;
    }
    let (first, second) = readable.split_at(half);
    std::thread::scope(|scope| {
        let other = std::thread::Builder::new().spawn_scoped(scope, || read(second));
        let mine = read(first);
        match other.map(|handle| handle.join()) {
            Ok(Ok(theirs)) => vec![mine, theirs],
            // No second thread, or it failed: read the rest here.
            _ => vec![mine, read(second)],
        }
    })
}

/// The servers by name, to find the store a mailbox names.
struct Stores<'a> {
    /// Every server, to tell "not a mailstore" from "unknown".
    all: HashMap<String, ServerId>,
    /// The mailstores, where mailboxes can be.
    mailstores: HashMap<String, ServerId>,
    /// The mailstores' names, sorted once, for "did you mean".
    names: Vec<&'a str>,
}

impl<'a> Stores<'a> {
    fn new(servers: &'a [Server]) -> Stores<'a> {
        let mut all: HashMap<String, ServerId> = HashMap::new();
        let mut mailstores: HashMap<String, ServerId> = HashMap::new();
        let mut names: Vec<&str> = Vec::new();
        for (i, s) in servers.iter().enumerate() {
            let id = ServerId(i as u32);
            all.entry(s.name.as_str().to_string()).or_insert(id);
            if s.is_mailstore() {
                mailstores.entry(s.name.as_str().to_string()).or_insert(id);
                names.push(s.name.as_str());
            }
        }
        // The same names as the mailstores' keys: each once, in order.
        names.sort();
        names.dedup();
        Stores {
            all,
            mailstores,
            names,
        }
    }

    /// The mailstore `name` written at `path`, or a problem saying why not.
    fn find(&self, ctx: &mut Ctx<'_>, path: String, name: &str) -> Option<ServerId> {
        let key = name.trim().to_ascii_lowercase();
        if let Some(id) = self.mailstores.get(&key) {
            return Some(*id);
        }
        if self.all.contains_key(&key) {
            ctx.error(path, format!("`{name}` is not a mailstore")).hint =
                Some("mailboxes can only be on servers with the mailstore role".into());
        } else {
            let hint = did_you_mean(name, self.names.iter().copied());
            let d = ctx.error(path, format!("unknown store `{name}`"));
            set_hint(d, hint);
        }
        None
    }
}

/// The mailboxes written in the inventory itself; one with any bad field is
/// left out, its problems recorded.
fn resolve_inline(
    raw: &RawInventory,
    stores: &Stores<'_>,
    mailboxes: &mut Vec<Mailbox>,
    origins: &mut Vec<Origin>,
    ctx: &mut Ctx<'_>,
) {
    for (i, m) in raw.mailboxes.iter().enumerate() {
        let path = format!("mailboxes[{i}]");
        let account = parse_unit(
            ctx,
            &format!("{path}.account"),
            m.account.trim(),
            Account::parse,
        );
        let store = stores.find(ctx, format!("{path}.store"), &m.store);
        let size = parse_unit(ctx, &format!("{path}.size"), m.size.text(), Bytes::parse);
        if let (Some(account), Some(store), Some(size)) = (account, store, size) {
            mailboxes.push(Mailbox {
                account,
                store,
                size,
                assumed: false,
            });
            origins.push(Origin {
                source: 0,
                line: i as u32,
            });
        }
    }
}

/// `mailbox_files[i]`: its settings checked; when they allow, its reader and
/// content.
fn prepare_list<'a>(
    i: usize,
    entry: &RawMailboxFile,
    list: Option<&'a MailboxList<'a>>,
    stores: &'a Stores<'_>,
    ctx: &mut Ctx<'_>,
) -> Option<Readable<'a>> {
    let path = format!("mailbox_files[{i}]");
    if entry.path.trim().is_empty() {
        ctx.error(format!("{path}.path"), "the path is empty");
    }
    let store = list_store(&path, entry, stores, ctx);
    let assumed = assumed_size(&path, entry, ctx);
    let Some(list) = list else {
        ctx.error(
            format!("{path}.path"),
            format!("mailbox file `{}` was not provided", entry.path),
        );
        return None;
    };
    let bytes = match &list.content {
        Ok(b) => *b,
        Err(why) => {
            ctx.error(
                format!("{path}.path"),
                format!("cannot read mailbox file `{}`: {why}", list.label),
            )
            .hint = Some("paths are relative to the inventory file unless absolute".into());
            return None;
        }
    };
    // A list whose store or assumed size is wrong is not read: its lines
    // would only repeat the problem already reported.
    let (shape, store_of) = shape(entry.format, store, assumed, stores)?;
    let reader = ListReader {
        label: &list.label,
        source: (i + 1) as u32,
        shape,
        store: store_of,
    };
    Some((reader, bytes))
}

/// The store a zmprov-gqu or accounts list is from; a csv list names it on
/// each line instead, so `store` there is an error.
fn list_store(
    path: &str,
    entry: &RawMailboxFile,
    stores: &Stores<'_>,
    ctx: &mut Ctx<'_>,
) -> Option<ServerId> {
    match (entry.format, &entry.store) {
        (MailboxFileFormat::Csv, Some(_)) => {
            ctx.error(
                format!("{path}.store"),
                "a csv list names the store on each line",
            )
            .hint = Some("remove `store` from this entry".into());
            None
        }
        (MailboxFileFormat::Csv, None) => None,
        (format, None) => {
            ctx.error(
                path,
                format!(
                    "a {} list needs `store`: the server it lists",
                    format.as_str()
                ),
            );
            None
        }
        (_, Some(name)) => stores.find(ctx, format!("{path}.store"), name),
    }
}

/// The size to assume for each account of an accounts list; other formats
/// carry real sizes, so `assumed_size` there is an error.
fn assumed_size(path: &str, entry: &RawMailboxFile, ctx: &mut Ctx<'_>) -> Option<Bytes> {
    match (entry.format, &entry.assumed_size) {
        (MailboxFileFormat::Accounts, None) => {
            ctx.error(
                path,
                "an accounts list needs `assumed_size`: the size to assume for each account",
            )
            .hint = Some(
                "or export real sizes with `zmprov gqu SERVER` and use format zmprov-gqu".into(),
            );
            None
        }
        (MailboxFileFormat::Accounts, Some(size)) => parse_unit(
            ctx,
            &format!("{path}.assumed_size"),
            size.text(),
            Bytes::parse,
        ),
        (_, Some(_)) => {
            ctx.error(
                format!("{path}.assumed_size"),
                "assumed_size applies only to accounts lists",
            );
            None
        }
        (_, None) => None,
    }
}

/// How to read a list of `format`, or `None` when a setting it needs is
/// missing or wrong.
fn shape<'s>(
    format: MailboxFileFormat,
    store: Option<ServerId>,
    assumed: Option<Bytes>,
    stores: &'s Stores<'_>,
) -> Option<(Shape, StoreOf<'s>)> {
    match format {
        MailboxFileFormat::Csv => Some((
            Shape::Csv,
            StoreOf::PerLine {
                mailstores: &stores.mailstores,
                servers: &stores.all,
            },
        )),
        MailboxFileFormat::ZmprovGqu => store.map(|id| (Shape::Gqu, StoreOf::Fixed(id))),
        MailboxFileFormat::Accounts => match (store, assumed) {
            (Some(id), Some(size)) => Some((Shape::Accounts(size), StoreOf::Fixed(id))),
            _ => None,
        },
    }
}

/// The most bytes the planner counts (rule 14): sums of sizes stay in a
/// signed 64-bit integer, so no total, fill or estimate can wrap.
pub(crate) const MAX_TOTAL: u64 = i64::MAX as u64;

/// Refuses mailboxes whose sizes, with `size_overhead`, add up to more than
/// [`MAX_TOTAL`]: named at the mailbox (or list) where the sum passes it.
pub(super) fn check_total(
    mailboxes: &[Mailbox],
    origins: &[Origin],
    overhead: Fraction,
    ctx: &mut Ctx<'_>,
) {
    let mut total: u128 = 0;
    let mut first_over: Option<usize> = None;
    for (i, m) in mailboxes.iter().enumerate() {
        total += u128::from(m.size.with_overhead(overhead).0);
        if first_over.is_none() && total > u128::from(MAX_TOTAL) {
            first_over = Some(i);
        }
    }
    let Some(i) = first_over else { return };
    let path = match origins.get(i) {
        Some(o) if o.source == 0 => format!("mailboxes[{}].size", o.line),
        Some(o) => format!("mailbox_files[{}]", o.source - 1),
        None => "mailboxes".to_string(),
    };
    ctx.error(
        path,
        format!(
            "the mailboxes add up to {total} bytes (size_overhead {overhead} included), more than the {MAX_TOTAL} bytes (2^63-1) the planner can count; the sum passes it at {}",
            mailboxes[i].account
        ),
    )
    .hint = Some("check the sizes and their units: a total this large is a typo".into());
}

#[cfg(test)]
mod tests {
    /// Four gqu lists of 20,000 lines each (over [`super::PARALLEL_FROM`]
    /// bytes, so two threads read them), with a bad line in the third.
    fn inventory_and_lists() -> (String, Vec<(String, Vec<u8>)>) {
        let mut text = String::from(
            "format: 1\ntarget_version: \"10.1.5\"\npolicy: { allow_outage: [mailstore] }\nservers:\n",
        );
        let mut lists = Vec::new();
        for s in 1..=4 {
            text += &format!(
                "  - {{ name: mbx{s}.example.com, roles: [mailstore], version: \"9.0.0\", capacity: {{ disk: 100TiB }} }}\n"
            );
            let mut list = String::new();
            for k in 0..20_000 {
                if s == 3 && k == 777 {
                    list += "not-an-address 0 1\n";
                } else {
                    list += &format!("user{s}x{k:05}@example.com 0 {}\n", 1000 + k);
                }
            }
            lists.push((format!("mbx{s}.gqu"), list.into_bytes()));
        }
        text += "mailbox_files:\n";
        for s in 1..=4 {
            text += &format!(
                "  - {{ path: mbx{s}.gqu, format: zmprov-gqu, store: mbx{s}.example.com }}\n"
            );
        }
        (text, lists)
    }

    fn load(
        text: &str,
        lists: &[(String, Vec<u8>)],
    ) -> Result<crate::inventory::Checked, crate::diagnostic::Refusal> {
        crate::load("inv.yaml", text.as_bytes(), |path| {
            lists
                .iter()
                .find(|(name, _)| *name == path)
                .map(|(_, bytes)| bytes.clone())
                .ok_or_else(|| "missing".to_string())
        })
    }

    #[test]
    fn lists_read_on_two_threads_keep_their_order_and_their_lines() {
        let (text, mut lists) = inventory_and_lists();
        let total: usize = lists.iter().map(|(_, b)| b.len()).sum();
        assert!(
            total >= super::PARALLEL_FROM,
            "{total} bytes: the two-thread path"
        );
        let refusal = load(&text, &lists).expect_err("one bad line");
        let errors: Vec<_> = refusal.diagnostics.iter().collect();
        assert_eq!(errors.len(), 1, "{refusal}");
        assert_eq!(errors[0].file, "mbx3.gqu");
        assert_eq!(errors[0].line, Some(778));

        lists[2].1 = String::from_utf8(lists[2].1.clone())
            .expect("text")
            .replace("not-an-address 0 1", "fixed@example.com 0 1")
            .into_bytes();
        let checked = load(&text, &lists).expect("valid");
        let accounts: Vec<&str> = checked
            .inventory()
            .mailboxes()
            .iter()
            .map(|m| m.account.as_str())
            .collect();
        assert_eq!(accounts.len(), 80_000);
        // Every list's lines, in list order, then line order.
        let expected: Vec<String> = (1..=4)
            .flat_map(|s| {
                (0..20_000).map(move |k| {
                    if s == 3 && k == 777 {
                        "fixed@example.com".to_string()
                    } else {
                        format!("user{s}x{k:05}@example.com")
                    }
                })
            })
            .collect();
        assert!(accounts.iter().zip(&expected).all(|(a, e)| a == e));
    }
}
