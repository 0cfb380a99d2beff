//! `--format mermaid` and `planner graph --format mermaid`: the server
//! dependency graph as a Mermaid flowchart, for code forges and documents
//! that draw Mermaid but not Graphviz.
//!
//! It draws the same graph as the DOT renderer (read by `super::dot::graph`):
//! every server of the plan, labelled with its roles and site, in a subgraph
//! of its first role; order edges labelled with their rule, mailbox flows as
//! dotted links, thicker the more bytes they carry, outages in red, and the
//! servers the plan does not upgrade grey and dashed, at their own version.
//! Mermaid has no ranks, so nodes are declared in wave order and each says
//! its wave; sites are not subgraphs (nested subgraphs would scatter the
//! roles), only written on the nodes. Node ids are `n0`, `n1`…, never names,
//! and every label is quoted with Mermaid's entity codes, so any name is safe.

use std::fmt::Write as _;

use planner_core::plan::Plan;

use super::dot::graph::{Graph, Server};

/// Colour of mailbox flows.
const FLOW_COLOUR: &str = "#1f6fb2";
/// Thinnest and thickest flow link, in pixels.
const FLOW_PEN: (f64, f64) = (1.0, 4.5);

/// The plan as a Mermaid flowchart.
pub fn render(plan: &Plan) -> String {
    let g = Graph::from_plan(plan);
    let mut out = String::new();
    out.push_str("flowchart TB\n");
    // Comments, not a title: a `---` front matter title would make the text
    // no longer start with `flowchart`, which some embedders expect.
    let _ = writeln!(out, "  %% {}", comment(&g.title));
    let _ = writeln!(out, "  %% {}", comment(&g.legend));
    let _ = writeln!(out, "  %% {}", comment(&plan.inventory_digest));

    for (i, group) in g.groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph g{i} [{}]", quote(&group.name));
        for &s in &group.members {
            let _ = writeln!(out, "    n{s}[{}]", quote_lines(&node_lines(&g.servers[s])));
        }
        out.push_str("  end\n");
    }

    // Links are numbered in the order they are written; `linkStyle` needs
    // the numbers of the flows.
    let mut link = 0usize;
    for w in &g.waits {
        let _ = writeln!(out, "  n{} -->|{}| n{}", w.from, quote(&w.label), w.to);
        link += 1;
    }
    let heaviest = g.flows.iter().map(|f| f.bytes).max().unwrap_or(0);
    let mut styles = Vec::new();
    for f in &g.flows {
        let _ = writeln!(
            out,
            "  n{} -.->|{}| n{}",
            f.source,
            quote(&f.label()),
            f.target
        );
        styles.push(format!(
            "  linkStyle {link} stroke:{FLOW_COLOUR},stroke-width:{:.1}px",
            pen_width(f.bytes, heaviest)
        ));
        link += 1;
    }
    for s in styles {
        let _ = writeln!(out, "{s}");
    }

    let outages: Vec<String> = ids(&g, |s| s.outage);
    let idle: Vec<String> = ids(&g, Server::idle);
    if !outages.is_empty() {
        out.push_str(
            "  classDef outage fill:#fde2df,stroke:#c0392b,stroke-width:2px,color:#c0392b\n",
        );
        let _ = writeln!(out, "  class {} outage", outages.join(","));
    }
    if !idle.is_empty() {
        out.push_str(
            "  classDef idle fill:#f4f4f4,stroke:#888888,stroke-dasharray:4 3,color:#555555\n",
        );
        let _ = writeln!(out, "  class {} idle", idle.join(","));
    }
    out
}

/// A node's lines: name, roles and site, wave, versions, outage.
fn node_lines(s: &Server) -> Vec<String> {
    let mut lines = vec![s.name.clone()];
    lines.extend(s.roles_line());
    // The wave on a line of its own: Mermaid wraps lines longer than about
    // 200 pixels, and the versions alone fit.
    if let Some(w) = s.wave {
        lines.push(format!("wave {w}"));
    }
    lines.push(s.versions());
    lines.extend(s.outage_line());
    lines
}

/// The ids of the servers that match, in node order.
fn ids(g: &Graph, keep: impl Fn(&Server) -> bool) -> Vec<String> {
    g.servers
        .iter()
        .enumerate()
        .filter(|(_, s)| keep(s))
        .map(|(i, _)| format!("n{i}"))
        .collect()
}

/// Flow width, from thinnest to thickest in proportion to bytes.
fn pen_width(bytes: u64, heaviest: u64) -> f64 {
    if heaviest == 0 {
        return FLOW_PEN.0;
    }
    FLOW_PEN.0 + (FLOW_PEN.1 - FLOW_PEN.0) * (bytes as f64 / heaviest as f64)
}

/// A quoted Mermaid label. Inside quotes Mermaid still reads `#name;` entity
/// codes and, with HTML labels, tags; so `#`, `"`, `&`, `<` and `>` become
/// entity codes, and a line break becomes a space.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    out.push_str(&escape(text));
    out.push('"');
    out
}

/// A quoted label of several lines, each escaped, joined by `<br/>`.
fn quote_lines(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| escape(l)).collect();
    format!("\"{}\"", escaped.join("<br/>"))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A comment's text on one line, without the braces that Mermaid reads as a
/// directive.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' => ' ',
            '{' => '(',
            '}' => ')',
            c => c,
        })
        .collect()
}
