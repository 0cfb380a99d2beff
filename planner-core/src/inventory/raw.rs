//! The inventory as written: the serde input model behind `inventory.schema.json`.
//!
//! These types mirror the YAML one to one and reject unknown keys. Quantities
//! with units stay text here and are parsed during validation, so that every
//! bad size or duration is reported at once, each with its place in the file.
//! Planning never sees these types; it sees the validated [`super::Inventory`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

use super::profile::ProfileName;
use super::tools::Tools;

/// An inventory file, format 1.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Rolling-upgrade planner inventory, format 1")]
pub struct RawInventory {
    /// The inventory format version; this planner reads format 1.
    pub format: u32,
    /// The version every server must end on, such as "10.1.5".
    pub target_version: String,
    /// The built-in role profile (default: zimbra).
    #[serde(default)]
    pub profile: ProfileName,
    /// How the planner may move mailboxes and take servers down.
    #[serde(default)]
    pub policy: RawPolicy,
    /// Overrides of the profile's roles, field by field, or new auxiliary roles.
    #[serde(default, deserialize_with = "unique_map")]
    pub roles: BTreeMap<String, RawRole>,
    /// Overrides of a group's availability.
    #[serde(default, deserialize_with = "unique_map")]
    pub groups: BTreeMap<String, RawGroup>,
    /// Every server of the installation.
    pub servers: Vec<RawServer>,
    /// Mailboxes listed inline (small installations and tests).
    #[serde(default)]
    pub mailboxes: Vec<RawMailbox>,
    /// Mailbox lists in files next to the inventory (large installations).
    #[serde(default)]
    pub mailbox_files: Vec<RawMailboxFile>,
}

/// The planning policy; every key is optional and has a default.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// auto (default) | spread | spare | forward.
    pub strategy: Option<Strategy>,
    /// Ceiling on every mailstore's disk and mailbox count, at every moment (default 90%).
    pub max_fill: Option<FractionText>,
    /// Added to every mailbox size for capacity: index and metadata (default 0%).
    pub size_overhead: Option<FractionText>,
    /// always (default): empty mailstores before upgrading them; never: upgrade in place.
    pub evacuate: Option<EvacuatePolicy>,
    /// account (default) | domain: with domain, a domain's mailboxes move and stay together.
    pub move_by: Option<MoveBy>,
    /// Copy data first and switch later (default true; false in the carbonio profile).
    pub two_stage_moves: Option<bool>,
    /// incremental (default) | full | none: the backup before a mailstore is touched.
    pub backup: Option<BackupPolicy>,
    /// A last full backup older than this (or none known) makes the backup full (default 7d).
    pub full_backup_max_age: Option<DurationText>,
    /// Move steps that may run at once in one wave (default 4).
    pub max_parallel_moves: Option<u32>,
    /// Move steps one store may be the source of in one wave, each with one
    /// destination (default 1: a Zextras move runs only when no other
    /// operation runs on its source).
    pub max_moves_per_source: Option<u32>,
    /// Upgrades in one wave, all roles together (default 1).
    pub max_parallel_upgrades: Option<u32>,
    /// before-reuse (default) | at-end | never: when the copies a store
    /// keeps after its accounts switched away are deleted.
    pub purge: Option<PurgePolicy>,
    /// major (default) | always | never: a full backup of each upgraded
    /// mailstore that ends holding mailboxes (major: when the first version
    /// component changes).
    pub backup_after_upgrade: Option<BackupAfterUpgrade>,
    /// May a mailbox move to a store in another site (default false).
    pub cross_site_moves: Option<bool>,
    /// Roles or groups whose total unavailability during an upgrade is accepted (default none).
    pub allow_outage: Option<Vec<String>>,
    /// Admin address for move notifications.
    pub notify: Option<String>,
    /// Rates for time estimates; without them no estimate is made.
    pub rates: Option<RawRates>,
    /// zextras | zimbra-ne | carbonio | none: the commands of backups, moves
    /// and purges (default: carbonio for the carbonio profile, else zextras
    /// below version 10 and zimbra-ne from 10 on).
    pub tools: Option<Tools>,
    /// When the work may run: a start, an IANA time zone and weekly windows
    /// (needs `rates`).
    pub schedule: Option<RawSchedule>,
}

/// When the work may run.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    /// The earliest start, RFC 3339 with an offset, such as 2026-12-05T22:00:00+01:00.
    pub start: String,
    /// The IANA time zone the windows are local times in, such as Europe/Rome.
    pub time_zone: String,
    /// Weekly windows; user-visible steps (upgrades, switches, pool changes) only inside them.
    pub windows: Vec<RawWindow>,
    /// Whether data copies, backups and purges may also run outside the windows (default true).
    pub background_outside_windows: Option<bool>,
}

/// One weekly window: on each of `days`, from `from` to `to` (local times;
/// `to` at or before `from` means the next day).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    /// The days it opens on: mon, tue, wed, thu, fri, sat, sun.
    pub days: Vec<Weekday>,
    /// Opening time, HH:MM.
    pub from: String,
    /// Closing time, HH:MM.
    pub to: String,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// Days from Monday (0) to Sunday (6).
    pub fn days_from_monday(self) -> u8 {
        self as u8
    }

    /// The name as written in an inventory.
    pub fn as_str(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self as usize]
    }
}

/// Rates used for time estimates only.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRates {
    /// Copy speed of one move stream, such as 200MiB/s.
    pub copy: RateText,
    /// Share of a mailbox that changes between stage 1 and stage 2, such as 5%.
    pub delta_fraction: FractionText,
    /// Account switch time, which users see as unavailability, such as 3s.
    pub switch_per_account: DurationText,
    /// One server's upgrade, such as 40m.
    pub upgrade: DurationText,
    /// Backup throughput, such as 100MiB/s: a full backup reads the store's
    /// bytes, an incremental one delta_fraction of them (no estimate without it).
    pub backup: Option<RateText>,
    /// The checks after an upgrade (default 5m).
    pub health_check: Option<DurationText>,
    /// Each manual action: drain, undrain, directory dump, pool change (default 10m).
    pub manual: Option<DurationText>,
}

/// How mailboxes are emptied off a store before its upgrade.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// The cheapest feasible plan: fewest bytes moved, fewest mailboxes moved twice.
    #[default]
    Auto,
    /// Empty each store into the other stores of its site, balancing fill.
    Spread,
    /// Park mailboxes on spare stores and move them back after the upgrade.
    Spare,
    /// Move mailboxes only onto stores already at the target version.
    Forward,
}

/// Whether mailstores are emptied before they upgrade.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum EvacuatePolicy {
    /// Empty every mailstore (unless its own `evacuate` is false).
    #[default]
    Always,
    /// Upgrade every mailstore in place after its backup.
    Never,
}

/// The unit of mailbox moves.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum MoveBy {
    /// Accounts move one by one.
    #[default]
    Account,
    /// A domain's accounts move together and stay together.
    Domain,
}

/// The backup taken before a mailstore is touched.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum BackupPolicy {
    /// Incremental, unless the last full backup is too old or unknown.
    #[default]
    Incremental,
    /// Always full.
    Full,
    /// No backup step.
    None,
}

/// When the copies left on a store after its accounts switched away are deleted.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PurgePolicy {
    /// As late as capacity allows: just before the store next receives a
    /// copy, or in the last wave.
    #[default]
    BeforeReuse,
    /// Every purge in the last wave.
    AtEnd,
    /// No purge step: the copies' disk stays taken.
    Never,
}

impl PurgePolicy {
    /// The name as written in an inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            PurgePolicy::BeforeReuse => "before-reuse",
            PurgePolicy::AtEnd => "at-end",
            PurgePolicy::Never => "never",
        }
    }
}

/// When a mailstore gets a full backup after its upgrade.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum BackupAfterUpgrade {
    /// When the first version component changes (Zimbra recommends a full
    /// backup after a major upgrade).
    #[default]
    Major,
    /// After every upgrade.
    Always,
    /// Never.
    Never,
}

impl BackupAfterUpgrade {
    /// The name as written in an inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupAfterUpgrade::Major => "major",
            BackupAfterUpgrade::Always => "always",
            BackupAfterUpgrade::Never => "never",
        }
    }
}

/// Overrides of one role (or a new auxiliary role).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    /// For an auxiliary role: the roles whose servers must all be upgraded first.
    pub after: Option<Vec<String>>,
    /// The group whose availability rule this role shares.
    pub group: Option<String>,
    /// Servers of the role (or its group) that must stay up (default 1).
    pub min_available: Option<u32>,
    /// Servers of the role (or its group) that may be down at once (default 1).
    pub max_unavailable: Option<u32>,
    /// Drain before the install and undrain after the health check: actions of each upgrade (default false).
    pub drain: Option<bool>,
    /// Empty servers of this role before their upgrade (mailstores).
    pub evacuate: Option<bool>,
    /// A one-line note shown in reviews.
    pub note: Option<String>,
}

/// Overrides of one group's availability.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Servers of the group that must stay up.
    pub min_available: Option<u32>,
    /// Servers of the group that may be down at once.
    pub max_unavailable: Option<u32>,
}

/// One server.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// The hostname, unique in the inventory.
    pub name: String,
    /// One or more roles known to the profile or defined under `roles`.
    pub roles: Vec<String>,
    /// The current version, quoted, such as "9.0.0_P40".
    pub version: String,
    /// Moves stay within a site unless `cross_site_moves` is true.
    pub site: Option<String>,
    /// Servers that must be upgraded before this one.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Required for mailstores.
    pub capacity: Option<RawCapacity>,
    /// A reserve store meant to be emptied or used as temporary space.
    #[serde(default)]
    pub spare: bool,
    /// false: upgrade this mailstore in place (an outage for its mailboxes).
    pub evacuate: Option<bool>,
    /// RFC 3339 times of the last backups known.
    pub last_backup: Option<RawLastBackup>,
}

/// A mailstore's capacity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCapacity {
    /// Bytes usable for mailbox data, such as 4TiB.
    pub disk: SizeText,
    /// How many accounts the store can serve well.
    pub mailboxes: Option<u64>,
}

/// The last backups known.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLastBackup {
    /// RFC 3339 time of the last full backup.
    pub full: Option<TimeText>,
    /// RFC 3339 time of the last incremental backup.
    pub incremental: Option<TimeText>,
}

/// One mailbox listed inline.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMailbox {
    /// The address, local@domain.
    pub account: String,
    /// The mailstore it is on.
    pub store: String,
    /// Its size, such as 2.5GiB.
    pub size: SizeText,
}

/// A mailbox list in a file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMailboxFile {
    /// Relative to the inventory file, unless absolute.
    pub path: String,
    /// zmprov-gqu | csv | accounts.
    pub format: MailboxFileFormat,
    /// The store the list is from (zmprov-gqu and accounts; csv names it per line).
    pub store: Option<String>,
    /// The size assumed for every account of an `accounts` list.
    pub assumed_size: Option<SizeText>,
}

/// The formats of mailbox list files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
pub enum MailboxFileFormat {
    /// `zmprov gqu SERVER`: `account limit used` per line, bytes.
    #[serde(rename = "zmprov-gqu")]
    ZmprovGqu,
    /// A header `account,store,size`, then one mailbox a line.
    #[serde(rename = "csv")]
    Csv,
    /// `zmprov sa zimbraMailHost=SERVER`: one account a line, no sizes.
    #[serde(rename = "accounts")]
    Accounts,
}

impl MailboxFileFormat {
    /// The name as written in inventories.
    pub fn as_str(self) -> &'static str {
        match self {
            MailboxFileFormat::ZmprovGqu => "zmprov-gqu",
            MailboxFileFormat::Csv => "csv",
            MailboxFileFormat::Accounts => "accounts",
        }
    }
}

/// A scalar kept as written, parsed during validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalarText(pub String);

impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ScalarText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $schema_name:literal, $schema:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub ScalarText);

        impl $name {
            /// The value as written.
            pub fn text(&self) -> &str {
                &self.0.0
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                $schema_name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

const NUMBER: &str = r"([0-9]+(\.[0-9]*)?|\.[0-9]+)";

text_type!(
    /// A size: bytes, or a number with B, KB, MB, GB, TB, KiB, MiB, GiB or TiB.
    SizeText,
    "Size",
    json_schema!({
        "description": "Bytes, or a number with a unit: B, KB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024).",
        "examples": ["4TiB", "2.5GiB", 1073741824],
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": format!("^ *{NUMBER} *(B|KB|kB|MB|GB|TB|KiB|MiB|GiB|TiB)? *$") }
        ]
    })
);

text_type!(
    /// A fraction: `0.9` or `90%`.
    FractionText,
    "Fraction",
    json_schema!({
        "description": "A fraction: 0.9 or 90%.",
        "examples": ["90%", 0.9],
        "anyOf": [
            { "type": "number", "minimum": 0 },
            { "type": "string", "pattern": format!("^ *{NUMBER} *%? *$") }
        ]
    })
);

text_type!(
    /// A duration: `30s`, `40m`, `2h`, `7d`, `1h30m`, or seconds.
    DurationText,
    "Duration",
    json_schema!({
        "description": "A duration: 30s, 40m, 2h, 7d, 1w, combinations such as 1h30m, or a number of seconds.",
        "examples": ["7d", "40m", "1h30m"],
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": "^ *([0-9]+|([0-9]+[smhdw])+) *$" }
        ]
    })
);

text_type!(
    /// A rate: a size per second, such as `200MiB/s`.
    RateText,
    "Rate",
    json_schema!({
        "description": "A size per second, such as 200MiB/s.",
        "examples": ["200MiB/s"],
        "type": "string",
        "pattern": format!("^ *{NUMBER} *(B|KB|kB|MB|GB|TB|KiB|MiB|GiB|TiB)? */s *$")
    })
);

text_type!(
    /// An RFC 3339 time, such as `2026-11-22T01:00:00Z`.
    TimeText,
    "Time",
    json_schema!({
        "description": "An RFC 3339 time, such as 2026-11-22T01:00:00Z.",
        "type": "string",
        "format": "date-time"
    })
);

/// Deserializes a map, refusing a key given twice (plain maps would keep the last).
fn unique_map<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Visitor<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a mapping")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!(
                        "duplicate entry with key `{key}`"
                    )));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Visitor(std::marker::PhantomData))
}
