//! Names: server hostnames, mail accounts and their domains.
//!
//! Both kinds of name compare case-insensitively, so they are kept in lower
//! case from the moment they are read: duplicates are then found whatever the
//! case, and every output spells a name one way. Validation is about meaning,
//! not shell safety: renderers quote every name they write.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A server's hostname: RFC 1123 labels joined by dots, in lower case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServerName(Box<str>);

/// A mail account `local@domain`, in lower case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Account(Box<str>);

impl ServerName {
    /// Parses a hostname; the message says what is wrong with it.
    pub fn parse(text: &str) -> Result<ServerName, String> {
        check_hostname(text).map_err(|why| format!("`{text}` is not a hostname: {why}"))?;
        Ok(ServerName(text.to_ascii_lowercase().into_boxed_str()))
    }

    /// A stand-in for a server whose name was refused, so that server
    /// indices stay aligned while the other problems are collected.
    pub(crate) fn placeholder(index: usize) -> ServerName {
        ServerName(format!("invalid-{index}.invalid").into_boxed_str())
    }

    /// The hostname.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Account {
    /// Parses an address `local@domain`: the local part of RFC 5322 atext
    /// characters and single dots, the domain a hostname.
    pub fn parse(text: &str) -> Result<Account, String> {
        check_account(text).map_err(|why| format!("`{text}` is not a mail address: {why}"))?;
        let lowered = if text.bytes().any(|b| b.is_ascii_uppercase()) {
            text.to_ascii_lowercase()
        } else {
            text.to_owned()
        };
        Ok(Account(lowered.into_boxed_str()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(l, _)| l)
    }

    /// Zimbra's own accounts, which can be moved but need a look afterwards.
    pub fn is_system(&self) -> bool {
        let local = self.local_part();
        ["galsync", "spam", "ham", "virus-quarantine"]
            .iter()
            .any(|p| local.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_hostname(text: &str) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if text.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    for label in text.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row, or a dot at an end)");
        }
        if label.len() > 63 {
            return Err("a label is longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("only letters, digits, `-` and `.` are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with `-`");
        }
    }
    Ok(())
}

fn check_account(text: &str) -> Result<(), &'static str> {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err("it has no `@`");
    };
    if local.is_empty() {
        return Err("the part before `@` is empty");
    }
    if local.len() > 64 {
        return Err("the part before `@` is longer than 64 characters");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part before `@` has a dot at an end or two in a row");
    }
    const ATEXT: &[u8] = b"!#$%&'*+-/=?^_`{|}~.";
    if !local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || ATEXT.contains(&b))
    {
        return Err("the part before `@` has a character mail addresses do not allow");
    }
    check_hostname(domain).map_err(|_| "the part after `@` is not a hostname")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert_eq!(
            ServerName::parse("MBX1.Example.com").map(|n| n.to_string()),
            Ok("mbx1.example.com".into())
        );
        assert!(ServerName::parse("mbx_1.example.com").is_err());
        assert!(ServerName::parse("-mbx.example.com").is_err());
        assert!(ServerName::parse("mbx..example.com").is_err());
        assert!(ServerName::parse("").is_err());
    }

    #[test]
    fn accounts() {
        for ok in [
            "o'neil@example.com",
            "first.last+tag@example.com",
            "Alice@Example.COM",
        ] {
            assert!(Account::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "alice",
            "@example.com",
            "a b@example.com",
            "a@exa_mple.com",
            ".a@example.com",
            "a\"b@x.com",
        ] {
            assert!(Account::parse(bad).is_err(), "{bad}");
        }
        let a = Account::parse("Galsync.1234@Example.com").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.as_str(), "galsync.1234@example.com");
        assert_eq!(a.domain(), "example.com");
        assert!(a.is_system());
        assert!(!Account::parse("spammer@example.com").is_ok_and(|a| a.is_system()));
    }
}
