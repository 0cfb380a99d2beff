//! The replay: every move applied wave by wave to the inventory's placement.
//!
//! It follows each account (where it is, whether a stage-1 copy of it is
//! pending) and each store (bytes, including pending copies, and accounts),
//! and checks on the way: stores empty when their upgrade starts (4), copies
//! before switches (6), ceilings after each wave's additions (7), accounts
//! moved from where they are, copies not left behind, move sizes and the
//! plan's placement figures (8), and domains kept together (11).
//!
//! Within a wave the steps may run in any order, so every addition is applied
//! before any release and accounts are judged by where they were when the
//! wave started. State is kept in vectors indexed by mailbox and by server,
//! so the cost is one hash lookup per account named in the plan (a switch
//! naming the same accounts as its copy reuses the copy's lookups).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::timeline::{Move, Timeline};
use super::{Ctx, Report, Rule, Tally, few};
use crate::inventory::{Bytes, MoveBy, PurgePolicy, ServerId};
use crate::plan::{Plan, Step, StepKind, StoreLoad};

/// A stage-1 copy waiting for its switch.
#[derive(Clone, Copy)]
struct Pending<'p> {
    source: u32,
    target: u32,
    wave: u32,
    step: &'p Step,
}

/// One mailbox during the replay. Everything the replay reads or writes
/// about it sits together, so following an account costs one memory fetch.
#[derive(Clone, Copy)]
struct Track<'p> {
    /// Its footprint (size with overhead).
    footprint: u64,
    /// Its pending stage-1 copy.
    pending: Option<Pending<'p>>,
    /// The store it is on.
    location: u32,
    /// The last wave that copied it, and that switched it.
    copied: u32,
    switched: u32,
}

/// What the stores and accounts hold at a moment of the replay.
struct State<'p> {
    /// Per mailbox, in inventory order.
    track: Vec<Track<'p>>,
    /// Per server: bytes (with pending copies), accounts, pending copies.
    bytes: Vec<u64>,
    count: Vec<u64>,
    copies: Vec<u64>,
    /// Per server: the most bytes and accounts it held, after additions.
    peak_bytes: Vec<u64>,
    peak_count: Vec<u64>,
    /// Per server: the last wave it received something in.
    received: Vec<u32>,
    /// Per server: the copies switched off it and not yet purged (mailbox,
    /// wave of the switch), and their bytes, which it still holds (rule 7).
    left: Vec<Vec<Left<'p>>>,
    kept: Vec<u64>,
}

/// A copy switched off a store and not yet purged: the mailbox, the wave of
/// its switch, and the account as the switch wrote it (a purge lists the
/// same names, so comparing with these reads the plan's own strings, in
/// order, instead of the inventory's at random).
type Left<'p> = (u32, u32, &'p str);

/// Per-account problems of one move step.
#[derive(Default)]
struct StepProblems<'p> {
    unknown: Tally<'p>,
    elsewhere: Tally<'p>,
    /// Where the first misplaced account actually is.
    elsewhere_on: Option<u32>,
    twice: Tally<'p>,
    recopied: Tally<'p>,
    uncopied: Tally<'p>,
    same_wave: Tally<'p>,
}

/// The replay, with the inventory's accounts by name.
pub(super) fn check<'p>(
    plan: &'p Plan,
    ctx: &Ctx<'_>,
    t: &Timeline<'p>,
    accounts: &HashMap<&str, u32>,
    report: &mut Report,
) {
    let inv = ctx.inv;
    let servers = inv.servers.len();
    let overhead = ctx.policy.size_overhead;
    let mut s = State {
        track: inv
            .mailboxes
            .iter()
            .map(|m| Track {
                footprint: m.size.with_overhead(overhead).0,
                pending: None,
                location: m.store.0,
                copied: 0,
                switched: 0,
            })
            .collect(),
        bytes: vec![0; servers],
        count: vec![0; servers],
        copies: vec![0; servers],
        peak_bytes: vec![0; servers],
        peak_count: vec![0; servers],
        received: vec![0; servers],
        left: vec![Vec::new(); servers],
        kept: vec![0; servers],
    };
    for track in &s.track {
        let store = track.location as usize;
        s.bytes[store] = s.bytes[store].saturating_add(track.footprint);
        s.count[store] += 1;
    }
    s.peak_bytes.clone_from(&s.bytes);
    s.peak_count.clone_from(&s.count);

    // The copies' resolved accounts, by (source, target), for their switches.
    let mut copied: HashMap<(u32, u32), Resolved<'p>> = HashMap::new();
    let mut purges = Purges::new(t);
    // What the stores hold when the plan's own waves start: the inventory's,
    // or, after a resume, what the steps done before it left.
    let mut before: Option<(Vec<u64>, Vec<u64>)> = None;
    for w in 1..=t.waves {
        if w == t.history + 1 {
            before = Some(s.start_here());
        }
        let index = w as usize - 1;
        empty_at_upgrade(ctx, &s, w, &t.upgrades_in[index], report);
        let mut receivers: Vec<(u32, &Step)> = Vec::new();
        let mut releases: Vec<(u32, u32, u32, &'p str)> = Vec::new();
        let mut domains: HashMap<(u32, &str), (u32, bool)> = HashMap::new();
        for m in &t.moves[index] {
            if !m.replay {
                continue;
            }
            let resolved = resolve(accounts, &mut copied, m);
            apply(
                ctx,
                &resolved.mailboxes,
                &mut s,
                m,
                &mut receivers,
                &mut releases,
                &mut domains,
                report,
            );
            if m.kind == StepKind::MoveData
                && let (Some(source), Some(target)) = (m.source, m.target)
            {
                copied.insert((source.0, target.0), resolved);
            }
        }
        for &(store, step) in &receivers {
            ceiling(ctx, &s, store, w, step, report);
            let i = store as usize;
            s.peak_bytes[i] = s.peak_bytes[i].max(s.bytes[i].saturating_add(s.kept[i]));
            s.peak_count[i] = s.peak_count[i].max(s.count[i]);
        }
        for (mailbox, source, target, written) in releases {
            let track = &mut s.track[mailbox as usize];
            track.location = target;
            let source = source as usize;
            s.bytes[source] = s.bytes[source].saturating_sub(track.footprint);
            s.count[source] = s.count[source].saturating_sub(1);
            s.kept[source] = s.kept[source].saturating_add(track.footprint);
            s.left[source].push((mailbox, w, written));
        }
        purges.wave(ctx, &mut s, w, accounts, report);
    }
    purges.end(ctx, &s, t, report);
    orphans(ctx, &s, report);
    let before = before.unwrap_or_else(|| s.start_here());
    placement(plan, ctx, &s, &before, report);
    if ctx.policy.move_by == MoveBy::Domain {
        domains_together(ctx, &s, report);
    }
}

/// Rule 4 at the start of a wave: evacuated stores upgraded in it are empty;
/// stores upgraded in place with users on them say it is an outage.
fn empty_at_upgrade(
    ctx: &Ctx<'_>,
    s: &State<'_>,
    w: u32,
    upgrades: &[(ServerId, &Step)],
    report: &mut Report,
) {
    for &(id, step) in upgrades {
        let server = ctx.server(id);
        if !server.is_mailstore() {
            continue;
        }
        let (count, copies) = (s.count[id.index()], s.copies[id.index()]);
        if ctx.evacuated(id) {
            if count > 0 || copies > 0 {
                report.step(
                    w,
                    step,
                    Rule::EmptyBeforeUpgrade,
                    format!(
                        "{} still holds {count} mailboxes and {copies} stage-1 copies when its upgrade starts; it must be empty",
                        server.name
                    ),
                );
            }
        } else if count > 0 && step.outage != Some(true) {
            report.step(
                w,
                step,
                Rule::EmptyBeforeUpgrade,
                format!(
                    "{} is upgraded in place with {count} mailboxes on it, an outage for their users, but the step is not marked `outage: true`",
                    server.name
                ),
            );
        }
    }
}

/// A step's accounts as written, with the mailbox of each (`None`: unknown).
struct Resolved<'p> {
    written: &'p [String],
    mailboxes: Vec<Option<u32>>,
}

/// The mailbox of every account a move step names. A switch that names the
/// same accounts as the last copy between the same stores (the two stages of
/// one batch) takes that copy's resolution instead of looking every account
/// up again: comparing names in order is cheaper than hashing them into a
/// table of a million.
fn resolve<'p>(
    accounts: &HashMap<&str, u32>,
    copied: &mut HashMap<(u32, u32), Resolved<'p>>,
    m: &Move<'p>,
) -> Resolved<'p> {
    if m.kind != StepKind::MoveData
        && let (Some(source), Some(target)) = (m.source, m.target)
        && let Some(copy) = copied.remove(&(source.0, target.0))
        && copy.written == m.accounts
    {
        return Resolved {
            written: m.accounts,
            mailboxes: copy.mailboxes,
        };
    }
    Resolved {
        written: m.accounts,
        mailboxes: m.accounts.iter().map(|a| find(accounts, a)).collect(),
    }
}

/// Applies one move step's additions and records its releases.
#[allow(clippy::too_many_arguments)]
fn apply<'p, 'i>(
    ctx: &Ctx<'i>,
    resolved: &[Option<u32>],
    s: &mut State<'p>,
    m: &Move<'p>,
    receivers: &mut Vec<(u32, &'p Step)>,
    releases: &mut Vec<(u32, u32, u32, &'p str)>,
    domains: &mut HashMap<(u32, &'i str), (u32, bool)>,
    report: &mut Report,
) {
    let (Some(source), Some(target)) = (m.source, m.target) else {
        return;
    };
    let ends = (source.0, target.0);
    let (source, target) = ends;
    let w = m.wave;
    let by_domain = ctx.policy.move_by == MoveBy::Domain;
    let mut problems = StepProblems::default();
    let mut listed: u128 = 0;
    let mut all_known = true;
    let mut received = false;
    for (written, &mailbox) in m.accounts.iter().zip(resolved) {
        let Some(mailbox) = mailbox else {
            problems.unknown.add(written);
            all_known = false;
            continue;
        };
        listed += u128::from(s.track[mailbox as usize].footprint);
        if m.kind == StepKind::MoveData {
            received |= copy(s, m, ends, mailbox, written, &mut problems);
            continue;
        }
        if !switch(ctx, s, m, ends, mailbox, written, &mut problems) {
            continue;
        }
        received = true;
        releases.push((mailbox, source, target, written));
        if by_domain {
            one_target_per_domain(ctx, domains, m, ends, mailbox, report);
        }
    }
    if received && s.received[target as usize] != w {
        s.received[target as usize] = w;
        receivers.push((target, m.step));
    }
    report_problems(ctx, m, source, &problems, report);
    conservation(m, all_known, listed, report);
}

/// The mailbox of an account as the plan writes it. Only a name with
/// capitals pays for lower-casing it, so the common case allocates nothing.
#[inline]
fn find(accounts: &HashMap<&str, u32>, written: &str) -> Option<u32> {
    let found = if written.bytes().any(|b| b.is_ascii_uppercase()) {
        accounts.get(written.to_ascii_lowercase().as_str())
    } else {
        accounts.get(written)
    };
    found.copied()
}

/// What a copy and a switch of one account both check first: that this wave
/// has not already done the same to it (`last` is the wave that last did),
/// and that the account is on the step's source. Records the wave, or the
/// problem; returns whether the step may go on with the account.
#[inline]
fn first_at_source<'p>(
    last: &mut u32,
    location: u32,
    wave: u32,
    source: u32,
    written: &'p str,
    problems: &mut StepProblems<'p>,
) -> bool {
    if *last == wave {
        problems.twice.add(written);
        return false;
    }
    *last = wave;
    if location != source {
        problems.elsewhere_on.get_or_insert(location);
        problems.elsewhere.add(written);
        return false;
    }
    true
}

/// Applies one account of a data copy (stage 1): the target holds its bytes
/// as a pending copy until the switch. Returns whether the target received it.
#[inline]
fn copy<'p>(
    s: &mut State<'p>,
    m: &Move<'p>,
    (source, target): (u32, u32),
    mailbox: u32,
    written: &'p str,
    problems: &mut StepProblems<'p>,
) -> bool {
    let w = m.wave;
    let track = &mut s.track[mailbox as usize];
    let location = track.location;
    if !first_at_source(&mut track.copied, location, w, source, written, problems) {
        return false;
    }
    if track.pending.is_some() {
        problems.recopied.add(written);
        return false;
    }
    track.pending = Some(Pending {
        source,
        target,
        wave: w,
        step: m.step,
    });
    let t = target as usize;
    s.bytes[t] = s.bytes[t].saturating_add(track.footprint);
    s.copies[t] += 1;
    true
}

/// Applies one account of a switch: the target counts the account, and takes
/// its bytes unless a matching copy already brought them. The release from
/// the source waits for the end of the wave. Returns whether it was switched.
#[inline]
fn switch<'p>(
    ctx: &Ctx<'_>,
    s: &mut State<'p>,
    m: &Move<'p>,
    (source, target): (u32, u32),
    mailbox: u32,
    written: &'p str,
    problems: &mut StepProblems<'p>,
) -> bool {
    let w = m.wave;
    let track = &mut s.track[mailbox as usize];
    let location = track.location;
    if !first_at_source(&mut track.switched, location, w, source, written, problems) {
        return false;
    }
    let t = target as usize;
    match track.pending {
        Some(p) if p.source == source && p.target == target => {
            track.pending = None;
            s.copies[t] = s.copies[t].saturating_sub(1);
            if p.wave == w && ctx.policy.two_stage_moves {
                problems.same_wave.add(written);
            }
        }
        _ => {
            if ctx.policy.two_stage_moves {
                problems.uncopied.add(written);
            }
            s.bytes[t] = s.bytes[t].saturating_add(track.footprint);
        }
    }
    s.count[t] += 1;
    true
}

/// Rule 11 as each account is switched: the accounts of a domain that leave
/// a store in one wave all go to one target. Each domain and source is
/// reported once, naming the first target and the first other one.
fn one_target_per_domain<'i>(
    ctx: &Ctx<'i>,
    domains: &mut HashMap<(u32, &'i str), (u32, bool)>,
    m: &Move<'_>,
    (source, target): (u32, u32),
    mailbox: u32,
    report: &mut Report,
) {
    let domain = ctx.inv.mailboxes[mailbox as usize].account.domain();
    let entry = domains.entry((source, domain)).or_insert((target, false));
    if entry.0 != target && !entry.1 {
        entry.1 = true;
        report.step(
            m.wave,
            m.step,
            Rule::Domains,
            format!(
                "accounts of {domain} leave {} for more than one target in this wave ({} and {})",
                name(ctx, source),
                name(ctx, entry.0),
                name(ctx, target)
            ),
        );
    }
}

/// Rule 8: when every account of a step is known, the bytes it states are
/// its accounts' sizes for capacity (listed size with `size_overhead`, the
/// measure of `placement`).
fn conservation(m: &Move<'_>, all_known: bool, listed: u128, report: &mut Report) {
    if let Some(bytes) = m.step.bytes
        && all_known
        && u128::from(bytes) != listed
    {
        report.step(
            m.wave,
            m.step,
            Rule::Conservation,
            format!(
                "the step says {bytes} bytes, but its accounts' sizes with size_overhead add up to {listed} bytes"
            ),
        );
    }
}

/// Rule 8 for the accounts a step names that no mailbox of the inventory
/// has (a move's or a purge's).
fn unknown_accounts(w: u32, step: &Step, unknown: &Tally<'_>, report: &mut Report) {
    if !unknown.is_empty() {
        report.step(
            w,
            step,
            Rule::Conservation,
            format!(
                "no mailbox in the inventory has the account {}",
                unknown.names()
            ),
        );
    }
}

fn name<'a>(ctx: &Ctx<'a>, id: u32) -> &'a str {
    ctx.name(ServerId(id))
}

fn report_problems(
    ctx: &Ctx<'_>,
    m: &Move<'_>,
    source: u32,
    p: &StepProblems<'_>,
    report: &mut Report,
) {
    let (w, step) = (m.wave, m.step);
    let kind = if m.kind == StepKind::MoveData {
        "copied"
    } else {
        "switched"
    };
    unknown_accounts(w, step, &p.unknown, report);
    if !p.elsewhere.is_empty() {
        let on = p.elsewhere_on.map_or(String::new(), |o| {
            format!(" ({} is on {})", p.elsewhere.examples[0], name(ctx, o))
        });
        report.step(
            w,
            step,
            Rule::Conservation,
            format!(
                "{} is {kind} from {}, where it is not{on}",
                p.elsewhere.names(),
                name(ctx, source)
            ),
        );
    }
    if !p.twice.is_empty() {
        report.step(
            w,
            step,
            Rule::Conservation,
            format!("{} is {kind} twice in one wave", p.twice.names()),
        );
    }
    if !p.recopied.is_empty() {
        report.step(
            w,
            step,
            Rule::Conservation,
            format!(
                "{} is copied again while an earlier stage-1 copy is still pending",
                p.recopied.names()
            ),
        );
    }
    if !p.uncopied.is_empty() {
        report.step(
            w,
            step,
            Rule::TwoStages,
            format!(
                "{} is switched to {} without a data copy from {} to it in an earlier wave",
                p.uncopied.names(),
                m.target_key,
                name(ctx, source)
            ),
        );
    }
    if !p.same_wave.is_empty() {
        report.step(
            w,
            step,
            Rule::TwoStages,
            format!("{} is switched in the same wave as its data copy; the copy must come in an earlier wave", p.same_wave.names()),
        );
    }
}

/// Rule 7 for a store that received something in a wave.
fn ceiling(ctx: &Ctx<'_>, s: &State<'_>, store: u32, w: u32, step: &Step, report: &mut Report) {
    let id = ServerId(store);
    let (Some((bytes, mailboxes)), Some(capacity)) = (ctx.ceiling(id), ctx.server(id).capacity)
    else {
        return;
    };
    let fill = ctx.policy.max_fill;
    let held = s.bytes[store as usize].saturating_add(s.kept[store as usize]);
    if held > bytes {
        report.step(
            w,
            step,
            Rule::Capacity,
            format!(
                "{} would hold {}, above {fill} of {}",
                ctx.name(id),
                Bytes(held),
                capacity.disk
            ),
        );
    }
    if let (Some(limit), Some(total)) = (mailboxes, capacity.mailboxes) {
        let count = s.count[store as usize];
        if count > limit {
            report.step(
                w,
                step,
                Rule::Capacity,
                format!(
                    "{} would serve {count} mailboxes, above {fill} of {total}",
                    ctx.name(id)
                ),
            );
        }
    }
}

/// Rule 8: stage-1 copies left without their switch at the end.
fn orphans(ctx: &Ctx<'_>, s: &State<'_>, report: &mut Report) {
    let mut left: BTreeMap<(u32, &str), (&Step, u32, Tally<'_>)> = BTreeMap::new();
    for (i, track) in s.track.iter().enumerate() {
        if let Some(p) = &track.pending {
            left.entry((p.wave, p.step.id.as_str()))
                .or_insert_with(|| (p.step, p.target, Tally::default()))
                .2
                .add(ctx.inv.mailboxes[i].account.as_str());
        }
    }
    for ((wave, _), (step, target, tally)) in left {
        report.step(
            wave,
            step,
            Rule::Conservation,
            format!(
                "stage-1 copy left without its switch: {} to {}",
                tally.names(),
                name(ctx, target)
            ),
        );
    }
}

impl State<'_> {
    /// What each store holds (bytes with stage-1 copies, mailboxes homed)
    /// where the plan's own waves start; the peaks count from there, with
    /// the copies kept until a purge.
    fn start_here(&mut self) -> (Vec<u64>, Vec<u64>) {
        for i in 0..self.bytes.len() {
            self.peak_bytes[i] = self.bytes[i].saturating_add(self.kept[i]);
            self.peak_count[i] = self.count[i];
        }
        (self.bytes.clone(), self.count.clone())
    }
}

/// Rule 8: the plan's placement figures are the replay's: `before` where
/// the plan's own waves start (the inventory's, unless it was resumed).
fn placement(
    plan: &Plan,
    ctx: &Ctx<'_>,
    s: &State<'_>,
    before: &(Vec<u64>, Vec<u64>),
    report: &mut Report,
) {
    let figures: [(&str, &BTreeMap<String, StoreLoad>); 3] = [
        ("before", &plan.placement.before),
        ("peak", &plan.placement.peak),
        ("after", &plan.placement.after),
    ];
    for (field, map) in figures {
        let mut given: HashMap<ServerId, StoreLoad> = HashMap::new();
        for (key, load) in map {
            match ctx.resolve(key) {
                Some(id) if ctx.server(id).is_mailstore() => {
                    given.insert(id, *load);
                }
                _ => report.plan(
                    Rule::Conservation,
                    format!(
                        "placement.{field} names `{key}`, which is not a mailstore of the inventory"
                    ),
                ),
            }
        }
        for (i, server) in ctx.inv.servers.iter().enumerate() {
            if !server.is_mailstore() {
                continue;
            }
            let (expected, source) = match field {
                "before" => (
                    (
                        before.0.get(i).copied().unwrap_or(0),
                        before.1.get(i).copied().unwrap_or(0),
                    ),
                    "the replay of the steps starts with",
                ),
                "peak" => (
                    (s.peak_bytes[i], s.peak_count[i]),
                    "the replay of the steps peaks at",
                ),
                _ => (
                    (s.bytes[i], s.count[i]),
                    "the replay of the steps ends with",
                ),
            };
            match given.get(&ServerId(i as u32)) {
                None => report.plan(
                    Rule::Conservation,
                    format!("placement.{field} has no entry for {}", server.name),
                ),
                Some(load) if (load.bytes, load.mailboxes) != expected => report.plan(
                    Rule::Conservation,
                    format!(
                        "placement.{field} gives {} {}, but {source} {}",
                        server.name,
                        load_text(load.bytes, load.mailboxes),
                        load_text(expected.0, expected.1)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

fn load_text(bytes: u64, mailboxes: u64) -> String {
    format!(
        "{} and {} ({bytes} bytes)",
        crate::words::count(mailboxes, "mailbox", "mailboxes"),
        Bytes(bytes)
    )
}

/// Rule 11 at the end: a domain that started on one store ends on one store.
fn domains_together(ctx: &Ctx<'_>, s: &State<'_>, report: &mut Report) {
    // Per domain: (first start store, started together, first end store, ends together).
    let mut seen: HashMap<&str, (u32, bool, u32, bool)> = HashMap::new();
    for (i, mailbox) in ctx.inv.mailboxes.iter().enumerate() {
        let (start, end) = (mailbox.store.0, s.track[i].location);
        let entry = seen
            .entry(mailbox.account.domain())
            .or_insert((start, true, end, true));
        entry.1 &= entry.0 == start;
        entry.3 &= entry.2 == end;
    }
    let split: BTreeMap<&str, u32> = seen
        .into_iter()
        .filter(|(_, e)| e.1 && !e.3)
        .map(|(d, e)| (d, e.0))
        .collect();
    if split.is_empty() {
        return;
    }
    let mut ends: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (i, mailbox) in ctx.inv.mailboxes.iter().enumerate() {
        let domain = mailbox.account.domain();
        if split.contains_key(domain) {
            ends.entry(domain)
                .or_default()
                .insert(name(ctx, s.track[i].location));
        }
    }
    for (domain, start) in split {
        let stores: Vec<&str> = ends
            .get(domain)
            .map(|e| e.iter().copied().collect())
            .unwrap_or_default();
        report.plan(
            Rule::Domains,
            format!(
                "{domain} started on {} alone but ends split across {}",
                name(ctx, start),
                few(&stores, stores.len() as u64)
            ),
        );
    }
}

/// Rule 7's purges, applied wave by wave: each deletes exactly the copies
/// switched off its store in earlier waves since its previous purge, and
/// frees their disk; at the end no copy is left unpurged (unless `purge:
/// never`, which has no purge step), and each purge is where the policy puts
/// it.
struct Purges<'p> {
    /// Per wave (index `wave - 1`): its purge steps of known stores.
    by_wave: Vec<Vec<(u32, &'p Step)>>,
}

/// Per-account problems of one purge step.
#[derive(Default)]
struct PurgeProblems<'p> {
    unknown: Tally<'p>,
    no_copy: Tally<'p>,
    same_wave: Tally<'p>,
    /// Copies due that the purge does not list: it deletes every moved copy
    /// on its store, so its list must name them all.
    unlisted: Tally<'p>,
    /// Nothing was due: no switch off the store since its last purge.
    empty: bool,
}

impl<'p> Purges<'p> {
    fn new(t: &Timeline<'p>) -> Purges<'p> {
        let mut by_wave = vec![Vec::new(); t.waves as usize];
        for (i, ats) in t.purges.iter().enumerate() {
            for at in ats {
                if let Some(list) = by_wave.get_mut(at.wave as usize - 1) {
                    list.push((i as u32, at.step));
                }
            }
        }
        Purges { by_wave }
    }

    /// Applies the purges of wave `w`, after its releases.
    fn wave(
        &mut self,
        ctx: &Ctx<'_>,
        s: &mut State<'p>,
        w: u32,
        accounts: &HashMap<&str, u32>,
        report: &mut Report,
    ) {
        let Some(list) = self.by_wave.get_mut(w as usize - 1).map(std::mem::take) else {
            return;
        };
        for (store, step) in list {
            if ctx.policy.purge == PurgePolicy::Never {
                report.step(
                    w,
                    step,
                    Rule::Capacity,
                    "a purge step under policy purge: never".to_string(),
                );
            }
            let written: &[String] = step.accounts.as_deref().unwrap_or(&[]);
            let i = store as usize;
            let (due, later): (Vec<Left<'p>>, Vec<Left<'p>>) = std::mem::take(&mut s.left[i])
                .into_iter()
                .partition(|&(_, switched, _)| switched < w);
            // The names as the switches wrote them, sorted: each switch's
            // list is sorted already, and the stable sort finds those runs.
            let mut names: Vec<&str> = due.iter().map(|&(_, _, name)| name).collect();
            names.sort();
            let same = names.len() == written.len()
                && names.iter().zip(written).all(|(a, b)| *a == b.as_str());
            let mut freed: u128 = 0;
            let mut kept: Vec<Left<'p>> = later;
            let mut problems = PurgeProblems::default();
            if same {
                for &(m, _, _) in &due {
                    freed += u128::from(s.track[m as usize].footprint);
                }
            } else {
                let mut wanted: HashMap<u32, bool> =
                    due.iter().map(|&(m, _, _)| (m, false)).collect();
                let same_wave: HashSet<u32> = kept.iter().map(|&(m, _, _)| m).collect();
                for name in written {
                    match find(accounts, name) {
                        None => problems.unknown.add(name),
                        Some(m) => match wanted.get_mut(&m) {
                            Some(done) if !*done => {
                                *done = true;
                                freed += u128::from(s.track[m as usize].footprint);
                            }
                            _ if same_wave.contains(&m) => problems.same_wave.add(name),
                            _ => problems.no_copy.add(name),
                        },
                    }
                }
                for entry in due.iter().filter(|(m, _, _)| wanted.get(m) == Some(&false)) {
                    problems.unlisted.add(entry.2);
                    kept.push(*entry);
                }
            }
            problems.empty = due.is_empty();
            let freed = u64::try_from(freed).unwrap_or(u64::MAX);
            s.kept[i] = s.kept[i].saturating_sub(freed);
            s.left[i] = kept;
            if problems.unknown.is_empty()
                && let Some(bytes) = step.bytes
                && bytes != freed
            {
                report.step(
                    w,
                    step,
                    Rule::Conservation,
                    format!(
                        "the step says {bytes} bytes, but the copies it deletes take {freed} bytes"
                    ),
                );
            }
            purge_problems(ctx, w, step, store, &problems, report);
        }
    }

    /// At the end: copies never purged, and purges the policy puts elsewhere.
    fn end(&self, ctx: &Ctx<'_>, s: &State<'_>, t: &Timeline<'_>, report: &mut Report) {
        if ctx.policy.purge != PurgePolicy::Never {
            for (i, left) in s.left.iter().enumerate() {
                let Some(&(first, _, _)) = left.first() else {
                    continue;
                };
                report.plan(
                    Rule::Capacity,
                    format!(
                        "{} keeps the copies of {} switched off it (such as {}) to the end: no purge deletes them (policy purge: {})",
                        name(ctx, i as u32),
                        crate::words::count(left.len() as u64, "account", "accounts"),
                        ctx.inv.mailboxes[first as usize].account,
                        ctx.policy.purge.as_str()
                    ),
                );
            }
        }
        match ctx.policy.purge {
            PurgePolicy::AtEnd => {
                for ats in &t.purges {
                    for at in ats
                        .iter()
                        .filter(|at| at.wave != t.waves && at.wave > t.history)
                    {
                        report.step(
                            at.wave,
                            at.step,
                            Rule::Capacity,
                            format!(
                                "a purge in wave {} of {}: policy purge: at-end puts every purge in the last wave",
                                at.wave, t.waves
                            ),
                        );
                    }
                }
            }
            PurgePolicy::BeforeReuse => as_late_as_possible(ctx, t, report),
            PurgePolicy::Never => {}
        }
    }
}

/// Under `purge: before-reuse`, a purge comes in the last wave, or before a
/// wave in which its store receives a copy with no wave between them where
/// the store has nothing to do: the old copies stay for checking as long as
/// capacity allows.
fn as_late_as_possible(ctx: &Ctx<'_>, t: &Timeline<'_>, report: &mut Report) {
    let purged: Vec<usize> = (0..t.purges.len())
        .filter(|&i| !t.purges[i].is_empty())
        .collect();
    if purged.is_empty() {
        return;
    }
    // Per purged store: the waves that touch it, and those it receives in.
    let mut touched: HashMap<u32, BTreeSet<u32>> = HashMap::new();
    let mut receives: HashMap<u32, BTreeSet<u32>> = HashMap::new();
    for &i in &purged {
        let id = i as u32;
        let waves = touched.entry(id).or_default();
        for list in [&t.upgrades[i], &t.backups[i], &t.purges[i]] {
            waves.extend(list.iter().map(|at| at.wave));
        }
        receives.insert(id, BTreeSet::new());
    }
    for moves in &t.moves {
        for m in moves {
            for end in [m.source, m.target].into_iter().flatten() {
                if let Some(waves) = touched.get_mut(&end.0) {
                    waves.insert(m.wave);
                }
            }
            if let Some(target) = m.target
                && let Some(waves) = receives.get_mut(&target.0)
            {
                waves.insert(m.wave);
            }
        }
    }
    for &i in &purged {
        let id = i as u32;
        // A purge done before a resume happened when it happened.
        for at in t.purges[i].iter().filter(|at| at.wave > t.history) {
            let next = receives[&id].range(at.wave + 1..).next().copied();
            let Some(next) = next else {
                if at.wave != t.waves {
                    report.step(
                        at.wave,
                        at.step,
                        Rule::Capacity,
                        format!(
                            "purges {} in wave {}, but nothing is moved onto it afterwards: policy purge: before-reuse keeps the copies to the last wave ({})",
                            name(ctx, id),
                            at.wave,
                            t.waves
                        ),
                    );
                }
                continue;
            };
            let busy = &touched[&id];
            if let Some(free) = (at.wave + 1..next).rev().find(|q| !busy.contains(q)) {
                report.step(
                    at.wave,
                    at.step,
                    Rule::Capacity,
                    format!(
                        "purges {} in wave {}, but it could wait until wave {free}, before it receives copies in wave {next}: policy purge: before-reuse purges as late as possible",
                        name(ctx, id),
                        at.wave
                    ),
                );
            }
        }
    }
}

fn purge_problems(
    ctx: &Ctx<'_>,
    w: u32,
    step: &Step,
    store: u32,
    p: &PurgeProblems<'_>,
    report: &mut Report,
) {
    let store = name(ctx, store);
    if p.empty {
        report.step(
            w,
            step,
            Rule::Conservation,
            format!(
                "purges {store}, but no account was switched off it since its last purge: there is nothing to delete"
            ),
        );
    }
    if !p.unlisted.is_empty() {
        report.step(
            w,
            step,
            Rule::Conservation,
            format!(
                "does not list {}, switched off {store} before this wave and not yet purged: a purge deletes every moved copy on its store",
                p.unlisted.names()
            ),
        );
    }
    unknown_accounts(w, step, &p.unknown, report);
    if !p.same_wave.is_empty() {
        report.step(
            w,
            step,
            Rule::Capacity,
            format!(
                "purges {} from {store} in the wave that switches it away; the purge must come in a later wave",
                p.same_wave.names()
            ),
        );
    }
    if !p.no_copy.is_empty() {
        report.step(
            w,
            step,
            Rule::Conservation,
            format!(
                "purges {} from {store}, which holds no copy of it switched away and not yet purged",
                p.no_copy.names()
            ),
        );
    }
}
