//! Level distribution of the risk engine over the corpora, with samples (a look, not a test).
#![allow(clippy::unwrap_used)]

use expacti_core::risk::{Level, RiskEngine};

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    let engine = RiskEngine::builtin().unwrap();
    let want = std::env::args().nth(1).unwrap_or_default();
    let mut sets: Vec<(&str, Vec<String>)> = Vec::new();
    let nl = std::fs::read_to_string(dir.join("nl2bash.txt")).unwrap();
    sets.push(("nl2bash", nl.lines().map(str::to_string).collect()));
    for (f, field) in [
        ("gtfobins.jsonl", "code"),
        ("deploy_run_steps.jsonl", "command"),
        ("deploy_ssh_action_scripts.jsonl", "command"),
    ] {
        let t = std::fs::read_to_string(dir.join(f)).unwrap();
        sets.push((
            f,
            t.lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()[field]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
        ));
    }
    for (name, cmds) in &sets {
        let mut counts = [0usize; 4];
        for c in cmds {
            let r = engine.score_str(c);
            counts[r.level as usize] += 1;
            if !want.is_empty() && name.starts_with(&want) && r.level >= Level::High {
                let top = r.reasons.first().map(|x| x.signal.as_str()).unwrap_or("");
                println!(
                    "  {:8} {:3} {top:28} {}",
                    r.level.as_str(),
                    r.score,
                    c.replace('\n', "⏎").chars().take(110).collect::<String>()
                );
            }
        }
        println!(
            "{name:32} low {:5} medium {:5} high {:5} critical {:5}",
            counts[0], counts[1], counts[2], counts[3]
        );
    }
}
