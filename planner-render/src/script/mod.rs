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

//!
//! The modules follow the script from top to bottom: `header` (comments),
//! `preamble` (settings, the function library `lib.sh`, arguments), `wave`
//! (one block per wave), `steps` and `moves` (one block per step); `shell`
//! holds the quoting every one of them uses.

use std::io::{self, Write};

use planner_core::plan::Plan;

mod header;
mod moves;
mod preamble;
mod shell;
mod steps;
mod wave;

pub use shell::{one_line, sh_quote};

/// Writes the plan as a shell script.
pub fn render<W: io::Write>(plan: &Plan, out: &mut W) -> io::Result<()> {
    let cx = steps::Context::of(plan);
    header::header(out, plan, cx.flavour)?;
    preamble::preamble(out, plan, cx.flavour, cx.replchk_host)?;
    for wave in &plan.waves {
        wave::render_wave(out, &cx, wave)?;
    }
    footer(out, plan)
}

/// The plan as a shell script, as a `String`.
pub fn to_string(plan: &Plan) -> String {
    crate::to_string(plan, render)
}

/// The last lines: what to do once every wave has run.
fn footer(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    writeln!(out)?;
    if plan.waves.is_empty() {
        return writeln!(
            out,
            "printf '%s\\n' {}",
            sh_quote(&format!(
                "Nothing to do: every server already runs {}.",
                plan.target_version
            ))
        );
    }
    writeln!(out, "CURRENT_WAVE=0")?;
    writeln!(
        out,
        "printf '\\nDone: waves %s to %s of the plan have run.\\n' \"$FROM_WAVE\" \"$TOTAL_WAVES\""
    )?;
    writeln!(
        out,
        "printf '%s\\n' {}",
        sh_quote(&format!(
            "Every server should now run {}. Update the inventory and plan again: the new \
             plan should have nothing left to do.",
            plan.target_version
        ))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, written};

    #[test]
    fn the_script_starts_as_a_script_and_ends_with_what_to_do_next() {
        let text = to_string(&testing::plan());
        assert!(
            text.starts_with("#!/bin/sh\n# Rolling upgrade to 10.1.5 (profile zimbra): 2 servers")
        );
        assert!(text.contains("\nif wave 3 ''; then\n"));
        assert!(text.ends_with(
            "Update the inventory and plan again: the new plan should have nothing left to do.'\n"
        ));
    }

    #[test]
    fn a_plan_with_nothing_to_do_says_so() {
        let mut plan = testing::plan();
        plan.waves.clear();
        assert_eq!(
            written(|out| footer(out, &plan)),
            "\nprintf '%s\\n' 'Nothing to do: every server already runs 10.1.5.'\n"
        );
    }
}
