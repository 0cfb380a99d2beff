//! Invariants of the source tree that no compiler checks.
//!
//! Decisions are typed: verdicts, wait rules, blockers, shortfalls and refusal
//! reasons are enums in planner-core, and their sentences are made from them
//! by `Display` at the edge. Code that tested the text of a `why`, a message,
//! a verdict or a rule would turn a change of wording into a change of
//! behaviour, so no code outside tests does: this scan reads every source file
//! of the workspace's crates (new files included) and fails on a string test
//! of such a field. Test modules, at the end of a file after `#[cfg(test)]`,
//! and files named `tests.rs` are not checked: tests may look at the words
//! they expect.
//!
//! And planner-core is pure: it reads no file, no environment and no clock,
//! and starts no process. Its clippy.toml forbids the usual calls by name;
//! the scan here forbids the modules themselves, so a call the list does not
//! name (`std::fs::rename`, `std::env::temp_dir`) fails too.

use std::path::{Path, PathBuf};

use crate::util::root;

/// Fields that hold sentences for people, or did before they became enums.
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
    ".split(",
    ".find(",
    ".matches(",
    " == \"",
    " != \"",
    ".as_str() == ",
    ".as_str().contains(",
    ".as_str().starts_with(",
];

/// What planner-core may not name outside its tests. `env!` stays allowed:
/// it is read at build time (the crate's version).
const IMPURE: &[&str] = &[
    "std::fs",
    "std::env",
    "std::process",
    "std::net",
    "std::time",
    "SystemTime",
    "Instant::now",
    "Timestamp::now",
    "Zoned::now",
    "option_env!",
    "println!",
    "eprintln!",
    "print!(",
    "eprint!(",
    "dbg!(",
];

/// The crates' source folders.
const SOURCE_DIRS: &[&str] = &[
    "planner-core/src",
    "planner-render/src",
    "planner-cli/src",
    "bench/src",
];

/// Every Rust file below `dir`, sorted, except test-only files.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The lines of `source`, before its test module, that test a sentence's text.
fn text_tests(source: &str) -> Vec<(usize, String)> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
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
        });
        if reads_text {
            found.push((n + 1, line.to_string()));
        }
    }
    found
}

#[test]
fn the_scan_finds_text_tests() {
    let bad = "fn f() {\n    if step.why.starts_with(\"mta tier\") {}\n    let chosen = c.verdict == \"chosen\";\n    let x = first.limited_by.contains(\"own ceiling\");\n    let m = r.message.as_str().contains(\"x\");\n}\n#[cfg(test)]\nmod tests {\n    fn g() { s.why.contains(\"x\"); }\n}\n";
    let lines: Vec<usize> = text_tests(bad).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [2, 3, 4, 5]);
    for fine in [
        "let kind = reason.kind;",
        "if verdict.is_chosen() {}",
        "lines.push(format!(\"why: {}\", step.why));",
        "let why = sentence(&inline(&step.why, true));",
        "// s.why.contains(\"x\") in a comment",
        "let batch = b.why_data.contains(x);",
    ] {
        assert!(text_tests(fine).is_empty(), "{fine}");
    }
}

/// Every line that `find` picks in the Rust files below `dirs`, as
/// `PATH:LINE: CODE`; at least `min_files` files must be read, so a scan that
/// lost its way fails instead of passing on nothing.
fn scan(dirs: &[&str], min_files: usize, find: fn(&str) -> Vec<(usize, String)>) -> Vec<String> {
    let root = root();
    let mut files = Vec::new();
    for dir in dirs {
        sources(&root.join(dir), &mut files);
    }
    assert!(
        files.len() >= min_files,
        "the scan found only {} source files",
        files.len()
    );
    let mut found = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("a source file");
        let shown = file.strip_prefix(&root).unwrap_or(file).display();
        for (line, text) in find(&source) {
            found.push(format!("{shown}:{line}: {text}"));
        }
    }
    found
}

#[test]
fn no_code_decides_by_the_text_of_a_sentence() {
    let found = scan(SOURCE_DIRS, 41, text_tests);
    assert!(
        found.is_empty(),
        "decide with the enums, not with their words:\n{}",
        found.join("\n")
    );
}

/// The lines of `source`, before its test module, that name an impure API.
fn impure_lines(source: &str) -> Vec<(usize, String)> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    code.lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim()))
        .filter(|(_, line)| !line.starts_with("//"))
        .filter(|(_, line)| IMPURE.iter().any(|name| line.contains(name)))
        .map(|(n, line)| (n, line.to_string()))
        .collect()
}

#[test]
fn the_purity_scan_finds_io_and_clocks() {
    let bad = "use std::fs::rename;
let t = jiff::Timestamp::now();
let d = std::env::temp_dir();
// std::fs in a comment
let v = env!(\"CARGO_PKG_VERSION\");
#[cfg(test)]
mod tests { fn f() { std::fs::read(\"x\"); } }
";
    let lines: Vec<usize> = impure_lines(bad).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [1, 2, 3]);
}

#[test]
fn planner_core_does_no_io_and_reads_no_clock() {
    let found = scan(&["planner-core/src"], 21, impure_lines);
    assert!(
        found.is_empty(),
        "planner-core takes bytes and `now` from its caller:\n{}",
        found.join("\n")
    );
}

/// The longest a function may be, in lines, outside tests (ARCHITECTURE.md).
const LONGEST_FUNCTION: usize = 100;

/// The functions of `source`, before its test module, longer than
/// [`LONGEST_FUNCTION`] lines: from the `fn` line to the `}` at its
/// indentation, as rustfmt lays them out.
fn long_functions(source: &str) -> Vec<(usize, String)> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let after_visibility = ["pub(crate) ", "pub(super) ", "pub "]
            .iter()
            .find_map(|v| trimmed.strip_prefix(v))
            .unwrap_or(trimmed);
        let Some(rest) = after_visibility.strip_prefix("fn ") else {
            continue;
        };
        if line.trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        let Some(length) = lines[n + 1..].iter().position(|l| l.trim_end() == close) else {
            continue;
        };
        if length + 2 > LONGEST_FUNCTION {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((n + 1, format!("fn {name}: {} lines", length + 2)));
        }
    }
    found
}

#[test]
fn the_length_scan_finds_long_functions() {
    let body = "    let x = 1;\n".repeat(LONGEST_FUNCTION);
    let source = format!(
        "pub fn short() {{\n    x();\n}}\n\nfn long() {{\n{body}}}\n\nimpl A {{\n    pub(crate) fn long_method(&self) {{\n    {body}    }}\n}}\n#[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{body}    }}\n}}\n"
    );
    let names: Vec<String> = long_functions(&source)
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(
        names,
        [
            format!("fn long: {} lines", LONGEST_FUNCTION + 2),
            format!("fn long_method: {} lines", LONGEST_FUNCTION + 2)
        ]
    );
}

#[test]
fn no_function_is_over_a_hundred_lines() {
    let found = scan(SOURCE_DIRS, 41, long_functions);
    assert!(
        found.is_empty(),
        "split these functions (at most {LONGEST_FUNCTION} lines):\n{}",
        found.join("\n")
    );
}
