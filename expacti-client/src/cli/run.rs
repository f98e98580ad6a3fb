//! `expacti run`: ask the server, run the command only when approved.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use expacti_client::run::{RunOptions, context_from_env, run as run_gated};

use super::input;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server URL.
    #[arg(long, env = "EXPACTI_URL")]
    url: String,
    /// The shell token.
    #[arg(long, env = "EXPACTI_SHELL_TOKEN", hide_env_values = true)]
    token: String,
    /// Seconds to wait for a decision.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Context as KEY=VALUE (added to what the environment gives: GitHub Actions' variables,
    /// host, cwd).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// A client request id: rerunning with the same id resumes the same request.
    #[arg(long)]
    request_id: Option<String>,
    /// The command: one argument is a command line; several are an argv.
    #[arg(last = true)]
    command: Vec<String>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let command = input::command_line(&a.command)?;
    let mut context = context_from_env();
    for kv in &a.context {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("`--context {kv}`: expected KEY=VALUE"))?;
        context.insert(k.to_string(), v.to_string());
    }
    let opts = RunOptions {
        url: a.url,
        token: a.token,
        timeout: Duration::from_secs(a.timeout.max(1)),
        context,
        command,
        request_id: a.request_id,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let code = rt.block_on(async {
        let mut err = std::io::stderr();
        run_gated(&opts, &mut err).await
    });
    Ok(ExitCode::from(
        u8::try_from(code.clamp(0, 255)).unwrap_or(1),
    ))
}
