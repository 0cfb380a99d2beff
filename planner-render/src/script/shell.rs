//! Shell text from plan text: quoting, comments that plan text cannot end,
//! the `manual` pauses, and file names.
//!
//! Every plan string that becomes part of the script goes through
//! [`sh_quote`], or through [`one_line`] in a comment: these are the only
//! places the script's safety depends on, so they live together.

use std::io::{self, Write};

/// Comments are wrapped at this width.
pub(super) const WIDTH: usize = 100;

/// The indent of the lines inside a wave's block.
pub(super) const IN: &str = "    ";

/// The indent of the lines inside a step's block.
pub(super) const BODY: &str = "        ";

/// Quotes `text` as one word for a POSIX shell: in single quotes, with every
/// `'` written as `'\''`. Inside single quotes nothing is special, so this is
/// correct for any string; NUL, which no shell word can hold, is dropped.
pub fn sh_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        match c {
            '\'' => quoted.push_str("'\\''"),
            '\0' => {}
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// `text` with every control character (line breaks above all) replaced by a
/// space, so that it can sit in a comment without ending it.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Writes a `manual` call: the step's pause with its lines of instructions.
pub(super) fn manual(
    out: &mut dyn Write,
    indent: &str,
    id: &str,
    lines: &[String],
) -> io::Result<()> {
    write!(out, "{indent}manual {}", sh_quote(id))?;
    for line in lines {
        write!(out, " \\\n{indent}    {}", sh_quote(&one_line(line)))?;
    }
    writeln!(out)
}

/// Writes `text` as comment lines starting with `{indent}# {lead}`, wrapped at
/// [`WIDTH`], continuation lines aligned under the text.
pub(super) fn comment(out: &mut dyn Write, indent: &str, lead: &str, text: &str) -> io::Result<()> {
    let first = format!("{indent}# {lead}");
    let rest = format!("{indent}# {}", " ".repeat(lead.chars().count()));
    let mut line = first.clone();
    let mut empty = true;
    for word in one_line(text).split(' ').filter(|w| !w.is_empty()) {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            writeln!(out, "{}", line.trim_end())?;
            line = rest.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{}", line.trim_end())
}

/// A step id as a file name: letters, digits, `.` and `-` kept, anything else
/// (`:` and `>` in ids) written as `-`.
pub(super) fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The first 12 hex digits of the inventory digest, for the work directory.
pub(super) fn digest_prefix(digest: &str) -> String {
    let hex: String = digest
        .strip_prefix("sha256:")
        .unwrap_or(digest)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    if hex.is_empty() {
        "plan".to_string()
    } else {
        hex
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::written;

    #[test]
    fn quoting_survives_every_special_character() {
        assert_eq!(sh_quote("o'neil@example.com"), r"'o'\''neil@example.com'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a\nb"), "'a\nb'");
        assert_eq!(sh_quote("nul\0"), "'nul'");
    }

    #[test]
    fn comments_cannot_be_ended_by_plan_text() {
        assert_eq!(one_line("a\nrm -rf /\r"), "a rm -rf / ");
        assert_eq!(
            written(|out| comment(out, "    ", "", "x\n$(touch y)")),
            "    # x $(touch y)\n"
        );
        let long = "word ".repeat(30);
        assert_eq!(
            written(|out| comment(out, "", "  - ", &long)),
            format!(
                "#   - {}\n#     {}\n",
                ["word"; 19].join(" "),
                ["word"; 11].join(" ")
            )
        );
    }

    #[test]
    fn manual_steps_quote_each_line() {
        assert_eq!(
            written(|out| manual(out, "    ", "drain:a", &["it's\nso".to_string()])),
            "    manual 'drain:a' \\\n        'it'\\''s so'\n"
        );
    }

    #[test]
    fn file_names_and_work_directories() {
        assert_eq!(file_name("move-data:a.b>c"), "move-data-a.b-c");
        assert_eq!(digest_prefix("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(digest_prefix("sha256:"), "plan");
    }
}
