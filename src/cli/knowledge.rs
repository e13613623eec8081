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
