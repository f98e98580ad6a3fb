//! Static brace expansion, so that risk can see what `{rm,-rf,/}` runs.

/// Expands the source text of a word whose only expansion is brace expansion. Quotes in the
/// text are removed; `None` when the text holds something else or the result would exceed
/// `max` words.
pub(crate) fn expand(raw: &str, max: usize) -> Option<Vec<String>> {
    let chars = unquote(raw)?;
    let mut out = Vec::new();
    expand_into(&chars, String::new(), &mut out, max, 0)?;
    Some(out)
}

/// (character, quoted) pairs after quote removal.
fn unquote(raw: &str) -> Option<Vec<(char, bool)>> {
    let mut out = Vec::new();
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\'' => {
                for c in it.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push((c, true));
                }
            }
            '"' => {
                while let Some(c) = it.next() {
                    match c {
                        '"' => break,
                        '\\' => match it.next() {
                            Some(n @ ('$' | '`' | '"' | '\\')) => out.push((n, true)),
                            Some(n) => {
                                out.push(('\\', true));
                                out.push((n, true));
                            }
                            None => return None,
                        },
                        '$' | '`' => return None,
                        c => out.push((c, true)),
                    }
                }
            }
            '\\' => out.push((it.next()?, true)),
            '$' | '`' => return None,
            c => out.push((c, false)),
        }
    }
    Some(out)
}

fn expand_into(
    s: &[(char, bool)],
    prefix: String,
    out: &mut Vec<String>,
    max: usize,
    depth: u32,
) -> Option<()> {
    if depth > 16 {
        return None;
    }
    // Find the first unquoted `{` that has a matching `}` with a top-level `,` or `..`.
    let mut i = 0;
    while i < s.len() {
        if s[i] == ('{', false) {
            if let Some((close, commas)) = find_close(s, i) {
                let mut base = prefix.clone();
                base.extend(s[..i].iter().map(|&(c, _)| c));
                let rest = &s[close + 1..];
                let inner = &s[i + 1..close];
                let alts: Vec<Vec<(char, bool)>> = if commas.is_empty() {
                    sequence(inner)?
                } else {
                    let mut alts = Vec::new();
                    let mut start = 0;
                    for &c in commas.iter().chain(std::iter::once(&(close - i - 1))) {
                        alts.push(inner[start..c].to_vec());
                        start = c + 1;
                    }
                    alts
                };
                for alt in alts {
                    let mut joined = alt;
                    joined.extend_from_slice(rest);
                    expand_into(&joined, base.clone(), out, max, depth + 1)?;
                    if out.len() > max {
                        return None;
                    }
                }
                return Some(());
            }
        }
        i += 1;
    }
    let mut w = prefix;
    w.extend(s.iter().map(|&(c, _)| c));
    out.push(w);
    (out.len() <= max).then_some(())
}

/// For an unquoted `{` at `open`, the matching `}` and the positions (relative to `open + 1`)
/// of its top-level commas, when it is a brace expansion.
fn find_close(s: &[(char, bool)], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    for (j, &(c, q)) in s.iter().enumerate().skip(open + 1) {
        if q {
            continue;
        }
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                let inner = &s[open + 1..j];
                let is_seq = inner.windows(2).any(|w| w == [('.', false), ('.', false)]);
                return (!commas.is_empty() || is_seq).then_some((j, commas));
            }
            '}' => depth -= 1,
            ',' if depth == 0 => commas.push(j - open - 1),
            _ => {}
        }
    }
    None
}

/// `{1..3}`, `{a..c}`, `{0..10..2}`.
fn sequence(inner: &[(char, bool)]) -> Option<Vec<Vec<(char, bool)>>> {
    let text: String = inner.iter().map(|&(c, _)| c).collect();
    let fields: Vec<&str> = text.split("..").collect();
    if !(2..=3).contains(&fields.len()) {
        return None;
    }
    let step: i64 = match fields.get(2) {
        Some(s) => s.parse::<i64>().ok()?.checked_abs()?.max(1),
        None => 1,
    };
    let lit = |s: String| s.chars().map(|c| (c, true)).collect::<Vec<_>>();
    if let (Ok(a), Ok(b)) = (fields[0].parse::<i64>(), fields[1].parse::<i64>()) {
        if a.abs_diff(b) / step.unsigned_abs() > 256 {
            return None;
        }
        let mut v = Vec::new();
        let mut x = a;
        loop {
            v.push(lit(x.to_string()));
            if x == b {
                break;
            }
            x = if a < b {
                x.checked_add(step)?
            } else {
                x.checked_sub(step)?
            };
            if (a < b && x > b) || (a > b && x < b) {
                break;
            }
        }
        return Some(v);
    }
    let (mut ca, mut cb) = (fields[0].chars(), fields[1].chars());
    match (ca.next(), ca.next(), cb.next(), cb.next()) {
        (Some(a), None, Some(b), None) if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            let (a, b) = (a as u8, b as u8);
            let s = step as usize;
            let v: Vec<_> = if a <= b {
                (a..=b)
                    .step_by(s)
                    .map(|c| lit((c as char).to_string()))
                    .collect()
            } else {
                (b..=a)
                    .rev()
                    .step_by(s)
                    .map(|c| lit((c as char).to_string()))
                    .collect()
            };
            Some(v)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn expands_like_bash() {
        let cases: &[(&str, &[&str])] = &[
            ("{rm,-rf,/}", &["rm", "-rf", "/"]),
            ("a{b,c}d", &["abd", "acd"]),
            ("{a,b}{1,2}", &["a1", "a2", "b1", "b2"]),
            ("x{1..3}", &["x1", "x2", "x3"]),
            ("{c..a}", &["c", "b", "a"]),
            ("{0..6..3}", &["0", "3", "6"]),
            ("\"{a,b}\"{x,y}", &["{a,b}x", "{a,b}y"]),
            ("{a,{b,c}}", &["a", "b", "c"]),
        ];
        for (raw, want) in cases {
            assert_eq!(expand(raw, 256).unwrap(), *want, "{raw}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_know() {
        assert_eq!(expand("{$x,b}", 256), None);
        assert_eq!(expand("{1..100000}", 256), None);
    }
}
