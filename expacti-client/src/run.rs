//! The client half of the shell protocol: ask the server, wait, run the command only when an
//! approval naming it arrives, report the exit code.
//!
//! Exit codes (SPEC §5): the command's own code when it ran; 126 denied; 124 the review timed
//! out; 125 no decision could be had (server unreachable, bad token, protocol error).
//! The client enforces its own timeout as well as the server's: whatever happens to the
//! server or the connection, the command does not run without an approval.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use expacti_core::audit::{hex, sha256_hex};
use expacti_core::protocol::{ClientMessage, MAX_FRAME, Outcome, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The command ran: its code is the exit code.
pub const DENIED: i32 = 126;
/// The review timed out.
pub const TIMED_OUT: i32 = 124;
/// No decision could be had.
pub const NO_DECISION: i32 = 125;

/// Extra seconds past the timeout for the server's own timeout decision to arrive.
const GRACE: Duration = Duration::from_secs(3);

/// What `run` needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The server (`http://host:port`, `ws://…`, or the full `/ws/shell` URL).
    pub url: String,
    /// The shell token.
    pub token: String,
    /// How long to wait for a decision.
    pub timeout: Duration,
    /// Context sent with the request.
    pub context: BTreeMap<String, String>,
    /// The command line.
    pub command: String,
    /// The client request id; random when `None`.
    pub request_id: Option<String>,
}

/// The WebSocket URL of a server URL.
pub fn ws_url(url: &str) -> String {
    let u = url.trim_end_matches('/');
    let u = if let Some(r) = u.strip_prefix("http://") {
        format!("ws://{r}")
    } else if let Some(r) = u.strip_prefix("https://") {
        format!("wss://{r}")
    } else {
        u.to_string()
    };
    if u.ends_with("/ws/shell") {
        u
    } else {
        format!("{u}/ws/shell")
    }
}

/// Context from the environment: GitHub Actions' variables when present, the host and the
/// working directory.
pub fn context_from_env() -> BTreeMap<String, String> {
    let mut c = BTreeMap::new();
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        c.insert("source".into(), "ci".into());
        for (key, env) in [
            ("repository", "GITHUB_REPOSITORY"),
            ("workflow", "GITHUB_WORKFLOW"),
            ("run_id", "GITHUB_RUN_ID"),
            ("job", "GITHUB_JOB"),
            ("step", "GITHUB_ACTION"),
            ("sha", "GITHUB_SHA"),
            ("ref", "GITHUB_REF"),
            ("actor", "GITHUB_ACTOR"),
        ] {
            if let Some(v) = var(env) {
                c.insert(key.into(), v);
            }
        }
    } else {
        c.insert("source".into(), "cli".into());
    }
    if let Some(h) = var("HOSTNAME").or_else(|| {
        std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }) {
        c.insert("host".into(), h);
    }
    if let Ok(d) = std::env::current_dir() {
        c.insert("cwd".into(), d.display().to_string());
    }
    c
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

enum Connect {
    Ok(Box<Ws>),
    /// The server answered and refused (bad token, not a WebSocket endpoint): final.
    Refused(String),
    /// Nobody answered: may be tried again.
    Unreachable(String),
}

async fn connect(url: &str, token: &str) -> Connect {
    let mut req = match url.into_client_request() {
        Ok(r) => r,
        Err(e) => return Connect::Refused(format!("`{url}`: {e}")),
    };
    match HeaderValue::from_str(&format!("Bearer {token}")) {
        Ok(v) => {
            req.headers_mut().insert("authorization", v);
        }
        Err(_) => return Connect::Refused("the token holds characters a header cannot".into()),
    }
    let cfg = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    match tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_with_config(req, Some(cfg), false),
    )
    .await
    {
        Ok(Ok((ws, _))) => Connect::Ok(Box::new(ws)),
        Ok(Err(WsError::Http(resp))) => Connect::Refused(match resp.status().as_u16() {
            401 => "the server refused the shell token".into(),
            s => format!("the server answered HTTP {s}"),
        }),
        Ok(Err(e)) => Connect::Unreachable(e.to_string()),
        Err(_) => Connect::Unreachable("connecting took longer than 10 s".into()),
    }
}

/// Asks the server about `opts.command`, runs it through `bash -c` only when approved, and
/// returns the exit code. One line on `err` says why when the command did not run.
pub async fn run(opts: &RunOptions, err: &mut (dyn Write + Send)) -> i32 {
    match approval(opts, err).await {
        Ok(a) => a.run(opts).await,
        Err(code) => code,
    }
}

/// An approval of one command, with the connection that reports its exit code.
#[derive(Debug)]
pub struct Approval {
    ws: Box<Ws>,
    id: String,
}

impl Approval {
    /// Runs the approved command through `bash -c` with the caller's standard streams and
    /// working directory, reports its exit code, and returns it.
    pub async fn run(self, opts: &RunOptions) -> i32 {
        let code = execute(&opts.command).await;
        report_exit(opts, self.ws, self.id, code).await;
        code
    }
}

/// Waits for the server's decision. `Err` carries the exit code to use ([`DENIED`],
/// [`TIMED_OUT`], [`NO_DECISION`]) after one line on `err` saying why.
pub async fn approval(opts: &RunOptions, err: &mut (dyn Write + Send)) -> Result<Approval, i32> {
    match decide(opts, err).await {
        Ok(Decided::Allow(ws, id)) => Ok(Approval { ws, id }),
        Ok(Decided::Deny(why)) => {
            let _ = writeln!(err, "expacti: denied: {why}");
            Err(DENIED)
        }
        Ok(Decided::TimedOut(why)) => {
            let _ = writeln!(err, "expacti: not run: {why}");
            Err(TIMED_OUT)
        }
        Err(why) => {
            let _ = writeln!(err, "expacti: not run: {why}");
            Err(NO_DECISION)
        }
    }
}

/// The server's answer about a command, for callers that run it themselves (the Claude Code
/// hook hands the answer back to the agent, which runs the command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Approved: this exact command may run.
    Allow,
    /// Denied, with why.
    Deny(String),
    /// Nobody answered in time: denied.
    TimedOut(String),
    /// No decision could be had (unreachable, refused, protocol error): do not run.
    NoDecision(String),
}

/// Asks the server about `opts.command` and returns its answer; runs nothing.
pub async fn ask(opts: &RunOptions, err: &mut (dyn Write + Send)) -> Answer {
    match decide(opts, err).await {
        Ok(Decided::Allow(mut ws, _)) => {
            let _ = ws.close(None).await;
            Answer::Allow
        }
        Ok(Decided::Deny(why)) => Answer::Deny(why),
        Ok(Decided::TimedOut(why)) => Answer::TimedOut(why),
        Err(why) => Answer::NoDecision(why),
    }
}

/// What [`run_captured`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The exit code ([`DENIED`], [`TIMED_OUT`], [`NO_DECISION`] when it did not run).
    pub code: i32,
    /// Whether the command ran.
    pub ran: bool,
    /// Its standard output (at most `limit` bytes), or empty.
    pub stdout: Vec<u8>,
    /// Its standard error (at most `limit` bytes), or why it did not run.
    pub stderr: Vec<u8>,
}

/// Like [`run`], with the command's output captured (at most `limit` bytes of each stream)
/// instead of inherited, for the MCP tool; standard input is closed.
pub async fn run_captured(opts: &RunOptions, limit: usize) -> Captured {
    let mut log: Vec<u8> = Vec::new();
    let refused = |code, why: String| Captured {
        code,
        ran: false,
        stdout: Vec::new(),
        stderr: why.into_bytes(),
    };
    match decide(opts, &mut log).await {
        Ok(Decided::Allow(ws, id)) => {
            let out = tokio::process::Command::new(shell())
                .arg("-c")
                .arg(&opts.command)
                .stdin(std::process::Stdio::null())
                .output()
                .await;
            let (code, mut stdout, mut stderr) = match out {
                Ok(o) => (exit_code(o.status), o.stdout, o.stderr),
                Err(e) => (127, Vec::new(), e.to_string().into_bytes()),
            };
            stdout.truncate(limit);
            stderr.truncate(limit);
            report_exit(opts, ws, id, code).await;
            Captured {
                code,
                ran: true,
                stdout,
                stderr,
            }
        }
        Ok(Decided::Deny(why)) => refused(DENIED, format!("denied: {why}")),
        Ok(Decided::TimedOut(why)) => refused(TIMED_OUT, format!("not run: {why}")),
        Err(why) => refused(NO_DECISION, format!("not run: {why}")),
    }
}

fn exit_code(s: std::process::ExitStatus) -> i32 {
    s.code().unwrap_or_else(|| {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            128 + s.signal().unwrap_or(0)
        }
        #[cfg(not(unix))]
        {
            1
        }
    })
}

enum Decided {
    Allow(Box<Ws>, String),
    Deny(String),
    TimedOut(String),
}

fn request_id(opts: &RunOptions) -> String {
    opts.request_id.clone().unwrap_or_else(|| {
        let mut b = [0u8; 16];
        // Without randomness, a time-based id still keeps requests apart.
        if getrandom::fill(&mut b).is_err() {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            b = t.to_le_bytes();
        }
        hex(&b)
    })
}

/// Waits for the decision, reconnecting and resuming the same request while the deadline
/// allows.
async fn decide(opts: &RunOptions, err: &mut (dyn Write + Send)) -> Result<Decided, String> {
    let url = ws_url(&opts.url);
    let id = request_id(opts);
    let sha = sha256_hex(opts.command.as_bytes());
    let deadline = Instant::now() + opts.timeout + GRACE;
    let request = ClientMessage::Request {
        id: id.clone(),
        command: opts.command.clone(),
        context: opts.context.clone(),
        timeout_secs: Some(opts.timeout.as_secs().max(1)),
    };
    let request_text = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let mut known = false; // The server has the request: reconnect until the deadline.
    let mut failures = 0u32;
    let mut said_pending = false;
    loop {
        if Instant::now() >= deadline {
            return if known {
                Err("lost the connection to the server and no decision arrived in time".into())
            } else {
                Err(format!("the server at {url} could not be reached"))
            };
        }
        let mut ws = match connect(&url, &opts.token).await {
            Connect::Ok(ws) => ws,
            Connect::Refused(why) => return Err(why),
            Connect::Unreachable(why) => {
                failures += 1;
                if !known && failures >= 3 {
                    return Err(format!("the server at {url} could not be reached: {why}"));
                }
                let wait = Duration::from_millis(250 * u64::from(failures.min(8)));
                tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now())))
                    .await;
                continue;
            }
        };
        failures = 0;
        if ws
            .send(Message::Text(request_text.clone().into()))
            .await
            .is_err()
        {
            continue;
        }
        let mut keepalive = tokio::time::interval(Duration::from_secs(20));
        keepalive.tick().await;
        loop {
            let msg = tokio::select! {
                m = ws.next() => m,
                _ = keepalive.tick() => {
                    let ping = serde_json::to_string(&ClientMessage::Ping).unwrap_or_default();
                    if ws.send(Message::Text(ping.into())).await.is_err() { break; }
                    continue;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return Ok(Decided::TimedOut(format!("no decision within {} s", opts.timeout.as_secs())));
                }
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            };
            let Ok(m) = serde_json::from_str::<ServerMessage>(text.as_str()) else {
                return Err("the server sent a message this client does not understand".into());
            };
            match m {
                ServerMessage::Pending {
                    id: rid,
                    url: link,
                    expires_in_secs,
                    risk,
                    ..
                } if rid == id => {
                    known = true;
                    if !said_pending {
                        said_pending = true;
                        let _ = writeln!(
                            err,
                            "expacti: waiting for a reviewer ({risk} risk, {expires_in_secs} s): {link}"
                        );
                    }
                }
                ServerMessage::Decision {
                    id: rid,
                    command_sha256,
                    outcome,
                    why,
                    ..
                } if rid == id => {
                    return match outcome {
                        // An approval runs only the exact command it names.
                        Outcome::Allow if command_sha256 == sha => Ok(Decided::Allow(ws, id)),
                        Outcome::Allow => {
                            Err("the approval names another command: not running it".into())
                        }
                        Outcome::Deny => Ok(Decided::Deny(why)),
                        Outcome::TimedOut => Ok(Decided::TimedOut(why)),
                    };
                }
                ServerMessage::Error { message, .. } => {
                    return Err(format!("the server refused the request: {message}"));
                }
                _ => {}
            }
        }
    }
}

/// bash (the shell expacti parses for), else `sh`.
fn shell() -> &'static str {
    if std::path::Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "sh"
    }
}

/// Runs the command line with [`shell`], inheriting stdio.
async fn execute(command: &str) -> i32 {
    match tokio::process::Command::new(shell())
        .arg("-c")
        .arg(command)
        .status()
        .await
    {
        Ok(s) => exit_code(s),
        Err(_) => 127,
    }
}

/// Tells the server the exit code, reconnecting once if needed (best effort: the decision is
/// already recorded; the exit code completes the audit record).
async fn report_exit(opts: &RunOptions, ws: Box<Ws>, id: String, code: i32) {
    let msg = match serde_json::to_string(&ClientMessage::Exit {
        id: id.clone(),
        code,
    }) {
        Ok(m) => m,
        Err(_) => return,
    };
    let mut ws = Some(ws);
    for _ in 0..2 {
        let mut sock = match ws.take() {
            Some(s) => s,
            None => match connect(&ws_url(&opts.url), &opts.token).await {
                Connect::Ok(s) => s,
                _ => return,
            },
        };
        if sock.send(Message::Text(msg.clone().into())).await.is_err() {
            continue;
        }
        let wait = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(m)) = sock.next().await {
                if let Message::Text(t) = m
                    && let Ok(
                        ServerMessage::ExitRecorded { id: rid }
                        | ServerMessage::Error { id: Some(rid), .. },
                    ) = serde_json::from_str::<ServerMessage>(t.as_str())
                    && rid == id
                {
                    return true;
                }
            }
            false
        })
        .await;
        if wait == Ok(true) {
            let _ = sock.close(None).await;
            return;
        }
    }
}
