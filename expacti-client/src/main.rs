//! `expacti`: the command-line client. Each subcommand lives in `cli/<name>.rs`; this file only
//! dispatches and maps results to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("expacti: {e:#}");
            ExitCode::from(2)
        }
    }
}
