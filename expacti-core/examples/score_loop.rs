//! Scores the given commands many times (for profiling the risk engine).
#![allow(clippy::unwrap_used)]

fn main() {
    let engine = expacti_core::risk::RiskEngine::builtin().unwrap();
    let cmds: Vec<String> = std::env::args().skip(1).collect();
    let parsed: Vec<_> = cmds.iter().map(|c| expacti_core::parse(c)).collect();
    let mut t = 0u64;
    for _ in 0..(2_000_000 / cmds.len().max(1)) {
        for (p, c) in parsed.iter().zip(&cmds) {
            t += u64::from(engine.score(std::hint::black_box(p), c).score);
        }
    }
    println!("{t}");
}
