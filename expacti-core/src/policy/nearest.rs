//! The nearest rule to a command and how the command differs from it: what a reviewer needs
//! to see to decide whether a reviewed command is a routine one with one word changed.
//!
//! For every part that no allow rule covered, every allow-rule pattern is aligned with the
//! part's words by edit distance over words (a pattern word "equals" a command word when it
//! matches it; `**` absorbs any run of words at no cost), and the pattern with the fewest
//! edits wins. Its differences are spelled out word by word.

use serde::Serialize;

use super::pattern::{PatWord, Pattern, Subject, subjects};
use super::{Action, Policy};
use crate::parse::quote;

/// The closest allow rule to a part, and the edits between them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nearest {
    /// The rule.
    pub rule: String,
    /// Its pattern that came closest.
    pub pattern: String,
    /// The part it was compared with.
    pub part: String,
    /// How many words differ.
    pub distance: usize,
    /// The differences, in words (`` `production` where the rule has `staging` ``).
    pub differences: Vec<String>,
}

/// Patterns compared at most (the page that asks is for a human, not the hot path).
const MAX_PATTERNS: usize = 5_000;
/// Parts longer than this are not aligned.
const MAX_WORDS: usize = 64;

/// The source text of pattern word `i` (patterns are split at white space for display).
fn pat_text(src: &[&str], i: usize) -> String {
    src.get(i).map_or_else(String::new, |s| (*s).to_string())
}

impl Policy {
    /// The allow rule nearest to the first part of `command` that is not allowed, if any rule
    /// is within half the part's words.
    pub fn nearest(&self, command: &str) -> Option<Nearest> {
        let parsed = crate::parse::parse(command);
        let eval = self.decide(
            &parsed,
            self.risk.score(&parsed, command),
            &super::Context::default(),
        );
        let (part, _) = parsed
            .parts
            .iter()
            .zip(&eval.parts)
            .find(|(_, v)| v.verdict != super::Decision::Allow)?;
        let subj = subjects(part);
        if subj.is_empty() || subj.len() > MAX_WORDS {
            return None;
        }
        let mut best: Option<Nearest> = None;
        let allow = self
            .rules
            .iter()
            .filter(|r| r.action == Action::Allow)
            .flat_map(|r| r.patterns.iter().map(move |p| (r, p)))
            .take(MAX_PATTERNS);
        for (rule, src) in allow {
            let Ok(pat) = Pattern::parse(src) else {
                continue;
            };
            if pat.words.len() > MAX_WORDS {
                continue;
            }
            let src_words: Vec<&str> = src.split_whitespace().collect();
            let (d, diffs) = align(&pat, &src_words, &subj);
            if d == 0 || d * 2 > subj.len().max(pat.words.len()) {
                continue;
            }
            if best.as_ref().is_none_or(|b| d < b.distance) {
                best = Some(Nearest {
                    rule: rule.id.clone(),
                    pattern: src.clone(),
                    part: quote::join(subj.iter().map(|s| s.text)),
                    distance: d,
                    differences: diffs,
                });
            }
        }
        best
    }
}

/// Edit distance over words between a pattern and a part, with the edits in words.
fn align(pat: &Pattern, src: &[&str], subj: &[Subject<'_>]) -> (usize, Vec<String>) {
    let (n, m) = (pat.words.len(), subj.len());
    let one = |i: usize, j: usize| pat.matches_word(i, &subj[j]);
    // cost[i][j]: pattern words i.., subject words j..
    let mut cost = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                m - j
            } else if matches!(pat.words[i], PatWord::Any) {
                // `**` takes zero or more words at no cost.
                (j..=m).map(|k| cost[i + 1][k]).min().unwrap_or(0)
            } else if j == m {
                cost[i + 1][j] + 1
            } else {
                let sub = cost[i + 1][j + 1] + usize::from(!one(i, j));
                sub.min(cost[i + 1][j] + 1).min(cost[i][j + 1] + 1)
            };
        }
    }
    // Walk the cheapest path, naming the edits.
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && matches!(pat.words[i], PatWord::Any) {
            let k = (j..=m).find(|&k| cost[i + 1][k] == cost[i][j]).unwrap_or(m);
            j = k;
            i += 1;
            continue;
        }
        if i < n && j < m && cost[i][j] == cost[i + 1][j + 1] + usize::from(!one(i, j)) {
            if !one(i, j) {
                out.push(format!(
                    "`{}` where the rule has `{}`",
                    subj[j].text,
                    pat_text(src, i)
                ));
            }
            i += 1;
            j += 1;
        } else if j < m && cost[i][j] == cost[i][j + 1] + 1 {
            out.push(format!("extra word `{}`", subj[j].text));
            j += 1;
        } else if i < n {
            out.push(format!("missing `{}`", pat_text(src, i)));
            i += 1;
        } else {
            break;
        }
    }
    (cost[0][0], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_rule_and_the_changed_words() {
        let p = Policy::from_toml(
            r#"version = 1
[[rule]]
id = "api-image"
action = "allow"
match = ["kubectl set image deployment/api api=ghcr.io/acme/api:* -n staging", "npm ci"]
[[rule]]
id = "tests"
action = "allow"
match = "cargo test **"
"#,
            "p.toml",
        )
        .unwrap();
        let n = p
            .nearest("kubectl set image deployment/api api=ghcr.io/acme/api:abc1234 -n production")
            .unwrap();
        assert_eq!(n.rule, "api-image");
        assert_eq!(n.distance, 1);
        assert_eq!(
            n.differences,
            vec!["`production` where the rule has `staging`"]
        );
        let n = p.nearest("npm ci --ignore-scripts=false").unwrap();
        assert_eq!(n.differences, vec!["extra word `--ignore-scripts=false`"]);
        assert!(p.nearest("npm ci").is_none(), "allowed: nothing to compare");
        assert!(p.nearest("rm -rf /").is_none(), "nothing close");
        let n = p.nearest("sudo cargo test --all").unwrap();
        assert_eq!(n.rule, "tests");
        assert_eq!(n.differences, vec!["extra word `sudo`"]);
    }
}
