//! The cost of risk scoring on top of parsing, over the corpora and over typical deploy
//! commands: `parse` alone is the baseline, `parse + score` the measurement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use expacti_benches::{SAMPLE, corpus_commands};
use expacti_core::risk::RiskEngine;

fn bench_risk(c: &mut Criterion) {
    let engine = RiskEngine::builtin().unwrap();
    for (name, cmds) in [
        (
            "typical",
            SAMPLE.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ),
        ("corpus", corpus_commands()),
    ] {
        let mut g = c.benchmark_group(format!("risk_{name}"));
        g.throughput(Throughput::Elements(cmds.len() as u64));
        g.bench_function("parse (baseline)", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for cmd in &cmds {
                    n += black_box(expacti_core::parse(black_box(cmd))).parts.len();
                }
                n
            })
        });
        g.bench_function("parse + score", |b| {
            b.iter(|| {
                let mut n = 0u32;
                for cmd in &cmds {
                    let p = expacti_core::parse(black_box(cmd));
                    n += u32::from(black_box(engine.score(&p, cmd)).score);
                }
                n
            })
        });
        g.finish();
    }
    c.bench_function("risk_engine_build", |b| {
        b.iter(|| RiskEngine::builtin().unwrap())
    });
}

/// What scoring adds to parsing, measured in turns (see [`expacti_benches::paired`]): each
/// round runs `parse + score` and `parse` alone over the typical commands once each (many
/// times over, so that a round takes about a millisecond).
fn paired_score() {
    let engine = RiskEngine::builtin().unwrap();
    let cmds: Vec<String> = SAMPLE.iter().map(|s| s.to_string()).collect();
    const REPS: usize = 100;
    let p = expacti_benches::paired(
        400,
        40,
        || {
            for _ in 0..REPS {
                for cmd in &cmds {
                    let p = expacti_core::parse(black_box(cmd));
                    black_box(engine.score(&p, cmd).score);
                }
            }
        },
        || {
            for _ in 0..REPS {
                for cmd in &cmds {
                    black_box(expacti_core::parse(black_box(cmd)).parts.len());
                }
            }
        },
    );
    let per = (REPS * cmds.len()) as f64;
    eprintln!(
        "risk_typical paired ({} rounds): scoring adds {:.3} us a command (quartiles {:.3}-{:.3})",
        p.rounds,
        p.diff_ns / per / 1e3,
        p.diff_q.0 / per / 1e3,
        p.diff_q.1 / per / 1e3
    );
}

criterion_group!(benches, bench_risk);

fn main() {
    benches();
    if expacti_benches::benchmarking() {
        paired_score();
    }
    Criterion::default().configure_from_args().final_summary();
}
