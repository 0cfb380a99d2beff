//! Refuses roles and groups that cannot upgrade one server at a time.
//!
//! A rolling upgrade takes one server of a role or group down at a time; if
//! that already breaks the role's or group's availability rules, no plan can
//! be safe. Saying so at validation, with the servers named, beats a planner
//! that stalls; an operator who accepts the outage says so in
//! `allow_outage`.

use crate::inventory::model::{Policy, Server};
use crate::inventory::profile::Profile;

use super::Ctx;

/// Roles or groups that cannot upgrade one server at a time and keep enough up.
pub(super) fn check_availability(
    profile: &Profile,
    policy: &Policy,
    servers: &[Server],
    ctx: &mut Ctx<'_>,
) {
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
        let allowed = policy.accepts_outage(&unit, &roles);
        let what = describe(&unit, &roles);
        let first = members[0].0;
        // `allow_outage` relaxes min_available only: max_unavailable holds.
        if max_unavailable == 0 {
            ctx.error(
                format!("servers[{first}].roles"),
                format!("{what} allows no server down (max_unavailable: 0), so none can upgrade"),
            )
            .hint = Some("raise max_unavailable to 1 or more".to_string());
        } else if !allowed && (members.len() as u64) < u64::from(min_available) + 1 {
            let names: Vec<&str> = members.iter().map(|(_, s)| s.name.as_str()).collect();
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

/// How a unit is named in a message: a group lists its roles, since the
/// operator wrote roles on servers, not groups.
fn describe(unit: &str, roles: &[String]) -> String {
    let is_group = roles.len() > 1 || roles[0] != unit;
    if is_group {
        format!("group `{unit}` ({})", roles.join(", "))
    } else {
        format!("role `{unit}`")
    }
}
