//! `planner collect`: the read-only POSIX script that gathers what
//! `planner import` needs of a Zimbra installation into one directory.
//!
//! Run as the `zimbra` user on any server of the installation (`sh
//! collect.sh DIR`). It changes nothing on any server: it reads the
//! directory with `zmprov`, asks each server for its version, its store's
//! free space and whether it is an LDAP master, lists each mailstore's
//! mailboxes, and looks for `zxsuite`. Commands on other servers go through
//! the same `remote_shell` as the plan scripts (ssh, then `su - zimbra`;
//! `PLANNER_REMOTE` replaces it), taken from the plan scripts' library so
//! that both reach servers the same way. What it does is said on stderr.
//!
//! The layout of DIR (documented in docs/import.md):
//!
//! ```text
//! DIR/servers.txt              zmprov -l gas -v
//! DIR/SERVER/zmcontrol-v.txt   zmcontrol -v
//! DIR/SERVER/ldap_is_master    zmlocalconfig -s ldap_is_master (servers running ldap)
//! DIR/SERVER/df.txt            df -P -B1 STORE (mailstores)
//! DIR/SERVER/gqu.txt           zmprov gqu SERVER (mailstores)
//! DIR/SERVER/zxsuite           the path of zxsuite, or empty (mailstores)
//! ```

use std::io::{self, Write};

/// The plan scripts' library, from which the remote-shell functions come.
const LIBRARY: &str = include_str!("script/lib.sh");

/// Where the remote-shell functions start and end in [`LIBRARY`]: from the
/// quoting helper to `run_on`, the part both scripts share.
const REMOTE_FROM: &str = "# quote_words WORD...";
const REMOTE_TO: &str = "# put_file HOST FILE";

/// The remote-shell functions of the plan scripts (`quote_words`,
/// `remote_shell`, `run_on`).
fn remote_functions() -> &'static str {
    let from = LIBRARY.find(REMOTE_FROM).unwrap_or(0);
    let to = LIBRARY[from..]
        .find(REMOTE_TO)
        .map_or(LIBRARY.len(), |t| from + t);
    &LIBRARY[from..to]
}

const HEADER: &str = r#"#!/bin/sh
# collect.sh: gathers what `planner import DIR --target VERSION` needs of a
# Zimbra installation into DIR. Made by `planner collect`.
#
# usage: sh collect.sh DIR     (as the zimbra user, on any server)
#
# It is read-only: it changes nothing on any server. It runs
#   zmprov -l gas -v                      every server and its attributes
#   zmcontrol -v                          on each server: its version and edition
#   zmlocalconfig -s ldap_is_master       on each server running ldap
#   df -P -B1 STORE                       on each mailstore: its store's free space
#   zmprov gqu SERVER                     each mailstore's mailboxes and sizes
#   command -v zxsuite                    on each mailstore: whether Zextras Suite is there
# and writes only under DIR (see docs/import.md for its layout).
#
# Environment:
#   PLANNER_REMOTE  a command run as `$PLANNER_REMOTE HOST COMMAND` instead of
#                   ssh to HOST and `su - zimbra` (as in the plan scripts)
#   PLANNER_STORE   the mail store directory df measures (default
#                   /opt/zimbra/store, the primary volume of a default install;
#                   give yours if the store is elsewhere)

set -eu
set -f  # no file name expansion: nothing in this script is a pattern

MAIL_USER=zimbra  # commands on the other servers run as this user
STORE=${PLANNER_STORE:-/opt/zimbra/store}
"#;

const BODY: &str = r#"
# say MESSAGE: what the script is doing, on standard error.
say() {
    printf 'collect: %s\n' "$1" >&2
}

# has_service SERVER SERVICE: whether zmprov lists SERVICE as enabled on SERVER.
has_service() {
    awk -v server="$1" -v service="$2" '
        /^# name / { name = $3 }
        name == server && $1 == "zimbraServiceEnabled:" && $2 == service { found = 1 }
        END { exit !found }
    ' "$DIR/servers.txt"
}

if [ $# -ne 1 ] || [ -z "$1" ]; then
    printf '%s\n' 'usage: sh collect.sh DIR' >&2
    exit 2
fi
DIR=$1
mkdir -p -- "$DIR"

say "zmprov -l gas -v: every server and its attributes, into $DIR/servers.txt"
zmprov -l gas -v >"$DIR/servers.txt"
for server in $(awk '/^# name / { print $3 }' "$DIR/servers.txt"); do
    case $server in
        -* | *[!A-Za-z0-9.-]*)
            say "skipped: \`$server\` is not a host name"
            continue
            ;;
    esac
    mkdir -p -- "$DIR/$server"
    say "$server: zmcontrol -v"
    run_on "$server" zmcontrol -v >"$DIR/$server/zmcontrol-v.txt"
    if has_service "$server" ldap; then
        say "$server: zmlocalconfig -s ldap_is_master"
        run_on "$server" zmlocalconfig -s ldap_is_master >"$DIR/$server/ldap_is_master"
    fi
    if has_service "$server" mailbox; then
        say "$server: df -P -B1 $STORE"
        run_on "$server" df -P -B1 "$STORE" >"$DIR/$server/df.txt"
        say "$server: zmprov gqu $server"
        zmprov gqu "$server" >"$DIR/$server/gqu.txt"
        say "$server: is zxsuite installed?"
        run_on "$server" sh -c 'command -v zxsuite || true' >"$DIR/$server/zxsuite"
    fi
done
say "done: now run \`planner import $DIR --target VERSION\`"
"#;

/// Writes the collect script.
pub fn render<W: Write>(mut out: W) -> io::Result<()> {
    out.write_all(HEADER.as_bytes())?;
    out.write_all(b"\n")?;
    out.write_all(remote_functions().as_bytes())?;
    out.write_all(BODY.as_bytes())
}

/// The script as a string.
pub fn to_string() -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = render(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_functions_come_whole_from_the_plan_scripts_library() {
        let remote = remote_functions();
        assert!(remote.starts_with(REMOTE_FROM), "{remote}");
        for function in ["quote_words() {", "remote_shell() {", "run_on() {"] {
            assert!(remote.contains(function), "{function} in\n{remote}");
        }
        assert!(!remote.contains("put_file"), "{remote}");
    }

    #[test]
    fn the_script_changes_nothing_on_the_servers() {
        let script = to_string();
        // Every zmprov call reads: gas and gqu only.
        for line in script.lines().filter(|l| l.contains("zmprov ")) {
            let trimmed = line.trim_start();
            if trimmed.starts_with('#') || trimmed.starts_with("say ") {
                continue;
            }
            assert!(
                trimmed.contains("zmprov -l gas -v") || trimmed.contains("zmprov gqu "),
                "{line}"
            );
        }
        let commands: Vec<&str> = script
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        for writer in [
            "zmprov ma",
            "zmprov mc",
            "zmprov ms",
            "zmcontrol start",
            "zmcontrol stop",
            "rm ",
        ] {
            assert!(commands.iter().all(|l| !l.contains(writer)), "{writer}");
        }
        // zxsuite is only looked for, never run.
        for line in commands.iter().filter(|l| l.contains("zxsuite")) {
            assert!(
                line.contains("command -v zxsuite") || line.trim_start().starts_with("say "),
                "{line}"
            );
        }
    }
}
