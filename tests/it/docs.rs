//! The documentation tells the truth.
//!
//! - Every `$ planner ...` line in a fenced code block of README.md and
//!   docs/guide.md is run with the built binary, in document order, in a
//!   scratch directory holding copies of the inputs the documents use (so a
//!   command that writes `plan.json` or `upgrade.sh` never touches the
//!   repository). Its exit code must be the one the document implies, and the
//!   output lines shown under it must appear in its output, in order.
//! - docs/inventory.md names every property of the inventory schema, and
//!   docs/plan-format.md every property of the plan schema, so the references
//!   cannot drift from the schemas.
//!
//! How a document marks what it expects:
//!
//! - The lines after a `$ planner ...` line, up to the next `$ ` line or the
//!   end of the block, are output the command must print: each must equal an
//!   output line (trailing whitespace aside), in that order, with anything in
//!   between. A line that is only `...` (after trimming) marks an elision.
//!   stderr and stdout are matched as one text, stderr first (or stdout first).
//! - The exit code is 0, or 1 when a shown line is an error (starts with
//!   `error:` or holds `: error: `), or what a trailing `# exit N` on the
//!   command line says.
//! - Commands that need a shell (pipes, redirections, variables) are not run:
//!   each must be listed in `SKIPPED` with the reason.
//! - Other `$ ` lines (`$ sh upgrade.sh`, `$ cp ...`) are not run. A file the
//!   reader is asked to edit by hand is made by the test from `EDITS`, which
//!   the document must show.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::util::{Scratch, planner, root, scratch};

/// The documents whose commands are run.
const DOCS: &[&str] = &["README.md", "docs/guide.md"];

/// What the commands read, copied into each document's scratch directory.
const INPUTS: &[&str] = &[
    "examples",
    "tests/plans",
    "tests/bad-input",
    "tests/journals",
    "schemas",
];

/// Commands that are not run, as written after `$ ` (comment included), and why.
const SKIPPED: &[(&str, &str)] = &[
    (
        "planner completions bash > ~/.local/share/bash-completion/completions/planner",
        "a shell redirection into the reader's home directory; completions have their own test",
    ),
    (
        "planner man > planner.1",
        "a shell redirection; the man page has its own test",
    ),
];

/// A file the reader makes by hand before a command uses it: a copy of `from`
/// with each `(old, new)` replaced once. The document must show every `new`
/// text verbatim, so the test and the document describe the same edit.
struct Edit {
    doc: &'static str,
    file: &'static str,
    from: &'static str,
    replace: &'static [(&'static str, &'static str)],
}

const EDITS: &[Edit] = &[Edit {
    doc: "docs/guide.md",
    file: "examples/after-wave-1.yaml",
    from: "examples/two-sites.yaml",
    replace: &[
        (
            "  - name: ldap1.dc1.example.edu\n    roles: [ldap-master]\n    version: \"9.0.0_P40\"\n",
            "  - name: ldap1.dc1.example.edu\n    roles: [ldap-master]\n    version: \"10.1.5\"                # was 9.0.0_P40: upgraded in wave 1\n",
        ),
        (
            "      incremental: 2026-11-28T01:30:00Z  # no full backup known: a full one is taken first\n",
            "      full: 2026-11-29T00:40:00Z         # the full backup of wave 1\n      incremental: 2026-11-28T01:30:00Z\n",
        ),
    ],
}];

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One `$ planner ...` line of a document and the output shown under it.
struct DocCommand {
    line: usize,
    /// The command as written after `$ `.
    text: String,
    expected: Vec<String>,
}

/// The `$ planner ...` lines of the fenced code blocks of a document.
fn doc_commands(text: &str) -> Vec<DocCommand> {
    let mut commands = Vec::new();
    let mut fence: Option<String> = None;
    // Whether output lines belong to the last command (false after another `$ ` line).
    let mut collecting = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &fence {
            None => {
                let ticks = trimmed.chars().take_while(|&c| c == '`').count();
                let tildes = trimmed.chars().take_while(|&c| c == '~').count();
                if ticks >= 3 || tildes >= 3 {
                    let marker = if ticks >= 3 { "`" } else { "~" };
                    fence = Some(marker.repeat(ticks.max(tildes)));
                    collecting = false;
                }
            }
            Some(marker) => {
                let closes = trimmed.starts_with(marker.as_str())
                    && trimmed.trim_start_matches(['`', '~']).trim().is_empty();
                if closes {
                    fence = None;
                    collecting = false;
                } else if let Some(command) = line.strip_prefix("$ ") {
                    collecting = command.starts_with("planner ") || command == "planner";
                    if collecting {
                        commands.push(DocCommand {
                            line: index + 1,
                            text: command.trim().to_string(),
                            expected: Vec::new(),
                        });
                    }
                } else if collecting && let Some(command) = commands.last_mut() {
                    command.expected.push(line.trim_end().to_string());
                }
            }
        }
    }
    for command in &mut commands {
        command.expected.retain(|l| l.trim() != "...");
        while command.expected.last().is_some_and(|l| l.is_empty()) {
            command.expected.pop();
        }
    }
    commands
}

/// Splits a command line into words as a POSIX shell would, for the simple
/// cases a document shows: words, single and double quotes, backslashes and a
/// trailing `# comment`. Anything that needs a real shell is an error saying why.
fn split_words(line: &str) -> Result<(Vec<String>, Option<String>), String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut comment = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => {
                comment = Some(chars.by_ref().collect::<String>().trim().to_string());
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("an unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("an unclosed double quote".into()),
                        },
                        Some(c @ ('$' | '`')) => {
                            return Err(format!("`{c}` inside double quotes"));
                        }
                        Some(c) => word.push(c),
                        None => return Err("an unclosed double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err("a trailing backslash".into()),
                }
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' | '*' | '?' | '[' => {
                return Err(format!("`{c}` outside quotes"));
            }
            '~' if !in_word => return Err("`~` at the start of a word".into()),
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    // `NAME=value` before the command sets an environment variable.
    if words.first().is_some_and(|w| w.contains('=')) {
        return Err("an environment variable".into());
    }
    Ok((words, comment))
}

/// The exit code a command's document implies.
fn expected_code(comment: Option<&str>, expected: &[String]) -> Result<i32, String> {
    if let Some(comment) = comment
        && let Some(code) = comment.strip_prefix("exit ")
    {
        return code
            .trim()
            .parse()
            .map_err(|_| format!("`# {comment}`: not an exit code"));
    }
    let refused = expected
        .iter()
        .any(|l| l.starts_with("error:") || l.contains(": error: "));
    Ok(if refused { 1 } else { 0 })
}

/// Whether `expected` appears in `output` line by line, in order; otherwise
/// the first expected line that could not be found after the previous ones.
fn appears_in_order<'a>(expected: &'a [String], output: &str) -> Result<(), &'a str> {
    let mut lines = output.lines().map(str::trim_end);
    for wanted in expected {
        if !lines.any(|l| l == wanted) {
            return Err(wanted);
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        }
    }
}

/// A fresh scratch directory for one document, with copies of `INPUTS`.
fn inputs_for(doc: &str) -> Scratch {
    let dir = scratch!(&doc.replace(['/', '.'], "-"));
    for input in INPUTS {
        copy_dir(&root().join(input), &dir.join(input));
    }
    dir
}

/// Makes the hand-edited files of `EDITS` a command names, once.
fn apply_edits(doc: &str, words: &[String], dir: &Path, done: &mut BTreeSet<&'static str>) {
    for edit in EDITS.iter().filter(|e| e.doc == doc) {
        if done.contains(edit.file) || !words.iter().any(|w| w == edit.file) {
            continue;
        }
        let mut text = std::fs::read_to_string(dir.join(edit.from))
            .unwrap_or_else(|e| panic!("{}: {e}", edit.from));
        for (old, new) in edit.replace {
            assert_eq!(
                text.matches(old).count(),
                1,
                "EDITS: {} must hold exactly once:\n{old}",
                edit.from
            );
            text = text.replacen(old, new, 1);
        }
        std::fs::write(dir.join(edit.file), text).expect("write the edited file");
        done.insert(edit.file);
    }
}

/// Runs the planner in `dir`, with an empty stdin: exit code, stdout, stderr.
fn run(dir: &Path, args: &[String]) -> (i32, String, String) {
    let output = planner(args).current_dir(dir).output();
    (output.code, output.stdout_lossy(), output.stderr())
}

#[test]
fn every_planner_command_in_the_readme_and_the_guide_works() {
    let mut failures = String::new();
    let mut skipped_seen = BTreeSet::new();
    let mut ran = 0;
    for doc in DOCS {
        let text = read(doc);
        for edit in EDITS.iter().filter(|e| e.doc == *doc) {
            for (_, new) in edit.replace {
                if !text.contains(new) {
                    let _ = writeln!(
                        failures,
                        "{doc} must show the edit the test makes to {}:\n{new}",
                        edit.file
                    );
                }
            }
        }
        let commands = doc_commands(&text);
        assert!(!commands.is_empty(), "{doc} shows no `$ planner` command");
        let dir = inputs_for(doc);
        let mut edits_done = BTreeSet::new();
        for command in commands {
            let place = format!("{doc}:{}: `{}`", command.line, command.text);
            if let Some((_, why)) = SKIPPED.iter().find(|(c, _)| *c == command.text) {
                println!("skipped {place}: {why}");
                skipped_seen.insert(command.text.clone());
                continue;
            }
            let (words, comment) = match split_words(&command.text) {
                Ok(split) => split,
                Err(why) => {
                    let _ = writeln!(
                        failures,
                        "{place}: needs a shell ({why}); list it in SKIPPED with the reason"
                    );
                    continue;
                }
            };
            let code = match expected_code(comment.as_deref(), &command.expected) {
                Ok(code) => code,
                Err(why) => {
                    let _ = writeln!(failures, "{place}: {why}");
                    continue;
                }
            };
            // An input the document uses but the scratch copy lacks: say so plainly.
            for (i, word) in words.iter().enumerate().skip(1) {
                let written = i > 0 && matches!(words[i - 1].as_str(), "--output" | "-o");
                if !written
                    && !word.starts_with('-')
                    && root().join(word).exists()
                    && !dir.join(word).exists()
                    && !EDITS.iter().any(|e| e.file == word)
                {
                    let _ = writeln!(
                        failures,
                        "{place}: `{word}` is not copied into the scratch directory; add its directory to INPUTS"
                    );
                }
            }
            apply_edits(doc, &words, &dir, &mut edits_done);
            println!("running {place} (expecting exit {code})");
            ran += 1;
            let (status, stdout, stderr) = run(&dir, &words[1..]);
            let mut wrong = Vec::new();
            if status != code {
                wrong.push(format!("exit code {status}, the document implies {code}"));
            }
            let err_first = format!("{stderr}{stdout}");
            let out_first = format!("{stdout}{stderr}");
            if let Err(missing) = appears_in_order(&command.expected, &err_first)
                && appears_in_order(&command.expected, &out_first).is_err()
            {
                wrong.push(format!(
                    "this line it shows is not in the output (in order):\n    {missing}"
                ));
            }
            if !wrong.is_empty() {
                let _ = writeln!(
                    failures,
                    "{place} (run in {}):\n  {}\n  --- stdout\n{stdout}  --- stderr\n{stderr}",
                    dir.display(),
                    wrong.join("\n  ")
                );
            }
        }
    }
    for (command, _) in SKIPPED {
        if !skipped_seen.contains(*command) {
            let _ = writeln!(
                failures,
                "SKIPPED lists `{command}`, which no document shows any more: remove it"
            );
        }
    }
    assert!(ran > 0, "no command was run");
    assert!(failures.is_empty(), "\n{failures}");
}

/// Every property name in a JSON Schema: the keys of every `properties`,
/// following `$ref` into `$defs`, and into `items`, `additionalProperties`,
/// `anyOf` and the rest.
fn property_names(schema: &Value) -> BTreeSet<String> {
    fn walk(
        node: &Value,
        schema: &Value,
        seen: &mut BTreeSet<String>,
        names: &mut BTreeSet<String>,
    ) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref")
                    && seen.insert(reference.clone())
                {
                    let target = reference
                        .strip_prefix('#')
                        .and_then(|pointer| schema.pointer(pointer))
                        .unwrap_or_else(|| panic!("unresolved $ref {reference}"));
                    walk(target, schema, seen, names);
                }
                for (key, value) in map {
                    match key.as_str() {
                        "properties" => {
                            if let Value::Object(properties) = value {
                                for (name, property) in properties {
                                    names.insert(name.clone());
                                    walk(property, schema, seen, names);
                                }
                            }
                        }
                        // Definitions count only where they are used.
                        "$defs" | "definitions" => {}
                        _ => walk(value, schema, seen, names),
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, schema, seen, names);
                }
            }
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    walk(schema, schema, &mut BTreeSet::new(), &mut names);
    names
}

/// The property names of `schema` that `doc` never writes as `` `name` ``.
fn undocumented(schema: &str, doc: &str) -> Vec<String> {
    let schema: Value = serde_json::from_str(&read(schema)).expect("the schema is JSON");
    let names = property_names(&schema);
    assert!(names.len() > 10, "too few properties found: {names:?}");
    let text = read(doc);
    names
        .into_iter()
        .filter(|name| !text.contains(&format!("`{name}`")))
        .collect()
}

#[test]
fn the_inventory_reference_names_every_property_of_the_inventory_schema() {
    let missing = undocumented("schemas/inventory.schema.json", "docs/inventory.md");
    assert!(
        missing.is_empty(),
        "docs/inventory.md does not mention these properties of schemas/inventory.schema.json: {}",
        missing.join(", ")
    );
}

#[test]
fn the_plan_format_reference_names_every_property_of_the_plan_schema() {
    let missing = undocumented("schemas/plan.schema.json", "docs/plan-format.md");
    assert!(
        missing.is_empty(),
        "docs/plan-format.md does not mention these properties of schemas/plan.schema.json: {}",
        missing.join(", ")
    );
}

#[test]
fn the_command_line_reader_splits_like_a_shell() {
    let split = |s: &str| split_words(s).map(|(w, c)| (w.join("|"), c));
    assert_eq!(
        split("planner explain x.yaml \"patrick.o'neil@x.com\" --now T"),
        Ok((
            "planner|explain|x.yaml|patrick.o'neil@x.com|--now|T".into(),
            None
        ))
    );
    assert_eq!(
        split("planner plan 'a b'  # exit 1"),
        Ok(("planner|plan|a b".into(), Some("exit 1".into())))
    );
    assert_eq!(
        split("planner plan x --max-fill 80%"),
        Ok(("planner|plan|x|--max-fill|80%".into(), None))
    );
    assert!(split("planner man > planner.1").is_err());
    assert!(split("planner plan x | head").is_err());
    assert!(split("planner plan $INVENTORY").is_err());
    assert!(split("planner plan \"$INVENTORY\"").is_err());
    assert!(split("FOO=1 planner plan x").is_err());
    assert_eq!(expected_code(None, &["error: no".into()]), Ok(1));
    assert_eq!(expected_code(None, &["a.yaml:1:2: error: x".into()]), Ok(1));
    assert_eq!(
        expected_code(None, &["a.yaml:1:2: warning: x".into()]),
        Ok(0)
    );
    assert_eq!(expected_code(Some("exit 2"), &[]), Ok(2));
}
