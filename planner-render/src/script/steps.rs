//! One block per step: what it is for in comments, then its command, or the
//! pause of a manual step with what the operator does.
//!
//! Moves have a module of their own (`moves.rs`); every other kind is here,
//! one function each, so that each block reads as the step does.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use planner_core::inventory::Tools;
use planner_core::plan::{Action, BackupMode, Plan, Step, StepKind, Wave};

use super::moves::{account_list, render_move};
use super::shell::{BODY, IN, comment, manual, sh_quote};
use crate::flavour::Flavour;
use crate::roles::{self, REPLICATION_CHECK};
use crate::toolset::{self, Toolset};
use crate::units::plural_es;

/// What a step's block needs to know beyond the step.
pub(super) struct Context<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// Its product's conventions.
    pub flavour: &'a Flavour,
    /// Its toolset's commands.
    pub toolset: &'a Toolset,
    /// For every upgrade of a mailstore, the mailboxes it holds when its wave
    /// starts (see [`mailboxes_at_upgrades`]).
    pub mailboxes: BTreeMap<String, u64>,
    /// The directory servers, which get a replication check.
    pub directory: BTreeSet<&'a str>,
    /// Where `zmreplchk` runs: a server whose `ldap_url` lists every replica
    /// and the master (a mailstore), not the master alone.
    pub replchk_host: Option<&'a str>,
    /// Whether the installation has proxies, whose cached routes are purged
    /// after switches.
    pub proxies: bool,
    /// The upgrade of the last MTA, after which global MTA settings are
    /// reviewed.
    pub last_mta: Option<&'a str>,
    /// Every server's upgrade wave.
    pub upgrade_wave: BTreeMap<&'a str, u32>,
    /// For every purge, each account it deletes the old copy of, with the
    /// store the account switched to.
    pub destinations: BTreeMap<&'a str, Vec<(&'a str, &'a str)>>,
}

impl<'a> Context<'a> {
    /// What every block of the plan's script needs.
    pub fn of(plan: &'a Plan) -> Context<'a> {
        let has_role = |server: &str, role: &str| {
            plan.servers
                .get(server)
                .is_some_and(|s| s.roles.iter().any(|r| r == role))
        };
        let upgrades = || {
            plan.waves
                .iter()
                .flat_map(|w| w.steps.iter().map(move |s| (w.index, s)))
                .filter(|(_, s)| s.kind == StepKind::Upgrade)
        };
        let last_mta = upgrades()
            .rfind(|(_, s)| s.server.as_deref().is_some_and(|n| has_role(n, "mta")))
            .map(|(_, s)| s.id.as_str());
        let upgrade_wave = upgrades()
            .filter_map(|(w, s)| s.server.as_deref().map(|n| (n, w)))
            .collect();
        Context {
            plan,
            flavour: Flavour::of(plan),
            toolset: Toolset::of(plan),
            mailboxes: mailboxes_at_upgrades(plan),
            directory: roles::directory_servers(plan),
            replchk_host: replchk_host(plan),
            proxies: plan
                .servers
                .values()
                .any(|s| s.roles.iter().any(|r| r == "proxy" || r == "memcached")),
            last_mta,
            upgrade_wave,
            destinations: destinations(plan),
        }
    }

    /// The version `server` runs in wave `wave`.
    fn version_in(&self, server: &str, wave: u32) -> &'a str {
        match self.upgrade_wave.get(server) {
            Some(w) if *w < wave => &self.plan.target_version,
            _ => self
                .plan
                .servers
                .get(server)
                .map_or(&self.plan.target_version, |s| &s.version),
        }
    }
}

/// Where `zmreplchk` runs: the first mailstore by name (its `ldap_url`
/// usually lists every replica and the master), else the first replica;
/// `None` when no server qualifies (the script's variable says so).
fn replchk_host(plan: &Plan) -> Option<&str> {
    let with = |role: &str| {
        plan.servers
            .iter()
            .find(|(_, s)| s.roles.iter().any(|r| r == role))
            .map(|(name, _)| name.as_str())
    };
    with("mailstore")
        .or_else(|| with("ldap-replica"))
        .or_else(|| with("directory-replica"))
}

/// For every purge, the accounts whose old copies it deletes, each with the
/// store the plan has it homed on when the purge runs (the target of its
/// latest switch).
fn destinations(plan: &Plan) -> BTreeMap<&str, Vec<(&str, &str)>> {
    let mut moved: BTreeMap<&str, &str> = BTreeMap::new();
    let mut found = BTreeMap::new();
    // A resumed plan's purges also delete copies switched off before it.
    let earlier = plan.done_before().iter();
    let steps = earlier.chain(plan.waves.iter().flat_map(|w| w.steps.iter()));
    for step in steps {
        match step.kind {
            StepKind::MoveSwitch => {
                if let (Some(target), Some(accounts)) = (&step.target, &step.accounts) {
                    for account in accounts {
                        moved.insert(account.as_str(), target.as_str());
                    }
                }
            }
            StepKind::Purge => {
                let server = step.server.as_deref().unwrap_or("");
                let list = step
                    .accounts
                    .iter()
                    .flatten()
                    .map(|a| {
                        // An account homed on the purged store again has
                        // no old copy the plan can name there.
                        let to = moved
                            .get(a.as_str())
                            .copied()
                            .filter(|to| *to != server)
                            .unwrap_or("");
                        (a.as_str(), to)
                    })
                    .collect();
                found.insert(step.id.as_str(), list);
            }
            _ => {}
        }
    }
    found
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
    // A step the journal records as done is skipped when a wave runs again.
    writeln!(out, "{IN}if step {}; then", sh_quote(&step.id))?;
    match step.kind {
        StepKind::Backup => backup(out, cx, step),
        StepKind::MoveData | StepKind::MoveSwitch => render_move(out, cx, wave, step),
        StepKind::Upgrade => upgrade(out, cx, wave, step),
        StepKind::Purge => purge(out, cx, wave, step),
        StepKind::PoolOut | StepKind::PoolIn => pool(out, step),
    }?;
    writeln!(out, "{IN}fi")
}

/// Whether the script waits for this step at the end of its wave (an
/// operation Zextras queues), rather than right after its command.
pub(super) fn queued(cx: &Context, step: &Step) -> bool {
    cx.toolset.queued
        && matches!(
            step.kind,
            StepKind::Backup | StepKind::MoveData | StepKind::MoveSwitch | StepKind::Purge
        )
        && step.accounts.as_ref().is_none_or(|a| !a.is_empty())
}

/// A backup of the store with the toolset's command, or a manual backup.
fn backup(out: &mut dyn Write, cx: &Context, step: &Step) -> io::Result<()> {
    let full = step.mode == Some(BackupMode::Full);
    let server = sh_quote(server(step));
    comment(out, BODY, "  ", cx.toolset.backup_note(full))?;
    match cx.toolset.tools {
        Tools::Zextras => {
            comment(out, BODY, "  source: ", toolset::source::ZX_BACKUP)?;
            let words = cx.toolset.backup(full).unwrap_or_default().join(" ");
            writeln!(out, "{BODY}zx_start {server} {words}")?;
            // Done at the end of the wave, once the scan has finished.
            return Ok(());
        }
        Tools::Carbonio => {
            comment(out, BODY, "  source: ", toolset::source::CARBONIO)?;
            let words = cx.toolset.backup(full).unwrap_or_default().join(" ");
            writeln!(out, "{BODY}run_on {server} {words}")?;
        }
        Tools::ZimbraNe => {
            comment(out, BODY, "  source: ", toolset::source::ZIMBRA_NE)?;
            writeln!(
                out,
                "{BODY}ne_backup {server} {}",
                if full { "full" } else { "incremental" }
            )?;
        }
        Tools::None => manual(
            out,
            BODY,
            &step.id,
            &[
                format!(
                    "Take a {} backup of {} with your own tools, such that every mailbox on it \
                     can be restored.",
                    if full { "full" } else { "incremental" },
                    self::server(step)
                ),
                "Go on when the backup has finished and has been checked.".to_string(),
            ],
        )?,
    }
    writeln!(out, "{BODY}done_step {}", sh_quote(&step.id))
}

/// A purge: first a check that every account whose old copy goes is homed
/// on its new store, then the toolset's purge.
fn purge(out: &mut dyn Write, cx: &Context, wave: &Wave, step: &Step) -> io::Result<()> {
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    let host = server(step);
    comment(
        out,
        BODY,
        "  ",
        &format!(
            "Deletes the old copies of the {} account{} switched off this store since its \
             last purge (the plan lists them), freeing {}. First, each of them must be homed \
             on its new store.",
            accounts.len(),
            if accounts.len() == 1 { "" } else { "s" },
            planner_core::inventory::Bytes(step.bytes.unwrap_or(0))
        ),
    )?;
    let pairs = cx
        .destinations
        .get(step.id.as_str())
        .cloned()
        .unwrap_or_default();
    if pairs.iter().any(|(a, t)| {
        t.is_empty() || a.contains(char::is_whitespace) || t.contains(char::is_whitespace)
    }) {
        return writeln!(
            out,
            "{BODY}fail {}",
            sh_quote(&format!(
                "step {}: an account it purges has no switch off {host} in the plan, is homed \
                 on {host} again (whether its old copy can be told apart is unconfirmed), or \
                 has a blank in its name; nothing is deleted",
                crate::script::one_line(&step.id)
            ))
        );
    }
    if pairs.is_empty() {
        writeln!(
            out,
            "{BODY}printf '    %s\\n' 'Nothing to run: the step lists no account.'"
        )?;
        return writeln!(out, "{BODY}done_step {}", sh_quote(&step.id));
    }
    let lines: Vec<String> = pairs.iter().map(|(a, t)| format!("{a} {t}")).collect();
    account_list(out, wave, &format!("{}-homes", step.id), host, &lines)?;
    writeln!(out, "{BODY}check_moved {} \"$list\"", sh_quote(host))?;
    match cx.toolset.tools {
        Tools::Zextras | Tools::Carbonio => {
            comment(out, BODY, "  source: ", cx.toolset.source())?;
            let words = cx.toolset.purge_words().unwrap_or_default();
            if cx.toolset.queued {
                writeln!(out, "{BODY}zx_start {} {words}", sh_quote(host))?;
                return Ok(());
            }
            writeln!(out, "{BODY}run_on {} {words}", sh_quote(host))?;
        }
        Tools::ZimbraNe => {
            comment(out, BODY, "  source: ", toolset::source::ZIMBRA_NE)?;
            let version = cx.version_in(host, wave.index);
            if toolset::purge_advisory(version) {
                manual(
                    out,
                    BODY,
                    &step.id,
                    &[
                        format!(
                            "{host} runs {version}: a 2026 Zimbra advisory warns against \
                             zmpurgeoldmbox on 10.1.15 and 10.1.16 with external object \
                             storage, where it deleted blobs."
                        ),
                        "Go on only if this store keeps its blobs on local volumes, or \
                         after applying the fix the advisory names."
                            .to_string(),
                    ],
                )?;
            }
            let names: Vec<String> = accounts.to_vec();
            account_list(out, wave, &step.id, host, &names)?;
            writeln!(out, "{BODY}ne_purge {} \"$list\"", sh_quote(host))?;
        }
        Tools::None => writeln!(
            out,
            "{BODY}fail {}",
            sh_quote("tools: none has no purge command: this plan was not made for it")
        )?,
    }
    writeln!(out, "{BODY}done_step {}", sh_quote(&step.id))
}

/// A pool change: the manual change of the classes of service, then a
/// flush of every server's class-of-service cache.
fn pool(out: &mut dyn Write, step: &Step) -> io::Result<()> {
    let host = sh_quote(server(step));
    manual(out, BODY, &step.id, &manual_lines(step))?;
    comment(
        out,
        BODY,
        "  ",
        "Other servers see a class-of-service change only when their cache expires (up to \
         15 minutes): flush it now (ZCS admin guide, Flush caches).",
    )?;
    writeln!(out, "{BODY}flush_cos {host}")?;
    writeln!(out, "{BODY}done_step {}", sh_quote(&step.id))
}

/// An upgrade: a check that an emptied store is empty, then its actions.
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
            BODY,
            "  ",
            "Its mailboxes have all been moved off: check that the store is empty first.",
        )?,
        Some(n) => comment(
            out,
            BODY,
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
            comment(out, BODY, "  ", "OUTAGE accepted by the plan.")?;
        }
        for message in &outages {
            comment(out, BODY, "  OUTAGE: ", message)?;
        }
    }
    for note in role_notes(cx.plan, server) {
        comment(out, BODY, "  note: ", &note)?;
    }
    if held == Some(0) {
        writeln!(out, "{BODY}check_empty {}", sh_quote(server))?;
    }
    // A plan without `actions` is not v2 (the checker refuses it): the
    // installer and the health check that gates the next wave still run.
    let actions = step
        .actions
        .as_deref()
        .unwrap_or(&[Action::Install, Action::HealthCheck]);
    for action in actions {
        comment(out, BODY, "  action: ", action.as_str())?;
        match action {
            Action::Install => manual(
                out,
                BODY,
                &step.id,
                &installer_lines(cx, step, held, &outages),
            )?,
            Action::HealthCheck => health_check(out, cx, step)?,
            Action::DirectoryDump => {
                writeln!(out, "{BODY}dump_directory {}", sh_quote(server))?;
            }
            Action::Drain | Action::Undrain => {
                manual(out, BODY, &step.id, &action_lines(cx.plan, *action, step))?
            }
        }
    }
    if cx.last_mta == Some(step.id.as_str()) {
        manual(
            out,
            BODY,
            &step.id,
            &[
                "Every MTA now runs the new version: review the global MTA settings, some \
                 of which may need fixing after all MTAs are upgraded (ZCS upgrade guide)."
                    .to_string(),
            ],
        )?;
    }
    writeln!(out, "{BODY}done_step {}", sh_quote(&step.id))
}

/// The notes the plan gives for the server's roles.
fn role_notes(plan: &Plan, server: &str) -> Vec<String> {
    let Some(s) = plan.servers.get(server) else {
        return Vec::new();
    };
    s.roles
        .iter()
        .filter_map(|r| plan.role_notes.get(r).map(|n| format!("{r}: {n}")))
        .collect()
}

/// The instructions of an upgrade's drain and undrain, by the roles the
/// server has: an MTA leaves its MX records or relays, anything else its
/// load balancer.
fn action_lines(plan: &Plan, action: Action, step: &Step) -> Vec<String> {
    let server = server(step);
    let roles = plan
        .servers
        .get(server)
        .map(|s| s.roles.as_slice())
        .unwrap_or(&[]);
    let mta = roles.iter().any(|r| r == "mta");
    let balanced = roles.iter().any(|r| r != "mta");
    match action {
        Action::Drain => {
            let mut lines = Vec::new();
            if balanced {
                lines.push(format!(
                    "Take {server} out of its load balancer pool, then wait until the \
                     connections it serves have ended, with a time limit."
                ));
            }
            if mta {
                lines.push(format!(
                    "Take {server} out of the MX records or relays that send it mail, then \
                     wait until its active deliveries have finished, with a time limit: \
                     deferred mail is retried for days (bounce_queue_lifetime) and is not \
                     a reason to wait."
                ));
            }
            if lines.is_empty() {
                lines.push(format!("Take {server} out of rotation before its install."));
            }
            lines
        }
        Action::Undrain => {
            let mut lines = vec![format!("Its checks have passed: put {server} back")];
            let mut places = Vec::new();
            if balanced {
                places.push("in its load balancer pool");
            }
            if mta {
                places.push("in the MX records or relays");
            }
            if places.is_empty() {
                places.push("in rotation");
            }
            lines[0] = format!(
                "{} {}, as before its drain.",
                lines[0],
                places.join(" and ")
            );
            lines
        }
        _ => Vec::new(),
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

/// The service check, the replication check and the MTA's queue where the
/// plan runs them.
fn health_check(out: &mut dyn Write, cx: &Context, step: &Step) -> io::Result<()> {
    let server = sh_quote(server(step));
    writeln!(out, "{BODY}health_check {server}")?;
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
        writeln!(out, "{BODY}replication_check")?;
    }
    if step
        .checks
        .as_ref()
        .is_some_and(|c| c.iter().any(|c| c == QUEUE_CHECK))
    {
        writeln!(out, "{BODY}queue_check {server}")?;
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
    if step 'upgrade:mbx1.example.com'; then
        #   Its mailboxes have all been moved off: check that the store is empty first.
        check_empty 'mbx1.example.com'
        #   action: install
        manual 'upgrade:mbx1.example.com' \\
            'Upgrade mbx1.example.com from 9.0.0_P40 to 10.1.5: run the Zimbra Collaboration installer (install.sh from the release archive) there as root, inside screen.' \\
            'The installer stops and restarts only that server.' \\
            'Go on when the upgrade has finished without errors.'
        #   action: health-check
        health_check 'mbx1.example.com'
        done_step 'upgrade:mbx1.example.com'
    fi
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
        assert!(at("out of its load balancer pool") < at("dump_directory"));
        assert!(at("dump_directory") < at("Upgrade ldap2.example.com"));
        assert!(at("Upgrade ldap2.example.com") < at("health_check"));
        assert!(at("health_check") < at("back in its load balancer pool"));
    }

    #[test]
    fn directory_servers_get_the_replication_check() {
        let mut plan = testing::plan();
        let with = block(&plan, "upgrade:ldap2.example.com");
        assert!(
            with.contains("        health_check 'ldap2.example.com'\n        replication_check\n"),
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
    fn each_toolset_backs_up_with_its_own_command() {
        let id = "backup:mbx1.example.com";
        let mut plan = testing::plan();
        assert!(block(&plan, id).ends_with(
            "        ne_backup 'mbx1.example.com' full\n        done_step 'backup:mbx1.example.com'\n    fi\n"
        ));
        plan.tools = Tools::Zextras;
        assert!(block(&plan, id).ends_with(
            "        zx_start 'mbx1.example.com' zxsuite backup doSmartScan start deep true\n    fi\n"
        ));
        plan.tools = Tools::None;
        let manual = block(&plan, id);
        assert!(manual.contains("        manual 'backup:mbx1.example.com' \\\n            'Take a full backup of mbx1.example.com with your own tools"), "{manual}");
        let plan = testing::carbonio();
        assert!(block(&plan, id).ends_with(
            "        run_on 'mbx1.example.com' carbonio --sync backup doSmartScan start deep true\n        done_step 'backup:mbx1.example.com'\n    fi\n"
        ));
    }

    #[test]
    fn a_purge_checks_the_new_homes_first() {
        let mut plan = testing::plan();
        let base = testing::step(&mut plan, "backup:mbx1.example.com").clone();
        plan.waves[2].steps.push(planner_core::plan::Step {
            id: "purge:mbx1.example.com".into(),
            kind: StepKind::Purge,
            server: Some("mbx1.example.com".into()),
            accounts: Some(vec!["alice@example.com".into()]),
            bytes: Some(1 << 30),
            why: "w".into(),
            mode: None,
            ..base
        });
        let text = block(&plan, "purge:mbx1.example.com");
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} in {text}"))
        };
        assert!(
            text.contains("\nalice@example.com mbx2.example.com\n"),
            "{text}"
        );
        assert!(at("check_moved 'mbx1.example.com'") < at("ne_purge 'mbx1.example.com'"));
        plan.servers
            .get_mut("mbx1.example.com")
            .expect("mbx1")
            .version = "10.1.16".into();
        let warned = block(&plan, "purge:mbx1.example.com");
        assert!(
            warned.contains("runs 10.1.16: a 2026 Zimbra advisory"),
            "{warned}"
        );
    }

    #[test]
    fn mailboxes_at_each_upgrade() {
        assert_eq!(
            mailboxes_at_upgrades(&testing::plan()),
            BTreeMap::from([("upgrade:mbx1.example.com".to_string(), 0)])
        );
    }
}
