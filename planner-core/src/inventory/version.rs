//! Software versions, ordered the way release numbers are read.
//!
//! A version is split into runs of digits and runs of other characters; digit
//! runs compare as numbers, other runs as text, and a version that is a prefix
//! of another is the older one: `8.8.15 < 9.0.0 < 9.0.0_P9 < 9.0.0_P40 < 10.0.6`.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A version string such as `9.0.0_P40` or `10.1.5_GA_4200`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(String);

/// Where a server's version stands against the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgainstTarget {
    /// Older: the server needs an upgrade.
    Below,
    /// The target itself, or the target with a `_GA` / `_GA_<build>` suffix.
    At,
    /// Newer: planning it would be a downgrade.
    Above,
}

impl Version {
    /// Wraps a version string; every non-empty string is a version.
    pub fn new(text: impl Into<String>) -> Version {
        Version(text.into())
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The version without a trailing `_GA` or `_GA_<build>` suffix.
    fn release(&self) -> &str {
        let s = self.0.as_str();
        if let Some(pos) = s.find("_GA") {
            let rest = &s[pos + 3..];
            if rest.is_empty() || rest.strip_prefix('_').is_some_and(|b| !b.is_empty()) {
                return &s[..pos];
            }
        }
        s
    }

    /// Whether going from this version to `target` changes the first
    /// version component (`9.0.0_P40` to `10.1.5`: a major upgrade).
    pub fn major_change_to(&self, target: &Version) -> bool {
        fn first(v: &Version) -> Option<&str> {
            Components(v.release())
                .next()
                .map(|c| c.trim_start_matches('0'))
        }
        first(self) != first(target)
    }

    /// Whether this version is at least `floor` (`9.0.0_P40` is at least
    /// `8.8.15`; `10.0.6` is not below `10`).
    pub fn at_least(&self, floor: &str) -> bool {
        compare(self.release(), floor) != Ordering::Less
    }

    /// Compares this server version with the target version.
    pub fn against(&self, target: &Version) -> AgainstTarget {
        match compare(self.release(), target.release()) {
            Ordering::Less => AgainstTarget::Below,
            Ordering::Equal => AgainstTarget::At,
            Ordering::Greater => AgainstTarget::Above,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Numeric-aware comparison of two version strings.
fn compare(a: &str, b: &str) -> Ordering {
    let mut a = Components(a);
    let mut b = Components(b);
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (is_digits(x), is_digits(y)) {
                    (true, true) => {
                        let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                        x.len().cmp(&y.len()).then_with(|| x.cmp(y))
                    }
                    // A number sorts before text at the same place: `1.0 < 1.a`.
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

fn is_digits(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// Runs of digits and runs of other characters.
struct Components<'a>(&'a str);

impl<'a> Iterator for Components<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let first = self.0.bytes().next()?;
        let digit = first.is_ascii_digit();
        let end = self
            .0
            .bytes()
            .position(|b| b.is_ascii_digit() != digit)
            .unwrap_or(self.0.len());
        let (head, tail) = self.0.split_at(end);
        self.0 = tail;
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::new(s)
    }

    #[test]
    fn numeric_order() {
        let ordered = [
            "8.8.15",
            "9.0.0",
            "9.0.0_P9",
            "9.0.0_P40",
            "10.0.6",
            "10.1.5",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn a_major_upgrade_changes_the_first_component() {
        assert!(v("9.0.0_P40").major_change_to(&v("10.1.5")));
        assert!(v("8.8.15").major_change_to(&v("9.0.0")));
        assert!(!v("10.0.6").major_change_to(&v("10.1.5")));
        assert!(!v("9.0.0_P9").major_change_to(&v("9.0.0_P40")));
        assert!(!v("09.0").major_change_to(&v("9.1")));
    }

    #[test]
    fn against_target() {
        let target = v("10.1.5");
        assert_eq!(v("10.1.5").against(&target), AgainstTarget::At);
        assert_eq!(v("10.1.5_GA").against(&target), AgainstTarget::At);
        assert_eq!(v("10.1.5_GA_4200").against(&target), AgainstTarget::At);
        assert_eq!(v("9.0.0_P40").against(&target), AgainstTarget::Below);
        assert_eq!(v("10.1.5_P1").against(&target), AgainstTarget::Above);
        assert_eq!(v("10.1.10").against(&target), AgainstTarget::Above);
        assert_eq!(v("10.1.5_GA_").against(&target), AgainstTarget::Above);
    }
}
