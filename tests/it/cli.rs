//! End-to-end tests of the `planner` binary: inventories in, output and exit
//! codes out.
//!
//! Bad inputs live one case per file under `bad-input/`; inputs that are large
//! or binary are generated here from a fixed seed. Each run is snapshotted as
//! one transcript (exit code, stdout, stderr), so a reviewer sees exactly what
//! an operator would.

use std::path::Path;
use std::process::Command;

use crate::util::{NOW, planner, root, scratch, six_servers};

/// Runs `planner` with `args` in `cwd` and returns the exit code and the
/// transcript.
fn run(cwd: &Path, args: &[&str]) -> (i32, String) {
    let output = planner(args).current_dir(cwd).output();
    (output.code, output.transcript())
}

/// A small deterministic pseudo-random generator (xorshift64*), so that
/// generated inputs are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn bad_input_corpus() {
    let dir = root().join("tests/bad-input");
    insta::glob!("../bad-input", "*.yaml", |path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        let (code, transcript) = run(&dir, &["check", name]);
        assert_eq!(code, 1, "{name} must be refused with exit 1:\n{transcript}");
        insta::assert_snapshot!(transcript);
    });
}

#[test]
fn generated_bad_inputs() {
    let dir = scratch!("generated-bad-inputs");
    let mut rng = Rng(0x5eed_1234_abcd_0001);

    // Nesting 100,000 deep.
    let deep = format!(
        "format: 1\nservers: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.join("deep.yaml"), deep).expect("write");
    // Block nesting 100,000 deep on one line.
    let deep_block = format!("format: 1\nservers:\n  {}x\n", "- ".repeat(100_000));
    std::fs::write(dir.join("deep-block.yaml"), deep_block).expect("write");
    // Random binary.
    let binary: Vec<u8> = (0..4096).map(|_| (rng.next() >> 56) as u8).collect();
    std::fs::write(dir.join("binary.yaml"), binary).expect("write");
    // Valid YAML with one byte that is not UTF-8 on line 3.
    let mut latin1 = six_servers().text().into_bytes();
    latin1.splice(30..30, b"# caf\xe9\n".iter().copied());
    std::fs::write(dir.join("latin1.yaml"), latin1).expect("write");

    let mut transcripts = String::new();
    for name in ["deep.yaml", "deep-block.yaml", "binary.yaml", "latin1.yaml"] {
        let (code, transcript) = run(&dir, &["check", name]);
        assert_eq!(code, 1, "{name} must be refused with exit 1:\n{transcript}");
        transcripts.push_str(&format!("=== {name}\n{transcript}"));
    }
    insta::assert_snapshot!(transcripts);
}

#[test]
fn million_line_mailbox_file_with_one_bad_line() {
    let dir = scratch!("million-lines");
    let mut rng = Rng(0x5eed_0000_0000_0002);
    let bad_line = 765_432;
    let mut list = String::with_capacity(40 * 1_000_000);
    for i in 1..=1_000_000u32 {
        if i == bad_line {
            list.push_str("user765432@example.com 0 12x4\n");
        } else {
            let used = rng.next() % 5_000_000_000;
            list.push_str(&format!("user{i}@example.com 0 {used}\n"));
        }
    }
    std::fs::write(dir.join("mbx1.gqu"), list).expect("write");
    let inventory = six_servers()
        .mailbox_file("mbx1.gqu", "zmprov-gqu", "mbx1.example.com")
        .text();
    std::fs::write(dir.join("big.yaml"), inventory).expect("write");
    let (code, transcript) = run(&dir, &["check", "big.yaml"]);
    assert_eq!(code, 1, "{transcript}");
    insta::assert_snapshot!(transcript);
}

#[test]
fn unreadable_inventory_is_a_usage_error() {
    let (code, transcript) = run(&root(), &["check", "no/such/inventory.yaml"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(transcript);
    let (code, _) = run(&root(), &["check", "examples"]);
    assert_eq!(code, 2, "a directory is not a readable inventory");
}

#[test]
fn usage_errors_exit_2() {
    let (code, transcript) = run(&root(), &["check"]);
    assert_eq!(code, 2, "{transcript}");
    let (code, transcript) = run(&root(), &["frobnicate"]);
    assert_eq!(code, 2, "{transcript}");
    let (code, transcript) = run(&root(), &["--help"]);
    assert_eq!(code, 0, "{transcript}");
}

#[test]
fn examples_check() {
    let root = root();
    insta::glob!("../../examples", "*.yaml", |path| {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        let name = format!("examples/{file}");
        let (code, transcript) = run(&root, &["check", &name]);
        assert_eq!(code, 0, "{name}:\n{transcript}");
        insta::assert_snapshot!(transcript);
    });
}

#[test]
fn committed_inventory_schema_is_current() {
    let (code, generated) = {
        let output = planner(["schema", "inventory"]).output();
        (output.code, output.stdout())
    };
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(root().join("schemas/inventory.schema.json"))
        .expect("schemas/inventory.schema.json is committed");
    assert!(
        committed == generated,
        "schemas/inventory.schema.json is stale: run `cargo run -p planner-cli -- schema inventory > schemas/inventory.schema.json`"
    );
}

#[test]
fn examples_validate_against_the_inventory_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/inventory.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("examples")).expect("examples/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/inventory.schema.json\n"),
            "{} must start with the schema comment",
            path.display()
        );
        let value: serde_json::Value = serde_yaml::from_str(&text).expect("YAML");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        checked += 1;
    }
    assert!(
        checked >= 4,
        "expected at least four examples, found {checked}"
    );

    // The schema must also reject what the planner rejects structurally.
    let bad: serde_json::Value =
        serde_yaml::from_str("format: 1\ntarget_verison: \"10.1.5\"\nservers: []\n").expect("YAML");
    assert!(
        !validator.is_valid(&bad),
        "the schema must refuse unknown keys"
    );
}

#[test]
fn plan_text_of_every_example() {
    let root = root();
    insta::glob!("../../examples", "*.yaml", |path| {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        let name = format!("examples/{file}");
        let (code, transcript) = run(&root, &["plan", &name, "--now", NOW]);
        assert_eq!(code, 0, "{name}:\n{transcript}");
        insta::assert_snapshot!(transcript);
    });
}

#[test]
fn plan_text_of_test_inventories() {
    let dir = root().join("tests/plans");
    insta::glob!("../plans", "*.yaml", |path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        let (code, transcript) = run(&dir, &["plan", name, "--now", NOW]);
        assert!(code == 0 || code == 1, "{name}: exit {code}\n{transcript}");
        insta::assert_snapshot!(transcript);
    });
}

#[test]
fn a_refused_plan_leaves_no_output_file() {
    let dir = scratch!("refused-output");
    let out = dir.join("plan.json");
    let inventory = root().join("tests/plans/full-installation.yaml");
    let (code, transcript) = run(
        &dir,
        &[
            "plan",
            inventory.to_str().expect("utf-8"),
            "--format",
            "json",
            "--output",
            "plan.json",
            "--now",
            NOW,
        ],
    );
    assert_eq!(code, 1, "{transcript}");
    assert!(!out.exists(), "nothing may be written when planning fails");
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        0,
        "no temporary file is left behind"
    );

    let inventory = root().join("examples/enterprise.yaml");
    let (code, transcript) = run(
        &dir,
        &[
            "plan",
            inventory.to_str().expect("utf-8"),
            "--format",
            "json",
            "--output",
            "plan.json",
            "--now",
            NOW,
        ],
    );
    assert_eq!(code, 0, "{transcript}");
    let written = std::fs::read_to_string(&out).expect("the plan file");
    let stdout = planner([
        "plan",
        inventory.to_str().expect("utf-8"),
        "--format",
        "json",
        "--now",
        NOW,
    ])
    .output()
    .stdout();
    assert_eq!(
        written, stdout,
        "--output writes exactly what stdout would show"
    );
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        1,
        "only the plan file is left"
    );
}

#[test]
fn plan_options_that_do_not_parse_are_usage_errors() {
    let root = root();
    for args in [
        ["plan", "examples/enterprise.yaml", "--now", "yesterday"],
        ["plan", "examples/enterprise.yaml", "--max-fill", "150%"],
        ["plan", "examples/enterprise.yaml", "--strategy", "sideways"],
        ["plan", "examples/enterprise.yaml", "--format", "pdf"],
    ] {
        let (code, transcript) = run(&root, &args);
        assert_eq!(code, 2, "{args:?}:\n{transcript}");
        assert!(
            transcript.contains("--- stdout\n--- stderr"),
            "nothing on stdout for {args:?}"
        );
    }
}

#[test]
fn command_line_overrides_are_recorded_in_the_plan() {
    let output = planner([
        "plan",
        "examples/enterprise.yaml",
        "--format",
        "json",
        "--now",
        NOW,
        "--max-fill",
        "85%",
        "--strategy",
        "spread",
    ])
    .output()
    .success();
    let plan: serde_json::Value = serde_json::from_slice(output.stdout_bytes()).expect("JSON");
    assert_eq!(plan["policy"]["max_fill"], serde_json::json!(0.85));
    assert_eq!(plan["policy"]["strategy"], "spread");
    assert_eq!(plan["strategy"]["chosen"], "spread");
    assert_eq!(plan["now"], NOW);
}

#[test]
fn committed_plan_schema_is_current_and_example_plans_validate() {
    let output = planner(["schema", "plan"]).output();
    assert_eq!(output.code, 0);
    let generated = output.stdout();
    let committed =
        std::fs::read_to_string(root().join("schemas/plan.schema.json")).expect("committed schema");
    assert!(
        committed == generated,
        "schemas/plan.schema.json is stale: run `cargo run -p planner-cli -- schema plan > schemas/plan.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    for entry in std::fs::read_dir(root().join("examples")).expect("examples/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let output = planner([
            "plan",
            path.to_str().expect("utf-8"),
            "--format",
            "json",
            "--now",
            NOW,
        ])
        .output();
        assert_eq!(output.code, 0);
        let plan: serde_json::Value = serde_json::from_slice(output.stdout_bytes()).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&plan)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn the_plan_schema_pins_the_format_and_each_kinds_fields() {
    let schema: serde_json::Value =
        serde_json::from_str(&planner(["schema", "plan"]).output().stdout()).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    // The SaaS example has every kind of step (two-stage moves with Zextras).
    let plan = crate::util::plan_json("examples/saas.yaml", &[]);
    assert!(validator.is_valid(&plan));
    // Each edit must make the plan invalid, naming what is wrong.
    let first = |kind: &str, plan: &serde_json::Value| -> (usize, usize) {
        for (w, wave) in plan["waves"].as_array().expect("waves").iter().enumerate() {
            for (s, step) in wave["steps"].as_array().expect("steps").iter().enumerate() {
                if step["kind"] == kind {
                    return (w, s);
                }
            }
        }
        panic!("no {kind} step");
    };
    let edits: [(&str, &str, &str, Option<&str>); 7] = [
        ("format", "", "", Some("upgrade-plan/v1")),
        ("move-data", "target", "target", None),
        ("move-switch", "accounts", "accounts", None),
        ("backup", "when", "when", None),
        ("purge", "accounts", "accounts", None),
        ("upgrade", "actions", "actions", None),
        ("upgrade", "kind", "drain", Some("drain")),
    ];
    for (kind, field, named, value) in edits {
        let mut bad = plan.clone();
        if kind == "format" {
            bad["format"] = serde_json::json!(value);
        } else {
            let (w, s) = first(kind, &bad);
            let step = &mut bad["waves"][w]["steps"][s];
            match value {
                Some(v) => step[field] = serde_json::json!(v),
                None => {
                    step.as_object_mut().expect("a step").remove(field);
                }
            }
        }
        let errors: Vec<String> = validator.iter_errors(&bad).map(|e| e.to_string()).collect();
        assert!(
            errors.iter().any(|e| e.contains(named) || kind == "format"),
            "{kind}.{field}: {errors:#?}"
        );
    }
    // The planner's own reader names an unknown kind too.
    let mut bad = plan.clone();
    let (w, s) = first("upgrade", &bad);
    bad["waves"][w]["steps"][s]["kind"] = serde_json::json!("drain");
    let dir = scratch!("unknown-kind");
    let path = dir.join("plan.json");
    std::fs::write(&path, serde_json::to_vec(&bad).expect("JSON")).expect("write");
    let output = planner([
        "verify",
        path.to_str().expect("utf-8"),
        "--inventory",
        "examples/enterprise.yaml",
    ])
    .output();
    assert_eq!(output.code, 1);
    assert!(
        output.stderr().contains("unknown variant `drain`"),
        "{}",
        output.stderr()
    );
    assert!(
        output.stderr().contains("actions of the upgrade step"),
        "{}",
        output.stderr()
    );
}

#[test]
fn text_is_plain_when_piped_and_coloured_only_on_request() {
    // stdout is a pipe here: no escape codes, whatever NO_COLOR says.
    let output = planner(["plan", "tests/plans/one-mta.yaml", "--now", NOW])
        .env_remove("NO_COLOR")
        .output();
    assert_eq!(output.code, 0);
    assert!(
        !output.stdout_bytes().contains(&0x1b),
        "no ANSI escape codes in piped output"
    );
    // The renderer colours only when asked, and the coloured text says the same.
    let plan_json = planner([
        "plan",
        "tests/plans/one-mta.yaml",
        "--format",
        "json",
        "--now",
        NOW,
    ])
    .output();
    let plan: planner_core::plan::Plan =
        serde_json::from_slice(plan_json.stdout_bytes()).expect("plan");
    let plain = planner_render::text::to_string(&plan, false);
    let coloured = planner_render::text::to_string(&plan, true);
    assert!(coloured.contains("\x1b["), "colour was asked for");
    assert!(
        coloured.contains("OUTAGE"),
        "the accepted MTA outage is shown"
    );
    let stripped: String = {
        let mut out = String::new();
        let mut rest = coloured.as_str();
        while let Some(at) = rest.find('\x1b') {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            rest = tail.find('m').map_or("", |m| &tail[m + 1..]);
        }
        out.push_str(rest);
        out
    };
    assert_eq!(stripped, plain);
}

/// Runs a tool on `input`; `None` when the tool is not installed (which
/// fails the test under CI, where `.ci/run` installs it).
fn tool(program: &str, args: &[&str], input: &[u8]) -> Option<std::process::Output> {
    use std::io::Write as _;
    let child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "`{program}` is missing on CI: .ci/run must install it"
            );
            panic!(
                "`{program}` is not installed: install it (it ships with Debian's groff-base and bash)"
            );
        }
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    Some(child.wait_with_output().expect("runs"))
}

#[test]
fn shell_completions_and_the_man_page_parse() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = planner(["completions", shell]).output();
        assert_eq!(output.code, 0, "{shell}");
        let text = output.stdout();
        for command in [
            "check",
            "plan",
            "verify",
            "explain",
            "graph",
            "schema",
            "completions",
            "man",
        ] {
            assert!(
                text.contains(command),
                "{shell} completion knows `{command}`"
            );
        }
        if shell == "bash" {
            let checked = tool("bash", &["-n"], text.as_bytes()).expect("bash");
            assert!(
                checked.status.success(),
                "bash -n: {}",
                String::from_utf8_lossy(&checked.stderr)
            );
        }
    }
    let output = planner(["man"]).output();
    assert_eq!(output.code, 0);
    let page = output.stdout();
    assert!(page.contains(".TH planner 1"), "a section 1 manual page");
    assert!(
        page.contains("Exit codes"),
        "the manual page lists the exit codes"
    );
    let checked = tool("groff", &["-man", "-Tascii", "-ww", "-z"], page.as_bytes()).expect("groff");
    assert!(checked.status.success());
    assert!(
        checked.stderr.is_empty(),
        "groff warnings: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn quiet_silences_warnings_and_verbose_reports() {
    let (code, quiet) = run(&root(), &["check", "--quiet", "examples/enterprise.yaml"]);
    assert_eq!(code, 0);
    assert!(
        quiet.ends_with("--- stderr\n"),
        "no warnings with --quiet:\n{quiet}"
    );
    let (code, verbose) = run(
        &root(),
        &["plan", "-v", "examples/enterprise.yaml", "--now", NOW],
    );
    assert_eq!(code, 0);
    assert!(
        verbose.contains("read examples/enterprise.yaml: 11 servers, 104 mailboxes"),
        "{verbose}"
    );
    assert!(verbose.contains("planned 11 servers in"), "{verbose}");
    let (code, both) = run(&root(), &["check", "-q", "-v", "examples/enterprise.yaml"]);
    assert_eq!(code, 2, "--quiet and --verbose conflict: {both}");
}

#[test]
fn json_and_yaml_of_every_example_carry_the_same_data() {
    let root = root();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/plan.schema.json")).expect("schema"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    insta::glob!("../../examples", "*.yaml", |path| {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        let name = format!("examples/{file}");
        let render = |format: &str| -> String {
            let output = planner(["plan", &name, "--format", format, "--now", NOW])
                .current_dir(&root)
                .output();
            assert_eq!(output.code, 0, "{name} {format}");
            output.stdout()
        };
        let json = render("json");
        let yaml = render("yaml");
        let from_json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let from_yaml: serde_json::Value = serde_yaml::from_str(&yaml).expect("YAML");
        assert_eq!(
            from_json, from_yaml,
            "{name}: the YAML carries exactly the JSON's data"
        );
        for value in [&from_json, &from_yaml] {
            let errors: Vec<String> = validator
                .iter_errors(value)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:#?}");
        }
        insta::assert_snapshot!("json", json);
        insta::assert_snapshot!("yaml", yaml);
    });
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read as _;
    // The enterprise plan's JSON is larger than a pipe's buffer, so the
    // planner is still writing when the reader goes away.
    let mut child = planner([
        "plan",
        "examples/enterprise.yaml",
        "--format",
        "json",
        "--now",
        NOW,
    ])
    .into_command()
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("runs");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // Dropping the read end closes the pipe.
    let output = child.wait_with_output().expect("ends");
    assert_eq!(
        output.status.code(),
        Some(0),
        "a closed pipe is not an error"
    );
    assert!(
        output.stderr.is_empty(),
        "nothing on stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Output that cannot be written is an error, never a silent success: every
/// renderer's write error reaches stderr and the exit code (`/dev/full`
/// refuses every write with "no space left on device").
#[test]
fn output_that_cannot_be_written_fails_with_a_message() {
    for format in [
        "text", "markdown", "json", "yaml", "script", "dot", "mermaid",
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full exists on Linux");
        let output = planner([
            "plan",
            "examples/enterprise.yaml",
            "--format",
            format,
            "--now",
            NOW,
        ])
        .into_command()
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{format}: {stderr}");
        assert!(
            stderr.contains("error:") && stderr.contains("space"),
            "{format}: the error is named: {stderr}"
        );
    }
}

/// Issue 11: `check` skips a byte-order mark before `format: 1` and counts
/// one server as "1 server".
#[test]
fn issue_11_check_reads_a_byte_order_mark_and_counts_in_the_singular() {
    let dir = scratch!("byte-order-mark");
    let inventory = dir.write(
        "bom.yaml",
        "\u{feff}format: 1\ntarget_version: \"10.1.5\"\npolicy: { allow_outage: [ldap-master] }\nservers:\n  - { name: ldap1.example.com, roles: [ldap-master], version: \"9.0.0_P40\" }\n",
    );
    let stdout = planner(["check".as_ref(), inventory.as_os_str()]).stdout();
    assert!(
        stdout.contains("1 server, 1 to upgrade; 0 warnings"),
        "{stdout}"
    );
}

/// Issue 11: the store a refusal's hint shows, written into the inventory
/// with the figures as printed, makes it plan; and a refusal of an inventory
/// without sites does not mention sites.
#[test]
fn issue_11_the_store_a_hint_prints_plans_when_added() {
    let dir = scratch!("hint-as-printed");
    for name in [
        "full-installation.yaml",
        "forward-refused.yaml",
        "overfull-site.yaml",
    ] {
        let text = std::fs::read_to_string(root().join("tests/plans").join(name)).expect("read");
        // Written under names without "site", which the text is searched for.
        let refused = dir.write("refused.yaml", &text);
        let output = planner(["plan".as_ref(), refused.as_os_str()])
            .output()
            .code(1);
        let stderr = output.stderr();
        if !text.contains("site:") {
            assert!(!stderr.contains("site"), "{name}: {stderr}");
        }
        // "add an empty store at V [in site S ]with at least X of disk and
        // room for N mailbox(es)"
        let mut extra = String::new();
        for (k, line) in stderr
            .lines()
            .filter_map(|l| l.split_once("add an empty store at "))
            .enumerate()
        {
            let (version, rest) = line.1.split_once(' ').expect("a version");
            let (site, rest) = match rest.strip_prefix("in site ") {
                Some(r) => {
                    let (site, rest) = r.split_once(' ').expect("a site");
                    (format!(", site: {site}"), rest)
                }
                None => (String::new(), rest),
            };
            let rest = rest.strip_prefix("with at least ").expect("a disk");
            let (disk, rest) = rest.split_once(" of disk and room for ").expect("room");
            let (count, _) = rest.split_once(' ').expect("a count");
            extra.push_str(&format!(
                "  - {{ name: added{k}.example.com, roles: [mailstore], version: \"{version}\"{site}, capacity: {{ disk: {}, mailboxes: {count} }} }}\n",
                disk.replace(' ', "")
            ));
        }
        assert!(!extra.is_empty(), "{name}: no store hinted\n{stderr}");
        let fixed = dir.write(
            "fixed.yaml",
            text.replace("\nmailboxes:\n", &format!("\n{extra}mailboxes:\n")),
        );
        let output = planner(["plan".as_ref(), fixed.as_os_str()]).output();
        assert_eq!(output.code, 0, "{name}: with\n{extra}{}", output.stderr());
    }
}

#[test]
fn explain_counts_the_stores_a_move_does_not_list() {
    // Nine stores: a move lists its target and five others, and explain
    // counts the three left out, by verdict.
    let dir = scratch!("not_listed");
    let mut text = String::from(
        "format: 1\ntarget_version: \"10.1.5\"\npolicy: { allow_outage: [ldap-master] }\nservers:\n  - { name: ldap1.example.com, roles: [ldap-master], version: \"9.0.0_P40\" }\n  - { name: old.example.com, roles: [mailstore], version: \"9.0.0_P40\", capacity: { disk: 100GiB } }\n",
    );
    for k in 1..=9 {
        text.push_str(&format!(
            "  - {{ name: new{k}.example.com, roles: [mailstore], version: \"10.1.5\", capacity: {{ disk: 100GiB }} }}\n"
        ));
    }
    text.push_str(
        "mailboxes:\n  - { account: alice@example.com, store: old.example.com, size: 1GiB }\n",
    );
    let path = dir.write("nine.yaml", text);
    let out = planner([
        "explain".as_ref(),
        path.as_os_str(),
        "alice@example.com".as_ref(),
    ])
    .args(["--now", "2026-11-29T00:00:00Z"])
    .output()
    .success();
    let text = out.stdout();
    let listed = text.lines().filter(|l| l.starts_with("    - new")).count();
    assert_eq!(listed, 6, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("    - 3 other stores not listed: 3 ")),
        "{text}"
    );
}
