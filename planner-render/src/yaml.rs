//! `--format yaml`: the plan contract as YAML, the same data as the JSON.

use std::io;

use planner_core::plan::Plan;

use crate::Error;

/// Writes the plan as YAML.
pub fn render<W: io::Write>(plan: &Plan, out: &mut W) -> Result<(), Error> {
    // Serialized whole first, so that a serialization error and a writer's
    // error stay apart.
    let text = serde_yaml::to_string(plan).map_err(Error::Yaml)?;
    out.write_all(text.as_bytes())?;
    Ok(())
}
