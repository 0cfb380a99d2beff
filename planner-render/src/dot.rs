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
//! crate's `graph` module, which the Mermaid renderer shares.

use std::io::{self, Write};

use planner_core::plan::Plan;

use crate::graph::{FLOW_COLOUR, Graph, Server, WaitKind};

/// Colour of an outage: border and text.
const OUTAGE_COLOUR: &str = "#c0392b";
/// Fill of an outage.
const OUTAGE_FILL: &str = "#fde2df";

/// Writes the plan as a Graphviz digraph.
pub fn render<W: io::Write>(plan: &Plan, out: &mut W) -> io::Result<()> {
    let g = Graph::from_plan(plan);
    writeln!(out, "// planner graph, {}", plan.inventory_digest)?;
    writeln!(out, "digraph \"upgrade\" {{")?;
    writeln!(
        out,
        "  graph [label={}, labelloc=t, fontname=\"Helvetica\", fontsize=12, \
         newrank=true, rankdir=TB, nodesep=0.3, ranksep=0.5];",
        quote_lines(&[g.title.as_str(), g.legend.as_str()])
    )?;
    writeln!(
        out,
        "  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=10];"
    )?;
    writeln!(
        out,
        "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\", fontcolor=\"#555555\"];"
    )?;
    write_wave_column(out, &g)?;
    write_servers(out, &g)?;
    write_ranks(out, &g)?;
    write_waits(out, &g)?;
    write_flows(out, &g)?;
    out.write_all(b"}\n")
}

/// The plan as a Graphviz digraph, as a `String`.
pub fn to_string(plan: &Plan) -> String {
    crate::to_string(plan, render)
}

/// The wave column: one plain label per rank, chained by invisible edges so
/// that ranks follow waves even where no order edge says so.
fn write_wave_column(out: &mut dyn Write, g: &Graph) -> io::Result<()> {
    out.write_all(b"\n  // Waves, top to bottom.\n")?;
    let ranks = g.ranks();
    for (wave, _) in &ranks {
        writeln!(
            out,
            "  {} [shape=plaintext, fontsize=10, fontcolor=\"#777777\"];",
            quote(&wave_id(*wave))
        )?;
    }
    if ranks.len() > 1 {
        let chain: Vec<String> = ranks.iter().map(|(w, _)| quote(&wave_id(*w))).collect();
        writeln!(out, "  {} [style=invis];", chain.join(" -> "))?;
    }
    Ok(())
}

/// The servers in their role clusters, and those in site clusters when the
/// plan has several sites.
fn write_servers(out: &mut dyn Write, g: &Graph) -> io::Result<()> {
    if g.sites.len() <= 1 {
        out.write_all(b"\n  // Servers, grouped by role.\n")?;
        return write_groups(out, g, |_| true, "cluster_", "  ");
    }
    out.write_all(b"\n  // Servers, grouped by site, then by role.\n")?;
    for (j, site) in g.sites.iter().enumerate() {
        writeln!(out, "  subgraph {} {{", quote(&format!("cluster_site_{j}")))?;
        writeln!(
            out,
            "    label={}; fontsize=12; style=\"rounded\"; color=\"#8a8a8a\"; penwidth=1.5;",
            quote_text(&format!("site {site}"))
        )?;
        let prefix = format!("cluster_site_{j}_");
        let of_site = |s: &Server| s.site.as_ref() == Some(site);
        write_groups(out, g, of_site, &prefix, "    ")?;
        out.write_all(b"  }\n")?;
    }
    // Servers of no named site, if any, outside the sites.
    write_groups(out, g, |s| s.site.is_none(), "cluster_", "  ")
}

/// One rank per wave, its label first.
fn write_ranks(out: &mut dyn Write, g: &Graph) -> io::Result<()> {
    out.write_all(b"\n  // One rank per wave.\n")?;
    for (wave, members) in &g.ranks() {
        let names: Vec<String> = members.iter().map(|&s| quote(&g.servers[s].name)).collect();
        writeln!(
            out,
            "  {{ rank=same; {}; {}; }}",
            quote(&wave_id(*wave)),
            names.join("; ")
        )?;
    }
    Ok(())
}

/// The order edges, styled by the kind of their rule.
fn write_waits(out: &mut dyn Write, g: &Graph) -> io::Result<()> {
    if !g.waits.is_empty() {
        out.write_all(b"\n  // Upgrade order: each server after the servers it waits for.\n")?;
    }
    for w in &g.waits {
        let style = match w.kind {
            WaitKind::Order => "",
            WaitKind::After => ", color=\"#7d5ba6\", fontcolor=\"#7d5ba6\"",
            WaitKind::DependsOn => ", color=\"#000000\", fontcolor=\"#000000\", penwidth=1.5",
            WaitKind::Other => "",
        };
        writeln!(
            out,
            "  {} -> {} [label={}, tooltip={}{style}];",
            quote(&g.servers[w.from].name),
            quote(&g.servers[w.to].name),
            quote_text(&w.label),
            quote_text(&w.rule)
        )?;
    }
    Ok(())
}

/// The mailbox flows, dashed, thicker the more bytes they carry.
fn write_flows(out: &mut dyn Write, g: &Graph) -> io::Result<()> {
    if !g.flows.is_empty() {
        out.write_all(
            b"\n  // Mailbox moves, summed per source and target; they do not shape the ranks.\n",
        )?;
    }
    let heaviest = g.flows.iter().map(|f| f.bytes).max().unwrap_or(0);
    for f in &g.flows {
        writeln!(
            out,
            "  {} -> {} [label={}, style=dashed, color=\"{FLOW_COLOUR}\", \
             fontcolor=\"{FLOW_COLOUR}\", penwidth={:.1}, arrowsize=0.7, constraint=false];",
            quote(&g.servers[f.source].name),
            quote(&g.servers[f.target].name),
            quote_text(&f.label()),
            f.pen_width(heaviest)
        )?;
    }
    Ok(())
}

/// The role clusters of the servers that `keep` takes (those of one site, or
/// all), each with its nodes. Cluster ids are the prefix and the group's
/// index, so they are unique and stable.
fn write_groups(
    out: &mut dyn Write,
    g: &Graph,
    keep: impl Fn(&Server) -> bool,
    prefix: &str,
    indent: &str,
) -> io::Result<()> {
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
        writeln!(
            out,
            "{indent}subgraph {} {{",
            quote(&format!("{prefix}{i}"))
        )?;
        writeln!(
            out,
            "{indent}  label={}; fontsize=10; style=\"rounded,filled\"; color=\"#cccccc\"; fillcolor=\"#f7f7f7\";",
            quote_text(&group.name)
        )?;
        for s in members {
            writeln!(out, "{indent}  {}", node(s))?;
        }
        writeln!(out, "{indent}}}")?;
    }
    Ok(())
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
        attrs.push_str(&format!(", tooltip={}", quote_text(&s.why)));
    }
    if s.outage {
        attrs.push_str(&format!(
            ", style=\"rounded,filled,bold\", color=\"{OUTAGE_COLOUR}\", \
             fillcolor=\"{OUTAGE_FILL}\", fontcolor=\"{OUTAGE_COLOUR}\""
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_end_a_string_or_start_an_escape() {
        assert_eq!(quote("a\"b\\N"), "\"a\\\"b\\\\N\"");
        assert_eq!(quote_text("R&D\nx"), "\"R&amp;D\\nx\"");
        assert_eq!(quote_lines(&["one", "two"]), "\"one\\ntwo\"");
    }

    #[test]
    fn the_small_plan_has_three_ranks_and_one_flow() {
        let text = to_string(&crate::testing::plan());
        assert!(
            text.starts_with("// planner graph, sha256:0123456789abcdef\ndigraph \"upgrade\" {\n")
        );
        assert!(text.contains("  { rank=same; \"wave 3\"; \"mbx1.example.com\"; }\n"));
        assert!(text.contains(
            "  \"mbx1.example.com\" -> \"mbx2.example.com\" [label=\"1 mailbox, 1 GiB\", style=dashed, "
        ));
        assert!(text.ends_with("}\n"));
    }
}
