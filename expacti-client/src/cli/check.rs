//! `expacti check`: the verdict on a command under a policy, and why.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use expacti_core::policy::{Context, Decision, Evaluation, Policy};

use super::style::Style;
use super::{input, jsonl, score};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy file (TOML).
    #[arg(long)]
    policy: std::path::PathBuf,
    /// Context of the command, as KEY=VALUE (source, repository, ref, actor, environment, …).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Read `{"command": …, "context": {…}}` records from standard input, one a line.
    #[arg(long, conflicts_with = "json")]
    jsonl: bool,
    /// The command: one argument is a command line; several are an argv.
    #[arg(last = true)]
    command: Vec<String>,
}

/// Exit codes of `check` (SPEC §5).
pub fn exit_code(d: Decision) -> ExitCode {
    match d {
        Decision::Allow => ExitCode::SUCCESS,
        Decision::Review => ExitCode::from(1),
        Decision::Deny => ExitCode::from(3),
    }
}

/// Reads and compiles a policy file; errors name file:line:col.
pub fn load_policy(path: &std::path::Path) -> anyhow::Result<Policy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the policy {}", path.display()))?;
    Ok(Policy::from_toml(&text, &path.display().to_string())?)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let policy = load_policy(&a.policy)?;
    let mut ctx = Context::default();
    for kv in &a.context {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("`--context {kv}`: expected KEY=VALUE"))?;
        ctx.values.insert(k.to_string(), v.to_string());
    }
    if a.jsonl {
        let stdin = std::io::stdin().lock();
        let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
        jsonl::for_each(stdin, stdout, |r, out| {
            let eval = match &r.context {
                Some(serde_json::Value::Object(m)) => {
                    let mut c = ctx.clone();
                    for (k, v) in m {
                        if let Some(s) = v.as_str() {
                            c.values.insert(k.clone(), s.to_string());
                        }
                    }
                    policy.check(&r.command, &c)
                }
                _ => policy.check(&r.command, &ctx),
            };
            serde_json::to_writer(out, &eval)
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let line = input::command_line(&a.command)?;
    let eval = policy.check(&line, &ctx);
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &eval)?;
        writeln!(out)?;
    } else {
        print_human(&mut out, &line, &eval)?;
    }
    Ok(exit_code(eval.verdict))
}

fn print_human(out: &mut impl Write, line: &str, e: &Evaluation) -> std::io::Result<()> {
    let s = Style::detect();
    let c = match e.verdict {
        Decision::Allow => s.green,
        Decision::Review => s.yellow,
        Decision::Deny => s.red,
    };
    writeln!(
        out,
        "{c}{}{}{}: {}",
        s.bold,
        e.verdict.as_str(),
        s.reset,
        e.why
    )?;
    for p in &e.parts {
        let rule = p
            .rule
            .as_deref()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<6} {}{}{}{rule} {}— {}{}",
            p.verdict.as_str(),
            s.bold,
            p.argv.join(" "),
            s.reset,
            s.dim,
            p.why,
            s.reset
        )?;
    }
    score::print_human(out, line, &e.risk)
}
