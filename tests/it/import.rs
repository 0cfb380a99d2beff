//! `planner import`: inventories from fixture directories written as
//! `collect.sh` writes them (real-looking output of ZCS 8.8.15, 9.0 and 10.x,
//! a multi-master directory, Network and open-source editions) load, check
//! and plan; missing and malformed files are refused naming file and line.

use std::fs;
use std::path::Path;

use crate::util::{options, planner, root, scratch};

/// Imports a fixture directory (relative to the workspace root, so that the
/// inventory's paths are too); the inventory text.
fn import(dir: &str, target: &str) -> String {
    let out = planner(["import", dir, "--target", target])
        .current_dir(root())
        .output();
    assert_eq!(out.code, 0, "{}", out.transcript());
    out.stdout()
}

/// Loads an imported inventory as `planner check` would from the root.
fn load(text: &str) -> planner_core::inventory::Checked {
    planner_core::load("imported.yaml", text.as_bytes(), |file| {
        fs::read(root().join(file)).map_err(|e| e.to_string())
    })
    .unwrap_or_else(|r| panic!("{r}\n{text}"))
}

#[test]
fn a_network_edition_multi_master_installation_imports_checks_and_plans() {
    let text = import("tests/import/ne-multi-master", "10.1.5");
    insta::assert_snapshot!("import-ne-multi-master", text);
    assert!(
        text.starts_with("# yaml-language-server: $schema="),
        "{text}"
    );
    let checked = load(&text);
    let inv = checked.inventory();
    let roles = |name: &str| {
        inv.server(inv.server_id(name).expect("a server"))
            .roles()
            .to_vec()
    };
    assert_eq!(roles("ldap1.corp.example.com"), ["ldap-master"]);
    assert_eq!(roles("ldap2.corp.example.com"), ["ldap-master"]);
    assert_eq!(roles("ldap3.corp.example.com"), ["ldap-replica"]);
    assert_eq!(roles("mbx1.corp.example.com"), ["mailstore", "logger"]);
    let version = |name: &str| {
        inv.server(inv.server_id(name).expect("a server"))
            .version()
            .to_string()
    };
    // The Patch version where zmcontrol prints one, else the Release's.
    assert_eq!(version("mta2.corp.example.com"), "8.8.15_P45");
    assert_eq!(version("mbx1.corp.example.com"), "9.0.0_P41");
    assert_eq!(version("mbx2.corp.example.com"), "10.0.6_P1");
    assert_eq!(version("mbx3.corp.example.com"), "10.1.5_GA");
    // disk = df's Available + the store's mailboxes.
    let disk = inv
        .server(inv.server_id("mbx1.corp.example.com").expect("mbx1"))
        .capacity()
        .expect("a capacity")
        .disk
        .0;
    assert_eq!(
        disk,
        1_288_490_188_800 + 3_221_225_472 + 1_073_741_824 + 52_428_800
    );
    assert_eq!(inv.policy().tools, planner_core::inventory::Tools::ZimbraNe);
    assert_eq!(inv.mailboxes().len(), 5);
    let plan = planner_core::engine::plan(&checked, &options()).expect("it plans");
    assert_eq!(plan.summary.servers_to_upgrade, 9);
}

#[test]
fn an_open_source_installation_with_zextras_imports_with_its_outages_assumed() {
    let text = import("tests/import/foss-zextras", "9.0.0_P44");
    insta::assert_snapshot!("import-foss-zextras", text);
    assert!(
        text.contains("tools: zextras  # FOSS edition, and zxsuite is installed")
            && text.contains("allow_outage: [directory, mta, proxy]  # assumed"),
        "{text}"
    );
    let checked = load(&text);
    planner_core::engine::plan(&checked, &options()).expect("it plans");
    // Without zxsuite, an open-source installation has no tool to move mailboxes.
    let dir = scratch!("no-zxsuite");
    copy(
        &root().join("tests/import/foss-zextras"),
        &dir.join("facts"),
    );
    for store in ["mbx1.shop.example.org", "mbx2.shop.example.org"] {
        fs::write(dir.join("facts").join(store).join("zxsuite"), "").expect("write");
    }
    let out = planner(["import", "facts", "--target", "9.0.0_P44"])
        .current_dir(&dir)
        .output();
    assert_eq!(out.code, 0, "{}", out.transcript());
    assert!(
        out.stdout()
            .contains("tools: none  # FOSS edition without zxsuite")
    );
}

#[test]
fn missing_and_malformed_files_are_refused_by_file_and_line() {
    let dir = scratch!("broken");
    let facts = dir.join("facts");
    copy(&root().join("tests/import/ne-multi-master"), &facts);
    fs::remove_file(facts.join("mbx2.corp.example.com/df.txt")).expect("remove");
    fs::write(
        facts.join("mbx1.corp.example.com/gqu.txt"),
        "alice@corp.example.com 10737418240 3221225472\nnot a gqu line\n",
    )
    .expect("write");
    fs::write(
        facts.join("mta1.corp.example.com/zmcontrol-v.txt"),
        "command not found\n",
    )
    .expect("write");
    let out = planner([
        "import",
        "facts",
        "--target",
        "10.1.5",
        "--output",
        "inventory.yaml",
    ])
    .current_dir(&dir)
    .output();
    assert_eq!(out.code, 1, "{}", out.transcript());
    let stderr = out.stderr();
    for needle in [
        "facts/mbx2.corp.example.com/df.txt: error: missing: the output of `df -P -B1` of the store of mbx2.corp.example.com",
        "facts/mbx1.corp.example.com/gqu.txt:2:1: error: `not a gqu line` is not `account limit used`",
        "facts/mta1.corp.example.com/zmcontrol-v.txt:1:1: error: no `Release VERSION ... EDITION edition` line",
        "3 problems in the collected files; nothing was written",
    ] {
        assert!(stderr.contains(needle), "{needle:?} in\n{stderr}");
    }
    assert!(!dir.join("inventory.yaml").exists(), "nothing half-written");
    // A directory that is not there is a usage error.
    let out = planner(["import", "nowhere", "--target", "10.1.5"])
        .current_dir(&dir)
        .output();
    assert_eq!(out.code, 2, "{}", out.transcript());
    // No servers.txt.
    fs::remove_file(facts.join("servers.txt")).expect("remove");
    let out = planner(["import", "facts", "--target", "10.1.5"])
        .current_dir(&dir)
        .output();
    assert_eq!(out.code, 1, "{}", out.transcript());
    assert!(
        out.stderr().contains("facts/servers.txt: error: missing"),
        "{}",
        out.stderr()
    );
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}
