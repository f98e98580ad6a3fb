//! The subcommands of the `expacti` binary.

mod input;
mod jsonl;
mod parse;
mod score;
mod style;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// expacti gates shell commands: parse, score and check them against a policy.
#[derive(Debug, Parser)]
#[command(name = "expacti", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the parts of a command: every simple command that can run.
    Parse(parse::Args),
    /// Print the risk score, level and reasons of a command.
    Score(score::Args),
}

/// Runs the chosen subcommand and returns its exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Parse(a) => parse::run(a),
        Command::Score(a) => score::run(a),
    }
}
