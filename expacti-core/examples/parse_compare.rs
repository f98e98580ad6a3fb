//! Per-corpus timing of `parse` against `shell_words::split` (a quick look; the criterion
//! bench in `benches/` is the measurement).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    let mut sets: Vec<(&str, Vec<String>)> = Vec::new();
    let nl = std::fs::read_to_string(dir.join("nl2bash.txt")).unwrap();
    sets.push(("nl2bash", nl.lines().map(str::to_string).collect()));
    for (f, field) in [
        ("gtfobins.jsonl", "code"),
        ("deploy_run_steps.jsonl", "command"),
    ] {
        let t = std::fs::read_to_string(dir.join(f)).unwrap();
        let v = t
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()[field]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        sets.push((f, v));
    }
    for (name, cmds) in &sets {
        let bytes: usize = cmds.iter().map(String::len).sum();
        let t = Instant::now();
        let mut n = 0;
        for _ in 0..20 {
            for c in cmds {
                n += expacti_core::parse(c).parts.len();
            }
        }
        let a = t.elapsed().as_nanos() as f64 / 20.0 / cmds.len() as f64;
        let t = Instant::now();
        for _ in 0..20 {
            for c in cmds {
                n += shell_words::split(c).map_or(0, |v| v.len());
            }
        }
        let b = t.elapsed().as_nanos() as f64 / 20.0 / cmds.len() as f64;
        println!(
            "{name:28} {:6} cmds {:5.0} B/cmd  parse {a:7.0} ns  shell_words {b:7.0} ns  ratio {:.2} ({n})",
            cmds.len(),
            bytes as f64 / cmds.len() as f64,
            a / b
        );
    }
}
