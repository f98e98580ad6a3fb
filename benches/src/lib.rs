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
