//! Resolves each server on its own: name, roles, version, site, capacity,
//! spare flag and last backups.
//!
//! Each server is checked apart from the others, so a bad field yields its
//! own problem (a bad name, a placeholder in its place) and the rest of the
//! inventory is still checked in the same round. References between servers
//! (`depends_on`) are resolved in [`super::dependencies`] once every name is
//! known.

use std::collections::HashMap;
use std::str::FromStr;

use super::{Ctx, dependencies, parse_unit, set_hint};
use crate::diagnostic::did_you_mean;
use crate::inventory::model::{Capacity, LastBackup, Server};
use crate::inventory::names::ServerName;
use crate::inventory::profile::{MAILSTORE, Profile};
use crate::inventory::raw::{RawCapacity, RawInventory, RawServer, TimeText};
use crate::inventory::units::Bytes;
use crate::inventory::version::{AgainstTarget, Version};

/// Servers, with names, roles, versions and references resolved.
pub(super) fn resolve_servers(
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
    dependencies::resolve_depends_on(raw, &by_name, &mut servers, ctx);
    servers
}

/// One server, every field checked; `depends_on` is left empty for
/// [`dependencies::resolve_depends_on`].
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
    let roles = resolve_roles(&path, s, profile, ctx);
    let version = Version::new(s.version.trim());
    let status = resolve_status(&path, s, &version, target, ctx);
    let site = s.site.as_ref().map(|t| t.trim().to_string());
    if site.as_deref() == Some("") {
        ctx.error(format!("{path}.site"), "the site name is empty");
    }
    let is_mailstore = roles.iter().any(|r| r == MAILSTORE);
    // "Not a mailstore" is only certain when every role listed was known and
    // listed once; otherwise the error about the roles says enough.
    let roles_certain = !s.roles.is_empty() && roles.len() == s.roles.len();
    let capacity = resolve_capacity(&path, s, is_mailstore, roles_certain, ctx);
    if s.spare && !is_mailstore && roles_certain {
        ctx.warning(
            format!("{path}.spare"),
            format!("`{}` is not a mailstore; `spare` is ignored", s.name),
        );
    }
    let last_backup = resolve_last_backup(&path, s, ctx);
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

/// The server's known roles, each once, in the profile's order.
fn resolve_roles(path: &str, s: &RawServer, profile: &Profile, ctx: &mut Ctx<'_>) -> Vec<String> {
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
            let hint = crate::inventory::profile::service_hint(profile.name, role)
                .or_else(|| did_you_mean(role, profile.roles.iter().map(|r| r.name.as_str())))
                .or_else(|| {
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
    roles
}

/// Where the server's version stands against the target. An empty version
/// counts as below (so the server is planned), and a newer one as at (so
/// nothing plans a downgrade); both are errors anyway.
fn resolve_status(
    path: &str,
    s: &RawServer,
    version: &Version,
    target: &Version,
    ctx: &mut Ctx<'_>,
) -> AgainstTarget {
    if s.version.trim().is_empty() {
        ctx.error(
            format!("{path}.version"),
            format!("server `{}` has an empty version", s.name),
        );
        return AgainstTarget::Below;
    }
    match version.against(target) {
        AgainstTarget::Above => {
            ctx.error(
                format!("{path}.version"),
                format!(
                    "server `{}` runs {version}, newer than the target {target}",
                    s.name
                ),
            )
            .hint = Some(
                "the planner never plans a downgrade: raise target_version or correct this version"
                    .into(),
            );
            AgainstTarget::At
        }
        other => other,
    }
}

/// The capacity a mailstore needs; a capacity on another server is ignored,
/// with a warning when its roles say for certain it is not a mailstore.
fn resolve_capacity(
    path: &str,
    s: &RawServer,
    is_mailstore: bool,
    roles_certain: bool,
    ctx: &mut Ctx<'_>,
) -> Option<Capacity> {
    let Some(c) = &s.capacity else {
        if is_mailstore {
            ctx.error(path, format!("mailstore `{}` has no capacity", s.name))
                .hint = Some(
                "add `capacity: { disk: 4TiB, mailboxes: 20000 }` (mailboxes is optional)".into(),
            );
        }
        return None;
    };
    if !is_mailstore && roles_certain {
        ctx.warning(
            format!("{path}.capacity"),
            format!("`{}` is not a mailstore; its capacity is ignored", s.name),
        );
    }
    parse_capacity(path, c, ctx)
}

/// The capacity as written; `None` when its disk size does not parse.
fn parse_capacity(path: &str, c: &RawCapacity, ctx: &mut Ctx<'_>) -> Option<Capacity> {
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

/// The times of the last full and incremental backups, which decide the
/// kind of backup taken before the server is touched.
fn resolve_last_backup(path: &str, s: &RawServer, ctx: &mut Ctx<'_>) -> LastBackup {
    let mut last_backup = LastBackup::default();
    if let Some(lb) = &s.last_backup {
        last_backup.full = parse_time(ctx, path, "full", lb.full.as_ref());
        last_backup.incremental = parse_time(ctx, path, "incremental", lb.incremental.as_ref());
    }
    last_backup
}

/// An RFC 3339 time under `last_backup`, recording a problem when it is not one.
fn parse_time(
    ctx: &mut Ctx<'_>,
    path: &str,
    key: &str,
    t: Option<&TimeText>,
) -> Option<jiff::Timestamp> {
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
}
