//! `expacti suggest`: mine approval history into rules.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use expacti_core::risk::{Level, RiskEngine};
use expacti_core::suggest::{SuggestOptions, read_history, suggest, to_toml};

use super::check::load_policy;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Toml,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// History as JSON Lines (SPEC §6; `at` is accepted for `requested_at`).
    #[arg(long)]
    history: std::path::PathBuf,
    /// A policy: what it already allows is skipped, and what it denies is never suggested.
    #[arg(long)]
    policy: Option<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "toml")]
    format: Format,
    /// Approvals a group needs before it is generalised.
    #[arg(long, default_value_t = 3)]
    min_support: usize,
    /// Never suggest a rule covering commands above this risk (low, medium, high, critical).
    #[arg(long, default_value = "medium")]
    max_risk: Level,
    /// Skip unreadable history lines (they are listed on stderr) instead of failing.
    #[arg(long)]
    skip_bad: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&a.history)
        .with_context(|| format!("cannot read {}", a.history.display()))?;
    let path = a.history.display();
    let (records, bad) = read_history(&text, a.skip_bad)
        .map_err(|e| anyhow::anyhow!("{path}:{}: {}", e.line, e.message))?;
    for b in &bad {
        eprintln!("expacti: {path}:{}: {} (skipped)", b.line, b.message);
    }
    let policy = a.policy.as_deref().map(load_policy).transpose()?;
    let risk = match &policy {
        Some(p) => p.risk.clone(),
        None => RiskEngine::builtin()?,
    };
    let opts = SuggestOptions {
        min_support: a.min_support.max(1),
        max_risk: a.max_risk,
        ..SuggestOptions::default()
    };
    let s = suggest(&records, policy.as_ref(), &risk, &opts);
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Toml => {
            out.write_all(to_toml(&s).as_bytes())?;
            for d in &s.dropped {
                writeln!(out, "# dropped `{}`: {}", d.pattern, d.why)?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &s)?;
            writeln!(out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
