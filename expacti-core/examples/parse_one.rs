//! Parses one command N times (for instruction counts): `parse_one N CMD`.
#![allow(clippy::unwrap_used)]

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let cmd = std::env::args().nth(2).unwrap_or_default();
    let mut parts = 0;
    for _ in 0..n {
        parts += expacti_core::parse(std::hint::black_box(&cmd)).parts.len();
    }
    println!("{parts}");
}
