//! `expacti run` and `expacti audit verify` as a user runs them: the binary against an
//! unreachable server and against a fake server that misbehaves, and the offline verifier on
//! a good and a tampered export.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use expacti_core::audit;

mod common;
use common::{allow, fake_server};
use expacti_core::protocol::{Outcome, ServerMessage};

fn expacti() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_expacti"));
    c.env_remove("EXPACTI_URL")
        .env_remove("EXPACTI_SHELL_TOKEN");
    c
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("expacti-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn unreachable_server_runs_nothing() {
    let dir = temp("unreachable");
    let marker = dir.join("ran");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = expacti()
        .args([
            "run",
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--token",
            "exs_x",
            "--timeout",
            "5",
            "--",
        ])
        .arg(format!("touch {}", marker.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not be reached"), "{err}");
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(!marker.exists());
}

#[test]
fn url_and_token_come_from_the_environment() {
    let out = expacti()
        .args(["run", "--", "true"])
        .env("EXPACTI_URL", "http://127.0.0.1:1")
        .env("EXPACTI_SHELL_TOKEN", "exs_x")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(125),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_approval_for_another_command_or_request_runs_nothing() {
    let dir = temp("fake");
    // An approval naming another command's hash.
    let url = fake_server(|id, _| vec![allow(id, audit::sha256_hex(b"echo something else"))]);
    let marker = dir.join("wrong-sha");
    let out = expacti()
        .args(["run", "--url", &url, "--token", "t", "--timeout", "5", "--"])
        .arg(format!("touch {}", marker.display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(125),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("names another command"));
    assert!(!marker.exists());

    // An approval for another request id is ignored: the client waits, then times out.
    let url = fake_server(|_, cmd| vec![allow("someone-else", audit::sha256_hex(cmd.as_bytes()))]);
    let marker = dir.join("wrong-id");
    let out = expacti()
        .args(["run", "--url", &url, "--token", "t", "--timeout", "1", "--"])
        .arg(format!("touch {}", marker.display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(124),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!marker.exists());

    // The right approval runs it and passes its exit code through.
    let url = fake_server(|id, cmd| vec![allow(id, audit::sha256_hex(cmd.as_bytes()))]);
    let marker = dir.join("right");
    let out = expacti()
        .args(["run", "--url", &url, "--token", "t", "--timeout", "5", "--"])
        .arg(format!("touch {} && exit 3", marker.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(marker.exists());

    // A deny.
    let url = fake_server(|id, _| {
        vec![ServerMessage::Decision {
            id: id.into(),
            request: "r".into(),
            command_sha256: String::new(),
            outcome: Outcome::Deny,
            why: "denied by alice".into(),
            reviewer: Some("alice".into()),
        }]
    });
    let out = expacti()
        .args(["run", "--url", &url, "--token", "t", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&out.stderr).contains("denied by alice"));
}

#[test]
fn audit_verify_names_the_tampered_record() {
    let dir = temp("audit");
    let mut prev = audit::GENESIS.to_string();
    let mut lines = Vec::new();
    for i in 1..=4u64 {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), format!("req-{i}").into());
        m.insert("command".into(), format!("echo {i}").into());
        m.insert("decision".into(), "approved".into());
        let r = audit::seal(m, i, &prev);
        prev = r["hash"].as_str().unwrap().to_string();
        lines.push(serde_json::Value::Object(r).to_string());
    }
    let key = [5u8; 32];
    let cp = audit::sign_checkpoint(&key, 4, &prev, "2026-12-01T00:00:00Z");
    lines.push(serde_json::json!({ "checkpoint": cp }).to_string());
    let good = dir.join("good.jsonl");
    std::fs::write(&good, lines.join("\n")).unwrap();
    let pk = audit::public_key(&key);
    let out = expacti()
        .args(["audit", "verify", "--key", &pk])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("ok: 4 records, 1 signed checkpoints")
    );

    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n").replacen("echo 2", "rm -rf /", 1)).unwrap();
    let out = expacti()
        .args(["audit", "verify"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("record 2 (id req-2)") && s.contains("edited"),
        "{s}"
    );

    let out = expacti()
        .args(["audit", "verify", "--key", &"ab".repeat(32)])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "another key");
    let out = expacti()
        .args(["audit", "verify"])
        .arg(dir.join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
