//! Why no safe plan exists, as types: what is impossible ([`ReasonKind`]),
//! with its figures, and what would make it possible ([`Hint`]).
//!
//! The engine builds these values; the English sentences are made here, by
//! `Display`, and nowhere else, so a caller that wants to act on a refusal
//! matches on the kind and never on the text.

use std::fmt;

use crate::inventory::{Bytes, Fraction, Tools, Version};
use crate::plan::WaitRule;

/// Why no safe plan exists, with what would make one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct NoSafePlan {
    /// Every reason found, each with a hint when one helps.
    pub reasons: Vec<Reason>,
}

impl fmt::Display for NoSafePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no safe plan exists")?;
        for r in &self.reasons {
            write!(f, "\n{}", r.kind)?;
            if let Some(h) = r.hint() {
                write!(f, "\n  hint: {h}")?;
            }
        }
        Ok(())
    }
}

impl NoSafePlan {
    /// A refusal for one reason.
    pub(crate) fn one(kind: ReasonKind, hints: Vec<Hint>) -> NoSafePlan {
        NoSafePlan {
            reasons: vec![Reason::new(kind, hints, None)],
        }
    }
}

/// One reason a plan is impossible.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reason {
    /// What is impossible, with its figures.
    pub kind: ReasonKind,
    /// What would make it possible, any one of them enough.
    pub hints: Vec<Hint>,
    /// For missing capacity: an empty store at the target version with this
    /// much room, in this site, is enough.
    pub missing: Option<Missing>,
}

impl Reason {
    pub(crate) fn new(kind: ReasonKind, hints: Vec<Hint>, missing: Option<Missing>) -> Reason {
        Reason {
            kind,
            hints,
            missing,
        }
    }

    /// What is impossible, in words: the sentence of `kind`.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// What would make it possible, in words: the hints joined with ", or ";
    /// `None` without hints.
    pub fn hint(&self) -> Option<String> {
        (!self.hints.is_empty()).then(|| {
            self.hints
                .iter()
                .map(Hint::to_string)
                .collect::<Vec<_>>()
                .join(", or ")
        })
    }
}

/// Capacity that would make a refused plan feasible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The version the new store should run: the target, or the version of
    /// a store that must be emptied before accounts may land on the target.
    pub version: Version,
    /// The site that lacks it (`None`: the one unnamed site).
    pub site: Option<String>,
    /// Disk for a new empty store at the target version.
    pub disk: Bytes,
    /// Accounts that store must be able to serve.
    pub mailboxes: u64,
}

impl fmt::Display for Missing {
    /// The store's description after "add an empty store": its version, its
    /// site when there are sites, its disk (exactly the figure tried, see
    /// [`readable_up`]) and its account room.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {} ", self.version)?;
        if let Some(site) = &self.site {
            write!(f, "in site {site} ")?;
        }
        write!(
            f,
            "with at least {} of disk and room for {} mailbox{}",
            at_least(self.disk.0),
            self.mailboxes,
            plural_es(self.mailboxes)
        )
    }
}

/// What is impossible.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReasonKind {
    /// The effective `max_fill` is 0% or above 100%.
    MaxFillOutOfRange {
        /// The value asked for.
        max_fill: Fraction,
    },
    /// The upgrade order has a cycle.
    OrderCycle {
        /// The servers in cycle order; the last waits for the first.
        servers: Vec<String>,
    },
    /// Strategy `spare` was asked for and cannot work.
    SpareImpossible(SpareProblem),
    /// A step fits in no wave.
    Stuck(Stuck),
    /// Stores of one site cannot be emptied: their mailboxes find no room.
    CannotEmpty {
        /// The site (`None`: the one unnamed site).
        site: Option<String>,
        /// Each store that cannot be emptied, with what found no room.
        stores: Vec<StoreShortfall>,
        /// What limited the targets.
        limited_by: Limit,
        /// The ceiling in force.
        max_fill: Fraction,
    },
    /// Under `move_by: domain`, the mailboxes of a domain on a store that
    /// cannot be emptied are more than any other store within reach may hold.
    DomainTooLarge {
        /// The domain.
        domain: String,
        /// The store it is on.
        store: String,
        /// Its accounts on that store.
        mailboxes: u64,
        /// Their bytes for capacity (with overhead).
        bytes: Bytes,
        /// The most bytes any other store within reach may hold at max_fill.
        most_bytes: Bytes,
        /// The most accounts any other store within reach may serve at
        /// max_fill, when that is what is too small.
        most_mailboxes: Option<u64>,
        /// The ceiling in force.
        max_fill: Fraction,
    },
    /// The toolset cannot run on a version at which the plan backs up,
    /// moves or purges some stores.
    ToolsUnavailable {
        /// The toolset of the policy.
        tools: Tools,
        /// The version it cannot run on.
        version: String,
        /// The stores at that version when the plan runs a tool on them.
        stores: Vec<String>,
    },
    /// With a schedule, a wave that must run inside a window is longer
    /// than every window.
    WaveLongerThanWindows {
        /// The wave.
        wave: u32,
        /// Its estimate.
        duration_s: u64,
        /// The longest window.
        longest_s: u64,
    },
    /// No attempt produced a plan, and none said why (not expected).
    NoAttempt,
}

impl fmt::Display for ReasonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReasonKind::MaxFillOutOfRange { max_fill } => {
                write!(
                    f,
                    "max_fill must be above 0% and at most 100%, not {max_fill}"
                )
            }
            ReasonKind::OrderCycle { servers } => {
                write!(f, "the upgrade order has a cycle: {}", servers.join(" → "))?;
                match servers.first() {
                    Some(first) => write!(f, " → {first}"),
                    None => Ok(()),
                }
            }
            ReasonKind::ToolsUnavailable {
                tools,
                version,
                stores,
            } => {
                const SHOWN: usize = 5;
                let mut names = stores.iter().take(SHOWN).cloned().collect::<Vec<_>>();
                if stores.len() > SHOWN {
                    names.push(format!("{} more", stores.len() - SHOWN));
                }
                write!(
                    f,
                    "tools: {tools} cannot run on version {version}, where the plan backs up, \
                     moves or purges {}: {}; {}",
                    crate::words::count(stores.len() as u64, "store", "stores"),
                    names.join(", "),
                    tools.platforms()
                )
            }
            ReasonKind::WaveLongerThanWindows {
                wave,
                duration_s,
                longest_s,
            } => write!(
                f,
                "wave {wave} takes about {} (estimate) and must run inside a window, but the \
                 longest window lasts {}",
                crate::inventory::Seconds(*duration_s),
                crate::inventory::Seconds(*longest_s)
            ),
            ReasonKind::SpareImpossible(problem) => {
                write!(f, "strategy spare is impossible: {problem}")
            }
            ReasonKind::Stuck(stuck) => stuck.fmt(f),
            ReasonKind::CannotEmpty {
                site,
                stores,
                limited_by,
                max_fill,
            } => {
                let site = match site {
                    Some(site) => format!("site {site}"),
                    None => "the installation".to_string(),
                };
                let listed: Vec<String> = stores.iter().map(StoreShortfall::to_string).collect();
                let bytes: u64 = stores
                    .iter()
                    .map(|s| s.bytes.0)
                    .fold(0, u64::saturating_add);
                let mailboxes: u64 = stores.iter().map(|s| s.mailboxes).sum();
                write!(
                    f,
                    "in {site}, {} cannot be emptied: {mailboxes} mailbox{} ({}) find{} no room on {limited_by} at max_fill {max_fill}",
                    listed.join(", "),
                    plural_es(mailboxes),
                    Bytes(bytes),
                    if mailboxes == 1 { "s" } else { "" },
                )
            }
            ReasonKind::DomainTooLarge {
                domain,
                store,
                mailboxes,
                bytes,
                most_bytes,
                most_mailboxes,
                max_fill,
            } => {
                write!(
                    f,
                    "under move_by: domain, the domain {domain} on {store} ({mailboxes} mailbox{}, {bytes}) must move whole, and no other store can take it: the largest holds {most_bytes}",
                    plural_es(*mailboxes),
                )?;
                if let Some(n) = most_mailboxes {
                    write!(f, " and {n} mailbox{}", plural_es(*n))?;
                }
                write!(f, " at max_fill {max_fill}")
            }
            ReasonKind::NoAttempt => f.write_str("no attempt produced a plan"),
        }
    }
}

/// A store that cannot be emptied, with what found no room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreShortfall {
    /// The store.
    pub store: String,
    /// Accounts without a place.
    pub mailboxes: u64,
    /// Bytes for capacity (with overhead) without a place.
    pub bytes: Bytes,
}

impl fmt::Display for StoreShortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} mailbox{}, {})",
            self.store,
            self.mailboxes,
            plural_es(self.mailboxes),
            self.bytes
        )
    }
}

/// What limited the targets of a store that could not be emptied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Strategy forward: only stores at the target version may receive.
    TargetVersionStores,
    /// Strategy spare: only spare stores may receive.
    SpareStores,
    /// Auto or spread: any other store of the site may receive.
    OtherStores,
    /// The store itself, when its mailboxes come back from the spares: it
    /// started above `max_fill`.
    OwnCeiling,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::TargetVersionStores => "stores at the target version",
            Limit::SpareStores => "spare stores",
            Limit::OtherStores => "other stores",
            Limit::OwnCeiling => {
                "its own ceiling: it started above max_fill, so its mailboxes cannot all come back"
            }
        })
    }
}

/// Why strategy `spare` cannot work on this inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpareProblem {
    /// No store is marked `spare: true`.
    NoSpare,
    /// A spare holds mailboxes, and spares must start empty.
    SpareHoldsMailboxes {
        /// The first such spare, in inventory order.
        store: String,
    },
}

impl fmt::Display for SpareProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpareProblem::NoSpare => f.write_str("no store is marked `spare: true`"),
            SpareProblem::SpareHoldsMailboxes { store } => write!(
                f,
                "the spare store {store} holds mailboxes; the spare strategy needs empty spares"
            ),
        }
    }
}

/// A step that fits in no wave.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stuck {
    /// The mailboxes of a store cannot switch: their targets take accounts
    /// only after the tiers before the mailstores, and the store must be
    /// emptied before then.
    CannotSwitch {
        /// The store being emptied.
        store: String,
    },
    /// Under `spare`, a store's mailboxes cannot come back from the spares.
    CannotReturn {
        /// The store they came from.
        store: String,
    },
    /// A server's upgrade fits in no wave.
    CannotUpgrade {
        /// The server.
        server: String,
        /// What blocks it in the last wave tried.
        blocker: Blocker,
    },
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stuck::CannotSwitch { store } => write!(
                f,
                "the mailboxes of {store} cannot switch in any wave: the stores they would go to take accounts only once the servers ordered before the mailstores are upgraded, and {store} must be emptied before then"
            ),
            Stuck::CannotReturn { store } => write!(
                f,
                "the spare strategy cannot bring the mailboxes of {store} back: once upgraded it is at the target version, which takes accounts only after the servers ordered before the mailstores are upgraded, and {store} is upgraded before them; use strategy auto or spread"
            ),
            Stuck::CannotUpgrade { server, blocker } => {
                write!(f, "{server} cannot be upgraded in any wave: {blocker}")
            }
        }
    }
}

/// Why an upgrade cannot go in a given wave.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blocker {
    /// The wave already holds `max_parallel_upgrades` upgrades.
    ParallelUpgrades {
        /// The policy's limit.
        max: u32,
    },
    /// A directory master is not upgraded beside a directory write (a switch
    /// or a pool change).
    DirectoryDuringSwitch,
    /// Mailbox moves touch the server in this wave or later.
    MovesTouchIt,
    /// Another directory master is out of service: masters go one at a time.
    OneMasterAtATime,
    /// An availability unit would fall below what it must keep up.
    KeepUp {
        /// The role or group.
        unit: String,
        /// How many of its servers must stay up.
        count: u32,
    },
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::ParallelUpgrades { max } => write!(
                f,
                "at most {max} upgrade{} per wave",
                if *max == 1 { "" } else { "s" }
            ),
            Blocker::DirectoryDuringSwitch => f.write_str(
                "no directory master upgrade beside a directory write (a switch or a pool change)",
            ),
            Blocker::MovesTouchIt => f.write_str("mailbox moves touch it"),
            Blocker::OneMasterAtATime => f.write_str("directory masters upgrade one at a time"),
            Blocker::KeepUp { unit, count } => write!(f, "{unit} must keep {count} up"),
        }
    }
}

/// What would make a refused plan possible.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// Add an empty store with this capacity (tried before it is named).
    AddStore(Missing),
    /// Under strategy `spare`: add an empty spare store with this capacity
    /// (tried before it is named).
    AddSpare(Missing),
    /// More room is needed than the planner could size.
    UnsizedRoom {
        /// The site (`None`: the one unnamed site).
        site: Option<String>,
    },
    /// Upgrade a store in place (`evacuate: false`): it has nowhere to empty
    /// into; its users have an outage while it upgrades (tried before it is
    /// named).
    UpgradeInPlace {
        /// The store.
        store: String,
        /// The mailboxes on it.
        mailboxes: u64,
    },
    /// Under `move_by: domain`, move by account so that a domain may split
    /// (tried before it is named).
    MoveByAccount,
    /// Under forward, a store must be emptied before the tiers ahead of the
    /// mailstores, when nothing may switch onto the target version yet.
    EmptyBeforeTiers {
        /// The store.
        store: String,
    },
    /// Strategies auto and spread can park mailboxes where forward or spare cannot.
    UseAutoOrSpread,
    /// A higher `max_fill` would hold the mailboxes.
    RaiseMaxFill {
        /// The lowest `max_fill` that would.
        to: Fraction,
    },
    /// Stores in other sites have the room.
    AllowCrossSite,
    /// Mark empty stores as spares, or use another strategy.
    MarkSpares,
    /// Use another toolset, one of these (each runs on every version the
    /// plan touches).
    UseTools {
        /// The toolsets.
        tools: Vec<Tools>,
        /// Whether `two_stage_moves: true` must go too (a toolset without
        /// stages refuses it).
        unstage: bool,
    },
    /// Make a window at least this long (seconds).
    LongerWindow(u64),
    /// Break the order cycle by removing one of its edges.
    BreakCycle {
        /// The cycle's edges, in order.
        edges: Vec<CycleEdge>,
    },
}

/// One edge of an order cycle: `server` waits for `waits_for` by `rule`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleEdge {
    /// The server that waits.
    pub server: String,
    /// The server it waits for.
    pub waits_for: String,
    /// Why.
    pub rule: WaitRule,
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::AddStore(m) => write!(f, "add an empty store {m}"),
            Hint::LongerWindow(at_least) => write!(
                f,
                "make a window of policy.schedule at least {} long (or lower the rates if the work is faster)",
                crate::inventory::Seconds(*at_least)
            ),
            Hint::UseTools { tools, unstage } => {
                let names: Vec<String> = tools
                    .iter()
                    .map(|t| match t {
                        Tools::None => "`tools: none` (no moves: every mailstore is upgraded in place, an outage for its users)".to_string(),
                        t => format!("`tools: {t}`"),
                    })
                    .collect();
                write!(f, "set {}", names.join(" or "))?;
                if *unstage && tools.iter().any(|t| t.moves() && !t.has_stages()) {
                    f.write_str(
                        " (their moves have no stages: remove `two_stage_moves: true` if the \
                         inventory sets it)",
                    )?;
                }
                Ok(())
            }
            Hint::AddSpare(m) => write!(f, "add an empty spare store (`spare: true`) {m}"),
            Hint::UnsizedRoom { site: Some(site) } => write!(
                f,
                "more room is needed in site {site} than the planner could size"
            ),
            Hint::UnsizedRoom { site: None } => {
                f.write_str("more room is needed than the planner could size")
            }
            Hint::UpgradeInPlace { store, mailboxes } => write!(
                f,
                "upgrade {store} in place with `evacuate: false` on it (its {mailboxes} mailbox{} are unavailable while it upgrades)",
                plural_es(*mailboxes)
            ),
            Hint::MoveByAccount => f.write_str(
                "set `move_by: account`, so that a domain's mailboxes may go to different stores",
            ),
            Hint::EmptyBeforeTiers { store } => write!(
                f,
                "{store} must be emptied before the servers ordered before the mailstores are upgraded, when no account may switch onto a store at the target version; use strategy auto or spread, which park its mailboxes on stores not yet upgraded"
            ),
            Hint::UseAutoOrSpread => f.write_str("use strategy auto or spread"),
            Hint::RaiseMaxFill { to } => write!(f, "raise max_fill to at least {to}"),
            Hint::AllowCrossSite => {
                f.write_str("allow cross-site moves (stores in other sites have the room)")
            }
            Hint::MarkSpares => {
                f.write_str("mark empty stores with `spare: true`, or use strategy auto")
            }
            Hint::BreakCycle { edges } => {
                let steps: Vec<String> = edges
                    .iter()
                    .map(|e| format!("{} waits for {} ({})", e.server, e.waits_for, e.rule))
                    .collect();
                write!(
                    f,
                    "{}; remove the depends_on or role `after` that goes against the profile's order",
                    steps.join(", ")
                )
            }
        }
    }
}

fn plural_es(n: u64) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// The binary unit a size is shown in, with its scale: the largest of KiB to
/// TiB it reaches, or bytes.
fn unit_of(bytes: u64) -> (u128, &'static str) {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut scale: u128 = 1;
    while unit + 1 < UNITS.len() && u128::from(bytes) >= scale * 1024 {
        scale *= 1024;
        unit += 1;
    }
    (scale, UNITS[unit])
}

/// A size for "at least": like `Bytes`' display, but rounded up, so that
/// the figure shown is never below what is needed. For a size made by
/// [`readable_up`] it is exact: the figure, written in an inventory, parses
/// back to the same bytes.
fn at_least(bytes: u64) -> String {
    let (scale, unit) = unit_of(bytes);
    if scale == 1 {
        return format!("{bytes} B");
    }
    let hundredths = (u128::from(bytes) * 100).div_ceil(scale);
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    if frac == 0 {
        format!("{whole} {unit}")
    } else if frac % 10 == 0 {
        format!("{whole}.{} {unit}", frac / 10)
    } else {
        format!("{whole}.{frac:02} {unit}")
    }
}

/// The smallest size at or above `bytes` that reads well: at most three
/// significant digits in its binary unit (`88.9 GiB`, `178 GiB`, `1.5 TiB`;
/// four from 1000 of a unit up to 1024), and exactly what that figure parses
/// to, so that the size a hint shows is the size it tried. It adds less than
/// 1% to sizes of 1 KiB and up; smaller sizes are kept to the byte.
pub(crate) fn readable_up(bytes: u64) -> u64 {
    let mut value = bytes;
    // Rounding up can reach the next unit (1023.5 GiB to 1030 GiB): round
    // again in that unit. Twice is enough; the bound keeps it obvious.
    for _ in 0..4 {
        let (scale, _) = unit_of(value);
        if scale == 1 {
            return value;
        }
        let mut hundredths = (u128::from(value) * 100).div_ceil(scale);
        let mut step = 1u128;
        while hundredths / step >= 1000 {
            step *= 10;
        }
        hundredths = hundredths.div_ceil(step) * step;
        let rounded = u64::try_from(hundredths * scale / 100).unwrap_or(u64::MAX);
        if unit_of(rounded).0 == scale || rounded == value {
            return rounded;
        }
        value = rounded;
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_as_its_sentences() {
        let refusal = NoSafePlan {
            reasons: vec![
                Reason::new(
                    ReasonKind::OrderCycle {
                        servers: vec!["a".into(), "b".into()],
                    },
                    vec![Hint::BreakCycle {
                        edges: vec![
                            CycleEdge {
                                server: "a".into(),
                                waits_for: "b".into(),
                                rule: WaitRule::DependsOn,
                            },
                            CycleEdge {
                                server: "b".into(),
                                waits_for: "a".into(),
                                rule: WaitRule::After {
                                    role: "logger".into(),
                                    waits_for: "mta".into(),
                                },
                            },
                        ],
                    }],
                    None,
                ),
                Reason::new(
                    ReasonKind::CannotEmpty {
                        site: None,
                        stores: vec![StoreShortfall {
                            store: "mbx1".into(),
                            mailboxes: 1,
                            bytes: Bytes(2048),
                        }],
                        limited_by: Limit::OtherStores,
                        max_fill: Fraction(900_000),
                    },
                    vec![Hint::UseAutoOrSpread, Hint::AllowCrossSite],
                    None,
                ),
            ],
        };
        assert_eq!(
            refusal.to_string(),
            "no safe plan exists\n\
             the upgrade order has a cycle: a → b → a\n  \
             hint: a waits for b (depends_on), b waits for a (role logger waits for mta); \
             remove the depends_on or role `after` that goes against the profile's order\n\
             in the installation, mbx1 (1 mailbox, 2 KiB) cannot be emptied: 1 mailbox (2 KiB) \
             finds no room on other stores at max_fill 90%\n  \
             hint: use strategy auto or spread, or allow cross-site moves (stores in other sites have the room)"
        );
    }

    #[test]
    fn at_least_rounds_up() {
        assert_eq!(at_least(1000), "1000 B");
        assert_eq!(at_least(1024), "1 KiB");
        assert_eq!(at_least(1025), "1.01 KiB");
        assert_eq!(at_least(1024 + 1024 / 10), "1.1 KiB");
    }

    #[test]
    fn readable_sizes_are_small_round_and_parse_back() {
        let gib = 1u64 << 30;
        assert_eq!(at_least(readable_up(gib * 889 / 10 - 5)), "88.9 GiB");
        assert_eq!(at_least(readable_up(gib * 1775 / 10)), "178 GiB");
        assert_eq!(at_least(readable_up(gib * 10235 / 10)), "1.01 TiB");
        assert_eq!(readable_up(999), 999);
        let mut x: u64 = 1;
        while x < u64::MAX / 3 {
            let r = readable_up(x);
            assert!(r >= x, "{x} rounded down to {r}");
            if x >= 1024 {
                assert!(
                    u128::from(r) * 100 <= u128::from(x) * 101,
                    "{x} rounded up to {r}, more than 1%"
                );
            }
            let shown = at_least(r).replace(' ', "");
            assert_eq!(
                crate::inventory::Bytes::parse(&shown),
                Ok(Bytes(r)),
                "{x}: {shown}"
            );
            assert_eq!(readable_up(r), r, "{x}: rounding {r} again moves it");
            x = x * 3 + 7;
        }
    }
}
