//! `expacti audit verify FILE`: check an exported audit trail offline.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Verify an exported audit trail (JSON Lines): exit 0 intact, 1 tampered, 2 unreadable.
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The export (`GET /api/audit/export`).
    file: std::path::PathBuf,
    /// The server's checkpoint public key (hex): every checkpoint must be signed by it. Give
    /// it more than once after a key rotation (old and new keys): each checkpoint must be
    /// signed by one of them.
    #[arg(long)]
    key: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(c: Cmd) -> anyhow::Result<ExitCode> {
    let Cmd::Verify(a) = c;
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let keys: Vec<&str> = a.key.iter().map(String::as_str).collect();
    let rep = expacti_core::audit::verify_keys(&text, &keys);
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &rep)?;
        writeln!(out)?;
    } else if rep.ok() {
        writeln!(
            out,
            "ok: {} records, {} signed checkpoints{}",
            rep.records,
            rep.checkpoints,
            rep.covered_to
                .map(|s| format!(", signed up to record {s}"))
                .unwrap_or_default()
        )?;
    } else {
        writeln!(
            out,
            "TAMPERED: {} problems in {}",
            rep.findings.len(),
            a.file.display()
        )?;
        for f in &rep.findings {
            writeln!(out, "  line {}: {}", f.line, f.message)?;
        }
    }
    Ok(if rep.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
