use expacti_benches::SAMPLE;
use expacti_core::risk::RiskEngine;
fn main() {
    let engine = RiskEngine::builtin().unwrap();
    let parsed: Vec<_> = SAMPLE.iter().map(|c| (expacti_core::parse(c), *c)).collect();
    let mut n = 0u64;
    let t = std::time::Instant::now();
    for _ in 0..300_000 {
        for (p, c) in &parsed {
            n += u64::from(std::hint::black_box(engine.score(p, c)).score);
        }
    }
    let per = t.elapsed().as_secs_f64() * 1e9 / (300_000.0 * parsed.len() as f64);
    println!("{n} {per:.0} ns/score");
}
