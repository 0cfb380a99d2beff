//! Applies the inventory's `roles` and `groups` to its built-in profile.
//!
//! A profile (Zimbra, Carbonio) knows its roles, their tiers and groups; an
//! inventory may tune them or add roles of its own. These checks exist
//! because an override is easy to misspell: a role that waits for an unknown
//! one, a group no role belongs to, or a role no server has would otherwise
//! change nothing, silently.

use std::collections::BTreeSet;

use super::{Ctx, set_hint};
use crate::diagnostic::did_you_mean;
use crate::inventory::model::Server;
use crate::inventory::profile::{GroupDef, Profile, RoleDef};
use crate::inventory::raw::{RawInventory, RawRole};

/// The profile with the inventory's role and group overrides.
pub(super) fn resolve_profile(raw: &RawInventory, ctx: &mut Ctx<'_>) -> Profile {
    let mut profile = Profile::builtin(raw.profile);
    apply_role_overrides(raw, &mut profile, ctx);
    check_after(&profile, ctx);
    apply_group_overrides(raw, &mut profile, ctx);
    profile
}

/// Tunes the roles the profile knows and adds the ones it does not.
fn apply_role_overrides(raw: &RawInventory, profile: &mut Profile, ctx: &mut Ctx<'_>) {
    for (name, over) in &raw.roles {
        let path = format!("roles.{name}");
        if let Some(role) = profile.roles.iter_mut().find(|r| &r.name == name) {
            // A tier's place in the order is what makes the profile safe, so
            // only its other settings can be tuned.
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
            profile.roles.push(new_role(name, over));
        }
    }
}

/// A role the profile does not know, with the defaults of a plain role.
fn new_role(name: &str, over: &RawRole) -> RoleDef {
    let mut role = RoleDef {
        name: name.to_string(),
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
    role
}

fn apply_role(role: &mut RoleDef, over: &RawRole) {
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

/// Roles an `after` names must exist, and no role waits for itself.
fn check_after(profile: &Profile, ctx: &mut Ctx<'_>) {
    let names: Vec<String> = profile.roles.iter().map(|r| r.name.clone()).collect();
    for role in &profile.roles {
        for (k, wanted) in role.after.iter().enumerate() {
            if wanted == &role.name {
                ctx.error(
                    format!("roles.{}.after[{k}]", role.name),
                    format!("role `{wanted}` cannot wait for itself"),
                );
            } else if !names.contains(wanted) {
                let hint = crate::inventory::profile::service_hint(profile.name, wanted)
                    .or_else(|| did_you_mean(wanted, names.iter().map(String::as_str)));
                let d = ctx.error(
                    format!("roles.{}.after[{k}]", role.name),
                    format!("unknown role `{wanted}`"),
                );
                set_hint(d, hint);
            }
        }
    }
}

/// Groups: overrides of known groups, new groups some role names, typos.
fn apply_group_overrides(raw: &RawInventory, profile: &mut Profile, ctx: &mut Ctx<'_>) {
    let referenced: BTreeSet<String> = profile
        .roles
        .iter()
        .filter_map(|r| r.group.clone())
        .collect();
    for (name, over) in &raw.groups {
        if profile.group(name).is_none() && !referenced.contains(name) {
            report_group_without_role(name, profile, &referenced, ctx);
            continue;
        }
        if profile.group(name).is_none() {
            profile.groups.push(new_group(name.clone()));
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
    // A group that roles name but `groups` does not tune still exists, with
    // the defaults, so availability checks see it.
    for name in referenced {
        if profile.group(&name).is_none() {
            profile.groups.push(new_group(name));
        }
    }
}

/// A group the profile does not know, with the defaults of a plain group.
fn new_group(name: String) -> GroupDef {
    GroupDef {
        name,
        min_available: 1,
        max_unavailable: 1,
    }
}

/// A group under `groups` that neither the profile nor any role knows:
/// most often a typo, so the hint offers the nearest known name.
fn report_group_without_role(
    name: &str,
    profile: &Profile,
    referenced: &BTreeSet<String>,
    ctx: &mut Ctx<'_>,
) {
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
}

/// A role defined under `roles` that no server has and the profile does not know.
pub(super) fn check_unused_roles(
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
