//! Notifications end to end on loopback: real local HTTP servers stand in for Slack's Web
//! API, PagerDuty's Events API and two webhook receivers (one failing twice before it
//! answers). Exact payloads and signatures are checked, a signed Slack click decides a
//! waiting `expacti run`, and secrets never leave the server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use expacti_server::notify::{slack_signature, webhook_signature};
use serde_json::{Value, json};

use crate::harness::{Backend, Server, http};
use crate::spawn_gated;

/// Raw bodies by path.
type Bodies = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[derive(Clone, Default)]
pub(crate) struct Seen {
    pub calls: Arc<Mutex<Vec<(String, HeaderMap, Value)>>>,
    pub bodies: Bodies,
    pub flaky: Arc<Mutex<u32>>,
}

async fn record(
    State(s): State<Seen>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.bodies.lock().unwrap().push((path.clone(), body.to_vec()));
    if path == "down" {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if path == "flaky" {
        let mut n = s.flaky.lock().unwrap();
        *n += 1;
        if *n <= 2 {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    // Keep the raw body for signature checks.
    let mut h = headers.clone();
    h.insert(
        "x-raw-body",
        String::from_utf8_lossy(&body)
            .parse()
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static("binary")),
    );
    s.calls.lock().unwrap().push((path.clone(), h, v));
    match path.as_str() {
        "slack/chat.postMessage" => {
            axum::Json(json!({"ok": true, "channel": "C0DEPLOYS", "ts": "1700000000.000100"}))
                .into_response()
        }
        "slack/chat.update" => axum::Json(json!({"ok": true})).into_response(),
        p if p.starts_with("push/") => StatusCode::CREATED.into_response(),
        p if p.starts_with("og/") => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"result": "Request will be processed", "requestId": "r1"})),
        )
            .into_response(),
        "pd" => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"status": "success"})),
        )
            .into_response(),
        _ => StatusCode::OK.into_response(),
    }
}

pub(crate) async fn stub() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/{*path}", post(record))
        .with_state(seen.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

impl Seen {
    pub async fn wait(&self, path: &str, n: usize) -> Vec<(HeaderMap, Value)> {
        for _ in 0..400 {
            let got: Vec<(HeaderMap, Value)> = self
                .calls
                .lock()
                .unwrap()
                .iter()
                .filter(|(p, _, _)| p == path)
                .map(|(_, h, v)| (h.clone(), v.clone()))
                .collect();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "{path}: fewer than {n} calls: {:?}",
            self.calls
                .lock()
                .unwrap()
                .iter()
                .map(|c| format!("{} {}", c.0, c.2))
                .collect::<Vec<_>>()
        );
    }
}

const SIGNING: &str = "test-signing-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_pagerduty_and_webhooks_on_loopback() {
    let (base, seen) = stub().await;
    let cfg = format!(
        r##"default = ["slack:#deploys", "pagerduty:oncall", "webhook:ops", "webhook:flaky"]
[slack]
token = "xoxb-test-token"
signing_secret = "{SIGNING}"
api_url = "{base}/slack"
users = {{ U0ALICE = "alice", U0VERA = "vera" }}
[webhook.ops]
url = "{base}/ops"
secret = "ops-secret"
[webhook.flaky]
url = "{base}/flaky"
secret = "flaky-secret"
[pagerduty.oncall]
routing_key = "R0UTINGKEY"
url = "{base}/pd"
"##
    );
    let Some(s) = Server::start_with(Backend::Sqlite, Some(&cfg)).await else {
        return;
    };
    s.reviewer("alice", "reviewer");
    s.reviewer("vera", "viewer");
    let dir = s.marker("from-slack");
    let cmd = format!("DB_PASSWORD=hunter2 mkdir {}", dir.display());
    let waiting = spawn_gated(&s, cmd.clone(), 60);
    let id = s.one_pending().await;

    // Slack: the message with the masked command, reasons, context and the two buttons.
    let (h, msg) = seen.wait("slack/chat.postMessage", 1).await.remove(0);
    assert_eq!(h["authorization"], "Bearer xoxb-test-token");
    assert_eq!(msg["channel"], "#deploys");
    let blocks = msg["blocks"].as_array().unwrap();
    let text = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(
        text.contains("DB_PASSWORD=**** mkdir") && !text.contains("hunter2"),
        "{text}"
    );
    let actions = blocks.iter().find(|b| b["type"] == "actions").unwrap();
    assert_eq!(actions["elements"][0]["action_id"], "approve");
    assert_eq!(actions["elements"][0]["value"], id.as_str());
    assert_eq!(actions["elements"][1]["action_id"], "deny");
    assert_eq!(
        actions["elements"][2]["url"],
        format!("{}/requests/{id}", s.url())
    );

    // PagerDuty: a trigger with a dedup key.
    let (_, pd) = seen.wait("pd", 1).await.remove(0);
    assert_eq!(pd["routing_key"], "R0UTINGKEY");
    assert_eq!(pd["event_action"], "trigger");
    assert_eq!(pd["dedup_key"], format!("expacti-{id}"));
    assert!(
        pd["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("waiting for review")
    );

    // Webhook: signed over `timestamp.body`.
    let (h, hook) = seen.wait("ops", 1).await.remove(0);
    let raw = h["x-raw-body"].to_str().unwrap();
    let ts = h["x-expacti-timestamp"].to_str().unwrap();
    assert_eq!(
        h["x-expacti-signature"].to_str().unwrap(),
        webhook_signature("ops-secret", ts, raw.as_bytes())
    );
    assert_eq!(hook["event"], "requested");
    assert_eq!(hook["request"]["id"], id.as_str());
    // The failing receiver got it on the third attempt.
    seen.wait("flaky", 1).await;
    assert_eq!(*seen.flaky.lock().unwrap(), 3);

    // A click with a bad signature, or by a viewer, decides nothing.
    let click = |user: &str| {
        let payload = json!({"type": "block_actions", "user": {"id": user},
            "actions": [{"action_id": "approve", "value": id}]})
        .to_string();
        let enc: String = payload
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("payload={enc}")
    };
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
    .to_string();
    let body = click("U0ALICE");
    let post_slack = |body: &str, sig: &str, ts: &str| {
        crate::harness::raw(
            &s.addr,
            "POST",
            "/slack/interactions",
            &format!(
                "Content-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {sig}\r\n"
            ),
            body,
        )
    };
    let r = post_slack(&body, "v0=00", &now);
    assert!(r.starts_with("HTTP/1.1 401"), "{r}");
    let old = (now.parse::<i64>().unwrap() - 600).to_string();
    let r = post_slack(
        &body,
        &slack_signature(SIGNING, &old, body.as_bytes()),
        &old,
    );
    assert!(r.starts_with("HTTP/1.1 401"), "a replayed click: {r}");
    let vb = click("U0VERA");
    let r = post_slack(&vb, &slack_signature(SIGNING, &now, vb.as_bytes()), &now);
    assert!(r.contains("may not decide"), "{r}");
    assert_eq!(
        s.json(&format!("/api/requests/{id}"), &s.admin)["state"],
        "pending"
    );

    // Alice's signed click approves; the waiting run runs the command.
    let r = post_slack(
        &body,
        &slack_signature(SIGNING, &now, body.as_bytes()),
        &now,
    );
    assert!(
        r.starts_with("HTTP/1.1 200") && r.contains("approved"),
        "{r}"
    );
    let (code, err) = waiting.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(dir.exists());
    let r = s.json(&format!("/api/requests/{id}"), &s.admin);
    assert_eq!(r["reviewer"], "alice");

    // Decided: the Slack message is updated without buttons, PagerDuty resolved, webhook told.
    let (_, up) = seen.wait("slack/chat.update", 1).await.remove(0);
    assert_eq!(
        (up["channel"].as_str(), up["ts"].as_str()),
        (Some("C0DEPLOYS"), Some("1700000000.000100"))
    );
    assert!(!up["blocks"].to_string().contains("\"actions\""));
    assert!(up["blocks"].to_string().contains("approved"));
    let pds = seen.wait("pd", 2).await;
    assert_eq!(pds[1].1["event_action"], "resolve");
    assert_eq!(pds[1].1["dedup_key"], format!("expacti-{id}"));
    let hooks = seen.wait("ops", 2).await;
    assert_eq!(hooks[1].1["event"], "decided");
    // No secret left the server.
    let all = format!(
        "{:?}",
        seen.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.2.to_string())
            .collect::<Vec<_>>()
    );
    assert!(!all.contains("hunter2"), "{all}");
    let metrics = http(&s.addr, "GET", "/metrics", None, None).1;
    assert!(
        metrics.contains("expacti_notification_attempts_failed_total 2"),
        "{metrics}"
    );
}
