//! Wall time of `parse` against `shell_words::split` on the corpora (a quick look; the
//! criterion bench in `benches/` is the measurement): `parse_compare [REPS]`, release build.
//!
//! Hot parses each nl2bash command REPS times in a row (the branch predictor learns it);
//! swept parses all of them one after another, REPS times (as a server sees a stream of
//! different commands). Then each corpus source is timed swept. Times are per pass over the
//! commands, best of three.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

fn load() -> Vec<(String, Vec<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    let mut groups = vec![(
        "nl2bash".to_string(),
        std::fs::read_to_string(dir.join("nl2bash.txt"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>(),
    )];
    for (file, field) in [
        ("gtfobins.jsonl", "code"),
        ("deploy_run_steps.jsonl", "command"),
        ("deploy_ssh_action_scripts.jsonl", "command"),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let cmds = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v[field].as_str().unwrap().to_string()
            })
            .collect();
        groups.push((file.to_string(), cmds));
    }
    groups
}

fn run(cmd: &str, split: bool) -> usize {
    if split {
        shell_words::split(black_box(cmd)).map_or(0, |v| v.len())
    } else {
        expacti_core::parse(black_box(cmd)).parts.len()
    }
}

/// Milliseconds per pass over `cmds`, best of three.
fn time(cmds: &[String], reps: usize, hot: bool, split: bool) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0;
        if hot {
            for c in cmds {
                for _ in 0..reps {
                    n += run(c, split);
                }
            }
        } else {
            for _ in 0..reps {
                for c in cmds {
                    n += run(c, split);
                }
            }
        }
        black_box(n);
        best = best.min(t.elapsed().as_secs_f64() * 1e3 / reps as f64);
    }
    best
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let groups = load();
    let nl = &groups[0].1;
    for hot in [true, false] {
        let (p, s) = (time(nl, reps, hot, false), time(nl, reps, hot, true));
        let how = if hot { "hot" } else { "swept" };
        println!(
            "nl2bash {how:5}: parse {p:.3} ms, split {s:.3} ms, ratio {:.2}",
            p / s
        );
    }
    let all: Vec<String> = groups.iter().flat_map(|g| g.1.iter().cloned()).collect();
    let plain: Vec<String> = all
        .iter()
        .filter(|c| {
            c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" -_./:=,".contains(&b))
        })
        .cloned()
        .collect();
    let mut rows: Vec<(String, &[String])> = groups
        .iter()
        .map(|(n, c)| (n.clone(), c.as_slice()))
        .collect();
    rows.push(("plain words only".into(), &plain));
    rows.push(("all".into(), &all));
    for (name, cmds) in rows {
        let (p, s) = (
            time(cmds, reps, false, false),
            time(cmds, reps, false, true),
        );
        println!(
            "{name:32} {:6} commands: parse {p:.3} ms, split {s:.3} ms, ratio {:.2}",
            cmds.len(),
            p / s
        );
    }
}
