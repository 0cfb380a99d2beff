//! What differs between a Zimbra and a Carbonio installation whatever the
//! toolset: the mail user, where its helper programs live, and how the
//! product is upgraded on one server. The toolset's commands (backups,
//! moves, purges) are in `toolset`.
//!
//! The script runs these commands and the change-approval document quotes
//! them; both read them from here, so the two always agree.

use planner_core::plan::Plan;

/// The conventions of one installation's product.
pub(crate) struct Flavour {
    /// Whether it is Carbonio.
    pub carbonio: bool,
    /// The user every command runs as on the servers.
    pub user: &'static str,
    /// The product's home directory.
    pub home: &'static str,
    /// Where `zmreplchk`, `zmslapcat` and `zmproxypurge` live (not on that
    /// user's `PATH`).
    pub libexec: &'static str,
    /// Where the MTA's `postqueue` lives (not on that user's `PATH` either).
    /// Unconfirmed by the product documentation: the script says so.
    pub sbin: &'static str,
    /// How the product is upgraded on one server, for the installer pause.
    pub installer: &'static str,
    /// What the installer touches, where a source says so.
    pub installer_note: Option<&'static str>,
}

const ZIMBRA: Flavour = Flavour {
    carbonio: false,
    user: "zimbra",
    home: "/opt/zimbra",
    libexec: "/opt/zimbra/libexec",
    sbin: "/opt/zimbra/common/sbin",
    installer: "run the Zimbra Collaboration installer (install.sh from the release archive) there as root, inside screen",
    installer_note: Some("The installer stops and restarts only that server."),
};

const CARBONIO: Flavour = Flavour {
    carbonio: true,
    user: "zextras",
    home: "/opt/zextras",
    libexec: "/opt/zextras/libexec",
    // Unconfirmed: Carbonio's own layout is assumed to mirror Zimbra's.
    sbin: "/opt/zextras/common/sbin",
    installer: "upgrade the Carbonio packages there as Carbonio's upgrade procedure says",
    installer_note: None,
};

impl Flavour {
    /// The flavour of the plan's profile: Carbonio for `carbonio`, Zimbra
    /// for anything else.
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
