//! Refusals: the [`NoSafePlan`] of an inventory that cannot be planned, with
//! figures and hints that work.
//!
//! Building a refusal is a search of its own (the capacity a hint names is
//! planned again before it is named), so it lives apart from the strategy
//! choice it calls and from the types it returns (`reason`).

use std::collections::BTreeMap;

use super::graph::{Cycle, Order};
use super::place::{Mode, Shortfall};
use super::reason::{CycleEdge, Hint, Missing, NoSafePlan, Reason, ReasonKind, StoreShortfall};
use super::schedule::Scheduled;
use super::strategy;
use crate::inventory::{Bytes, Capacity, Fraction, Inventory, Policy, ServerId, ServerName};

/// The one range check of `max_fill` the engine makes: above 0% and at most
/// 100%. Validation makes the same check on the inventory; this one also
/// covers command-line overrides.
pub fn max_fill_out_of_range(policy: &Policy) -> Option<NoSafePlan> {
    let max_fill = policy.max_fill;
    (!max_fill.is_valid_fill())
        .then(|| NoSafePlan::one(ReasonKind::MaxFillOutOfRange { max_fill }, Vec::new()))
}

/// The refusal of an upgrade order with cycles: each cycle, and its edges.
pub fn cycles(inv: &Inventory, cycles: &[Cycle]) -> NoSafePlan {
    let name = |s: ServerId| inv.server(s).name.to_string();
    let profile = inv.profile.name.as_str();
    let reasons = cycles
        .iter()
        .map(|c| {
            let next = c.servers.iter().skip(1).chain(c.servers.first());
            let edges = c
                .servers
                .iter()
                .zip(next)
                .zip(&c.reasons)
                .map(|((&from, &to), r)| CycleEdge {
                    server: name(from),
                    waits_for: name(to),
                    rule: r.rule(profile),
                })
                .collect();
            Reason::new(
                ReasonKind::OrderCycle {
                    servers: c.servers.iter().map(|&s| name(s)).collect(),
                },
                vec![Hint::BreakCycle { edges }],
                None,
            )
        })
        .collect();
    NoSafePlan { reasons }
}

/// The refusal of a schedule that could not empty every store: its
/// shortfalls per site, and the capacity that would make the inventory plan.
/// That capacity is tried before it is named: the inventory with the stores
/// it names added is planned again (doubling them if needed), so the hint is
/// one that works.
pub fn refusal(
    inv: &Inventory,
    policy: &Policy,
    modes: &[Mode],
    now: jiff::Timestamp,
    first: &Scheduled,
) -> NoSafePlan {
    let mut by_site: BTreeMap<Option<&str>, Vec<&Shortfall>> = BTreeMap::new();
    for f in &first.shortfalls {
        by_site.entry(f.site.as_deref()).or_default().push(f);
    }
    let described: Vec<SiteShortfall> = by_site
        .values()
        .filter_map(|site| describe_shortfalls(inv, policy, site))
        .collect();
    let wanted: Vec<Missing> = described.iter().filter_map(|d| d.missing.clone()).collect();
    let found = if wanted.len() == described.len() && !wanted.is_empty() {
        probe(inv, policy, modes, now, &wanted)
    } else {
        None
    };
    let mut reasons: Vec<Reason> = first
        .stuck
        .iter()
        .map(|stuck| Reason::new(ReasonKind::Stuck(stuck.clone()), Vec::new(), None))
        .collect();
    let mut found = found.into_iter().flatten();
    for site in described {
        let mut hints = Vec::new();
        let mut named = None;
        if site.missing.is_some() {
            match found.next() {
                Some(m) => {
                    hints.push(Hint::AddStore(m.clone()));
                    named = Some(m);
                }
                None => hints.push(Hint::UnsizedRoom),
            }
        }
        hints.extend(site.options);
        reasons.push(Reason::new(site.kind, hints, named));
    }
    if reasons.is_empty() {
        reasons.push(Reason::new(ReasonKind::NoAttempt, Vec::new(), None));
    }
    NoSafePlan { reasons }
}

/// Plans again with the missing stores added, growing them step by step
/// (up to 16 times the first estimate, which packing may need: mailboxes do
/// not split); returns the first amounts that make the inventory plan. The
/// inventory given is never changed: each try plans a new one built by the
/// model.
fn probe(
    inv: &Inventory,
    policy: &Policy,
    modes: &[Mode],
    now: jiff::Timestamp,
    wanted: &[Missing],
) -> Option<Vec<Missing>> {
    // Scales in percent of the first estimate.
    for scale in [100u128, 125, 150, 200, 400, 800, 1600] {
        let grow =
            |v: u64| u64::try_from((u128::from(v) * scale).div_ceil(100)).unwrap_or(u64::MAX);
        let scaled: Vec<Missing> = wanted
            .iter()
            .map(|m| Missing {
                disk: Bytes(grow(m.disk.0)),
                mailboxes: grow(m.mailboxes).max(m.mailboxes + u64::from(scale > 100)),
                ..m.clone()
            })
            .collect();
        let with = with_stores(inv, &scaled)?;
        let order: Order = super::graph::build(&with).ok()?;
        if strategy::cheapest(&strategy::attempts(&with, policy, &order, modes, now)).is_some() {
            return Some(scaled);
        }
    }
    None
}

/// A copy of the inventory with one new empty store per missing capacity.
fn with_stores(inv: &Inventory, missing: &[Missing]) -> Option<Inventory> {
    let mut with = inv.clone();
    for (k, m) in missing.iter().enumerate() {
        let name = ServerName::parse(&format!("added-store-{k}.invalid")).ok()?;
        let capacity = Capacity {
            disk: m.disk,
            mailboxes: Some(m.mailboxes),
        };
        with = with.with_added_store(name, m.version.clone(), m.site.clone(), capacity);
    }
    Some(with)
}

/// The shortfalls of one site as a reason, with the options that would make
/// the plan feasible and, when a new store would, its capacity.
struct SiteShortfall {
    kind: ReasonKind,
    options: Vec<Hint>,
    missing: Option<Missing>,
}

/// The shortfalls of one site, with what would make the plan feasible: the
/// figures cover every store of the site that cannot be emptied, so adding
/// what the hint names is enough.
fn describe_shortfalls(
    inv: &Inventory,
    policy: &Policy,
    site: &[&Shortfall],
) -> Option<SiteShortfall> {
    let first = site.first()?;
    let kind = ReasonKind::CannotEmpty {
        site: first.site.clone(),
        stores: site
            .iter()
            .map(|f| StoreShortfall {
                store: inv.server(f.store).name.to_string(),
                mailboxes: f.mailboxes,
                bytes: Bytes(f.bytes),
            })
            .collect(),
        limited_by: first.limited_by,
        max_fill: policy.max_fill,
    };
    let mut options = Vec::new();
    if let Some(blocked) = site
        .iter()
        .find(|f| f.tier_blocked.is_some())
        .filter(|f| f.mode == Mode::Forward)
    {
        options.push(Hint::EmptyBeforeTiers {
            store: inv.server(blocked.store).name.to_string(),
        });
        return Some(SiteShortfall {
            kind,
            options,
            missing: None,
        });
    }
    if first.eligible.is_empty() && first.limited_by == super::reason::Limit::OwnCeiling {
        options.push(Hint::UseAutoOrSpread);
        return Some(SiteShortfall {
            kind,
            options,
            missing: None,
        });
    }
    if let Some(to) = raise_max_fill(policy, site) {
        options.push(Hint::RaiseMaxFill { to });
    }
    if site.iter().all(|f| f.other_sites_have_room) {
        options.push(Hint::AllowCrossSite);
    }
    Some(SiteShortfall {
        kind,
        options,
        missing: Some(missing(inv, policy, site)),
    })
}

/// A new empty store in the site with room for what found no place; and,
/// where the site as a whole holds more than all its stores may at max_fill
/// (stores above their ceiling), for that excess too. The engine tries this
/// amount (and more, if packing needs it) before it names it.
fn missing(inv: &Inventory, policy: &Policy, site: &[&Shortfall]) -> Missing {
    let first = site[0];
    let bytes: u64 = site.iter().map(|f| f.bytes).fold(0, u64::saturating_add);
    let mailboxes: u64 = site.iter().map(|f| f.mailboxes).sum();
    let (need_bytes, need_count, room_bytes, room_count) = site_balance(inv, policy, &first.site);
    let bytes = u128::from(bytes).max(need_bytes.saturating_sub(room_bytes));
    let mailboxes = u128::from(mailboxes).max(need_count.saturating_sub(room_count));
    let disk_needed = ceil_div(bytes * 1_000_000, u128::from(policy.max_fill.0).max(1));
    let accounts_needed = ceil_div(mailboxes * 1_000_000, u128::from(policy.max_fill.0).max(1));
    // Stores at the target version cannot take accounts before the tiers
    // ahead of the mailstores are upgraded; a store emptied before then needs
    // room on a store at its own version.
    let version = site
        .iter()
        .filter_map(|f| f.tier_blocked.clone())
        .max()
        .unwrap_or_else(|| inv.target_version.clone());
    Missing {
        version,
        site: first.site.clone(),
        disk: Bytes(u64::try_from(disk_needed).unwrap_or(u64::MAX)),
        mailboxes: u64::try_from(accounts_needed).unwrap_or(u64::MAX),
    }
}

/// The max_fill at which the only store of a site that cannot be emptied
/// would fit on its eligible targets, when that is at most 100% and above
/// the current one.
fn raise_max_fill(policy: &Policy, site: &[&Shortfall]) -> Option<Fraction> {
    let first = site.first()?;
    let (used, disk) = (first.eligible_used, first.eligible_disk);
    if disk == 0 || site.len() != 1 {
        return None;
    }
    let needed = ceil_div((used + u128::from(first.bytes)) * 1000, disk);
    (needed <= 1000 && needed * 1000 > u128::from(policy.max_fill.0))
        .then(|| Fraction(u32::try_from(needed * 1000).unwrap_or(u32::MAX)))
}

/// What a site must hold at the end (bytes for capacity, accounts) and what
/// all its stores may hold at max_fill.
fn site_balance(
    inv: &Inventory,
    policy: &Policy,
    site: &Option<String>,
) -> (u128, u128, u128, u128) {
    let in_site = |s: ServerId| policy.cross_site_moves || &inv.server(s).site == site;
    let (mut need_bytes, mut need_count) = (0u128, 0u128);
    for m in &inv.mailboxes {
        if in_site(m.store) {
            need_bytes += u128::from(m.size.with_overhead(policy.size_overhead).0);
            need_count += 1;
        }
    }
    let (mut room_bytes, mut room_count) = (0u128, 0u128);
    for (i, s) in inv.servers.iter().enumerate() {
        if let (true, Some(c)) = (s.is_mailstore() && in_site(ServerId(i as u32)), s.capacity) {
            room_bytes += u128::from(policy.max_fill.of(c.disk.0));
            room_count += c
                .mailboxes
                .map_or(u128::from(u64::MAX), |m| u128::from(policy.max_fill.of(m)));
        }
    }
    (need_bytes, need_count, room_bytes, room_count)
}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b.max(1))
}
