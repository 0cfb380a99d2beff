//! Counted nouns for the sentences the planner writes: "1 mailbox",
//! "2 mailboxes". Every message that puts a number before a noun goes through
//! here, so none says "1 mailboxes".

/// `n` and the noun, singular when `n` is one: `count(1, "mailbox",
/// "mailboxes")` is `1 mailbox`, `count(3, ...)` is `3 mailboxes`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(0, "mailbox", "mailboxes"), "0 mailboxes");
        assert_eq!(count(1, "mailbox", "mailboxes"), "1 mailbox");
        assert_eq!(count(2, "mailbox move", "mailbox moves"), "2 mailbox moves");
    }
}
