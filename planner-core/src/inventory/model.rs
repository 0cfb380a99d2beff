//! The validated inventory: what planning works from.
//!
//! Every value here has been checked and resolved: names are canonical,
//! references between servers are indices, units are integers and the
//! profile carries the inventory's overrides. Planning never sees raw input.
//!
//! [`Inventory`], [`Server`], [`Mailbox`] and [`ServerId`] keep their fields
//! to the crate and are read through accessors, so no caller can add a
//! server or make an id that points nowhere. The value types [`Policy`],
//! [`Rates`], [`Capacity`], [`LastBackup`] and [`Load`] keep public fields:
//! the validated model hands them out by shared reference or by copy only,
//! so changing a copy changes nothing the planner reads.

use serde::Serialize;

use super::names::{Account, ServerName};
use super::profile::Profile;
use super::raw::{BackupAfterUpgrade, BackupPolicy, EvacuatePolicy, MoveBy, PurgePolicy, Strategy};
use super::tools::Tools;
use super::units::{Bytes, BytesPerSecond, Fraction, Seconds};
use super::version::{AgainstTarget, Version};

/// A server's index in [`Inventory::servers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ServerId(pub(crate) u32);

impl ServerId {
    /// The index as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A validated inventory.
#[derive(Clone, Debug)]
pub struct Inventory {
    /// The version every server must end on.
    pub(crate) target_version: Version,
    /// The role profile with the inventory's overrides.
    pub(crate) profile: Profile,
    /// The policy with every default filled in.
    pub(crate) policy: Policy,
    /// Every server, in the inventory's order.
    pub(crate) servers: Vec<Server>,
    /// Every mailbox, inline ones first, then each file's in file order.
    pub(crate) mailboxes: Vec<Mailbox>,
    /// The mailboxes' indices sorted by account, computed once by validation
    /// (a million accounts are expensive to sort twice). Only validation
    /// builds an `Inventory`, so this is always present; planning checks
    /// that it still covers every mailbox before it relies on it.
    pub(crate) by_account: Vec<u32>,
}

/// The effective planning policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// How stores are emptied.
    pub strategy: Strategy,
    /// Ceiling on every store's disk and mailbox count.
    pub max_fill: Fraction,
    /// Added to every mailbox size for capacity.
    pub size_overhead: Fraction,
    /// Whether mailstores are emptied before upgrade.
    pub evacuate: EvacuatePolicy,
    /// The unit of moves.
    pub move_by: MoveBy,
    /// Whether moves copy first and switch later.
    pub two_stage_moves: bool,
    /// The backup before a mailstore is touched.
    pub backup: BackupPolicy,
    /// A last full backup older than this makes the backup full.
    pub full_backup_max_age: Seconds,
    /// Move steps per wave.
    pub max_parallel_moves: u32,
    /// Move steps per source store and wave.
    pub max_moves_per_source: u32,
    /// Upgrades per wave.
    pub max_parallel_upgrades: u32,
    /// When moved copies are deleted from their source.
    pub purge: PurgePolicy,
    /// When an upgraded mailstore gets a full backup.
    pub backup_after_upgrade: BackupAfterUpgrade,
    /// Whether moves may cross sites.
    pub cross_site_moves: bool,
    /// Roles or groups whose outage is accepted, sorted.
    pub allow_outage: Vec<String>,
    /// Address for move notifications.
    pub notify: Option<Account>,
    /// Rates for estimates.
    pub rates: Option<Rates>,
    /// The commands of backups, moves and purges.
    pub tools: Tools,
    /// When the work may run; `None`: no calendar.
    pub schedule: Option<Schedule>,
}

/// When the work may run (validated: the zone exists, the times parse).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// The earliest start, as given (RFC 3339 with an offset).
    pub start: String,
    /// The IANA time zone name.
    pub time_zone: String,
    /// The weekly windows.
    pub windows: Vec<Window>,
    /// Whether background steps may run outside the windows.
    pub background_outside_windows: bool,
}

/// One weekly window, in local minutes since midnight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// The days it opens on, Monday = 0.
    pub days: Vec<u8>,
    /// Opening time, minutes after midnight.
    pub from: u16,
    /// Closing time, minutes after midnight; at or before `from`: the next day.
    pub to: u16,
}

impl Policy {
    /// Whether the total unavailability of an availability unit (a group or
    /// a role, named `unit`, made of `roles`) is accepted: `allow_outage`
    /// names it or one of its roles, or, without a tool to move mailboxes
    /// (`tools: none`), it is the mailstores, whose in-place upgrades are
    /// then inherent outages.
    pub fn accepts_outage<R: AsRef<str>>(&self, unit: &str, roles: &[R]) -> bool {
        self.allow_outage
            .iter()
            .any(|a| a == unit || roles.iter().any(|r| r.as_ref() == a))
            || (!self.tools.moves()
                && roles
                    .iter()
                    .any(|r| r.as_ref() == super::profile::MAILSTORE))
    }
}

/// Rates for time estimates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rates {
    /// Copy speed of one move stream.
    pub copy: BytesPerSecond,
    /// Share of a mailbox that changes between the two stages.
    pub delta_fraction: Fraction,
    /// Switch time per account.
    pub switch_per_account: Seconds,
    /// One server's upgrade.
    pub upgrade: Seconds,
    /// Backup throughput; `None`: backups are not estimated.
    pub backup: Option<BytesPerSecond>,
    /// The checks after an upgrade.
    pub health_check: Seconds,
    /// Each manual action.
    pub manual: Seconds,
}

/// One server.
#[derive(Clone, Debug)]
pub struct Server {
    /// Its hostname.
    pub(crate) name: ServerName,
    /// Its roles, in the profile's order.
    pub(crate) roles: Vec<String>,
    /// Its current version.
    pub(crate) version: Version,
    /// Below or at the target (validation refuses newer).
    pub(crate) status: AgainstTarget,
    /// Its site; `None` is the one unnamed site.
    pub(crate) site: Option<String>,
    /// Servers that must be upgraded before it, sorted.
    pub(crate) depends_on: Vec<ServerId>,
    /// Capacity, for mailstores.
    pub(crate) capacity: Option<Capacity>,
    /// A reserve store.
    pub(crate) spare: bool,
    /// The server's own `evacuate`, if given.
    pub(crate) evacuate: Option<bool>,
    /// The last backups known.
    pub(crate) last_backup: LastBackup,
}

impl Server {
    /// Its hostname.
    pub fn name(&self) -> &ServerName {
        &self.name
    }

    /// Its roles, in the profile's order.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Its current version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// Below or at the target (validation refuses newer).
    pub fn status(&self) -> AgainstTarget {
        self.status
    }

    /// Its site; `None` is the one unnamed site.
    pub fn site(&self) -> Option<&str> {
        self.site.as_deref()
    }

    /// Servers that must be upgraded before it, sorted.
    pub fn depends_on(&self) -> &[ServerId] {
        &self.depends_on
    }

    /// Capacity, for mailstores.
    pub fn capacity(&self) -> Option<Capacity> {
        self.capacity
    }

    /// Whether it is a reserve store.
    pub fn spare(&self) -> bool {
        self.spare
    }

    /// The server's own `evacuate`, if given.
    pub fn evacuate(&self) -> Option<bool> {
        self.evacuate
    }

    /// The last backups known.
    pub fn last_backup(&self) -> LastBackup {
        self.last_backup
    }

    /// Whether the server has the role.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether it is a mailstore.
    pub fn is_mailstore(&self) -> bool {
        self.has_role(super::profile::MAILSTORE)
    }

    /// Whether it needs an upgrade.
    pub fn needs_upgrade(&self) -> bool {
        self.status == AgainstTarget::Below
    }
}

/// A mailstore's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Capacity {
    /// Bytes usable for mailbox data.
    pub disk: Bytes,
    /// Accounts it can serve well, if limited.
    pub mailboxes: Option<u64>,
}

/// The last backups known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastBackup {
    /// The last full backup.
    pub full: Option<jiff::Timestamp>,
    /// The last incremental backup.
    pub incremental: Option<jiff::Timestamp>,
}

/// One mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// Its account.
    pub(crate) account: Account,
    /// The store it is on.
    pub(crate) store: ServerId,
    /// Its size as listed (without the policy's overhead).
    pub(crate) size: Bytes,
    /// Whether the size was assumed from an `accounts` list.
    pub(crate) assumed: bool,
}

impl Mailbox {
    /// Its account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The store it is on.
    pub fn store(&self) -> ServerId {
        self.store
    }

    /// Its size as listed (without the policy's overhead).
    pub fn size(&self) -> Bytes {
        self.size
    }

    /// Whether the size was assumed from an `accounts` list.
    pub fn assumed(&self) -> bool {
        self.assumed
    }
}

impl Inventory {
    /// The version every server must end on.
    pub fn target_version(&self) -> &Version {
        &self.target_version
    }

    /// The role profile with the inventory's overrides.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The policy with every default filled in.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Every server, in the inventory's order; a server's [`ServerId`] is its
    /// index here.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// Every mailbox, inline ones first, then each file's in file order.
    pub fn mailboxes(&self) -> &[Mailbox] {
        &self.mailboxes
    }

    /// Every server with its id, in the inventory's order.
    pub fn server_ids(&self) -> impl Iterator<Item = (ServerId, &Server)> {
        self.servers
            .iter()
            .enumerate()
            .map(|(i, s)| (ServerId(i as u32), s))
    }

    /// The server with that id.
    pub fn server(&self, id: ServerId) -> &Server {
        &self.servers[id.index()]
    }

    /// The id of the server with that (case-insensitive) name.
    pub fn server_id(&self, name: &str) -> Option<ServerId> {
        let lower = name.to_ascii_lowercase();
        self.servers
            .iter()
            .position(|s| s.name.as_str() == lower)
            .map(|i| ServerId(i as u32))
    }

    /// A copy of this inventory with one more mailstore, empty, at the end of
    /// the servers: how a refusal's hint is tried before it is given (the
    /// engine plans the copy again). The new store holds no mailbox, so every
    /// existing id and the account order stay valid.
    pub fn with_added_store(
        &self,
        name: ServerName,
        version: Version,
        site: Option<String>,
        capacity: Capacity,
    ) -> Inventory {
        let mut with = self.clone();
        with.servers.push(Server {
            name,
            roles: vec![super::profile::MAILSTORE.to_string()],
            status: version.against(&self.target_version),
            version,
            site,
            depends_on: Vec::new(),
            capacity: Some(capacity),
            spare: false,
            evacuate: None,
            last_backup: LastBackup::default(),
        });
        with
    }

    /// Like [`Inventory::with_added_store`], with the new store marked
    /// `spare: true`: how a refusal under strategy `spare` tries the spare
    /// store it names.
    pub fn with_added_spare(
        &self,
        name: ServerName,
        version: Version,
        site: Option<String>,
        capacity: Capacity,
    ) -> Inventory {
        let mut with = self.with_added_store(name, version, site, capacity);
        if let Some(added) = with.servers.last_mut() {
            added.spare = true;
        }
        with
    }

    /// A copy of this inventory as it reads after some steps of a plan ran:
    /// the `upgraded` servers at the target version, and each `(account,
    /// store)` of `switched` on its new store. Names are matched as in the
    /// inventory (servers case-insensitively); an unknown server or account,
    /// or a store that is not a mailstore, is an error naming it. How a tool
    /// re-plans what remains after a partial run.
    pub fn with_progress<'n>(
        &self,
        upgraded: impl IntoIterator<Item = &'n str>,
        switched: impl IntoIterator<Item = (&'n str, &'n str)>,
    ) -> Result<Inventory, String> {
        let mut servers = Vec::new();
        for name in upgraded {
            servers.push(
                self.server_id(name)
                    .ok_or_else(|| format!("unknown server `{name}`"))?,
            );
        }
        let mut homes = Vec::new();
        for (account, store) in switched {
            let id = self
                .server_id(store)
                .filter(|id| self.server(*id).is_mailstore())
                .ok_or_else(|| format!("unknown mailstore `{store}`"))?;
            let index = self
                .mailbox_index(account)
                .ok_or_else(|| format!("unknown account `{account}`"))?;
            homes.push((index, id));
        }
        Ok(self.with_homes(servers, homes))
    }

    /// [`Inventory::with_progress`] with servers and mailboxes already
    /// resolved: `upgraded` at the target version, each `(mailbox, store)`
    /// of `homes` on its store (a mailstore, by the caller's check).
    pub(crate) fn with_homes(
        &self,
        upgraded: impl IntoIterator<Item = ServerId>,
        homes: impl IntoIterator<Item = (usize, ServerId)>,
    ) -> Inventory {
        let mut with = self.clone();
        for id in upgraded {
            let server = &mut with.servers[id.index()];
            server.version = self.target_version.clone();
            server.status = AgainstTarget::At;
        }
        for (m, store) in homes {
            with.mailboxes[m].store = store;
        }
        with
    }

    /// The index in [`Inventory::mailboxes`] of the mailbox of `account`
    /// (case-insensitive), found by binary search in the account order.
    pub fn mailbox_index(&self, account: &str) -> Option<usize> {
        let wanted = account.to_ascii_lowercase();
        let found = self
            .by_account
            .binary_search_by(|i| self.mailboxes[*i as usize].account.as_str().cmp(&wanted))
            .ok()?;
        Some(self.by_account[found] as usize)
    }

    /// A mailbox's size for capacity: its size plus the policy's overhead.
    pub fn footprint(&self, mailbox: &Mailbox) -> Bytes {
        mailbox.size.with_overhead(self.policy.size_overhead)
    }

    /// Per store: mailboxes and bytes for capacity, indexed by server.
    pub fn store_loads(&self) -> Vec<Load> {
        let mut loads = vec![Load::default(); self.servers.len()];
        for mailbox in &self.mailboxes {
            let load = &mut loads[mailbox.store.index()];
            load.mailboxes += 1;
            load.bytes = load.bytes.saturating_add(self.footprint(mailbox));
        }
        loads
    }

    /// The most a store may hold at `max_fill`: bytes, and accounts if limited.
    pub fn ceiling(&self, store: ServerId) -> Option<Load> {
        let capacity = self.server(store).capacity?;
        Some(Load {
            bytes: Bytes(self.policy.max_fill.of(capacity.disk.0)),
            mailboxes: capacity
                .mailboxes
                .map_or(u64::MAX, |m| self.policy.max_fill.of(m)),
        })
    }
}

/// What a store holds: a number of mailboxes and their bytes for capacity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Load {
    /// Bytes, with the policy's overhead.
    pub bytes: Bytes,
    /// Mailboxes.
    pub mailboxes: u64,
}
