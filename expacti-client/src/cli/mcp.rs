//! `expacti mcp`: a Model Context Protocol server on standard input and output (JSON-RPC 2.0,
//! one message a line) exposing one tool, `run_command`, that runs a shell command only when
//! the expacti server approves it, and returns its exit code and output. A denied, timed-out
//! or undecidable command is returned as a tool error and does not run.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use expacti_client::run::{RunOptions, context_from_env, run_captured};
use serde_json::{Value, json};

/// The largest message read (a longer line is refused, and the rest of it skipped).
const MAX_LINE: usize = 1 << 20;
/// The most output returned of each stream.
const MAX_OUTPUT: usize = 64 * 1024;
/// The protocol revision answered when the client asks for none this server knows.
const PROTOCOL: &str = "2025-06-18";
const KNOWN: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18"];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server URL.
    #[arg(long, env = "EXPACTI_URL")]
    url: String,
    /// The shell token.
    #[arg(long, env = "EXPACTI_SHELL_TOKEN", hide_env_values = true)]
    token: String,
    /// Seconds to wait for a decision, per command.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

fn tool() -> Value {
    json!({
        "name": "run_command",
        "title": "Run a shell command (gated by expacti)",
        "description": "Runs one bash command line after expacti approves it: routine commands run at once, risky ones wait for a human reviewer, denied ones do not run. Returns the exit code, standard output and standard error.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "command": { "type": "string", "description": "The bash command line." },
                "reason": { "type": "string", "description": "Why you want to run it (shown to the reviewer)." }
            },
            "required": ["command"],
            "additionalProperties": false
        }
    })
}

fn ok(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

fn err(id: &Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    let mut client = String::from("mcp");
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(ExitCode::SUCCESS);
        }
        if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
            // Skip the rest of the oversized line.
            let mut rest = Vec::new();
            input.read_until(b'\n', &mut rest)?;
            send(
                &mut out,
                &err(&Value::Null, -32600, "message larger than 1 MiB"),
            )?;
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let msg: Value = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(e) => {
                send(
                    &mut out,
                    &err(&Value::Null, -32700, &format!("parse error: {e}")),
                )?;
                continue;
            }
        };
        let id = msg.get("id").cloned();
        let method = msg
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(id) = id else {
            // A notification (`notifications/initialized`, cancellations): no answer.
            continue;
        };
        let reply = match method {
            "initialize" => {
                if let Some(name) = msg
                    .pointer("/params/clientInfo/name")
                    .and_then(Value::as_str)
                {
                    client = name.chars().take(64).collect();
                }
                let asked = msg
                    .pointer("/params/protocolVersion")
                    .and_then(Value::as_str)
                    .filter(|v| KNOWN.contains(v))
                    .unwrap_or(PROTOCOL);
                ok(
                    &id,
                    json!({
                        "protocolVersion": asked,
                        "capabilities": { "tools": { "listChanged": false } },
                        "serverInfo": { "name": "expacti", "version": env!("CARGO_PKG_VERSION") },
                        "instructions": "Use run_command for every shell command; risky commands wait for a human reviewer."
                    }),
                )
            }
            "ping" => ok(&id, json!({})),
            "tools/list" => ok(&id, json!({ "tools": [tool()] })),
            "tools/call" => {
                let name = msg.pointer("/params/name").and_then(Value::as_str);
                let command = msg
                    .pointer("/params/arguments/command")
                    .and_then(Value::as_str);
                match (name, command) {
                    (Some("run_command"), Some(command)) => {
                        let mut context = context_from_env();
                        context.insert("source".into(), "agent".into());
                        context.insert("agent".into(), client.clone());
                        if let Some(r) = msg
                            .pointer("/params/arguments/reason")
                            .and_then(Value::as_str)
                        {
                            context.insert("reason".into(), r.chars().take(1000).collect());
                        }
                        let opts = RunOptions {
                            url: a.url.clone(),
                            token: a.token.clone(),
                            timeout: Duration::from_secs(a.timeout.max(1)),
                            context,
                            command: command.to_string(),
                            request_id: None,
                        };
                        let c = rt.block_on(run_captured(&opts, MAX_OUTPUT));
                        let text = if c.ran {
                            format!(
                                "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                                c.code,
                                String::from_utf8_lossy(&c.stdout),
                                String::from_utf8_lossy(&c.stderr)
                            )
                        } else {
                            format!(
                                "expacti did not run this command: {}",
                                String::from_utf8_lossy(&c.stderr)
                            )
                        };
                        ok(
                            &id,
                            json!({
                                "content": [{ "type": "text", "text": text }],
                                "structuredContent": { "ran": c.ran, "exit_code": c.code },
                                "isError": !c.ran || c.code != 0,
                            }),
                        )
                    }
                    (Some("run_command"), None) => {
                        err(&id, -32602, "run_command needs a `command` string")
                    }
                    _ => err(&id, -32602, "unknown tool"),
                }
            }
            _ => err(&id, -32601, &format!("method not found: {method}")),
        };
        send(&mut out, &reply)?;
    }
}

fn send(out: &mut impl Write, v: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")?;
    out.flush()
}
