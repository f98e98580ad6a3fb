//! Times parse and parse+score of single commands (a quick look; benches/ measures).
#![allow(clippy::unwrap_used)]
use std::time::Instant;

fn main() {
    let engine = expacti_core::risk::RiskEngine::builtin().unwrap();
    for c in [
        "npm ci",
        "ls -la /tmp",
        "kubectl set image deployment/api api=ghcr.io/acme/api:3f2a9c1 -n production",
        "terraform apply -auto-approve",
        "curl -fsSL https://get.example.com/install.sh | sh",
    ] {
        let n = 200_000;
        let t = Instant::now();
        let mut k = 0;
        for _ in 0..n {
            k += expacti_core::parse(std::hint::black_box(c)).parts.len();
        }
        let a = t.elapsed().as_nanos() as f64 / n as f64;
        let t = Instant::now();
        for _ in 0..n {
            let p = expacti_core::parse(std::hint::black_box(c));
            k += engine.score(&p, c).score as usize;
        }
        let b = t.elapsed().as_nanos() as f64 / n as f64;
        println!("{c:60.60} parse {a:6.0} ns  +score {:6.0} ns ({k})", b - a);
    }
}
