//! Times parse and parse+score of single commands (a quick look; benches/ measures).
#![allow(clippy::unwrap_used)]
use std::time::Instant;

fn main() {
    let engine = expacti_core::risk::RiskEngine::builtin().unwrap();
    let cmds = [
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
    for c in cmds {
        let n = 100_000;
        let p = expacti_core::parse(c);
        let t = Instant::now();
        let mut k = 0;
        for _ in 0..n {
            k += engine.score(std::hint::black_box(&p), c).score as usize;
        }
        let b = t.elapsed().as_nanos() as f64 / n as f64;
        println!("{c:60.60} score {b:6.0} ns ({k})");
    }
}
