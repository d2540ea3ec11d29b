//! Tables: typed cells rendered as aligned text columns, as HTML and as JSON.
//!
//! Numbers are right-aligned, text left-aligned; a matrix cell spans several lines with its
//! columns aligned inside it.

use super::{format, html::escape};
use serde_json::{json, Value};

/// One table cell. The variant decides how it is formatted and aligned.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Free text, left-aligned.
    Text(String),
    /// A float, formatted by [`format::num`], right-aligned.
    Num(f64),
    /// A count, with thousands separators, right-aligned.
    Count(u64),
    /// A vector on one line: `[3, 0]`.
    Vector(Vec<f64>),
    /// A matrix (rows), one line per row.
    Matrix(Vec<Vec<f64>>),
    /// An array shape: `(32, 768)`.
    Shape(Vec<usize>),
    /// A yes/no value.
    Bool(bool),
}

impl Cell {
    /// The lines of text this cell renders to (one, except for matrices).
    pub fn lines(&self) -> Vec<String> {
        match self {
            Cell::Text(s) => s.lines().map(str::to_string).collect::<Vec<_>>(),
            Cell::Num(x) => vec![format::num(*x)],
            Cell::Count(n) => vec![format::count(*n)],
            Cell::Vector(v) => vec![format::vector(v)],
            Cell::Matrix(m) => format::matrix_lines(m),
            Cell::Shape(s) => vec![format::shape(s)],
            Cell::Bool(b) => vec![if *b { "true" } else { "false" }.to_string()],
        }
    }

    fn right_aligned(&self) -> bool {
        matches!(self, Cell::Num(_) | Cell::Count(_))
    }

    /// The cell as a JSON value: numbers stay numbers (non-finite floats become strings).
    pub fn to_json(&self) -> Value {
        fn f(x: f64) -> Value {
            if x.is_finite() {
                json!(x)
            } else {
                json!(format::num(x))
            }
        }
        match self {
            Cell::Text(s) => json!(s),
            Cell::Num(x) => f(*x),
            Cell::Count(n) => json!(n),
            Cell::Vector(v) => Value::Array(v.iter().map(|&x| f(x)).collect()),
            Cell::Matrix(m) => Value::Array(
                m.iter()
                    .map(|r| Value::Array(r.iter().map(|&x| f(x)).collect()))
                    .collect(),
            ),
            Cell::Shape(s) => json!(s),
            Cell::Bool(b) => json!(b),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Num(x)
    }
}

impl From<f32> for Cell {
    fn from(x: f32) -> Self {
        Cell::Num(f64::from(x))
    }
}

impl From<usize> for Cell {
    fn from(n: usize) -> Self {
        Cell::Count(n as u64)
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}

/// A table with a header row.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Optional caption shown above the table.
    pub caption: Option<String>,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows; a row shorter than `columns` is padded with empty cells.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these column headings.
    pub fn new<I, S>(columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            caption: None,
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Sets the caption.
    #[must_use]
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// Appends a row.
    pub fn row<I, C>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Cell>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// Renders the table as aligned text, each line starting with `indent`.
    pub fn to_text(&self, indent: &str) -> String {
        let ncols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.columns.len()])
            .max()
            .unwrap_or(0);
        let cells: Vec<Vec<Vec<String>>> = self
            .rows
            .iter()
            .map(|r| {
                (0..ncols)
                    .map(|j| r.get(j).map(Cell::lines).unwrap_or_default())
                    .collect()
            })
            .collect();
        let width = |s: &String| s.chars().count();
        let widths: Vec<usize> = (0..ncols)
            .map(|j| {
                let head = self.columns.get(j).map(width).unwrap_or(0);
                let body = cells
                    .iter()
                    .flat_map(|r| r[j].iter())
                    .map(width)
                    .max()
                    .unwrap_or(0);
                head.max(body)
            })
            .collect();
        let mut out = String::new();
        if let Some(c) = &self.caption {
            out.push_str(&format!("{indent}{c}\n"));
        }
        let line = |parts: Vec<String>| format!("{indent}{}", parts.join("  ").trim_end());
        out.push_str(&line(
            (0..ncols)
                .map(|j| {
                    format!(
                        "{:<w$}",
                        self.columns.get(j).map_or("", |s| s),
                        w = widths[j]
                    )
                })
                .collect(),
        ));
        out.push('\n');
        out.push_str(&line(widths.iter().map(|&w| "─".repeat(w)).collect()));
        out.push('\n');
        for (row, cells) in self.rows.iter().zip(&cells) {
            let height = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
            for k in 0..height {
                let parts = (0..ncols)
                    .map(|j| {
                        let s = cells[j].get(k).map_or("", String::as_str);
                        let right = row.get(j).is_some_and(Cell::right_aligned);
                        if right {
                            format!("{s:>w$}", w = widths[j])
                        } else {
                            format!("{s:<w$}", w = widths[j])
                        }
                    })
                    .collect();
                out.push_str(&line(parts));
                out.push('\n');
            }
        }
        out
    }

    /// Renders the table as an HTML `<table>`.
    pub fn to_html(&self) -> String {
        let mut out = String::from("<table>\n");
        if let Some(c) = &self.caption {
            out.push_str(&format!("<caption>{}</caption>\n", escape(c)));
        }
        out.push_str("<thead><tr>");
        for c in &self.columns {
            out.push_str(&format!("<th>{}</th>", escape(c)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                let class = match cell {
                    Cell::Num(_) | Cell::Count(_) => " class=\"num\"",
                    Cell::Text(_) => "",
                    _ => " class=\"val\"",
                };
                let body = match cell {
                    Cell::Matrix(_) => format!("<pre>{}</pre>", escape(&cell.lines().join("\n"))),
                    _ => escape(&cell.lines().join("\n")),
                };
                out.push_str(&format!("<td{class}>{body}</td>"));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        out
    }

    /// The table as JSON: `{"caption", "columns", "rows"}` with typed cells.
    pub fn to_json(&self) -> Value {
        json!({
            "caption": self.caption,
            "columns": self.columns,
            "rows": self.rows.iter().map(|r| r.iter().map(Cell::to_json).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_text() {
        let mut t = Table::new(["norm", "value"]);
        t.row([Cell::from("L1"), Cell::Num(7.0)]);
        t.row([Cell::from("L2 (Euclidean)"), Cell::Num(5.0)]);
        t.row([Cell::from("unit"), Cell::Vector(vec![0.6, -0.8, 0.0])]);
        let text = t.to_text("  ");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "  norm            value");
        assert_eq!(lines[1], "  ──────────────  ──────────────");
        assert_eq!(lines[2], "  L1                           7");
        assert_eq!(lines[3], "  L2 (Euclidean)               5");
        assert_eq!(lines[4], "  unit            [0.6, -0.8, 0]");
    }

    #[test]
    fn matrix_cells_span_lines() {
        let mut t = Table::new(["op", "result"]);
        t.row([
            Cell::from("A @ B"),
            Cell::Matrix(vec![vec![58.0, 64.0], vec![139.0, 154.0]]),
        ]);
        let text = t.to_text("");
        assert!(
            text.contains("A @ B  [[ 58,  64],\n        [139, 154]]"),
            "{text}"
        );
        assert!(t
            .to_html()
            .contains("<pre>[[ 58,  64],\n [139, 154]]</pre>"));
    }

    #[test]
    fn json_keeps_types() {
        let mut t = Table::new(["a", "b"]);
        t.row([Cell::Count(12288), Cell::Shape(vec![32, 768])]);
        t.row([Cell::Num(f64::NAN), Cell::Bool(true)]);
        let v = t.to_json();
        assert_eq!(v["rows"][0][0], json!(12288));
        assert_eq!(v["rows"][0][1], json!([32, 768]));
        assert_eq!(v["rows"][1][0], json!("NaN"));
    }

    #[test]
    fn html_escapes() {
        let mut t = Table::new(["<x>"]);
        t.row([Cell::from("a & b")]);
        let h = t.to_html();
        assert!(h.contains("<th>&lt;x&gt;</th>") && h.contains("a &amp; b"));
    }
}
