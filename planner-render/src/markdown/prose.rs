//! Text for Markdown: escaping names, code spans, the planner's own prose,
//! and paragraphs and list items wrapped so that no line starts a block.
//!
//! Every name from the inventory reaches the document through [`escape`] or
//! [`code`], so that no account or host name can break a table or turn into
//! emphasis; these functions are where that promise is kept.

use std::io::{self, Write};

/// Prose is wrapped near this width; table rows cannot be.
const WIDTH: usize = 100;

/// Escapes text for Markdown: every character that could start emphasis, code,
/// a link, HTML, an entity, math or a table cell is backslash-escaped, and line
/// breaks become spaces, so a name is shown as written and never breaks a table.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!'
            | '$' | '&' | '^' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A code span holding `text` exactly: the fence is longer than any run of
/// backticks inside, and in a table `|` is escaped as GitHub's tables require.
pub(super) fn code(text: &str, in_table: bool) -> String {
    let text: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.trim().is_empty() {
        " "
    } else {
        ""
    };
    let body = if in_table {
        text.replace('|', "\\|")
    } else {
        text
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// An id or time in a code span when it is plain (letters, digits and
/// `.:>#-+_`), otherwise escaped text.
pub(super) fn plain_or_code(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".:>#-+_".contains(c))
    {
        code(text, true)
    } else {
        escape(text)
    }
}

/// The planner's prose, whose names are in backticks: backtick pairs become
/// code spans, everything else is escaped. An unpaired backtick is shown as is.
pub(super) fn inline(text: &str, in_table: bool) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let is_code = i % 2 == 1 && i + 1 < parts.len();
        if is_code {
            out.push_str(&code(part, in_table));
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&escape(part));
        }
    }
    out
}

/// Ends with a full stop unless it already ends with one.
pub(super) fn sentence(text: &str) -> String {
    let t = text.trim_end();
    if t.ends_with('.') || t.ends_with('!') || t.ends_with('?') {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

pub(super) fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A paragraph, wrapped near `WIDTH`, and a blank line.
pub(super) fn paragraph(out: &mut dyn Write, text: &str) -> io::Result<()> {
    write!(out, "{}\n\n", wrap(text, WIDTH, ""))?;
    Ok(())
}

/// A list item, its continuation lines indented.
pub(super) fn bullet(out: &mut dyn Write, text: &str) -> io::Result<()> {
    let wrapped = wrap(text, WIDTH - 2, "  ");
    put!(out, "- {wrapped}");
    Ok(())
}

/// A task-list item (a check box on forges and in print).
pub(super) fn task(out: &mut dyn Write, text: &str) -> io::Result<()> {
    let wrapped = wrap(text, WIDTH - 6, "      ");
    put!(out, "- [ ] {wrapped}");
    Ok(())
}

/// Breaks `text` at spaces so that lines stay near `width`, never before a
/// word that could start a block (a list marker, a heading, a quote, a table
/// row, a setext underline, a code fence).
fn wrap(text: &str, width: usize, indent: &str) -> String {
    // A line break inside a code span reads as a space, so spans may wrap too.
    let mut out = String::new();
    let mut line_len = 0;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if !starts_block(word) && line_len + 1 + word.chars().count() > width {
                out.push('\n');
                out.push_str(indent);
                line_len = indent.len();
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(word);
        line_len += word.chars().count();
    }
    out
}

fn starts_block(word: &str) -> bool {
    let first = word.chars().next();
    if matches!(first, Some('-' | '+' | '*' | '=' | '>' | '#' | '|' | '~')) {
        return true;
    }
    // Three backticks open a fenced code block; one opens a code span, which is fine.
    if word.starts_with("``") {
        return true;
    }
    // `1.` or `1)` alone would start an ordered list; `3.1` or `2)` with more would not.
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && matches!(&word[digits..], "." | ")")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;

    #[test]
    fn escaping_and_code_spans() {
        for (text, escaped) in [
            ("mbx1.example.com", "mbx1.example.com"),
            ("o_neil|x", "o\\_neil\\|x"),
            ("*a* `b` [c]", "\\*a\\* \\`b\\` \\[c\\]"),
            ("two\nlines", "two lines"),
        ] {
            assert_eq!(escape(text), escaped, "{text}");
        }
        for (text, in_table, span) in [
            ("zmcontrol status", false, "`zmcontrol status`"),
            ("a|b", true, "`a\\|b`"),
            ("a`b", false, "``a`b``"),
            ("`x", false, "`` `x ``"),
        ] {
            assert_eq!(code(text, in_table), span, "{text}");
        }
        assert_eq!(
            inline("empties `mbx1_a` now", false),
            "empties `mbx1_a` now"
        );
        assert_eq!(inline("odd ` tick", false), "odd \\` tick");
        assert_eq!(plain_or_code("upgrade:a>b"), "`upgrade:a>b`");
        assert_eq!(plain_or_code("a b"), "a b");
        assert_eq!(sentence("done"), "done.");
        assert_eq!(sentence("done?"), "done?");
        assert_eq!(capitalized("full"), "Full");
    }

    #[test]
    fn wrapped_lines_never_start_a_block() {
        // The `-` would start a list on a line of its own, so it stays behind.
        assert_eq!(wrap("aaa bbb - ccc", 7, ""), "aaa bbb -\nccc");
        assert_eq!(wrap("aaaa bbbb cccc", 9, "  "), "aaaa bbbb\n  cccc");
        for word in ["-", "#", "|", "1.", "2)", "```"] {
            assert!(starts_block(word), "{word}");
        }
        for word in ["3.1", "2)x", "`a`", "word"] {
            assert!(!starts_block(word), "{word}");
        }
        assert_eq!(
            section(|o| bullet(o, &"word ".repeat(25))),
            format!(
                "- {}\n  {}\n",
                ["word"; 19].join(" "),
                ["word"; 6].join(" ") + " "
            )
        );
        assert_eq!(section(|o| task(o, "tick")), "- [ ] tick\n");
        assert_eq!(section(|o| paragraph(o, "text")), "text\n\n");
    }
}
