//! A small plan for the unit tests of every renderer, and ways to vary it.
//!
//! Unit tests feed a section or a helper a plan and compare the text it
//! writes; the plan here is small enough to read whole. It is written as the
//! JSON contract, which is what renderers read, so that a test needs no
//! engine: two LDAP servers (the master already at the target), two
//! mailstores, one account moved off `mbx1` before its upgrade.

use planner_core::plan::{Plan, Step};

/// The plan, as JSON.
const PLAN: &str = r#"{
  "format": "upgrade-plan/v2",
  "planner_version": "0.1.0",
  "inventory_digest": "sha256:0123456789abcdef",
  "now": "2026-11-29T00:00:00Z",
  "target_version": "10.1.5",
  "profile": "zimbra",
  "tools": "zimbra-ne",
  "policy": {"strategy": "forward", "max_fill": 0.9, "size_overhead": 0.0, "evacuate": "always",
    "move_by": "account", "two_stage_moves": false, "backup": "incremental",
    "full_backup_max_age_s": 604800, "max_parallel_moves": 2, "max_moves_per_source": 1, "max_parallel_upgrades": 1, "purge": "before-reuse", "backup_after_upgrade": "major",
    "cross_site_moves": false, "allow_outage": [], "notify": null, "rates": null},
  "strategy": {"requested": "forward", "chosen": "forward", "why": "requested"},
  "summary": {"servers_to_upgrade": 2, "servers_at_target": 2, "mailboxes_moved": 1,
    "bytes_moved": 1073741824, "mailboxes_moved_twice": 0, "bytes_moved_again": 0, "waves": 3,
    "outages": [], "warnings": [], "estimated_duration_s": null},
  "servers": {
    "ldap1.example.com": {"roles": ["ldap-master"], "site": null, "version": "10.1.5", "upgraded": false},
    "ldap2.example.com": {"roles": ["ldap-replica"], "site": null, "version": "9.0.0_P40", "upgraded": true},
    "mbx1.example.com": {"roles": ["mailstore"], "site": null, "version": "9.0.0_P40", "upgraded": true,
      "capacity": {"disk": 10737418240, "mailboxes": null, "max_bytes": 9663676416, "max_mailboxes": null}},
    "mbx2.example.com": {"roles": ["mailstore"], "site": null, "version": "10.1.5", "upgraded": false,
      "capacity": {"disk": 10737418240, "mailboxes": null, "max_bytes": 9663676416, "max_mailboxes": null}}
  },
  "waves": [
    {"index": 1, "estimated_duration_s": null, "steps": [
      {"id": "upgrade:ldap2.example.com", "kind": "upgrade", "server": "ldap2.example.com",
       "from_version": "9.0.0_P40", "to_version": "10.1.5",
       "actions": ["directory-dump", "install", "health-check"],
       "checks": ["zmcontrol status", "zmreplchk"], "why": "ldap-replica tier",
       "estimated_duration_s": null}]},
    {"index": 2, "estimated_duration_s": null, "steps": [
      {"id": "backup:mbx1.example.com", "kind": "backup", "server": "mbx1.example.com",
       "mode": "full", "when": "before", "why": "before its mailboxes move", "estimated_duration_s": null},
      {"id": "move-switch:mbx1.example.com>mbx2.example.com", "kind": "move-switch",
       "source": "mbx1.example.com", "target": "mbx2.example.com",
       "accounts": ["alice@example.com"], "bytes": 1073741824, "why": "empties `mbx1`",
       "estimated_duration_s": null}]},
    {"index": 3, "estimated_duration_s": null, "steps": [
      {"id": "upgrade:mbx1.example.com", "kind": "upgrade", "server": "mbx1.example.com",
       "from_version": "9.0.0_P40", "to_version": "10.1.5",
       "actions": ["install", "health-check"], "checks": ["zmcontrol status"],
       "why": "mailstore tier, emptied", "estimated_duration_s": null}]}
  ],
  "placement": {
    "before": {"mbx1.example.com": {"bytes": 1073741824, "mailboxes": 1},
               "mbx2.example.com": {"bytes": 0, "mailboxes": 0}},
    "peak": {"mbx1.example.com": {"bytes": 1073741824, "mailboxes": 1},
             "mbx2.example.com": {"bytes": 1073741824, "mailboxes": 1}},
    "after": {"mbx1.example.com": {"bytes": 0, "mailboxes": 0},
              "mbx2.example.com": {"bytes": 1073741824, "mailboxes": 1}}
  }
}"#;

/// The small plan.
pub(crate) fn plan() -> Plan {
    serde_json::from_str(PLAN).expect("the test plan is a plan")
}

/// The small plan for Carbonio: the same servers, under Carbonio's roles.
pub(crate) fn carbonio() -> Plan {
    let mut plan = plan();
    plan.profile = "carbonio".to_string();
    plan.tools = planner_core::inventory::Tools::Carbonio;
    for server in plan.servers.values_mut() {
        for role in &mut server.roles {
            *role = role.replace("ldap", "directory");
        }
    }
    plan
}

/// The step of that id.
pub(crate) fn step<'a>(plan: &'a mut Plan, id: &str) -> &'a mut Step {
    plan.waves
        .iter_mut()
        .flat_map(|w| &mut w.steps)
        .find(|s| s.id == id)
        .expect("the test plan has that step")
}

/// What `write` writes, as text.
pub(crate) fn written(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("renderers write UTF-8")
}
