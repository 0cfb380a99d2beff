//! `planner import DIR --target VERSION`: reads what `planner collect`
//! gathered in DIR and writes the inventory the library makes of it, after
//! checking that it loads (every mailbox file read), as `planner check` would.

use std::collections::BTreeMap;
use std::path::Path;

use crate::exit::Outcome;
use crate::load::{describe, print_diagnostics};
use crate::output;

/// The files of each server's directory that import reads.
const SERVER_FILES: [&str; 5] = [
    "zmcontrol-v.txt",
    "ldap_is_master",
    "df.txt",
    "gqu.txt",
    "zxsuite",
];

/// Runs the command.
pub fn run(dir: &Path, target: &str, out: Option<&Path>) -> Outcome {
    let label = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!(
                "error: cannot read the directory `{label}`: {}",
                describe(&e)
            );
            eprintln!("  hint: give the DIR that `sh collect.sh DIR` wrote");
            return Outcome::Usage;
        }
    };
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut unreadable = false;
    let mut read = |relative: String, files: &mut BTreeMap<String, String>| {
        let path = dir.join(&relative);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    files.insert(relative, text);
                }
                Err(_) => {
                    eprintln!("{}: error: not UTF-8 text", path.display());
                    unreadable = true;
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                eprintln!(
                    "{}: error: cannot read it: {}",
                    path.display(),
                    describe(&e)
                );
                unreadable = true;
            }
        }
    };
    read("servers.txt".to_string(), &mut files);
    let mut servers: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    servers.sort();
    for server in &servers {
        for file in SERVER_FILES {
            read(format!("{server}/{file}"), &mut files);
        }
    }
    if unreadable {
        return Outcome::Refused;
    }
    // Written to a file, the inventory names the mailbox files by absolute
    // paths, so that they are found wherever the file is saved.
    let named = match out {
        Some(path) if path != Path::new("-") => {
            std::fs::canonicalize(dir).map_or_else(|_| label.clone(), |p| p.display().to_string())
        }
        _ => label.clone(),
    };
    let text = match planner_core::import::import(&named, &files, target) {
        Ok(text) => text,
        Err(problems) => {
            print_diagnostics(&problems);
            eprintln!(
                "{} problem{} in the collected files; nothing was written",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            return Outcome::Refused;
        }
    };
    // What import writes must load as `planner check` loads it.
    let checked = planner_core::load("the imported inventory", text.as_bytes(), |file| {
        std::fs::read(file).map_err(|e| format!("cannot read `{file}`: {}", describe(&e)))
    });
    if let Err(refusal) = checked {
        print_diagnostics(&refusal.diagnostics);
        eprintln!("the imported inventory does not pass `planner check`; nothing was written");
        eprintln!("  hint: fix the collected files (or collect again), then import again");
        return Outcome::Refused;
    }
    output::write(out, |w| Ok(w.write_all(text.as_bytes())?))
}
