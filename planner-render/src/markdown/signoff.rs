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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;
    use crate::testing;

    #[test]
    fn what_the_signatures_approve() {
        let plan = testing::plan();
        assert_eq!(
            section(|o| signoff(o, &plan)),
            r##"## 9. Sign-off

By signing, you approve this plan and no other: inventory digest `sha256:0123456789abcdef`, planner
0.1.0, reference time 2026-11-29T00:00:00Z. A changed inventory needs a new plan and a new approval.

| Role | Name | Date | Signature |
| --- | --- | --- | --- |
| Change owner (operator) | ........................................ | ................ | ........................................ |
| Mail system administrator | ........................................ | ................ | ........................................ |
| Backup owner | ........................................ | ................ | ........................................ |
| Service owner (user communication) | ........................................ | ................ | ........................................ |
| Change board | ........................................ | ................ | ........................................ |

"##
        );
    }
}
