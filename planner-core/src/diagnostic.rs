//! Diagnostics: what is wrong with an input, where, and what would fix it.
//!
//! Every refusal of the library is a list of these, sorted by file, line and
//! path, so that an operator sees every problem of meaning at once and in the
//! order of the file.

use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input is refused.
    Error,
    /// The input is accepted, but someone should look.
    Warning,
}

/// One problem, located in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file as the operator named it (the inventory, or a mailbox list).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// The YAML path of the offending value, such as `servers[3].depends_on[0]`.
    pub path: Option<String>,
    /// What is wrong, naming the offending value.
    pub message: String,
    /// What would fix it, when something useful can be said.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error in `file`.
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: None,
            column: None,
            path: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning in `file`.
    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, message)
        }
    }

    /// Sets the line and column.
    pub fn at(mut self, line: u32, column: u32) -> Diagnostic {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Sets the YAML path.
    pub fn path(mut self, path: impl Into<String>) -> Diagnostic {
        self.path = Some(path.into());
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// The order diagnostics are shown in.
    fn sort_key(&self) -> (&str, u32, u32, &str, Severity, &str) {
        (
            &self.file,
            self.line.unwrap_or(0),
            self.column.unwrap_or(0),
            self.path.as_deref().unwrap_or(""),
            self.severity,
            &self.message,
        )
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: error: PATH: MESSAGE`, then an indented `hint:` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {severity}: ")?;
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Sorts diagnostics into the order they are shown in, dropping exact repeats.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// The refusal of an input: every error found, sorted, with the warnings.
///
/// Its `Display` is every diagnostic, errors and warnings in their sorted
/// order, one per line as the CLI prints them
/// (`FILE:LINE:COL: error: PATH: message`, then an indented `hint:` line).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct Refusal {
    /// Errors and warnings, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

impl Refusal {
    /// Wraps diagnostics, sorting them.
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> Refusal {
        sort(&mut diagnostics);
        Refusal { diagnostics }
    }

    /// The errors alone.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Edit distance between two short names, for "did you mean" hints.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The known names closest to `wanted`, best first, when any is close enough
/// to be a plausible typo.
pub(crate) fn closest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let wanted_lower = wanted.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .map(|k| (distance(&wanted_lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= (k.chars().count().max(wanted.chars().count()) / 3).max(1))
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

/// "did you mean `x`?" for the closest known name, if any.
pub(crate) fn did_you_mean<'a>(
    wanted: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let close = closest(wanted, known);
    match close.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean `{one}`?")),
        many => Some(format!(
            "did you mean {}?",
            many.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(distance("mtaa", "mta"), 1);
        assert_eq!(
            did_you_mean("target_verison", ["format", "target_version", "servers"]),
            Some("did you mean `target_version`?".to_string())
        );
        assert_eq!(did_you_mean("zzzz", ["mta", "proxy"]), None);
    }

    #[test]
    fn display() {
        let d = Diagnostic::error("inv.yaml", "unknown server `x`")
            .at(3, 7)
            .path("servers[0].depends_on[0]")
            .hint("did you mean `y`?");
        assert_eq!(
            d.to_string(),
            "inv.yaml:3:7: error: servers[0].depends_on[0]: unknown server `x`\n  hint: did you mean `y`?"
        );
    }

    #[test]
    fn a_refusal_shows_every_diagnostic() {
        let refusal = Refusal::new(vec![
            Diagnostic::error("inv.yaml", "second").at(9, 1),
            Diagnostic::warning("inv.yaml", "first")
                .at(2, 3)
                .hint("fix it"),
        ]);
        assert_eq!(
            refusal.to_string(),
            "inv.yaml:2:3: warning: first\n  hint: fix it\ninv.yaml:9:1: error: second"
        );
    }
}
