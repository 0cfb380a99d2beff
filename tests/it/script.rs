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
use std::str::FromStr as _;
use std::time::{Duration, Instant};

use planner_core::inventory::Tools;
use planner_core::plan::{Action, BackupMode, Plan, StepKind};

use crate::stubs;
use crate::util::{self, NOW, Scratch, root, scratch, six_servers};

/// A small inventory with account names that are hard to quote (an
/// apostrophe, a plus, shell metacharacters that are valid in addresses, a
/// leading dash), a notification address with an apostrophe and a `$`, and
/// moves by whole domain, with Zextras Suite (towards a 9.0 patch, where it
/// runs) so that both the domain form and the notifications are written.
fn awkward() -> String {
    six_servers()
        .policy(r#"{ move_by: domain, tools: zextras, two_stage_moves: true, notify: "ops'desk+$home@example.com" }"#)
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
        .replace("target_version: \"10.1.5\"", "target_version: \"9.0.0_P44\"")
}

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
    let mut scripts: Vec<(&str, &str)> = stubs::TOOLS
        .into_iter()
        .map(|name| (name, stubs::TOOL_STUB))
        .collect();
    scripts.extend([
        ("remote", stubs::REMOTE_STUB),
        ("ssh", stubs::SSH_STUB),
        ("su", stubs::SU_STUB),
    ]);
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
    /// The journal the script wrote.
    journal: String,
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
    /// Where accounts already live, as earlier waves left them (`homes/`
    /// of the stubs' state): for runs that start at a later wave.
    homes: Vec<(String, String)>,
    /// The journal the run starts with (none: no journal), for runs that go
    /// on after an earlier one.
    journal: Option<&'a str>,
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
    let state = dir.join("state");
    let _ = fs::remove_dir_all(&state);
    fs::create_dir_all(state.join("homes")).expect("stub state");
    for (account, store) in &options.homes {
        let hex: String = account.bytes().map(|b| format!("{b:02x}")).collect();
        fs::write(state.join("homes").join(hex), format!("{store}\n")).expect("a home");
    }
    let journal = dir.join("upgrade.journal");
    let _ = fs::remove_file(&journal);
    if let Some(text) = options.journal {
        fs::write(&journal, text).expect("the journal");
    }
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
        .env("STUB_STATE", &state)
        .env("PLANNER_POLL_INTERVAL", "0")
        .env("PLANNER_DUMPDIR", dir.join("dump"))
        .env_remove("PLANNER_JOURNAL")
        .env_remove("PLANNER_REPLCHK_HOST")
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
        journal: fs::read_to_string(&journal).unwrap_or_default(),
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
    /// Why the stub refused the call, if it did.
    rejected: Vec<String>,
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
                    rejected: Vec::new(),
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
            "reject" => current
                .as_mut()
                .expect("reject in a call")
                .rejected
                .push(rest.into()),
            other => panic!("unexpected log line {other:?}"),
        }
    }
    assert!(current.is_none(), "a call did not finish: {current:?}");
    calls
}

/// The calls `plan` should make from wave `from` on, as `user` (None: through
/// `PLANNER_REMOTE`, which does not switch users), by its toolset. List
/// files are written as `FILE`; polls of the operation lists and
/// `zmlocalconfig` are left out (see [`calls_of_run`]).
fn expected(plan: &Plan, from: u32, user: Option<&str>) -> Vec<Call> {
    let mut held: BTreeMap<&str, i64> = plan
        .placement
        .before
        .iter()
        .map(|(store, load)| (store.as_str(), load.mailboxes as i64))
        .collect();
    let proxies = plan
        .servers
        .values()
        .any(|s| s.roles.iter().any(|r| r == "proxy" || r == "memcached"));
    let replchk = ["mailstore", "ldap-replica", "directory-replica"]
        .iter()
        .find_map(|role| {
            plan.servers
                .iter()
                .find(|(_, s)| s.roles.iter().any(|r| r == role))
                .map(|(n, _)| n.as_str())
        })
        .unwrap_or("");
    let mut calls = Vec::new();
    let call = |host: &str, argv: &[&str], accounts: &[String]| Call {
        host: host.to_string(),
        user: user.map(str::to_string),
        argv: argv.iter().map(|a| a.to_string()).collect(),
        accounts: accounts.to_vec(),
        rejected: Vec::new(),
    };
    for wave in &plan.waves {
        let mut at_end = Vec::new();
        for step in wave.steps.iter().filter(|_| wave.index >= from) {
            let mut step_calls = step_calls(plan, step, &held, replchk, proxies);
            if plan.tools == Tools::Zextras && step.kind == StepKind::MoveSwitch && proxies {
                // The routes are purged once the queued move has ended.
                at_end.extend(step_calls.pop());
            }
            calls.extend(step_calls.iter().map(|(h, a, acc)| {
                let argv: Vec<&str> = a.iter().map(String::as_str).collect();
                call(h, &argv, acc)
            }));
        }
        calls.extend(at_end.iter().map(|(h, a, acc)| {
            let argv: Vec<&str> = a.iter().map(String::as_str).collect();
            call(h, &argv, acc)
        }));
        for step in wave.steps.iter().filter(|s| s.kind == StepKind::MoveSwitch) {
            let n = step.accounts.as_ref().map_or(0, Vec::len) as i64;
            if let Some(c) = held.get_mut(step.source.as_deref().unwrap_or("")) {
                *c -= n;
            }
            if let Some(c) = held.get_mut(step.target.as_deref().unwrap_or("")) {
                *c += n;
            }
        }
    }
    calls
}

/// One call: host, words, accounts of its list file.
type StubCall = (String, Vec<String>, Vec<String>);

/// The calls of one step, in order, by the plan's toolset.
fn step_calls(
    plan: &Plan,
    step: &planner_core::plan::Step,
    held: &BTreeMap<&str, i64>,
    replchk: &str,
    proxies: bool,
) -> Vec<StubCall> {
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let server = step.server.clone().unwrap_or_default();
    let accounts = step.accounts.clone().unwrap_or_default();
    let tools = plan.tools;
    let mut out: Vec<StubCall> = Vec::new();
    match step.kind {
        StepKind::Backup => {
            let full = step.mode == Some(BackupMode::Full);
            let argv = match tools {
                Tools::Zextras | Tools::Carbonio => {
                    let mut a = if tools == Tools::Carbonio {
                        words(&["carbonio", "--sync"])
                    } else {
                        words(&["zxsuite"])
                    };
                    a.extend(words(&["backup", "doSmartScan", "start"]));
                    if full {
                        a.extend(words(&["deep", "true"]));
                    }
                    Some(a)
                }
                Tools::ZimbraNe if full => Some(words(&[
                    "zmbackup", "-f", "-a", "all", "--sync", "-s", &server,
                ])),
                Tools::ZimbraNe => Some(words(&["zmbackup", "-i", "--sync", "-s", &server])),
                Tools::None => None,
            };
            out.extend(argv.map(|a| (server.clone(), a, Vec::new())));
        }
        StepKind::PoolOut | StepKind::PoolIn => {
            out.push((server, words(&["zmprov", "fc", "-a", "cos"]), Vec::new()));
        }
        StepKind::Purge => {
            for a in &accounts {
                out.push((
                    server.clone(),
                    words(&["zmprov", "ga", a, "zimbraMailHost"]),
                    Vec::new(),
                ));
            }
            match tools {
                Tools::Zextras => out.push((
                    server,
                    words(&[
                        "zxsuite",
                        "powerstore",
                        "doPurgeMailboxes",
                        "all",
                        "ignore_retention",
                        "true",
                    ]),
                    Vec::new(),
                )),
                Tools::Carbonio => out.push((
                    server,
                    words(&[
                        "carbonio",
                        "--sync",
                        "powerstore",
                        "doPurgeMailboxes",
                        "all",
                        "ignore_retention",
                        "true",
                    ]),
                    Vec::new(),
                )),
                _ => {
                    for a in &accounts {
                        out.push((
                            server.clone(),
                            words(&["zmpurgeoldmbox", "-a", a, "-s", &server]),
                            Vec::new(),
                        ));
                    }
                }
            }
        }
        StepKind::MoveData | StepKind::MoveSwitch => {
            move_calls(plan, step, proxies, &mut out);
        }
        StepKind::Upgrade => {
            if held.get(server.as_str()) == Some(&0) {
                let filter = format!("zimbraMailHost={server}");
                out.push((
                    server.clone(),
                    words(&["zmprov", "sa", &filter]),
                    Vec::new(),
                ));
            }
            let checks = step.checks.clone().unwrap_or_default();
            for action in step.actions.iter().flatten() {
                match action {
                    Action::DirectoryDump => {
                        out.push((server.clone(), words(&["zmslapcat", "DIR"]), Vec::new()));
                    }
                    Action::HealthCheck => {
                        if plan.profile == "carbonio" {
                            out.push((
                                server.clone(),
                                words(&["systemctl", "is-enabled", "--quiet", "carbonio.target"]),
                                Vec::new(),
                            ));
                        }
                        out.push((server.clone(), words(&["zmcontrol", "status"]), Vec::new()));
                        if checks.iter().any(|c| c == "zmreplchk") {
                            out.push((replchk.to_string(), words(&["zmreplchk"]), Vec::new()));
                        }
                        if checks.iter().any(|c| c == "postqueue -p") {
                            out.push((server.clone(), words(&["postqueue", "-p"]), Vec::new()));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// The calls of a move step; a switch ends with the proxies' route purge.
fn move_calls(
    plan: &Plan,
    step: &planner_core::plan::Step,
    proxies: bool,
    out: &mut Vec<StubCall>,
) {
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let source = step.source.clone().expect("source");
    let target = step.target.clone().expect("target");
    let accounts = step.accounts.clone().expect("accounts");
    assert!(!accounts.is_empty(), "a move with no account");
    let domains = step.domains.clone().unwrap_or_default();
    let switch = step.kind == StepKind::MoveSwitch;
    let select = |a: &mut Vec<String>| -> Vec<String> {
        if domains.is_empty() {
            a.extend(words(&["input_file", "FILE"]));
            accounts.clone()
        } else {
            a.extend(words(&["domains", &domains.join(",")]));
            Vec::new()
        }
    };
    let notify = |a: &mut Vec<String>| {
        if let Some(n) = plan.policy.notify.as_deref() {
            a.extend(words(&["notifications", n]));
        }
    };
    match plan.tools {
        Tools::Zextras => {
            let mut a = words(&["zxsuite", "powerstore", "doMailboxMove", &target]);
            let listed = select(&mut a);
            a.extend(words(&[
                "stages",
                if switch {
                    "blobs,backup,account"
                } else {
                    "blobs,backup"
                },
            ]));
            notify(&mut a);
            out.push((source.clone(), a, listed));
        }
        Tools::Carbonio if switch => {
            let mut a = words(&["carbonio", "--sync", "powerstore", "mailboxMove", &target]);
            let listed = select(&mut a);
            notify(&mut a);
            out.push((source.clone(), a, listed));
        }
        Tools::ZimbraNe if switch => {
            // Accounts already on the target are left alone.
            let filter = format!("zimbraMailHost={target}");
            out.push((
                source.clone(),
                words(&["zmprov", "sa", &filter]),
                Vec::new(),
            ));
            for account in &accounts {
                out.push((
                    source.clone(),
                    words(&[
                        "zmmboxmove",
                        "-a",
                        account,
                        "--from",
                        &source,
                        "--to",
                        &target,
                        "--sync",
                    ]),
                    Vec::new(),
                ));
            }
        }
        _ => return,
    }
    if switch && proxies {
        out.push((source, words(&["zmproxypurge", "-L", "FILE"]), accounts));
    }
}

/// The calls of a run, with every list file written as `FILE` (after
/// checking that each is its own file under the work directory) and the
/// dump directory as `DIR`; the polls of operation lists and `zmlocalconfig`
/// (which only shows `ldap_url`) are left out.
fn calls_of_run(run: &Run) -> Vec<Call> {
    let mut seen: Vec<String> = Vec::new();
    let mut found = calls(&run.log);
    found.retain(|c| {
        !(c.argv.get(2).is_some_and(|a| a == "getAllOperations") || c.argv[0] == "zmlocalconfig")
    });
    for call in &mut found {
        if call.argv[0] == "zmslapcat" {
            call.argv[1] = "DIR".to_string();
        }
        if let Some(i) = call
            .argv
            .iter()
            .position(|a| a == "input_file" || a == "-L")
        {
            let file = std::mem::replace(&mut call.argv[i + 1], "FILE".to_string());
            assert!(
                Path::new(&file).starts_with(&run.workdir),
                "{file} is not under the work directory"
            );
            // A switch's list is read twice: by the move and by the route purge.
            if call.argv[0] != "zmproxypurge" {
                assert!(!seen.contains(&file), "{file} is written twice");
                seen.push(file);
            }
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
    // zmreplchk refuses to run on a directory master.
    let masters: Vec<&str> = plan
        .servers
        .iter()
        .filter(|(_, s)| {
            s.roles
                .iter()
                .any(|r| r == "ldap-master" || r == "directory-master")
        })
        .map(|(n, _)| n.as_str())
        .collect();
    let masters = masters.join(" ");
    let options = Options {
        shell: Some(shell),
        env: &[("STUB_MASTERS", &masters)],
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
    check_journal(name, &plan, &run.journal);
    assert!(
        want.iter().any(|c| !c.accounts.is_empty()),
        "{name}: the plan moves nothing, so the test proves little"
    );
}

/// The journal of a run that went through: every step of the plan, in plan
/// order, `started` then `done`, each line `ID STATE TIME` with an RFC 3339
/// UTC time; a queued step may start before the previous one is done.
fn check_journal(name: &str, plan: &Plan, journal: &str) {
    let mut started: Vec<&str> = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for line in journal.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 3, "{name}: journal line {line:?}");
        assert!(
            jiff::Timestamp::from_str(fields[2]).is_ok() && fields[2].ends_with('Z'),
            "{name}: time in {line:?}"
        );
        match fields[1] {
            "started" => started.push(fields[0]),
            "done" => {
                assert!(
                    started.contains(&fields[0]),
                    "{name}: {line} before its start"
                );
                done.push(fields[0]);
            }
            other => panic!("{name}: state {other} in {line:?}"),
        }
    }
    let ids: Vec<&str> = plan
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(started, ids, "{name}: steps started");
    let mut sorted_done = done.clone();
    sorted_done.sort_unstable();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort_unstable();
    assert_eq!(sorted_done, sorted_ids, "{name}: steps done");
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
    // The accounts live where the switches before wave 13 put them.
    let homes: Vec<(String, String)> = plan
        .waves
        .iter()
        .filter(|w| w.index < from)
        .flat_map(|w| &w.steps)
        .filter(|s| s.kind == StepKind::MoveSwitch)
        .flat_map(|s| {
            let target = s.target.clone().unwrap_or_default();
            s.accounts
                .iter()
                .flatten()
                .map(move |a| (a.clone(), target.clone()))
        })
        .collect();
    assert!(want.len() < expected(&plan, 1, None).len());
    for (name, options) in [
        (
            "from-wave-argument",
            Options {
                args: &["--from-wave", "13"],
                homes: homes.clone(),
                ..Options::default()
            },
        ),
        (
            "from-wave-equals",
            Options {
                args: &["--from-wave=13"],
                homes: homes.clone(),
                ..Options::default()
            },
        ),
        (
            "from-wave-environment",
            Options {
                env: &[("START_WAVE", "13")],
                homes: homes.clone(),
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
    // The backup and the directory dump ran; the install waited.
    let found = calls_of_run(&run);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].argv[..2], ["zxsuite", "backup"]);
    assert_eq!(found[1].argv[0], "zmslapcat");
    let last = run.journal.lines().last().expect("a journal");
    assert!(
        last.starts_with("upgrade:ldap1.example.com failed ")
            && last.ends_with("stopped at a manual step of wave 1 (answer: 'no'). Run again with --from-wave 1 to go on."),
        "{}",
        run.journal
    );
}

#[test]
fn toolsets_without_stages_refuse_two_stage_moves() {
    // Carbonio's mailboxMove and Zimbra's zmmboxmove copy and switch in one
    // run: asking for two stages with them is refused, naming the key.
    let example = fs::read_to_string(root().join("examples/carbonio.yaml")).expect("example");
    let staged = example.replacen("\npolicy:\n", "\npolicy:\n  two_stage_moves: true\n", 1);
    assert_ne!(staged, example, "the example has a policy section");
    let dir = scratch!("carbonio-staged-inventory");
    let path = dir.write("carbonio.yaml", staged);
    let out = util::planner(["check"]).arg(&path).output();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr().contains("policy.two_stage_moves: two_stage_moves is true, but the carbonio toolset has no stages"),
        "{}",
        out.stderr()
    );
    assert!(try_planner(&path, "json").is_none());
}

#[test]
fn without_a_tool_stores_upgrade_in_place_after_manual_backups() {
    let dir = scratch!("none-inventory");
    let path = dir.write(
        "none.yaml",
        six_servers()
            .policy("{ tools: none }")
            .disk("1TiB")
            .mailbox("alice@example.com", "mbx1.example.com", "1GiB")
            .mailbox("bob@example.com", "mbx2.example.com", "1GiB")
            .text(),
    );
    let check = util::planner(["check"]).arg(&path).output();
    assert_eq!(check.code, 0, "{}", check.stderr());
    assert!(
        check
            .stderr()
            .contains("tools: none has no tool to move mailboxes, so evacuate is treated as never"),
        "{}",
        check.stderr()
    );
    let plan = plan_of(&path);
    assert_eq!(plan.tools, Tools::None);
    let steps: Vec<&planner_core::plan::Step> = plan.waves.iter().flat_map(|w| &w.steps).collect();
    assert!(steps.iter().all(|s| !matches!(
        s.kind,
        StepKind::MoveData | StepKind::MoveSwitch | StepKind::Purge
    )));
    let in_place: Vec<&str> = plan
        .summary
        .outages
        .iter()
        .filter(|o| o.unit == "mailstore")
        .map(|o| o.server.as_str())
        .collect();
    assert_eq!(in_place, ["mbx1.example.com", "mbx2.example.com"]);
    let run = run_script(
        &scratch!("none"),
        &planner(&path, "script"),
        Via::Remote,
        &Options::default(),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let backups = steps.iter().filter(|s| s.kind == StepKind::Backup).count();
    assert_eq!(
        run.stdout.matches("with your own tools").count(),
        backups,
        "every backup is a manual step"
    );
    assert_eq!(calls_of_run(&run), expected(&plan, 1, None));
    // The examples cover the other toolsets' script and document.
    insta::assert_snapshot!("tools-none-script", planner(&path, "script"));
    insta::assert_snapshot!("tools-none-markdown", planner(&path, "markdown"));
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
             'mbx1.example.com' 'domains' 'shop.example.org' 'stages' 'blobs,backup'"
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

/// Runs one stub command as `host` in a scratch state; returns its exit
/// status and the log, with what it printed at the end.
fn stub_call(dir: &Path, host: &str, command: &str) -> (i32, String) {
    let bin = stubs(dir);
    let log = dir.join("stub.log");
    fs::write(&log, "").expect("log");
    let output = Command::new(bin.join("remote"))
        .args([host, command])
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("STUB_LOG", &log)
        .env("STUB_STATE", dir.join("state"))
        .env("STUB_MASTERS", "ldap1.example.com")
        .output()
        .expect("the stub runs");
    (
        output.status.code().unwrap_or(-1),
        fs::read_to_string(&log).expect("log") + &String::from_utf8_lossy(&output.stdout),
    )
}

#[test]
fn the_stubs_reject_malformed_calls() {
    let dir = scratch!("stubs-malformed");
    fs::write(dir.join("list"), "a@example.com\n").expect("list");
    for (command, reason) in [
        (
            "zxsuite powerstore doMailboxMove",
            "needs a destination host",
        ),
        (
            "zxsuite powerstore doMailboxMove b accounts a@x input_file list",
            "exactly one of",
        ),
        (
            "zxsuite powerstore doMailboxMove b accounts a@x stages data,switch",
            "unknown stage switch",
        ),
        (
            "zxsuite backup doSmartScan deep true",
            "needs the action start",
        ),
        (
            "zxsuite powerstore doPurgeMailboxes all ignore_retention yes",
            "takes true or false",
        ),
        (
            "carbonio --sync powerstore mailboxMove b accounts a@x stages data",
            "unknown parameter stages",
        ),
        ("zmmboxmove -a a@x --from s", "needs -a, --from and --to"),
        ("zmbackup -f -i -a all", "exactly one of -f, -i or -del"),
        ("zmpurgeoldmbox -s s", "needs -a ACCOUNT"),
        ("zmprov fc -a coss", "unknown cache type coss"),
        ("zmproxypurge -a a@x", "expected zmproxypurge -L FILE"),
        ("zmcontrol stop", "expected zmcontrol status"),
    ] {
        let (status, log) = stub_call(&dir, "mbx1.example.com", command);
        assert_eq!(status, 2, "{command}: {log}");
        assert!(
            log.contains("reject ") && log.contains(reason),
            "{command}: {log}"
        );
    }
    // zmreplchk on the master alone, and a purge of a live mailbox.
    let (status, log) = stub_call(&dir, "ldap1.example.com", "zmreplchk");
    assert_eq!(status, 2, "{log}");
    assert!(log.contains("checks no replica"), "{log}");
    let (status, _) = stub_call(
        &dir,
        "mbx1.example.com",
        "zmmboxmove -a a@x --from mbx1.example.com --to mbx2.example.com --sync",
    );
    assert_eq!(status, 0);
    let (status, log) = stub_call(
        &dir,
        "mbx2.example.com",
        "zmpurgeoldmbox -a a@x -s mbx2.example.com",
    );
    assert_eq!(status, 2, "{log}");
    assert!(log.contains("that is not an old copy"), "{log}");
    // The well-formed calls of the same commands pass.
    for command in [
        "zxsuite powerstore doMailboxMove b input_file list stages blobs,backup notifications n@x",
        "zmpurgeoldmbox -a a@x -s mbx1.example.com",
        "zmbackup -i --sync -s mbx1.example.com",
        "zmprov fc -a cos",
    ] {
        let (status, log) = stub_call(&dir, "mbx3.example.com", command);
        assert_eq!(status, 0, "{command}: {log}");
    }
}

#[test]
fn the_stubs_reject_a_second_operation_on_a_busy_source() {
    let dir = scratch!("stubs-busy");
    let first = "zxsuite powerstore doMailboxMove b accounts a@x stages blobs,backup";
    assert_eq!(stub_call(&dir, "mbx1.example.com", first).0, 0);
    let (status, log) = stub_call(&dir, "mbx1.example.com", "zxsuite backup doSmartScan start");
    assert_eq!(status, 2, "{log}");
    assert!(
        log.contains("an operation is already running on mbx1.example.com"),
        "{log}"
    );
    // Another source is free; the busy one frees up after its polls.
    assert_eq!(stub_call(&dir, "mbx2.example.com", first).0, 0);
    let poll = "zxsuite powerstore getAllOperations";
    assert!(
        stub_call(&dir, "mbx1.example.com", poll)
            .1
            .contains("doMailboxMove")
    );
    stub_call(&dir, "mbx1.example.com", poll);
    assert!(
        !stub_call(&dir, "mbx1.example.com", poll)
            .1
            .contains("doMailboxMove")
    );
    assert_eq!(stub_call(&dir, "mbx1.example.com", first).0, 0);
    // Carbonio without --sync leaves its operation running.
    let move_ = "carbonio powerstore mailboxMove b accounts a@x";
    assert_eq!(stub_call(&dir, "mbx5.example.com", move_).0, 0);
    let (status, log) = stub_call(
        &dir,
        "mbx5.example.com",
        &format!("carbonio --sync {}", &move_[9..]),
    );
    assert_eq!(status, 2, "{log}");
}

#[test]
fn an_operation_that_outlasts_the_timeout_stops_the_script() {
    let inventory = Path::new("examples/saas.yaml");
    let plan = plan_of(inventory);
    assert_eq!(plan.tools, Tools::Zextras);
    let first = plan.waves[0]
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Backup)
        .expect("a backup");
    let run = run_script(
        &scratch!("timeout"),
        &planner(inventory, "script"),
        Via::Remote,
        &Options {
            env: &[("STUB_POLLS", "1000000"), ("PLANNER_WAIT_TIMEOUT", "0s")],
            ..Options::default()
        },
    );
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("error: operations still run on ")
            && run
                .stderr
                .contains("after 0 seconds (PLANNER_WAIT_TIMEOUT)"),
        "{}",
        run.stderr
    );
    // The wave stops at its first wait, for the first backup.
    let id = &first.id;
    assert!(
        run.journal.contains(&format!("{id} started ")),
        "{}",
        run.journal
    );
    let last = run.journal.lines().last().expect("journal");
    assert!(
        last.contains(" failed ") && last.contains("PLANNER_WAIT_TIMEOUT"),
        "{}",
        run.journal
    );
}

#[test]
fn a_wave_run_again_skips_the_steps_the_journal_has_as_done() {
    let inventory = Path::new("examples/enterprise.yaml");
    let plan = plan_of(inventory);
    let script = planner(inventory, "script");
    let dir = scratch!("rerun");
    // The first run stops at the first health check: the directory master's
    // upgrade, after the wave's backup has run.
    let first = run_script(
        &dir,
        &script,
        Via::Remote,
        &Options {
            env: &[("STUB_ZMCONTROL_STATUS", "3")],
            ..Options::default()
        },
    );
    assert_eq!(first.status, 3, "{}", first.stderr);
    let backup = &plan.waves[0].steps[0];
    assert_eq!(backup.kind, StepKind::Backup);
    assert!(
        first.journal.contains(&format!("{} done ", backup.id)),
        "{}",
        first.journal
    );
    let last = first.journal.lines().last().expect("journal");
    assert!(
        last.starts_with("upgrade:ldap1.corp.example.com failed "),
        "{last}"
    );
    assert!(last.ends_with(" exit status 3"), "{last}");
    // Run again from wave 1 with the journal kept: the backup is skipped,
    // the failed upgrade runs again, and the rest of the plan follows.
    let journal = dir.join("upgrade.journal");
    // Each run goes on from the journal the previous one left.
    let go_on = || {
        let kept = fs::read_to_string(&journal).expect("journal");
        run_script(
            &dir,
            &script,
            Via::Remote,
            &Options {
                env: &[("PLANNER_JOURNAL", journal.to_str().expect("a path"))],
                journal: Some(&kept),
                ..Options::default()
            },
        )
    };
    let again = go_on();
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains(&format!("--> {}: done in the journal, skipped", backup.id)),
        "{}",
        again.stdout
    );
    let mut want = expected(&plan, 1, None);
    assert_eq!(want[0].argv[0], "zmbackup");
    want.remove(0);
    assert_eq!(calls_of_run(&again), want);
    // A third run has nothing left: every step is done.
    let third = go_on();
    assert_eq!(third.status, 0, "{}", third.stderr);
    assert!(calls_of_run(&third).is_empty(), "{}", third.log);
}

#[test]
fn status_reads_the_journal_the_script_wrote() {
    let inventory = Path::new("examples/enterprise.yaml");
    let dir = scratch!("status");
    let json = dir.write("plan.json", planner(inventory, "json"));
    let run = run_script(
        &dir,
        &planner(inventory, "script"),
        Via::Remote,
        &Options {
            env: &[("STUB_ZMCONTROL_STATUS", "3")],
            ..Options::default()
        },
    );
    assert_eq!(run.status, 3, "{}", run.stderr);
    let out = util::planner(["status"])
        .arg(&json)
        .arg("--journal")
        .arg(dir.join("upgrade.journal"))
        .output();
    assert_eq!(out.code, 0, "{}", out.transcript());
    let text = out.stdout();
    for needle in [
        "0 of 16 waves done, 1 of 36 steps done; wave 1 is the first with work left.",
        "Failed (1): fix the cause, then run the script again from its wave\n  wave 1: upgrade:ldap1.corp.example.com at ",
        ": exit status 3\n",
        "Left: 35 steps in 16 waves, about ",
        "it should end about ",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    // A journal of another plan, and a journal that is not one.
    let other = dir.write("other.journal", "x done 2026-12-05T21:00:00Z\n");
    let out = util::planner(["status"])
        .arg(&json)
        .arg("--journal")
        .arg(&other)
        .output();
    assert_eq!(out.code, 1, "{}", out.transcript());
    assert!(
        out.stderr().contains("this journal is not this plan's"),
        "{}",
        out.stderr()
    );
    let broken = dir.write("broken.journal", "x done yesterday\n");
    let out = util::planner(["status"])
        .arg(&json)
        .arg("--journal")
        .arg(&broken)
        .output();
    assert_eq!(out.code, 1, "{}", out.transcript());
    assert!(
        out.stderr()
            .contains("broken.journal:1: error: `yesterday` is not an RFC 3339 time"),
        "{}",
        out.stderr()
    );
    let out = util::planner(["status"])
        .arg(&json)
        .arg("--journal")
        .arg(dir.join("none"))
        .output();
    assert_eq!(out.code, 2, "{}", out.transcript());
}

/// A failure halfway, as the guide walks through it: the script stops at a
/// mailstore's health check; `plan --resume` plans what is left from the
/// journal; `verify --journal` accepts it; `diff` shows what changed; a
/// second resume with no progress plans the same work; the resumed plan's
/// script finishes the job from the stubs' state, skipping nothing it
/// needs; `status` then reports everything done.
#[test]
fn a_run_that_failed_halfway_resumes_and_finishes() {
    // Zimbra NE's one-stage moves, and Zextras' copies and switches.
    for example in ["enterprise", "saas"] {
        fails_halfway_then_resumes(example);
    }
}

fn fails_halfway_then_resumes(example: &str) {
    let inventory = root().join(format!("examples/{example}.yaml"));
    let dir = scratch!("resume");
    let plan = plan_of(&inventory);
    let old = dir.write("plan.json", planner(&inventory, "json"));
    // The first mailstore upgraded with moves before it: halfway in.
    let store = plan
        .waves
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| s.kind == StepKind::Upgrade)
        .filter_map(|s| s.server.clone())
        .find(|s| s.starts_with("mbx"))
        .expect("a mailstore upgrade");
    let run = run_script(
        &dir,
        &planner(&inventory, "script"),
        Via::Remote,
        &Options {
            env: &[("STUB_ZMCONTROL_FAILS_ON", &store)],
            ..Options::default()
        },
    );
    assert_eq!(run.status, 3, "{}", run.stderr);
    let journal = dir.join("upgrade.journal");
    assert!(
        run.journal.contains(&format!("upgrade:{store} failed")),
        "{}",
        run.journal
    );
    let resume = |from: &Path, out: &str| {
        let result = util::planner(["plan"])
            .arg(&inventory)
            .args(["--now", util::NOW, "--format", "json", "--resume"])
            .arg(from)
            .arg("--journal")
            .arg(&journal)
            .args(["--output"])
            .arg(dir.join(out))
            .output();
        assert_eq!(result.code, 0, "{}", result.transcript());
        dir.join(out)
    };
    // Zextras operations still running when the script stopped are left
    // `started`: resume refuses them until the operator records how they
    // ended (here: they finished).
    let mut last: BTreeMap<&str, &str> = BTreeMap::new();
    for line in run.journal.lines() {
        let mut fields = line.split(' ');
        if let (Some(id), Some(state)) = (fields.next(), fields.next()) {
            last.insert(id, state);
        }
    }
    let started: Vec<&str> = last
        .iter()
        .filter(|(_, state)| **state == "started")
        .map(|(id, _)| *id)
        .collect();
    let mut journal_text = run.journal.clone();
    if !started.is_empty() {
        let refused = util::planner(["plan"])
            .arg(&inventory)
            .args(["--now", util::NOW, "--resume"])
            .arg(&old)
            .arg("--journal")
            .arg(&journal)
            .output();
        assert_eq!(refused.code, 1, "{}", refused.transcript());
        for id in &started {
            assert!(refused.stderr().contains(id), "{}", refused.stderr());
            journal_text.push_str(&format!("{id} done {}\n", util::NOW));
        }
        fs::write(&journal, &journal_text).expect("the journal");
    }
    let new_path = resume(&old, "resumed.json");
    let new: Plan =
        serde_json::from_str(&fs::read_to_string(&new_path).expect("the plan")).expect("a plan");
    let from = new.resumed_from.as_ref().expect("resumed_from");
    let done = journal_text
        .lines()
        .filter(|l| l.contains(" done "))
        .count();
    assert_eq!(from.done.len(), done, "every done step is recorded");
    assert!(
        new.waves
            .iter()
            .flat_map(|w| &w.steps)
            .any(|s| s.id == format!("upgrade:{store}#2")),
        "the failed upgrade is planned again under a new id"
    );
    let verify = util::planner(["verify"])
        .arg(&new_path)
        .arg("--inventory")
        .arg(&inventory)
        .arg("--journal")
        .arg(&journal)
        .output();
    assert_eq!(verify.code, 0, "{}", verify.transcript());
    let diff = util::planner(["diff"]).arg(&old).arg(&new_path).output();
    assert_eq!(diff.code, 1, "{}", diff.transcript());
    // No progress since: resuming the resumed plan plans the same work.
    let again = resume(&new_path, "again.json");
    let diff = util::planner(["diff"]).arg(&new_path).arg(&again).output();
    assert_eq!(diff.code, 0, "{}", diff.transcript());
    // The resumed plan's script, from where the stubs' state was left.
    let homes = stub_homes(&dir);
    let script = util::planner(["plan"])
        .arg(&inventory)
        .args(["--now", util::NOW, "--format", "script", "--resume"])
        .arg(&old)
        .arg("--journal")
        .arg(&journal)
        .output();
    assert_eq!(script.code, 0, "{}", script.transcript());
    let finish = run_script(
        &dir,
        &script.stdout(),
        Via::Remote,
        &Options {
            journal: Some(&journal_text),
            homes,
            ..Options::default()
        },
    );
    assert_eq!(finish.status, 0, "{}", finish.stderr);
    let status = util::planner(["status"])
        .arg(&new_path)
        .arg("--journal")
        .arg(dir.join("upgrade.journal"))
        .output();
    assert_eq!(status.code, 0, "{}", status.transcript());
    assert!(
        status.stdout().contains("every step is done")
            && status.stdout().contains("done before the resume"),
        "{}",
        status.stdout()
    );
}

/// Where the stubs' state says each account lives.
fn stub_homes(dir: &Path) -> Vec<(String, String)> {
    let mut homes = Vec::new();
    for entry in fs::read_dir(dir.join("state").join("homes")).expect("homes") {
        let entry = entry.expect("a home");
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes: Vec<u8> = (0..name.len() / 2)
            .filter_map(|i| u8::from_str_radix(&name[2 * i..2 * i + 2], 16).ok())
            .collect();
        let store = fs::read_to_string(entry.path()).expect("a store");
        homes.push((
            String::from_utf8(bytes).expect("an account"),
            store.trim().to_string(),
        ));
    }
    homes.sort();
    homes
}
