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
    // Iterative matcher with one backtrack point per star kind (linear for `*`, and `**`
    // patterns in the catalogue are short).
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize, bool)> = None; // (pattern after star, text pos, crosses '/')
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    let double = p.get(pi + 1) == Some(&b'*');
                    pi += if double { 2 } else { 1 };
                    star = Some((pi, ti, double || star_crosses));
                    continue;
                }
                b'\\' if p.get(pi + 1) == Some(&t[ti]) => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                b'?' if t[ti] != b'/' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st, double)) if double || t[st] != b'/' => {
                star = Some((sp, st + 1, double));
                pi = sp;
                ti = st + 1;
            }
            _ => return false,
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
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
