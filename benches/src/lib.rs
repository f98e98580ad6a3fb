//! Shared helpers for the benchmarks: loading the corpora of real commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

/// Every command of `../shared/corpora` (beside the checkout), or a small built-in sample
/// with a loud message when the corpora are absent.
pub fn corpus_commands() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    let Ok(nl) = std::fs::read_to_string(dir.join("nl2bash.txt")) else {
        eprintln!("*** the shared corpora are absent: benchmarking a small built-in sample ***");
        return SAMPLE.iter().map(|s| s.to_string()).collect();
    };
    let mut out: Vec<String> = nl.lines().map(str::to_string).collect();
    for (file, field) in [
        ("gtfobins.jsonl", "code"),
        ("deploy_run_steps.jsonl", "command"),
        ("deploy_ssh_action_scripts.jsonl", "command"),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            out.push(v[field].as_str().unwrap().to_string());
        }
    }
    out
}

/// Deploy-style commands for when the corpora are absent.
pub const SAMPLE: &[&str] = &[
    "npm ci",
    "npm run build",
    "cargo test --workspace --all-features",
    "kubectl set image deployment/api api=ghcr.io/acme/api:3f2a9c1 -n production",
    "helm upgrade --install api ./chart -n prod --set image.tag=v1.4.2 --wait",
    "terraform apply -auto-approve -var-file=prod.tfvars",
    "aws s3 sync ./dist s3://acme-site-prod --delete --cache-control max-age=300",
    "docker build -t ghcr.io/acme/api:${GITHUB_SHA} . && docker push ghcr.io/acme/api:${GITHUB_SHA}",
    "ssh deploy@prod-1 'cd /srv/app && git pull && sudo systemctl restart app'",
    "curl -fsSL https://get.example.com/install.sh | sh",
    "psql \"$DATABASE_URL\" -c 'SELECT count(*) FROM users'",
    "find . -name '*.tmp' -exec rm -f {} \\;",
    "echo \"version=$(git describe --tags)\" >> \"$GITHUB_OUTPUT\"",
];

/// Two measurements taken in turns: one round times `a` once and `b` once (in alternating
/// order), so that both see the same state of the machine. On a shared VM whose speed drifts
/// by a third within minutes, criterion's groups (all of `a`, then all of `b`) can compare
/// a fast minute with a slow one; the median over rounds of a per-round comparison cannot.
#[derive(Debug, Clone, Copy)]
pub struct Paired {
    /// Rounds measured.
    pub rounds: usize,
    /// Median over rounds of `a`'s time divided by `b`'s.
    pub ratio: f64,
    /// First and third quartiles of that ratio.
    pub ratio_q: (f64, f64),
    /// Median over rounds of `a`'s time minus `b`'s, in nanoseconds.
    pub diff_ns: f64,
    /// First and third quartiles of that difference.
    pub diff_q: (f64, f64),
}

/// Times `a` against `b` in `rounds` rounds, after `warm` rounds that are not kept.
pub fn paired(rounds: usize, warm: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> Paired {
    let time = |f: &mut dyn FnMut()| {
        let t = std::time::Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e9
    };
    let mut ratios = Vec::with_capacity(rounds);
    let mut diffs = Vec::with_capacity(rounds);
    for i in 0..warm + rounds.max(1) {
        let (ta, tb) = if i % 2 == 0 {
            let ta = time(&mut a);
            (ta, time(&mut b))
        } else {
            let tb = time(&mut b);
            (time(&mut a), tb)
        };
        if i >= warm {
            ratios.push(ta / tb);
            diffs.push(ta - tb);
        }
    }
    let quartiles = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        (at(0.25), at(0.5), at(0.75))
    };
    let (r1, r, r3) = quartiles(&mut ratios);
    let (d1, d, d3) = quartiles(&mut diffs);
    Paired {
        rounds: ratios.len(),
        ratio: r,
        ratio_q: (r1, r3),
        diff_ns: d,
        diff_q: (d1, d3),
    }
}

/// True when the bench binary was started by `cargo bench` (not as a test by `cargo test`),
/// so that the paired measurements, which take a while, run only then.
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}
