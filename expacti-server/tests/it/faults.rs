//! Faults (issue 10): the server killed with requests pending, a replica killed while its
//! shells wait, the database cut off, a client killed while it waits, clocks that disagree.
//! Each ends by checking that no decision was lost or duplicated: every waiting shell got one
//! answer, every approved command ran exactly once, nothing else ran, each request has one
//! decision in the audit trail, and the trail verifies.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use expacti_client::run::{DENIED, RunOptions};
use expacti_core::protocol::{Outcome, ServerMessage};

use crate::harness::{Backend, POLICY, Server};
use crate::proxy::Proxy;
use crate::{audit, recv, request, send, spawn_run, ws};

on_both!(
    kill_9_with_requests_pending_loses_nothing,
    killed_client_is_abandoned_and_a_later_approval_runs_nothing,
    database_unreachable_fails_closed_and_recovers,
);

/// A command that needs a reviewer and appends one line to `out-N` each time it runs.
fn appending(dir: &std::path::Path, n: usize) -> (String, PathBuf) {
    let f = dir.join(format!("out-{n}"));
    (format!("echo ran >> {}", f.display()), f)
}

fn runs(f: &std::path::Path) -> usize {
    std::fs::read_to_string(f).map_or(0, |t| t.lines().count())
}

fn shell_at(url: &str, token: &str, command: String, id: String, timeout: u64) -> RunOptions {
    RunOptions {
        url: url.to_string(),
        token: token.to_string(),
        timeout: Duration::from_secs(timeout),
        context: BTreeMap::from([("source".to_string(), "ci".to_string())]),
        command,
        request_id: Some(id),
    }
}

/// Waits until `n` requests are pending; their ids by command.
async fn pending_by_command(s: &Server, n: usize) -> HashMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = s.json("/api/requests?state=pending", &s.admin)["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["command"].as_str().unwrap().to_string(),
                    r["id"].as_str().unwrap().to_string(),
                )
            })
            .collect::<HashMap<_, _>>();
        if list.len() >= n {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} requests pending",
            list.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The audit trail verifies and holds exactly one decision record per request id given.
fn one_decision_each(s: &Server, ids: &[&String]) {
    let recs = audit(s);
    let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    let rep = expacti_core::audit::verify(&text, None);
    assert!(rep.ok(), "audit trail: {:?}", rep.findings);
    let mut decisions: HashMap<String, usize> = HashMap::new();
    for r in &recs {
        if r.get("event").is_none() && r.get("checkpoint").is_none() {
            if let Some(id) = r["id"].as_str() {
                *decisions.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    for id in ids {
        assert_eq!(
            decisions.get(id.as_str()).copied().unwrap_or(0),
            1,
            "request {id}: decision records in the audit trail"
        );
    }
}

async fn kill_9_with_requests_pending_loses_nothing(b: Backend) {
    let Some(mut s) = Server::start(b).await else {
        return;
    };
    const N: usize = 12;
    let mut shells = Vec::new();
    let mut files = Vec::new();
    for i in 0..N {
        let (cmd, f) = appending(&s.data, i);
        let opts = shell_at(&s.url(), &s.shell, cmd.clone(), format!("job-{i}"), 120);
        shells.push((cmd, spawn_run(opts)));
        files.push(f);
    }
    let ids = pending_by_command(&s, N).await;
    let all: Vec<String> = shells.iter().map(|(c, _)| ids[c].clone()).collect();
    let id = |i: usize| all[i].clone();
    // Two approvals land just before the crash: decided, not yet delivered perhaps.
    for i in 0..2 {
        let (st, body) = s.post(&format!("/api/requests/{}/approve", id(i)), &s.admin, "{}");
        assert_eq!(st, 200, "{body}");
    }
    s.kill9();
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.restart();
    let after = pending_by_command(&s, N - 2).await;
    assert_eq!(
        after.len(),
        N - 2,
        "every undecided request survived kill -9"
    );
    // The rest are decided on the restarted server: half approved, half denied.
    for i in 2..N {
        let verb = if i % 2 == 0 { "approve" } else { "deny" };
        let (st, body) = s.post(&format!("/api/requests/{}/{verb}", id(i)), &s.admin, "{}");
        assert_eq!(st, 200, "{verb} {}: {body}", id(i));
    }
    for (i, (_, h)) in shells.into_iter().enumerate() {
        let (code, err) = h.await.unwrap();
        if i < 2 || i % 2 == 0 {
            assert_eq!(code, 0, "shell {i}: {err}");
            assert_eq!(runs(&files[i]), 1, "shell {i} ran exactly once");
        } else {
            assert_eq!(code, DENIED, "shell {i}: {err}");
            assert_eq!(runs(&files[i]), 0, "denied shell {i} ran nothing");
        }
    }
    assert!(s.pending().is_empty());
    one_decision_each(&s, &all.iter().collect::<Vec<_>>());
}

async fn killed_client_is_abandoned_and_a_later_approval_runs_nothing(b: Backend) {
    let Some(bin) = crate::shell::expacti_bin() else {
        return;
    };
    let Some(s) = Server::start_args(b, None, POLICY, &["--abandon-after", "1s"]).await else {
        return;
    };
    let (cmd, f) = appending(&s.data, 0);
    let mut client = std::process::Command::new(&bin)
        .args([
            "run",
            "--url",
            &s.url(),
            "--token",
            &s.shell,
            "--timeout",
            "60",
            "--request-id",
            "killed-1",
            "--",
        ])
        .arg(&cmd)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let id = s.one_pending().await;
    client.kill().unwrap(); // SIGKILL: no goodbye.
    client.wait().unwrap();
    // A shell that drops its connection and comes back within the period is not abandoned.
    let (cmd2, f2) = appending(&s.data, 1);
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("comes-back", &cmd2)).await;
    let ServerMessage::Pending { request: id2, .. } = recv(&mut w).await else {
        panic!("expected pending")
    };
    drop(w);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("comes-back", &cmd2)).await;
    assert!(matches!(recv(&mut w).await, ServerMessage::Pending { .. }));
    // Past the period (1 s, swept every 250 ms): the killed client's request is abandoned.
    let deadline = Instant::now() + Duration::from_secs(10);
    let row = loop {
        let r = s.json(&format!("/api/requests/{id}"), &s.admin);
        if r["state"] != "pending" || Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row["state"], "abandoned", "{row}");
    assert!(row["why"].as_str().unwrap().contains("went away"), "{row}");
    let (st, body) = s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}");
    assert_eq!(st, 409, "a later approval is refused: {body}");
    assert_eq!(runs(&f), 0, "nothing ran");
    // The one that came back is still waiting, and its approval reaches it.
    let r2 = s.json(&format!("/api/requests/{id2}"), &s.admin);
    assert_eq!(r2["state"], "pending", "{r2}");
    assert_eq!(
        s.post(&format!("/api/requests/{id2}/approve"), &s.admin, "{}")
            .0,
        200
    );
    match recv(&mut w).await {
        ServerMessage::Decision { outcome, .. } => assert_eq!(outcome, Outcome::Allow),
        m => panic!("{m:?}"),
    }
    assert_eq!(runs(&f2), 0, "raw frames run nothing themselves");
    assert_eq!(s.metric("expacti_abandoned_total"), 1.0);
    // The history says abandoned, and a client asking again with the same id is told no.
    let (_, hist) = s.get("/api/history?decision=abandoned", &s.admin);
    assert!(hist.contains(&id), "{hist}");
    let (code, err) = crate::gated(&s, &cmd, 5, Some("killed-1")).await;
    assert_eq!(code, DENIED, "{err}");
    assert!(err.contains("abandoned"), "{err}");
    assert_eq!(runs(&f), 0, "nothing ran");
    one_decision_each(&s, &[&id, &id2]);
}

async fn database_unreachable_fails_closed_and_recovers(b: Backend) {
    match b {
        Backend::Postgres => pg_unreachable().await,
        Backend::Sqlite => sqlite_locked().await,
    }
}

/// PostgreSQL behind a switch: cut, every connection drops and none can be made.
async fn pg_unreachable() {
    let Some(url) = crate::harness::pg_database().await else {
        return;
    };
    let pg = url
        .strip_prefix("postgres://postgres@")
        .and_then(|r| r.split_once('/'))
        .map(|(hostport, db)| (hostport.to_string(), db.to_string()))
        .expect("a postgres://postgres@HOST:PORT/DB url");
    let proxy = Proxy::start(vec![pg.0]).await;
    let via = format!("postgres://postgres@{}/{}", proxy.addr, pg.1);
    let s = Server::start_on(&via, POLICY, &[]).await;
    let (cmd, f) = appending(&s.data, 0);
    let waiting = spawn_run(shell_at(&s.url(), &s.shell, cmd, "w-1".into(), 120));
    let id = s.one_pending().await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // New requests fail closed: an allowed command does not run without the database.
    let marker = s.data.join("during-outage");
    let allowed = format!("touch {}", marker.display());
    let (code, err) = crate::gated(&s, &allowed, 5, None).await;
    assert_eq!(code, expacti_client::run::NO_DECISION, "{err}");
    assert!(!marker.exists(), "nothing runs while the database is away");
    assert_eq!(s.get("/readyz", "").0, 503);
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore();
    // Recovers: readiness, new requests, and the waiting shell's approval.
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.get("/readyz", "").0 != 200 {
        assert!(Instant::now() < deadline, "never ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, err) = crate::gated(&s, &allowed, 10, None).await;
    assert_eq!(code, 0, "{err}");
    assert!(marker.exists());
    let (st, body) = s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}");
    assert_eq!(st, 200, "{body}");
    let (code, err) = waiting.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(runs(&f), 1);
    // The listening connection came back too.
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.metric("expacti_fanout_connects_total") < 2.0 {
        assert!(Instant::now() < deadline, "the listener never reconnected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    one_decision_each(&s, &[&id]);
}

/// SQLite held by another process's exclusive lock longer than the server waits for it.
async fn sqlite_locked() {
    let Some(s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    let (cmd, f) = appending(&s.data, 0);
    let waiting = spawn_run(shell_at(&s.url(), &s.shell, cmd, "w-1".into(), 120));
    let id = s.one_pending().await;
    let db = s.data.join("expacti.db");
    assert!(db.exists(), "{} exists", db.display());
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (locked_tx, locked) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::Connection as _;
            let mut c =
                sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                    .await
                    .unwrap();
            sqlx::query("BEGIN EXCLUSIVE")
                .execute(&mut c)
                .await
                .unwrap();
            locked_tx.send(()).unwrap();
            let _ = released.recv();
            sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
        });
    });
    locked.recv().unwrap();
    let marker = s.data.join("during-lock");
    let allowed = format!("touch {}", marker.display());
    let started = Instant::now();
    let (code, err) = crate::gated(&s, &allowed, 5, None).await;
    assert_ne!(code, 0, "{err}");
    assert!(
        !marker.exists(),
        "nothing runs while the database cannot be written"
    );
    eprintln!(
        "locked database: refused after {:?}: {err}",
        started.elapsed()
    );
    release.send(()).unwrap();
    holder.join().unwrap();
    let (code, err) = crate::gated(&s, &allowed, 10, None).await;
    assert_eq!(code, 0, "{err}");
    assert!(marker.exists());
    let (st, body) = s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}");
    assert_eq!(st, 200, "{body}");
    let (code, err) = waiting.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(runs(&f), 1);
    one_decision_each(&s, &[&id]);
}

/// Two replicas on one PostgreSQL behind a load balancer: a decision made on either reaches
/// a shell on the other at once (not at the 15 s recheck), and when one replica is killed its
/// shells reconnect through the balancer to the other and resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_decisions_and_survive_one_killed() {
    let Some(s) = Server::start(Backend::Postgres).await else {
        return;
    };
    let mut a = s.replica();
    let b = s.replica();
    // A shell on replica A, a decision through replica B.
    let (cmd, _) = appending(&s.data, 100);
    let mut w = ws(&a, &s.shell).await.unwrap();
    send(&mut w, &request("cross-1", &cmd)).await;
    let ServerMessage::Pending { request: rid, .. } = recv(&mut w).await else {
        panic!("expected pending")
    };
    let t = Instant::now();
    assert_eq!(
        b.post(&format!("/api/requests/{rid}/deny"), &s.admin, "{}")
            .0,
        200
    );
    match recv(&mut w).await {
        ServerMessage::Decision { outcome, .. } => assert_eq!(outcome, Outcome::Deny),
        m => panic!("{m:?}"),
    }
    let heard = t.elapsed();
    eprintln!("decision on B heard by a shell on A after {heard:?}");
    assert!(heard < Duration::from_secs(2), "took {heard:?}");
    drop(w);

    // Shells through the balancer, spread over A and B.
    let lb = Proxy::start(vec![a.addr.clone(), b.addr.clone()]).await;
    let url = format!("http://{}", lb.addr);
    const N: usize = 10;
    let mut shells = Vec::new();
    let mut files = Vec::new();
    for i in 0..N {
        let (cmd, f) = appending(&s.data, i);
        shells.push((
            cmd.clone(),
            spawn_run(shell_at(&url, &s.shell, cmd, format!("lb-{i}"), 120)),
        ));
        files.push(f);
    }
    let ids = pending_by_command(&b, N).await;
    let on_a_now = a.metric("expacti_requests_waiting");
    assert!(on_a_now >= 1.0, "some shells wait on A ({on_a_now})");
    a.kill9();
    lb.set_backends(vec![b.addr.clone()]);
    // Every request is decided through B; the shells that were on A come back to B.
    for (i, (cmd, _)) in shells.iter().enumerate() {
        let verb = if i % 3 == 2 { "deny" } else { "approve" };
        let (st, body) = b.post(
            &format!("/api/requests/{}/{verb}", ids[cmd]),
            &s.admin,
            "{}",
        );
        assert_eq!(st, 200, "{body}");
    }
    for (i, (_, h)) in shells.into_iter().enumerate() {
        let (code, err) = h.await.unwrap();
        if i % 3 == 2 {
            assert_eq!(code, DENIED, "shell {i}: {err}");
            assert_eq!(runs(&files[i]), 0);
        } else {
            assert_eq!(code, 0, "shell {i}: {err}");
            assert_eq!(runs(&files[i]), 1, "shell {i} ran exactly once");
        }
    }
    a.restart();
    let mut all: Vec<&String> = ids.values().collect();
    all.push(&rid);
    one_decision_each(&b, &all);
}

/// Three replicas sweep the same timeouts and escalations: each request times out once and
/// escalates once, whichever replica marks it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_escalations_fire_once_across_replicas() {
    let policy = format!(
        "{POLICY}\n[[route]]\nnotify = [\"webhook:ops\"]\nescalate_after = \"1s\"\nescalate_to = [\"webhook:ops\"]\n"
    );
    let (base, seen) = crate::notify::stub().await;
    let notify = format!("[webhook.ops]\nurl = \"{base}/ops\"\nsecret = \"s3cret\"\n");
    let Some(s) = Server::start_full(Backend::Postgres, Some(&notify), &policy).await else {
        return;
    };
    let r1 = s.replica();
    let r2 = s.replica();
    const N: usize = 15;
    let mut conns = Vec::new();
    let mut ids = Vec::new();
    for i in 0..N {
        let srv = [&s, &r1, &r2][i % 3];
        let (cmd, _) = appending(&s.data, i);
        let mut w = ws(srv, &s.shell).await.unwrap();
        let mut m = request(&format!("t-{i}"), &cmd);
        if let expacti_core::protocol::ClientMessage::Request { timeout_secs, .. } = &mut m {
            *timeout_secs = Some(3);
        }
        send(&mut w, &m).await;
        let ServerMessage::Pending { request, .. } = recv(&mut w).await else {
            panic!("expected pending")
        };
        ids.push(request);
        conns.push(w);
    }
    for (i, w) in conns.iter_mut().enumerate() {
        match tokio::time::timeout(Duration::from_secs(10), recv(w)).await {
            Ok(ServerMessage::Decision { outcome, .. }) => {
                assert_eq!(outcome, Outcome::TimedOut, "request {i}")
            }
            m => panic!("request {i}: {m:?}"),
        }
    }
    // The sweeping replica counts a timeout after its commit, which another replica may
    // announce to the shell first: wait for the count to arrive, then check it stays.
    let timed_out = || -> f64 {
        [&s, &r1, &r2]
            .iter()
            .map(|r| r.metric("expacti_timed_out_total"))
            .sum()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while timed_out() < N as f64 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(timed_out(), N as f64, "each timed out once, on one replica");
    for id in &ids {
        let r = s.json(&format!("/api/requests/{id}"), &s.admin);
        assert!(r["escalated_at"].is_string(), "{r}");
        let escalations = seen
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, v)| {
                p == "ops" && v["event"] == "escalated" && v["request"]["id"] == id.as_str()
            })
            .count();
        assert_eq!(escalations, 1, "request {id} escalated once: {escalations}");
    }
    // The deliveries list on PostgreSQL, with and without a status filter.
    let all = s.json("/api/deliveries", &s.admin)["deliveries"]
        .as_array()
        .unwrap()
        .len();
    let sent = s.json("/api/deliveries?status=sent", &s.admin)["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(
        all > 0 && !sent.is_empty(),
        "{all} deliveries, {} sent",
        sent.len()
    );
    assert!(sent.iter().all(|st| st == "sent"), "{sent:?}");
    one_decision_each(&s, &ids.iter().collect::<Vec<_>>());
}

/// The server's clock an hour ahead of (or behind) the client's: requests are sent with
/// relative timeouts and answered with seconds left, so neither side misreads the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_between_client_and_server() {
    for skew_ms in [3_600_000i64, -3_600_000] {
        let clock = expacti_server::time::Clock::default();
        clock.advance(skew_ms);
        let data = std::env::temp_dir().join(crate::harness::unique("expacti-skew-"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("policy.toml"), POLICY).unwrap();
        let p = expacti_server::prepare(expacti_server::ServeOptions {
            listen: "127.0.0.1:0".into(),
            storage: expacti_server::Storage {
                data: data.clone(),
                database: None,
            },
            policy: Some(data.join("policy.toml")),
            public_url: None,
            notify: None,
            clock: clock.clone(),
            abandon_after: expacti_server::ABANDON_AFTER,
        })
        .await
        .unwrap();
        let url = format!("http://{}", p.addr);
        let state = p.state.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                p.listener,
                expacti_server::app(p.state)
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        let (_, token) = expacti_server::admin::create_shell_token(&state.db, "skew", None, None)
            .await
            .unwrap();
        // Approved: runs.
        let (cmd, f) = appending(&data, 0);
        let h = spawn_run(shell_at(&url, &token, cmd.clone(), "skew-1".into(), 30));
        let id = loop {
            let filters = BTreeMap::from([("state".to_string(), "pending".to_string())]);
            let rows = state.list(&filters, 10).await.unwrap();
            if let Some(r) = rows.first() {
                break r.id.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        state.approve(&id, "admin", None).await.unwrap();
        let (code, err) = h.await.unwrap();
        assert_eq!(code, 0, "skew {skew_ms}: {err}");
        assert_eq!(runs(&f), 1);
        // Unanswered with a 3 s timeout: times out after about 3 s, not at once, not never.
        let (cmd, f) = appending(&data, 1);
        let t = Instant::now();
        let (code, err) = spawn_run(shell_at(&url, &token, cmd, "skew-2".into(), 3))
            .await
            .unwrap();
        let took = t.elapsed();
        assert_eq!(
            code,
            expacti_client::run::TIMED_OUT,
            "skew {skew_ms}: {err}"
        );
        assert!(
            took >= Duration::from_millis(2500) && took < Duration::from_secs(8),
            "skew {skew_ms}: timed out after {took:?}"
        );
        assert_eq!(runs(&f), 0);
        server.abort();
        let _ = std::fs::remove_dir_all(&data);
    }
}

/// Rotating the audit signing key: checkpoints before carry the old key, after the new one;
/// an export verifies with both pinned and not with the new one alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_key_rotation_keeps_the_chain_verifiable() {
    let Some(mut s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    let key = |s: &Server| {
        s.json("/api/audit/key", &s.admin)["key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let old = key(&s);
    let m1 = s.data.join("before-rotation");
    let (code, err) = crate::gated(&s, &format!("touch {}", m1.display()), 10, None).await;
    assert_eq!(code, 0, "{err}");
    let _ = audit(&s); // An export signs a checkpoint with the old key.
    s.kill9();
    let out = crate::harness::bin()
        .args(["key", "rotate", "--data"])
        .arg(&s.data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    s.restart();
    let new = key(&s);
    assert_ne!(old, new);
    assert!(
        printed.contains(&old) && printed.contains(&new),
        "{printed}"
    );
    let m2 = s.data.join("after-rotation");
    let (code, err) = crate::gated(&s, &format!("touch {}", m2.display()), 10, None).await;
    assert_eq!(code, 0, "{err}");
    let text: String = audit(&s).iter().map(|r| format!("{r}\n")).collect();
    let both = expacti_core::audit::verify_keys(&text, &[&old, &new]);
    assert!(both.ok(), "{:?}", both.findings);
    assert!(both.checkpoints >= 2, "{both:?}");
    assert!(!expacti_core::audit::verify_keys(&text, &[&new]).ok());
}

/// A shell that left while the server was down has a whole abandon period from the restart
/// to come back: a restart longer than the period does not abandon every waiting request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_gives_detached_requests_a_fresh_period() {
    let Some(mut s) =
        Server::start_args(Backend::Sqlite, None, POLICY, &["--abandon-after", "2s"]).await
    else {
        return;
    };
    let (cmd, f) = appending(&s.data, 0);
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("patient", &cmd)).await;
    let ServerMessage::Pending { request: id, .. } = recv(&mut w).await else {
        panic!("expected pending")
    };
    drop(w); // The shell leaves: detached now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.kill9();
    tokio::time::sleep(Duration::from_secs(3)).await; // Longer than the period.
    s.restart();
    tokio::time::sleep(Duration::from_millis(600)).await; // Two sweeps.
    let r = s.json(&format!("/api/requests/{id}"), &s.admin);
    assert_eq!(
        r["state"], "pending",
        "abandoned at once after a restart: {r}"
    );
    // It comes back and gets its approval.
    let h = spawn_run(shell_at(&s.url(), &s.shell, cmd, "patient".into(), 30));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}")
            .0,
        200
    );
    let (code, err) = h.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(runs(&f), 1);
}
