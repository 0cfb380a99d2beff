//! The plan: the versioned output contract (`upgrade-plan/v2`).
//!
//! These types are what the JSON plan is, field for field; the JSON Schema in
//! `schemas/plan.schema.json` is generated from them. They are separate from
//! the input model and from the engine's working state: the engine builds a
//! `Plan`, renderers and the checker only read one.
//!
//! Compatibility: within `upgrade-plan/v2` fields may be added, never removed
//! or changed in meaning; readers must ignore fields they do not know.

mod decisions;
mod diff;
mod digest;
mod options;
mod query;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use decisions::{Verdict, WaitRule};
pub use diff::{PlanDiff, ServerChange, Totals, diff};
pub use digest::{file_digest, inventory_digest};
pub use options::{PlanOptions, effective_policy, flags_to_repeat};
pub use query::Received;

use crate::inventory::{
    BackupAfterUpgrade, BackupPolicy, EvacuatePolicy, MoveBy, Profile, PurgePolicy, Strategy, Tools,
};

/// The default of a count a plan may leave out.
fn one() -> u32 {
    1
}

/// The format name of this contract.
pub const FORMAT: &str = "upgrade-plan/v2";

/// A complete upgrade plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Rolling-upgrade plan, upgrade-plan/v2")]
pub struct Plan {
    /// Always `upgrade-plan/v2` for this version of the contract.
    pub format: String,
    /// The version of the planner that wrote the plan.
    pub planner_version: String,
    /// `sha256:` and the hex digest of the normalized inventory, to detect stale plans.
    pub inventory_digest: String,
    /// The reference time used for backup ages (RFC 3339).
    pub now: String,
    /// The version every server ends on.
    pub target_version: String,
    /// The role profile.
    pub profile: String,
    /// The toolset whose commands run the backups, moves and purges.
    pub tools: Tools,
    /// The effective policy: the inventory's plus command-line overrides.
    pub policy: PlanPolicy,
    /// The strategy asked for, the one used, and why.
    pub strategy: StrategyChoice,
    /// Totals, outages and warnings.
    pub summary: Summary,
    /// Every server of the inventory, by name: its roles, site and version.
    #[serde(default)]
    pub servers: BTreeMap<String, PlanServer>,
    /// The one-line note of each role the servers have (the profile's, or the
    /// inventory's `roles` override), shown in reviews.
    #[serde(default)]
    pub role_notes: BTreeMap<String, String>,
    /// For a plan made by `planner plan --resume`: the plan it continues and
    /// the steps done before it. Absent for a fresh plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<ResumedFrom>,
    /// The waves, run in order; the steps of one wave may run in any order.
    pub waves: Vec<Wave>,
    /// Per mailstore: what it holds before, at its peak, and after. In a
    /// resumed plan, `before` is the state the done steps left and `peak`
    /// counts from there.
    pub placement: Placement,
}

/// Where a resumed plan comes from, so that `verify`, `status` and a second
/// resume can replay the steps done before it without the old plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResumedFrom {
    /// `sha256:` and the hex digest of the bytes of the plan file resumed.
    pub plan_digest: String,
    /// The steps done before the resume, in full, in the order the journal
    /// records them done (a second resume lists the first one's too, first).
    pub done: Vec<Step>,
}

/// The effective policy, as numbers a tool can use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanPolicy {
    /// The strategy asked for.
    pub strategy: Strategy,
    /// Ceiling on every store's disk and mailbox count, as a fraction (0.9).
    pub max_fill: f64,
    /// Added to every mailbox size for capacity, as a fraction.
    pub size_overhead: f64,
    /// Whether mailstores are emptied before upgrade.
    pub evacuate: EvacuatePolicy,
    /// The unit of moves.
    pub move_by: MoveBy,
    /// Whether moves copy first and switch later.
    pub two_stage_moves: bool,
    /// The backup before a mailstore is touched.
    pub backup: BackupPolicy,
    /// A last full backup older than this many seconds makes the backup full.
    pub full_backup_max_age_s: u64,
    /// Move steps per wave.
    pub max_parallel_moves: u32,
    /// Move steps per source store and wave (1 when a plan does not say).
    #[serde(default = "one")]
    pub max_moves_per_source: u32,
    /// Upgrades per wave.
    pub max_parallel_upgrades: u32,
    /// When moved copies are deleted from their source.
    pub purge: PurgePolicy,
    /// When an upgraded mailstore gets a full backup.
    pub backup_after_upgrade: BackupAfterUpgrade,
    /// Whether moves may cross sites.
    pub cross_site_moves: bool,
    /// Roles or groups whose outage is accepted.
    pub allow_outage: Vec<String>,
    /// Address for move notifications; null when none is set.
    pub notify: Option<String>,
    /// Rates for estimates; null when none are given.
    pub rates: Option<PlanRates>,
    /// When the work may run; null without a schedule.
    #[serde(default)]
    pub schedule: Option<PlanSchedule>,
}

/// The schedule a plan was made with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanSchedule {
    /// The earliest start, as the inventory gives it.
    pub start: String,
    /// The IANA time zone of the windows.
    pub time_zone: String,
    /// The weekly windows.
    pub windows: Vec<PlanScheduleWindow>,
    /// Whether data copies, backups and purges may run outside the windows.
    pub background_outside_windows: bool,
}

/// One weekly window of a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanScheduleWindow {
    /// The days it opens on: mon, tue, wed, thu, fri, sat, sun.
    pub days: Vec<String>,
    /// Opening time, HH:MM local.
    pub from: String,
    /// Closing time, HH:MM local (at or before `from`: the next day).
    pub to: String,
}

/// Rates used for estimates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanRates {
    /// Copy speed of one move stream, bytes per second.
    pub copy_bytes_per_s: u64,
    /// Share of a mailbox that changes between the two stages.
    pub delta_fraction: f64,
    /// Account switch time, seconds.
    pub switch_per_account_s: u64,
    /// One server's upgrade, seconds.
    pub upgrade_s: u64,
    /// Backup throughput, bytes per second (`null`: backups not estimated).
    pub backup_bytes_per_s: Option<u64>,
    /// The checks after an upgrade, seconds.
    pub health_check_s: u64,
    /// Each manual action, seconds.
    pub manual_s: u64,
}

/// Which strategy was used and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StrategyChoice {
    /// The strategy asked for.
    pub requested: Strategy,
    /// The strategy the plan follows.
    pub chosen: ChosenStrategy,
    /// Why, with the figures that decided.
    pub why: String,
}

/// The strategy a plan follows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ChosenStrategy {
    /// Every mailbox moves at most once, onto stores already at the target version.
    Forward,
    /// Each store is emptied into the other stores of its site, balancing fill.
    Spread,
    /// While no store at the target version has room, stores are emptied into the
    /// other stores (those mailboxes move twice); after that, forward.
    SpreadThenForward,
    /// Mailboxes are parked on spare stores and moved back after the upgrade.
    Spare,
}

impl ChosenStrategy {
    /// The name as written in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            ChosenStrategy::Forward => "forward",
            ChosenStrategy::Spread => "spread",
            ChosenStrategy::SpreadThenForward => "spread-then-forward",
            ChosenStrategy::Spare => "spare",
        }
    }
}

/// Totals, outages and warnings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Servers the plan upgrades.
    pub servers_to_upgrade: u32,
    /// Servers already at the target, left alone.
    pub servers_at_target: u32,
    /// Mailbox moves (a copy and its switch are one move).
    pub mailboxes_moved: u64,
    /// Bytes of those moves (full sizes, not deltas).
    pub bytes_moved: u64,
    /// Mailboxes that move more than once.
    pub mailboxes_moved_twice: u64,
    /// Bytes of the moves beyond each mailbox's first.
    pub bytes_moved_again: u64,
    /// Number of waves.
    pub waves: u32,
    /// Accepted outages and other unavailability, one entry each.
    pub outages: Vec<Outage>,
    /// Warnings from the inventory and from planning.
    pub warnings: Vec<String>,
    /// Estimated total duration in seconds; null without rates.
    pub estimated_duration_s: Option<u64>,
    /// With a schedule, the windows the plan uses, in order; empty without one.
    #[serde(default)]
    pub windows: Vec<PlanWindow>,
}

/// A window the plan uses: one opening of a weekly window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanWindow {
    /// When it opens (RFC 3339, in the schedule's time zone offset).
    pub start: String,
    /// When it closes.
    pub end: String,
}

/// An outage the plan accepts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Outage {
    /// The wave it happens in.
    pub wave: u32,
    /// The server that is down.
    pub server: String,
    /// The role or group left without enough servers, or `mailstore` for an in-place upgrade.
    pub unit: String,
    /// What users lose, in words.
    pub message: String,
}

/// A server as the plan sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanServer {
    /// Its roles, in the profile's order.
    pub roles: Vec<String>,
    /// Its site; null for the one unnamed site.
    pub site: Option<String>,
    /// Its version before the plan.
    pub version: String,
    /// Whether the plan upgrades it (false: already at the target).
    pub upgraded: bool,
    /// Mailstores: disk capacity in bytes, and the accounts it can serve when limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<PlanCapacity>,
}

/// A mailstore's capacity, and the ceilings `max_fill` puts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanCapacity {
    /// Bytes usable for mailbox data.
    pub disk: u64,
    /// Accounts it can serve well, when limited.
    pub mailboxes: Option<u64>,
    /// The most bytes it may hold at `max_fill`.
    pub max_bytes: u64,
    /// The most accounts it may serve at `max_fill`, when limited.
    pub max_mailboxes: Option<u64>,
}

/// One wave: steps that may run at the same time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Wave {
    /// 1-based position.
    pub index: u32,
    /// Its steps, in a stable order.
    pub steps: Vec<Step>,
    /// The longest step's estimate, in seconds; null without rates.
    pub estimated_duration_s: Option<u64>,
    /// With a schedule, when the wave is planned to start (RFC 3339, in the
    /// schedule's time zone offset); null without one.
    #[serde(default)]
    pub start: Option<String>,
    /// With a schedule, when it is planned to end; null without one.
    #[serde(default)]
    pub end: Option<String>,
}

/// What a step does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Back up a mailstore: before it is touched (`when: before`), or fully
    /// after its upgrade (`when: after-upgrade`).
    Backup,
    /// Take a store out of the pools that receive new accounts.
    PoolOut,
    /// Copy mailbox data to the target, no switch (stage 1).
    MoveData,
    /// Copy what changed and switch the accounts to the target (stage 2, or the whole move).
    MoveSwitch,
    /// Upgrade a server: its `actions` in order, finished when its checks pass.
    Upgrade,
    /// Put a store back in the pools that receive new accounts.
    PoolIn,
    /// Delete the copies left on a store by the switches off it (its
    /// `accounts`), freeing their disk.
    Purge,
}

impl StepKind {
    /// The kind as written in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Backup => "backup",
            StepKind::PoolOut => "pool-out",
            StepKind::MoveData => "move-data",
            StepKind::MoveSwitch => "move-switch",
            StepKind::Upgrade => "upgrade",
            StepKind::PoolIn => "pool-in",
            StepKind::Purge => "purge",
        }
    }

    /// Every kind, in the order steps are sorted within a wave.
    pub const ALL: [StepKind; 7] = [
        StepKind::Backup,
        StepKind::PoolOut,
        StepKind::MoveData,
        StepKind::MoveSwitch,
        StepKind::Upgrade,
        StepKind::PoolIn,
        StepKind::Purge,
    ];

    /// The fields a step of this kind must have beyond `id`, `kind`, `why`
    /// and `estimated_duration_s`: the schema requires them and the checker
    /// refuses a step without one.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            StepKind::Backup => &["server", "mode", "when"],
            StepKind::PoolOut | StepKind::PoolIn => &["server"],
            StepKind::Upgrade => &[
                "server",
                "from_version",
                "to_version",
                "actions",
                "outage",
                "checks",
                "waits_for",
            ],
            StepKind::MoveData | StepKind::MoveSwitch => &[
                "source",
                "target",
                "accounts",
                "domains",
                "bytes",
                "candidates",
            ],
            StepKind::Purge => &["server", "accounts", "bytes"],
        }
    }

    /// Whether it moves mailboxes.
    pub fn is_move(self) -> bool {
        matches!(self, StepKind::MoveData | StepKind::MoveSwitch)
    }
}

/// One action of an upgrade step. They run in the order the step lists
/// them, and the step ends when its health check passes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Take the server out of its load balancer or MX rotation (roles with
    /// `drain: true`).
    Drain,
    /// Dump the directory before a directory server's install.
    DirectoryDump,
    /// Run the installer.
    Install,
    /// Run the step's `checks`; the step ends only when they pass.
    HealthCheck,
    /// Put the server back in rotation (after a drain).
    Undrain,
}

impl Action {
    /// The action as written in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Drain => "drain",
            Action::DirectoryDump => "directory-dump",
            Action::Install => "install",
            Action::HealthCheck => "health-check",
            Action::Undrain => "undrain",
        }
    }

    /// Whether the operator does it by hand (the script pauses for it), so
    /// that estimates count `rates.manual` for it.
    pub fn is_manual(self) -> bool {
        matches!(
            self,
            Action::Drain | Action::DirectoryDump | Action::Undrain
        )
    }
}

/// An upgrade's actions in the order they run, and the checks its health
/// check runs, as a server's roles call for them: a drain first and an
/// undrain last for a server with a role that drains, a directory dump
/// before a directory server's install; `zmcontrol status` on every server,
/// with `zmreplchk` on directory servers and `postqueue -p` on MTAs.
pub fn upgrade_actions(profile: &Profile, roles: &[String]) -> (Vec<Action>, Vec<String>) {
    let drains = profile.draining_role(roles).is_some();
    let directory = profile.serves_directory(roles);
    let mut actions = Vec::with_capacity(5);
    if drains {
        actions.push(Action::Drain);
    }
    if directory {
        actions.push(Action::DirectoryDump);
    }
    actions.extend([Action::Install, Action::HealthCheck]);
    if drains {
        actions.push(Action::Undrain);
    }
    let mut checks = vec!["zmcontrol status".to_string()];
    if directory {
        checks.push("zmreplchk".to_string());
    }
    if roles.iter().any(|r| r == "mta") {
        checks.push("postqueue -p".to_string());
    }
    (actions, checks)
}

/// When a backup step runs against its store's upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BackupWhen {
    /// Before the store is touched (its first move out, or its upgrade).
    Before,
    /// After its upgrade and the last move onto it (`backup_after_upgrade`).
    AfterUpgrade,
}

impl BackupWhen {
    /// The word as written in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupWhen::Before => "before",
            BackupWhen::AfterUpgrade => "after-upgrade",
        }
    }
}

/// The backup mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackupMode {
    /// Changes since the last scan.
    Incremental,
    /// Everything.
    Full,
}

/// One step. Fields that do not apply to its kind are absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// Unique in the plan and stable across runs: `KIND:SERVER` or `KIND:SOURCE>TARGET`.
    pub id: String,
    /// What it does.
    pub kind: StepKind,
    /// The server it runs on (all kinds but moves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Backups: incremental or full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<BackupMode>,
    /// Backups: before the store is touched, or after its upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<BackupWhen>,
    /// Upgrades: the version before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_version: Option<String>,
    /// Upgrades: the version after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_version: Option<String>,
    /// Upgrades: its actions, in the order they run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
    /// Upgrades: whether it leaves a role or group below its minimum (accepted outage),
    /// or upgrades a mailstore with its users on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<bool>,
    /// Moves: the store the accounts leave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Moves: the store the accounts go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Moves: every account moved, sorted; purges: every account whose old
    /// copy it deletes, sorted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<String>>,
    /// Moves: whole domains moved (with `move_by: domain`), sorted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
    /// Moves: the full size of the accounts, listed size with
    /// `size_overhead` (the measure of `placement`); purges: the disk they free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Moves: the target and at most five other stores considered, in the
    /// inventory's order, with why each was or was not chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<Candidate>>,
    /// Moves: how many further stores were considered and not listed in
    /// `candidates`, by verdict; absent when every store considered is listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates_not_listed: Option<Vec<CandidateCount>>,
    /// Upgrades: the checks its `health-check` action runs, by command:
    /// `zmcontrol status`, `zmreplchk` for directory servers, `postqueue -p`
    /// for MTAs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<String>>,
    /// Upgrades: the servers whose upgrade this one waits for, and why (direct edges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waits_for: Option<Vec<Wait>>,
    /// Switches: how long each account is unavailable, in seconds; absent without rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable_per_account_s: Option<u64>,
    /// Why this step is here, in this wave.
    pub why: String,
    /// Estimated duration in seconds; null without rates, and for purges and
    /// for backups without a backup rate.
    pub estimated_duration_s: Option<u64>,
}

impl Step {
    /// Whether the step has the named field (one of [`StepKind::fields`]).
    pub fn has(&self, field: &str) -> bool {
        match field {
            "server" => self.server.is_some(),
            "mode" => self.mode.is_some(),
            "when" => self.when.is_some(),
            "from_version" => self.from_version.is_some(),
            "to_version" => self.to_version.is_some(),
            "actions" => self.actions.is_some(),
            "outage" => self.outage.is_some(),
            "source" => self.source.is_some(),
            "target" => self.target.is_some(),
            "accounts" => self.accounts.is_some(),
            "domains" => self.domains.is_some(),
            "bytes" => self.bytes.is_some(),
            "candidates" => self.candidates.is_some(),
            "checks" => self.checks.is_some(),
            "waits_for" => self.waits_for.is_some(),
            _ => true,
        }
    }

    /// The fields its kind requires that it lacks.
    pub fn missing(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kind.fields().iter().copied().filter(|f| !self.has(f))
    }
}

/// An order edge: this upgrade waits for another server's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Wait {
    /// The server upgraded first.
    pub server: String,
    /// The rule: the profile's order, an auxiliary role's `after`, or `depends_on`.
    #[schemars(with = "String")]
    pub rule: WaitRule,
}

/// A store considered as a move target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Candidate {
    /// The store.
    pub store: String,
    /// `chosen`, `chosen for other mailboxes`, or why not: `full at max_fill 90%`,
    /// `older version (9.0.0_P38)`, `above its ceiling`, `not at the target version
    /// (strategy forward)`, `not a spare (strategy spare)`, `at the target version, but
    /// the servers ordered before the mailstores are not all upgraded yet`, `less
    /// preferred (higher fill or not yet upgraded)`. Stores of other sites are not
    /// listed unless cross-site moves are allowed.
    #[schemars(with = "String")]
    pub verdict: Verdict,
}

/// Stores considered as move targets and not listed, with one verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CandidateCount {
    /// The verdict they share, as in [`Candidate::verdict`].
    #[schemars(with = "String")]
    pub verdict: Verdict,
    /// How many stores.
    pub stores: u64,
}

/// What a store holds: mailboxes and bytes for capacity (with overhead).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StoreLoad {
    /// Bytes for capacity, including the policy's size overhead and stage-1 copies.
    pub bytes: u64,
    /// Accounts served.
    pub mailboxes: u64,
}

/// Per mailstore, keyed by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Placement {
    /// At the start, as the inventory says.
    pub before: BTreeMap<String, StoreLoad>,
    /// The most each store holds at any moment (bytes and mailboxes, each at its own maximum).
    pub peak: BTreeMap<String, StoreLoad>,
    /// At the end.
    pub after: BTreeMap<String, StoreLoad>,
}

/// The JSON Schema of the plan format.
pub fn schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Plan).to_value();
    if let Some(format) = schema.pointer_mut("/properties/format") {
        format["const"] = serde_json::json!(FORMAT);
    }
    if let Some(step) = schema.pointer_mut("/$defs/Step") {
        if let Some(required) = step["required"].as_array_mut() {
            required.push(serde_json::json!("estimated_duration_s"));
        }
        let rules: Vec<serde_json::Value> = StepKind::ALL
            .iter()
            .map(|kind| {
                serde_json::json!({
                    "if": { "properties": { "kind": { "const": kind.as_str() } }, "required": ["kind"] },
                    "then": { "required": kind.fields() },
                })
            })
            .collect();
        step["allOf"] = serde_json::Value::Array(rules);
    }
    schema
}
