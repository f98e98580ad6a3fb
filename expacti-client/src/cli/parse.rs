//! `expacti parse`: print the parts of a command.

use std::io::Write;
use std::process::ExitCode;

use expacti_core::parse::{Parsed, Part, Word};

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
    if a.jsonl {
        let stdin = std::io::stdin().lock();
        let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
        jsonl::for_each(stdin, stdout, |r, out| {
            serde_json::to_writer(out, &expacti_core::parse(&r.command))
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let line = input::command_line(&a.command)?;
    let parsed = expacti_core::parse(&line);
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &parsed)?;
        writeln!(out)?;
    } else {
        print_human(&mut out, &parsed)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_human(out: &mut impl Write, p: &Parsed) -> std::io::Result<()> {
    let s = Style::detect();
    for (i, part) in p.parts.iter().enumerate() {
        write!(out, "{}{:>2} {:<12}{}", s.dim, i + 1, origin(part), s.reset)?;
        for w in &part.assignments {
            write!(out, " {}", word(w, &s))?;
        }
        for w in &part.argv {
            write!(out, " {}", word(w, &s))?;
        }
        for r in &part.redirects {
            write!(out, " {}{}{}", s.dim, r.op.as_str(), s.reset)?;
            write!(out, "{}", word(&r.target, &s))?;
        }
        if part.open_args {
            write!(out, " {}…{}", s.dim, s.reset)?;
        }
        writeln!(out)?;
    }
    if p.parts.is_empty() {
        writeln!(out, "{}(no commands){}", s.dim, s.reset)?;
    }
    for o in &p.opaque {
        writeln!(out, "{}opaque{}: {}", s.yellow, s.reset, o.message)?;
    }
    Ok(())
}

fn origin(p: &Part) -> String {
    match &p.via {
        Some(v) => format!("[{v}]"),
        None => format!("[{}]", p.origin.as_str()),
    }
}

fn word(w: &Word, s: &Style) -> String {
    if w.is_dynamic() {
        format!("{}{}{}", s.yellow, w.text, s.reset)
    } else {
        expacti_core::parse::quote::quote(&w.text)
    }
}
