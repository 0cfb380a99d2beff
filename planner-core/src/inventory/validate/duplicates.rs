//! Refuses accounts listed more than once, wherever they are listed.
//!
//! An account lives on exactly one store, so a second listing (inline or in
//! any list) means the inventory is wrong about where it is. Finding
//! them takes a sort of every account, which planning needs too, so this
//! module also returns that order and nothing sorts a million accounts twice.

use super::{Ctx, MailboxList};
use crate::diagnostic::Diagnostic;
use crate::inventory::mailbox_list::Origin;
use crate::inventory::model::Mailbox;
use crate::inventory::raw::RawInventory;

/// Duplicates reported one by one before the rest are only counted.
const SHOWN: usize = 50;

/// Reports accounts listed more than once; returns the mailboxes sorted by
/// account, which planning reuses.
pub(super) fn check_duplicates(
    raw: &RawInventory,
    lists: &[MailboxList<'_>],
    mailboxes: &[Mailbox],
    origins: &[Origin],
    ctx: &mut Ctx<'_>,
) -> Vec<u32> {
    let (order, prefixes) = sorted_by_account(mailboxes);
    let mut shown = 0;
    let mut more = 0;
    let mut first = 0usize;
    for (k, pair) in order.windows(2).enumerate() {
        let second = pair[1] as usize;
        // Different prefixes are different accounts: only equal ones are
        // compared in full (following two pointers per pair costs more than
        // the sort on a million accounts).
        if prefixes[k] != prefixes[k + 1]
            || mailboxes[pair[0] as usize].account != mailboxes[second].account
        {
            continue;
        }
        // The first listing of this account starts the run of equal ones.
        if k == 0 || mailboxes[order[k - 1] as usize].account != mailboxes[second].account {
            first = pair[0] as usize;
        }
        if shown >= SHOWN {
            more += 1;
            continue;
        }
        shown += 1;
        let account = &mailboxes[second].account;
        let message = format!("account `{account}` is listed twice");
        let hint = format!(
            "it is also at {}; an account is on exactly one store",
            describe(raw, lists, &origins[first])
        );
        let o = origins[second];
        if o.source == 0 {
            ctx.error(format!("mailboxes[{}].account", o.line), message)
                .hint = Some(hint);
        } else {
            let label = describe(raw, lists, &Origin { line: 0, ..o });
            let label = label.trim_end_matches(":0").to_string();
            ctx.external(Diagnostic::error(label, message).at(o.line, 1).hint(hint));
        }
    }
    if more > 0 {
        ctx.error(
            "mailboxes",
            format!("{more} more accounts listed twice are not shown"),
        );
    }
    order
}

/// The first 32 bytes of an account, big-endian in two `u128`s (zero
/// padding sorts a shorter prefix first, as string order does).
type Prefix = (u128, u128);

/// The mailboxes' indices sorted by account, then by index, with the first
/// 32 bytes of each account in the same order.
fn sorted_by_account(mailboxes: &[Mailbox]) -> (Vec<u32>, Vec<Prefix>) {
    // The prefixes decide most comparisons without following a pointer
    // (real names share their first 16 bytes often: `ben.haddad01@d00...`);
    // the whole names break the ties.
    let prefix = |m: &Mailbox| -> Prefix {
        let mut key = [0u8; 32];
        let bytes = m.account.as_str().as_bytes();
        let n = bytes.len().min(32);
        key[..n].copy_from_slice(&bytes[..n]);
        let (high, low) = key.split_at(16);
        let word = |half: &[u8]| {
            let mut w = [0u8; 16];
            w.copy_from_slice(half);
            u128::from_be_bytes(w)
        };
        (word(high), word(low))
    };
    let mut keyed: Vec<(Prefix, u32)> = mailboxes
        .iter()
        .enumerate()
        .map(|(i, m)| (prefix(m), i as u32))
        .collect();
    keyed.sort_unstable_by(|(ka, a), (kb, b)| {
        ka.cmp(kb).then_with(|| {
            mailboxes[*a as usize]
                .account
                .cmp(&mailboxes[*b as usize].account)
                .then(a.cmp(b))
        })
    });
    keyed.into_iter().map(|(key, i)| (i, key)).unzip()
}

/// Where a mailbox was listed, as an operator finds it: `mailboxes[i]`
/// inline, or `LABEL:LINE` in a list.
fn describe(raw: &RawInventory, lists: &[MailboxList<'_>], o: &Origin) -> String {
    if o.source == 0 {
        format!("mailboxes[{}]", o.line)
    } else {
        let label = lists.get(o.source as usize - 1).map_or_else(
            || raw.mailbox_files[o.source as usize - 1].path.clone(),
            |l| l.label.clone(),
        );
        format!("{label}:{}", o.line)
    }
}
