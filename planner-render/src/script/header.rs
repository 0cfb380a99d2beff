//! The script's header: comments that say what it is for, which inventory it
//! was made from and how to run it, for the operator who reads it first.

use std::io::{self, Write};

use planner_core::inventory::Bytes;
use planner_core::plan::Plan;

use super::shell::{comment, digest_prefix};
use crate::flavour::Flavour;
use crate::units::{duration, plural};

/// Writes the header.
pub(super) fn header(out: &mut dyn Write, plan: &Plan, flavour: &Flavour) -> io::Result<()> {
    summary(out, plan)?;
    how_to_run(out, plan, flavour)
}

/// The first lines: what the script does, from which inventory, the
/// strategy, the estimate, outages and warnings.
fn summary(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let s = &plan.summary;
    writeln!(out, "#!/bin/sh")?;
    comment(
        out,
        "",
        "",
        &format!(
            "Rolling upgrade to {} (profile {}): {} server{} to upgrade in {} wave{}, \
             {} mailbox move{} ({}).",
            plan.target_version,
            plan.profile,
            s.servers_to_upgrade,
            plural(u64::from(s.servers_to_upgrade)),
            plan.waves.len(),
            plural(plan.waves.len() as u64),
            s.mailboxes_moved,
            plural(s.mailboxes_moved),
            Bytes(s.bytes_moved),
        ),
    )?;
    writeln!(out, "#")?;
    comment(
        out,
        "",
        "",
        &format!(
            "Written by planner {} (now = {}) from the inventory {}. Run `planner verify` \
             on the JSON plan of the same run first: if the inventory has changed since, \
             plan again instead of running this script.",
            plan.planner_version, plan.now, plan.inventory_digest
        ),
    )?;
    writeln!(out, "#")?;
    comment(
        out,
        "",
        "",
        &format!(
            "Toolset: {} ({}); docs/platforms.md gives each command and its source.",
            plan.tools,
            crate::toolset::Toolset::of(plan).name
        ),
    )?;
    comment(
        out,
        "",
        "",
        &format!(
            "Strategy: {}: {}",
            plan.strategy.chosen.as_str(),
            plan.strategy.why
        ),
    )?;
    match s.estimated_duration_s {
        Some(d) => comment(
            out,
            "",
            "",
            &format!("Estimated duration: {}.", duration(d)),
        )?,
        None => comment(
            out,
            "",
            "",
            "Estimated duration: none (no rates in the policy).",
        )?,
    }
    if !s.outages.is_empty() {
        writeln!(out, "#")?;
        writeln!(out, "# Outages accepted by the plan:")?;
        for o in &s.outages {
            comment(
                out,
                "",
                "  - ",
                &format!("wave {}: {} ({}): {}", o.wave, o.server, o.unit, o.message),
            )?;
        }
    }
    if !s.warnings.is_empty() {
        writeln!(out, "#")?;
        writeln!(out, "# Warnings:")?;
        for w in &s.warnings {
            comment(out, "", "  - ", w)?;
        }
    }
    Ok(())
}

/// How to run the script, and the environment it reads.
fn how_to_run(out: &mut dyn Write, plan: &Plan, flavour: &Flavour) -> io::Result<()> {
    let user = flavour.user;
    write!(
        out,
        "#
# How to run it: save it (planner plan INVENTORY --format script --output upgrade.sh),
# read it, then run it from an admin host that reaches every server with ssh:
#     sh upgrade.sh                   every wave, from wave 1
#     sh upgrade.sh --from-wave 7     start at wave 7 (waves 1-6 are skipped)
#     START_WAVE=7 sh upgrade.sh      the same
# Run it as `sh upgrade.sh`, not `sh < upgrade.sh`: manual steps read the answer from the
# terminal, or from standard input when there is none.
#
# It stops at the first step that fails (set -eu) and says in which wave. After fixing the
# cause, run it again from that wave: the steps the journal records as done are skipped,
# the others run again (check a step left `started` first: a move may have switched some
# of its accounts; Zimbra's moves leave those already on their target alone).
# The steps of one wave may run in any order; this script runs them one after the other,
# and waits for every operation it starts before the wave ends.
# Manual steps (running the installer, drains, class-of-service pool changes) print what
# to do and wait until you type yes.
#
# Environment:
#   PLANNER_REMOTE      how commands reach a server. Unset: ssh -- HOST \"su - {user} -c '...'\".
#                       Set: a command, split at blanks, run as `$PLANNER_REMOTE HOST COMMAND`,
#                       where COMMAND is one shell command line to run as {user} on HOST;
#                       for example PLANNER_REMOTE='ssh -l {user} --' if you log in as {user}.
#                       It must pass its standard input on: account lists are sent that way.
#   PLANNER_ASSUME_YES  1: do not wait at manual steps (tests, rehearsals).
#   PLANNER_DRY_RUN     1: print each remote command instead of running it; do not wait.
#   PLANNER_WORKDIR     directory for the account lists on the source stores
#                       (default /tmp/planner-{}).
#   PLANNER_JOURNAL     the journal: one line per step started, done or failed
#                       (default upgrade.journal beside this script).
#   PLANNER_WAIT_TIMEOUT  how long to wait for a store's Zextras operations to end (default
#                       24h; N, Ns, Nm, Nh, Nd). Commands run with --sync (Carbonio, Zimbra)
#                       return when their work has ended, and are not timed out.
#   PLANNER_POLL_INTERVAL seconds between two looks at a store's Zextras operations (60).
#   PLANNER_REPLCHK_HOST  where zmreplchk runs: a server whose ldap_url lists every replica
#                       and the master (default: the first mailstore).
#   PLANNER_DUMPDIR     where directory dumps are written before directory installs.
# Remote shells must be POSIX shells (sh, bash, dash): commands are quoted for them.
",
        digest_prefix(&plan.inventory_digest)
    )
}
