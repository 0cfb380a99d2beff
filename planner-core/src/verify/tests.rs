//! Tests of the checker: small inventories and hand-written plans, one safe
//! plan and, for every rule, a plan that breaks it.
//!
//! Plans are written as text, one wave a line, steps separated by `;`:
//! `backup mbx1 full` (`backup mbx1 full after` after its upgrade),
//! `upgrade ldap1` (`upgrade! mx1` marks an accepted outage),
//! `data mbx2>mbx1 carol`, `switch mbx1>mbx2 alice,bob`, `purge mbx2 carol`
//! (the copies it deletes). An upgrade
//! gets the actions and checks its server's roles call for (drain, directory
//! dump, install, health check, undrain); `upgrade mx1 actions=install,undrain`
//! lists others. The words `drain`, `undrain` and `health-check` make no step
//! (they are actions of the upgrade since `upgrade-plan/v2`): they only mark
//! where v1 had such steps, so that the plans read as the operator's night.
//! Short server names get `.example.com`; short accounts are looked up by
//! their local part. Placement is `store before-GiB/count peak after; ...`.

use std::collections::BTreeSet;
use std::error::Error;

use super::{Rule, Violation};
use crate::inventory::{self, Inventory};
use crate::plan::{
    BackupMode, BackupWhen, FORMAT, Placement, Plan, PlanOptions, Step, StepKind, StoreLoad, Wave,
    inventory_digest, upgrade_actions,
};

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

const NOW: &str = "2026-11-29T00:00:00Z";
const GIB: u64 = 1 << 30;

/// Two LDAP servers, two MTA+proxy nodes behind a load balancer (drained
/// around their upgrade), two mailstores below the target with three mailboxes.
const INVENTORY: &str = r#"
format: 1
target_version: "10.1.5"
roles:
  mta: { drain: true }
servers:
  - { name: ldap1.example.com, roles: [ldap-master], version: "9.0.0_P40" }
  - { name: ldap2.example.com, roles: [ldap-replica], version: "9.0.0_P40" }
  - { name: mx1.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
  - { name: mx2.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
  - { name: mbx1.example.com, roles: [mailstore], version: "9.0.0_P40", capacity: { disk: 100GiB, mailboxes: 100 }, last_backup: { full: "2026-11-25T01:00:00Z" } }
  - { name: mbx2.example.com, roles: [mailstore], version: "9.0.0_P40", capacity: { disk: 100GiB, mailboxes: 100 } }
mailboxes:
  - { account: alice@example.com, store: mbx1.example.com, size: 10GiB }
  - { account: bob@example.com, store: mbx1.example.com, size: 5GiB }
  - { account: carol@example.org, store: mbx2.example.com, size: 20GiB }
"#;

/// The safe plan for [`INVENTORY`]: back up both stores, upgrade the
/// directory, empty mbx2 into mbx1 while the MTAs upgrade one at a time,
/// upgrade mbx2, then move everything onto it and upgrade mbx1.
const PLAN: &str = "
1: backup mbx1 incremental; backup mbx2 full; upgrade ldap1
2: health-check ldap1; upgrade ldap2; pool-out mbx2
3: health-check ldap2; drain mx1; data mbx2>mbx1 carol
4: upgrade mx1; switch mbx2>mbx1 carol
5: health-check mx1; undrain mx1
6: drain mx2
7: upgrade mx2; purge mbx2 carol
8: health-check mx2; undrain mx2; upgrade mbx2; pool-out mbx1
9: health-check mbx2; pool-in mbx2; data mbx1>mbx2 alice,bob,carol
10: switch mbx1>mbx2 alice,bob,carol
11: upgrade mbx1; backup mbx2 full after
12: health-check mbx1; pool-in mbx1; purge mbx1 alice,bob,carol
";

const PLACEMENT: &str = "mbx1 15/2 35/3 0/0; mbx2 20/1 35/3 35/3";

/// The same installation with mbx2 already at the target and holding carol:
/// the `forward` shape, where mbx1 empties onto the upgraded store.
fn forward_inventory() -> String {
    INVENTORY.replace(
        r#"name: mbx2.example.com, roles: [mailstore], version: "9.0.0_P40""#,
        r#"name: mbx2.example.com, roles: [mailstore], version: "10.1.5_GA_4200""#,
    )
}

const FORWARD_PLAN: &str = "
1: backup mbx1 incremental; upgrade ldap1
2: upgrade ldap2
3: drain mx1
4: upgrade mx1
5: undrain mx1
6: drain mx2
7: upgrade mx2; pool-out mbx1
8: undrain mx2; data mbx1>mbx2 alice,bob
9: switch mbx1>mbx2 alice,bob
10: upgrade mbx1
11: health-check mbx1; pool-in mbx1; purge mbx1 alice,bob
";

const FORWARD_PLACEMENT: &str = "mbx1 15/2 15/2 0/0; mbx2 20/1 35/3 35/3";

/// The inventory of a test, with Zextras Suite as its toolset: the fixture
/// plans copy in two stages towards 10.1.5, which only Zextras writes, and
/// which it cannot run on 10.x. [`check`] leaves that toolset finding out;
/// `the_toolset_runs_on_every_version_it_touches` tests it.
fn inventory(text: &str) -> Result<Inventory> {
    let text = if text.contains("policy: { ") {
        text.replacen("policy: { ", "policy: { tools: zextras, ", 1)
    } else {
        text.replacen("roles:\n", "policy: { tools: zextras }\nroles:\n", 1)
    };
    Ok(inventory::parse("t.yaml", text.as_bytes())?
        .validate(&[])?
        .inventory)
}

fn host(short: &str) -> String {
    if short.contains('.') {
        short.to_string()
    } else {
        format!("{short}.example.com")
    }
}

/// A step with only an id and a kind, read from JSON so that fields added
/// to the contract later need no change here.
fn blank(id: String, kind: StepKind) -> Step {
    serde_json::from_value(serde_json::json!({
        "id": id, "kind": kind, "why": "test", "estimated_duration_s": null,
    }))
    .expect("a step")
}

/// The step a DSL word makes; `None` for the v1 markers.
fn marker_or_step(inv: &Inventory, text: &str) -> Option<Step> {
    match text.split_whitespace().next() {
        Some("drain" | "undrain" | "health-check") => None,
        _ => Some(step(inv, text)),
    }
}

fn step(inv: &Inventory, text: &str) -> Step {
    let words: Vec<&str> = text.split_whitespace().collect();
    let kind = match words[0] {
        "backup" => StepKind::Backup,
        "upgrade" | "upgrade!" => StepKind::Upgrade,
        "pool-out" => StepKind::PoolOut,
        "pool-in" => StepKind::PoolIn,
        "data" => StepKind::MoveData,
        "switch" => StepKind::MoveSwitch,
        "purge" => StepKind::Purge,
        other => panic!("unknown step word {other}"),
    };
    let mut bytes = 0;
    let accounts: Vec<String> = words
        .get(2)
        .filter(|_| kind.is_move() || kind == StepKind::Purge)
        .map_or(&[][..], |w| std::slice::from_ref(w))
        .iter()
        .flat_map(|w| w.split(','))
        .map(|a| {
            let found = inv
                .mailboxes
                .iter()
                .find(|m| m.account.local_part() == a || m.account.as_str() == a);
            match found {
                Some(m) => {
                    bytes += m.size.with_overhead(inv.policy.size_overhead).0;
                    m.account.to_string()
                }
                None if a.contains('@') => a.to_string(),
                None => format!("{a}@example.com"),
            }
        })
        .collect();
    if kind.is_move() {
        let (source, target) = words[1].split_once('>').expect("SOURCE>TARGET");
        let (source, target) = (host(source), host(target));
        let mut s = blank(format!("{}:{source}>{target}", kind.as_str()), kind);
        s.source = Some(source);
        s.target = Some(target);
        s.accounts = Some(accounts);
        s.domains = Some(Vec::new());
        s.bytes = Some(bytes);
        s.candidates = Some(Vec::new());
        return s;
    }
    let server = host(words[1]);
    let mut s = blank(format!("{}:{server}", kind.as_str()), kind);
    match kind {
        StepKind::Backup => {
            s.mode = Some(if words[2] == "full" {
                BackupMode::Full
            } else {
                BackupMode::Incremental
            });
            s.when = Some(if words.get(3) == Some(&"after") {
                BackupWhen::AfterUpgrade
            } else {
                BackupWhen::Before
            });
        }
        StepKind::Purge => {
            s.accounts = Some(accounts);
            s.bytes = Some(bytes);
        }
        StepKind::Upgrade => {
            s.from_version = inv
                .server_id(&server)
                .map(|id| inv.server(id).version.to_string());
            s.to_version = Some(inv.target_version.to_string());
            s.outage = Some(words[0] == "upgrade!");
            let roles: &[String] = inv
                .server_id(&server)
                .map_or(&[], |id| inv.server(id).roles.as_slice());
            let (mut actions, checks) = upgrade_actions(&inv.profile, roles);
            if let Some(listed) = words.get(2).and_then(|w| w.strip_prefix("actions=")) {
                actions = listed
                    .split(',')
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        serde_json::from_value(serde_json::json!(a))
                            .unwrap_or_else(|_| panic!("unknown action {a}"))
                    })
                    .collect();
            }
            s.actions = Some(actions);
            s.checks = Some(checks);
            s.waits_for = Some(Vec::new());
        }
        _ => {}
    }
    s.server = Some(server);
    s
}

fn loads(text: &str, column: usize) -> std::collections::BTreeMap<String, StoreLoad> {
    text.split(';')
        .map(|entry| {
            let words: Vec<&str> = entry.split_whitespace().collect();
            let (gib, count) = words[column].split_once('/').expect("GIB/COUNT");
            let load = StoreLoad {
                bytes: gib.parse::<u64>().expect("GiB") * GIB,
                mailboxes: count.parse().expect("count"),
            };
            (host(words[0]), load)
        })
        .collect()
}

/// Builds a plan for `inv` from wave lines and a placement line.
fn plan(inv: &Inventory, waves: &str, placement: &str) -> Plan {
    let mut ids = BTreeSet::new();
    let waves: Vec<Wave> = waves
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let body = line.split_once(':').map_or(line, |(_, b)| b);
            let steps = body
                .split(';')
                .filter(|s| !s.trim().is_empty())
                .filter_map(|s| marker_or_step(inv, s))
                .map(|mut step| {
                    let base = step.id.clone();
                    let mut n = 1;
                    while !ids.insert(step.id.clone()) {
                        n += 1;
                        step.id = format!("{base}#{n}");
                    }
                    step
                })
                .collect();
            Wave {
                index: i as u32 + 1,
                steps,
                estimated_duration_s: None,
                start: None,
                end: None,
            }
        })
        .collect();
    let p = &inv.policy;
    let fraction = |f: inventory::Fraction| f64::from(f.0) / 1e6;
    let json = serde_json::json!({
        "format": FORMAT,
        "planner_version": "0.1.0",
        "inventory_digest": inventory_digest(inv),
        "now": NOW,
        "target_version": inv.target_version.to_string(),
        "profile": inv.profile.name.as_str(),
        "policy": {
            "strategy": p.strategy,
            "max_fill": fraction(p.max_fill),
            "size_overhead": fraction(p.size_overhead),
            "evacuate": p.evacuate,
            "move_by": p.move_by,
            "two_stage_moves": p.two_stage_moves,
            "backup": p.backup,
            "full_backup_max_age_s": p.full_backup_max_age.0,
            "max_parallel_moves": p.max_parallel_moves,
            "max_moves_per_source": p.max_moves_per_source,
            "max_parallel_upgrades": p.max_parallel_upgrades,
            "purge": p.purge,
            "backup_after_upgrade": p.backup_after_upgrade,
            "cross_site_moves": p.cross_site_moves,
            "allow_outage": p.allow_outage,
            "notify": null,
            "rates": null,
        },
        "tools": p.tools,
        "strategy": { "requested": p.strategy, "chosen": "forward", "why": "test" },
        "summary": {
            "servers_to_upgrade": 0, "servers_at_target": 0, "mailboxes_moved": 0, "bytes_moved": 0,
            "mailboxes_moved_twice": 0, "bytes_moved_again": 0, "waves": waves.len(),
            "outages": [], "warnings": [], "estimated_duration_s": null,
        },
        "waves": waves,
        "placement": Placement { before: loads(placement, 1), peak: loads(placement, 2), after: loads(placement, 3) },
    });
    serde_json::from_value(json).expect("a plan")
}

fn options() -> PlanOptions {
    PlanOptions::at(NOW.parse().expect("a time"))
}

/// Verifies a plan for an inventory, both as text.
fn check(inventory_text: &str, waves: &str, placement: &str) -> Result<Vec<Violation>> {
    let inv = inventory(inventory_text)?;
    Ok(verify(&plan(&inv, waves, placement), &inv, &options()))
}

/// The checker's verdict, without the toolset finding the fixture plans all
/// have (see [`inventory`]).
fn verify(plan: &Plan, inv: &Inventory, options: &PlanOptions) -> Vec<Violation> {
    no_tools(super::verify(plan, inv, options))
}

fn no_tools(mut violations: Vec<Violation>) -> Vec<Violation> {
    violations.retain(|v| v.rule != Rule::Tools);
    violations
}

#[test]
fn the_toolset_runs_on_every_version_it_touches() -> Result {
    let inv = inventory(INVENTORY)?;
    let mut p = plan(&inv, PLAN, PLACEMENT);
    let v = super::verify(&p, &inv, &options());
    assert_rules(&v, &[Rule::Tools]);
    // mbx2 runs 10.1.5 after its upgrade in wave 9: Zextras cannot back it
    // up there, nor purge mbx1 once it is upgraded.
    assert_reports(
        &v,
        Rule::Tools,
        "tools: zextras cannot run on mbx2.example.com, at 10.1.5 in this wave",
    );
    assert_eq!(v.len(), 2, "one finding per store and version");
    // Without a tool, a plan that moves mailboxes is refused.
    let none = inventory::parse(
        "t.yaml",
        INVENTORY
            .replacen("roles:\n", "policy: { tools: none }\nroles:\n", 1)
            .as_bytes(),
    )?
    .validate(&[])?
    .inventory;
    let mut q = plan(&none, PLAN, PLACEMENT);
    q.tools = crate::inventory::Tools::None;
    assert_reports(
        &super::verify(&q, &none, &options()),
        Rule::Tools,
        "tools: none has no tool to move or purge mailboxes, but the plan does",
    );
    // A plan that names another toolset than the policy's.
    p.tools = crate::inventory::Tools::ZimbraNe;
    let v = super::verify(&p, &inv, &options());
    assert_reports(
        &v,
        Rule::Tools,
        "the plan runs the zimbra-ne toolset, but the inventory's policy says zextras",
    );
    Ok(())
}

fn rules(violations: &[Violation]) -> BTreeSet<Rule> {
    violations.iter().map(|v| v.rule).collect()
}

fn text(violations: &[Violation]) -> String {
    violations.iter().map(|v| format!("{v}\n")).collect()
}

/// Asserts that the violations break exactly these rules.
#[track_caller]
fn assert_rules(violations: &[Violation], expected: &[Rule]) {
    let expected: BTreeSet<Rule> = expected.iter().copied().collect();
    assert_eq!(rules(violations), expected, "{}", text(violations));
}

/// Asserts that one violation breaks the rule with a message containing `words`.
#[track_caller]
fn assert_reports(violations: &[Violation], rule: Rule, words: &str) {
    assert!(
        violations
            .iter()
            .any(|v| v.rule == rule && v.message.contains(words)),
        "no {rule} violation mentioning `{words}` in:\n{}",
        text(violations)
    );
}

#[test]
fn the_safe_plan_has_no_violation() -> Result {
    assert_rules(&check(INVENTORY, PLAN, PLACEMENT)?, &[]);
    assert_rules(
        &check(&forward_inventory(), FORWARD_PLAN, FORWARD_PLACEMENT)?,
        &[],
    );
    Ok(())
}

#[test]
fn names_in_the_plan_are_read_whatever_their_case() -> Result {
    let inv = inventory(INVENTORY)?;
    let mut p = plan(&inv, PLAN, PLACEMENT);
    for step in p.waves.iter_mut().flat_map(|w| w.steps.iter_mut()) {
        for name in [&mut step.server, &mut step.source, &mut step.target]
            .into_iter()
            .flatten()
        {
            *name = name.to_uppercase();
        }
        for account in step.accounts.iter_mut().flatten() {
            *account = account.to_uppercase();
        }
    }
    p.placement.after = p
        .placement
        .after
        .into_iter()
        .map(|(k, v)| (k.to_uppercase(), v))
        .collect();
    assert_rules(&verify(&p, &inv, &options()), &[]);
    Ok(())
}

#[test]
fn a_wrong_format_or_time_or_wave_index_is_a_format_violation() -> Result {
    let inv = inventory(INVENTORY)?;
    let mut p = plan(&inv, PLAN, PLACEMENT);
    p.format = "upgrade-plan/v1".to_string();
    p.now = "yesterday".to_string();
    p.waves[2].index = 7;
    let id = p.waves[0].steps[0].id.clone();
    p.waves[1].steps[0].id = id;
    let v = verify(&p, &inv, &options());
    assert_rules(&v, &[Rule::Format]);
    assert_reports(
        &v,
        Rule::Format,
        "is `upgrade-plan/v1`, not `upgrade-plan/v2`",
    );
    assert_reports(&v, Rule::Format, "not an RFC 3339 time");
    assert_reports(&v, Rule::Format, "has index 7");
    assert_reports(&v, Rule::Format, "used more than once");
    Ok(())
}

#[test]
fn a_plan_made_from_another_inventory_is_stale() -> Result {
    let old = inventory(INVENTORY)?;
    let p = plan(&old, PLAN, PLACEMENT);
    let changed = inventory(&INVENTORY.replace("size: 5GiB", "size: 6GiB"))?;
    let v = verify(&p, &changed, &options());
    assert_reports(&v, Rule::Stale, "the inventory changed");
    assert_eq!(
        v[0].to_string(),
        "stale plan: the inventory changed since the plan was made (its digest differs)"
    );
    // The check of a plan just made skips only the digest: the same plan
    // judged against the changed inventory breaks the placement rule instead.
    let fresh = super::verify_new(&p, &changed, &options());
    assert!(
        fresh.iter().all(|v| v.rule != Rule::Stale),
        "{}",
        text(&fresh)
    );
    assert!(!fresh.is_empty());
    assert_rules(&no_tools(super::verify_new(&p, &old, &options())), &[]);
    Ok(())
}

#[test]
fn rule_1_every_server_below_the_target_is_upgraded_once() -> Result {
    let v = check(
        INVENTORY,
        &PLAN.replace("upgrade ldap2", "health-check ldap2"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Complete,
        "ldap2.example.com is at 9.0.0_P40, below the target 10.1.5, and is never upgraded",
    );
    let v = check(
        INVENTORY,
        &PLAN.replace("12: health-check mbx1", "12: upgrade mbx1"),
        PLACEMENT,
    )?;
    assert_reports(&v, Rule::Complete, "upgraded more than once");
    // mbx2 is at the target in the forward inventory.
    let v = check(
        &forward_inventory(),
        &FORWARD_PLAN.replace("11: health-check mbx1", "11: upgrade mbx2"),
        FORWARD_PLACEMENT,
    )?;
    // Upgrading it would also take its mailboxes down with it.
    assert_rules(&v, &[Rule::Complete, Rule::EmptyBeforeUpgrade]);
    assert_reports(&v, Rule::Complete, "already at the target version");
    Ok(())
}

#[test]
fn rule_2_tiers_upgrade_in_order() -> Result {
    // mbx2 (a mailstore) before mx2 (an MTA); its purge as late as before.
    let waves = PLAN
        .replace("6: drain mx2", "6: drain mx2; upgrade mbx2")
        .replace("undrain mx2; upgrade mbx2", "undrain mx2; purge mbx2 carol")
        .replace("upgrade mx2; purge mbx2 carol", "upgrade mx2");
    let v = check(INVENTORY, &waves, PLACEMENT)?;
    assert_rules(&v, &[Rule::Order]);
    assert_reports(
        &v,
        Rule::Order,
        "mbx2.example.com (tier mailstore) is upgraded in wave 6, not after mx2.example.com (tier mta, upgraded in wave 7)",
    );
    assert_eq!(v[0].wave, Some(6));
    assert_eq!(v[0].step.as_deref(), Some("upgrade:mbx2.example.com"));
    Ok(())
}

#[test]
fn rule_2_depends_on_and_auxiliary_roles_are_ordered() -> Result {
    let depends = INVENTORY.replace(
        "name: mx1.example.com,",
        "name: mx1.example.com, depends_on: [mx2.example.com],",
    );
    let v = check(&depends, PLAN, PLACEMENT)?;
    assert_rules(&v, &[Rule::Order]);
    assert_reports(
        &v,
        Rule::Order,
        "mx1.example.com depends on mx2.example.com",
    );

    let logger = INVENTORY.replace(
        "mailboxes:\n",
        "  - { name: log1.example.com, roles: [logger], version: \"9.0.0_P40\" }\nmailboxes:\n",
    );
    // The logger waits for the LDAP servers only: after them it is free.
    assert_rules(
        &check(
            &logger,
            &PLAN.replace("5: health-check mx1", "5: upgrade log1"),
            PLACEMENT,
        )?,
        &[],
    );
    let v = check(
        &logger,
        &PLAN.replace("2: health-check ldap1", "2: upgrade log1"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Order,
        "log1.example.com (logger) must wait for every ldap-replica server, but is upgraded in wave 2, not after ldap2.example.com (upgraded in wave 2)",
    );
    Ok(())
}

#[test]
fn rule_3_roles_stay_available_and_upgrades_drain_around_their_install() -> Result {
    // An MTA's upgrade that does not drain it first.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "4: upgrade mx1;",
            "4: upgrade mx1 actions=install,health-check,undrain;",
        ),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Availability]);
    assert_reports(
        &v,
        Rule::Availability,
        "mx1.example.com (mta) must be drained before its install and undrained after it and its health check",
    );
    // ... or undrains it before its install.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "4: upgrade mx1;",
            "4: upgrade mx1 actions=drain,undrain,install,health-check;",
        ),
        PLACEMENT,
    )?;
    assert_reports(&v, Rule::Availability, "undrained after it");
    // ... or back in rotation before its health check has passed.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "4: upgrade mx1;",
            "4: upgrade mx1 actions=drain,install,undrain,health-check;",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Availability,
        "undrained after it and its health check",
    );
    // Both MTAs (and proxies) upgraded in one wave: both out at once.
    let v = check(
        INVENTORY,
        &PLAN
            .replace("7: upgrade mx2", "7:")
            .replace("4: upgrade mx1;", "4: upgrade mx1; upgrade mx2;"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Availability,
        "mta has 2 of its 2 servers out of service at once, above max_unavailable 1",
    );
    assert!(v.iter().any(|v| v.wave == Some(4)), "{}", text(&v));
    Ok(())
}

#[test]
fn rule_2_an_upgrade_is_gated_on_its_health_check() -> Result {
    // No health check: the waves after it are not gated on its health.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "upgrade ldap2",
            "upgrade ldap2 actions=directory-dump,install",
        ),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Order]);
    assert_reports(
        &v,
        Rule::Order,
        "ldap2.example.com has no health check after its install",
    );
    // A health check before the install checks the old version.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "upgrade ldap2",
            "upgrade ldap2 actions=directory-dump,health-check,install",
        ),
        PLACEMENT,
    )?;
    assert_reports(&v, Rule::Order, "no health check after its install");
    // No install at all, and no actions at all.
    let v = check(
        INVENTORY,
        &PLAN.replace("upgrade mbx1", "upgrade mbx1 actions=health-check"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Complete,
        "the upgrade of mbx1.example.com has no `install` action",
    );
    let inv = inventory(INVENTORY)?;
    let mut p = plan(&inv, PLAN, PLACEMENT);
    p.waves[0].steps[2].actions = None;
    assert_eq!(p.waves[0].steps[2].id, "upgrade:ldap1.example.com");
    assert_reports(
        &verify(&p, &inv, &options()),
        Rule::Format,
        "an upgrade step without `actions`",
    );
    Ok(())
}

#[test]
fn rule_12_a_directory_server_is_dumped_before_its_install() -> Result {
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "upgrade ldap1",
            "upgrade ldap1 actions=install,health-check",
        ),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::DirectoryAndTiers]);
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "ldap1.example.com serves the directory: its upgrade must dump the directory before the install",
    );
    Ok(())
}

#[test]
fn rule_3_an_accepted_outage_is_marked_on_the_upgrade() -> Result {
    // Two MTAs that must both stay up: no upgrade can keep that, so the
    // outage is accepted, and each MTA upgrade must say it is one.
    let allowed = INVENTORY
        .replace(
            "mta: { drain: true }",
            "mta: { drain: true, min_available: 2 }",
        )
        .replace("roles:\n", "policy: { allow_outage: [mta] }\nroles:\n");
    let v = check(&allowed, PLAN, PLACEMENT)?;
    assert_rules(&v, &[Rule::Availability]);
    assert_reports(
        &v,
        Rule::Availability,
        "its outage is accepted, but the step is not marked `outage: true`",
    );
    let marked = PLAN
        .replace("upgrade mx1", "upgrade! mx1")
        .replace("upgrade mx2", "upgrade! mx2");
    assert_rules(&check(&allowed, &marked, PLACEMENT)?, &[]);
    // allow_outage relaxes min_available only: both MTAs out at once is
    // still above max_unavailable, marked or not.
    let both_out = marked
        .replace("7: upgrade! mx2", "7:")
        .replace("4: upgrade! mx1;", "4: upgrade! mx1; upgrade! mx2;");
    let two_at_once = |inv: &str| {
        inv.replace(
            "allow_outage: [mta] }",
            "allow_outage: [mta], max_parallel_upgrades: 2 }",
        )
    };
    let v = check(&two_at_once(&allowed), &both_out, PLACEMENT)?;
    assert_rules(&v, &[Rule::Availability]);
    assert_reports(
        &v,
        Rule::Availability,
        "mta has 2 of its 2 servers out of service at once, above max_unavailable 1",
    );
    // allow_outage does not relax a role with more servers than
    // min_available: with the default min_available 1 the marked plan has
    // no outage to accept, and both out at once is refused.
    let relaxed = INVENTORY.replace("roles:\n", "policy: { allow_outage: [mta] }\nroles:\n");
    assert_rules(
        &check(&two_at_once(&relaxed), &both_out, PLACEMENT)?,
        &[Rule::Availability],
    );
    Ok(())
}

#[test]
fn rule_3_directory_masters_go_one_at_a_time() -> Result {
    // Two masters in a group that allows two down: still one at a time.
    let two_masters = INVENTORY
        .replace("ldap2.example.com, roles: [ldap-replica]", "ldap2.example.com, roles: [ldap-master]")
        .replace(
            "roles:\n",
            "policy: { max_parallel_upgrades: 2 }\ngroups:\n  directory: { min_available: 0, max_unavailable: 2 }\nroles:\n",
        );
    // Two masters upgrade in waves 1 and 2: mbx2 is pooled out in a wave of
    // its own after them.
    let plan = PLAN.replace("; pool-out mbx2\n", "\n2b: pool-out mbx2\n");
    assert_rules(&check(&two_masters, &plan, PLACEMENT)?, &[]);
    let together = plan
        .replace("; upgrade ldap1", "; upgrade ldap1; upgrade ldap2")
        .replace(
            "2: health-check ldap1; upgrade ldap2",
            "2: health-check ldap1; health-check ldap2",
        );
    let v = check(&two_masters, &together, PLACEMENT)?;
    assert_rules(&v, &[Rule::Availability]);
    assert_reports(&v, Rule::Availability, "masters go one at a time");
    Ok(())
}

#[test]
fn rule_4_an_evacuated_store_is_empty_when_its_upgrade_starts() -> Result {
    let waves = PLAN
        .replace(
            "10: switch mbx1>mbx2 alice,bob,carol",
            "10: switch mbx1>mbx2 alice,bob,carol; upgrade mbx1",
        )
        .replace("11: upgrade mbx1", "11:");
    let v = check(INVENTORY, &waves, PLACEMENT)?;
    assert_rules(&v, &[Rule::EmptyBeforeUpgrade]);
    assert_reports(
        &v,
        Rule::EmptyBeforeUpgrade,
        "mbx1.example.com still holds 3 mailboxes and 0 stage-1 copies",
    );
    assert_reports(
        &v,
        Rule::EmptyBeforeUpgrade,
        "moves mailboxes off mbx1.example.com in the wave of its upgrade",
    );
    Ok(())
}

#[test]
fn rule_4_an_in_place_upgrade_is_a_marked_outage() -> Result {
    let never = INVENTORY.replace("roles:\n", "policy: { evacuate: never }\nroles:\n");
    let in_place = "
        1: backup mbx1 incremental; backup mbx2 full; upgrade ldap1
        2: upgrade ldap2
        3: drain mx1
        4: upgrade mx1
        5: undrain mx1
        6: drain mx2
        7: upgrade mx2
        8: undrain mx2; upgrade! mbx2
        9: upgrade! mbx1; backup mbx2 full after
        10: backup mbx1 full after
    ";
    let placement = "mbx1 15/2 15/2 15/2; mbx2 20/1 20/1 20/1";
    assert_rules(&check(&never, in_place, placement)?, &[]);
    let v = check(
        &never,
        &in_place.replace("upgrade! mbx1", "upgrade mbx1"),
        placement,
    )?;
    assert_rules(&v, &[Rule::EmptyBeforeUpgrade]);
    assert_reports(
        &v,
        Rule::EmptyBeforeUpgrade,
        "upgraded in place with 2 mailboxes",
    );
    Ok(())
}

#[test]
fn rule_5_stores_with_mailboxes_are_backed_up_first() -> Result {
    let v = check(INVENTORY, &PLAN.replace("backup mbx2 full;", ""), PLACEMENT)?;
    assert_rules(&v, &[Rule::BackupFirst]);
    assert_reports(
        &v,
        Rule::BackupFirst,
        "mbx2.example.com holds 1 mailboxes and is upgraded, but gets no backup step",
    );

    let v = check(
        INVENTORY,
        &PLAN.replace("backup mbx1 incremental", "backup mbx1 full"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::BackupFirst]);
    assert_reports(&v, Rule::BackupFirst, "is full but must be incremental");

    let v = check(
        INVENTORY,
        &PLAN.replace("backup mbx2 full", "backup mbx2 incremental"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::BackupFirst,
        "is incremental but must be full: no full backup is known",
    );

    let late = PLAN.replace("backup mbx2 full;", "").replace(
        "3: health-check ldap2; drain mx1;",
        "3: health-check ldap2; drain mx1; backup mbx2 full;",
    );
    let v = check(INVENTORY, &late, PLACEMENT)?;
    // Beside the copy off the store, it also breaks rule 13.
    assert_rules(&v, &[Rule::BackupFirst, Rule::Batches]);
    assert_reports(&v, Rule::BackupFirst, "before its first move out (wave 3)");
    Ok(())
}

#[test]
fn rule_5_a_full_backup_follows_a_major_upgrade() -> Result {
    // mbx2 goes from 9.0 to 10.1 and ends holding everyone: a full backup
    // after its upgrade and after the last move onto it (wave 10).
    let v = check(
        INVENTORY,
        &PLAN.replace("; backup mbx2 full after", ""),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::BackupFirst]);
    assert_reports(
        &v,
        Rule::BackupFirst,
        "mbx2.example.com ends with 3 mailboxes after its upgrade from 9.0.0_P40 to 10.1.5, but gets no full backup after it",
    );
    let early = PLAN
        .replace("; backup mbx2 full after", "")
        .replace("10: switch", "10: backup mbx2 full after; switch");
    let v = check(INVENTORY, &early, PLACEMENT)?;
    assert_reports(&v, Rule::BackupFirst, "must come after wave 10");
    // Beside the switch onto it, it also breaks rule 13.
    assert_reports(
        &v,
        Rule::Batches,
        "mbx2.example.com is backed up in a wave that moves mailboxes",
    );
    let v = check(
        INVENTORY,
        &PLAN.replace("backup mbx2 full after", "backup mbx2 incremental after"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::BackupFirst]);
    assert_reports(&v, Rule::BackupFirst, "after its upgrade must be full");
    // mbx1 ends empty: no backup after its upgrade.
    let v = check(
        INVENTORY,
        &PLAN.replace("pool-in mbx1;", "pool-in mbx1; backup mbx1 full after;"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::BackupFirst]);
    assert_reports(&v, Rule::BackupFirst, "does not call for here");
    // `never`, or a patch within one major version: none.
    let never = INVENTORY.replace(
        "roles:\n",
        "policy: { backup_after_upgrade: never }\nroles:\n",
    );
    assert_rules(&check(&never, PLAN, PLACEMENT)?, &[Rule::BackupFirst]);
    let minor = INVENTORY.replace("\"10.1.5\"", "\"9.0.0_P41\"");
    assert_rules(
        &check(
            &minor,
            &PLAN.replace("; backup mbx2 full after", ""),
            PLACEMENT,
        )?,
        &[],
    );
    Ok(())
}

#[test]
fn rule_5_the_backup_mode_follows_the_age_of_the_last_full_backup() -> Result {
    let inv = inventory(INVENTORY)?;
    let mut p = plan(&inv, PLAN, PLACEMENT);
    // Ten days after the last full backup of mbx1, beyond the default 7d.
    p.now = "2026-12-05T01:00:00Z".to_string();
    let v = verify(&p, &inv, &options());
    assert_rules(&v, &[Rule::BackupFirst]);
    assert_reports(&v, Rule::BackupFirst, "is older than 7d");
    Ok(())
}

#[test]
fn rule_6_switches_follow_a_data_copy() -> Result {
    let v = check(
        INVENTORY,
        &PLAN.replace("data mbx2>mbx1 carol", ""),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::TwoStages]);
    assert_reports(
        &v,
        Rule::TwoStages,
        "carol@example.org is switched to mbx1.example.com without a data copy",
    );

    let one_stage = INVENTORY.replace("roles:\n", "policy: { two_stage_moves: false }\nroles:\n");
    let v = check(&one_stage, PLAN, PLACEMENT)?;
    assert_rules(&v, &[Rule::TwoStages]);
    assert_reports(&v, Rule::TwoStages, "two_stage_moves is off");
    Ok(())
}

#[test]
fn rule_7_no_store_goes_above_max_fill() -> Result {
    let small = INVENTORY.replace(
        "version: \"9.0.0_P40\", capacity: { disk: 100GiB, mailboxes: 100 } }",
        "version: \"9.0.0_P40\", capacity: { disk: 30GiB, mailboxes: 3 } }",
    );
    let v = check(&small, PLAN, PLACEMENT)?;
    assert_rules(&v, &[Rule::Capacity]);
    let first = v
        .iter()
        .find(|v| v.rule == Rule::Capacity)
        .expect("a violation");
    assert_eq!(
        first.to_string(),
        "wave 9: step move-data:mbx1.example.com>mbx2.example.com: rule 7 (capacity): \
         mbx2.example.com would hold 35 GiB, above 90% of 30 GiB"
    );
    assert_reports(
        &v,
        Rule::Capacity,
        "mbx2.example.com would serve 3 mailboxes, above 90% of 3",
    );

    // mbx1 starts above its ceiling (15 GiB of 16 GiB, ceiling 14.4 GiB): it
    // may not receive carol's copy.
    let full = INVENTORY.replace(
        "capacity: { disk: 100GiB, mailboxes: 100 }, last_backup",
        "capacity: { disk: 16GiB }, last_backup",
    );
    let v = check(&full, PLAN, PLACEMENT)?;
    assert_rules(&v, &[Rule::Capacity]);
    assert_reports(
        &v,
        Rule::Capacity,
        "mbx1.example.com would hold 35 GiB, above 90% of 16 GiB",
    );
    Ok(())
}

#[test]
fn rule_7_a_store_keeps_its_moved_copies_until_a_purge() -> Result {
    // 60 GiB disks (ceiling 54 GiB): mbx2 may take everyone back (35 GiB)
    // only once carol's old copy (20 GiB) is purged.
    let small = INVENTORY.replace("disk: 100GiB", "disk: 60GiB");
    assert_rules(&check(&small, PLAN, PLACEMENT)?, &[]);

    // A dropped purge: the copy stays, the disk with it.
    let v = check(&small, &PLAN.replace("; purge mbx2 carol", ""), PLACEMENT)?;
    assert_rules(&v, &[Rule::Capacity, Rule::Conservation]);
    assert_reports(
        &v,
        Rule::Capacity,
        "mbx2.example.com would hold 55 GiB, above 90% of 60 GiB",
    );
    assert_reports(
        &v,
        Rule::Capacity,
        "mbx2.example.com keeps the copies of 1 account switched off it (such as carol@example.org) to the end: no purge deletes them",
    );

    // A purge in its switch's wave deletes nothing yet, and shares the wave
    // with a move off its store.
    let v = check(
        INVENTORY,
        &PLAN.replace("; purge mbx2 carol", "").replace(
            "switch mbx2>mbx1 carol",
            "switch mbx2>mbx1 carol; purge mbx2 carol",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Capacity,
        "purges carol@example.org from mbx2.example.com in the wave that switches it away",
    );
    assert_reports(
        &v,
        Rule::Batches,
        "mbx2.example.com is purged in a wave that moves mailboxes off or onto it",
    );

    // A purge beside a copy onto its store (and since a wave's additions
    // come before its releases, the copy and the old one peak together).
    let v = check(
        INVENTORY,
        &PLAN
            .replace("; purge mbx2 carol", "")
            .replace("pool-in mbx2;", "pool-in mbx2; purge mbx2 carol;"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Batches, Rule::Conservation]);
    assert_reports(&v, Rule::Conservation, "peaks at 3 mailboxes and 55 GiB");

    // Earlier than it needs to be, it leaves less time to check the moves.
    let v = check(
        INVENTORY,
        &PLAN
            .replace("; purge mbx2 carol", "")
            .replace("5: health-check mx1; undrain mx1", "5: purge mbx2 carol"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Capacity]);
    assert_reports(
        &v,
        Rule::Capacity,
        "purges mbx2.example.com in wave 5, but it could wait until wave 7, before it receives copies in wave 9",
    );

    // A purge that names what its store does not hold.
    let v = check(
        INVENTORY,
        &PLAN.replace("purge mbx2 carol", "purge mbx2 carol,alice"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Conservation,
        "purges alice@example.com from mbx2.example.com, which holds no copy of it",
    );

    // A purge that leaves out a copy due (the command deletes them all),
    // and one with nothing to delete.
    let v = check(
        INVENTORY,
        &PLAN.replace("purge mbx1 alice,bob,carol", "purge mbx1 alice,bob"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Conservation,
        "does not list carol@example.org, switched off mbx1.example.com before this wave",
    );
    let v = check(
        INVENTORY,
        &PLAN.replace("12: health-check mbx1;", "12: purge mbx2;"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Conservation]);
    assert_reports(
        &v,
        Rule::Conservation,
        "purges mbx2.example.com, but no account was switched off it since its last purge",
    );

    // `at-end`: every purge in the last wave, and the copies counted until then.
    let at_end = INVENTORY.replace("roles:\n", "policy: { purge: at-end }\nroles:\n");
    let v = check(&at_end, PLAN, PLACEMENT)?;
    assert_rules(&v, &[Rule::Capacity]);
    assert_reports(
        &v,
        Rule::Capacity,
        "a purge in wave 7 of 12: policy purge: at-end puts every purge in the last wave",
    );
    let late = PLAN.replace("; purge mbx2 carol", "").replace(
        "purge mbx1 alice,bob,carol",
        "purge mbx1 alice,bob,carol; purge mbx2 carol",
    );
    let v = check(&at_end, &late, "mbx1 15/2 35/3 0/0; mbx2 20/1 55/3 35/3")?;
    assert_rules(&v, &[]);

    // `never`: no purge step, and the copies keep their disk.
    let never = INVENTORY.replace("roles:\n", "policy: { purge: never }\nroles:\n");
    let v = check(&never, PLAN, PLACEMENT)?;
    assert_reports(&v, Rule::Capacity, "a purge step under policy purge: never");
    let none = late
        .replace("; purge mbx1 alice,bob,carol", "")
        .replace("; purge mbx2 carol", "");
    let v = check(&never, &none, "mbx1 15/2 35/3 0/0; mbx2 20/1 55/3 35/3")?;
    assert_rules(&v, &[]);
    Ok(())
}

#[test]
fn rule_7_the_ceiling_is_the_effective_max_fill() -> Result {
    let inv = inventory(INVENTORY)?;
    let p = plan(&inv, PLAN, PLACEMENT);
    let mut tight = options();
    tight.max_fill = Some(inventory::Fraction::parse("30%")?);
    let v = verify(&p, &inv, &tight);
    assert_rules(&v, &[Rule::Capacity]);
    assert_reports(&v, Rule::Capacity, "above 30% of 100 GiB");
    Ok(())
}

#[test]
fn rule_8_no_mailbox_is_lost_or_duplicated() -> Result {
    let v = check(INVENTORY, PLAN, "mbx1 15/3 35/3 0/0; mbx2 20/1 35/3 35/3")?;
    assert_rules(&v, &[Rule::Conservation]);
    assert_reports(
        &v,
        Rule::Conservation,
        "placement.before gives mbx1.example.com 3 mailboxes",
    );

    let v = check(INVENTORY, PLAN, "mbx1 15/2 35/3 0/0; mbx2 20/1 35/3 35/2")?;
    assert_rules(&v, &[Rule::Conservation]);
    assert_reports(
        &v,
        Rule::Conservation,
        "but the replay of the steps ends with 3 mailboxes and 35 GiB",
    );

    let v = check(INVENTORY, PLAN, "mbx1 15/2 35/2 0/0; mbx2 20/1 35/3 35/3")?;
    assert_reports(
        &v,
        Rule::Conservation,
        "placement.peak gives mbx1.example.com 2 mailboxes",
    );

    let v = check(
        INVENTORY,
        &PLAN.replace("alice,bob,carol", "alice,bob,carol,dave"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Conservation]);
    assert_reports(
        &v,
        Rule::Conservation,
        "no mailbox in the inventory has the account dave@example.com",
    );

    // carol is copied but never switched: her copy is left on mbx2 and she
    // stays on mbx1, which is then upgraded with her on it.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "10: switch mbx1>mbx2 alice,bob,carol",
            "10: switch mbx1>mbx2 alice,bob",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Conservation,
        "stage-1 copy left without its switch: carol@example.org to mbx2.example.com",
    );
    assert_reports(&v, Rule::EmptyBeforeUpgrade, "still holds 1 mailboxes");

    // alice is on mbx1, not on mbx2.
    let v = check(
        INVENTORY,
        &PLAN.replace("data mbx2>mbx1 carol", "data mbx2>mbx1 carol,alice"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Conservation,
        "alice@example.com is copied from mbx2.example.com, where it is not (alice@example.com is on mbx1.example.com)",
    );

    let inv = inventory(INVENTORY)?;
    let mut p = plan(&inv, PLAN, PLACEMENT);
    p.waves[3].steps[1].bytes = Some(1);
    let v = verify(&p, &inv, &options());
    assert_rules(&v, &[Rule::Conservation]);
    assert_reports(
        &v,
        Rule::Conservation,
        "the step says 1 bytes, but its accounts' sizes with size_overhead add up to 21474836480 bytes",
    );
    Ok(())
}

#[test]
fn rule_9_targets_are_safe() -> Result {
    // From the store at the target back to one still at 9.0.0.
    let waves = FORWARD_PLAN
        .replace("3: drain mx1", "3: drain mx1; data mbx2>mbx1 carol")
        .replace("4: upgrade mx1", "4: upgrade mx1; switch mbx2>mbx1 carol");
    let v = check(&forward_inventory(), &waves, FORWARD_PLACEMENT)?;
    assert_reports(
        &v,
        Rule::SafeTargets,
        "moves mailboxes from mbx2.example.com at 10.1.5_GA_4200 to mbx1.example.com at the older 9.0.0_P40",
    );

    // mbx2 copies to mbx1 while mbx1 copies to mbx2.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "data mbx2>mbx1 carol",
            "data mbx2>mbx1 carol; data mbx1>mbx2 alice",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::SafeTargets,
        "which is the source of a move in this wave",
    );

    // To a server that holds no mailboxes, and to one that is down.
    let v = check(
        INVENTORY,
        &PLAN.replace("data mbx2>mbx1 carol", "data mbx2>mx1 carol"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::SafeTargets,
        "the target mx1.example.com is not a mailstore",
    );
    let v = check(
        INVENTORY,
        &PLAN
            .replace(
                "9: health-check mbx2;",
                "9: health-check mbx2; upgrade mbx2;",
            )
            .replace("undrain mx2; upgrade mbx2", "undrain mx2"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::SafeTargets,
        "which is upgraded (down) in this wave",
    );
    assert_reports(
        &v,
        Rule::EmptyBeforeUpgrade,
        "moves mailboxes to mbx2.example.com in the wave of its upgrade",
    );
    Ok(())
}

#[test]
fn rule_10_moves_stay_in_their_site() -> Result {
    let sites = INVENTORY
        .replace(
            "name: mbx1.example.com,",
            "name: mbx1.example.com, site: dc1,",
        )
        .replace(
            "name: mbx2.example.com,",
            "name: mbx2.example.com, site: dc2,",
        );
    let v = check(&sites, PLAN, PLACEMENT)?;
    assert_rules(&v, &[Rule::Locality]);
    assert_reports(
        &v,
        Rule::Locality,
        "from mbx2.example.com (site dc2) to mbx1.example.com (site dc1)",
    );
    let cross = sites.replace("roles:\n", "policy: { cross_site_moves: true }\nroles:\n");
    assert_rules(&check(&cross, PLAN, PLACEMENT)?, &[]);
    Ok(())
}

#[test]
fn rule_11_domains_move_together() -> Result {
    let by_domain = INVENTORY.replace("roles:\n", "policy: { move_by: domain, max_moves_per_source: 2 }\nroles:\n").replace(
        "mailboxes:\n",
        "  - { name: mbx3.example.com, roles: [mailstore], version: \"10.1.5\", capacity: { disk: 100GiB } }\nmailboxes:\n",
    );
    let placement = format!("{PLACEMENT}; mbx3 0/0 0/0 0/0");
    assert_rules(&check(&by_domain, PLAN, &placement)?, &[]);
    let split = PLAN
        .replace(
            "data mbx1>mbx2 alice,bob,carol",
            "data mbx1>mbx2 alice,carol; data mbx1>mbx3 bob",
        )
        .replace(
            "switch mbx1>mbx2 alice,bob,carol",
            "switch mbx1>mbx2 alice,carol; switch mbx1>mbx3 bob",
        );
    let v = check(
        &by_domain,
        &split,
        "mbx1 15/2 35/3 0/0; mbx2 20/1 30/2 30/2; mbx3 0/0 5/1 5/1",
    )?;
    assert_rules(&v, &[Rule::Domains]);
    assert_reports(
        &v,
        Rule::Domains,
        "accounts of example.com leave mbx1.example.com for more than one target in this wave",
    );
    assert_reports(
        &v,
        Rule::Domains,
        "example.com started on mbx1.example.com alone but ends split across mbx2.example.com and mbx3.example.com",
    );
    Ok(())
}

#[test]
fn rule_12_no_directory_write_while_a_master_upgrades_nor_onto_the_target_too_early() -> Result {
    // The switch of carol in wave 1, beside the master's upgrade.
    let in_master_wave = PLAN
        .replace(
            "1: backup mbx1 incremental; backup mbx2 full; upgrade ldap1",
            "1: backup mbx1 incremental; backup mbx2 full; upgrade ldap1; pool-out mbx2",
        )
        .replace(
            "2: health-check ldap1; upgrade ldap2; pool-out mbx2",
            "2: upgrade ldap2",
        )
        .replace(
            "3: health-check ldap2; drain mx1; data mbx2>mbx1 carol",
            "3:",
        )
        .replace("4: upgrade mx1; switch mbx2>mbx1 carol", "4: upgrade mx1");
    let v = check(INVENTORY, &in_master_wave, PLACEMENT)?;
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "changes the pools of mbx2.example.com (a directory write) in the wave that upgrades the directory master ldap1.example.com",
    );
    // A replica's upgrade blocks no switch: writes go to the masters.
    let beside_replica = PLAN
        .replace("3: health-check ldap2; drain mx1; data mbx2>mbx1 carol", "3:")
        .replace(
            "1: backup mbx1 incremental; backup mbx2 full; upgrade ldap1",
            "1: backup mbx1 incremental; backup mbx2 full; upgrade ldap1\n1b: pool-out mbx2\n1c: data mbx2>mbx1 carol",
        )
        .replace("2: health-check ldap1; upgrade ldap2; pool-out mbx2", "2: upgrade ldap2; switch mbx2>mbx1 carol")
        .replace("4: upgrade mx1; switch mbx2>mbx1 carol", "4: upgrade mx1");
    assert_rules(&check(INVENTORY, &beside_replica, PLACEMENT)?, &[]);
    // ... but a master's does.
    let two_masters = INVENTORY.replace(
        "ldap2.example.com, roles: [ldap-replica]",
        "ldap2.example.com, roles: [ldap-master]",
    );
    let v = check(&two_masters, &beside_replica, PLACEMENT)?;
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "switches accounts (a directory write) in the wave that upgrades the directory master ldap2.example.com",
    );
    // Pooled out only after the first move out, pooled in before the upgrade.
    let v = check(
        INVENTORY,
        &PLAN
            .replace(
                "2: health-check ldap1; upgrade ldap2; pool-out mbx2",
                "2: upgrade ldap2",
            )
            .replace(
                "4: upgrade mx1; switch",
                "4: upgrade mx1; pool-out mbx2; switch",
            )
            .replace(
                "9: health-check mbx2; pool-in mbx2;",
                "9: health-check mbx2;",
            )
            .replace("7: upgrade mx2", "7: upgrade mx2; pool-in mbx2"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::DirectoryAndTiers]);
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "moves accounts off mbx2.example.com before it is pooled out (wave 4)",
    );
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "pools mbx2.example.com in before its upgrade (wave 8)",
    );
    // Pooled out and never back in.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "9: health-check mbx2; pool-in mbx2;",
            "9: health-check mbx2;",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "pools mbx2.example.com out and never back in after its upgrade (wave 8)",
    );
    // Back in the pools while it is still being emptied, then again after.
    let v = check(
        INVENTORY,
        &PLAN.replace("4: upgrade mx1;", "4: upgrade mx1; pool-in mbx2;"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "pools mbx2.example.com in before its upgrade (wave 8) has passed its checks",
    );
    // Not pooled out at all.
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "2: health-check ldap1; upgrade ldap2; pool-out mbx2",
            "2: upgrade ldap2",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "moves accounts off mbx2.example.com but never pools it out",
    );

    // Onto mbx2 (at the target) while mx2 still runs the old version.
    let early = FORWARD_PLAN
        .replace(
            "3: drain mx1",
            "3: drain mx1; pool-out mbx1; data mbx1>mbx2 alice,bob",
        )
        .replace(
            "4: upgrade mx1",
            "4: upgrade mx1; switch mbx1>mbx2 alice,bob",
        )
        .replace("7: upgrade mx2; pool-out mbx1", "7: upgrade mx2")
        .replace("8: undrain mx2; data mbx1>mbx2 alice,bob", "8: undrain mx2")
        .replace("9: switch mbx1>mbx2 alice,bob", "9:");
    let v = check(&forward_inventory(), &early, FORWARD_PLACEMENT)?;
    assert_rules(&v, &[Rule::DirectoryAndTiers]);
    assert_reports(
        &v,
        Rule::DirectoryAndTiers,
        "switches accounts onto mbx2.example.com, at the target version, while mx2.example.com is upgraded in wave 7",
    );
    Ok(())
}

#[test]
fn rule_13_batches_and_parallel_limits() -> Result {
    let v = check(
        INVENTORY,
        &PLAN.replace(
            "data mbx1>mbx2 alice,bob,carol",
            "data mbx1>mbx2 alice,bob; data mbx1>mbx2 carol",
        ),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Batches]);
    assert_reports(
        &v,
        Rule::Batches,
        "a second move-data step from mbx1.example.com to mbx2.example.com",
    );

    let logger = INVENTORY.replace(
        "mailboxes:\n",
        "  - { name: log1.example.com, roles: [logger], version: \"9.0.0_P40\" }\nmailboxes:\n",
    );
    let v = check(
        &logger,
        &PLAN.replace("7: upgrade mx2", "7: upgrade mx2; upgrade log1"),
        PLACEMENT,
    )?;
    assert_rules(&v, &[Rule::Batches]);
    assert_reports(
        &v,
        Rule::Batches,
        "2 upgrades, above max_parallel_upgrades 1",
    );

    let one = INVENTORY.replace("roles:\n", "policy: { max_parallel_moves: 1 }\nroles:\n");
    let v = check(
        &one,
        &PLAN.replace(
            "data mbx1>mbx2 alice,bob,carol",
            "data mbx1>mbx2 alice,bob; health-check mx1",
        ),
        PLACEMENT,
    )?;
    assert!(!rules(&v).contains(&Rule::Batches), "{}", text(&v));
    let v = check(
        &one,
        &PLAN.replace(
            "4: upgrade mx1; switch mbx2>mbx1 carol",
            "4: upgrade mx1; switch mbx2>mbx1 carol; data mbx1>mbx2 alice",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Batches,
        "2 move steps, above max_parallel_moves 1",
    );
    Ok(())
}

#[test]
fn hand_edited_nonsense_is_reported_without_panicking() -> Result {
    let inv = inventory(INVENTORY)?;
    let mut p = plan(&inv, PLAN, PLACEMENT);
    let mut odd = vec![
        blank("a".into(), StepKind::Upgrade),
        blank("b".into(), StepKind::MoveSwitch),
        blank("c".into(), StepKind::Backup),
        blank("d".into(), StepKind::PoolIn),
    ];
    odd[0].server = Some("ghost.example.com".into());
    odd[1].source = Some("mx1.example.com".into());
    odd[1].target = Some("nowhere".into());
    odd[1].accounts = Some(vec!["not an account".into(), String::new()]);
    odd[2].server = Some("mbx1.example.com".into());
    p.waves[0].steps.extend(odd);
    p.waves.push(Wave {
        index: 0,
        steps: Vec::new(),
        estimated_duration_s: None,
        start: None,
        end: None,
    });
    p.waves.push(Wave {
        index: 99,
        steps: vec![
            step(&inv, "switch mbx1>mbx1 alice"),
            step(&inv, "data mx2>ldap1 bob"),
            step(&inv, "pool-in ldap1"),
        ],
        estimated_duration_s: None,
        start: None,
        end: None,
    });
    p.placement
        .before
        .insert("ldap1.example.com".into(), StoreLoad::default());
    p.placement.after.clear();
    let v = verify(&p, &inv, &options());
    for rule in [
        Rule::Format,
        Rule::Complete,
        Rule::SafeTargets,
        Rule::Conservation,
        Rule::BackupFirst,
    ] {
        assert!(
            rules(&v).contains(&rule),
            "{rule} missing in:\n{}",
            text(&v)
        );
    }
    assert_reports(
        &v,
        Rule::Complete,
        "names `ghost.example.com`, which is not a server",
    );
    assert_reports(
        &v,
        Rule::SafeTargets,
        "the target `nowhere` is not a server of the inventory",
    );
    assert_reports(
        &v,
        Rule::SafeTargets,
        "moves mailboxes from mbx1.example.com to itself",
    );
    assert_reports(
        &v,
        Rule::Conservation,
        "placement.before names `ldap1.example.com`, which is not a mailstore",
    );
    assert_reports(
        &v,
        Rule::Conservation,
        "placement.after has no entry for mbx1.example.com",
    );

    // An empty plan for an inventory with work to do.
    let empty = Plan {
        waves: Vec::new(),
        ..plan(&inv, "", PLACEMENT)
    };
    let v = verify(&empty, &inv, &options());
    assert!(rules(&v).contains(&Rule::Complete));
    Ok(())
}

#[test]
fn violations_are_sorted_and_displayed_with_their_place() -> Result {
    let v = check(
        INVENTORY,
        &PLAN.replace("backup mbx2 full;", "").replace(
            "4: upgrade mx1;",
            "4: upgrade mx1 actions=install,health-check;",
        ),
        PLACEMENT,
    )?;
    let keys: Vec<_> = v.iter().map(|v| (v.wave, v.step.clone(), v.rule)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(
        text(&v),
        "rule 5 (backup first): mbx2.example.com holds 1 mailboxes and is upgraded, but gets no backup step\n\
         wave 4: step upgrade:mx1.example.com: rule 3 (availability): mx1.example.com (mta) must be drained before its install and undrained after it and its health check\n"
    );
    assert_eq!(Rule::Capacity.number(), Some(7));
    assert_eq!(Rule::Capacity.to_string(), "rule 7 (capacity)");
    assert_eq!(Rule::Format.to_string(), "format");
    assert_eq!(Rule::Format.number(), None);
    Ok(())
}

#[test]
fn a_large_plan_checks_in_one_pass() -> Result {
    // 20,000 accounts in 50 domains leave mbx1 for mbx2, already at the
    // target; the checker follows every one of them.
    let mut csv = String::from("account,store,size\n");
    for i in 0..20_000 {
        csv.push_str(&format!(
            "user{i}@d{}.example.com,mbx1.example.com,1MiB\n",
            i % 50
        ));
    }
    let text = forward_inventory()
        .replace(
            "roles:\n",
            "policy: { move_by: domain, tools: zextras }\nroles:\n",
        )
        .replace(
            "mailboxes:\n",
            "mailbox_files: [{ path: all.csv, format: csv }]\nmailboxes:\n",
        )
        .replace(", mailboxes: 100 }", " }")
        .replace(
            "  - { account: carol@example.org, store: mbx2.example.com, size: 20GiB }\n",
            "",
        )
        .replace(
            "  - { account: alice@example.com, store: mbx1.example.com, size: 10GiB }\n",
            "",
        )
        .replace(
            "  - { account: bob@example.com, store: mbx1.example.com, size: 5GiB }\n",
            "",
        );
    let text = text.replace("mailboxes:\n", "mailboxes: []\n");
    let document = inventory::parse("t.yaml", text.as_bytes())?;
    let lists = [inventory::MailboxList {
        label: "all.csv".into(),
        content: Ok(csv.as_bytes()),
    }];
    let inv = document.validate(&lists)?.inventory;
    let mut p = plan(
        &inv,
        FORWARD_PLAN,
        "mbx1 20/20000 20/20000 0/0; mbx2 0/0 20/20000 20/20000",
    );
    let mut everyone: Vec<String> = inv
        .mailboxes
        .iter()
        .map(|m| m.account.to_string())
        .collect();
    everyone.sort();
    let bytes: u64 = inv.mailboxes.iter().map(|m| m.size.0).sum();
    for step in p
        .waves
        .iter_mut()
        .flat_map(|w| w.steps.iter_mut())
        .filter(|s| s.kind.is_move() || s.kind == StepKind::Purge)
    {
        step.accounts = Some(everyone.clone());
        step.bytes = Some(bytes);
    }
    let all = StoreLoad {
        bytes,
        mailboxes: 20_000,
    };
    let none = StoreLoad::default();
    let (mbx1, mbx2) = (
        "mbx1.example.com".to_string(),
        "mbx2.example.com".to_string(),
    );
    p.placement.before = [(mbx1.clone(), all), (mbx2.clone(), none)].into();
    p.placement.peak = [(mbx1.clone(), all), (mbx2.clone(), all)].into();
    p.placement.after = [(mbx1, none), (mbx2, all)].into();
    assert_rules(&verify(&p, &inv, &options()), &[]);

    // One account left behind: its store cannot be upgraded, and nothing else.
    let last = p.waves[8].steps[0].accounts.as_mut().and_then(|a| a.pop());
    assert_eq!(last.as_deref(), Some("user9@d9.example.com"));
    p.waves[8].steps[0].bytes = Some(bytes - (1 << 20));
    let v = verify(&p, &inv, &options());
    assert_reports(
        &v,
        Rule::Conservation,
        "stage-1 copy left without its switch: user9@d9.example.com",
    );
    assert_reports(
        &v,
        Rule::EmptyBeforeUpgrade,
        "still holds 1 mailboxes and 0 stage-1 copies",
    );
    assert_reports(
        &v,
        Rule::Domains,
        "d9.example.com started on mbx1.example.com alone but ends split",
    );
    Ok(())
}

#[test]
fn a_prepared_index_is_used_only_for_its_own_inventory() -> Result {
    let inv = inventory(INVENTORY)?;
    let other = inventory(&INVENTORY.replace("alice@", "zed@"))?;
    let p = plan(&inv, PLAN, PLACEMENT);
    let own = super::Accounts::new(&inv);
    assert_rules(
        &no_tools(super::verify_new_with(&p, &inv, &options(), &own)),
        &[],
    );
    // An index of another inventory would not find alice; it is not used.
    let foreign = super::Accounts::new(&other);
    assert_rules(
        &no_tools(super::verify_new_with(&p, &inv, &options(), &foreign)),
        &[],
    );
    // The other inventory, judged with its own index, does not know alice.
    let theirs = super::verify_new_with(&p, &other, &options(), &foreign);
    assert_reports(&theirs, Rule::Conservation, "alice@example.com");
    Ok(())
}

#[test]
fn a_switch_unlike_its_copy_is_judged_account_by_account() -> Result {
    // The copy takes alice, bob and carol; the switch names only alice and
    // carol: bob's copy is left without its switch, and carol, copied and
    // switched, is fine.
    let waves = PLAN.replace(
        "switch mbx1>mbx2 alice,bob,carol",
        "switch mbx1>mbx2 alice,carol",
    );
    assert!(waves != PLAN, "the plan has that switch");
    let v = check(INVENTORY, &waves, PLACEMENT)?;
    assert_reports(&v, Rule::Conservation, "bob@example.com");
    assert!(!text(&v).contains("carol"), "{}", text(&v));
    Ok(())
}

#[test]
fn rule_13_a_store_runs_one_operation_at_a_time() -> Result {
    // mbx2's backup beside the copy off it.
    let v = check(
        INVENTORY,
        &PLAN.replace("backup mbx2 full;", "").replace(
            "3: health-check ldap2; drain mx1;",
            "3: health-check ldap2; drain mx1; backup mbx2 full;",
        ),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Batches,
        "mbx2.example.com is backed up in a wave that moves mailboxes off or onto it",
    );
    // mbx1 pooled out in the wave of its own upgrade.
    let v = check(
        INVENTORY,
        &PLAN.replace("11: upgrade mbx1", "11: upgrade mbx1; pool-in mbx1"),
        PLACEMENT,
    )?;
    assert_reports(
        &v,
        Rule::Batches,
        "mbx1.example.com is pooled in in the wave of its own upgrade",
    );
    Ok(())
}

#[test]
fn rule_13_a_store_is_the_source_of_one_move_per_wave() -> Result {
    let three = INVENTORY.replace(
        "mailboxes:\n",
        "  - { name: mbx3.example.com, roles: [mailstore], version: \"10.1.5\", capacity: { disk: 100GiB } }\nmailboxes:\n",
    );
    let split = PLAN
        .replace(
            "data mbx1>mbx2 alice,bob,carol",
            "data mbx1>mbx2 alice,carol; data mbx1>mbx3 bob",
        )
        .replace(
            "switch mbx1>mbx2 alice,bob,carol",
            "switch mbx1>mbx2 alice,carol; switch mbx1>mbx3 bob",
        );
    let placement = "mbx1 15/2 35/3 0/0; mbx2 20/1 30/2 30/2; mbx3 0/0 5/1 5/1";
    let v = check(&three, &split, placement)?;
    assert_rules(&v, &[Rule::Batches]);
    assert_reports(
        &v,
        Rule::Batches,
        "2 move steps from mbx1.example.com, above max_moves_per_source 1",
    );
    let two = three.replace("roles:\n", "policy: { max_moves_per_source: 2 }\nroles:\n");
    assert_rules(&check(&two, &split, placement)?, &[]);
    Ok(())
}
