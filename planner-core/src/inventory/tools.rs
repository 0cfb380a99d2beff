//! Toolsets: which product's commands move, back up and purge mailboxes,
//! and the versions each one runs on.
//!
//! One toolset serves a whole plan (`policy.tools`). The facts behind each
//! answer here are sourced in the project's docs/platforms.md:
//! - `zextras`: Zextras Suite lists ZCS 8.8.15 and 9.0 as its platforms, and
//!   ZCS 10 removed the NG code licensed from Zextras;
//! - `zimbra-ne`: Zimbra Network Edition's own tools (`zmmboxmove`,
//!   `zmpurgeoldmbox`, `zmbackup`), 8.8 to 10.x;
//! - `carbonio`: the `carbonio` command of a Carbonio installation;
//! - `none`: no move or backup tool (open-source ZCS without Zextras).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::profile::ProfileName;
use super::version::Version;

/// The commands a plan's backups, moves and purges use.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tools {
    /// Zextras Suite (`zxsuite`) on ZCS 8.8.15 or 9.0.
    Zextras,
    /// Zimbra Network Edition's own tools, 8.8 to 10.x.
    ZimbraNe,
    /// Carbonio's `carbonio` command.
    Carbonio,
    /// No move or backup tool: stores are upgraded in place, backups are
    /// manual.
    None,
}

impl Tools {
    /// Every toolset, in the order alternatives are suggested.
    pub const ALL: [Tools; 4] = [
        Tools::Zextras,
        Tools::ZimbraNe,
        Tools::Carbonio,
        Tools::None,
    ];

    /// The name as written in an inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            Tools::Zextras => "zextras",
            Tools::ZimbraNe => "zimbra-ne",
            Tools::Carbonio => "carbonio",
            Tools::None => "none",
        }
    }

    /// The default for a profile and target: `carbonio` for the Carbonio
    /// profile, else `zextras` below version 10 and `zimbra-ne` from 10 on.
    pub fn default_for(profile: &ProfileName, target: &Version) -> Tools {
        if *profile == ProfileName::Carbonio {
            Tools::Carbonio
        } else if target.at_least("10") {
            Tools::ZimbraNe
        } else {
            Tools::Zextras
        }
    }

    /// Whether its moves have stages, so that a copy can run ahead of its
    /// switch (only Zextras' `doMailboxMove stages`).
    pub fn has_stages(self) -> bool {
        self == Tools::Zextras
    }

    /// Whether it moves mailboxes at all.
    pub fn moves(self) -> bool {
        self != Tools::None
    }

    /// Whether it serves a profile: Carbonio's commands only a Carbonio
    /// installation, Zimbra's only a Zimbra one.
    pub fn serves(self, profile: &ProfileName) -> bool {
        match self {
            Tools::Carbonio => *profile == ProfileName::Carbonio,
            Tools::Zextras | Tools::ZimbraNe => *profile != ProfileName::Carbonio,
            Tools::None => true,
        }
    }

    /// Whether its commands run on a server at `version` (for the profiles
    /// it serves).
    pub fn runs_on(self, version: &Version) -> bool {
        match self {
            Tools::Zextras => version.at_least("8.8.15") && !version.at_least("10"),
            Tools::ZimbraNe => version.at_least("8.8") && !version.at_least("11"),
            Tools::Carbonio | Tools::None => true,
        }
    }

    /// The versions it runs on, in words, for refusals.
    pub fn platforms(self) -> &'static str {
        match self {
            Tools::Zextras => {
                "Zextras Suite supports ZCS 8.8.15 and 9.0 only (ZCS 10 removed the NG code)"
            }
            Tools::ZimbraNe => "Zimbra Network Edition's own tools cover 8.8 to 10.x",
            Tools::Carbonio => "Carbonio's commands serve Carbonio installations",
            Tools::None => "no tool is used",
        }
    }
}

impl fmt::Display for Tools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_toolset_runs_on_its_versions() {
        let v = |s: &str| Version::new(s);
        assert!(Tools::Zextras.runs_on(&v("9.0.0_P40")));
        assert!(Tools::Zextras.runs_on(&v("8.8.15_GA_4200")));
        assert!(!Tools::Zextras.runs_on(&v("8.8.12")));
        assert!(!Tools::Zextras.runs_on(&v("10.1.5")));
        assert!(!Tools::Zextras.runs_on(&v("10.0.0_GA")));
        assert!(Tools::ZimbraNe.runs_on(&v("8.8.15")));
        assert!(Tools::ZimbraNe.runs_on(&v("10.1.15")));
        assert!(!Tools::ZimbraNe.runs_on(&v("8.7.11")));
        assert!(!Tools::ZimbraNe.runs_on(&v("11.0.0")));
    }

    #[test]
    fn the_default_follows_the_profile_and_the_target() {
        let zimbra = ProfileName::Zimbra;
        assert_eq!(
            Tools::default_for(&zimbra, &Version::new("9.0.0_P41")),
            Tools::Zextras
        );
        assert_eq!(
            Tools::default_for(&zimbra, &Version::new("10.1.5")),
            Tools::ZimbraNe
        );
        assert_eq!(
            Tools::default_for(&ProfileName::Carbonio, &Version::new("24.9.0")),
            Tools::Carbonio
        );
    }
}
