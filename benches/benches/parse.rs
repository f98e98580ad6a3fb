//! Parsing throughput over the corpora, against `shell_words::split` as the baseline.
//!
//! shell-words only splits words (no operators, substitutions, heredocs, wrappers or spans),
//! so it is the floor any real parser is measured against.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
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

/// The same comparison in turns (see [`expacti_benches::paired`]): each round parses the whole
/// corpus once with each, so both see the same state of the machine.
fn paired_parse() {
    let cmds = corpus_commands();
    let pass = |split: bool| {
        let mut n = 0usize;
        for cmd in &cmds {
            n += if split {
                black_box(shell_words::split(black_box(cmd))).map_or(0, |v| v.len())
            } else {
                black_box(expacti_core::parse(black_box(cmd))).parts.len()
            };
        }
        black_box(n);
    };
    let p = expacti_benches::paired(200, 20, || pass(false), || pass(true));
    eprintln!(
        "parse_corpus paired ({} rounds): parse / shell_words::split = {:.3} (quartiles {:.3}-{:.3})",
        p.rounds, p.ratio, p.ratio_q.0, p.ratio_q.1
    );
}

criterion_group!(benches, bench_parse);

fn main() {
    benches();
    if expacti_benches::benchmarking() {
        paired_parse();
    }
    Criterion::default().configure_from_args().final_summary();
}
