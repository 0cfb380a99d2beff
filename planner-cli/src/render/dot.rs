//! `--format dot` and `planner graph`: the server dependency graph for Graphviz.
//!
//! People read this graph to see the shape of an upgrade at a glance: which
//! server goes when (one rank per wave, top to bottom, with the wave written at
//! the left), which servers it waits for and by which rule, where mailboxes
//! flow between stores, and which upgrades take something down. Every server
//! of the plan is a box, labelled with its roles and site, in a cluster of its
//! first role; when the plan has several sites, each site is a cluster around
//! the role clusters of its servers. Order edges are solid, mailbox flows are
//! dashed, thicker the more bytes they carry, and do not shape the ranks. A
//! server the plan does not upgrade is grey and dashed, at its own version; a
//! store among them sits in the rank of its first switch, so that its flows
//! stay short, and the others in a rank of their own at the top. Every
//! identifier is double-quoted and escaped, so any name is safe for `dot`.
//!
//! The graph itself (nodes, groups, edges, flows) is read from the plan by the
//! `graph` module below, which the Mermaid renderer shares.

use std::fmt::Write as _;

use planner_core::plan::Plan;

use graph::{Graph, Server, WaitKind};

/// Colour of mailbox flows.
const FLOW_COLOUR: &str = "#1f6fb2";
/// Colour of an outage: border and text.
const OUTAGE_COLOUR: &str = "#c0392b";
/// Fill of an outage.
const OUTAGE_FILL: &str = "#fde2df";
/// Thinnest and thickest flow edge.
const FLOW_PEN: (f64, f64) = (1.0, 4.5);

/// The plan as a Graphviz digraph.
pub fn render(plan: &Plan) -> String {
    let g = Graph::from_plan(plan);
    let mut out = String::new();
    let _ = writeln!(out, "// planner graph, {}", plan.inventory_digest);
    let _ = writeln!(out, "digraph \"upgrade\" {{");
    let _ = writeln!(
        out,
        "  graph [label={}, labelloc=t, fontname=\"Helvetica\", fontsize=12, \
         newrank=true, rankdir=TB, nodesep=0.3, ranksep=0.5];",
        quote_lines(&[g.title.as_str(), g.legend.as_str()])
    );
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=10];"
    );
    let _ = writeln!(
        out,
        "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\", fontcolor=\"#555555\"];"
    );

    // The wave column: one plain label per rank, chained by invisible edges
    // so that ranks follow waves even where no order edge says so.
    out.push_str("\n  // Waves, top to bottom.\n");
    let ranks = g.ranks();
    for (wave, _) in &ranks {
        let _ = writeln!(
            out,
            "  {} [shape=plaintext, fontsize=10, fontcolor=\"#777777\"];",
            quote(&wave_id(*wave))
        );
    }
    if ranks.len() > 1 {
        let chain: Vec<String> = ranks.iter().map(|(w, _)| quote(&wave_id(*w))).collect();
        let _ = writeln!(out, "  {} [style=invis];", chain.join(" -> "));
    }

    if g.sites.len() > 1 {
        out.push_str("\n  // Servers, grouped by site, then by role.\n");
        for (j, site) in g.sites.iter().enumerate() {
            let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_site_{j}")));
            let _ = writeln!(
                out,
                "    label={}; fontsize=12; style=\"rounded\"; color=\"#8a8a8a\"; penwidth=1.5;",
                quote_text(&format!("site {site}"))
            );
            let prefix = format!("cluster_site_{j}_");
            let of_site = |s: &Server| s.site.as_ref() == Some(site);
            write_groups(&mut out, &g, of_site, &prefix, "    ");
            out.push_str("  }\n");
        }
        // Servers of no named site, if any, outside the sites.
        write_groups(&mut out, &g, |s| s.site.is_none(), "cluster_", "  ");
    } else {
        out.push_str("\n  // Servers, grouped by role.\n");
        write_groups(&mut out, &g, |_| true, "cluster_", "  ");
    }

    out.push_str("\n  // One rank per wave.\n");
    for (wave, members) in &ranks {
        let names: Vec<String> = members.iter().map(|&s| quote(&g.servers[s].name)).collect();
        let _ = writeln!(
            out,
            "  {{ rank=same; {}; {}; }}",
            quote(&wave_id(*wave)),
            names.join("; ")
        );
    }

    if !g.waits.is_empty() {
        out.push_str("\n  // Upgrade order: each server after the servers it waits for.\n");
    }
    for w in &g.waits {
        let style = match w.kind {
            WaitKind::Order => "",
            WaitKind::After => ", color=\"#7d5ba6\", fontcolor=\"#7d5ba6\"",
            WaitKind::DependsOn => ", color=\"#000000\", fontcolor=\"#000000\", penwidth=1.5",
            WaitKind::Other => "",
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, tooltip={}{style}];",
            quote(&g.servers[w.from].name),
            quote(&g.servers[w.to].name),
            quote_text(&w.label),
            quote_text(&w.rule)
        );
    }

    if !g.flows.is_empty() {
        out.push_str(
            "\n  // Mailbox moves, summed per source and target; they do not shape the ranks.\n",
        );
    }
    let heaviest = g.flows.iter().map(|f| f.bytes).max().unwrap_or(0);
    for f in &g.flows {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, style=dashed, color=\"{FLOW_COLOUR}\", \
             fontcolor=\"{FLOW_COLOUR}\", penwidth={:.1}, arrowsize=0.7, constraint=false];",
            quote(&g.servers[f.source].name),
            quote(&g.servers[f.target].name),
            quote_text(&f.label()),
            pen_width(f.bytes, heaviest)
        );
    }
    out.push_str("}\n");
    out
}

/// The role clusters of the servers that `keep` takes (those of one site, or
/// all), each with its nodes. Cluster ids are the prefix and the group's
/// index, so they are unique and stable.
fn write_groups(
    out: &mut String,
    g: &Graph,
    keep: impl Fn(&Server) -> bool,
    prefix: &str,
    indent: &str,
) {
    for (i, group) in g.groups.iter().enumerate() {
        let members: Vec<&Server> = group
            .members
            .iter()
            .map(|&s| &g.servers[s])
            .filter(|s| keep(s))
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "{indent}subgraph {} {{",
            quote(&format!("{prefix}{i}"))
        );
        let _ = writeln!(
            out,
            "{indent}  label={}; fontsize=10; style=\"rounded,filled\"; color=\"#cccccc\"; fillcolor=\"#f7f7f7\";",
            quote_text(&group.name)
        );
        for s in members {
            let _ = writeln!(out, "{indent}  {}", node(s));
        }
        let _ = writeln!(out, "{indent}}}");
    }
}

/// One server's node statement.
fn node(s: &Server) -> String {
    let mut lines: Vec<String> = vec![s.name.clone()];
    lines.extend(s.roles_line());
    lines.push(s.versions());
    lines.extend(s.outage_line());
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut attrs = format!("label={}", quote_lines(&lines));
    if !s.why.is_empty() {
        let _ = write!(attrs, ", tooltip={}", quote_text(&s.why));
    }
    if s.outage {
        let _ = write!(
            attrs,
            ", style=\"rounded,filled,bold\", color=\"{OUTAGE_COLOUR}\", \
             fillcolor=\"{OUTAGE_FILL}\", fontcolor=\"{OUTAGE_COLOUR}\""
        );
    } else if s.idle() {
        attrs.push_str(
            ", style=\"rounded,filled,dashed\", color=\"#888888\", fillcolor=\"#eeeeee\", fontcolor=\"#555555\"",
        );
    } else {
        attrs.push_str(", style=\"rounded,filled\", fillcolor=\"#ffffff\"");
    }
    format!("{} [{attrs}];", quote(&s.name))
}

/// The id and label of a wave's rank label; `None` is the rank of the servers
/// the plan does not upgrade. Server names are host names, which hold no
/// space, so these ids cannot collide with a server's.
fn wave_id(wave: Option<u32>) -> String {
    match wave {
        Some(w) => format!("wave {w}"),
        None => "at target".to_string(),
    }
}

/// Flow pen width, from thinnest to thickest in proportion to bytes.
fn pen_width(bytes: u64, heaviest: u64) -> f64 {
    if heaviest == 0 {
        return FLOW_PEN.0;
    }
    FLOW_PEN.0 + (FLOW_PEN.1 - FLOW_PEN.0) * (bytes as f64 / heaviest as f64)
}

/// A DOT double-quoted id: backslashes and quotes escaped, so that no name
/// can end the string. Every use of a name as an id goes through here, so
/// edges and ranks name the same node as its statement.
fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text, false))
}

/// A DOT double-quoted label or tooltip: as an id, and also `&` as `&amp;`,
/// because Graphviz reads entities such as `&amp;` in labels.
fn quote_text(text: &str) -> String {
    format!("\"{}\"", escape(text, true))
}

/// A DOT label of several centred lines, each escaped.
fn quote_lines(lines: &[&str]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| escape(l, true)).collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// The inside of a DOT string. Backslashes are doubled so that a name never
/// starts a label escape such as `\N`; a line break becomes DOT's `\n`.
fn escape(text: &str, entities: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' if entities => out.push_str("&amp;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The graph both graph renderers draw, read from the plan alone.
///
/// It lives here rather than in a file of its own because each renderer owns
/// exactly one file; `mermaid.rs` reads it through `super::dot::graph`.
pub(crate) mod graph {
    use std::collections::{BTreeMap, BTreeSet};

    use planner_core::inventory::Bytes;
    use planner_core::plan::{Plan, PlanServer, Step, StepKind};

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
                if self.mailboxes == 1 { "" } else { "es" },
                Bytes(self.bytes)
            )
        }
    }

    impl Graph {
        /// Reads the graph from the plan.
        pub fn from_plan(plan: &Plan) -> Graph {
            // Every server of the plan, and every name its steps mention
            // (all of them, for an older plan that does not list servers).
            let mut names: BTreeSet<&str> = plan.servers.keys().map(String::as_str).collect();
            let mut upgrades: BTreeMap<&str, (u32, &Step)> = BTreeMap::new();
            let mut flows: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
            let mut first_switch: BTreeMap<&str, u32> = BTreeMap::new();
            for wave in &plan.waves {
                for step in &wave.steps {
                    names.extend(step.server.as_deref());
                    names.extend(step.source.as_deref());
                    names.extend(step.target.as_deref());
                    for w in step.waits_for.iter().flatten() {
                        names.insert(&w.server);
                    }
                    if let (StepKind::Upgrade, Some(server)) = (step.kind, &step.server) {
                        upgrades.entry(server).or_insert((wave.index, step));
                    }
                    if let (StepKind::MoveSwitch, Some(source), Some(target)) =
                        (step.kind, &step.source, &step.target)
                    {
                        first_switch.entry(source).or_insert(wave.index);
                        first_switch.entry(target).or_insert(wave.index);
                        let flow = flows.entry((source, target)).or_default();
                        flow.0 += step.accounts.as_ref().map_or(0, |a| a.len() as u64);
                        flow.1 += step.bytes.unwrap_or(0);
                    }
                }
            }
            let stores: BTreeSet<&str> = plan
                .placement
                .before
                .keys()
                .chain(plan.placement.after.keys())
                .map(String::as_str)
                .collect();
            names.extend(&stores);
            for o in &plan.summary.outages {
                names.insert(&o.server);
            }

            let mut servers: Vec<Server> = names
                .iter()
                .map(|&name| {
                    let listed = plan.servers.get(name);
                    let upgrade = upgrades.get(name).map(|(_, step)| *step);
                    let (roles, group) = roles_of(listed, stores.contains(name));
                    let outage_units: BTreeSet<&str> = plan
                        .summary
                        .outages
                        .iter()
                        .filter(|o| o.server == name)
                        .map(|o| o.unit.as_str())
                        .collect();
                    let wave = upgrades.get(name).map(|(w, _)| *w);
                    Server {
                        name: name.to_string(),
                        roles,
                        group,
                        site: listed.and_then(|s| s.site.clone()),
                        // The plan's own record first; an older plan has only
                        // the upgrade step's.
                        version: listed
                            .map(|s| s.version.clone())
                            .or_else(|| upgrade.and_then(|s| s.from_version.clone())),
                        to_version: upgrade
                            .and_then(|s| s.to_version.clone())
                            .unwrap_or_else(|| plan.target_version.clone()),
                        upgraded: listed.map(|s| s.upgraded),
                        wave,
                        rank: wave.or_else(|| first_switch.get(name).copied()),
                        outage: upgrade.is_some_and(|s| s.outage == Some(true))
                            || !outage_units.is_empty(),
                        outage_units: outage_units.into_iter().map(str::to_string).collect(),
                        why: upgrade.map_or(String::new(), |s| s.why.clone()),
                    }
                })
                .collect();
            servers.sort_by(|a, b| (a.rank, &a.name).cmp(&(b.rank, &b.name)));
            let index: BTreeMap<String, usize> = servers
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.clone(), i))
                .collect();

            // Groups in order of their first rank: servers in no rank (left
            // alone, no flow) count last, so that an ldap-replica already at
            // the target does not put its group before the ldap-master's.
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
            let sites: Vec<String> = servers
                .iter()
                .filter_map(|s| s.site.clone())
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect();

            let mut waits = Vec::new();
            for (i, s) in servers.iter().enumerate() {
                let Some((_, step)) = upgrades.get(s.name.as_str()) else {
                    continue;
                };
                let mut edges: Vec<&planner_core::plan::Wait> =
                    step.waits_for.iter().flatten().collect();
                edges.sort_by(|a, b| {
                    (index.get(&a.server), a.rule.to_string())
                        .cmp(&(index.get(&b.server), b.rule.to_string()))
                });
                for w in edges {
                    let (kind, label) = compact_rule(&w.rule.to_string());
                    waits.push(Wait {
                        from: index[&w.server],
                        to: i,
                        rule: w.rule.to_string(),
                        label,
                        kind,
                    });
                }
            }
            let mut flows: Vec<Flow> = flows
                .into_iter()
                .map(|((source, target), (mailboxes, bytes))| Flow {
                    source: index[source],
                    target: index[target],
                    mailboxes,
                    bytes,
                })
                .collect();
            flows.sort_by_key(|f| (f.source, f.target));

            let s = &plan.summary;
            let at_target = match s.servers_at_target {
                0 => String::new(),
                n => format!(" ({n} already at the target)"),
            };
            let title = format!(
                "Upgrade to {} ({} profile): {} server{} in {} wave{}{at_target}, strategy {}",
                plan.target_version,
                plan.profile,
                s.servers_to_upgrade,
                if s.servers_to_upgrade == 1 { "" } else { "s" },
                plan.waves.len(),
                if plan.waves.len() == 1 { "" } else { "s" },
                plan.strategy.chosen.as_str()
            );
            let mut legend = vec!["solid: upgrade order, labelled with its rule".to_string()];
            if !flows.is_empty() {
                legend.push(format!(
                    "dashed: mailbox moves ({} in all)",
                    Bytes(s.bytes_moved)
                ));
            }
            if servers.iter().any(|s| s.outage) {
                legend.push("red: outage".to_string());
            }
            if servers.iter().any(Server::idle) {
                legend.push("grey: not upgraded".to_string());
            }
            Graph {
                title,
                legend: legend.join("; "),
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
    pub(crate) fn compact_rule(rule: &str) -> (WaitKind, String) {
        if let Some((_, tiers)) = rule.split_once(" order: ")
            && tiers.contains(" before ")
        {
            return (WaitKind::Order, "order".to_string());
        }
        if let Some((role, waited)) = rule
            .strip_prefix("role ")
            .and_then(|r| r.split_once(" waits for "))
        {
            return (WaitKind::After, format!("{role} after {waited}"));
        }
        if rule == "depends_on" {
            return (WaitKind::DependsOn, rule.to_string());
        }
        (WaitKind::Other, rule.to_string())
    }
}
