//! Shell quoting for canonical text: the inverse of the parser's quote removal.

/// True when `s` needs no quoting to be read back as one word with the same value.
fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'_' | b'.' | b'/' | b':' | b'@' | b'%' | b'+' | b',' | b'='
                )
        })
        && !looks_like_assignment(s)
        && !RESERVED.contains(&s)
}

/// Words bash reads as syntax where a command name stands.
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
    "done", "in", "function", "time", "coproc",
];

/// `NAME=…` or `NAME+=…`: bash would read it as an assignment in command position.
pub(crate) fn looks_like_assignment(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    n > 0
        && !b[0].is_ascii_digit()
        && (b.get(n) == Some(&b'=') || (b.get(n) == Some(&b'+') && b.get(n + 1) == Some(&b'=')))
}

/// Appends `s` to `out`, quoted so that bash reads it back as exactly one word equal to `s`.
pub fn push_quoted(out: &mut String, s: &str) {
    if is_plain(s) {
        out.push_str(s);
        return;
    }
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
}

/// `s` quoted for the shell (see [`push_quoted`]).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// Words joined by spaces, each quoted where needed.
pub fn join<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        push_quoted(&mut out, w);
    }
    out
}
