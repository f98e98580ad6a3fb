//! Scores one command many times (for profiling the risk engine).
#![allow(clippy::unwrap_used)]

fn main() {
    let engine = expacti_core::risk::RiskEngine::builtin().unwrap();
    let c = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let p = expacti_core::parse(&c);
    let mut t = 0u64;
    for _ in 0..n {
        t += u64::from(engine.score(std::hint::black_box(&p), &c).score);
    }
    println!("{t}");
}
