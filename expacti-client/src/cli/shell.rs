//! `expacti shell`: an interactive shell in which every line is gated by the expacti server
//! before it runs — for SSH (`ForceCommand expacti shell`, or as a login shell) and manual
//! sessions.
//!
//! - `SSH_ORIGINAL_COMMAND` (a non-interactive `ssh host CMD` under `ForceCommand`) and
//!   `-c CMD` (sshd running a login shell) gate that one command and exit with its code.
//! - Interactively: line editing and history (`history` lists it), `cd DIR` changes the
//!   directory kept for the following lines (only a plain `cd` with a literal argument,
//!   `Parsed::plain_cd` in the core; anything else goes to the server), `exit`/`logout` or Ctrl-D leave.
//!   Ctrl-C clears the line at the prompt, abandons a request still waiting for a reviewer
//!   (nothing runs), and interrupts a running command (not the shell).
//! - Each line is sent with the session's context: `source` (`ssh` or `shell`), `actor`,
//!   `host`, `cwd` and a `run_id` for the session, so reviewers see what ran before it.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use expacti_client::run::{RunOptions, approval, context_from_env, run as run_gated};
use rustyline::error::ReadlineError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server URL.
    #[arg(long, env = "EXPACTI_URL")]
    url: String,
    /// The shell token.
    #[arg(long, env = "EXPACTI_SHELL_TOKEN", hide_env_values = true)]
    token: String,
    /// Seconds to wait for a decision, per line.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Gate and run one command, then exit (how sshd starts a login shell).
    #[arg(short = 'c')]
    command: Option<String>,
}

fn session_context() -> BTreeMap<String, String> {
    let mut c = context_from_env();
    let ssh = std::env::var_os("SSH_CONNECTION").is_some();
    c.insert("source".into(), if ssh { "ssh" } else { "shell" }.into());
    if let Ok(u) = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        c.entry("actor".into()).or_insert(u);
    }
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_ok() {
        c.insert("run_id".into(), expacti_core::audit::hex(&b));
    }
    c
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let base = session_context();
    let one = a
        .command
        .clone()
        .or_else(|| std::env::var("SSH_ORIGINAL_COMMAND").ok());
    let opts_for = |command: String| {
        let mut context = base.clone();
        if let Ok(d) = std::env::current_dir() {
            context.insert("cwd".into(), d.display().to_string());
        }
        RunOptions {
            url: a.url.clone(),
            token: a.token.clone(),
            timeout: Duration::from_secs(a.timeout.max(1)),
            context,
            command,
            request_id: None,
        }
    };
    if let Some(cmd) = one {
        let opts = opts_for(cmd);
        let code = rt.block_on(async { run_gated(&opts, &mut std::io::stderr()).await });
        return Ok(ExitCode::from(
            u8::try_from(code.clamp(0, 255)).unwrap_or(1),
        ));
    }
    // Ctrl-C reaches this process too; catch it for the whole session (the running command
    // still gets its own, default, handling).
    let interrupt = Arc::new(tokio::sync::Notify::new());
    let tell = interrupt.clone();
    rt.spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            tell.notify_waiters();
        }
    });
    let mut rl = rustyline::DefaultEditor::new()?;
    let mut history: Vec<String> = Vec::new();
    let mut last = 0i32;
    eprintln!(
        "expacti shell: every command is checked by {} before it runs. `exit` to leave.",
        a.url
    );
    loop {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        let line = match rl.readline(&format!("expacti:{cwd}$ ")) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let _ = rl.add_history_entry(trimmed);
        history.push(trimmed.to_string());
        match trimmed {
            "exit" | "logout" => break,
            "history" => {
                for (i, h) in history.iter().enumerate() {
                    println!("{:5}  {h}", i + 1);
                }
                continue;
            }
            _ => {}
        }
        if let Some(dir) = expacti_core::parse(trimmed).plain_cd() {
            let target = dir
                .map(str::to_string)
                .or_else(|| std::env::var("HOME").ok())
                .unwrap_or_else(|| "/".into());
            if let Err(e) = std::env::set_current_dir(&target) {
                eprintln!("cd: {target}: {e}");
                last = 1;
            } else {
                last = 0;
            }
            continue;
        }
        let opts = opts_for(trimmed.to_string());
        last = rt.block_on(async {
            let mut err = std::io::stderr();
            let waited = tokio::select! {
                a = approval(&opts, &mut err) => Some(a),
                () = interrupt.notified() => None,
            };
            match waited {
                Some(Ok(a)) => a.run(&opts).await,
                Some(Err(code)) => code,
                None => {
                    eprintln!("\nexpacti: interrupted while waiting for a decision: not run");
                    130
                }
            }
        });
    }
    Ok(ExitCode::from(
        u8::try_from(last.clamp(0, 255)).unwrap_or(1),
    ))
}
