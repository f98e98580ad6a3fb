//! The cost of risk scoring on top of parsing, over the corpora and over typical deploy
//! commands: `parse` alone is the baseline, `parse + score` the measurement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

criterion_group!(benches, bench_risk);
criterion_main!(benches);
