//! A source check: no code decides by reading the text of a sentence.
//!
//! Decisions are enums (verdicts, wait rules, blockers, shortfalls, refusal
//! reasons) and their sentences are made only by `Display`; matching on the
//! text would make a wording change a behaviour change. This test reads the
//! engine's, the plan contract's, the checker's and the explanations' sources
//! (through `include_str!`, so it needs no file system access) and fails on
//! a string test of a `why`, a message, a verdict, a rule, a hint or a limit.
//! Test modules are not checked: tests may look at the words they expect.

/// The sources checked, by path for the report.
const SOURCES: &[(&str, &str)] = &[
    ("engine/assemble.rs", include_str!("assemble.rs")),
    ("engine/graph.rs", include_str!("graph.rs")),
    ("engine/mod.rs", include_str!("mod.rs")),
    ("engine/place.rs", include_str!("place.rs")),
    ("engine/reason.rs", include_str!("reason.rs")),
    ("engine/refuse.rs", include_str!("refuse.rs")),
    ("engine/schedule.rs", include_str!("schedule.rs")),
    ("engine/strategy.rs", include_str!("strategy.rs")),
    ("engine/table.rs", include_str!("table.rs")),
    ("plan/mod.rs", include_str!("../plan/mod.rs")),
    ("plan/decisions.rs", include_str!("../plan/decisions.rs")),
    ("plan/digest.rs", include_str!("../plan/digest.rs")),
    ("plan/options.rs", include_str!("../plan/options.rs")),
    ("plan/query.rs", include_str!("../plan/query.rs")),
    ("explain.rs", include_str!("../explain.rs")),
    ("cycles.rs", include_str!("../cycles.rs")),
    ("verify/mod.rs", include_str!("../verify/mod.rs")),
    ("verify/moves.rs", include_str!("../verify/moves.rs")),
    ("verify/replay.rs", include_str!("../verify/replay.rs")),
    ("verify/servers.rs", include_str!("../verify/servers.rs")),
    ("verify/timeline.rs", include_str!("../verify/timeline.rs")),
];

/// Fields that hold sentences, or did before they became enums.
const SENTENCES: &[&str] = &[
    "why",
    "message",
    "verdict",
    "rule",
    "hint",
    "limited_by",
    "reason",
];

/// Ways of reading text: a string method, or a comparison with a literal.
const TEXT_TESTS: &[&str] = &[
    ".contains(",
    ".starts_with(",
    ".ends_with(",
    ".strip_prefix(",
    ".strip_suffix(",
    ".split_once(",
    ".find(",
    " == \"",
    " != \"",
    ".as_str() == ",
];

/// The lines of `source` (outside test modules) that test a sentence's text.
fn text_tests(source: &str) -> Vec<(usize, String)> {
    let code = source
        .split("#[cfg(test)]\nmod tests {")
        .next()
        .unwrap_or(source);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.trim();
        if line.starts_with("//") {
            continue;
        }
        let reads_text = SENTENCES.iter().any(|field| {
            TEXT_TESTS.iter().any(|test| {
                line.contains(&format!(".{field}{test}"))
                    || line.starts_with(&format!("{field}{test}"))
            })
        }) || line.contains(".contains(\"own ceiling\")");
        if reads_text {
            found.push((n + 1, line.to_string()));
        }
    }
    found
}

#[test]
fn no_code_decides_by_the_text_of_a_sentence() {
    let mut found = Vec::new();
    for (path, source) in SOURCES {
        for (line, text) in text_tests(source) {
            found.push(format!("{path}:{line}: {text}"));
        }
    }
    assert!(
        found.is_empty(),
        "decide with the enums, not their words:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_text_tests() {
    let bad = "fn f() {\n    if step.why.starts_with(\"mta tier\") {}\n    let full = c.verdict == \"chosen\";\n    let x = first.limited_by.contains(\"own ceiling\");\n}\n#[cfg(test)]\nmod tests {\n    fn g() { s.why.contains(\"x\"); } }\n";
    let lines: Vec<usize> = text_tests(bad).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [2, 3, 4]);
    assert!(text_tests("let kind = reason.kind;\nif verdict.is_chosen() {}\n").is_empty());
}
