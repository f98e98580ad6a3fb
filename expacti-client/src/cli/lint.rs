//! `expacti lint`: check a policy and run its tests. Exit 0 clean, 1 findings, 2 unreadable.

use std::io::Write;
use std::process::ExitCode;

use super::check::load_policy;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy file (TOML).
    policy: std::path::PathBuf,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let policy = load_policy(&a.policy)?;
    let findings = policy.lint();
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &findings)?;
        writeln!(out)?;
    } else {
        let file = a.policy.display();
        for f in &findings {
            writeln!(out, "{file}:{}:1: {}: {}", f.line, f.kind, f.message)?;
        }
        if findings.is_empty() {
            writeln!(
                out,
                "{file}: clean ({} rules, {} tests pass)",
                policy.rules.len(),
                policy.tests.len()
            )?;
        }
    }
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
