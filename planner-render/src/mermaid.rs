//! `--format mermaid` and `planner graph --format mermaid`: the server
//! dependency graph as a Mermaid flowchart, for code forges and documents
//! that draw Mermaid but not Graphviz.
//!
//! It draws the same graph as the DOT renderer (read by the crate's `graph`):
//! every server of the plan, labelled with its roles and site, in a subgraph
//! of its first role; order edges labelled with their rule, mailbox flows as
//! dotted links, thicker the more bytes they carry, outages in red, and the
//! servers the plan does not upgrade grey and dashed, at their own version.
//! Mermaid has no ranks, so nodes are declared in wave order and each says
//! its wave; sites are not subgraphs (nested subgraphs would scatter the
//! roles), only written on the nodes. Node ids are `n0`, `n1`…, never names,
//! and every label is quoted with Mermaid's entity codes, so any name is safe.

use std::io::{self, Write};

use planner_core::plan::Plan;

use crate::graph::{FLOW_COLOUR, Graph, Server};

/// Writes the plan as a Mermaid flowchart.
pub fn render<W: io::Write>(plan: &Plan, out: &mut W) -> io::Result<()> {
    let g = Graph::from_plan(plan);
    out.write_all(b"flowchart TB\n")?;
    // Comments, not a title: a `---` front matter title would make the text
    // no longer start with `flowchart`, which some embedders expect.
    writeln!(out, "  %% {}", comment(&g.title))?;
    writeln!(out, "  %% {}", comment(&g.legend))?;
    writeln!(out, "  %% {}", comment(&plan.inventory_digest))?;

    for (i, group) in g.groups.iter().enumerate() {
        writeln!(out, "  subgraph g{i} [{}]", quote(&group.name))?;
        for &s in &group.members {
            writeln!(out, "    n{s}[{}]", quote_lines(&node_lines(&g.servers[s])))?;
        }
        out.write_all(b"  end\n")?;
    }
    write_links(out, &g)?;
    write_classes(out, &g)
}

/// The plan as a Mermaid flowchart, as a `String`.
pub fn to_string(plan: &Plan) -> String {
    crate::to_string(plan, render)
}

/// Order edges, then mailbox flows with their styles.
fn write_links(out: &mut dyn Write, g: &Graph) -> io::Result<()> {
    // Links are numbered in the order they are written; `linkStyle` needs
    // the numbers of the flows.
    let mut link = 0usize;
    for w in &g.waits {
        writeln!(out, "  n{} -->|{}| n{}", w.from, quote(&w.label), w.to)?;
        link += 1;
    }
    let heaviest = g.flows.iter().map(|f| f.bytes).max().unwrap_or(0);
    let mut styles = Vec::new();
    for f in &g.flows {
        writeln!(
            out,
            "  n{} -.->|{}| n{}",
            f.source,
            quote(&f.label()),
            f.target
        )?;
        styles.push(format!(
            "  linkStyle {link} stroke:{FLOW_COLOUR},stroke-width:{:.1}px",
            f.pen_width(heaviest)
        ));
        link += 1;
    }
    for s in styles {
        writeln!(out, "{s}")?;
    }
    Ok(())
}

/// The classes of outages and of servers left alone.
fn write_classes(out: &mut dyn Write, g: &Graph) -> io::Result<()> {
    let outages: Vec<String> = ids(g, |s| s.outage);
    let idle: Vec<String> = ids(g, Server::idle);
    if !outages.is_empty() {
        out.write_all(
            b"  classDef outage fill:#fde2df,stroke:#c0392b,stroke-width:2px,color:#c0392b\n",
        )?;
        writeln!(out, "  class {} outage", outages.join(","))?;
    }
    if !idle.is_empty() {
        out.write_all(
            b"  classDef idle fill:#f4f4f4,stroke:#888888,stroke-dasharray:4 3,color:#555555\n",
        )?;
        writeln!(out, "  class {} idle", idle.join(","))?;
    }
    Ok(())
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

/// A quoted Mermaid label. Inside quotes Mermaid still reads `#name;` entity
/// codes and, with HTML labels, tags; so `#`, `"`, `&`, `<` and `>` become
/// entity codes, and a line break becomes a space.
fn quote(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_quoted_with_entity_codes() {
        assert_eq!(quote("a#b\"c&<d>\ne"), "\"a#35;b#quot;c#amp;#lt;d#gt; e\"");
        assert_eq!(
            quote_lines(&["x".into(), "<y>".into()]),
            "\"x<br/>#lt;y#gt;\""
        );
        assert_eq!(comment("{a}\nb"), "(a) b");
    }

    #[test]
    fn the_small_plan_as_a_flowchart() {
        let text = to_string(&crate::testing::plan());
        assert!(text.starts_with("flowchart TB\n  %% Upgrade to 10.1.5"));
        assert!(text.contains(
            "  n3 -.->|\"1 mailbox, 1 GiB\"| n2\n  linkStyle 0 stroke:#1f6fb2,stroke-width:4.5px\n"
        ));
        assert!(text.ends_with("  class n0,n2 idle\n"));
    }
}
