//! A quick test that a word is not one of a few known names, with no comparison of text.
//!
//! The parser asks of every part whether its program is a wrapper or a builtin it checks, and
//! of every command position whether a reserved word stands there. Most answers are no, and a
//! `match` over the names decides that with a length switch and comparisons whose branches
//! follow the text, which a stream of different commands keeps the branch predictor from
//! learning. [`NameFilter::admits`] answers with two table loads; only a name it admits is
//! compared.

/// For each byte, one bit per length (below 64) of the listed names that start with it
/// (`first`), that have it second (`second`; a one-byte name counts its only byte) and that
/// end with it (`last`).
pub(crate) struct NameFilter {
    first: [u64; 256],
    second: [u64; 256],
    last: [u64; 256],
}

impl NameFilter {
    /// The filter of `names` (each 1 to 63 bytes long; checked when the table is built).
    pub(crate) const fn new(names: &[&str]) -> NameFilter {
        let mut f = NameFilter {
            first: [0; 256],
            second: [0; 256],
            last: [0; 256],
        };
        let mut i = 0;
        while i < names.len() {
            let b = names[i].as_bytes();
            assert!(!b.is_empty() && b.len() < 64, "a name is 1 to 63 bytes");
            f.first[b[0] as usize] |= 1 << b.len();
            f.second[b[(b.len() > 1) as usize] as usize] |= 1 << b.len();
            f.last[b[b.len() - 1] as usize] |= 1 << b.len();
            i += 1;
        }
        f
    }

    /// False when `word` is certainly none of the names; true when it may be one (for each
    /// of its first, second and last bytes, some name of its length has that byte there).
    #[inline]
    pub(crate) fn admits(&self, word: &[u8]) -> bool {
        let (Some(&f), Some(&l)) = (word.first(), word.last()) else {
            return false;
        };
        let s = word.get(1).copied().unwrap_or(f);
        let n = word.len().min(63);
        (self.first[f as usize] & self.second[s as usize] & self.last[l as usize]) >> n & 1 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::NameFilter;
    use proptest::prelude::*;

    const NAMES: &[&str] = &["sudo", "sh", "{", "docker-compose", "set"];
    static FILTER: NameFilter = NameFilter::new(NAMES);

    #[test]
    fn admits_every_name_and_rejects_others() {
        for n in NAMES {
            assert!(FILTER.admits(n.as_bytes()), "{n}");
        }
        // Not one of them: a different length, first, second or last byte.
        for n in [
            "",
            "sudoo",
            "xudo",
            "sxdo",
            "sudx",
            "s",
            "{{",
            "docker-composx",
            "ls",
            "seat",
        ] {
            assert!(!FILTER.admits(n.as_bytes()), "{n}");
        }
        // Admitted though not a name (same length, first, second and last byte): the caller
        // still compares.
        assert!(FILTER.admits(b"suso"));
    }

    proptest! {
        /// The filter never turns a listed name away, whatever the list, and for any word it
        /// answers exactly its definition: for each of the word's first, second and last
        /// bytes, some name of its length has that byte there.
        #[test]
        fn never_rejects_a_listed_name(
            names in proptest::collection::vec("[a-z{}!\\[\\]-]{1,20}", 1..30),
            pick in any::<proptest::sample::Index>(),
            word in "[a-z{}!\\[\\]-]{0,21}",
        ) {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let f = NameFilter::new(&refs);
            prop_assert!(f.admits(pick.get(&refs).as_bytes()));
            let w = word.as_bytes();
            let second = |b: &[u8]| b.get(1).or(b.first()).copied();
            let like = |at: &dyn Fn(&[u8]) -> Option<u8>| {
                refs.iter().any(|r| r.len() == w.len() && at(r.as_bytes()) == at(w))
            };
            let expected = !w.is_empty()
                && like(&|b| b.first().copied())
                && like(&second)
                && like(&|b| b.last().copied());
            prop_assert_eq!(f.admits(w), expected);
        }
    }
}
