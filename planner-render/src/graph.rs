//! The graph both graph renderers draw, read from the plan alone: every
//! server with its roles, site, versions and wave; role groups and sites;
//! order edges with their rule; mailbox flows per source and target.
//!
//! It sits in a module of its own because two renderers share it: DOT
//! (`dot.rs`) and Mermaid (`mermaid.rs`) draw the same graph, each in its own
//! syntax, and so can never disagree on what the plan's shape is.

use std::collections::{BTreeMap, BTreeSet};

use planner_core::inventory::Bytes;
use planner_core::plan::{Plan, PlanServer, Step, StepKind, WaitRule};

use crate::units::{plural, plural_es};

/// Colour of mailbox flows.
pub(crate) const FLOW_COLOUR: &str = "#1f6fb2";
/// Thinnest and thickest flow line.
const FLOW_PEN: (f64, f64) = (1.0, 4.5);

/// The role of the stores that a plan without `servers` names only in
/// its placement: the placement lists mailstores and nothing else.
const MAILSTORE: &str = "mailstore";
/// The group of the servers whose roles the plan does not say: those of
/// an older plan, written before plans listed their servers.
const ROLES_UNKNOWN: &str = "roles unknown";

/// Servers, their groups, order edges and mailbox flows.
pub(crate) struct Graph {
    /// One line: target, profile, size and strategy.
    pub title: String,
    /// One line: what the edge and node styles mean.
    pub legend: String,
    /// Every server of the plan (its `servers`, and any other name its
    /// steps or placement mention), ordered by rank (servers in no wave
    /// first), then name; indices into this are node ids.
    pub servers: Vec<Server>,
    /// Role groups (a server's first role), ordered by their first
    /// rank, servers in no rank counting last.
    pub groups: Vec<Group>,
    /// The named sites of the servers, sorted; empty when the plan has
    /// one unnamed site or does not list its servers.
    pub sites: Vec<String>,
    /// Order edges, from the server upgraded first to the one that waits.
    pub waits: Vec<Wait>,
    /// Mailbox flows per source and target, ordered by source, then target.
    pub flows: Vec<Flow>,
}

/// A server as the graph shows it.
pub(crate) struct Server {
    /// Its name.
    pub name: String,
    /// All its roles, in the profile's order; empty when the plan does
    /// not say them.
    pub roles: Vec<String>,
    /// The name of its group: its first role, which the profile's order
    /// makes the role that places it in the upgrade order.
    pub group: String,
    /// Its site; `None` for the one unnamed site, or when the plan does
    /// not say.
    pub site: Option<String>,
    /// Its version before the plan, when the plan says it.
    pub version: Option<String>,
    /// The version its upgrade ends on.
    pub to_version: String,
    /// Whether the plan says it upgrades the server; `None` when the
    /// plan does not list it.
    pub upgraded: Option<bool>,
    /// The wave of its upgrade; `None` when the plan does not upgrade it.
    pub wave: Option<u32>,
    /// The wave whose rank it is drawn in: its upgrade's, or for a store
    /// the plan does not upgrade, the wave of its first switch, so that
    /// its flows stay short; `None` for a server in neither.
    pub rank: Option<u32>,
    /// Whether its upgrade is an accepted outage.
    pub outage: bool,
    /// The units an outage leaves without enough servers, sorted.
    pub outage_units: Vec<String>,
    /// Why its upgrade is where it is; empty when it is not upgraded.
    pub why: String,
}

impl Server {
    /// `9.0.0_P40 → 10.1.5`, `at 10.1.5_GA_4200, not upgraded`, or for a
    /// server of an older plan that does not say its version, `at the
    /// target, not upgraded`.
    pub fn versions(&self) -> String {
        match (self.wave, &self.version, self.upgraded) {
            (Some(_), Some(from), _) => format!("{from} → {}", self.to_version),
            (Some(_), None, _) => format!("→ {}", self.to_version),
            // Listed as upgraded, but no step upgrades it: a partial plan.
            (None, Some(version), Some(true)) => format!("at {version}, no upgrade step"),
            (None, Some(version), _) => format!("at {version}, not upgraded"),
            (None, None, _) => "at the target, not upgraded".to_string(),
        }
    }

    /// `proxy, memcached · site dc1`: all its roles and its site, as far
    /// as the plan says them.
    pub fn roles_line(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.roles.is_empty() {
            parts.push(self.roles.join(", "));
        }
        if let Some(site) = &self.site {
            parts.push(format!("site {site}"));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// `OUTAGE: postgres, db-connector`, when its upgrade is an outage.
    pub fn outage_line(&self) -> Option<String> {
        if !self.outage {
            return None;
        }
        Some(if self.outage_units.is_empty() {
            "OUTAGE".to_string()
        } else {
            format!("OUTAGE: {}", self.outage_units.join(", "))
        })
    }

    /// Whether it is drawn as left alone: no upgrade, no outage.
    pub fn idle(&self) -> bool {
        self.wave.is_none() && !self.outage
    }
}

/// Servers that share a role group.
pub(crate) struct Group {
    /// Their first role, or `roles unknown`.
    pub name: String,
    /// Indices into `Graph::servers`, in rank order.
    pub members: Vec<usize>,
}

/// What kind of rule an order edge follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitKind {
    /// The profile's tier order.
    Order,
    /// An auxiliary role's `after`.
    After,
    /// The inventory's `depends_on`.
    DependsOn,
    /// A rule this renderer does not recognise.
    Other,
}

/// An order edge.
pub(crate) struct Wait {
    /// The server upgraded first.
    pub from: usize,
    /// The server that waits.
    pub to: usize,
    /// The rule, as the plan words it.
    pub rule: String,
    /// The rule in a word or three.
    pub label: String,
    /// The kind of rule.
    pub kind: WaitKind,
}

/// Mailboxes switched from one store to another, over the whole plan.
pub(crate) struct Flow {
    /// The store they leave.
    pub source: usize,
    /// The store they go to.
    pub target: usize,
    /// How many accounts.
    pub mailboxes: u64,
    /// Their full size.
    pub bytes: u64,
}

impl Flow {
    /// `9 mailboxes, 27.43 GiB`.
    pub fn label(&self) -> String {
        format!(
            "{} mailbox{}, {}",
            self.mailboxes,
            plural_es(self.mailboxes),
            Bytes(self.bytes)
        )
    }

    /// Its line's width, from thinnest to thickest in proportion to its
    /// bytes against those of the heaviest flow.
    pub fn pen_width(&self, heaviest: u64) -> f64 {
        if heaviest == 0 {
            return FLOW_PEN.0;
        }
        FLOW_PEN.0 + (FLOW_PEN.1 - FLOW_PEN.0) * (self.bytes as f64 / heaviest as f64)
    }
}

impl Graph {
    /// Reads the graph from the plan.
    pub fn from_plan(plan: &Plan) -> Graph {
        let steps = StepIndex::of(plan);
        let servers = servers(plan, &steps);
        let index: BTreeMap<String, usize> = servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let groups = groups(&servers);
        let sites: Vec<String> = servers
            .iter()
            .filter_map(|s| s.site.clone())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let waits = waits(&servers, &steps, &index);
        let mut flows: Vec<Flow> = steps
            .flows
            .iter()
            .map(|(&(source, target), &(mailboxes, bytes))| Flow {
                source: index[source],
                target: index[target],
                mailboxes,
                bytes,
            })
            .collect();
        flows.sort_by_key(|f| (f.source, f.target));
        let legend = legend(plan, &servers, &flows);
        Graph {
            title: title(plan),
            legend,
            servers,
            groups,
            sites,
            waits,
            flows,
        }
    }

    /// Servers per rank, in wave order; servers in no wave come first,
    /// under `None`.
    pub fn ranks(&self) -> Vec<(Option<u32>, Vec<usize>)> {
        let mut ranks: BTreeMap<Option<u32>, Vec<usize>> = BTreeMap::new();
        for (i, s) in self.servers.iter().enumerate() {
            ranks.entry(s.rank).or_default().push(i);
        }
        ranks.into_iter().collect()
    }
}

/// A server's roles and group: as the plan lists them, the group being
/// the first role (the profile's order puts the tier role first). For a
/// server the plan does not list, only what the placement says: a store
/// there is a mailstore; of any other, the roles are unknown.
fn roles_of(listed: Option<&PlanServer>, in_placement: bool) -> (Vec<String>, String) {
    let roles = match listed {
        Some(s) => s.roles.clone(),
        None if in_placement => vec![MAILSTORE.to_string()],
        None => Vec::new(),
    };
    let group = roles
        .first()
        .cloned()
        .unwrap_or_else(|| ROLES_UNKNOWN.to_string());
    (roles, group)
}

/// A rule in a word or three: `zimbra order: mta before proxy` is `order`
/// (the groups show the tiers), `role logger waits for ldap-master` is
/// `logger after ldap-master`, `depends_on` stays.
fn compact_rule(rule: &WaitRule) -> (WaitKind, String) {
    match rule {
        WaitRule::Order { .. } => (WaitKind::Order, "order".to_string()),
        WaitRule::After { role, waits_for } => {
            (WaitKind::After, format!("{role} after {waits_for}"))
        }
        WaitRule::DependsOn => (WaitKind::DependsOn, rule.to_string()),
        _ => (WaitKind::Other, rule.to_string()),
    }
}

/// What the plan's waves say about each server: the names they mention, the
/// upgrade step of each server, the first switch of each store, and the
/// mailbox flows.
struct StepIndex<'a> {
    /// Every server the steps or the placement name.
    names: BTreeSet<&'a str>,
    /// The stores of the placement.
    stores: BTreeSet<&'a str>,
    /// Each upgraded server's wave and upgrade step.
    upgrades: BTreeMap<&'a str, (u32, &'a Step)>,
    /// Mailboxes and bytes switched per source and target.
    flows: BTreeMap<(&'a str, &'a str), (u64, u64)>,
    /// The wave of each store's first switch, in or out.
    first_switch: BTreeMap<&'a str, u32>,
}

impl<'a> StepIndex<'a> {
    fn of(plan: &'a Plan) -> StepIndex<'a> {
        // Every server of the plan, and every name its steps mention (all of
        // them, for an older plan that does not list servers).
        let mut index = StepIndex {
            names: plan.servers.keys().map(String::as_str).collect(),
            stores: plan
                .placement
                .before
                .keys()
                .chain(plan.placement.after.keys())
                .map(String::as_str)
                .collect(),
            upgrades: BTreeMap::new(),
            flows: BTreeMap::new(),
            first_switch: BTreeMap::new(),
        };
        for wave in &plan.waves {
            for step in &wave.steps {
                index.add(wave.index, step);
            }
        }
        index.names.extend(index.stores.iter().copied());
        for o in &plan.summary.outages {
            index.names.insert(&o.server);
        }
        index
    }

    fn add(&mut self, wave: u32, step: &'a Step) {
        self.names.extend(step.server.as_deref());
        self.names.extend(step.source.as_deref());
        self.names.extend(step.target.as_deref());
        for w in step.waits_for.iter().flatten() {
            self.names.insert(&w.server);
        }
        if let (StepKind::Upgrade, Some(server)) = (step.kind, &step.server) {
            self.upgrades.entry(server).or_insert((wave, step));
        }
        if let (StepKind::MoveSwitch, Some(source), Some(target)) =
            (step.kind, &step.source, &step.target)
        {
            self.first_switch.entry(source).or_insert(wave);
            self.first_switch.entry(target).or_insert(wave);
            let flow = self.flows.entry((source, target)).or_default();
            flow.0 += step.accounts.as_ref().map_or(0, |a| a.len() as u64);
            flow.1 = flow.1.saturating_add(step.bytes.unwrap_or(0));
        }
    }
}

/// Every server the graph shows, ordered by rank (servers in no rank first),
/// then name.
fn servers(plan: &Plan, steps: &StepIndex) -> Vec<Server> {
    let mut servers: Vec<Server> = steps
        .names
        .iter()
        .map(|&name| server(plan, steps, name))
        .collect();
    servers.sort_by(|a, b| (a.rank, &a.name).cmp(&(b.rank, &b.name)));
    servers
}

/// One server as the graph shows it.
fn server(plan: &Plan, steps: &StepIndex, name: &str) -> Server {
    let listed = plan.servers.get(name);
    let upgrade = steps.upgrades.get(name).map(|(_, step)| *step);
    let (roles, group) = roles_of(listed, steps.stores.contains(name));
    let outage_units: BTreeSet<&str> = plan
        .summary
        .outages
        .iter()
        .filter(|o| o.server == name)
        .map(|o| o.unit.as_str())
        .collect();
    let wave = steps.upgrades.get(name).map(|(w, _)| *w);
    Server {
        name: name.to_string(),
        roles,
        group,
        site: listed.and_then(|s| s.site.clone()),
        // The plan's own record first; an older plan has only the upgrade
        // step's.
        version: listed
            .map(|s| s.version.clone())
            .or_else(|| upgrade.and_then(|s| s.from_version.clone())),
        to_version: upgrade
            .and_then(|s| s.to_version.clone())
            .unwrap_or_else(|| plan.target_version.clone()),
        upgraded: listed.map(|s| s.upgraded),
        wave,
        rank: wave.or_else(|| steps.first_switch.get(name).copied()),
        outage: upgrade.is_some_and(|s| s.outage == Some(true)) || !outage_units.is_empty(),
        outage_units: outage_units.into_iter().map(str::to_string).collect(),
        why: upgrade.map_or(String::new(), |s| s.why.clone()),
    }
}

/// Groups in order of their first rank: servers in no rank (left alone, no
/// flow) count last, so that an ldap-replica already at the target does not
/// put its group before the ldap-master's.
fn groups(servers: &[Server]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let ranked = (0..servers.len()).filter(|&i| servers[i].rank.is_some());
    let unranked = (0..servers.len()).filter(|&i| servers[i].rank.is_none());
    for i in ranked.chain(unranked) {
        let s = &servers[i];
        match groups.iter_mut().find(|g| g.name == s.group) {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                name: s.group.clone(),
                members: vec![i],
            }),
        }
    }
    for g in &mut groups {
        g.members.sort_unstable();
    }
    groups
}

/// The order edges of every upgrade, from the server it waits for, ordered
/// by waiting server, then by the server waited for and the rule.
fn waits(servers: &[Server], steps: &StepIndex, index: &BTreeMap<String, usize>) -> Vec<Wait> {
    let mut waits = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        let Some((_, step)) = steps.upgrades.get(s.name.as_str()) else {
            continue;
        };
        let mut edges: Vec<&planner_core::plan::Wait> = step.waits_for.iter().flatten().collect();
        // Sorted by the rule's sentence, as the plan words it, so the drawing
        // does not depend on the order of the enum's variants.
        edges.sort_by_cached_key(|w| (index.get(&w.server), w.rule.to_string()));
        for w in edges {
            let (kind, label) = compact_rule(&w.rule);
            waits.push(Wait {
                from: index[&w.server],
                to: i,
                rule: w.rule.to_string(),
                label,
                kind,
            });
        }
    }
    waits
}

/// One line: target, profile, size and strategy.
fn title(plan: &Plan) -> String {
    let s = &plan.summary;
    let at_target = match s.servers_at_target {
        0 => String::new(),
        n => format!(" ({n} already at the target)"),
    };
    format!(
        "Upgrade to {} ({} profile): {} server{} in {} wave{}{at_target}, strategy {}",
        plan.target_version,
        plan.profile,
        s.servers_to_upgrade,
        plural(u64::from(s.servers_to_upgrade)),
        plan.waves.len(),
        plural(plan.waves.len() as u64),
        plan.strategy.chosen.as_str()
    )
}

/// One line: what the edge and node styles that the graph uses mean.
fn legend(plan: &Plan, servers: &[Server], flows: &[Flow]) -> String {
    let mut legend = vec!["solid: upgrade order, labelled with its rule".to_string()];
    if !flows.is_empty() {
        legend.push(format!(
            "dashed: mailbox moves ({} in all)",
            Bytes(plan.summary.bytes_moved)
        ));
    }
    if servers.iter().any(|s| s.outage) {
        legend.push("red: outage".to_string());
    }
    if servers.iter().any(Server::idle) {
        legend.push("grey: not upgraded".to_string());
    }
    legend.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_in_a_few_words() {
        for (rule, kind, label) in [
            ("zimbra order: mta before proxy", WaitKind::Order, "order"),
            (
                "role logger waits for ldap-master",
                WaitKind::After,
                "logger after ldap-master",
            ),
            ("depends_on", WaitKind::DependsOn, "depends_on"),
            ("something new", WaitKind::Other, "something new"),
        ] {
            let typed = WaitRule::parse(rule);
            assert_eq!(compact_rule(&typed), (kind, label.to_string()), "{rule}");
        }
    }

    #[test]
    fn the_small_plan_as_a_graph() {
        let g = Graph::from_plan(&crate::testing::plan());
        let names: Vec<&str> = g.servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ldap1.example.com",
                "ldap2.example.com",
                "mbx2.example.com",
                "mbx1.example.com"
            ]
        );
        let groups: Vec<&str> = g.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(groups, ["ldap-replica", "mailstore", "ldap-master"]);
        assert_eq!(g.flows.len(), 1);
        assert_eq!(g.flows[0].label(), "1 mailbox, 1 GiB");
        assert_eq!(g.flows[0].pen_width(g.flows[0].bytes), 4.5);
        assert_eq!(g.servers[0].versions(), "at 10.1.5, not upgraded");
        assert_eq!(
            g.title,
            "Upgrade to 10.1.5 (zimbra profile): 2 servers in 3 waves (2 already at the target), strategy forward"
        );
    }
}
