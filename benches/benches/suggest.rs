//! Mining 10,000 and 100,000 history records (issue 5). The baseline in the same run is
//! reading the same history without mining (what any miner must pay).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use expacti_core::risk::{Level, RiskEngine};
use expacti_core::suggest::{SuggestOptions, read_history, suggest};

/// Deploy families with SHAs, versions, regions and PR numbers; one record in 20 is denied.
fn history(n: usize) -> String {
    let regions = ["eu-west-1", "us-east-1", "ap-south-1"];
    let mut out = String::new();
    for i in 0..n {
        let sha = format!("{:07x}", (i * 2_654_435_761) % 0xfff_ffff);
        let cmd = match i % 5 {
            0 => format!(
                "kubectl set image deployment/svc-{} app=ghcr.io/acme/app:{sha} -n staging",
                i % 20
            ),
            1 => format!(
                "helm upgrade --install rel-{} ./chart --set image.tag=v1.{}.{}",
                i % 10,
                i % 7,
                i % 13
            ),
            2 => format!(
                "aws ecs update-service --cluster main --service api --region {}",
                regions[i % 3]
            ),
            3 => format!("gh pr merge {} --squash", 1000 + i % 500),
            _ => format!("docker push ghcr.io/acme/app:{sha}"),
        };
        let decision = if i % 20 == 19 { "denied" } else { "approved" };
        out.push_str(&serde_json::json!({"command": cmd, "decision": decision, "at": "2026-11-24T10:00:00Z"}).to_string());
        out.push('\n');
    }
    out
}

fn bench_suggest(c: &mut Criterion) {
    let risk = RiskEngine::builtin().unwrap();
    let opts = SuggestOptions {
        max_risk: Level::High,
        ..SuggestOptions::default()
    };
    for n in [10_000usize, 100_000] {
        let text = history(n);
        let mut g = c.benchmark_group(format!("suggest_{n}_records"));
        g.sample_size(10);
        g.bench_function("read history (baseline)", |b| {
            b.iter(|| read_history(black_box(&text), false).unwrap().0.len())
        });
        let (records, _) = read_history(&text, false).unwrap();
        g.bench_function("read + mine", |b| {
            b.iter(|| {
                let (r, _) = read_history(black_box(&text), false).unwrap();
                suggest(&r, None, &risk, &opts).suggestions.len()
            })
        });
        let s = suggest(&records, None, &risk, &opts);
        eprintln!(
            "suggest_{n}: {} suggestions, {} dropped",
            s.suggestions.len(),
            s.dropped.len()
        );
        g.finish();
    }
}

criterion_group!(benches, bench_suggest);
criterion_main!(benches);
