//! One block per step: what it is for in comments, then its command, or the
//! pause of a manual step with what the operator does.
//!
//! Moves have a module of their own (`moves.rs`); every other kind is here,
//! one function each, so that each block reads as the step does.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use planner_core::plan::{Action, BackupMode, Plan, Step, StepKind, Wave};

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
        StepKind::Purge => purge(out, cx.flavour, step),
        StepKind::PoolOut | StepKind::PoolIn => {
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

/// A purge: the old copies of every mailbox moved off the store are
/// deleted. The plan lists them; since each purge follows the previous one
/// on the store, `all` deletes exactly those.
fn purge(out: &mut dyn Write, flavour: &Flavour, step: &Step) -> io::Result<()> {
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    comment(
        out,
        IN,
        "  ",
        &format!(
            "Deletes the old copies of the {} account{} switched off this store since              its last purge (the plan lists them), freeing {}.",
            accounts.len(),
            if accounts.len() == 1 { "" } else { "s" },
            planner_core::inventory::Bytes(step.bytes.unwrap_or(0))
        ),
    )?;
    writeln!(out, "{IN}step {}", sh_quote(&step.id))?;
    writeln!(
        out,
        "{IN}run_on {} {}",
        sh_quote(server(step)),
        flavour.purger
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
    // A plan without `actions` is not v2 (the checker refuses it): the
    // installer and the health check that gates the next wave still run.
    let actions = step
        .actions
        .as_deref()
        .unwrap_or(&[Action::Install, Action::HealthCheck]);
    for action in actions {
        comment(out, IN, "  action: ", action.as_str())?;
        match action {
            Action::Install => manual(
                out,
                IN,
                &step.id,
                &installer_lines(cx, step, held, &outages),
            )?,
            Action::HealthCheck => health_check(out, cx, step)?,
            Action::Drain | Action::Undrain | Action::DirectoryDump => {
                manual(out, IN, &step.id, &action_lines(*action, step))?
            }
        }
    }
    Ok(())
}

/// The instructions of an upgrade's manual actions.
fn action_lines(action: Action, step: &Step) -> Vec<String> {
    let server = server(step);
    match action {
        Action::Drain => vec![
            format!(
                "Take {server} out of rotation before its install: out of its load \
                 balancer pool (and, for an MTA, out of the MX records or relays that \
                 send it mail)."
            ),
            "Wait until the connections and deliveries it is handling have ended, \
             with a time limit: mail deferred for later stays queued and is not a \
             reason to wait."
                .to_string(),
        ],
        Action::Undrain => vec![format!(
            "Its checks have passed: put {server} back in rotation (load balancer pool, \
             MX records or relays, as before its drain)."
        )],
        Action::DirectoryDump => vec![
            format!(
                "Dump the directory on {server} before its install, as the zimbra \
                 user: /opt/zimbra/libexec/zmslapcat DIR (the exact form on Carbonio \
                 is unconfirmed)."
            ),
            "Keep the dump until the directory servers are upgraded and replicate \
             again."
                .to_string(),
        ],
        Action::Install | Action::HealthCheck => Vec::new(),
    }
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

/// `zmcontrol status`, the replication check and the MTA's queue where the
/// plan runs them.
fn health_check(out: &mut dyn Write, cx: &Context, step: &Step) -> io::Result<()> {
    let server = sh_quote(server(step));
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
    if step
        .checks
        .as_ref()
        .is_some_and(|c| c.iter().any(|c| c == QUEUE_CHECK))
    {
        writeln!(out, "{IN}queue_check {server}")?;
    }
    Ok(())
}

/// The MTA's queue, listed after its upgrade.
const QUEUE_CHECK: &str = "postqueue -p";

/// The instructions of the manual kinds: pool changes.
fn manual_lines(step: &Step) -> Vec<String> {
    let server = server(step);
    let why = format!("Why: {}", step.why);
    match step.kind {
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
    #   action: install
    manual 'upgrade:mbx1.example.com' \\
        'Upgrade mbx1.example.com from 9.0.0_P40 to 10.1.5: run the Zimbra Collaboration installer (install.sh from the release archive) there as root.' \\
        'The installer stops and restarts only that server.' \\
        'Go on when the upgrade has finished without errors.'
    #   action: health-check
    run_on 'mbx1.example.com' zmcontrol status
"
        );
    }

    #[test]
    fn an_upgrade_runs_its_actions_in_order() {
        let mut plan = testing::plan();
        let step = testing::step(&mut plan, "upgrade:ldap2.example.com");
        step.actions = Some(vec![
            Action::Drain,
            Action::DirectoryDump,
            Action::Install,
            Action::HealthCheck,
            Action::Undrain,
        ]);
        let text = block(&plan, "upgrade:ldap2.example.com");
        let order: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("#   action: "))
            .collect();
        assert_eq!(
            order,
            [
                "drain",
                "directory-dump",
                "install",
                "health-check",
                "undrain"
            ]
        );
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} in {text}"))
        };
        assert!(at("out of rotation") < at("zmslapcat"));
        assert!(at("zmslapcat") < at("Upgrade ldap2.example.com"));
        assert!(at("Upgrade ldap2.example.com") < at("zmcontrol status"));
        assert!(at("zmcontrol status") < at("back in rotation"));
    }

    #[test]
    fn directory_servers_get_the_replication_check() {
        let mut plan = testing::plan();
        let with = block(&plan, "upgrade:ldap2.example.com");
        assert!(
            with.contains("    run_on 'ldap2.example.com' zmcontrol status\n    replication_check 'ldap2.example.com'\n"),
            "{with}"
        );
        // A plan without `checks`: its roles say it is a directory server.
        testing::step(&mut plan, "upgrade:ldap2.example.com").checks = None;
        assert!(block(&plan, "upgrade:ldap2.example.com").contains("replication_check"));
        // ... and not the wording of its `why`.
        let step = testing::step(&mut plan, "upgrade:mbx1.example.com");
        step.checks = None;
        step.why = "zmreplchk".to_string();
        assert!(!block(&plan, "upgrade:mbx1.example.com").contains("replication_check"));
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
