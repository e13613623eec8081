//! `kanava serve`, `kanava ask`, `kanava classify`: the citizen-facing pipeline.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Result;
use kanava::config::Config;
use kanava::engine::Engine;
use kanava::services::Services;
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, Lang, UserIdentity};

pub(crate) async fn serve(config: Config) -> Result<()> {
    let (trigger, shutdown) = kanava_adapter::ShutdownTrigger::new();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        trigger.trigger();
    });
    kanava::server::run(config, shutdown, |addr| {
        // Tests and scripts read this line to find the port.
        println!("kanava listening on http://{addr}");
        let _ = std::io::stdout().flush();
    })
    .await?;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Answers each question as a chat would, on storage that is dropped at exit.
pub(crate) async fn ask(config: Config, questions: Vec<String>) -> Result<()> {
    let services = Services::temporary(&config).await?;
    let engine = services.build_engine(&config)?;
    let mut out = std::io::stdout().lock();
    let mut from_stdin = std::io::stdin().lock().lines();
    let mut from_args = questions.into_iter();
    let use_args = from_args.len() > 0;
    loop {
        let q = if use_args {
            match from_args.next() {
                Some(q) => q,
                None => break,
            }
        } else {
            match from_stdin.next() {
                None => break,
                Some(Ok(q)) => q,
                Some(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                    eprintln!("kanava: skipped a line that is not UTF-8");
                    continue;
                }
                Some(Err(e)) => return Err(e.into()),
            }
        };
        writeln!(out, "{}", ask_one(&engine, q).await)?;
        out.flush()?;
    }
    Ok(())
}

async fn ask_one(engine: &Engine, question: String) -> String {
    let inbound = Inbound {
        // Each question is its own user: rate limits and identifier tracking are about chats,
        // not about a batch on the command line.
        identity: UserIdentity::new(
            ChannelId::new("cli"),
            format!("ask-{}", rand::random::<u64>()),
        ),
        chat: ChatId::new(format!("ask-{}", rand::random::<u64>())),
        event: Event::Text(question),
        client: None,
    };
    let turn = engine.turn(inbound).await;
    let reply = turn.replies.first();
    let line = AskLine {
        lang: reply.map(|r| r.lang.code()),
        topic: reply.and_then(|r| r.topic.clone()),
        confidence: turn
            .confidence
            .map(|c| (f64::from(c) * 1000.0).round() / 1000.0),
        verdict: turn.outcome,
        answer: reply.map(|r| r.body.to_plain()),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// One line of `kanava ask` output, fields in this order.
#[derive(serde::Serialize)]
struct AskLine {
    lang: Option<&'static str>,
    topic: Option<String>,
    confidence: Option<f64>,
    verdict: &'static str,
    answer: Option<String>,
}

/// The same redaction, language detection and rules as a chat, one line at a time. Language
/// detection uses the knowledge base when it loads; without it every line is taken as Finnish.
pub(crate) fn classify(
    knowledge_dir: &Path,
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<()> {
    use kanava::policy::{Classifier, RuleClassifier};
    use kanava::redact::{PiiRedactor, Redactor};
    let knowledge = kanava::knowledge::KnowledgeBase::load(knowledge_dir).ok();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(&line)).into_owned();
        let redacted = PiiRedactor.redact(&text);
        let lang = knowledge
            .as_ref()
            .and_then(|k| k.detect_language(&redacted.text))
            .unwrap_or(Lang::Fi);
        let c = RuleClassifier.classify(&redacted.text, lang);
        writeln!(output, "{} {}", c.verdict.as_str(), c.reason)?;
        output.flush()?;
    }
}
