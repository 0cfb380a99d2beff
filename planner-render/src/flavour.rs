//! What differs between a Zimbra and a Carbonio installation, for the
//! renderers that name commands: the mail user, the tools, whether mailbox
//! moves have stages, and how the product is upgraded on one server.
//!
//! The script runs these commands and the change-approval document quotes
//! them; both read them from here, so the two always agree.

use planner_core::plan::Plan;

/// The commands and conventions of one installation's product.
pub(crate) struct Flavour {
    /// The user every command runs as on the servers.
    pub user: &'static str,
    /// Where `zmreplchk` lives (not on that user's `PATH`).
    pub libexec: &'static str,
    /// Where the MTA's `postqueue` lives (not on that user's `PATH` either).
    /// Unconfirmed by the product documentation: the script says so.
    pub sbin: &'static str,
    /// The Zextras command-line tool.
    pub tool: &'static str,
    /// The mailbox move command, without its arguments.
    pub mover: &'static str,
    /// The command that deletes every moved mailbox's old copy on the store
    /// it runs on, retention period or not (Zextras/Carbonio CLI reference,
    /// `doPurgeMailboxes all ignore_retention true`).
    pub purger: &'static str,
    /// Whether moves have stages (`zxsuite powerstore doMailboxMove`) or not
    /// (`carbonio powerstore mailboxMove`).
    pub staged_moves: bool,
    /// How the product is upgraded on one server, for the installer pause.
    pub installer: &'static str,
    /// What the installer touches, where a source says so.
    pub installer_note: Option<&'static str>,
}

const ZIMBRA: Flavour = Flavour {
    user: "zimbra",
    libexec: "/opt/zimbra/libexec",
    sbin: "/opt/zimbra/common/sbin",
    tool: "zxsuite",
    mover: "zxsuite powerstore doMailboxMove",
    purger: "zxsuite powerstore doPurgeMailboxes all ignore_retention true",
    staged_moves: true,
    installer: "run the Zimbra Collaboration installer (install.sh from the release archive) there as root",
    installer_note: Some("The installer stops and restarts only that server."),
};

const CARBONIO: Flavour = Flavour {
    user: "zextras",
    libexec: "/opt/zextras/libexec",
    // Unconfirmed: Carbonio's own layout is assumed to mirror Zimbra's.
    sbin: "/opt/zextras/common/sbin",
    tool: "carbonio",
    mover: "carbonio powerstore mailboxMove",
    purger: "carbonio powerstore doPurgeMailboxes all ignore_retention true",
    staged_moves: false,
    installer: "upgrade the Carbonio packages there as Carbonio's upgrade procedure says",
    installer_note: None,
};

impl Flavour {
    /// The flavour of the plan's profile: Carbonio for `carbonio`, Zimbra
    /// with Zextras for anything else.
    pub fn of(plan: &Plan) -> &'static Flavour {
        if Flavour::is_carbonio(plan) {
            &CARBONIO
        } else {
            &ZIMBRA
        }
    }

    /// Whether the plan is for Carbonio.
    pub fn is_carbonio(plan: &Plan) -> bool {
        plan.profile == "carbonio"
    }
}
