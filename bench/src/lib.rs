//! Synthetic inventories for measuring the planner (issue 6).
//!
//! [`generate`] builds an installation of `N` mailboxes on `S` mailstores,
//! deterministically from a seed:
//!
//! - the mailstores form sites of 20 (`dc1`, `dc2`, ...; the last site is
//!   smaller when `S` is not a multiple); the last store of each site is new,
//!   empty and already at the target version, every other store is at
//!   [`OLD_VERSION`] and must be evacuated;
//! - mailboxes come in domains of 50 (`d000001.example.com`, ...), every
//!   mailbox of a domain on the same store, the domains spread evenly over the
//!   old stores;
//! - sizes are log-normal (median 80 MiB, mean about 290 MiB, capped at
//!   100 GiB) with 1% never-used mailboxes of 0 bytes: most are small, a few
//!   are very large;
//! - each old store's disk is chosen so that its mailboxes fill 42-58% of it;
//!   each site's empty store holds 1.25 times the fullest old store of its
//!   site at `max_fill` 90%, so every old store can be emptied within its site;
//! - besides the mailstores: an LDAP master and a replica, two MTAs and two
//!   proxies, so every availability rule can be met without outages;
//! - the policy is the default one with `max_parallel_moves: 4`.
//!
//! Two options change that layout (both off by default, and the output
//! without them is unchanged):
//!
//! - [`Params::single_site`]: every store in one site, `dc1`, with one store
//!   in ten (every tenth, `mbx010`, `mbx020`, ...; at least one) new, empty
//!   and at the target, each holding 1.25 times the fullest old store at 90%;
//!   the shape on which cost is measured against the number of stores. Store
//!   numbers then have as many digits as the largest needs, so names sort in
//!   number order past 999.
//! - [`Params::rates`]: the policy also has the `rates` of
//!   `examples/enterprise.yaml` ([`RATES`]), so the plan carries estimates.
//!
//! The mailbox lists are `zmprov gqu` exports, one per store (`exports/<store>.gqu`).
//! Nothing here depends on the planner: the generator describes an installation,
//! and the planner is measured reading it.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// The version every server must reach; the new stores are already there.
pub const TARGET_VERSION: &str = "10.1.5";
/// The version of every other server.
pub const OLD_VERSION: &str = "9.0.0_P40";

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of mailboxes.
    pub mailboxes: u64,
    /// Number of mailstores, new ones included.
    pub stores: u32,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
    /// Mailstores per site (the last site may have fewer).
    pub sites_of: u32,
    /// Mailboxes per domain (the last domain may have fewer).
    pub domain_size: u32,
    /// One site, with one store in ten new (`sites_of` is then unused).
    pub single_site: bool,
    /// Whether the policy has [`RATES`].
    pub rates: bool,
}

/// The `rates` of `examples/enterprise.yaml`, as `--rates` writes them.
pub const RATES: [(&str, &str); 4] = [
    ("copy", "200MiB/s"),
    ("delta_fraction", "5%"),
    ("switch_per_account", "3s"),
    ("upgrade", "40m"),
];

impl Params {
    /// `mailboxes` on `stores`, with seed 1, sites of 20 and domains of 50.
    pub fn new(mailboxes: u64, stores: u32) -> Params {
        Params {
            mailboxes,
            stores,
            seed: 1,
            sites_of: 20,
            domain_size: 50,
            single_site: false,
            rates: false,
        }
    }

    /// Number of sites.
    pub fn sites(&self) -> u32 {
        if self.single_site {
            1
        } else {
            self.stores.div_ceil(self.sites_of.max(1))
        }
    }

    /// Number of new stores, at the target: one per site, or one in ten
    /// (at least one) in the single-site layout.
    pub fn new_stores(&self) -> u32 {
        if self.single_site {
            (self.stores / 10).max(1)
        } else {
            self.sites()
        }
    }

    /// Whether the store at 0-based position `i` is new and at the target.
    fn is_new(&self, i: u32) -> bool {
        if self.single_site {
            // Every tenth; with fewer than ten stores, the last.
            (i + 1).is_multiple_of(10) || (self.stores < 10 && i + 1 == self.stores)
        } else {
            i + 1 == self.stores || (i + 1).is_multiple_of(self.sites_of)
        }
    }

    /// Checks that the parameters describe an installation that can hold the mailboxes.
    pub fn check(&self) -> Result<(), String> {
        if self.stores == 0 {
            return Err("--stores must be at least 1".into());
        }
        if !self.single_site && self.sites_of < 2 {
            return Err("--sites-of must be at least 2 (one new store and one old store)".into());
        }
        if self.domain_size == 0 {
            return Err("--domain-size must be at least 1".into());
        }
        if self.mailboxes > 0 && self.stores <= self.new_stores() {
            return Err(format!(
                "{} stores in {} site{} leave no old store to hold the mailboxes",
                self.stores,
                self.sites(),
                if self.sites() == 1 { "" } else { "s" }
            ));
        }
        Ok(())
    }
}

/// One generated mailstore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    /// Server name, such as `mbx007.dc1.example.com`.
    pub name: String,
    /// Site name, such as `dc1`.
    pub site: String,
    /// Whether it is the site's new, empty store at the target version.
    pub at_target: bool,
    /// Disk capacity in bytes (a whole number of MiB).
    pub disk: u64,
    /// Number of mailboxes on it.
    pub mailboxes: u64,
    /// Sum of their sizes in bytes.
    pub used: u64,
}

/// One generated `zmprov gqu` export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GquFile {
    /// The store it lists.
    pub store: String,
    /// Its path relative to the inventory: `exports/<store>.gqu`.
    pub path: String,
    /// Its content: `account limit used` a line.
    pub content: Vec<u8>,
}

/// A generated installation: the inventory text and its mailbox lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// What it was generated from.
    pub params: Params,
    /// The text of `inventory.yaml`.
    pub inventory: String,
    /// One export per store, in the order of the inventory's `mailbox_files`.
    pub files: Vec<GquFile>,
    /// Every mailstore, in the order of the inventory.
    pub stores: Vec<Store>,
    /// Number of domains.
    pub domains: u64,
}

impl Generated {
    /// Mailboxes on stores that are not at the target (all of them, by construction).
    pub fn mailboxes_on_old_stores(&self) -> u64 {
        self.stores
            .iter()
            .filter(|s| !s.at_target)
            .map(|s| s.mailboxes)
            .sum()
    }

    /// Total bytes of all mailboxes.
    pub fn bytes(&self) -> u64 {
        self.stores.iter().map(|s| s.used).sum()
    }

    /// The content of the export at `path`, as named by the inventory.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.content.as_slice())
    }

    /// A small JSON description of what was generated, for scripts.
    pub fn manifest_json(&self) -> String {
        let p = &self.params;
        let mut out = String::new();
        let _ = writeln!(out, "{{");
        let _ = writeln!(out, "  \"mailboxes\": {},", p.mailboxes);
        let _ = writeln!(out, "  \"stores\": {},", p.stores);
        let _ = writeln!(out, "  \"sites\": {},", p.sites());
        let _ = writeln!(out, "  \"domains\": {},", self.domains);
        let _ = writeln!(out, "  \"seed\": {},", p.seed);
        let _ = writeln!(out, "  \"bytes\": {},", self.bytes());
        let _ = writeln!(
            out,
            "  \"mailboxes_on_old_stores\": {},",
            self.mailboxes_on_old_stores()
        );
        let _ = writeln!(out, "  \"store_list\": [");
        for (i, s) in self.stores.iter().enumerate() {
            let comma = if i + 1 == self.stores.len() { "" } else { "," };
            let _ = writeln!(
                out,
                "    {{\"name\": \"{}\", \"site\": \"{}\", \"at_target\": {}, \"file\": \"exports/{}.gqu\", \"disk\": {}, \"mailboxes\": {}, \"used\": {}}}{comma}",
                s.name, s.site, s.at_target, s.name, s.disk, s.mailboxes, s.used
            );
        }
        let _ = writeln!(out, "  ]");
        let _ = writeln!(out, "}}");
        out
    }

    /// Writes `inventory.yaml`, `manifest.json` and `exports/<store>.gqu` into `dir`.
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir.join("exports"))?;
        for f in &self.files {
            std::fs::write(dir.join(&f.path), &f.content)?;
        }
        std::fs::write(dir.join("manifest.json"), self.manifest_json())?;
        // The inventory last: its presence means the rest is complete.
        std::fs::write(dir.join("inventory.yaml"), &self.inventory)
    }
}

/// SplitMix64: a small, fast, well-mixed generator; enough for test data.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        // The bias of a plain modulo is far below what matters here.
        self.next_u64() % n
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64(); // in (0, 1]
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

const FIRST: [&str; 32] = [
    "anna", "ben", "chiara", "david", "elif", "fatima", "george", "hana", "ivan", "jana", "kofi",
    "lena", "marco", "nadia", "omar", "paula", "quentin", "rosa", "sven", "tariq", "ursula",
    "vera", "wei", "xenia", "yusuf", "zoe", "aiko", "bruno", "carmen", "dmitri", "eva", "felix",
];
const LAST: [&str; 32] = [
    "berg", "brown", "colombo", "davis", "evans", "fischer", "garcia", "haddad", "ito", "jensen",
    "king", "larsen", "moreau", "nowak", "okafor", "petrov", "quinn", "rossi", "schulz", "tanaka",
    "umar", "vidal", "weber", "xu", "yilmaz", "zeller", "abbas", "bauer", "costa", "dlamini",
    "eriksen", "fontaine",
];

/// Quotas an administrator would set; a mailbox gets the smallest one above its usage.
const QUOTAS_GIB: [u64; 7] = [1, 2, 5, 10, 20, 50, 100];

/// A mailbox size in bytes: 1% never used (0 bytes), the rest log-normal with
/// a median of 80 MiB and sigma 1.6 (mean about 290 MiB), from 4 KiB to 100 GiB.
fn mailbox_size(rng: &mut SplitMix64) -> u64 {
    if rng.below(100) == 0 {
        return 0;
    }
    let size = 80.0 * MIB as f64 * (1.6 * rng.normal()).exp();
    (size as u64).clamp(4 * KIB, 100 * GIB)
}

/// The quota of a mailbox using `used` bytes: unlimited (0) for a quarter,
/// otherwise the smallest usual quota above its usage.
fn quota(rng: &mut SplitMix64, used: u64) -> u64 {
    if rng.below(4) == 0 {
        return 0;
    }
    QUOTAS_GIB
        .iter()
        .map(|q| q * GIB)
        .find(|&q| q >= used)
        .unwrap_or(0)
}

fn round_up(bytes: u64, unit: u64) -> u64 {
    bytes.div_ceil(unit).max(1) * unit
}

/// The stores, site by site, empty and without disks yet; the last of each
/// site is the new one (in one site: every tenth).
fn stores_of(params: &Params) -> Vec<Store> {
    let digits = if params.single_site {
        params.stores.to_string().len().max(3)
    } else {
        3
    };
    let mut stores = Vec::with_capacity(params.stores as usize);
    for i in 0..params.stores {
        let site = if params.single_site {
            1
        } else {
            i / params.sites_of + 1
        };
        stores.push(Store {
            name: format!("mbx{:0digits$}.dc{site}.example.com", i + 1),
            site: format!("dc{site}"),
            at_target: params.is_new(i),
            disk: 0,
            mailboxes: 0,
            used: 0,
        });
    }
    stores
}

/// Generates the installation described by `params` (see the module documentation).
pub fn generate(params: &Params) -> Result<Generated, String> {
    params.check()?;
    let mut rng = SplitMix64::new(params.seed);
    let sites = params.sites();

    let mut stores = stores_of(params);
    let old: Vec<usize> = (0..stores.len())
        .filter(|&i| !stores[i].at_target)
        .collect();

    // Domains spread evenly over the old stores, in blocks.
    let domain_size = u64::from(params.domain_size);
    let domains = params.mailboxes.div_ceil(domain_size);
    let mut contents: Vec<Vec<u8>> = vec![Vec::new(); stores.len()];
    let mut line = String::new();
    for (k, &s) in old.iter().enumerate() {
        let k = k as u64;
        let n_old = old.len() as u64;
        let (first, end) = (domains * k / n_old, domains * (k + 1) / n_old);
        let content = &mut contents[s];
        for d in first..end {
            let in_domain = domain_size.min(params.mailboxes - d * domain_size);
            for m in 1..=in_domain {
                let first_name = FIRST[rng.below(FIRST.len() as u64) as usize];
                let last_name = LAST[rng.below(LAST.len() as u64) as usize];
                let used = mailbox_size(&mut rng);
                let limit = quota(&mut rng, used);
                line.clear();
                let _ = writeln!(
                    line,
                    "{first_name}.{last_name}{m:02}@d{:06}.example.com {limit} {used}",
                    d + 1
                );
                content.extend_from_slice(line.as_bytes());
                stores[s].mailboxes += 1;
                stores[s].used += used;
            }
        }
    }

    // Disks: old stores 42-58% full; each new store takes 1.25 times the
    // fullest old store of its site at 90%.
    for s in &old {
        let fill = 0.42 + 0.16 * rng.next_f64();
        let store = &mut stores[*s];
        store.disk = if store.used == 0 {
            GIB
        } else {
            round_up((store.used as f64 / fill).ceil() as u64, MIB)
        };
    }
    for site in 1..=sites {
        let name = format!("dc{site}");
        let fullest = stores
            .iter()
            .filter(|s| s.site == name && !s.at_target)
            .map(|s| s.used)
            .max()
            .unwrap_or(0);
        for s in stores.iter_mut().filter(|s| s.site == name && s.at_target) {
            s.disk = round_up((fullest as f64 * 1.25 / 0.9).ceil() as u64, GIB);
        }
    }

    let files: Vec<GquFile> = stores
        .iter()
        .zip(contents)
        .map(|(s, content)| GquFile {
            store: s.name.clone(),
            path: format!("exports/{}.gqu", s.name),
            content,
        })
        .collect();
    let inventory = inventory_text(params, &stores, &files, domains);
    Ok(Generated {
        params: params.clone(),
        inventory,
        files,
        stores,
        domains,
    })
}

fn inventory_text(params: &Params, stores: &[Store], files: &[GquFile], domains: u64) -> String {
    let sites = params.sites();
    let second_site = if sites > 1 { "dc2" } else { "dc1" };
    let mut y = String::new();
    if params.single_site {
        let _ = writeln!(
            y,
            "# Synthetic inventory from `planner-bench gen-inventory` (seed {}): {} mailboxes\n\
             # in {domains} domains of {} on {} mailstores in one site; every tenth store\n\
             # ({} of them) is new, empty and at the target; every other store is to be emptied.",
            params.seed,
            params.mailboxes,
            params.domain_size,
            params.stores,
            params.new_stores()
        );
    } else {
        let _ = writeln!(
            y,
            "# Synthetic inventory from `planner-bench gen-inventory` (seed {}): {} mailboxes\n\
             # in {domains} domains of {} on {} mailstores in {sites} sites of {}; the last store\n\
             # of each site is new, empty and at the target; every other store is to be emptied.",
            params.seed, params.mailboxes, params.domain_size, params.stores, params.sites_of
        );
    }
    let _ = writeln!(y, "format: 1");
    let _ = writeln!(y, "target_version: \"{TARGET_VERSION}\"");
    let _ = writeln!(y, "policy:");
    let _ = writeln!(y, "  max_parallel_moves: 4");
    if params.rates {
        let _ = writeln!(y, "  rates:");
        for (key, value) in RATES {
            let _ = writeln!(y, "    {key}: {value}");
        }
    }
    let _ = writeln!(y, "servers:");
    for (name, role, site) in [
        ("ldap1", "ldap-master", "dc1"),
        ("ldap2", "ldap-replica", second_site),
        ("mta1", "mta", "dc1"),
        ("mta2", "mta", second_site),
        ("proxy1", "proxy", "dc1"),
        ("proxy2", "proxy", second_site),
    ] {
        let _ = writeln!(
            y,
            "  - {{ name: {name}.example.com, roles: [{role}], version: \"{OLD_VERSION}\", site: {site} }}"
        );
    }
    for s in stores {
        let version = if s.at_target {
            TARGET_VERSION
        } else {
            OLD_VERSION
        };
        let _ = writeln!(y, "  - name: {}", s.name);
        let _ = writeln!(y, "    roles: [mailstore]");
        let _ = writeln!(y, "    version: \"{version}\"");
        let _ = writeln!(y, "    site: {}", s.site);
        let _ = writeln!(y, "    capacity: {{ disk: {}MiB }}", s.disk / MIB);
        if !s.at_target {
            let _ = writeln!(
                y,
                "    last_backup: {{ full: 2026-11-24T01:00:00Z, incremental: 2026-11-28T01:00:00Z }}"
            );
        }
    }
    let _ = writeln!(y, "mailbox_files:");
    for f in files {
        let _ = writeln!(
            y,
            "  - {{ path: {}, format: zmprov-gqu, store: {} }}",
            f.path, f.store
        );
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_follows_the_parameters() {
        let g = generate(&Params::new(2_345, 45)).unwrap();
        assert_eq!(g.stores.len(), 45);
        assert_eq!(g.domains, 47);
        // Sites of 20, 20 and 5, each with one new store, its last.
        let new: Vec<&str> = g
            .stores
            .iter()
            .filter(|s| s.at_target)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(
            new,
            [
                "mbx020.dc1.example.com",
                "mbx040.dc2.example.com",
                "mbx045.dc3.example.com"
            ]
        );
        assert_eq!(g.mailboxes_on_old_stores(), 2_345);
        for s in g.stores.iter().filter(|s| !s.at_target && s.used > 0) {
            let fill = s.used as f64 / s.disk as f64;
            assert!((0.40..=0.60).contains(&fill), "{}: {fill}", s.name);
        }
    }

    #[test]
    fn a_domain_lives_on_one_store() {
        let g = generate(&Params::new(5_000, 5)).unwrap();
        let mut seen = std::collections::BTreeMap::new();
        let mut lines = 0;
        for f in &g.files {
            for line in std::str::from_utf8(&f.content).unwrap().lines() {
                lines += 1;
                let domain = line.split(['@', ' ']).nth(1).unwrap().to_string();
                let store = seen.entry(domain).or_insert_with(|| f.store.clone());
                assert_eq!(store, &f.store);
            }
        }
        assert_eq!(lines, 5_000);
        assert_eq!(seen.len(), 100);
    }

    #[test]
    fn the_seed_decides_everything() {
        let a = generate(&Params::new(1_000, 5)).unwrap();
        assert_eq!(a, generate(&Params::new(1_000, 5)).unwrap());
        let other = Params {
            seed: 2,
            ..Params::new(1_000, 5)
        };
        assert_ne!(a.files, generate(&other).unwrap().files);
    }

    #[test]
    fn one_site_has_one_new_store_in_ten() {
        let params = Params {
            single_site: true,
            ..Params::new(20_000, 1_200)
        };
        let g = generate(&params).unwrap();
        assert_eq!(params.sites(), 1);
        assert!(g.stores.iter().all(|s| s.site == "dc1"));
        let new: Vec<&Store> = g.stores.iter().filter(|s| s.at_target).collect();
        assert_eq!(new.len(), 120);
        assert_eq!(new[0].name, "mbx0010.dc1.example.com");
        assert!(new.iter().all(|s| s.mailboxes == 0));
        assert_eq!(g.mailboxes_on_old_stores(), 20_000);
        let fullest = g.stores.iter().map(|s| s.used).max().unwrap();
        assert!(
            new.iter()
                .all(|s| s.disk as f64 * 0.9 >= fullest as f64 * 1.25)
        );
        for s in g.stores.iter().filter(|s| !s.at_target && s.used > 0) {
            let fill = s.used as f64 / s.disk as f64;
            assert!((0.40..=0.60).contains(&fill), "{}: {fill}", s.name);
        }
        // Names sort in number order.
        assert!(g.stores.windows(2).all(|w| w[0].name < w[1].name));
        assert!(
            generate(&Params {
                single_site: true,
                ..Params::new(10, 1)
            })
            .is_err()
        );
        let few = generate(&Params {
            single_site: true,
            ..Params::new(10, 3)
        })
        .unwrap();
        assert_eq!(few.stores.iter().filter(|s| s.at_target).count(), 1);
    }

    #[test]
    fn rates_are_added_only_when_asked() {
        let plain = generate(&Params::new(100, 5)).unwrap();
        let with = generate(&Params {
            rates: true,
            ..Params::new(100, 5)
        })
        .unwrap();
        assert!(!plain.inventory.contains("rates:"));
        let added = with.inventory.replace(
            "  rates:\n    copy: 200MiB/s\n    delta_fraction: 5%\n    switch_per_account: 3s\n    upgrade: 40m\n",
            "",
        );
        assert_eq!(added, plain.inventory);
        assert_eq!(with.files, plain.files);
    }

    #[test]
    fn impossible_layouts_are_refused() {
        assert!(generate(&Params::new(10, 1)).is_err());
        assert!(generate(&Params::new(10, 0)).is_err());
        assert!(generate(&Params::new(0, 1)).is_ok());
    }
}
