//! GitHub-flavoured tables, whose cells are already Markdown.

use std::io::{self, Write};

/// A GitHub-flavoured table whose cells are already Markdown; each row has
/// exactly the header's number of cells.
pub(super) struct Table {
    header: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(super) fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_string()).collect(),
            right: vec![false; header.len()],
            rows: Vec::new(),
        }
    }

    /// Right-aligns the columns marked `true` (figures).
    pub(super) fn align(&mut self, right: &[bool]) {
        for (i, r) in right.iter().enumerate().take(self.right.len()) {
            self.right[i] = *r;
        }
    }

    pub(super) fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
    }

    pub(super) fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let row = |cells: &[String]| {
            let body: Vec<String> = cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        " ".to_string()
                    } else {
                        format!(" {c} ")
                    }
                })
                .collect();
            format!("|{}|", body.join("|"))
        };
        put!(out, "{}", row(&self.header));
        let rule: Vec<&str> = self
            .right
            .iter()
            .map(|r| if *r { " ---: " } else { " --- " })
            .collect();
        put!(out, "|{}|", rule.join("|"));
        for r in &self.rows {
            put!(out, "{}", row(r));
        }
        put!(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::section;

    #[test]
    fn rows_have_the_headers_cells_and_figures_align_right() {
        let mut t = Table::new(&["Store", "Bytes", "Note"]);
        t.align(&[false, true]);
        t.row(vec!["mbx1".into(), "1 GiB".into()]);
        t.row(vec![
            "mbx2".into(),
            "2 GiB".into(),
            "full".into(),
            "dropped?".into(),
        ]);
        assert_eq!(
            section(|o| t.write(o)),
            "| Store | Bytes | Note |\n| --- | ---: | --- |\n| mbx1 | 1 GiB | |\n| mbx2 | 2 GiB | full |\n\n"
        );
    }
}
