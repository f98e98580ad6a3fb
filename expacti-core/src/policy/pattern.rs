//! Word-glob patterns (SPEC §4): a pattern is split into words the way the shell splits a
//! command; each pattern word matches exactly one word of a part, except a word that is
//! exactly `**`, which matches any number of whole words.
//!
//! Inside a word, unquoted `*` is any run of characters, `?` one character, `[…]` a class and
//! `{a,b}` alternatives; `*`, `?` and classes never match whitespace or control characters.
//! Quoted or backslash-escaped characters are literal.

use regex::Regex;

/// One word of a pattern.
#[derive(Debug, Clone)]
pub(crate) enum PatWord {
    /// `**`: any number (zero or more) of whole words.
    Any,
    /// A literal word.
    Lit(String),
    /// A word with only `*` and `?`: matched without a regex (small and fast).
    Simple(SimpleGlob),
    /// A word with classes or alternatives, compiled to an anchored regex.
    Glob(Regex),
}

/// A glob word of literal runs, `*` and `?`, kept flat (one token per literal byte) so that
/// matching allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SimpleGlob {
    toks: Vec<TokC>,
    /// The literal text the word starts with (for the index, and a first test).
    prefix: String,
}

#[derive(Debug, Clone)]
enum Tok {
    Lit(String),
    Star,
    Quest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TokC {
    /// One byte of a literal run.
    B(u8),
    Star,
    Q,
}

/// `*` and `?` never match whitespace or control characters.
fn glob_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control()
}

/// The length of the character at byte `i` of `t` when it may stand for `*` or `?`.
fn glob_char_at(t: &str, i: usize) -> Option<usize> {
    let c = t.get(i..)?.chars().next()?;
    glob_char(c).then_some(c.len_utf8())
}

impl SimpleGlob {
    fn new(toks: &[Tok]) -> Self {
        let mut flat = Vec::new();
        for t in toks {
            match t {
                Tok::Lit(l) => flat.extend(l.bytes().map(TokC::B)),
                Tok::Star => flat.push(TokC::Star),
                Tok::Quest => flat.push(TokC::Q),
            }
        }
        let prefix = match toks.first() {
            Some(Tok::Lit(l)) => l.clone(),
            _ => String::new(),
        };
        SimpleGlob { toks: flat, prefix }
    }

    /// The literal text the word starts with.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        let t = text.as_bytes();
        // The literal start decides most words at once.
        if !t.starts_with(self.prefix.as_bytes()) {
            return false;
        }
        let toks = &self.toks;
        let (mut ti, mut pi) = (self.prefix.len(), self.prefix.len());
        // Literal bytes are compared one by one; `*` and `?` step over whole characters, so
        // every backtrack point is a character boundary.
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match toks.get(pi) {
                Some(TokC::Star) => {
                    star = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                Some(TokC::Q) => {
                    if let Some(n) = glob_char_at(text, ti) {
                        pi += 1;
                        ti += n;
                        continue;
                    }
                }
                Some(TokC::B(b)) if *b == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, st)) => match glob_char_at(text, st) {
                    Some(n) => {
                        star = Some((sp, st + n));
                        pi = sp;
                        ti = st + n;
                    }
                    None => return false,
                },
                None => return false,
            }
        }
        while matches!(toks.get(pi), Some(TokC::Star)) {
            pi += 1;
        }
        pi == toks.len()
    }
}

/// The tokens of a word with only `*` and `?` (quotes and escapes make characters literal).
fn simple_tokens(chars: &[(usize, char)]) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let flush = |out: &mut Vec<Tok>, lit: &mut String| {
        if !lit.is_empty() {
            out.push(Tok::Lit(std::mem::take(lit)));
        }
    };
    while i < chars.len() {
        match chars[i].1 {
            '\'' => {
                i += 1;
                while i < chars.len() && chars[i].1 != '\'' {
                    lit.push(chars[i].1);
                    i += 1;
                }
            }
            '"' => {
                i += 1;
                while i < chars.len() && chars[i].1 != '"' {
                    if chars[i].1 == '\\'
                        && matches!(chars.get(i + 1).map(|x| x.1), Some('"' | '\\' | '$' | '`'))
                    {
                        i += 1;
                    }
                    lit.push(chars[i].1);
                    i += 1;
                }
            }
            '\\' => {
                i += 1;
                lit.push(chars.get(i).map_or('\\', |x| x.1));
            }
            '*' => {
                flush(&mut out, &mut lit);
                out.push(Tok::Star);
            }
            '?' => {
                flush(&mut out, &mut lit);
                out.push(Tok::Quest);
            }
            c => lit.push(c),
        }
        i += 1;
    }
    flush(&mut out, &mut lit);
    out
}

/// A word the matcher's index follows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IndexWord<'a> {
    Lit(&'a str),
    Glob(&'a SimpleGlob),
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub words: Vec<PatWord>,
}

/// Why a pattern could not be compiled, and at which byte of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError {
    pub message: String,
    pub offset: usize,
}

/// A word to match: its text and whether it is only known at run time.
pub(crate) struct Subject<'a> {
    pub text: &'a str,
    pub dynamic: bool,
}

/// The words a rule sees of a part: its assignments, then its argv.
pub(crate) fn subjects(part: &crate::parse::Part) -> Subjects<'_> {
    part.assignments
        .iter()
        .chain(&part.argv)
        .map(|w| Subject {
            text: w.text.as_str(),
            dynamic: w.is_dynamic(),
        })
        .collect()
}

/// A part's words as subjects (inline for the usual short command).
pub(crate) type Subjects<'a> = smallvec::SmallVec<[Subject<'a>; 16]>;

const NOT_SPACE: &str = r"[^\s\x00-\x1f\x7f]";

impl Pattern {
    pub(crate) fn parse(src: &str) -> Result<Pattern, PatternError> {
        // Most patterns are ASCII words with at most `*` and `?`: no quotes, escapes,
        // classes or alternatives. They are split and read in place.
        if src.is_ascii()
            && !src
                .bytes()
                .any(|b| matches!(b, b'\'' | b'"' | b'\\' | b'[' | b'{'))
        {
            return Self::parse_plain(src);
        }
        Self::parse_full(src)
    }

    /// The pattern of the words read (an error when there are none).
    fn of_words(mut words: Vec<PatWord>) -> Result<Pattern, PatternError> {
        if words.is_empty() {
            return Err(PatternError {
                message: "empty pattern".into(),
                offset: 0,
            });
        }
        words.shrink_to_fit();
        Ok(Pattern { words })
    }

    /// [`Pattern::parse`] of an ASCII pattern without quotes, backslashes, `[` or `{`.
    fn parse_plain(src: &str) -> Result<Pattern, PatternError> {
        let mut words = Vec::with_capacity(16);
        // The ASCII characters `char::is_whitespace` holds for (vertical tab included).
        let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        for w in src.as_bytes().split(space).filter(|w| !w.is_empty()) {
            match w.iter().position(|&b| b == b'*' || b == b'?') {
                _ if w == b"**" => words.push(PatWord::Any),
                Some(lit) => {
                    let toks = w
                        .iter()
                        .map(|&b| match b {
                            b'*' => TokC::Star,
                            b'?' => TokC::Q,
                            b => TokC::B(b),
                        })
                        .collect();
                    words.push(PatWord::Simple(SimpleGlob {
                        toks,
                        prefix: String::from_utf8_lossy(&w[..lit]).into_owned(),
                    }));
                }
                None => words.push(PatWord::Lit(String::from_utf8_lossy(w).into_owned())),
            }
        }
        Self::of_words(words)
    }

    /// [`Pattern::parse`] of any pattern.
    fn parse_full(src: &str) -> Result<Pattern, PatternError> {
        let chars: Vec<(usize, char)> = src.char_indices().collect();
        let mut words = Vec::new();
        let mut i = 0;
        // One buffer each for every word: sized once, cleared per word.
        // Only classes (`[`) and alternatives (`{`) need a word's regex text.
        let build_re = src.contains(['[', '{']);
        let mut re = String::with_capacity(if build_re { 2 * src.len() + 16 } else { 0 });
        let mut lit = String::with_capacity(src.len());
        while i < chars.len() {
            if chars[i].1.is_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            re.clear();
            lit.clear();
            let mut globby = false;
            let mut quoted = false;
            i = word(
                &chars,
                i,
                &mut re,
                &mut lit,
                &mut globby,
                &mut quoted,
                0,
                build_re,
            )?;
            // Classes (`[…]`, an intersection `&&`) and alternatives (`(?:…)`) need the regex;
            // literal `&` is escaped, so the marks cannot come from the word's text.
            let complex = globby && (re.contains("&&") || re.contains("(?:"));
            let raw = &chars[start..i];
            if raw.len() == 2 && raw.iter().all(|(_, c)| *c == '*') {
                words.push(PatWord::Any);
            } else if globby && !complex {
                words.push(PatWord::Simple(SimpleGlob::new(&simple_tokens(
                    &chars[start..i],
                ))));
            } else if globby {
                let rx = Regex::new(&format!("^(?:{re})$")).map_err(|e| PatternError {
                    message: format!(
                        "invalid glob `{}`: {e}",
                        raw.iter().map(|(_, c)| *c).collect::<String>()
                    ),
                    offset: chars[start].0,
                })?;
                words.push(PatWord::Glob(rx));
            } else {
                words.push(PatWord::Lit(lit.as_str().into()));
            }
        }
        Self::of_words(words)
    }

    /// The leading words the matcher's index can follow: literal words and words with only
    /// `*` and `?`, up to the first `**` or word with classes or alternatives.
    pub(crate) fn index_words(&self) -> impl Iterator<Item = IndexWord<'_>> {
        self.words.iter().map_while(|w| match w {
            PatWord::Lit(s) => Some(IndexWord::Lit(s.as_str())),
            PatWord::Simple(g) => Some(IndexWord::Glob(g)),
            PatWord::Any | PatWord::Glob(_) => None,
        })
    }

    /// Whether pattern word `i` matches one subject word (`**` matches any).
    pub(crate) fn matches_word(&self, i: usize, s: &Subject<'_>) -> bool {
        self.words.get(i).is_some_and(|w| word_matches(w, s))
    }

    /// True when the pattern matches the words exactly (`**` absorbing any run of words).
    pub(crate) fn matches(&self, subject: &[Subject<'_>]) -> bool {
        // Wildcard matching over words with one kind of star (`**`): linear, with the
        // last-star backtrack point.
        let p = &self.words;
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < subject.len() {
            if pi < p.len() {
                match &p[pi] {
                    PatWord::Any => {
                        star = Some((pi + 1, ti));
                        pi += 1;
                        continue;
                    }
                    w if word_matches(w, &subject[ti]) => {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    pi = sp;
                    ti = st + 1;
                }
                None => return false,
            }
        }
        while pi < p.len() && matches!(p[pi], PatWord::Any) {
            pi += 1;
        }
        pi == p.len()
    }
}

fn word_matches(w: &PatWord, s: &Subject<'_>) -> bool {
    if s.dynamic {
        // A word only known at run time may expand to anything, even several words: only
        // `**` covers it.
        return false;
    }
    match w {
        PatWord::Any => true,
        PatWord::Lit(l) => l == s.text,
        PatWord::Simple(g) => g.matches(s.text),
        PatWord::Glob(re) => re.is_match(s.text),
    }
}

/// Appends `c` to a regex, escaped when it is a metacharacter (as `regex::escape` does,
/// without allocating).
fn push_escaped(re: &mut String, c: char) {
    if matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    ) {
        re.push('\\');
    }
    re.push(c);
}

/// Reads one pattern word (or, at `depth > 0`, one brace alternative) from `i`; appends its
/// regex to `re` and its literal value to `lit`. Returns where it stopped.
#[allow(clippy::too_many_arguments)]
fn word(
    chars: &[(usize, char)],
    mut i: usize,
    re: &mut String,
    lit: &mut String,
    globby: &mut bool,
    quoted: &mut bool,
    depth: u32,
    build_re: bool,
) -> Result<usize, PatternError> {
    if depth > 8 {
        return Err(PatternError {
            message: "braces nested too deeply".into(),
            offset: chars[i.min(chars.len() - 1)].0,
        });
    }
    // The regex text is needed only for words with classes or alternatives; a pattern with
    // neither is read without it.
    let push_lit = |re: &mut String, lit: &mut String, c: char| {
        if build_re {
            push_escaped(re, c);
        }
        lit.push(c);
    };
    while i < chars.len() {
        let (off, c) = chars[i];
        match c {
            c if c.is_whitespace() => break,
            ',' | '}' if depth > 0 => break,
            '\'' => {
                *quoted = true;
                i += 1;
                loop {
                    let Some(&(_, q)) = chars.get(i) else {
                        return Err(PatternError {
                            message: "unclosed single quote".into(),
                            offset: off,
                        });
                    };
                    i += 1;
                    if q == '\'' {
                        break;
                    }
                    push_lit(re, lit, q);
                }
                continue;
            }
            '"' => {
                *quoted = true;
                i += 1;
                loop {
                    let Some(&(_, q)) = chars.get(i) else {
                        return Err(PatternError {
                            message: "unclosed double quote".into(),
                            offset: off,
                        });
                    };
                    i += 1;
                    match q {
                        '"' => break,
                        '\\' if matches!(
                            chars.get(i).map(|x| x.1),
                            Some('"' | '\\' | '$' | '`')
                        ) =>
                        {
                            push_lit(re, lit, chars[i].1);
                            i += 1;
                        }
                        q => push_lit(re, lit, q),
                    }
                }
                continue;
            }
            '\\' => {
                // A backslash escapes the next character; a trailing one is itself.
                match chars.get(i + 1) {
                    Some(&(_, n)) => {
                        push_lit(re, lit, n);
                        i += 2;
                    }
                    None => {
                        push_lit(re, lit, '\\');
                        i += 1;
                    }
                }
                continue;
            }
            '*' => {
                *globby = true;
                if build_re {
                    re.push_str(NOT_SPACE);
                    re.push('*');
                }
            }
            '?' => {
                *globby = true;
                if build_re {
                    re.push_str(NOT_SPACE);
                }
            }
            '[' => {
                *globby = true;
                let mut j = i + 1;
                let mut class = String::new();
                if matches!(chars.get(j).map(|x| x.1), Some('!' | '^')) {
                    class.push('^');
                    j += 1;
                }
                let first = j;
                loop {
                    let Some(&(_, k)) = chars.get(j) else {
                        return Err(PatternError {
                            message: "unclosed `[`".into(),
                            offset: off,
                        });
                    };
                    if k == ']' && j > first {
                        break;
                    }
                    if k == '-' && j > first && chars.get(j + 1).is_some_and(|x| x.1 != ']') {
                        class.push('-');
                    } else {
                        // `regex::escape` escapes every class metacharacter (`[ ] \ ^ - & ~`).
                        push_escaped(&mut class, k);
                    }
                    j += 1;
                }
                if class.is_empty() || class == "^" {
                    return Err(PatternError {
                        message: "empty `[]` class".into(),
                        offset: off,
                    });
                }
                re.push_str(&format!("[{class}&&{NOT_SPACE}]"));
                i = j + 1;
                continue;
            }
            '{' => {
                // Alternatives, only when a `,` follows at this level before the `}`.
                let mut alts = Vec::new();
                let mut j = i + 1;
                let mut ok = false;
                loop {
                    let mut are = String::new();
                    let mut alit = String::new();
                    let mut aq = false;
                    j = word(
                        chars,
                        j,
                        &mut are,
                        &mut alit,
                        globby,
                        &mut aq,
                        depth + 1,
                        true,
                    )?;
                    alts.push(are);
                    match chars.get(j).map(|x| x.1) {
                        Some(',') => j += 1,
                        Some('}') => {
                            ok = alts.len() > 1;
                            break;
                        }
                        _ => break,
                    }
                }
                if ok {
                    *globby = true;
                    re.push_str(&format!("(?:{})", alts.join("|")));
                    i = j + 1;
                    continue;
                }
                push_lit(re, lit, '{');
            }
            c => push_lit(re, lit, c),
        }
        i += 1;
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &str, words: &[&str]) -> bool {
        let p = Pattern::parse(pat).unwrap();
        let subj: Vec<Subject<'_>> = words
            .iter()
            .map(|w| Subject {
                text: w,
                dynamic: w.starts_with('$'),
            })
            .collect();
        p.matches(&subj)
    }

    #[test]
    fn word_globs() {
        assert!(m("npm ci", &["npm", "ci"]));
        assert!(!m("npm ci", &["npm", "ci", "--x"]));
        assert!(m(
            "git push origin feat-*",
            &["git", "push", "origin", "feat-a"]
        ));
        assert!(!m(
            "git push origin feat-*",
            &["git", "push", "origin", "feat a"]
        ));
        assert!(!m("git pull*", &["git", "pull;", "rm"]));
        assert!(m("cargo test **", &["cargo", "test"]));
        assert!(m("cargo test **", &["cargo", "test", "-p", "x"]));
        assert!(m("** --help", &["x", "y", "--help"]));
        assert!(m(
            "kubectl set image deployment/api api=myapp:*",
            &["kubectl", "set", "image", "deployment/api", "api=myapp:v1"]
        ));
        assert!(m("deploy {staging,prod}", &["deploy", "prod"]));
        assert!(!m("deploy {staging,prod}", &["deploy", "dev"]));
        assert!(m("x v[0-9].?", &["x", "v1.2"]));
        assert!(!m("x v[0-9]", &["x", "v12"]));
        assert!(m("x [!a]", &["x", "b"]) && !m("x [!a]", &["x", "a"]));
        assert!(m("echo '*'", &["echo", "*"]) && !m("echo '*'", &["echo", "x"]));
        assert!(m("echo \"a b\"", &["echo", "a b"]));
        assert!(!m("echo *", &["echo", "a\nb"]));
        assert!(!m("echo *", &["echo", "$X"]));
        assert!(m("echo **", &["echo", "$X"]));
        assert!(m("x {a,{b,c}*}", &["x", "cz"]));
    }

    proptest::proptest! {
        /// Words with only `*` and `?` match as the regex form of the same glob would.
        #[test]
        fn simple_globs_agree_with_regex(pat in "[abé*?]{1,6}", text in "[ab cé\u{2003}]{0,6}") {
            let simple = match Pattern::parse(&pat).unwrap().words.remove(0) {
                PatWord::Simple(g) => g,
                PatWord::Lit(_) | PatWord::Any => return Ok(()),
                PatWord::Glob(_) => panic!("`{pat}` should be simple"),
            };
            let mut re = String::new();
            for c in pat.chars() {
                match c {
                    '*' => re.push_str(r"[^\s\x00-\x1f\x7f]*"),
                    '?' => re.push_str(r"[^\s\x00-\x1f\x7f]"),
                    c => re.push(c),
                }
            }
            let rx = Regex::new(&format!("^(?:{re})$")).unwrap();
            proptest::prop_assert_eq!(simple.matches(&text), rx.is_match(&text), "{} vs {:?}", pat, text);
        }
    }

    /// The same pattern read by the plain-pattern shortcut and by the full reader, as text
    /// (a regex word has no equality).
    fn shape(p: &Pattern) -> String {
        p.words
            .iter()
            .map(|w| match w {
                PatWord::Any => "**".to_string(),
                PatWord::Lit(l) => format!("L{l:?}"),
                PatWord::Simple(g) => format!("S{:?}{:?}", g.toks, g.prefix),
                PatWord::Glob(r) => format!("R{}", r.as_str()),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    proptest::proptest! {
        /// The plain-pattern shortcut reads a pattern exactly as the full reader does.
        #[test]
        fn plain_patterns_read_as_the_full_reader_reads_them(
            pat in "[ab,}~!$*?=/. \t\x0b\x0c\r\n-]{0,16}",
        ) {
            let fast = Pattern::parse_plain(&pat);
            let full = Pattern::parse_full(&pat);
            match (fast, full) {
                (Ok(a), Ok(b)) => proptest::prop_assert_eq!(shape(&a), shape(&b)),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.offset, b.offset),
                (a, b) => panic!("{pat:?}: {:?} vs {:?}", a.map(|p| shape(&p)), b.map(|p| shape(&p))),
            }
        }
    }

    /// Found by the policy fuzzer: a pattern ending in a backslash read one character past
    /// its end (a panic while loading the policy). The backslash is then literal.
    #[test]
    fn trailing_backslash_is_literal() {
        assert!(m("x\\", &["x\\"]));
        assert!(m("echo '*' \"a b\" x\\", &["echo", "*", "a b", "x\\"]));
        assert!(m("a\\", &["a\\"]) && !m("a\\", &["a"]));
        assert!(Pattern::parse("\\").is_ok());
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(Pattern::parse("a [b").unwrap_err().offset, 2);
        assert!(Pattern::parse("a 'b").is_err());
        assert!(Pattern::parse("   ").is_err());
    }
}
