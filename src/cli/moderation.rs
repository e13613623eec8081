//! `kanava block`, `kanava audit`, `kanava lockdown`: moderation and its record.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;
use kanava::clock::{Clock, SystemClock};
use kanava::guard::BlockSource;
use kanava::staff::{Operation, Outcome, MAX_BLOCK_HOURS};

use super::{when, Ctx};

/// Whom an action is about.
#[derive(Debug, clap::Args)]
pub(crate) struct Who {
    /// Channel instance (e.g. webchat, telegram).
    #[arg(long)]
    pub(crate) channel: String,
    /// Platform user id.
    #[arg(long)]
    pub(crate) user: String,
}

/// A moderator's action: whom, why, and who decides.
#[derive(Debug, clap::Args)]
pub(crate) struct Decision {
    #[command(flatten)]
    who: Who,
    /// Why (kept in the audit log).
    #[arg(long)]
    reason: String,
    /// Your personal moderator id.
    #[arg(long, env = "KANAVA_MODERATOR")]
    moderator: String,
}

/// An appeal's outcome: exactly one of the two flags.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Verdict {
    /// Accept the appeal and lift the block.
    #[arg(long)]
    accept: bool,
    /// Reject the appeal; the block stays.
    #[arg(long)]
    reject: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BlockCommand {
    /// Block a user.
    Add {
        #[command(flatten)]
        decision: Decision,
        /// Hours until the block ends, 1 to 87600 (ten years) [default: until lifted].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_BLOCK_HOURS))]
        hours: Option<u64>,
    },
    /// Lift a block.
    Remove(Decision),
    /// Decide a blocked user's appeal: --accept lifts the block, --reject keeps it.
    Appeal {
        #[command(flatten)]
        decision: Decision,
        #[command(flatten)]
        verdict: Verdict,
    },
    /// List blocks.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the hash chain: exits non-zero and names the first broken record if any.
    Verify,
}

/// Which audit records to show.
#[derive(Debug, clap::Args)]
pub(crate) struct AuditQuery {
    /// Only records since this long ago (e.g. 24h, 7d) or this date (YYYY-MM-DD) [default: all].
    #[arg(long)]
    since: Option<String>,
    /// Only records of this kind (block, unblock, strike, enumeration_alert, lockdown, appeal,
    /// appeal_rejected, denied, purge, export, erase, restrict).
    #[arg(long)]
    kind: Option<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LockdownCommand {
    /// Lift the lockdown now.
    Lift {
        /// Your personal moderator id.
        #[arg(long, env = "KANAVA_MODERATOR")]
        moderator: String,
    },
}

pub(crate) fn block(ctx: &Ctx, command: BlockCommand) -> Result<ExitCode> {
    let (moderator, operation, json) = match command {
        BlockCommand::Add { decision: d, hours } => (
            Some(d.moderator),
            Operation::BlockAdd {
                channel: d.who.channel,
                user: d.who.user,
                reason: d.reason,
                hours,
            },
            false,
        ),
        BlockCommand::Remove(d) => (
            Some(d.moderator),
            Operation::BlockRemove {
                channel: d.who.channel,
                user: d.who.user,
                reason: d.reason,
            },
            false,
        ),
        BlockCommand::Appeal {
            decision: d,
            verdict,
        } => (
            Some(d.moderator),
            Operation::AppealDecide {
                channel: d.who.channel,
                user: d.who.user,
                accept: verdict.accept,
                reason: d.reason,
            },
            false,
        ),
        BlockCommand::List { json } => (None, Operation::BlockList, json),
    };
    match ctx.operate(moderator.as_deref(), operation)? {
        Outcome::Block(b) => println!("{}", serde_json::to_string(&b)?),
        Outcome::Appeal { block, told } => {
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({ "block": block, "told": told }))?
            );
        }
        Outcome::Blocks(list) if json => {
            for b in list {
                println!("{}", serde_json::to_string(&b)?);
            }
        }
        Outcome::Blocks(list) => {
            println!(
                "{:<12} {:<24} {:<12} {:<26} {:<10} reason",
                "channel", "user", "why", "until", "source"
            );
            for b in list {
                let until = b.expires.map_or("review".to_string(), when);
                let source = match &b.source {
                    BlockSource::Automatic => "automatic".to_string(),
                    BlockSource::Moderator(m) => m.clone(),
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

pub(crate) fn audit(
    ctx: &Ctx,
    command: Option<AuditCommand>,
    query: AuditQuery,
) -> Result<ExitCode> {
    if let Some(AuditCommand::Verify) = command {
        return match ctx.operate(None, Operation::AuditVerify)? {
            Outcome::Verification(v) => match v.broken {
                None => {
                    println!("audit chain intact: {} records", v.records);
                    Ok(ExitCode::SUCCESS)
                }
                Some((at, why)) => {
                    println!(
                        "audit chain BROKEN at record {} ({}): {why}",
                        v.records,
                        when(at)
                    );
                    Ok(ExitCode::FAILURE)
                }
            },
            other => bail!("unexpected answer {other:?}"),
        };
    }
    let since = match query.since {
        None => 0,
        Some(s) => parse_since(&s, SystemClock.now())?,
    };
    let operation = Operation::AuditQuery {
        since,
        kind: query.kind,
    };
    match ctx.operate(None, operation)? {
        Outcome::Audit(records) => {
            for r in records {
                if query.json {
                    println!("{}", serde_json::to_string(&r)?);
                } else {
                    let who = r
                        .subject
                        .map(|(c, u)| format!("{c}/{u}"))
                        .unwrap_or_else(|| "-".into());
                    println!(
                        "{}  {:<18} {:<12} {:<28} {}",
                        when(r.at),
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

pub(crate) fn lockdown(ctx: &Ctx, command: LockdownCommand) -> Result<ExitCode> {
    let LockdownCommand::Lift { moderator } = command;
    ctx.operate(Some(&moderator), Operation::LockdownLift)?;
    println!("lockdown lifted");
    Ok(ExitCode::SUCCESS)
}

/// `24h`, `7d`, `30m` before `now`, or a `YYYY-MM-DD` date, as microseconds since the epoch.
fn parse_since(s: &str, now: u64) -> Result<u64> {
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
            let days = kanava_store::calendar::days_from_civil(y, m, d);
            return Ok((days.max(0) as u64) * 86_400 * 1_000_000);
        }
    }
    bail!("--since {s:?}: expected a duration like 24h, 7d, 30m or a date like 2026-11-23")
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_takes_durations_and_dates() {
        let now = 1_738_368_000_000_000; // 2025-02-01 00:00 UTC
        assert_eq!(super::parse_since("2025-02-01", 0).ok(), Some(now));
        assert_eq!(
            super::parse_since("1970-01-02", 0).ok(),
            Some(86_400_000_000)
        );
        assert_eq!(
            super::parse_since("1d", now).ok(),
            Some(now - 86_400_000_000)
        );
        assert!(super::parse_since("2025-13-01", now).is_err());
    }
}
