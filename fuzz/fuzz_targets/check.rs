//! The matcher and verdict never panic, and never allow what they must not: an opaque
//! command, a part whose name is only known at run time, or a command with a denied part.
#![no_main]

use std::sync::OnceLock;

use expacti_core::policy::{Context, Decision, Policy};
use libfuzzer_sys::fuzz_target;

const POLICY: &str = r#"
version = 1
[[rule]]
id = "build"
action = "allow"
match = ["npm ci", "npm run *", "cargo test **", "echo *", "ls **", "git status"]
[[rule]]
id = "no-rm"
action = "deny"
match = ["rm -rf **", "rm -fr **"]
"#;

fuzz_target!(|data: &[u8]| {
    static P: OnceLock<Policy> = OnceLock::new();
    let p = P.get_or_init(|| Policy::from_toml(POLICY, "fuzz.toml").expect("the fuzz policy loads"));
    let Ok(cmd) = std::str::from_utf8(data) else { return };
    if cmd.len() > 4096 {
        return;
    }
    let e = p.check(cmd, &Context::default());
    if e.verdict == Decision::Allow {
        assert!(e.opaque.is_none(), "allowed an opaque command: {cmd:?}");
        assert!(e.parts.iter().all(|x| x.verdict == Decision::Allow), "{cmd:?}");
        let parsed = expacti_core::parse(cmd);
        assert!(parsed.parts.iter().all(|x| x.argv.first().is_none_or(|w| !w.is_dynamic())), "{cmd:?}");
    }
    if e.parts.iter().any(|x| x.verdict == Decision::Deny) {
        assert_eq!(e.verdict, Decision::Deny, "{cmd:?}");
    }
});
