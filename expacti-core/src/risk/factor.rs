//! Literal factors of a catalogue regex: lowercase strings one of which every match contains,
//! so that a part's text without any of them is not searched at all. A regex search on a short
//! text costs most of its time setting up (~880 instructions); testing a factor against the
//! part's set of adjacent byte pairs ([`TextBits`]) costs a few bit tests.
//!
//! The factors are found on the regex's syntax tree (case-insensitive letters are classes of
//! one letter in both cases) and only ever say "cannot match": a regex they cannot describe
//! gets none, and is always searched.

use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many factors (an alternation of many keywords is searched anyway).
const MAX: usize = 24;
/// Factors shorter than this are not worth testing.
const MIN_LEN: usize = 3;

/// What a node of the tree requires of the text.
enum Need {
    /// The node matches exactly this (lowercase) string: it can extend a literal run.
    Lit(Vec<u8>),
    /// Every match of the node contains one of these (lowercase) strings.
    Any(Vec<Vec<u8>>),
    /// Nothing known.
    Nothing,
}

/// The factors of `pattern` compiled as the catalogue compiles it (case-insensitive, with or
/// without Unicode), or `None` when none are known.
pub(crate) fn factors(pattern: &str, unicode: bool) -> Option<Vec<Box<[u8]>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .unicode(unicode)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let set = match need(&hir) {
        Need::Lit(s) => vec![s],
        Need::Any(set) => set,
        Need::Nothing => return None,
    };
    // A factor of one or two bytes is in most texts: testing it costs more than it saves.
    if set.is_empty() || set.iter().any(|f| f.len() < MIN_LEN) {
        return None;
    }
    Some(set.into_iter().map(Vec::into_boxed_slice).collect())
}

/// The pairs of adjacent bytes of a text (ASCII lowercased), as a 1024-bit set: a text holds a
/// factor only if it holds every byte pair of it. Built once per part, in one pass; testing a
/// factor is then a few bit tests, where searching for it is a scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextBits([u64; 16]);

fn pair_bit(a: u8, b: u8) -> u32 {
    // Case is folded by setting 0x20 (it also merges some punctuation, which only makes the
    // set say "may" more often).
    (u32::from(a | 0x20) * 37 + u32::from(b | 0x20)) & 1023
}

impl TextBits {
    pub(crate) fn of(text: &[u8]) -> Self {
        let mut bits = [0u64; 16];
        for w in text.windows(2) {
            let i = pair_bit(w[0], w[1]);
            bits[(i >> 6) as usize] |= 1 << (i & 63);
        }
        TextBits(bits)
    }

    fn may_hold(&self, factor: &[u8]) -> bool {
        factor.windows(2).all(|w| {
            let i = pair_bit(w[0], w[1]);
            self.0[(i >> 6) as usize] & (1 << (i & 63)) != 0
        })
    }
}

/// False when the text lacks every factor (so the regex cannot match it); true when it may
/// hold one (the bit sets can only err towards "may").
pub(crate) fn may_match(factors: &[Box<[u8]>], text: &TextBits) -> bool {
    factors.iter().any(|f| text.may_hold(f))
}

fn need(h: &Hir) -> Need {
    match h.kind() {
        HirKind::Literal(l) => Need::Lit(l.0.to_ascii_lowercase()),
        HirKind::Class(c) => match one_byte(c) {
            Some(b) => Need::Lit(vec![b]),
            None => Need::Nothing,
        },
        HirKind::Capture(c) => need(&c.sub),
        // At least one copy of the repeated node is in every match; it does not join a
        // literal run (its copies may be many).
        HirKind::Repetition(r) if r.min >= 1 => match need(&r.sub) {
            Need::Lit(s) => Need::Any(vec![s]),
            other => other,
        },
        HirKind::Alternation(alts) => {
            let mut set = Vec::new();
            for a in alts {
                match need(a) {
                    Need::Lit(s) => set.push(s),
                    Need::Any(x) => set.extend(x),
                    Need::Nothing => return Need::Nothing,
                }
                if set.len() > MAX {
                    return Need::Nothing;
                }
            }
            set.sort();
            set.dedup();
            Need::Any(set)
        }
        HirKind::Concat(parts) => concat(parts),
        HirKind::Empty | HirKind::Look(_) | HirKind::Repetition(_) => Need::Nothing,
    }
}

/// A concatenation: adjacent literal nodes form runs (zero-width assertions and empty nodes
/// consume nothing, so they do not break one); every run, and every other node's own need,
/// is necessary; the best of them is kept (longest shortest string, then fewest strings).
fn concat(parts: &[Hir]) -> Need {
    let mut run: Vec<u8> = Vec::new();
    let mut all_lit = true;
    let mut best: Option<Vec<Vec<u8>>> = None;
    for p in parts {
        match (p.kind(), need(p)) {
            (HirKind::Look(_) | HirKind::Empty, _) => {}
            (_, Need::Lit(s)) => run.extend(s),
            (_, other) => {
                all_lit = false;
                if !run.is_empty() {
                    offer(vec![std::mem::take(&mut run)], &mut best);
                }
                if let Need::Any(set) = other {
                    offer(set, &mut best);
                }
            }
        }
    }
    if all_lit {
        return Need::Lit(run);
    }
    if !run.is_empty() {
        offer(vec![run], &mut best);
    }
    best.map_or(Need::Nothing, Need::Any)
}

/// Keeps `set` when it is a better filter than `best`: its shortest string longer, or as long
/// with fewer strings.
fn offer(set: Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>) {
    let key = |s: &[Vec<u8>]| {
        let shortest = s.iter().map(Vec::len).min().unwrap_or(0);
        (shortest, usize::MAX - s.len())
    };
    if best.as_deref().is_none_or(|b| key(&set) > key(b)) {
        *best = Some(set);
    }
}

/// The byte a class stands for when it is one byte, or one ASCII letter in both cases
/// (lowercase).
fn one_byte(c: &Class) -> Option<u8> {
    let ranges: Vec<(u32, u32)> = match c {
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let count: u32 = ranges.iter().map(|(a, b)| b - a + 1).sum();
    let members: Vec<u32> = ranges.iter().flat_map(|&(a, b)| a..=b).take(3).collect();
    match (count, members.as_slice()) {
        (1, [x]) => u8::try_from(*x).ok().filter(u8::is_ascii),
        (2, [x, y]) => {
            let (x, y) = (u8::try_from(*x).ok()?, u8::try_from(*y).ok()?);
            (x.is_ascii_alphabetic() && x.eq_ignore_ascii_case(&y)).then(|| x.to_ascii_lowercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(p: &str) -> Option<Vec<String>> {
        factors(p, false).map(|v| {
            v.iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
    }

    #[test]
    fn keywords_and_runs() {
        assert_eq!(f(r"\bflushall\b"), Some(vec!["flushall".into()]));
        // The parser factors the common prefix out: `flush(all|db)`.
        assert_eq!(f(r"\b(flushall|flushdb)\b"), Some(vec!["flush".into()]));
        assert_eq!(
            f(r"\b(grant\s|revoke\s)"),
            Some(vec!["grant".into(), "revoke".into()])
        );
        assert_eq!(f(r"\bupdate\s+[\w.]+\s+set\b"), Some(vec!["update".into()]));
        assert_eq!(f(r"DROP\s+TABLE"), Some(vec!["table".into()]));
        // Nothing known: an optional part, a class of many bytes.
        assert_eq!(f(r"(abc)?"), None);
        assert_eq!(f(r"[a-z]+"), None);
    }

    proptest::proptest! {
        /// When a pattern's factors say a text cannot match, the regex does not match it.
        #[test]
        fn factors_never_miss_a_match(
            pattern in "(\\\\b|[aAbB]|ab|Ba|\\(|\\)|\\||\\*|\\+|\\?|\\.|\\\\s|\\[ab\\]){0,12}",
            text in "[aAbB .]{0,16}",
        ) {
            let Ok(re) = regex::RegexBuilder::new(&pattern)
                .case_insensitive(true)
                .unicode(false)
                .build()
            else {
                return Ok(());
            };
            if let Some(fs) = factors(&pattern, false) {
                if re.is_match(&text) {
                    proptest::prop_assert!(
                        may_match(&fs, &TextBits::of(text.as_bytes())),
                        "{pattern:?} matches {text:?} but its factors {fs:?} say no"
                    );
                }
            }
        }
    }
}
