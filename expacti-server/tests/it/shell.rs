//! `expacti shell` through a pseudo-terminal against the real server: an unapproved line is
//! refused and runs nothing, an allowed one runs at once, one that waits runs after a
//! reviewer approves, `cd` is kept between lines, history is listed, Ctrl-C abandons a wait
//! and stops a running command (not the shell),
//! and `SSH_ORIGINAL_COMMAND` is gated like any line.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use expectrl::{ControlCode, Expect, Session};

use crate::harness::{Backend, Server};

const POLICY: &str = r#"
version = 1
[settings]
default = "review"
timeout = "10m"

[[rule]]
id = "allowed"
action = "allow"
match = ["touch allowed-*", "pwd", "echo **", "sleep *"]

[[rule]]
id = "forbidden"
action = "deny"
match = "touch forbidden-*"
"#;

/// The `expacti` binary, built beside `expacti-server` by `cargo test --workspace`.
pub fn expacti_bin() -> Option<PathBuf> {
    let server = PathBuf::from(env!("CARGO_BIN_EXE_expacti-server"));
    let p = server.with_file_name("expacti");
    if p.exists() {
        return Some(p);
    }
    let msg = format!(
        "SKIPPED: {} is not built; run `cargo test --workspace` (or `cargo build -p expacti-client`)",
        p.display()
    );
    if std::env::var("EXPACTI_REQUIRE_CLI").as_deref() == Ok("1") {
        panic!("{msg}");
    }
    eprintln!("{msg}");
    None
}

/// Whether `path` appears within two seconds.
fn wait_for_file(path: &std::path::Path) -> bool {
    for _ in 0..100 {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    path.exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gated_shell_in_a_pty() {
    let Some(bin) = expacti_bin() else { return };
    let Some(s) = Server::start_full(Backend::Sqlite, None, POLICY).await else {
        return;
    };
    let s = Arc::new(s);
    let work = s.marker("work");
    std::fs::create_dir_all(&work).unwrap();
    let srv = s.clone();
    let dir = work.clone();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(&bin);
        cmd.args([
            "shell",
            "--url",
            &srv.url(),
            "--token",
            &srv.shell,
            "--timeout",
            "60",
        ])
        .env("TERM", "dumb")
        .env("USER", "operator")
        .env_remove("SSH_ORIGINAL_COMMAND");
        let mut p = Session::spawn(cmd).unwrap();
        p.set_expect_timeout(Some(Duration::from_secs(20)));
        p.expect("expacti:").unwrap();

        // `cd` is kept for the following lines.
        p.send_line(format!("cd {}", dir.display())).unwrap();
        p.expect(format!("expacti:{}$", dir.display()).as_str())
            .unwrap();

        // Denied by the policy: refused, nothing runs.
        p.send_line("touch forbidden-1").unwrap();
        p.expect("denied").unwrap();
        p.expect("$ ").unwrap();
        assert!(!dir.join("forbidden-1").exists(), "a denied line ran");

        // Allowed: runs at once, in the kept directory.
        p.send_line("touch allowed-1").unwrap();
        p.expect("$ ").unwrap();
        assert!(
            wait_for_file(&dir.join("allowed-1")),
            "an allowed line did not run"
        );

        // No rule: waits for a reviewer; runs after the approval.
        p.send_line("touch reviewed-1").unwrap();
        p.expect("waiting for a reviewer").unwrap();
        assert!(!dir.join("reviewed-1").exists());
        let mut id = None;
        for _ in 0..200 {
            if let Some(x) = srv.pending().first() {
                id = Some(x.clone());
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let id = id.expect("a pending request");
        let row = srv.json(&format!("/api/requests/{id}"), &srv.admin);
        assert_eq!(row["command"], "touch reviewed-1");
        assert_eq!(row["context"]["actor"], "operator");
        assert_eq!(row["context"]["source"], "shell");
        assert_eq!(row["context"]["cwd"], dir.display().to_string());
        let (c, b) = srv.post(&format!("/api/requests/{id}/approve"), &srv.admin, "{}");
        assert_eq!(c, 200, "{b}");
        p.expect("$ ").unwrap();
        assert!(
            wait_for_file(&dir.join("reviewed-1")),
            "the approved line did not run"
        );
        // What ran before it in this session is on the server.
        let prev = srv.json(&format!("/api/requests/{id}"), &srv.admin);
        assert!(
            prev["previous"].to_string().contains("touch allowed-1"),
            "{prev}"
        );

        // Ctrl-C while waiting: abandoned, and a later approval runs nothing.
        p.send_line("touch abandoned-1").unwrap();
        p.expect("waiting for a reviewer").unwrap();
        p.send(ControlCode::EndOfText).unwrap();
        p.expect("interrupted").unwrap();
        p.expect("$ ").unwrap();
        let id = srv.pending()[0].clone();
        srv.post(&format!("/api/requests/{id}/approve"), &srv.admin, "{}");
        std::thread::sleep(Duration::from_millis(500));
        assert!(!dir.join("abandoned-1").exists(), "an abandoned line ran");

        // Ctrl-C while an approved command runs: the command stops, the shell stays.
        let started = std::time::Instant::now();
        p.send_line("sleep 30").unwrap();
        std::thread::sleep(Duration::from_millis(700));
        p.send(ControlCode::EndOfText).unwrap();
        p.expect("$ ").unwrap();
        // The typed line echoes as `still-"here"`; only the shell's output reads `still-here`.
        p.send_line("echo still-\"here\"").unwrap();
        p.expect("still-here").unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Ctrl-C did not stop the running command"
        );

        // History, then exit.
        p.send_line("history").unwrap();
        p.expect("touch reviewed-1").unwrap();
        p.send_line("exit").unwrap();
        let mut alive = true;
        for _ in 0..200 {
            alive = p.get_process().is_alive().unwrap_or(false);
            if !alive {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive, "`exit` did not end the shell");
    })
    .await
    .unwrap();

    // SSH_ORIGINAL_COMMAND: one gated command, its exit code.
    let bin = expacti_bin().unwrap();
    let out = std::process::Command::new(&bin)
        .args([
            "shell",
            "--url",
            &s.url(),
            "--token",
            &s.shell,
            "--timeout",
            "5",
        ])
        .env("SSH_ORIGINAL_COMMAND", "touch forbidden-2")
        .env("SSH_CONNECTION", "10.0.0.1 5555 10.0.0.2 22")
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(126),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!work.join("forbidden-2").exists());
    let out = std::process::Command::new(&bin)
        .args([
            "shell",
            "--url",
            &s.url(),
            "--token",
            &s.shell,
            "-c",
            "echo via-ssh",
        ])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "via-ssh");
}
