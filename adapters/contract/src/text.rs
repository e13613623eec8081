//! Formatted reply text that every channel can render in its own markup.
//!
//! Answers are written by content editors in a small Markdown subset (paragraphs, `- ` lists,
//! `[text](https://…)` links). The engine parses it once; adapters render it as plain text,
//! HTML or Markdown with all escaping done here, so no adapter builds markup by hand.

use std::fmt::Write as _;

/// A piece of running text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Literal text.
    Text(String),
    /// A hyperlink; `url` is always `http` or `https`.
    Link {
        /// The link text.
        text: String,
        /// The target.
        url: String,
    },
}

/// A paragraph or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph.
    Paragraph(Vec<Inline>),
    /// A bulleted (`ordered == false`) or numbered list.
    List {
        /// Whether items are numbered.
        ordered: bool,
        /// The items.
        items: Vec<Vec<Inline>>,
    },
}

/// Formatted text: a sequence of blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RichText {
    /// The blocks in order.
    pub blocks: Vec<Block>,
}

/// Why a piece of markup could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MarkupError {
    /// 0-based line within the parsed text.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl RichText {
    /// One paragraph of literal text.
    pub fn text(s: impl Into<String>) -> Self {
        Self {
            blocks: vec![Block::Paragraph(vec![Inline::Text(s.into())])],
        }
    }

    /// Appends the blocks of another text.
    pub fn append(&mut self, other: RichText) {
        self.blocks.extend(other.blocks);
    }

    /// Parses the Markdown subset: blank lines separate paragraphs, `- ` starts a bullet item,
    /// `1. ` a numbered item, `[text](url)` is a link whose url must be `http(s)://`.
    pub fn from_markdown(src: &str) -> Result<Self, MarkupError> {
        let mut blocks = Vec::new();
        let mut para: Vec<String> = Vec::new();
        let mut list: Option<(bool, Vec<Vec<Inline>>)> = None;
        let mut para_start = 0;

        fn flush_para(
            blocks: &mut Vec<Block>,
            para: &mut Vec<String>,
            start: usize,
        ) -> Result<(), MarkupError> {
            if !para.is_empty() {
                let joined = para.join(" ");
                blocks.push(Block::Paragraph(parse_inlines(&joined, start)?));
                para.clear();
            }
            Ok(())
        }

        for (i, raw) in src.lines().enumerate() {
            let line = raw.trim();
            let item = list_item(line);
            if line.is_empty() {
                flush_para(&mut blocks, &mut para, para_start)?;
                if let Some((ordered, items)) = list.take() {
                    blocks.push(Block::List { ordered, items });
                }
            } else if let Some((ordered, rest)) = item {
                flush_para(&mut blocks, &mut para, para_start)?;
                let inl = parse_inlines(rest, i)?;
                match &mut list {
                    Some((o, items)) if *o == ordered => items.push(inl),
                    _ => {
                        if let Some((o, items)) = list.take() {
                            blocks.push(Block::List { ordered: o, items });
                        }
                        list = Some((ordered, vec![inl]));
                    }
                }
            } else if let Some((_, items)) = &mut list {
                // A continuation line of the last list item.
                let cont = parse_inlines(line, i)?;
                if let Some(last) = items.last_mut() {
                    last.push(Inline::Text(" ".into()));
                    last.extend(cont);
                }
            } else {
                // Links must sit on one line; checking each line makes errors point at it.
                parse_inlines(line, i)?;
                if para.is_empty() {
                    para_start = i;
                }
                para.push(line.to_string());
            }
        }
        flush_para(&mut blocks, &mut para, para_start)?;
        if let Some((ordered, items)) = list.take() {
            blocks.push(Block::List { ordered, items });
        }
        Ok(Self { blocks })
    }

    /// Whether there is no visible text.
    pub fn is_empty(&self) -> bool {
        self.to_plain().trim().is_empty()
    }

    /// Plain text; links become `text (url)`.
    pub fn to_plain(&self) -> String {
        self.render(&Plain)
    }

    /// HTML using only `<p>`, `<ul>`, `<ol>`, `<li>` and `<a href>`, every text escaped.
    pub fn to_html(&self) -> String {
        self.render(&Html)
    }

    /// Markdown with literal text escaped so it cannot turn into markup.
    pub fn to_markdown(&self) -> String {
        self.render(&Markdown)
    }

    fn render(&self, style: &dyn Style) -> String {
        let mut out = String::new();
        for (n, block) in self.blocks.iter().enumerate() {
            if n > 0 {
                out.push_str(style.block_sep());
            }
            match block {
                Block::Paragraph(inl) => style.paragraph(&mut out, &render_inlines(style, inl)),
                Block::List { ordered, items } => {
                    let items: Vec<String> =
                        items.iter().map(|i| render_inlines(style, i)).collect();
                    style.list(&mut out, *ordered, &items);
                }
            }
        }
        out
    }
}

fn render_inlines(style: &dyn Style, inl: &[Inline]) -> String {
    let mut s = String::new();
    for i in inl {
        match i {
            Inline::Text(t) => s.push_str(&style.escape(t)),
            Inline::Link { text, url } => style.link(&mut s, text, url),
        }
    }
    s
}

trait Style {
    fn escape(&self, s: &str) -> String;
    fn link(&self, out: &mut String, text: &str, url: &str);
    fn paragraph(&self, out: &mut String, inner: &str);
    fn list(&self, out: &mut String, ordered: bool, items: &[String]);
    fn block_sep(&self) -> &'static str {
        "\n\n"
    }
}

struct Plain;
impl Style for Plain {
    fn escape(&self, s: &str) -> String {
        s.to_string()
    }
    fn link(&self, out: &mut String, text: &str, url: &str) {
        if text == url {
            out.push_str(url);
        } else {
            let _ = write!(out, "{text} ({url})");
        }
    }
    fn paragraph(&self, out: &mut String, inner: &str) {
        out.push_str(inner);
    }
    fn list(&self, out: &mut String, ordered: bool, items: &[String]) {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            if ordered {
                let _ = write!(out, "{}. {item}", n + 1);
            } else {
                let _ = write!(out, "• {item}");
            }
        }
    }
}

struct Html;
impl Style for Html {
    fn escape(&self, s: &str) -> String {
        escape_html(s)
    }
    fn link(&self, out: &mut String, text: &str, url: &str) {
        let _ = write!(
            out,
            "<a href=\"{}\">{}</a>",
            escape_html(url),
            escape_html(text)
        );
    }
    fn paragraph(&self, out: &mut String, inner: &str) {
        let _ = write!(out, "<p>{inner}</p>");
    }
    fn list(&self, out: &mut String, ordered: bool, items: &[String]) {
        let tag = if ordered { "ol" } else { "ul" };
        let _ = write!(out, "<{tag}>");
        for item in items {
            let _ = write!(out, "<li>{item}</li>");
        }
        let _ = write!(out, "</{tag}>");
    }
    fn block_sep(&self) -> &'static str {
        ""
    }
}

struct Markdown;
impl Style for Markdown {
    fn escape(&self, s: &str) -> String {
        let mut o = String::with_capacity(s.len());
        for c in s.chars() {
            if matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '<' | '>' | '|' | '~'
            ) {
                o.push('\\');
            }
            o.push(c);
        }
        o
    }
    fn link(&self, out: &mut String, text: &str, url: &str) {
        let url = url.replace(')', "%29").replace(' ', "%20");
        let _ = write!(out, "[{}]({url})", self.escape(text));
    }
    fn paragraph(&self, out: &mut String, inner: &str) {
        out.push_str(inner);
    }
    fn list(&self, out: &mut String, ordered: bool, items: &[String]) {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            if ordered {
                let _ = write!(out, "{}. {item}", n + 1);
            } else {
                let _ = write!(out, "- {item}");
            }
        }
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, rest.trim()));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 3 {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return Some((true, rest.trim()));
        }
    }
    None
}

fn parse_inlines(s: &str, line: usize) -> Result<Vec<Inline>, MarkupError> {
    let err = |message: String| MarkupError { line, message };
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            return Err(err(format!(
                "link text opened with '[' but never closed: {:?}",
                excerpt(&rest[open..])
            )));
        };
        let label = &after[..close];
        let tail = &after[close + 1..];
        let Some(tail) = tail.strip_prefix('(') else {
            return Err(err(format!(
                "'[{label}]' must be followed by '(address)' to be a link"
            )));
        };
        let Some(end) = tail.find(')') else {
            return Err(err(format!(
                "link address for '[{label}]' is not closed with ')'"
            )));
        };
        let url = tail[..end].trim();
        if label.trim().is_empty() {
            return Err(err(format!("link to {url:?} has empty text")));
        }
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() < "https://x.y".len()
            || url.contains(char::is_whitespace)
            || !url
                .split("://")
                .nth(1)
                .is_some_and(|h| h.split('/').next().is_some_and(|h| h.contains('.')))
        {
            return Err(err(format!(
                "link address {url:?} is not a full web address (https://host/…)"
            )));
        }
        if !text.is_empty() {
            out.push(Inline::Text(std::mem::take(&mut text)));
        }
        out.push(Inline::Link {
            text: label.trim().to_string(),
            url: url.to_string(),
        });
        rest = &tail[end + 1..];
    }
    text.push_str(rest);
    if text.contains("](") {
        return Err(err("stray ']( ' outside a link".into()));
    }
    if !text.is_empty() {
        out.push(Inline::Text(text));
    }
    Ok(out)
}

fn excerpt(s: &str) -> String {
    s.chars().take(30).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paragraphs_lists_and_links() {
        let t = RichText::from_markdown(
            "First <b> & line\ncontinues.\n\n- one [Migri](https://migri.fi)\n- two\n\nEnd.",
        )
        .expect("valid");
        assert_eq!(t.blocks.len(), 3);
        assert_eq!(
            t.to_html(),
            "<p>First &lt;b&gt; &amp; line continues.</p><ul><li>one <a href=\"https://migri.fi\">Migri</a></li><li>two</li></ul><p>End.</p>"
        );
        assert_eq!(
            t.to_plain(),
            "First <b> & line continues.\n\n• one Migri (https://migri.fi)\n• two\n\nEnd."
        );
        assert!(t.to_markdown().contains("[Migri](https://migri.fi)"));
    }

    #[test]
    fn rejects_malformed_links_with_line() {
        for bad in [
            "x\n[text](migri.fi)",
            "x\n[text](https://migri.fi",
            "x\n[text]",
            "x\n[](https://migri.fi)",
            "x\n[text(https://migri.fi)",
        ] {
            let e = RichText::from_markdown(bad).expect_err(bad);
            assert_eq!(e.line, 1, "{bad}: {e}");
        }
    }

    #[test]
    fn markdown_escapes_literal_markup() {
        let t = RichText::text("a*b_[c]");
        assert_eq!(t.to_markdown(), "a\\*b\\_\\[c\\]");
    }
}
