//! Section 5, the mailstore fill: what each store holds before, at its peak
//! and after, as a share of its disk when the plan gives disks (else in
//! bytes), and a chart of fill across the waves.

use std::collections::BTreeMap;
use std::io::{self, Write};

use planner_core::inventory::Bytes;
use planner_core::plan::{Plan, PlanCapacity};

use super::figures::{
    bar, capacities, chart_unit, disk_bar, nice_ceiling, number, percent, replay, share, steps,
};
use super::prose::{escape, paragraph};
use super::table::Table;
use crate::units::count;

/// Colours of the fill chart's lines, in order, with the names the legend uses.
/// Ten clearly different colours; a plan with more stores gets no chart.
const PALETTE: [(&str, &str); 10] = [
    ("#1f77b4", "blue"),
    ("#ff7f0e", "orange"),
    ("#2ca02c", "green"),
    ("#d62728", "red"),
    ("#9467bd", "purple"),
    ("#8c564b", "brown"),
    ("#e377c2", "pink"),
    ("#7f7f7f", "grey"),
    ("#bcbd22", "olive"),
    ("#17becf", "cyan"),
];

/// The colour of the ceiling's line on the fill chart, and its name.
const CEILING_COLOUR: (&str, &str) = ("#000000", "black");

/// Writes section 5.
pub(super) fn fill(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    if plan.placement.before.is_empty() {
        return Ok(());
    }
    put!(out, "## 5. Mailstore fill\n");
    let overhead = if plan.policy.size_overhead > 0.0 {
        format!(" plus the {} overhead", percent(plan.policy.size_overhead))
    } else {
        String::new()
    };
    let caps = capacities(plan);
    let t = match &caps {
        Some(caps) => share_of_disks(out, plan, caps, &overhead)?,
        None => bytes_held(out, plan, &overhead)?,
    };
    t.write(out)?;
    chart(out, plan, caps.as_ref())
}

/// The fill table as a share of each store's disk, with its ceiling marked.
fn share_of_disks(
    out: &mut dyn Write,
    plan: &Plan,
    caps: &BTreeMap<&str, PlanCapacity>,
    overhead: &str,
) -> io::Result<Table> {
    let placement = &plan.placement;
    paragraph(
        out,
        &format!(
            "What each store holds before the first wave, at its peak, and after the last: \
             bytes (mailbox sizes{overhead}, and stage-1 copies while they exist) as a share \
             of its disk, and its mailboxes. A full bar is the store's whole disk; `│` marks \
             its ceiling, max\\_fill {} of the disk, which the planner keeps every store \
             within (table 3.2).",
            percent(plan.policy.max_fill)
        ),
    )?;
    let mut t = Table::new(&["Store", "Disk", "Before", "Peak", "After"]);
    t.align(&[false, true, false, false, false]);
    for (store, before) in &placement.before {
        let Some(cap) = caps.get(store.as_str()) else {
            continue;
        };
        let peak = placement.peak.get(store).copied().unwrap_or_default();
        let after = placement.after.get(store).copied().unwrap_or_default();
        let cell = |b: u64, m: u64| {
            format!(
                "`{}` {} (ceiling {}) · {} · {}",
                disk_bar(b, cap),
                share(b, cap.disk),
                share(cap.max_bytes, cap.disk),
                Bytes(b),
                count(m, "mailbox", "mailboxes")
            )
        };
        t.row(vec![
            escape(store),
            Bytes(cap.disk).to_string(),
            cell(before.bytes, before.mailboxes),
            cell(peak.bytes, peak.mailboxes),
            cell(after.bytes, after.mailboxes),
        ]);
    }
    Ok(t)
}

/// The fill table in bytes, for plans without disk capacities: bars that
/// compare stores with one another.
fn bytes_held(out: &mut dyn Write, plan: &Plan, overhead: &str) -> io::Result<Table> {
    let placement = &plan.placement;
    let scale = placement
        .peak
        .values()
        .chain(placement.before.values())
        .chain(placement.after.values())
        .map(|l| l.bytes)
        .max()
        .unwrap_or(0);
    paragraph(
        out,
        &format!(
            "Bytes each store holds (mailbox sizes{overhead}, and stage-1 copies while they \
             exist) and its mailboxes, before the first wave, at its peak, and after the \
             last. A full bar is the largest figure in the table ({}): the bars compare \
             stores with one another. This plan does not carry disk capacities, so they are \
             not a share of a disk; the planner keeps every store within max\\_fill {} of \
             its own (table 3.2).",
            Bytes(scale),
            percent(plan.policy.max_fill)
        ),
    )?;
    let mut t = Table::new(&["Store", "Before", "Peak", "After"]);
    for (store, before) in &placement.before {
        let peak = placement.peak.get(store).copied().unwrap_or_default();
        let after = placement.after.get(store).copied().unwrap_or_default();
        let cell = |b: u64, m: u64| {
            format!(
                "`{}` {} · {}",
                bar(b, scale),
                Bytes(b),
                count(m, "mailbox", "mailboxes")
            )
        };
        t.row(vec![
            escape(store),
            cell(before.bytes, before.mailboxes),
            cell(peak.bytes, peak.mailboxes),
            cell(after.bytes, after.mailboxes),
        ]);
    }
    Ok(t)
}

/// The fill chart: one line per store, what it holds at the start, the most it
/// holds during each wave, and at the end; in percent of its disk with the
/// ceiling as one more line when the plan gives capacities, else in bytes.
fn chart(
    out: &mut dyn Write,
    plan: &Plan,
    caps: Option<&BTreeMap<&str, PlanCapacity>>,
) -> io::Result<()> {
    put!(out, "### Fill across the waves\n");
    let series = replay(plan);
    if !steps(plan).any(|(_, s)| s.kind.is_move()) {
        paragraph(
            out,
            "No chart: no mailbox moves, so no store's fill changes.",
        )?;
        return Ok(());
    }
    if series.len() > PALETTE.len() {
        paragraph(
            out,
            &format!(
                "No chart: {} stores are more than one chart can tell apart; the table above \
                 gives each store's figures.",
                series.len()
            ),
        )?;
        return Ok(());
    }
    let (title, unit, lines, top) = chart_lines(&series, caps);
    let mut labels = vec!["\"start\"".to_string()];
    labels.extend(plan.waves.iter().map(|w| format!("\"{}\"", w.index)));
    labels.push("\"end\"".to_string());
    let mut colours: Vec<&str> = PALETTE.iter().take(series.len()).map(|p| p.0).collect();
    let ceiling = caps.map(|_| plan.policy.max_fill * 100.0);
    if ceiling.is_some() {
        colours.push(CEILING_COLOUR.0);
    }
    paragraph(
        out,
        &format!(
            "One line per store: the disk it uses at the start, the most it uses during each \
             wave (a copy lands on its target, and the source keeps the old copy until its \
             purge), and at the end, replayed from the steps{}.",
            if ceiling.is_some() {
                ", as a share of its disk; one more line marks the max\\_fill ceiling"
            } else {
                ""
            }
        ),
    )?;
    put!(out, "```mermaid");
    put!(
        out,
        "%%{{init: {{\"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"{}\"}}}}}}}}%%",
        colours.join(", ")
    );
    put!(out, "xychart-beta");
    put!(out, "    title \"{title}\"");
    put!(out, "    x-axis \"Wave\" [{}]", labels.join(", "));
    put!(out, "    y-axis \"{unit}\" 0 --> {}", number(top));
    for values in &lines {
        let v: Vec<String> = values.iter().map(|&x| number(x)).collect();
        put!(out, "    line [{}]", v.join(", "));
    }
    if let Some(c) = ceiling {
        let v = vec![number(c); labels.len()];
        put!(out, "    line [{}]", v.join(", "));
    }
    put!(out, "```\n");
    let legend = legend(&series, ceiling);
    paragraph(out, &format!("Lines: {}.", legend.join(", ")))
}

/// A chart's title, unit, lines (one per store, in the chart's unit) and
/// axis top: in percent of each disk when the plan gives capacities, else
/// in the binary unit that fits the largest figure.
fn chart_lines(
    series: &BTreeMap<&str, Vec<u64>>,
    caps: Option<&BTreeMap<&str, PlanCapacity>>,
) -> (String, &'static str, Vec<Vec<f64>>, f64) {
    match caps {
        Some(caps) => {
            let lines: Vec<Vec<f64>> = series
                .iter()
                .map(|(store, values)| {
                    let disk = caps.get(store).map_or(1, |c| c.disk.max(1));
                    values
                        .iter()
                        .map(|&b| b as f64 * 100.0 / disk as f64)
                        .collect()
                })
                .collect();
            let max = lines.iter().flatten().copied().fold(0.0, f64::max);
            let top = if max <= 100.0 {
                100.0
            } else {
                nice_ceiling(max)
            };
            (
                "Fill per store (% of disk)".to_string(),
                "% of disk",
                lines,
                top,
            )
        }
        None => {
            let max = series.values().flatten().copied().max().unwrap_or(0);
            let (unit, div) = chart_unit(max);
            let lines: Vec<Vec<f64>> = series
                .values()
                .map(|values| values.iter().map(|&b| b as f64 / div).collect())
                .collect();
            (
                format!("Bytes per store ({unit})"),
                unit,
                lines,
                nice_ceiling(max as f64 / div),
            )
        }
    }
}

/// The chart's legend: each store's colour, and the ceiling's.
fn legend(series: &BTreeMap<&str, Vec<u64>>, ceiling: Option<f64>) -> Vec<String> {
    let mut legend: Vec<String> = series
        .keys()
        .zip(PALETTE.iter())
        .map(|(store, (_, name))| format!("{} {name}", escape(store)))
        .collect();
    if let Some(c) = ceiling {
        legend.push(format!(
            "the ceiling (max\\_fill {}) {}",
            percent(c / 100.0),
            CEILING_COLOUR.1
        ));
    }
    legend
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn fill_as_a_share_of_each_disk_and_its_chart() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| fill(o, &plan)),
            r##"## 5. Mailstore fill

What each store holds before the first wave, at its peak, and after the last: bytes (mailbox sizes,
and stage-1 copies while they exist) as a share of its disk, and its mailboxes. A full bar is the
store's whole disk; `│` marks its ceiling, max\_fill 90% of the disk, which the planner keeps every
store within (table 3.2).

| Store | Disk | Before | Peak | After |
| --- | ---: | --- | --- | --- |
| mbx1.example.com | 10 GiB | `█░░░░░░░░│░` 10% (ceiling 90%) · 1 GiB · 1 mailbox | `█░░░░░░░░│░` 10% (ceiling 90%) · 1 GiB · 1 mailbox | `░░░░░░░░░│░` 0% (ceiling 90%) · 0 B · 0 mailboxes |
| mbx2.example.com | 10 GiB | `░░░░░░░░░│░` 0% (ceiling 90%) · 0 B · 0 mailboxes | `█░░░░░░░░│░` 10% (ceiling 90%) · 1 GiB · 1 mailbox | `█░░░░░░░░│░` 10% (ceiling 90%) · 1 GiB · 1 mailbox |

### Fill across the waves

One line per store: the disk it uses at the start, the most it uses during each wave (a copy lands
on its target, and the source keeps the old copy until its purge), and at the end, replayed from the
steps, as a share of its disk; one more line marks the max\_fill ceiling.

```mermaid
%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #ff7f0e, #000000"}}}}%%
xychart-beta
    title "Fill per store (% of disk)"
    x-axis "Wave" ["start", "1", "2", "3", "end"]
    y-axis "% of disk" 0 --> 100
    line [10, 10, 10, 10, 10]
    line [0, 0, 10, 10, 10]
    line [90, 90, 90, 90, 90]
```

Lines: mbx1.example.com blue, mbx2.example.com orange, the ceiling (max\_fill 90%) black.

"##
        );
    }
}
