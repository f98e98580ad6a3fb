//! Times compiling a generated deploy-style policy (for profiling `Policy::from_toml`):
//! `policy_compile N REPEATS`. With `EXPACTI_CHECKS=K`, then checks 1,000 commands of the
//! policy bench's shape K times (for instruction counts of `Policy::check`).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let reps: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let pattern = |i: usize| match i % 5 {
        0 => format!(
            "kubectl --context prod-eu-* -n team-{i} set image deployment/svc-{i} svc-{i}=registry.example.com/team-{i}/svc:*"
        ),
        1 => format!(
            "helm upgrade --install rel-{i} ./charts/svc-{i} -n team-{i} --set image.tag=* --wait"
        ),
        2 => format!("aws s3 cp ./build/site-{i}-*.tar.gz s3://acme-artifacts/site-{i}/"),
        3 => {
            format!("terraform -chdir=infra/stack-{i} plan -var=region=* -out=plan-{i}.tfplan")
        }
        _ => format!(
            "docker tag ghcr.io/acme/svc-{i}:* registry.example.com/team-{i}/svc-{i}:release"
        ),
    };
    let mut text = String::from("version = 1\n");
    for i in 0..n {
        let pat = pattern(i);
        text.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\naction = \"allow\"\nmatch = {pat:?}\n"
        ));
    }
    if let Some(k) = std::env::var("EXPACTI_CHECKS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let p = expacti_core::Policy::from_toml(&text, "gen.toml").unwrap();
        let ctx = expacti_core::Context::default();
        // As the policy bench: half the commands for rules in the policy, half beyond it.
        let cmds: Vec<String> = (0..1000)
            .map(|j| {
                pattern((j * 7919) % (2 * n.max(1)))
                    .replace('*', &format!("{:07x}", j * 2_654_435_761 % 0xfff_ffff))
            })
            .collect();
        let mut allowed = 0;
        for _ in 0..k {
            for c in &cmds {
                allowed += usize::from(
                    p.check(std::hint::black_box(c), &ctx).verdict == expacti_core::Decision::Allow,
                );
            }
        }
        println!("{allowed} allowed");
        return;
    }
    for _ in 0..reps {
        let t = Instant::now();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let toml_only = t.elapsed();
        drop(table);
        let t = Instant::now();
        let engine = expacti_core::risk::RiskEngine::builtin().unwrap();
        let risk = t.elapsed();
        drop(engine);
        let t = Instant::now();
        let p = expacti_core::Policy::from_toml(&text, "gen.toml").unwrap();
        let all = t.elapsed();
        drop(p);
        println!(
            "{n} rules: from_toml {:.1} ms (toml::Table alone {:.1} ms, risk engine alone {:.1} ms)",
            all.as_secs_f64() * 1e3,
            toml_only.as_secs_f64() * 1e3,
            risk.as_secs_f64() * 1e3
        );
    }
}
