//! `expacti hook claude-code`: a Claude Code `PreToolUse` hook for the Bash tool. Reads the
//! hook's JSON on standard input and answers on standard output with
//! `hookSpecificOutput.permissionDecision` = `allow`, `deny` or `ask` and the reason.
//!
//! Offline (`--policy P`): the policy decides; `review` becomes `ask`, so the person at the
//! terminal decides. Online (`--url`/`EXPACTI_URL` with a shell token): the server decides,
//! which may mean a reviewer somewhere else; deny, timeout and "no decision" become `deny`.
//! Anything the hook cannot read is denied (fail closed). Other tools get no answer (Claude
//! Code's own permissions apply).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use expacti_client::run::{Answer, RunOptions, ask, context_from_env};
use expacti_core::Decision;
use serde_json::{Value, json};

/// The largest hook input read.
const MAX_INPUT: u64 = 1 << 20;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Claude Code's PreToolUse hook for the Bash tool.
    ClaudeCode(ClaudeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ClaudeArgs {
    /// Decide offline with this policy (`review` asks the user).
    #[arg(long, env = "EXPACTI_POLICY")]
    policy: Option<PathBuf>,
    /// Ask this expacti server instead (its policy and reviewers decide).
    #[arg(long, env = "EXPACTI_URL")]
    url: Option<String>,
    /// The shell token for the server.
    #[arg(long, env = "EXPACTI_SHELL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Seconds to wait for a reviewer (set the hook's own `timeout` in Claude Code's
    /// settings above this).
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

pub fn run(c: Cmd) -> anyhow::Result<ExitCode> {
    match c {
        Cmd::ClaudeCode(a) => claude_code(a),
    }
}

fn answer(decision: &str, reason: &str) -> anyhow::Result<ExitCode> {
    let out = json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    });
    let mut o = std::io::stdout().lock();
    serde_json::to_writer(&mut o, &out)?;
    writeln!(o)?;
    Ok(ExitCode::SUCCESS)
}

fn claude_code(a: ClaudeArgs) -> anyhow::Result<ExitCode> {
    let mut raw = Vec::new();
    std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut raw)?;
    if raw.len() as u64 > MAX_INPUT {
        return answer("deny", "expacti: the hook input is larger than 1 MiB");
    }
    let input: Value = match serde_json::from_slice(&raw) {
        Ok(v) => v,
        Err(e) => {
            return answer(
                "deny",
                &format!("expacti could not read the hook input: {e}"),
            );
        }
    };
    if input.get("tool_name").and_then(Value::as_str) != Some("Bash") {
        return Ok(ExitCode::SUCCESS);
    }
    let Some(command) = input.pointer("/tool_input/command").and_then(Value::as_str) else {
        return answer("deny", "expacti: the Bash tool call has no command");
    };
    let mut context = context_from_env();
    context.insert("source".into(), "agent".into());
    context.insert("agent".into(), "claude-code".into());
    if let Some(cwd) = input.get("cwd").and_then(Value::as_str) {
        context.insert("cwd".into(), cwd.to_string());
    }
    if let Some(s) = input.get("session_id").and_then(Value::as_str) {
        context.insert("run_id".into(), s.chars().take(128).collect());
    }
    if let Some(url) = a.url.clone() {
        let Some(token) = a.token.clone() else {
            return answer(
                "deny",
                "expacti has a server but no shell token (--token, EXPACTI_SHELL_TOKEN)",
            );
        };
        let opts = RunOptions {
            url: url.clone(),
            token,
            timeout: Duration::from_secs(a.timeout.max(1)),
            context,
            command: command.to_string(),
            request_id: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut log: Vec<u8> = Vec::new();
        let got = rt.block_on(ask(&opts, &mut log));
        return match got {
            Answer::Allow => answer("allow", &format!("expacti: approved by {url}")),
            Answer::Deny(why) => answer("deny", &format!("expacti denied this command: {why}")),
            Answer::TimedOut(why) => answer(
                "deny",
                &format!("expacti: no reviewer answered in time, so it is denied ({why})"),
            ),
            Answer::NoDecision(why) => answer(
                "deny",
                &format!("expacti could not get a decision, so the command must not run: {why}"),
            ),
        };
    }
    let Some(path) = &a.policy else {
        return answer(
            "ask",
            "expacti has no policy (--policy, EXPACTI_POLICY) or server (--url, EXPACTI_URL) configured",
        );
    };
    let policy = match super::check::load_policy(path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("expacti: {e:#}");
            return answer("deny", &format!("expacti cannot use its policy: {e:#}"));
        }
    };
    let ctx = expacti_core::Context { values: context };
    let e = policy.check(command, &ctx);
    let reasons: Vec<&str> = e
        .risk
        .reasons
        .iter()
        .take(3)
        .map(|r| r.detail.as_str())
        .collect();
    let risk = if reasons.is_empty() {
        format!("{} risk", e.risk.level.as_str())
    } else {
        format!("{} risk: {}", e.risk.level.as_str(), reasons.join("; "))
    };
    match e.verdict {
        Decision::Allow => answer("allow", &format!("expacti: {}", e.why)),
        Decision::Deny => answer(
            "deny",
            &format!("expacti denied this command: {} ({risk})", e.why),
        ),
        Decision::Review => answer("ask", &format!("expacti: {} ({risk})", e.why)),
    }
}
