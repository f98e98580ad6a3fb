//! Load script (issue 6): auto-allowed requests to a real `expacti-server` on loopback,
//! round-trip latency percentiles, with a protocol ping on the same connections as the
//! baseline in the same run (what the WebSocket and the runtime cost without a decision).
//!
//! `cargo run --release -p expacti-benches --example server_auto_allow -- [REQUESTS] [SHELLS] [sqlite|postgres://…]`
//!
//! Bounded: REQUESTS (default 20,000) in total over SHELLS (default 4) connections, loopback
//! only, then it stops by itself.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use expacti_core::protocol::{ClientMessage, Outcome, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn round_trip(ws: &mut Ws, msg: &ClientMessage) -> anyhow::Result<ServerMessage> {
    ws.send(Message::Text(serde_json::to_string(msg)?.into()))
        .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str())?),
            Some(Ok(_)) => continue,
            other => anyhow::bail!("connection ended: {other:?}"),
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn show(name: &str, mut v: Vec<Duration>, wall: Duration) {
    v.sort();
    println!(
        "| {name} | {} | {:.0}/s | {:.3} | {:.3} | {:.3} | {:.3} |",
        v.len(),
        v.len() as f64 / wall.as_secs_f64(),
        pct(&v, 0.50).as_secs_f64() * 1e3,
        pct(&v, 0.90).as_secs_f64() * 1e3,
        pct(&v, 0.99).as_secs_f64() * 1e3,
        v.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args.get(1).map_or(Ok(20_000), |a| a.parse())?;
    let shells: usize = args.get(2).map_or(Ok(4), |a| a.parse())?.max(1);
    let database = args.get(3).filter(|d| d.as_str() != "sqlite").cloned();
    let data = std::env::temp_dir().join(format!("expacti-load-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let policy = data.join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n[[rule]]\nid = \"build\"\naction = \"allow\"\nmatch = [\"npm ci\", \"cargo test **\"]\n",
    )?;
    let storage = expacti_server::Storage {
        data: data.clone(),
        database,
    };
    let db = storage.open().await?;
    let (_, token) = expacti_server::admin::create_shell_token(&db, "load", None, None).await?;
    drop(db);
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let listen = format!("127.0.0.1:{port}");
    let opts = expacti_server::ServeOptions {
        listen: listen.clone(),
        storage,
        policy: Some(policy),
        public_url: None,
        notify: None,
        clock: expacti_server::time::Clock::default(),
        abandon_after: expacti_server::ABANDON_AFTER,
    };
    tokio::spawn(async move {
        if let Err(e) = expacti_server::serve(opts).await {
            eprintln!("server: {e}");
        }
    });
    let mut conns = Vec::new();
    for _ in 0..200 {
        let mut req = format!("ws://{listen}/ws/shell").into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        match tokio_tungstenite::connect_async(req).await {
            Ok((ws, _)) => {
                conns.push(ws);
                if conns.len() == shells {
                    break;
                }
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    anyhow::ensure!(conns.len() == shells, "could not connect to the server");
    let per = total / shells;
    let commands = ["npm ci", "cargo test --workspace --locked"];

    // Warm-up, not measured.
    for (c, ws) in conns.iter_mut().enumerate() {
        for i in 0..200 {
            let m = ClientMessage::Request {
                id: format!("warm-{c}-{i}"),
                command: commands[i % 2].into(),
                context: BTreeMap::new(),
                timeout_secs: Some(60),
            };
            round_trip(ws, &m).await?;
        }
    }

    println!("| what | requests | throughput | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|");
    for phase in ["ping (baseline)", "auto-allowed request"] {
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for (c, mut ws) in std::mem::take(&mut conns).into_iter().enumerate() {
            let phase = phase.to_string();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per);
                for i in 0..per {
                    let m = if phase.starts_with("ping") {
                        ClientMessage::Ping
                    } else {
                        ClientMessage::Request {
                            id: format!("load-{c}-{i}"),
                            command: commands[i % 2].into(),
                            context: BTreeMap::from([("source".into(), "ci".into())]),
                            timeout_secs: Some(60),
                        }
                    };
                    let t = Instant::now();
                    let r = round_trip(&mut ws, &m).await?;
                    lat.push(t.elapsed());
                    match r {
                        ServerMessage::Pong => {}
                        ServerMessage::Decision {
                            outcome: Outcome::Allow,
                            ..
                        } => {}
                        other => anyhow::bail!("unexpected answer: {other:?}"),
                    }
                }
                Ok::<_, anyhow::Error>((ws, lat))
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            let (ws, lat) = t.await??;
            conns.push(ws);
            all.extend(lat);
        }
        show(phase, all, t0.elapsed());
    }
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
