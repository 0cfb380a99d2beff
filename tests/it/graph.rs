//! The graph renderers, `dot` and `mermaid`: one snapshot per example and
//! format, Graphviz accepting every DOT output, and both outputs holding every
//! server of the plan (upgraded or not, with its roles, site and own version,
//! in the group of its first role, and in DOT in the cluster of its site when
//! there are several), every order edge and every mailbox flow. Roles come
//! from the plan's server list, never from the `why` texts; a plan without
//! that list (an older one) still renders.
//!
//! Graphviz is needed: `.ci/run` installs it, and a missing `dot` fails the
//! tests that use it (with a hint to install graphviz) rather than skipping.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use planner_core::plan::{Plan, PlanServer, StepKind};
use planner_render::{dot, mermaid};

use crate::util::{self, NOW};

mod support {
    use super::*;

    /// `examples/NAME.yaml` for an example's full path.
    pub fn example_arg(path: &Path) -> String {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        format!("examples/{file}")
    }

    /// Every example inventory, sorted.
    pub fn examples() -> Vec<String> {
        let names = util::yaml_files("examples");
        assert!(!names.is_empty(), "no examples found");
        names
    }

    /// Runs `planner` in the workspace root; it must succeed. Returns stdout.
    pub fn planner(args: &[&str]) -> String {
        util::planner(args).stdout()
    }

    /// `planner graph INVENTORY --format FORMAT` at the fixed time.
    pub fn graph(inventory: &str, format: &str) -> String {
        planner(&["graph", inventory, "--format", format, "--now", NOW])
    }

    /// The plan of an inventory, read back from `--format json`.
    pub fn plan(inventory: &str) -> Plan {
        let json = planner(&["plan", inventory, "--format", "json", "--now", NOW]);
        serde_json::from_str(&json).expect("the JSON plan parses")
    }

    /// Every server a plan names: its server list, and the names in its
    /// steps, order edges and placement.
    pub fn servers(plan: &Plan) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = plan.servers.keys().cloned().collect();
        names.extend(plan.placement.before.keys().cloned());
        for step in plan.waves.iter().flat_map(|w| &w.steps) {
            names.extend(step.server.iter().cloned());
            names.extend(step.source.iter().cloned());
            names.extend(step.target.iter().cloned());
            for w in step.waits_for.iter().flatten() {
                names.insert(w.server.clone());
            }
        }
        names
    }

    /// Runs Graphviz's `dot -Tsvg` on the text; it must succeed. Returns the SVG.
    ///
    /// A missing `dot` fails: under CI, because `.ci/run` must install it;
    /// elsewhere, with the package to install.
    pub fn svg(dot_text: &str, what: &str) -> String {
        let child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!(
                        "Graphviz's `dot` is not installed on CI: .ci/run must install \
                         graphviz before the tests"
                    );
                }
                panic!(
                    "Graphviz's `dot` is not installed: install graphviz \
                     (`apt-get install graphviz`) to run this test"
                );
            }
            Err(e) => panic!("cannot run `dot`: {e}"),
        };
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dot_text.as_bytes())
            .expect("dot reads its input");
        let output = child.wait_with_output().expect("dot runs");
        assert!(
            output.status.success(),
            "dot -Tsvg refused the DOT of {what}:\n{}\n{dot_text}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 SVG")
    }

    /// Text as Graphviz writes it into SVG.
    pub fn xml_escape(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    /// Mermaid node ids by server name, from lines `nK["NAME<br/>…"]`, and
    /// the escaped label of each.
    pub fn mermaid_nodes(text: &str) -> BTreeMap<String, String> {
        let mut nodes = BTreeMap::new();
        for line in text.lines().map(str::trim) {
            let Some((id, rest)) = line.split_once("[\"") else {
                continue;
            };
            if !id.starts_with('n') || !id[1..].chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let label = rest
                .strip_suffix("\"]")
                .expect("a node label ends with \"]");
            let name = label.split("<br/>").next().expect("a name");
            let previous = nodes.insert(name.to_string(), id.to_string());
            assert!(previous.is_none(), "{name} has two nodes:\n{text}");
        }
        nodes
    }

    /// Mermaid subgraph labels by node id: the subgraph each node is
    /// declared in.
    pub fn mermaid_subgraphs(text: &str) -> BTreeMap<String, String> {
        let mut inside: Option<String> = None;
        let mut of = BTreeMap::new();
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("subgraph ") {
                let (_, label) = rest.split_once(" [\"").expect("a subgraph label");
                let label = label.strip_suffix("\"]").expect("a quoted label");
                assert!(inside.is_none(), "nested subgraph: {line}");
                inside = Some(label.to_string());
            } else if line == "end" {
                inside = None;
            } else if let Some((id, _)) = line.split_once("[\"")
                && let Some(group) = &inside
            {
                of.insert(id.to_string(), group.clone());
            }
        }
        of
    }

    /// The DOT string at the start of `text` (which starts with `"`),
    /// unescaped (`\n` is a line break), and what follows it.
    pub fn dot_string(text: &str) -> (String, &str) {
        let mut out = String::new();
        let mut chars = text.char_indices();
        assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "a string: {text}");
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return (out, &text[i + 1..]),
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some(c) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        panic!("an unterminated string: {text}");
    }

    /// A DOT cluster: its id, label and enclosing cluster.
    pub struct Cluster {
        pub id: String,
        pub label: String,
        pub parent: Option<usize>,
    }

    /// The clusters of a DOT text as the renderer writes them (one statement
    /// a line), and each node's label and innermost cluster.
    pub struct DotTree {
        pub clusters: Vec<Cluster>,
        pub nodes: BTreeMap<String, (String, Option<usize>)>,
    }

    impl DotTree {
        pub fn parse(text: &str) -> DotTree {
            let mut tree = DotTree {
                clusters: Vec::new(),
                nodes: BTreeMap::new(),
            };
            let mut open: Vec<Option<usize>> = Vec::new();
            for line in text.lines().map(str::trim) {
                let current = open.iter().rev().flatten().next().copied();
                if let Some(rest) = line.strip_prefix("subgraph ") {
                    let (id, _) = dot_string(rest);
                    if id.starts_with("cluster") {
                        tree.clusters.push(Cluster {
                            id,
                            label: String::new(),
                            parent: current,
                        });
                        open.push(Some(tree.clusters.len() - 1));
                    } else {
                        open.push(None);
                    }
                } else if line.starts_with('{') && line.ends_with('}') {
                    // A rank: `{ rank=same; … }`, on one line.
                } else if line == "}" {
                    open.pop();
                } else if let Some(rest) = line.strip_prefix("label=") {
                    let c = current.expect("a label inside a cluster");
                    tree.clusters[c].label = dot_string(rest).0;
                } else if line.starts_with('"') && !line.contains("\" -> \"") {
                    let (name, rest) = dot_string(line);
                    if let Some(rest) = rest.strip_prefix(" [label=") {
                        let (label, _) = dot_string(rest);
                        let previous = tree.nodes.insert(name.clone(), (label, current));
                        assert!(previous.is_none(), "{name} has two nodes:\n{text}");
                    }
                }
            }
            assert!(open.is_empty(), "every subgraph ends:\n{text}");
            tree
        }

        /// The labels of the clusters around a node, outermost first.
        pub fn clusters_of(&self, node: &str) -> Vec<&str> {
            let (_, mut at) = self.nodes[node];
            let mut path = Vec::new();
            while let Some(c) = at {
                path.push(self.clusters[c].label.as_str());
                at = self.clusters[c].parent;
            }
            path.reverse();
            path
        }

        /// The label of a node.
        pub fn label(&self, node: &str) -> &str {
            &self.nodes[node].0
        }
    }
}

use support::{
    DotTree, examples, graph, mermaid_nodes, mermaid_subgraphs, plan, planner, servers, svg,
    xml_escape,
};

#[test]
fn dot_of_every_example() {
    insta::glob!("../../examples", "*.yaml", |path| {
        insta::assert_snapshot!(graph(&support::example_arg(path), "dot"));
    });
}

#[test]
fn mermaid_of_every_example() {
    insta::glob!("../../examples", "*.yaml", |path| {
        insta::assert_snapshot!(graph(&support::example_arg(path), "mermaid"));
    });
}

#[test]
fn plan_format_dot_and_mermaid_are_the_graph() {
    for example in examples() {
        for format in ["dot", "mermaid"] {
            let from_plan = planner(&["plan", &example, "--format", format, "--now", NOW]);
            assert_eq!(from_plan, graph(&example, format), "{example} {format}");
        }
    }
}

#[test]
fn graphviz_accepts_the_dot_of_every_example_and_draws_every_server() {
    for example in examples() {
        let plan = plan(&example);
        let text = graph(&example, "dot");
        let picture = svg(&text, &example);
        for server in servers(&plan) {
            assert!(
                picture.contains(&xml_escape(&server)),
                "{example}: the SVG does not mention {server}"
            );
        }
    }
}

#[test]
fn dot_ranks_are_the_upgrade_waves() {
    for example in examples() {
        let plan = plan(&example);
        let text = dot::to_string(&plan);
        for wave in &plan.waves {
            for step in wave.steps.iter().filter(|s| s.kind == StepKind::Upgrade) {
                let server = step.server.as_deref().expect("an upgrade has a server");
                let rank = format!("{{ rank=same; \"wave {}\";", wave.index);
                let line = text
                    .lines()
                    .find(|l| l.trim_start().starts_with(&rank))
                    .unwrap_or_else(|| panic!("{example}: no rank for wave {}", wave.index));
                assert!(
                    line.contains(&format!("\"{server}\"")),
                    "{example}: {server} is not in the rank of wave {}: {line}",
                    wave.index
                );
            }
        }
    }
}

#[test]
fn mermaid_has_every_server_order_edge_and_flow() {
    for example in examples() {
        let plan = plan(&example);
        let text = mermaid::to_string(&plan);
        assert!(text.starts_with("flowchart "), "{example}:\n{text}");
        assert_eq!(
            text.lines()
                .filter(|l| l.trim_start().starts_with("subgraph "))
                .count(),
            text.lines().filter(|l| l.trim() == "end").count(),
            "{example}: every subgraph ends"
        );
        let nodes = mermaid_nodes(&text);
        for server in servers(&plan) {
            assert!(
                nodes.contains_key(&server),
                "{example}: no node for {server}"
            );
        }
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let has_link = |from: &str, arrow: &str, to: &str| {
            let (head, tail) = (format!("{from} {arrow}|"), format!("| {to}"));
            lines
                .iter()
                .any(|l| l.starts_with(&head) && l.ends_with(&tail))
        };
        for step in plan.waves.iter().flat_map(|w| &w.steps) {
            if let Some(server) = &step.server {
                for w in step.waits_for.iter().flatten() {
                    assert!(
                        has_link(&nodes[&w.server], "-->", &nodes[server]),
                        "{example}: no edge {} -> {server}",
                        w.server
                    );
                }
            }
            if step.kind == StepKind::MoveSwitch {
                let (source, target) = (step.source.as_ref(), step.target.as_ref());
                let (source, target) = (source.expect("source"), target.expect("target"));
                assert!(
                    has_link(&nodes[source], "-.->", &nodes[target]),
                    "{example}: no flow {source} -> {target}"
                );
            }
        }
    }
}

/// A name that would break an unescaped DOT or Mermaid file: quotes, a
/// backslash (and DOT's `\N` escape), Mermaid's `#…;` entities, HTML and `end`.
const HOSTILE: &str = r#"mbx1 "quoted" \N back\slash #quot; <b>&amp; end"#;

/// The enterprise plan with one store renamed to `HOSTILE` everywhere.
fn hostile_plan() -> Plan {
    let json = planner(&[
        "plan",
        "examples/enterprise.yaml",
        "--format",
        "json",
        "--now",
        NOW,
    ]);
    let quoted = serde_json::to_string(HOSTILE).expect("a JSON string");
    let json = json.replace("mbx1.corp.example.com", &quoted[1..quoted.len() - 1]);
    let plan: Plan = serde_json::from_str(&json).expect("the renamed plan parses");
    assert!(servers(&plan).contains(HOSTILE), "the store was renamed");
    plan
}

#[test]
fn dot_quotes_every_name() {
    let text = dot::to_string(&hostile_plan());
    assert!(
        text.contains(r#""mbx1 \"quoted\" \\N back\\slash #quot; <b>&amp; end""#),
        "the name is one escaped DOT string:\n{text}"
    );
    let picture = svg(&text, "a plan with a hostile name");
    assert!(
        picture.contains(&xml_escape(HOSTILE)),
        "the SVG shows the name as it is:\n{picture}"
    );
}

#[test]
fn mermaid_escapes_every_name() {
    let text = mermaid::to_string(&hostile_plan());
    let escaped = r"mbx1 #quot;quoted#quot; \N back\slash #35;quot; #lt;b#gt;#amp;amp; end";
    let nodes = mermaid_nodes(&text);
    assert!(
        nodes.contains_key(escaped),
        "an escaped node label:\n{text}"
    );
    for line in text.lines().filter(|l| l.contains("#lt;b")) {
        let inner = line
            .split_once('"')
            .and_then(|(_, rest)| rest.rsplit_once('"'))
            .map_or("", |(inner, _)| inner);
        let bare = inner.replace("<br/>", "");
        assert!(
            !bare.contains(['"', '<', '>']),
            "a quote or tag inside a label: {line}"
        );
    }
    assert!(
        !text.contains(HOSTILE),
        "the raw name never appears:\n{text}"
    );
}

#[test]
fn stores_the_plan_does_not_upgrade_are_drawn_at_target() {
    let mut plan = plan("examples/enterprise.yaml");
    plan.waves.clear();
    let text = dot::to_string(&plan);
    svg(&text, "a plan without waves");
    let rank = text
        .lines()
        .find(|l| l.contains("rank=same; \"at target\""))
        .unwrap_or_else(|| panic!("no rank for the stores at target:\n{text}"));
    let nodes = mermaid_nodes(&mermaid::to_string(&plan));
    for store in plan.placement.before.keys() {
        assert!(rank.contains(&format!("\"{store}\"")), "{store}: {rank}");
        assert!(nodes.contains_key(store), "no Mermaid node for {store}");
    }
    // Every listed server too, none of them upgraded by a step.
    for server in plan.servers.keys() {
        assert!(rank.contains(&format!("\"{server}\"")), "{server}: {rank}");
        assert!(nodes.contains_key(server), "no Mermaid node for {server}");
    }
}

/// What a node says of a listed server: its roles, its site when it has
/// one, and its version: `FROM → TARGET` or `at VERSION, not upgraded`.
fn expected_lines(plan: &Plan, server: &PlanServer) -> Vec<String> {
    let mut facts = vec![server.roles.join(", ")];
    if let Some(site) = &server.site {
        facts.push(format!("site {site}"));
    }
    let version = if server.upgraded {
        format!("{} → {}", server.version, plan.target_version)
    } else {
        format!("at {}, not upgraded", server.version)
    };
    vec![facts.join(" · "), version]
}

#[test]
fn every_listed_server_has_a_node_with_its_roles_site_and_version() {
    for example in examples() {
        let plan = plan(&example);
        assert!(
            !plan.servers.is_empty(),
            "{example}: the plan lists servers"
        );
        let tree = DotTree::parse(&dot::to_string(&plan));
        let mermaid = mermaid::to_string(&plan);
        let nodes = mermaid_nodes(&mermaid);
        let labels: BTreeMap<&str, &str> = mermaid
            .lines()
            .filter_map(|l| l.trim().split_once("[\""))
            .collect();
        for (name, server) in &plan.servers {
            assert!(
                tree.nodes.contains_key(name),
                "{example}: no DOT node for {name}"
            );
            let dot_lines: Vec<&str> = tree.label(name).lines().collect();
            let id = nodes
                .get(name)
                .unwrap_or_else(|| panic!("{example}: no Mermaid node for {name}"));
            let mermaid_lines: Vec<&str> = labels[id.as_str()]
                .trim_end_matches("\"]")
                .split("<br/>")
                .collect();
            for line in expected_lines(&plan, server) {
                assert!(
                    dot_lines.contains(&line.as_str()),
                    "{example}: the DOT node of {name} does not say {line:?}: {dot_lines:?}"
                );
                assert!(
                    mermaid_lines.contains(&line.as_str()),
                    "{example}: the Mermaid node of {name} does not say {line:?}: {mermaid_lines:?}"
                );
            }
        }
    }
}

#[test]
fn servers_are_grouped_by_their_first_role_and_by_site_when_there_are_several() {
    for example in examples() {
        let plan = plan(&example);
        let tree = DotTree::parse(&dot::to_string(&plan));
        let sites: BTreeSet<&str> = plan
            .servers
            .values()
            .filter_map(|s| s.site.as_deref())
            .collect();
        let mermaid = mermaid::to_string(&plan);
        let (nodes, subgraphs) = (mermaid_nodes(&mermaid), mermaid_subgraphs(&mermaid));
        for (name, server) in &plan.servers {
            let role = server.roles.first().expect("a server has a role");
            let expected: Vec<String> = match &server.site {
                Some(site) if sites.len() > 1 => vec![format!("site {site}"), role.clone()],
                _ => vec![role.clone()],
            };
            assert_eq!(
                tree.clusters_of(name),
                expected,
                "{example}: the DOT clusters of {name}"
            );
            assert_eq!(
                subgraphs.get(&nodes[name]),
                Some(role),
                "{example}: the Mermaid subgraph of {name}"
            );
        }
        if sites.len() <= 1 {
            assert!(
                tree.clusters.iter().all(|c| !c.label.starts_with("site ")),
                "{example}: a site cluster in a plan of one site"
            );
        }
    }
}

#[test]
fn the_two_sites_are_two_clusters_of_role_clusters() {
    let plan = plan("examples/two-sites.yaml");
    let tree = DotTree::parse(&dot::to_string(&plan));
    let outer: Vec<&str> = tree
        .clusters
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(outer, ["site dc1", "site dc2"]);
    let ids: BTreeSet<&str> = tree.clusters.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), tree.clusters.len(), "cluster ids are unique");
    assert!(
        tree.clusters
            .iter()
            .filter(|c| c.parent.is_some())
            .all(|c| !c.label.starts_with("site ")),
        "role clusters inside the sites, and nothing deeper"
    );
    assert_eq!(
        tree.clusters_of("proxy2.dc2.example.edu"),
        ["site dc2", "proxy"]
    );
    assert!(
        tree.label("proxy2.dc2.example.edu")
            .contains("proxy, memcached · site dc2"),
        "all roles and the site on the node"
    );
}

/// The enterprise plan with one more ldap replica, already past the target
/// and so not upgraded.
fn plan_with_a_replica_at_target() -> Plan {
    let mut plan = plan("examples/enterprise.yaml");
    plan.servers.insert(
        "ldap3.corp.example.com".to_string(),
        PlanServer {
            roles: vec!["ldap-replica".to_string()],
            site: None,
            version: "10.1.5_GA_4200".to_string(),
            upgraded: false,
            capacity: None,
        },
    );
    plan.summary.servers_at_target += 1;
    plan
}

#[test]
fn servers_not_upgraded_are_drawn_at_their_own_version() {
    let plan = plan_with_a_replica_at_target();
    let name = "ldap3.corp.example.com";
    let text = dot::to_string(&plan);
    svg(&text, "a plan with a server already at the target");
    let tree = DotTree::parse(&text);
    assert_eq!(tree.clusters_of(name), ["ldap-replica"]);
    assert_eq!(
        tree.label(name),
        "ldap3.corp.example.com\nldap-replica\nat 10.1.5_GA_4200, not upgraded"
    );
    let rank = text
        .lines()
        .find(|l| l.contains("rank=same; \"at target\""))
        .unwrap_or_else(|| panic!("no rank for the servers at target:\n{text}"));
    assert!(rank.contains(&format!("\"{name}\"")), "{rank}");
    let statement = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("\"{name}\" [")))
        .expect("a node statement");
    assert!(statement.contains("dashed"), "drawn as idle: {statement}");
    assert!(
        text.contains(&format!(
            "11 servers in {} waves (1 already at the target)",
            plan.waves.len()
        )),
        "the title counts it:\n{text}"
    );

    let mermaid = mermaid::to_string(&plan);
    let id = &mermaid_nodes(&mermaid)[name];
    assert_eq!(
        mermaid_subgraphs(&mermaid).get(id).map(String::as_str),
        Some("ldap-replica")
    );
    assert!(
        mermaid.contains(&format!(
            "{id}[\"ldap3.corp.example.com<br/>ldap-replica<br/>at 10.1.5_GA_4200, not upgraded\"]"
        )),
        "{mermaid}"
    );
    let idle = mermaid
        .lines()
        .find(|l| l.trim_start().starts_with("class ") && l.ends_with(" idle"))
        .expect("a class line for the idle servers");
    assert!(idle.split([' ', ',']).any(|i| i == id), "{idle}");
}

#[test]
fn roles_come_from_the_server_list_not_from_why() {
    let plan = plan("examples/two-sites.yaml");
    let mut misleading = plan.clone();
    for step in misleading.waves.iter_mut().flat_map(|w| &mut w.steps) {
        step.why = "mailstore tier (5 of 5 in the zimbra order)".to_string();
    }
    assert_eq!(mermaid::to_string(&plan), mermaid::to_string(&misleading));
    let (before, after) = (
        DotTree::parse(&dot::to_string(&plan)),
        DotTree::parse(&dot::to_string(&misleading)),
    );
    for name in plan.servers.keys() {
        assert_eq!(before.clusters_of(name), after.clusters_of(name), "{name}");
        assert_eq!(before.label(name), after.label(name), "{name}");
    }
    // `why` is still the tooltip of an upgrade.
    let text = dot::to_string(&misleading);
    assert!(
        text.contains(", tooltip=\"mailstore tier (5 of 5 in the zimbra order)\""),
        "{text}"
    );
}

#[test]
fn a_plan_without_a_server_list_still_renders() {
    for example in examples() {
        let mut plan = plan(&example);
        // As an older plan reads: the field defaults to empty.
        let mut json = serde_json::to_value(&plan).expect("a plan serializes");
        json.as_object_mut().expect("an object").remove("servers");
        let old: Plan = serde_json::from_value(json).expect("an older plan parses");
        assert!(old.servers.is_empty());
        plan.servers.clear();
        assert_eq!(old, plan);

        let text = dot::to_string(&old);
        let picture = svg(&text, &format!("{example} without servers"));
        let tree = DotTree::parse(&text);
        let mermaid = mermaid::to_string(&old);
        let nodes = mermaid_nodes(&mermaid);
        for server in servers(&old) {
            assert!(tree.nodes.contains_key(&server), "{example}: {server}");
            assert!(
                picture.contains(&xml_escape(&server)),
                "{example}: {server}"
            );
            assert!(nodes.contains_key(&server), "{example}: {server}");
            let expected = if old.placement.before.contains_key(&server) {
                "mailstore"
            } else {
                "roles unknown"
            };
            assert_eq!(tree.clusters_of(&server), [expected], "{example}: {server}");
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    for example in examples() {
        let plan = plan(&example);
        let copy: Plan = serde_json::from_str(&serde_json::to_string(&plan).expect("serializes"))
            .expect("parses");
        assert_eq!(dot::to_string(&plan), dot::to_string(&copy), "{example}");
        assert_eq!(
            mermaid::to_string(&plan),
            mermaid::to_string(&copy),
            "{example}"
        );
    }
}
