//! Policy matching at 10 to 100,000 rules (issue 4), against two baselines in the same run:
//! one `GlobSet` over whole command lines, and a loop over single glob matchers.
//!
//! The table (compile time and memory, cold and warm p50/p99 per command) is printed by a
//! measured pass before criterion's own runs; criterion then times the warm full check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use expacti_core::policy::{Context, Policy};
use globset::{Glob, GlobSetBuilder};

/// Counts live heap bytes, for the compiled policy's memory.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

#[expect(
    unsafe_code,
    reason = "a counting allocator that forwards to the system allocator"
)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Deploy-style rule `i` (five families with long shared prefixes). Every family has a
/// wildcard inside the line, as real deploy rules do (a context, a tag, a region, a file
/// name): the shape of the reference figures, where a `GlobSet` must fall back to its
/// regex strategy (a literal-prefix rule ending in `*` would let it use a prefix automaton).
fn rule_pattern(i: usize) -> String {
    match i % 5 {
        0 => format!(
            "kubectl --context prod-eu-* -n team-{i} set image deployment/svc-{i} svc-{i}=registry.example.com/team-{i}/svc:*"
        ),
        1 => format!(
            "helm upgrade --install rel-{i} ./charts/svc-{i} -n team-{i} --set image.tag=* --wait"
        ),
        2 => format!("aws s3 cp ./build/site-{i}-*.tar.gz s3://acme-artifacts/site-{i}/"),
        3 => format!("terraform -chdir=infra/stack-{i} plan -var=region=* -out=plan-{i}.tfplan"),
        _ => format!(
            "docker tag ghcr.io/acme/svc-{i}:* registry.example.com/team-{i}/svc-{i}:release"
        ),
    }
}

/// A command for rule `i` (it matches when `i` is below the rule count).
fn command(i: usize, k: usize) -> String {
    rule_pattern(i).replace('*', &format!("{:07x}", k * 2_654_435_761 % 0xfff_ffff))
}

fn policy_toml(n: usize) -> String {
    let mut s = String::from("version = 1\n");
    for i in 0..n {
        s.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\naction = \"allow\"\nmatch = {:?}\n",
            rule_pattern(i)
        ));
    }
    s
}

fn commands(n: usize) -> Vec<String> {
    // 1,000 commands: half for existing rules, half for rules beyond the policy.
    (0..1000)
        .map(|k| command((k * 7919) % (2 * n.max(1)), k))
        .collect()
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    (v[v.len() / 2], v[v.len() * 99 / 100], mean)
}

fn time_each(cmds: &[String], mut f: impl FnMut(&str) -> bool) -> (Vec<f64>, usize) {
    let mut times = Vec::with_capacity(cmds.len());
    let mut hits = 0;
    for c in cmds {
        let t = Instant::now();
        hits += usize::from(black_box(f(c)));
        times.push(t.elapsed().as_nanos() as f64 / 1000.0);
    }
    (times, hits)
}

fn table() {
    eprintln!(
        "\n| rules | compile | memory | method | cold p50 | cold p99 | warm p50 | warm p99 | warm mean | allowed |"
    );
    eprintln!("|---|---|---|---|---|---|---|---|---|---|");
    let ctx = Context::default();
    for n in [10usize, 100, 1_000, 10_000, 100_000] {
        let text = policy_toml(n);
        let before = LIVE.load(Ordering::Relaxed);
        let t = Instant::now();
        let policy = Policy::from_toml(&text, "bench.toml").unwrap();
        let compile = t.elapsed();
        let mem = LIVE.load(Ordering::Relaxed).saturating_sub(before);
        let cmds = commands(n);
        let (cold, hits) = time_each(&cmds, |c| {
            policy.check(c, &ctx).verdict == expacti_core::Decision::Allow
        });
        let (warm, _) = time_each(&cmds, |c| {
            policy.check(c, &ctx).verdict == expacti_core::Decision::Allow
        });
        let (c50, c99, _) = percentiles(cold);
        let (w50, w99, wm) = percentiles(warm);
        eprintln!(
            "| {n} | {:.1} ms | {:.1} MiB | expacti check (parse, risk, verdict) | {c50:.2} µs | {c99:.2} µs | {w50:.2} µs | {w99:.2} µs | {wm:.2} µs | {hits} |",
            compile.as_secs_f64() * 1e3,
            mem as f64 / 1048576.0
        );
        // Baseline 1: one GlobSet over whole lines.
        let t = Instant::now();
        let mut b = GlobSetBuilder::new();
        for i in 0..n {
            b.add(Glob::new(&rule_pattern(i)).unwrap());
        }
        match b.build() {
            Ok(set) => {
                let built = t.elapsed();
                let (cold, hits) = time_each(&cmds, |c| set.is_match(c));
                let (warm, _) = time_each(&cmds, |c| set.is_match(c));
                let (c50, c99, _) = percentiles(cold);
                let (w50, w99, wm) = percentiles(warm);
                eprintln!(
                    "| {n} | {:.1} ms | | GlobSet over whole lines (baseline) | {c50:.2} µs | {c99:.2} µs | {w50:.2} µs | {w99:.2} µs | {wm:.2} µs | {hits} |",
                    built.as_secs_f64() * 1e3
                );
            }
            Err(e) => {
                eprintln!(
                    "| {n} | | | GlobSet over whole lines (baseline) | cannot build: {} | | | | | |",
                    e.to_string().chars().take(60).collect::<String>()
                );
                // The largest set of these rules that does build, and its cost there.
                let builds = |m: usize| {
                    let mut b = GlobSetBuilder::new();
                    for i in 0..m {
                        b.add(Glob::new(&rule_pattern(i)).unwrap());
                    }
                    b.build().ok()
                };
                let (mut lo, mut hi) = (1usize, n);
                while hi - lo > n / 200 {
                    let mid = (lo + hi) / 2;
                    if builds(mid).is_some() {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                if let Some(set) = builds(lo) {
                    let (warm, hits) = time_each(&cmds, |c| set.is_match(c));
                    let (w50, w99, wm) = percentiles(warm);
                    eprintln!(
                        "| {lo} | | | GlobSet, the largest that builds (baseline) | | | {w50:.2} µs | {w99:.2} µs | {wm:.2} µs | {hits} |"
                    );
                }
            }
        }
        // Baseline 2: a loop over single matchers (skipped at 100,000: minutes per pass).
        if n <= 10_000 {
            let matchers: Vec<_> = (0..n)
                .map(|i| Glob::new(&rule_pattern(i)).unwrap().compile_matcher())
                .collect();
            let sample = &cmds[..if n >= 10_000 { 200 } else { cmds.len() }];
            let (warm, hits) = time_each(sample, |c| matchers.iter().any(|m| m.is_match(c)));
            let (w50, w99, wm) = percentiles(warm);
            eprintln!(
                "| {n} | | | loop over single matchers (baseline) | | | {w50:.2} µs | {w99:.2} µs | {wm:.2} µs | {hits}/{} |",
                sample.len()
            );
        }
    }
    let cmds = commands(1000);
    eprintln!(
        "\ncommands: {}, mean {:.0} bytes\n",
        cmds.len(),
        cmds.iter().map(String::len).sum::<usize>() as f64 / cmds.len() as f64
    );
}

fn bench_policy(c: &mut Criterion) {
    table();
    let ctx = Context::default();
    for n in [10usize, 10_000] {
        let policy = Policy::from_toml(&policy_toml(n), "bench.toml").unwrap();
        let cmds = commands(n);
        let mut g = c.benchmark_group(format!("policy_{n}_rules"));
        g.sample_size(20);
        g.bench_function("expacti check", |b| {
            b.iter(|| {
                cmds.iter()
                    .filter(|c| policy.check(c, &ctx).verdict == expacti_core::Decision::Allow)
                    .count()
            })
        });
        let mut gb = GlobSetBuilder::new();
        for i in 0..n {
            gb.add(Glob::new(&rule_pattern(i)).unwrap());
        }
        if let Ok(set) = gb.build() {
            g.bench_function("GlobSet (baseline)", |b| {
                b.iter(|| cmds.iter().filter(|c| set.is_match(c.as_str())).count())
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_policy);
criterion_main!(benches);
