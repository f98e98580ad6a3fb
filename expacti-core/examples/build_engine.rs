//! Builds the risk engine repeatedly (for profiling its compile time).
#![allow(clippy::unwrap_used)]
fn main() {
    let t = std::time::Instant::now();
    for _ in 0..20 {
        std::hint::black_box(expacti_core::risk::RiskEngine::builtin().unwrap());
    }
    println!("{:?} per build", t.elapsed() / 20);
}
