//! Section 9, the sign-off: what the signatures approve, and a table to sign.

use std::io::{self, Write};

use planner_core::plan::Plan;

use super::prose::{code, escape, paragraph};
use super::table::Table;

pub(super) fn signoff(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    put!(out, "## 9. Sign-off\n");
    paragraph(
        out,
        &format!(
            "By signing, you approve this plan and no other: inventory digest {}, planner {}, \
             reference time {}. A changed inventory needs a new plan and a new approval.",
            code(&plan.inventory_digest, false),
            escape(&plan.planner_version),
            escape(&plan.now)
        ),
    )?;
    let mut t = Table::new(&["Role", "Name", "Date", "Signature"]);
    for role in [
        "Change owner (operator)",
        "Mail system administrator",
        "Backup owner",
        "Service owner (user communication)",
        "Change board",
    ] {
        // Dotted lines give room to write on paper and keep the source plain.
        t.row(vec![
            role.to_string(),
            ".".repeat(40),
            ".".repeat(16),
            ".".repeat(40),
        ]);
    }
    t.write(out)?;
    Ok(())
}
