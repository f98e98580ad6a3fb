//! Scores the given commands many times (for profiling the risk engine).
#![allow(clippy::unwrap_used)]

fn main() {
    let engine = expacti_core::risk::RiskEngine::builtin().unwrap();
    let cmds: Vec<String> = std::env::args().skip(1).collect();
    let parsed: Vec<_> = cmds.iter().map(|c| expacti_core::parse(c)).collect();
    let mut t = 0u64;
    // EXPACTI_ITERS scores in all (default 2,000,000); fewer for callgrind.
    let total: usize = std::env::var("EXPACTI_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    for _ in 0..(total / cmds.len().max(1)) {
        for (p, c) in parsed.iter().zip(&cmds) {
            t += u64::from(engine.score(std::hint::black_box(p), c).score);
        }
    }
    println!("{t}");
}
