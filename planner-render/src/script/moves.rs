//! Mailbox moves: the account list written to a file on the source store
//! from a quoted here-document, then the move command that reads it.
//!
//! Account lists never pass through a command line, so no account name is
//! ever read by a shell; a name with a line break, which cannot be written
//! one to a line, stops the step instead of moving other names.

use std::io::{self, Write};

use planner_core::inventory::{Bytes, Tools};
use planner_core::plan::{Step, StepKind, Wave};

use super::shell::{BODY, comment, file_name, one_line, sh_quote};
use super::steps::Context;
use crate::toolset::{Selection, Stage};
use crate::units::{duration, plural};

/// The here-document delimiter of account lists (made longer if a line of the
/// list happens to equal it).
const DELIMITER: &str = "ACCOUNTS";

/// Writes a move step's block: what it does, then its command.
pub(super) fn render_move(
    out: &mut dyn Write,
    cx: &Context,
    wave: &Wave,
    step: &Step,
) -> io::Result<()> {
    let toolset = cx.toolset;
    let stage = stage(cx, step);
    comment(out, BODY, "  ", &what(cx, step, stage))?;
    let domains = step.domains.as_deref().unwrap_or(&[]);
    domains_comment(out, toolset.tools, domains)?;
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    let done = || format!("{BODY}done_step {}", sh_quote(&step.id));
    if !toolset.staged() && step.kind == StepKind::MoveData {
        say(out, "Nothing to run: the accounts move at their switch.")?;
        return writeln!(out, "{}", done());
    }
    if accounts.is_empty() {
        say(out, "Nothing to run: the step lists no account.")?;
        return writeln!(out, "{}", done());
    }
    if accounts.iter().any(|a| a.contains(['\n', '\r', '\0'])) {
        // One account a line: a name with a line break cannot be written to
        // the list, so the step refuses to run rather than move other names.
        return writeln!(
            out,
            "{BODY}fail {}",
            sh_quote(&format!(
                "step {}: an account name contains a line break; it cannot be written to \
                 an account list",
                one_line(&step.id)
            ))
        );
    }
    let source = step.source.as_deref().unwrap_or("");
    let target = step.target.as_deref().unwrap_or("");
    account_list(out, wave, &step.id, source, accounts)?;
    let switches = step.kind == StepKind::MoveSwitch;
    match toolset.tools {
        Tools::Zextras | Tools::Carbonio => {
            comment(out, BODY, "  source: ", toolset.source())?;
            let joined = domains.join(",");
            let selection = if domains.is_empty() {
                Selection::File("\"$list\"")
            } else {
                Selection::Domains(&joined)
            };
            let words = toolset
                .move_words(
                    target,
                    &selection,
                    stage,
                    cx.plan.policy.notify.as_deref(),
                    &sh_quote,
                )
                .unwrap_or_default();
            if toolset.queued {
                // Waited for, then journaled and its routes purged, at the
                // end of the wave.
                return writeln!(out, "{BODY}zx_start {} {words}", sh_quote(source));
            }
            writeln!(out, "{BODY}run_on {} {words}", sh_quote(source))?;
        }
        Tools::ZimbraNe => {
            comment(out, BODY, "  source: ", crate::toolset::source::ZIMBRA_NE)?;
            writeln!(
                out,
                "{BODY}ne_move {} {} \"$list\"",
                sh_quote(source),
                sh_quote(target)
            )?;
        }
        Tools::None => {
            return writeln!(
                out,
                "{BODY}fail {}",
                sh_quote("tools: none has no move command: this plan was not made for it")
            );
        }
    }
    if switches && cx.proxies {
        writeln!(out, "{BODY}proxy_purge {} \"$list\"", sh_quote(source))?;
    }
    writeln!(out, "{}", done())
}

/// What moving whole domains means with the toolset.
fn domains_comment(out: &mut dyn Write, tools: Tools, domains: &[String]) -> io::Result<()> {
    if domains.is_empty() {
        return Ok(());
    }
    comment(
        out,
        BODY,
        "  ",
        &format!(
            "Whole domain{}: {}.{}",
            plural(domains.len() as u64),
            domains.join(", "),
            if tools == Tools::ZimbraNe {
                " zmmboxmove has no domain form: the accounts are moved one by one, so an \
                 account created in these domains meanwhile stays behind (the empty-store \
                 check before the upgrade finds it)."
            } else {
                " The move names the domains, so accounts created in them meanwhile move too."
            }
        ),
    )
}

/// Which part of the move the step's command does.
fn stage(cx: &Context, step: &Step) -> Stage {
    if step.kind == StepKind::MoveData {
        Stage::Copy
    } else if cx.toolset.staged() && cx.plan.policy.two_stage_moves {
        Stage::Switch
    } else {
        Stage::Whole
    }
}

/// What the move does, in a sentence for its comment.
fn what(cx: &Context, step: &Step, stage: Stage) -> String {
    let source = step.source.as_deref().unwrap_or("");
    let target = step.target.as_deref().unwrap_or("");
    let accounts = step.accounts.as_deref().unwrap_or(&[]);
    let size = Bytes(step.bytes.unwrap_or(0));
    let count = format!(
        "{} account{} ({size})",
        accounts.len(),
        plural(accounts.len() as u64)
    );
    let unavailable = step
        .unavailable_per_account_s
        .map_or(String::new(), |s| format!(" (about {})", duration(s)));
    match stage {
        Stage::Copy if !cx.toolset.staged() => format!(
            "{} has no stages, so there is nothing to copy ahead: the {count} move in one go \
             at their switch.",
            cx.toolset.name
        ),
        Stage::Copy => format!(
            "Stage 1 (stages blobs,backup): copy the data of {count} from {source} to \
             {target}; the accounts stay active on {source}."
        ),
        Stage::Switch => format!(
            "Stage 2 (stages blobs,backup,account): copy what changed since stage 1 and \
             switch the {count} to {target}; each account is unavailable to its user during \
             its switch{unavailable}."
        ),
        Stage::Whole => format!(
            "The whole move at once: copy {count} to {target} and switch them; each account \
             is unavailable to its user during its switch{unavailable}."
        ),
    }
}

/// A step with nothing to run says so.
fn say(out: &mut dyn Write, text: &str) -> io::Result<()> {
    writeln!(out, "{BODY}printf '    %s\\n' {}", sh_quote(text))
}

/// The name of the list file of step `id` in `wave`, under `$WORKDIR`.
pub(super) fn list_file(wave: &Wave, id: &str) -> String {
    format!("w{:02}-{}.txt", wave.index, file_name(id))
}

/// A list, one line per entry, written to a file on `host` from a quoted
/// here-document; the file's path is left in `$list`.
pub(super) fn account_list(
    out: &mut dyn Write,
    wave: &Wave,
    id: &str,
    host: &str,
    lines: &[String],
) -> io::Result<()> {
    writeln!(
        out,
        "{BODY}list=\"$WORKDIR\"/{}",
        sh_quote(&list_file(wave, id))
    )?;
    let mut delimiter = DELIMITER.to_string();
    while lines.contains(&delimiter) {
        delimiter.push('_');
    }
    writeln!(
        out,
        "{BODY}put_file {} \"$list\" <<'{delimiter}'",
        sh_quote(host)
    )?;
    for line in lines {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{delimiter}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, written};
    use planner_core::plan::Plan;

    fn block(plan: &Plan, id: &str) -> String {
        let cx = Context::of(plan);
        let wave = &plan.waves[1];
        let step = wave.steps.iter().find(|s| s.id == id).expect("the step");
        written(|out| render_move(out, &cx, wave, step))
    }

    const SWITCH: &str = "move-switch:mbx1.example.com>mbx2.example.com";

    #[test]
    fn zimbra_moves_each_account_with_zmmboxmove() {
        assert_eq!(
            block(&testing::plan(), SWITCH),
            "        #   The whole move at once: copy 1 account (1 GiB) to mbx2.example.com and switch them; each
        #   account is unavailable to its user during its switch.
        list=\"$WORKDIR\"/'w02-move-switch-mbx1.example.com-mbx2.example.com.txt'
        put_file 'mbx1.example.com' \"$list\" <<'ACCOUNTS'
alice@example.com
ACCOUNTS
        #   source: Zimbra NE admin guide (zmbackup) and the usage texts of zmmboxmove and
        #           zmpurgeoldmbox; MoveMailbox and PurgeMovedMailbox in the Zimbra SOAP API
        #           reference
        ne_move 'mbx1.example.com' 'mbx2.example.com' \"$list\"
        done_step 'move-switch:mbx1.example.com>mbx2.example.com'
"
        );
    }

    #[test]
    fn zextras_moves_are_queued_and_name_their_stages() {
        let mut plan = testing::plan();
        plan.tools = Tools::Zextras;
        plan.policy.two_stage_moves = true;
        plan.policy.notify = Some("o'hara@example.com".to_string());
        let text = block(&plan, SWITCH);
        assert!(
            text.ends_with(
                "        zx_start 'mbx1.example.com' zxsuite powerstore doMailboxMove 'mbx2.example.com' input_file \"$list\" stages blobs,backup,account notifications 'o'\\''hara@example.com'\n"
            ),
            "{text}"
        );
        testing::step(&mut plan, SWITCH).domains = Some(vec!["example.com".into()]);
        assert!(
            block(&plan, SWITCH)
                .contains(" doMailboxMove 'mbx2.example.com' domains 'example.com' stages ")
        );
    }

    #[test]
    fn carbonio_moves_wait_and_hostile_names_do_not_run() {
        let mut plan = testing::carbonio();
        plan.policy.notify = Some("o'hara@example.com".to_string());
        let text = block(&plan, SWITCH);
        assert!(text.contains(
            "        run_on 'mbx1.example.com' carbonio --sync powerstore mailboxMove 'mbx2.example.com' input_file \"$list\" notifications 'o'\\''hara@example.com'\n        done_step"
        ), "{text}");
        testing::step(&mut plan, SWITCH).accounts = Some(vec!["ACCOUNTS".into(), "x\ny".into()]);
        assert!(block(&plan, SWITCH).ends_with(
            "an account name contains a line break; it cannot be written to an account list'\n"
        ));
    }
}
