//! Load test (issue 10): the release `expacti-server` binary as its own process on loopback,
//! with, at once,
//!
//! 1. `--shells` (default 10,000) shells connected and waiting for a reviewer;
//! 2. a burst of `--burst-rate` (default 1,000) auto-allowed requests per second for
//!    `--burst-secs` (default 60) seconds, sent on a fixed schedule (open loop: latency is
//!    measured from the time a request was due, so a slow server cannot hide its queue);
//! 3. reviewers approving the waiting requests at `--approve-rate` (default 100) per second
//!    through the HTTP API, then the rest as fast as they answer.
//!
//! It reports latency percentiles, the server's memory (resident, and its peak), and checks
//! that no decision was lost or duplicated: every shell got exactly one decision, the audit
//! export holds exactly one decision record per request and verifies.
//!
//! ```text
//! cargo build --release -p expacti-server
//! cargo run --release -p expacti-benches --example load -- [--shells N] [--burst-rate R]
//!     [--burst-secs S] [--approve-rate A] [--database postgres://…]
//! ```
//!
//! Bounded: it stops by itself; loopback only; the data directory is removed at the end.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use expacti_core::protocol::{ClientMessage, Outcome, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

const POLICY: &str = r#"version = 1
[settings]
default = "review"
timeout = "30m"
[[rule]]
id = "build"
action = "allow"
match = ["npm ci", "cargo test **"]
"#;

struct Opts {
    shells: usize,
    burst_rate: usize,
    burst_secs: u64,
    approve_rate: usize,
    database: Option<String>,
}

fn opts() -> anyhow::Result<Opts> {
    let mut o = Opts {
        shells: 10_000,
        burst_rate: 1_000,
        burst_secs: 60,
        approve_rate: 100,
        database: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--shells" => o.shells = val()?.parse()?,
            "--burst-rate" => o.burst_rate = val()?.parse()?,
            "--burst-secs" => o.burst_secs = val()?.parse()?,
            "--approve-rate" => o.approve_rate = val()?.parse()?,
            "--database" => o.database = Some(val()?),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(o)
}

/// The server binary beside this example's directory (`target/release/expacti-server`).
fn server_bin() -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let p = exe
        .parent()
        .and_then(|d| d.parent())
        .map(|d| d.join("expacti-server"))
        .context("no target directory")?;
    if !p.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p expacti-server` first",
            p.display()
        );
    }
    Ok(p)
}

fn admin(
    bin: &std::path::Path,
    data: &std::path::Path,
    db: &Option<String>,
    args: &[&str],
) -> anyhow::Result<String> {
    let mut c = Command::new(bin);
    c.args(args).arg("--data").arg(data);
    if let Some(d) = db {
        c.arg("--database").arg(d);
    }
    let out = c.output()?;
    if !out.status.success() {
        bail!("{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// CPU seconds (user + system) a process used, from `/proc/PID/stat`.
fn cpu(pid: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // rest starts at field 3 (state, not a number, skipped by the parse): utime = f[10].
    (f.get(10).copied().unwrap_or(0.0) + f.get(11).copied().unwrap_or(0.0)) / 100.0
}

/// (resident, peak resident) in MiB, from `/proc/PID/status`.
fn memory(pid: u32) -> (f64, f64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

async fn connect(addr: &str, token: &str) -> anyhow::Result<Ws> {
    let mut req = format!("ws://{addr}/ws/shell").into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(tokio_tungstenite::connect_async(req).await?.0)
}

async fn next_message(ws: &mut Ws) -> anyhow::Result<ServerMessage> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str())?),
            Some(Ok(_)) => continue,
            other => bail!("connection ended: {other:?}"),
        }
    }
}

fn request(id: String, command: String) -> anyhow::Result<Message> {
    Ok(Message::Text(
        serde_json::to_string(&ClientMessage::Request {
            id,
            command,
            context: [("source".to_string(), "ci".to_string())].into(),
            timeout_secs: Some(3600),
        })?
        .into(),
    ))
}

/// A keep-alive HTTP/1.1 connection for the reviewer's API calls.
struct Http {
    stream: TcpStream,
    addr: String,
    token: String,
}

impl Http {
    async fn open(addr: &str, token: &str) -> anyhow::Result<Http> {
        Ok(Http {
            stream: TcpStream::connect(addr).await?,
            addr: addr.to_string(),
            token: token.to_string(),
        })
    }

    async fn call(&mut self, method: &str, path: &str) -> anyhow::Result<(u16, String)> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
            self.addr, self.token
        );
        self.stream.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let (head_end, len) = loop {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .context("no content-length")?;
                break (i + 4, len);
            }
        };
        while buf.len() < head_end + len {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let status = String::from_utf8_lossy(&buf[..head_end])
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Ok((
            status,
            String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string(),
        ))
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

fn row(name: &str, mut v: Vec<Duration>, wall: Duration) {
    v.sort();
    println!(
        "| {name} | {} | {:.0}/s | {:.2} | {:.2} | {:.2} | {:.2} |",
        v.len(),
        v.len() as f64 / wall.as_secs_f64().max(1e-9),
        pct(&v, 0.50),
        pct(&v, 0.90),
        pct(&v, 0.99),
        v.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = opts()?;
    let bin = server_bin()?;
    let data = std::env::temp_dir().join(format!("expacti-load-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let policy = data.join("policy.toml");
    std::fs::write(&policy, POLICY)?;
    // Storage first (migrations, the admin account), then tokens.
    admin(&bin, &data, &o.database, &["token", "list"])?;
    let shell = admin(
        &bin,
        &data,
        &o.database,
        &["token", "create", "--name", "load"],
    )?;
    let reviewer = admin(
        &bin,
        &data,
        &o.database,
        &["reviewer", "token", "create", "--name", "admin"],
    )?;
    let mut cmd = Command::new(&bin);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--policy"])
        .arg(&policy)
        .arg("--data")
        .arg(&data)
        .env("EXPACTI_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(d) = &o.database {
        cmd.arg("--database").arg(d);
    }
    let mut child = cmd.spawn()?;
    let mut out = BufReader::new(child.stdout.take().context("stdout")?);
    let mut line = String::new();
    out.read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .with_context(|| format!("unexpected first line {line:?}"))?
        .to_string();
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    let server = Server { child, addr };
    let pid = server.child.id();
    let (rss0, _) = memory(pid);
    println!(
        "server pid {pid} on {} ({}), {:.1} MiB resident at start",
        server.addr,
        o.database.as_deref().map_or("SQLite", |_| "PostgreSQL"),
        rss0
    );

    // 1. The waiting shells.
    let t0 = Instant::now();
    let approved_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let decisions = Arc::new(AtomicUsize::new(0));
    let mut waiting = Vec::with_capacity(o.shells);
    let mut submit_lat = Vec::with_capacity(o.shells);
    let mut ids = Vec::with_capacity(o.shells);
    let (lat_tx, mut lat_rx) =
        tokio::sync::mpsc::unbounded_channel::<(String, Duration, Duration)>();
    for batch in (0..o.shells).collect::<Vec<_>>().chunks(250) {
        let mut opened = Vec::new();
        for &i in batch {
            let (addr, token) = (server.addr.clone(), shell.clone());
            opened.push(tokio::spawn(async move {
                let mut ws = connect(&addr, &token).await?;
                let t = Instant::now();
                ws.send(request(
                    format!("wait-{i}"),
                    format!("deploy service-{i} --to production"),
                )?)
                .await?;
                match next_message(&mut ws).await? {
                    ServerMessage::Pending { request, .. } => {
                        Ok::<_, anyhow::Error>((ws, request, t.elapsed()))
                    }
                    m => bail!("shell {i}: expected pending, got {m:?}"),
                }
            }));
        }
        for h in opened {
            let (mut ws, request, lat) = h.await??;
            submit_lat.push(lat);
            ids.push(request.clone());
            let (approved_at, decisions, lat_tx) =
                (approved_at.clone(), decisions.clone(), lat_tx.clone());
            waiting.push(tokio::spawn(async move {
                let mut got = 0usize;
                loop {
                    match next_message(&mut ws).await {
                        Ok(ServerMessage::Decision {
                            outcome,
                            request: r,
                            ..
                        }) => {
                            if outcome != Outcome::Allow || r != request {
                                bail!("unexpected decision {outcome:?} for {r}");
                            }
                            got += 1;
                            decisions.fetch_add(1, Ordering::Relaxed);
                            let sent = approved_at.lock().await.get(&request).copied();
                            if let Some(sent) = sent {
                                let _ =
                                    lat_tx.send((request.clone(), sent.elapsed(), Duration::ZERO));
                            }
                            // Anything more within a moment would be a duplicate.
                            match tokio::time::timeout(
                                Duration::from_millis(200),
                                next_message(&mut ws),
                            )
                            .await
                            {
                                Ok(Ok(ServerMessage::Decision { .. })) => got += 1,
                                _ => return Ok(got),
                            }
                        }
                        Ok(_) => continue,
                        Err(e) => bail!("shell for {request}: {e}"),
                    }
                    if got > 1 {
                        return Ok(got);
                    }
                }
            }));
        }
    }
    drop(lat_tx);
    let held = t0.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss_w, hwm_w) = memory(pid);
    println!(
        "{} shells waiting after {:.1} s: server {:.1} MiB resident ({:.1} MiB peak), {:.1} KiB a shell",
        o.shells,
        held.as_secs_f64(),
        rss_w,
        hwm_w,
        (rss_w - rss0) * 1024.0 / o.shells.max(1) as f64
    );

    // 2 and 3 at once: the burst, and the reviewers.
    let burst_total = o.burst_rate * o.burst_secs as usize;
    let conns = (o.burst_rate / 50).clamp(1, 64);
    let period = Duration::from_secs_f64(conns as f64 / o.burst_rate.max(1) as f64);
    let per_conn = burst_total / conns;
    let start = Instant::now() + Duration::from_millis(200);
    let mut bursts = Vec::new();
    for c in 0..conns {
        let (addr, token) = (server.addr.clone(), shell.clone());
        bursts.push(tokio::spawn(async move {
            let mut ws = connect(&addr, &token).await?;
            let mut lat = Vec::with_capacity(per_conn);
            let mut sent_lat = Vec::with_capacity(per_conn);
            // Spread the connections over one period.
            let offset = period.mul_f64(c as f64 / conns as f64);
            for k in 0..per_conn {
                let due = start + offset + period * k as u32;
                tokio::time::sleep_until(due.into()).await;
                let cmd = if k % 2 == 0 {
                    "npm ci".to_string()
                } else {
                    format!("cargo test --workspace --release -j {}", k % 7 + 1)
                };
                let sent = Instant::now();
                ws.send(request(format!("burst-{c}-{k}"), cmd)?).await?;
                match next_message(&mut ws).await? {
                    ServerMessage::Decision {
                        outcome: Outcome::Allow,
                        ..
                    } => {
                        lat.push(due.elapsed());
                        sent_lat.push(sent.elapsed());
                    }
                    m => bail!("burst: expected an allow, got {m:?}"),
                }
            }
            Ok::<_, anyhow::Error>((lat, sent_lat))
        }));
    }
    let peak = Arc::new(std::sync::Mutex::new((0.0f64, 0.0f64)));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let m = memory(pid);
                if let Ok(mut p) = peak.lock() {
                    p.0 = p.0.max(m.0);
                    p.1 = p.1.max(m.1);
                }
            }
        })
    };
    let approve_start = Instant::now();
    let cpu_start = (cpu(&pid.to_string()), cpu("self"));
    let paced = (o.approve_rate * o.burst_secs as usize).min(ids.len());
    let reviewers = 4usize;
    let mut approvers = Vec::new();
    for r in 0..reviewers {
        let mine: Vec<(usize, String)> = ids
            .iter()
            .cloned()
            .enumerate()
            .filter(|(i, _)| i % reviewers == r)
            .collect();
        let (addr, token, approved_at) =
            (server.addr.clone(), reviewer.clone(), approved_at.clone());
        let rate = o.approve_rate;
        approvers.push(tokio::spawn(async move {
            let mut http = Http::open(&addr, &token).await?;
            let mut lat = Vec::new();
            let mut fast = Vec::new();
            for (i, id) in mine {
                if i < paced {
                    let due = start + Duration::from_secs_f64(i as f64 / rate.max(1) as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let t = Instant::now();
                approved_at.lock().await.insert(id.clone(), t);
                let (status, body) = http
                    .call("POST", &format!("/api/requests/{id}/approve"))
                    .await?;
                if status != 200 {
                    bail!("approve {id}: {status} {body}");
                }
                if i < paced {
                    lat.push(t.elapsed())
                } else {
                    fast.push(t.elapsed())
                }
            }
            Ok::<_, anyhow::Error>((lat, fast))
        }));
    }
    let mut burst_lat = Vec::new();
    let mut burst_sent = Vec::new();
    for b in bursts {
        let (l, s) = b.await??;
        burst_lat.extend(l);
        burst_sent.extend(s);
    }
    let burst_wall = start.elapsed();
    let cpu_burst = (
        cpu(&pid.to_string()) - cpu_start.0,
        cpu("self") - cpu_start.1,
    );
    let mut approve_lat = Vec::new();
    let mut fast_lat = Vec::new();
    for a in approvers {
        let (l, f) = a.await??;
        approve_lat.extend(l);
        fast_lat.extend(f);
    }
    let approve_wall = approve_start.elapsed();
    let mut got = Vec::new();
    for w in waiting {
        got.push(w.await??);
    }
    sampler.abort();
    let mut deliver = Vec::new();
    while let Some((_, d, _)) = lat_rx.recv().await {
        deliver.push(d);
    }
    let (rss_end, hwm_end) = memory(pid);
    let peak = peak.lock().map(|p| *p).unwrap_or_default();

    println!("\n| what | count | rate | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|");
    row("shell connects and gets `pending`", submit_lat, held);
    row(
        "auto-allowed request, due → decision",
        burst_lat,
        burst_wall,
    );
    row(
        "auto-allowed request, sent → decision",
        burst_sent,
        burst_wall,
    );
    let paced_n = approve_lat.len();
    row(
        &format!("approve call, paced ({paced_n})"),
        approve_lat,
        Duration::from_secs(o.burst_secs),
    );
    row(
        "approve call, as fast as answered",
        fast_lat,
        approve_wall.saturating_sub(Duration::from_secs(o.burst_secs)),
    );
    row(
        "approval sent → shell has the decision",
        deliver,
        approve_wall,
    );
    println!(
        "\nserver memory: {:.1} MiB at start, {:.1} MiB with {} shells waiting, peak {:.1} MiB (VmHWM {:.1} MiB), {:.1} MiB at the end",
        rss0,
        rss_w,
        o.shells,
        peak.0,
        hwm_end.max(peak.1),
        rss_end
    );

    println!(
        "CPU during the burst ({:.1} s, 2 cores here): server {:.1} s ({:.0}% of one core), this load generator {:.1} s",
        burst_wall.as_secs_f64(),
        cpu_burst.0,
        cpu_burst.0 * 100.0 / burst_wall.as_secs_f64(),
        cpu_burst.1
    );
    // Nothing lost, nothing twice.
    let once = got.iter().filter(|&&n| n == 1).count();
    println!("shells with exactly one decision: {once} of {}", got.len());
    let mut http = Http::open(&server.addr, &reviewer).await?;
    let (status, export) = http.call("GET", "/api/audit/export").await?;
    if status != 200 {
        bail!("audit export: {status}");
    }
    let report = expacti_core::audit::verify(&export, None);
    let mut per_request: HashMap<String, usize> = HashMap::new();
    for l in export.lines() {
        let v: serde_json::Value = serde_json::from_str(l)?;
        if v.get("event").is_none() && v.get("checkpoint").is_none() {
            if let Some(id) = v["id"].as_str() {
                *per_request.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    let twice = per_request.values().filter(|&&n| n > 1).count();
    let missing = ids
        .iter()
        .filter(|id| !per_request.contains_key(*id))
        .count();
    println!(
        "audit: {} decision records for {} requests ({} burst + {} reviewed); {} requests twice, {} reviewed requests missing; chain {}",
        per_request.values().sum::<usize>(),
        per_request.len(),
        burst_total,
        ids.len(),
        twice,
        missing,
        if report.ok() {
            "verifies"
        } else {
            "DOES NOT VERIFY"
        }
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    if once != got.len()
        || twice > 0
        || missing > 0
        || !report.ok()
        || per_request.len() != burst_total + ids.len()
    {
        bail!("lost or duplicated decisions");
    }
    Ok(())
}
