//! The `kanava` command: parse the flags, start logging, run the command (see `cli`).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before anything creates a file: the data directory holds transcripts and secrets.
    kanava::datadir::owner_only_umask();
    let cli = cli::Cli::parse();
    kanava::logging::init();
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kanava: {e:#}");
            ExitCode::FAILURE
        }
    }
}
