//! The verdict over every part of a command (SPEC §4).

use std::collections::BTreeMap;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::pattern::{Subject, subjects};
use super::{Action, OnTimeout, Policy};
use crate::parse::{Parsed, Part};
use crate::risk::{Level, Risk};

/// A verdict. Ordered from the most to the least permissive, so the strictest is the `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Run at once.
    Allow,
    /// Wait for a reviewer.
    Review,
    /// Refuse.
    Deny,
}

impl Decision {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Review => "review",
            Decision::Deny => "deny",
        }
    }
}

/// Where a command comes from (SPEC §6 `context`): `source`, `repository`, `ref`, `actor`,
/// `environment`, `host`, …
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Key → value.
    #[serde(flatten)]
    pub values: BTreeMap<String, String>,
}

impl Context {
    /// A context from `key=value` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Context {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// The verdict on one part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartVerdict {
    /// The part's words (assignments first). Short words are held inline: copying them
    /// allocates nothing.
    pub argv: Vec<CompactString>,
    /// Its verdict.
    pub verdict: Decision,
    /// The rule that decided it, if one did.
    pub rule: Option<String>,
    /// Why, in a sentence.
    pub why: String,
}

/// The verdict on a whole command, with everything that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The verdict.
    pub verdict: Decision,
    /// The command's risk.
    pub risk: Risk,
    /// Every part's verdict, in the parser's order.
    pub parts: Vec<PartVerdict>,
    /// Why, in a sentence.
    pub why: String,
    /// Why the parser could not read all of it, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opaque: Option<String>,
    /// How many different reviewers must approve (the most any deciding rule asks).
    pub approvals: u32,
    /// What a timeout means for this command.
    pub on_timeout: OnTimeout,
    /// How long a review may wait, in seconds.
    pub timeout_secs: u64,
    /// Who to notify (from the deciding rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

impl Evaluation {
    /// The rule that decided the command: the first part whose verdict is the command's and
    /// that a rule decided (`None` when the default, the risk or opacity decided).
    pub fn deciding_rule(&self) -> Option<&str> {
        self.parts
            .iter()
            .find(|p| p.verdict == self.verdict && p.rule.is_some())
            .and_then(|p| p.rule.as_deref())
    }
}

/// Redirection targets that write no file.
fn harmless_target(t: &str) -> bool {
    matches!(
        t,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/fd/1" | "/dev/fd/2"
    )
}

/// "rule `ID` WHAT" (without `format!`: this runs for every part of every command).
fn rule_why(id: &str, what: &str) -> String {
    let mut s = String::with_capacity(id.len() + what.len() + 8);
    s.push_str("rule `");
    s.push_str(id);
    s.push_str("` ");
    s.push_str(what);
    s
}

/// `s` when it has at most 60 characters, else its first 57 and `…`.
fn short(s: &str) -> String {
    short_owned(s.to_string())
}

fn short_owned(mut s: String) -> String {
    // At most 60 bytes is at most 60 characters; longer text is cut only when it has a 61st.
    if s.len() <= 60 {
        return s;
    }
    // ASCII: a character a byte.
    if s.as_bytes()[..61].is_ascii() {
        s.truncate(57);
        s.push('…');
        return s;
    }
    let mut cut = s.len();
    for (k, (i, _)) in s.char_indices().enumerate() {
        if k == 57 {
            cut = i;
        }
        if k == 60 {
            s.truncate(cut);
            s.push('…');
            break;
        }
    }
    s
}

/// [`short`] of the words joined by spaces, without joining more of them than can be shown
/// (61 characters take at most 244 bytes).
fn short_join(words: &[CompactString]) -> String {
    let len = words.iter().map(|w| w.len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len.min(4 * 61 + 64));
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
        if out.len() > 4 * 61 {
            break;
        }
    }
    short_owned(out)
}

impl Policy {
    /// Parses, scores and decides a command.
    pub fn check(&self, command: &str, ctx: &Context) -> Evaluation {
        let parsed = crate::parse::parse(command);
        let risk = self.risk.score(&parsed, command);
        self.decide(&parsed, risk, ctx)
    }

    /// Decides a parsed and scored command.
    pub fn decide(&self, parsed: &Parsed, risk: Risk, ctx: &Context) -> Evaluation {
        let s = &self.settings;
        let mut parts = Vec::with_capacity(parsed.parts.len());
        let mut approvals = 1;
        let mut notify: Vec<String> = Vec::new();
        let mut timeout_approve = true;
        for (i, part) in parsed.parts.iter().enumerate() {
            let part_score = risk.part_scores.get(i).copied().unwrap_or(risk.score);
            let (verdict, rule, why) = self.decide_part(part, part_score, risk.level, ctx);
            if let Some(r) = rule.and_then(|ri| self.rules.get(ri)) {
                approvals = approvals.max(r.approvals);
                notify.extend(r.notify.iter().cloned());
                if verdict == Decision::Review {
                    timeout_approve &= r.on_timeout.unwrap_or(s.on_timeout) == OnTimeout::Approve;
                }
            } else if verdict == Decision::Review {
                timeout_approve &= s.on_timeout == OnTimeout::Approve;
            }
            parts.push(PartVerdict {
                argv: part
                    .assignments
                    .iter()
                    .chain(&part.argv)
                    .map(|w| w.text.clone())
                    .collect(),
                verdict,
                rule: rule.and_then(|ri| self.rules.get(ri)).map(|r| r.id.clone()),
                why,
            });
        }
        // Redirections that write files no setting allows.
        let mut writes = Vec::new();
        for part in &parsed.parts {
            for r in part.redirects.iter().filter(|r| r.writes_path()) {
                let t = r.target.text.as_str();
                if t.starts_with("/dev/tcp/") || t.starts_with("/dev/udp/") {
                    writes.push(format!("opens a network connection through `{t}`"));
                } else if !harmless_target(t) && !self.writable(t) {
                    writes.push(format!("writes `{}`", short(t)));
                }
            }
        }
        writes.dedup();
        let opaque = parsed.opaque_reason();
        let denied = parts.iter().find(|p| p.verdict == Decision::Deny);
        let (verdict, why) = if let Some(d) = denied {
            (
                Decision::Deny,
                format!("`{}` is denied: {}", short_join(&d.argv), d.why),
            )
        } else if let Some(o) = &opaque {
            (
                Decision::Review,
                format!("not fully understood ({o}), so a reviewer decides"),
            )
        } else if !writes.is_empty() {
            (
                Decision::Review,
                format!(
                    "the command {}, which no rule or setting allows",
                    writes.join(", ")
                ),
            )
        } else if let Some(r) = parts.iter().find(|p| p.verdict == Decision::Review) {
            let mut why = String::with_capacity(80 + r.why.len());
            why.push('`');
            why.push_str(&short_join(&r.argv));
            why.push_str("` needs review: ");
            why.push_str(&r.why);
            (Decision::Review, why)
        } else if parts.is_empty() {
            (Decision::Allow, "nothing runs".to_string())
        } else {
            // The deciding rules in part order, a rule repeated by adjacent parts named once.
            let mut why = String::from("every part is allowed (");
            let mut last: Option<&str> = None;
            for id in parts.iter().filter_map(|p| p.rule.as_deref()) {
                if last != Some(id) {
                    if last.is_some() {
                        why.push_str(", ");
                    }
                    why.push_str(id);
                    last = Some(id);
                }
            }
            if last.is_none() {
                why.push_str("no rule needed");
            }
            why.push(')');
            (Decision::Allow, why)
        };
        notify.sort();
        notify.dedup();
        Evaluation {
            verdict,
            on_timeout: if verdict == Decision::Review
                && timeout_approve
                && risk.level == Level::Low
            {
                OnTimeout::Approve
            } else {
                OnTimeout::Deny
            },
            risk,
            parts,
            why,
            opaque,
            approvals,
            timeout_secs: s.timeout_secs,
            notify,
        }
    }

    /// One part: deny rules, then `deny_at`, then allow rules (with `when` and `max_risk`),
    /// then review rules, then the default.
    fn decide_part(
        &self,
        part: &Part,
        part_score: u8,
        level: Level,
        ctx: &Context,
    ) -> (Decision, Option<usize>, String) {
        let mut words = subjects(part);
        if part.open_args {
            // A wrapper appends words at run time: only a trailing `**` covers them.
            words.push(Subject {
                text: "…",
                dynamic: true,
            });
        }
        let dynamic_name = part.argv.first().is_some_and(|w| w.is_dynamic());
        let cands = self.candidates(words.iter().take_while(|w| !w.dynamic).map(|w| w.text));
        let canonical = std::cell::OnceCell::new();
        let canon = || canonical.get_or_init(|| part.canonical()).as_str();
        let matches = |ri: usize| {
            let r = &self.rules[ri];
            r.when_holds(ctx) && r.matches_part_with(&words, canon)
        };
        // Deny beats everything; it applies even to parts whose name is only known at run time.
        if let Some(&ri) = cands
            .iter()
            .find(|&&ri| self.rules[ri].action == Action::Deny && matches(ri))
        {
            return (
                Decision::Deny,
                Some(ri),
                rule_why(&self.rules[ri].id, "denies it"),
            );
        }
        if let Some(at) = self.settings.deny_at {
            if part_score >= at.floor() {
                return (
                    Decision::Deny,
                    None,
                    format!(
                        "its risk ({}) reaches `deny_at = \"{at}\"`",
                        Level::from_score(part_score)
                    ),
                );
            }
        }
        let mut over_risk = None;
        if !dynamic_name {
            for &ri in cands
                .iter()
                .filter(|&&ri| self.rules[ri].action == Action::Allow)
            {
                if !matches(ri) {
                    continue;
                }
                let r = &self.rules[ri];
                match r.max_risk {
                    Some(max) if level > max => {
                        over_risk.get_or_insert((ri, max));
                    }
                    _ => {
                        return (Decision::Allow, Some(ri), rule_why(&r.id, "allows it"));
                    }
                }
            }
        }
        if part.argv.is_empty() && part_score < Level::Medium.floor() {
            // Only assignments or redirections: nothing runs; writes are checked on their own.
            return (
                Decision::Allow,
                None,
                "runs nothing (only sets variables or redirects)".into(),
            );
        }
        if let Some(&ri) = cands
            .iter()
            .find(|&&ri| self.rules[ri].action == Action::Review && matches(ri))
        {
            return (
                Decision::Review,
                Some(ri),
                rule_why(&self.rules[ri].id, "asks for review"),
            );
        }
        let why = if dynamic_name {
            "its command name is only known at run time, so no rule can allow it".to_string()
        } else if let Some((ri, max)) = over_risk {
            format!(
                "rule `{}` matches but allows only up to {max} risk, and this is {level}",
                self.rules[ri].id
            )
        } else {
            "no rule matches it".to_string()
        };
        match self.settings.default {
            Action::Deny => (
                Decision::Deny,
                None,
                format!("{why}, and the default is deny"),
            ),
            _ => (Decision::Review, None, why),
        }
    }
}

#[cfg(test)]
mod short_tests {
    use super::{CompactString, short, short_join};

    /// The shortened text is what cutting the whole joined text by characters gives.
    #[test]
    fn short_join_is_short_of_the_join() {
        let reference = |s: &str| {
            if s.chars().count() <= 60 {
                s.to_string()
            } else {
                let mut t: String = s.chars().take(57).collect();
                t.push('…');
                t
            }
        };
        for n in [0, 1, 5, 20, 59, 60, 61, 62, 200] {
            for w in ["a", "éé", "日本語", "x y"] {
                let words: Vec<CompactString> = (0..n).map(|i| format!("{w}{i}").into()).collect();
                let joined = words.join(" ");
                assert_eq!(short_join(&words), reference(&joined), "{n} {w}");
                assert_eq!(short(&joined), reference(&joined), "{n} {w}");
            }
        }
        // ASCII up to a cut, then wider characters (the ASCII shortcut must not apply).
        for k in 50..70 {
            let s = format!("{}{}", "a".repeat(k), "日本語".repeat(10));
            assert_eq!(short(&s), reference(&s), "{k}");
        }
    }
}
