//! The miner on generated histories with known families, denied commands and near misses.

use super::*;

/// The rule alone, on one part given as words: allow means its pattern matched.
fn allows(rule: &Policy, words: &[String]) -> bool {
    let cmd = quote::join(words.iter().map(String::as_str));
    rule.check(&cmd, &Context::default())
        .parts
        .first()
        .is_some_and(|p| p.rule.is_some() && p.verdict == Decision::Allow)
}

fn rec(cmd: &str, d: &str) -> String {
    serde_json::json!({"command": cmd, "decision": d, "at": "2026-11-24T10:00:00Z"}).to_string()
}

fn history() -> String {
    let mut lines = Vec::new();
    for (i, sha) in [
        "3f2a9c1", "a1b2c3d", "9e8d7c6", "0badc0d", "c0ffee1", "deadbe7",
    ]
    .iter()
    .enumerate()
    {
        lines.push(rec(
            &format!("kubectl set image deployment/api api=ghcr.io/acme/api:{sha} -n staging"),
            "approved",
        ));
        lines.push(rec(
            &format!("helm upgrade --install api ./chart -n staging --set image.tag=v1.{i}.0"),
            "approved",
        ));
    }
    for region in ["eu-west-1", "us-east-1", "eu-west-1", "ap-south-1"] {
        lines.push(rec(
            &format!("aws ecs update-service --cluster main --service api --region {region}"),
            "approved",
        ));
    }
    lines.push(rec("make deploy-once", "approved"));
    // Denied near misses: the same family pointed at production.
    lines.push(rec(
        "kubectl set image deployment/api api=ghcr.io/acme/api:evil -n production",
        "denied",
    ));
    lines.push(rec(
        "aws ecs update-service --cluster main --service api --region cn-north-1",
        "timed_out",
    ));
    lines.push(rec("rm -rf /", "denied"));
    lines.join("\n")
}

fn mine(h: &str) -> Suggestions {
    let (records, bad) = read_history(h, false).unwrap();
    assert!(bad.is_empty());
    let risk = RiskEngine::builtin().unwrap();
    let opts = SuggestOptions {
        max_risk: Level::High,
        ..SuggestOptions::default()
    };
    suggest(&records, None, &risk, &opts)
}

#[test]
fn families_generalise_only_what_varies() {
    let s = mine(&history());
    let pats: Vec<&str> = s.suggestions.iter().map(|x| x.pattern.as_str()).collect();
    assert!(
        pats.contains(&"kubectl set image deployment/api api=ghcr.io/acme/api:* -n staging"),
        "{pats:#?}\n{:#?}",
        s.dropped
    );
    assert!(
        pats.contains(&"helm upgrade --install api ./chart -n staging --set image.tag=v*"),
        "{pats:#?}"
    );
    assert!(
        pats.iter().any(
            |p| p.starts_with("aws ecs update-service --cluster main --service api --region {")
        ),
        "{pats:#?}"
    );
    assert!(
        !pats.iter().any(|p| p.contains("**")),
        "never `**`: {pats:#?}"
    );
    assert!(
        !pats.iter().any(|p| p.contains("make")),
        "one-offs are not generalised: {pats:#?}"
    );
    let k = s
        .suggestions
        .iter()
        .find(|x| x.pattern.starts_with("kubectl"))
        .unwrap();
    assert_eq!(k.support, 6);
    assert!(k.examples.len() <= 3 && !k.examples.is_empty());
}

#[test]
fn no_suggestion_allows_a_denied_command() {
    let s = mine(&history());
    for g in &s.suggestions {
        let rule = single_rule(&g.id, &g.pattern).unwrap();
        for denied in [
            "kubectl set image deployment/api api=ghcr.io/acme/api:evil -n production",
            "aws ecs update-service --cluster main --service api --region cn-north-1",
            "rm -rf /",
        ] {
            let e = rule.check(denied, &Context::default());
            assert_ne!(e.verdict, Decision::Allow, "{} allows {denied}", g.pattern);
        }
    }
}

#[test]
fn risky_families_are_dropped_and_bad_lines_named() {
    let mut lines = Vec::new();
    for b in ["a", "b", "c"] {
        lines.push(rec(
            &format!("terraform destroy -auto-approve -target=module.{b}"),
            "approved",
        ));
    }
    let s = mine(&lines.join("\n"));
    assert!(s.suggestions.is_empty());
    assert!(
        s.dropped.iter().any(|d| d.why.contains("critical")),
        "{:#?}",
        s.dropped
    );
    let err = read_history(
        "{\"command\": \"ls\", \"decision\": \"approved\"}\nnot json\n",
        false,
    )
    .unwrap_err();
    assert_eq!(err.line, 2);
    let (ok, bad) = read_history(
        "{\"command\": \"ls\", \"decision\": \"approved\"}\nnot json\n",
        true,
    )
    .unwrap();
    assert_eq!((ok.len(), bad.len()), (1, 1));
}

#[test]
fn toml_output_pastes_into_a_policy() {
    let s = mine(&history());
    let toml = to_toml(&s);
    let p = Policy::from_toml(&format!("version = 1\n{toml}"), "suggested.toml").unwrap();
    assert_eq!(p.rules.len(), s.suggestions.len());
    let e = p.check(
        "kubectl set image deployment/api api=ghcr.io/acme/api:1234567 -n staging",
        &Context::default(),
    );
    assert_eq!(e.verdict, Decision::Allow, "{}", e.why);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Every suggestion covers all the approvals it claims and none of the denied ones.
        #[test]
        fn suggestions_cover_their_support_and_no_denied(
            shas in prop::collection::vec("[0-9a-f]{7}", 3..8),
            denied in prop::collection::vec("[0-9a-z]{7}", 1..4),
        ) {
            let mut lines: Vec<String> = shas.iter().map(|s| rec(&format!("docker push ghcr.io/acme/app:{s}"), "approved")).collect();
            lines.extend(denied.iter().map(|s| rec(&format!("docker push ghcr.io/acme/app:{s}"), "denied")));
            let s = mine(&lines.join("\n"));
            for g in &s.suggestions {
                let rule = single_rule(&g.id, &g.pattern).unwrap();
                for sha in &shas {
                    let words: Vec<String> = ["docker", "push"].iter().map(|x| x.to_string()).chain([format!("ghcr.io/acme/app:{sha}")]).collect();
                    prop_assert!(allows(&rule, &words), "{} misses {}", g.pattern, sha);
                }
                for d in &denied {
                    let words: Vec<String> = ["docker", "push"].iter().map(|x| x.to_string()).chain([format!("ghcr.io/acme/app:{d}")]).collect();
                    prop_assert!(!allows(&rule, &words), "{} allows denied {}", g.pattern, d);
                }
            }
        }
    }
}

mod families;
