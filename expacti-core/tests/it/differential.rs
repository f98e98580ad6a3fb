//! The parser against bash itself, on every corpus command.
//!
//! bash prints the argv it would pass without running anything: `printf '%s\0' WORDS`.
//! For every part whose words are all static, the part's words (each cut from the input by
//! its span) are handed to bash's printf, and bash's argv must equal the parser's. Commands
//! that are a single simple command are also handed to bash whole, which checks the word
//! boundaries too. A second test checks syntax: where `bash -n` accepts a command the parser
//! must not call it a syntax error, and where bash rejects it the parser must be opaque.

use std::io::Write;
use std::process::{Command, Stdio};

use expacti_core::parse::{OpaqueKind, Origin, parse};

use super::corpus::{self, loud};

struct Case {
    label: String,
    script: String,
    want: Vec<String>,
}

fn bash_available() -> bool {
    Command::new("bash")
        .arg("-c")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the cases' scripts in one bash, each followed by a record separator, in an empty
/// directory with a clean environment.
fn run_batch(cases: &[Case], dir: &std::path::Path) -> Option<Vec<Vec<u8>>> {
    let mut cmd = Command::new("bash");
    cmd.arg("--norc").arg("--noprofile");
    let alone_with_backslash = matches!(cases, [one] if one.script.ends_with('\\'));
    if alone_with_backslash {
        // Through `-c`, as expacti's users run commands: a trailing `\` stays literal.
        cmd.arg("-c").arg(&cases[0].script);
    } else {
        let mut script = String::new();
        for c in cases {
            script.push_str(&c.script);
            script.push_str("\nprintf '\\036\\0'\n");
        }
        cmd.arg("-c").arg(script);
    }
    let out = cmd
        .current_dir(dir.join("empty"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent-home")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let records = if alone_with_backslash {
        vec![out.stdout]
    } else {
        split_records(&out.stdout)
    };
    (records.len() == cases.len()).then_some(records)
}

fn split_records(all: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    while i < all.len() {
        if all[i] == 0x1e
            && all.get(i + 1) == Some(&0)
            && (cur.is_empty() || cur.last() == Some(&0))
        {
            out.push(std::mem::take(&mut cur));
            i += 2;
            continue;
        }
        cur.push(all[i]);
        i += 1;
    }
    out
}

fn argv_of(record: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = record
        .split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    v.pop(); // after the last NUL
    v
}

#[test]
fn argv_matches_bash_on_every_plain_corpus_command() {
    let Some(cmds) = corpus::all() else { return };
    if !bash_available() {
        if std::env::var_os("EXPACTI_REQUIRE_CORPORA").is_some_and(|v| v == "1") {
            panic!("bash is required for the differential test");
        }
        loud("\n*** SKIPPED: bash is not available ***\n");
        return;
    }
    let mut cases = Vec::new();
    let mut plain_commands = 0usize;
    for c in &cmds {
        let p = parse(&c.text);
        let mut plain = true;
        for part in &p.parts {
            if part.origin != Origin::Top {
                continue;
            }
            if !part.is_static()
                || part
                    .assignments
                    .iter()
                    .chain(&part.argv)
                    .any(|w| w.is_dynamic())
                || part.assignments.iter().any(|w| w.text.contains("=("))
            {
                plain = false;
                continue;
            }
            let words: Vec<&str> = part
                .assignments
                .iter()
                .chain(&part.argv)
                .map(|w| &c.text[w.span.0..w.span.1])
                .collect();
            let want: Vec<String> = part
                .assignments
                .iter()
                .chain(&part.argv)
                .map(|w| w.text.to_string())
                .collect();
            cases.push(Case {
                label: format!("{}:{} part `{}`", c.source, c.line, words.join(" ")),
                script: format!("printf '%s\\0' {}", words.join(" ")),
                want,
            });
        }
        let top: Vec<_> = p.parts.iter().filter(|x| x.origin == Origin::Top).collect();
        let only_wrappers = p
            .parts
            .iter()
            .all(|x| matches!(x.origin, Origin::Top | Origin::Wrapper));
        if plain && !p.is_opaque() && !p.parts.is_empty() {
            plain_commands += 1;
        }
        if plain
            && !p.is_opaque()
            && top.len() == 1
            && only_wrappers
            && top[0].redirects.is_empty()
            && !top[0].background
            && !c.text.contains('\n')
        {
            let part = top[0];
            let first = part.assignments.first().or(part.argv.first()).unwrap();
            if first.span.0 == c.text.len() - c.text.trim_start().len() {
                cases.push(Case {
                    label: format!("{}:{} whole line", c.source, c.line),
                    script: format!("printf '%s\\0' {}", c.text),
                    want: part
                        .assignments
                        .iter()
                        .chain(&part.argv)
                        .map(|w| w.text.to_string())
                        .collect(),
                });
            }
        }
    }
    let tmp = tempdir();
    std::fs::create_dir_all(tmp.join("empty")).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for batch in cases.chunks(400) {
        let batched = !batch.iter().any(|c| c.script.ends_with('\\'));
        let results = match run_batch(batch, &tmp).filter(|_| batched) {
            Some(r) => r,
            None => batch
                .iter()
                .map(|c| {
                    run_batch(std::slice::from_ref(c), &tmp)
                        .map(|mut v| v.remove(0))
                        .unwrap_or_default()
                })
                .collect(),
        };
        for (c, r) in batch.iter().zip(results) {
            checked += 1;
            let got = argv_of(&r);
            if got != c.want {
                failures.push(format!(
                    "{}\n    bash:   {:?}\n    parser: {:?}",
                    c.label, got, c.want
                ));
            }
        }
    }
    eprintln!(
        "differential: {checked} argv checks over {} corpus commands ({plain_commands} plain); {} differ",
        cmds.len(),
        failures.len()
    );
    assert!(checked > 10_000, "too few cases were checked: {checked}");
    assert!(
        failures.is_empty(),
        "{} argv differ from bash:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn syntax_verdicts_match_bash_n() {
    let Some(cmds) = corpus::all() else { return };
    if !bash_available() {
        return;
    }
    // One bash reads every command as a NUL-separated record and checks it with `bash -n`.
    let mut input = Vec::new();
    let mut uniq: Vec<&str> = cmds.iter().map(|c| c.text.as_str()).collect();
    uniq.sort_unstable();
    uniq.dedup();
    for c in &uniq {
        input.extend_from_slice(c.as_bytes());
        input.push(0);
    }
    let script = r#"while IFS= read -r -d '' c; do if bash -n -c "$c" 2>/dev/null; then printf 1; else printf 0; fi; done"#;
    let tmp = tempdir();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(&tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(out.stdout.len(), uniq.len());
    let mut wrongly_rejected = Vec::new();
    let mut wrongly_accepted = Vec::new();
    for (c, ok) in uniq.iter().zip(&out.stdout) {
        let p = parse(c);
        // Script strings (`bash -c '…'`) and backquotes are read by bash only when they run,
        // so `bash -n` says nothing of them: only the command's own syntax is compared.
        let syntax = p
            .opaque
            .iter()
            .any(|o| o.kind == OpaqueKind::Syntax && o.message.starts_with("syntax:"));
        if *ok == b'1' && syntax {
            wrongly_rejected.push(format!("{c:?}: {}", p.opaque_reason().unwrap_or_default()));
        }
        if *ok == b'0' && !p.is_opaque() {
            wrongly_accepted.push(format!("{c:?}"));
        }
    }
    eprintln!(
        "syntax: {} distinct commands; {} bash accepts but the parser calls a syntax error; {} bash rejects but the parser understood",
        uniq.len(),
        wrongly_rejected.len(),
        wrongly_accepted.len()
    );
    assert!(
        wrongly_accepted.is_empty(),
        "bash rejects these but the parser is not opaque (fail-open):\n{}",
        wrongly_accepted
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        wrongly_rejected.is_empty(),
        "bash accepts these but the parser calls them syntax errors:\n{}",
        wrongly_rejected
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "expacti-diff-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
