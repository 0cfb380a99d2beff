//! Writes a schedule out as the `Plan` contract: stable step ids and order,
//! estimates from the rates, placement before / peak / after, and the summary.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::graph::Order;
use super::schedule::{Scheduled, Totals};
use super::start::Start;
use super::table::Draft;
use crate::inventory::{Checked, Inventory, Policy, ServerId, Weekday};
use crate::plan::{
    BackupMode, BackupWhen, Candidate, CandidateCount, ChosenStrategy, FORMAT, Outage, Placement,
    Plan, PlanCapacity, PlanOptions, PlanPolicy, PlanRates, PlanSchedule, PlanScheduleWindow,
    PlanServer, Step, StepKind, StoreLoad, StrategyChoice, Summary, Wait, Wave, upgrade_actions,
};

fn fraction(f: crate::inventory::Fraction) -> f64 {
    f64::from(f.0) / 1_000_000.0
}

/// The plan of a feasible schedule.
pub fn assemble(
    checked: &Checked,
    policy: &Policy,
    options: &PlanOptions,
    order: &Order,
    scheduled: &Scheduled,
    (chosen, why): (ChosenStrategy, String),
    start: &Start,
) -> Plan {
    let inv = &checked.inventory;
    let (placement, backed_up) = replay(inv, policy, scheduled, start);
    let written = waves(
        inv,
        policy,
        (order, scheduled),
        &account_rank(inv),
        &backed_up,
        start,
    );
    let Totals {
        moved,
        bytes: bytes_moved,
        twice,
        bytes_again,
    } = scheduled.totals;
    let summary = Summary {
        servers_to_upgrade: inv.servers.iter().filter(|s| s.needs_upgrade()).count() as u32,
        servers_at_target: inv.servers.iter().filter(|s| !s.needs_upgrade()).count() as u32,
        mailboxes_moved: moved,
        bytes_moved,
        mailboxes_moved_twice: twice,
        bytes_moved_again: bytes_again,
        waves: written.waves.len() as u32,
        outages: outages(inv, scheduled, &written.wave_of_slot),
        warnings: warnings(checked, scheduled.totals, chosen),
        estimated_duration_s: written.total,
        windows: Vec::new(),
    };
    Plan {
        format: FORMAT.to_string(),
        planner_version: env!("CARGO_PKG_VERSION").to_string(),
        inventory_digest: checked.digest().to_string(),
        now: options.now.to_string(),
        target_version: inv.target_version.to_string(),
        profile: inv.profile.name.as_str().to_string(),
        tools: policy.tools,
        policy: plan_policy(policy),
        strategy: StrategyChoice {
            requested: policy.strategy,
            chosen,
            why,
        },
        summary,
        servers: servers(inv, policy),
        role_notes: role_notes(inv),
        resumed_from: None,
        waves: written.waves,
        placement,
    }
}

/// Each mailbox's position in account order, so that move steps list their
/// accounts sorted without comparing names. Validation sorted the accounts
/// once (`by_account`); only validation makes an [`Inventory`], and the
/// model's methods that copy one keep its accounts, so that order always
/// fits (checked in debug builds), and it is sorted afresh only if its
/// length says otherwise.
fn account_rank(inv: &Inventory) -> Vec<u32> {
    let account = |m: u32| &inv.mailboxes[m as usize].account;
    let sorted;
    let order: &[u32] = if inv.by_account.len() == inv.mailboxes.len() {
        debug_assert!(
            inv.by_account
                .windows(2)
                .all(|w| account(w[0]) <= account(w[1]))
        );
        &inv.by_account
    } else {
        let mut fresh: Vec<u32> = (0..inv.mailboxes.len() as u32).collect();
        fresh.sort_unstable_by(|a, b| account(*a).cmp(account(*b)));
        sorted = fresh;
        &sorted
    };
    let mut rank = vec![0u32; inv.mailboxes.len()];
    for (position, &m) in order.iter().enumerate() {
        rank[m as usize] = position as u32;
    }
    rank
}

/// The waves as written, and what the summary needs of them.
struct Written {
    waves: Vec<Wave>,
    /// The plan wave of each table slot: slots without steps are dropped.
    wave_of_slot: Vec<u32>,
    /// The sum of the waves' estimates; `None` without rates.
    total: Option<u64>,
}

/// Writes every table slot with steps as a wave: steps in a stable order,
/// ids made unique, and the wave's estimate.
fn waves(
    inv: &Inventory,
    policy: &Policy,
    (order, scheduled): (&Order, &Scheduled),
    rank: &[u32],
    backed_up: &BTreeMap<(usize, usize), u64>,
    start: &Start,
) -> Written {
    let name = |id: crate::inventory::ServerId| inv.server(id).name.to_string();
    let rates = policy.rates;
    let mut waves = Vec::new();
    let mut total: Option<u64> = rates.map(|_| 0);
    let mut ids = used_ids(&start.used_ids);
    let mut kept: BTreeSet<usize> = start.kept.keys().copied().collect();
    let mut wave_of_slot: Vec<u32> = Vec::new();
    // Per (source, target): the mailboxes of the last data copy and the
    // written wave it is in, so that its switch (the same batch) copies the
    // copy's sorted account names instead of sorting and fetching them again.
    let mut copies: HashMap<(ServerId, ServerId), (&[u32], usize)> = HashMap::new();
    // Per store: where the switches off it since its last purge are written
    // (wave, step), for its next purge.
    let mut switched: HashMap<ServerId, Vec<(usize, usize)>> = HashMap::new();
    for (n, slot) in scheduled.table.slots().iter().enumerate() {
        wave_of_slot.push((waves.len() + 1) as u32);
        if slot.steps.is_empty() {
            continue;
        }
        let index = (waves.len() + 1) as u32;
        let mut steps: Vec<Step> = slot
            .steps
            .iter()
            .map(|d| {
                let copied = match (d.kind, d.target) {
                    (StepKind::MoveSwitch, Some(t)) => copies
                        .get(&(d.server, t))
                        .filter(|(mailboxes, _)| *mailboxes == d.mailboxes.as_slice())
                        .and_then(|&(_, w)| copy_accounts(inv, &waves[w], d.server, t)),
                    // A purge deletes what the switches off its store since
                    // its last purge moved: their sorted lists, merged (the
                    // first one after a resume also deletes the copies kept
                    // from before it: its own list, sorted).
                    (StepKind::Purge, _) if kept.remove(&d.server.index()) => {
                        switched.remove(&d.server);
                        None
                    }
                    (StepKind::Purge, _) => Some(merged(
                        &waves,
                        switched.remove(&d.server).unwrap_or_default(),
                    )),
                    _ => None,
                };
                let mut s = step(inv, policy, order, rank, d, &name, copied);
                if d.kind == StepKind::Backup {
                    let bytes = backed_up.get(&(n, d.server.index())).copied();
                    s.estimated_duration_s = backup_estimate(policy, d, bytes.unwrap_or(0));
                }
                s
            })
            .collect();
        steps.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.id.cmp(&b.id)));
        number(&mut steps, &mut ids);
        let estimate = rates.map(|_| {
            steps
                .iter()
                .filter_map(|s| s.estimated_duration_s)
                .max()
                .unwrap_or(0)
        });
        if let (Some(t), Some(e)) = (total.as_mut(), estimate) {
            *t = t.saturating_add(e);
        }
        for d in &slot.steps {
            if let (StepKind::MoveData, Some(t)) = (d.kind, d.target) {
                copies.insert((d.server, t), (d.mailboxes.as_slice(), waves.len()));
            }
        }
        for (position, s) in steps.iter().enumerate() {
            if s.kind == StepKind::MoveSwitch
                && let Some(source) = s.source.as_deref().and_then(|n| inv.server_id(n))
            {
                switched
                    .entry(source)
                    .or_default()
                    .push((waves.len(), position));
            }
        }
        waves.push(Wave {
            index,
            steps,
            estimated_duration_s: estimate,
            start: None,
            end: None,
        });
    }
    Written {
        waves,
        wave_of_slot,
        total,
    }
}

/// Makes the ids of a wave's steps unique: a kind and servers seen before
/// (in this plan, or before its resume) get the next `#N`.
fn number(steps: &mut [Step], ids: &mut BTreeMap<String, u32>) {
    for s in steps {
        let seen = ids.entry(s.id.clone()).or_insert(0);
        *seen = seen.saturating_add(1);
        if *seen > 1 {
            s.id = format!("{}#{}", s.id, seen);
        }
    }
}

/// The highest `#N` of a used id that new ids follow.
const MAX_SEQUENCE: u32 = 1_000_000;

/// The numbering of step ids used before a resume: per id without its
/// `#N`, the highest `N` (1 for the bare id), so that new ids continue it.
fn used_ids(used: &[String]) -> BTreeMap<String, u32> {
    let mut ids: BTreeMap<String, u32> = BTreeMap::new();
    for id in used {
        // A number no plan reaches (a hand-edited journal) is not followed.
        let (base, n) = match id.rsplit_once('#') {
            Some((base, n)) => match n.parse::<u32>() {
                Ok(n) if n <= MAX_SEQUENCE => (base, n),
                _ => (id.as_str(), 1),
            },
            None => (id.as_str(), 1),
        };
        let seen = ids.entry(base.to_string()).or_insert(0);
        *seen = (*seen).max(n);
    }
    ids
}

/// The inventory's warnings, and the planning's own.
fn warnings(checked: &Checked, totals: Totals, chosen: ChosenStrategy) -> Vec<String> {
    let inv = &checked.inventory;
    let mut warnings: Vec<String> = checked.warnings.iter().map(|d| d.message.clone()).collect();
    let Totals {
        twice, bytes_again, ..
    } = totals;
    if twice > 0 {
        let because = match chosen {
            ChosenStrategy::Spare => {
                "the spare strategy parks them on a spare and brings them back"
            }
            ChosenStrategy::Spread => "spread empties stores into stores that are emptied later",
            _ => "no store at the target version had room for them at first",
        };
        warnings.push(format!(
            "{twice} mailbox{} move more than once ({} moved again): {because}",
            if twice == 1 { "" } else { "es" },
            crate::inventory::Bytes(bytes_again)
        ));
    }
    if inv.mailboxes.iter().any(|m| m.assumed) {
        warnings.push(
            "some mailbox sizes are assumed, not measured: capacity figures for them are estimates"
                .to_string(),
        );
    }
    warnings
}

/// The note of every role some server has, where the role has one.
fn role_notes(inv: &Inventory) -> BTreeMap<String, String> {
    inv.servers
        .iter()
        .flat_map(|s| &s.roles)
        .filter_map(|r| {
            inv.profile
                .role(r)
                .filter(|d| !d.note.is_empty())
                .map(|d| (r.clone(), d.note.clone()))
        })
        .collect()
}

/// The accepted outages, in plan waves, sorted.
fn outages(inv: &Inventory, scheduled: &Scheduled, wave_of_slot: &[u32]) -> Vec<Outage> {
    let mut o: Vec<Outage> = scheduled
        .outages
        .iter()
        .map(|n| Outage {
            wave: wave_of_slot
                .get(n.wave.saturating_sub(1))
                .copied()
                .unwrap_or(n.wave as u32),
            server: inv.server(n.server).name.to_string(),
            unit: n.unit.clone(),
            message: n.message.clone(),
        })
        .collect();
    o.sort_by(|a, b| (a.wave, &a.server, &a.unit).cmp(&(b.wave, &b.server, &b.unit)));
    o
}

/// The effective policy as numbers.
pub(crate) fn plan_policy(policy: &Policy) -> PlanPolicy {
    PlanPolicy {
        strategy: policy.strategy,
        max_fill: fraction(policy.max_fill),
        size_overhead: fraction(policy.size_overhead),
        evacuate: policy.evacuate,
        move_by: policy.move_by,
        two_stage_moves: policy.two_stage_moves,
        backup: policy.backup,
        full_backup_max_age_s: policy.full_backup_max_age.0,
        max_parallel_moves: policy.max_parallel_moves,
        max_moves_per_source: policy.max_moves_per_source,
        max_parallel_upgrades: policy.max_parallel_upgrades,
        purge: policy.purge,
        backup_after_upgrade: policy.backup_after_upgrade,
        cross_site_moves: policy.cross_site_moves,
        allow_outage: policy.allow_outage.clone(),
        notify: policy.notify.as_ref().map(|n| n.to_string()),
        rates: policy.rates.map(|r| PlanRates {
            copy_bytes_per_s: r.copy.0,
            delta_fraction: fraction(r.delta_fraction),
            switch_per_account_s: r.switch_per_account.0,
            upgrade_s: r.upgrade.0,
            backup_bytes_per_s: r.backup.map(|b| b.0),
            health_check_s: r.health_check.0,
            manual_s: r.manual.0,
        }),
        schedule: policy.schedule.as_ref().map(|s| {
            let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
            PlanSchedule {
                start: s.start.clone(),
                time_zone: s.time_zone.clone(),
                windows: s
                    .windows
                    .iter()
                    .map(|w| PlanScheduleWindow {
                        days: w
                            .days
                            .iter()
                            .filter_map(|d| Weekday::ALL.get(usize::from(*d)))
                            .map(|d| d.as_str().to_string())
                            .collect(),
                        from: hhmm(w.from),
                        to: hhmm(w.to),
                    })
                    .collect(),
                background_outside_windows: s.background_outside_windows,
            }
        }),
    }
}

/// Every server by name, with its capacity and ceilings.
fn servers(inv: &Inventory, policy: &Policy) -> BTreeMap<String, PlanServer> {
    inv.servers
        .iter()
        .map(|s| {
            (
                s.name.to_string(),
                PlanServer {
                    roles: s.roles.clone(),
                    site: s.site.clone(),
                    version: s.version.to_string(),
                    upgraded: s.needs_upgrade(),
                    capacity: s.capacity.map(|c| PlanCapacity {
                        disk: c.disk.0,
                        mailboxes: c.mailboxes,
                        max_bytes: policy.max_fill.of(c.disk.0),
                        max_mailboxes: c.mailboxes.map(|m| policy.max_fill.of(m)),
                    }),
                },
            )
        })
        .collect()
}

fn step(
    inv: &Inventory,
    policy: &Policy,
    order: &Order,
    rank: &[u32],
    d: &Draft,
    name: &dyn Fn(crate::inventory::ServerId) -> String,
    copied: Option<Vec<String>>,
) -> Step {
    let kind = d.kind;
    let mut s = Step {
        id: String::new(),
        kind,
        server: None,
        mode: None,
        when: None,
        from_version: None,
        to_version: None,
        actions: None,
        outage: None,
        source: None,
        target: None,
        accounts: None,
        domains: None,
        bytes: None,
        candidates: None,
        candidates_not_listed: None,
        checks: None,
        waits_for: None,
        unavailable_per_account_s: None,
        why: d.why.clone(),
        estimated_duration_s: None,
    };
    let rates = policy.rates;
    if kind.is_move() {
        move_fields(&mut s, inv, policy, rank, d, name, copied);
        return s;
    }
    let server = inv.server(d.server);
    s.id = format!("{}:{}", kind.as_str(), server.name);
    s.server = Some(server.name.to_string());
    match kind {
        StepKind::Backup => {
            s.mode = Some(if d.full_backup {
                BackupMode::Full
            } else {
                BackupMode::Incremental
            });
            s.when = Some(if d.after_upgrade {
                BackupWhen::AfterUpgrade
            } else {
                BackupWhen::Before
            });
        }
        StepKind::Purge => {
            s.accounts = Some(copied.unwrap_or_else(|| sorted_accounts(inv, rank, &d.mailboxes)));
            s.bytes = Some(footprints(inv, policy, &d.mailboxes));
        }
        StepKind::Upgrade => {
            s.from_version = Some(server.version.to_string());
            s.to_version = Some(inv.target_version.to_string());
            s.outage = Some(d.outage);
            s.waits_for = Some(
                order.preds[d.server.index()]
                    .iter()
                    .map(|(p, r)| Wait {
                        server: name(*p),
                        rule: r.rule(inv.profile.name.as_str()),
                    })
                    .collect(),
            );
            let (actions, checks) = upgrade_actions(&inv.profile, &server.roles);
            s.estimated_duration_s = rates.map(|r| {
                let manual = actions.iter().filter(|a| a.is_manual()).count() as u64;
                r.upgrade
                    .0
                    .saturating_add(r.health_check.0)
                    .saturating_add(r.manual.0.saturating_mul(manual))
            });
            s.actions = Some(actions);
            s.checks = Some(checks);
        }
        StepKind::PoolOut | StepKind::PoolIn => {
            s.estimated_duration_s = rates.map(|r| r.manual.0);
        }
        _ => {}
    }
    s
}

/// The fields of a move step: its id, source and target, accounts sorted,
/// bytes, candidate verdicts and estimates.
fn move_fields(
    s: &mut Step,
    inv: &Inventory,
    policy: &Policy,
    rank: &[u32],
    d: &Draft,
    name: &dyn Fn(crate::inventory::ServerId) -> String,
    copied: Option<Vec<String>>,
) {
    let kind = d.kind;
    let target = d.target.map(name).unwrap_or_default();
    s.id = format!("{}:{}>{}", kind.as_str(), name(d.server), target);
    s.source = Some(name(d.server));
    s.target = Some(target);
    let accounts = copied.unwrap_or_else(|| sorted_accounts(inv, rank, &d.mailboxes));
    let bytes = footprints(inv, policy, &d.mailboxes);
    let n = accounts.len() as u64;
    s.accounts = Some(accounts);
    s.domains = Some(d.domains.clone());
    s.bytes = Some(bytes);
    s.candidates = Some(
        d.candidates
            .iter()
            .map(|(store, verdict)| Candidate {
                store: name(*store),
                verdict: verdict.clone(),
            })
            .collect(),
    );
    s.candidates_not_listed = (!d.not_listed.is_empty()).then(|| {
        d.not_listed
            .iter()
            .map(|(verdict, stores)| CandidateCount {
                verdict: verdict.clone(),
                stores: *stores,
            })
            .collect()
    });
    if let Some(r) = policy.rates {
        let copy = |b: u128| -> u64 {
            u64::try_from(b.div_ceil(u128::from(r.copy.0.max(1)))).unwrap_or(u64::MAX)
        };
        s.estimated_duration_s = Some(match kind {
            StepKind::MoveData => copy(u128::from(bytes)),
            _ => {
                let copied = if policy.two_stage_moves {
                    u128::from(bytes) * u128::from(r.delta_fraction.0) / 1_000_000
                } else {
                    u128::from(bytes)
                };
                copy(copied).saturating_add(r.switch_per_account.0.saturating_mul(n))
            }
        });
        if kind == StepKind::MoveSwitch {
            s.unavailable_per_account_s = Some(r.switch_per_account.0);
        }
    }
}

/// The accounts of the data copy from `source` to `target` written in
/// `wave`, for its switch.
fn copy_accounts(
    inv: &Inventory,
    wave: &Wave,
    source: ServerId,
    target: ServerId,
) -> Option<Vec<String>> {
    let (source, target) = (
        inv.server(source).name.as_str(),
        inv.server(target).name.as_str(),
    );
    wave.steps
        .iter()
        .find(|s| {
            s.kind == StepKind::MoveData
                && s.source.as_deref() == Some(source)
                && s.target.as_deref() == Some(target)
        })
        .and_then(|s| s.accounts.clone())
}

/// A backup's estimate: the store's bytes (a full backup) or `delta_fraction`
/// of them (an incremental one) at `rates.backup`; none without that rate.
fn backup_estimate(policy: &Policy, d: &Draft, bytes: u64) -> Option<u64> {
    let r = policy.rates?;
    let rate = r.backup?;
    let read = if d.full_backup {
        u128::from(bytes)
    } else {
        u128::from(bytes) * u128::from(r.delta_fraction.0) / 1_000_000
    };
    Some(u64::try_from(read.div_ceil(u128::from(rate.0.max(1)))).unwrap_or(u64::MAX))
}

/// The accounts of the switch steps written at `at` (wave, step), each list
/// sorted, merged into one sorted list. Accounts sort as their names do, and
/// the stable sort finds the sorted runs, so this costs little more than
/// copying them.
fn merged(waves: &[Wave], at: Vec<(usize, usize)>) -> Vec<String> {
    let mut names: Vec<&str> = at
        .iter()
        .filter_map(|&(w, i)| waves.get(w)?.steps.get(i)?.accounts.as_deref())
        .flatten()
        .map(String::as_str)
        .collect();
    names.sort();
    names.into_iter().map(str::to_owned).collect()
}

/// The accounts of `mailboxes`, sorted: the mailbox indices by their rank in
/// the inventory's account order (each paired with its rank, so that sorting
/// reads no other memory), then the names.
fn sorted_accounts(inv: &Inventory, rank: &[u32], mailboxes: &[u32]) -> Vec<String> {
    let mut keyed: Vec<(u32, u32)> = mailboxes.iter().map(|&m| (rank[m as usize], m)).collect();
    keyed.sort_unstable();
    keyed
        .iter()
        .map(|&(_, m)| inv.mailboxes[m as usize].account.as_str().to_owned())
        .collect()
}

/// The mailboxes' sizes for capacity (listed size with `size_overhead`), the
/// measure of `bytes` in steps and in `placement`.
fn footprints(inv: &Inventory, policy: &Policy, mailboxes: &[u32]) -> u64 {
    mailboxes
        .iter()
        .map(|&m| {
            inv.mailboxes[m as usize]
                .size
                .with_overhead(policy.size_overhead)
                .0
        })
        .fold(0u64, u64::saturating_add)
}

/// Replays the moves to find each store's load before, at its peak, and
/// after, from the schedule's own records (mailbox indices, no lookups).
/// What steps done before a resume left on the stores' disks: copies made
/// and not switched on their targets (added to `bytes`; the result has each
/// such mailbox's target, `u32::MAX` for the others), and copies switched
/// off stores and not purged on theirs (`kept`).
fn resumed_disk(
    inv: &Inventory,
    policy: &Policy,
    start: &Start,
    bytes: &mut [u64],
    kept: &mut [u64],
) -> Vec<u32> {
    let mut pending: Vec<u32> = vec![u32::MAX; inv.mailboxes.len()];
    for c in start.copied.iter().filter(|c| c.made) {
        for &m in &c.mailboxes {
            if let Some(p) = pending.get_mut(m as usize) {
                *p = c.target.0;
                bytes[c.target.index()] += inv.mailboxes[m as usize]
                    .size
                    .with_overhead(policy.size_overhead)
                    .0;
            }
        }
    }
    for (&s, list) in &start.kept {
        kept[s] = footprints(inv, policy, list);
    }
    pending
}

/// `before` and `after` count the mailboxes homed on each store; the peak is
/// the disk in use, with stage-1 copies and the copies not yet purged.
///
/// Also returns, per backup (table slot, store), the bytes homed on the
/// store when its wave starts, which its estimate reads.
fn replay(
    inv: &Inventory,
    policy: &Policy,
    scheduled: &Scheduled,
    start: &Start,
) -> (Placement, BTreeMap<(usize, usize), u64>) {
    let n = inv.servers.len();
    let mut bytes = vec![0u64; n];
    let mut count = vec![0u64; n];
    // Per store: the bytes of copies switched off it and not yet purged.
    let mut kept = vec![0u64; n];
    let footprint = |m: u32| {
        inv.mailboxes[m as usize]
            .size
            .with_overhead(policy.size_overhead)
            .0
    };
    for (i, m) in inv.mailboxes.iter().enumerate() {
        bytes[m.store.index()] += footprint(i as u32);
        count[m.store.index()] += 1;
    }
    let mut pending = resumed_disk(inv, policy, start, &mut bytes, &mut kept);
    let before = (bytes.clone(), count.clone());
    let mut peak = (
        bytes
            .iter()
            .zip(&kept)
            .map(|(b, k)| b.saturating_add(*k))
            .collect::<Vec<u64>>(),
        count.clone(),
    );
    let mut backed_up = BTreeMap::new();
    for (index, slot) in scheduled.table.slots().iter().enumerate() {
        for d in slot.steps.iter().filter(|d| d.kind == StepKind::Backup) {
            backed_up.insert((index, d.server.index()), bytes[d.server.index()]);
        }
        let mut releases: Vec<(usize, u64)> = Vec::new();
        for d in slot.steps.iter().filter(|d| d.kind.is_move()) {
            let (src, Some(tgt)) = (d.server.index(), d.target.map(|t| t.index())) else {
                continue;
            };
            for &m in &d.mailboxes {
                let fp = footprint(m);
                if d.kind == StepKind::MoveData {
                    bytes[tgt] += fp;
                    pending[m as usize] = tgt as u32;
                } else {
                    if pending[m as usize] != tgt as u32 {
                        bytes[tgt] += fp;
                    }
                    pending[m as usize] = u32::MAX;
                    count[tgt] += 1;
                    releases.push((src, fp));
                }
            }
        }
        for i in 0..n {
            peak.0[i] = peak.0[i].max(bytes[i].saturating_add(kept[i]));
            peak.1[i] = peak.1[i].max(count[i]);
        }
        for d in slot.steps.iter().filter(|d| d.kind == StepKind::Purge) {
            let freed = footprints(inv, policy, &d.mailboxes);
            let t = d.server.index();
            kept[t] = kept[t].saturating_sub(freed);
        }
        for (src, fp) in releases {
            bytes[src] = bytes[src].saturating_sub(fp);
            count[src] = count[src].saturating_sub(1);
            kept[src] = kept[src].saturating_add(fp);
        }
    }
    let map = |(b, c): &(Vec<u64>, Vec<u64>)| -> BTreeMap<String, StoreLoad> {
        inv.servers
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_mailstore())
            .map(|(i, s)| {
                (
                    s.name.to_string(),
                    StoreLoad {
                        bytes: b[i],
                        mailboxes: c[i],
                    },
                )
            })
            .collect()
    };
    let placement = Placement {
        before: map(&before),
        peak: map(&peak),
        after: map(&(bytes, count)),
    };
    (placement, backed_up)
}
