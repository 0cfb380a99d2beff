//! Figures in words, shared by every renderer: durations, plurals and counts.
//!
//! Each renderer used to carry its own copy of these; one copy here keeps
//! the formats saying the same thing the same way.

/// A duration in a few characters, for terminals and comments: `2h05m`,
/// `40m`, `10m08s`, `12s`.
pub(crate) fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) if s == 0 => format!("{m}m"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m"),
    }
}

/// A duration in words, for documents: `7 h 57 min`, `40 min`, `2 min 21 s`,
/// `3 s`, `7 d`.
pub(crate) fn duration_words(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m, s) {
        (0, 0, 0, s) => format!("{s} s"),
        (0, 0, m, 0) => format!("{m} min"),
        (0, 0, m, s) => format!("{m} min {s} s"),
        (0, h, 0, _) => format!("{h} h"),
        (0, h, m, _) => format!("{h} h {m:02} min"),
        (d, 0, _, _) => format!("{d} d"),
        (d, h, _, _) => format!("{d} d {h} h"),
    }
}

/// The plural ending of a regular noun: `""` for one, `"s"` otherwise.
pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The plural ending of `mailbox`: `""` for one, `"es"` otherwise.
pub(crate) fn plural_es(n: u64) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// `1 server`, `3 servers`: the number and the word that fits it, as the
/// core writes its own sentences.
pub(crate) use planner_core::words::count;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (seconds, short, words) in [
            (12, "12s", "12 s"),
            (2400, "40m", "40 min"),
            (608, "10m08s", "10 min 8 s"),
            (7500, "2h05m", "2 h 05 min"),
            (7200, "2h00m", "2 h"),
            (86_400 * 7, "168h00m", "7 d"),
            (86_400 + 3600 * 3 + 60, "27h01m", "1 d 3 h"),
        ] {
            assert_eq!(duration(seconds), short, "{seconds}");
            assert_eq!(duration_words(seconds), words, "{seconds}");
        }
    }

    #[test]
    fn plurals_and_counts() {
        assert_eq!(format!("1 wave{}", plural(1)), "1 wave");
        assert_eq!(format!("0 wave{}", plural(0)), "0 waves");
        assert_eq!(format!("2 mailbox{}", plural_es(2)), "2 mailboxes");
        assert_eq!(count(1, "store is", "stores are"), "1 store is");
        assert_eq!(count(3, "server", "servers"), "3 servers");
    }
}
