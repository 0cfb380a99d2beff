//! `--format script`: the plan as a POSIX shell script that an operator runs
//! wave by wave.
//!
//! The script is the plan made executable, so it reads top to bottom like the
//! plan: a header (what it is for, which inventory, how to run it), a few
//! helper functions, then one commented block per wave with its steps in plan
//! order. Real commands (`zxsuite`, `carbonio`, `zmprov`, `zmcontrol`,
//! `zmreplchk`) run on the server they belong to through one function,
//! `remote_shell`, which an operator can replace or redirect with
//! `PLANNER_REMOTE`; steps with no command (running the installer, drains,
//! class-of-service pool changes) are pauses that wait for a "yes".
//!
//! Quoting happens at two moments, each with the same rule (wrap in single
//! quotes, write every `'` as `'\''`), which is correct for any string:
//! - here, at render time, every plan string that becomes part of the script
//!   text goes through [`sh_quote`] (or, in comments, through [`one_line`], so
//!   that it cannot end the comment);
//! - in the script, at run time, `quote_words` quotes a command's words once
//!   for the mail user's shell (`su - zimbra -c`), and `remote_shell` quotes
//!   that whole command line once more for the login shell that `ssh` starts.
//!
//! Account lists never pass through a command line: they are written to a file
//! on the source store from a quoted here-document, whose body the shell does
//! not interpret.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::duration;
use planner_core::inventory::Bytes;
use planner_core::plan::{BackupMode, Plan, Step, StepKind, Wave};

/// Comments are wrapped at this width.
const WIDTH: usize = 100;

/// The here-document delimiter of account lists (made longer if a line of the
/// list happens to equal it).
const DELIMITER: &str = "ACCOUNTS";

/// What differs between the Zimbra and the Carbonio installations.
struct Flavour {
    /// The user every command runs as on the servers.
    user: &'static str,
    /// Where `zmreplchk` lives (not on that user's `PATH`).
    libexec: &'static str,
    /// The Zextras command-line tool.
    tool: &'static str,
    /// Whether moves have stages (`zxsuite powerstore doMailboxMove`) or not
    /// (`carbonio powerstore mailboxMove`).
    staged_moves: bool,
    /// How the product is upgraded on one server, for the installer pause.
    installer: &'static str,
    /// What the installer touches, where a source says so.
    installer_note: Option<&'static str>,
}

const ZIMBRA: Flavour = Flavour {
    user: "zimbra",
    libexec: "/opt/zimbra/libexec",
    tool: "zxsuite",
    staged_moves: true,
    installer: "run the Zimbra Collaboration installer (install.sh from the release archive) there as root",
    installer_note: Some("The installer stops and restarts only that server."),
};

const CARBONIO: Flavour = Flavour {
    user: "zextras",
    libexec: "/opt/zextras/libexec",
    tool: "carbonio",
    staged_moves: false,
    installer: "upgrade the Carbonio packages there as Carbonio's upgrade procedure says",
    installer_note: None,
};

/// The plan as a shell script.
pub fn render(plan: &Plan) -> String {
    let flavour = if plan.profile == "carbonio" {
        &CARBONIO
    } else {
        &ZIMBRA
    };
    let mailboxes = mailboxes_at_upgrades(plan);
    let mut out = String::new();
    header(&mut out, plan, flavour);
    preamble(&mut out, plan, flavour);
    for wave in &plan.waves {
        render_wave(&mut out, plan, flavour, wave, &mailboxes);
    }
    footer(&mut out, plan);
    out
}

/// Quotes `text` as one word for a POSIX shell: in single quotes, with every
/// `'` written as `'\''`. Inside single quotes nothing is special, so this is
/// correct for any string; NUL, which no shell word can hold, is dropped.
pub fn sh_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        match c {
            '\'' => quoted.push_str("'\\''"),
            '\0' => {}
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// `text` with every control character (line breaks above all) replaced by a
/// space, so that it can sit in a comment without ending it.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn header(out: &mut String, plan: &Plan, flavour: &Flavour) {
    let s = &plan.summary;
    let _ = writeln!(out, "#!/bin/sh");
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
    );
    let _ = writeln!(out, "#");
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
    );
    let _ = writeln!(out, "#");
    comment(
        out,
        "",
        "",
        &format!(
            "Strategy: {}: {}",
            plan.strategy.chosen.as_str(),
            plan.strategy.why
        ),
    );
    match s.estimated_duration_s {
        Some(d) => comment(
            out,
            "",
            "",
            &format!("Estimated duration: {}.", duration(d)),
        ),
        None => comment(
            out,
            "",
            "",
            "Estimated duration: none (no rates in the policy).",
        ),
    }
    if !s.outages.is_empty() {
        let _ = writeln!(out, "#");
        let _ = writeln!(out, "# Outages accepted by the plan:");
        for o in &s.outages {
            comment(
                out,
                "",
                "  - ",
                &format!("wave {}: {} ({}): {}", o.wave, o.server, o.unit, o.message),
            );
        }
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out, "#");
        let _ = writeln!(out, "# Warnings:");
        for w in &s.warnings {
            comment(out, "", "  - ", w);
        }
    }
    let user = flavour.user;
    let _ = write!(
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
# cause, run it again from that wave; steps of that wave that had already finished run
# again, so check them first (a move whose accounts have already switched is done).
# The steps of one wave may run in any order; this script runs them one after the other.
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
# Remote shells must be POSIX shells (sh, bash, dash): commands are quoted for them.
",
        digest_prefix(&plan.inventory_digest)
    );
}

fn preamble(out: &mut String, plan: &Plan, flavour: &Flavour) {
    let _ = writeln!(out);
    let _ = writeln!(out, "set -eu");
    let _ = writeln!(
        out,
        "set -f  # no file name expansion: nothing in this script is a pattern"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "MAIL_USER={}  # every command runs as this user on the servers",
        sh_quote(flavour.user)
    );
    let _ = writeln!(
        out,
        "LIBEXEC={}  # where zmreplchk lives",
        sh_quote(flavour.libexec)
    );
    let _ = writeln!(out, "TOTAL_WAVES={}", plan.waves.len());
    let _ = writeln!(
        out,
        "WORKDIR=${{PLANNER_WORKDIR:-{}}}",
        sh_quote(&format!(
            "/tmp/planner-{}",
            digest_prefix(&plan.inventory_digest)
        ))
    );
    out.push_str(FUNCTIONS);
    let total = plan.waves.len();
    let _ = write!(
        out,
        "
FROM_WAVE=${{START_WAVE:-1}}
while [ $# -gt 0 ]; do
    case $1 in
        --from-wave)
            [ $# -ge 2 ] || fail '--from-wave needs a wave number'
            FROM_WAVE=$2
            shift 2
            ;;
        --from-wave=*)
            FROM_WAVE=${{1#--from-wave=}}
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            fail \"unknown argument: $1\"
            ;;
    esac
done
case $FROM_WAVE in
    '' | *[!0-9]*) fail \"the starting wave must be a number from 1 to $TOTAL_WAVES, not '$FROM_WAVE'\" ;;
esac
"
    );
    if total > 0 {
        out.push_str(
            "if [ \"$FROM_WAVE\" -lt 1 ] || [ \"$FROM_WAVE\" -gt \"$TOTAL_WAVES\" ]; then
    fail \"the starting wave must be a number from 1 to $TOTAL_WAVES, not $FROM_WAVE\"
fi
",
        );
        let _ = writeln!(
            out,
            "printf 'Rolling upgrade to %s: %s waves, starting at wave %s.\\n' {} \"$TOTAL_WAVES\" \"$FROM_WAVE\"",
            sh_quote(&plan.target_version)
        );
    }
}

/// The helper functions, the same in every script.
const FUNCTIONS: &str = r#"
usage() {
    printf '%s\n' \
        'usage: sh upgrade.sh [--from-wave N]' \
        'Runs the upgrade plan wave by wave; START_WAVE=N does the same as --from-wave N.' \
        'Environment: PLANNER_REMOTE, PLANNER_ASSUME_YES, PLANNER_DRY_RUN, PLANNER_WORKDIR' \
        '(see the comments at the top of the script).'
}

# fail MESSAGE: stop the script with MESSAGE.
fail() {
    printf 'error: %s\n' "$1" >&2
    exit 1
}

# quote_words WORD...: set REPLY to the words quoted for a POSIX shell, each one
# in single quotes with every ' written as '\'' (correct for any string).
quote_words() {
    REPLY=
    for _word in "$@"; do
        _quoted=
        while :; do
            case $_word in
                *\'*)
                    _head=${_word%%\'*}
                    _quoted=$_quoted$_head\'\\\'\'
                    _word=${_word#*\'}
                    ;;
                *) break ;;
            esac
        done
        REPLY="$REPLY${REPLY:+ }'$_quoted$_word'"
    done
}

# remote_shell HOST WORD...: run the command WORD... on HOST as $MAIL_USER, with
# this function's standard input, and show it on standard error. Every command of the plan goes through here:
# replace this function, or set PLANNER_REMOTE, to reach the servers another way.
# The words are quoted once for the shell that su starts, and that command line
# is quoted once more for the login shell that ssh starts on HOST.
remote_shell() {
    _host=$1
    shift
    quote_words "$@"
    _command=$REPLY
    if [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        printf '    [dry run] on %s: %s\n' "$_host" "$_command"
        return 0
    fi
    printf '    on %s: %s\n' "$_host" "$_command" >&2
    if [ -n "${PLANNER_REMOTE:-}" ]; then
        $PLANNER_REMOTE "$_host" "$_command"
    else
        quote_words "$_command"
        ssh -- "$_host" "su - $MAIL_USER -c $REPLY"
    fi
}

# run_on HOST WORD...: remote_shell with no input, so that ssh never reads what
# is meant for this script.
run_on() {
    remote_shell "$@" </dev/null
}

# put_file HOST FILE: write standard input to FILE on HOST, readable only by
# $MAIL_USER, creating its directory.
put_file() {
    remote_shell "$1" sh -c 'umask 077 && mkdir -p -- "${1%/*}" && cat >"$1"' put_file "$2"
}

# check_empty STORE: stop unless `zmprov sa zimbraMailHost=STORE` prints nothing,
# that is, unless no account is homed on STORE any more.
check_empty() {
    if [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        run_on "$1" zmprov sa "zimbraMailHost=$1"
        return 0
    fi
    _left=$(run_on "$1" zmprov sa "zimbraMailHost=$1") ||
        fail "could not list the accounts homed on $1 (zmprov sa failed)"
    if [ -n "$_left" ]; then
        printf '%s\n' "$_left" | sed 's/^/    /' >&2
        fail "$1 is not empty: the accounts above are still homed on it, so it must not be upgraded. Move them off (or find out why their moves did not switch them), then run again from wave $CURRENT_WAVE."
    fi
    printf '    %s holds no accounts.\n' "$1"
}

# replication_check HOST: zmreplchk, which is not on $MAIL_USER's PATH.
replication_check() {
    run_on "$1" sh -c 'PATH=$PATH:$1 && exec zmreplchk' zmreplchk "$LIBEXEC"
}

# manual STEP LINE...: a manual step. Print what to do, then wait until the
# operator types yes (on the terminal, or on standard input when there is no
# terminal); any other answer stops the script.
manual() {
    printf '\n    ==== MANUAL STEP: %s ====\n' "$1"
    shift
    for _line in "$@"; do
        printf '    | %s\n' "$_line"
    done
    if [ "${PLANNER_ASSUME_YES:-}" = 1 ] || [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        printf '    (not waiting: PLANNER_ASSUME_YES or PLANNER_DRY_RUN is set)\n'
        return 0
    fi
    printf '    Type yes when it is done (anything else stops the script): '
    _answer=
    if (true </dev/tty) 2>/dev/null; then
        IFS= read -r _answer </dev/tty || true
    else
        IFS= read -r _answer || true
    fi
    case $_answer in
        yes | YES | Yes | y | Y) ;;
        *) fail "stopped at a manual step of wave $CURRENT_WAVE (answer: '$_answer'). Run again with --from-wave $CURRENT_WAVE to go on." ;;
    esac
}

# wave N ESTIMATE: start wave N; false when it comes before the starting wave.
wave() {
    CURRENT_WAVE=$1
    CURRENT_STEP=
    if [ "$1" -lt "$FROM_WAVE" ]; then
        printf 'Wave %s of %s: skipped (starting at wave %s).\n' "$1" "$TOTAL_WAVES" "$FROM_WAVE"
        return 1
    fi
    printf '\n==== Wave %s of %s%s\n' "$1" "$TOTAL_WAVES" "${2:+ ($2)}"
}

# step ID: say which step runs (and where the script stopped, if it fails).
step() {
    CURRENT_STEP=$1
    printf '\n--> %s\n' "$1"
}

CURRENT_WAVE=0
CURRENT_STEP=
on_exit() {
    if [ "$1" -ne 0 ] && [ "$CURRENT_WAVE" -gt 0 ]; then
        printf '\nStopped in wave %s%s (exit status %s).\n' \
            "$CURRENT_WAVE" "${CURRENT_STEP:+, step $CURRENT_STEP}" "$1" >&2
        printf 'Fix the cause, then go on with: sh %s --from-wave %s\n' "$0" "$CURRENT_WAVE" >&2
    fi
}
trap 'on_exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"#;

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

fn render_wave(
    out: &mut String,
    plan: &Plan,
    flavour: &Flavour,
    wave: &Wave,
    mailboxes: &BTreeMap<String, u64>,
) {
    let estimate = wave
        .estimated_duration_s
        .filter(|d| *d > 0)
        .map_or(String::new(), |d| format!("about {}", duration(d)));
    let rule = "#".repeat(WIDTH);
    let _ = writeln!(out);
    let _ = writeln!(out, "{rule}");
    let _ = writeln!(
        out,
        "# Wave {} of {}{}",
        wave.index,
        plan.waves.len(),
        if estimate.is_empty() {
            String::new()
        } else {
            format!(" ({estimate})")
        }
    );
    comment(out, "", "", &wave_contents(wave));
    let _ = writeln!(out, "{rule}");
    let _ = writeln!(out, "if wave {} {}; then", wave.index, sh_quote(&estimate));
    for step in &wave.steps {
        let _ = writeln!(out);
        render_step(out, plan, flavour, wave, step, mailboxes);
    }
    checkpoint(out, plan, flavour, wave);
    let _ = writeln!(out, "fi");
}

/// What a wave does, in a line or two under its title: each kind of step with
/// its servers (`move-data mbx4 -> mbx1, mbx4 -> mbx2; upgrade ldap2`).
fn wave_contents(wave: &Wave) -> String {
    let mut kinds: BTreeMap<StepKind, Vec<String>> = BTreeMap::new();
    for step in &wave.steps {
        let subject = match (&step.server, &step.source, &step.target) {
            (Some(server), _, _) => server.clone(),
            (None, Some(source), Some(target)) => format!("{source} -> {target}"),
            _ => step.id.clone(),
        };
        kinds.entry(step.kind).or_default().push(subject);
    }
    kinds
        .into_iter()
        .map(|(kind, subjects)| format!("{} {}", kind.as_str(), subjects.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn render_step(
    out: &mut String,
    plan: &Plan,
    flavour: &Flavour,
    wave: &Wave,
    step: &Step,
    mailboxes: &BTreeMap<String, u64>,
) {
    const IN: &str = "    ";
    comment(out, IN, "", &step.id);
    comment(out, IN, "  why: ", &step.why);
    let server = step.server.as_deref().unwrap_or("");
    let q_server = sh_quote(server);
    match step.kind {
        StepKind::Backup => {
            let full = step.mode == Some(BackupMode::Full);
            if full {
                comment(
                    out,
                    IN,
                    "  ",
                    "Full backup: Zextras Backup has no separate full-backup command, so \
                     this is a deep SmartScan (deep true) of every account on the store.",
                );
            } else {
                comment(
                    out,
                    IN,
                    "  ",
                    "Incremental backup: a SmartScan of the accounts changed since the last scan.",
                );
            }
            let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
            let _ = writeln!(
                out,
                "{IN}run_on {q_server} {} backup doSmartScan start{}",
                flavour.tool,
                if full { " deep true" } else { "" }
            );
        }
        StepKind::MoveData | StepKind::MoveSwitch => render_move(out, plan, flavour, wave, step),
        StepKind::Upgrade => {
            let from = step.from_version.as_deref().unwrap_or("?");
            let to = step.to_version.as_deref().unwrap_or(&plan.target_version);
            let held = mailboxes.get(&step.id).copied();
            let outages: Vec<&str> = plan
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
                ),
                Some(n) => comment(
                    out,
                    IN,
                    "  ",
                    &format!(
                        "Upgraded in place: its {n} mailbox{} stay on it and are unavailable \
                         during the upgrade.",
                        if n == 1 { "" } else { "es" }
                    ),
                ),
                None => {}
            }
            if step.outage == Some(true) {
                if outages.is_empty() {
                    comment(out, IN, "  ", "OUTAGE accepted by the plan.");
                }
                for message in &outages {
                    comment(out, IN, "  OUTAGE: ", message);
                }
            }
            let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
            if held == Some(0) {
                let _ = writeln!(out, "{IN}check_empty {q_server}");
            }
            let mut lines = vec![format!(
                "Upgrade {server} from {from} to {to}: {}.",
                flavour.installer
            )];
            if let Some(note) = flavour.installer_note {
                lines.push(note.to_string());
            }
            if step.outage == Some(true) {
                if outages.is_empty() {
                    lines.push("OUTAGE accepted by the plan.".to_string());
                }
                for message in &outages {
                    lines.push(format!("OUTAGE accepted by the plan: {message}"));
                }
            }
            if let Some(n) = held.filter(|n| *n > 0)
                && step.outage != Some(true)
            {
                lines.push(format!(
                    "Its {n} mailbox{} are unavailable until the upgrade is finished.",
                    if n == 1 { "" } else { "es" }
                ));
            }
            lines.push("Go on when the upgrade has finished without errors.".to_string());
            manual(out, IN, &step.id, &lines);
        }
        StepKind::HealthCheck => {
            let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
            let _ = writeln!(out, "{IN}run_on {q_server} zmcontrol status");
            // The plan lists the checks; a plan written before it did names
            // them in the step's `why`.
            let replication = match &step.checks {
                Some(checks) => checks.iter().any(|c| c == "zmreplchk"),
                None => step.why.contains("zmreplchk"),
            };
            if replication {
                let _ = writeln!(out, "{IN}replication_check {q_server}");
            }
        }
        StepKind::Drain => {
            let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
            manual(
                out,
                IN,
                &step.id,
                &[
                    format!(
                        "Take {server} out of rotation before its upgrade: out of its load \
                         balancer pool, or lower its MX priority if it receives mail."
                    ),
                    "Wait until its open connections have ended (for an MTA: until \
                     `postqueue -p` shows an empty queue)."
                        .to_string(),
                    format!("Why: {}", step.why),
                ],
            );
        }
        StepKind::Undrain => {
            let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
            manual(
                out,
                IN,
                &step.id,
                &[
                    format!(
                        "Put {server} back in rotation: back in its load balancer pool, or \
                         restore its MX priority."
                    ),
                    format!("Why: {}", step.why),
                ],
            );
        }
        StepKind::PoolOut => {
            let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
            manual(
                out,
                IN,
                &step.id,
                &[
                    format!(
                        "Take {server} out of the pools that receive new accounts: remove its \
                         zimbraId from zimbraMailHostPool in every class of service that lists it."
                    ),
                    format!(
                        "Its id: zmprov gs {server} zimbraId; then, for each such class of \
                         service COS: zmprov mc COS -zimbraMailHostPool ID"
                    ),
                    format!("Why: {}", step.why),
                ],
            );
        }
        StepKind::PoolIn => {
            let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
            manual(
                out,
                IN,
                &step.id,
                &[
                    format!(
                        "Put {server} back in the pools that receive new accounts: add its \
                         zimbraId to zimbraMailHostPool in the classes of service it was removed from."
                    ),
                    format!(
                        "Its id: zmprov gs {server} zimbraId; then, for each such class of \
                         service COS: zmprov mc COS +zimbraMailHostPool ID"
                    ),
                    format!("Why: {}", step.why),
                ],
            );
        }
    }
}

fn render_move(out: &mut String, plan: &Plan, flavour: &Flavour, wave: &Wave, step: &Step) {
    const IN: &str = "    ";
    let source = step.source.as_deref().unwrap_or("");
    let target = step.target.as_deref().unwrap_or("");
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    let domains = step.domains.as_deref().unwrap_or(&[]);
    let size = Bytes(step.bytes.unwrap_or(0));
    let count = format!(
        "{} account{} ({size})",
        accounts.len(),
        plural(accounts.len() as u64)
    );
    let stage1 = step.kind == StepKind::MoveData;
    let staged = flavour.staged_moves && plan.policy.two_stage_moves;
    let what = if !flavour.staged_moves && stage1 {
        format!(
            "Carbonio's mailboxMove has no stages, so there is nothing to copy ahead: the \
             {count} move in one go at their switch."
        )
    } else if stage1 {
        format!(
            "Stage 1 (stages data): copy the data of {count} from {source} to {target}; \
             the accounts stay active on {source}."
        )
    } else if staged {
        let unavailable = step
            .unavailable_per_account_s
            .map_or(String::new(), |s| format!(" (about {})", duration(s)));
        format!(
            "Stage 2 (stages data,account): copy what changed since stage 1 and switch the \
             {count} to {target}; each account is unavailable to its user during its switch\
             {unavailable}."
        )
    } else {
        let unavailable = step
            .unavailable_per_account_s
            .map_or(String::new(), |s| format!(" (about {})", duration(s)));
        format!(
            "The whole move at once: copy {count} to {target} and switch them; each account \
             is unavailable to its user during its switch{unavailable}."
        )
    };
    comment(out, IN, "  ", &what);
    if !domains.is_empty() {
        comment(
            out,
            IN,
            "  ",
            &format!(
                "Whole domain{}: {}.",
                plural(domains.len() as u64),
                domains.join(", ")
            ),
        );
    }
    let _ = writeln!(out, "{IN}step {}", sh_quote(&step.id));
    if !flavour.staged_moves && stage1 {
        let _ = writeln!(
            out,
            "{IN}printf '    %s\\n' {}",
            sh_quote("Nothing to run: the accounts move at their switch.")
        );
        return;
    }
    if accounts.is_empty() {
        let _ = writeln!(
            out,
            "{IN}printf '    %s\\n' {}",
            sh_quote("Nothing to run: the step lists no account.")
        );
        return;
    }
    if accounts.iter().any(|a| a.contains(['\n', '\r', '\0'])) {
        // One account a line: a name with a line break cannot be written to
        // the list, so the step refuses to run rather than move other names.
        let _ = writeln!(
            out,
            "{IN}fail {}",
            sh_quote(&format!(
                "step {}: an account name contains a line break; it cannot be written to \
                 an account list",
                one_line(&step.id)
            ))
        );
        return;
    }
    let file = format!("w{:02}-{}.txt", wave.index, file_name(&step.id));
    let _ = writeln!(out, "{IN}list=\"$WORKDIR\"/{}", sh_quote(&file));
    let mut delimiter = DELIMITER.to_string();
    while accounts.contains(&delimiter) {
        delimiter.push('_');
    }
    let _ = writeln!(
        out,
        "{IN}put_file {} \"$list\" <<'{delimiter}'",
        sh_quote(source)
    );
    for account in accounts {
        let _ = writeln!(out, "{account}");
    }
    let _ = writeln!(out, "{delimiter}");
    let mut command = if flavour.staged_moves {
        format!(
            "{IN}run_on {} zxsuite powerstore doMailboxMove {} input_file \"$list\"",
            sh_quote(source),
            sh_quote(target)
        )
    } else {
        format!(
            "{IN}run_on {} carbonio powerstore mailboxMove {} input_file \"$list\"",
            sh_quote(source),
            sh_quote(target)
        )
    };
    if staged {
        command.push_str(if stage1 {
            " stages data"
        } else {
            " stages data,account"
        });
    }
    if let Some(notify) = plan.policy.notify.as_deref() {
        let _ = write!(command, " notifications {}", sh_quote(notify));
    }
    let _ = writeln!(out, "{command}");
}

/// At the end of a wave that started backups or moves: a pause to check that
/// they have finished, because the next waves (and the upgrades) rely on them.
fn checkpoint(out: &mut String, plan: &Plan, flavour: &Flavour, wave: &Wave) {
    let mut servers: Vec<&str> = Vec::new();
    let mut backups = false;
    let mut moves = false;
    for step in &wave.steps {
        let server = match step.kind {
            StepKind::Backup => {
                backups = true;
                step.server.as_deref()
            }
            StepKind::MoveData | StepKind::MoveSwitch
                if flavour.staged_moves || step.kind == StepKind::MoveSwitch =>
            {
                moves = true;
                step.source.as_deref()
            }
            _ => None,
        };
        if let Some(server) = server
            && !servers.contains(&server)
        {
            servers.push(server);
        }
    }
    if servers.is_empty() {
        return;
    }
    let what = match (backups, moves) {
        (true, true) => "backups and mailbox moves",
        (true, false) => "backups",
        _ => "mailbox moves",
    };
    let mut lines = vec![format!(
        "Check that the {what} of wave {} have finished without errors on: {}.",
        wave.index,
        servers.join(", ")
    )];
    if moves {
        lines.push(format!(
            "{} runs them as server operations; a move that stops early leaves its accounts \
             active on the source store.",
            flavour.tool
        ));
        if let Some(notify) = plan.policy.notify.as_deref() {
            lines.push(format!("Move reports are mailed to {notify}."));
        }
    } else {
        lines.push(format!("{} runs them as server operations.", flavour.tool));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "    # End of wave {}: the {what} must be finished before the next wave.",
        wave.index
    );
    manual(out, "    ", &format!("end of wave {}", wave.index), &lines);
}

fn footer(out: &mut String, plan: &Plan) {
    let _ = writeln!(out);
    if plan.waves.is_empty() {
        let _ = writeln!(
            out,
            "printf '%s\\n' {}",
            sh_quote(&format!(
                "Nothing to do: every server already runs {}.",
                plan.target_version
            ))
        );
        return;
    }
    let _ = writeln!(out, "CURRENT_WAVE=0");
    let _ = writeln!(
        out,
        "printf '\\nDone: waves %s to %s of the plan have run.\\n' \"$FROM_WAVE\" \"$TOTAL_WAVES\""
    );
    let _ = writeln!(
        out,
        "printf '%s\\n' {}",
        sh_quote(&format!(
            "Every server should now run {}. Update the inventory and plan again: the new \
             plan should have nothing left to do.",
            plan.target_version
        ))
    );
}

/// Writes a `manual` call: the step's pause with its lines of instructions.
fn manual(out: &mut String, indent: &str, id: &str, lines: &[String]) {
    let _ = write!(out, "{indent}manual {}", sh_quote(id));
    for line in lines {
        let _ = write!(out, " \\\n{indent}    {}", sh_quote(&one_line(line)));
    }
    let _ = writeln!(out);
}

/// Writes `text` as comment lines starting with `{indent}# {lead}`, wrapped at
/// [`WIDTH`], continuation lines aligned under the text.
fn comment(out: &mut String, indent: &str, lead: &str, text: &str) {
    let first = format!("{indent}# {lead}");
    let rest = format!("{indent}# {}", " ".repeat(lead.chars().count()));
    let mut line = first.clone();
    let mut empty = true;
    for word in one_line(text).split(' ').filter(|w| !w.is_empty()) {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            let _ = writeln!(out, "{}", line.trim_end());
            line = rest.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

/// A step id as a file name: letters, digits, `.` and `-` kept, anything else
/// (`:` and `>` in ids) written as `-`.
fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The first 12 hex digits of the inventory digest, for the work directory.
fn digest_prefix(digest: &str) -> String {
    let hex: String = digest
        .strip_prefix("sha256:")
        .unwrap_or(digest)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    if hex.is_empty() {
        "plan".to_string()
    } else {
        hex
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_every_special_character() {
        assert_eq!(sh_quote("o'neil@example.com"), r"'o'\''neil@example.com'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a\nb"), "'a\nb'");
    }

    #[test]
    fn comments_cannot_be_ended_by_plan_text() {
        assert_eq!(one_line("a\nrm -rf /\r"), "a rm -rf / ");
        let mut out = String::new();
        comment(&mut out, "    ", "", "x\n$(touch y)");
        assert_eq!(out, "    # x $(touch y)\n");
    }
}
