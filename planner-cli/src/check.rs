//! `planner check`: the summary of a valid inventory.
//!
//! It answers what an operator wants to know before planning: what runs
//! where, how full each mailstore is against the ceiling, and which policy
//! the planner will apply.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use planner_core::inventory::{AgainstTarget, Checked, Fraction, Inventory, ServerId};
use planner_core::words::count;

/// The summary printed on success.
pub fn render(file: &str, checked: &Checked) -> Result<String, fmt::Error> {
    let inv = checked.inventory();
    let mut out = String::new();
    let to_upgrade = inv.servers().iter().filter(|s| s.needs_upgrade()).count();
    writeln!(
        out,
        "{file}: valid ({} profile, target {})",
        inv.profile().name.as_str(),
        inv.target_version()
    )?;
    writeln!(
        out,
        "{}, {to_upgrade} to upgrade; {}",
        count(inv.servers().len() as u64, "server", "servers"),
        count(checked.warnings().len() as u64, "warning", "warnings"),
    )?;
    out.push('\n');
    servers_by_role(inv, &mut out)?;
    out.push('\n');
    mailstores(inv, &mut out)?;
    out.push('\n');
    policy(inv, &mut out)?;
    Ok(out)
}

fn servers_by_role(inv: &Inventory, out: &mut String) -> fmt::Result {
    writeln!(out, "Servers by role")?;
    let width = inv
        .profile()
        .roles
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4);
    for role in &inv.profile().roles {
        let members: Vec<_> = inv
            .servers()
            .iter()
            .filter(|s| s.has_role(&role.name))
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut versions: BTreeMap<_, Vec<&str>> = BTreeMap::new();
        for s in &members {
            versions
                .entry(s.version())
                .or_default()
                .push(s.name().as_str());
        }
        let detail: Vec<String> = versions
            .iter()
            .map(|(version, names)| {
                let mark = match inv
                    .servers()
                    .iter()
                    .find(|s| &s.version() == version)
                    .map(|s| s.status())
                {
                    Some(AgainstTarget::At) => " (at target)",
                    _ => "",
                };
                format!("{version}{mark}: {}", names.join(", "))
            })
            .collect();
        writeln!(
            out,
            "  {:width$}  {}  {}",
            role.name,
            members.len(),
            detail.join("; ")
        )?;
    }
    Ok(())
}

fn mailstores(inv: &Inventory, out: &mut String) -> fmt::Result {
    let loads = inv.store_loads();
    let stores: Vec<ServerId> = inv
        .server_ids()
        .filter(|(_, s)| s.is_mailstore())
        .map(|(id, _)| id)
        .collect();
    writeln!(
        out,
        "Mailstores (fill against max_fill {})",
        inv.policy().max_fill
    )?;
    let rows: Vec<[String; 6]> = stores
        .iter()
        .map(|&id| {
            let s = inv.server(id);
            let load = loads[id.index()];
            let cap = s.capacity();
            let disk = cap.map_or(0, |c| c.disk.0);
            let count = match cap.and_then(|c| c.mailboxes) {
                Some(limit) => format!("{} / {limit}", load.mailboxes),
                None => load.mailboxes.to_string(),
            };
            let fill = Fraction::ratio(load.bytes.0, disk);
            let over = inv
                .ceiling(id)
                .is_some_and(|c| load.bytes > c.bytes || load.mailboxes > c.mailboxes);
            let mut flags = Vec::new();
            if !s.needs_upgrade() {
                flags.push("at target");
            }
            if s.spare() {
                flags.push("spare");
            }
            if s.evacuate() == Some(false) {
                flags.push("in place");
            }
            if over {
                flags.push("ABOVE CEILING");
            }
            [
                s.name().to_string(),
                s.site().unwrap_or("-").to_string(),
                count,
                load.bytes.to_string(),
                format!(
                    "{fill} of {}",
                    cap.map_or_else(|| "?".into(), |c| c.disk.to_string())
                ),
                flags.join(", "),
            ]
        })
        .collect();
    let header = ["store", "site", "mailboxes", "bytes", "fill", ""];
    let widths: Vec<usize> = (0..6)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| -> String {
        let mut l = String::from(" ");
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            if c == 2 || c == 3 {
                l.push_str(&format!(" {}{cell}", " ".repeat(pad)));
            } else {
                l.push_str(&format!(" {cell}{}", " ".repeat(pad)));
            }
        }
        l.trim_end().to_string()
    };
    writeln!(out, "{}", line(&header.map(String::from)))?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    let total_mailboxes: u64 = stores.iter().map(|id| loads[id.index()].mailboxes).sum();
    let total_bytes = stores
        .iter()
        .fold(planner_core::inventory::Bytes::ZERO, |acc, id| {
            acc.saturating_add(loads[id.index()].bytes)
        });
    let assumed = inv.mailboxes().iter().filter(|m| m.assumed()).count();
    write!(
        out,
        "  total: {}, {total_bytes}",
        count(total_mailboxes, "mailbox", "mailboxes")
    )?;
    if inv.policy().size_overhead != Fraction::ZERO {
        write!(out, " (with {} overhead)", inv.policy().size_overhead)?;
    }
    if assumed > 0 {
        write!(out, "; {assumed} sizes assumed")?;
    }
    out.push('\n');
    Ok(())
}

fn policy(inv: &Inventory, out: &mut String) -> fmt::Result {
    let p = inv.policy();
    let lower = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
    writeln!(out, "Policy")?;
    writeln!(
        out,
        "  strategy {}, max_fill {}, size_overhead {}, evacuate {}, move_by {}",
        lower(&p.strategy),
        p.max_fill,
        p.size_overhead,
        lower(&p.evacuate),
        lower(&p.move_by)
    )?;
    writeln!(
        out,
        "  two_stage_moves {}, backup {} (full when older than {}), cross_site_moves {}",
        p.two_stage_moves,
        lower(&p.backup),
        p.full_backup_max_age,
        p.cross_site_moves
    )?;
    writeln!(
        out,
        "  max_parallel_moves {}, max_moves_per_source {}, max_parallel_upgrades {}, allow_outage [{}]",
        p.max_parallel_moves,
        p.max_moves_per_source,
        p.max_parallel_upgrades,
        p.allow_outage.join(", ")
    )?;
    writeln!(
        out,
        "  purge {}, backup_after_upgrade {}, tools {}",
        p.purge.as_str(),
        p.backup_after_upgrade.as_str(),
        p.tools
    )?;
    if let Some(n) = &p.notify {
        writeln!(out, "  notify {n}")?;
    }
    match &p.rates {
        Some(r) => {
            writeln!(
                out,
                "  rates: copy {}, delta {}, switch {} per account, upgrade {}, health check {}, manual {}, {}",
                r.copy,
                r.delta_fraction,
                r.switch_per_account,
                r.upgrade,
                r.health_check,
                r.manual,
                r.backup
                    .map_or("no backup rate".to_string(), |b| format!("backup {b}"))
            )?;
        }
        None => {
            writeln!(out, "  no rates: plans carry no time estimates")?;
        }
    }
    Ok(())
}
