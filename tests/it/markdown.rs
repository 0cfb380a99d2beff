//! The Markdown change-approval document: one reviewed snapshot per example,
//! and checks that hold for every plan: every wave and step is there, every
//! table row has its header's cells whatever the names, fill percentages and
//! the headroom verdicts agree with the placement and the capacities, the fill
//! chart agrees with the plan's placement, the timeline appears exactly when
//! the plan has estimates, and plans written before `servers` still render.

use std::path::{Path, PathBuf};

use planner_core::inventory::Bytes;
use planner_core::plan::{Plan, PlanCapacity};
use planner_render::markdown::{escape, to_string as render};

use crate::util::{self, NOW, root, scratch, six_servers};

/// Runs `planner` in `cwd`; returns the exit code and stdout.
fn planner(cwd: &Path, args: &[&str]) -> (i32, String) {
    let output = util::planner(args).current_dir(cwd).output();
    (output.code, output.stdout())
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

/// The same plan as written before `servers` existed: no servers, so no
/// roles, sites or capacities.
fn without_servers(plan: &Plan) -> Plan {
    let mut old = plan.clone();
    old.servers.clear();
    old
}

/// The body rows of the table whose header row is `header`, as cells: split on
/// `|` not preceded by a backslash, trimmed, without the outer two.
fn table_rows(md: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = md.lines().skip_while(|l| *l != header);
    assert!(lines.next().is_some(), "no table {header}");
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(split_cells)
        .collect()
}

fn split_cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let last = cells.last_mut().expect("a cell");
                last.push(c);
                if let Some(n) = chars.next() {
                    last.push(n);
                }
            }
            '|' => cells.push(String::new()),
            _ => cells.last_mut().expect("a cell").push(c),
        }
    }
    // Drop what is outside the outer pipes.
    cells.remove(0);
    cells.pop();
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Each store's capacity, when the plan gives one for every store.
fn capacities(plan: &Plan) -> Option<Vec<(&str, PlanCapacity)>> {
    if plan.placement.before.is_empty() {
        return None;
    }
    plan.placement
        .before
        .keys()
        .map(|s| {
            plan.servers
                .get(s)
                .and_then(|v| v.capacity)
                .map(|c| (s.as_str(), c))
        })
        .collect()
}

/// `part` in percent of `whole`, as the document writes it: one decimal, none
/// when it is zero.
fn pct(part: u64, whole: u64) -> String {
    let p = format!("{:.1}", part as f64 * 100.0 / whole as f64);
    format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
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
    insta::glob!("../../examples", "*.yaml", |path| {
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
        check_tables(
            &format!("{name} without servers"),
            &render(&without_servers(&plan)),
        );
    }
}

#[test]
fn fill_percentages_are_placement_bytes_over_the_disk() {
    let mut checked = 0;
    for (name, plan) in plans() {
        let Some(caps) = capacities(&plan) else {
            continue;
        };
        let md = render(&plan);
        let rows = table_rows(&md, "| Store | Disk | Before | Peak | After |");
        assert_eq!(rows.len(), caps.len(), "{name}: one row per store");
        let p = &plan.placement;
        for (row, (store, cap)) in rows.iter().zip(&caps) {
            assert_eq!(row[0], escape(store), "{name}: stores in order");
            let ceiling = format!("(ceiling {})", pct(cap.max_bytes, cap.disk));
            let mark = ((cap.max_bytes as f64 / cap.disk as f64) * 10.0).round() as usize;
            for (cell, load) in row[2..].iter().zip([&p.before, &p.peak, &p.after]) {
                let bytes = load.get(*store).map_or(0, |l| l.bytes);
                let bar = cell
                    .strip_prefix('`')
                    .and_then(|c| c.split_once('`'))
                    .map(|(bar, _)| bar)
                    .unwrap_or_else(|| panic!("{name}: {store}: no bar in {cell}"));
                let rest = &cell[bar.len() + 2..];
                assert!(
                    rest.starts_with(&format!(" {} {ceiling} · ", pct(bytes, cap.disk))),
                    "{name}: {store}: {cell} is not {} of {} on the disk",
                    bytes,
                    cap.disk
                );
                // Ten cells and the ceiling's mark, on the right side of it.
                let chars: Vec<char> = bar.chars().collect();
                assert_eq!(chars.len(), 11, "{name}: {store}: {bar}");
                assert_eq!(chars.iter().position(|c| *c == '│'), Some(mark), "{bar}");
                let full = chars.iter().filter(|c| **c == '█').count();
                if bytes <= cap.max_bytes {
                    assert!(full <= mark, "{name}: {store}: {bar} crosses its ceiling");
                } else {
                    assert!(full > mark, "{name}: {store}: {bar} is over but stops");
                }
                assert_eq!(full == 0, bytes == 0, "{name}: {store}: {bar}");
            }
        }
        // Table 3.2: the peak against the ceiling.
        let rows = table_rows(
            &md,
            "| Store | Disk | Peak bytes | Byte ceiling | Byte headroom | Peak mailboxes | Mailbox ceiling | Mailbox headroom |",
        );
        for (row, (store, cap)) in rows.iter().zip(&caps) {
            let peak = p.peak.get(*store).copied().unwrap_or_default();
            assert!(
                row[2].ends_with(&format!("({})", pct(peak.bytes, cap.disk))),
                "{name}: {store}: {}",
                row[2]
            );
            assert_eq!(
                row[4].starts_with("OK"),
                peak.bytes <= cap.max_bytes,
                "{name}: {store}: {}",
                row[4]
            );
            assert_eq!(row[5], peak.mailboxes.to_string());
            assert_eq!(
                row[7].starts_with("OK"),
                cap.max_mailboxes.is_none_or(|m| peak.mailboxes <= m),
                "{name}: {store}: {}",
                row[7]
            );
        }
        checked += 1;
    }
    assert!(checked >= 4, "the examples all give capacities");
}

#[test]
fn a_peak_above_its_ceiling_is_called_over() {
    let mut plan = plan_of(&root(), "examples/enterprise.yaml").expect("it plans");
    let store = "mbx2.corp.example.com";
    let peak = plan.placement.peak[store];
    let cap = plan
        .servers
        .get_mut(store)
        .and_then(|s| s.capacity.as_mut())
        .expect("a mailstore with a capacity");
    cap.max_bytes = peak.bytes - 1024 * 1024 * 1024;
    cap.max_mailboxes = Some(peak.mailboxes - 2);
    let md = render(&plan);
    check_tables("over", &md);
    let flat = md.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("**1 store is over it** (mbx2.corp.example.com)"),
        "{md}"
    );
    let row = md
        .lines()
        .find(|l| l.starts_with(&format!("| {store} | 160 GiB | {} ", Bytes(peak.bytes))))
        .expect("the headroom row");
    assert!(row.contains("| **over** by 1 GiB |"), "{row}");
    assert!(row.ends_with("| **over** by 2 |"), "{row}");
}

#[test]
fn the_versions_table_gives_each_servers_roles_and_site() {
    for (name, plan) in plans() {
        let md = render(&plan);
        let sites = plan.servers.values().any(|s| s.site.is_some());
        let outages = md.contains("| Wave | Server | Roles | From | To | Outage |")
            || md.contains("| Wave | Server | Roles | Site | From | To | Outage |");
        let header = match (sites, outages) {
            (false, false) => "| Wave | Server | Roles | From | To |",
            (true, false) => "| Wave | Server | Roles | Site | From | To |",
            (false, true) => "| Wave | Server | Roles | From | To | Outage |",
            (true, true) => "| Wave | Server | Roles | Site | From | To | Outage |",
        };
        if plan.summary.servers_to_upgrade == 0 {
            continue;
        }
        let rows = table_rows(&md, header);
        assert_eq!(
            rows.len(),
            plan.summary.servers_to_upgrade as usize,
            "{name}"
        );
        for row in rows {
            let server = plan
                .servers
                .iter()
                .find(|(n, _)| escape(n) == row[1])
                .map(|(_, s)| s)
                .unwrap_or_else(|| panic!("{name}: {} is not a server of the plan", row[1]));
            let roles: Vec<String> = server.roles.iter().map(|r| escape(r)).collect();
            assert_eq!(row[2], roles.join(", "), "{name}");
            if sites {
                assert_eq!(row[3], server.site.as_deref().map_or("—".into(), escape));
            }
            assert_eq!(row[if sites { 4 } else { 3 }], escape(&server.version));
        }
    }
}

#[test]
fn plans_without_servers_fall_back_to_the_wording() {
    for (name, plan) in plans() {
        let old = without_servers(&plan);
        let md = render(&old);
        check_tables(&name, &md);
        // The wording finds no role the servers do not have; for the examples
        // it finds them all (a single server with every role is beyond it).
        let phases = |md: &str| -> Vec<String> {
            let start = md.find("## 7. Rollback notes").expect("rollback notes");
            let end = md.find("## 8. Commands").expect("commands");
            md[start..end]
                .lines()
                .filter(|l| l.starts_with("### "))
                .map(str::to_string)
                .collect()
        };
        let (guessed, known) = (phases(&md), phases(&render(&plan)));
        if name.starts_with("examples/") {
            assert_eq!(guessed, known, "{name}");
        } else {
            for phase in guessed
                .iter()
                .filter(|p| !p.starts_with("### Other servers"))
            {
                assert!(
                    known.contains(phase),
                    "{name}: {phase} from the wording only"
                );
            }
        }
        assert!(!md.contains("| Roles |"), "{name}: roles without servers");
        if !plan.placement.before.is_empty() {
            assert!(
                md.contains("| Store | Before | Peak | After |")
                    && md.contains("| Store | Peak bytes | Disk needed |"),
                "{name}: without capacities, fill and headroom are in bytes"
            );
        }
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
fn hostile() -> String {
    six_servers()
        .policy(
            "rates: { copy: 100MiB/s, delta_fraction: 5%, switch_per_account: 2s, upgrade: 30m }",
        )
        .disk("1TiB")
        .server_version("mbx2.example.com", "10.1.5")
        .mailbox("$o|neil_x||$@example.com", "mbx1.example.com", "1GiB")
        .mailbox("*star*@example.com", "mbx1.example.com", "1GiB")
        .mailbox("tick`tock@example.com", "mbx1.example.com", "1GiB")
        .text()
}

#[test]
fn names_with_pipes_and_underscores_cannot_break_a_table() {
    let dir = scratch!("markdown-hostile");
    dir.write("inventory.yaml", hostile());
    let mut plan = plan_of(&dir, "inventory.yaml").expect("the hostile inventory plans");
    let md = render(&plan);
    check_tables("hostile accounts", &md);
    // Account names are code spans (forges would link bare addresses):
    // only `|` is escaped in a table cell, and a backtick gets a longer fence.
    assert!(md.contains("`$o\\|neil_x\\|\\|$@example.com`"), "{md}");
    assert!(md.contains("`*star*@example.com`"), "{md}");
    assert!(md.contains("``tick`tock@example.com``"), "{md}");

    // Hostnames cannot hold `|` or `_`, but a plan read from a file is not
    // checked: rename a store everywhere and render again.
    let json = serde_json::to_string(&plan).expect("plan serializes");
    let json = json.replace("mbx1.example.com", "mbx_1|a.example.com");
    plan = serde_json::from_str(&json).expect("plan parses");
    let md = render(&plan);
    check_tables("hostile server", &md);
    assert!(md.contains("mbx\\_1\\|a.example.com"), "{md}");

    // Nor are roles and sites: give every server a hostile extra role and site.
    for server in plan.servers.values_mut() {
        server.roles.push("x|y_z*".to_string());
        server.site = Some("dc|1`a".to_string());
    }
    let md = render(&plan);
    check_tables("hostile roles and sites", &md);
    assert!(md.contains(", x\\|y\\_z\\* | dc\\|1\\`a |"), "{md}");
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
        // In percent of each disk, and in bytes for plans without capacities.
        for plan in [plan.clone(), without_servers(&plan)] {
            let md = render(&plan);
            let Some(start) = md.find("xychart-beta\n") else {
                continue;
            };
            let chart = &md[start..md[start..].find("```").map_or(md.len(), |e| start + e)];
            let percent = chart.contains("(% of disk)");
            let divisor = |store: &str| -> f64 {
                if percent {
                    plan.servers[store].capacity.expect("a capacity").disk as f64 / 100.0
                } else if chart.contains("(TiB)") {
                    1024f64.powi(4)
                } else if chart.contains("(GiB)") {
                    1024f64.powi(3)
                } else {
                    1024f64.powi(2)
                }
            };
            let mut lines: Vec<Vec<f64>> = chart
                .lines()
                .filter_map(|l| l.trim().strip_prefix("line ["))
                .map(|l| {
                    l.trim_end_matches(']')
                        .split(", ")
                        .map(|v| v.parse().expect("a number"))
                        .collect()
                })
                .collect();
            if percent {
                // The last line is the ceiling, flat at max_fill.
                let ceiling = lines.pop().expect("the ceiling line");
                let want = plan.policy.max_fill * 100.0;
                assert!(
                    ceiling.iter().all(|v| (v - want).abs() < 0.006),
                    "{name}: ceiling {ceiling:?}"
                );
                assert!(
                    chart.contains("0 --> 100"),
                    "{name}: the axis is the whole disk"
                );
            }
            assert_eq!(
                lines.len(),
                plan.placement.peak.len(),
                "{name}: one line per store"
            );
            for (values, (store, peak)) in lines.iter().zip(&plan.placement.peak) {
                assert_eq!(values.len(), plan.waves.len() + 2, "{name}: {store}");
                let max = values.iter().copied().fold(0.0, f64::max);
                let want = peak.bytes as f64 / divisor(store);
                // Two decimals, and the overhead is applied per step, not per mailbox.
                assert!(
                    (max - want).abs() <= 0.011 + want * 1e-6,
                    "{name}: {store} peaks at {max} in the chart, {want} in the plan"
                );
                let first = values[0];
                let before = plan.placement.before[store].bytes as f64 / divisor(store);
                assert!((first - before).abs() <= 0.011, "{name}: {store} start");
            }
        }
    }
}

/// A large installation on a schedule: section 4 summarises per store, per
/// night and per wave, every wave in one night row (or the background row),
/// and every table row has its header's cells.
#[test]
fn a_large_scheduled_installation_is_summarised_per_night() {
    let generated = planner_bench::generate(&planner_bench::Params {
        rates: true,
        ..planner_bench::Params::new(2_000, 20)
    })
    .expect("a layout");
    let schedule = "policy:\n  schedule:\n    start: 2026-12-04T22:00:00+01:00\n    time_zone: Europe/Berlin\n    windows:\n      - { days: [fri, sat], from: \"22:00\", to: \"06:00\" }\n";
    let text = generated.inventory.replacen("policy:\n", schedule, 1);
    let checked = planner_core::load("inventory.yaml", text.as_bytes(), |path| {
        Ok(generated.file(path).expect("generated").to_vec())
    })
    .expect("valid");
    let plan = planner_core::engine::plan(&checked, &util::options()).expect("a plan");
    assert!(
        !plan.summary.windows.is_empty(),
        "the plan is on a calendar"
    );
    let md = render(&plan);
    for heading in ["### Per store", "### Per night", "### Per wave"] {
        assert!(md.contains(heading), "{heading} in\n{md}");
    }
    check_tables("generated", &md);
    let rows = table_rows(
        &md,
        "| Window | Waves | Upgrades | Accounts switched | Other steps |",
    );
    assert!(rows.len() >= plan.summary.windows.len(), "{rows:?}");
    let mut waves: Vec<u32> = Vec::new();
    for row in &rows {
        let listed = row[1]
            .trim_start_matches("waves ")
            .trim_start_matches("wave ");
        for part in listed.split(", ") {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b): (u32, u32) = (a.parse().expect("a wave"), b.parse().expect("a wave"));
            waves.extend(a..=b);
        }
    }
    waves.sort_unstable();
    let all: Vec<u32> = (1..=plan.waves.len() as u32).collect();
    assert_eq!(waves, all, "every wave in exactly one row");
}
