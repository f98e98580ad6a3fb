//! Rule suggestions mined from approval history (SPEC §7).
//!
//! Approved commands are split into parts; parts with the same shape (word count and leading
//! literal words) are grouped; in each group a word that never varies stays literal, a word seen
//! with a few values becomes `{a,b,c}`, and a word whose values share a prefix and suffix around
//! a varying SHA, version, number, date or id becomes `prefix*suffix`. Every candidate is then
//! checked with the real verdict engine against the whole history: it must not match a part of
//! any denied or timed-out command, cover a command above `max_risk`, or match a part the
//! policy denies. A candidate that fails is narrowed (globs become the exact values seen) or
//! dropped, with the reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::parse::{Origin, quote};
use crate::policy::pattern::{Pattern, Subject};
use crate::policy::{Context, Decision, Policy};
use crate::risk::{Level, RiskEngine};

/// A decision recorded in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryDecision {
    /// A reviewer approved it.
    Approved,
    /// A reviewer denied it.
    Denied,
    /// Nobody answered in time.
    TimedOut,
    /// The policy allowed it.
    AutoApproved,
    /// The policy denied it.
    AutoDenied,
    /// The shell went away before anyone decided (the server's extension of SPEC §6): it
    /// says nothing about the command, so the miner skips it.
    Abandoned,
}

/// One history record (SPEC §6); fields the miner does not use are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryRecord {
    /// The command.
    pub command: String,
    /// What was decided.
    pub decision: HistoryDecision,
    /// When it was asked (`at` is accepted too).
    #[serde(default, alias = "at")]
    pub requested_at: Option<String>,
    /// Where it came from.
    #[serde(default)]
    pub context: Option<Context>,
    /// `"exit"` on the audit record that adds a command's exit code to an earlier decision
    /// (the same request's second record): the miner counts each decision once.
    #[serde(default)]
    pub event: Option<String>,
}

/// A history line that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct HistoryError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads JSON Lines history. With `skip_bad`, unreadable lines are returned beside the
/// records instead of failing.
///
/// # Errors
/// The first unreadable line, when `skip_bad` is false.
pub fn read_history(
    text: &str,
    skip_bad: bool,
) -> Result<(Vec<HistoryRecord>, Vec<HistoryError>), HistoryError> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<HistoryRecord>(line) {
            Ok(r) => out.push(r),
            Err(e) => {
                let err = HistoryError {
                    line: i + 1,
                    message: e.to_string(),
                };
                if !skip_bad {
                    return Err(err);
                }
                bad.push(err);
            }
        }
    }
    Ok((out, bad))
}

/// Settings of the miner.
#[derive(Debug, Clone)]
pub struct SuggestOptions {
    /// How many approvals a group needs before it is generalised.
    pub min_support: usize,
    /// Suggestions never cover a command above this risk.
    pub max_risk: Level,
    /// At most this many values become `{a,b,c}`.
    pub max_alternatives: usize,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            min_support: 3,
            max_risk: Level::Medium,
            max_alternatives: 4,
        }
    }
}

/// One suggested rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// A rule id.
    pub id: String,
    /// The `match` pattern.
    pub pattern: String,
    /// How many approved parts it covers.
    pub support: usize,
    /// A few of them.
    pub examples: Vec<String>,
    /// The highest risk among the commands it covers.
    pub max_risk: Level,
    /// What the history would have got with this rule: parts it would have allowed.
    pub would_allow: usize,
    /// Why it was narrowed, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A group that was not suggested, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// The pattern that was considered.
    pub pattern: String,
    /// Why it was dropped.
    pub why: String,
}

/// The miner's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestions {
    /// Safe suggestions, most support first.
    pub suggestions: Vec<Suggestion>,
    /// Candidates that were dropped.
    pub dropped: Vec<Dropped>,
}

struct Sample {
    words: Vec<String>,
    command: String,
    level: Level,
}

/// Mines approved history into rules (see the module docs).
pub fn suggest(
    history: &[HistoryRecord],
    policy: Option<&Policy>,
    risk: &RiskEngine,
    opts: &SuggestOptions,
) -> Suggestions {
    let ctx_default = Context::default();
    // Parts of denied and timed-out commands: no suggestion may match one.
    let mut refused: Vec<Vec<String>> = Vec::new();
    let mut groups: BTreeMap<(usize, String), Vec<Sample>> = BTreeMap::new();
    for r in history
        .iter()
        .filter(|r| r.event.as_deref() != Some("exit"))
    {
        let parsed = crate::parse::parse(&r.command);
        match r.decision {
            HistoryDecision::Denied | HistoryDecision::TimedOut | HistoryDecision::AutoDenied => {
                // Any part, dynamic words as written: over-approximate, so stricter.
                for p in &parsed.parts {
                    refused.push(
                        p.assignments
                            .iter()
                            .chain(&p.argv)
                            .map(|w| w.text.to_string())
                            .collect(),
                    );
                }
                continue;
            }
            HistoryDecision::AutoApproved | HistoryDecision::Abandoned => continue,
            HistoryDecision::Approved => {}
        }
        if parsed.is_opaque() {
            continue;
        }
        let level = risk.score(&parsed, &r.command).level;
        let ctx = r.context.as_ref().unwrap_or(&ctx_default);
        for p in &parsed.parts {
            if p.origin != Origin::Top
                || !p.is_static()
                || !p.redirects.is_empty()
                || p.argv.is_empty()
            {
                continue;
            }
            let words: Vec<String> = p
                .assignments
                .iter()
                .chain(&p.argv)
                .map(|w| w.text.to_string())
                .collect();
            if let Some(pol) = policy {
                // What the policy already allows needs no rule.
                let e = pol.check(&p.canonical(), ctx);
                if e.verdict == Decision::Allow {
                    continue;
                }
            }
            // Shape: word count and the leading words that look like a program and subcommand.
            let lead: Vec<&str> = words
                .iter()
                .take(2)
                .map(String::as_str)
                .filter(|w| !looks_variable(w))
                .collect();
            groups
                .entry((words.len(), lead.join(" ")))
                .or_default()
                .push(Sample {
                    words,
                    command: r.command.clone(),
                    level,
                });
        }
    }
    let mut out = Suggestions {
        suggestions: Vec::new(),
        dropped: Vec::new(),
    };
    for ((_, lead), samples) in groups {
        if samples.len() < opts.min_support {
            continue;
        }
        let pattern = generalise(&samples, opts, false);
        let max_risk = samples.iter().map(|s| s.level).max().unwrap_or(Level::Low);
        if max_risk > opts.max_risk {
            out.dropped.push(Dropped {
                pattern,
                why: format!(
                    "covers {max_risk} risk, above the limit of {}",
                    opts.max_risk
                ),
            });
            continue;
        }
        let id = format!("suggested-{}", slug(&lead));
        let mut note = None;
        let mut pattern = pattern;
        if let Some(why) = unsafe_for(&pattern, &refused, policy) {
            let narrow = generalise(&samples, opts, true);
            match unsafe_for(&narrow, &refused, policy) {
                None if narrow != pattern => {
                    note = Some(format!("narrowed to the values seen: `{pattern}` {why}"));
                    pattern = narrow;
                }
                _ => {
                    out.dropped.push(Dropped { pattern, why });
                    continue;
                }
            }
        }
        let Ok(compiled) = Pattern::parse(&pattern) else {
            out.dropped.push(Dropped {
                pattern,
                why: "the pattern does not compile".into(),
            });
            continue;
        };
        let covered = samples
            .iter()
            .filter(|s| matches_words(&compiled, &s.words))
            .count();
        if covered < samples.len() {
            // Cannot happen by construction; never offer a rule that misses its own support.
            out.dropped.push(Dropped {
                pattern,
                why: "does not cover all of its approvals".into(),
            });
            continue;
        }
        let mut examples: Vec<String> = samples.iter().map(|s| s.command.clone()).collect();
        examples.dedup();
        examples.truncate(3);
        out.suggestions.push(Suggestion {
            id,
            pattern,
            support: samples.len(),
            examples,
            max_risk,
            would_allow: covered,
            note,
        });
    }
    out.suggestions
        .sort_by(|a, b| b.support.cmp(&a.support).then(a.pattern.cmp(&b.pattern)));
    // Ids unique.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for s in &mut out.suggestions {
        let n = seen.entry(s.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            s.id = format!("{}-{n}", s.id);
        }
    }
    out
}

/// `[[rule]]` blocks that paste into a policy.
pub fn to_toml(s: &Suggestions) -> String {
    let mut out = String::new();
    for g in &s.suggestions {
        out.push_str(&format!(
            "# support: {} approvals; highest risk: {}; e.g. {}\n",
            g.support,
            g.max_risk,
            g.examples
                .first()
                .map(|e| e.replace('\n', " "))
                .unwrap_or_default()
        ));
        if let Some(n) = &g.note {
            out.push_str(&format!("# {}\n", n.replace('\n', " ")));
        }
        out.push_str(&format!(
            "[[rule]]\nid = {}\naction = \"allow\"\nmatch = {}\nmax_risk = \"{}\"\n\n",
            toml_str(&g.id),
            toml_str(&g.pattern),
            g.max_risk
        ));
    }
    out
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let t = out.trim_matches('-');
    if t.is_empty() {
        "rule".to_string()
    } else {
        t.chars().take(40).collect()
    }
}

/// Words that look like run-specific values: SHAs, versions, numbers, dates, ids.
fn looks_variable(w: &str) -> bool {
    let digits = w.bytes().filter(u8::is_ascii_digit).count();
    digits > 0 && (digits * 3 >= w.len() || is_hex_run(w))
}

fn is_hex_run(w: &str) -> bool {
    let mut run = 0;
    for b in w.bytes() {
        if b.is_ascii_hexdigit() {
            run += 1;
            if run >= 7 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// The pattern of a group: literal where constant, alternatives for a few values, and
/// `prefix*suffix` around a varying value (unless `exact`: then alternatives only).
fn generalise(samples: &[Sample], opts: &SuggestOptions, exact: bool) -> String {
    let n = samples[0].words.len();
    let mut words = Vec::with_capacity(n);
    for i in 0..n {
        let mut values: Vec<&str> = samples.iter().map(|s| s.words[i].as_str()).collect();
        values.sort_unstable();
        values.dedup();
        if values.len() == 1 {
            words.push(escape_glob(values[0]));
            continue;
        }
        let is_option = values.iter().any(|v| v.starts_with('-'));
        let prefix = trim_prefix(&values, common_prefix(&values));
        let suffix = trim_suffix(&values, prefix.len(), common_suffix(&values, prefix.len()));
        // SHAs, versions, numbers, dates and ids vary by nature: they become `*`.
        let varying = values.iter().all(|v| {
            let middle = &v[prefix.len()..v.len() - suffix.len()];
            !middle.is_empty()
                && (looks_variable(middle)
                    || middle.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        });
        if exact || is_option || (values.len() <= opts.max_alternatives && !varying) {
            let alts: Vec<String> = values.iter().map(|v| escape_glob(v)).collect();
            words.push(format!("{{{}}}", alts.join(",")));
            continue;
        }
        let part = |t: &str| {
            if t.is_empty() {
                String::new()
            } else {
                escape_glob(t)
            }
        };
        words.push(format!("{}*{}", part(prefix), part(suffix)));
    }
    words.join(" ")
}

/// Characters that join the pieces of a number, version, date, time or id (`1.2.3`,
/// `2026-11-24`, `10:00:00`, `20261124T1000Z`).
fn joins_numbers(b: u8) -> bool {
    matches!(b, b'.' | b'-' | b':' | b'T' | b'Z' | b'+' | b'_')
}

/// Whether byte `i` of `v` lies in a run of at least seven hex digits (a SHA or digest).
fn in_hex_run(v: &[u8], i: usize) -> bool {
    if !v.get(i).is_some_and(u8::is_ascii_hexdigit) {
        return false;
    }
    let start = v[..i]
        .iter()
        .rposition(|b| !b.is_ascii_hexdigit())
        .map_or(0, |p| p + 1);
    let end = v[i..]
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .map_or(v.len(), |p| i + p);
    end - start >= 7
}

/// Moves the end of a shared prefix back to the start of the value it cuts into: a SHA,
/// number, version, date or timestamp is globbed whole, so `api:3f2a9c1` and `api:3f0b7e2`
/// give `api:*`, not `api:3f*`, and `2026-11-24` with `2026-12-01` give `*`, not `2026-1*`
/// (the next SHA or the next month would not match).
fn trim_prefix<'a>(values: &[&'a str], prefix: &'a str) -> &'a str {
    let mut k = prefix.len();
    let bytes = prefix.as_bytes();
    while k > 0 {
        let c = bytes[k - 1];
        let cut = values.iter().any(|v| {
            let v = v.as_bytes();
            let Some(&next) = v.get(k) else { return false };
            (c.is_ascii_hexdigit() && in_hex_run(v, k - 1) && next.is_ascii_hexdigit())
                || (c.is_ascii_digit() && (next.is_ascii_digit() || joins_numbers(next)))
                || (joins_numbers(c)
                    && k >= 2
                    && v[k - 2].is_ascii_digit()
                    && (next.is_ascii_digit() || joins_numbers(next)))
        });
        if !cut {
            break;
        }
        k -= 1;
    }
    &prefix[..k]
}

/// The same at the start of a shared suffix.
fn trim_suffix<'a>(values: &[&'a str], after: usize, suffix: &'a str) -> &'a str {
    let mut n = suffix.len();
    while n > 0 {
        let c = suffix.as_bytes()[suffix.len() - n];
        let cut = values.iter().any(|v| {
            let v = v.as_bytes();
            let at = v.len() - n;
            if at <= after {
                return false;
            }
            let prev = v[at - 1];
            (c.is_ascii_hexdigit() && in_hex_run(v, at) && prev.is_ascii_hexdigit())
                || (c.is_ascii_digit() && (prev.is_ascii_digit() || joins_numbers(prev)))
                || (joins_numbers(c)
                    && v.get(at + 1).is_some_and(u8::is_ascii_digit)
                    && (prev.is_ascii_digit() || joins_numbers(prev)))
        });
        if !cut {
            break;
        }
        n -= 1;
    }
    &suffix[suffix.len() - n..]
}

fn common_prefix<'a>(v: &[&'a str]) -> &'a str {
    let first = v[0];
    let mut n = first.len();
    for s in &v[1..] {
        n = n.min(
            first
                .bytes()
                .zip(s.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(n) {
        n -= 1;
    }
    // The narrowest glob: the whole shared prefix stays literal.
    &first[..n]
}

fn common_suffix<'a>(v: &[&'a str], after: usize) -> &'a str {
    let first = v[0];
    let mut n = first.len().saturating_sub(after);
    for s in &v[1..] {
        n = n.min(
            first
                .bytes()
                .rev()
                .zip(s.bytes().rev())
                .take_while(|(a, b)| a == b)
                .count(),
        );
        n = n.min(s.len().saturating_sub(after));
    }
    let mut start = first.len() - n;
    while !first.is_char_boundary(start) {
        start += 1;
    }
    &first[start..]
}

/// Quotes literal text for a pattern word when it holds characters the pattern lexer reads
/// specially (whitespace, quotes, backslashes, glob syntax).
fn escape_glob(w: &str) -> String {
    let special = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '\'' | '"' | '\\' | '*' | '?' | '[' | ']' | '{' | '}' | ','
            )
    };
    if w.is_empty() || w.chars().any(special) {
        quote::quote(w)
    } else {
        w.to_string()
    }
}

#[cfg(test)]
fn single_rule(id: &str, pattern: &str) -> Result<Policy, crate::policy::PolicyError> {
    let text = format!(
        "version = 1\n[[rule]]\nid = {}\naction = \"allow\"\nmatch = {}\n",
        toml_str(id),
        toml_str(pattern)
    );
    Policy::from_toml(&text, "<suggestion>")
}

/// Whether the compiled pattern matches these words (taken literally, so a denied part with
/// `$X` counts as matched by `*`: stricter).
fn matches_words(pat: &Pattern, words: &[String]) -> bool {
    let subj: Vec<Subject<'_>> = words
        .iter()
        .map(|w| Subject {
            text: w.as_str(),
            dynamic: false,
        })
        .collect();
    pat.matches(&subj)
}

/// Why a pattern is unsafe: it matches a part of a refused command, or a part the policy
/// denies.
fn unsafe_for(pattern: &str, refused: &[Vec<String>], policy: Option<&Policy>) -> Option<String> {
    let pat = match Pattern::parse(pattern) {
        Ok(p) => p,
        Err(e) => return Some(format!("does not compile: {}", e.message)),
    };
    if let Some(r) = refused.iter().find(|r| matches_words(&pat, r)) {
        return Some(format!(
            "would allow `{}`, which was denied or timed out",
            quote::join(r.iter().map(String::as_str))
        ));
    }
    if let Some(pol) = policy {
        // Deny rules of the policy: a suggestion must not cover what they deny.
        for r in pol
            .rules
            .iter()
            .filter(|r| r.action == crate::policy::Action::Deny)
        {
            for p in &r.patterns {
                if !p.contains('*') && !p.contains('{') && !p.contains('?') && !p.contains('[') {
                    let words: Vec<String> = crate::parse::parse(p)
                        .parts
                        .first()
                        .map(|x| x.argv.iter().map(|w| w.text.to_string()).collect())
                        .unwrap_or_default();
                    if matches_words(&pat, &words) {
                        return Some(format!("would allow `{p}`, which rule `{}` denies", r.id));
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
