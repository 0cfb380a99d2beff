//! `planner collect`: the script is POSIX shell (`sh -n`), and, run against
//! stub commands, gathers the documented layout without changing anything.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use crate::util::{planner, scratch};

/// A stub command: a shell script that logs its call and prints `body`'s output.
fn stub(bin: &Path, name: &str, body: &str) {
    let path = bin.join(name);
    fs::write(
        &path,
        format!("#!/bin/sh\nprintf '%s\\n' \"{name} $*\" >>\"$STUB_LOG\"\n{body}\n"),
    )
    .expect("a stub");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("executable");
}

#[test]
fn the_collect_script_gathers_the_documented_layout_and_only_reads() {
    let out = planner(["collect"]).output();
    assert_eq!(out.code, 0, "{}", out.transcript());
    let script = out.stdout();
    let dir = scratch!("collect");
    let path = dir.write("collect.sh", &script);
    let syntax = Command::new("sh")
        .arg("-n")
        .arg(&path)
        .status()
        .expect("sh");
    assert!(syntax.success(), "sh -n refuses the script");
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).expect("bin");
    // zmprov -l gas -v: `# name HOST` then `attr: value` lines (the layout
    // docs/import.md cites); a name that is not a host name is skipped.
    stub(
        &bin,
        "zmprov",
        r#"case "$*" in
    "-l gas -v") printf '%s\n' '# name ldap1.example.com' 'zimbraServiceEnabled: ldap' 'zimbraServiceEnabled: stats' '' \
        '# name mbx1.example.com' 'zimbraServiceEnabled: mailbox' 'zimbraServiceEnabled: mailboxd' '' \
        '# name bad;name' 'zimbraServiceEnabled: mta' '' ;;
    "gqu mbx1.example.com") printf '%s\n' 'alice@example.com 0 1048576' ;;
    *) echo "unexpected zmprov $*" >&2; exit 9 ;;
esac"#,
    );
    stub(
        &bin,
        "zmcontrol",
        r#"[ "$*" = -v ] || exit 9; echo 'Release 10.1.5.GA.4200.RHEL8_64 RHEL8_64 NETWORK edition, Patch 10.1.5_P1.'"#,
    );
    stub(
        &bin,
        "zmlocalconfig",
        r#"[ "$*" = "-s ldap_is_master" ] || exit 9; echo 'ldap_is_master = true'"#,
    );
    stub(
        &bin,
        "df",
        r#"[ "$1 $2" = "-P -B1" ] || exit 9; printf '%s\n' 'Filesystem 1-blocks Used Available Capacity Mounted on' "/dev/sdb1 1000 400 600 40% $3""#,
    );
    // The remote shell: runs the command line here, as ssh and su would there.
    stub(&bin, "remote", r#"STUB_HOST=$1 sh -c "$2""#);
    let work = dir.join("facts");
    let run = Command::new("sh")
        .arg(&path)
        .arg(&work)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("PLANNER_REMOTE", bin.join("remote"))
        .env("STUB_LOG", dir.join("calls.log"))
        .output()
        .expect("the script runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("collect: mbx1.example.com: zmprov gqu"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped: `bad;name` is not a host name"),
        "{stderr}"
    );
    let read = |p: &str| fs::read_to_string(work.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert!(read("servers.txt").starts_with("# name ldap1.example.com"));
    assert!(read("ldap1.example.com/zmcontrol-v.txt").contains("NETWORK edition"));
    assert_eq!(
        read("ldap1.example.com/ldap_is_master"),
        "ldap_is_master = true\n"
    );
    assert!(read("mbx1.example.com/df.txt").contains("/opt/zimbra/store"));
    assert_eq!(
        read("mbx1.example.com/gqu.txt"),
        "alice@example.com 0 1048576\n"
    );
    assert_eq!(read("mbx1.example.com/zxsuite"), "");
    assert!(!work.join("mbx1.example.com/ldap_is_master").exists());
    assert!(!work.join("ldap1.example.com/gqu.txt").exists());
    // Every call reads: the log holds only these commands.
    let calls = fs::read_to_string(dir.join("calls.log")).expect("calls");
    for call in calls.lines() {
        assert!(
            [
                "zmprov -l gas -v",
                "zmprov gqu ",
                "zmcontrol -v",
                "zmlocalconfig -s ldap_is_master",
                "df -P -B1 ",
                "remote "
            ]
            .iter()
            .any(|ok| call.starts_with(ok)),
            "{call}"
        );
    }
}
