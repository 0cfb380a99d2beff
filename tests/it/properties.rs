//! Property tests: random inventories (1 to 30 servers across roles and
//! sites, 0 to 2,000 mailboxes, random capacities, fills up to 105% so some
//! stores start above their ceilings, versions, policies and domains; every
//! strategy, `allow_outage` on the units that need it or on all of them,
//! up to four parallel upgrades, overrides of the directory group and of the
//! MTA and proxy roles, `size_overhead`, `evacuate: never` and per store,
//! `move_by: domain`, sites with and without `cross_site_moves`, spares, and
//! sizes 2^20 times larger whose totals pass what the planner counts, which
//! validation must refuse). For each, the planner either returns a plan the independent
//! checker accepts, or refuses with reasons; and a refusal for missing
//! capacity is honest: adding what it names makes the inventory plan.
//!
//! `PROPTEST_CASES` sets the number of cases (64 by default, so the suite
//! stays quick); the docs give the command for a longer run.

use std::fmt::Write as _;

use planner_core::engine;
use planner_core::inventory::Checked;
use planner_core::inventory::Tools;
use planner_core::plan::{BackupWhen, Plan, PlanOptions, StepKind};
use planner_core::verify;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::util::{self, now};

#[derive(Clone, Debug)]
struct Server {
    role: &'static str,
    extra_role: Option<&'static str>,
    old: bool,
    site: usize,
    disk_gib: u64,
    mailbox_cap: Option<u64>,
    spare: bool,
    in_place: bool,
    last_full_days: Option<u64>,
}

#[derive(Clone, Debug)]
struct Mailbox {
    store: usize,
    size_mib: u64,
    domain: usize,
}

#[derive(Clone, Debug)]
struct Inv {
    servers: Vec<Server>,
    mailboxes: Vec<Mailbox>,
    sites: usize,
    strategy: &'static str,
    max_fill: u32,
    overhead: u32,
    move_by: &'static str,
    two_stage: bool,
    backup: &'static str,
    /// `purge`, `backup_after_upgrade` and `max_moves_per_source`.
    purge: &'static str,
    backup_after: &'static str,
    moves_per_source: u32,
    parallel_moves: u32,
    parallel_upgrades: u32,
    cross_site: bool,
    evacuate_never: bool,
    /// `allow_outage` names every unit, not only those that need it.
    allow_all: bool,
    /// Overrides: the directory group's (min_available, max_unavailable),
    /// the MTAs' and the proxies' (max_unavailable, drain).
    directory: Option<(u32, u32)>,
    mta: Option<(u32, bool)>,
    proxy: Option<(u32, bool)>,
    /// Sizes and disks in units 2^20 times larger (MiB become TiB): totals
    /// near and past what the planner counts (rule 14).
    huge: bool,
}

fn server(role: &'static str) -> impl Strategy<Value = Server> {
    (
        prop::option::weighted(
            0.15,
            prop::sample::select(vec!["logger", "memcached", "mta", "proxy", "mailstore"]),
        ),
        prop::bool::weighted(0.75),
        0usize..3,
        20u64..600,
        prop::option::weighted(0.3, 5u64..300),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.05),
        prop::option::weighted(0.7, 0u64..20),
    )
        .prop_map(
            move |(
                extra_role,
                old,
                site,
                disk_gib,
                mailbox_cap,
                spare,
                in_place,
                last_full_days,
            )| Server {
                role,
                extra_role: extra_role.filter(|r| *r != role),
                old,
                site,
                disk_gib,
                mailbox_cap,
                spare,
                in_place,
                last_full_days,
            },
        )
}

fn inventory() -> impl Strategy<Value = Inv> {
    let servers = (
        prop::collection::vec(server("ldap-master"), 1..3),
        prop::collection::vec(server("ldap-replica"), 0..3),
        prop::collection::vec(server("mta"), 0..4),
        prop::collection::vec(server("proxy"), 0..4),
        prop::collection::vec(server("mailstore"), 1..12),
        prop::collection::vec(server("logger"), 0..2),
    )
        .prop_map(|(a, b, c, d, e, f)| {
            let mut all = Vec::new();
            for group in [a, b, c, d, e, f] {
                all.extend(group);
            }
            all.truncate(30);
            all
        });
    let policy = (
        prop::sample::select(vec!["auto", "auto", "spread", "spare", "forward"]),
        70u32..=100,
        prop::sample::select(vec![0u32, 0, 5, 15]),
        prop::sample::select(vec!["account", "account", "domain"]),
        any::<bool>(),
        prop::sample::select(vec!["incremental", "full", "none"]),
        1u32..6,
        1u32..3,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.05),
        1usize..4,
    );
    let overrides = (
        prop::bool::weighted(0.3),
        prop::option::weighted(0.25, (0u32..3, 1u32..4)),
        prop::option::weighted(0.25, (1u32..4, any::<bool>())),
        prop::option::weighted(0.25, (1u32..4, any::<bool>())),
        prop::bool::weighted(0.08),
        1u32..5,
        prop::sample::select(vec!["before-reuse", "before-reuse", "at-end", "never"]),
        prop::sample::select(vec!["major", "major", "always", "never"]),
        prop::sample::select(vec![1u32, 1, 2]),
    );
    // Per store: a fill (0 to 105% of its disk), a number of mailboxes, and
    // a seed for their sizes (most small, a few large) and domains.
    let fills = prop::collection::vec((0u64..=105, 0usize..=200, any::<u64>(), 1usize..20), 12);
    (servers, policy, fills, overrides).prop_flat_map(|(servers, policy, fills, overrides)| {
        let mut mailboxes = Vec::new();
        let stores: Vec<usize> = (0..servers.len())
            .filter(|&i| is_mailstore(&servers[i]))
            .collect();
        for (k, &store) in stores.iter().enumerate() {
            // Spares are kept empty, as operators keep them, so that the
            // spare strategy is exercised.
            if servers[store].spare {
                continue;
            }
            let (fill, count, seed, domains) = fills[k % fills.len()];
            let count = count.min(2000usize.saturating_sub(mailboxes.len()));
            if count == 0 {
                continue;
            }
            let mut rng = seed | 1;
            let mut next = || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            let weights: Vec<u64> = (0..count)
                .map(|_| {
                    let w = 1 + next() % 100;
                    if next() % 20 == 0 { w * 20 } else { w }
                })
                .collect();
            let total: u64 = weights.iter().sum();
            let bytes_mib = servers[store].disk_gib * 1024 * fill / 100;
            for w in weights {
                mailboxes.push(Mailbox {
                    store,
                    size_mib: (bytes_mib * w / total).max(1),
                    domain: (next() % domains as u64) as usize,
                });
            }
        }
        let o = overrides;
        (Just(servers), Just(policy), Just(mailboxes)).prop_map(move |(servers, p, mailboxes)| {
            Inv {
                servers,
                mailboxes,
                sites: p.10,
                strategy: p.0,
                max_fill: p.1,
                overhead: p.2,
                move_by: p.3,
                two_stage: p.4,
                backup: p.5,
                purge: o.6,
                backup_after: o.7,
                moves_per_source: o.8,
                parallel_moves: p.6,
                parallel_upgrades: if o.5 > 2 { o.5 } else { p.7 },
                cross_site: p.8,
                evacuate_never: p.9,
                allow_all: o.0,
                directory: o.1,
                mta: o.2,
                proxy: o.3,
                huge: o.4,
            }
        })
    })
}

impl Inv {
    /// The toolset: Zextras (towards a 9.0 patch) for two-stage moves; for
    /// the others, by the parity of a parameter, Zimbra's own tools (towards
    /// 10.1.5), Zextras, or none (every store upgraded in place).
    fn tools(&self) -> &'static str {
        if self.two_stage {
            return "zextras";
        }
        match self.parallel_moves % 4 {
            0 | 1 => "zimbra-ne",
            2 => "zextras",
            _ => "none",
        }
    }

    /// The target version, and the versions of old and new servers.
    fn versions(&self) -> (&'static str, &'static str, &'static str) {
        if self.tools() == "zextras" {
            ("9.0.0_P44", "9.0.0_P40", "9.0.0_P44")
        } else {
            ("10.1.5", "9.0.0_P40", "10.1.5_GA_4200")
        }
    }

    /// The factor on sizes and disks.
    fn scale(&self) -> u64 {
        if self.huge { 1 << 20 } else { 1 }
    }

    /// Whether the mailboxes' bytes with the overhead pass 2^63-1, which
    /// validation refuses (rule 14).
    fn too_big(&self) -> bool {
        let total: u128 = self
            .mailboxes
            .iter()
            .map(|m| {
                let bytes = u128::from(m.size_mib * self.scale()) << 20;
                bytes + (bytes * u128::from(self.overhead)).div_ceil(100)
            })
            .sum();
        total > i64::MAX as u128
    }
}

fn is_mailstore(s: &Server) -> bool {
    s.role == "mailstore" || s.extra_role == Some("mailstore")
}

/// The inventory as YAML, with `allow_outage` for every unit of a single
/// server (the validator refuses those otherwise) and extra stores appended.
fn yaml(inv: &Inv, extra: &[(Option<String>, u64, u64, String)]) -> String {
    let mut out = String::new();
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in &inv.servers {
        let unit = |r: &'static str| {
            if r == "ldap-master" || r == "ldap-replica" {
                "directory"
            } else {
                r
            }
        };
        *counts.entry(unit(s.role)).or_default() += 1;
        if let Some(r) = s.extra_role
            && unit(r) != unit(s.role)
        {
            *counts.entry(unit(r)).or_default() += 1;
        }
    }
    // Validation refuses a unit that cannot keep min_available up while one
    // server upgrades, unless its outage is accepted.
    let min_available = |unit: &str| match unit {
        "directory" => inv.directory.map_or(1, |d| d.0),
        "logger" | "memcached" => 0,
        _ => 1,
    };
    let allow: Vec<&str> = counts
        .iter()
        .filter(|(unit, n)| inv.allow_all || **n < min_available(unit) as usize + 1)
        .map(|(u, _)| *u)
        .collect();
    let _ = writeln!(
        out,
        "format: 1\ntarget_version: \"{}\"\npolicy:\n  tools: {}",
        inv.versions().0,
        inv.tools()
    );
    // A third of the cases run on a calendar: rates, and nights across the
    // autumn change of clocks in Europe/Rome (background work may or may not
    // run outside them). Not the huge ones: the refusal's hints are tried
    // without the calendar, so a store it names could still leave a wave
    // longer than every window (a known gap).
    if inv.max_fill % 3 == 1 && !inv.huge {
        let _ = writeln!(
            out,
            "  rates: {{ copy: 1GiB/s, delta_fraction: 5%, switch_per_account: 1s, upgrade: 40m }}\n  schedule:\n    start: 2026-10-23T20:00:00+02:00\n    time_zone: Europe/Rome\n    windows:\n      - {{ days: [mon, tue, wed, thu, fri, sat, sun], from: \"20:00\", to: \"08:00\" }}\n    background_outside_windows: {}",
            inv.overhead == 0
        );
    }
    let _ = writeln!(
        out,
        "  strategy: {}\n  max_fill: {}%\n  size_overhead: {}%",
        inv.strategy, inv.max_fill, inv.overhead
    );
    let _ = writeln!(
        out,
        "  move_by: {}\n  two_stage_moves: {}\n  backup: {}",
        inv.move_by, inv.two_stage, inv.backup
    );
    let _ = writeln!(
        out,
        "  max_parallel_moves: {}\n  max_parallel_upgrades: {}\n  cross_site_moves: {}",
        inv.parallel_moves, inv.parallel_upgrades, inv.cross_site
    );
    let _ = writeln!(
        out,
        "  purge: {}\n  backup_after_upgrade: {}\n  max_moves_per_source: {}",
        inv.purge, inv.backup_after, inv.moves_per_source
    );
    if inv.evacuate_never {
        let _ = writeln!(out, "  evacuate: never");
    }
    let _ = writeln!(out, "  allow_outage: [{}]", allow.join(", "));
    if let Some((min, max)) = inv.directory {
        let _ = writeln!(
            out,
            "groups:\n  directory: {{ min_available: {min}, max_unavailable: {max} }}"
        );
    }
    let roles: Vec<String> = [("mta", inv.mta), ("proxy", inv.proxy)]
        .iter()
        .filter_map(|(role, o)| {
            o.map(|(max, drain)| format!("  {role}: {{ max_unavailable: {max}, drain: {drain} }}"))
        })
        .collect();
    if !roles.is_empty() {
        let _ = writeln!(out, "roles:\n{}", roles.join("\n"));
    }
    let _ = writeln!(out, "servers:");
    for (i, s) in inv.servers.iter().enumerate() {
        let roles = match s.extra_role {
            Some(r) => format!("{}, {r}", s.role),
            None => s.role.to_string(),
        };
        let (_, old, new) = inv.versions();
        let version = if s.old { old } else { new };
        let _ = write!(
            out,
            "  - {{ name: s{i}.example.com, roles: [{roles}], version: \"{version}\", site: dc{}",
            s.site % inv.sites
        );
        if is_mailstore(s) {
            let _ = write!(out, ", capacity: {{ disk: {}GiB", s.disk_gib * inv.scale());
            if let Some(m) = s.mailbox_cap {
                let _ = write!(out, ", mailboxes: {m}");
            }
            let _ = write!(out, " }}");
            if s.spare {
                let _ = write!(out, ", spare: true");
            }
            if s.in_place {
                let _ = write!(out, ", evacuate: false");
            }
            if let Some(days) = s.last_full_days {
                let _ = write!(
                    out,
                    ", last_backup: {{ full: \"2026-11-{:02}T01:00:00Z\" }}",
                    28 - days.min(27)
                );
            }
        }
        let _ = writeln!(out, " }}");
    }
    for (k, (site, disk, mailboxes, version)) in extra.iter().enumerate() {
        let site = site
            .as_deref()
            .map_or(String::new(), |s| format!(", site: {s}"));
        let _ = writeln!(
            out,
            "  - {{ name: added{k}.example.com, roles: [mailstore], version: \"{version}\"{site}, capacity: {{ disk: {disk}, mailboxes: {mailboxes} }} }}"
        );
    }
    if !inv.mailboxes.is_empty() {
        let _ = writeln!(out, "mailboxes:");
        for (i, m) in inv.mailboxes.iter().enumerate() {
            let _ = writeln!(
                out,
                "  - {{ account: u{i}@d{}.example.com, store: s{}.example.com, size: {}MiB }}",
                m.domain,
                m.store,
                m.size_mib * inv.scale()
            );
        }
    }
    out
}

fn check(text: &str) -> Result<Checked, String> {
    util::check("generated.yaml", text).map_err(|r| format!("{:?}", r.diagnostics))
}

/// The property, for one inventory.
fn planner_is_safe_or_honest(inv: &Inv) -> Result<(), TestCaseError> {
    let text = yaml(inv, &[]);
    let checked = match check(&text) {
        Ok(checked) => checked,
        Err(e) => {
            prop_assert!(inv.too_big(), "generated an invalid inventory: {e}\n{text}");
            return Ok(());
        }
    };
    prop_assert!(
        !inv.too_big(),
        "a total past 2^63-1 was not refused\n{text}"
    );
    let options = PlanOptions::at(now());
    match engine::plan(&checked, &options) {
        Ok(plan) => {
            let violations = verify::verify(&plan, checked.inventory(), &options);
            prop_assert!(violations.is_empty(), "unsafe plan: {violations:?}\n{text}");
            Coverage::count(&plan);
            resumes_safely(&checked, &plan, &options)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        }
        Err(refusal) => {
            prop_assert!(
                !refusal.reasons.is_empty(),
                "a refusal without a reason\n{text}"
            );
            let missing: Vec<_> = refusal
                .reasons
                .iter()
                .filter_map(|r| r.missing.clone())
                .collect();
            if missing.len() == refusal.reasons.len() {
                // Honest: adding what the refusal names makes it plan.
                let extra: Vec<(Option<String>, u64, u64, String)> = missing
                    .iter()
                    .map(|m| (m.site.clone(), m.disk.0, m.mailboxes, m.version.to_string()))
                    .collect();
                let fixed = yaml(inv, &extra);
                let checked = check(&fixed).map_err(TestCaseError::fail)?;
                match engine::plan(&checked, &options) {
                    Ok(plan) => {
                        let violations = verify::verify(&plan, checked.inventory(), &options);
                        prop_assert!(
                            violations.is_empty(),
                            "unsafe plan after adding capacity: {violations:?}"
                        );
                    }
                    Err(again) => {
                        let dump = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
                        let _ = std::fs::write(dump.join("refused.yaml"), &text);
                        let _ = std::fs::write(dump.join("refused-fixed.yaml"), &fixed);
                        return Err(TestCaseError::fail(format!(
                            "refused:\n{refusal}\nand after adding {missing:?}, refused again:\n{again}\n{text}"
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// A run that stopped part way through `plan` (after a number of steps
/// drawn from the inventory's digest), and one where the next step failed,
/// resume into plans that, after the steps done, the checker accepts.
fn resumes_safely(checked: &Checked, plan: &Plan, options: &PlanOptions) -> Result<(), String> {
    use planner_core::journal::{Entry, StepState};
    let ids: Vec<&str> = plan
        .waves
        .iter()
        .flat_map(|w| w.steps.iter().map(|s| s.id.as_str()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let draw = checked.digest().bytes().rev().take(8).fold(0usize, |a, b| {
        a.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    for (k, failed) in [(draw % ids.len(), false), ((draw / 7) % ids.len(), true)] {
        let mut journal = Vec::new();
        let mut line = 0;
        let mut push = |id: &str, state| {
            line += 1;
            journal.push(Entry {
                id: id.to_string(),
                state,
                time: now(),
                message: None,
                line,
            });
        };
        for id in &ids[..k] {
            push(id, StepState::Done);
        }
        if failed {
            push(ids[k], StepState::Failed);
        }
        let new = planner_core::resume::resume(checked, plan, "sha256:x", &journal, options)
            .map_err(|e| format!("resume after {k} steps (then failed: {failed}): {e}"))?;
        let violations = verify::verify(&new, checked.inventory(), options);
        if !violations.is_empty() {
            return Err(format!("resumed after {k} steps, unsafe: {violations:?}"));
        }
        RESUMED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

static RESUMED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[test]
fn every_plan_is_safe_and_every_refusal_honest() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    // A fixed seed keeps the suite reproducible; PROPTEST_SEED explores others.
    let seed: u64 = std::env::var("PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = proptest::test_runner::TestRng::from_seed(
        proptest::test_runner::RngAlgorithm::ChaCha,
        &seed_bytes,
    );
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        rng,
    );
    let result = runner.run(&inventory(), |inv| planner_is_safe_or_honest(&inv));
    if let Err(e) = result {
        panic!("{e}");
    }
    // The v2 rules were exercised, not only allowed: the checker judged
    // plans with purges (under each policy that has them), backups after a
    // major upgrade, and sources with two moves in one wave.
    let c = Coverage::read();
    eprintln!(
        "properties: {} plans checked, {} resumed plans; with purges {} (at-end {}), with a backup after the upgrade {}, with two moves from one source in a wave {}; toolsets: zextras {}, zimbra-ne {}, none {}; on a calendar {}",
        c[0],
        RESUMED.load(std::sync::atomic::Ordering::Relaxed),
        c[1],
        c[2],
        c[3],
        c[4],
        c[5],
        c[6],
        c[7],
        c[8]
    );
    if cases >= 64 {
        assert!(
            c[1] > 0 && c[3] > 0,
            "the generated plans never had a purge or a backup after the upgrade: {c:?}"
        );
        assert!(
            c[5] > 0 && c[6] > 0 && c[7] > 0,
            "the generated plans never used one of the toolsets: {c:?}"
        );
        assert!(c[8] > 0, "no generated plan had a schedule: {c:?}");
    }
}

/// Counts, over a run, the plans the checker judged and those that
/// exercise the v2 rules.
struct Coverage;

static COVERAGE: [std::sync::atomic::AtomicU64; 9] =
    [const { std::sync::atomic::AtomicU64::new(0) }; 9];

impl Coverage {
    fn count(plan: &Plan) {
        use std::sync::atomic::Ordering::Relaxed;
        let steps = || plan.waves.iter().flat_map(|w| &w.steps);
        let purges = steps().any(|s| s.kind == StepKind::Purge);
        let marks = [
            true,
            purges,
            purges && plan.policy.purge == planner_core::inventory::PurgePolicy::AtEnd,
            steps().any(|s| s.when == Some(BackupWhen::AfterUpgrade)),
            plan.waves.iter().any(|w| {
                let mut sources: Vec<&str> = w
                    .steps
                    .iter()
                    .filter(|s| s.kind.is_move())
                    .filter_map(|s| s.source.as_deref())
                    .collect();
                sources.sort_unstable();
                sources.windows(2).any(|p| p[0] == p[1])
            }),
            plan.tools == Tools::Zextras,
            plan.tools == Tools::ZimbraNe,
            plan.tools == Tools::None,
            plan.waves.first().is_some_and(|w| w.start.is_some()),
        ];
        for (counter, mark) in COVERAGE.iter().zip(marks) {
            counter.fetch_add(u64::from(mark), Relaxed);
        }
    }

    fn read() -> [u64; 9] {
        COVERAGE
            .each_ref()
            .map(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }
}
