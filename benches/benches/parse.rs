//! Parsing throughput over the corpora, against `shell_words::split` as the baseline.
//!
//! shell-words only splits words (no operators, substitutions, heredocs, wrappers or spans),
//! so it is the floor any real parser is measured against.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use expacti_benches::corpus_commands;

fn bench_parse(c: &mut Criterion) {
    let cmds = corpus_commands();
    let bytes: usize = cmds.iter().map(String::len).sum();
    let mut g = c.benchmark_group("parse_corpus");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("expacti_core::parse", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for cmd in &cmds {
                n += black_box(expacti_core::parse(black_box(cmd))).parts.len();
            }
            n
        })
    });
    g.bench_function("shell_words::split (baseline)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for cmd in &cmds {
                n += black_box(shell_words::split(black_box(cmd))).map_or(0, |v| v.len());
            }
            n
        })
    });
    g.finish();
    eprintln!(
        "parse_corpus: {} commands, {bytes} bytes, mean {:.0} bytes",
        cmds.len(),
        bytes as f64 / cmds.len() as f64
    );
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
