//! Role profiles: which roles exist, in which order they upgrade, and how many
//! of each must stay up.
//!
//! A profile is data, not code: a chain of main roles (the tiers), auxiliary
//! roles that wait for some tiers, and availability rules per role or group.
//! Inventories override it field by field or add roles of their own.

use serde::{Deserialize, Serialize};

/// The role every profile uses for servers that hold mailboxes.
pub const MAILSTORE: &str = "mailstore";

/// The built-in profiles.
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
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// Zimbra Collaboration Suite, in the official multi-server upgrade order.
    #[default]
    Zimbra,
    /// Carbonio, in the order of its official upgrade playbook.
    Carbonio,
}

impl ProfileName {
    /// The name as written in inventories.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileName::Zimbra => "zimbra",
            ProfileName::Carbonio => "carbonio",
        }
    }
}

/// One role and its rules, after the inventory's overrides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleDef {
    /// The role's name.
    pub name: String,
    /// Position in the tier chain for a main role; `None` for an auxiliary role.
    pub tier: Option<usize>,
    /// For an auxiliary role: the roles whose servers must all be upgraded first.
    pub after: Vec<String>,
    /// The group whose availability rule this role shares.
    pub group: Option<String>,
    /// Servers of the role (or its group) that must stay up.
    pub min_available: u32,
    /// Servers of the role (or its group) that may be down at once.
    pub max_unavailable: u32,
    /// Whether the upgrade drains the server before its install and undrains
    /// it after its health check (actions of the upgrade step).
    pub drain: bool,
    /// Whether servers of this role are emptied before they upgrade.
    pub evacuate: bool,
    /// A one-line note shown in reviews.
    pub note: String,
}

/// A group of roles that provide one service together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupDef {
    /// The group's name.
    pub name: String,
    /// Servers of the group that must stay up.
    pub min_available: u32,
    /// Servers of the group that may be down at once.
    pub max_unavailable: u32,
}

/// A unit of availability: a group, or a role without a group; its servers
/// share one rule on how many may be down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailabilityUnit {
    /// The group's or the role's name.
    pub name: String,
    /// Its roles, in the profile's order.
    pub roles: Vec<String>,
    /// Servers that must stay up.
    pub min_available: u32,
    /// Servers that may be down at once.
    pub max_unavailable: u32,
}

/// A complete profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Which built-in profile this started from.
    pub name: ProfileName,
    /// Main roles, in upgrade order.
    pub tiers: Vec<String>,
    /// Every role, main roles first in tier order, then auxiliary roles.
    pub roles: Vec<RoleDef>,
    /// Groups of roles.
    pub groups: Vec<GroupDef>,
    /// The default of the policy's `two_stage_moves`.
    pub two_stage_moves: bool,
    /// The role whose lone server pauses directory writes while it upgrades.
    pub directory_master: &'static str,
    /// The group of directory servers (no account switch while one upgrades).
    pub directory_group: &'static str,
}

impl Profile {
    /// The built-in profile of that name.
    pub fn builtin(name: ProfileName) -> Profile {
        match name {
            ProfileName::Zimbra => zimbra(),
            ProfileName::Carbonio => carbonio(),
        }
    }

    /// The role of that name.
    pub fn role(&self, name: &str) -> Option<&RoleDef> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// Whether the role serves the directory: the profile's directory master,
    /// or any role of its directory group (replicas). Directory servers get a
    /// replication check after their upgrade, and no account switch runs
    /// while one of them upgrades.
    pub fn is_directory_role(&self, role: &str) -> bool {
        role == self.directory_master
            || self.role(role).and_then(|d| d.group.as_deref()) == Some(self.directory_group)
    }

    /// Whether a server with these roles serves the directory (see
    /// [`Profile::is_directory_role`]).
    pub fn serves_directory(&self, roles: &[String]) -> bool {
        roles.iter().any(|r| self.is_directory_role(r))
    }

    /// The first of these roles that drains (`drain: true`): a server with
    /// one leaves its rotation around its install.
    pub fn draining_role<'r>(&self, roles: &'r [String]) -> Option<&'r str> {
        roles
            .iter()
            .find(|r| self.role(r).is_some_and(|d| d.drain))
            .map(String::as_str)
    }

    /// The group of that name.
    pub fn group(&self, name: &str) -> Option<&GroupDef> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The units of availability, in the profile's order: each group, and
    /// each role without a group.
    pub fn availability_units(&self) -> Vec<AvailabilityUnit> {
        let mut units: Vec<AvailabilityUnit> = Vec::new();
        for role in &self.roles {
            let (name, min_available, max_unavailable) = match &role.group {
                Some(g) => {
                    let group = self.group(g);
                    (
                        g.clone(),
                        group.map_or(1, |g| g.min_available),
                        group.map_or(1, |g| g.max_unavailable),
                    )
                }
                None => (role.name.clone(), role.min_available, role.max_unavailable),
            };
            match units.iter_mut().find(|u| u.name == name) {
                Some(u) => u.roles.push(role.name.clone()),
                None => units.push(AvailabilityUnit {
                    name,
                    roles: vec![role.name.clone()],
                    min_available,
                    max_unavailable,
                }),
            }
        }
        units
    }

    /// The position of a role in the profile's order (tiers, then auxiliary roles).
    pub fn role_rank(&self, name: &str) -> usize {
        self.roles
            .iter()
            .position(|r| r.name == name)
            .unwrap_or(usize::MAX)
    }
}

fn main_role(name: &str, tier: usize, note: &str) -> RoleDef {
    RoleDef {
        name: name.to_string(),
        tier: Some(tier),
        after: Vec::new(),
        group: None,
        min_available: 1,
        max_unavailable: 1,
        drain: false,
        evacuate: name == MAILSTORE,
        note: note.to_string(),
    }
}

fn auxiliary(name: &str, after: &[&str], note: &str) -> RoleDef {
    RoleDef {
        name: name.to_string(),
        tier: None,
        after: after.iter().map(|s| s.to_string()).collect(),
        group: None,
        min_available: 0,
        max_unavailable: 1,
        drain: false,
        evacuate: false,
        note: note.to_string(),
    }
}

fn directory_group() -> GroupDef {
    GroupDef {
        name: "directory".to_string(),
        min_available: 1,
        max_unavailable: 1,
    }
}

fn with_group(mut role: RoleDef, group: &str) -> RoleDef {
    role.group = Some(group.to_string());
    role
}

/// The official ZCS multi-server order: LDAP masters, LDAP replicas, MTAs,
/// proxies, mailstores, one server at a time.
fn zimbra() -> Profile {
    let tiers = ["ldap-master", "ldap-replica", "mta", "proxy", MAILSTORE];
    let notes = [
        "every LDAP master upgrades first, one at a time, and keeps running while the rest upgrade",
        "replicas serve directory reads while a master upgrades; check replication with zmreplchk",
        "after the last MTA, check the global MTA settings the installer may have reset",
        "the installer (8.7 and later) refuses to run unless proxy and memcached are both present",
        "not redundant: back up, empty it by moving its mailboxes, then upgrade it",
    ];
    let mut roles: Vec<RoleDef> = tiers
        .iter()
        .zip(notes)
        .enumerate()
        .map(|(i, (name, note))| main_role(name, i, note))
        .collect();
    roles[0] = with_group(roles[0].clone(), "directory");
    roles[1] = with_group(roles[1].clone(), "directory");
    let ldap = ["ldap-master", "ldap-replica"];
    roles.extend([
        auxiliary(
            "logger",
            &ldap,
            "one per installation; serves no user directly",
        ),
        auxiliary(
            "memcached",
            &ldap,
            "the proxies' cache; the installer checks it is present",
        ),
        auxiliary("snmp", &ldap, "monitoring only; serves no user directly"),
        auxiliary("spell", &ldap, "spell checking for the web client"),
        auxiliary(
            "convertd",
            &ldap,
            "attachment conversion for the web client",
        ),
    ]);
    Profile {
        name: ProfileName::Zimbra,
        tiers: tiers.iter().map(|s| s.to_string()).collect(),
        roles,
        groups: vec![directory_group()],
        two_stage_moves: true,
        directory_master: "ldap-master",
        directory_group: "directory",
    }
}

/// The order of Carbonio's official upgrade playbook, one server at a time.
fn carbonio() -> Profile {
    let tiers = [
        (
            "postgres",
            "the database every other service uses; upgrade it first",
        ),
        (
            "directory-master",
            "directory writes pause while the only master upgrades",
        ),
        (
            "directory-replica",
            "replicas serve directory reads while a master upgrades",
        ),
        (
            "service-discovery",
            "the service mesh that every node registers with",
        ),
        (
            "db-connector",
            "connection pooling between the services and postgres",
        ),
        (
            MAILSTORE,
            "not redundant: back up, empty it by moving its mailboxes, then upgrade it",
        ),
        ("files", "Carbonio Files storage service"),
        ("proxy", "the web and mail proxy in front of the mailstores"),
        ("workstream", "chat and workstream service"),
        ("video", "video server for meetings"),
        (
            "mta",
            "mail transfer agent; Carbonio's playbook upgrades it last",
        ),
    ];
    let mut roles: Vec<RoleDef> = tiers
        .iter()
        .enumerate()
        .map(|(i, (name, note))| main_role(name, i, note))
        .collect();
    roles[1] = with_group(roles[1].clone(), "directory");
    roles[2] = with_group(roles[2].clone(), "directory");
    Profile {
        name: ProfileName::Carbonio,
        tiers: tiers.iter().map(|(s, _)| s.to_string()).collect(),
        roles,
        groups: vec![directory_group()],
        two_stage_moves: false,
        directory_master: "directory-master",
        directory_group: "directory",
    }
}

/// What a role name written as the platform names its services means in a
/// profile, where it differs from the profile's roles: the hint for an
/// unknown role. Zimbra's service names are those `zmprov gas SERVICE` and
/// `zimbraServiceEnabled` use (DOMAIN.md); Carbonio's, the names of its
/// node roles and packages.
pub(crate) fn service_hint(profile: ProfileName, name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    let (master, replica) = match profile {
        ProfileName::Zimbra => ("ldap-master", "ldap-replica"),
        ProfileName::Carbonio => ("directory-master", "directory-replica"),
    };
    let role = |role: &str| {
        Some(format!(
            "`{name}` is the platform's name for the service; the {} profile calls the role `{role}`",
            profile.as_str()
        ))
    };
    match (profile, name.as_str()) {
        (_, "mailbox" | "mailboxd" | "store" | "mailboxes") => role(MAILSTORE),
        (_, "ldap" | "directory" | "openldap") => Some(format!(
            "`{name}` is the platform's name for the directory service; the {} profile has two roles: `{master}` where the server is a master (`zmlocalconfig -s ldap_is_master` says true) and `{replica}` elsewhere",
            profile.as_str()
        )),
        (_, "ldap-master" | "master") if profile == ProfileName::Carbonio => role(master),
        (_, "ldap-replica" | "replica") if profile == ProfileName::Carbonio => role(replica),
        (_, "directory-master") if profile == ProfileName::Zimbra => role(master),
        (_, "directory-replica") if profile == ProfileName::Zimbra => role(replica),
        (_, "imapproxy" | "nginx" | "zimbra-proxy") => role("proxy"),
        (_, "postfix") => role("mta"),
        (ProfileName::Carbonio, "postgresql" | "db") => role("postgres"),
        (ProfileName::Carbonio, "mesh" | "consul" | "service-mesh") => role("service-discovery"),
        (
            ProfileName::Zimbra,
            "amavis" | "antivirus" | "antispam" | "opendkim" | "cbpolicyd" | "dnscache"
            | "archiving",
        ) => Some(format!(
            "`{name}` is a service of Zimbra's MTA, part of the `mta` role: leave it out on an MTA, or define it under `roles` for a server of its own"
        )),
        (ProfileName::Zimbra, "stats" | "zimlet" | "zimbra" | "zimbraadmin" | "service") => {
            Some(format!(
                "`{name}` is a service that runs as part of the server's other roles, not a role of its own: leave it out"
            ))
        }
        _ => None,
    }
}
