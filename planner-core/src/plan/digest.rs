//! The inventory digest: a SHA-256 of the inventory's meaning, so that a plan
//! can tell whether the inventory changed since it was made.
//!
//! It hashes the validated inventory, not the text: comments, key order,
//! spelling of units (`1GiB` or `1073741824`) and the case of names do not
//! change it; any change of meaning does. Servers are hashed in name order and
//! mailboxes in account order, each as one canonical line.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::inventory::Inventory;

/// `sha256:` followed by the hex digest of the normalized inventory.
pub fn inventory_digest(inventory: &Inventory) -> String {
    digest_in_order(inventory, &account_order(inventory))
}

/// The mailboxes' indices sorted by account: validation's order when it
/// still fits the mailboxes, else sorted afresh.
pub(crate) fn account_order(inventory: &Inventory) -> Vec<u32> {
    let cached = &inventory.by_account;
    let fits = cached.len() == inventory.mailboxes.len()
        && cached.windows(2).all(|w| {
            inventory.mailboxes[w[0] as usize].account <= inventory.mailboxes[w[1] as usize].account
        });
    if fits {
        return cached.clone();
    }
    let mut order: Vec<u32> = (0..inventory.mailboxes.len() as u32).collect();
    order.sort_unstable_by(|a, b| {
        inventory.mailboxes[*a as usize]
            .account
            .cmp(&inventory.mailboxes[*b as usize].account)
    });
    order
}

/// The digest, with the mailboxes already sorted by account.
pub(crate) fn digest_in_order(inventory: &Inventory, by_account: &[u32]) -> String {
    let mut hasher = Sha256::new();
    let mut line = String::new();
    let emit = |hasher: &mut Sha256, line: &mut String| {
        line.push('\n');
        hasher.update(line.as_bytes());
        line.clear();
    };
    let _ = write!(
        line,
        "inventory/1 target={} profile={}",
        inventory.target_version,
        inventory.profile.name.as_str()
    );
    emit(&mut hasher, &mut line);
    // The policy and the profile with its overrides, as JSON: both are plain
    // data whose fields serialize in a fixed order.
    let policy = serde_json::to_string(&inventory.policy).unwrap_or_default();
    let _ = write!(line, "policy {policy}");
    emit(&mut hasher, &mut line);
    let profile = serde_json::to_string(&inventory.profile).unwrap_or_default();
    let _ = write!(line, "profile {profile}");
    emit(&mut hasher, &mut line);
    let mut servers: Vec<usize> = (0..inventory.servers.len()).collect();
    servers.sort_by(|a, b| inventory.servers[*a].name.cmp(&inventory.servers[*b].name));
    for &i in &servers {
        let s = &inventory.servers[i];
        let deps: Vec<&str> = {
            let mut d: Vec<&str> = s
                .depends_on
                .iter()
                .map(|d| inventory.server(*d).name.as_str())
                .collect();
            d.sort_unstable();
            d
        };
        let _ = write!(
            line,
            "server {} roles={} version={} site={} depends_on={} capacity={:?} spare={} evacuate={:?} backup={:?}/{:?}",
            s.name,
            s.roles.join(","),
            s.version,
            s.site.as_deref().unwrap_or(""),
            deps.join(","),
            s.capacity,
            s.spare,
            s.evacuate,
            s.last_backup.full.map(|t| t.to_string()),
            s.last_backup.incremental.map(|t| t.to_string()),
        );
        emit(&mut hasher, &mut line);
    }
    // Mailboxes as fields fed to the hash directly (no formatting: there
    // may be a million of them): account, store, size, assumed.
    for &i in by_account {
        let m = &inventory.mailboxes[i as usize];
        hasher.update(b"mailbox\0");
        hasher.update(m.account.as_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(inventory.server(m.store).name.as_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(m.size.0.to_le_bytes());
        hasher.update([u8::from(m.assumed)]);
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}
