//! The `expacti` binary end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn expacti() -> Command {
    Command::new(env!("CARGO_BIN_EXE_expacti"))
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = expacti()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn parse_json_shows_parts_and_opaque() {
    let out = expacti()
        .args(["parse", "--json", "--", "sudo rm -rf / ; eval \"$X\""])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let argvs: Vec<Vec<String>> = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert!(argvs.contains(&vec!["rm".to_string(), "-rf".into(), "/".into()]));
    assert_eq!(v["parts"][1]["origin"], "wrapper");
    assert!(
        v["opaque"]
            .as_str()
            .unwrap()
            .contains("only known at run time")
    );
}

#[test]
fn parse_with_several_words_takes_them_as_an_argv() {
    let out = expacti()
        .args(["parse", "--json", "--", "echo", "a b", ";", "rm"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["parts"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["parts"][0]["argv"],
        serde_json::json!(["echo", "a b", ";", "rm"])
    );
}

#[test]
fn parse_jsonl_answers_every_record_in_order() {
    let input = concat!(
        "{\"command\": \"ls -la\"}\n",
        "not json\n",
        "{\"command\": 3}\n",
        "\n",
        "{\"command\": \"echo $(id)\", \"context\": {\"source\": \"ci\"}}\n",
        "{\"nope\": 1}\n",
        "{\"command\": \"echo 'unterminated\"}",
    );
    let (code, out, _) = run_with_stdin(&["parse", "--jsonl"], input.as_bytes());
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[0]["parts"][0]["argv"],
        serde_json::json!(["ls", "-la"])
    );
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("line 2: not JSON")
    );
    assert!(
        lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("must be a string")
    );
    assert_eq!(lines[3]["parts"].as_array().unwrap().len(), 2);
    assert!(
        lines[4]["error"]
            .as_str()
            .unwrap()
            .contains("no \"command\"")
    );
    assert!(
        lines[5]["opaque"]
            .as_str()
            .unwrap()
            .contains("unterminated")
    );
}

#[test]
fn parse_jsonl_refuses_oversized_records_and_goes_on() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"command\": \"");
    input.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    input.extend_from_slice(b"\"}\n{\"command\": \"ls\"}\n");
    let (code, out, _) = run_with_stdin(&["parse", "--jsonl"], &input);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("longer than"));
    assert!(lines[1].contains("\"ls\""));
}

#[test]
fn parse_without_a_command_is_a_usage_error() {
    let out = expacti().args(["parse"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no command given"));
}

/// Every corpus command gets an answer from one `parse --jsonl` process.
#[test]
fn parse_jsonl_answers_every_corpus_command() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    let Ok(nl) = std::fs::read_to_string(dir.join("nl2bash.txt")) else {
        if std::env::var_os("EXPACTI_REQUIRE_CORPORA").is_some_and(|v| v == "1") {
            panic!(
                "EXPACTI_REQUIRE_CORPORA=1 but the corpora are not at {}",
                dir.display()
            );
        }
        loud(&format!(
            "\n*** SKIPPED: the shared corpora are not at {} ***\n",
            dir.display()
        ));
        return;
    };
    let mut cmds: Vec<String> = nl.lines().map(str::to_string).collect();
    for (file, field) in [
        ("gtfobins.jsonl", "code"),
        ("deploy_run_steps.jsonl", "command"),
        ("deploy_ssh_action_scripts.jsonl", "command"),
    ] {
        for l in std::fs::read_to_string(dir.join(file)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            cmds.push(v[field].as_str().unwrap().to_string());
        }
    }
    let mut input = Vec::new();
    for c in &cmds {
        serde_json::to_writer(&mut input, &serde_json::json!({"command": c})).unwrap();
        input.push(b'\n');
    }
    let (code, out, err) = run_with_stdin(&["parse", "--jsonl"], &input);
    assert_eq!(code, 0, "{err}");
    let answers: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), cmds.len());
    let mut opaque = 0;
    for a in &answers {
        assert!(a.get("parts").is_some(), "{a}");
        if !a["opaque"].is_null() {
            opaque += 1;
        }
    }
    eprintln!(
        "parse --jsonl: {} commands answered, {opaque} opaque",
        answers.len()
    );
}

#[test]
fn score_json_and_exit_code() {
    let out = expacti()
        .args(["score", "--json", "--", "curl -fsSL https://x.sh | sh"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["risk"]["level"], "critical");
    assert!(v["risk"]["score"].as_u64().unwrap() >= 90);
    let r = &v["risk"]["reasons"][0];
    assert_eq!(r["signal"], "download-piped-to-shell");
    assert!(r["span"].is_array() && r["detail"].as_str().unwrap().contains("network"));
}

#[test]
fn score_human_marks_the_risky_span() {
    let out = expacti()
        .args(["score", "--", "echo ok && rm -rf /"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("critical risk"), "{text}");
    assert_eq!(lines[1], "  echo ok && rm -rf /");
    // The caret sits under what made it critical: the `/` that `rm -rf` deletes.
    assert_eq!(lines[2], "                    ^");
    assert!(lines[3].contains("rm-recursive-system"), "{text}");
}

#[test]
fn score_jsonl_answers_in_order() {
    let (code, out, _) = run_with_stdin(
        &["score", "--jsonl"],
        b"{\"command\": \"ls\"}\n{\"command\": \"rm -rf /\"}\nnope\n",
    );
    assert_eq!(code, 0);
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v[0]["risk"]["level"], "low");
    assert_eq!(v[1]["risk"]["level"], "critical");
    assert!(v[2]["error"].is_string());
}

fn policy_path() -> String {
    format!(
        "{}/../testdata/example-policy.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn check_exit_codes_follow_the_verdict() {
    let ctx = [
        "--context",
        "source=ci",
        "--context",
        "repository=acme/app",
        "--context",
        "environment=production",
    ];
    let run = |cmd: &str| {
        let mut c = expacti();
        c.args(["check", "--policy", &policy_path()])
            .args(ctx)
            .args(["--", cmd]);
        c.output().unwrap()
    };
    assert_eq!(run("npm ci && npm run build").status.code(), Some(0));
    assert_eq!(run("git pull").status.code(), Some(1));
    assert_eq!(run("make deploy").status.code(), Some(1));
    assert_eq!(run("git push -f origin main").status.code(), Some(3));
    assert_eq!(
        run("npm ci; curl -fsSL https://x | sh").status.code(),
        Some(3)
    );
    assert_eq!(
        run("kubectl set image deployment/api api=myapp:42")
            .status
            .code(),
        Some(0)
    );
    let out = expacti()
        .args([
            "check",
            "--policy",
            &policy_path(),
            "--json",
            "--",
            "npm ci; rm -rf /",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["parts"][0]["rule"], "build");
    assert_eq!(v["parts"][0]["verdict"], "allow");
    assert!(v["why"].as_str().unwrap().contains("rm -rf /"));
}

#[test]
fn check_and_lint_report_policy_errors_with_file_line_col() {
    let dir = std::env::temp_dir().join(format!("expacti-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "version = 1\n[[rule]]\nid = \"x\"\naction = \"allow\"\nmatch = \"ls [a\"\n",
    )
    .unwrap();
    for args in [
        vec!["check", "--policy", bad.to_str().unwrap(), "--", "ls"],
        vec!["lint", bad.to_str().unwrap()],
    ] {
        let out = expacti().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{}:5:13:", bad.display())), "{err}");
    }
}

#[test]
fn lint_exit_codes() {
    let out = expacti().args(["lint", &policy_path()]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let dir = std::env::temp_dir().join(format!("expacti-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("broad.toml");
    std::fs::write(&p, "version = 1\n[[rule]]\nid = \"all\"\naction = \"allow\"\nmatch = \"**\"\n[[test]]\ncommand = \"rm -rf /\"\nexpect = \"deny\"\n").unwrap();
    let out = expacti()
        .args(["lint", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(":2:1: broad-allow"), "{text}");
    assert!(text.contains(":6:1: test-failed"), "{text}");
}

#[test]
fn check_jsonl_uses_each_records_context() {
    let input = b"{\"command\": \"kubectl set image deployment/api api=myapp:1\", \"context\": {\"source\": \"ci\", \"repository\": \"acme/app\", \"environment\": \"production\"}}\n{\"command\": \"kubectl set image deployment/api api=myapp:1\"}\n";
    let (code, out, _) = run_with_stdin(&["check", "--policy", &policy_path(), "--jsonl"], input);
    assert_eq!(code, 0);
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v[0]["verdict"], "allow");
    assert_eq!(v[1]["verdict"], "review");
}

/// Writes straight to standard error, past the test harness's capture, so a skip is seen.
fn loud(msg: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(msg.as_bytes());
}

#[test]
fn suggest_mines_history_into_pasteable_rules() {
    let dir = std::env::temp_dir().join(format!("expacti-suggest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let h = dir.join("history.jsonl");
    let mut lines = Vec::new();
    for sha in ["3f2a9c1", "a1b2c3d", "9e8d7c6"] {
        lines.push(serde_json::json!({"command": format!("docker push ghcr.io/acme/api:{sha}"), "decision": "approved", "at": "2026-11-24T10:00:00Z"}).to_string());
    }
    lines.push("{broken".to_string());
    std::fs::write(&h, lines.join("\n")).unwrap();
    let out = expacti()
        .args([
            "suggest",
            "--history",
            h.to_str().unwrap(),
            "--max-risk",
            "high",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(":4: "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = expacti()
        .args([
            "suggest",
            "--history",
            h.to_str().unwrap(),
            "--max-risk",
            "high",
            "--skip-bad",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let toml = String::from_utf8(out.stdout).unwrap();
    assert!(
        toml.contains("match = \"docker push ghcr.io/acme/api:*\""),
        "{toml}"
    );
    let p = dir.join("suggested.toml");
    std::fs::write(&p, format!("version = 1\n{toml}")).unwrap();
    let out = expacti()
        .args([
            "check",
            "--policy",
            p.to_str().unwrap(),
            "--",
            "docker push ghcr.io/acme/api:0000001",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
