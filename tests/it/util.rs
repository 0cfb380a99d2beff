//! What the test modules share, so that each says only what it tests: the
//! workspace root, the one reference time, a command builder for the
//! `planner` binary, scratch directories, the six-server inventory the tests
//! build their small cases on, and loading and planning an inventory through
//! the library.
//!
//! Loading goes through here alone, so a change to the library's loading API
//! is made once for every test.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use planner_core::diagnostic::Refusal;
use planner_core::engine::{self, NoSafePlan};
use planner_core::inventory::{self, Checked};
use planner_core::plan::{Plan, PlanOptions};
use planner_core::verify;

/// The reference time of every plan the tests make (`--now`), so that
/// backup ages, estimates and snapshots are fixed.
pub const NOW: &str = "2026-11-29T00:00:00Z";

/// [`NOW`] as the library takes it.
pub fn now() -> jiff::Timestamp {
    NOW.parse().expect("a fixed time")
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `planner ARGS`, to be run in the workspace root with `NO_COLOR=1`; the
/// builder's methods change that before [`Planner::output`] runs it.
pub fn planner<I, S>(args: I) -> Planner
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_planner"));
    command.current_dir(root()).env("NO_COLOR", "1");
    Planner {
        command,
        stdin: None,
    }
    .args(args)
}

/// The JSON plan of `planner plan INVENTORY --format json --now NOW EXTRA...`,
/// which must succeed.
pub fn plan_json(inventory: &str, extra: &[&str]) -> serde_json::Value {
    let output = planner(["plan", inventory, "--format", "json", "--now", NOW])
        .args(extra)
        .output();
    assert_eq!(output.code, 0, "{inventory}: {}", output.stderr());
    serde_json::from_slice(output.stdout_bytes()).expect("JSON plan")
}

/// A command line for the `planner` binary (see [`planner`]).
pub struct Planner {
    command: Command,
    stdin: Option<Vec<u8>>,
}

impl Planner {
    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Planner {
        self.command.arg(arg);
        self
    }

    /// More arguments.
    pub fn args<I, S>(mut self, args: I) -> Planner
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Runs in `dir` instead of the workspace root.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Planner {
        self.command.current_dir(dir);
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Planner {
        self.command.env(key, value);
        self
    }

    /// Removes an environment variable (`NO_COLOR` included).
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Planner {
        self.command.env_remove(key);
        self
    }

    /// Standard input; without it, the planner reads an empty one.
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Planner {
        self.stdin = Some(input.into());
        self
    }

    /// Runs the planner and waits for it.
    pub fn output(mut self) -> Output {
        let line = format!("{:?}", self.command);
        let output = match self.stdin.take() {
            None => self.command.output(),
            Some(input) => {
                let mut child = self
                    .command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("the planner binary runs");
                let mut pipe = child.stdin.take().expect("stdin");
                // Written on its own thread, so that a planner that prints
                // before it has read everything cannot block on a full pipe.
                let writer = std::thread::spawn(move || pipe.write_all(&input));
                let output = child.wait_with_output();
                let _ = writer.join();
                output
            }
        }
        .expect("the planner binary runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: output.stdout,
            stderr: output.stderr,
            line,
        }
    }

    /// Runs the planner, which must exit 0, and returns its standard output,
    /// which must be UTF-8.
    pub fn stdout(self) -> String {
        self.output().success().stdout()
    }

    /// The command itself, for what the builder does not do (reading part of
    /// the output and closing the pipe).
    pub fn into_command(self) -> Command {
        self.command
    }
}

/// What a run of the planner did.
pub struct Output {
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// The command, for messages.
    line: String,
}

impl Output {
    /// Standard output, which must be UTF-8.
    pub fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone())
            .unwrap_or_else(|e| panic!("{}: stdout is not UTF-8: {e}", self.line))
    }

    /// Standard output, with anything that is not UTF-8 replaced.
    pub fn stdout_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard output as bytes.
    pub fn stdout_bytes(&self) -> &[u8] {
        &self.stdout
    }

    /// Standard error, with anything that is not UTF-8 replaced.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The run as an operator would see it, for snapshots: the exit code,
    /// then stdout and stderr under their own headers.
    pub fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.stdout_lossy(),
            self.stderr()
        )
    }

    /// Asserts the exit code, naming the command and showing what it printed.
    pub fn code(self, code: i32) -> Output {
        assert_eq!(self.code, code, "{}:\n{}", self.line, self.transcript());
        self
    }

    /// Asserts exit code 0.
    pub fn success(self) -> Output {
        self.code(0)
    }
}

/// The scratch directory `NAME` of the calling module (see [`Scratch`]).
macro_rules! scratch {
    ($name:expr) => {
        $crate::util::Scratch::new(module_path!(), $name)
    };
}
pub(crate) use scratch;

/// A scratch directory for one test, `target/tmp/it/MODULE/NAME`: empty when
/// made, and removed when dropped unless the test is failing, so that what a
/// failing test wrote is there to look at. Made with [`scratch!`], so that
/// names need only be unique within a module; it dereferences to its path.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Empties (or makes) the directory `NAME` of `module`.
    pub fn new(module: &str, name: &str) -> Scratch {
        let mut path = Path::new(env!("CARGO_TARGET_TMPDIR")).to_path_buf();
        path.extend(module.split("::"));
        path.push(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("scratch directory");
        Scratch { path }
    }

    /// Writes `contents` to the file `name` in the directory; returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, contents).expect("write into the scratch directory");
        path
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The six-server inventory the tests build small cases on: `ldap1`
/// (ldap-master), `ldap2` (ldap-replica), `mx1` and `mx2` (mta, proxy), and
/// the mailstores `mbx1` and `mbx2`, all in `example.com`, at 9.0.0_P40 with
/// target 10.1.5, 100TiB disks, no policy and no mailboxes until told.
pub fn six_servers() -> SixServers {
    SixServers {
        version: "9.0.0_P40".into(),
        versions: Vec::new(),
        disk: "100TiB".into(),
        stores: 2,
        policy: None,
        mailboxes: Vec::new(),
        mailbox_files: Vec::new(),
    }
}

/// The knobs of [`six_servers`]; [`SixServers::text`] writes the YAML, one
/// server or mailbox a line.
#[derive(Clone, Debug)]
pub struct SixServers {
    version: String,
    versions: Vec<(String, String)>,
    disk: String,
    stores: usize,
    policy: Option<String>,
    mailboxes: Vec<(String, String, String)>,
    mailbox_files: Vec<(String, String, String)>,
}

impl SixServers {
    /// Every server's version.
    pub fn version(mut self, version: &str) -> SixServers {
        self.version = version.into();
        self
    }

    /// One server's version (`server` is its full name).
    pub fn server_version(mut self, server: &str, version: &str) -> SixServers {
        self.versions.push((server.into(), version.into()));
        self
    }

    /// Each mailstore's disk, as the inventory writes it (`100GiB`).
    pub fn disk(mut self, disk: &str) -> SixServers {
        self.disk = disk.into();
        self
    }

    /// The number of mailstores, `mbx1` to `mbxN` (two by default).
    pub fn stores(mut self, n: usize) -> SixServers {
        self.stores = n;
        self
    }

    /// The policy: a flow mapping (`{ move_by: domain }`) goes on the
    /// `policy:` line, block lines go indented under it.
    pub fn policy(mut self, yaml: &str) -> SixServers {
        self.policy = Some(yaml.into());
        self
    }

    /// One more mailbox (`store` is the full name, `size` as written).
    pub fn mailbox(mut self, account: &str, store: &str, size: &str) -> SixServers {
        self.mailboxes
            .push((account.into(), store.into(), size.into()));
        self
    }

    /// One more mailbox list file.
    pub fn mailbox_file(mut self, path: &str, format: &str, store: &str) -> SixServers {
        self.mailbox_files
            .push((path.into(), format.into(), store.into()));
        self
    }

    /// The inventory as YAML.
    pub fn text(&self) -> String {
        let mut out = String::from("format: 1\ntarget_version: \"10.1.5\"\n");
        match self.policy.as_deref() {
            None => {}
            Some(flow) if flow.starts_with('{') => out.push_str(&format!("policy: {flow}\n")),
            Some(block) => {
                out.push_str("policy:\n");
                for line in block.lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
        out.push_str("servers:\n");
        let version = |name: &str| {
            self.versions
                .iter()
                .rev()
                .find(|(server, _)| server == name)
                .map_or(self.version.as_str(), |(_, v)| v.as_str())
                .to_string()
        };
        for (name, roles) in [
            ("ldap1", "ldap-master"),
            ("ldap2", "ldap-replica"),
            ("mx1", "mta, proxy"),
            ("mx2", "mta, proxy"),
        ] {
            let name = format!("{name}.example.com");
            out.push_str(&format!(
                "  - {{ name: {name}, roles: [{roles}], version: \"{}\" }}\n",
                version(&name)
            ));
        }
        for i in 1..=self.stores {
            let name = format!("mbx{i}.example.com");
            out.push_str(&format!(
                "  - {{ name: {name}, roles: [mailstore], version: \"{}\", capacity: {{ disk: {} }} }}\n",
                version(&name),
                self.disk
            ));
        }
        if !self.mailboxes.is_empty() {
            out.push_str("mailboxes:\n");
            for (account, store, size) in &self.mailboxes {
                let account = account.replace('\\', "\\\\").replace('"', "\\\"");
                out.push_str(&format!(
                    "  - {{ account: \"{account}\", store: {store}, size: {size} }}\n"
                ));
            }
        }
        if !self.mailbox_files.is_empty() {
            out.push_str("mailbox_files:\n");
            for (path, format, store) in &self.mailbox_files {
                out.push_str(&format!(
                    "  - {{ path: {path}, format: {format}, store: {store} }}\n"
                ));
            }
        }
        out
    }
}

/// Loads an inventory file and the mailbox files it names (relative to it),
/// as the CLI does, and validates it; panics with the diagnostics if it is
/// refused.
pub fn load(path: &Path) -> Checked {
    let bytes = std::fs::read(path).expect("inventory");
    planner_core::load(&path.display().to_string(), &bytes, |file| {
        std::fs::read(file).map_err(|e| format!("cannot read `{file}`: {e}"))
    })
    .unwrap_or_else(|r| panic!("{}: {r}", path.display()))
}

/// Parses and validates an inventory (text or bytes) that names no mailbox
/// files; `name` is the file name its diagnostics give.
pub fn check(name: &str, text: impl AsRef<[u8]>) -> Result<Checked, Refusal> {
    inventory::parse(name, text.as_ref())?.validate(&[])
}

/// The options every library-level plan is made with: the defaults, at [`NOW`].
pub fn options() -> PlanOptions {
    PlanOptions::at(now())
}

/// Plans a validated inventory with [`options`].
pub fn plan(checked: &Checked) -> Result<Plan, NoSafePlan> {
    engine::plan(checked, &options())
}

/// Loads and plans an inventory file, and has the independent checker judge
/// the plan; panics with the violations if the checker refuses it.
pub fn checked_plan(path: &Path) -> Result<(Checked, Plan), NoSafePlan> {
    let checked = load(path);
    let plan = plan(&checked)?;
    judge(&path.display().to_string(), &checked, &plan);
    Ok((checked, plan))
}

/// Validates and plans an inventory given as text, and has the checker judge
/// the plan; panics if it is invalid, refused, or refused by the checker.
pub fn judged(name: &str, text: &str) -> Plan {
    let checked = check(name, text).unwrap_or_else(|r| panic!("{name} is valid:\n{r}\n{text}"));
    let plan = plan(&checked).unwrap_or_else(|r| panic!("{name} is refused:\n{r}\n{text}"));
    judge(name, &checked, &plan);
    plan
}

/// Panics with the violations if the independent checker refuses `plan`.
fn judge(name: &str, checked: &Checked, plan: &Plan) {
    let violations = verify::verify(plan, checked.inventory(), &options());
    assert!(
        violations.is_empty(),
        "{name}: the checker refuses the plan:\n{}",
        violations
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The `.yaml` files of a workspace directory (`examples`), sorted, as paths
/// relative to the workspace root (`examples/enterprise.yaml`).
pub fn yaml_files(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}/: {e}"))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".yaml"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    names.sort();
    names
}

#[test]
fn six_servers_is_the_inventory_the_tests_wrote_by_hand() {
    // The generated bad inputs splice bytes into this text at fixed offsets.
    assert_eq!(
        six_servers().text(),
        "format: 1
target_version: \"10.1.5\"
servers:
  - { name: ldap1.example.com, roles: [ldap-master], version: \"9.0.0_P40\" }
  - { name: ldap2.example.com, roles: [ldap-replica], version: \"9.0.0_P40\" }
  - { name: mx1.example.com, roles: [mta, proxy], version: \"9.0.0_P40\" }
  - { name: mx2.example.com, roles: [mta, proxy], version: \"9.0.0_P40\" }
  - { name: mbx1.example.com, roles: [mailstore], version: \"9.0.0_P40\", capacity: { disk: 100TiB } }
  - { name: mbx2.example.com, roles: [mailstore], version: \"9.0.0_P40\", capacity: { disk: 100TiB } }
"
    );
}

#[test]
fn every_knob_of_six_servers_gives_a_valid_inventory() {
    let inventory = six_servers()
        .version("10.1.5")
        .server_version("mbx1.example.com", "9.0.0_P40")
        .disk("1TiB")
        .stores(3)
        .policy("max_fill: 80%\nmove_by: domain")
        .mailbox("o'neil@example.com", "mbx1.example.com", "1GiB");
    let text = inventory.text();
    check("knobs.yaml", &text).unwrap_or_else(|r| panic!("{:?}\n{text}", r.diagnostics));
    for line in [
        "policy:\n  max_fill: 80%\n  move_by: domain\nservers:\n",
        "  - { name: ldap1.example.com, roles: [ldap-master], version: \"10.1.5\" }\n",
        "  - { name: mbx1.example.com, roles: [mailstore], version: \"9.0.0_P40\", capacity: { disk: 1TiB } }\n",
        "  - { name: mbx3.example.com, roles: [mailstore], version: \"10.1.5\", capacity: { disk: 1TiB } }\n",
        "  - { account: \"o'neil@example.com\", store: mbx1.example.com, size: 1GiB }\n",
    ] {
        assert!(text.contains(line), "{line} is not in\n{text}");
    }
    // Accounts are YAML double-quoted strings, escaped as such.
    let quoted = six_servers().mailbox("a\"b\\c@x", "mbx1.example.com", "1GiB");
    assert!(
        quoted.text().contains(r#"account: "a\"b\\c@x""#),
        "{}",
        quoted.text()
    );
    let flow = six_servers()
        .version("10.1.5")
        .policy("{ move_by: domain }")
        .stores(1)
        .text();
    assert!(
        flow.contains("\npolicy: { move_by: domain }\nservers:\n"),
        "{flow}"
    );
    assert!(!flow.contains("mbx2"), "{flow}");
    check("flow.yaml", &flow).unwrap_or_else(|r| panic!("{:?}\n{flow}", r.diagnostics));
}

#[test]
fn a_scratch_directory_is_empty_and_gone_after_the_test() {
    let path = {
        let dir = scratch!("scratch-test");
        assert_eq!(std::fs::read_dir(&*dir).expect("made").count(), 0);
        let file = dir.write("f.txt", "x");
        assert!(file.starts_with(&*dir));
        assert!(dir.ends_with("it/util/scratch-test"), "{}", dir.display());
        dir.to_path_buf()
    };
    assert!(!path.exists(), "{} is left behind", path.display());
}

#[test]
fn the_command_builder_reports_code_streams_and_takes_stdin() {
    let out = planner(["check", "no/such/inventory.yaml"])
        .output()
        .code(2);
    assert!(
        out.transcript()
            .starts_with("exit: 2\n--- stdout\n--- stderr\n"),
        "{}",
        out.transcript()
    );
    assert!(
        out.stderr().contains("no/such/inventory.yaml"),
        "{}",
        out.stderr()
    );
    // The planner reads no stdin: a megabyte it never reads must not hang the run.
    let checked = planner(["check", "examples/enterprise.yaml"])
        .stdin(vec![b'x'; 1 << 20])
        .output()
        .success();
    assert!(
        checked.stdout().contains("11 servers"),
        "{}",
        checked.transcript()
    );
    let help = planner(["--help"])
        .current_dir(std::env::temp_dir())
        .env("NO_COLOR", "1")
        .stdout();
    assert!(help.contains("check"), "{help}");
}
