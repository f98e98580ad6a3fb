//! The small glob language of risk signals: `*` (any run of characters except `/`), `**` (any
//! run at all), `?` (one character), `\x` (a literal `x`). Everything else is literal.

/// Whether `text` matches `pat`.
pub(crate) fn matches(pat: &str, text: &str) -> bool {
    matches_bytes(pat.as_bytes(), text.as_bytes(), false)
}

/// Like [`matches`], but `*` also crosses `/` (for whole words such as subcommand operands).
pub(crate) fn matches_word(pat: &str, text: &str) -> bool {
    matches_bytes(pat.as_bytes(), text.as_bytes(), true)
}

fn matches_bytes(p: &[u8], t: &[u8], star_crosses: bool) -> bool {
    // Linear-time matching with two backtrack points, as gitignore matchers do: the last
    // `**` (which can absorb anything, so earlier stars never need revisiting) and the last
    // `*` after it (which cannot cross `/`).
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut double: Option<(usize, usize)> = None; // (pattern after `**`, text position)
    let mut single: Option<(usize, usize)> = None; // (pattern after `*`, text position)
    loop {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    if p.get(pi + 1) == Some(&b'*') || star_crosses {
                        pi += if p.get(pi + 1) == Some(&b'*') { 2 } else { 1 };
                        double = Some((pi, ti));
                        single = None;
                    } else {
                        pi += 1;
                        single = Some((pi, ti));
                    }
                    continue;
                }
                b'?' if ti < t.len() && t[ti] != b'/' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                b'\\' if ti < t.len() && p.get(pi + 1) == Some(&t[ti]) => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                c if c != b'\\' && ti < t.len() && c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        } else if ti == t.len() {
            return true;
        }
        // Mismatch: widen the last `*` if it may take the next character, else the last `**`.
        match single {
            Some((sp, st)) if st < t.len() && t[st] != b'/' => {
                single = Some((sp, st + 1));
                pi = sp;
                ti = st + 1;
                continue;
            }
            _ => {}
        }
        match double {
            Some((dp, dt)) if dt < t.len() => {
                double = Some((dp, dt + 1));
                single = None;
                pi = dp;
                ti = dt + 1;
            }
            _ => return false,
        }
    }
}

/// True when the pattern has no wildcard or escape.
pub(crate) fn is_literal(pat: &str) -> bool {
    !pat.bytes().any(|b| matches!(b, b'*' | b'?' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::{matches, matches_word};

    #[test]
    fn stars_and_slashes() {
        assert!(matches("/etc/*", "/etc/passwd"));
        assert!(!matches("/etc/*", "/etc/ssh/sshd_config"));
        assert!(matches("/etc/**", "/etc/ssh/sshd_config"));
        assert!(matches("*/.ssh/id_*", "~/.ssh/id_rsa"));
        assert!(!matches("*/.ssh/id_*", "/home/a/.ssh/id_rsa"));
        assert!(matches("**/.ssh/id_*", "/home/a/b/.ssh/id_rsa"));
        assert!(matches("mkfs*", "mkfs.ext4"));
        assert!(matches("?", "x") && !matches("?", "xy"));
        assert!(matches("*", "") && matches("**", "a/b"));
        assert!(!matches("/", "/tmp"));
        assert!(matches("\\*", "*") && !matches("\\*", "x"));
        assert!(matches_word("install *", "install a/b@c"));
    }
}

/// A list of globs compiled for fast "does any match" tests: literal globs in a hash set,
/// the others in one anchored regex.
#[derive(Debug, Clone, Default)]
pub(crate) struct GlobList {
    literals: std::collections::HashSet<String, FastHash>,
    /// Few wildcard globs: matched one by one (cheaper than a regex call on short words).
    few: Vec<String>,
    wild: Option<regex::Regex>,
    empty: bool,
}

/// Up to this many wildcard globs are matched one by one rather than by one regex.
const FEW: usize = 6;

impl GlobList {
    pub(crate) fn new(globs: &[String]) -> Result<Self, regex::Error> {
        let mut literals = std::collections::HashSet::default();
        let mut alts = Vec::new();
        for g in globs {
            if is_literal(g) {
                literals.insert(g.clone());
            } else {
                alts.push(to_regex(g));
            }
        }
        let mut few = Vec::new();
        if alts.len() <= FEW {
            few = globs.iter().filter(|g| !is_literal(g)).cloned().collect();
            alts.clear();
        }
        let wild = if alts.is_empty() {
            None
        } else {
            Some(
                regex::RegexBuilder::new(&format!("^(?:{})$", alts.join("|")))
                    .size_limit(8 << 20)
                    .build()?,
            )
        };
        Ok(GlobList {
            literals,
            few,
            wild,
            empty: globs.is_empty(),
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.empty
    }

    /// Whether any glob matches `text`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        (!self.literals.is_empty() && self.literals.contains(text))
            || self.few.iter().any(|g| matches(g, text))
            || self.wild.as_ref().is_some_and(|r| r.is_match(text))
    }
}

/// The regex of one glob (see the module docs for the language).
pub(crate) fn to_regex(g: &str) -> String {
    let mut out = String::new();
    let b: Vec<char> = g.chars().collect();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '*' if b.get(i + 1) == Some(&'*') => {
                out.push_str("(?s:.*)");
                i += 2;
                continue;
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '\\' if i + 1 < b.len() => {
                out.push_str(&regex::escape(&b[i + 1].to_string()));
                i += 2;
                continue;
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod prop_tests {
    use proptest::prelude::*;

    proptest! {
        /// The matcher agrees with the regex the same glob compiles to.
        #[test]
        fn matcher_agrees_with_regex(
            p in "[ab/*?]{0,8}",
            t in "[ab/]{0,10}",
        ) {
            let re = regex::Regex::new(&format!("^(?:{})$", super::to_regex(&p))).unwrap();
            prop_assert_eq!(super::matches(&p, &t), re.is_match(&t), "{} vs {}", p, t);
        }
    }
}

#[cfg(test)]
mod list_tests {
    use super::{GlobList, matches};

    #[test]
    fn list_agrees_with_single_matcher() {
        let globs: Vec<String> = [
            "/etc/*",
            "/etc/**",
            "*/.ssh/id_*",
            "mkfs*",
            "?",
            "\\*",
            "a.b",
            "x+y",
            "~/.bashrc",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let texts = [
            "/etc/passwd",
            "/etc/a/b",
            "~/.ssh/id_rsa",
            "/h/a/.ssh/id_rsa",
            "mkfs.ext4",
            "x",
            "*",
            "a.b",
            "axb",
            "x+y",
            "xxy",
            "~/.bashrc",
            "",
        ];
        for t in texts {
            let want = globs.iter().any(|g| g == t || matches(g, t));
            assert_eq!(GlobList::new(&globs).unwrap().matches(t), want, "{t}");
        }
    }
}

/// FNV-1a: a fast hash for short keys that come from the catalogue, not from users
/// (lookups only; no user input is stored in these tables).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The hasher of the catalogue's tables.
pub(crate) type FastHash = std::hash::BuildHasherDefault<Fnv>;
