//! Checks a parsed inventory and resolves it into the validated model.
//!
//! Structural problems (syntax, unknown or missing keys, wrong types) stop at
//! the first one, as serde reports it; every problem of meaning is collected,
//! located and sorted, so an operator fixes them all in one round.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use super::locate::{locate, parent};
use super::mailbox_list::{ListReader, Origin, Shape, StoreOf};
use super::model::{Capacity, Inventory, LastBackup, Mailbox, Policy, Rates, Server, ServerId};
use super::names::{Account, ServerName};
use super::profile::{GroupDef, MAILSTORE, Profile, RoleDef};
use super::raw::{EvacuatePolicy, MailboxFileFormat, RawInventory, RawPolicy, RawServer, Strategy};
use super::units::{Bytes, BytesPerSecond, Fraction, Seconds};
use super::version::{AgainstTarget, Version};
use crate::diagnostic::{Diagnostic, Refusal, Severity, did_you_mean};

/// An inventory whose text parsed, waiting for its mailbox lists.
#[derive(Debug)]
pub struct Document {
    pub(super) file: String,
    pub(super) text: String,
    pub(super) raw: RawInventory,
}

/// A mailbox list the inventory names, for the caller to fetch.
#[derive(Clone, Copy, Debug)]
pub struct MailboxFile<'a> {
    /// Its position in `mailbox_files`.
    pub index: usize,
    /// The path as written (relative to the inventory file unless absolute).
    pub path: &'a str,
    /// Its format.
    pub format: MailboxFileFormat,
}

/// The content of one mailbox list, as fetched by the caller.
#[derive(Clone, Debug)]
pub struct MailboxList<'a> {
    /// How to name the file in diagnostics.
    pub label: String,
    /// Its bytes, or why it could not be read.
    pub content: Result<&'a [u8], String>,
}

/// A valid inventory with the warnings found while checking it.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The validated inventory.
    pub(crate) inventory: Inventory,
    /// Warnings, sorted.
    pub(crate) warnings: Vec<Diagnostic>,
}

impl Checked {
    /// The validated inventory.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The warnings found while checking it, sorted.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Takes the inventory and the warnings apart.
    pub fn into_parts(self) -> (Inventory, Vec<Diagnostic>) {
        (self.inventory, self.warnings)
    }
}

impl From<Inventory> for Checked {
    /// A validated inventory with no warnings: only validation and the
    /// model's own methods make an [`Inventory`], so it is valid already.
    fn from(inventory: Inventory) -> Checked {
        Checked {
            inventory,
            warnings: Vec::new(),
        }
    }
}

/// Collects diagnostics with YAML paths until they can be located.
struct Ctx<'a> {
    file: &'a str,
    /// Diagnostics, each with its YAML path and whether to point at the key.
    found: Vec<(Diagnostic, Option<(String, bool)>)>,
}

impl Ctx<'_> {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Error, path.into(), message.into(), false)
    }

    fn key_error(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Error, path.into(), message.into(), true)
    }

    fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Warning, path.into(), message.into(), false)
    }

    fn push(
        &mut self,
        severity: Severity,
        path: String,
        message: String,
        at_key: bool,
    ) -> &mut Diagnostic {
        let mut d = Diagnostic::error(self.file, message).path(path.clone());
        d.severity = severity;
        self.found.push((d, Some((path, at_key))));
        let last = self.found.len() - 1;
        &mut self.found[last].0
    }

    /// A diagnostic already located in another file.
    fn external(&mut self, d: Diagnostic) {
        self.found.push((d, None));
    }

    fn has_errors(&self) -> bool {
        self.found
            .iter()
            .any(|(d, _)| d.severity == Severity::Error)
    }

    /// Locates every YAML path in the inventory text and sorts.
    fn finish(self, text: &str) -> Vec<Diagnostic> {
        let mut wanted = BTreeSet::new();
        for (_, where_) in &self.found {
            if let Some((path, at_key)) = where_ {
                if *at_key {
                    wanted.insert(format!("{path}@key"));
                }
                let mut p = Some(path.as_str());
                while let Some(q) = p {
                    wanted.insert(q.to_string());
                    p = parent(q);
                }
            }
        }
        let positions = locate(text, &wanted);
        let mut out = Vec::with_capacity(self.found.len());
        for (mut d, where_) in self.found {
            if let Some((path, at_key)) = where_ {
                let mut position = if at_key {
                    positions.get(&format!("{path}@key"))
                } else {
                    None
                };
                let mut p = Some(path.as_str());
                while position.is_none() {
                    let Some(q) = p else { break };
                    position = positions.get(q);
                    p = parent(q);
                }
                if let Some((line, column)) = position {
                    d = d.at(*line, *column);
                }
            }
            out.push(d);
        }
        crate::diagnostic::sort(&mut out);
        const SHOWN: usize = 200;
        if out.len() > SHOWN {
            let hidden = out.len() - SHOWN;
            let errors_hidden = out[SHOWN..]
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            out.truncate(SHOWN);
            let mut d =
                Diagnostic::error(self.file, format!("{hidden} more problems are not shown"));
            if errors_hidden == 0 {
                d.severity = Severity::Warning;
            }
            out.push(d);
        }
        out
    }
}

fn set_hint(d: &mut Diagnostic, hint: Option<String>) {
    if let Some(h) = hint {
        d.hint = Some(h);
    }
}

impl Document {
    /// A document made in code (no text): diagnostics carry paths but no
    /// line and column.
    pub(crate) fn from_raw(file: &str, raw: RawInventory) -> Document {
        Document {
            file: file.to_string(),
            text: String::new(),
            raw,
        }
    }

    /// The file name given to [`parse`](super::parse()).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The mailbox lists the inventory names, for the caller to fetch.
    pub fn mailbox_files(&self) -> Vec<MailboxFile<'_>> {
        self.raw
            .mailbox_files
            .iter()
            .enumerate()
            .map(|(index, f)| MailboxFile {
                index,
                path: &f.path,
                format: f.format,
            })
            .collect()
    }

    /// Checks everything and resolves the inventory. `lists` holds the
    /// content of each of [`Document::mailbox_files`], in the same order.
    pub fn validate(&self, lists: &[MailboxList<'_>]) -> Result<Checked, Refusal> {
        let mut ctx = Ctx {
            file: &self.file,
            found: Vec::new(),
        };
        let inventory = build(&self.raw, lists, &mut ctx);
        let failed = ctx.has_errors();
        let diagnostics = ctx.finish(&self.text);
        match inventory {
            Some(inventory) if !failed => Ok(Checked {
                inventory,
                warnings: diagnostics,
            }),
            _ => Err(Refusal::new(diagnostics)),
        }
    }
}

/// Builds the inventory, recording every problem in `ctx`; `None` when a
/// problem prevents building it at all.
fn build(raw: &RawInventory, lists: &[MailboxList<'_>], ctx: &mut Ctx<'_>) -> Option<Inventory> {
    if raw.format != 1 {
        ctx.error(
            "format",
            format!("unsupported inventory format {}", raw.format),
        )
        .hint = Some("this planner reads `format: 1`".into());
    }
    let target_version = Version::new(raw.target_version.trim());
    if raw.target_version.trim().is_empty() {
        ctx.error("target_version", "the target version is empty");
    }
    let profile = resolve_profile(raw, ctx);
    let policy = resolve_policy(&raw.policy, &profile, ctx);
    let servers = resolve_servers(raw, &profile, &target_version, ctx);
    check_unused_roles(raw, &profile, &servers, ctx);
    check_availability(&profile, &policy, &servers, ctx);
    check_cycles(&servers, ctx);
    let (mailboxes, origins) = resolve_mailboxes(raw, &servers, lists, ctx);
    let by_account = check_duplicates(raw, lists, &mailboxes, &origins, ctx);
    let inventory = Inventory {
        target_version,
        profile,
        policy,
        servers,
        mailboxes,
        by_account,
    };
    if !ctx.has_errors() {
        warn(raw, &inventory, ctx);
    }
    Some(inventory)
}

/// The profile with the inventory's role and group overrides.
fn resolve_profile(raw: &RawInventory, ctx: &mut Ctx<'_>) -> Profile {
    let mut profile = Profile::builtin(raw.profile);
    for (name, over) in &raw.roles {
        let path = format!("roles.{name}");
        if let Some(role) = profile.roles.iter_mut().find(|r| &r.name == name) {
            if over.after.is_some() && role.tier.is_some() {
                ctx.error(
                    format!("{path}.after"),
                    format!(
                        "`{name}` is a tier of the {} profile; its order cannot be changed",
                        profile.name.as_str()
                    ),
                )
                .hint = Some("add order between particular servers with `depends_on`".into());
            } else if let Some(after) = &over.after {
                role.after = after.clone();
            }
            apply_role(role, over);
        } else {
            let mut role = RoleDef {
                name: name.clone(),
                tier: None,
                after: over.after.clone().unwrap_or_default(),
                group: None,
                min_available: 1,
                max_unavailable: 1,
                drain: false,
                evacuate: false,
                note: String::new(),
            };
            apply_role(&mut role, over);
            profile.roles.push(role);
        }
    }
    // Roles an `after` names must exist.
    let names: Vec<String> = profile.roles.iter().map(|r| r.name.clone()).collect();
    for role in &profile.roles {
        for (k, wanted) in role.after.iter().enumerate() {
            if wanted == &role.name {
                ctx.error(
                    format!("roles.{}.after[{k}]", role.name),
                    format!("role `{wanted}` cannot wait for itself"),
                );
            } else if !names.contains(wanted) {
                let hint = did_you_mean(wanted, names.iter().map(String::as_str));
                let d = ctx.error(
                    format!("roles.{}.after[{k}]", role.name),
                    format!("unknown role `{wanted}`"),
                );
                set_hint(d, hint);
            }
        }
    }
    // Groups: overrides of known groups, new groups some role names, typos.
    let referenced: BTreeSet<String> = profile
        .roles
        .iter()
        .filter_map(|r| r.group.clone())
        .collect();
    for (name, over) in &raw.groups {
        if profile.group(name).is_none() && !referenced.contains(name) {
            let known: Vec<&str> = profile
                .groups
                .iter()
                .map(|g| g.name.as_str())
                .chain(referenced.iter().map(String::as_str))
                .collect();
            let hint = did_you_mean(name, known)
                .or_else(|| Some("a group takes effect when roles name it with `group:`".into()));
            let d = ctx.key_error(
                format!("groups.{name}"),
                format!("group `{name}` has no role"),
            );
            set_hint(d, hint);
            continue;
        }
        if profile.group(name).is_none() {
            profile.groups.push(GroupDef {
                name: name.clone(),
                min_available: 1,
                max_unavailable: 1,
            });
        }
        if let Some(group) = profile.groups.iter_mut().find(|g| &g.name == name) {
            if let Some(v) = over.min_available {
                group.min_available = v;
            }
            if let Some(v) = over.max_unavailable {
                group.max_unavailable = v;
            }
        }
    }
    for name in referenced {
        if profile.group(&name).is_none() {
            profile.groups.push(GroupDef {
                name,
                min_available: 1,
                max_unavailable: 1,
            });
        }
    }
    profile
}

fn apply_role(role: &mut RoleDef, over: &super::raw::RawRole) {
    if let Some(g) = &over.group {
        role.group = Some(g.clone());
    }
    if let Some(v) = over.min_available {
        role.min_available = v;
    }
    if let Some(v) = over.max_unavailable {
        role.max_unavailable = v;
    }
    if let Some(v) = over.drain {
        role.drain = v;
    }
    if let Some(v) = over.evacuate {
        role.evacuate = v;
    }
    if let Some(v) = &over.note {
        role.note = v.clone();
    }
}

/// Parses a unit value, recording a problem at `path`.
fn parse_unit<T>(
    ctx: &mut Ctx<'_>,
    path: &str,
    text: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Option<T> {
    match parse(text) {
        Ok(v) => Some(v),
        Err(message) => {
            ctx.error(path, message);
            None
        }
    }
}

/// The policy with defaults filled in.
fn resolve_policy(raw: &RawPolicy, profile: &Profile, ctx: &mut Ctx<'_>) -> Policy {
    let fraction = |ctx: &mut Ctx<'_>,
                    key: &str,
                    text: Option<&super::raw::FractionText>,
                    default: Fraction| {
        text.and_then(|t| parse_unit(ctx, &format!("policy.{key}"), t.text(), Fraction::parse))
            .unwrap_or(default)
    };
    let max_fill = fraction(ctx, "max_fill", raw.max_fill.as_ref(), Fraction(900_000));
    if !max_fill.is_valid_fill() {
        ctx.error(
            "policy.max_fill",
            format!("max_fill must be above 0% and at most 100%, not {max_fill}"),
        )
        .hint = Some("the default is 90%: leave room for growth and for the index".into());
    }
    let size_overhead = fraction(
        ctx,
        "size_overhead",
        raw.size_overhead.as_ref(),
        Fraction::ZERO,
    );
    let full_backup_max_age = raw
        .full_backup_max_age
        .as_ref()
        .and_then(|t| parse_unit(ctx, "policy.full_backup_max_age", t.text(), Seconds::parse))
        .unwrap_or(Seconds(7 * 86_400));
    let max_parallel_moves = raw.max_parallel_moves.unwrap_or(4);
    if max_parallel_moves == 0 {
        ctx.error(
            "policy.max_parallel_moves",
            "max_parallel_moves must be at least 1",
        );
    }
    let max_parallel_upgrades = raw.max_parallel_upgrades.unwrap_or(1);
    if max_parallel_upgrades == 0 {
        ctx.error(
            "policy.max_parallel_upgrades",
            "max_parallel_upgrades must be at least 1",
        );
    }
    let mut allow_outage = Vec::new();
    let known: Vec<&str> = profile
        .roles
        .iter()
        .map(|r| r.name.as_str())
        .chain(profile.groups.iter().map(|g| g.name.as_str()))
        .collect();
    for (i, name) in raw.allow_outage.iter().flatten().enumerate() {
        if known.contains(&name.as_str()) {
            allow_outage.push(name.clone());
        } else {
            let hint = did_you_mean(name, known.iter().copied());
            let d = ctx.error(
                format!("policy.allow_outage[{i}]"),
                format!("unknown role or group `{name}`"),
            );
            set_hint(d, hint);
        }
    }
    allow_outage.sort();
    allow_outage.dedup();
    let notify = raw
        .notify
        .as_ref()
        .and_then(|n| parse_unit(ctx, "policy.notify", n, Account::parse));
    let rates = raw.rates.as_ref().and_then(|r| {
        let copy = parse_unit(
            ctx,
            "policy.rates.copy",
            r.copy.text(),
            BytesPerSecond::parse,
        );
        let delta = parse_unit(
            ctx,
            "policy.rates.delta_fraction",
            r.delta_fraction.text(),
            Fraction::parse,
        );
        if delta.is_some_and(|d| d > Fraction::ONE) {
            ctx.error(
                "policy.rates.delta_fraction",
                "delta_fraction cannot be above 100%",
            );
        }
        let switch = parse_unit(
            ctx,
            "policy.rates.switch_per_account",
            r.switch_per_account.text(),
            Seconds::parse,
        );
        let upgrade = parse_unit(
            ctx,
            "policy.rates.upgrade",
            r.upgrade.text(),
            Seconds::parse,
        );
        Some(Rates {
            copy: copy?,
            delta_fraction: delta?,
            switch_per_account: switch?,
            upgrade: upgrade?,
        })
    });
    Policy {
        strategy: raw.strategy.unwrap_or(Strategy::Auto),
        max_fill,
        size_overhead,
        evacuate: raw.evacuate.unwrap_or(EvacuatePolicy::Always),
        move_by: raw.move_by.unwrap_or_default(),
        two_stage_moves: raw.two_stage_moves.unwrap_or(profile.two_stage_moves),
        backup: raw.backup.unwrap_or_default(),
        full_backup_max_age,
        max_parallel_moves,
        max_parallel_upgrades,
        cross_site_moves: raw.cross_site_moves.unwrap_or(false),
        allow_outage,
        notify,
        rates,
    }
}

/// Servers, with names, roles, versions and references resolved.
fn resolve_servers(
    raw: &RawInventory,
    profile: &Profile,
    target: &Version,
    ctx: &mut Ctx<'_>,
) -> Vec<Server> {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut servers = Vec::with_capacity(raw.servers.len());
    for (i, s) in raw.servers.iter().enumerate() {
        let server = resolve_server(i, s, profile, target, ctx);
        let key = s.name.trim().to_ascii_lowercase();
        if let Some(first) = by_name.get(&key) {
            ctx.error(
                format!("servers[{i}].name"),
                format!("duplicate server `{}`", s.name),
            )
            .hint = Some(format!(
                "it is also servers[{first}]; server names are unique, whatever their case"
            ));
        } else {
            by_name.insert(key, i);
        }
        servers.push(server);
    }
    let names: Vec<&str> = raw.servers.iter().map(|s| s.name.as_str()).collect();
    for (i, s) in raw.servers.iter().enumerate() {
        let mut deps = Vec::new();
        let mut reported: BTreeSet<String> = BTreeSet::new();
        for (k, dep) in s.depends_on.iter().enumerate() {
            let path = format!("servers[{i}].depends_on[{k}]");
            if !reported.insert(dep.trim().to_ascii_lowercase()) {
                // Each name is checked once per server.
                continue;
            }
            match by_name.get(&dep.trim().to_ascii_lowercase()) {
                Some(&j) if j == i => {
                    ctx.error(path, format!("server `{}` depends on itself", s.name));
                }
                Some(&j) => deps.push(ServerId(j as u32)),
                None => {
                    let hint = did_you_mean(dep, names.iter().copied());
                    let d = ctx.error(
                        path,
                        format!("unknown server `{dep}` in depends_on of `{}`", s.name),
                    );
                    set_hint(d, hint);
                }
            }
        }
        deps.sort();
        deps.dedup();
        servers[i].depends_on = deps;
    }
    servers
}

fn resolve_server(
    i: usize,
    s: &RawServer,
    profile: &Profile,
    target: &Version,
    ctx: &mut Ctx<'_>,
) -> Server {
    let path = format!("servers[{i}]");
    let name = match ServerName::parse(s.name.trim()) {
        Ok(n) => n,
        Err(message) => {
            ctx.error(format!("{path}.name"), message);
            ServerName::placeholder(i)
        }
    };
    let mut roles: Vec<String> = Vec::new();
    if s.roles.is_empty() {
        ctx.error(
            format!("{path}.roles"),
            format!("server `{}` has no role", s.name),
        )
        .hint = Some("give it one or more roles, such as [mailstore]".into());
    }
    for (k, role) in s.roles.iter().enumerate() {
        if profile.role(role).is_some() {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        } else {
            let hint =
                did_you_mean(role, profile.roles.iter().map(|r| r.name.as_str())).or_else(|| {
                    Some(format!(
                        "the {} profile knows {}; define other roles under `roles`",
                        profile.name.as_str(),
                        profile
                            .roles
                            .iter()
                            .map(|r| r.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                });
            let d = ctx.error(
                format!("{path}.roles[{k}]"),
                format!("unknown role `{role}` on server `{}`", s.name),
            );
            set_hint(d, hint);
        }
    }
    roles.sort_by_key(|r| profile.role_rank(r));
    let version = Version::new(s.version.trim());
    let status = if s.version.trim().is_empty() {
        ctx.error(
            format!("{path}.version"),
            format!("server `{}` has an empty version", s.name),
        );
        AgainstTarget::Below
    } else {
        match version.against(target) {
            AgainstTarget::Above => {
                ctx.error(
                    format!("{path}.version"),
                    format!("server `{}` runs {version}, newer than the target {target}", s.name),
                )
                .hint = Some("the planner never plans a downgrade: raise target_version or correct this version".into());
                AgainstTarget::At
            }
            other => other,
        }
    };
    let site = s.site.as_ref().map(|t| t.trim().to_string());
    if site.as_deref() == Some("") {
        ctx.error(format!("{path}.site"), "the site name is empty");
    }
    let is_mailstore = roles.iter().any(|r| r == MAILSTORE);
    let capacity = match &s.capacity {
        None => {
            if is_mailstore {
                ctx.error(
                    path.clone(),
                    format!("mailstore `{}` has no capacity", s.name),
                )
                .hint = Some(
                    "add `capacity: { disk: 4TiB, mailboxes: 20000 }` (mailboxes is optional)"
                        .into(),
                );
            }
            None
        }
        Some(c) => {
            if !is_mailstore && !s.roles.is_empty() && roles.len() == s.roles.len() {
                ctx.warning(
                    format!("{path}.capacity"),
                    format!("`{}` is not a mailstore; its capacity is ignored", s.name),
                );
            }
            let disk = parse_unit(
                ctx,
                &format!("{path}.capacity.disk"),
                c.disk.text(),
                Bytes::parse,
            );
            if disk == Some(Bytes::ZERO) {
                ctx.error(
                    format!("{path}.capacity.disk"),
                    "a mailstore's disk capacity must be more than 0",
                );
            }
            if c.mailboxes == Some(0) {
                ctx.error(
                    format!("{path}.capacity.mailboxes"),
                    "a mailstore's mailbox capacity must be at least 1",
                );
            }
            disk.map(|disk| Capacity {
                disk,
                mailboxes: c.mailboxes,
            })
        }
    };
    if s.spare && !is_mailstore && roles.len() == s.roles.len() && !s.roles.is_empty() {
        ctx.warning(
            format!("{path}.spare"),
            format!("`{}` is not a mailstore; `spare` is ignored", s.name),
        );
    }
    let mut last_backup = LastBackup::default();
    if let Some(lb) = &s.last_backup {
        let time = |ctx: &mut Ctx<'_>, key: &str, t: Option<&super::raw::TimeText>| {
            let t = t?;
            match jiff::Timestamp::from_str(t.text().trim()) {
                Ok(ts) => Some(ts),
                Err(_) => {
                    ctx.error(
                        format!("{path}.last_backup.{key}"),
                        format!("`{}` is not an RFC 3339 time", t.text()),
                    )
                    .hint = Some("write it like 2026-11-22T01:00:00Z".into());
                    None
                }
            }
        };
        last_backup.full = time(ctx, "full", lb.full.as_ref());
        last_backup.incremental = time(ctx, "incremental", lb.incremental.as_ref());
    }
    Server {
        name,
        roles,
        version,
        status,
        site,
        depends_on: Vec::new(),
        capacity,
        spare: s.spare,
        evacuate: s.evacuate,
        last_backup,
    }
}

/// A role defined under `roles` that no server has and the profile does not know.
fn check_unused_roles(
    raw: &RawInventory,
    profile: &Profile,
    servers: &[Server],
    ctx: &mut Ctx<'_>,
) {
    let builtin = Profile::builtin(profile.name);
    for name in raw.roles.keys() {
        if builtin.role(name).is_some() || servers.iter().any(|s| s.has_role(name)) {
            continue;
        }
        let known = builtin.roles.iter().map(|r| r.name.as_str());
        let hint =
            did_you_mean(name, known).or_else(|| Some("remove it, or give it to a server".into()));
        let d = ctx.key_error(
            format!("roles.{name}"),
            format!("role `{name}` is defined but no server has it, and the {} profile does not know it", profile.name.as_str()),
        );
        set_hint(d, hint);
    }
}

/// Roles or groups that cannot upgrade one server at a time and keep enough up.
fn check_availability(profile: &Profile, policy: &Policy, servers: &[Server], ctx: &mut Ctx<'_>) {
    for u in profile.availability_units() {
        let (unit, roles, min_available, max_unavailable) =
            (u.name, u.roles, u.min_available, u.max_unavailable);
        let members: Vec<(usize, &Server)> = servers
            .iter()
            .enumerate()
            .filter(|(_, s)| roles.iter().any(|r| s.has_role(r)))
            .collect();
        if !members.iter().any(|(_, s)| s.needs_upgrade()) {
            continue;
        }
        let allowed = policy.allow_outage.contains(&unit)
            || roles.iter().any(|r| policy.allow_outage.contains(r));
        if allowed {
            continue;
        }
        let is_group = roles.len() > 1 || roles[0] != unit;
        let what = if is_group {
            format!("group `{unit}` ({})", roles.join(", "))
        } else {
            format!("role `{unit}`")
        };
        let first = members[0].0;
        let names: Vec<&str> = members.iter().map(|(_, s)| s.name.as_str()).collect();
        if max_unavailable == 0 {
            ctx.error(
                format!("servers[{first}].roles"),
                format!("{what} allows no server down (max_unavailable: 0), so none can upgrade"),
            )
            .hint = Some(format!(
                "raise max_unavailable, or accept the outage with `allow_outage: [{unit}]`"
            ));
        } else if (members.len() as u64) < u64::from(min_available) + 1 {
            let count = members.len();
            ctx.error(
                format!("servers[{first}].roles"),
                format!(
                    "{what} has {count} server{} ({}) and needs {min_available} up at all times: upgrading one leaves {}",
                    if count == 1 { "" } else { "s" },
                    names.join(", "),
                    count - 1
                ),
            )
            .hint = Some(format!("add another server with that role, or accept the outage with `allow_outage: [{unit}]`"));
        }
    }
}

/// Cycles among `depends_on` edges, each named in order.
fn check_cycles(servers: &[Server], ctx: &mut Ctx<'_>) {
    let successors: Vec<Vec<usize>> = servers
        .iter()
        .map(|s| s.depends_on.iter().map(|d| d.index()).collect())
        .collect();
    for cycle in crate::cycles::find(&successors) {
        let cycle = cycle.nodes;
        let first = cycle[0];
        let mut names: Vec<&str> = cycle.iter().map(|i| servers[*i].name.as_str()).collect();
        names.push(servers[first].name.as_str());
        ctx.error(
            format!("servers[{first}].depends_on"),
            format!(
                "depends_on forms a cycle: {} (each depends on the next)",
                names.join(" → ")
            ),
        )
        .hint = Some("remove one of these depends_on entries".into());
    }
}

/// Inline mailboxes, then each list, in order.
fn resolve_mailboxes(
    raw: &RawInventory,
    servers: &[Server],
    lists: &[MailboxList<'_>],
    ctx: &mut Ctx<'_>,
) -> (Vec<Mailbox>, Vec<Origin>) {
    let mut all_servers: HashMap<String, ServerId> = HashMap::new();
    let mut mailstores: HashMap<String, ServerId> = HashMap::new();
    for (i, s) in servers.iter().enumerate() {
        let id = ServerId(i as u32);
        all_servers.entry(s.name.as_str().to_string()).or_insert(id);
        if s.is_mailstore() {
            mailstores.entry(s.name.as_str().to_string()).or_insert(id);
        }
    }
    let store_names: Vec<&str> = {
        let mut v: Vec<&str> = mailstores.keys().map(String::as_str).collect();
        v.sort();
        v
    };
    let find_store = |ctx: &mut Ctx<'_>, path: String, name: &str| -> Option<ServerId> {
        let key = name.trim().to_ascii_lowercase();
        if let Some(id) = mailstores.get(&key) {
            return Some(*id);
        }
        if all_servers.contains_key(&key) {
            ctx.error(path, format!("`{name}` is not a mailstore")).hint =
                Some("mailboxes can only be on servers with the mailstore role".into());
        } else {
            let hint = did_you_mean(name, store_names.iter().copied());
            let d = ctx.error(path, format!("unknown store `{name}`"));
            set_hint(d, hint);
        }
        None
    };

    let mut mailboxes = Vec::with_capacity(raw.mailboxes.len());
    let mut origins = Vec::with_capacity(raw.mailboxes.len());
    for (i, m) in raw.mailboxes.iter().enumerate() {
        let path = format!("mailboxes[{i}]");
        let account = parse_unit(
            ctx,
            &format!("{path}.account"),
            m.account.trim(),
            Account::parse,
        );
        let store = find_store(ctx, format!("{path}.store"), &m.store);
        let size = parse_unit(ctx, &format!("{path}.size"), m.size.text(), Bytes::parse);
        if let (Some(account), Some(store), Some(size)) = (account, store, size) {
            mailboxes.push(Mailbox {
                account,
                store,
                size,
                assumed: false,
            });
            origins.push(Origin {
                source: 0,
                line: i as u32,
            });
        }
    }

    for (i, entry) in raw.mailbox_files.iter().enumerate() {
        let path = format!("mailbox_files[{i}]");
        if entry.path.trim().is_empty() {
            ctx.error(format!("{path}.path"), "the path is empty");
        }
        let store = match (entry.format, &entry.store) {
            (MailboxFileFormat::Csv, Some(_)) => {
                ctx.error(
                    format!("{path}.store"),
                    "a csv list names the store on each line",
                )
                .hint = Some("remove `store` from this entry".into());
                None
            }
            (MailboxFileFormat::Csv, None) => None,
            (format, None) => {
                ctx.error(
                    path.clone(),
                    format!(
                        "a {} list needs `store`: the server it lists",
                        format.as_str()
                    ),
                );
                None
            }
            (_, Some(name)) => find_store(ctx, format!("{path}.store"), name),
        };
        let assumed = match (entry.format, &entry.assumed_size) {
            (MailboxFileFormat::Accounts, None) => {
                ctx.error(
                    path.clone(),
                    "an accounts list needs `assumed_size`: the size to assume for each account",
                )
                .hint = Some(
                    "or export real sizes with `zmprov gqu SERVER` and use format zmprov-gqu"
                        .into(),
                );
                None
            }
            (MailboxFileFormat::Accounts, Some(size)) => parse_unit(
                ctx,
                &format!("{path}.assumed_size"),
                size.text(),
                Bytes::parse,
            ),
            (_, Some(_)) => {
                ctx.error(
                    format!("{path}.assumed_size"),
                    "assumed_size applies only to accounts lists",
                );
                None
            }
            (_, None) => None,
        };
        let Some(list) = lists.get(i) else {
            ctx.error(
                format!("{path}.path"),
                format!("mailbox file `{}` was not provided", entry.path),
            );
            continue;
        };
        let bytes = match &list.content {
            Ok(b) => *b,
            Err(why) => {
                ctx.error(
                    format!("{path}.path"),
                    format!("cannot read mailbox file `{}`: {why}", list.label),
                )
                .hint = Some("paths are relative to the inventory file unless absolute".into());
                continue;
            }
        };
        let (shape, store_of) = match entry.format {
            MailboxFileFormat::Csv => (
                Shape::Csv,
                StoreOf::PerLine {
                    mailstores: &mailstores,
                    servers: &all_servers,
                },
            ),
            MailboxFileFormat::ZmprovGqu => match store {
                Some(id) => (Shape::Gqu, StoreOf::Fixed(id)),
                None => continue,
            },
            MailboxFileFormat::Accounts => match (store, assumed) {
                (Some(id), Some(size)) => (Shape::Accounts(size), StoreOf::Fixed(id)),
                _ => continue,
            },
        };
        let mut found = Vec::new();
        ListReader {
            label: &list.label,
            source: (i + 1) as u32,
            shape,
            store: store_of,
        }
        .read(bytes, &mut mailboxes, &mut origins, &mut found);
        for d in found {
            ctx.external(d);
        }
    }
    (mailboxes, origins)
}

/// Accounts listed more than once, wherever they are listed.
/// Reports accounts listed more than once; returns the mailboxes sorted by
/// account, which planning reuses.
fn check_duplicates(
    raw: &RawInventory,
    lists: &[MailboxList<'_>],
    mailboxes: &[Mailbox],
    origins: &[Origin],
    ctx: &mut Ctx<'_>,
) -> Vec<u32> {
    const SHOWN: usize = 50;
    // Sort by account. The first 16 bytes of each account, big-endian in a
    // u128, decide most comparisons without following a pointer; the whole
    // names break the ties (zero padding sorts a shorter prefix first, as
    // string order does).
    let prefix = |m: &Mailbox| -> u128 {
        let mut key = [0u8; 16];
        let bytes = m.account.as_str().as_bytes();
        let n = bytes.len().min(16);
        key[..n].copy_from_slice(&bytes[..n]);
        u128::from_be_bytes(key)
    };
    let mut keyed: Vec<(u128, u32)> = mailboxes
        .iter()
        .enumerate()
        .map(|(i, m)| (prefix(m), i as u32))
        .collect();
    keyed.sort_unstable_by(|(ka, a), (kb, b)| {
        ka.cmp(kb).then_with(|| {
            mailboxes[*a as usize]
                .account
                .cmp(&mailboxes[*b as usize].account)
                .then(a.cmp(b))
        })
    });
    let order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
    let describe = |o: &Origin| -> String {
        if o.source == 0 {
            format!("mailboxes[{}]", o.line)
        } else {
            let label = lists.get(o.source as usize - 1).map_or_else(
                || raw.mailbox_files[o.source as usize - 1].path.clone(),
                |l| l.label.clone(),
            );
            format!("{label}:{}", o.line)
        }
    };
    let mut shown = 0;
    let mut more = 0;
    let mut first = 0usize;
    for (k, pair) in order.windows(2).enumerate() {
        let second = pair[1] as usize;
        if mailboxes[pair[0] as usize].account != mailboxes[second].account {
            continue;
        }
        // The first listing of this account starts the run of equal ones.
        if k == 0 || mailboxes[order[k - 1] as usize].account != mailboxes[second].account {
            first = pair[0] as usize;
        }
        if shown >= SHOWN {
            more += 1;
            continue;
        }
        shown += 1;
        let account = &mailboxes[second].account;
        let message = format!("account `{account}` is listed twice");
        let hint = format!(
            "it is also at {}; an account is on exactly one store",
            describe(&origins[first])
        );
        let o = origins[second];
        if o.source == 0 {
            ctx.error(format!("mailboxes[{}].account", o.line), message)
                .hint = Some(hint);
        } else {
            let label = describe(&Origin { line: 0, ..o });
            let label = label.trim_end_matches(":0").to_string();
            ctx.external(Diagnostic::error(label, message).at(o.line, 1).hint(hint));
        }
    }
    if more > 0 {
        ctx.error(
            "mailboxes",
            format!("{more} more accounts listed twice are not shown"),
        );
    }
    order
}

/// The warnings of a valid inventory.
fn warn(raw: &RawInventory, inventory: &Inventory, ctx: &mut Ctx<'_>) {
    let loads = inventory.store_loads();
    for (i, server) in inventory.servers.iter().enumerate() {
        let id = ServerId(i as u32);
        let (Some(ceiling), Some(capacity)) = (inventory.ceiling(id), server.capacity) else {
            continue;
        };
        let load = loads[i];
        if load.bytes > ceiling.bytes {
            ctx.warning(
                format!("servers[{i}]"),
                format!(
                    "store `{}` holds {} ({} of {}), above max_fill {}",
                    server.name,
                    load.bytes,
                    Fraction::ratio(load.bytes.0, capacity.disk.0),
                    capacity.disk,
                    inventory.policy.max_fill
                ),
            )
            .hint = Some("it receives no mailbox until it is below its ceiling".into());
        }
        if load.mailboxes > ceiling.mailboxes {
            ctx.warning(
                format!("servers[{i}]"),
                format!(
                    "store `{}` serves {} mailboxes, above max_fill {} of its {}",
                    server.name,
                    load.mailboxes,
                    inventory.policy.max_fill,
                    capacity.mailboxes.unwrap_or(0)
                ),
            )
            .hint = Some("it receives no mailbox until it is below its ceiling".into());
        }
    }
    // Sizes assumed from accounts lists, counted per store in one pass.
    let mut assumed_on: Vec<(usize, Bytes)> = vec![(0, Bytes::ZERO); inventory.servers.len()];
    for m in inventory.mailboxes.iter().filter(|m| m.assumed) {
        let entry = &mut assumed_on[m.store.index()];
        if entry.0 == 0 {
            entry.1 = m.size;
        }
        entry.0 += 1;
    }
    for (i, entry) in raw.mailbox_files.iter().enumerate() {
        if entry.format != MailboxFileFormat::Accounts {
            continue;
        }
        let Some(store) = entry.store.as_deref().and_then(|s| inventory.server_id(s)) else {
            continue;
        };
        let (count, size) = assumed_on[store.index()];
        ctx.warning(
            format!("mailbox_files[{i}].assumed_size"),
            format!(
                "the sizes of the {count} mailboxes listed for `{}` are assumed ({size} each), not measured",
                inventory.server(store).name
            ),
        )
        .hint = Some("capacity checks are only as good as this guess; `zmprov gqu SERVER` gives real sizes".into());
    }
    // System accounts on stores that will be emptied.
    let mailstore_evacuates = inventory
        .profile
        .role(MAILSTORE)
        .is_some_and(|r| r.evacuate);
    // One pass over the mailboxes: a million of them on 200 stores must not
    // be scanned once per store.
    let mut system_on: Vec<Vec<&str>> = vec![Vec::new(); inventory.servers.len()];
    for m in &inventory.mailboxes {
        if m.account.is_system() {
            system_on[m.store.index()].push(m.account.as_str());
        }
    }
    for (i, server) in inventory.servers.iter().enumerate() {
        let emptied = server.is_mailstore()
            && server.needs_upgrade()
            && mailstore_evacuates
            && inventory.policy.evacuate == EvacuatePolicy::Always
            && server.evacuate != Some(false);
        if !emptied {
            continue;
        }
        let system = &system_on[i];
        if system.is_empty() {
            continue;
        }
        let mut names = system
            .iter()
            .take(4)
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if system.len() > 4 {
            names.push_str(&format!(" and {} more", system.len() - 4));
        }
        ctx.warning(
            format!("servers[{i}]"),
            format!(
                "{} system account{} on `{}` will move: {names}",
                system.len(),
                if system.len() == 1 { "" } else { "s" },
                server.name
            ),
        )
        .hint = Some(
            "check them after the move (a GAL sync account's data source names its server)".into(),
        );
    }
    // A single directory master pauses writes while it upgrades.
    let masters: Vec<usize> = inventory
        .servers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.has_role(inventory.profile.directory_master))
        .map(|(i, _)| i)
        .collect();
    if let [only] = masters[..] {
        let group_size = inventory
            .servers
            .iter()
            .filter(|s| {
                s.roles.iter().any(|r| {
                    inventory.profile.role(r).and_then(|d| d.group.as_deref())
                        == Some(inventory.profile.directory_group)
                })
            })
            .count();
        if inventory.servers[only].needs_upgrade() && group_size > 1 {
            ctx.warning(
                format!("servers[{only}]"),
                format!(
                    "`{}` is the only directory master: directory writes pause while it upgrades",
                    inventory.servers[only].name
                ),
            )
            .hint = Some(
                "replicas keep serving reads; schedule the master's upgrade in a quiet hour".into(),
            );
        }
    }
}
