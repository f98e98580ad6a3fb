//! Parses (or splits with shell-words) every corpus command N times, for instruction counts
//! under callgrind: `parse_vs_split parse|split N`.
#![allow(clippy::unwrap_used)]

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    let mut cmds: Vec<String> = std::fs::read_to_string(dir.join("nl2bash.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    for (file, field) in [
        ("gtfobins.jsonl", "code"),
        ("deploy_run_steps.jsonl", "command"),
        ("deploy_ssh_action_scripts.jsonl", "command"),
    ] {
        if let Ok(t) = std::fs::read_to_string(dir.join(file)) {
            for l in t.lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                cmds.push(v[field].as_str().unwrap().to_string());
            }
        }
    }
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let mut total = 0;
    for _ in 0..n {
        for c in &cmds {
            total += match mode.as_str() {
                "parse" => expacti_core::parse(std::hint::black_box(c)).parts.len(),
                "split" => shell_words::split(std::hint::black_box(c)).map_or(0, |v| v.len()),
                _ => 0,
            };
        }
    }
    println!("{total}");
}
