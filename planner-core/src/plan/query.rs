//! Questions an embedder asks of a plan: where each account ends up, and what
//! each store receives.
//!
//! They are answered from the move-switch steps alone (a copy without its
//! switch moves no account), in wave order, so the answers hold for any plan
//! that deserializes, including one written by another version.

use std::collections::{BTreeMap, BTreeSet};

use super::{Plan, Step, StepKind};

/// What a store receives over a whole plan: every switch onto it counts,
/// including mailboxes only parked there for a while.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// Account switches onto the store (an account switched there twice counts twice).
    pub switches: u64,
    /// Bytes of those switches, with `size_overhead` (as the steps give them).
    pub bytes: u64,
}

impl Plan {
    /// The steps done before this plan's resume (`resumed_from.done`), in
    /// the order they were done; none for a plan that was not resumed.
    pub fn done_before(&self) -> &[super::Step] {
        self.resumed_from
            .as_ref()
            .map_or(&[], |r| r.done.as_slice())
    }

    /// The move-switch steps, in wave order.
    fn switches(&self) -> impl Iterator<Item = &Step> {
        self.waves
            .iter()
            .flat_map(|w| &w.steps)
            .filter(|s| s.kind == StepKind::MoveSwitch)
    }

    /// The store an account ends on, if the plan moves it: the target of its
    /// last switch. `None` for an account the plan does not move. An account
    /// parked on a spare and brought back (strategy spare) ends on its own
    /// store again, and this returns that store.
    pub fn destination(&self, account: &str) -> Option<&str> {
        self.switches()
            .filter(|s| s.accounts.iter().flatten().any(|a| a == account))
            .last()
            .and_then(|s| s.target.as_deref())
    }

    /// Every account the plan moves, with the store it ends on (see
    /// [`Plan::destination`]), sorted by account.
    pub fn destinations(&self) -> BTreeMap<&str, &str> {
        let mut out = BTreeMap::new();
        for step in self.switches() {
            let Some(target) = step.target.as_deref() else {
                continue;
            };
            for account in step.accounts.iter().flatten() {
                // Later switches overwrite earlier ones: waves run in order.
                out.insert(account.as_str(), target);
            }
        }
        out
    }

    /// The accounts switched onto `store` at any point of the plan, sorted
    /// and each once (an account parked there and moved on is included).
    pub fn received_by(&self, store: &str) -> Vec<&str> {
        let accounts: BTreeSet<&str> = self
            .switches()
            .filter(|s| s.target.as_deref() == Some(store))
            .flat_map(|s| s.accounts.iter().flatten().map(String::as_str))
            .collect();
        accounts.into_iter().collect()
    }

    /// What each store receives over the plan, by store name; stores that
    /// receive nothing are absent.
    pub fn receipts(&self) -> BTreeMap<&str, Received> {
        let mut out: BTreeMap<&str, Received> = BTreeMap::new();
        for step in self.switches() {
            let Some(target) = step.target.as_deref() else {
                continue;
            };
            let entry = out.entry(target).or_default();
            entry.switches += step.accounts.as_ref().map_or(0, |a| a.len() as u64);
            entry.bytes = entry.bytes.saturating_add(step.bytes.unwrap_or(0));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::Plan;

    /// A plan with only the fields these questions read, built from JSON so
    /// that fields added to the contract later need no change here.
    fn plan(switches: &[(u32, &str, &str, &[&str], u64)]) -> Plan {
        let mut waves = Vec::new();
        for &(wave, source, target, accounts, bytes) in switches {
            waves.push(serde_json::json!({
                "index": wave,
                "estimated_duration_s": null,
                "steps": [
                    {
                        "id": format!("move-data:{source}>{target}"), "kind": "move-data",
                        "source": source, "target": target, "accounts": ["ignored@example.com"],
                        "why": "a copy moves no account", "estimated_duration_s": null,
                    },
                    {
                        "id": format!("move-switch:{source}>{target}"), "kind": "move-switch",
                        "source": source, "target": target, "accounts": accounts,
                        "bytes": bytes, "why": "test", "estimated_duration_s": null,
                    },
                ],
            }));
        }
        let policy = serde_json::json!({
            "strategy": "auto", "max_fill": 0.9, "size_overhead": 0.0, "evacuate": "always",
            "move_by": "account", "two_stage_moves": true, "backup": "incremental",
            "full_backup_max_age_s": 0, "max_parallel_moves": 1, "max_moves_per_source": 1, "max_parallel_upgrades": 1, "purge": "before-reuse", "backup_after_upgrade": "major",
            "cross_site_moves": false, "allow_outage": [], "notify": null, "rates": null,
        });
        serde_json::from_value(serde_json::json!({
            "format": "upgrade-plan/v1", "planner_version": "0", "inventory_digest": "",
            "now": "", "target_version": "10", "profile": "zimbra", "tools": "zextras", "policy": policy,
            "strategy": { "requested": "auto", "chosen": "spare", "why": "" },
            "summary": {
                "servers_to_upgrade": 0, "servers_at_target": 0, "mailboxes_moved": 0,
                "bytes_moved": 0, "mailboxes_moved_twice": 0, "bytes_moved_again": 0,
                "waves": 0, "outages": [], "warnings": [], "estimated_duration_s": null,
            },
            "waves": waves,
            "placement": { "before": {}, "peak": {}, "after": {} },
        }))
        .expect("a plan")
    }

    #[test]
    fn an_account_ends_on_the_target_of_its_last_switch() {
        let p = plan(&[
            (2, "mbx1", "spare1", &["a@x", "b@x"], 30),
            (5, "spare1", "mbx1", &["a@x"], 10),
            (6, "mbx2", "mbx3", &["c@x"], 5),
        ]);
        assert_eq!(p.destination("a@x"), Some("mbx1"));
        assert_eq!(p.destination("b@x"), Some("spare1"));
        assert_eq!(
            p.destination("ignored@example.com"),
            None,
            "copies move nobody"
        );
        assert_eq!(p.destination("nobody@x"), None);
        let all: Vec<(&str, &str)> = p.destinations().into_iter().collect();
        assert_eq!(all, [("a@x", "mbx1"), ("b@x", "spare1"), ("c@x", "mbx3")]);
    }

    #[test]
    fn a_store_receives_every_account_switched_onto_it() {
        let p = plan(&[
            (2, "mbx1", "spare1", &["b@x", "a@x"], 30),
            (5, "spare1", "mbx1", &["a@x"], 10),
            (6, "mbx2", "spare1", &["a@x"], 10),
        ]);
        assert_eq!(p.received_by("spare1"), ["a@x", "b@x"]);
        assert_eq!(p.received_by("mbx1"), ["a@x"]);
        assert!(p.received_by("mbx2").is_empty());
        let receipts = p.receipts();
        assert_eq!(receipts["spare1"].switches, 3);
        assert_eq!(receipts["spare1"].bytes, 40);
        assert_eq!(receipts["mbx1"].bytes, 10);
        assert!(!receipts.contains_key("mbx2"));
    }
}
