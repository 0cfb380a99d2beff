//! The decisions a plan records, as types: why an upgrade waits for another
//! server ([`WaitRule`]) and why a store was or was not chosen as a move
//! target ([`Verdict`]).
//!
//! The engine decides with these values and never with their text; the
//! sentences are made here, by `Display`, and are exactly what the JSON plan
//! carries. Reading a plan parses the sentences back; a sentence this version
//! does not know (a plan from a newer planner, or edited by hand) is kept as
//! written, so every plan that was readable before stays readable and
//! serializes back unchanged.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::inventory::{Fraction, Version};

/// Why an upgrade waits for another server's upgrade: one edge of the order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitRule {
    /// The profile orders the earlier server's tier before the later's:
    /// `zimbra order: mta before mailstore`.
    Order {
        /// The profile's name.
        profile: String,
        /// The earlier tier's role.
        before: String,
        /// The later tier's role.
        after: String,
    },
    /// An auxiliary role waits for a role it names in `after`:
    /// `role logger waits for ldap-master`.
    After {
        /// The auxiliary role.
        role: String,
        /// The role it waits for.
        waits_for: String,
    },
    /// The inventory's `depends_on`.
    DependsOn,
    /// A rule this version does not know, as written in the plan it was
    /// read from; the engine never produces it.
    Unrecognized(String),
}

impl fmt::Display for WaitRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitRule::Order {
                profile,
                before,
                after,
            } => write!(f, "{profile} order: {before} before {after}"),
            WaitRule::After { role, waits_for } => write!(f, "role {role} waits for {waits_for}"),
            WaitRule::DependsOn => f.write_str("depends_on"),
            WaitRule::Unrecognized(text) => f.write_str(text),
        }
    }
}

impl WaitRule {
    /// Reads a rule back from its sentence; a sentence that does not read
    /// back to itself is kept as [`WaitRule::Unrecognized`].
    pub fn parse(text: &str) -> WaitRule {
        let known = if text == "depends_on" {
            Some(WaitRule::DependsOn)
        } else if let Some((role, waits_for)) = text
            .strip_prefix("role ")
            .and_then(|r| r.split_once(" waits for "))
        {
            Some(WaitRule::After {
                role: role.to_string(),
                waits_for: waits_for.to_string(),
            })
        } else if let Some((profile, tiers)) = text.split_once(" order: ") {
            tiers
                .split_once(" before ")
                .map(|(before, after)| WaitRule::Order {
                    profile: profile.to_string(),
                    before: before.to_string(),
                    after: after.to_string(),
                })
        } else {
            None
        };
        known
            .filter(|rule| rule.to_string() == text)
            .unwrap_or_else(|| WaitRule::Unrecognized(text.to_string()))
    }
}

/// Why a store considered as a move target was or was not chosen.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// `chosen`: this move's mailboxes go there.
    Chosen,
    /// `chosen for other mailboxes`: the same store's other mailboxes go there.
    ChosenForOtherMailboxes,
    /// `chosen: the store they came from (strategy spare)`: mailboxes parked
    /// on a spare come back.
    ChosenReturn,
    /// `full at max_fill 90%`: eligible, but the smallest unit does not fit.
    Full {
        /// The ceiling in force.
        max_fill: Fraction,
    },
    /// `older version (9.0.0_P38)`: it runs an older version than the source.
    OlderVersion {
        /// Its version when it would receive the mailboxes.
        version: Version,
    },
    /// `above its ceiling`: it held more than `max_fill` from the start.
    AboveCeiling,
    /// `not at the target version (strategy forward)`.
    NotAtTargetVersion,
    /// `not a spare (strategy spare)`.
    NotASpare,
    /// `at the target version, but the servers ordered before the mailstores
    /// are not all upgraded yet`: no account may switch onto it yet.
    TiersNotUpgraded,
    /// `less preferred (higher fill, not yet upgraded, or the store's mailboxes kept on fewer targets)`: eligible with room,
    /// but another store was better.
    LessPreferred,
    /// A verdict this version does not know, as written in the plan it was
    /// read from; the engine never produces it.
    Unrecognized(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Chosen => f.write_str("chosen"),
            Verdict::ChosenForOtherMailboxes => f.write_str("chosen for other mailboxes"),
            Verdict::ChosenReturn => {
                f.write_str("chosen: the store they came from (strategy spare)")
            }
            Verdict::Full { max_fill } => write!(f, "full at max_fill {max_fill}"),
            Verdict::OlderVersion { version } => write!(f, "older version ({version})"),
            Verdict::AboveCeiling => f.write_str("above its ceiling"),
            Verdict::NotAtTargetVersion => {
                f.write_str("not at the target version (strategy forward)")
            }
            Verdict::NotASpare => f.write_str("not a spare (strategy spare)"),
            Verdict::TiersNotUpgraded => f.write_str(
                "at the target version, but the servers ordered before the mailstores are not all upgraded yet",
            ),
            Verdict::LessPreferred => f.write_str("less preferred (higher fill, not yet upgraded, or the store's mailboxes kept on fewer targets)"),
            Verdict::Unrecognized(text) => f.write_str(text),
        }
    }
}

impl Verdict {
    /// The verdicts without figures, for reading sentences back.
    const FIXED: [Verdict; 8] = [
        Verdict::Chosen,
        Verdict::ChosenForOtherMailboxes,
        Verdict::ChosenReturn,
        Verdict::AboveCeiling,
        Verdict::NotAtTargetVersion,
        Verdict::NotASpare,
        Verdict::TiersNotUpgraded,
        Verdict::LessPreferred,
    ];

    /// Reads a verdict back from its sentence; a sentence that does not read
    /// back to itself is kept as [`Verdict::Unrecognized`].
    pub fn parse(text: &str) -> Verdict {
        let known = if let Some(fill) = text.strip_prefix("full at max_fill ") {
            Fraction::parse(fill)
                .ok()
                .map(|max_fill| Verdict::Full { max_fill })
        } else if let Some(version) = text
            .strip_prefix("older version (")
            .and_then(|v| v.strip_suffix(')'))
        {
            Some(Verdict::OlderVersion {
                version: Version::new(version),
            })
        } else {
            Verdict::FIXED.into_iter().find(|v| v.to_string() == text)
        };
        known
            .filter(|verdict| verdict.to_string() == text)
            .unwrap_or_else(|| Verdict::Unrecognized(text.to_string()))
    }

    /// Whether the store was chosen for this move.
    pub fn is_chosen(&self) -> bool {
        matches!(self, Verdict::Chosen | Verdict::ChosenReturn)
    }
}

/// Both enums travel as their sentences: serialize the `Display` text and
/// read it back with `parse`.
macro_rules! as_sentence {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(<$t>::parse(&text))
            }
        }
    };
}

as_sentence!(WaitRule);
as_sentence!(Verdict);

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip_rule(text: &str) -> WaitRule {
        let rule = WaitRule::parse(text);
        assert_eq!(rule.to_string(), text);
        rule
    }

    #[test]
    fn wait_rules_read_back_from_their_sentences() {
        assert_eq!(
            roundtrip_rule("zimbra order: mta before mailstore"),
            WaitRule::Order {
                profile: "zimbra".into(),
                before: "mta".into(),
                after: "mailstore".into()
            }
        );
        assert_eq!(
            roundtrip_rule("role logger waits for ldap-master"),
            WaitRule::After {
                role: "logger".into(),
                waits_for: "ldap-master".into()
            }
        );
        assert_eq!(roundtrip_rule("depends_on"), WaitRule::DependsOn);
        assert_eq!(
            roundtrip_rule("a rule from the future"),
            WaitRule::Unrecognized("a rule from the future".into())
        );
    }

    #[test]
    fn verdicts_read_back_from_their_sentences() {
        for verdict in Verdict::FIXED {
            assert_eq!(Verdict::parse(&verdict.to_string()), verdict);
        }
        assert_eq!(
            Verdict::parse("full at max_fill 87.5%"),
            Verdict::Full {
                max_fill: Fraction(875_000)
            }
        );
        assert_eq!(
            Verdict::parse("older version (9.0.0_P38)"),
            Verdict::OlderVersion {
                version: Version::new("9.0.0_P38")
            }
        );
        // A fill that would not print back the same is kept as written.
        assert_eq!(
            Verdict::parse("full at max_fill 0.9"),
            Verdict::Unrecognized("full at max_fill 0.9".into())
        );
    }

    #[test]
    fn both_serialize_as_their_sentences() {
        let json = serde_json::to_string(&(WaitRule::DependsOn, Verdict::AboveCeiling))
            .expect("serializes");
        assert_eq!(json, r#"["depends_on","above its ceiling"]"#);
        let back: (WaitRule, Verdict) = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, (WaitRule::DependsOn, Verdict::AboveCeiling));
    }
}
