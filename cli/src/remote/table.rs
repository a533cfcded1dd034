//! Tables that line up, with a rule under the header.

/// Renders rows under a header; every column as wide as its widest cell, two spaces between.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        out
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    out.push_str(&"─".repeat(total));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn columns_line_up_under_a_rule() {
        let t = render(
            &["Workload", "GPU"],
            &[
                vec!["a1".into(), "1.00".into()],
                vec!["long-name".into(), "2.00".into()],
            ],
        );
        assert_eq!(
            t,
            "Workload   GPU\n───────────────\na1         1.00\nlong-name  2.00\n"
        );
    }
}
