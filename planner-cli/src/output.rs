//! Writing output: to stdout, or to a file that is written whole or not at all.
//!
//! Renderers write straight to the destination; whatever goes wrong on the
//! way (the writer, or the renderer itself) ends here, as one message on
//! stderr and an exit code.

use std::io::{BufWriter, Write};
use std::path::Path;

use planner_render::Error;

use crate::exit::Outcome;

/// Whether to colour output for this destination: only stdout, only a
/// terminal, and never when `NO_COLOR` is set to anything non-empty.
pub fn colour(path: Option<&Path>) -> bool {
    use std::io::IsTerminal;
    let to_stdout = path.is_none_or(|p| p.as_os_str() == "-");
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    to_stdout && !no_color && std::io::stdout().is_terminal()
}

/// Has `render` write to `path` (stdout for `None` or `-`). A file is written
/// to a temporary name beside it and renamed, so a failed run leaves nothing
/// behind. On stdout a closed pipe (`planner ... | head`) ends quietly.
pub fn write(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Outcome {
    publish(path, render, None::<fn() -> Result<(), Outcome>>)
}

/// Like [`write`], but the output is published (the file renamed into
/// place, or stdout written) only if `check` passes. `check` runs on a second
/// thread while `render` writes, so the check costs no wall time when it is
/// quicker than rendering; on stdout the output is held in memory until then.
/// A check that fails has printed why; its outcome is returned and nothing
/// is written.
pub fn write_checked(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
    check: impl FnOnce() -> Result<(), Outcome> + Send,
) -> Outcome {
    std::thread::scope(|scope| {
        let judge = scope.spawn(check);
        let gate = move || {
            judge.join().unwrap_or_else(|_| {
                eprintln!("error: internal error: the plan checker stopped; nothing was written");
                Err(Outcome::Refused)
            })
        };
        publish(path, render, Some(gate))
    })
}

/// Renders to `path`, then publishes the output if `gate` (when given) passes.
fn publish(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
    gate: Option<impl FnOnce() -> Result<(), Outcome>>,
) -> Outcome {
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        return to_stdout(render, gate);
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp)
        .map_err(Error::Io)
        .and_then(|file| {
            let mut out = BufWriter::new(file);
            render(&mut out)?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            Ok(file.sync_all()?)
        });
    // The gate is waited for whatever happened, so its thread never outlives
    // a failed write unjoined, and its verdict comes first.
    if let Some(Err(outcome)) = gate.map(|g| g()) {
        let _ = std::fs::remove_file(&temp);
        return outcome;
    }
    match written.and_then(|()| Ok(std::fs::rename(&temp, path)?)) {
        Ok(()) => Outcome::Done,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            match e {
                Error::Io(e) => {
                    eprintln!(
                        "error: cannot write `{}`: {}",
                        path.display(),
                        crate::load::describe(&e)
                    );
                    Outcome::Usage
                }
                e => failed_to_render(&e),
            }
        }
    }
}

/// Renders to stdout: streamed without a gate; held in memory until the
/// gate passes with one.
fn to_stdout(
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
    gate: Option<impl FnOnce() -> Result<(), Outcome>>,
) -> Outcome {
    let stdout_failed = |e: Error| match e {
        Error::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Done,
        Error::Io(e) => {
            eprintln!(
                "error: cannot write the output: {}",
                crate::load::describe(&e)
            );
            Outcome::Refused
        }
        e => failed_to_render(&e),
    };
    let Some(gate) = gate else {
        let mut out = BufWriter::new(std::io::stdout().lock());
        return match render(&mut out).and_then(|()| Ok(out.flush()?)) {
            Ok(()) => Outcome::Done,
            Err(e) => stdout_failed(e),
        };
    };
    let mut held: Vec<u8> = Vec::new();
    let rendered = render(&mut held);
    if let Err(outcome) = gate() {
        return outcome;
    }
    if let Err(e) = rendered {
        return stdout_failed(e);
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(&held).and_then(|()| out.flush()) {
        Ok(()) => Outcome::Done,
        Err(e) => stdout_failed(Error::Io(e)),
    }
}

/// Reports a renderer that could not make its output (the writer was fine).
fn failed_to_render(error: &Error) -> Outcome {
    eprintln!("error: {error}");
    Outcome::Refused
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch folder of its own under the target directory.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("planner-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    fn render(out: &mut dyn Write) -> Result<(), Error> {
        Ok(out.write_all(b"the plan\n")?)
    }

    #[test]
    fn a_failed_check_leaves_nothing_behind() {
        let dir = scratch("refused");
        let path = dir.join("plan.json");
        let outcome = write_checked(Some(&path), render, || Err(Outcome::Refused));
        assert!(matches!(outcome, Outcome::Refused), "{outcome:?}");
        let left: Vec<_> = std::fs::read_dir(&dir).expect("list").collect();
        assert!(left.is_empty(), "nothing is written: {left:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_passed_check_publishes_the_output() {
        let dir = scratch("passed");
        let path = dir.join("plan.json");
        let outcome = write_checked(Some(&path), render, || Ok(()));
        assert!(matches!(outcome, Outcome::Done), "{outcome:?}");
        assert_eq!(std::fs::read(&path).expect("written"), b"the plan\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_checker_that_panics_counts_as_failed() {
        let dir = scratch("panicked");
        let path = dir.join("plan.json");
        let outcome = write_checked(Some(&path), render, || panic!("a checker bug"));
        assert!(matches!(outcome, Outcome::Refused), "{outcome:?}");
        assert!(!path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
