//! The commands of each toolset (`policy.tools`), for the renderers that
//! name commands: the script runs them and the change-approval document
//! quotes them, both from here, so the two always agree.
//!
//! Each command comes with the source that documents it (listed with the
//! whole table in docs/platforms.md). Where no source was found the output
//! says "unconfirmed".

use planner_core::inventory::{Tools, Version};
use planner_core::plan::Plan;

/// Where a command's syntax comes from.
pub(crate) mod source {
    /// `zxsuite powerstore doMailboxMove`, `doPurgeMailboxes`, `getAllOperations`.
    pub const ZX_POWERSTORE: &str =
        "Zextras Suite CLI reference, zxsuite powerstore (docs.zextras.com)";
    /// `zxsuite backup doSmartScan`, `getAllOperations`.
    pub const ZX_BACKUP: &str = "Zextras Suite CLI reference, zxsuite backup (docs.zextras.com)";
    /// `carbonio --sync`, `powerstore mailboxMove`, `doPurgeMailboxes`, `backup doSmartScan`.
    pub const CARBONIO: &str = "Carbonio CLI reference, carbonio powerstore / backup, global option --sync (docs.zextras.com)";
    /// `zmmboxmove`, `zmpurgeoldmbox`, `zmbackup` (Network Edition).
    pub const ZIMBRA_NE: &str = "Zimbra NE admin guide (zmbackup) and the usage texts of zmmboxmove \
         and zmpurgeoldmbox; MoveMailbox and PurgeMovedMailbox in the Zimbra SOAP API reference";
}

/// How a move names what it moves.
pub(crate) enum Selection<'a> {
    /// The accounts listed in a file on the source store.
    File(&'a str),
    /// Whole domains, comma-separated.
    Domains(&'a str),
}

/// Which part of a move a command does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Stage 1: copy the data, no switch.
    Copy,
    /// Stage 2: copy what changed and switch.
    Switch,
    /// The whole move in one run.
    Whole,
}

/// One toolset's commands.
pub(crate) struct Toolset {
    /// Which one.
    pub tools: Tools,
    /// Its name in prose.
    pub name: &'static str,
    /// Whether its operations return once queued, so that the script waits
    /// for them by polling (Zextras); the others run synchronously.
    pub queued: bool,
}

const ZEXTRAS: Toolset = Toolset {
    tools: Tools::Zextras,
    name: "Zextras Suite",
    queued: true,
};
const ZIMBRA_NE: Toolset = Toolset {
    tools: Tools::ZimbraNe,
    name: "Zimbra Network Edition's own tools",
    queued: false,
};
const CARBONIO: Toolset = Toolset {
    tools: Tools::Carbonio,
    name: "Carbonio",
    queued: false,
};
const NONE: Toolset = Toolset {
    tools: Tools::None,
    name: "no move or backup tool",
    queued: false,
};

/// The stages of a Zextras move, written out: `data` means different things
/// in different Zextras documents.
pub(crate) const STAGE_COPY: &str = "blobs,backup";
pub(crate) const STAGE_SWITCH: &str = "blobs,backup,account";

impl Toolset {
    /// The toolset of a plan.
    pub fn of(plan: &Plan) -> &'static Toolset {
        Toolset::named(plan.tools)
    }

    /// The toolset of that name.
    pub fn named(tools: Tools) -> &'static Toolset {
        match tools {
            Tools::Zextras => &ZEXTRAS,
            Tools::ZimbraNe => &ZIMBRA_NE,
            Tools::Carbonio => &CARBONIO,
            Tools::None => &NONE,
        }
    }

    /// Whether it has stages, so that a copy runs ahead of its switch.
    pub fn staged(&self) -> bool {
        self.tools.has_stages()
    }

    /// A backup of the store the command runs on, as words; `None`: a
    /// manual backup (no tool).
    pub fn backup(&self, full: bool) -> Option<Vec<String>> {
        let words: &[&str] = match (self.tools, full) {
            (Tools::Zextras, false) => &["zxsuite", "backup", "doSmartScan", "start"],
            (Tools::Zextras, true) => {
                &["zxsuite", "backup", "doSmartScan", "start", "deep", "true"]
            }
            (Tools::Carbonio, false) => &["carbonio", "--sync", "backup", "doSmartScan", "start"],
            (Tools::Carbonio, true) => &[
                "carbonio",
                "--sync",
                "backup",
                "doSmartScan",
                "start",
                "deep",
                "true",
            ],
            // The store is named with -s; the script adds it.
            (Tools::ZimbraNe, false) => &["zmbackup", "-i", "--sync", "-s"],
            (Tools::ZimbraNe, true) => &["zmbackup", "-f", "-a", "all", "--sync", "-s"],
            (Tools::None, _) => return None,
        };
        Some(words.iter().map(|w| w.to_string()).collect())
    }

    /// What a backup does, in a sentence.
    pub fn backup_note(&self, full: bool) -> &'static str {
        match (self.tools, full) {
            (Tools::Zextras | Tools::Carbonio, true) => {
                "Full backup: Zextras Backup has no separate full-backup command, so this is a \
                 deep SmartScan (deep true) of every account on the store."
            }
            (Tools::Zextras | Tools::Carbonio, false) => {
                "Incremental backup: a SmartScan of the accounts changed since the last scan."
            }
            (Tools::ZimbraNe, true) => {
                "Full backup with the Network Edition backup (zmbackup -f). Zimbra deprecated \
                 this standard backup after 8.8.12; whether ZCS 10 still ships it is \
                 unconfirmed: where zmbackup is missing the script stops and asks for the \
                 backup by the means of that release."
            }
            (Tools::ZimbraNe, false) => {
                "Incremental backup with the Network Edition backup (zmbackup -i). Zimbra \
                 deprecated this standard backup after 8.8.12; whether ZCS 10 still ships it \
                 is unconfirmed: where zmbackup is missing the script stops and asks for the \
                 backup by the means of that release."
            }
            (Tools::None, _) => {
                "No backup tool (tools: none): the open-source edition has no built-in backup, \
                 so this is a manual step. Copying the files of a running store is not a safe \
                 backup: stop its services first, or use a tool that knows the store."
            }
        }
    }

    /// A move of a selection to `target`, run on the source store, as words
    /// already quoted by `q`; `None` for Zimbra's tools, which move one
    /// account per command ([`Toolset::move_account`]), and without a tool.
    pub fn move_words(
        &self,
        target: &str,
        selection: &Selection<'_>,
        stage: Stage,
        notify: Option<&str>,
        q: &dyn Fn(&str) -> String,
    ) -> Option<String> {
        let mut words = match self.tools {
            Tools::Zextras => format!("zxsuite powerstore doMailboxMove {}", q(target)),
            Tools::Carbonio => format!("carbonio --sync powerstore mailboxMove {}", q(target)),
            Tools::ZimbraNe | Tools::None => return None,
        };
        match selection {
            Selection::File(file) => words.push_str(&format!(" input_file {file}")),
            Selection::Domains(domains) => words.push_str(&format!(" domains {}", q(domains))),
        }
        if self.tools == Tools::Zextras {
            let stages = match stage {
                Stage::Copy => STAGE_COPY,
                Stage::Switch | Stage::Whole => STAGE_SWITCH,
            };
            words.push_str(&format!(" stages {stages}"));
        }
        if let Some(notify) = notify {
            words.push_str(&format!(" notifications {}", q(notify)));
        }
        Some(words)
    }

    /// Zimbra's move of one account, copy and switch in one synchronous run.
    pub fn move_account(account: &str, source: &str, target: &str) -> String {
        format!("zmmboxmove -a {account} --from {source} --to {target} --sync")
    }

    /// The purge of every moved mailbox's old copy on the store it runs on,
    /// as words; `None` for Zimbra's tools ([`Toolset::purge_account`]).
    pub fn purge_words(&self) -> Option<&'static str> {
        match self.tools {
            Tools::Zextras => Some("zxsuite powerstore doPurgeMailboxes all ignore_retention true"),
            Tools::Carbonio => {
                Some("carbonio --sync powerstore doPurgeMailboxes all ignore_retention true")
            }
            Tools::ZimbraNe | Tools::None => None,
        }
    }

    /// Zimbra's purge of one account's old copy on `server`.
    pub fn purge_account(account: &str, server: &str) -> String {
        format!("zmpurgeoldmbox -a {account} -s {server}")
    }

    /// Where its commands are documented.
    pub fn source(&self) -> &'static str {
        match self.tools {
            Tools::Zextras => source::ZX_POWERSTORE,
            Tools::ZimbraNe => source::ZIMBRA_NE,
            Tools::Carbonio => source::CARBONIO,
            Tools::None => "",
        }
    }
}

/// Whether a purge with Zimbra's `zmpurgeoldmbox` runs on a version a 2026
/// Zimbra advisory warns about: on 10.1.15 and 10.1.16 with external object
/// storage it deleted blobs.
pub(crate) fn purge_advisory(version: &str) -> bool {
    let v = Version::new(version);
    v.at_least("10.1.15") && !v.at_least("10.1.17")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zextras_moves_write_their_stages_out() {
        let q = |s: &str| format!("'{s}'");
        let t = Toolset::named(Tools::Zextras);
        assert_eq!(
            t.move_words("b", &Selection::File("\"$list\""), Stage::Copy, None, &q)
                .as_deref(),
            Some("zxsuite powerstore doMailboxMove 'b' input_file \"$list\" stages blobs,backup")
        );
        assert_eq!(
            t.move_words(
                "b",
                &Selection::Domains("x.org,y.org"),
                Stage::Switch,
                Some("n@x.org"),
                &q
            )
            .as_deref(),
            Some(
                "zxsuite powerstore doMailboxMove 'b' domains 'x.org,y.org' stages blobs,backup,account notifications 'n@x.org'"
            )
        );
        assert!(
            Toolset::named(Tools::ZimbraNe)
                .move_words("b", &Selection::File("f"), Stage::Whole, None, &q)
                .is_none()
        );
    }

    #[test]
    fn the_purge_advisory_names_two_releases() {
        assert!(purge_advisory("10.1.15"));
        assert!(purge_advisory("10.1.16_GA_4800"));
        assert!(!purge_advisory("10.1.1"));
        assert!(!purge_advisory("10.1.150"));
        assert!(!purge_advisory("10.1.5"));
    }
}
