//! One block per step: what it is for in comments, then its command, or the
//! pause of a manual step with what the operator does.
//!
//! Moves have a module of their own (`moves.rs`); every other kind is here,
//! one function each, so that each block reads as the step does.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use planner_core::plan::{BackupMode, Plan, Step, StepKind, Wave};

use super::moves::render_move;
use super::shell::{IN, comment, manual, sh_quote};
use crate::flavour::Flavour;
use crate::roles::{self, REPLICATION_CHECK};
use crate::units::plural_es;

/// What a step's block needs to know beyond the step.
pub(super) struct Context<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// Its product's commands.
    pub flavour: &'a Flavour,
    /// For every upgrade of a mailstore, the mailboxes it holds when its wave
    /// starts (see [`mailboxes_at_upgrades`]).
    pub mailboxes: BTreeMap<String, u64>,
    /// The directory servers, which get a replication check.
    pub directory: BTreeSet<&'a str>,
}

impl<'a> Context<'a> {
    /// What every block of the plan's script needs.
    pub fn of(plan: &'a Plan) -> Context<'a> {
        Context {
            plan,
            flavour: Flavour::of(plan),
            mailboxes: mailboxes_at_upgrades(plan),
            directory: roles::directory_servers(plan),
        }
    }
}

/// Writes one step's block.
pub(super) fn render_step(
    out: &mut dyn Write,
    cx: &Context,
    wave: &Wave,
    step: &Step,
) -> io::Result<()> {
    comment(out, IN, "", &step.id)?;
    comment(out, IN, "  why: ", &step.why)?;
    match step.kind {
        StepKind::Backup => backup(out, cx.flavour, step),
        StepKind::MoveData | StepKind::MoveSwitch => {
            render_move(out, cx.plan, cx.flavour, wave, step)
        }
        StepKind::Upgrade => upgrade(out, cx, wave, step),
        StepKind::HealthCheck => health_check(out, cx, step),
        StepKind::Drain | StepKind::Undrain | StepKind::PoolOut | StepKind::PoolIn => {
            writeln!(out, "{IN}step {}", sh_quote(&step.id))?;
            manual(out, IN, &step.id, &manual_lines(step))
        }
    }
}

/// A SmartScan of the store: deep for a full backup.
fn backup(out: &mut dyn Write, flavour: &Flavour, step: &Step) -> io::Result<()> {
    let full = step.mode == Some(BackupMode::Full);
    let what = if full {
        "Full backup: Zextras Backup has no separate full-backup command, so \
         this is a deep SmartScan (deep true) of every account on the store."
    } else {
        "Incremental backup: a SmartScan of the accounts changed since the last scan."
    };
    comment(out, IN, "  ", what)?;
    writeln!(out, "{IN}step {}", sh_quote(&step.id))?;
    writeln!(
        out,
        "{IN}run_on {} {} backup doSmartScan start{}",
        sh_quote(server(step)),
        flavour.tool,
        if full { " deep true" } else { "" }
    )
}

/// An upgrade: a check that an emptied store is empty, then the installer
/// as a manual step.
fn upgrade(out: &mut dyn Write, cx: &Context, wave: &Wave, step: &Step) -> io::Result<()> {
    let server = server(step);
    let held = cx.mailboxes.get(&step.id).copied();
    let outages: Vec<&str> = cx
        .plan
        .summary
        .outages
        .iter()
        .filter(|o| o.wave == wave.index && o.server == server)
        .map(|o| o.message.as_str())
        .collect();
    match held {
        Some(0) => comment(
            out,
            IN,
            "  ",
            "Its mailboxes have all been moved off: check that the store is empty first.",
        )?,
        Some(n) => comment(
            out,
            IN,
            "  ",
            &format!(
                "Upgraded in place: its {n} mailbox{} stay on it and are unavailable \
                 during the upgrade.",
                plural_es(n)
            ),
        )?,
        None => {}
    }
    if step.outage == Some(true) {
        if outages.is_empty() {
            comment(out, IN, "  ", "OUTAGE accepted by the plan.")?;
        }
        for message in &outages {
            comment(out, IN, "  OUTAGE: ", message)?;
        }
    }
    writeln!(out, "{IN}step {}", sh_quote(&step.id))?;
    if held == Some(0) {
        writeln!(out, "{IN}check_empty {}", sh_quote(server))?;
    }
    manual(
        out,
        IN,
        &step.id,
        &installer_lines(cx, step, held, &outages),
    )
}

/// What the operator does at an upgrade's pause.
fn installer_lines(cx: &Context, step: &Step, held: Option<u64>, outages: &[&str]) -> Vec<String> {
    let from = step.from_version.as_deref().unwrap_or("?");
    let to = step
        .to_version
        .as_deref()
        .unwrap_or(&cx.plan.target_version);
    let mut lines = vec![format!(
        "Upgrade {} from {from} to {to}: {}.",
        server(step),
        cx.flavour.installer
    )];
    if let Some(note) = cx.flavour.installer_note {
        lines.push(note.to_string());
    }
    if step.outage == Some(true) {
        if outages.is_empty() {
            lines.push("OUTAGE accepted by the plan.".to_string());
        }
        for message in outages {
            lines.push(format!("OUTAGE accepted by the plan: {message}"));
        }
    }
    if let Some(n) = held.filter(|n| *n > 0)
        && step.outage != Some(true)
    {
        lines.push(format!(
            "Its {n} mailbox{} are unavailable until the upgrade is finished.",
            plural_es(n)
        ));
    }
    lines.push("Go on when the upgrade has finished without errors.".to_string());
    lines
}

/// `zmcontrol status`, and the replication check where the plan runs it.
fn health_check(out: &mut dyn Write, cx: &Context, step: &Step) -> io::Result<()> {
    let server = sh_quote(server(step));
    writeln!(out, "{IN}step {}", sh_quote(&step.id))?;
    writeln!(out, "{IN}run_on {server} zmcontrol status")?;
    // The plan lists the checks; for a plan written before it did, the
    // directory servers get the replication check.
    let replication = match &step.checks {
        Some(checks) => checks.iter().any(|c| c == REPLICATION_CHECK),
        None => step
            .server
            .as_deref()
            .is_some_and(|s| cx.directory.contains(s)),
    };
    if replication {
        writeln!(out, "{IN}replication_check {server}")?;
    }
    Ok(())
}

/// The instructions of the manual kinds: drains and pool changes.
fn manual_lines(step: &Step) -> Vec<String> {
    let server = server(step);
    let why = format!("Why: {}", step.why);
    match step.kind {
        StepKind::Drain => vec![
            format!(
                "Take {server} out of rotation before its upgrade: out of its load \
                 balancer pool, or lower its MX priority if it receives mail."
            ),
            "Wait until its open connections have ended (for an MTA: until \
             `postqueue -p` shows an empty queue)."
                .to_string(),
            why,
        ],
        StepKind::Undrain => vec![
            format!(
                "Put {server} back in rotation: back in its load balancer pool, or \
                 restore its MX priority."
            ),
            why,
        ],
        StepKind::PoolOut => vec![
            format!(
                "Take {server} out of the pools that receive new accounts: remove its \
                 zimbraId from zimbraMailHostPool in every class of service that lists it."
            ),
            format!(
                "Its id: zmprov gs {server} zimbraId; then, for each such class of \
                 service COS: zmprov mc COS -zimbraMailHostPool ID"
            ),
            why,
        ],
        StepKind::PoolIn => vec![
            format!(
                "Put {server} back in the pools that receive new accounts: add its \
                 zimbraId to zimbraMailHostPool in the classes of service it was removed from."
            ),
            format!(
                "Its id: zmprov gs {server} zimbraId; then, for each such class of \
                 service COS: zmprov mc COS +zimbraMailHostPool ID"
            ),
            why,
        ],
        _ => vec![why],
    }
}

/// The server a step runs on; empty for moves, which have none.
fn server(step: &Step) -> &str {
    step.server.as_deref().unwrap_or("")
}

/// For every upgrade step of a mailstore, how many mailboxes the store holds
/// when its wave starts: the plan's `placement.before`, plus and minus the
/// account switches of the earlier waves. Zero means the store was emptied
/// (or never held anything) and gets the empty-store check; more means it is
/// upgraded in place. Servers that are not mailstores have no entry.
fn mailboxes_at_upgrades(plan: &Plan) -> BTreeMap<String, u64> {
    let mut held: BTreeMap<&str, i128> = plan
        .placement
        .before
        .iter()
        .map(|(store, load)| (store.as_str(), i128::from(load.mailboxes)))
        .collect();
    let mut at_upgrade = BTreeMap::new();
    for wave in &plan.waves {
        for step in &wave.steps {
            if step.kind == StepKind::Upgrade
                && let Some(server) = step.server.as_deref()
                && let Some(count) = held.get(server)
            {
                at_upgrade.insert(step.id.clone(), u64::try_from(*count).unwrap_or(0));
            }
        }
        for step in &wave.steps {
            if step.kind != StepKind::MoveSwitch {
                continue;
            }
            let moved = step.accounts.as_ref().map_or(0, |a| a.len() as i128);
            if let Some(source) = step.source.as_deref()
                && let Some(count) = held.get_mut(source)
            {
                *count -= moved;
            }
            if let Some(target) = step.target.as_deref()
                && let Some(count) = held.get_mut(target)
            {
                *count += moved;
            }
        }
    }
    at_upgrade
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, written};

    fn block(plan: &Plan, id: &str) -> String {
        let cx = Context::of(plan);
        let (wave, step) = plan
            .waves
            .iter()
            .flat_map(|w| w.steps.iter().map(move |s| (w, s)))
            .find(|(_, s)| s.id == id)
            .expect("the step");
        written(|out| render_step(out, &cx, wave, step))
    }

    #[test]
    fn an_emptied_store_is_checked_before_its_upgrade() {
        assert_eq!(
            block(&testing::plan(), "upgrade:mbx1.example.com"),
            "    # upgrade:mbx1.example.com
    #   why: mailstore tier, emptied
    #   Its mailboxes have all been moved off: check that the store is empty first.
    step 'upgrade:mbx1.example.com'
    check_empty 'mbx1.example.com'
    manual 'upgrade:mbx1.example.com' \\
        'Upgrade mbx1.example.com from 9.0.0_P40 to 10.1.5: run the Zimbra Collaboration installer (install.sh from the release archive) there as root.' \\
        'The installer stops and restarts only that server.' \\
        'Go on when the upgrade has finished without errors.'
"
        );
    }

    #[test]
    fn directory_servers_get_the_replication_check() {
        let expected = "    # health-check:ldap2.example.com
    #   why: after its upgrade
    step 'health-check:ldap2.example.com'
    run_on 'ldap2.example.com' zmcontrol status
    replication_check 'ldap2.example.com'
";
        let mut plan = testing::plan();
        assert_eq!(block(&plan, "health-check:ldap2.example.com"), expected);
        // A plan without `checks`: its roles say it is a directory server.
        testing::step(&mut plan, "health-check:ldap2.example.com").checks = None;
        assert_eq!(block(&plan, "health-check:ldap2.example.com"), expected);
        // ... and not the wording of its `why`.
        let step = testing::step(&mut plan, "health-check:mbx1.example.com");
        step.checks = None;
        step.why = "zmreplchk".to_string();
        assert!(!block(&plan, "health-check:mbx1.example.com").contains("replication_check"));
    }

    #[test]
    fn a_full_backup_is_a_deep_smartscan() {
        assert!(block(&testing::plan(), "backup:mbx1.example.com").ends_with(
            "    step 'backup:mbx1.example.com'\n    run_on 'mbx1.example.com' zxsuite backup doSmartScan start deep true\n"
        ));
    }

    #[test]
    fn mailboxes_at_each_upgrade() {
        assert_eq!(
            mailboxes_at_upgrades(&testing::plan()),
            BTreeMap::from([("upgrade:mbx1.example.com".to_string(), 0)])
        );
    }
}
