//! Tests of `planner plan --format script`: the shell script an operator runs.
//!
//! Every script is snapshotted, checked by `sh -n` (and `dash -n`, `bash -n`
//! where those exist), and run for real with stub `zxsuite`, `carbonio`,
//! `zmprov`, `zmcontrol`, `zmreplchk` and `postqueue` commands on `PATH` that log their
//! arguments (and, for mailbox moves, the account list file) to a file. The
//! log is then compared with what the JSON plan of the same inventory says
//! should run: which command, on which host, with which accounts, in order.
//!
//! Remote commands reach the stubs two ways: through `PLANNER_REMOTE` (a stub
//! that runs the command line with `sh -c`), and through the script's default
//! `ssh ... su - zimbra -c ...` path with stub `ssh` and `su` commands that
//! parse their command lines with a real shell, the way the login shell on a
//! server and `su -c` would; so both quoting levels are exercised.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use planner_core::plan::{BackupMode, Plan, StepKind};

use crate::util::{self, NOW, Scratch, root, scratch, six_servers};

/// A small inventory with account names that are hard to quote (an
/// apostrophe, a plus, shell metacharacters that are valid in addresses, a
/// leading dash), a notification address with an apostrophe and a `$`, and
/// moves by whole domain.
fn awkward() -> String {
    six_servers()
        .policy(r#"{ move_by: domain, notify: "ops'desk+$home@example.com" }"#)
        .disk("100GiB")
        .mailbox("o'neil@example.com", "mbx1.example.com", "1GiB")
        .mailbox("first.last+tag@example.com", "mbx1.example.com", "2GiB")
        .mailbox(
            "`id`$home*?|&{a}~!#%^/=@example.com",
            "mbx1.example.com",
            "1GiB",
        )
        .mailbox("-n@example.com", "mbx1.example.com", "1GiB")
        .mailbox("alice@shop.example.org", "mbx2.example.com", "1GiB")
        .mailbox("bob'o'@shop.example.org", "mbx2.example.com", "1GiB")
        .text()
}

/// The stub of every Zimbra and Zextras command: logs its name and arguments,
/// and the lines of the file given after `input_file`; `zmprov` prints
/// `$STUB_ZMPROV_OUTPUT`, `zmcontrol` exits with `$STUB_ZMCONTROL_STATUS`.
const TOOL_STUB: &str = r#"#!/bin/sh
{
    printf 'run %s\n' "${0##*/}"
    file=
    previous=
    for arg in "$@"; do
        printf 'arg %s\n' "$arg"
        if [ "$previous" = input_file ]; then file=$arg; fi
        previous=$arg
    done
    if [ -n "$file" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            printf 'account %s\n' "$line"
        done <"$file"
    fi
    printf 'end\n'
} >>"$STUB_LOG"
case ${0##*/} in
    zmprov) printf '%s' "${STUB_ZMPROV_OUTPUT:-}" ;;
    zmcontrol) exit "${STUB_ZMCONTROL_STATUS:-0}" ;;
esac
"#;

/// `PLANNER_REMOTE`: called as `remote HOST COMMAND`; runs COMMAND here.
const REMOTE_STUB: &str = r#"#!/bin/sh
[ $# -eq 2 ] || { echo "remote stub: expected HOST COMMAND, got $# arguments" >&2; exit 97; }
printf 'on %s\n' "$1" >>"$STUB_LOG"
exec sh -c "$2"
"#;

/// `ssh -- HOST COMMAND`: the login shell on HOST parses COMMAND.
const SSH_STUB: &str = r#"#!/bin/sh
[ $# -eq 3 ] && [ "$1" = -- ] || { echo "ssh stub: expected -- HOST COMMAND" >&2; exit 97; }
printf 'on %s\n' "$2" >>"$STUB_LOG"
exec "${STUB_SHELL:-sh}" -c "$3"
"#;

/// `su - USER -c COMMAND`: USER's shell parses COMMAND.
const SU_STUB: &str = r#"#!/bin/sh
[ $# -eq 4 ] && [ "$1" = - ] && [ "$3" = -c ] || { echo "su stub: expected - USER -c COMMAND" >&2; exit 97; }
printf 'as %s\n' "$2" >>"$STUB_LOG"
exec "${STUB_SHELL:-sh}" -c "$4"
"#;

/// `planner plan INVENTORY --format FORMAT`, from the workspace root; `None`
/// when the planner refuses the inventory.
fn try_planner(inventory: &Path, format: &str) -> Option<String> {
    let output = util::planner(["plan"])
        .arg(inventory)
        .args(["--format", format, "--now", NOW])
        .output();
    (output.code == 0).then(|| output.stdout())
}

fn planner(inventory: &Path, format: &str) -> String {
    try_planner(inventory, format)
        .unwrap_or_else(|| panic!("planner plan {} failed", inventory.display()))
}

fn plan_of(inventory: &Path) -> Plan {
    serde_json::from_str(&planner(inventory, "json")).expect("the JSON plan parses")
}

/// The wave of the step with that id.
fn wave_of(plan: &Plan, id: &str) -> u32 {
    plan.waves
        .iter()
        .find(|w| w.steps.iter().any(|s| s.id == id))
        .map(|w| w.index)
        .unwrap_or_else(|| panic!("the plan has no step {id}"))
}

/// The awkward inventory, written to a scratch directory (which goes when
/// dropped).
fn awkward_inventory(name: &str) -> (Scratch, PathBuf) {
    let dir = scratch!(name);
    let path = dir.write("awkward.yaml", awkward());
    (dir, path)
}

/// The example inventories, relative to the workspace root.
fn examples() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(root().join("examples"))
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| Path::new("examples").join(p.file_name().expect("file name")))
        .collect();
    found.sort();
    assert!(found.len() >= 4, "the examples are there");
    found
}

/// Writes the stub commands into `dir/bin` and returns that directory.
fn stubs(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).expect("stub directory");
    let mut scripts: Vec<(&str, &str)> = [
        "zxsuite",
        "carbonio",
        "zmprov",
        "zmcontrol",
        "zmreplchk",
        "postqueue",
    ]
    .into_iter()
    .map(|name| (name, TOOL_STUB))
    .collect();
    scripts.extend([("remote", REMOTE_STUB), ("ssh", SSH_STUB), ("su", SU_STUB)]);
    for (name, text) in scripts {
        let path = bin.join(name);
        fs::write(&path, text).expect("write a stub");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod a stub");
    }
    bin
}

/// How the script reaches the (stub) servers.
#[derive(Clone, Copy)]
enum Via {
    /// `PLANNER_REMOTE` set to the `remote` stub.
    Remote,
    /// The script's own `ssh -- HOST "su - USER -c ..."`, with stub `ssh` and
    /// `su` whose shells are this program.
    Ssh(&'static str),
}

/// One run of a script.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
    log: String,
    workdir: PathBuf,
}

/// What a run may change.
#[derive(Default)]
struct Options<'a> {
    args: &'a [&'a str],
    env: &'a [(&'a str, &'a str)],
    /// Standard input; with it, the script runs in a new session (`setsid`),
    /// without a terminal, so that manual steps read their answers from it.
    stdin: Option<&'a str>,
    /// Answer manual steps by `PLANNER_ASSUME_YES=1` (the default).
    no_assume_yes: bool,
    shell: Option<&'a str>,
}

/// Runs `script` in `dir` with the stubs, and returns what happened.
fn run_script(dir: &Path, script: &str, via: Via, options: &Options) -> Run {
    let bin = stubs(dir);
    let path = dir.join("upgrade.sh");
    fs::write(&path, script).expect("write the script");
    let log = dir.join("stub.log");
    let _ = fs::remove_file(&log);
    fs::write(&log, "").expect("create the log");
    let workdir = dir.join("work");
    let _ = fs::remove_dir_all(&workdir);
    let stdout_path = dir.join("stdout");
    let stderr_path = dir.join("stderr");
    let stdin_path = dir.join("stdin");
    let shell = options.shell.unwrap_or("sh");
    let mut command = if options.stdin.is_some() {
        let mut c = Command::new("setsid");
        c.arg("-w").arg(shell);
        c
    } else {
        Command::new(shell)
    };
    command.arg(&path).args(options.args).current_dir(dir);
    let system_path = std::env::var("PATH").unwrap_or_default();
    command
        .env("PATH", format!("{}:{system_path}", bin.display()))
        .env("STUB_LOG", &log)
        .env("PLANNER_WORKDIR", &workdir)
        .env_remove("PLANNER_REMOTE")
        .env_remove("PLANNER_DRY_RUN")
        .env_remove("START_WAVE");
    if !options.no_assume_yes {
        command.env("PLANNER_ASSUME_YES", "1");
    } else {
        command.env_remove("PLANNER_ASSUME_YES");
    }
    match via {
        Via::Remote => {
            command.env("PLANNER_REMOTE", bin.join("remote"));
        }
        Via::Ssh(remote_shell) => {
            command.env("STUB_SHELL", remote_shell);
        }
    }
    for (key, value) in options.env {
        command.env(key, value);
    }
    fs::write(&stdin_path, options.stdin.unwrap_or("")).expect("write stdin");
    command
        .stdin(Stdio::from(fs::File::open(&stdin_path).expect("stdin")))
        .stdout(Stdio::from(fs::File::create(&stdout_path).expect("stdout")))
        .stderr(Stdio::from(fs::File::create(&stderr_path).expect("stderr")));
    let mut child = command.spawn().expect("the shell runs");
    // A script that waits for input it never gets must fail the test, not hang it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the script") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the script did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        status: status.code().unwrap_or(-1),
        stdout: fs::read_to_string(&stdout_path).expect("stdout"),
        stderr: fs::read_to_string(&stderr_path).expect("stderr"),
        log: fs::read_to_string(&log).expect("log"),
        workdir,
    }
}

/// One command that reached a stub: where, as whom, with which arguments, and
/// the accounts of its `input_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    host: String,
    user: Option<String>,
    argv: Vec<String>,
    accounts: Vec<String>,
}

/// The calls in a stub log, in order.
fn calls(log: &str) -> Vec<Call> {
    let mut host = String::new();
    let mut user = None;
    let mut calls = Vec::new();
    let mut current: Option<Call> = None;
    for line in log.lines() {
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        match tag {
            "on" => {
                host = rest.to_string();
                user = None;
            }
            "as" => user = Some(rest.to_string()),
            "run" => {
                current = Some(Call {
                    host: host.clone(),
                    user: user.clone(),
                    argv: vec![rest.to_string()],
                    accounts: Vec::new(),
                })
            }
            "arg" => current
                .as_mut()
                .expect("arg in a call")
                .argv
                .push(rest.into()),
            "account" => current
                .as_mut()
                .expect("account in a call")
                .accounts
                .push(rest.into()),
            "end" => calls.push(current.take().expect("end of a call")),
            other => panic!("unexpected log line {other:?}"),
        }
    }
    assert!(current.is_none(), "a call did not finish: {current:?}");
    calls
}

/// The calls `plan` should make from wave `from` on, as `user` (None: through
/// `PLANNER_REMOTE`, which does not switch users). Account list files are
/// written as `FILE`.
fn expected(plan: &Plan, from: u32, user: Option<&str>) -> Vec<Call> {
    let carbonio = plan.profile == "carbonio";
    let tool = if carbonio { "carbonio" } else { "zxsuite" };
    let staged = !carbonio && plan.policy.two_stage_moves;
    let mut held: BTreeMap<&str, i64> = plan
        .placement
        .before
        .iter()
        .map(|(store, load)| (store.as_str(), load.mailboxes as i64))
        .collect();
    let mut calls = Vec::new();
    let call = |host: &str, argv: &[&str], accounts: &[String]| Call {
        host: host.to_string(),
        user: user.map(str::to_string),
        argv: argv.iter().map(|a| a.to_string()).collect(),
        accounts: accounts.to_vec(),
    };
    for wave in &plan.waves {
        let active = wave.index >= from;
        for step in wave.steps.iter().filter(|_| active) {
            let server = step.server.as_deref().unwrap_or("");
            match step.kind {
                StepKind::Backup => {
                    let mut argv = vec![tool, "backup", "doSmartScan", "start"];
                    if step.mode == Some(BackupMode::Full) {
                        argv.extend(["deep", "true"]);
                    }
                    calls.push(call(server, &argv, &[]));
                }
                StepKind::Purge => {
                    calls.push(call(
                        server,
                        &[
                            tool,
                            "powerstore",
                            "doPurgeMailboxes",
                            "all",
                            "ignore_retention",
                            "true",
                        ],
                        &[],
                    ));
                }
                StepKind::MoveData if carbonio => {}
                StepKind::MoveData | StepKind::MoveSwitch => {
                    let source = step.source.as_deref().expect("source");
                    let target = step.target.as_deref().expect("target");
                    let verb = if carbonio {
                        "mailboxMove"
                    } else {
                        "doMailboxMove"
                    };
                    let mut argv = vec![tool, "powerstore", verb, target, "input_file", "FILE"];
                    if staged {
                        argv.push("stages");
                        argv.push(if step.kind == StepKind::MoveData {
                            "data"
                        } else {
                            "data,account"
                        });
                    }
                    if let Some(notify) = plan.policy.notify.as_deref() {
                        argv.extend(["notifications", notify]);
                    }
                    let accounts = step.accounts.as_deref().expect("accounts");
                    assert!(!accounts.is_empty(), "a move with no account");
                    calls.push(call(source, &argv, accounts));
                }
                // The empty-store check, before each upgrade of a store that
                // the earlier waves have emptied (or that was always empty).
                // An upgrade: the empty-store check before it for a store
                // that the earlier waves have emptied (or that was always
                // empty), then its health checks after the install.
                StepKind::Upgrade => {
                    if held.get(server) == Some(&0) {
                        let filter = format!("zimbraMailHost={server}");
                        calls.push(call(server, &["zmprov", "sa", &filter], &[]));
                    }
                    let checks = step.checks.as_deref().unwrap_or(&[]);
                    calls.push(call(server, &["zmcontrol", "status"], &[]));
                    if checks.iter().any(|c| c == "zmreplchk") {
                        calls.push(call(server, &["zmreplchk"], &[]));
                    }
                    if checks.iter().any(|c| c == "postqueue -p") {
                        calls.push(call(server, &["postqueue", "-p"], &[]));
                    }
                }
                _ => {}
            }
        }
        for step in &wave.steps {
            if step.kind == StepKind::MoveSwitch {
                let n = step.accounts.as_ref().map_or(0, Vec::len) as i64;
                if let Some(c) = held.get_mut(step.source.as_deref().unwrap_or("")) {
                    *c -= n;
                }
                if let Some(c) = held.get_mut(step.target.as_deref().unwrap_or("")) {
                    *c += n;
                }
            }
        }
    }
    calls
}

/// The calls of a run with every account list file written as `FILE`, after
/// checking that each list is its own file under the work directory.
fn calls_of_run(run: &Run) -> Vec<Call> {
    let mut seen = Vec::new();
    let mut found = calls(&run.log);
    for call in &mut found {
        if let Some(i) = call.argv.iter().position(|a| a == "input_file") {
            let file = std::mem::replace(&mut call.argv[i + 1], "FILE".to_string());
            assert!(
                Path::new(&file).starts_with(&run.workdir),
                "{file} is not under the work directory"
            );
            assert!(!seen.contains(&file), "{file} is written twice");
            seen.push(file);
        }
    }
    found
}

/// Runs the script of `inventory` with the stubs, under `shell`, and checks
/// every call against its plan.
fn check_run(name: &str, inventory: &Path, via: Via, shell: &str) {
    let plan = plan_of(inventory);
    let script = planner(inventory, "script");
    let dir = scratch!(name);
    let options = Options {
        shell: Some(shell),
        ..Options::default()
    };
    let run = run_script(&dir, &script, via, &options);
    assert_eq!(
        run.status, 0,
        "{name}: the script failed\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    let user = match via {
        Via::Remote => None,
        Via::Ssh(_) => Some(if plan.profile == "carbonio" {
            "zextras"
        } else {
            "zimbra"
        }),
    };
    let got = calls_of_run(&run);
    let want = expected(&plan, 1, user);
    assert_eq!(got, want, "{name}: the calls differ from the plan");
    assert!(
        want.iter().any(|c| !c.accounts.is_empty()),
        "{name}: the plan moves nothing, so the test proves little"
    );
}

#[test]
fn script_of_every_example() {
    insta::glob!("../../examples", "*.yaml", |path| {
        let name = path.file_name().expect("file name");
        let script = planner(&Path::new("examples").join(name), "script");
        insta::assert_snapshot!(script);
    });
}

#[test]
fn scripts_are_deterministic() {
    for inventory in examples() {
        assert_eq!(
            planner(&inventory, "script"),
            planner(&inventory, "script"),
            "{}",
            inventory.display()
        );
    }
}

#[test]
fn every_script_passes_the_shells_syntax_check() {
    let dir = scratch!("syntax");
    let mut inventories = examples();
    let (_awkward_dir, awkward) = awkward_inventory("syntax-inventory");
    inventories.push(awkward);
    let mut plans = 0;
    for entry in fs::read_dir(root().join("tests/plans")).expect("tests/plans") {
        let path = entry.expect("entry").path();
        if try_planner(&path, "json").is_some() {
            inventories.push(path);
            plans += 1;
        }
    }
    assert!(plans >= 5, "most test inventories plan");
    for (i, inventory) in inventories.iter().enumerate() {
        let path = dir.join(format!("{i}.sh"));
        fs::write(&path, planner(inventory, "script")).expect("write the script");
        // `sh` must exist; dash and bash are checked too where installed.
        for (shell, flags, required) in [
            ("sh", &["-n"][..], true),
            ("dash", &["-n"][..], false),
            ("bash", &["--posix", "-n"][..], false),
        ] {
            match Command::new(shell).args(flags).arg(&path).output() {
                Ok(output) => assert!(
                    output.status.success(),
                    "{shell} -n rejects the script of {}: {}",
                    inventory.display(),
                    String::from_utf8_lossy(&output.stderr)
                ),
                Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("cannot run {shell}: {e}"),
            }
        }
    }
}

#[test]
fn example_scripts_call_the_stubs_with_the_plans_accounts() {
    for inventory in examples() {
        let name = inventory.file_stem().expect("stem").to_string_lossy();
        check_run(&format!("run-{name}"), &inventory, Via::Remote, "sh");
    }
}

#[test]
fn test_inventory_scripts_call_the_stubs_with_the_plans_accounts() {
    let mut ran = 0;
    let mut paths: Vec<PathBuf> = fs::read_dir(root().join("tests/plans"))
        .expect("tests/plans")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let Some(json) = try_planner(&path, "json") else {
            continue;
        };
        let plan: Plan = serde_json::from_str(&json).expect("the JSON plan parses");
        let name = path.file_stem().expect("stem").to_string_lossy();
        let dir = scratch!(&format!("plans-{name}"));
        let run = run_script(
            &dir,
            &planner(&path, "script"),
            Via::Remote,
            &Options::default(),
        );
        assert_eq!(run.status, 0, "{name}: {}", run.stderr);
        assert_eq!(
            calls_of_run(&run),
            expected(&plan, 1, None),
            "{name}: the calls differ from the plan"
        );
        ran += 1;
    }
    assert!(ran >= 5, "most test inventories plan");
}

#[test]
fn awkward_names_survive_both_quoting_levels() {
    let (_dir, inventory) = awkward_inventory("awkward-inventory");
    let plan = plan_of(&inventory);
    let moved: Vec<&String> = plan
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .flat_map(|s| s.accounts.iter().flatten())
        .collect();
    for account in [
        "o'neil@example.com",
        "first.last+tag@example.com",
        "`id`$home*?|&{a}~!#%^/=@example.com",
        "-n@example.com",
        "bob'o'@shop.example.org",
    ] {
        assert!(
            moved.iter().any(|a| *a == account),
            "{account} is not moved"
        );
    }
    assert!(
        plan.waves
            .iter()
            .flat_map(|w| &w.steps)
            .any(|s| s.domains.as_ref().is_some_and(|d| !d.is_empty())),
        "the plan moves whole domains"
    );
    check_run("awkward-remote", &inventory, Via::Remote, "sh");
    check_run("awkward-ssh-sh", &inventory, Via::Ssh("sh"), "sh");
    if Command::new("bash").arg("-c").arg(":").output().is_ok() {
        // Servers' login shells are usually bash, and some operators run
        // scripts with bash.
        check_run("awkward-ssh-bash", &inventory, Via::Ssh("bash"), "bash");
    }
}

#[test]
fn starting_from_a_later_wave_skips_the_earlier_ones() {
    let inventory = Path::new("examples/enterprise.yaml");
    let plan = plan_of(inventory);
    let script = planner(inventory, "script");
    let from = 13;
    let want = expected(&plan, from, None);
    assert!(want.len() < expected(&plan, 1, None).len());
    for (name, options) in [
        (
            "from-wave-argument",
            Options {
                args: &["--from-wave", "13"],
                ..Options::default()
            },
        ),
        (
            "from-wave-equals",
            Options {
                args: &["--from-wave=13"],
                ..Options::default()
            },
        ),
        (
            "from-wave-environment",
            Options {
                env: &[("START_WAVE", "13")],
                ..Options::default()
            },
        ),
    ] {
        let run = run_script(&scratch!(name), &script, Via::Remote, &options);
        assert_eq!(run.status, 0, "{name}: {}", run.stderr);
        assert_eq!(calls_of_run(&run), want, "{name}");
        let total = plan.waves.len();
        for wave in 1..from {
            assert!(
                run.stdout.contains(&format!(
                    "Wave {wave} of {total}: skipped (starting at wave 13)."
                )),
                "{name}: wave {wave} is not reported as skipped:\n{}",
                run.stdout
            );
        }
        assert!(
            run.stdout.contains(&format!("==== Wave 13 of {total}")),
            "{name}"
        );
        assert!(!run.stdout.contains("==== Wave 12 of 24"), "{name}");
    }
}

#[test]
fn bad_starting_waves_are_refused_before_anything_runs() {
    let script = planner(Path::new("examples/enterprise.yaml"), "script");
    for (i, args) in [
        &["--from-wave", "0"][..],
        &["--from-wave", "25"],
        &["--from-wave", "seven"],
        &["--from-wave"],
        &["--frm-wave", "3"],
    ]
    .into_iter()
    .enumerate()
    {
        let run = run_script(
            &scratch!(&format!("bad-start-{i}")),
            &script,
            Via::Remote,
            &Options {
                args,
                ..Options::default()
            },
        );
        assert_eq!(run.status, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("error: "), "{args:?}: {}", run.stderr);
        assert_eq!(run.log, "", "{args:?}: something ran");
    }
}

#[test]
fn a_store_that_is_not_empty_stops_the_script_before_its_upgrade() {
    let inventory = Path::new("examples/enterprise.yaml");
    let script = planner(inventory, "script");
    let wave = wave_of(&plan_of(inventory), "upgrade:mbx4.corp.example.com");
    let run = run_script(
        &scratch!("not-empty"),
        &script,
        Via::Remote,
        &Options {
            env: &[("STUB_ZMPROV_OUTPUT", "left.behind@corp.example.com\n")],
            ..Options::default()
        },
    );
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("left.behind@corp.example.com")
            && run
                .stderr
                .contains("error: mbx4.corp.example.com is not empty")
            && run.stderr.contains(&format!(
                "Stopped in wave {wave}, step upgrade:mbx4.corp.example.com"
            ))
            && run.stderr.contains(&format!("--from-wave {wave}")),
        "{}",
        run.stderr
    );
    let found = calls_of_run(&run);
    let last = found.last().expect("calls");
    assert_eq!(
        last.argv,
        ["zmprov", "sa", "zimbraMailHost=mbx4.corp.example.com"]
    );
    assert!(
        !run.stdout.contains("MANUAL STEP: upgrade:mbx4"),
        "the upgrade pause was reached"
    );
}

#[test]
fn a_failed_health_check_stops_the_script() {
    let script = planner(Path::new("examples/enterprise.yaml"), "script");
    let run = run_script(
        &scratch!("health-check-fails"),
        &script,
        Via::Remote,
        &Options {
            env: &[("STUB_ZMCONTROL_STATUS", "3")],
            ..Options::default()
        },
    );
    assert_eq!(run.status, 3, "{}", run.stderr);
    // The first health check is the directory master's, inside its upgrade.
    let wave = wave_of(
        &plan_of(Path::new("examples/enterprise.yaml")),
        "upgrade:ldap1.corp.example.com",
    );
    assert!(
        run.stderr.contains(&format!(
            "Stopped in wave {wave}, step upgrade:ldap1.corp.example.com (exit status 3)."
        )),
        "{}",
        run.stderr
    );
    let found = calls_of_run(&run);
    assert_eq!(found.last().expect("calls").argv, ["zmcontrol", "status"]);
}

#[test]
fn manual_steps_wait_for_the_operator() {
    let (_dir, inventory) = awkward_inventory("manual-inventory");
    let plan = plan_of(&inventory);
    let script = planner(&inventory, "script");
    // Without a terminal, answers come from standard input: "yes" to every pause.
    let run = run_script(
        &scratch!("manual-yes"),
        &script,
        Via::Remote,
        &Options {
            stdin: Some(&"yes\n".repeat(200)),
            no_assume_yes: true,
            ..Options::default()
        },
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(calls_of_run(&run), expected(&plan, 1, None));
    assert!(run.stdout.contains("Type yes when it is done"));
    // Any other answer stops at the first pause (wave 1, after its backup).
    let run = run_script(
        &scratch!("manual-no"),
        &script,
        Via::Remote,
        &Options {
            stdin: Some("no\n"),
            no_assume_yes: true,
            ..Options::default()
        },
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("stopped at a manual step of wave 1 (answer: 'no')"),
        "{}",
        run.stderr
    );
    let pauses = run.stdout.matches("MANUAL STEP").count();
    assert_eq!(pauses, 1, "{}", run.stdout);
    let found = calls_of_run(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].argv[..2], ["zxsuite", "backup"]);
}

#[test]
fn carbonio_moves_have_no_stages_even_when_the_plan_copies_first() {
    // Carbonio's mailboxMove has no stages: a plan made with two_stage_moves
    // still runs one mailboxMove per switch, and nothing for the copies.
    let example = fs::read_to_string(root().join("examples/carbonio.yaml")).expect("example");
    let staged = example.replacen("\npolicy:\n", "\npolicy:\n  two_stage_moves: true\n", 1);
    assert_ne!(staged, example, "the example has a policy section");
    let dir = scratch!("carbonio-staged-inventory");
    let path = dir.write("carbonio.yaml", staged);
    let plan = plan_of(&path);
    let steps = || plan.waves.iter().flat_map(|w| &w.steps);
    assert!(steps().any(|s| s.kind == StepKind::MoveData));
    let run = run_script(
        &scratch!("carbonio-staged"),
        &planner(&path, "script"),
        Via::Remote,
        &Options::default(),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let found = calls_of_run(&run);
    assert_eq!(found, expected(&plan, 1, None));
    let moves = found
        .iter()
        .filter(|c| c.argv.get(2).is_some_and(|a| a == "mailboxMove"))
        .count();
    assert_eq!(
        moves,
        steps().filter(|s| s.kind == StepKind::MoveSwitch).count()
    );
    assert!(found.iter().all(|c| !c.argv.iter().any(|a| a == "stages")));
}

#[test]
fn a_plan_with_nothing_to_do_says_so() {
    let dir = scratch!("nothing-inventory");
    let path = dir.write(
        "done.yaml",
        six_servers()
            .version("10.1.5")
            .disk("1TiB")
            .stores(1)
            .mailbox("o'neil@example.com", "mbx1.example.com", "1GiB")
            .text(),
    );
    assert!(plan_of(&path).waves.is_empty());
    let run = run_script(
        &scratch!("nothing"),
        &planner(&path, "script"),
        Via::Remote,
        &Options::default(),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "Nothing to do: every server already runs 10.1.5.\n"
    );
    assert_eq!(run.log, "");
}

#[test]
fn a_dry_run_prints_the_quoted_commands_and_runs_nothing() {
    let (_dir, inventory) = awkward_inventory("dry-run-inventory");
    let script = planner(&inventory, "script");
    let run = run_script(
        &scratch!("dry-run"),
        &script,
        Via::Remote,
        &Options {
            env: &[("PLANNER_DRY_RUN", "1")],
            no_assume_yes: true,
            ..Options::default()
        },
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.log, "", "a dry run reached a server");
    assert!(
        run.stdout.contains(
            "[dry run] on mbx2.example.com: 'zxsuite' 'powerstore' 'doMailboxMove' \
             'mbx1.example.com' 'input_file'"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(r"'notifications' 'ops'\''desk+$home@example.com'"),
        "{}",
        run.stdout
    );
}
