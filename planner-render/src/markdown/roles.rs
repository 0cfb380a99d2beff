//! Which servers play which part, for the pre-checks, the rollback phases and
//! the commands: directory servers, MTAs, mailstores, and the nodes users
//! reach through a load balancer or MX rotation.
//!
//! Everything here comes from the plan's structured fields, never from the
//! wording of a step: each server's roles in `servers`, the profile the plan
//! names, the health checks' `checks`, the placement's stores and the drain
//! steps. A plan written before `servers` existed says less: its directory
//! servers are those whose health check runs `zmreplchk`, its mailstores
//! those of the placement, its rotation nodes those it drains, and its MTAs
//! are unknown, so the notes about them fall back to the generic wording.

use std::collections::BTreeSet;
use std::io::{self, Write};

use planner_core::inventory::MAILSTORE;
use planner_core::plan::{Action, Plan, StepKind};

use super::figures::steps;
use super::prose::escape;
use super::table::Table;
use crate::roles::directory_servers;

/// The servers of each part.
pub(super) struct Roles<'a> {
    /// Directory servers: masters and replicas.
    pub directory: BTreeSet<&'a str>,
    /// MTAs.
    pub mta: BTreeSet<&'a str>,
    /// Mailstores.
    pub mailstore: BTreeSet<&'a str>,
    /// MTAs, proxies and drained nodes: the servers users reach through a
    /// load balancer or MX rotation.
    pub edge: BTreeSet<&'a str>,
}

impl<'a> Roles<'a> {
    /// The parts the plan says its servers play.
    pub fn of(plan: &'a Plan) -> Roles<'a> {
        let mut roles = Roles {
            directory: directory_servers(plan),
            mta: BTreeSet::new(),
            mailstore: plan.placement.before.keys().map(String::as_str).collect(),
            edge: BTreeSet::new(),
        };
        for (_, s) in steps(plan) {
            let drained = s
                .actions
                .as_deref()
                .is_some_and(|a| a.contains(&Action::Drain));
            if let (true, Some(server)) = (drained, s.server.as_deref()) {
                roles.edge.insert(server);
            }
        }
        for (name, server) in &plan.servers {
            let has = |role: &str| server.roles.iter().any(|r| r == role);
            if has("mta") {
                roles.mta.insert(name);
                roles.edge.insert(name);
            }
            if has("proxy") {
                roles.edge.insert(name);
            }
            if has(MAILSTORE) {
                roles.mailstore.insert(name);
            }
        }
        roles
    }

    /// The wave and server of the last MTA upgrade, if the plan shows one.
    pub fn last_mta_upgrade(&self, plan: &'a Plan) -> Option<(u32, &'a str)> {
        steps(plan)
            .filter(|(_, s)| s.kind == StepKind::Upgrade)
            .filter_map(|(w, s)| s.server.as_deref().map(|n| (w, n)))
            .filter(|(_, n)| self.mta.contains(n))
            .last()
    }
}

/// The roles of the installation, each with its servers and the note the
/// profile (or the inventory's `roles`) gives it for reviewers.
pub(super) fn notes(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    if plan.role_notes.is_empty() {
        return Ok(());
    }
    put!(out, "### Roles\n");
    let mut t = Table::new(&["Role", "Servers", "Note"]);
    for (role, note) in &plan.role_notes {
        let servers = plan
            .servers
            .values()
            .filter(|s| s.roles.iter().any(|r| r == role))
            .count();
        t.row(vec![escape(role), servers.to_string(), escape(note)]);
    }
    t.write(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn parts_come_from_roles_checks_placement_and_drains() {
        let mut plan = testing::plan();
        plan.servers
            .get_mut("ldap1.example.com")
            .expect("ldap1")
            .roles = vec!["mta".into()];
        let roles = Roles::of(&plan);
        assert_eq!(roles.directory, BTreeSet::from(["ldap2.example.com"]));
        assert_eq!(roles.mta, BTreeSet::from(["ldap1.example.com"]));
        assert_eq!(roles.edge, roles.mta);
        assert_eq!(
            roles.mailstore,
            BTreeSet::from(["mbx1.example.com", "mbx2.example.com"])
        );
        assert_eq!(roles.last_mta_upgrade(&plan), None, "ldap1 is not upgraded");
    }

    #[test]
    fn the_wording_of_a_step_decides_nothing() {
        let mut plan = testing::plan();
        plan.servers.clear();
        testing::step(&mut plan, "upgrade:mbx1.example.com").why =
            "mta tier, zmreplchk".to_string();
        let roles = Roles::of(&plan);
        assert!(roles.mta.is_empty() && roles.edge.is_empty());
        assert_eq!(roles.directory, BTreeSet::from(["ldap2.example.com"]));
    }
}
