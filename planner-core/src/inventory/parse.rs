//! Reading an inventory's bytes into the input model, and the structural
//! diagnostics of that step: bytes that are not UTF-8, YAML syntax, unknown
//! or missing keys and wrong types stop at the first one, as serde reports
//! it, reworded for operators with a hint. Checks of meaning come after, in
//! [`super::validate`].

use super::raw::RawInventory;
use super::validate::Document;
use crate::diagnostic::{Diagnostic, Refusal, did_you_mean};

/// Parses an inventory's text. `file` names it in diagnostics.
///
/// Fails on the first structural problem: bytes that are not UTF-8, YAML
/// syntax, unknown or missing keys, wrong types.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Document, Refusal> {
    // Editors on Windows start UTF-8 files with a byte-order mark; YAML
    // would read it as part of the first key (`\u{feff}format`).
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = line_column(bytes, e.valid_up_to());
            return Err(Refusal::new(vec![
                Diagnostic::error(file, "the inventory is not valid UTF-8 text")
                    .at(line, column)
                    .hint("save the inventory as UTF-8"),
            ]));
        }
    };
    if text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---"
    }) {
        return Err(Refusal::new(vec![
            Diagnostic::error(file, "the inventory is empty").hint(
                "an inventory needs at least `format: 1`, `target_version` and `servers`; see the examples",
            ),
        ]));
    }
    if let Some((line, column)) = flow_nesting_beyond(text, MAX_FLOW_NESTING) {
        return Err(Refusal::new(vec![
            Diagnostic::error(
                file,
                format!("the document nests more than {MAX_FLOW_NESTING} brackets deep"),
            )
            .at(line, column)
            .hint("an inventory is a few levels deep; check for runaway `[` or `{`"),
        ]));
    }
    match serde_yaml::from_str::<RawInventory>(text) {
        Ok(raw) => Ok(Document {
            file: file.to_string(),
            text: text.to_string(),
            raw,
        }),
        Err(e) => {
            let (mut d, repeated) = structural(file, &e);
            // serde points a repeated key at its mapping; point at the repeat.
            if let Some(key) = repeated {
                let mapping = d.path.clone().unwrap_or_default();
                if let Some((line, column)) = super::locate::repeated_key(text, &mapping, &key) {
                    d = d.at(line, column);
                }
            }
            Err(Refusal::new(vec![d]))
        }
    }
}

/// Deeper flow nesting than any inventory needs. The YAML parser's work grows
/// with the square of the nesting depth, so deep documents are refused before
/// it sees them.
const MAX_FLOW_NESTING: usize = 64;

/// Where flow brackets (`[`, `{`) first nest deeper than `limit`, ignoring
/// brackets inside quotes and comments.
fn flow_nesting_beyond(text: &str, limit: usize) -> Option<(u32, u32)> {
    let (mut depth, mut line, mut column) = (0usize, 1u32, 0u32);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    for c in text.chars() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            comment = false;
            previous = c;
            continue;
        }
        if comment {
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '#' if previous.is_whitespace() => comment = true,
                '"' | '\'' if !previous.is_alphanumeric() => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > limit {
                        return Some((line, column));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    None
}

/// The 1-based line and column of a byte offset.
fn line_column(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Turns serde's message into a diagnostic with a path, a plain message and a
/// hint; and, when serde refused a key given twice, that key (serde points at
/// the mapping, the caller finds the repeat).
fn structural(file: &str, error: &serde_yaml::Error) -> (Diagnostic, Option<String>) {
    let message = strip_positions(&error.to_string());
    // serde_yaml writes `path: message`; a path has no spaces.
    let (path, body) = match message.split_once(": ") {
        Some((p, b)) if !p.contains(' ') && !p.is_empty() => (Some(p.to_string()), b.to_string()),
        _ => (None, message.clone()),
    };
    let repeated = duplicate_key(&body);
    let (body, hint) = explain_serde(&body, path.as_deref());
    let mut d = Diagnostic::error(file, body);
    if let Some(loc) = error.location() {
        d = d.at(
            u32::try_from(loc.line()).unwrap_or(u32::MAX),
            u32::try_from(loc.column()).unwrap_or(u32::MAX),
        );
    }
    if let Some(p) = path {
        d = d.path(p);
    }
    if let Some(h) = hint {
        d = d.hint(h);
    }
    (d, repeated)
}

/// The key of serde's "duplicate field `x`" or "duplicate entry with key
/// `x`" message (serde words them; this reads serde's text, not ours).
fn duplicate_key(body: &str) -> Option<String> {
    if body.starts_with("duplicate field ") || body.starts_with("duplicate entry") {
        body.split('`').nth(1).map(str::to_string)
    } else {
        None
    }
}

/// Removes libyaml's ` at line N column M` from a message (the diagnostic
/// carries the position), keeping a second position as where a construct began.
fn strip_positions(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    let mut first = true;
    while let Some(at) = rest.find(" at line ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " at line ".len()..];
        let line: String = after.chars().take_while(char::is_ascii_digit).collect();
        let Some(tail) = after[line.len()..].strip_prefix(" column ") else {
            out.push_str(" at line ");
            rest = after;
            continue;
        };
        let column: String = tail.chars().take_while(char::is_ascii_digit).collect();
        if !first {
            out.push_str(&format!(" that began at line {line} column {column}"));
        }
        first = false;
        rest = &tail[column.len()..];
    }
    out.push_str(rest);
    out
}

/// Rewrites serde's wording for operators and finds a hint.
fn explain_serde(body: &str, path: Option<&str>) -> (String, Option<String>) {
    let quoted = |s: &str| -> Vec<String> {
        s.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = body.strip_prefix("unknown field ") {
        let names = quoted(rest);
        if let Some((wanted, known)) = names.split_first() {
            let hint = did_you_mean(wanted, known.iter().map(String::as_str)).or_else(|| {
                Some(format!(
                    "the keys allowed here are {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            });
            return (format!("unknown key `{wanted}`"), hint);
        }
    }
    if let Some(rest) = body.strip_prefix("unknown variant ") {
        let names = quoted(rest);
        if let Some((wanted, known)) = names.split_first() {
            let list = known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = match did_you_mean(wanted, known.iter().map(String::as_str)) {
                Some(h) => format!("{h} (one of {list})"),
                None => format!("use one of {list}"),
            };
            return (format!("unknown value `{wanted}`"), Some(hint));
        }
    }
    if let Some(rest) = body.strip_prefix("missing field ") {
        let names = quoted(rest);
        if let Some(name) = names.first() {
            return (format!("missing required key `{name}`"), None);
        }
    }
    if body.starts_with("duplicate field ") || body.starts_with("duplicate entry") {
        let names = quoted(body);
        let name = names.first().map_or("", String::as_str);
        return (
            format!("key `{name}` is given twice"),
            Some("keep one of them".into()),
        );
    }
    if body.contains("recursion limit exceeded") {
        return (
            "the document nests too deeply (more than 128 levels)".into(),
            Some("an inventory is a few levels deep; check for runaway brackets".into()),
        );
    }
    if body.contains("repetition limit exceeded") {
        return (
            "the document expands YAML aliases too many times".into(),
            Some("aliases that expand into more aliases (an alias bomb) are refused".into()),
        );
    }
    if body.contains("EOF while parsing") {
        return ("the inventory ends before any value".into(), None);
    }
    if body.contains("expected struct RawInventory") {
        return (
            "the inventory must be a mapping with `format`, `target_version` and `servers`".into(),
            None,
        );
    }
    if body.contains("more than one document") {
        return (
            "the inventory holds more than one YAML document".into(),
            Some("remove the `---` separators after the first document".into()),
        );
    }
    let version_like = path.is_some_and(|p| p.ends_with("version"));
    if version_like && body.starts_with("invalid type") {
        return (
            body.replace("invalid type: ", "wrong type: "),
            Some("quote versions so YAML keeps them as text: version: \"9.0.0_P40\"".into()),
        );
    }
    if let Some(rest) = body.strip_prefix("invalid type: ") {
        return (format!("wrong type: {}", plain_type_names(rest)), None);
    }
    if let Some(rest) = body.strip_prefix("invalid length ") {
        return (format!("wrong length {}", plain_type_names(rest)), None);
    }
    (body.to_string(), None)
}

/// Replaces the names of the input model's Rust types with what they are in YAML.
fn plain_type_names(text: &str) -> String {
    const NAMES: [(&str, &str); 12] = [
        ("struct RawInventory", "an inventory mapping"),
        (
            "struct RawServer",
            "a server mapping (name, roles, version, ...)",
        ),
        (
            "struct RawMailboxFile",
            "a mailbox file mapping (path, format, ...)",
        ),
        (
            "struct RawMailbox",
            "a mailbox mapping (account, store, size)",
        ),
        ("struct RawPolicy", "a policy mapping"),
        (
            "struct RawRates",
            "a rates mapping (copy, delta_fraction, switch_per_account, upgrade)",
        ),
        ("struct RawRole", "a role mapping"),
        ("struct RawGroup", "a group mapping"),
        ("struct RawCapacity", "a capacity mapping (disk, mailboxes)"),
        (
            "struct RawLastBackup",
            "a last_backup mapping (full, incremental)",
        ),
        ("a number or a string", "a number or a string"),
        ("u32", "a whole number"),
    ];
    let mut out = text.to_string();
    for (from, to) in NAMES {
        out = out.replace(from, to);
    }
    out.replace("u64", "a whole number")
}
