//! Placement: where each mailbox of a store being emptied goes.
//!
//! Capacity is kept per store over both dimensions, bytes (with the policy's
//! size overhead) and accounts, at `max_fill`. A target is charged for a
//! mailbox from the moment it is planned, so every later decision sees the
//! copies in flight. Units (mailboxes, or whole domains) are placed largest
//! first, each on the best eligible store: the strategy decides which stores
//! are eligible and which are preferred, and among equals the lowest resulting
//! fill wins, then the name. Every store considered gets a verdict, which the
//! move steps carry for `explain`.

use std::collections::BTreeMap;

use super::schedule::Sched;
use crate::inventory::{Bytes, Fraction, Inventory, MoveBy, Policy, ServerId, Version};

/// How targets are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `auto`: stores at the target version first, then the others.
    Greedy,
    /// `spread`: every store of the site alike, balancing fill.
    Spread,
    /// `spare`: spare stores only, and back after the upgrade.
    Spare,
    /// `forward`: stores at the target version only.
    Forward,
}

/// Capacity and location of every mailbox during one attempt.
pub struct State {
    /// The store each mailbox is on (or switching to).
    pub loc: Vec<u32>,
    /// The mailboxes on each store.
    pub on_store: Vec<Vec<u32>>,
    /// Committed bytes per store (with overhead), copies in flight included.
    pub bytes: Vec<u64>,
    /// Committed accounts per store.
    pub count: Vec<u64>,
    pub ceil_bytes: Vec<u64>,
    pub ceil_count: Vec<u64>,
    /// Stores above their ceiling since the start, until they are below.
    pub over: Vec<bool>,
    /// Each mailbox's size for capacity.
    pub footprint: Vec<u64>,
    /// How many times each mailbox has moved.
    pub moves: Vec<u8>,
    pub parked: bool,
}

impl State {
    pub fn new(inv: &Inventory, policy: &Policy) -> State {
        let n = inv.servers.len();
        let mut on_store: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut bytes = vec![0u64; n];
        let mut count = vec![0u64; n];
        let footprint: Vec<u64> = inv
            .mailboxes
            .iter()
            .map(|m| m.size.with_overhead(policy.size_overhead).0)
            .collect();
        let mut loc = Vec::with_capacity(inv.mailboxes.len());
        for (i, m) in inv.mailboxes.iter().enumerate() {
            let s = m.store.index();
            on_store[s].push(i as u32);
            bytes[s] = bytes[s].saturating_add(footprint[i]);
            count[s] += 1;
            loc.push(m.store.0);
        }
        let mut ceil_bytes = vec![0u64; n];
        let mut ceil_count = vec![0u64; n];
        for (i, s) in inv.servers.iter().enumerate() {
            if let Some(c) = s.capacity {
                ceil_bytes[i] = policy.max_fill.of(c.disk.0);
                ceil_count[i] = c.mailboxes.map_or(u64::MAX, |m| policy.max_fill.of(m));
            }
        }
        let over = (0..n)
            .map(|i| bytes[i] > ceil_bytes[i] || count[i] > ceil_count[i])
            .collect();
        State {
            loc,
            on_store,
            bytes,
            count,
            ceil_bytes,
            ceil_count,
            over,
            footprint,
            moves: vec![0; inv.mailboxes.len()],
            parked: false,
        }
    }

    /// How many mailboxes a store holds.
    pub fn holds(&self, s: usize) -> usize {
        self.on_store[s].len()
    }

    fn fill_ppm(&self, t: usize, bytes: u64, count: u64) -> u64 {
        // Millionths of the ceiling; in 64 bits when they fit (128-bit
        // division is several times slower, and this runs for every
        // mailbox and candidate).
        let ratio = |v: u64, c: u64| -> u64 {
            match (v.checked_mul(1_000_000), c) {
                (_, 0) => u64::MAX,
                (Some(scaled), _) => scaled / c,
                (None, _) => {
                    u64::try_from(u128::from(v) * 1_000_000 / u128::from(c)).unwrap_or(u64::MAX)
                }
            }
        };
        ratio(bytes, self.ceil_bytes[t]).max(ratio(count, self.ceil_count[t]))
    }

    fn release(&mut self, s: usize, bytes: u64, count: u64) {
        self.bytes[s] = self.bytes[s].saturating_sub(bytes);
        self.count[s] = self.count[s].saturating_sub(count);
        if self.over[s]
            && self.bytes[s] <= self.ceil_bytes[s]
            && self.count[s] <= self.ceil_count[s]
        {
            self.over[s] = false;
        }
    }
}

/// The mailboxes going from one store to another in one phase.
pub struct Batch {
    pub source: ServerId,
    pub target: ServerId,
    pub mailboxes: Vec<u32>,
    pub domains: Vec<String>,
    pub why_data: String,
    pub why_switch: String,
    pub candidates: Vec<(ServerId, String)>,
}

/// Mailboxes of a store that found no room.
pub struct Shortfall {
    pub store: ServerId,
    pub site: Option<String>,
    /// Bytes for capacity (with overhead) and accounts without a place.
    pub bytes: u64,
    pub mailboxes: u64,
    /// The stores that were eligible targets.
    pub eligible: Vec<ServerId>,
    /// Their committed bytes and their disks, when the shortfall was found.
    pub eligible_used: u128,
    pub eligible_disk: u128,
    /// What limited the targets, in words.
    pub limited_by: String,
    /// Whether stores of other sites have the room.
    pub other_sites_have_room: bool,
    /// Set when stores at the target version could not take accounts yet
    /// (the servers ordered before the mailstores are not all upgraded): a
    /// new store must then be at the source's version to help.
    pub tier_blocked: Option<Version>,
    /// The attempt's mode.
    pub mode: Mode,
}

/// A group of mailboxes that moves as one: a mailbox, or a domain's mailboxes.
struct Unit<'a> {
    /// Its mailboxes, as a range of the phase's member list.
    members: std::ops::Range<usize>,
    bytes: u64,
    count: u64,
    moved_before: bool,
    /// The account or the domain, for ties.
    key: &'a str,
}

/// The version a store has when it receives mailboxes: moves onto a store
/// whose upgrade is booked come after that upgrade.
fn version_at<'a>(sched: &'a Sched<'_>, t: usize) -> &'a Version {
    if at_target(sched, t) {
        &sched.inv.target_version
    } else {
        &sched.inv.servers[t].version
    }
}

/// Whether a store is at the target version by the time it receives anything.
fn at_target(sched: &Sched<'_>, t: usize) -> bool {
    sched.at_target_in(ServerId(t as u32), usize::MAX)
}

fn same_site(inv: &Inventory, a: usize, b: usize) -> bool {
    inv.servers[a].site == inv.servers[b].site
}

/// Each mailstore that may be considered for mailboxes of `s` (same site unless
/// cross-site moves are allowed), with its class (lower is preferred) or the
/// reason it is not eligible.
fn candidates(sched: &Sched<'_>, s: usize) -> Vec<(usize, Result<u8, String>)> {
    let inv = sched.inv;
    let source_version = version_at(sched, s).clone();
    let tier_ready = sched.tier_ready().is_some();
    let mut out = Vec::new();
    for (t, server) in inv.servers.iter().enumerate() {
        if t == s || !server.is_mailstore() {
            continue;
        }
        if !sched.policy.cross_site_moves && !same_site(inv, s, t) {
            continue;
        }
        let upgraded = at_target(sched, t);
        let verdict = if version_at(sched, t) < &source_version {
            Err(format!("older version ({})", version_at(sched, t)))
        } else if upgraded && !tier_ready {
            Err("at the target version, but the servers ordered before the mailstores are not all upgraded yet".to_string())
        } else if sched.place.over[t] {
            Err("above its ceiling".to_string())
        } else {
            match sched.mode {
                Mode::Forward if !upgraded => {
                    Err("not at the target version (strategy forward)".to_string())
                }
                Mode::Spare if !server.spare => Err("not a spare (strategy spare)".to_string()),
                Mode::Greedy if !upgraded => Ok(1),
                _ => Ok(0),
            }
        };
        out.push((t, verdict));
    }
    out
}

/// The units of a store, in placement order, with the member list their
/// ranges point into (no allocation per unit: a million mailboxes are a
/// million units).
fn units_of<'a>(inv: &'a Inventory, sched: &Sched<'_>, s: usize) -> (Vec<u32>, Vec<Unit<'a>>) {
    let st = &sched.place;
    let mut members: Vec<u32> = st.on_store[s].clone();
    let mut units: Vec<Unit<'a>> = Vec::new();
    match sched.policy.move_by {
        MoveBy::Account => {
            units.reserve(members.len());
            for (k, &m) in members.iter().enumerate() {
                units.push(Unit {
                    members: k..k + 1,
                    bytes: st.footprint[m as usize],
                    count: 1,
                    moved_before: st.moves[m as usize] > 0,
                    key: inv.mailboxes[m as usize].account.as_str(),
                });
            }
        }
        MoveBy::Domain => {
            members.sort_by(|a, b| {
                inv.mailboxes[*a as usize]
                    .account
                    .domain()
                    .cmp(inv.mailboxes[*b as usize].account.domain())
                    .then(a.cmp(b))
            });
            let mut start = 0;
            while start < members.len() {
                let domain = inv.mailboxes[members[start] as usize].account.domain();
                let mut end = start;
                let (mut bytes, mut moved_before) = (0u64, false);
                while end < members.len()
                    && inv.mailboxes[members[end] as usize].account.domain() == domain
                {
                    let m = members[end] as usize;
                    bytes = bytes.saturating_add(st.footprint[m]);
                    moved_before |= st.moves[m] > 0;
                    end += 1;
                }
                units.push(Unit {
                    members: start..end,
                    bytes,
                    count: (end - start) as u64,
                    moved_before,
                    key: domain,
                });
                start = end;
            }
        }
    }
    let greedy = sched.mode == Mode::Greedy;
    units.sort_by(|a, b| {
        (greedy && b.moved_before)
            .cmp(&(greedy && a.moved_before))
            .then(b.bytes.cmp(&a.bytes))
            .then_with(|| a.key.cmp(b.key))
    });
    (members, units)
}

/// Plans where every mailbox of `s` goes; commits it only if all find room.
pub fn evacuate(sched: &mut Sched<'_>, s: usize) -> Result<Vec<Batch>, Box<Shortfall>> {
    let inv = sched.inv;
    let cands = candidates(sched, s);
    let (members, units) = units_of(inv, sched, s);
    let eligible: Vec<(usize, u8)> = cands
        .iter()
        .filter_map(|(t, v)| v.as_ref().ok().map(|c| (*t, *c)))
        .collect();
    // Tentative loads of the eligible stores.
    let mut load: Vec<(u64, u64)> = eligible
        .iter()
        .map(|(t, _)| (sched.place.bytes[*t], sched.place.count[*t]))
        .collect();
    let mut assigned: Vec<Option<usize>> = Vec::with_capacity(units.len());
    let (mut short_bytes, mut short_count) = (0u64, 0u64);
    for unit in &units {
        let mut best: Option<(u8, u64, usize)> = None;
        for (k, (t, class)) in eligible.iter().enumerate() {
            let (b, c) = (load[k].0.saturating_add(unit.bytes), load[k].1 + unit.count);
            if b > sched.place.ceil_bytes[*t] || c > sched.place.ceil_count[*t] {
                continue;
            }
            let fill = sched.place.fill_ppm(*t, b, c);
            let better = match best {
                None => true,
                Some((bc, bf, bk)) => {
                    (*class, fill, &inv.servers[*t].name)
                        < (bc, bf, &inv.servers[eligible[bk].0].name)
                }
            };
            if better {
                best = Some((*class, fill, k));
            }
        }
        match best {
            Some((_, _, k)) => {
                load[k].0 = load[k].0.saturating_add(unit.bytes);
                load[k].1 += unit.count;
                assigned.push(Some(k));
            }
            None => {
                short_bytes = short_bytes.saturating_add(unit.bytes);
                short_count += unit.count;
                assigned.push(None);
            }
        }
    }
    if short_count > 0 {
        let other_room: u64 = inv
            .servers
            .iter()
            .enumerate()
            .filter(|(t, srv)| srv.is_mailstore() && *t != s && !same_site(inv, s, *t))
            .map(|(t, _)| sched.place.ceil_bytes[t].saturating_sub(sched.place.bytes[t]))
            .sum();
        let limited_by = match sched.mode {
            Mode::Forward => "stores at the target version",
            Mode::Spare => "spare stores",
            Mode::Greedy | Mode::Spread => "other stores",
        };
        return Err(Box::new(Shortfall {
            store: ServerId(s as u32),
            site: inv.servers[s].site.clone(),
            bytes: short_bytes,
            mailboxes: short_count,
            eligible: eligible.iter().map(|(t, _)| ServerId(*t as u32)).collect(),
            eligible_used: eligible
                .iter()
                .map(|(t, _)| u128::from(sched.place.bytes[*t]))
                .sum(),
            eligible_disk: eligible
                .iter()
                .map(|(t, _)| u128::from(inv.servers[*t].capacity.map_or(0, |c| c.disk.0)))
                .sum(),
            limited_by: limited_by.to_string(),
            other_sites_have_room: !sched.policy.cross_site_moves && other_room >= short_bytes,
            tier_blocked: sched
                .tier_ready()
                .is_none()
                .then(|| version_at(sched, s).clone()),
            mode: sched.mode,
        }));
    }

    // Commit.
    let mut per_target: BTreeMap<usize, (Vec<u32>, Vec<String>, u8)> = BTreeMap::new();
    for (unit, k) in units.iter().zip(&assigned) {
        let Some(k) = *k else { continue };
        let (t, class) = eligible[k];
        let entry = per_target
            .entry(t)
            .or_insert_with(|| (Vec::new(), Vec::new(), class));
        let mailboxes = &members[unit.members.clone()];
        entry.0.extend_from_slice(mailboxes);
        if sched.policy.move_by == MoveBy::Domain {
            entry.1.push(unit.key.to_string());
        }
        for &m in mailboxes {
            let st = &mut sched.place;
            st.loc[m as usize] = t as u32;
            st.moves[m as usize] = st.moves[m as usize].saturating_add(1);
            st.on_store[t].push(m);
        }
        sched.place.bytes[t] = sched.place.bytes[t].saturating_add(unit.bytes);
        sched.place.count[t] += unit.count;
        sched.place.release(s, unit.bytes, unit.count);
        if !at_target(sched, t) {
            sched.place.parked = true;
        }
    }
    sched.place.on_store[s].clear();

    // Verdicts for the explanation of every batch.
    let smallest = units
        .iter()
        .map(|u| (u.bytes, u.count))
        .min()
        .unwrap_or((0, 0));
    let chosen: Vec<usize> = per_target.keys().copied().collect();
    let verdicts: Vec<(usize, String)> = cands
        .iter()
        .map(|(t, v)| {
            let text = match v {
                Err(reason) => reason.clone(),
                Ok(_) if chosen.contains(t) => "chosen".to_string(),
                Ok(_) => {
                    let full = sched.place.bytes[*t].saturating_add(smallest.0)
                        > sched.place.ceil_bytes[*t]
                        || sched.place.count[*t] + smallest.1 > sched.place.ceil_count[*t];
                    if full {
                        format!("full at max_fill {}", sched.policy.max_fill)
                    } else {
                        "less preferred (higher fill or not yet upgraded)".to_string()
                    }
                }
            };
            (*t, text)
        })
        .collect();

    let source_name = inv.servers[s].name.as_str();
    let site = inv.servers[s]
        .site
        .as_deref()
        .map_or(String::new(), |x| format!(" of site {x}"));
    let batches = per_target
        .into_iter()
        .map(|(t, (mut mailboxes, mut domains, class))| {
            mailboxes.sort_unstable();
            domains.sort();
            let n = mailboxes.len();
            let bytes: u64 = mailboxes.iter().map(|&m| inv.mailboxes[m as usize].size.0).sum();
            let target_name = inv.servers[t].name.as_str();
            let reason = match (sched.mode, class) {
                (Mode::Spare, _) => "a spare store: they come back after the upgrade".to_string(),
                (Mode::Spread, _) => format!("the lowest fill among the stores{site}"),
                (_, 0) => "already at the target version, so they move once".to_string(),
                _ => "not yet upgraded: no store at the target version has room, so they move again later".to_string(),
            };
            let what = match domains.len() {
                0 => format!("{n} mailbox{} ({})", if n == 1 { "" } else { "es" }, Bytes(bytes)),
                d => format!(
                    "{d} domain{} ({n} mailbox{}, {})",
                    if d == 1 { "" } else { "s" },
                    if n == 1 { "" } else { "es" },
                    Bytes(bytes)
                ),
            };
            let candidates = verdicts
                .iter()
                .map(|(c, v)| {
                    let v = if *c == t {
                        "chosen".to_string()
                    } else if v == "chosen" {
                        "chosen for other mailboxes".to_string()
                    } else {
                        v.clone()
                    };
                    (ServerId(*c as u32), v)
                })
                .collect();
            Batch {
                source: ServerId(s as u32),
                target: ServerId(t as u32),
                why_data: format!("stage 1 of emptying {source_name}: copy {what} to {target_name}, {reason}"),
                why_switch: if sched.policy.two_stage_moves {
                    format!("stage 2 of emptying {source_name}: copy the changes of {what} and switch them to {target_name}")
                } else {
                    format!("empty {source_name}: move {what} to {target_name} and switch them, {reason}")
                },
                mailboxes,
                domains,
                candidates,
            }
        })
        .collect();
    Ok(batches)
}

/// Under `spare`: the moves that bring a store's mailboxes back from the spares.
pub fn return_from_spares(
    sched: &mut Sched<'_>,
    s: usize,
    out: &[Batch],
) -> Result<Vec<Batch>, Box<Shortfall>> {
    let inv = sched.inv;
    let (bytes, count): (u64, u64) = out
        .iter()
        .flat_map(|b| b.mailboxes.iter())
        .fold((0, 0), |(b, c), &m| {
            (b.saturating_add(sched.place.footprint[m as usize]), c + 1)
        });
    if sched.place.bytes[s].saturating_add(bytes) > sched.place.ceil_bytes[s]
        || sched.place.count[s] + count > sched.place.ceil_count[s]
    {
        return Err(Box::new(Shortfall {
            store: ServerId(s as u32),
            site: inv.servers[s].site.clone(),
            bytes: (sched.place.bytes[s] + bytes).saturating_sub(sched.place.ceil_bytes[s]),
            mailboxes: (sched.place.count[s] + count).saturating_sub(sched.place.ceil_count[s]),
            eligible: Vec::new(),
            eligible_used: 0,
            eligible_disk: 0,
            limited_by:
                "its own ceiling: it started above max_fill, so its mailboxes cannot all come back"
                    .to_string(),
            other_sites_have_room: false,
            tier_blocked: None,
            mode: sched.mode,
        }));
    }
    let name = inv.servers[s].name.as_str();
    let mut back = Vec::new();
    for b in out {
        let spare = b.target.index();
        let mut moved_bytes = 0u64;
        for &m in &b.mailboxes {
            let fp = sched.place.footprint[m as usize];
            moved_bytes += inv.mailboxes[m as usize].size.0;
            sched.place.release(spare, fp, 1);
            sched.place.bytes[s] = sched.place.bytes[s].saturating_add(fp);
            sched.place.count[s] += 1;
            sched.place.loc[m as usize] = s as u32;
            sched.place.moves[m as usize] = sched.place.moves[m as usize].saturating_add(1);
            sched.place.on_store[s].push(m);
        }
        sched.place.on_store[spare].retain(|m| sched.place.loc[*m as usize] as usize == spare);
        let n = b.mailboxes.len();
        let what = format!(
            "{n} mailbox{} ({})",
            if n == 1 { "" } else { "es" },
            Bytes(moved_bytes)
        );
        let spare_name = inv.servers[spare].name.as_str();
        back.push(Batch {
            source: b.target,
            target: b.source,
            mailboxes: b.mailboxes.clone(),
            domains: b.domains.clone(),
            why_data: format!("restore {name}: copy {what} back from the spare {spare_name}"),
            why_switch: format!("restore {name}: switch {what} back from the spare {spare_name}"),
            candidates: vec![(
                b.source,
                "chosen: the store they came from (strategy spare)".to_string(),
            )],
        });
    }
    Ok(back)
}

/// Which of the ready stores to empty next.
pub fn next_store(sched: &Sched<'_>, level: &[usize]) -> usize {
    let inv = sched.inv;
    let st = &sched.place;
    let name = |i: usize| inv.servers[i].name.as_str();
    // Room on stores at the target version in the store's reach.
    let room = |s: usize| -> (u64, u64) {
        candidates(sched, s)
            .iter()
            .filter(|(t, v)| v.as_ref().is_ok_and(|c| *c == 0) && at_target(sched, *t))
            .fold((0u64, 0u64), |(b, c), (t, _)| {
                (
                    b.saturating_add(st.ceil_bytes[*t].saturating_sub(st.bytes[*t])),
                    c.saturating_add(st.ceil_count[*t].saturating_sub(st.count[*t])),
                )
            })
    };
    let pick = match sched.mode {
        Mode::Greedy => level.iter().copied().min_by(|&a, &b| {
            let key = |s: usize| {
                let (rb, rc) = room(s);
                let parked = st.bytes[s].saturating_sub(rb);
                let parked_count = st.count[s].saturating_sub(rc);
                (parked, parked_count, st.bytes[s])
            };
            key(a).cmp(&key(b)).then_with(|| name(a).cmp(name(b)))
        }),
        Mode::Forward => level.iter().copied().min_by(|&a, &b| {
            let key = |s: usize| {
                let (rb, rc) = room(s);
                let fits = st.bytes[s] <= rb && st.count[s] <= rc;
                // Fitting stores first, the largest of them first; else the smallest.
                (
                    !fits,
                    if fits {
                        u64::MAX - st.bytes[s]
                    } else {
                        st.bytes[s]
                    },
                )
            };
            key(a).cmp(&key(b)).then_with(|| name(a).cmp(name(b)))
        }),
        Mode::Spread | Mode::Spare => level.iter().copied().min_by(|&a, &b| name(a).cmp(name(b))),
    };
    pick.unwrap_or(level[0])
}

/// The shortfalls of one site in words, with what would make the plan
/// feasible: the figures cover every store of the site that cannot be emptied,
/// so adding what the hint names is enough.
pub fn describe_shortfalls(
    inv: &Inventory,
    policy: &Policy,
    site: &[&Shortfall],
) -> (String, Vec<String>, Option<super::Missing>) {
    let Some(first) = site.first() else {
        return (String::new(), Vec::new(), None);
    };
    let site_name = match &first.site {
        Some(site) => format!("site {site}"),
        None => "the installation".to_string(),
    };
    let stores: Vec<String> = site
        .iter()
        .map(|f| {
            format!(
                "{} ({} mailbox{}, {})",
                inv.server(f.store).name,
                f.mailboxes,
                if f.mailboxes == 1 { "" } else { "es" },
                Bytes(f.bytes)
            )
        })
        .collect();
    let bytes: u64 = site.iter().map(|f| f.bytes).fold(0, u64::saturating_add);
    let mailboxes: u64 = site.iter().map(|f| f.mailboxes).sum();
    let message = format!(
        "in {site_name}, {} cannot be emptied: {} mailbox{} ({}) find{} no room on {} at max_fill {}",
        stores.join(", "),
        mailboxes,
        if mailboxes == 1 { "" } else { "es" },
        Bytes(bytes),
        if mailboxes == 1 { "s" } else { "" },
        first.limited_by,
        policy.max_fill
    );
    let mut options = Vec::new();
    if let Some(blocked) = site
        .iter()
        .find(|f| f.tier_blocked.is_some())
        .filter(|f| f.mode == Mode::Forward)
    {
        let store = &inv.server(blocked.store).name;
        options.push(format!(
            "{store} must be emptied before the servers ordered before the mailstores are upgraded, when no account may switch onto a store at the target version; use strategy auto or spread, which park its mailboxes on stores not yet upgraded"
        ));
        return (message, options, None);
    }
    if first.eligible.is_empty() && first.limited_by.contains("own ceiling") {
        options.push("use strategy auto or spread".to_string());
        return (message, options, None);
    }
    // A new empty store at the target version in the site with room for what
    // found no place; and, where the site as a whole holds more than all its
    // stores may at max_fill (stores above their ceiling), for that excess
    // too. The engine tries this amount (and more, if packing needs it)
    // before it names it.
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

    // The max_fill at which the first store's eligible targets would hold it.
    let (used, disk) = (first.eligible_used, first.eligible_disk);
    if disk > 0 && site.len() == 1 {
        let needed = ceil_div((used + u128::from(first.bytes)) * 1000, disk);
        if needed <= 1000 && needed * 1000 > u128::from(policy.max_fill.0) {
            options.push(format!(
                "raise max_fill to at least {}",
                Fraction(u32::try_from(needed * 1000).unwrap_or(u32::MAX))
            ));
        }
    }
    if site.iter().all(|f| f.other_sites_have_room) {
        options.push("allow cross-site moves (stores in other sites have the room)".to_string());
    }
    let missing = super::Missing {
        version,
        site: first.site.clone(),
        disk: Bytes(u64::try_from(disk_needed).unwrap_or(u64::MAX)),
        mailboxes: u64::try_from(accounts_needed).unwrap_or(u64::MAX),
    };
    (message, options, Some(missing))
}

/// "add an empty store ..." for capacity that makes the plan feasible.
pub fn store_hint(m: &super::Missing) -> String {
    let site = match &m.site {
        Some(site) => format!("in site {site} "),
        None => String::new(),
    };
    format!(
        "add an empty store at {} {site}with at least {} of disk and room for {} mailboxes",
        m.version,
        at_least(m.disk.0),
        m.mailboxes
    )
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

/// A size for "at least": like `Bytes`' display, but rounded up, so that
/// the figure shown is never below what is needed.
fn at_least(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut scale: u128 = 1;
    while unit + 1 < UNITS.len() && u128::from(bytes) >= scale * 1024 {
        scale *= 1024;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    let hundredths = (u128::from(bytes) * 100).div_ceil(scale);
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    if frac == 0 {
        format!("{whole} {}", UNITS[unit])
    } else {
        format!("{whole}.{frac:02} {}", UNITS[unit])
    }
}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b.max(1))
}
