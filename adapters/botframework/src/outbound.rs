//! Engine replies as Activity protocol messages: Markdown text, suggested topics and 👍/👎 as
//! `suggestedActions` (`messageBack` buttons whose value comes back in the next message).

use kanava_adapter::{Lang, Outbound};
use serde_json::{json, Value};

use crate::activity::{Account, Activity, ButtonValue};

fn locale(lang: Lang) -> &'static str {
    match lang {
        Lang::Fi => "fi-FI",
        Lang::Sv => "sv-FI",
        Lang::En => "en-GB",
    }
}

fn button(title: &str, value: &ButtonValue) -> Value {
    json!({
        "type": "messageBack",
        "title": title,
        "displayText": title,
        "text": "",
        "value": value,
    })
}

/// The reply activity for one engine message, addressed back to the sender of `to`.
pub fn reply(to: &Activity, out: &Outbound) -> Value {
    let user = to.from.clone().unwrap_or_default();
    let bot = to.recipient.clone().unwrap_or(Account {
        id: String::new(),
        name: None,
    });
    let mut actions: Vec<Value> = out
        .suggestions
        .iter()
        .map(|s| {
            button(
                &s.label,
                &ButtonValue::Topic {
                    topic: s.topic.clone(),
                },
            )
        })
        .collect();
    if let Some(r) = &out.feedback {
        for (title, helpful) in [("👍", true), ("👎", false)] {
            actions.push(button(
                title,
                &ButtonValue::Feedback {
                    reply: r.0.clone(),
                    helpful,
                },
            ));
        }
    }
    let mut a = json!({
        "type": "message",
        "from": bot,
        "recipient": user,
        "conversation": to.conversation.clone().unwrap_or_default(),
        "text": out.body.to_markdown(),
        "textFormat": "markdown",
        "locale": locale(out.lang),
        "inputHint": "acceptingInput",
    });
    if let Some(id) = &to.id {
        a["replyToId"] = json!(id);
    }
    if !actions.is_empty() {
        a["suggestedActions"] = json!({ "to": [user.id], "actions": actions });
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use kanava_adapter::{OutboundKind, ReplyId, RichText, Suggestion};

    #[test]
    fn replies_address_the_sender_with_markdown_and_buttons() {
        let to: Activity = serde_json::from_value(json!({
            "type": "message", "id": "a1", "from": {"id": "u1"}, "recipient": {"id": "bot"},
            "conversation": {"id": "c1"}, "serviceUrl": "http://x"
        }))
        .unwrap();
        let mut out = Outbound::plain(
            OutboundKind::Answer,
            Lang::Sv,
            RichText::from_markdown("Se [sidan](https://migri.fi/sv) *nu*").unwrap(),
        );
        out.suggestions = vec![Suggestion {
            topic: "processing-time".into(),
            label: "Behandlingstid".into(),
        }];
        out.feedback = Some(ReplyId("ff".into()));
        let a = reply(&to, &out);
        assert_eq!(a["recipient"]["id"], "u1");
        assert_eq!(a["from"]["id"], "bot");
        assert_eq!(a["replyToId"], "a1");
        assert_eq!(a["locale"], "sv-FI");
        assert_eq!(a["textFormat"], "markdown");
        assert!(a["text"]
            .as_str()
            .unwrap()
            .contains("[sidan](https://migri.fi/sv)"));
        assert!(
            a["text"].as_str().unwrap().contains("\\*nu\\*"),
            "{}",
            a["text"]
        );
        let actions = a["suggestedActions"]["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 3);
        assert_eq!(
            actions[0]["value"],
            json!({"kanava": "topic", "topic": "processing-time"})
        );
        assert_eq!(
            actions[2]["value"],
            json!({"kanava": "feedback", "reply": "ff", "helpful": false})
        );
    }
}
