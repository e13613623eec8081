//! Engine replies as Telegram messages: HTML limited to the tags Telegram accepts, split at
//! sentence bounds below the 4,096-character limit, with inline keyboards for suggested topics
//! and 👍/👎 feedback.

use kanava_adapter::{escape_html, Block, Inline, Outbound};
use serde::{Deserialize, Serialize};

/// Telegram's limit for one message, counted in UTF-16 code units of the visible text.
pub const MAX_MESSAGE: usize = 4096;

/// Callback data prefixes: a chosen topic, and feedback on an answer.
pub(crate) const TOPIC: &str = "t:";
pub(crate) const FEEDBACK_UP: &str = "f:1:";
pub(crate) const FEEDBACK_DOWN: &str = "f:0:";
/// Telegram rejects callback data longer than this many bytes.
const MAX_CALLBACK_DATA: usize = 64;

/// One message ready to send, kept in the outbox until Telegram has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// Text in Telegram's HTML parse mode.
    pub html: String,
    /// Inline keyboard rows of (label, callback data); empty for none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyboard: Vec<Vec<(String, String)>>,
}

/// Where a piece of text may be cut, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cut {
    None,
    Word,
    Sentence,
    Line,
    Block,
}

/// An unbreakable piece of text: a word, a link, a list bullet.
#[derive(Debug, Clone)]
struct Atom {
    /// Separator before it, dropped at the start of a message.
    sep: &'static str,
    html: String,
    /// Visible length in UTF-16 units.
    len: usize,
    /// How good a place the end of this atom is for a cut.
    cut_after: Cut,
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Turns running text into atoms. `sep` is the separator before the next atom: the block
/// separator at first, then a space, or nothing where the next inline continues a word (a
/// full stop right after a link).
fn inline_atoms(inlines: &[Inline], block_sep: &'static str, out: &mut Vec<Atom>) {
    let mut sep = block_sep;
    let mut at_start = true;
    for i in inlines {
        match i {
            Inline::Text(t) => {
                if !at_start && t.starts_with(char::is_whitespace) {
                    sep = " ";
                }
                for word in t.split_whitespace() {
                    let cut_after = if word.ends_with(['.', '!', '?', ':']) {
                        Cut::Sentence
                    } else {
                        Cut::Word
                    };
                    out.push(Atom {
                        sep,
                        html: escape_html(word),
                        len: utf16_len(word),
                        cut_after,
                    });
                    sep = " ";
                    at_start = false;
                }
                if !t.trim().is_empty() && !t.ends_with(char::is_whitespace) {
                    sep = "";
                }
            }
            Inline::Link { text, url } => {
                out.push(Atom {
                    sep,
                    html: format!("<a href=\"{}\">{}</a>", escape_html(url), escape_html(text)),
                    len: utf16_len(text),
                    cut_after: Cut::Word,
                });
                sep = "";
                at_start = false;
            }
        }
    }
}

fn atoms(out: &Outbound) -> Vec<Atom> {
    let mut atoms = Vec::new();
    for block in &out.body.blocks {
        let sep = if atoms.is_empty() { "" } else { "\n\n" };
        match block {
            Block::Paragraph(inl) => inline_atoms(inl, sep, &mut atoms),
            Block::List { ordered, items } => {
                for (n, item) in items.iter().enumerate() {
                    let bullet = if *ordered {
                        format!("{}.", n + 1)
                    } else {
                        "•".to_string()
                    };
                    atoms.push(Atom {
                        sep: if n == 0 { sep } else { "\n" },
                        len: utf16_len(&bullet),
                        html: bullet,
                        cut_after: Cut::None,
                    });
                    inline_atoms(item, " ", &mut atoms);
                    if let Some(last) = atoms.last_mut() {
                        last.cut_after = Cut::Line;
                    }
                }
            }
        }
        if let Some(last) = atoms.last_mut() {
            last.cut_after = Cut::Block;
        }
    }
    atoms
}

/// Splits an atom longer than a whole message (a very long word or link text) into pieces.
fn hard_split(a: Atom, limit: usize) -> Vec<Atom> {
    if a.len <= limit {
        return vec![a];
    }
    // A link this long loses its markup; the visible text is what matters.
    let plain = if a.html.starts_with("<a ") {
        a.html
            .split_once('>')
            .map(|(_, r)| r.trim_end_matches("</a>").to_string())
            .unwrap_or_default()
    } else {
        a.html.clone()
    };
    let unescaped = plain
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0;
    for ch in unescaped.chars() {
        if cur_len + ch.len_utf16() > limit {
            pieces.push(std::mem::take(&mut cur));
            cur_len = 0;
        }
        cur.push(ch);
        cur_len += ch.len_utf16();
    }
    pieces.push(cur);
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, p)| Atom {
            sep: if i == 0 { a.sep } else { "" },
            len: utf16_len(&p),
            html: escape_html(&p),
            cut_after: if i + 1 == n { a.cut_after } else { Cut::Word },
        })
        .collect()
}

fn join(atoms: &[Atom]) -> String {
    let mut s = String::new();
    for (i, a) in atoms.iter().enumerate() {
        if i > 0 {
            s.push_str(a.sep);
        }
        s.push_str(&a.html);
    }
    s
}

/// Packs atoms into messages of at most `limit` visible units, cutting at the strongest
/// boundary available (paragraph, line, sentence, word).
fn pack(atoms: Vec<Atom>, limit: usize) -> Vec<String> {
    let mut messages = Vec::new();
    let mut cur: Vec<Atom> = Vec::new();
    let mut cur_len = 0;
    let atoms = atoms.into_iter().flat_map(|a| hard_split(a, limit));
    for a in atoms {
        let add = if cur.is_empty() {
            a.len
        } else {
            a.len + utf16_len(a.sep)
        };
        if !cur.is_empty() && cur_len + add > limit {
            // Cut after the strongest boundary; a later one of equal strength is better.
            let best = cur
                .iter()
                .enumerate()
                .max_by_key(|(i, x)| (x.cut_after, *i))
                .map_or(cur.len() - 1, |(i, _)| i);
            let rest = cur.split_off(best + 1);
            messages.push(join(&cur));
            cur = rest;
            cur_len = cur
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    if i == 0 {
                        x.len
                    } else {
                        x.len + utf16_len(x.sep)
                    }
                })
                .sum();
        }
        cur_len += if cur.is_empty() {
            a.len
        } else {
            a.len + utf16_len(a.sep)
        };
        cur.push(a);
    }
    if !cur.is_empty() {
        messages.push(join(&cur));
    }
    messages
}

/// The messages for one engine reply. Buttons go on the last message.
pub fn render(out: &Outbound, limit: usize) -> Vec<Payload> {
    let mut texts = pack(atoms(out), limit);
    if texts.is_empty() {
        texts.push(String::new());
    }
    let mut keyboard: Vec<Vec<(String, String)>> = out
        .suggestions
        .iter()
        .map(|s| (s.label.clone(), format!("{TOPIC}{}", s.topic)))
        .filter(|(_, data)| data.len() <= MAX_CALLBACK_DATA)
        .map(|b| vec![b])
        .collect();
    if let Some(reply) = &out.feedback {
        let up = format!("{FEEDBACK_UP}{}", reply.0);
        let down = format!("{FEEDBACK_DOWN}{}", reply.0);
        if up.len() <= MAX_CALLBACK_DATA {
            keyboard.push(vec![("👍".into(), up), ("👎".into(), down)]);
        }
    }
    let last = texts.len() - 1;
    texts
        .into_iter()
        .enumerate()
        .map(|(i, html)| Payload {
            html,
            keyboard: if i == last {
                std::mem::take(&mut keyboard)
            } else {
                Vec::new()
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kanava_adapter::{Lang, OutboundKind, ReplyId, RichText, Suggestion};

    fn out(md: &str) -> Outbound {
        Outbound::plain(
            OutboundKind::Answer,
            Lang::En,
            RichText::from_markdown(md).unwrap(),
        )
    }

    fn visible(html: &str) -> String {
        let mut s = String::new();
        let mut tag = false;
        for c in html.chars() {
            match c {
                '<' => tag = true,
                '>' => tag = false,
                c if !tag => s.push(c),
                _ => {}
            }
        }
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn escapes_and_uses_only_telegram_tags() {
        let p = render(
            &out(
                "Use <b> & \"quotes\"; see [the page](https://migri.fi/a?x=1&y=2).\n\n- one\n- two",
            ),
            MAX_MESSAGE,
        );
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].html,
            "Use &lt;b&gt; &amp; &quot;quotes&quot;; see <a href=\"https://migri.fi/a?x=1&amp;y=2\">the page</a>.\n\n• one\n• two"
        );
    }

    #[test]
    fn long_answers_split_at_sentences_under_the_limit() {
        let sentence = "Hakemuksen käsittely kestää yleensä useita kuukausia. ";
        let md = sentence.repeat(200);
        let parts = render(&out(&md), MAX_MESSAGE);
        assert!(parts.len() >= 3, "{}", parts.len());
        let mut all = String::new();
        for p in &parts {
            let v = visible(&p.html);
            assert!(v.encode_utf16().count() <= MAX_MESSAGE);
            assert!(
                v.ends_with('.'),
                "cut mid-sentence: …{}",
                &v[v.len() - 20..]
            );
            all.push_str(&v);
            all.push(' ');
        }
        assert_eq!(all.trim(), md.trim());
    }

    #[test]
    fn paragraphs_are_preferred_cut_points_and_nothing_is_lost() {
        let para = "Word ".repeat(300);
        let md = format!("{para}\n\n{para}\n\n{para}");
        let parts = render(&out(&md), 2000);
        for p in &parts {
            assert!(visible(&p.html).encode_utf16().count() <= 2000);
        }
        let words: usize = parts
            .iter()
            .map(|p| visible(&p.html).split_whitespace().count())
            .sum();
        assert_eq!(words, 900);
    }

    #[test]
    fn an_overlong_word_is_cut_hard() {
        let md = "x".repeat(10_000);
        let parts = render(&out(&md), MAX_MESSAGE);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.iter().map(|p| p.html.len()).sum::<usize>(), 10_000);
    }

    #[test]
    fn keyboard_has_suggestions_and_feedback_on_the_last_message() {
        let mut o = out(&"Sentence here. ".repeat(600));
        o.suggestions = vec![Suggestion {
            topic: "processing-time".into(),
            label: "Processing time".into(),
        }];
        o.feedback = Some(ReplyId("00ff".into()));
        let parts = render(&o, MAX_MESSAGE);
        assert!(parts.len() > 1);
        assert!(parts[0].keyboard.is_empty());
        let kb = &parts.last().unwrap().keyboard;
        assert_eq!(
            kb[0],
            vec![("Processing time".into(), "t:processing-time".into())]
        );
        assert_eq!(kb[1][0].1, "f:1:00ff");
        assert_eq!(kb[1][1].1, "f:0:00ff");
    }
}
