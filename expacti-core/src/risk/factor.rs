//! Literal factors of a catalogue regex: sets of lowercase strings such that every match
//! contains one string of each set, so that a part's text lacking every string of some set is
//! not searched at all. A regex search on a short text costs most of its time setting up
//! (~880 instructions); testing a factor against the part's set of adjacent byte pairs
//! ([`TextBits`]) costs a few bit tests.
//!
//! The factors are found on the regex's syntax tree (case-insensitive letters are classes of
//! one letter in both cases) and only ever say "cannot match": a regex they cannot describe
//! gets none, and is always searched. Several sets are kept because each rules out other
//! texts: `drop\s+(database|schema)` needs `drop` and one of `database`, `schema`, and only
//! the first rules out `psql "$DATABASE_URL" -c 'SELECT 1'`.

use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many strings in a set (an alternation of many keywords is searched anyway).
const MAX: usize = 24;
/// At most this many sets for a node: the best ones (see [`key`]).
const KEEP: usize = 3;
/// Strings shorter than this cannot be tested: [`TextBits`] holds pairs of bytes.
const MIN_LEN: usize = 2;

/// Strings one of which every match holds (lowercase, sorted, without repeats).
type Set = Vec<Vec<u8>>;

/// What a node of the tree requires of the text.
enum Need {
    /// The node matches exactly this (lowercase) string: it can extend a literal run.
    Lit(Vec<u8>),
    /// Every match of the node holds a string of each of these sets (best first; none when
    /// nothing is known).
    All(Vec<Set>),
}

impl Need {
    fn sets(self) -> Vec<Set> {
        match self {
            Need::Lit(s) => best(vec![vec![s]]),
            Need::All(sets) => sets,
        }
    }
}

/// The factor sets of `pattern` compiled as the catalogue compiles it (case-insensitive, with
/// or without Unicode), or `None` when none are known.
pub(crate) fn factors(pattern: &str, unicode: bool) -> Option<Vec<Vec<Box<[u8]>>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .unicode(unicode)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let sets = need(&hir).sets();
    if sets.is_empty() {
        return None;
    }
    Some(
        sets.into_iter()
            .map(|set| set.into_iter().map(Vec::into_boxed_slice).collect())
            .collect(),
    )
}

/// The pairs of adjacent bytes of a text (ASCII lowercased), as a 1024-bit set: a text holds a
/// factor only if it holds every byte pair of it. Built once per part, in one pass; testing a
/// factor is then a few bit tests, where searching for it is a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextBits([u64; 16]);

fn pair_bit(a: u8, b: u8) -> u32 {
    // Case is folded by setting 0x20 (it also merges some punctuation, which only makes the
    // set say "may" more often).
    (u32::from(a | 0x20) * 37 + u32::from(b | 0x20)) & 1023
}

impl TextBits {
    #[cfg(test)]
    pub(crate) fn of(text: &[u8]) -> Self {
        let mut b = TextBitsBuilder::default();
        b.push(text);
        b.finish()
    }

    /// Whether the text may hold a string whose byte pairs have these bits (see
    /// [`pair_sets`]).
    fn may_hold(&self, pairs: &[u16]) -> bool {
        pairs
            .iter()
            .all(|&i| self.0[usize::from(i >> 6) & 15] & (1 << (i & 63)) != 0)
    }
}

/// [`TextBits`] of a text given in pieces (the text is their concatenation), so that the text
/// need not be built to be ruled out.
#[derive(Debug, Default)]
pub(crate) struct TextBitsBuilder {
    bits: [u64; 16],
    last: Option<u8>,
}

impl TextBitsBuilder {
    /// Adds one byte and then a piece of the text (a separator and the word after it, in one
    /// call).
    pub(crate) fn push_after(&mut self, sep: u8, piece: &[u8]) {
        if let Some(prev) = self.last {
            self.set(prev, sep);
        }
        self.last = Some(sep);
        self.push(piece);
    }

    /// Adds the next piece of the text.
    pub(crate) fn push(&mut self, piece: &[u8]) {
        if piece.is_ascii() {
            self.add(piece);
        } else {
            self.push_folded(piece);
        }
    }

    fn add(&mut self, piece: &[u8]) {
        let Some((&first, _)) = piece.split_first() else {
            return;
        };
        let mut prev = first;
        if let Some(p) = self.last {
            self.set(p, first);
        }
        for &b in &piece[1..] {
            self.set(prev, b);
            prev = b;
        }
        self.last = Some(prev);
    }

    fn set(&mut self, a: u8, b: u8) {
        let i = pair_bit(a, b);
        self.bits[(i >> 6) as usize] |= 1 << (i & 63);
    }

    /// A piece with bytes outside ASCII: the two letters that case folding makes `s` and `k`
    /// (see [`one_byte`]) are read as those, so that a factor `sh` rules out no text a
    /// Unicode regex matches as `ſh`; the other bytes are kept as they are.
    #[cold]
    fn push_folded(&mut self, piece: &[u8]) {
        let (mut s_buf, mut k_buf) = ([0u8; 4], [0u8; 4]);
        let long_s = LONG_S.encode_utf8(&mut s_buf).as_bytes();
        let kelvin = KELVIN.encode_utf8(&mut k_buf).as_bytes();
        let mut folded = Vec::with_capacity(piece.len());
        let mut rest = piece;
        while let Some((&b, tail)) = rest.split_first() {
            if rest.starts_with(long_s) {
                folded.push(b's');
                rest = &rest[long_s.len()..];
            } else if rest.starts_with(kelvin) {
                folded.push(b'k');
                rest = &rest[kelvin.len()..];
            } else {
                folded.push(b);
                rest = tail;
            }
        }
        self.add(&folded);
    }

    pub(crate) fn finish(self) -> TextBits {
        TextBits(self.bits)
    }
}

/// Factor sets with each string given as the [`TextBits`] bits of its adjacent byte pairs,
/// what the test reads (computed once, when the catalogue is compiled, instead of on every
/// test).
pub(crate) type PairSets = Vec<Vec<Box<[u16]>>>;

/// The [`PairSets`] of factor sets.
pub(crate) fn pair_sets(sets: &[Vec<Box<[u8]>>]) -> PairSets {
    sets.iter()
        .map(|set| {
            set.iter()
                .map(|f| f.windows(2).map(|w| pair_bit(w[0], w[1]) as u16).collect())
                .collect()
        })
        .collect()
}

/// False when the text lacks every string of some set (so the regex cannot match it); true
/// when it may hold one of each (the bit sets can only err towards "may").
pub(crate) fn may_match(sets: &[Vec<Box<[u16]>>], text: &TextBits) -> bool {
    sets.iter().all(|set| set.iter().any(|f| text.may_hold(f)))
}

fn need(h: &Hir) -> Need {
    match h.kind() {
        HirKind::Literal(l) => Need::Lit(l.0.to_ascii_lowercase()),
        HirKind::Class(c) => match one_byte(c) {
            Some(b) => Need::Lit(vec![b]),
            None => Need::All(Vec::new()),
        },
        HirKind::Capture(c) => need(&c.sub),
        // At least one copy of the repeated node is in every match; it does not join a
        // literal run (its copies may be many).
        HirKind::Repetition(r) if r.min >= 1 => Need::All(need(&r.sub).sets()),
        HirKind::Alternation(alts) => alternation(alts),
        HirKind::Concat(parts) => concat(parts),
        HirKind::Empty | HirKind::Look(_) | HirKind::Repetition(_) => Need::All(Vec::new()),
    }
}

/// An alternation: a match holds what one alternative needs, so taking one set of each
/// alternative and joining them gives a set of the whole. Each way of choosing is a set; when
/// the ways are many, only each alternative's best set is joined.
fn alternation(alts: &[Hir]) -> Need {
    let mut per_alt: Vec<Vec<Set>> = Vec::with_capacity(alts.len());
    for a in alts {
        let sets = need(a).sets();
        if sets.is_empty() {
            return Need::All(Vec::new());
        }
        per_alt.push(sets);
    }
    let ways: usize = per_alt
        .iter()
        .map(Vec::len)
        .try_fold(1usize, |n, k| n.checked_mul(k).filter(|&m| m <= 8))
        .unwrap_or(usize::MAX);
    let mut joined: Vec<Set> = vec![Vec::new()];
    for sets in &per_alt {
        let sets = if ways == usize::MAX {
            &sets[..1]
        } else {
            &sets[..]
        };
        joined = joined
            .iter()
            .flat_map(|j| {
                sets.iter().map(move |s| {
                    let mut u = j.clone();
                    u.extend(s.iter().cloned());
                    u.sort();
                    u.dedup();
                    u
                })
            })
            .filter(|u| u.len() <= MAX)
            .collect();
        if joined.is_empty() {
            return Need::All(Vec::new());
        }
    }
    Need::All(best(joined))
}

/// A concatenation: adjacent literal nodes form runs (zero-width assertions and empty nodes
/// consume nothing, so they do not break one); every run, and every other node's own sets,
/// is necessary; the best few are kept.
fn concat(parts: &[Hir]) -> Need {
    let mut run: Vec<u8> = Vec::new();
    let mut all_lit = true;
    let mut sets: Vec<Set> = Vec::new();
    for p in parts {
        match (p.kind(), need(p)) {
            (HirKind::Look(_) | HirKind::Empty, _) => {}
            (_, Need::Lit(s)) => run.extend(s),
            (_, Need::All(other)) => {
                all_lit = false;
                if !run.is_empty() {
                    sets.push(vec![std::mem::take(&mut run)]);
                }
                sets.extend(other);
            }
        }
    }
    if all_lit {
        return Need::Lit(run);
    }
    if !run.is_empty() {
        sets.push(vec![run]);
    }
    Need::All(best(sets))
}

/// The [`KEEP`] best sets of `sets` whose strings can all be tested, best first: the better
/// filter has its shortest string longer, or as long with fewer strings. A set holding all of
/// a kept one rules out nothing more, and is dropped.
fn best(mut sets: Vec<Set>) -> Vec<Set> {
    sets.retain(|s| !s.is_empty() && s.iter().all(|f| f.len() >= MIN_LEN));
    sets.sort_by_key(|s| std::cmp::Reverse(key(s)));
    let mut kept: Vec<Set> = Vec::new();
    for s in sets {
        if kept.len() < KEEP && !kept.iter().any(|k| k.iter().all(|f| s.contains(f))) {
            kept.push(s);
        }
    }
    kept
}

fn key(s: &[Vec<u8>]) -> (usize, usize) {
    let shortest = s.iter().map(Vec::len).min().unwrap_or(0);
    (shortest, usize::MAX - s.len())
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
    let members: Vec<u32> = ranges.iter().flat_map(|&(a, b)| a..=b).take(4).collect();
    match (count, members.as_slice()) {
        (1, [x]) => u8::try_from(*x).ok().filter(u8::is_ascii),
        (2, [x, y]) => {
            let (x, y) = (u8::try_from(*x).ok()?, u8::try_from(*y).ok()?);
            (x.is_ascii_alphabetic() && x.eq_ignore_ascii_case(&y)).then(|| x.to_ascii_lowercase())
        }
        // With Unicode, `s` and `k` also fold to a letter outside ASCII; `TextBits` reads
        // those two as `s` and `k`.
        (3, [0x53, 0x73, x]) if *x == u32::from(LONG_S) => Some(b's'),
        (3, [0x4b, 0x6b, x]) if *x == u32::from(KELVIN) => Some(b'k'),
        _ => None,
    }
}

/// U+017F LATIN SMALL LETTER LONG S, which case folding makes an `s`.
const LONG_S: char = '\u{17f}';
/// U+212A KELVIN SIGN, which case folding makes a `k`.
const KELVIN: char = '\u{212a}';

#[cfg(test)]
mod tests {
    use super::*;

    fn f(p: &str) -> Option<Vec<Vec<String>>> {
        factors(p, false).map(|v| {
            v.iter()
                .map(|set| {
                    set.iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect()
                })
                .collect()
        })
    }

    fn sets(v: &[&[&str]]) -> Option<Vec<Vec<String>>> {
        Some(
            v.iter()
                .map(|set| set.iter().map(|s| s.to_string()).collect())
                .collect(),
        )
    }

    #[test]
    fn keywords_and_runs() {
        assert_eq!(f(r"\bflushall\b"), sets(&[&["flushall"]]));
        // The parser factors the common prefix out: `flush(all|db)`.
        assert_eq!(
            f(r"\b(flushall|flushdb)\b"),
            sets(&[&["flush"], &["all", "db"]])
        );
        assert_eq!(f(r"\b(grant\s|revoke\s)"), sets(&[&["grant", "revoke"]]));
        assert_eq!(
            f(r"\bupdate\s+[\w.]+\s+set\b"),
            sets(&[&["update"], &["set"]])
        );
        assert_eq!(f(r"DROP\s+TABLE"), sets(&[&["table"], &["drop"]]));
        // Nothing known: an optional part, a class of many bytes.
        assert_eq!(f(r"(abc)?"), None);
        assert_eq!(f(r"[a-z]+"), None);
    }

    #[test]
    fn every_set_of_a_concatenation_is_kept() {
        // Both words are needed: a text with only one of them is ruled out. (The parser
        // factors `drop` out of both alternatives.)
        assert_eq!(
            f(r"\b(drop\s+(database|schema)|dropDatabase\s*\()"),
            sets(&[&["database", "schema"], &["drop"]])
        );
        let fs = factors(r"\bdrop\s+(database|schema)", false).unwrap_or_default();
        for (text, may) in [
            ("psql \"$DATABASE_URL\" -c 'SELECT 1'", false),
            ("drop table x", false),
            ("DROP SCHEMA app", true),
        ] {
            assert_eq!(
                may_match(&pair_sets(&fs), &TextBits::of(text.as_bytes())),
                may,
                "{text}"
            );
        }
        // With Unicode, `s` and `k` are classes of three letters; they stay factors, and a
        // text spelling them with the other letter is not ruled out.
        let fs = factors(r"\bsh\s+\S", true).unwrap_or_default();
        assert_eq!(fs, vec![vec![b"sh".to_vec().into_boxed_slice()]]);
        for text in ["sh -c", "SH -c", "\u{17f}h -c", "\u{17f}H x"] {
            assert!(
                may_match(&pair_sets(&fs), &TextBits::of(text.as_bytes())),
                "{text}"
            );
        }
        assert!(!may_match(
            &pair_sets(&fs),
            &TextBits::of("bash -c".replace('s', "").as_bytes())
        ));
        // Two-byte strings are tested too: `sh` of `sh -c`.
        assert_eq!(
            f(r"(/bin/(ba|z)?sh\b|\bexec\s+\S|\bsh\s+-[ic]\b)"),
            sets(&[&["exec", "sh"]])
        );
    }

    proptest::proptest! {
        /// When a pattern's factors say a text cannot match, the regex does not match it.
        #[test]
        fn factors_never_miss_a_match(
            pattern in "(\\\\b|[aAbB]|ab|Ba|sh|Sk|\\(|\\)|\\||\\*|\\+|\\?|\\.|\\\\s|\\\\S|\\[ab\\]){0,12}",
            text in "[aAbBsShkK\u{17f}\u{212a} .]{0,16}",
            unicode in proptest::bool::ANY,
        ) {
            let Ok(re) = regex::RegexBuilder::new(&pattern)
                .case_insensitive(true)
                .unicode(unicode)
                .build()
            else {
                return Ok(());
            };
            if let Some(fs) = factors(&pattern, unicode) {
                if re.is_match(&text) {
                    proptest::prop_assert!(
                        may_match(&pair_sets(&fs), &TextBits::of(text.as_bytes())),
                        "{pattern:?} matches {text:?} but its factors {fs:?} say no"
                    );
                }
            }
        }
    }
}
