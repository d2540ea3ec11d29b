//! A report section: a heading, a one-line explanation, and blocks (tables, figures, notes,
//! errors shown on purpose). The same section renders to the terminal, to HTML and to JSON.

use super::{html::escape, svg::Figure, table::Table};
use serde_json::{json, Value};

/// One piece of a section's content.
#[derive(Clone, Debug)]
pub enum Block {
    /// A table of inputs or results.
    Table(Table),
    /// A figure (HTML only) with its caption.
    Figure {
        /// The drawing.
        figure: Figure,
        /// What the figure shows, one sentence.
        caption: String,
    },
    /// A raster image (HTML only, embedded as a data URL) with its caption.
    Image {
        /// The PNG file's bytes.
        png: Vec<u8>,
        /// What the image shows, one sentence.
        caption: String,
    },
    /// A sentence of commentary.
    Note(String),
    /// An error returned by the library on purpose (a demonstration), shown verbatim.
    Error {
        /// What was attempted, e.g. `activations / wrong_norms`.
        attempt: String,
        /// The error message as the library formats it.
        message: String,
    },
}

/// A titled section of a report.
#[derive(Clone, Debug)]
pub struct Section {
    /// Anchor id, stable: used in HTML links and as the JSON key.
    pub id: String,
    /// Heading.
    pub title: String,
    /// One line saying what the section shows.
    pub explanation: String,
    /// Content in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        explanation: impl Into<String>,
    ) -> Self {
        Section {
            id: id.into(),
            title: title.into(),
            explanation: explanation.into(),
            blocks: Vec::new(),
        }
    }

    /// Appends a table.
    pub fn table(&mut self, table: Table) -> &mut Self {
        self.blocks.push(Block::Table(table));
        self
    }

    /// Appends a figure.
    pub fn figure(&mut self, figure: Figure, caption: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Figure {
            figure,
            caption: caption.into(),
        });
        self
    }

    /// Appends a PNG image (shown in the HTML report; the terminal shows its caption).
    pub fn image(&mut self, png: Vec<u8>, caption: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Image {
            png,
            caption: caption.into(),
        });
        self
    }

    /// Appends a note.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Note(text.into()));
        self
    }

    /// Appends an error shown on purpose.
    pub fn error(&mut self, attempt: impl Into<String>, err: &impl std::fmt::Display) -> &mut Self {
        self.blocks.push(Block::Error {
            attempt: attempt.into(),
            message: err.to_string(),
        });
        self
    }

    /// Renders for the terminal; `number` is the section's position (1-based). Figures are
    /// listed by caption only.
    pub fn to_text(&self, number: usize) -> String {
        let heading = format!("{number}. {}", self.title);
        let mut out = format!(
            "{heading}\n{}\n{}\n",
            "═".repeat(heading.chars().count()),
            self.explanation
        );
        for block in &self.blocks {
            out.push('\n');
            match block {
                Block::Table(t) => out.push_str(&t.to_text("  ")),
                Block::Figure { caption, .. } | Block::Image { caption, .. } => {
                    out.push_str(&format!("  [figure in the HTML report: {caption}]\n"))
                }
                Block::Note(n) => out.push_str(&format!("  {n}\n")),
                Block::Error { attempt, message } => {
                    out.push_str(&format!("  {attempt}\n  → error: {message}\n"));
                }
            }
        }
        out
    }

    /// Renders as an HTML `<section>`.
    pub fn to_html(&self, number: usize) -> String {
        let mut out = format!(
            "<section id=\"{}\">\n<h2>{number}. {}</h2>\n<p class=\"lead\">{}</p>\n",
            escape(&self.id),
            escape(&self.title),
            escape(&self.explanation)
        );
        let mut figures = String::new();
        for block in &self.blocks {
            match block {
                Block::Table(t) => out.push_str(&t.to_html()),
                Block::Figure { figure, caption } => figures.push_str(&format!(
                    "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                    figure.to_svg(),
                    escape(caption)
                )),
                Block::Image { png, caption } => out.push_str(&format!(
                    "<figure class=\"wide\">\n<img alt=\"{0}\" src=\"data:image/png;base64,{1}\">\n<figcaption>{0}</figcaption>\n</figure>\n",
                    escape(caption),
                    base64(png)
                )),
                Block::Note(n) => out.push_str(&format!("<p>{}</p>\n", escape(n))),
                Block::Error { attempt, message } => out.push_str(&format!(
                    "<div class=\"error\"><code>{}</code><pre>error: {}</pre></div>\n",
                    escape(attempt),
                    escape(message)
                )),
            }
        }
        if !figures.is_empty() {
            out.push_str(&format!("<div class=\"figures\">\n{figures}</div>\n"));
        }
        out.push_str("</section>\n");
        out
    }

    /// The section as JSON: `{"id", "title", "explanation", "tables", "notes", "errors"}`.
    pub fn to_json(&self) -> Value {
        let mut tables = Vec::new();
        let mut notes = Vec::new();
        let mut errors = Vec::new();
        let mut figures = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Table(t) => tables.push(t.to_json()),
                Block::Figure { caption, .. } | Block::Image { caption, .. } => {
                    figures.push(json!(caption))
                }
                Block::Note(n) => notes.push(json!(n)),
                Block::Error { attempt, message } => {
                    errors.push(json!({"attempt": attempt, "message": message}))
                }
            }
        }
        json!({
            "id": self.id,
            "title": self.title,
            "explanation": self.explanation,
            "tables": tables,
            "notes": notes,
            "errors": errors,
            "figures": figures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::table::Cell;

    fn sample() -> Section {
        let mut s = Section::new("norms", "Norms", "How long is a vector?");
        let mut t = Table::new(["norm", "value"]);
        t.row([Cell::from("L2"), Cell::Num(5.0)]);
        s.table(t)
            .note("unit vectors have norm 1")
            .error("a / b", &"div: shapes differ");
        s.figure(Figure::new(100.0, 100.0), "a figure");
        s
    }

    #[test]
    fn text_has_heading_and_blocks() {
        let text = sample().to_text(2);
        assert!(text.starts_with("2. Norms\n════════\nHow long is a vector?\n"));
        assert!(text.contains("  → error: div: shapes differ"));
        assert!(text.contains("[figure in the HTML report: a figure]"));
    }

    #[test]
    fn html_and_json() {
        let html = sample().to_html(2);
        assert!(html.contains("<section id=\"norms\">") && html.contains("<svg"));
        let json = sample().to_json();
        assert_eq!(json["id"], "norms");
        assert_eq!(json["tables"][0]["rows"][0][1], 5.0);
        assert_eq!(json["errors"][0]["message"], "div: shapes differ");
    }
}

/// Standard base64 (RFC 4648, with padding), for embedding images in a self-contained page.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod base64_tests {
    #[test]
    fn base64_matches_rfc_4648_examples() {
        for (raw, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(raw.as_bytes()), coded);
        }
    }
}
