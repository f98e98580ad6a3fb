//! Loading the shared corpora of real commands (`../shared/corpora`, beside the checkout).
//!
//! A user's clone does not have them: the tests that need them print a loud message and
//! pass. CI sets `EXPACTI_REQUIRE_CORPORA=1`, which turns a missing corpus into a failure.

use std::path::PathBuf;

/// One corpus command and where it came from.
pub struct Cmd {
    pub source: &'static str,
    pub line: usize,
    pub text: String,
}

pub fn dir() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    if root.join("nl2bash.txt").is_file() {
        return Some(root);
    }
    if std::env::var_os("EXPACTI_REQUIRE_CORPORA").is_some_and(|v| v == "1") {
        panic!(
            "EXPACTI_REQUIRE_CORPORA=1 but the corpora are not at {}",
            root.display()
        );
    }
    loud(&format!(
        "\n*** SKIPPED: the shared corpora are not at {} (they sit beside the checkout in CI) ***\n",
        root.display()
    ));
    None
}

/// Every command of every corpus, or `None` (after a loud message) when they are absent.
pub fn all() -> Option<Vec<Cmd>> {
    let dir = dir()?;
    let mut out = Vec::new();
    let nl = std::fs::read_to_string(dir.join("nl2bash.txt")).unwrap();
    for (i, l) in nl.lines().enumerate() {
        out.push(Cmd {
            source: "nl2bash.txt",
            line: i + 1,
            text: l.to_string(),
        });
    }
    for (file, field) in [
        ("gtfobins.jsonl", "code"),
        ("deploy_run_steps.jsonl", "command"),
        ("deploy_ssh_action_scripts.jsonl", "command"),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let name: &'static str = match file {
            "gtfobins.jsonl" => "gtfobins.jsonl",
            "deploy_run_steps.jsonl" => "deploy_run_steps.jsonl",
            _ => "deploy_ssh_action_scripts.jsonl",
        };
        for (i, l) in text.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let cmd = v[field].as_str().unwrap().to_string();
            out.push(Cmd {
                source: name,
                line: i + 1,
                text: cmd,
            });
        }
    }
    Some(out)
}

/// Writes straight to standard error, past the test harness's capture, so a skip is seen.
pub fn loud(msg: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(msg.as_bytes());
}
