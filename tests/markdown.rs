//! The Markdown change-approval document: one reviewed snapshot per example,
//! and checks that hold for every plan: every wave and step is there, every
//! table row has its header's cells whatever the names, the fill chart agrees
//! with the plan's placement, and the timeline appears exactly when the plan
//! has estimates.

use std::path::{Path, PathBuf};
use std::process::Command;

use planner_cli::render::markdown::{escape, render};
use planner_core::plan::Plan;

const NOW: &str = "2026-11-29T00:00:00Z";

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `planner` in `cwd`; returns the exit code and stdout.
fn planner(cwd: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_planner"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("the planner binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("stdout is UTF-8"),
    )
}

/// The plan of an inventory, through the CLI's JSON; `None` if it is refused.
fn plan_of(cwd: &Path, inventory: &str) -> Option<Plan> {
    let (code, json) = planner(cwd, &["plan", inventory, "--format", "json", "--now", NOW]);
    (code == 0).then(|| serde_json::from_str(&json).expect("the JSON plan parses"))
}

/// Every inventory that plans: the examples and the test inventories.
fn plans() -> Vec<(String, Plan)> {
    let mut out = Vec::new();
    for dir in ["examples", "tests/plans"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .expect("directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for f in files {
            let name = format!(
                "{dir}/{}",
                f.file_name().and_then(|n| n.to_str()).expect("name")
            );
            if let Some(plan) = plan_of(&root(), &name) {
                out.push((name, plan));
            }
        }
    }
    assert!(
        out.len() >= 10,
        "expected the examples and most test plans to plan"
    );
    out
}

/// Checks every table of a document: a header row, a delimiter row with as
/// many cells, and body rows with as many cells. Cells are split on `|` not
/// preceded by a backslash, as GitHub-flavoured Markdown does.
fn check_tables(name: &str, md: &str) {
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    let mut tables = 0;
    while i < lines.len() {
        if !lines[i].starts_with('|') {
            i += 1;
            continue;
        }
        tables += 1;
        let header = cells(lines[i]);
        let delimiter = lines.get(i + 1).copied().unwrap_or("");
        assert_eq!(
            cells(delimiter),
            header,
            "{name}: line {}: the delimiter row does not match its header:\n{}\n{delimiter}",
            i + 2,
            lines[i]
        );
        assert!(
            delimiter
                .split('|')
                .all(|c| c.trim().chars().all(|ch| matches!(ch, '-' | ':'))),
            "{name}: line {}: not a delimiter row: {delimiter}",
            i + 2
        );
        let mut j = i + 2;
        while j < lines.len() && lines[j].starts_with('|') {
            assert_eq!(
                cells(lines[j]),
                header,
                "{name}: line {}: {} cells under a header of {}:\n{}",
                j + 1,
                cells(lines[j]),
                header,
                lines[j]
            );
            assert!(lines[j].ends_with('|'), "{name}: line {}: open row", j + 1);
            j += 1;
        }
        i = j;
    }
    assert!(tables > 0, "{name}: no table at all");
}

/// The cells of a table row: unescaped pipes, minus the outer two.
fn cells(row: &str) -> usize {
    let mut pipes = 0usize;
    let mut chars = row.chars();
    while let Some(c) = chars.next() {
        match c {
            // A backslash escapes the next character, pipes included.
            '\\' => {
                chars.next();
            }
            '|' => pipes += 1,
            _ => {}
        }
    }
    pipes.saturating_sub(1)
}

#[test]
fn markdown_of_every_example() {
    let root = root();
    insta::glob!("../examples", "*.yaml", |path| {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        let name = format!("examples/{file}");
        let (code, md) = planner(
            &root,
            &["plan", &name, "--format", "markdown", "--now", NOW],
        );
        assert_eq!(code, 0, "{name}");
        insta::assert_snapshot!(md);
    });
}

#[test]
fn the_cli_prints_what_the_renderer_makes_of_the_json_plan() {
    let (code, md) = planner(
        &root(),
        &[
            "plan",
            "examples/enterprise.yaml",
            "--format",
            "markdown",
            "--now",
            NOW,
        ],
    );
    assert_eq!(code, 0);
    let plan = plan_of(&root(), "examples/enterprise.yaml").expect("it plans");
    assert_eq!(md, render(&plan));
    assert_eq!(
        render(&plan),
        render(&plan),
        "the same plan gives the same bytes"
    );
}

#[test]
fn every_wave_and_every_step_id_appears() {
    for (name, plan) in plans() {
        let md = render(&plan);
        // Wrapped prose may break a line anywhere a space is.
        let flat = md.split_whitespace().collect::<Vec<_>>().join(" ");
        for wave in &plan.waves {
            let heading = format!("\n### Wave {}", wave.index);
            assert!(
                md.contains(&format!("{heading}\n")) || md.contains(&format!("{heading} (")),
                "{name}: no heading for wave {}",
                wave.index
            );
            for (i, step) in wave.steps.iter().enumerate() {
                let number = format!("{}.{}", wave.index, i + 1);
                assert!(
                    md.contains(&format!("| {number} | `{}` |", step.kind.as_str())),
                    "{name}: step {number} ({}) is missing from its wave",
                    step.id
                );
                assert!(
                    flat.contains(&format!("{number} `{}`", step.id)),
                    "{name}: step id {} is missing",
                    step.id
                );
            }
        }
    }
}

#[test]
fn every_table_row_has_its_headers_cells() {
    for (name, plan) in plans() {
        check_tables(&name, &render(&plan));
    }
}

#[test]
fn escape_makes_markdown_specials_literal() {
    assert_eq!(escape("mbx1.example.com"), "mbx1.example.com");
    assert_eq!(escape("a|b"), "a\\|b");
    assert_eq!(escape("o_neil_x@example.com"), "o\\_neil\\_x@example.com");
    assert_eq!(escape("*bold* `code`"), "\\*bold\\* \\`code\\`");
    assert_eq!(escape("back\\slash"), "back\\\\slash");
    assert_eq!(escape("[x](y) <b> #1 ~s~ $m$ &amp; !^"), {
        "\\[x\\](y) \\<b\\> \\#1 \\~s\\~ \\$m\\$ \\&amp; \\!\\^"
    });
    assert_eq!(escape("two\nlines"), "two lines");
    // A row of escaped cells keeps its cell count whatever the names.
    for name in ["a|b", "|", "\\|", "a\\", "`|`", "x_|_y", "||"] {
        let row = format!("| {} | {} |", escape(name), escape("ok"));
        assert_eq!(cells(&row), 2, "{name:?} broke the row {row}");
    }
}

/// An inventory whose accounts use Markdown specials that mail addresses
/// allow, evacuated from mbx1 to mbx2; three accounts, so each is shown.
const HOSTILE: &str = r#"format: 1
target_version: "10.1.5"
policy:
  rates: { copy: 100MiB/s, delta_fraction: 5%, switch_per_account: 2s, upgrade: 30m }
servers:
  - { name: ldap1.example.com, roles: [ldap-master], version: "9.0.0_P40" }
  - { name: ldap2.example.com, roles: [ldap-replica], version: "9.0.0_P40" }
  - { name: mx1.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
  - { name: mx2.example.com, roles: [mta, proxy], version: "9.0.0_P40" }
  - { name: mbx1.example.com, roles: [mailstore], version: "9.0.0_P40", capacity: { disk: 1TiB } }
  - { name: mbx2.example.com, roles: [mailstore], version: "10.1.5", capacity: { disk: 1TiB } }
mailboxes:
  - { account: "$o|neil_x||$@example.com", store: mbx1.example.com, size: 1GiB }
  - { account: "*star*@example.com", store: mbx1.example.com, size: 1GiB }
  - { account: "tick`tock@example.com", store: mbx1.example.com, size: 1GiB }
"#;

#[test]
fn names_with_pipes_and_underscores_cannot_break_a_table() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("markdown-hostile");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    std::fs::write(dir.join("inventory.yaml"), HOSTILE).expect("inventory written");
    let mut plan = plan_of(&dir, "inventory.yaml").expect("the hostile inventory plans");
    let md = render(&plan);
    check_tables("hostile accounts", &md);
    assert!(md.contains("\\$o\\|neil\\_x\\|\\|\\$@example.com"), "{md}");
    assert!(md.contains("\\*star\\*@example.com"), "{md}");
    assert!(md.contains("tick\\`tock@example.com"), "{md}");

    // Hostnames cannot hold `|` or `_`, but a plan read from a file is not
    // checked: rename a store everywhere and render again.
    let json = serde_json::to_string(&plan).expect("plan serializes");
    let json = json.replace("mbx1.example.com", "mbx_1|a.example.com");
    plan = serde_json::from_str(&json).expect("plan parses");
    let md = render(&plan);
    check_tables("hostile server", &md);
    assert!(md.contains("mbx\\_1\\|a.example.com"), "{md}");
}

#[test]
fn the_gantt_appears_exactly_when_the_plan_has_estimates() {
    let mut with = 0;
    let mut without = 0;
    for (name, plan) in plans() {
        let md = render(&plan);
        let gantts = md.matches("```mermaid\ngantt\n").count();
        if plan.summary.estimated_duration_s.is_some() {
            with += 1;
            assert_eq!(gantts, 1, "{name}: estimates but no single gantt");
            for wave in &plan.waves {
                assert!(
                    md.contains(&format!("    Wave {} :", wave.index))
                        || md.contains(&format!("    Wave {} · ", wave.index)),
                    "{name}: wave {} not on the timeline",
                    wave.index
                );
            }
        } else {
            without += 1;
            assert_eq!(gantts, 0, "{name}: a gantt without estimates");
            assert!(
                md.contains("No timeline: the policy has no rates"),
                "{name}"
            );
        }
    }
    assert!(with > 0 && without > 0, "both cases are covered");
}

#[test]
fn the_fill_chart_peaks_where_the_placement_does() {
    for (name, plan) in plans() {
        let md = render(&plan);
        let Some(start) = md.find("xychart-beta\n") else {
            continue;
        };
        let chart = &md[start..md[start..].find("```").map_or(md.len(), |e| start + e)];
        let divisor = if chart.contains("(TiB)") {
            1024f64.powi(4)
        } else if chart.contains("(GiB)") {
            1024f64.powi(3)
        } else {
            1024f64.powi(2)
        };
        let lines: Vec<Vec<f64>> = chart
            .lines()
            .filter_map(|l| l.trim().strip_prefix("line ["))
            .map(|l| {
                l.trim_end_matches(']')
                    .split(", ")
                    .map(|v| v.parse().expect("a number"))
                    .collect()
            })
            .collect();
        assert_eq!(
            lines.len(),
            plan.placement.peak.len(),
            "{name}: one line per store"
        );
        for (values, (store, peak)) in lines.iter().zip(&plan.placement.peak) {
            assert_eq!(values.len(), plan.waves.len() + 2, "{name}: {store}");
            let max = values.iter().copied().fold(0.0, f64::max);
            let want = peak.bytes as f64 / divisor;
            // Two decimals, and the overhead is applied per step, not per mailbox.
            assert!(
                (max - want).abs() <= 0.011 + want * 1e-6,
                "{name}: {store} peaks at {max} in the chart, {want} in the plan"
            );
            let first = values[0];
            let before = plan.placement.before[store].bytes as f64 / divisor;
            assert!((first - before).abs() <= 0.011, "{name}: {store} start");
        }
    }
}
