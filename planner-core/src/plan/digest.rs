//! The inventory digest: a SHA-256 of the inventory's meaning, so that a plan
//! can tell whether the inventory changed since it was made.
//!
//! It hashes the validated inventory, not the text: comments, key order,
//! spelling of units (`1GiB` or `1073741824`), the order of servers and
//! mailboxes and the case of names do not change it; any change of meaning
//! does. What is hashed is an explicit, versioned byte encoding (never a
//! `Debug` or serde rendering, whose format may change with a dependency):
//!
//! - every **string** is its length as 8 bytes little-endian, then its UTF-8
//!   bytes; every **integer** is 8 bytes little-endian; a **bool** is one byte
//!   (0 or 1); an **option** is one byte (0 absent, 1 present) then the value;
//!   a **list** is its length as 8 bytes, then its items; an **enum** is the
//!   string it is written as in an inventory (`auto`, `always`, ...);
//!   a **time** is its RFC 3339 text (UTC, as jiff prints it). Lengths in
//!   front of every variable field make the encoding impossible to misread,
//!   so two different inventories cannot encode to the same bytes.
//! - the encoding is: the string `planner-inventory/6`; `target_version`;
//!   the profile (its name, tiers, then each role: name, tier, after, group,
//!   min_available, max_unavailable, drain, evacuate, note; then each group:
//!   name, min_available, max_unavailable; then two_stage_moves,
//!   directory_master, directory_group); the policy (strategy, max_fill and
//!   size_overhead in millionths, evacuate, move_by, two_stage_moves, backup,
//!   full_backup_max_age in seconds, max_parallel_moves, max_moves_per_source,
//!   max_parallel_upgrades, purge, backup_after_upgrade, cross_site_moves,
//!   allow_outage, notify, rates as copy bytes per second, delta_fraction,
//!   switch_per_account and upgrade seconds, the backup rate as an option,
//!   health_check and manual seconds, tools, the schedule as an option: start,
//!   time zone, each window's days and minutes, background_outside_windows); the servers in name order (the count, then each: name, roles,
//!   version, site, depends_on as sorted names, capacity as disk bytes and
//!   mailboxes, spare, evacuate, last full and incremental backup); the
//!   mailboxes as a set: the count, then the SHA-256 of each mailbox's own
//!   encoding (account, store name, size in bytes, assumed), these 32-byte
//!   digests sorted bytewise.
//!
//! Mailboxes are hashed one by one in the inventory's order and only their
//! digests are sorted: following a million accounts in account order instead
//! would visit memory at random (three quarters of a second on the
//! development machine, against a quarter for this).

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::inventory::{Inventory, Policy, Profile};

/// Each mailbox's digest, as two big-endian halves, sorted.
fn mailbox_digests(inventory: &Inventory) -> Vec<(u128, u128)> {
    let mut out: Vec<(u128, u128)> = inventory
        .mailboxes
        .iter()
        .map(|m| {
            let mut e = Encoder(Sha256::new());
            e.str(m.account.as_str());
            e.str(inventory.server(m.store).name.as_str());
            e.int(m.size.0);
            e.bool(m.assumed);
            let digest: [u8; 32] = e.0.finalize().into();
            let mut high = [0u8; 16];
            let mut low = [0u8; 16];
            high.copy_from_slice(&digest[..16]);
            low.copy_from_slice(&digest[16..]);
            (u128::from_be_bytes(high), u128::from_be_bytes(low))
        })
        .collect();
    out.sort_unstable();
    out
}

/// The canonical encoding, written straight into the hash.
struct Encoder(Sha256);

impl Encoder {
    fn int(&mut self, v: u64) {
        self.0.update(v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.int(s.len() as u64);
        self.0.update(s.as_bytes());
    }
    fn bool(&mut self, b: bool) {
        self.0.update([u8::from(b)]);
    }
    fn present(&mut self, present: bool) {
        self.bool(present);
    }
    fn opt_str(&mut self, s: Option<&str>) {
        self.present(s.is_some());
        if let Some(s) = s {
            self.str(s);
        }
    }
    fn opt_int(&mut self, v: Option<u64>) {
        self.present(v.is_some());
        if let Some(v) = v {
            self.int(v);
        }
    }
    fn strs<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a str>) {
        self.int(items.len() as u64);
        for s in items {
            self.str(s);
        }
    }
    /// An enum as the text it is written as in an inventory.
    fn word<T: serde::Serialize>(&mut self, value: &T) {
        let text = serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.str(&text);
    }
}

/// `sha256:` followed by the hex digest of a file's bytes: how a resumed
/// plan names the plan file it continues (`resumed_from.plan_digest`).
pub fn file_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for b in digest {
        text.push_str(&format!("{b:02x}"));
    }
    text
}

/// `sha256:` followed by the hex digest of the canonical encoding of the
/// inventory (see the module documentation).
pub fn inventory_digest(inventory: &Inventory) -> String {
    let mut e = Encoder(Sha256::new());
    e.str("planner-inventory/6");
    e.str(inventory.target_version.as_str());
    profile(&mut e, &inventory.profile);
    policy(&mut e, &inventory.policy);
    let mut servers: Vec<usize> = (0..inventory.servers.len()).collect();
    servers.sort_by(|a, b| inventory.servers[*a].name.cmp(&inventory.servers[*b].name));
    e.int(servers.len() as u64);
    for &i in &servers {
        let s = &inventory.servers[i];
        e.str(s.name.as_str());
        e.strs(s.roles.iter().map(String::as_str));
        e.str(s.version.as_str());
        e.opt_str(s.site.as_deref());
        let mut deps: Vec<&str> = s
            .depends_on
            .iter()
            .map(|d| inventory.server(*d).name.as_str())
            .collect();
        deps.sort_unstable();
        e.strs(deps.into_iter());
        e.present(s.capacity.is_some());
        if let Some(c) = s.capacity {
            e.int(c.disk.0);
            e.opt_int(c.mailboxes);
        }
        e.bool(s.spare);
        e.present(s.evacuate.is_some());
        if let Some(v) = s.evacuate {
            e.bool(v);
        }
        e.opt_str(s.last_backup.full.map(|t| t.to_string()).as_deref());
        e.opt_str(s.last_backup.incremental.map(|t| t.to_string()).as_deref());
    }
    let mailboxes = mailbox_digests(inventory);
    e.int(mailboxes.len() as u64);
    for (high, low) in mailboxes {
        e.0.update(high.to_be_bytes());
        e.0.update(low.to_be_bytes());
    }
    let digest = e.0.finalize();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn profile(e: &mut Encoder, p: &Profile) {
    e.str(p.name.as_str());
    e.strs(p.tiers.iter().map(String::as_str));
    e.int(p.roles.len() as u64);
    for r in &p.roles {
        e.str(&r.name);
        e.opt_int(r.tier.map(|t| t as u64));
        e.strs(r.after.iter().map(String::as_str));
        e.opt_str(r.group.as_deref());
        e.int(u64::from(r.min_available));
        e.int(u64::from(r.max_unavailable));
        e.bool(r.drain);
        e.bool(r.evacuate);
        e.str(&r.note);
    }
    e.int(p.groups.len() as u64);
    for g in &p.groups {
        e.str(&g.name);
        e.int(u64::from(g.min_available));
        e.int(u64::from(g.max_unavailable));
    }
    e.bool(p.two_stage_moves);
    e.str(p.directory_master);
    e.str(p.directory_group);
}

fn policy(e: &mut Encoder, p: &Policy) {
    e.word(&p.strategy);
    e.int(u64::from(p.max_fill.0));
    e.int(u64::from(p.size_overhead.0));
    e.word(&p.evacuate);
    e.word(&p.move_by);
    e.bool(p.two_stage_moves);
    e.word(&p.backup);
    e.int(p.full_backup_max_age.0);
    e.int(u64::from(p.max_parallel_moves));
    e.int(u64::from(p.max_moves_per_source));
    e.int(u64::from(p.max_parallel_upgrades));
    e.word(&p.purge);
    e.word(&p.backup_after_upgrade);
    e.bool(p.cross_site_moves);
    e.strs(p.allow_outage.iter().map(String::as_str));
    e.opt_str(p.notify.as_ref().map(|n| n.as_str()));
    e.present(p.rates.is_some());
    if let Some(r) = &p.rates {
        e.int(r.copy.0);
        e.int(u64::from(r.delta_fraction.0));
        e.int(r.switch_per_account.0);
        e.int(r.upgrade.0);
        e.present(r.backup.is_some());
        if let Some(b) = r.backup {
            e.int(b.0);
        }
        e.int(r.health_check.0);
        e.int(r.manual.0);
    }
    e.word(&p.tools);
    e.present(p.schedule.is_some());
    if let Some(s) = &p.schedule {
        e.str(&s.start);
        e.str(&s.time_zone);
        e.int(s.windows.len() as u64);
        for w in &s.windows {
            e.int(w.days.len() as u64);
            for d in &w.days {
                e.int(u64::from(*d));
            }
            e.int(u64::from(w.from));
            e.int(u64::from(w.to));
        }
        e.bool(s.background_outside_windows);
    }
}

#[cfg(test)]
mod tests {
    use super::inventory_digest;

    const BASE: &str = r#"
format: 1
target_version: "10.1.5"
policy: { max_fill: 90%, allow_outage: [mailstore] }
servers:
  - { name: mbx1.example.com, roles: [mailstore], version: "9.0.0", capacity: { disk: 1TiB, mailboxes: 10 } }
  - { name: mbx2.example.com, roles: [mailstore], version: "10.1.5", capacity: { disk: 1TiB }, site: dc1 }
mailboxes:
  - { account: alice@example.com, store: mbx1.example.com, size: 1GiB }
  - { account: bob@example.com, store: mbx2.example.com, size: 2GiB }
"#;

    fn digest(text: &str) -> String {
        let checked = crate::load("t.yaml", text.as_bytes(), |_| Err("none".into()))
            .unwrap_or_else(|r| panic!("{r}"));
        inventory_digest(checked.inventory())
    }

    #[test]
    fn the_checked_inventory_keeps_the_same_digest() {
        let checked = crate::load("t.yaml", BASE.as_bytes(), |_| Err("none".into()))
            .unwrap_or_else(|r| panic!("{r}"));
        let once = checked.digest().to_string();
        assert_eq!(once, inventory_digest(checked.inventory()));
        assert_eq!(checked.digest(), once, "kept, not recomputed differently");
    }

    #[test]
    fn the_digest_ignores_spelling_and_order() {
        let base = digest(BASE);
        let respelled = BASE
            .replace("max_fill: 90%", "max_fill: 0.9")
            .replace("size: 1GiB", "size: 1073741824")
            .replace("mbx1.example.com, roles", "MBX1.example.com, roles")
            .replace(
                "{ name: mbx2.example.com, roles: [mailstore], version: \"10.1.5\", capacity: { disk: 1TiB }, site: dc1 }",
                "{ site: dc1, capacity: { disk: 1TiB }, version: \"10.1.5\", roles: [mailstore], name: mbx2.example.com }",
            );
        assert_eq!(digest(&respelled), base);
        let (head, mailboxes) = BASE.split_once("mailboxes:\n").expect("mailboxes");
        let mut lines: Vec<&str> = mailboxes.lines().collect();
        lines.reverse();
        let reordered = format!("# a comment\n{head}mailboxes:\n{}\n", lines.join("\n"));
        assert_eq!(digest(&reordered), base);
    }

    #[test]
    fn the_digest_changes_with_every_planning_field() {
        let base = digest(BASE);
        let edits: [(&str, &str); 12] = [
            ("target_version: \"10.1.5\"", "target_version: \"10.1.6\""),
            ("max_fill: 90%", "max_fill: 80%"),
            (
                "allow_outage: [mailstore]",
                "allow_outage: [mailstore], strategy: spread",
            ),
            (
                "allow_outage: [mailstore]",
                "allow_outage: [mailstore], rates: { copy: 1MiB/s, delta_fraction: 5%, switch_per_account: 3s, upgrade: 40m }",
            ),
            ("version: \"9.0.0\"", "version: \"9.0.1\""),
            ("mailboxes: 10 }", "mailboxes: 11 }"),
            ("disk: 1TiB }, site", "disk: 2TiB }, site"),
            ("site: dc1", "site: dc2"),
            ("site: dc1", "site: dc1, spare: true"),
            ("size: 1GiB", "size: 2GiB"),
            (
                "alice@example.com, store: mbx1",
                "alice@example.com, store: mbx2",
            ),
            ("alice@", "carol@"),
        ];
        for (from, to) in edits {
            assert!(BASE.contains(from), "{from}");
            let edited = BASE.replacen(from, to, 1);
            assert_ne!(digest(&edited), base, "{from} → {to}");
        }
    }
}
