//! `expacti score`: risk score, level and reasons.

use std::io::Write;
use std::process::ExitCode;

use expacti_core::risk::{Level, Risk, RiskEngine};

use super::style::Style;
use super::{input, jsonl};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Read `{"command": …}` records from standard input, one a line; write one JSON object
    /// a line.
    #[arg(long, conflicts_with = "json")]
    jsonl: bool,
    /// The command: one argument is a command line; several are an argv.
    #[arg(last = true)]
    command: Vec<String>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let engine = RiskEngine::builtin()?;
    if a.jsonl {
        let stdin = std::io::stdin().lock();
        let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
        jsonl::for_each(stdin, stdout, |r, out| {
            #[derive(serde::Serialize)]
            struct Out {
                risk: expacti_core::Risk,
            }
            serde_json::to_writer(
                out,
                &Out {
                    risk: engine.score_str(&r.command),
                },
            )
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let line = input::command_line(&a.command)?;
    let risk = engine.score_str(&line);
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "risk": risk }))?;
        writeln!(out)?;
    } else {
        print_human(&mut out, &line, &risk)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn level_colour(s: &Style, l: Level) -> &'static str {
    match l {
        Level::Low => s.green,
        Level::Medium => s.yellow,
        Level::High | Level::Critical => s.red,
    }
}

/// The command with the spans of reasons at medium or above marked, then the reasons.
pub fn print_human(out: &mut impl Write, line: &str, risk: &Risk) -> std::io::Result<()> {
    let s = Style::detect();
    let c = level_colour(&s, risk.level);
    writeln!(
        out,
        "{c}{}{}{} risk ({}/100)",
        s.bold, risk.level, s.reset, risk.score
    )?;
    let marked: Vec<(usize, usize)> = risk
        .reasons
        .iter()
        .filter(|r| r.score >= 40 && r.span.1 <= line.len() && r.span.0 < r.span.1)
        .map(|r| (r.span.0, r.span.1))
        .collect();
    if !s.red.is_empty() {
        // A terminal: colour the risky bytes.
        let mut cur = String::new();
        let mut in_mark = false;
        for (i, ch) in line.char_indices() {
            let m = marked.iter().any(|&(a, b)| a <= i && i < b);
            if m != in_mark {
                cur.push_str(if m { s.red } else { s.reset });
                in_mark = m;
            }
            cur.push(ch);
        }
        cur.push_str(s.reset);
        writeln!(out, "  {cur}")?;
    } else if !line.contains('\n') {
        writeln!(out, "  {line}")?;
        let mut carets = String::new();
        for (i, ch) in line.char_indices() {
            let m = marked.iter().any(|&(a, b)| a <= i && i < b);
            if m {
                carets.push('^');
            } else if !carets.is_empty() || marked.iter().any(|&(a, _)| a > i) {
                carets.push(' ');
            }
            let _ = ch;
        }
        if !carets.trim().is_empty() {
            writeln!(out, "  {}", carets.trim_end())?;
        }
    } else {
        for l in line.lines() {
            writeln!(out, "  | {l}")?;
        }
    }
    for r in &risk.reasons {
        let sign = if r.score < 0 { "" } else { " " };
        let at = line.get(r.span.0..r.span.1).map(|t| {
            let t: String = t.chars().take(60).collect();
            t.replace('\n', "⏎")
        });
        write!(
            out,
            "  {sign}{:>3} {}{}{}: {}",
            r.score, s.dim, r.signal, s.reset, r.detail
        )?;
        match at {
            Some(t) if !t.is_empty() => writeln!(out, " {}[{t}]{}", s.dim, s.reset)?,
            _ => writeln!(out)?,
        }
    }
    Ok(())
}
