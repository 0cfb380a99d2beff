//! Refusals: the [`NoSafePlan`] of an inventory that cannot be planned, with
//! figures and hints that work.
//!
//! Building a refusal is a search of its own: every hint that changes the
//! inventory or the policy is planned again before it is named, with the
//! engine's own entry (`Oracle`, given by the caller) as the judge, so it
//! lives apart from the planning it calls and from the types it returns
//! (`reason`).

use std::collections::BTreeMap;

use super::graph::Cycle;
use super::place::{Mode, Shortfall};
use super::reason::{
    CycleEdge, Hint, Limit, Missing, NoSafePlan, Reason, ReasonKind, StoreShortfall, readable_up,
};
use super::schedule::Scheduled;
use crate::inventory::{
    Bytes, Capacity, Fraction, Inventory, MoveBy, Policy, ServerId, ServerName,
};

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

/// Plans an inventory under a policy, as the engine would: the oracle every
/// hint is tried with before it is named.
pub type Oracle<'a> = &'a dyn Fn(&Inventory, &Policy) -> bool;

/// How many times one refusal may plan a changed inventory to size the stores
/// it names: enough for doubling and bisection to 2% in a few sites, and a
/// bound on the time a refusal of a large inventory takes.
const STORE_PLANS: u32 = 48;

/// How many times one refusal may plan a changed policy (max_fill, cross-site
/// moves, move_by, in-place upgrades): bisection over whole percents takes
/// at most eight.
const POLICY_PLANS: u32 = 16;

/// Mailboxes up to which a refusal has the whole budgets above; beyond, each
/// plan costs more and the budgets shrink in proportion (to a floor that
/// still finds a store that plans), so that refusing a million mailboxes
/// takes seconds rather than a minute, with hints that are tried but may be
/// less tight.
const FULL_BUDGET_UP_TO: u64 = 200_000;

/// A budget of plans for an inventory of `mailboxes`: `full` up to
/// [`FULL_BUDGET_UP_TO`], then shrinking in proportion, down to `floor`.
fn plans_for(full: u32, floor: u32, mailboxes: u64) -> u32 {
    if mailboxes <= FULL_BUDGET_UP_TO {
        return full;
    }
    let scaled = u64::from(full) * FULL_BUDGET_UP_TO / mailboxes;
    u32::try_from(scaled).unwrap_or(full).clamp(floor, full)
}

/// The refusal of a schedule that could not empty every store: its
/// shortfalls per site, and what would make the inventory plan. Every hint
/// that changes the inventory or the policy has been tried with `plans`
/// before it is named; the stores it names are sized by a search with the
/// planner as the oracle, to within a few percent of the smallest that works.
pub fn refusal(
    inv: &Inventory,
    policy: &Policy,
    first: &Scheduled,
    plans: Oracle<'_>,
) -> NoSafePlan {
    let mut by_site: BTreeMap<Option<&str>, Vec<&Shortfall>> = BTreeMap::new();
    for f in &first.shortfalls {
        by_site.entry(f.site.as_deref()).or_default().push(f);
    }
    let described: Vec<SiteShortfall> = by_site
        .values()
        .filter_map(|site| describe_shortfalls(inv, policy, site))
        .collect();
    let mailboxes = inv.mailboxes.len() as u64;
    let mut stores = Probe::new(inv, policy, plans, plans_for(STORE_PLANS, 12, mailboxes));
    let mut policies = Probe::new(inv, policy, plans, plans_for(POLICY_PLANS, 6, mailboxes));
    let spare = first
        .shortfalls
        .iter()
        .any(|f| f.limited_by == Limit::SpareStores);
    // The stores found, by site, aligned with `described`.
    let found = sized_stores(&described, &mut stores, spare);
    let max_fill = if described.is_empty() {
        None
    } else {
        policies.lowest_max_fill(&first.shortfalls)
    };
    let cross_site = described.iter().any(|d| d.cross_site_may_help)
        && policies.policy_plans(&Policy {
            cross_site_moves: true,
            ..policy.clone()
        }) == Some(true);
    let in_place = in_place_stores(inv, policy, &first.shortfalls, &mut policies);
    let domains = if policy.move_by == MoveBy::Domain {
        whole_domains(inv, policy, &first.shortfalls)
    } else {
        Vec::new()
    };
    let by_account = !domains.is_empty()
        && policies.policy_plans(&Policy {
            move_by: MoveBy::Account,
            ..policy.clone()
        }) == Some(true);

    let mut reasons: Vec<Reason> = first
        .stuck
        .iter()
        .map(|stuck| Reason::new(ReasonKind::Stuck(stuck.clone()), Vec::new(), None))
        .collect();
    let store_hint = |m: Missing| {
        if spare {
            Hint::AddSpare(m)
        } else {
            Hint::AddStore(m)
        }
    };
    reasons.extend(domain_reasons(
        domains,
        by_account,
        &described,
        &found,
        &store_hint,
    ));
    for (site, found) in described.into_iter().zip(found) {
        let mut hints = Vec::new();
        let mut named = None;
        if let Some(wanted) = &site.missing {
            match found {
                Some(m) => {
                    named = (!spare).then(|| m.clone());
                    hints.push(store_hint(m));
                }
                None => hints.push(Hint::UnsizedRoom {
                    site: wanted.site.clone(),
                }),
            }
        }
        if let Some(to) = max_fill {
            hints.push(Hint::RaiseMaxFill { to });
        }
        if cross_site && site.cross_site_may_help {
            hints.push(Hint::AllowCrossSite);
        }
        hints.extend(in_place.iter().filter(|(_, s, _)| *s == site.site).map(
            |(store, _, mailboxes)| Hint::UpgradeInPlace {
                store: store.clone(),
                mailboxes: *mailboxes,
            },
        ));
        hints.extend(site.options);
        reasons.push(Reason::new(site.kind, hints, named));
    }
    if reasons.is_empty() {
        reasons.push(Reason::new(ReasonKind::NoAttempt, Vec::new(), None));
    }
    NoSafePlan { reasons }
}

/// The store to add in each site of `described` (aligned with it), sized
/// by planning: none when some site's shortfall has no estimate, or when no
/// size plans.
fn sized_stores(
    described: &[SiteShortfall],
    stores: &mut Probe<'_>,
    spare: bool,
) -> Vec<Option<Missing>> {
    let wanted: Vec<Missing> = described.iter().filter_map(|d| d.missing.clone()).collect();
    let found = if wanted.len() == described.len() && !wanted.is_empty() {
        stores.size_stores(&wanted, spare)
    } else {
        None
    };
    match found {
        Some(found) => found.into_iter().map(Some).collect(),
        None => vec![None; described.len()],
    }
}

/// The reasons for domains that no store can take whole, each with
/// `move_by: account` when that plans, and the store found for its site:
/// that store holds the domain, or frees a store that does.
fn domain_reasons(
    domains: Vec<(Option<String>, ReasonKind)>,
    by_account: bool,
    described: &[SiteShortfall],
    found: &[Option<Missing>],
    store_hint: &dyn Fn(Missing) -> Hint,
) -> Vec<Reason> {
    domains
        .into_iter()
        .map(|(site, kind)| {
            let mut hints = Vec::new();
            if by_account {
                hints.push(Hint::MoveByAccount);
            }
            let store = described
                .iter()
                .zip(found)
                .find(|(d, _)| d.site == site)
                .and_then(|(_, m)| m.clone());
            hints.extend(store.map(store_hint));
            Reason::new(kind, hints, None)
        })
        .collect()
}

/// The planner as an oracle, with a budget of plans.
struct Probe<'a> {
    inv: &'a Inventory,
    policy: &'a Policy,
    plans: Oracle<'a>,
    left: u32,
}

impl<'a> Probe<'a> {
    fn new(inv: &'a Inventory, policy: &'a Policy, plans: Oracle<'a>, left: u32) -> Probe<'a> {
        Probe {
            inv,
            policy,
            plans,
            left,
        }
    }

    /// Whether the inventory plans with these stores added; `None` once the
    /// budget is spent.
    fn stores_plan(&mut self, stores: &[Missing], spare: bool) -> Option<bool> {
        self.left = self.left.checked_sub(1)?;
        let with = with_stores(self.inv, stores, spare)?;
        Some((self.plans)(&with, self.policy))
    }

    /// Whether the inventory plans under this policy; `None` once the budget
    /// is spent.
    fn policy_plans(&mut self, policy: &Policy) -> Option<bool> {
        self.left = self.left.checked_sub(1)?;
        Some((self.plans)(self.inv, policy))
    }

    /// Whether the inventory plans with some servers upgraded in place.
    fn in_place_plans(&mut self, stores: &[usize]) -> Option<bool> {
        self.left = self.left.checked_sub(1)?;
        let mut with = self.inv.clone();
        for &s in stores {
            with.servers[s].evacuate = Some(false);
        }
        Some((self.plans)(&with, self.policy))
    }

    /// The stores to add, one per site in `wanted` (the first estimates),
    /// each tried: first all of them are grown together, doubling, until the
    /// inventory plans; then, site by site and the others held, the account
    /// room is brought back down by bisection, then the disk, to within 2%
    /// of the smallest that plans. Every figure is readable (three
    /// significant digits, see [`readable_up`]) and is the one tried. `None`
    /// when no size plans (up to a store that could hold every mailbox).
    fn size_stores(&mut self, wanted: &[Missing], spare: bool) -> Option<Vec<Missing>> {
        let bytes: u128 = self
            .inv
            .mailboxes
            .iter()
            .map(|m| u128::from(m.size.with_overhead(self.policy.size_overhead).0))
            .sum();
        let fill = u128::from(self.policy.max_fill.0).max(1);
        let whole = |n: u128| u64::try_from(ceil_div(n * 1_000_000, fill)).unwrap_or(u64::MAX);
        // A store this large holds every mailbox: larger ones cannot help.
        let cap_disk = readable_up(whole(bytes).max(1));
        let cap_count = whole(self.inv.mailboxes.len() as u128).max(1);
        let mut scale: u64 = 1;
        let mut current = loop {
            let tried: Vec<Missing> = wanted
                .iter()
                .map(|m| Missing {
                    disk: Bytes(readable_up(
                        m.disk.0.saturating_mul(scale).clamp(1, cap_disk),
                    )),
                    mailboxes: m.mailboxes.saturating_mul(scale).clamp(1, cap_count),
                    ..m.clone()
                })
                .collect();
            if self.stores_plan(&tried, spare)? {
                break tried;
            }
            if tried
                .iter()
                .all(|m| m.disk.0 >= cap_disk && m.mailboxes >= cap_count)
            {
                return None;
            }
            scale = scale.saturating_mul(2);
        };
        if scale > 1 {
            for (i, first) in wanted.iter().enumerate() {
                if self
                    .least_count(&mut current, i, first.mailboxes, spare)
                    .is_none()
                {
                    return Some(current);
                }
            }
        }
        for i in 0..current.len() {
            if self.least_disk(&mut current, i, spare).is_none() {
                break;
            }
        }
        Some(current)
    }

    /// Brings the account room of store `i` down by bisection, the others
    /// held, to within 5% of the least that plans (at least `floor`).
    fn least_count(
        &mut self,
        current: &mut [Missing],
        i: usize,
        floor: u64,
        spare: bool,
    ) -> Option<()> {
        let mut hi = current[i].mailboxes;
        let mut lo = floor.min(hi).saturating_sub(1);
        while hi - lo > 1 && u128::from(hi) * 100 > u128::from(lo) * 105 {
            let mid = lo + (hi - lo) / 2;
            let mut tried = current.to_vec();
            tried[i].mailboxes = mid;
            if self.stores_plan(&tried, spare)? {
                hi = mid;
                current[i].mailboxes = mid;
            } else {
                lo = mid;
            }
        }
        Some(())
    }

    /// Brings the disk of store `i` down, the others held: halving until a
    /// size does not plan, then bisecting to within 2% of the least that
    /// does. Only readable sizes are tried, and the one kept has been.
    fn least_disk(&mut self, current: &mut [Missing], i: usize, spare: bool) -> Option<()> {
        let mut hi = current[i].disk.0;
        let mut lo = 0;
        let try_disk = |probe: &mut Probe<'_>, disk: u64| {
            let mut tried = current.to_vec();
            tried[i].disk = Bytes(disk);
            probe.stores_plan(&tried, spare)
        };
        loop {
            let half = readable_up(hi / 2);
            if half >= hi || half == 0 {
                break;
            }
            if try_disk(self, half)? {
                hi = half;
            } else {
                lo = half;
                break;
            }
        }
        while u128::from(hi) * 100 > u128::from(lo) * 102 {
            let mid = readable_up(lo + (hi - lo) / 2);
            if mid >= hi || mid <= lo {
                break;
            }
            if try_disk(self, mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        current[i].disk = Bytes(hi);
        Some(())
    }

    /// The lowest whole-percent max_fill, at most 100%, under which the
    /// inventory plans, by bisection; `None` when 100% does not. The first
    /// guess is the fill at which the first store short would fit on the
    /// targets it had.
    fn lowest_max_fill(&mut self, shortfalls: &[Shortfall]) -> Option<Fraction> {
        const PERCENT: u32 = 10_000;
        let current = self.policy.max_fill;
        if current >= Fraction::ONE {
            return None;
        }
        let policy = self.policy.clone();
        let at = |probe: &mut Probe<'_>, percent: u32| {
            probe.policy_plans(&Policy {
                max_fill: Fraction(percent * PERCENT),
                ..policy.clone()
            })
        };
        if !at(self, 100)? {
            return None;
        }
        let (mut lo, mut hi) = (current.0 / PERCENT, 100);
        let guess = shortfalls.first().and_then(|f| {
            let needed = ceil_div(
                (f.eligible_used + u128::from(f.bytes)) * 100,
                f.eligible_disk,
            );
            u32::try_from(needed).ok()
        });
        let mut next = guess.filter(|g| *g > lo && *g < hi);
        while hi - lo > 1 {
            let mid = next.take().unwrap_or(lo + (hi - lo) / 2);
            match at(self, mid) {
                Some(true) => hi = mid,
                Some(false) => lo = mid,
                None => break,
            }
        }
        Some(Fraction(hi * PERCENT))
    }
}

/// A copy of the inventory with one new empty store (a spare, if `spare`)
/// per missing capacity, appended in order.
fn with_stores(inv: &Inventory, missing: &[Missing], spare: bool) -> Option<Inventory> {
    let mut with = inv.clone();
    for (k, m) in missing.iter().enumerate() {
        let name = ServerName::parse(&format!("added-store-{k}.invalid")).ok()?;
        let capacity = Capacity {
            disk: m.disk,
            mailboxes: Some(m.mailboxes),
        };
        let (version, site) = (m.version.clone(), m.site.clone());
        with = if spare {
            with.with_added_spare(name, version, site, capacity)
        } else {
            with.with_added_store(name, version, site, capacity)
        };
    }
    Some(with)
}

/// The stores that cannot be emptied and have nowhere to go at all (no other
/// mailstore within reach: a single server holding every role), with their
/// site and mailboxes, when upgrading them in place (`evacuate: false`)
/// makes the inventory plan.
fn in_place_stores(
    inv: &Inventory,
    policy: &Policy,
    shortfalls: &[Shortfall],
    probe: &mut Probe<'_>,
) -> Vec<(String, Option<String>, u64)> {
    let reach =
        |s: usize, t: usize| policy.cross_site_moves || inv.servers[s].site == inv.servers[t].site;
    let lone: Vec<usize> = shortfalls
        .iter()
        .map(|f| f.store.index())
        .filter(|&s| {
            !(0..inv.servers.len()).any(|t| t != s && inv.servers[t].is_mailstore() && reach(s, t))
        })
        .collect();
    if lone.is_empty() || probe.in_place_plans(&lone) != Some(true) {
        return Vec::new();
    }
    let loads = inv.store_loads();
    lone.iter()
        .map(|&s| {
            let server = &inv.servers[s];
            (
                server.name.to_string(),
                server.site.clone(),
                loads[s].mailboxes,
            )
        })
        .collect()
}

/// Under `move_by: domain`: each domain on a store that cannot be emptied
/// whose mailboxes there are more than any other store within reach may hold
/// at max_fill (its disk, or its account room), so it cannot move whole.
fn whole_domains(
    inv: &Inventory,
    policy: &Policy,
    shortfalls: &[Shortfall],
) -> Vec<(Option<String>, ReasonKind)> {
    let short: BTreeMap<usize, &Shortfall> =
        shortfalls.iter().map(|f| (f.store.index(), f)).collect();
    let mut domains: BTreeMap<(usize, &str), (u64, u64)> = BTreeMap::new();
    for m in &inv.mailboxes {
        if short.contains_key(&m.store.index()) {
            let entry = domains
                .entry((m.store.index(), m.account.domain()))
                .or_default();
            entry.0 = entry
                .0
                .saturating_add(m.size.with_overhead(policy.size_overhead).0);
            entry.1 += 1;
        }
    }
    let mut out = Vec::new();
    for ((s, domain), (bytes, mailboxes)) in domains {
        let spares_only = short[&s].limited_by == Limit::SpareStores;
        let mut most = (0u64, 0u64);
        for (t, server) in inv.servers.iter().enumerate() {
            let in_reach = policy.cross_site_moves || server.site == inv.servers[s].site;
            if t == s || !server.is_mailstore() || !in_reach || (spares_only && !server.spare) {
                continue;
            }
            if let Some(c) = server.capacity {
                let count = c.mailboxes.map_or(u64::MAX, |n| policy.max_fill.of(n));
                most.0 = most.0.max(policy.max_fill.of(c.disk.0));
                most.1 = most.1.max(count);
            }
        }
        if bytes > most.0 || mailboxes > most.1 {
            out.push((
                inv.servers[s].site.clone(),
                ReasonKind::DomainTooLarge {
                    domain: domain.to_string(),
                    store: inv.servers[s].name.to_string(),
                    mailboxes,
                    bytes: Bytes(bytes),
                    most_bytes: Bytes(most.0),
                    most_mailboxes: (most.1 < mailboxes).then_some(most.1),
                    max_fill: policy.max_fill,
                },
            ));
        }
    }
    out
}

/// The shortfalls of one site as a reason, with the options that would make
/// the plan feasible and, when a new store would, a first estimate of its
/// capacity (which the search then sizes).
struct SiteShortfall {
    site: Option<String>,
    kind: ReasonKind,
    options: Vec<Hint>,
    missing: Option<Missing>,
    cross_site_may_help: bool,
}

/// The shortfalls of one site, with what would make the plan feasible.
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
    let mut described = SiteShortfall {
        site: first.site.clone(),
        kind,
        options: Vec::new(),
        missing: None,
        cross_site_may_help: false,
    };
    if let Some(blocked) = site
        .iter()
        .find(|f| f.tier_blocked.is_some())
        .filter(|f| f.mode == Mode::Forward)
    {
        described.options.push(Hint::EmptyBeforeTiers {
            store: inv.server(blocked.store).name.to_string(),
        });
        return Some(described);
    }
    if first.eligible.is_empty() && first.limited_by == Limit::OwnCeiling {
        described.options.push(Hint::UseAutoOrSpread);
        return Some(described);
    }
    described.cross_site_may_help = site.iter().all(|f| f.other_sites_have_room);
    described.missing = Some(missing(inv, policy, site));
    Some(described)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_of_plans_shrinks_with_the_mailboxes() {
        assert_eq!(plans_for(48, 12, 5_000), 48);
        assert_eq!(plans_for(48, 12, FULL_BUDGET_UP_TO), 48);
        assert_eq!(plans_for(48, 12, 2 * FULL_BUDGET_UP_TO), 24);
        assert_eq!(plans_for(48, 12, 1_000_000), 12);
        assert_eq!(plans_for(16, 6, u64::MAX), 6);
    }
}
