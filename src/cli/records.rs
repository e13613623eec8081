//! `kanava subject`, `kanava purge`, `kanava stats`: what is stored, and for how long.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;
use kanava::staff::{Operation, Outcome};

use super::moderation::Who;
use super::{when, Ctx};

/// A data-subject request: whom, why, and who handles it.
#[derive(Debug, clap::Args)]
pub(crate) struct SubjectArgs {
    #[command(flatten)]
    who: Who,
    /// Why: the request's reference or grounds (kept in the audit log).
    #[arg(long)]
    reason: String,
    /// Your personal staff id.
    #[arg(long, env = "KANAVA_STAFF")]
    staff: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SubjectCommand {
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

pub(crate) fn subject(ctx: &Ctx, command: SubjectCommand) -> Result<ExitCode> {
    let (staff, operation) = match command {
        SubjectCommand::Export(a) => (
            a.staff,
            Operation::SubjectExport {
                channel: a.who.channel,
                user: a.who.user,
                reason: a.reason,
            },
        ),
        SubjectCommand::Erase(a) => (
            a.staff,
            Operation::SubjectErase {
                channel: a.who.channel,
                user: a.who.user,
                reason: a.reason,
            },
        ),
        SubjectCommand::Restrict { args: a, lift } => (
            a.staff,
            Operation::SubjectRestrict {
                channel: a.who.channel,
                user: a.who.user,
                reason: a.reason,
                lift,
            },
        ),
    };
    match ctx.operate(Some(&staff), operation)? {
        Outcome::Export(x) => println!("{}", serde_json::to_string_pretty(&x)?),
        Outcome::Erased(e) => println!("{}", serde_json::to_string(&e)?),
        Outcome::Done => println!("done"),
        other => bail!("unexpected answer {other:?}"),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn purge(ctx: &Ctx, dry_run: bool) -> Result<ExitCode> {
    match ctx.operate(None, Operation::Purge { dry_run })? {
        Outcome::Purge(report) => {
            let verb = if report.dry_run { "due" } else { "purged" };
            for c in report.classes {
                let oldest = c.oldest_remaining.map_or("-".to_string(), when);
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

pub(crate) fn stats(ctx: &Ctx) -> Result<ExitCode> {
    match ctx.operate(None, Operation::Stats)? {
        Outcome::Stats(s) => println!("{}", serde_json::to_string(&s)?),
        other => bail!("unexpected answer {other:?}"),
    }
    Ok(ExitCode::SUCCESS)
}
