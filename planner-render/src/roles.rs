//! Which servers serve the directory, read from the plan's structured fields.
//!
//! The Markdown document (pre-checks, rollback phases, commands) and the
//! script (the replication check) both need to know it. They never read it
//! from a step's `why`: the plan says each server's roles in `servers`, the
//! profile it names says which roles serve the directory, and a directory
//! server's health check lists `zmreplchk` in its `checks`.

use std::collections::BTreeSet;

use planner_core::inventory::{Profile, ProfileName};
use planner_core::plan::{Plan, StepKind};

/// The health check that directory servers, and only they, run.
pub(crate) const REPLICATION_CHECK: &str = "zmreplchk";

/// The built-in profile the plan names, if it names one.
pub(crate) fn profile(plan: &Plan) -> Option<Profile> {
    [ProfileName::Zimbra, ProfileName::Carbonio]
        .into_iter()
        .find(|name| name.as_str() == plan.profile)
        .map(Profile::builtin)
}

/// The directory servers of the plan: those of `servers` with a role the
/// profile counts as a directory role, and those whose health check runs
/// the replication check (which is all a plan without `servers` says).
pub(crate) fn directory_servers(plan: &Plan) -> BTreeSet<&str> {
    let mut directory: BTreeSet<&str> = BTreeSet::new();
    if let Some(profile) = profile(plan) {
        directory.extend(
            plan.servers
                .iter()
                .filter(|(_, s)| profile.serves_directory(&s.roles))
                .map(|(name, _)| name.as_str()),
        );
    }
    let checked = plan
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| s.kind == StepKind::Upgrade)
        .filter(|s| {
            s.checks
                .as_ref()
                .is_some_and(|c| c.iter().any(|c| c == REPLICATION_CHECK))
        })
        .filter_map(|s| s.server.as_deref());
    directory.extend(checked);
    directory
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn directory_servers_come_from_roles_and_checks() {
        let mut plan = testing::plan();
        assert_eq!(
            directory_servers(&plan),
            BTreeSet::from(["ldap1.example.com", "ldap2.example.com"])
        );
        // A plan without `servers` still names them through its checks.
        plan.servers.clear();
        assert_eq!(
            directory_servers(&plan),
            BTreeSet::from(["ldap2.example.com"])
        );
    }
}
