//! The script's preamble: strict shell settings, the few variables the plan
//! sets, the function library every script shares (`lib.sh`), and the
//! argument parsing that picks the starting wave.

use std::io::{self, Write};

use planner_core::plan::Plan;

use super::shell::{digest_prefix, sh_quote};
use crate::flavour::Flavour;

/// The helper functions, the same in every script: `remote_shell` and the
/// quoting it does, `manual`, `check_empty`, `wave`, `step` and the exit
/// trap. A shell file of its own, so that it can be read and checked as shell.
const LIBRARY: &str = include_str!("lib.sh");

/// Writes the shell settings and the variables the plan sets.
fn variables(
    out: &mut dyn Write,
    plan: &Plan,
    flavour: &Flavour,
    replchk_host: Option<&str>,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "set -eu")?;
    writeln!(
        out,
        "set -f  # no file name expansion: nothing in this script is a pattern"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "MAIL_USER={}  # every command runs as this user on the servers",
        sh_quote(flavour.user)
    )?;
    writeln!(
        out,
        "LIBEXEC={}  # where zmreplchk lives",
        sh_quote(flavour.libexec)
    )?;
    writeln!(
        out,
        "SBIN={}  # where the MTA's postqueue lives (unconfirmed by the product docs: check it)",
        sh_quote(flavour.sbin)
    )?;
    writeln!(
        out,
        "PLATFORM={}  # zimbra or carbonio: how services are checked",
        if flavour.carbonio {
            "carbonio"
        } else {
            "zimbra"
        }
    )?;
    writeln!(out, "TOTAL_WAVES={}", plan.waves.len())?;
    let digest = digest_prefix(&plan.inventory_digest);
    writeln!(
        out,
        "JOURNAL=${{PLANNER_JOURNAL:-$(dirname -- \"$0\")/upgrade.journal}}  # one line per step started, done or failed"
    )?;

    writeln!(
        out,
        "REPLCHK_HOST=${{PLANNER_REPLCHK_HOST:-{}}}  # zmreplchk runs here: its ldap_url lists the replicas and the master",
        sh_quote(replchk_host.unwrap_or(""))
    )?;
    writeln!(
        out,
        "DUMPDIR=${{PLANNER_DUMPDIR:-{}}}  # directory dumps before directory installs",
        sh_quote(&format!("{}/backup/planner-ldap-{digest}", flavour.home))
    )?;
    writeln!(
        out,
        "WORKDIR=${{PLANNER_WORKDIR:-{}}}",
        sh_quote(&format!(
            "/tmp/planner-{}",
            digest_prefix(&plan.inventory_digest)
        ))
    )?;
    Ok(())
}

/// Writes the settings, the function library and the argument parsing.
pub(super) fn preamble(
    out: &mut dyn Write,
    plan: &Plan,
    flavour: &Flavour,
    replchk_host: Option<&str>,
) -> io::Result<()> {
    variables(out, plan, flavour, replchk_host)?;
    writeln!(out)?;
    out.write_all(LIBRARY.as_bytes())?;
    writeln!(out)?;
    writeln!(
        out,
        "WAIT_TIMEOUT=$(seconds \"${{PLANNER_WAIT_TIMEOUT:-24h}}\") ||\n    fail \"PLANNER_WAIT_TIMEOUT must be a duration such as 3600, 90m or 24h, not '$PLANNER_WAIT_TIMEOUT'\""
    )?;
    writeln!(
        out,
        "POLL_INTERVAL=$(seconds \"${{PLANNER_POLL_INTERVAL:-60}}\") ||\n    fail \"PLANNER_POLL_INTERVAL must be a number of seconds, not '$PLANNER_POLL_INTERVAL'\""
    )?;
    let total = plan.waves.len();
    write!(
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
    )?;
    if total > 0 {
        out.write_all(
            b"if [ \"$FROM_WAVE\" -lt 1 ] || [ \"$FROM_WAVE\" -gt \"$TOTAL_WAVES\" ]; then
    fail \"the starting wave must be a number from 1 to $TOTAL_WAVES, not $FROM_WAVE\"
fi
",
        )?;
        writeln!(
            out,
            "printf 'Rolling upgrade to %s: %s waves, starting at wave %s.\\n' {} \"$TOTAL_WAVES\" \"$FROM_WAVE\"",
            sh_quote(&plan.target_version)
        )?;
    }
    Ok(())
}
