//! The `kanava` command.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use kanava::config::{self, Config, Overrides};
use kanava::control::{self, Request, Response};
use kanava::engine::Engine;
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, UserIdentity};

/// kanava: one conversation for a public authority's customers across web chat, Telegram,
/// Matrix and Bot Framework channels. Answers general questions in Finnish, Swedish and
/// English, removes personal data before anything is stored, and logs conversations in sled.
#[derive(Debug, Parser)]
#[command(name = "kanava", version, propagate_version = true)]
struct Cli {
    /// Configuration file (TOML); see kanava.example.toml. KANAVA_<SECTION>_<KEY> environment
    /// variables override it, and flags override both.
    #[arg(long, global = true, env = "KANAVA_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web chat, the channels, /healthz and /metrics until SIGTERM or Ctrl-C.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Data directory (sled database, control socket) [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Knowledge directory (topic files) [default: ./knowledge].
        #[arg(long, value_name = "DIR")]
        knowledge: Option<PathBuf>,
    },
    /// Ask questions through the same pipeline as a chat; one JSON line per question.
    /// Questions come as arguments, or one per line on stdin. Nothing is written to disk.
    Ask {
        /// Knowledge directory [default: ./knowledge].
        #[arg(long, value_name = "DIR")]
        knowledge: Option<PathBuf>,
        /// The questions.
        questions: Vec<String>,
    },
    /// Classify questions against the terms of use: one per line on stdin, one line out each,
    /// its first word the verdict (general, case_specific, advertising), then the reason.
    /// Questions are redacted first, as in a chat.
    Classify,
    /// Redact personal data from stdin: one redacted line out per line in, flushed as it goes.
    /// Invalid UTF-8 is decoded lossily and still redacted; odd input never stops it.
    Redact,
    /// Work with the knowledge base.
    Knowledge {
        #[command(subcommand)]
        command: KnowledgeCommand,
    },
    /// Moderate blocks (through the running server if any). Every action is audited.
    Block {
        #[command(subcommand)]
        command: BlockCommand,
    },
    /// Read the audit log: blocks, unblocks, strikes, alerts, lockdowns, purges, exports,
    /// erasures. `kanava audit verify` checks its hash chain.
    Audit {
        #[command(subcommand)]
        command: Option<AuditCommand>,
        /// Only records since this long ago (e.g. 24h, 7d) or this date (YYYY-MM-DD) [default: all].
        #[arg(long)]
        since: Option<String>,
        /// Only records of this kind (block, unblock, strike, enumeration_alert, lockdown, appeal).
        #[arg(long)]
        kind: Option<String>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Data-subject rights: export, erase or restrict what is stored about one platform identity.
    /// Every action is audited with your staff id and the reason.
    Subject {
        #[command(subcommand)]
        command: SubjectCommand,
    },
    /// Purge what the retention periods say is due (through the running server if any); every
    /// run is audited.
    Purge {
        /// Only count what is due.
        #[arg(long)]
        dry_run: bool,
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Lift an identifier lockdown started by a spike of identifiers across users.
    Lockdown {
        #[command(subcommand)]
        command: LockdownCommand,
    },
    /// Counts of stored transcripts, feedback and sessions (through the running server if any).
    Stats {
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct Who {
    /// Channel instance (e.g. webchat, telegram).
    #[arg(long)]
    channel: String,
    /// Platform user id.
    #[arg(long)]
    user: String,
}

#[derive(Debug, Subcommand)]
enum BlockCommand {
    /// Block a user.
    Add {
        #[command(flatten)]
        who: Who,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: String,
        /// Hours until the block ends, 1 to 87600 (ten years) [default: until lifted].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=kanava::control::MAX_BLOCK_HOURS))]
        hours: Option<u64>,
        /// Your personal moderator id.
        #[arg(long, env = "KANAVA_MODERATOR")]
        moderator: String,
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Lift a block.
    Remove {
        #[command(flatten)]
        who: Who,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: String,
        /// Your personal moderator id.
        #[arg(long, env = "KANAVA_MODERATOR")]
        moderator: String,
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// List blocks.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct SubjectArgs {
    #[command(flatten)]
    who: Who,
    /// Why: the request's reference or grounds (kept in the audit log).
    #[arg(long)]
    reason: String,
    /// Your personal staff id.
    #[arg(long, env = "KANAVA_STAFF")]
    staff: String,
    /// Data directory [default: ./data].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SubjectCommand {
    /// Everything stored about the identity, as JSON on stdout.
    Export(SubjectArgs),
    /// Erase it (refused, with an explanation, when `retention.legal_hold` is on).
    Erase(SubjectArgs),
    /// Restrict processing (keep, but exclude from statistics and staff views).
    Restrict {
        #[command(flatten)]
        args: SubjectArgs,
        /// End the restriction instead.
        #[arg(long)]
        lift: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain: exits non-zero and names the first broken record if any.
    Verify {
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum LockdownCommand {
    /// Lift the lockdown now.
    Lift {
        /// Your personal moderator id.
        #[arg(long, env = "KANAVA_MODERATOR")]
        moderator: String,
        /// Data directory [default: ./data].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum KnowledgeCommand {
    /// Validate topic files: every problem with file, line and what to fix.
    Check {
        /// The directory [default: ./knowledge].
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // Before anything creates a file: the data directory holds transcripts and secrets.
    kanava::datadir::owner_only_umask();
    let cli = Cli::parse();
    kanava::logging::init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kanava: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(file: Option<&PathBuf>, overrides: Overrides) -> Result<Config> {
    Ok(config::load(
        file.map(|p| p.as_path()),
        std::env::vars(),
        &overrides,
    )?)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            listen,
            data,
            knowledge,
        } => {
            let config = load_config(
                cli.config.as_ref(),
                Overrides {
                    listen,
                    data_dir: data,
                    knowledge_dir: knowledge,
                },
            )?;
            runtime()?.block_on(serve(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask {
            knowledge,
            questions,
        } => {
            let config = load_config(
                cli.config.as_ref(),
                Overrides {
                    knowledge_dir: knowledge,
                    ..Overrides::default()
                },
            )?;
            runtime()?.block_on(ask(config, questions))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Classify => {
            classify_stream(std::io::stdin().lock(), std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Redact => {
            kanava::redact::redact_lines(std::io::stdin().lock(), std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge {
            command: KnowledgeCommand::Check { dir },
        } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from("./knowledge"));
            match kanava::knowledge::format::load_dir(&dir) {
                Ok(topics) => {
                    println!(
                        "{}: {} topics, fi/sv/en complete, no problems",
                        dir.display(),
                        topics.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => {
                    for p in &problems {
                        println!("{p}");
                    }
                    eprintln!("{} problem(s)", problems.len());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Block { command } => {
            let (data, req, json) = match command {
                BlockCommand::Add {
                    who,
                    reason,
                    hours,
                    moderator,
                    data,
                } => (
                    data,
                    Request::BlockAdd {
                        channel: who.channel,
                        user: who.user,
                        moderator,
                        reason,
                        hours,
                    },
                    false,
                ),
                BlockCommand::Remove {
                    who,
                    reason,
                    moderator,
                    data,
                } => (
                    data,
                    Request::BlockRemove {
                        channel: who.channel,
                        user: who.user,
                        moderator,
                        reason,
                    },
                    false,
                ),
                BlockCommand::List { json, data } => (data, Request::BlockList, json),
            };
            match data_request(cli.config.as_ref(), data, req)? {
                Response::Block(b) => println!("{}", serde_json::to_string(&b)?),
                Response::Blocks(list) if json => {
                    for b in list {
                        println!("{}", serde_json::to_string(&b)?);
                    }
                }
                Response::Blocks(list) => {
                    println!(
                        "{:<12} {:<24} {:<12} {:<26} {:<10} reason",
                        "channel", "user", "why", "until", "source"
                    );
                    for b in list {
                        let until = b.expires.map_or("review".to_string(), |e| {
                            kanava::i18n::format_time(e, kanava_adapter::Lang::En)
                        });
                        let source = match &b.source {
                            kanava::guard::BlockSource::Automatic => "automatic".to_string(),
                            kanava::guard::BlockSource::Moderator(m) => m.clone(),
                        };
                        println!(
                            "{:<12} {:<24} {:<12} {:<26} {:<10} {}",
                            b.channel,
                            b.user,
                            format!("{:?}", b.reason).to_lowercase(),
                            until,
                            source,
                            b.detail
                        );
                    }
                }
                other => bail!("unexpected answer {other:?}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: Some(AuditCommand::Verify { data }),
            ..
        } => match data_request(cli.config.as_ref(), data, Request::AuditVerify)? {
            Response::Verification(v) => match v.broken {
                None => {
                    println!("audit chain intact: {} records", v.records);
                    Ok(ExitCode::SUCCESS)
                }
                Some((at, why)) => {
                    println!(
                        "audit chain BROKEN at record {} ({}): {why}",
                        v.records,
                        kanava::i18n::format_time(at, kanava_adapter::Lang::En)
                    );
                    Ok(ExitCode::FAILURE)
                }
            },
            other => bail!("unexpected answer {other:?}"),
        },
        Command::Audit {
            command: None,
            since,
            kind,
            json,
            data,
        } => {
            let since = match since {
                None => 0,
                Some(s) => parse_since(&s)?,
            };
            match data_request(cli.config.as_ref(), data, Request::Audit { since, kind })? {
                Response::Audit(records) => {
                    for r in records {
                        if json {
                            println!("{}", serde_json::to_string(&r)?);
                        } else {
                            let who = r
                                .subject
                                .map(|(c, u)| format!("{c}/{u}"))
                                .unwrap_or_else(|| "-".into());
                            println!(
                                "{}  {:<18} {:<12} {:<28} {}",
                                kanava::i18n::format_time(r.at, kanava_adapter::Lang::En),
                                r.kind,
                                r.actor,
                                who,
                                r.reason
                            );
                        }
                    }
                }
                other => bail!("unexpected answer {other:?}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Lockdown {
            command: LockdownCommand::Lift { moderator, data },
        } => {
            data_request(
                cli.config.as_ref(),
                data,
                Request::LiftLockdown { moderator },
            )?;
            println!("lockdown lifted");
            Ok(ExitCode::SUCCESS)
        }
        Command::Subject { command } => {
            let (a, req) = match command {
                SubjectCommand::Export(a) => {
                    let r = Request::SubjectExport {
                        channel: a.who.channel.clone(),
                        user: a.who.user.clone(),
                        staff: a.staff.clone(),
                        reason: a.reason.clone(),
                    };
                    (a, r)
                }
                SubjectCommand::Erase(a) => {
                    let r = Request::SubjectErase {
                        channel: a.who.channel.clone(),
                        user: a.who.user.clone(),
                        staff: a.staff.clone(),
                        reason: a.reason.clone(),
                    };
                    (a, r)
                }
                SubjectCommand::Restrict { args: a, lift } => {
                    let r = Request::SubjectRestrict {
                        channel: a.who.channel.clone(),
                        user: a.who.user.clone(),
                        staff: a.staff.clone(),
                        reason: a.reason.clone(),
                        lift,
                    };
                    (a, r)
                }
            };
            match data_request(cli.config.as_ref(), a.data, req)? {
                Response::Export(x) => println!("{}", serde_json::to_string_pretty(&x)?),
                Response::Erased(e) => println!("{}", serde_json::to_string(&e)?),
                Response::Done => println!("done"),
                other => bail!("unexpected answer {other:?}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Purge { dry_run, data } => {
            match data_request(cli.config.as_ref(), data, Request::Purge { dry_run })? {
                Response::Purge(report) => {
                    for c in report.classes {
                        let oldest = c.oldest_remaining.map_or("-".to_string(), |o| {
                            kanava::i18n::format_time(o, kanava_adapter::Lang::En)
                        });
                        let verb = if report.dry_run { "due" } else { "purged" };
                        println!(
                            "{:<16} {verb} {:>8}   oldest remaining {oldest}",
                            c.class, c.purged
                        );
                    }
                }
                other => bail!("unexpected answer {other:?}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { data } => {
            match data_request(cli.config.as_ref(), data, Request::Stats)? {
                Response::Stats(s) => println!("{}", serde_json::to_string(&s)?),
                other => bail!("unexpected answer {other:?}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `kanava classify`: the same redaction, language detection and rules as a chat.
fn classify_stream(mut input: impl BufRead, mut output: impl Write) -> Result<()> {
    use kanava::policy::{Classifier, RuleClassifier};
    use kanava::redact::{PiiRedactor, Redactor};
    let knowledge =
        kanava::knowledge::KnowledgeBase::load(std::path::Path::new("./knowledge")).ok();
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
            .unwrap_or(kanava_adapter::Lang::Fi);
        let c = RuleClassifier.classify(&redacted.text, lang);
        writeln!(output, "{} {}", c.verdict.as_str(), c.reason)?;
        output.flush()?;
    }
}

/// Loads the configuration (with `--data`), runs a data command, and turns an error answer into
/// an error.
fn data_request(
    config_file: Option<&PathBuf>,
    data: Option<PathBuf>,
    req: Request,
) -> Result<Response> {
    let config = load_config(
        config_file,
        Overrides {
            data_dir: data,
            ..Overrides::default()
        },
    )?;
    match runtime()?.block_on(data_command(&config, req))? {
        Response::Error { message } => bail!("{message}"),
        other => Ok(other),
    }
}

/// Runs a data command through the running server, or directly on the store when none runs.
async fn data_command(config: &Config, req: Request) -> Result<Response> {
    if let Some(resp) = control::request(&config.data_dir, &req)
        .await
        .context("control socket")?
    {
        return Ok(resp);
    }
    if !config.data_dir.exists() {
        bail!("no data directory at {}", config.data_dir.display());
    }
    let storage = kanava::storage::open_embedded(&config.data_dir)?;
    kanava::datadir::prepare(&config.data_dir)?;
    let key = kanava::datadir::identifier_key(&config.data_dir, config.identifier_secret)?;
    let guard = Arc::new(
        kanava::guard::TermsGuard::open(
            &storage,
            config.terms.clone(),
            key,
            Arc::new(kanava::clock::SystemClock),
        )
        .await?,
    );
    let ctx = control::Context {
        storage,
        guard: guard.clone(),
        retention: config.retention,
        legal_hold: config.legal_hold,
        engine: None,
    };
    let resp = control::execute(&ctx, req).await;
    guard.flush().await?;
    Ok(resp)
}

/// `24h`, `7d`, `30m` ago, or a `YYYY-MM-DD` date, as microseconds since the epoch.
fn parse_since(s: &str) -> Result<u64> {
    use kanava::clock::Clock;
    let now = kanava::clock::SystemClock.now();
    let unit = |c: char| match c {
        'm' => Some(60u64),
        'h' => Some(3600),
        'd' => Some(86_400),
        _ => None,
    };
    if let Some(last) = s.chars().last() {
        // `strip_suffix` by the char, not by a byte count: `7ä` must not split a character.
        let number = s.strip_suffix(last).map(str::parse::<u64>);
        if let (Some(u), Some(Ok(n))) = (unit(last), number) {
            let Some(back) = n.checked_mul(u).and_then(|s| s.checked_mul(1_000_000)) else {
                bail!("--since {s:?}: too far back");
            };
            return Ok(now.saturating_sub(back));
        }
    }
    let parts: Vec<i64> = s.split('-').filter_map(|p| p.parse().ok()).collect();
    if let [y, m, d] = parts[..] {
        if (1..=12).contains(&m) && (1..=31).contains(&d) {
            // Days since the epoch (inverse of the civil-date algorithm in i18n::format_time).
            let y = if m <= 2 { y - 1 } else { y };
            let era = y.div_euclid(400);
            let yoe = y - era * 400;
            let mp = if m > 2 { m - 3 } else { m + 9 };
            let doy = (153 * mp + 2) / 5 + d - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            let days = era * 146_097 + doe - 719_468;
            return Ok((days.max(0) as u64) * 86_400 * 1_000_000);
        }
    }
    bail!("--since {s:?}: expected a duration like 24h, 7d, 30m or a date like 2026-11-23")
}

async fn serve(config: Config) -> Result<()> {
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

async fn ask(config: Config, questions: Vec<String>) -> Result<()> {
    let storage = kanava::storage::temporary();
    let key = kanava::guard::IdentifierKey::new(rand::random());
    let guard = Arc::new(
        kanava::guard::TermsGuard::open(
            &storage,
            config.terms.clone(),
            key,
            Arc::new(kanava::clock::SystemClock),
        )
        .await?,
    );
    let engine = kanava::server::build_engine(&config, storage.conversations, guard)?;
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
