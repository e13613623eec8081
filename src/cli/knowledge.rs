//! `kanava knowledge`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(crate) enum KnowledgeCommand {
    /// Validate topic files: every problem with file, line and what to fix.
    Check {
        /// The directory [default: ./knowledge].
        dir: Option<PathBuf>,
    },
}

pub(crate) fn run(command: KnowledgeCommand) -> Result<ExitCode> {
    let KnowledgeCommand::Check { dir } = command;
    let dir = dir.unwrap_or_else(|| PathBuf::from("./knowledge"));
    match kanava::knowledge::format::load_dir(&dir) {
        Ok(topics) => {
            // Content is checked against its official pages at least once a year.
            let today = kanava::clock::Clock::now(&kanava::clock::SystemClock) / 86_400_000_000;
            let stale = kanava::knowledge::format::stale(&topics, today as i64, 365);
            for s in &stale {
                eprintln!("warning: {s}: check it against its sources and update `reviewed:`");
            }
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
