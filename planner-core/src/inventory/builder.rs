//! Building an inventory in code, for tools that hold their installation's
//! data already and should not write YAML (whose quoting is easy to get
//! wrong: an account such as `o'hara@example.com` breaks naive text).
//!
//! The builder fills the same input model a YAML inventory deserializes
//! into and runs it through the same validation, so every check applies and
//! every diagnostic names the path it would have in a file
//! (`servers[2].name`), without a line and column.

use super::names::Account;
use super::profile::ProfileName;
use super::raw::{
    DurationText, FractionText, RawCapacity, RawInventory, RawMailbox, RawPolicy, RawServer,
    ScalarText, SizeText, Strategy,
};
use super::units::{Bytes, Fraction, Seconds};
use super::validate::{Checked, Document};
use crate::diagnostic::Refusal;

/// An inventory under construction; [`InventoryBuilder::build`] validates it.
///
/// ```
/// use planner_core::inventory::{Bytes, InventoryBuilder, ServerSpec};
///
/// let checked = InventoryBuilder::new("10.1.5")
///     .allow_outage(["mailstore"])
///     .server(ServerSpec::new("mbx1.example.com", ["mailstore"], "9.0.0").capacity(Bytes(1 << 40), None))
///     .mailbox("o'hara@example.com", "mbx1.example.com", Bytes(1 << 30))
///     .build()
///     .expect("valid");
/// assert_eq!(checked.inventory().mailboxes()[0].account().as_str(), "o'hara@example.com");
/// ```
#[derive(Debug)]
pub struct InventoryBuilder {
    raw: RawInventory,
}

/// One server for an [`InventoryBuilder`].
#[derive(Debug)]
pub struct ServerSpec {
    raw: RawServer,
}

fn size(bytes: Bytes) -> SizeText {
    SizeText(ScalarText(bytes.0.to_string()))
}

fn fraction(f: Fraction) -> FractionText {
    FractionText(ScalarText(format!(
        "{}.{:06}",
        f.0 / 1_000_000,
        f.0 % 1_000_000
    )))
}

impl ServerSpec {
    /// A server with its name, roles and current version.
    pub fn new<'a>(
        name: &str,
        roles: impl IntoIterator<Item = &'a str>,
        version: &str,
    ) -> ServerSpec {
        ServerSpec {
            raw: RawServer {
                name: name.to_string(),
                roles: roles.into_iter().map(str::to_string).collect(),
                version: version.to_string(),
                site: None,
                depends_on: Vec::new(),
                capacity: None,
                spare: false,
                evacuate: None,
                last_backup: None,
            },
        }
    }

    /// Its capacity (required for mailstores): disk, and accounts if limited.
    pub fn capacity(mut self, disk: Bytes, mailboxes: Option<u64>) -> ServerSpec {
        self.raw.capacity = Some(RawCapacity {
            disk: size(disk),
            mailboxes,
        });
        self
    }

    /// Its site.
    pub fn site(mut self, site: &str) -> ServerSpec {
        self.raw.site = Some(site.to_string());
        self
    }

    /// A server that must be upgraded before this one.
    pub fn depends_on(mut self, server: &str) -> ServerSpec {
        self.raw.depends_on.push(server.to_string());
        self
    }

    /// Marks it a reserve store.
    pub fn spare(mut self) -> ServerSpec {
        self.raw.spare = true;
        self
    }

    /// Its own `evacuate` (false: upgrade in place).
    pub fn evacuate(mut self, evacuate: bool) -> ServerSpec {
        self.raw.evacuate = Some(evacuate);
        self
    }
}

impl InventoryBuilder {
    /// An empty inventory of the zimbra profile, for `target_version`.
    pub fn new(target_version: &str) -> InventoryBuilder {
        InventoryBuilder {
            raw: RawInventory {
                format: 1,
                target_version: target_version.to_string(),
                profile: ProfileName::default(),
                policy: RawPolicy::default(),
                roles: Default::default(),
                groups: Default::default(),
                servers: Vec::new(),
                mailboxes: Vec::new(),
                mailbox_files: Vec::new(),
            },
        }
    }

    /// The built-in role profile.
    pub fn profile(mut self, profile: ProfileName) -> InventoryBuilder {
        self.raw.profile = profile;
        self
    }

    /// Adds a server.
    pub fn server(mut self, server: ServerSpec) -> InventoryBuilder {
        self.raw.servers.push(server.raw);
        self
    }

    /// Adds a mailbox: its account, the store it is on, its size.
    pub fn mailbox(mut self, account: &str, store: &str, size_: Bytes) -> InventoryBuilder {
        self.raw.mailboxes.push(RawMailbox {
            account: account.to_string(),
            store: store.to_string(),
            size: size(size_),
        });
        self
    }

    /// How stores are emptied.
    pub fn strategy(mut self, strategy: Strategy) -> InventoryBuilder {
        self.raw.policy.strategy = Some(strategy);
        self
    }

    /// The ceiling on every store's disk and mailbox count.
    pub fn max_fill(mut self, max_fill: Fraction) -> InventoryBuilder {
        self.raw.policy.max_fill = Some(fraction(max_fill));
        self
    }

    /// Added to every mailbox size for capacity.
    pub fn size_overhead(mut self, overhead: Fraction) -> InventoryBuilder {
        self.raw.policy.size_overhead = Some(fraction(overhead));
        self
    }

    /// Move steps per source store and wave.
    pub fn max_moves_per_source(mut self, moves: u32) -> InventoryBuilder {
        self.raw.policy.max_moves_per_source = Some(moves);
        self
    }

    /// Move steps per wave.
    pub fn max_parallel_moves(mut self, moves: u32) -> InventoryBuilder {
        self.raw.policy.max_parallel_moves = Some(moves);
        self
    }

    /// Upgrades per wave.
    pub fn max_parallel_upgrades(mut self, upgrades: u32) -> InventoryBuilder {
        self.raw.policy.max_parallel_upgrades = Some(upgrades);
        self
    }

    /// Whether moves may cross sites.
    pub fn cross_site_moves(mut self, allowed: bool) -> InventoryBuilder {
        self.raw.policy.cross_site_moves = Some(allowed);
        self
    }

    /// Whether moves copy first and switch later.
    pub fn two_stage_moves(mut self, two_stage: bool) -> InventoryBuilder {
        self.raw.policy.two_stage_moves = Some(two_stage);
        self
    }

    /// A last full backup older than this makes the backup full.
    pub fn full_backup_max_age(mut self, age: Seconds) -> InventoryBuilder {
        self.raw.policy.full_backup_max_age = Some(DurationText(ScalarText(age.0.to_string())));
        self
    }

    /// Roles or groups whose outage is accepted.
    pub fn allow_outage<'a>(
        mut self,
        units: impl IntoIterator<Item = &'a str>,
    ) -> InventoryBuilder {
        self.raw
            .policy
            .allow_outage
            .get_or_insert_with(Vec::new)
            .extend(units.into_iter().map(str::to_string));
        self
    }

    /// The address for move notifications.
    pub fn notify(mut self, address: &Account) -> InventoryBuilder {
        self.raw.policy.notify = Some(address.to_string());
        self
    }

    /// Validates the inventory as if it had been read from a file named
    /// `builder`; diagnostics carry paths such as `servers[2].name`.
    pub fn build(self) -> Result<Checked, Refusal> {
        Document::from_raw("builder", self.raw).validate(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str, version: &str) -> ServerSpec {
        ServerSpec::new(name, ["mailstore"], version).capacity(Bytes(1 << 40), Some(100))
    }

    #[test]
    fn a_built_inventory_is_validated_like_a_file() {
        let checked = InventoryBuilder::new("10.1.5")
            .allow_outage(["directory", "mta", "proxy"])
            .max_fill(Fraction(800_000))
            .server(ServerSpec::new(
                "ldap1.example.com",
                ["ldap-master"],
                "9.0.0",
            ))
            .server(ServerSpec::new(
                "mx1.example.com",
                ["mta", "proxy"],
                "9.0.0",
            ))
            .server(store("mbx1.example.com", "9.0.0").site("dc1"))
            .server(store("MBX2.example.com", "10.1.5").site("dc1"))
            .mailbox("o'hara@example.com", "mbx1.example.com", Bytes(5 << 30))
            .build()
            .unwrap_or_else(|r| panic!("{r}"));
        let inv = checked.inventory();
        assert_eq!(inv.servers().len(), 4);
        assert_eq!(inv.servers()[3].name().as_str(), "mbx2.example.com");
        assert_eq!(inv.policy().max_fill, Fraction(800_000));
        assert_eq!(inv.mailboxes()[0].account().as_str(), "o'hara@example.com");
        assert_eq!(inv.mailboxes()[0].size(), Bytes(5 << 30));
    }

    #[test]
    fn problems_name_their_paths() {
        let refusal = InventoryBuilder::new("10.1.5")
            .allow_outage(["mailstore"])
            .server(store("mbx1.example.com", "9.0.0"))
            .server(ServerSpec::new("mbx1.example.com", ["mailstor"], "9.0.0"))
            .mailbox("not-an-address", "mbx9.example.com", Bytes(1))
            .max_fill(Fraction(0))
            .build()
            .expect_err("refused");
        let text = refusal.to_string();
        for path in [
            "servers[1].name: duplicate server",
            "servers[1].roles[0]: unknown role `mailstor`",
            "mailboxes[0].store: unknown store",
            "policy.max_fill:",
        ] {
            assert!(text.contains(path), "{path} in\n{text}");
        }
        assert!(text.starts_with("builder: error: "), "{text}");
    }
}
