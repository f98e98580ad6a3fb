//! The subcommands of the `expacti` binary.

mod audit;
mod check;
mod hook;
mod input;
mod jsonl;
mod lint;
mod mcp;
mod parse;
mod run;
mod score;
mod shell;
mod style;
mod suggest;

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
    /// Decide a command under a policy: exit 0 allow, 1 review, 3 deny, 2 error.
    Check(check::Args),
    /// Check a policy and run its [[test]] cases: exit 0 clean, 1 findings, 2 unreadable.
    Lint(lint::Args),
    /// Mine approval history into suggested rules.
    Suggest(suggest::Args),
    /// Ask the server and run the command only when approved: exit with its code; 126 denied,
    /// 124 timed out, 125 no decision.
    Run(run::Args),
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::Cmd),
    /// An interactive shell whose every line is gated (SSH ForceCommand or login shell).
    Shell(shell::Args),
    /// Hooks for AI agents: `expacti hook claude-code` answers Claude Code's PreToolUse hook.
    #[command(subcommand)]
    Hook(hook::Cmd),
    /// An MCP server (stdio) exposing a gated `run_command` tool to AI agents.
    Mcp(mcp::Args),
}

/// Runs the chosen subcommand and returns its exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Parse(a) => parse::run(a),
        Command::Score(a) => score::run(a),
        Command::Check(a) => check::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Suggest(a) => suggest::run(a),
        Command::Run(a) => run::run(a),
        Command::Audit(c) => audit::run(c),
        Command::Shell(a) => shell::run(a),
        Command::Hook(c) => hook::run(c),
        Command::Mcp(a) => mcp::run(a),
    }
}
