//! Parses every corpus command N times (for profiling): `cargo run --release --example
//! parse_corpus -- 20`.
#![allow(clippy::unwrap_used)]

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    let mut cmds: Vec<String> = std::fs::read_to_string(dir.join("nl2bash.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    if let Ok(t) = std::fs::read_to_string(dir.join("deploy_run_steps.jsonl")) {
        for l in t.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            cmds.push(v["command"].as_str().unwrap().to_string());
        }
    }
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let mut parts = 0;
    for _ in 0..n {
        for c in &cmds {
            parts += expacti_core::parse(c).parts.len();
        }
    }
    println!("{parts}");
}
