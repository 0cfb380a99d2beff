//! `--format markdown`: the change-approval document a board reads and signs.
//!
//! A change board reads this on a code forge or on paper, so it leads with
//! what changes and why, then what could go wrong, what to check before the
//! window, the waves as tables, how full each mailstore gets, whom to warn,
//! how to roll back each phase, which commands run, and ends with a sign-off
//! table. Every figure comes from the `Plan`; names from the inventory are
//! escaped so that no account or hostname can break a table or turn into
//! emphasis, and the same plan always gives the same bytes.
//!
//! Servers' roles and sites come from the plan's `servers`, and so do the
//! mailstores' disks and the ceilings `max_fill` puts on them: fill is shown
//! as a share of each store's disk, the ceiling marked, and the capacity
//! pre-check sets each peak against its ceiling. Plans written before
//! `servers` existed still render: their roles are read from the planner's
//! own wording (see `Roles`) and their fill is shown in bytes, with bars
//! that compare stores with one another.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use planner_core::inventory::{Bytes, MAILSTORE};
use planner_core::plan::{BackupMode, Plan, PlanCapacity, Step, StepKind};

/// Names shown per move before the rest are counted.
const NAMES_SHOWN: usize = 3;

/// Prose is wrapped near this width; table rows cannot be.
const WIDTH: usize = 100;

/// Cells of a fill bar.
const BAR_CELLS: u64 = 10;

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

/// Writes one line (or several) to a `String`; writing to a `String` cannot fail.
macro_rules! put {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The plan as a change-approval document.
pub fn render(plan: &Plan) -> String {
    let roles = Roles::of(plan);
    let mut out = String::new();
    title(&mut out, plan);
    summary(&mut out, plan);
    risks(&mut out, plan);
    prechecks(&mut out, plan, &roles);
    waves(&mut out, plan);
    fill(&mut out, plan);
    timeline(&mut out, plan);
    users(&mut out, plan);
    rollback(&mut out, plan, &roles);
    commands(&mut out, plan, &roles);
    signoff(&mut out, plan);
    // One newline at the end, whatever the last section wrote.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

// ---------------------------------------------------------------- sections

fn title(out: &mut String, plan: &Plan) {
    let s = &plan.summary;
    put!(
        out,
        "# Change approval: rolling upgrade to {}\n",
        escape(&plan.target_version)
    );
    paragraph(
        out,
        &format!(
            "This document asks for approval to upgrade {} of a {} installation to {}, one \
             wave after another, as planned below. It is generated from the plan; the plan \
             file (JSON) is the reference for every name and figure.",
            count(u64::from(s.servers_to_upgrade), "server", "servers"),
            escape(&plan.profile),
            escape(&plan.target_version),
        ),
    );
    let stores = plan.placement.before.len() as u64;
    let mailboxes: u64 = plan.placement.before.values().map(|l| l.mailboxes).sum();
    let bytes: u64 = plan.placement.before.values().map(|l| l.bytes).sum();
    let overhead = if plan.policy.size_overhead > 0.0 {
        format!(
            ", including the {} size overhead",
            percent(plan.policy.size_overhead)
        )
    } else {
        String::new()
    };
    let at_target = match s.servers_at_target {
        0 => "none already at the target".to_string(),
        n => format!("{n} more already at the target, left alone"),
    };
    let mut t = Table::new(&["Scope", "Value"]);
    t.row(vec!["Target version".into(), escape(&plan.target_version)]);
    t.row(vec!["Profile".into(), escape(&plan.profile)]);
    t.row(vec![
        "Servers to upgrade".into(),
        format!("{} ({at_target})", s.servers_to_upgrade),
    ]);
    t.row(vec!["Mailstores".into(), stores.to_string()]);
    t.row(vec![
        "Mailboxes".into(),
        format!("{mailboxes} ({}{overhead})", Bytes(bytes)),
    ]);
    t.row(vec![
        "Planner".into(),
        format!(
            "version {}, plan format {}",
            escape(&plan.planner_version),
            escape(&plan.format)
        ),
    ]);
    t.row(vec![
        "Inventory digest".into(),
        code(&plan.inventory_digest, true),
    ]);
    t.row(vec![
        "Reference time (`now`)".into(),
        format!("{}; backup ages count from it", escape(&plan.now)),
    ]);
    t.write(out);
}

fn summary(out: &mut String, plan: &Plan) {
    let s = &plan.summary;
    let p = &plan.policy;
    put!(out, "## 1. Summary\n");
    paragraph(
        out,
        &format!(
            "**Strategy: {}** (requested: {}): {}",
            plan.strategy.chosen.as_str(),
            name_of(&plan.strategy.requested),
            sentence(&inline(&plan.strategy.why, false))
        ),
    );
    let mut t = Table::new(&["Figure", "Value"]);
    t.row(vec![
        "Mailbox moves".into(),
        format!(
            "{} ({}); a copy and its switch are one move",
            s.mailboxes_moved,
            Bytes(s.bytes_moved)
        ),
    ]);
    t.row(vec![
        "Mailboxes moved more than once".into(),
        if s.mailboxes_moved_twice == 0 {
            "none".to_string()
        } else {
            format!(
                "{} ({} moved again)",
                s.mailboxes_moved_twice,
                Bytes(s.bytes_moved_again)
            )
        },
    ]);
    t.row(vec!["Waves".into(), s.waves.to_string()]);
    t.row(vec![
        "Estimated duration".into(),
        match s.estimated_duration_s {
            Some(d) => format!(
                "{}: the sum of the wave estimates; backups, health checks and manual steps \
                 are not estimated",
                duration(d)
            ),
            None => "no estimate: the policy has no rates".to_string(),
        },
    ]);
    t.row(vec![
        "Capacity ceiling".into(),
        format!(
            "max\\_fill {} of every store's disk and mailbox count; size overhead {}",
            percent(p.max_fill),
            percent(p.size_overhead)
        ),
    ]);
    t.row(vec![
        "Moves".into(),
        format!(
            "by {}, {}, at most {} per wave, {}",
            name_of(&p.move_by),
            if p.two_stage_moves {
                "two stages (copy, then copy the changes and switch)"
            } else {
                "one stage (copy and switch at once)"
            },
            p.max_parallel_moves,
            if p.cross_site_moves {
                "across sites allowed"
            } else {
                "within each site"
            }
        ),
    ]);
    t.row(vec![
        "Upgrades".into(),
        format!(
            "at most {} per wave; mailstores {}",
            p.max_parallel_upgrades,
            if name_of(&p.evacuate) == "never" {
                "upgraded in place, with their users on them"
            } else {
                "emptied first"
            }
        ),
    ]);
    t.row(vec![
        "Backups".into(),
        format!(
            "{} before a mailstore is touched; full when the last full backup is older than {}",
            name_of(&p.backup),
            duration(p.full_backup_max_age_s)
        ),
    ]);
    t.row(vec![
        "Accepted outages".into(),
        if p.allow_outage.is_empty() {
            "none".to_string()
        } else {
            p.allow_outage
                .iter()
                .map(|r| escape(r))
                .collect::<Vec<_>>()
                .join(", ")
        },
    ]);
    t.row(vec![
        "Move notifications".into(),
        match &p.notify {
            Some(a) => format!("sent to {}", escape(a)),
            None => "none".to_string(),
        },
    ]);
    t.write(out);
}

fn risks(out: &mut String, plan: &Plan) {
    let s = &plan.summary;
    put!(out, "## 2. Risks and outages\n");
    put!(out, "### Outages\n");
    if s.outages.is_empty() {
        paragraph(
            out,
            "None: in every wave each role keeps enough servers up, and no mailstore is \
             upgraded with its users on it.",
        );
    } else {
        let mut t = Table::new(&["Wave", "Server", "Unit", "What users lose"]);
        for o in &s.outages {
            t.row(vec![
                o.wave.to_string(),
                escape(&o.server),
                escape(&o.unit),
                sentence(&inline(&o.message, true)),
            ]);
        }
        t.write(out);
    }
    put!(out, "### Warnings\n");
    if s.warnings.is_empty() {
        paragraph(out, "None.");
    } else {
        for w in &s.warnings {
            bullet(out, &sentence(&inline(w, false)));
        }
        put!(out);
    }
    let unavailable = steps(plan)
        .filter(|(_, st)| st.kind == StepKind::MoveSwitch)
        .filter_map(|(_, st)| st.unavailable_per_account_s)
        .max();
    let switched: usize = steps(plan)
        .filter(|(_, st)| st.kind == StepKind::MoveSwitch)
        .map(|(_, st)| st.accounts.as_ref().map_or(0, Vec::len))
        .sum();
    if switched > 0 {
        paragraph(
            out,
            &format!(
                "Account switches: {} in all (a mailbox that moves twice switches twice); each \
                 account is unavailable {} while it switches (section 6 says whom to warn, and \
                 when).",
                switched,
                match unavailable {
                    Some(u) => format!("for about {}", duration(u)),
                    None => "for a short time (no estimate: no rates)".to_string(),
                }
            ),
        );
    }
}

fn prechecks(out: &mut String, plan: &Plan, roles: &Roles) {
    put!(out, "## 3. Pre-checks\n");
    paragraph(
        out,
        "Tick each item before the first wave starts; the tables below give the figures.",
    );
    let backups: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Backup)
        .collect();
    let mut items: Vec<String> = Vec::new();
    items.push(format!(
        "**The plan is current.** Save it as JSON with the same options ({}) and run {} right \
         before the window: it refuses a plan whose inventory has changed (digest {}).",
        code(
            &format!("--format json --now {} --output plan.json", plan.now),
            false
        ),
        code("planner verify plan.json --inventory INVENTORY", false),
        code(&plan.inventory_digest, false),
    ));
    items.push(format!(
        "**Everything is healthy before the start.** `zmcontrol status` on every server shows \
         every service running{}.",
        if roles.directory.is_empty() {
            ""
        } else {
            "; `zmreplchk` shows directory replication in sync"
        }
    ));
    if backups.is_empty() {
        if !plan.placement.before.is_empty() {
            items.push(
                "**Backups.** The plan takes no backup (policy `backup: none`): confirm that \
                 a recent backup of every mailstore exists elsewhere."
                    .to_string(),
            );
        }
    } else {
        items.push(format!(
            "**Backups are fresh.** The plan backs up each mailstore before it is touched \
             ({}, table 3.1), full when the last full backup is too old or unknown. Check the \
             last full backups it counts on with `zxsuite backup getBackupInfo` on each store; \
             ages count from {}.",
            count(backups.len() as u64, "backup", "backups"),
            escape(&plan.now)
        ));
    }
    let capacities = capacities(plan);
    if !plan.placement.before.is_empty() {
        let against = match &capacities {
            None => "Capacities come from the inventory: check that each store really has at \
                     least the disk and mailbox room of table 3.2."
                .to_string(),
            Some(caps) => {
                let over: Vec<String> = over_ceiling(plan, caps).into_iter().map(escape).collect();
                format!(
                    "Table 3.2 sets each store's peak against its ceiling: {}. Capacities come \
                     from the inventory: check that each store really has the disk and mailbox \
                     room given there.",
                    if over.is_empty() {
                        "every store stays within it".to_string()
                    } else {
                        format!(
                            "**{} over it** ({}); do not start until the inventory or the \
                             plan is put right",
                            count(over.len() as u64, "store is", "stores are"),
                            over.join(", ")
                        )
                    }
                )
            }
        };
        items.push(format!(
            "**Capacity headroom.** The planner keeps every store at or below max\\_fill {} of \
             its disk and mailbox capacity at every moment, stage-1 copies included. {against}",
            percent(plan.policy.max_fill)
        ));
    }
    items.push(installer_check(plan));
    items.push(format!(
        "**Versions.** Each server runs the version of table 3.3 before its upgrade, and {} \
         {} at hand on every server.",
        Tools::of(plan).release(&escape(&plan.target_version)),
        if plan.profile == "carbonio" {
            "are"
        } else {
            "is"
        }
    ));
    let mta = roles.last_mta_upgrade(plan);
    items.push(match mta {
        Some((wave, server)) => format!(
            "**MTA settings, after the last MTA.** After wave {wave} (the upgrade of {}), \
             check the global MTA settings: Zimbra's upgrade guide warns that some may need \
             fixing once every MTA is upgraded.",
            escape(server)
        ),
        None => "**MTA settings, after the last MTA.** Once every MTA is upgraded, check the \
                 global MTA settings: Zimbra's upgrade guide warns that some may need fixing."
            .to_string(),
    });
    if steps(plan).any(|(_, s)| s.kind == StepKind::PoolOut) {
        items.push(
            "**Pools for new accounts.** Know which classes of service list each mailstore \
             in `zimbraMailHostPool`, so that each pool-out step takes the store out and its \
             pool-in step puts it back."
                .to_string(),
        );
    }
    if steps(plan).any(|(_, s)| s.kind == StepKind::Drain) {
        items.push(
            "**Load balancer and MX.** Know how each drained node leaves and rejoins its \
             load balancer or MX rotation: drains are manual steps."
                .to_string(),
        );
    }
    if steps(plan).any(|(_, s)| s.kind == StepKind::MoveSwitch) {
        items.push("**Users are warned** before each switch wave (section 6).".to_string());
    }
    for item in &items {
        task(out, item);
    }
    put!(out);

    if !backups.is_empty() {
        put!(out, "### 3.1 Backups\n");
        let mut t = Table::new(&["Wave", "Store", "Mode", "Why"]);
        for (wave, s) in &backups {
            t.row(vec![
                wave.to_string(),
                escape(s.server.as_deref().unwrap_or("?")),
                backup_mode(s.mode).to_string(),
                sentence(&inline(&s.why, true)),
            ]);
        }
        t.write(out);
    }
    if !plan.placement.before.is_empty() {
        put!(out, "### 3.2 Capacity headroom\n");
        match &capacities {
            Some(caps) => headroom(out, plan, caps),
            None => headroom_needed(out, plan),
        }
    }
    versions(out, plan);
}

/// Table 3.2 when the plan gives capacities: each store's peak against the
/// ceilings `max_fill` puts on its disk and on the accounts it can serve.
fn headroom(out: &mut String, plan: &Plan, caps: &BTreeMap<&str, PlanCapacity>) {
    paragraph(
        out,
        &format!(
            "Peak: the most each store holds at any moment (bytes with the size overhead and \
             stage-1 copies, and as a share of its disk; mailboxes). Ceiling: max\\_fill {} of \
             the store's disk and of the accounts it can serve, as the inventory gives them; a \
             store without an account limit has no mailbox ceiling. OK: the peak is at or below \
             the ceiling.",
            percent(plan.policy.max_fill)
        ),
    );
    let mut t = Table::new(&[
        "Store",
        "Disk",
        "Peak bytes",
        "Byte ceiling",
        "Byte headroom",
        "Peak mailboxes",
        "Mailbox ceiling",
        "Mailbox headroom",
    ]);
    t.align(&[false, true, true, true, false, true, true, false]);
    for (store, cap) in caps {
        let peak = plan.placement.peak.get(*store).copied().unwrap_or_default();
        t.row(vec![
            escape(store),
            Bytes(cap.disk).to_string(),
            format!("{} ({})", Bytes(peak.bytes), share(peak.bytes, cap.disk)),
            format!(
                "{} ({})",
                Bytes(cap.max_bytes),
                share(cap.max_bytes, cap.disk)
            ),
            verdict(peak.bytes, cap.max_bytes, |b| Bytes(b).to_string()),
            peak.mailboxes.to_string(),
            match (cap.max_mailboxes, cap.mailboxes) {
                (Some(max), Some(all)) => format!("{max} ({} of {all})", share(max, all)),
                (Some(max), None) => max.to_string(),
                (None, _) => "no limit".to_string(),
            },
            match cap.max_mailboxes {
                Some(max) => verdict(peak.mailboxes, max, |m| m.to_string()),
                None => "OK (no limit)".to_string(),
            },
        ]);
    }
    t.write(out);
}

/// `OK (25 GiB below)`, `OK (at the ceiling)` or `**over** by 3 GiB`.
fn verdict(peak: u64, ceiling: u64, show: impl Fn(u64) -> String) -> String {
    match peak.cmp(&ceiling) {
        std::cmp::Ordering::Less => format!("OK ({} below)", show(ceiling - peak)),
        std::cmp::Ordering::Equal => "OK (at the ceiling)".to_string(),
        std::cmp::Ordering::Greater => format!("**over** by {}", show(peak - ceiling)),
    }
}

/// The stores whose peak bytes or mailboxes exceed their ceiling.
fn over_ceiling<'a>(plan: &Plan, caps: &BTreeMap<&'a str, PlanCapacity>) -> Vec<&'a str> {
    caps.iter()
        .filter(|(store, cap)| {
            let peak = plan
                .placement
                .peak
                .get(**store)
                .copied()
                .unwrap_or_default();
            peak.bytes > cap.max_bytes || cap.max_mailboxes.is_some_and(|m| peak.mailboxes > m)
        })
        .map(|(store, _)| *store)
        .collect()
}

/// Table 3.2 for plans without capacities: the least capacity each peak needs.
fn headroom_needed(out: &mut String, plan: &Plan) {
    let max_fill = plan.policy.max_fill;
    paragraph(
        out,
        &format!(
            "Peak: the most each store holds at any moment (bytes with the size overhead \
             and stage-1 copies; mailboxes). Needed: the peak divided by max\\_fill {}, \
             the least capacity at which the peak stays within the ceiling.",
            percent(max_fill)
        ),
    );
    let mut t = Table::new(&[
        "Store",
        "Peak bytes",
        "Disk needed",
        "Peak mailboxes",
        "Mailbox room needed",
    ]);
    t.align(&[false, true, true, true, true]);
    for (store, peak) in &plan.placement.peak {
        t.row(vec![
            escape(store),
            Bytes(peak.bytes).to_string(),
            Bytes(needed(peak.bytes, max_fill)).to_string(),
            peak.mailboxes.to_string(),
            needed(peak.mailboxes, max_fill).to_string(),
        ]);
    }
    t.write(out);
}

/// Table 3.3: each upgrade with the server's roles and site (when the plan
/// lists its servers), and the servers left alone.
fn versions(out: &mut String, plan: &Plan) {
    put!(out, "### 3.3 Versions\n");
    let upgrades: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Upgrade)
        .collect();
    let known = !plan.servers.is_empty();
    let roles_of = |name: &str| -> String {
        plan.servers
            .get(name)
            .filter(|s| !s.roles.is_empty())
            .map_or_else(
                || "—".to_string(),
                |s| {
                    s.roles
                        .iter()
                        .map(|r| escape(r))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            )
    };
    if upgrades.is_empty() {
        paragraph(out, "No server is upgraded: every server is at the target.");
    } else {
        // The site column only when the installation names its sites, the
        // outage column only when there is one to show.
        let sites = plan.servers.values().any(|s| s.site.is_some());
        let outages = upgrades.iter().any(|(_, s)| s.outage == Some(true));
        let mut header = vec!["Wave", "Server"];
        if known {
            header.push("Roles");
        }
        if sites {
            header.push("Site");
        }
        header.extend(["From", "To"]);
        if outages {
            header.push("Outage");
        }
        let mut t = Table::new(&header);
        for (wave, s) in &upgrades {
            let name = s.server.as_deref().unwrap_or("?");
            let mut row = vec![wave.to_string(), escape(name)];
            if known {
                row.push(roles_of(name));
            }
            if sites {
                row.push(
                    plan.servers
                        .get(name)
                        .and_then(|s| s.site.as_deref())
                        .map_or_else(|| "—".to_string(), escape),
                );
            }
            row.push(escape(s.from_version.as_deref().unwrap_or("?")));
            row.push(escape(s.to_version.as_deref().unwrap_or("?")));
            if outages && s.outage == Some(true) {
                row.push("**yes**".to_string());
            }
            t.row(row);
        }
        t.write(out);
    }
    if plan.summary.servers_at_target > 0 {
        let left: Vec<String> = plan
            .servers
            .iter()
            .filter(|(_, s)| !s.upgraded)
            .map(|(name, _)| format!("{} ({})", escape(name), roles_of(name)))
            .collect();
        paragraph(
            out,
            &format!(
                "{} already at {} and not upgraded{}.",
                count(
                    u64::from(plan.summary.servers_at_target),
                    "server is",
                    "servers are"
                ),
                escape(&plan.target_version),
                if left.is_empty() {
                    String::new()
                } else {
                    format!(": {}", left.join(", "))
                }
            ),
        );
    }
}

fn installer_check(plan: &Plan) -> String {
    let check = "Zimbra's installer (8.7 and later) refuses to upgrade unless proxy and \
                 memcached are both present: `zmprov gas proxy` and `zmprov gas memcached` \
                 must each list at least one server.";
    if plan.profile == "zimbra" {
        format!("**Installer prerequisites.** {check}")
    } else {
        format!(
            "**Installer prerequisites.** {check} This rule comes from Zimbra's upgrade \
             guide; check what the {} installer requires.",
            escape(&plan.profile)
        )
    }
}

fn waves(out: &mut String, plan: &Plan) {
    put!(out, "## 4. Waves\n");
    paragraph(
        out,
        "A wave starts when the previous one is finished; the steps of one wave may run in \
         any order or at the same time. Steps are numbered wave.step; section 8 gives each \
         one's id in the plan JSON and the script. Manual steps have no command: the \
         operator does them and confirms. Estimates come from the policy's rates; backups, \
         health checks and manual steps have none.",
    );
    let with_estimates = plan.policy.rates.is_some();
    for wave in &plan.waves {
        let estimate = match wave.estimated_duration_s {
            Some(0) => " (no estimate)".to_string(),
            Some(d) => format!(" (about {})", duration(d)),
            None => String::new(),
        };
        put!(out, "### Wave {}{estimate}\n", wave.index);
        let mut header = vec!["#", "Step", "Server / source → target", "Details"];
        if with_estimates {
            header.push("Estimate");
        }
        let mut t = Table::new(&header);
        for (i, step) in wave.steps.iter().enumerate() {
            let mut row = vec![
                format!("{}.{}", wave.index, i + 1),
                code(step.kind.as_str(), true),
                where_(step),
                details(step),
            ];
            if with_estimates {
                row.push(
                    step.estimated_duration_s
                        .map_or_else(|| "—".to_string(), duration),
                );
            }
            t.row(row);
        }
        t.write(out);
    }
}

fn where_(step: &Step) -> String {
    if step.kind.is_move() {
        format!(
            "{} → {}",
            escape(step.source.as_deref().unwrap_or("?")),
            escape(step.target.as_deref().unwrap_or("?"))
        )
    } else {
        escape(step.server.as_deref().unwrap_or("?"))
    }
}

fn details(step: &Step) -> String {
    let why = sentence(&inline(&step.why, true));
    match step.kind {
        StepKind::Backup => format!("{} backup: {why}", capitalized(backup_mode(step.mode))),
        StepKind::Upgrade => format!(
            "{} → {}{}; {why}",
            escape(step.from_version.as_deref().unwrap_or("?")),
            escape(step.to_version.as_deref().unwrap_or("?")),
            if step.outage == Some(true) {
                ", **outage**"
            } else {
                ""
            }
        ),
        StepKind::MoveData | StepKind::MoveSwitch => {
            let mut d = format!("{why} {}.", names(step));
            if let Some(u) = step.unavailable_per_account_s {
                let _ = write!(
                    d,
                    " Each account is unavailable for about {} at its switch.",
                    duration(u)
                );
            }
            d
        }
        StepKind::PoolOut | StepKind::PoolIn | StepKind::Drain | StepKind::Undrain => {
            format!("Manual: {why}")
        }
        StepKind::HealthCheck => why,
    }
}

/// `Accounts: a, b, c and 6 more` (or the domains, when moves are by domain).
fn names(step: &Step) -> String {
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    let domains = step.domains.as_deref().unwrap_or(&[]);
    let (label, list) = if domains.is_empty() {
        ("Accounts", accounts)
    } else {
        ("Domains", domains)
    };
    let shown: Vec<String> = list.iter().take(NAMES_SHOWN).map(|n| escape(n)).collect();
    let more = list.len().saturating_sub(NAMES_SHOWN);
    format!(
        "{label}: {}{}",
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

fn fill(out: &mut String, plan: &Plan) {
    let placement = &plan.placement;
    if placement.before.is_empty() {
        return;
    }
    put!(out, "## 5. Mailstore fill\n");
    let overhead = if plan.policy.size_overhead > 0.0 {
        format!(" plus the {} overhead", percent(plan.policy.size_overhead))
    } else {
        String::new()
    };
    let caps = capacities(plan);
    let mut t;
    if let Some(caps) = &caps {
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
        );
        t = Table::new(&["Store", "Disk", "Before", "Peak", "After"]);
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
    } else {
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
        );
        t = Table::new(&["Store", "Before", "Peak", "After"]);
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
    }
    t.write(out);
    chart(out, plan, caps.as_ref());
}

/// The fill chart: one line per store, what it holds at the start, the most it
/// holds during each wave, and at the end; in percent of its disk with the
/// ceiling as one more line when the plan gives capacities, else in bytes.
fn chart(out: &mut String, plan: &Plan, caps: Option<&BTreeMap<&str, PlanCapacity>>) {
    put!(out, "### Fill across the waves\n");
    let series = replay(plan);
    if !steps(plan).any(|(_, s)| s.kind.is_move()) {
        paragraph(
            out,
            "No chart: no mailbox moves, so no store's fill changes.",
        );
        return;
    }
    if series.len() > PALETTE.len() {
        paragraph(
            out,
            &format!(
                "No chart: {} stores are more than one chart can tell apart; the table above \
                 gives each store's figures.",
                series.len()
            ),
        );
        return;
    }
    // Each store's points, in the chart's unit.
    let (title, unit, lines, top): (String, &str, Vec<Vec<f64>>, f64) = match caps {
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
    };
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
            "One line per store: what it holds at the start, the most it holds during each wave \
             (a copy lands on its target before the switch frees its source), and at the end, \
             replayed from the move steps{}.",
            if ceiling.is_some() {
                ", as a share of its disk; one more line marks the max\\_fill ceiling"
            } else {
                ""
            }
        ),
    );
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
    paragraph(out, &format!("Lines: {}.", legend.join(", ")));
}

/// Bytes per store over the waves, replayed from `placement.before` and the
/// move steps: a copy adds to its target; a switch adds what was not copied
/// yet and frees the source once the wave is over. Each point is the most a
/// store holds during that wave; the first is the start, the last the end.
fn replay(plan: &Plan) -> BTreeMap<&str, Vec<u64>> {
    let overhead = plan.policy.size_overhead;
    let mut now: BTreeMap<&str, u64> = plan
        .placement
        .before
        .iter()
        .map(|(s, l)| (s.as_str(), l.bytes))
        .collect();
    let mut series: BTreeMap<&str, Vec<u64>> = now.iter().map(|(s, b)| (*s, vec![*b])).collect();
    let mut pending: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for wave in &plan.waves {
        let mut releases: Vec<(&str, u64)> = Vec::new();
        for step in wave.steps.iter().filter(|s| s.kind.is_move()) {
            let (Some(src), Some(tgt)) = (step.source.as_deref(), step.target.as_deref()) else {
                continue;
            };
            let raw = step.bytes.unwrap_or(0);
            let bytes = raw.saturating_add((raw as f64 * overhead) as u64);
            let copied = pending.entry((src, tgt)).or_insert(0);
            let added = if step.kind == StepKind::MoveData {
                *copied = copied.saturating_add(bytes);
                bytes
            } else {
                let covered = (*copied).min(bytes);
                *copied -= covered;
                releases.push((src, bytes));
                bytes - covered
            };
            if let Some(b) = now.get_mut(tgt) {
                *b = b.saturating_add(added);
            }
        }
        for (store, b) in &now {
            if let Some(v) = series.get_mut(store) {
                v.push(*b);
            }
        }
        for (src, bytes) in releases {
            if let Some(b) = now.get_mut(src) {
                *b = b.saturating_sub(bytes);
            }
        }
    }
    for (store, b) in &now {
        if let Some(v) = series.get_mut(store) {
            v.push(*b);
        }
    }
    series
}

fn timeline(out: &mut String, plan: &Plan) {
    put!(out, "### Timeline\n");
    if plan.summary.estimated_duration_s.is_none() {
        paragraph(
            out,
            "No timeline: the policy has no rates, so the plan has no estimates. Add `rates` \
             to the inventory's policy to get one.",
        );
        return;
    }
    let total = plan.summary.estimated_duration_s.unwrap_or(0);
    paragraph(
        out,
        &format!(
            "Waves run one after another, each as long as its longest estimated step; waves \
             with no estimated step (only backups, health checks and manual steps, which have \
             no estimate) are diamonds. The axis is the time since the start of wave 1 ({} in \
             all, plus the time of the steps without an estimate).",
            duration(total)
        ),
    );
    put!(out, "```mermaid");
    put!(out, "gantt");
    put!(out, "    title Estimated timeline");
    put!(out, "    dateFormat YYYY-MM-DD HH:mm:ss");
    // A nominal first day, so the axis reads as time since the start.
    put!(
        out,
        "    axisFormat {}",
        if total >= 86_400 {
            "day %e %H:%M"
        } else {
            "%H:%M"
        }
    );
    put!(out, "    section Waves");
    for (i, wave) in plan.waves.iter().enumerate() {
        let start = if i == 0 {
            "2000-01-01 00:00:00".to_string()
        } else {
            format!("after w{}", plan.waves[i - 1].index)
        };
        match wave.estimated_duration_s.unwrap_or(0) {
            0 => put!(
                out,
                "    Wave {}{} :milestone, w{}, {start}, 0s",
                wave.index,
                gantt_label(wave),
                wave.index
            ),
            d => put!(
                out,
                "    Wave {}{} :w{}, {start}, {d}s",
                wave.index,
                gantt_label(wave),
                wave.index
            ),
        }
    }
    put!(out, "```\n");
}

/// What a wave mostly does, for its bar on the timeline: its upgrades, else
/// its switches, else its copies, by short server name (` · upgrade ldap1`).
fn gantt_label(wave: &planner_core::plan::Wave) -> String {
    // Short names, and nothing Mermaid's gantt syntax would read (`:`, `#`, `;`).
    let short = |name: &str| -> String {
        name.split('.')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    };
    let of = |kind: StepKind, by_source: bool| -> Vec<String> {
        let names: BTreeSet<String> = wave
            .steps
            .iter()
            .filter(|s| s.kind == kind)
            .filter_map(|s| {
                if by_source {
                    s.source.as_deref()
                } else {
                    s.server.as_deref()
                }
            })
            .map(short)
            .collect();
        names.into_iter().collect()
    };
    let upgrades = of(StepKind::Upgrade, false);
    let switches = of(StepKind::MoveSwitch, true);
    let copies = of(StepKind::MoveData, true);
    if !upgrades.is_empty() {
        format!(" · upgrade {}", upgrades.join(", "))
    } else if !switches.is_empty() {
        format!(" · switch from {}", switches.join(", "))
    } else if !copies.is_empty() {
        format!(" · copy from {}", copies.join(", "))
    } else {
        String::new()
    }
}

fn users(out: &mut String, plan: &Plan) {
    put!(out, "## 6. Users to warn\n");
    let switch_waves: Vec<&planner_core::plan::Wave> = plan
        .waves
        .iter()
        .filter(|w| w.steps.iter().any(|s| s.kind == StepKind::MoveSwitch))
        .collect();
    let in_place: Vec<(u32, &Step)> = steps(plan)
        .filter(|(_, s)| {
            s.kind == StepKind::Upgrade
                && s.outage == Some(true)
                && s.server
                    .as_deref()
                    .is_some_and(|n| plan.placement.before.contains_key(n))
        })
        .collect();
    if switch_waves.is_empty() && in_place.is_empty() {
        paragraph(
            out,
            "Nobody: no account switches store and no mailstore is upgraded with its users on \
             it.",
        );
        return;
    }
    if !switch_waves.is_empty() {
        paragraph(
            out,
            "A moved account is unavailable only while it switches to its new store (the \
             account stage of the move); copies before that do not disturb its user. Warn \
             these users before the wave starts.",
        );
        let with_estimates = plan.policy.rates.is_some();
        let mut t = Table::new(&[
            "Wave",
            "Accounts",
            "Moving",
            "Each unavailable for",
            "Switches take",
        ]);
        for wave in &switch_waves {
            let switches: Vec<&Step> = wave
                .steps
                .iter()
                .filter(|s| s.kind == StepKind::MoveSwitch)
                .collect();
            let accounts: usize = switches
                .iter()
                .map(|s| s.accounts.as_ref().map_or(0, Vec::len))
                .sum();
            let bytes: u64 = switches.iter().filter_map(|s| s.bytes).sum();
            let moving: Vec<String> = switches
                .iter()
                .map(|s| {
                    let n = s.accounts.as_ref().map_or(0, Vec::len);
                    let d = s.domains.as_ref().map_or(0, Vec::len);
                    format!(
                        "{}: {}{}",
                        where_(s),
                        n,
                        if d > 0 {
                            format!(" ({})", count(d as u64, "domain", "domains"))
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            let each = switches
                .iter()
                .filter_map(|s| s.unavailable_per_account_s)
                .max();
            let window = switches.iter().filter_map(|s| s.estimated_duration_s).max();
            t.row(vec![
                wave.index.to_string(),
                format!("{accounts} ({})", Bytes(bytes)),
                moving.join("; "),
                each.map_or_else(
                    || {
                        if with_estimates {
                            "unknown".to_string()
                        } else {
                            "no estimate".to_string()
                        }
                    },
                    |u| format!("about {}", duration(u)),
                ),
                window.map_or_else(
                    || "no estimate".to_string(),
                    |w| format!("about {}", duration(w)),
                ),
            ]);
        }
        t.write(out);
        paragraph(
            out,
            &format!(
                "The full list of each switch is in the plan JSON (the `accounts` of its \
                 `move-switch` step) and in the account file the script (`--format script`) \
                 writes on the source store before the move.{}",
                match &plan.policy.notify {
                    Some(a) => format!(" PowerStore reports each move to {}.", escape(a)),
                    None => String::new(),
                }
            ),
        );
    }
    if !in_place.is_empty() {
        paragraph(
            out,
            "Mailstores upgraded in place: every user on them is unavailable for the whole \
             upgrade.",
        );
        let mut t = Table::new(&["Wave", "Store", "Mailboxes", "Unavailable for"]);
        for (wave, s) in &in_place {
            let store = s.server.as_deref().unwrap_or("?");
            let mailboxes = plan.placement.before.get(store).map_or(0, |l| l.mailboxes);
            t.row(vec![
                wave.to_string(),
                escape(store),
                mailboxes.to_string(),
                s.estimated_duration_s.map_or_else(
                    || "the upgrade (no estimate)".to_string(),
                    |d| format!("about {}", duration(d)),
                ),
            ]);
        }
        t.write(out);
    }
}

fn rollback(out: &mut String, plan: &Plan, roles: &Roles) {
    put!(out, "## 7. Rollback notes\n");
    paragraph(
        out,
        "The script stops at the first failed step: do not start the next wave until the \
         failure is understood and the notes below are followed. The installer stops and \
         restarts only the server it runs on; the other servers keep running.",
    );
    let upgrade_waves = |filter: &dyn Fn(&str) -> bool| -> Vec<(u32, &str)> {
        steps(plan)
            .filter(|(_, s)| s.kind == StepKind::Upgrade)
            .filter_map(|(w, s)| s.server.as_deref().map(|n| (w, n)))
            .filter(|(_, n)| filter(n))
            .collect()
    };
    // A server with several roles belongs to each of their phases.
    let directory = upgrade_waves(&|n| roles.directory.contains(n));
    let rotation = upgrade_waves(&|n| roles.edge.contains(n));
    let others = upgrade_waves(&|n| {
        !roles.edge.contains(n) && !roles.directory.contains(n) && !roles.mailstore.contains(n)
    });
    let mailstores = upgrade_waves(&|n| roles.mailstore.contains(n));
    let moves: Vec<u32> = steps(plan)
        .filter(|(_, s)| s.kind.is_move())
        .map(|(w, _)| w)
        .collect();

    if !directory.is_empty() {
        phase(out, "Directory servers", &directory);
        let others = if roles.directory.len() > 1 {
            "The other directory servers keep serving; if it is the only master, directory \
             writes stay paused until it is back (see the warnings)"
        } else {
            "It is the only directory server, so the directory stays down until it is back \
             (see the outages)"
        };
        bullet(
            out,
            &format!(
                "If an upgrade fails: stop. {others}. Restore the server from the site's system \
                 backup or snapshot (the plan takes none for directory servers), then check \
                 replication with `zmreplchk` before going on."
            ),
        );
        bullet(
            out,
            "Every other server waits for the directory: do not start a later wave while a \
             directory server is down.",
        );
        put!(out);
    }
    if !rotation.is_empty() {
        phase(out, "MTA and proxy nodes", &rotation);
        bullet(
            out,
            "If an upgrade fails: keep the node out of service (drained, if the plan drains \
             it), so that the other nodes carry the traffic; repair or reinstall it, run \
             `zmcontrol status`, and only then put it back in rotation.",
        );
        if !roles.mta.is_empty() {
            bullet(
                out,
                "After the last MTA: if mail flow misbehaves, check the global MTA settings \
                 first (pre-checks).",
            );
        }
        put!(out);
    }
    if !others.is_empty() {
        phase(out, "Other servers", &others);
        bullet(
            out,
            "If an upgrade fails: the services of that server stay down until it is repaired \
             or restored from the site's system backup; the outages table says what users \
             lose meanwhile. Fix it before the servers that wait for it.",
        );
        put!(out);
    }
    if !moves.is_empty() {
        let waves: BTreeSet<u32> = moves.iter().copied().collect();
        put!(
            out,
            "### Mailbox moves ({})\n",
            wave_list(&waves.into_iter().collect::<Vec<_>>())
        );
        bullet(
            out,
            "If a move stops: PowerStore stops a move when write errors reach 5%, and the \
             original account stays active on the source, so its user keeps working. Find \
             the cause (room on the target, the move's log), then re-run the step for the \
             accounts still on the source: `zmprov sa zimbraMailHost=SOURCE` lists them.",
        );
        if plan.policy.two_stage_moves {
            bullet(
                out,
                "A copy (`move-data`) switches nobody: if it fails, re-run it, or drop the \
                 move and its switch; the accounts stay where they are.",
            );
        }
        bullet(
            out,
            "A switched account lives on its new store; sending it back is a new move of \
             its own, not an undo.",
        );
        put!(out);
    }
    if !mailstores.is_empty() {
        phase(out, "Mailstores", &mailstores);
        let backups: BTreeMap<&str, Vec<(u32, Option<BackupMode>)>> = {
            let mut m: BTreeMap<&str, Vec<(u32, Option<BackupMode>)>> = BTreeMap::new();
            for (w, s) in steps(plan).filter(|(_, s)| s.kind == StepKind::Backup) {
                if let Some(n) = s.server.as_deref() {
                    m.entry(n).or_default().push((w, s.mode));
                }
            }
            m
        };
        let emptied = mailstores.iter().any(|(w, n)| !in_place(plan, *w, n));
        if emptied {
            bullet(
                out,
                "An emptied store is upgraded with nobody on it: if its upgrade fails, no user \
                 is affected. Leave it out of the pools for new accounts, repair or reinstall \
                 it, and hold the later waves that move mailboxes onto it.",
            );
        }
        if mailstores.iter().any(|(w, n)| in_place(plan, *w, n)) {
            bullet(
                out,
                "A store upgraded in place has its users on it: if its upgrade fails, they stay \
                 unavailable until it is repaired, or restored from its backup below.",
            );
        }
        let series = replay(plan);
        for (wave, store) in &mailstores {
            // Whether the store held anything from the start up to its upgrade.
            let held = series.get(store).is_some_and(|v| {
                let upto = plan
                    .waves
                    .iter()
                    .position(|w| w.index == *wave)
                    .map_or(v.len(), |p| p + 2);
                v.iter().take(upto).any(|b| *b > 0)
            });
            let taken: Vec<String> = backups
                .get(store)
                .map(|b| {
                    b.iter()
                        .filter(|(bw, _)| bw <= wave)
                        .map(|(bw, mode)| format!("{} backup of wave {bw}", backup_mode(*mode)))
                        .collect()
                })
                .unwrap_or_default();
            bullet(
                out,
                &format!(
                    "{} (upgrade in wave {wave}): {}",
                    escape(store),
                    match taken.last() {
                        Some(b) => format!(
                            "if mail is lost or damaged, restore its accounts from the {b}."
                        ),
                        None if !held => {
                            "it holds no mailbox up to its upgrade: nothing to restore.".to_string()
                        }
                        None => "no backup in this plan: rely on the site's own.".to_string(),
                    }
                ),
            );
        }
        put!(out);
    }
}

/// Whether the upgrade of `store` in `wave` is in place (users on it).
fn in_place(plan: &Plan, wave: u32, store: &str) -> bool {
    steps(plan).any(|(w, s)| {
        w == wave
            && s.kind == StepKind::Upgrade
            && s.server.as_deref() == Some(store)
            && s.outage == Some(true)
    })
}

fn phase(out: &mut String, name: &str, upgrades: &[(u32, &str)]) {
    let waves: Vec<u32> = upgrades.iter().map(|(w, _)| *w).collect();
    let servers: Vec<String> = upgrades.iter().map(|(_, n)| escape(n)).collect();
    put!(out, "### {name} ({})\n", wave_list(&waves));
    paragraph(out, &format!("{}.", servers.join(", ")));
}

/// The command-line tools of the installation, as the script writes them:
/// Zimbra with Zextras runs `zxsuite` as `zimbra` and moves in stages;
/// Carbonio runs `carbonio` as `zextras`, and its moves have no stages.
struct Tools {
    user: &'static str,
    tool: &'static str,
    mover: &'static str,
    staged_moves: bool,
}

impl Tools {
    /// What the upgrade needs on each server.
    fn release(&self, version: &str) -> String {
        if self.tool == "carbonio" {
            format!("the Carbonio {version} packages")
        } else {
            format!("the {version} installer")
        }
    }

    /// The manual upgrade of one server.
    fn upgrade(&self, version: &str) -> String {
        if self.tool == "carbonio" {
            format!("upgrade the Carbonio packages to {version} as Carbonio's procedure says")
        } else {
            format!("run the {version} installer")
        }
    }

    fn of(plan: &Plan) -> Tools {
        if plan.profile == "carbonio" {
            Tools {
                user: "zextras",
                tool: "carbonio",
                mover: "carbonio powerstore mailboxMove",
                staged_moves: false,
            }
        } else {
            Tools {
                user: "zimbra",
                tool: "zxsuite",
                mover: "zxsuite powerstore doMailboxMove",
                staged_moves: true,
            }
        }
    }
}

fn commands(out: &mut String, plan: &Plan, roles: &Roles) {
    let tools = Tools::of(plan);
    put!(out, "## 8. Commands to be run\n");
    paragraph(
        out,
        &format!(
            "{} writes them as a POSIX shell script, with the same options as this plan: one \
             block per wave, each command run on its server as the {} user, manual steps as \
             pauses that wait for the operator's confirmation. It stops at the first failed \
             step and can restart from a given wave. The script is the reference; this table \
             summarises it.",
            code(
                &format!("planner plan INVENTORY --format script --now {}", plan.now),
                false
            ),
            tools.user
        ),
    );
    let mut kinds: BTreeMap<StepKind, usize> = BTreeMap::new();
    for (_, s) in steps(plan) {
        *kinds.entry(s.kind).or_insert(0) += 1;
    }
    let notify = plan
        .policy
        .notify
        .as_deref()
        .map_or(String::new(), |a| format!(" notifications {a}"));
    let move_command = |stages: &str| {
        let stages = if tools.staged_moves {
            format!(" stages {stages}")
        } else {
            String::new()
        };
        code(
            &format!("{} TARGET input_file FILE{stages}{notify}", tools.mover),
            true,
        )
    };
    let mut t = Table::new(&["Step kind", "Steps", "Runs on", "Command"]);
    t.align(&[false, true, false, false]);
    for (kind, n) in kinds {
        let (on, command) = match kind {
            StepKind::Backup => ("the mailstore", backup_commands(plan, &tools)),
            StepKind::PoolOut => (
                "—",
                "manual: take the store out of `zimbraMailHostPool` of its classes of service"
                    .to_string(),
            ),
            StepKind::PoolIn => (
                "—",
                "manual: put the store back in `zimbraMailHostPool`".to_string(),
            ),
            StepKind::Drain => (
                "—",
                "manual: take the node out of its load balancer or MX rotation".to_string(),
            ),
            StepKind::Undrain => ("—", "manual: put the node back in rotation".to_string()),
            StepKind::MoveData => (
                "the source store",
                format!(
                    "the account list written to FILE, then {}",
                    move_command("data")
                ),
            ),
            StepKind::MoveSwitch => (
                "the source store",
                format!(
                    "the account list written to FILE, then {}",
                    move_command("data,account")
                ),
            ),
            StepKind::Upgrade => (
                "the server",
                format!(
                    "for an emptied mailstore, first a check that it is empty ({} prints \
                     nothing); then manual: {}",
                    code("zmprov sa zimbraMailHost=HOST", true),
                    tools.upgrade(&escape(&plan.target_version))
                ),
            ),
            StepKind::HealthCheck => ("the server", health_commands(plan, roles)),
        };
        t.row(vec![
            kind.as_str().to_string(),
            n.to_string(),
            on.to_string(),
            command,
        ]);
    }
    t.write(out);
    put!(out, "### Step ids\n");
    paragraph(
        out,
        "The plan JSON and the script name each step by its id; the numbers are those of \
         section 4.",
    );
    for wave in &plan.waves {
        let ids: Vec<String> = wave
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| format!("{}.{} {}", wave.index, i + 1, plain_or_code(&step.id)))
            .collect();
        bullet(out, &format!("Wave {}: {}.", wave.index, ids.join(", ")));
    }
    put!(out);
}

/// The health checks the plan runs, from its steps' `checks`: those run on
/// every checked server, then the others with where they run. Plans without
/// `checks` get `zmcontrol status`, and `zmreplchk` on directory servers.
fn health_commands(plan: &Plan, roles: &Roles) -> String {
    let mut checked: BTreeSet<&str> = BTreeSet::new();
    // Each check with the servers it runs on, in the order first met.
    let mut runs: Vec<(&str, BTreeSet<&str>)> = Vec::new();
    for (_, s) in steps(plan).filter(|(_, s)| s.kind == StepKind::HealthCheck) {
        let (Some(server), Some(checks)) = (s.server.as_deref(), s.checks.as_deref()) else {
            continue;
        };
        checked.insert(server);
        for check in checks {
            match runs.iter_mut().find(|(c, _)| c == check) {
                Some((_, on)) => {
                    on.insert(server);
                }
                None => runs.push((check, BTreeSet::from([server]))),
            }
        }
    }
    if runs.is_empty() {
        return if roles.directory.is_empty() {
            code("zmcontrol status", true)
        } else {
            format!(
                "{}, and {} on directory servers",
                code("zmcontrol status", true),
                code("zmreplchk", true)
            )
        };
    }
    // Checks run everywhere first; the sort is stable.
    runs.sort_by_key(|(_, on)| *on != checked);
    let parts: Vec<String> = runs
        .iter()
        .map(|(check, on)| {
            let command = code(check, true);
            if *on == checked {
                command
            } else if on.iter().all(|n| roles.directory.contains(n))
                && checked
                    .iter()
                    .filter(|n| roles.directory.contains(*n))
                    .count()
                    == on.len()
            {
                format!("{command} on directory servers")
            } else {
                format!(
                    "{command} on {}",
                    count(on.len() as u64, "server", "servers")
                )
            }
        })
        .collect();
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
        _ => parts.join(""),
    }
}

/// The backup commands of the modes the plan uses.
fn backup_commands(plan: &Plan, tools: &Tools) -> String {
    let modes: BTreeSet<&str> = steps(plan)
        .filter(|(_, s)| s.kind == StepKind::Backup)
        .map(|(_, s)| backup_mode(s.mode))
        .collect();
    let mut parts = Vec::new();
    if modes.contains("incremental") {
        parts.push(format!(
            "{} (incremental)",
            code(&format!("{} backup doSmartScan start", tools.tool), true)
        ));
    }
    if modes.contains("full") {
        parts.push(format!(
            "{} (full: a deep SmartScan, Zextras Backup having no separate full backup)",
            code(
                &format!("{} backup doSmartScan start deep true", tools.tool),
                true
            )
        ));
    }
    parts.join("; ")
}

fn signoff(out: &mut String, plan: &Plan) {
    put!(out, "## 9. Sign-off\n");
    paragraph(
        out,
        &format!(
            "By signing, you approve this plan and no other: inventory digest {}, planner {}, \
             reference time {}. A changed inventory needs a new plan and a new approval.",
            code(&plan.inventory_digest, false),
            escape(&plan.planner_version),
            escape(&plan.now)
        ),
    );
    let mut t = Table::new(&["Role", "Name", "Date", "Signature"]);
    for role in [
        "Change owner (operator)",
        "Mail system administrator",
        "Backup owner",
        "Service owner (user communication)",
        "Change board",
    ] {
        // Dotted lines give room to write on paper and keep the source plain.
        t.row(vec![
            role.to_string(),
            ".".repeat(40),
            ".".repeat(16),
            ".".repeat(40),
        ]);
    }
    t.write(out);
}

// ---------------------------------------------------------------- roles

/// The roles that make a server a directory server, in either profile.
const DIRECTORY_ROLES: [&str; 4] = [
    "ldap-master",
    "ldap-replica",
    "directory-master",
    "directory-replica",
];

/// Which servers play which part, for the pre-checks, the rollback phases and
/// the commands. They come from `plan.servers` (each server's roles). A plan
/// written before that field deserializes with no servers; for it they are
/// read as before: mailstores are the stores of `placement`, a directory
/// server's health check runs `zmreplchk` (its `checks`, or its `why`), an
/// MTA's upgrade is in the `mta tier` or its drain lists `mta` among the roles
/// drained, a proxy's upgrade is in the `proxy tier`. A server the wording
/// misses falls back to the generic "other servers" notes, never to wrong ones.
/// Nodes with a drain step are in rotation either way.
struct Roles<'a> {
    directory: BTreeSet<&'a str>,
    mta: BTreeSet<&'a str>,
    mailstore: BTreeSet<&'a str>,
    /// MTAs, proxies and drained nodes: the servers users reach through a
    /// load balancer or MX rotation.
    edge: BTreeSet<&'a str>,
}

impl<'a> Roles<'a> {
    fn of(plan: &'a Plan) -> Roles<'a> {
        let mut roles = Roles {
            directory: BTreeSet::new(),
            mta: BTreeSet::new(),
            mailstore: plan.placement.before.keys().map(String::as_str).collect(),
            edge: BTreeSet::new(),
        };
        for (_, s) in steps(plan) {
            if let (StepKind::Drain, Some(server)) = (s.kind, s.server.as_deref()) {
                roles.edge.insert(server);
            }
        }
        if plan.servers.is_empty() {
            roles.read_wording(plan);
            return roles;
        }
        for (name, server) in &plan.servers {
            let has = |role: &str| server.roles.iter().any(|r| r == role);
            if DIRECTORY_ROLES.iter().any(|r| has(r)) {
                roles.directory.insert(name);
            }
            if has("mta") {
                roles.mta.insert(name);
                roles.edge.insert(name);
            }
            if has("proxy") {
                roles.edge.insert(name);
            }
            if has(MAILSTORE) {
                roles.mailstore.insert(name);
            }
        }
        roles
    }

    /// The fallback for plans without `servers`: the planner's own wording.
    fn read_wording(&mut self, plan: &'a Plan) {
        for (_, s) in steps(plan) {
            let Some(server) = s.server.as_deref() else {
                continue;
            };
            match s.kind {
                StepKind::HealthCheck
                    if s.checks
                        .as_ref()
                        .is_some_and(|c| c.iter().any(|c| c == "zmreplchk"))
                        || s.why.contains("zmreplchk") =>
                {
                    self.directory.insert(server);
                }
                StepKind::Upgrade if s.why.starts_with("mta tier") => {
                    self.mta.insert(server);
                    self.edge.insert(server);
                }
                StepKind::Upgrade if s.why.starts_with("proxy tier") => {
                    self.edge.insert(server);
                }
                StepKind::Drain => {
                    let drained = s
                        .why
                        .split_once('(')
                        .and_then(|(_, rest)| rest.split_once(" drained)"))
                        .map_or("", |(list, _)| list);
                    if drained.split(", ").any(|r| r == "mta") {
                        self.mta.insert(server);
                    }
                }
                _ => {}
            }
        }
    }

    /// The wave and server of the last MTA upgrade, if the plan shows one.
    fn last_mta_upgrade(&self, plan: &'a Plan) -> Option<(u32, &'a str)> {
        steps(plan)
            .filter(|(_, s)| s.kind == StepKind::Upgrade)
            .filter_map(|(w, s)| s.server.as_deref().map(|n| (w, n)))
            .filter(|(_, n)| self.mta.contains(n))
            .last()
    }
}

// ---------------------------------------------------------------- helpers

/// Every step with its wave, in plan order.
fn steps(plan: &Plan) -> impl Iterator<Item = (u32, &Step)> {
    plan.waves
        .iter()
        .flat_map(|w| w.steps.iter().map(move |s| (w.index, s)))
}

/// Escapes text for Markdown: every character that could start emphasis, code,
/// a link, HTML, an entity, math or a table cell is backslash-escaped, and line
/// breaks become spaces, so a name is shown as written and never breaks a table.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!'
            | '$' | '&' | '^' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A code span holding `text` exactly: the fence is longer than any run of
/// backticks inside, and in a table `|` is escaped as GitHub's tables require.
fn code(text: &str, in_table: bool) -> String {
    let text: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.trim().is_empty() {
        " "
    } else {
        ""
    };
    let body = if in_table {
        text.replace('|', "\\|")
    } else {
        text
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// An id or time in a code span when it is plain (letters, digits and
/// `.:>#-+_`), otherwise escaped text.
fn plain_or_code(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".:>#-+_".contains(c))
    {
        code(text, true)
    } else {
        escape(text)
    }
}

/// The planner's prose, whose names are in backticks: backtick pairs become
/// code spans, everything else is escaped. An unpaired backtick is shown as is.
fn inline(text: &str, in_table: bool) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let is_code = i % 2 == 1 && i + 1 < parts.len();
        if is_code {
            out.push_str(&code(part, in_table));
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&escape(part));
        }
    }
    out
}

/// Ends with a full stop unless it already ends with one.
fn sentence(text: &str) -> String {
    let t = text.trim_end();
    if t.ends_with('.') || t.ends_with('!') || t.ends_with('?') {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn backup_mode(mode: Option<BackupMode>) -> &'static str {
    match mode {
        Some(BackupMode::Full) => "full",
        Some(BackupMode::Incremental) => "incremental",
        None => "unspecified",
    }
}

/// The name a serde enum is written with (`spread-then-forward`, `auto`).
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => escape(&s),
        _ => "?".to_string(),
    }
}

/// `1 server`, `3 servers`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `90%`, `12.5%`.
fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{}%", number(p))
    }
}

/// A figure with up to two decimals and no trailing zeros.
fn number(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The least capacity at which `value` stays within `max_fill`, rounded up.
fn needed(value: u64, max_fill: f64) -> u64 {
    if max_fill <= 0.0 {
        return value;
    }
    (value as f64 / max_fill).ceil() as u64
}

/// `7 h 57 min`, `40 min`, `2 min 21 s`, `3 s`, `7 d`.
fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m, s) {
        (0, 0, 0, s) => format!("{s} s"),
        (0, 0, m, 0) => format!("{m} min"),
        (0, 0, m, s) => format!("{m} min {s} s"),
        (0, h, 0, _) => format!("{h} h"),
        (0, h, m, _) => format!("{h} h {m:02} min"),
        (d, 0, _, _) => format!("{d} d"),
        (d, h, _, _) => format!("{d} d {h} h"),
    }
}

/// `waves 1–3, 5` or `wave 4`.
fn wave_list(waves: &[u32]) -> String {
    let set: BTreeSet<u32> = waves.iter().copied().collect();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for w in set {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == w => *end = w,
            _ => ranges.push((w, w)),
        }
    }
    let text: Vec<String> = ranges
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    let many = ranges.len() > 1 || ranges.first().is_some_and(|(a, b)| a != b);
    format!(
        "{} {}",
        if many { "waves" } else { "wave" },
        text.join(", ")
    )
}

/// `███████░░░`: `value` against `scale`, rounded to the nearest cell, with at
/// least one cell for anything above zero.
fn bar(value: u64, scale: u64) -> String {
    let filled = if scale == 0 || value == 0 {
        0
    } else {
        let cells = (u128::from(value) * u128::from(BAR_CELLS) * 2 + u128::from(scale))
            / (u128::from(scale) * 2);
        (cells as u64).clamp(1, BAR_CELLS)
    };
    let mut s = "█".repeat(filled as usize);
    s.push_str(&"░".repeat((BAR_CELLS - filled) as usize));
    s
}

/// `████████░│░`: `value` as a share of the store's disk, rounded to the
/// nearest cell, with `│` after the cell its ceiling (`max_bytes`) falls on.
/// Rounding never puts a store on the wrong side of the mark: a store within
/// its ceiling stops at the mark, one above it crosses it, and anything above
/// zero shows at least one cell.
fn disk_bar(value: u64, cap: &PlanCapacity) -> String {
    let cells_of = |v: u64| -> u64 {
        if cap.disk == 0 {
            return 0;
        }
        let cells = (u128::from(v) * u128::from(BAR_CELLS) * 2 + u128::from(cap.disk))
            / (u128::from(cap.disk) * 2);
        (cells.min(u128::from(BAR_CELLS))) as u64
    };
    let mark = cells_of(cap.max_bytes);
    let mut filled = cells_of(value);
    if value > 0 {
        filled = filled.max(1);
    }
    if value <= cap.max_bytes {
        filled = filled.min(mark.max(u64::from(value > 0)));
    } else {
        filled = filled.max(mark + 1).min(BAR_CELLS);
    }
    let mut s = String::new();
    for i in 0..BAR_CELLS {
        if i == mark {
            s.push('│');
        }
        s.push(if i < filled { '█' } else { '░' });
    }
    if mark == BAR_CELLS {
        s.push('│');
    }
    s
}

/// `part` as a percentage of `whole`, to one decimal: `74.1%`, `90%`.
fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".to_string();
    }
    let p = format!("{:.1}", part as f64 * 100.0 / whole as f64);
    format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
}

/// Each mailstore's capacity, by name, when the plan gives one with a disk
/// for every store of `placement`; `None` for plans without them.
fn capacities(plan: &Plan) -> Option<BTreeMap<&str, PlanCapacity>> {
    let p = &plan.placement;
    let stores: BTreeSet<&str> = p
        .before
        .keys()
        .chain(p.peak.keys())
        .chain(p.after.keys())
        .map(String::as_str)
        .collect();
    if stores.is_empty() {
        return None;
    }
    stores
        .into_iter()
        .map(|store| {
            plan.servers
                .get(store)
                .and_then(|s| s.capacity)
                .filter(|c| c.disk > 0)
                .map(|c| (store, c))
        })
        .collect()
}

/// The unit of the fill chart: the largest binary unit in which the largest
/// value is at least one.
fn chart_unit(max: u64) -> (&'static str, f64) {
    const GIB: f64 = 1_073_741_824.0;
    if max as f64 >= 1024.0 * GIB {
        ("TiB", 1024.0 * GIB)
    } else if max as f64 >= GIB {
        ("GiB", GIB)
    } else {
        ("MiB", 1_048_576.0)
    }
}

/// A round axis top a little above `x`: 118.6 gives 130, 7.3 gives 8.
fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(x.log10().floor() - 1.0).max(0.01);
    ((x * 1.05) / step).ceil() * step
}

/// A paragraph, wrapped near `WIDTH`, and a blank line.
fn paragraph(out: &mut String, text: &str) {
    out.push_str(&wrap(text, WIDTH, ""));
    out.push_str("\n\n");
}

/// A list item, its continuation lines indented.
fn bullet(out: &mut String, text: &str) {
    let wrapped = wrap(text, WIDTH - 2, "  ");
    put!(out, "- {wrapped}");
}

/// A task-list item (a check box on forges and in print).
fn task(out: &mut String, text: &str) {
    let wrapped = wrap(text, WIDTH - 6, "      ");
    put!(out, "- [ ] {wrapped}");
}

/// Breaks `text` at spaces so that lines stay near `width`, never before a
/// word that could start a block (a list marker, a heading, a quote, a table
/// row, a setext underline, a code fence).
fn wrap(text: &str, width: usize, indent: &str) -> String {
    // A line break inside a code span reads as a space, so spans may wrap too.
    let mut out = String::new();
    let mut line_len = 0;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if !starts_block(word) && line_len + 1 + word.chars().count() > width {
                out.push('\n');
                out.push_str(indent);
                line_len = indent.len();
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(word);
        line_len += word.chars().count();
    }
    out
}

fn starts_block(word: &str) -> bool {
    let first = word.chars().next();
    if matches!(first, Some('-' | '+' | '*' | '=' | '>' | '#' | '|' | '~')) {
        return true;
    }
    // Three backticks open a fenced code block; one opens a code span, which is fine.
    if word.starts_with("``") {
        return true;
    }
    // `1.` or `1)` alone would start an ordered list; `3.1` or `2)` with more would not.
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && matches!(&word[digits..], "." | ")")
}

/// A GitHub-flavoured table whose cells are already Markdown; each row has
/// exactly the header's number of cells.
struct Table {
    header: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_string()).collect(),
            right: vec![false; header.len()],
            rows: Vec::new(),
        }
    }

    /// Right-aligns the columns marked `true` (figures).
    fn align(&mut self, right: &[bool]) {
        for (i, r) in right.iter().enumerate().take(self.right.len()) {
            self.right[i] = *r;
        }
    }

    fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
    }

    fn write(&self, out: &mut String) {
        let row = |cells: &[String]| {
            let body: Vec<String> = cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        " ".to_string()
                    } else {
                        format!(" {c} ")
                    }
                })
                .collect();
            format!("|{}|", body.join("|"))
        };
        put!(out, "{}", row(&self.header));
        let rule: Vec<&str> = self
            .right
            .iter()
            .map(|r| if *r { " ---: " } else { " --- " })
            .collect();
        put!(out, "|{}|", rule.join("|"));
        for r in &self.rows {
            put!(out, "{}", row(r));
        }
        put!(out);
    }
}
