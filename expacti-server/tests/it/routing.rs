//! Routing, escalation, two-person approval, email and Web Push, on loopback: a local SMTP
//! server receives the mail, a stand-in push service checks the VAPID signature and decrypts
//! the payload, stand-ins for Opsgenie and webhooks check exact payloads. The escalation and
//! quorum test runs the server in this process with a clock it moves.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use expacti_client::run::{RunOptions, TIMED_OUT};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::harness::{self, Backend, Server, http};
use crate::notify::stub;
use crate::{spawn_gated, spawn_run};

/// A minimal SMTP server: accepts every message and keeps its text.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let keep = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = l.accept().await else {
                return;
            };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 stub.local ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                let mut envelope = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    if cmd.starts_with("EHLO") {
                        w.write_all(b"250-stub.local\r\n250 8BITMIME\r\n")
                            .await
                            .unwrap();
                    } else if cmd.starts_with("MAIL") || cmd.starts_with("RCPT") {
                        envelope.push_str(line.trim_end());
                        envelope.push('\n');
                        w.write_all(b"250 OK\r\n").await.unwrap();
                    } else if cmd == "DATA" {
                        w.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut msg = envelope.clone();
                        loop {
                            line.clear();
                            r.read_line(&mut line).await.unwrap();
                            if line == ".\r\n" {
                                break;
                            }
                            msg.push_str(&line);
                        }
                        keep.lock().unwrap().push(msg);
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else if cmd == "QUIT" {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        w.write_all(b"250 OK\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, mails)
}

async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..800 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The confirm link in a mail (quoted-printable soft breaks undone).
fn confirm_path(mail: &str) -> String {
    let flat = mail.replace("=\r\n", "").replace("=3D", "=");
    let at = flat.find("/confirm/").expect("a confirm link");
    flat[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
        .collect()
}

fn form_post(s: &Server, path: &str, body: &str, cookie: Option<&str>) -> String {
    let extra = match cookie {
        Some(c) => format!("Content-Type: application/x-www-form-urlencoded\r\nCookie: {c}\r\n"),
        None => "Content-Type: application/x-www-form-urlencoded\r\n".to_string(),
    };
    harness::raw(&s.addr, "POST", path, &extra, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_confirm_decides_a_waiting_run_once() {
    let (port, mails) = smtp_server().await;
    let cfg = format!(
        r#"default = ["email:alice"]
[email]
smtp_url = "smtp://127.0.0.1:{port}"
from = "expacti <expacti@example.com>"
addresses = {{ alice = "alice@example.com" }}
"#
    );
    let Some(s) = Server::start_with(Backend::Sqlite, Some(&cfg)).await else {
        return;
    };
    s.reviewer("alice", "reviewer");
    let dir = s.marker("from-email");
    let waiting = spawn_gated(
        &s,
        format!("API_TOKEN=s3cr3tvalue mkdir {}", dir.display()),
        60,
    );
    let id = s.one_pending().await;
    let mail = wait_for("the mail", || mails.lock().unwrap().first().cloned()).await;
    assert!(mail.contains("RCPT TO:<alice@example.com>"), "{mail}");
    assert!(
        mail.contains("From: expacti <expacti@example.com>"),
        "{mail}"
    );
    assert!(mail.contains("mkdir"), "{mail}");
    assert!(!mail.contains("s3cr3tvalue"), "secrets are masked: {mail}");
    let path = confirm_path(&mail);

    // Fetching the page (as a link scanner would) decides nothing.
    let (code, page) = http(&s.addr, "GET", &path, None, None);
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("name=\"action\" value=\"approve\"") && page.contains("mkdir"));
    assert!(!page.contains("<script"), "no script on the confirm page");
    assert_eq!(
        s.json(&format!("/api/requests/{id}"), &s.admin)["state"],
        "pending"
    );
    // A changed token is refused.
    let mut forged = path.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let r = form_post(&s, &forged, "action=approve", None);
    assert!(r.starts_with("HTTP/1.1 403"), "{r}");

    // The POST approves; the waiting run runs; the link is then spent.
    let r = form_post(&s, &path, "action=approve&comment=looks+fine", None);
    assert!(
        r.starts_with("HTTP/1.1 200") && r.contains("approved"),
        "{r}"
    );
    let (code, err) = waiting.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(dir.exists());
    let row = s.json(&format!("/api/requests/{id}"), &s.admin);
    assert_eq!(row["reviewer"], "alice");
    assert_eq!(row["comment"], "looks fine");
    let r = form_post(&s, &path, "action=deny", None);
    assert!(r.starts_with("HTTP/1.1 409"), "single use: {r}");
    let d = s.json(&format!("/api/requests/{id}/deliveries"), &s.admin);
    assert_eq!(d["deliveries"][0]["target"], "email:alice");
    assert_eq!(d["deliveries"][0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opsgenie_and_web_push_on_loopback() {
    let (base, seen) = stub().await;
    let cfg = format!(
        r#"default = ["opsgenie:ops", "push:admin", "webhook:down"]
[opsgenie.ops]
api_key = "genie-key-1"
url = "{base}/og"
responders = [{{ name = "platform", type = "team" }}]
[push]
subject = "mailto:ops@example.com"
[webhook.down]
url = "{base}/down"
secret = "x"
"#
    );
    let Some(s) = Server::start_with(Backend::Sqlite, Some(&cfg)).await else {
        return;
    };
    // A browser's subscription: its own P-256 key and auth secret.
    let ua = web_push_native::p256::SecretKey::from_slice(&[0x42; 32]).unwrap();
    let ua_public = {
        use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
        ua.public_key().to_encoded_point(false).as_bytes().to_vec()
    };
    let auth = [9u8; 16];
    let sub = json!({"endpoint": format!("{base}/push/browser-1"),
        "keys": {"p256dh": Base64UrlUnpadded::encode_string(&ua_public), "auth": Base64UrlUnpadded::encode_string(&auth)}});
    let (code, body) = s.post("/api/push/subscriptions", &s.admin, &sub.to_string());
    assert_eq!(code, 200, "{body}");
    let bad = json!({"endpoint": "ftp://example.com/x", "keys": {"p256dh": "AA", "auth": "AA"}});
    assert_eq!(
        s.post("/api/push/subscriptions", &s.admin, &bad.to_string())
            .0,
        400
    );
    let key = s.json("/api/push/key", &s.admin)["public_key"]
        .as_str()
        .unwrap()
        .to_string();

    let dir = s.marker("from-push");
    let waiting = spawn_gated(&s, format!("mkdir {}", dir.display()), 60);
    let id = s.one_pending().await;

    // Opsgenie: create with the GenieKey header, alias, priority, responders.
    let (h, alert) = seen.wait("og/v2/alerts", 1).await.remove(0);
    assert_eq!(h["authorization"], "GenieKey genie-key-1");
    assert_eq!(alert["alias"], format!("expacti-{id}"));
    assert_eq!(alert["source"], "expacti");
    assert_eq!(
        alert["responders"],
        json!([{"name": "platform", "type": "team"}])
    );
    assert!(alert["message"].as_str().unwrap().len() <= 130);
    assert!(
        alert["message"]
            .as_str()
            .unwrap()
            .contains("waiting for review")
    );
    assert!(
        ["P1", "P2", "P3", "P4"].contains(&alert["priority"].as_str().unwrap()),
        "{alert}"
    );

    // Web Push: VAPID-signed for the push service's origin, payload decrypts with the
    // browser's key.
    let (h, _) = seen.wait("push/browser-1", 1).await.remove(0);
    let body = seen
        .bodies
        .lock()
        .unwrap()
        .iter()
        .find(|(p, _)| p == "push/browser-1")
        .unwrap()
        .1
        .clone();
    assert_eq!(h["content-encoding"], "aes128gcm");
    assert!(h.contains_key("ttl"));
    let authz = h["authorization"].to_str().unwrap();
    let rest = authz.strip_prefix("vapid t=").expect("vapid scheme");
    let (jwt, k) = rest.split_once(", k=").unwrap();
    assert_eq!(k, key, "the key the dashboard subscribes with");
    {
        use web_push_native::jwt_simple::prelude::*;
        let pk = ES256PublicKey::from_bytes(&Base64UrlUnpadded::decode_vec(k).unwrap()).unwrap();
        pk.verify_token::<NoCustomClaims>(jwt, None)
            .expect("the VAPID JWT verifies with the server's key");
        let claims: Value = serde_json::from_slice(
            &Base64UrlUnpadded::decode_vec(jwt.split('.').nth(1).unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(claims["aud"], "http://127.0.0.1");
        assert_eq!(claims["sub"], "mailto:ops@example.com");
        assert!(claims["exp"].as_i64().unwrap() > 0);
    }
    let plain = web_push_native::decrypt(body, &ua, &auth.into()).expect("decrypts");
    let msg: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(msg["id"], id.as_str());
    assert_eq!(msg["url"], format!("{}/requests/{id}", s.url()));
    assert!(msg["body"].as_str().unwrap().contains("mkdir"));

    // Decide; Opsgenie's alert is closed by alias.
    let (code, body) = s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}");
    assert_eq!(code, 200, "{body}");
    assert_eq!(waiting.await.unwrap().0, 0);
    let (h, close) = seen
        .wait(&format!("og/v2/alerts/expacti-{id}/close"), 1)
        .await
        .remove(0);
    assert_eq!(h["authorization"], "GenieKey genie-key-1");
    assert_eq!(close["source"], "expacti");
    assert!(close["note"].as_str().unwrap().contains("approved"));

    // The failing webhook: given up after five attempts, visible per request and in the
    // list of failures; it held up nothing.
    let failed = wait_for("the failed delivery", || {
        let d = s.json("/api/deliveries?status=failed", &s.admin);
        let list = d["deliveries"].as_array().unwrap().clone();
        (!list.is_empty()).then_some(list)
    })
    .await;
    assert_eq!(failed[0]["target"], "webhook:down");
    assert_eq!(failed[0]["attempts"], 5);
    assert!(failed[0]["detail"].as_str().unwrap().contains("503"));
    let d = s.json(&format!("/api/requests/{id}/deliveries"), &s.admin);
    let targets: Vec<(String, String)> = d["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["target"].as_str().unwrap().to_string(),
                x["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        targets.contains(&("push:admin".into(), "sent".into())),
        "{targets:?}"
    );
    assert!(
        targets.contains(&("opsgenie:ops".into(), "sent".into())),
        "{targets:?}"
    );
    let metrics = http(&s.addr, "GET", "/metrics", None, None).1;
    assert!(
        metrics.contains("expacti_notifications_given_up_total 1"),
        "{metrics}"
    );
}

const ESCALATING: &str = r#"
version = 1
[settings]
default = "review"
timeout = "10m"

[[rule]]
id = "markers"
action = "review"
match = "mkdir **"

[[route]]
notify = ["webhook:ops"]
escalate_after = "2s"
escalate_to = ["webhook:backup"]
"#;

/// Settings for the two stand-in webhooks (`webhook:ops`, `webhook:backup`) at `base`.
fn ops_and_backup(base: &str) -> String {
    format!(
        r#"[webhook.ops]
url = "{base}/ops"
secret = "a"
[webhook.backup]
url = "{base}/backup"
secret = "b"
"#
    )
}

/// Real time, real binary: the escalation arrives 2 s after the request, within a second, and
/// only once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_fires_at_the_configured_time() {
    let (base, seen) = stub().await;
    let cfg = ops_and_backup(&base);
    let Some(s) = Server::start_full(Backend::Sqlite, Some(&cfg), ESCALATING).await else {
        return;
    };
    let started = Instant::now();
    let waiting = spawn_gated(&s, format!("mkdir {}", s.marker("esc").display()), 60);
    let id = s.one_pending().await;
    seen.wait("ops", 1).await;
    let (_, hook) = seen.wait("backup", 1).await.remove(0);
    let after = started.elapsed();
    assert_eq!(hook["event"], "escalated");
    assert_eq!(hook["request"]["id"], id.as_str());
    assert_eq!(hook["request"]["escalated"], true);
    // When the server says it escalated, against when it says the request came.
    let row = s.json(&format!("/api/requests/{id}"), &s.admin);
    let t = |k: &str| {
        let v = row[k].as_str().unwrap();
        // RFC 3339 with milliseconds: compare the seconds-of-day parts.
        let hms = &v[11..23];
        let (h, rest) = hms.split_at(2);
        let m = &rest[1..3];
        let sec: f64 = rest[4..].parse().unwrap();
        h.parse::<f64>().unwrap() * 3600.0 + m.parse::<f64>().unwrap() * 60.0 + sec
    };
    let late = t("escalated_at") - t("requested_at");
    eprintln!(
        "MEASURED escalation: marked {late:.3} s after the request; backup heard it {after:?} after the run started"
    );
    assert!(
        (2.0..=3.0).contains(&late),
        "escalated {late:.3} s after the request (configured 2 s)"
    );
    assert!(
        after >= Duration::from_secs(2) && after <= Duration::from_millis(3500),
        "the backup heard {after:?} after the run started"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let n = seen
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.0 == "backup")
        .count();
    assert_eq!(n, 1, "escalated once");
    s.post(&format!("/api/requests/{id}/deny"), &s.admin, "{}");
    let _ = waiting.await;
}

const QUORUM: &str = r#"
version = 1
[settings]
default = "review"
timeout = "30m"

[groups]
release = ["alice", "bob", "dave"]
backup = ["carol"]

[[rule]]
id = "plumbing"
action = "allow"
match = ["echo *", "base64 -d"]

[[rule]]
id = "two-person"
action = "review"
match = "sh"
approvals = 2

[[rule]]
id = "markers"
action = "review"
match = "mkdir **"

[[route]]
risk = "critical"
notify = ["webhook:ops"]
reviewers = ["group:release"]
escalate_after = "10m"
escalate_to = ["webhook:backup", "push:carol"]
"#;

/// The server in this process, on SQLite, with a clock the test moves.
struct InProcess {
    addr: String,
    clock: expacti_server::time::Clock,
    shell: String,
    tokens: BTreeMap<String, String>,
}

fn admin(data: &std::path::Path, args: &[&str]) -> String {
    let out = harness::bin()
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn in_process(policy: &str, notify: &str, reviewers: &[(&str, &str)]) -> InProcess {
    let data = std::env::temp_dir().join(harness::unique("expacti-clock-"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("policy.toml"), policy).unwrap();
    std::fs::write(data.join("notify.toml"), notify).unwrap();
    let shell = admin(&data, &["token", "create", "--name", "ci"]);
    let mut tokens = BTreeMap::new();
    for (name, role) in reviewers {
        admin(&data, &["reviewer", "add", "--name", name, "--role", role]);
        tokens.insert(
            (*name).to_string(),
            admin(&data, &["reviewer", "token", "create", "--name", name]),
        );
    }
    let clock = expacti_server::time::Clock::default();
    let p = expacti_server::prepare(expacti_server::ServeOptions {
        listen: "127.0.0.1:0".into(),
        storage: expacti_server::Storage {
            data: data.clone(),
            database: None,
        },
        policy: Some(data.join("policy.toml")),
        public_url: None,
        notify: Some(data.join("notify.toml")),
        clock: clock.clone(),
        abandon_after: expacti_server::ABANDON_AFTER,
    })
    .await
    .unwrap();
    let addr = p.addr.to_string();
    let app = expacti_server::app(p.state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(p.listener, app).await.unwrap() });
    InProcess {
        addr,
        clock,
        shell,
        tokens,
    }
}

impl InProcess {
    fn gated(&self, command: String, actor: &str) -> tokio::task::JoinHandle<(i32, String)> {
        spawn_run(RunOptions {
            url: format!("http://{}", self.addr),
            token: self.shell.clone(),
            timeout: Duration::from_secs(3600),
            context: BTreeMap::from([("actor".to_string(), actor.to_string())]),
            command,
            request_id: None,
        })
    }

    fn as_(&self, who: &str, method: &str, path: &str) -> (u16, Value) {
        let (c, b) = http(
            &self.addr,
            method,
            path,
            Some(&self.tokens[who]),
            (method == "POST").then_some("{}"),
        );
        (c, serde_json::from_str(&b).unwrap_or(Value::String(b)))
    }

    async fn pending_one(&self) -> String {
        wait_for("a pending request", || {
            let (_, v) = self.as_("root", "GET", "/api/requests?state=pending");
            let l = v["requests"].as_array()?.clone();
            (l.len() == 1).then(|| l[0]["id"].as_str().unwrap().to_string())
        })
        .await
    }
}

/// A critical command with `approvals = 2`, routed to a group, requested by one of its
/// members: the requester cannot approve, an outsider cannot approve, one approval (even
/// twice) is not enough, the backup group may approve only after the escalation (fired by
/// moving the clock 10 minutes), and the command runs after the second distinct approval.
/// Then a timeout (clock moved past it) denies, and a deny by anyone ends a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_escalation_and_timeouts_with_a_controllable_clock() {
    let (base, seen) = stub().await;
    let cfg = format!(
        "{}[push]\nsubject = \"mailto:ops@example.com\"\n",
        ops_and_backup(&base)
    );
    let admin_token = "root";
    let s = in_process(
        QUORUM,
        &cfg,
        &[
            ("alice", "reviewer"),
            ("bob", "reviewer"),
            ("carol", "reviewer"),
            ("dave", "reviewer"),
            ("mallory", "reviewer"),
            (admin_token, "admin"),
        ],
    )
    .await;
    let marker = std::env::temp_dir().join(harness::unique("expacti-quorum-"));
    let script = Base64UrlUnpadded::encode_string(format!("touch {}", marker.display()).as_bytes())
        .replace('-', "+")
        .replace('_', "/");
    let pad = "=".repeat((4 - script.len() % 4) % 4);
    let cmd = format!("echo {script}{pad} | base64 -d | sh");
    let waiting = s.gated(cmd, "dave");
    let id = s.pending_one().await;
    let (_, row) = s.as_("root", "GET", &format!("/api/requests/{id}"));
    assert_eq!(row["risk"]["level"], "critical", "{row}");
    assert_eq!(row["approvals_needed"], 2);
    assert_eq!(
        row["evaluation"]["routing"]["reviewers"],
        json!(["alice", "bob", "dave"])
    );
    seen.wait("ops", 1).await;

    let approve = |who: &str| s.as_(who, "POST", &format!("/api/requests/{id}/approve"));
    let (c, v) = approve("dave");
    assert_eq!(c, 403, "the requester: {v}");
    assert!(v.to_string().contains("asked for this command"), "{v}");
    let (c, v) = approve("mallory");
    assert_eq!(c, 403, "not in the routed group: {v}");
    let (c, _) = approve("carol");
    assert_eq!(c, 403, "the backup group before the escalation");
    let (c, v) = approve("alice");
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["state"], "pending");
    let (c, v) = approve("alice");
    assert_eq!(
        (c, v["state"].as_str()),
        (200, Some("pending")),
        "the same reviewer twice"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!marker.exists(), "ran before the second approval");
    assert!(seen.calls.lock().unwrap().iter().all(|c| c.0 != "backup"));

    // Ten minutes later (by the server's clock), the backup is told within a sweep.
    s.clock.advance(10 * 60 * 1000);
    let t = Instant::now();
    let (_, hook) = seen.wait("backup", 1).await.remove(0);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(hook["event"], "escalated");
    // Carol has no subscribed browser: that delivery fails, visibly, and blocks nothing.
    let (c, v) = approve("carol");
    assert_eq!(c, 200, "the backup group after the escalation: {v}");
    assert_eq!(v["state"], "approved");
    let (code, err) = waiting.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(marker.exists(), "ran after two different approvals");
    let (_, row) = s.as_("root", "GET", &format!("/api/requests/{id}"));
    let who: Vec<&str> = row["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reviewer"].as_str().unwrap())
        .collect();
    assert_eq!(who, vec!["alice", "carol"]);
    let failed = wait_for("carol's failed push", || {
        let (_, d) = s.as_("root", "GET", &format!("/api/requests/{id}/deliveries"));
        d["deliveries"]
            .as_array()?
            .iter()
            .find(|x| x["target"] == "push:carol" && x["status"] == "failed")
            .cloned()
    })
    .await;
    assert!(
        failed["detail"].as_str().unwrap().contains("no browser"),
        "{failed}"
    );

    // A timeout by the moved clock denies.
    let waiting = s.gated(format!("mkdir {}/t", marker.display()), "dave");
    let _ = s.pending_one().await;
    s.clock.advance(31 * 60 * 1000);
    let (code, _) = waiting.await.unwrap();
    assert_eq!(code, TIMED_OUT);

    // A deny by anyone with the reviewer role ends a request.
    let waiting = s.gated(format!("mkdir {}/d", marker.display()), "dave");
    let id = s.pending_one().await;
    let (c, v) = s.as_("mallory", "POST", &format!("/api/requests/{id}/deny"));
    assert_eq!((c, v["state"].as_str()), (200, Some("denied")), "{v}");
    assert_eq!(waiting.await.unwrap().0, expacti_client::run::DENIED);
}
