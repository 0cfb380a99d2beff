//! `--format json`: the plan contract, pretty-printed, keys in a fixed order.

use std::io;

use planner_core::plan::Plan;

use crate::Error;

/// Writes the plan as JSON with a final newline. A writer's failure is
/// [`Error::Io`] (so a closed pipe can be told apart), anything else
/// [`Error::Json`].
pub fn render<W: io::Write>(plan: &Plan, out: &mut W) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, plan).map_err(|e| {
        if e.is_io() {
            Error::Io(io::Error::from(e))
        } else {
            Error::Json(e)
        }
    })?;
    out.write_all(b"\n")?;
    Ok(())
}
