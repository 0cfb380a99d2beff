//! Mailbox moves: the account list written to a file on the source store
//! from a quoted here-document, then the move command that reads it.
//!
//! Account lists never pass through a command line, so no account name is
//! ever read by a shell; a name with a line break, which cannot be written
//! one to a line, stops the step instead of moving other names.

use std::io::{self, Write};

use planner_core::inventory::Bytes;
use planner_core::plan::{Plan, Step, StepKind, Wave};

use super::shell::{IN, comment, file_name, one_line, sh_quote};
use crate::flavour::Flavour;
use crate::units::{duration, plural};

/// The here-document delimiter of account lists (made longer if a line of the
/// list happens to equal it).
const DELIMITER: &str = "ACCOUNTS";

/// Writes a move step's block: what it does, then its command.
pub(super) fn render_move(
    out: &mut dyn Write,
    plan: &Plan,
    flavour: &Flavour,
    wave: &Wave,
    step: &Step,
) -> io::Result<()> {
    comment(out, IN, "  ", &what(plan, flavour, step))?;
    let domains = step.domains.as_deref().unwrap_or(&[]);
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
        )?;
    }
    writeln!(out, "{IN}step {}", sh_quote(&step.id))?;
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    if !flavour.staged_moves && step.kind == StepKind::MoveData {
        return say(out, "Nothing to run: the accounts move at their switch.");
    }
    if accounts.is_empty() {
        return say(out, "Nothing to run: the step lists no account.");
    }
    if accounts.iter().any(|a| a.contains(['\n', '\r', '\0'])) {
        // One account a line: a name with a line break cannot be written to
        // the list, so the step refuses to run rather than move other names.
        return writeln!(
            out,
            "{IN}fail {}",
            sh_quote(&format!(
                "step {}: an account name contains a line break; it cannot be written to \
                 an account list",
                one_line(&step.id)
            ))
        );
    }
    account_list(out, wave, step, accounts)?;
    writeln!(out, "{}", command(plan, flavour, step))
}

/// What the move does, in a sentence for its comment.
fn what(plan: &Plan, flavour: &Flavour, step: &Step) -> String {
    let source = step.source.as_deref().unwrap_or("");
    let target = step.target.as_deref().unwrap_or("");
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    let size = Bytes(step.bytes.unwrap_or(0));
    let count = format!(
        "{} account{} ({size})",
        accounts.len(),
        plural(accounts.len() as u64)
    );
    let stage1 = step.kind == StepKind::MoveData;
    let unavailable = step
        .unavailable_per_account_s
        .map_or(String::new(), |s| format!(" (about {})", duration(s)));
    if !flavour.staged_moves && stage1 {
        format!(
            "Carbonio's mailboxMove has no stages, so there is nothing to copy ahead: the \
             {count} move in one go at their switch."
        )
    } else if stage1 {
        format!(
            "Stage 1 (stages data): copy the data of {count} from {source} to {target}; \
             the accounts stay active on {source}."
        )
    } else if staged(plan, flavour) {
        format!(
            "Stage 2 (stages data,account): copy what changed since stage 1 and switch the \
             {count} to {target}; each account is unavailable to its user during its switch\
             {unavailable}."
        )
    } else {
        format!(
            "The whole move at once: copy {count} to {target} and switch them; each account \
             is unavailable to its user during its switch{unavailable}."
        )
    }
}

/// Whether moves run in two stages: the product has them and the policy asks.
fn staged(plan: &Plan, flavour: &Flavour) -> bool {
    flavour.staged_moves && plan.policy.two_stage_moves
}

/// A step with nothing to run says so.
fn say(out: &mut dyn Write, text: &str) -> io::Result<()> {
    writeln!(out, "{IN}printf '    %s\\n' {}", sh_quote(text))
}

/// The account list, written to a file on the source store from a quoted
/// here-document.
fn account_list(
    out: &mut dyn Write,
    wave: &Wave,
    step: &Step,
    accounts: &[String],
) -> io::Result<()> {
    let file = format!("w{:02}-{}.txt", wave.index, file_name(&step.id));
    writeln!(out, "{IN}list=\"$WORKDIR\"/{}", sh_quote(&file))?;
    let mut delimiter = DELIMITER.to_string();
    while accounts.contains(&delimiter) {
        delimiter.push('_');
    }
    writeln!(
        out,
        "{IN}put_file {} \"$list\" <<'{delimiter}'",
        sh_quote(step.source.as_deref().unwrap_or(""))
    )?;
    for account in accounts {
        writeln!(out, "{account}")?;
    }
    writeln!(out, "{delimiter}")
}

/// The move command, run on the source store, reading the account list.
fn command(plan: &Plan, flavour: &Flavour, step: &Step) -> String {
    let mut command = format!(
        "{IN}run_on {} {} {} input_file \"$list\"",
        sh_quote(step.source.as_deref().unwrap_or("")),
        flavour.mover,
        sh_quote(step.target.as_deref().unwrap_or(""))
    );
    if staged(plan, flavour) {
        command.push_str(if step.kind == StepKind::MoveData {
            " stages data"
        } else {
            " stages data,account"
        });
    }
    if let Some(notify) = plan.policy.notify.as_deref() {
        command.push_str(&format!(" notifications {}", sh_quote(notify)));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, written};

    fn block(plan: &Plan, id: &str) -> String {
        let wave = &plan.waves[1];
        let step = wave.steps.iter().find(|s| s.id == id).expect("the step");
        written(|out| render_move(out, plan, Flavour::of(plan), wave, step))
    }

    #[test]
    fn a_whole_move_writes_the_list_then_moves() {
        assert_eq!(
            block(&testing::plan(), "move-switch:mbx1.example.com>mbx2.example.com"),
            "    #   The whole move at once: copy 1 account (1 GiB) to mbx2.example.com and switch them; each
    #   account is unavailable to its user during its switch.
    step 'move-switch:mbx1.example.com>mbx2.example.com'
    list=\"$WORKDIR\"/'w02-move-switch-mbx1.example.com-mbx2.example.com.txt'
    put_file 'mbx1.example.com' \"$list\" <<'ACCOUNTS'
alice@example.com
ACCOUNTS
    run_on 'mbx1.example.com' zxsuite powerstore doMailboxMove 'mbx2.example.com' input_file \"$list\"
"
        );
    }

    #[test]
    fn carbonio_moves_have_no_stages_and_hostile_names_do_not_run() {
        let mut plan = testing::carbonio();
        plan.policy.two_stage_moves = true;
        plan.policy.notify = Some("o'hara@example.com".to_string());
        let id = "move-switch:mbx1.example.com>mbx2.example.com";
        let text = block(&plan, id);
        assert!(text.ends_with(
            "carbonio powerstore mailboxMove 'mbx2.example.com' input_file \"$list\" notifications 'o'\\''hara@example.com'\n"
        ), "{text}");
        testing::step(&mut plan, id).accounts = Some(vec!["ACCOUNTS".into(), "x\ny".into()]);
        assert!(block(&plan, id).ends_with(
            "an account name contains a line break; it cannot be written to an account list'\n"
        ));
    }
}
