//! The command line: the flags, one file per command group, and the helpers they share. Staff
//! commands are a thin transport over [`kanava::staff`]: they build an operation, act as the
//! local administrator with the personal id given, and print the outcome.

mod chat;
mod knowledge;
mod moderation;
mod records;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use kanava::config::{self, Config, Overrides};
use kanava::control::{self, Request, Response};
use kanava::services::Services;
use kanava::staff::{Actor, Operation, Outcome, Role};

/// kanava: one conversation for a public authority's customers across web chat, Telegram,
/// Matrix and Bot Framework channels. Answers general questions in Finnish, Swedish and
/// English, removes personal data before anything is stored, and logs conversations.
#[derive(Debug, Parser)]
#[command(name = "kanava", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML); see kanava.example.toml. KANAVA_<SECTION>_<KEY> environment
    /// variables override it, and flags override both.
    #[arg(long, global = true, env = "KANAVA_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (database, control socket) [default: ./data].
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
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
    Classify {
        /// Knowledge directory, for language detection [default: the configured one].
        #[arg(long, value_name = "DIR")]
        knowledge: Option<PathBuf>,
    },
    /// Redact personal data from stdin: one redacted line out per line in, flushed as it goes.
    /// Invalid UTF-8 is decoded lossily and still redacted; odd input never stops it.
    Redact,
    /// Work with the knowledge base.
    Knowledge {
        #[command(subcommand)]
        command: knowledge::KnowledgeCommand,
    },
    /// Moderate blocks and appeals (through the running server if any). Every action is audited.
    Block {
        #[command(subcommand)]
        command: moderation::BlockCommand,
    },
    /// Read the audit log: blocks, unblocks, strikes, alerts, lockdowns, purges, exports,
    /// erasures. `kanava audit verify` checks its hash chain.
    Audit {
        #[command(subcommand)]
        command: Option<moderation::AuditCommand>,
        #[command(flatten)]
        query: moderation::AuditQuery,
    },
    /// Lift an identifier lockdown started by a spike of identifiers across users.
    Lockdown {
        #[command(subcommand)]
        command: moderation::LockdownCommand,
    },
    /// Data-subject rights: export, erase or restrict what is stored about one platform identity.
    /// Every action is audited with your staff id and the reason.
    Subject {
        #[command(subcommand)]
        command: records::SubjectCommand,
    },
    /// Purge what the retention periods say is due (through the running server if any); every
    /// run is audited.
    Purge {
        /// Only count what is due.
        #[arg(long)]
        dry_run: bool,
    },
    /// Counts of stored transcripts, feedback and sessions (through the running server if any).
    Stats,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Ctx {
        config_file: cli.config,
        data: cli.data,
    };
    match cli.command {
        Command::Serve { listen, knowledge } => {
            let config = ctx.config(Overrides {
                listen,
                knowledge_dir: knowledge,
                ..Overrides::default()
            })?;
            runtime()?.block_on(chat::serve(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask {
            knowledge,
            questions,
        } => {
            let config = ctx.config(Overrides {
                knowledge_dir: knowledge,
                ..Overrides::default()
            })?;
            runtime()?.block_on(chat::ask(config, questions))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Classify { knowledge } => {
            let config = ctx.config(Overrides {
                knowledge_dir: knowledge,
                ..Overrides::default()
            })?;
            chat::classify(
                &config.knowledge_dir,
                std::io::stdin().lock(),
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Redact => {
            kanava::redact::redact_lines(std::io::stdin().lock(), std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge { command } => knowledge::run(command),
        Command::Block { command } => moderation::block(&ctx, command),
        Command::Audit { command, query } => moderation::audit(&ctx, command, query),
        Command::Lockdown { command } => moderation::lockdown(&ctx, command),
        Command::Subject { command } => records::subject(&ctx, command),
        Command::Purge { dry_run } => records::purge(&ctx, dry_run),
        Command::Stats => records::stats(&ctx),
    }
}

/// What every command shares: where the configuration and the data are.
#[derive(Debug)]
pub(crate) struct Ctx {
    config_file: Option<PathBuf>,
    data: Option<PathBuf>,
}

impl Ctx {
    fn config(&self, overrides: Overrides) -> Result<Config> {
        Ok(config::load(
            self.config_file.as_deref(),
            std::env::vars(),
            &Overrides {
                data_dir: self.data.clone(),
                ..overrides
            },
        )?)
    }

    /// Runs a staff operation as the local administrator `staff_id`: through the running
    /// server's control socket, or on the store itself when none runs.
    pub(crate) fn operate(&self, staff_id: Option<&str>, operation: Operation) -> Result<Outcome> {
        let actor = local_admin(staff_id)?;
        let config = self.config(Overrides::default())?;
        let request = Request { actor, operation };
        match runtime()?.block_on(operate(&config, request))? {
            Response::Ok { outcome } => Ok(outcome),
            Response::Error { message } => bail!("{message}"),
        }
    }
}

/// The local administrator: the personal id given, or for read-only commands that take none,
/// the login name (`$USER`) or `operator`.
fn local_admin(staff_id: Option<&str>) -> Result<Actor> {
    let id = match staff_id {
        Some(id) => id.to_string(),
        None => std::env::var("USER")
            .ok()
            .filter(|u| Actor::new(u, Role::Admin).is_ok())
            .unwrap_or_else(|| "operator".into()),
    };
    Ok(Actor::new(&id, Role::Admin)?)
}

async fn operate(config: &Config, request: Request) -> Result<Response> {
    if let Some(resp) = control::request(&config.data_dir, &request)
        .await
        .context("control socket")?
    {
        return Ok(resp);
    }
    if !config.data_dir.exists() {
        bail!("no data directory at {}", config.data_dir.display());
    }
    let services = Services::open(config).await?;
    let response = Response::to(&services, &request.actor, request.operation).await;
    services.flush().await?;
    Ok(response)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A time for people: `2026-11-23 14:05 UTC`.
fn when(at: u64) -> String {
    kanava::i18n::format_time(at, kanava_adapter::Lang::En)
}
