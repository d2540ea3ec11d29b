//! A self-contained HTML page: inline CSS, inline SVG, no scripts, fonts or links to fetch.

use super::section::Section;

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --ink: #1d232a; --muted: #5b6570; --line: #dde1e6; --accent: #1f77b4; --bad: #b42318; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       max-width: 1040px; margin: 0 auto; padding: 24px; background: #fafbfc; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 0 0 4px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
p.sub { color: var(--muted); margin-top: 0; }
nav ol { columns: 2; padding-left: 20px; }
nav a, a { color: var(--accent); text-decoration: none; }
section { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
          margin: 18px 0; }
p.lead { color: var(--muted); margin-top: 4px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { padding: 3px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
td.num, td.val, td pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
td.num { text-align: right; }
td pre { margin: 0; }
.error { border-left: 4px solid var(--bad); background: #fef3f2; padding: 6px 12px; margin: 12px 0; }
.error pre { color: var(--bad); margin: 4px 0 0; white-space: pre-wrap; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 8px 0; }
figure.wide img { max-width: 100%; height: auto; image-rendering: auto; }
figcaption { color: var(--muted); font-size: 13px; max-width: 380px; }
footer { color: var(--muted); font-size: 13px; margin-top: 24px; }
"#;

/// An HTML page made of sections, with a table of contents.
#[derive(Clone, Debug, Default)]
pub struct Page {
    title: String,
    subtitle: String,
    sections: Vec<Section>,
    footer: String,
}

impl Page {
    /// A page with a title and a subtitle line.
    pub fn new(title: impl Into<String>, subtitle: impl Into<String>) -> Self {
        Page {
            title: title.into(),
            subtitle: subtitle.into(),
            sections: Vec::new(),
            footer: String::new(),
        }
    }

    /// Appends a section.
    pub fn section(&mut self, section: Section) -> &mut Self {
        self.sections.push(section);
        self
    }

    /// Sets the footer line.
    pub fn footer(&mut self, text: impl Into<String>) -> &mut Self {
        self.footer = text.into();
        self
    }

    /// The complete document.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str(&format!(
            "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            escape(&self.title)
        ));
        out.push_str(&format!(
            "<h1>{}</h1>\n<p class=\"sub\">{}</p>\n",
            escape(&self.title),
            escape(&self.subtitle)
        ));
        if self.sections.len() > 1 {
            out.push_str("<nav><ol>\n");
            for s in &self.sections {
                out.push_str(&format!(
                    "<li><a href=\"#{}\">{}</a></li>\n",
                    escape(&s.id),
                    escape(&s.title)
                ));
            }
            out.push_str("</ol></nav>\n");
        }
        for (i, s) in self.sections.iter().enumerate() {
            out.push_str(&s.to_html(i + 1));
        }
        if !self.footer.is_empty() {
            out.push_str(&format!("<footer>{}</footer>\n", escape(&self.footer)));
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn page_is_self_contained() {
        let mut p = Page::new("Tour", "sub");
        p.section(Section::new("a", "A", "first"))
            .section(Section::new("b", "B", "second"));
        let html = p.render();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<a href=\"#b\">B</a>"));
        assert!(!html.contains("<link") && !html.contains("<script") && !html.contains("src="));
    }
}
