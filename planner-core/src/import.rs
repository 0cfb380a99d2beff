//! `planner import`: an inventory from what `planner collect` gathered
//! (SPEC section 12; the layout and formats are in docs/import.md).
//!
//! The caller reads the files (this crate does no I/O) and hands them over
//! by their paths inside the directory (`servers.txt`,
//! `mbx1.example.com/zmcontrol-v.txt`, …). The result is the inventory's
//! YAML text, with a comment on every value that had to be assumed, or
//! every problem found, each naming its file and line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::diagnostic::Diagnostic;
use crate::inventory::{Bytes, MAILSTORE, Profile, ProfileName};

/// One server as the collected files describe it.
#[derive(Debug, Default)]
struct Server {
    name: String,
    services: Vec<String>,
    roles: Vec<String>,
    version: String,
    edition: String,
    /// Mailstores: the bytes `df` finds available and those of the mailboxes.
    available: u64,
    mailbox_bytes: u64,
    zxsuite: bool,
}

/// The inventory text for `target`, from the collected files (`dir` is how
/// the directory is named in the inventory's mailbox file paths and in
/// diagnostics).
pub fn import(
    dir: &str,
    files: &BTreeMap<String, String>,
    target: &str,
) -> Result<String, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    // Services named as one of the profile's roles (`mta`, `proxy`,
    // `memcached`, `logger`, `snmp`, `spell`, `convertd`) are that role.
    let profile = Profile::builtin(ProfileName::Zimbra);
    let mut servers = read_servers(dir, files, &mut problems);
    for server in &mut servers {
        read_server(dir, files, &profile, server, &mut problems);
    }
    if servers.is_empty() && problems.is_empty() {
        problems.push(
            Diagnostic::error(
                format!("{dir}/servers.txt"),
                "no server (`# name HOST` line)",
            )
            .hint("run `sh collect.sh DIR` on a server of the installation, as the zimbra user"),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(write(dir, &profile, &servers, target))
}

/// `servers.txt`: `# name HOST`, then `attribute: value` lines.
fn read_servers(
    dir: &str,
    files: &BTreeMap<String, String>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Server> {
    let file = format!("{dir}/servers.txt");
    let Some(text) = files.get("servers.txt") else {
        problems.push(
            Diagnostic::error(&file, "missing: the output of `zmprov -l gas -v`")
                .hint("run `sh collect.sh DIR` (made by `planner collect`) and import that DIR"),
        );
        return Vec::new();
    };
    let mut servers: Vec<Server> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix("# name ") {
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                problems.push(
                    Diagnostic::error(&file, format!("`{name}` is not a host name"))
                        .at(i as u32 + 1, 1),
                );
            }
            servers.push(Server {
                name,
                ..Server::default()
            });
        } else if let Some(service) = line.strip_prefix("zimbraServiceEnabled:") {
            match servers.last_mut() {
                Some(s) => s.services.push(service.trim().to_string()),
                None => problems.push(
                    Diagnostic::error(&file, "an attribute before any `# name HOST` line")
                        .at(i as u32 + 1, 1)
                        .hint("the file must be the output of `zmprov -l gas -v`"),
                ),
            }
        }
    }
    servers
}

/// A server's own files: its version and edition, and, by its services,
/// whether it is an LDAP master and its store's room and mailboxes.
fn read_server(
    dir: &str,
    files: &BTreeMap<String, String>,
    profile: &Profile,
    s: &mut Server,
    problems: &mut Vec<Diagnostic>,
) {
    let name = s.name.clone();
    let path = |f: &str| format!("{name}/{f}");
    let shown = |f: &str| format!("{dir}/{name}/{f}");
    let missing = |f: &str, what: &str| {
        Diagnostic::error(shown(f), format!("missing: {what} of {name}"))
            .hint("run `sh collect.sh DIR` again: it writes every file import reads")
    };
    match files.get(&path("zmcontrol-v.txt")) {
        None => problems.push(missing("zmcontrol-v.txt", "the output of `zmcontrol -v`")),
        Some(text) => match version(text) {
            Some((version, edition)) => {
                s.version = version;
                s.edition = edition;
            }
            None => problems.push(
                Diagnostic::error(
                    shown("zmcontrol-v.txt"),
                    "no `Release VERSION ... EDITION edition` line",
                )
                .at(1, 1)
                .hint("the file must be the output of `zmcontrol -v`"),
            ),
        },
    }
    let services = s.services.clone();
    for service in &services {
        match service.as_str() {
            "mailbox" => s.roles.push(MAILSTORE.to_string()),
            "ldap" => {
                let master = match files.get(&path("ldap_is_master")) {
                    None => {
                        problems.push(missing(
                            "ldap_is_master",
                            "the output of `zmlocalconfig -s ldap_is_master`",
                        ));
                        false
                    }
                    Some(text) => text.lines().any(|l| {
                        l.split_once('=').is_some_and(|(k, v)| {
                            k.trim() == "ldap_is_master" && v.trim() == "true"
                        })
                    }),
                };
                s.roles.push(
                    if master {
                        "ldap-master"
                    } else {
                        "ldap-replica"
                    }
                    .to_string(),
                );
            }
            other => {
                if profile.role(other).is_some() && other != MAILSTORE {
                    s.roles.push(other.to_string());
                }
            }
        }
    }
    if s.roles.iter().any(|r| r == MAILSTORE) {
        match files.get(&path("df.txt")) {
            None => problems.push(missing("df.txt", "the output of `df -P -B1` of the store")),
            Some(text) => match available(text) {
                Ok(bytes) => s.available = bytes,
                Err((line, message)) => problems.push(
                    Diagnostic::error(shown("df.txt"), message)
                        .at(line, 1)
                        .hint("the file must be the output of `df -P -B1 STORE`"),
                ),
            },
        }
        match files.get(&path("gqu.txt")) {
            None => problems.push(missing("gqu.txt", "the output of `zmprov gqu`")),
            Some(text) => match used(text) {
                Ok(bytes) => s.mailbox_bytes = bytes,
                Err((line, message)) => problems.push(
                    Diagnostic::error(shown("gqu.txt"), message)
                        .at(line, 1)
                        .hint(
                            "each line is `account limit used`, the output of `zmprov gqu SERVER`",
                        ),
                ),
            },
        }
        s.zxsuite = files
            .get(&path("zxsuite"))
            .is_some_and(|t| !t.trim().is_empty());
    }
}

/// From `zmcontrol -v`: the Patch version when it prints one, else the
/// Release version; and the edition (`NETWORK`, `FOSS`).
fn version(text: &str) -> Option<(String, String)> {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Release "))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let release = words.get(1)?;
    let edition = words
        .iter()
        .position(|w| w.trim_end_matches([',', '.']) == "edition")
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| words.get(i))?
        .to_string();
    let patch = words
        .iter()
        .position(|w| *w == "Patch")
        .and_then(|i| words.get(i + 1))
        .map(|p| p.trim_end_matches(['.', ',']).to_string());
    let version = match patch {
        Some(p) if !p.is_empty() => p,
        // `8.8.15_GA_3869.RHEL7_64_…` or `10.0.8.GA.4518.UBUNTU20.64`: the
        // numbers before GA, as the release at the target (`_GA`).
        _ => {
            let numbers: String = release
                .split(['_', '.'])
                .take_while(|part| part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty())
                .collect::<Vec<_>>()
                .join(".");
            if numbers.is_empty() {
                return None;
            }
            format!("{numbers}_GA")
        }
    };
    Some((version, edition))
}

/// From `df -P -B1`: the Available column of the line after the header.
fn available(text: &str) -> Result<u64, (u32, String)> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, header)) if header.starts_with("Filesystem") => {}
        _ => return Err((1, "no `Filesystem ... Available ...` header".to_string())),
    }
    let Some((i, line)) = lines.next() else {
        return Err((2, "no filesystem line after the header".to_string()));
    };
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields.get(3).and_then(|f| f.parse::<u64>().ok()).ok_or((
        i as u32 + 1,
        format!("`{line}`: no number of available bytes in the fourth column"),
    ))
}

/// From `zmprov gqu`: the sum of the used bytes (`account limit used`).
fn used(text: &str) -> Result<u64, (u32, String)> {
    let mut sum: u64 = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let size = match fields.as_slice() {
            [account, _, used] if account.contains('@') => used.parse::<u64>().ok(),
            _ => None,
        };
        match size {
            Some(b) => sum = sum.saturating_add(b),
            None => {
                return Err((
                    i as u32 + 1,
                    format!("`{line}` is not `account limit used`"),
                ));
            }
        }
    }
    Ok(sum)
}

/// The inventory text.
fn write(dir: &str, profile: &Profile, servers: &[Server], target: &str) -> String {
    let mut y = String::new();
    let _ = writeln!(y, "# yaml-language-server: $schema=inventory.schema.json");
    let _ = writeln!(y, "#");
    let _ = writeln!(
        y,
        "# (the schema: `planner schema inventory > inventory.schema.json`)"
    );
    let _ = writeln!(
        y,
        "# Made by `planner import {dir} --target {target}` from what `planner collect`"
    );
    let _ = writeln!(
        y,
        "# gathered. Values marked `assumed` were not in the collected files: check them."
    );
    let _ = writeln!(
        y,
        "# Mailbox file paths are read from this file's directory unless absolute: with a"
    );
    let _ = writeln!(
        y,
        "# relative DIR, save this file in the directory `planner import` ran in."
    );
    let _ = writeln!(y, "format: 1");
    let _ = writeln!(y, "target_version: \"{target}\"");
    let _ = writeln!(y, "policy:");
    policy(&mut y, profile, servers);
    let _ = writeln!(
        y,
        "servers:  # assumed: one site (no `site` keys); give each server its site if moves must stay inside one"
    );
    for s in servers {
        let roles: Vec<&str> = s.roles.iter().map(String::as_str).collect();
        let left_out: Vec<&str> = s
            .services
            .iter()
            .map(String::as_str)
            .filter(|svc| !matches!(*svc, "mailbox" | "ldap") && !s.roles.iter().any(|r| r == svc))
            .collect();
        let _ = writeln!(y, "  - name: {}", s.name);
        let _ = write!(y, "    roles: [{}]", roles.join(", "));
        if !left_out.is_empty() {
            let _ = write!(
                y,
                "  # services that are parts of other roles, left out: {}",
                left_out.join(", ")
            );
        }
        let _ = writeln!(y);
        let _ = writeln!(
            y,
            "    version: \"{}\"  # zmcontrol -v ({} edition)",
            s.version, s.edition
        );
        if s.roles.iter().any(|r| r == MAILSTORE) {
            let disk = s.available.saturating_add(s.mailbox_bytes);
            let _ = writeln!(
                y,
                "    capacity: {{ disk: {disk} }}  # {}: df's available ({}) plus its mailboxes ({}); account capacity assumed unlimited",
                Bytes(disk),
                Bytes(s.available),
                Bytes(s.mailbox_bytes)
            );
        }
    }
    let stores: Vec<&Server> = servers
        .iter()
        .filter(|s| s.roles.iter().any(|r| r == MAILSTORE))
        .collect();
    if !stores.is_empty() {
        let _ = writeln!(y, "mailbox_files:");
        for s in stores {
            let _ = writeln!(y, "  - path: {dir}/{}/gqu.txt", s.name);
            let _ = writeln!(y, "    format: zmprov-gqu");
            let _ = writeln!(y, "    store: {}", s.name);
        }
    }
    y
}

/// The policy: the toolset from the editions and `zxsuite`, and the
/// outages assumed for units too small to stay up.
fn policy(y: &mut String, profile: &Profile, servers: &[Server]) {
    let network = servers.iter().any(|s| s.edition == "NETWORK");
    let zxsuite = servers.iter().any(|s| s.zxsuite);
    let (tools, why) = match (network, zxsuite) {
        (true, _) => ("zimbra-ne", "zmcontrol -v says NETWORK edition"),
        (false, true) => ("zextras", "FOSS edition, and zxsuite is installed"),
        (false, false) => (
            "none",
            "FOSS edition without zxsuite: no tool moves mailboxes",
        ),
    };
    let _ = writeln!(y, "  tools: {tools}  # {why}");
    // The profile's availability units (groups, or roles) whose servers
    // are too few to keep `min_available` up while one upgrades.
    let lone: Vec<String> = profile
        .availability_units()
        .into_iter()
        .filter(|u| {
            let members = servers
                .iter()
                .filter(|s| s.roles.iter().any(|r| u.roles.iter().any(|x| x == r)))
                .count() as u32;
            members > 0 && members.saturating_sub(1) < u.min_available
        })
        .map(|u| u.name)
        .collect();
    if !lone.is_empty() {
        let _ = writeln!(
            y,
            "  allow_outage: [{}]  # assumed: each has a single server, which is down while it upgrades",
            lone.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_zmcontrol_of_8_9_and_10() {
        let cases = [
            (
                "Release 8.8.15_GA_3869.RHEL7_64_20190917004220 RHEL7_64 FOSS edition, Patch 8.8.15_P45.",
                "8.8.15_P45",
                "FOSS",
            ),
            (
                "Release 9.0.0_GA_4178.RHEL8_64_20211118145420 RHEL8_64 NETWORK edition, Patch 9.0.0_P41.",
                "9.0.0_P41",
                "NETWORK",
            ),
            (
                "Release 10.0.8.GA.4518.UBUNTU20.64 UBUNTU20_64 FOSS edition, Patch 10.0.8_P1.",
                "10.0.8_P1",
                "FOSS",
            ),
            (
                "Release 10.1.5.GA.4200.RHEL8_64 RHEL8_64 NETWORK edition.",
                "10.1.5_GA",
                "NETWORK",
            ),
        ];
        for (line, version_wanted, edition) in cases {
            assert_eq!(
                version(line),
                Some((version_wanted.to_string(), edition.to_string())),
                "{line}"
            );
        }
        assert_eq!(version("zmcontrol: command not found"), None);
    }

    #[test]
    fn df_and_gqu_are_read_with_their_line_numbers() {
        let df = "Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/sdb1 1000 400 600 40% /opt/zimbra/store\n";
        assert_eq!(available(df), Ok(600));
        assert_eq!(available("nonsense\n").map_err(|e| e.0), Err(1));
        assert_eq!(used("a@x.org 0 10\nb@x.org 5 20\n"), Ok(30));
        assert_eq!(used("a@x.org 0 10\nbroken line\n").map_err(|e| e.0), Err(2));
    }
}
