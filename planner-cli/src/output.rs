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
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        let mut out = BufWriter::new(std::io::stdout().lock());
        return match render(&mut out).and_then(|()| Ok(out.flush()?)) {
            Ok(()) => Outcome::Done,
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Done,
            Err(Error::Io(e)) => {
                eprintln!(
                    "error: cannot write the output: {}",
                    crate::load::describe(&e)
                );
                Outcome::Refused
            }
            Err(e) => failed_to_render(&e),
        };
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
    let result = std::fs::File::create(&temp)
        .map_err(Error::Io)
        .and_then(|file| {
            let mut out = BufWriter::new(file);
            render(&mut out)?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            Ok(file.sync_all()?)
        })
        .and_then(|()| Ok(std::fs::rename(&temp, path)?));
    match result {
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

/// Reports a renderer that could not make its output (the writer was fine).
fn failed_to_render(error: &Error) -> Outcome {
    eprintln!("error: {error}");
    Outcome::Refused
}
