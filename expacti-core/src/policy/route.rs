//! Who hears about a request and who may decide it (SPEC §8): reviewer groups, routes by risk
//! level, rule, repository and environment, escalation, and the approver checks
//! (`reviewers`, a requester cannot approve their own command).
//!
//! ```toml
//! [groups]
//! release = ["alice", "bob"]
//! backup = ["carol"]
//!
//! [[route]]
//! risk = "high"                       # at or above
//! rule = ["destroy"]                  # any part decided by one of these rules
//! repository = ["acme/*"]
//! environment = ["production"]
//! notify = ["slack:#prod", "email:group:release"]
//! reviewers = ["group:release"]
//! escalate_after = "10m"
//! escalate_to = ["pagerduty:oncall", "email:group:backup"]
//! ```
//!
//! Every route whose conditions all hold applies; their targets and reviewers add up, the
//! earliest `escalate_after` wins. A rule's own `notify` and `reviewers` add to them.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::verdict::{Context, Decision, Evaluation};
use super::{Loc, PolicyError, context_glob, parse_duration};
use crate::risk::Level;

/// Where a request that waits for review goes, computed when it is submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// Targets told at once (`slack:#channel`, `email:alice`, `push:alice`, `pagerduty:NAME`,
    /// `opsgenie:NAME`, `webhook:NAME`), groups expanded. Empty: the server's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// Reviewers who may approve, groups expanded. Empty: any reviewer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<String>,
    /// Seconds after the request when, if it is still waiting, `escalate_to` is told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_secs: Option<u64>,
    /// Targets told on escalation, groups expanded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate_to: Vec<String>,
    /// Reviewers the escalation adds to those who may approve (the backup group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalation_reviewers: Vec<String>,
    /// The routes that applied, by their number in the file (1-based).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<usize>,
}

/// One `[[route]]`, compiled.
#[derive(Debug, Clone)]
pub struct Route {
    /// At or above this risk level.
    pub risk: Option<Level>,
    /// Any part decided by one of these rules.
    pub rules: Vec<String>,
    /// Context globs: `repository`, `environment`.
    when: Vec<(String, Vec<Regex>)>,
    /// Targets.
    pub notify: Vec<String>,
    /// Reviewers (names, groups expanded).
    pub reviewers: Vec<String>,
    /// Escalation delay, seconds.
    pub escalate_after_secs: Option<u64>,
    /// Escalation targets.
    pub escalate_to: Vec<String>,
    /// Reviewers named in escalation targets (`email:carol`, `push:group:backup`), who may
    /// approve once it escalated.
    escalation_reviewers: Vec<String>,
    /// Line in the file.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RouteFile {
    risk: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<String>,
    #[serde(default)]
    repository: Vec<String>,
    #[serde(default)]
    environment: Vec<String>,
    notify: Option<Spanned<Vec<String>>>,
    reviewers: Option<Spanned<Vec<String>>>,
    escalate_after: Option<Spanned<String>>,
    escalate_to: Option<Spanned<Vec<String>>>,
}

/// The `[groups]` table: name → reviewer names.
pub type Groups = BTreeMap<String, Vec<String>>;

/// Expands `group:NAME` in a reviewer list.
pub(super) fn expand_reviewer_list(
    loc: &Loc<'_>,
    at: usize,
    groups: &Groups,
    list: &[String],
) -> Result<Vec<String>, PolicyError> {
    let mut out = Vec::new();
    for r in list {
        if let Some(g) = r.strip_prefix("group:") {
            let members = groups
                .get(g)
                .ok_or_else(|| loc.err(at, format!("unknown group `{g}` (see `[groups]`)")))?;
            out.extend(members.iter().cloned());
        } else if r.trim().is_empty() {
            return Err(loc.err(at, "an empty reviewer name"));
        } else {
            out.push(r.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Expands `KIND:group:NAME` targets into `KIND:member` for each member.
pub(super) fn expand_targets(
    loc: &Loc<'_>,
    at: usize,
    groups: &Groups,
    list: &[String],
) -> Result<Vec<String>, PolicyError> {
    let mut out = Vec::new();
    for t in list {
        let Some((kind, rest)) = t.split_once(':') else {
            return Err(loc.err(
                at,
                format!(
                    "`{t}` is not a target (`slack:#channel`, `email:NAME`, `webhook:NAME`, …)"
                ),
            ));
        };
        if !matches!(
            kind,
            "slack" | "email" | "push" | "pagerduty" | "opsgenie" | "webhook"
        ) || rest.is_empty()
        {
            return Err(loc.err(
                at,
                format!(
                    "`{t}`: unknown target kind `{kind}` (slack, email, push, pagerduty, opsgenie, webhook)"
                ),
            ));
        }
        if let Some(g) = rest.strip_prefix("group:") {
            if !matches!(kind, "email" | "push") {
                return Err(loc.err(
                    at,
                    format!("`{t}`: only email and push targets name reviewer groups"),
                ));
            }
            let members = groups
                .get(g)
                .ok_or_else(|| loc.err(at, format!("unknown group `{g}` (see `[groups]`)")))?;
            out.extend(members.iter().map(|m| format!("{kind}:{m}")));
        } else {
            out.push(t.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    Ok(out)
}

/// The reviewers a list of targets names (`email:alice`, `push:bob`).
fn reviewers_in(targets: &[String]) -> Vec<String> {
    let mut v: Vec<String> = targets
        .iter()
        .filter_map(|t| {
            t.strip_prefix("email:")
                .or_else(|| t.strip_prefix("push:"))
                .map(str::to_string)
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

impl Route {
    pub(super) fn compile(
        loc: &Loc<'_>,
        span_start: usize,
        rf: &RouteFile,
        groups: &Groups,
    ) -> Result<Route, PolicyError> {
        let line = loc.line_of(span_start);
        let risk = match &rf.risk {
            Some(r) => Some(super::parse_level(loc, r, "risk")?),
            None => None,
        };
        let mut when = Vec::new();
        for (key, globs) in [
            ("repository", &rf.repository),
            ("environment", &rf.environment),
        ] {
            if globs.is_empty() {
                continue;
            }
            let res = globs
                .iter()
                .map(|g| context_glob(g))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| loc.err(span_start, format!("route, `{key}`: {e}")))?;
            when.push((key.to_string(), res));
        }
        let list = |v: &Option<Spanned<Vec<String>>>| {
            v.as_ref().map_or((span_start, Vec::new()), |s| {
                (s.span().start, s.get_ref().clone())
            })
        };
        let (at, v) = list(&rf.notify);
        let notify = expand_targets(loc, at, groups, &v)?;
        let (at, v) = list(&rf.reviewers);
        let reviewers = expand_reviewer_list(loc, at, groups, &v)?;
        let (at, v) = list(&rf.escalate_to);
        let escalate_to = expand_targets(loc, at, groups, &v)?;
        let escalate_after_secs = match &rf.escalate_after {
            Some(d) => Some(parse_duration(d.get_ref()).ok_or_else(|| {
                loc.err(
                    d.span().start,
                    format!(
                        "`escalate_after`: `{}` is not a duration (like `10m`, `90s`)",
                        d.get_ref()
                    ),
                )
            })?),
            None => None,
        };
        if escalate_after_secs.is_some() == escalate_to.is_empty() {
            return Err(loc.err(
                span_start,
                "a route escalates with both `escalate_after` and `escalate_to`, or neither",
            ));
        }
        Ok(Route {
            risk,
            rules: rf.rule.clone(),
            when,
            escalation_reviewers: reviewers_in(&escalate_to),
            notify,
            reviewers,
            escalate_after_secs,
            escalate_to,
            line,
        })
    }

    fn applies(&self, eval: &Evaluation, ctx: &Context) -> bool {
        if self.risk.is_some_and(|r| eval.risk.level < r) {
            return false;
        }
        if !self.rules.is_empty()
            && !eval
                .parts
                .iter()
                .any(|p| p.rule.as_ref().is_some_and(|r| self.rules.contains(r)))
        {
            return false;
        }
        self.when.iter().all(|(k, globs)| {
            ctx.values
                .get(k)
                .is_some_and(|v| globs.iter().any(|g| g.is_match(v)))
        })
    }
}

impl super::Policy {
    /// Where a command waiting for review goes: the routes that apply to its evaluation and
    /// context, plus the `notify` and `reviewers` of the rules that decided its parts.
    pub fn route(&self, eval: &Evaluation, ctx: &Context) -> Routing {
        let mut out = Routing::default();
        for p in &eval.parts {
            if p.verdict != Decision::Review && p.verdict != eval.verdict {
                continue;
            }
            if let Some(r) = p
                .rule
                .as_ref()
                .and_then(|id| self.rules.iter().find(|r| &r.id == id))
            {
                out.notify.extend(r.notify.iter().cloned());
                out.reviewers.extend(r.reviewers.iter().cloned());
            }
        }
        for (i, route) in self.routes.iter().enumerate() {
            if !route.applies(eval, ctx) {
                continue;
            }
            out.routes.push(i + 1);
            out.notify.extend(route.notify.iter().cloned());
            out.reviewers.extend(route.reviewers.iter().cloned());
            if let Some(s) = route.escalate_after_secs {
                if out.escalate_after_secs.is_none_or(|e| s < e) {
                    out.escalate_after_secs = Some(s);
                }
                out.escalate_to.extend(route.escalate_to.iter().cloned());
                out.escalation_reviewers
                    .extend(route.escalation_reviewers.iter().cloned());
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.notify.retain(|t| seen.insert(t.clone()));
        let mut seen = std::collections::HashSet::new();
        out.escalate_to.retain(|t| seen.insert(t.clone()));
        out.reviewers.sort();
        out.reviewers.dedup();
        out.escalation_reviewers.sort();
        out.escalation_reviewers.dedup();
        // Restricted reviewers: backup reviewers join only if the list is restricted at all.
        if out.reviewers.is_empty() {
            out.escalation_reviewers.clear();
        }
        out
    }
}

/// Why a reviewer may not approve a request, if they may not.
///
/// `requester` is who asked (the context's `actor`, or the identity the server knows);
/// `escalated` says whether the request has escalated, which lets the backup reviewers in.
/// Names compare without regard to case. Denying is never restricted: a deny by anyone with
/// the reviewer role ends a request.
pub fn approval_refused(
    routing: &Routing,
    reviewer: &str,
    requester: Option<&str>,
    escalated: bool,
) -> Option<String> {
    if let Some(req) = requester {
        if !req.is_empty() && req.eq_ignore_ascii_case(reviewer) {
            return Some(format!(
                "{reviewer} asked for this command and cannot approve it; another reviewer must"
            ));
        }
    }
    if routing.reviewers.is_empty() {
        return None;
    }
    let listed = |l: &[String]| l.iter().any(|r| r.eq_ignore_ascii_case(reviewer));
    if listed(&routing.reviewers) || (escalated && listed(&routing.escalation_reviewers)) {
        return None;
    }
    Some(format!(
        "{reviewer} may not approve this request; it is routed to {}",
        routing.reviewers.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    const POLICY: &str = r#"
version = 1
[groups]
release = ["alice", "bob"]
backup = ["carol"]

[[rule]]
id = "destroy"
action = "review"
match = "terraform destroy **"
approvals = 2
notify = ["slack:#infra"]

[[rule]]
id = "deploy"
action = "review"
match = "kubectl apply **"
reviewers = ["group:release"]

[[route]]
risk = "high"
notify = ["pagerduty:oncall", "email:group:release"]
reviewers = ["group:release"]
escalate_after = "10m"
escalate_to = ["opsgenie:ops", "email:group:backup"]

[[route]]
rule = ["deploy"]
environment = ["prod*"]
notify = ["push:group:release"]
escalate_after = "2m"
escalate_to = ["pagerduty:oncall"]

[[route]]
repository = ["acme/*"]
notify = ["webhook:audit"]
"#;

    fn policy() -> Policy {
        Policy::from_toml(POLICY, "p.toml").unwrap()
    }

    #[test]
    fn routes_add_up_by_risk_rule_and_context() {
        let p = policy();
        let ctx = Context::from_pairs([("repository", "acme/app"), ("environment", "production")]);
        let e = p.check("kubectl apply -f web.yaml", &ctx);
        assert_eq!(e.verdict, Decision::Review);
        let r = p.route(&e, &ctx);
        assert_eq!(r.routes, vec![2, 3], "{r:?}");
        assert_eq!(r.notify, vec!["push:alice", "push:bob", "webhook:audit"]);
        assert_eq!(r.reviewers, vec!["alice", "bob"]);
        assert_eq!(r.escalate_after_secs, Some(120));
        assert_eq!(r.escalate_to, vec!["pagerduty:oncall"]);

        // Same command elsewhere: only the rule's own reviewers.
        let ctx = Context::from_pairs([("repository", "other/app"), ("environment", "staging")]);
        let r = p.route(&p.check("kubectl apply -f web.yaml", &ctx), &ctx);
        assert!(r.routes.is_empty());
        assert!(r.notify.is_empty());
        assert_eq!(r.reviewers, vec!["alice", "bob"]);
        assert_eq!(r.escalate_after_secs, None);
    }

    #[test]
    fn high_risk_route_and_rule_notify() {
        let p = policy();
        let ctx = Context::default();
        let e = p.check("terraform destroy -auto-approve", &ctx);
        assert!(e.risk.level >= Level::High, "{:?}", e.risk.level);
        let r = p.route(&e, &ctx);
        assert_eq!(r.routes, vec![1]);
        assert_eq!(
            r.notify,
            vec![
                "slack:#infra",
                "pagerduty:oncall",
                "email:alice",
                "email:bob"
            ]
        );
        assert_eq!(r.escalate_after_secs, Some(600));
        assert_eq!(r.escalate_to, vec!["opsgenie:ops", "email:carol"]);
        assert_eq!(r.escalation_reviewers, vec!["carol"]);
        // A low-risk command matches no risk route.
        let e = p.check("ls", &ctx);
        assert!(p.route(&e, &ctx).routes.is_empty());
    }

    #[test]
    fn approvers_are_checked() {
        let p = policy();
        let ctx = Context::default();
        let r = p.route(&p.check("terraform destroy -auto-approve", &ctx), &ctx);
        assert_eq!(approval_refused(&r, "alice", None, false), None);
        assert_eq!(approval_refused(&r, "Bob", Some("dave"), false), None);
        assert!(approval_refused(&r, "alice", Some("ALICE"), false).is_some());
        assert!(approval_refused(&r, "mallory", None, false).is_some());
        // The backup group may approve once it escalated, not before.
        assert!(approval_refused(&r, "carol", None, false).is_some());
        assert_eq!(approval_refused(&r, "carol", None, true), None);
        // Unrestricted: anyone but the requester.
        let open = Routing::default();
        assert_eq!(approval_refused(&open, "zed", Some("amy"), false), None);
        assert!(approval_refused(&open, "amy", Some("amy"), false).is_some());
    }

    #[test]
    fn bad_routes_name_the_place() {
        for (text, want) in [
            (
                "[[route]]\nnotify = [\"email:group:nope\"]\n",
                "unknown group `nope`",
            ),
            ("[[route]]\nnotify = [\"fax:123\"]\n", "unknown target kind"),
            (
                "[[route]]\nescalate_after = \"10m\"\n",
                "both `escalate_after` and `escalate_to`",
            ),
            (
                "[[route]]\nescalate_after = \"soon\"\nescalate_to = [\"slack:#x\"]\n",
                "not a duration",
            ),
            ("[[route]]\nrisk = \"huge\"\n", "`risk`"),
            (
                "[[rule]]\nid = \"a\"\naction = \"review\"\nmatch = \"x\"\nreviewers = [\"group:x\"]\n",
                "unknown group `x`",
            ),
            ("[[route]]\nwhatever = 1\n", "unknown field"),
        ] {
            let e = Policy::from_toml(text, "r.toml").unwrap_err();
            assert!(e.message.contains(want), "{text}: {e}");
            assert!(e.line >= 1 && e.col >= 1);
            assert_eq!(e.file, "r.toml");
        }
    }
}
