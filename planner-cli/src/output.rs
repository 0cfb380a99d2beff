//! Writing output: to stdout, or to a file that is written whole or not at all.

use std::io::Write;
use std::path::Path;

use crate::exit::Outcome;

/// Whether to colour output for this destination: only stdout, only a
/// terminal, and never when `NO_COLOR` is set to anything non-empty.
pub fn colour(path: Option<&Path>) -> bool {
    use std::io::IsTerminal;
    let to_stdout = path.is_none_or(|p| p.as_os_str() == "-");
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    to_stdout && !no_color && std::io::stdout().is_terminal()
}

/// Writes `text` to `path` (stdout for `None` or `-`). A file is written to a
/// temporary name beside it and renamed, so a failed run leaves nothing behind.
pub fn write(path: Option<&Path>, text: &str) -> Outcome {
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        return crate::emit(text);
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
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    match result {
        Ok(()) => Outcome::Done,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            eprintln!(
                "error: cannot write `{}`: {}",
                path.display(),
                crate::load::describe(&e)
            );
            Outcome::Usage
        }
    }
}
