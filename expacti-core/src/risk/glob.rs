//! The small glob language of risk signals: `*` (any run of characters except `/`), `**` (any
//! run at all), `?` (one character), `\x` (a literal `x`; a trailing `\` is itself). Everything
//! else is literal.

/// Whether `text` matches `pat`.
pub(crate) fn matches(pat: &str, text: &str) -> bool {
    matches_bytes(pat.as_bytes(), text.as_bytes(), false)
}

/// Like [`matches`], but `*` also crosses `/` (for whole words such as subcommand operands).
#[cfg(test)]
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
                // A trailing backslash is itself (as `to_regex` reads it).
                b'\\' if pi + 1 == p.len() && t.get(ti) == Some(&b'\\') => {
                    pi += 1;
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

/// One glob compiled to the cheapest test that decides it: most catalogue globs are a
/// literal with a star on one or both ends, and those need no backtracking at all.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// `**` (or `*` where stars cross `/`): anything.
    Any,
    /// `*` that does not cross `/`: anything without a `/`.
    AnyNoSlash,
    /// A literal.
    Exact(String),
    /// `LIT*` / `LIT**`: starts with the literal; `true` when the rest may hold `/`.
    Prefix(String, bool),
    /// `*LIT` / `**LIT`: ends with the literal; `true` when the rest may hold `/`.
    Suffix(String, bool),
    /// `**LIT**`: holds the literal anywhere.
    Contains(String),
    /// Anything else: the backtracking matcher, after a search for the glob's literal runs
    /// (every text it matches holds each of its runs verbatim), longest first: at most four
    /// of them, when the longest is two bytes or more.
    General(String, bool, Vec<String>),
}

impl Matcher {
    /// Compiles `pat`; `star_crosses`: `*` also crosses `/` (as in [`matches_word`]).
    pub(crate) fn new(pat: &str, star_crosses: bool) -> Self {
        let general = || Matcher::General(pat.to_string(), star_crosses, runs(pat));
        if pat.bytes().any(|b| matches!(b, b'?' | b'\\')) {
            return general();
        }
        if !pat.contains('*') {
            return Matcher::Exact(pat.to_string());
        }
        // The stars at each end (0, 1 or 2) and the literal between them.
        let lead = pat.bytes().take_while(|b| *b == b'*').count();
        let trail = pat.bytes().rev().take_while(|b| *b == b'*').count();
        if lead == pat.len() {
            return match (lead, star_crosses) {
                (1, false) => Matcher::AnyNoSlash,
                (1 | 2, _) => Matcher::Any,
                _ => general(),
            };
        }
        let mid = &pat[lead..pat.len() - trail];
        if mid.contains('*') || lead > 2 || trail > 2 {
            return general();
        }
        let crosses = |n: usize| n == 2 || star_crosses;
        match (lead, trail) {
            (0, t) => Matcher::Prefix(mid.to_string(), crosses(t)),
            (l, 0) => Matcher::Suffix(mid.to_string(), crosses(l)),
            (l, t) if crosses(l) && crosses(t) => Matcher::Contains(mid.to_string()),
            _ => general(),
        }
    }

    /// Whether `text` matches.
    #[inline]
    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::AnyNoSlash => !text.as_bytes().contains(&b'/'),
            Matcher::Exact(l) => same(text.as_bytes(), l.as_bytes()),
            Matcher::Prefix(l, cross) => {
                let (t, l) = (text.as_bytes(), l.as_bytes());
                // The first byte decides most words before a slice compare.
                t.len() >= l.len()
                    && t.first() == l.first()
                    && same(&t[..l.len()], l)
                    && (*cross || !t[l.len()..].contains(&b'/'))
            }
            Matcher::Suffix(l, cross) => {
                let (t, l) = (text.as_bytes(), l.as_bytes());
                let n = t.len();
                n >= l.len()
                    && t.last() == l.last()
                    && same(&t[n - l.len()..], l)
                    && (*cross || !t[..n - l.len()].contains(&b'/'))
            }
            Matcher::Contains(l) => contains(text.as_bytes(), l.as_bytes()),
            Matcher::General(p, cross, runs) => {
                runs.iter().all(|r| contains(text.as_bytes(), r.as_bytes()))
                    && matches_bytes(p.as_bytes(), text.as_bytes(), *cross)
            }
        }
    }
}

/// The literal runs of `pat`, in order: the text between its wildcards (`*`, `?`), escapes
/// resolved (`\\*` is a `*` of the run; a trailing backslash is left out).
pub(crate) fn literal_runs(pat: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    let mut chars = pat.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => {
                if !cur.is_empty() {
                    runs.push(std::mem::take(&mut cur));
                }
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// The literal runs of `pat` ([`literal_runs`]), longest first, each once, at most four, when
/// the longest is at least two bytes (none otherwise): a text the glob matches holds each of
/// them. The backtracking matcher walks every start of a text; a scan for the runs rules most
/// texts out first (`**://*:?*@**` holds `://`, `:` and `@`: a URL without `@` is decided by
/// three scans).
fn runs(pat: &str) -> Vec<String> {
    let mut runs = literal_runs(pat);
    let mut seen = std::collections::HashSet::new();
    runs.retain(|r| seen.insert(r.clone()));
    // (Stable: runs of one length keep their order.)
    runs.sort_by_key(|r| std::cmp::Reverse(r.len()));
    runs.truncate(4);
    if runs.first().is_none_or(|r| r.len() < 2) {
        runs.clear();
    }
    runs
}

/// Whether two byte strings are equal, compared in place up to 16 bytes: words are short, and
/// a slice compare is a call to the C library's `bcmp`, whose set-up and branches on the length
/// cost more time than the compare (6.7% of a score's time was in it, 1.4% of its
/// instructions).
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w8 = |x: &[u8], i: usize| {
        x.get(i..i + 8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let w4 = |x: &[u8], i: usize| {
        x.get(i..i + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    };
    match n {
        // The first and last eight (or four) bytes, which overlap when fewer than 16 (8).
        8..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        4..=7 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// Whether `n` (not empty) occurs in `h`: words are short, so a first-byte scan beats a
/// searcher that must be set up per call.
#[inline]
pub(crate) fn contains(h: &[u8], n: &[u8]) -> bool {
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    if h.len() < n.len() {
        return false;
    }
    let last = h.len() - n.len();
    let mut i = 0;
    while i <= last {
        if h[i] == first && same(&h[i + 1..i + n.len()], rest) {
            return true;
        }
        i += 1;
    }
    false
}

/// True when the pattern has no wildcard or escape.
pub(crate) fn is_literal(pat: &str) -> bool {
    !pat.bytes().any(|b| matches!(b, b'*' | b'?' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::{matches, matches_word, tail_word};

    #[test]
    fn tail_word_is_the_bytes_padded_with_zeros() {
        let bytes = [0x01u8, 0x80, 0xff, 0x7f, 0x20, 0xc3, 0x00, 0x9a];
        for n in 1..8 {
            for start in 0..=bytes.len() - n {
                let rest = &bytes[start..start + n];
                let mut w = [0u8; 8];
                w[..n].copy_from_slice(rest);
                assert_eq!(tail_word(rest), u64::from_le_bytes(w), "{rest:?}");
            }
        }
    }

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
/// the others as [`Matcher`]s, or in one anchored regex when many need backtracking.
#[derive(Debug, Clone, Default)]
pub(crate) struct GlobList {
    literals: std::collections::HashSet<String, FastHash>,
    /// The shortest and longest literal (a length test before hashing).
    lit_len: (usize, usize),
    /// Wildcard globs matched one by one (cheaper than a regex call on short words): those
    /// that need a literal start (`LIT*`) by its first byte, those that need a literal end
    /// (`*LIT`) by its last byte, each sorted by that byte, so that a text only meets the
    /// globs its own first and last bytes allow; and the rest.
    by_first: Vec<(u8, Matcher)>,
    by_last: Vec<(u8, Matcher)>,
    other: Vec<Matcher>,
    /// `**LIT**` globs, when there are several: one scan of the text for all their literals,
    /// after a search for a byte every one of them holds, when they share one (the least
    /// common such byte).
    /// (A text shorter than the shortest of them holds none.)
    contains: Option<(usize, Option<u8>, super::catalogue::Needles)>,
    wild: Option<regex::Regex>,
    empty: bool,
    /// The bytes a non-empty text must start and end with for some glob to match it (all
    /// bytes when a glob starts or ends with a wildcard, or holds an escape).
    first: ByteSet,
    last: ByteSet,
}

/// Up to this many globs that need the backtracking matcher are matched one by one rather
/// than by one regex.
const FEW: usize = 6;

impl GlobList {
    pub(crate) fn new(globs: &[String]) -> Result<Self, regex::Error> {
        let mut literals = std::collections::HashSet::default();
        let mut few = Vec::new();
        let mut general = Vec::new();
        for g in globs {
            if is_literal(g) {
                literals.insert(g.clone());
            } else {
                match Matcher::new(g, false) {
                    Matcher::General(..) => general.push(g),
                    m => few.push((g, m)),
                }
            }
        }
        let wild = if general.len() <= FEW {
            few.extend(general.iter().map(|&g| (g, Matcher::new(g, false))));
            None
        } else {
            let alts: Vec<String> = general.iter().map(|g| to_regex(g)).collect();
            Some(
                regex::RegexBuilder::new(&format!("^(?:{})$", alts.join("|")))
                    .size_limit(8 << 20)
                    .build()?,
            )
        };
        let (mut by_first, mut by_last, mut other) = (Vec::new(), Vec::new(), Vec::new());
        let lits: Vec<String> = few
            .iter()
            .filter_map(|(_, m)| match m {
                Matcher::Contains(l) if l.len() >= 2 => Some(l.clone()),
                _ => None,
            })
            .collect();
        let contains = if lits.len() >= 2 {
            few.retain(|(_, m)| !matches!(m, Matcher::Contains(l) if l.len() >= 2));
            let shared = (0..=255u8)
                .filter(|b| lits.iter().all(|l| l.as_bytes().contains(b)))
                .min_by_key(|&b| super::catalogue::commonness(b));
            let shortest = lits.iter().map(String::len).min().unwrap_or(0);
            super::catalogue::Needles::of(&lits).map(|n| (shortest, shared, n))
        } else {
            None
        };
        // (The first and last bytes below are those of the other globs: the `**LIT**` ones
        // are tried whatever a text starts and ends with.)
        let in_needles = |g: &str| {
            contains.is_some()
                && matches!(Matcher::new(g, false), Matcher::Contains(l) if l.len() >= 2)
        };
        for (g, m) in few {
            match (literal_first(g), literal_last(g)) {
                (Some(c), _) => by_first.push((c, m)),
                (None, Some(c)) => by_last.push((c, m)),
                (None, None) => other.push(m),
            }
        }
        // Stable: globs keep their order within one byte (any match will do, so order only
        // affects speed).
        by_first.sort_by_key(|e| e.0);
        by_last.sort_by_key(|e| e.0);
        let lit_len = (
            literals.iter().map(String::len).min().unwrap_or(0),
            literals.iter().map(String::len).max().unwrap_or(0),
        );
        let (mut first, mut last) = (ByteSet::default(), ByteSet::default());
        // An empty glob matches only the empty text, which skips this test.
        for g in globs.iter().filter(|g| !g.is_empty() && !in_needles(g)) {
            match literal_first(g) {
                Some(c) => first.insert(c),
                None => first = ByteSet::ALL,
            }
            match literal_last(g) {
                Some(c) => last.insert(c),
                None => last = ByteSet::ALL,
            }
        }
        Ok(GlobList {
            literals,
            lit_len,
            by_first,
            by_last,
            other,
            contains,
            wild,
            empty: globs.is_empty(),
            first,
            last,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.empty
    }

    /// Whether any glob matches `text`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        // A text whose first or last byte none of the other globs allows is decided by the
        // `**LIT**` ones alone.
        let others = match (text.as_bytes().first(), text.as_bytes().last()) {
            (Some(&a), Some(&z)) => self.first.contains(a) && self.last.contains(z),
            _ => true,
        };
        (others
            && ((!self.literals.is_empty()
                && (self.lit_len.0..=self.lit_len.1).contains(&text.len())
                && self.literals.contains(text))
                || keyed(&self.by_first, text.as_bytes().first(), text)
                || keyed(&self.by_last, text.as_bytes().last(), text)
                || self.other.iter().any(|m| m.matches(text))
                || self.wild.as_ref().is_some_and(|r| r.is_match(text))))
            || self.contains.as_ref().is_some_and(|(shortest, shared, n)| {
                text.len() >= *shortest
                    && shared.is_none_or(|b| text.as_bytes().contains(&b))
                    && n.any_in(text.as_bytes())
            })
    }
}

/// The byte every text a glob matches starts with, when the glob starts with a literal byte.
fn literal_first(g: &str) -> Option<u8> {
    g.as_bytes()
        .first()
        .copied()
        .filter(|c| !matches!(c, b'*' | b'?' | b'\\'))
}

/// The byte every text a glob matches ends with, when the glob ends with a literal byte and
/// holds no escape (an escaped last byte would need reading the glob from its start).
fn literal_last(g: &str) -> Option<u8> {
    let b = g.as_bytes();
    b.last()
        .copied()
        .filter(|c| !b.contains(&b'\\') && !matches!(c, b'*' | b'?'))
}

/// Whether a glob of `list` (sorted by its key byte) whose key is `key` matches `text`.
fn keyed(list: &[(u8, Matcher)], key: Option<&u8>, text: &str) -> bool {
    let Some(&k) = key else { return false };
    if list.is_empty() {
        return false;
    }
    let at = list.partition_point(|e| e.0 < k);
    list[at..]
        .iter()
        .take_while(|e| e.0 == k)
        .any(|e| e.1.matches(text))
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

        /// Every compiled form agrees with the backtracking matcher, both ways of `*`.
        #[test]
        fn compiled_matcher_agrees(
            p in "[ab/*]{0,3}(x|/)?[ab/*]{0,3}",
            t in "[abx/]{0,10}",
            crosses in any::<bool>(),
        ) {
            let m = super::Matcher::new(&p, crosses);
            let want = super::matches_bytes(p.as_bytes(), t.as_bytes(), crosses);
            prop_assert_eq!(m.matches(&t), want, "{} vs {} ({:?})", p, t, m);
        }

        /// The literal-run test in front of the backtracking matcher never turns a match
        /// away: globs with `?` and escapes (always the general matcher), against random
        /// texts of the same bytes and against a text the glob matches (each `*` filled
        /// in, each `?` one byte, each escape its byte).
        #[test]
        fn general_matcher_run_test_keeps_every_match(
            p in "[ab/*?\\\\]{0,4}(ab|ba|\\\\a|\\\\\\\\)[ab/*?\\\\]{0,4}",
            t in "[ab/*?\\\\]{0,12}",
            fill in "[ab]{0,3}",
            crosses in any::<bool>(),
        ) {
            let mut matching = String::new();
            let mut it = p.chars();
            while let Some(c) = it.next() {
                match c {
                    '*' => matching.push_str(&fill),
                    '?' => matching.push('a'),
                    '\\' => matching.extend(it.next().or(Some('\\'))),
                    c => matching.push(c),
                }
            }
            let m = super::Matcher::new(&p, crosses);
            for t in [&t, &matching] {
                let want = super::matches_bytes(p.as_bytes(), t.as_bytes(), crosses);
                prop_assert_eq!(m.matches(t), want, "{} vs {} ({:?})", p, t, m);
            }
        }
    }
}

#[cfg(test)]
mod run_tests {
    use super::runs;

    #[test]
    fn runs_of_a_general_glob() {
        assert_eq!(runs("**/.ssh/id_*"), ["/.ssh/id_"]);
        assert_eq!(runs("a?bc*de"), ["bc", "de", "a"]);
        assert_eq!(runs("**://*:?*@**"), ["://", ":", "@"]);
        // An escaped byte is a literal of the run.
        assert_eq!(runs("ab\\*cde"), ["ab*cde"]);
        // No run of two bytes: no scan.
        assert!(runs("a*b?c").is_empty());
        // A trailing backslash (a literal backslash to the matcher) is left out.
        assert_eq!(runs("ab\\"), ["ab"]);
        // At most four, longest first, each once.
        assert_eq!(runs("abc*x*de*x*f*g*h"), ["abc", "de", "x", "f"]);
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

    /// `**LIT**` globs are tried whatever a text starts or ends with, though the other globs
    /// of the list all start and end with literal bytes; texts shorter than the shortest
    /// literal, or without the byte all the literals share, hold none of them.
    #[test]
    fn contains_globs_beside_keyed_ones() {
        let globs: Vec<String> = [
            "*privileged=true",
            "**privileged=true,**",
            "**hostPID=true,**",
        ]
        .iter()
        .map(|g| (*g).to_string())
        .collect();
        let l = GlobList::new(&globs).unwrap();
        for (t, want) in [
            ("securityContext.privileged=true", true),
            ("securityContext.privileged=true,image.tag=v1", true),
            ("a=1,hostPID=true,b=2", true),
            ("hostPID=true,", true),
            ("hostPID=true", false),
            ("privileged=true;x", false),
            ("image.tag=v1", false),
            ("x,y", false),
            ("", false),
        ] {
            assert_eq!(l.matches(t), want, "{t}");
        }
    }

    proptest::proptest! {
        /// A list (literals in a set, the rest compiled and keyed by a literal first or last
        /// byte, or in one regex, a first- and last-byte pre-test) matches exactly when one
        /// of its globs does, alone.
        #[test]
        fn list_agrees_with_its_globs(
            globs in proptest::collection::vec("[ab/*?\\\\]{0,5}", 0..10),
            t in "[ab/*?\\\\]{0,8}",
        ) {
            let want = globs.iter().any(|g| matches(g, &t));
            proptest::prop_assert_eq!(GlobList::new(&globs).unwrap().matches(&t), want);
        }

        /// Lists of several `**LIT**` globs (found by one needle scan) among others.
        #[test]
        fn list_of_contains_globs_agrees_with_its_globs(
            globs in proptest::collection::vec("(\\*\\*[ab/]{1,3}\\*\\*)|([ab/*]{0,4})", 0..10),
            t in "[ab/]{0,10}",
        ) {
            let want = globs.iter().any(|g| matches(g, &t));
            proptest::prop_assert_eq!(GlobList::new(&globs).unwrap().matches(&t), want);
        }

        /// The in-place compare agrees with a slice compare at every length up to past its
        /// widest case, equal or differing in one byte anywhere.
        #[test]
        fn same_agrees_with_slice_equality(
            a in proptest::collection::vec(proptest::sample::select(b"ab".to_vec()), 0..24),
            flip in proptest::option::of(0usize..24),
            shorter in proptest::bool::ANY,
        ) {
            let mut b = a.clone();
            if let Some(i) = flip.filter(|&i| i < b.len()) {
                b[i] ^= 3;
            }
            if shorter {
                b.pop();
            }
            proptest::prop_assert_eq!(super::same(&a, &b), a == b, "{:?} {:?}", a, b);
        }
    }
}

/// A set of bytes, one bit each.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    /// Every byte.
    pub(crate) const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    pub(crate) fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// A multiply-rotate hash taking eight bytes at a time (the scheme of rustc's own hasher),
/// for the catalogue's and the policy index's tables. Their keys come from the catalogue and
/// the policy file, not from users; command words are only looked up, never stored, so a
/// word crafted to collide can slow no table down.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WordHash(u64);

impl WordHash {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = self.0.wrapping_add(w).wrapping_mul(Self::K);
    }
}

impl std::hash::Hasher for WordHash {
    #[inline]
    fn finish(&self) -> u64 {
        // The table uses the top bits: the rotation brings the best-mixed ones there.
        self.0.rotate_left(26)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(rest));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// A word's 64-bit [`WordHash`] (its bytes and its length): the key of a word in the
/// catalogue's `sub` lookups and in the policy index.
pub(crate) fn word_hash(w: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = WordHash::default();
    h.write(w);
    h.write_usize(w.len());
    h.finish()
}

/// The one to seven bytes of `rest` as a little-endian integer (zero above them), read as
/// two overlapping pieces instead of copied into a buffer (a copy of variable length is a
/// `memcpy` call, which cost more than the rest of hashing a short word).
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    let at = |i: usize| u64::from(rest.get(i).copied().unwrap_or(0));
    if n >= 4 {
        let four = |i: usize| {
            rest.get(i..i + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
        };
        // The pieces overlap in the same bytes, so or-ing them gives each byte once.
        four(0) | four(n - 4) << ((n - 4) * 8)
    } else {
        at(0) | at(n / 2) << (n / 2 * 8) | at(n.wrapping_sub(1)) << (n.saturating_sub(1) * 8)
    }
}

/// The hasher of the catalogue's tables.
pub(crate) type FastHash = std::hash::BuildHasherDefault<WordHash>;
