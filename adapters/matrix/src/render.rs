//! Engine replies as Matrix `m.notice` messages (the convention for bots, so bots do not answer
//! each other): an HTML body and a plain body. Matrix has no buttons, so suggested topics are a
//! list the user can type from; feedback is a 👍/👎 reaction on the answer.

use kanava_adapter::{escape_html, Outbound};

/// The mark before each suggested topic (language-neutral, so no adapter-made words).
const SUGGESTION_MARK: &str = "↪";

/// `(plain, html)` for one reply.
pub fn notice(out: &Outbound) -> (String, String) {
    let mut plain = out.body.to_plain();
    let mut html = out.body.to_html();
    if !out.suggestions.is_empty() {
        plain.push_str("\n\n");
        html.push_str("<ul>");
        for (i, s) in out.suggestions.iter().enumerate() {
            if i > 0 {
                plain.push('\n');
            }
            plain.push_str(&format!("{SUGGESTION_MARK} {}", s.label));
            html.push_str(&format!(
                "<li>{SUGGESTION_MARK} {}</li>",
                escape_html(&s.label)
            ));
        }
        html.push_str("</ul>");
    }
    (plain, html)
}

/// The suggested topics listed in a notice's plain body (the test client reads them back).
pub fn suggestions_in(plain: &str) -> Vec<String> {
    plain
        .lines()
        .filter_map(|l| l.strip_prefix(SUGGESTION_MARK))
        .map(|l| l.trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kanava_adapter::{Lang, OutboundKind, RichText, Suggestion};

    #[test]
    fn suggestions_are_listed_and_escaped() {
        let mut o = Outbound::plain(
            OutboundKind::Fallback,
            Lang::En,
            RichText::text("Did you mean <one> of these?"),
        );
        o.suggestions = vec![
            Suggestion {
                topic: "a".into(),
                label: "Processing time".into(),
            },
            Suggestion {
                topic: "b".into(),
                label: "Q&A".into(),
            },
        ];
        let (plain, html) = notice(&o);
        assert!(
            html.contains("&lt;one&gt;") && html.contains("<li>↪ Q&amp;A</li>"),
            "{html}"
        );
        assert_eq!(suggestions_in(&plain), ["Processing time", "Q&A"]);
    }
}
