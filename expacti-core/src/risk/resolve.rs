//! What a command name or argument known only at run time can be, where the command line
//! itself says: `$(which rm)`, `` `command -v rm` ``, `R=rm; $R`, `X="rm -rf /"; $X`,
//! `D=/; rm -rf "$D"`, `for d in /etc; do rm -rf $d; done`.
//!
//! Each reading is scored as a virtual part besides the part's own reading (and its generic
//! "dynamic program" or "path known at run time" signals), so a resolution can only add
//! reasons: a value assigned in a branch that does not run, or replaced from the
//! environment, still leaves the part where its own reading puts it.

use crate::parse::{Origin, Parsed, Part, Span, Word, WordFlags, basename};
use smallvec::SmallVec;
use std::borrow::Cow;

/// At most this many names are tried for one word.
pub(super) const MAX: usize = 16;

/// A name the word can run, and the words its value adds in front of the part's arguments
/// (an unquoted `$X` whose value has spaces: `X="rm -rf /"; $X`).
pub(super) type Resolved = (String, Vec<String>);

/// The names a dynamic first word `w` of a part of `parsed` can run, where the command line
/// says (see the module docs); empty for any other word.
pub(super) fn program_names(parsed: &Parsed, w: &Word) -> Vec<Resolved> {
    let dynamic = w.flags.dynamic_part();
    if dynamic == WordFlags::SUBST {
        substitution(parsed, w).into_iter().collect()
    } else if dynamic == WordFlags::PARAM {
        parameter(parsed, w)
    } else {
        Vec::new()
    }
}

/// The text inside one layer of double quotes, and how many bytes each quote takes.
fn unquote(t: &str) -> (&str, usize) {
    match t.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => (inner, 1),
        None => (t, 0),
    }
}

/// `$(CMD)` or `` `CMD` `` (alone in the word, maybe in double quotes) whose one command
/// prints a program's path or name: `which X`, `command -v X`, `type -P X`, `echo X`; or,
/// unquoted, a command (`$(echo rm -rf /)`: the printed words, split).
fn substitution(parsed: &Parsed, w: &Word) -> Option<Resolved> {
    let words = substituted_command(parsed, w)?;
    let name: String = match words.as_slice() {
        ["which", opts @ .., x] if opts.iter().all(|o| matches!(*o, "-a" | "-s")) => x.to_string(),
        ["command", "-v", x] => x.to_string(),
        ["type", opt, x] if matches!(*opt, "-P" | "-p" | "-fP" | "-fp" | "-Pf" | "-pf") => {
            x.to_string()
        }
        _ => printed(&words)?,
    };
    let name = name.trim_end_matches('\n');
    // Unquoted, what it prints is split into words: the first is the program, the rest its
    // first arguments (`$(echo rm -rf /)`).
    let mut words = name.split_ascii_whitespace();
    let quoted = w.text.starts_with('"');
    let first = words.next()?;
    if first.starts_with('-') || (quoted && name.contains(char::is_whitespace)) {
        return None;
    }
    Some((first.to_string(), words.map(str::to_string).collect()))
}

/// What a substitution alone in an argument prints when its one command prints literal text
/// (`rm -rf $(echo /)`, `` `printf '\057'` ``); `None` otherwise.
pub(super) fn printed_value(parsed: &Parsed, w: &Word) -> Option<String> {
    let words = substituted_command(parsed, w)?;
    let v = printed(&words)?;
    let v = v.trim_end_matches('\n');
    (!v.is_empty()).then(|| v.to_string())
}

/// What `echo X…`, `printf %s X` and a `printf` format without conversions print
/// ([`printed_output`]), without the final newlines and only without NUL bytes (a value
/// put in place of a substitution).
fn printed(words: &[&str]) -> Option<String> {
    let t = printed_output(words)?;
    let t = t.trim_end_matches('\n');
    (!t.contains('\0')).then(|| t.to_string())
}

/// The literal words of the one command of `$(CMD)` or `` `CMD` `` when that is all word `w`
/// holds (maybe in double quotes), as the parser read it: `$(which rm)$(echo x)` has two
/// substitutions and `$(a; which rm)` prints more than a name. Only standard error may be
/// redirected.
fn substituted_command<'a>(parsed: &'a Parsed, w: &Word) -> Option<Vec<&'a str>> {
    let (inner, q) = unquote(&w.text);
    let open = if inner.starts_with("$(") && !inner.starts_with("$((") && inner.ends_with(')') {
        2
    } else if inner.len() >= 2 && inner.starts_with('`') && inner.ends_with('`') {
        1
    } else {
        return None;
    };
    // The substitution's inside, as it stands in the input (a word of a script string that
    // was not verbatim has no such place, and is not read).
    let body = &inner[open..inner.len() - 1];
    let region = Span(w.span.0 + q + open, w.span.1.checked_sub(q + 1)?);
    let part = lone_part(parsed, region, body)?;
    let stderr_only = part
        .redirects
        .iter()
        .all(|r| r.fd == Some(crate::parse::Fd::Number(2)));
    if !stderr_only
        || !part.assignments.is_empty()
        || body.trim().len() != part.span.1 - part.span.0
    {
        return None;
    }
    part.argv.iter().map(Word::literal).collect()
}

/// The one part a substitution holds, whose inside `body` stands in the input at `region`;
/// `None` when the inside is not there as written (a word of a script string that was not
/// verbatim), or the substitution holds no part or several.
fn lone_part<'a>(parsed: &'a Parsed, region: Span, body: &str) -> Option<&'a Part> {
    if region.1.checked_sub(region.0)? != body.len() {
        return None;
    }
    let mut inside = parsed
        .parts
        .iter()
        .filter(|p| p.origin == Origin::Substitution && region.contains(p.span));
    let part = inside.next()?;
    inside.next().is_none().then_some(part)
}

/// A word made of `$NAME`, `${NAME}` and literal text (maybe in double quotes) whose
/// variables have values assigned as literals anywhere in the command line: `NAME=value`
/// alone or before a command, `export|declare|typeset|local|readonly NAME=value`, and
/// `for NAME in …`; or a literal default (`${NAME:-rm}`), or `$IFS` when the command line
/// does not assign it (`rm${IFS}-rf${IFS}/`). Unquoted, a value with spaces is split into
/// words.
fn parameter(parsed: &Parsed, w: &Word) -> Vec<Resolved> {
    let (inner, q) = unquote(&w.text);
    let known = assigned_values(parsed);
    let Some(values) = substitute(inner, &known) else {
        return Vec::new();
    };
    // (The first literal value assigned to IFS, if any; an empty one splits nothing.)
    let ifs: Option<&str> = known
        .iter()
        .find(|(n, _)| n == "IFS")
        .map(|(_, v)| v.as_ref());
    let mut out: Vec<Resolved> = Vec::new();
    for value in values {
        // `"$@"` is a word for each positional parameter (as `set -- …` gave them, split
        // at spaces here). An unquoted value is split at the characters of `IFS` when the
        // command line assigns it (`IFS=,; c=rm,-rf,/; $c`), else at blanks.
        let split = q == 0 || splits_in_quotes(inner);
        let mut words: Vec<String> = if let (true, 0, Some(ifs)) = (split, q, ifs) {
            value
                .split(|c: char| ifs.contains(c))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        } else if split {
            value.split_ascii_whitespace().map(str::to_string).collect()
        } else {
            vec![value]
        };
        if words.is_empty() || words[0].is_empty() {
            continue;
        }
        let first = words.remove(0);
        let entry = (first, words);
        if out.len() < MAX && !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// A variable's name and a value it can have.
type Value<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Literal values assigned to shell variables anywhere in the command line (see
/// [`parameter`]), the static words of `for NAME in …` lists, the names `read` fills from a
/// literal input ([`read_values`]) and the positional parameters `set -- …` gives (`$1`, …,
/// and `$@`/`$*` as all of them), in order, at most [`MAX`] of them.
fn assigned_values(parsed: &Parsed) -> Vec<Value<'_>> {
    let mut out: Vec<Value<'_>> = Vec::new();
    for p in &parsed.parts {
        let first = p.argv.first().and_then(Word::literal);
        let declares = first
            .is_some_and(|n| matches!(n, "export" | "declare" | "typeset" | "local" | "readonly"));
        let args = if declares { &p.argv[1..] } else { &[][..] };
        for w in p.assignments.iter().chain(args) {
            if let Some(elements) = array_elements(w) {
                for (n, v) in elements {
                    push_value(&mut out, (n.into(), v.into()));
                }
            } else if let Some((n, v)) = w.literal().and_then(|t| t.split_once('=')) {
                // `c+=m` appends to every value `c` has so far (`c=r; c+=m; $c` runs `rm`),
                // or is the whole value when it has none (unset, `c+=rm` assigns `rm`).
                match n.strip_suffix('+') {
                    Some(base) => {
                        let mut joined: Vec<Value<'_>> = out
                            .iter()
                            .filter(|(k, _)| k == base)
                            .map(|(_, old)| (base.into(), format!("{old}{v}").into()))
                            .collect();
                        if joined.is_empty() {
                            joined.push((base.into(), v.into()));
                        }
                        for pair in joined {
                            push_value(&mut out, pair);
                        }
                    }
                    None => push_value(&mut out, (n.into(), v.into())),
                }
            } else if let Some((n, v)) = decoded_assignment(parsed, w) {
                push_value(&mut out, (n.into(), v.into()));
            } else if let Some((n, v)) = heredoc_assignment(parsed, w) {
                push_value(&mut out, (n.into(), v.into()));
            } else if let Some((n, v)) = printed_assignment(parsed, w) {
                push_value(&mut out, (n.into(), v.into()));
            } else if let Some((n, v)) = w.text.split_once('=').filter(|(n, _)| is_var_name(n)) {
                // A value built from variables assigned before it (`c=r; c=${c}m`): each
                // reading the values known so far give (`substitute`).
                let (inner, _) = unquote(v);
                for value in substitute(inner, &out).unwrap_or_default() {
                    push_value(&mut out, (n.into(), value.into()));
                }
            }
        }
        match first {
            Some("read") => {
                for (n, v) in read_values(parsed, p) {
                    push_value(&mut out, (n.into(), v.into()));
                }
                for (n, v) in read_array_values(parsed, p) {
                    push_value(&mut out, (n.into(), v.into()));
                }
            }
            Some("mapfile" | "readarray") => {
                for (n, v) in mapfile_values(parsed, p) {
                    push_value(&mut out, (n.into(), v.into()));
                }
            }
            // `printf -v c 'rm -rf /'`, `printf -v c %s 'rm -rf /'`: what it would print.
            Some("printf") => {
                let words: Option<Vec<&str>> = p.argv.iter().skip(1).map(Word::literal).collect();
                match words.as_deref() {
                    Some(["-v", n, f]) if !f.contains(['%', '\\']) => {
                        push_value(&mut out, ((*n).into(), (*f).into()));
                    }
                    Some(["-v", n, "%s", v]) => push_value(&mut out, ((*n).into(), (*v).into())),
                    _ => {}
                }
            }
            // A call of a function the command line defines (`f() { rm -rf "$1"; }; f /`):
            // its arguments are the body's positional parameters (the values are not kept to
            // the body: a `$1` elsewhere may take them too, which only adds readings).
            Some(f) if parsed.functions.iter().any(|d| d == f) => {
                let words: Vec<&str> = p.argv[1..].iter().map_while(Word::literal).collect();
                add_positionals(&mut out, &words);
            }
            Some("set") => {
                if let Some(words) = positionals(p) {
                    add_positionals(&mut out, &words);
                }
            }
            // `sh -c SCRIPT NAME ARGS…`: the words after the script are its `$0`, `$1`, …
            // (`sh -c 'rm -rf "$1"' _ /`); a `{}` that `find -exec` replaces is each path
            // the find starts from (`find / -exec sh -c 'rm -rf "$1"' _ {} \;`).
            Some(n)
                if p.argv.len() >= 4
                    && matches!(basename(n), "sh" | "bash" | "zsh" | "dash" | "ksh" | "mksh") =>
            {
                script_positionals(parsed, p, &mut out);
            }
            _ => {}
        }
    }
    for (n, v) in &parsed.loop_values {
        push_value(&mut out, (n.as_str().into(), v.as_str().into()));
    }
    out
}

/// Adds a value to [`assigned_values`]' list, once, up to [`MAX`] values.
fn push_value<'a>(out: &mut Vec<Value<'a>>, pair: Value<'a>) {
    if out.len() < MAX && !out.contains(&pair) {
        out.push(pair);
    }
}

/// `words` as the positional parameters: `1` to `9` each, `@` and `*` all of them.
/// The positional parameters a shell's `-c` script gets from the words after it (see
/// [`assigned_values`]): literal words, and `{}` where `find -exec` runs the shell (each root
/// of the find that encloses it, [`find_roots`]).
fn script_positionals<'a>(parsed: &'a Parsed, p: &'a Part, out: &mut Vec<Value<'a>>) {
    let Some(k) = crate::parse::shell_script_word(&p.argv) else {
        return;
    };
    let roots = || {
        parsed
            .parts
            .iter()
            .rfind(|f| f.program_name() == Some("find") && f.span.contains(p.span))
            .map(find_roots)
            .unwrap_or_default()
    };
    // `$0` is the first word after the script (`bash -c 'rm -rf "$0"' /`); it is not in
    // `$@`.
    if let Some(t) = p.argv.get(k + 1).and_then(Word::literal) {
        push_value(out, ("0".into(), t.into()));
    }
    for (n, w) in p.argv.iter().skip(k + 2).enumerate().take(9) {
        let name: Cow<'a, str> = (n + 1).to_string().into();
        match w.literal() {
            Some(t) => push_value(out, (name, t.into())),
            None if p.via == Some("find -exec") && w.text == "{}" => {
                for r in roots() {
                    push_value(out, (name.clone(), r.into()));
                }
            }
            None => return,
        }
    }
    let words: Option<Vec<&str>> = p.argv.iter().skip(k + 2).map(Word::literal).collect();
    if let Some(words) = words.filter(|w| !w.is_empty()) {
        let all = words.join(" ");
        push_value(out, ("@".into(), all.clone().into()));
        push_value(out, ("*".into(), all.into()));
    }
}

fn add_positionals<'a>(out: &mut Vec<Value<'a>>, words: &[&'a str]) {
    for (k, w) in words.iter().enumerate().take(9) {
        push_value(out, ((k + 1).to_string().into(), (*w).into()));
    }
    let all = words.join(" ");
    push_value(out, ("@".into(), all.clone().into()));
    push_value(out, ("*".into(), all.into()));
}

/// A shell variable's name: letters, digits and `_`, not empty.
fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `a=(rm -rf /)`, `a=('rm' "-rf" /)`: an array of static words, read by the parser as the
/// words of a command (so quoted as a command's are), as the values of `a[@]` and `a[*]`
/// (all of them), `a` and `a[0]` (the first) and `a[1]` to `a[8]`. `None` for any other
/// word, and for an array with an expansion, a glob or an operator in it.
fn array_elements(w: &Word) -> Option<Vec<(String, String)>> {
    let (name, value) = w.text.split_once('=')?;
    let inner = value.strip_prefix('(')?.strip_suffix(')')?;
    if !is_var_name(name) {
        return None;
    }
    let parsed = crate::parse(inner);
    let mut top = parsed.parts.iter().filter(|p| p.origin == Origin::Top);
    let elements: Vec<&str> = match (top.next(), top.next()) {
        (None, _) if inner.trim().is_empty() => Vec::new(),
        (Some(p), None)
            if parsed.opaque.is_empty() && p.assignments.is_empty() && p.redirects.is_empty() =>
        {
            p.argv.iter().map(Word::literal).collect::<Option<_>>()?
        }
        _ => return None,
    };
    Some(array_values(name, &elements))
}

/// The values an array of `elements` gives: `NAME[@]` and `NAME[*]` all of them (joined by
/// spaces), `NAME` the first, `NAME[0]`… each.
fn array_values(name: &str, elements: &[&str]) -> Vec<(String, String)> {
    let mut out = vec![
        (format!("{name}[@]"), elements.join(" ")),
        (format!("{name}[*]"), elements.join(" ")),
    ];
    if let Some(first) = elements.first() {
        out.push((name.to_string(), first.to_string()));
    }
    for (k, e) in elements.iter().enumerate().take(9) {
        out.push((format!("{name}[{k}]"), e.to_string()));
    }
    out
}

/// The array `mapfile` (or `readarray`) fills from a literal input, a line an element
/// (`mapfile -t a <<< /`; `MAPFILE` without a name); empty for any other form.
fn mapfile_values(parsed: &Parsed, p: &Part) -> Vec<(String, String)> {
    let mut name = "MAPFILE";
    for w in p.argv.iter().skip(1) {
        match w.literal() {
            Some("-t") => {}
            Some(t) if is_var_name(t) && name == "MAPFILE" => name = t,
            _ => return Vec::new(),
        }
    }
    let Some((text, _)) = literal_input(parsed, p) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().take(MAX).collect();
    array_values(name, &lines)
}

/// The array `read -a NAME` (with `-r` or not) fills from a literal input: the first line's
/// fields, an element each (`read -ra a <<< 'rm -rf /'; "${a[@]}"`); empty for any other form.
fn read_array_values(parsed: &Parsed, p: &Part) -> Vec<(String, String)> {
    let words: Option<Vec<&str>> = p.argv.iter().skip(1).map(Word::literal).collect();
    let name = match words.as_deref() {
        Some(["-a", n] | ["-r", "-a", n] | ["-ra" | "-ar", n] | ["-a", n, "-r"]) => *n,
        _ => return Vec::new(),
    };
    if !is_var_name(name) {
        return Vec::new();
    }
    let Some((text, _)) = literal_input(parsed, p) else {
        return Vec::new();
    };
    let line = text.lines().next().unwrap_or_default();
    let fields: Vec<&str> = line.split_ascii_whitespace().take(MAX).collect();
    array_values(name, &fields)
}

/// Whether a word that is only this parameter, in double quotes, is still a word for each of
/// its values: `"$@"`, `"${@}"`, `"${a[@]}"`.
fn splits_in_quotes(inner: &str) -> bool {
    matches!(inner, "$@" | "${@}")
        || inner
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix("[@]}"))
            .is_some_and(is_var_name)
}

/// `x=$(echo cm0gLXJmIC8= | base64 -d)`: a name assigned what a literal `echo` or `printf`
/// piped into `base64 -d` prints, decoded (`rm -rf /`); `None` for any other word, or when
/// the text is not base64 of UTF-8.
fn decoded_assignment<'a>(parsed: &'a Parsed, w: &'a Word) -> Option<(&'a str, String)> {
    let (name, mut inside) = assigned_substitution(parsed, w)?;
    let (Some(printer), Some(decoder), None) = (inside.next(), inside.next(), inside.next()) else {
        return None;
    };
    fn literal(p: &Part) -> Option<Vec<&str>> {
        p.argv.iter().map(Word::literal).collect()
    }
    let (printed, decode) = (literal(printer)?, literal(decoder)?);
    let piped = printer.pipeline == decoder.pipeline && printer.stage + 1 == decoder.stage;
    let text = match printed.as_slice() {
        ["echo" | "printf", x] | ["echo", "-n", x] | ["printf", "%s" | "%s\\n", x] => *x,
        _ => return None,
    };
    if !piped || !matches!(decode.as_slice(), ["base64", "-d" | "--decode" | "-D"]) {
        return None;
    }
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    use base64ct::Encoding as _;
    let bytes = base64ct::Base64::decode_vec(&text)
        .or_else(|_| base64ct::Base64Unpadded::decode_vec(&text))
        .ok()?;
    let decoded = String::from_utf8(bytes).ok()?;
    Some((name, decoded.trim_end_matches('\n').to_string()))
}

/// `x=$(printf '\162\155')`, `x=$(echo rm)`: a name assigned what one literal `echo` or
/// `printf` prints ([`printed`]); `None` for any other word.
fn printed_assignment<'a>(parsed: &'a Parsed, w: &'a Word) -> Option<(&'a str, String)> {
    let (name, mut inside) = assigned_substitution(parsed, w)?;
    let (Some(p), None) = (inside.next(), inside.next()) else {
        return None;
    };
    if !p.redirects.is_empty() || !p.assignments.is_empty() {
        return None;
    }
    let words: Vec<&str> = p.argv.iter().map(Word::literal).collect::<Option<_>>()?;
    let v = printed(&words)?;
    (!v.is_empty()).then_some((name, v))
}

/// `NAME=$(…)` (the value maybe in double quotes): the name, and the parts of the
/// substitution; `None` for any other word.
fn assigned_substitution<'a>(
    parsed: &'a Parsed,
    w: &'a Word,
) -> Option<(&'a str, impl Iterator<Item = &'a Part>)> {
    let (name, value) = w.text.split_once('=')?;
    let (inner, _) = unquote(value);
    if !(inner.starts_with("$(") && inner.ends_with(')') && is_var_name(name)) {
        return None;
    }
    let inside = parsed
        .parts
        .iter()
        .filter(move |p| p.origin == Origin::Substitution && w.span.contains(p.span));
    Some((name, inside))
}

/// `x=$(cat <<'EOF' … EOF)`: a name assigned the body of a here-document that a lone `cat`
/// prints, when the body is literal (a quoted delimiter, or no expansion in it); `None` for
/// any other word.
fn heredoc_assignment<'a>(parsed: &'a Parsed, w: &'a Word) -> Option<(&'a str, String)> {
    let (name, mut inside) = assigned_substitution(parsed, w)?;
    let (Some(cat), None) = (inside.next(), inside.next()) else {
        return None;
    };
    let words: Vec<&str> = cat.argv.iter().map(Word::literal).collect::<Option<_>>()?;
    if !matches!(words.as_slice(), ["cat"] | ["cat", "-"]) {
        return None;
    }
    let [r] = cat.redirects.as_slice() else {
        return None;
    };
    let h = r.heredoc.as_ref().filter(|h| h.quoted || !h.dynamic)?;
    Some((name, h.body.trim_end_matches('\n').to_string()))
}

/// The positional parameters a `set` part gives, when it gives some and all are literal:
/// `set -- a b`, `set a b` (a first word that is not an option).
fn positionals(p: &Part) -> Option<Vec<&str>> {
    let words: Vec<&str> = p
        .argv
        .iter()
        .skip(1)
        .map(Word::literal)
        .collect::<Option<_>>()?;
    match words.split_first() {
        Some((&"--", rest)) if !rest.is_empty() => Some(rest.to_vec()),
        Some((first, _)) if !first.starts_with(['-', '+']) => Some(words),
        _ => None,
    }
}

/// The values `read` (part `read` of `parsed`, with no option but `-r`) gives its names from
/// a literal input ([`literal_input`]): the first line's fields, the last name taking the
/// rest of the line (`while read d; do rm -rf "$d"; done <<< /`).
fn read_values<'a>(parsed: &'a Parsed, read: &'a Part) -> Vec<(&'a str, String)> {
    let mut names = Vec::new();
    for w in read.argv.iter().skip(1) {
        let Some(t) = w.literal() else {
            return Vec::new();
        };
        if t.starts_with('-') {
            if t != "-r" || !names.is_empty() {
                return Vec::new();
            }
        } else if t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            names.push(t);
        } else {
            return Vec::new();
        }
    }
    if names.is_empty() {
        return Vec::new();
    }
    let Some((text, _)) = literal_input(parsed, read) else {
        return Vec::new();
    };
    let line = text.lines().next().unwrap_or_default();
    // `IFS=: read -r a b`: the line split at the characters of the IFS it is given (the last
    // name takes the rest of the line).
    let ifs = read
        .assignments
        .iter()
        .filter_map(Word::literal)
        .find_map(|t| t.strip_prefix("IFS="));
    if let Some(ifs) = ifs.filter(|i| !i.is_empty() && !i.contains(char::is_whitespace)) {
        return names
            .iter()
            .zip(
                line.splitn(names.len(), |c| ifs.contains(c))
                    .chain(std::iter::repeat("")),
            )
            .map(|(n, v)| (*n, v.to_string()))
            .collect();
    }
    let mut fields = line.split_ascii_whitespace();
    let mut out = Vec::new();
    for (k, n) in names.iter().enumerate() {
        let v = if k + 1 == names.len() {
            fields.by_ref().collect::<Vec<_>>().join(" ")
        } else {
            fields.next().unwrap_or_default().to_string()
        };
        out.push((*n, v));
    }
    out
}

/// Whether `text` has an expansion [`substitute`] can give a value without an assignment:
/// `${NAME:-word}` (or `:=`, `-`, `=`) or `$IFS`.
fn has_default_or_ifs(text: &str) -> bool {
    let b = text.as_bytes();
    // (Byte loops: the words are short, and a searcher costs more to set up.)
    if !b.contains(&b'{') && !b.windows(3).any(|w| w == b"IFS") {
        return false;
    }
    (0..b.len()).filter(|&i| b[i] == b'$').any(|i| {
        let rest = &b[i + 1..];
        let (braced, name) = match rest.first() {
            Some(b'{') => (true, &rest[1..]),
            _ => (false, rest),
        };
        let n = name
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        &name[..n] == b"IFS" || braced && matches!(name.get(n), Some(b':' | b'-' | b'='))
    })
}

/// The values of `$NAME` and `${NAME}` in `text` (quotes already removed) put in, one
/// string for each choice of values (at most [`MAX`]); `None` when some expansion in it has
/// no known value or is of another form (`${X#y}`, `$#`). (`$1`…`$9`, `$@` and `$*` are
/// names here, given values by `set -- …`.) `${NAME:-word}`, `${NAME-word}`,
/// `${NAME:=word}` and `${NAME=word}` with a literal `word` can also be `word` (the
/// environment may leave NAME unset); `$IFS`, unless assigned, is a space (the default's
/// first character: unquoted, any of its three splits the same). `${NAME:OFFSET}` and
/// `${NAME:OFFSET:LENGTH}` (literal numbers) take that piece of each value; `${PATH:0:1}`,
/// `${HOME:0:1}` (and `PWD`, `OLDPWD`, `SHELL`) are `/` even unassigned; unassigned,
/// `$SHELL` and `$BASH` are `sh`.
fn substitute(text: &str, known: &[Value<'_>]) -> Option<Vec<String>> {
    let mut outs = vec![String::new()];
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let next = b[i..]
                .iter()
                .position(|&c| c == b'$')
                .map_or(b.len(), |k| i + k);
            for o in &mut outs {
                o.push_str(&text[i..next]);
            }
            i = next;
            continue;
        }
        let braced = b.get(i + 1) == Some(&b'{');
        let start = i + 1 + usize::from(braced);
        let len = match b.get(start) {
            // A positional parameter: one digit unbraced (`$10` is `$1` then `0`), or `$@`,
            // `$*` (their values only come from `set -- …`).
            Some(c) if c.is_ascii_digit() && !braced => 1,
            Some(b'@' | b'*') => 1,
            _ => b[start..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count(),
        };
        let name = &text[start..start + len];
        if name.is_empty() {
            return None;
        }
        let mut end = start + len;
        // An array's element or all of them (`${a[@]}`, `${a[0]}`): the subscript is part
        // of the name the values are kept under.
        let name = match (braced, b.get(end)) {
            (true, Some(b'[')) => {
                let close = end + text[end..].find(']')?;
                let sub = &text[end + 1..close];
                if !(sub == "@"
                    || sub == "*"
                    || (sub.len() == 1 && sub.as_bytes()[0].is_ascii_digit()))
                {
                    return None;
                }
                end = close + 1;
                &text[start..end]
            }
            _ => name,
        };
        // `${NAME:OFFSET}` and `${NAME:OFFSET:LENGTH}` with literal numbers: a piece of the
        // value (characters, as bash counts them in a UTF-8 locale).
        let mut slice: Option<(usize, Option<usize>)> = None;
        let digit_at = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
        if braced && b.get(end) == Some(&b':') && digit_at(end + 1) {
            let number = |from: usize| {
                let n = b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
                (text[from..from + n].parse::<usize>().ok(), from + n)
            };
            let (offset, after) = number(end + 1);
            let (length, after) = if b.get(after) == Some(&b':') && digit_at(after + 1) {
                let (length, after) = number(after + 1);
                (Some(length?), after)
            } else {
                (None, after)
            };
            slice = Some((offset?, length));
            end = after;
        }
        let mut default = None;
        if braced {
            // `${NAME:-word}` and its siblings: the word up to the brace, literal only.
            let op = [":-", ":=", "-", "="]
                .into_iter()
                .find(|op| slice.is_none() && text[end..].starts_with(op));
            if let Some(op) = op {
                let from = end + op.len();
                let close = from + text[from..].find('}')?;
                let word = &text[from..close];
                if word.contains(['$', '{', '`', '"', '\'', '\\']) {
                    return None;
                }
                default = Some(word);
                end = close;
            }
            if b.get(end) != Some(&b'}') {
                return None;
            }
            end += 1;
        }
        let mut values: Vec<&str> = known
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
            .collect();
        if values.is_empty() && name == "IFS" && default.is_none() {
            values.push(" ");
        }
        // `$SHELL` and `$BASH` name a shell, whatever the environment: `$SHELL -c '…'` runs
        // its script as `sh -c` does. (Not `$0`: in a script, as a CI step runs, it is the
        // script's own path.)
        if values.is_empty()
            && default.is_none()
            && slice.is_none()
            && matches!(name, "SHELL" | "BASH")
        {
            values.push("sh");
        }
        values.extend(default);
        let sliced: Vec<String>;
        if let Some((offset, length)) = slice {
            // The first character of a variable that always holds an absolute path is `/`,
            // whatever the environment (`rm -rf ${PATH:0:1}`, `${HOME:0:1}`).
            if values.is_empty()
                && offset == 0
                && length == Some(1)
                && matches!(name, "PATH" | "HOME" | "PWD" | "OLDPWD" | "SHELL")
            {
                values.push("/");
            }
            sliced = values
                .iter()
                .map(|v| {
                    v.chars()
                        .skip(offset)
                        .take(length.unwrap_or(usize::MAX))
                        .collect()
                })
                .collect();
            values = sliced.iter().map(String::as_str).collect();
        }
        if values.is_empty() {
            return None;
        }
        let mut next = Vec::with_capacity(outs.len() * values.len());
        for o in &outs {
            for v in &values {
                if next.len() < MAX {
                    next.push(format!("{o}{v}"));
                }
            }
        }
        outs = next;
        i = end;
    }
    Some(outs)
}

/// For a part whose arguments expand variables the command line assigns literal values to
/// (`D=/; rm -rf $D`) or braces (`rm -rf {/,}`), or that `find -exec` runs with the paths it
/// finds in place of `{}`
/// (`roots`: where that find starts; the first path it hands over is a root itself, so `find
/// / -exec rm -rf {} \;` runs `rm -rf /`), the argument lists it can run with (at most
/// [`MAX`]), and the span of the first such argument; `None` for any other part. `args` are
/// the part's arguments as the engine reads them (quotes removed).
pub(super) fn argument_values(
    parsed: &Parsed,
    words: &[Word],
    args: &[std::borrow::Cow<'_, str>],
    roots: &[&str],
) -> Option<(Vec<Vec<String>>, Span)> {
    let param_only = |w: &Word| {
        let d = w.flags.dynamic_part();
        d.contains(WordFlags::PARAM)
            && !d.contains(WordFlags::SUBST)
            && !d.contains(WordFlags::ARITH)
            && !d.contains(WordFlags::BRACE)
            && !d.contains(WordFlags::RUNTIME)
    };
    let found = |w: &Word| {
        !roots.is_empty() && w.flags.dynamic_part() == WordFlags::RUNTIME && w.text.contains("{}")
    };
    // A word whose only expansion is brace expansion (`{/,}`) is the words it expands to
    // (those with blanks are left as written).
    let brace = |w: &Word| {
        (w.flags.dynamic_part() == WordFlags::BRACE)
            .then(|| w.brace_expansion())
            .flatten()
            .filter(|e| !e.iter().any(|x| x.contains(char::is_whitespace)))
    };
    // (Made only when some word has braces: most parts have none, and the list costs.)
    let braces: SmallVec<[Option<Vec<String>>; 4]> = if words
        .iter()
        .any(|w| w.flags.dynamic_part() == WordFlags::BRACE)
    {
        words.iter().map(brace).collect()
    } else {
        SmallVec::new()
    };
    let has_brace = |k: usize| braces.get(k).is_some_and(Option::is_some);
    // What a substitution alone in a word prints, when it prints literal text (`$(echo /)`).
    let printed: SmallVec<[Option<String>; 4]> = if words
        .iter()
        .any(|w| w.flags.dynamic_part() == WordFlags::SUBST)
    {
        words
            .iter()
            .map(|w| {
                (w.flags.dynamic_part() == WordFlags::SUBST)
                    .then(|| printed_value(parsed, w))
                    .flatten()
            })
            .collect()
    } else {
        SmallVec::new()
    };
    let has_printed = |k: usize| printed.get(k).is_some_and(Option::is_some);
    let first = words
        .iter()
        .enumerate()
        .position(|(k, w)| param_only(w) || found(w) || has_brace(k) || has_printed(k))?;
    // Only the paths `find` hands over (most such parts): one list for each root, with no
    // assignments to look for.
    if braces.is_empty() && !printed.iter().any(Option::is_some) && !words.iter().any(param_only) {
        let lists = roots
            .iter()
            .take(MAX)
            .map(|r| {
                words
                    .iter()
                    .zip(args)
                    .map(|(w, a)| {
                        if found(w) {
                            a.replace("{}", r)
                        } else {
                            a.to_string()
                        }
                    })
                    .collect()
            })
            .collect();
        return Some((lists, words[first].span));
    }
    let known = assigned_values(parsed);
    // Without assignments, only a default (`${D:-/}`) or `$IFS` has a value.
    let may_have_value = |a: &str| !known.is_empty() || has_default_or_ifs(a);
    if roots.is_empty()
        && !words
            .iter()
            .zip(args)
            .enumerate()
            .any(|(k, (w, a))| param_only(w) && may_have_value(a) || has_brace(k) || has_printed(k))
    {
        return None;
    }
    // The values of each word that has some, first: most parts expand only variables the
    // command line does not assign, and then no list is built. Each with whether its values
    // are split into words: a parameter's when unquoted (or `"$@"`, a word a parameter), a
    // brace list's always (one choice: all its words at once); not the paths `find` hands
    // over.
    let values: Vec<(Option<Vec<String>>, bool)> = words
        .iter()
        .zip(args)
        .enumerate()
        .map(|(k, (w, a))| {
            if param_only(w) && may_have_value(a) {
                let split = !w.text.starts_with('"') || splits_in_quotes(a);
                (substitute(a, &known), split)
            } else if found(w) {
                (
                    Some(roots.iter().map(|r| a.replace("{}", r)).collect()),
                    false,
                )
            } else if let Some(Some(e)) = braces.get(k) {
                (Some(vec![e.join(" ")]), true)
            } else if let Some(Some(v)) = printed.get(k) {
                // Unquoted, what it prints is split into words.
                (Some(vec![v.clone()]), !w.text.starts_with('"'))
            } else {
                (None, false)
            }
        })
        .collect();
    if values.iter().all(|v| v.0.is_none()) {
        return None;
    }
    let mut lists: Vec<Vec<String>> = vec![Vec::new()];
    for ((v, split), a) in values.into_iter().zip(args) {
        let choices = v.unwrap_or_else(|| vec![a.to_string()]);
        let mut next = Vec::with_capacity(lists.len() * choices.len());
        for l in &lists {
            for c in &choices {
                if next.len() < MAX {
                    let mut l = l.clone();
                    if split {
                        l.extend(c.split_ascii_whitespace().map(str::to_string));
                    } else {
                        l.push(c.clone());
                    }
                    next.push(l);
                }
            }
        }
        lists = next;
    }
    Some((lists, words[first].span))
}

/// The paths a `find` hands to the command it runs first: its operands before the first
/// expression word (`-name`, `(`, `!`), or `.` when there are none; at most [`MAX`]. Only
/// when nothing before its first `-exec` can leave a root out (options such as `-xdev` and
/// `-maxdepth`, `-type d`, printing); with `-mindepth N` (N ≥ 1) or another `-type` (`-type
/// f`: every file) what is handed over is inside each root, written as the glob `ROOT/*`;
/// with one `-name PAT` (or `-iname`) test, the root's files of that name, written `ROOT/PAT`
/// (files at any depth under the root, of which the glob keeps the root and the name: it tells
/// the files of `/etc` or `~` from others, not the directories below). Empty otherwise: `find /
/// -size +100M -exec …` hands over nothing known.
pub(super) fn find_roots(find: &crate::parse::Part) -> Vec<String> {
    let args = find.argv.get(1..).unwrap_or_default();
    let n = args
        .iter()
        .position(|w| {
            let t = w.text.as_str();
            t.starts_with('-') || t == "(" || t == "!"
        })
        .unwrap_or(args.len());
    // The expression first (most `find`s have a test, and then there is nothing to build).
    let mut inside = false;
    let mut name: Option<&str> = None;
    let mut words = args[n..].iter();
    while let Some(w) = words.next() {
        match w.text.as_str() {
            "-exec" | "-execdir" | "-ok" | "-okdir" => break,
            "-xdev"
            | "-mount"
            | "-depth"
            | "-follow"
            | "-print"
            | "-print0"
            | "-daystart"
            | "-noleaf"
            | "-ignore_readdir_race"
            | "-L"
            | "-H"
            | "-P"
            // (`-prune` is true: what it prunes is still handed on, `find . -name .git
            // -prune -exec rm -rf {} +`; `-a` joins tests.)
            | "-prune"
            | "-a"
            | "-and" => {}
            "-maxdepth" => {
                words.next();
            }
            "-mindepth" => match words.next().map(|v| v.text.as_str()) {
                Some("0") => {}
                Some(_) => inside = true,
                None => return Vec::new(),
            },
            // `-type d` hands the roots over too; any other type only what is inside them
            // (`find / -type f -exec chmod 000 {} +` changes every file under `/`).
            "-type" => match words.next().map(|v| v.text.as_str()) {
                Some("d") => {}
                Some(_) => inside = true,
                None => return Vec::new(),
            },
            // One name test: the files handed over are the root's files of that name
            // (`find /etc -name '*.conf' -exec rm {} +` removes `/etc/*.conf`, written as
            // that glob). A second one, or a pattern with a `/`, hands over nothing known.
            "-name" | "-iname" => match words.next().and_then(Word::literal) {
                Some(p) if name.is_none() && !p.is_empty() && !p.contains('/') => name = Some(p),
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        }
    }
    // Files of a relative root chosen by their ending only (`find . -name '*.tmp'`): the
    // project's own files, of which no signal reads more than of `{}` (measured over the
    // corpora and the risk table), so they are not read again.
    let by_ending = name.is_some_and(|p| {
        p.strip_prefix("*.")
            .is_some_and(|e| !e.is_empty() && !e.contains(['*', '?', '[']))
    });
    let relative = |r: &str| !r.starts_with('/') && !r.starts_with('~');
    if by_ending && args[..n].iter().all(|w| relative(&w.text)) {
        return Vec::new();
    }
    let mut roots: Vec<String> = Vec::new();
    for w in args[..n].iter().take(MAX) {
        // A root known only at run time is not a value (`~` is, as the engine writes home).
        let tilde = w.flags.dynamic_part() == WordFlags::TILDE;
        let Some(r) = w.literal().or(tilde.then_some(w.text.as_str())) else {
            return Vec::new();
        };
        if by_ending && relative(r) {
            continue;
        }
        roots.push(match (name, inside) {
            (Some(p), _) => format!("{}/{p}", r.trim_end_matches('/')),
            (None, true) => format!("{}/*", r.trim_end_matches('/')),
            (None, false) => r.to_string(),
        });
    }
    if roots.is_empty() {
        roots.push(match (name, inside) {
            (Some(p), _) => format!("./{p}"),
            (None, true) => "./*".to_string(),
            (None, false) => ".".to_string(),
        });
    }
    roots
}

/// Whether a pipe stage prints what it reads, all of it, changed, or the lines it picks
/// (`cat`, `tee f`, `head`, `grep x`, `sed …`, `jq .`): what is piped into it reaches the
/// terminal or the log when its own output does. Not a stage that prints only a count, a
/// name or a yes/no (`grep -c`, `grep -q`, `wc`), nor one that picks fields (`cut`, `awk`,
/// `jq` with a filter other than `.`: `heroku config | cut -d: -f1` prints the names, and
/// `jq -r .cluster_name.value` one value, whatever the input held).
pub(super) fn passes_through(p: &Part) -> bool {
    let Some(name) = p.program_name() else {
        return false;
    };
    let args = || p.argv.iter().skip(1).map(|w| w.text.as_str());
    match name {
        "cat" | "tee" | "head" | "tail" | "less" | "more" | "sort" | "uniq" | "column" | "nl"
        | "fold" | "fmt" | "sed" | "tr" | "paste" => true,
        "grep" | "egrep" | "fgrep" | "rg" => !args().any(|a| {
            matches!(
                a,
                "--quiet"
                    | "--silent"
                    | "--count"
                    | "--files-with-matches"
                    | "--files-without-match"
            ) || (a.starts_with('-')
                && !a.starts_with("--")
                && a.bytes()
                    .skip(1)
                    .any(|c| matches!(c, b'q' | b'c' | b'l' | b'L')))
        }),
        // Only a filter that prints the whole input: none, or `.`.
        "jq" | "yq" | "gojq" | "jaq" => args().filter(|a| !a.starts_with('-')).all(|a| a == "."),
        _ => false,
    }
}

/// The programs [`written_paths`] knows the saved file of.
pub(super) const DOWNLOADERS: [&str; 4] = ["curl", "wget", "aria2c", "fetch"];

/// What a download tool ([`DOWNLOADERS`]) is told to save, from its words
/// ([`download_saves`]).
pub(super) struct Saves<'a> {
    /// The words naming an output file (not `-`, standard output): index in argv, and where
    /// in the word the path starts (`-o F`: 0; `-oF`, `--output=F`: after the option).
    pub named: SmallVec<[(usize, usize); 2]>,
    /// Some output option was given (`-o -` included).
    pub named_any: bool,
    /// It saves under the URL's name (`curl -O`, wget's default).
    pub remote_name: bool,
    /// The directory it saves in (`wget -P DIR`).
    pub dir: Option<&'a str>,
    /// The URLs.
    pub urls: SmallVec<[&'a str; 2]>,
}

/// What part `p`, a download tool, saves; `None` for any other program. A word only known
/// at run time is read as an operand (a URL or a file name), not as an option.
pub(super) fn download_saves(p: &Part) -> Option<Saves<'_>> {
    let name = p.argv.first().and_then(Word::literal).map(basename)?;
    // (option letter, long option) giving the output file; the letter that saves under the
    // URL's name; whether that is the default.
    let (short, long, remote, by_default): (u8, &[&str], u8, bool) = match name {
        "curl" => (b'o', &["--output"], b'O', false),
        "wget" => (b'O', &["--output-document"], 0, true),
        "aria2c" => (b'o', &["--out"], 0, true),
        "fetch" => (b'o', &["--output"], 0, true),
        _ => return None,
    };
    let mut s = Saves {
        named: SmallVec::new(),
        named_any: false,
        remote_name: by_default,
        dir: None,
        urls: SmallVec::new(),
    };
    let words: SmallVec<[Option<&str>; 8]> = p.argv.iter().map(Word::literal).collect();
    let mut k = 1;
    while k < words.len() {
        let at = k;
        k += 1;
        let Some(w) = words[at] else {
            continue;
        };
        if let Some(v) = long.iter().find_map(|l| w.strip_prefix(l)) {
            let value = match v.strip_prefix('=') {
                Some(v) => Some((at, w.len() - v.len(), Some(v))),
                None if v.is_empty() => {
                    k += 1;
                    (k - 1 < words.len()).then(|| (k - 1, 0, words[k - 1]))
                }
                None => continue,
            };
            if let Some((i, off, _)) = value.filter(|v| v.2 != Some("-")) {
                s.named.push((i, off));
            }
            s.named_any = true;
        } else if w == "--remote-name" || w == "--remote-name-all" {
            s.remote_name = true;
        } else if let Some(v) = w.strip_prefix("--directory-prefix=") {
            s.dir = Some(v);
        } else if w == "-P" || w == "--directory-prefix" || (w == "-d" && name == "aria2c") {
            s.dir = words.get(k).copied().flatten();
            k += 1;
        } else if w.starts_with("--") {
            // Another long option (its value, if any, is not a URL that is saved).
            continue;
        } else if let Some(letters) = w.strip_prefix('-').filter(|l| !l.is_empty()) {
            // A cluster of short options; the output letter takes the rest or the next word.
            for (i, &c) in letters.as_bytes().iter().enumerate() {
                if c == short {
                    let value = match letters.get(i + 1..) {
                        Some("") | None => {
                            k += 1;
                            (k - 1 < words.len()).then(|| (k - 1, 0, words[k - 1]))
                        }
                        rest => Some((at, 2 + i, rest)),
                    };
                    if let Some((i, off, _)) = value.filter(|v| v.2 != Some("-")) {
                        s.named.push((i, off));
                    }
                    s.named_any = true;
                    break;
                }
                if c == remote {
                    s.remote_name = true;
                }
            }
        } else if w.contains("://") {
            s.urls.push(w);
        }
    }
    Some(s)
}

/// The files part `p` writes, as literal paths without a leading `./`: the paths its
/// redirections write, the operands of `tee`, and for a download tool the file it saves
/// (`curl -o F`, `curl -O URL` and `wget URL` save to the URL's last path segment, `wget -O
/// F`, `wget -P DIR URL`, `aria2c -o F`). Words known only at run time give nothing.
pub(super) fn written_paths(p: &Part) -> Vec<String> {
    let bare = |t: &str| t.strip_prefix("./").unwrap_or(t).to_string();
    let mut out: Vec<String> = p
        .redirects
        .iter()
        .filter(|r| r.writes_path())
        .filter_map(|r| r.target.literal().map(bare))
        .collect();
    let Some(name) = p.argv.first().and_then(Word::literal).map(basename) else {
        return out;
    };
    // `tee FILE…` writes its operands (`tee x.sh <<< 'rm -rf /' && sh x.sh`).
    if name == "tee" {
        out.extend(
            p.argv[1..]
                .iter()
                .filter_map(Word::literal)
                .filter(|w| !w.starts_with('-'))
                .map(bare),
        );
        return out;
    }
    // A word known only at run time may be an option: what is saved is not known.
    if p.argv[1..].iter().any(Word::is_dynamic) {
        return out;
    }
    let Some(saves) = download_saves(p) else {
        return out;
    };
    for &(i, at) in &saves.named {
        if let Some(v) = p
            .argv
            .get(i)
            .and_then(Word::literal)
            .and_then(|t| t.get(at..))
        {
            out.push(bare(v));
        }
    }
    let (named, remote_name, dir, urls) =
        (saves.named_any, saves.remote_name, saves.dir, saves.urls);
    if remote_name && !named {
        for u in urls {
            let Some((_, after)) = u.split_once("://") else {
                continue;
            };
            // The last segment of the path, with and without the query (wget keeps it in
            // the name; curl's versions differ).
            let whole = after.split_once('/').map_or("", |(_, p)| basename(p));
            let short = whole.split(['?', '#']).next().unwrap_or(whole);
            for file in [short, whole] {
                if !file.is_empty() {
                    let path = match dir {
                        Some(d) => bare(&format!("{}/{file}", d.trim_end_matches('/'))),
                        None => file.to_string(),
                    };
                    if !out.contains(&path) {
                        out.push(path);
                    }
                }
            }
        }
    }
    out
}

/// What a literal input hands the command `xargs` runs ([`xargs_input`]).
#[derive(Debug, PartialEq)]
pub(super) enum XargsWords {
    /// Its words, added after the command's own arguments.
    Appended(Vec<String>),
    /// Its lines, each put in place of `marker` in the command's arguments, one run per
    /// line (`xargs -I{} rm -rf {}`).
    Replaced { marker: String, lines: Vec<String> },
}

/// The words a literal input hands `xargs` (part `xargs` of `parsed`), and where they come
/// from ([`literal_input`], or for `-a <(…)` the one command of the process substitution:
/// an `echo` or `printf` of literal text). `-0` (`--null`) and `-d X` (`--delimiter`) split
/// the input at that byte, each item taken as it is; otherwise the input must be free of the
/// quotes and backslashes xargs reads specially, and is split at blanks. `None` for any
/// other option that changes how the input is read (`-E`, `-a FILE` of a file, …). Options
/// that only change how many words a run takes (`-n`, `-L`, `-s`, `-P`) or print (`-r`,
/// `-t`, `-x`) are passed over, and `-I R` (or `-i`, `--replace`) puts each item (each line
/// without `-0` or `-d`) in place of `R`. At most 64 words or 16 lines.
pub(super) fn xargs_input(parsed: &Parsed, xargs: &Part) -> Option<(XargsWords, Span)> {
    let mut marker: Option<String> = None;
    // The byte that ends an item (`-0`, `-d X`), and the word naming the input (`-a X`).
    let mut delim: Option<char> = None;
    let mut file: Option<&Word> = None;
    let mut words = xargs.argv.iter().skip(1);
    while let Some(w) = words.next() {
        let t = w.literal()?;
        if !t.starts_with('-') || t == "-" {
            break;
        }
        if t == "--" {
            break;
        }
        // Long options, with their value attached.
        if let Some(long) = t.strip_prefix("--") {
            let (name, value) = long
                .split_once('=')
                .map_or((long, None), |(n, v)| (n, Some(v)));
            match name {
                "no-run-if-empty" | "verbose" | "exit" | "interactive" => {}
                "max-args" | "max-lines" | "max-chars" | "max-procs" if value.is_some() => {}
                "replace" => marker = Some(value.unwrap_or("{}").to_string()),
                "null" => delim = Some('\0'),
                "delimiter" => delim = Some(delimiter(value?)?),
                "arg-file" => file = Some(arg_file(value, &mut words)?),
                _ => return None,
            }
            continue;
        }
        // A cluster of short options; one that takes a value ends it (the value is the rest
        // of the word, or the next word).
        let b = &t[1..];
        for (k, c) in b.char_indices() {
            let rest = &b[k + c.len_utf8()..];
            match c {
                'r' | 't' | 'x' | 'p' => continue,
                'n' | 'L' | 's' | 'P' => {
                    if rest.is_empty() {
                        words.next()?.literal()?;
                    }
                }
                'I' => {
                    let v = if rest.is_empty() {
                        words.next()?.literal()?
                    } else {
                        rest
                    };
                    marker = Some(v.to_string());
                }
                'i' => marker = Some(if rest.is_empty() { "{}" } else { rest }.to_string()),
                '0' => {
                    delim = Some('\0');
                    continue;
                }
                'd' => {
                    let v = if rest.is_empty() {
                        words.next()?.literal()?
                    } else {
                        rest
                    };
                    delim = Some(delimiter(v)?);
                }
                'a' => {
                    let v = (!rest.is_empty()).then_some(rest);
                    file = Some(arg_file(v, &mut words)?);
                }
                _ => return None,
            }
            break;
        }
    }
    let plain = |t: &str| !t.contains(['\'', '"', '\\']);
    let (text, span) = match file {
        Some(f) => (process_subst_output(parsed, f)?, f.span),
        None => literal_input(parsed, xargs)?,
    };
    if let Some(d) = delim {
        // Items end at the delimiter and are taken as they are (blanks, quotes and all).
        let items: Vec<String> = text
            .split(d)
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect();
        // (An item with a newline or another control byte in it, as `echo / | xargs -0`
        // gives, names no usual path: such input is not read.)
        if items.is_empty()
            || items.len() > 16
            || items.iter().any(|i| i.contains(char::is_control))
        {
            return None;
        }
        return Some(match marker.filter(|m| !m.is_empty()) {
            Some(marker) => (
                XargsWords::Replaced {
                    marker,
                    lines: items,
                },
                span,
            ),
            None => (XargsWords::Appended(items), span),
        });
    }
    if !plain(&text) {
        return None;
    }
    if let Some(marker) = marker.filter(|m| !m.is_empty()) {
        // Each line, without its leading blanks (as xargs reads it).
        let lines: Vec<String> = text
            .lines()
            .map(str::trim_start)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        if lines.is_empty() || lines.len() > 16 {
            return None;
        }
        return Some((XargsWords::Replaced { marker, lines }, span));
    }
    let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    if words.is_empty() || words.len() > 64 {
        return None;
    }
    Some((XargsWords::Appended(words), span))
}

/// The byte `xargs -d X` ends items at: one character, or an escape (`\n`, `\t`, `\0`).
fn delimiter(v: &str) -> Option<char> {
    let mut cs = v.chars();
    match (cs.next()?, cs.next(), cs.next()) {
        (c, None, _) => Some(c),
        ('\\', Some('n'), None) => Some('\n'),
        ('\\', Some('t'), None) => Some('\t'),
        ('\\', Some('0'), None) => Some('\0'),
        _ => None,
    }
}

/// The word `xargs -a` reads its input from: the value attached to the option, or the next
/// word of the part (`xargs -a <(echo /) rm -rf`). `None` when it is attached text (a file
/// name, whose content is not known).
fn arg_file<'a>(
    attached: Option<&str>,
    words: &mut impl Iterator<Item = &'a Word>,
) -> Option<&'a Word> {
    if attached.is_some() {
        return None;
    }
    words.next()
}

/// What the process substitution `<(CMD)` that is all of word `w` gives to read, when its
/// one command prints literal text ([`printed`], or `printf '%s\0' a b`: each word followed
/// by a NUL); `None` for any other word.
fn process_subst_output(parsed: &Parsed, w: &Word) -> Option<String> {
    let inner = w.text.strip_prefix("<(")?.strip_suffix(')')?;
    let region = Span(w.span.0 + 2, w.span.1.checked_sub(1)?);
    let part = lone_part(parsed, region, inner)?;
    if !part.redirects.is_empty() || !part.assignments.is_empty() {
        return None;
    }
    let words: Vec<&str> = part.argv.iter().map(Word::literal).collect::<Option<_>>()?;
    printed_output(&words)
}

/// All that a command of literal words prints, newlines and NUL bytes included: `echo`
/// without options (or with `-e`, `-n`), or `printf` of a format without conversions, or of
/// `%s`, `%s\n`, `%s\n\n`, `%s ` or `%s\0` over its arguments. `None` for any other command.
fn printed_output(words: &[&str]) -> Option<String> {
    let each =
        |rest: &[&str], end: &str| -> String { rest.iter().map(|r| format!("{r}{end}")).collect() };
    Some(match words {
        ["echo", rest @ ..] if rest.first().is_none_or(|w| !w.starts_with('-')) => {
            format!("{}\n", rest.join(" "))
        }
        ["echo", "-n", rest @ ..] => rest.join(" "),
        ["echo", "-e", x] => format!("{}\n", crate::parse::printed_escapes_with_nul(x, true)?),
        ["echo", "-ne" | "-en", x] => crate::parse::printed_escapes_with_nul(x, true)?,
        ["printf", "%s", rest @ ..] => rest.concat(),
        ["printf", "%s\\n", rest @ ..] => each(rest, "\n"),
        ["printf", "%s\\n\\n", rest @ ..] => each(rest, "\n\n"),
        ["printf", "%s ", rest @ ..] => each(rest, " "),
        ["printf", "%s\\0", rest @ ..] => each(rest, "\0"),
        ["printf", format] if !format.contains('%') => {
            crate::parse::printed_escapes_with_nul(format, false)?
        }
        _ => return None,
    })
}

/// The literal text a part reads on standard input, and where it comes from: a here-string
/// (`xargs rm -rf <<< /`), a process substitution it reads (`< <(echo /)`, see
/// [`process_subst_output`]), or one `echo` (without options) or `printf` (of literal text, or
/// of `%s\n`/`%s ` over its arguments) in the pipeline stage before it (or before the
/// group, loop or subshell whose first pipeline holds it).
fn literal_input(parsed: &Parsed, part: &Part) -> Option<(String, Span)> {
    let mut input: Option<(String, Span)> = None;
    for r in &part.redirects {
        if r.op == crate::parse::RedirectOp::HereString {
            // (bash ends a here-string with a newline.)
            input = Some((format!("{}\n", r.target.literal()?), r.target.span));
        } else if r.op == crate::parse::RedirectOp::In
            && r.fd.is_none()
            && r.target.text.starts_with("<(")
        {
            // `xargs -0 rm -rf < <(printf '/\0')`
            input = Some((process_subst_output(parsed, &r.target)?, r.target.span));
        }
    }
    // The stage the pipe enters: the part's own, or the stage of a pipeline the part's
    // pipeline is the first of (`echo / | while read d; do …; done`).
    let stage = if part.stage > 0 {
        Some((part.pipeline, part.stage))
    } else {
        parsed
            .pipeline_parent
            .iter()
            .find(|e| e.0 == part.pipeline)
            .map(|e| (e.1, e.2))
            .filter(|e| e.1 > 0)
    };
    if let (None, Some((pipeline, stage))) = (&input, stage) {
        let mut producers = parsed.parts.iter().filter(|p| {
            p.pipeline == pipeline
                && p.stage + 1 == stage
                && !matches!(p.origin, Origin::Substitution | Origin::Wrapper)
        });
        let p = producers.next()?;
        if producers.next().is_some() {
            return None;
        }
        let words: Vec<&str> = p.argv.iter().map(Word::literal).collect::<Option<_>>()?;
        let text = printed_output(&words)?;
        input = Some((text, p.span));
    }
    input
}

/// A symbolic link the command line makes: the index of the `ln` part, the link's path as
/// written (without a leading `./`) and the path it points to, made absolute where the link's
/// is (a relative target is relative to the link's directory).
pub(super) type Link = (usize, String, String);

/// The symbolic links `ln -s TARGET LINK` (or `ln -s TARGET`, a link named for the target in
/// the working directory; or `ln -s -t DIR TARGET…`) makes in the command line, and the bind
/// mounts ([`bind_mount`]), with literal words only, at most [`MAX`] of them. (With two operands, a link into an existing directory
/// `LINK/` is also possible: both readings are kept.)
pub(super) fn symlinks(parsed: &Parsed) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    for (i, p) in parsed.parts.iter().enumerate() {
        if matches!(p.program_name(), Some("mount" | "bindfs")) {
            if let Some((src, dst)) = bind_mount(p) {
                let dst = dst.strip_prefix("./").unwrap_or(dst).trim_end_matches('/');
                if out.len() < MAX && !dst.is_empty() {
                    out.push((i, dst.to_string(), src.to_string()));
                }
            }
            continue;
        }
        if p.program_name() != Some("ln") {
            continue;
        }
        let Some(words) = p
            .argv
            .iter()
            .skip(1)
            .map(Word::literal)
            .collect::<Option<Vec<&str>>>()
        else {
            continue;
        };
        let mut symbolic = false;
        let mut dir: Option<&str> = None;
        let mut operands: Vec<&str> = Vec::new();
        let mut it = words.into_iter();
        let mut options = true;
        while let Some(w) = it.next() {
            if !options || !w.starts_with('-') || w == "-" {
                operands.push(w);
                continue;
            }
            if w == "--" {
                options = false;
                continue;
            }
            if let Some(long) = w.strip_prefix("--") {
                let (name, value) = long
                    .split_once('=')
                    .map_or((long, None), |(n, v)| (n, Some(v)));
                match name {
                    "symbolic" => symbolic = true,
                    "target-directory" => dir = value.or_else(|| it.next()),
                    "suffix" if value.is_none() => {
                        it.next();
                    }
                    _ => {}
                }
                continue;
            }
            // A cluster of short options; `-t DIR` and `-S SUFFIX` take a value.
            let b = &w[1..];
            for (k, c) in b.char_indices() {
                let rest = &b[k + c.len_utf8()..];
                match c {
                    's' => symbolic = true,
                    't' | 'S' => {
                        let v = if rest.is_empty() {
                            it.next()
                        } else {
                            Some(rest)
                        };
                        if c == 't' {
                            dir = v;
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
        if !symbolic {
            continue;
        }
        let trim = |s: &str| -> String {
            let s = s.strip_prefix("./").unwrap_or(s);
            let s = s.trim_end_matches('/');
            if s.is_empty() { "/".into() } else { s.into() }
        };
        let name_of = |t: &str| basename(t.trim_end_matches('/')).to_string();
        let mut add = |link: String, target: &str| {
            // A relative target is read from the link's directory.
            let target = if target.starts_with('/') {
                target.to_string()
            } else {
                match link.rsplit_once('/') {
                    Some((d, _)) => format!("{d}/{target}"),
                    None => target.to_string(),
                }
            };
            if out.len() < MAX && !link.is_empty() && link != "/" {
                out.push((i, link, target));
            }
        };
        match (dir, operands.as_slice()) {
            (Some(d), targets) => {
                for t in targets {
                    add(format!("{}/{}", trim(d), name_of(t)), t);
                }
            }
            (None, [t]) => add(name_of(t), t),
            (None, [t, l]) => {
                add(trim(l), t);
                add(format!("{}/{}", trim(l), name_of(t)), t);
            }
            _ => {}
        }
    }
    out
}

/// `mount --bind SRC DST` (`-B`, `--rbind`, `-R`, `-o bind`, `-o rbind,…`) or `bindfs SRC
/// DST`, with literal words: the two paths, for [`symlinks`] (what is under DST is then what
/// is under SRC).
fn bind_mount(p: &Part) -> Option<(&str, &str)> {
    let words: Vec<&str> = p
        .argv
        .iter()
        .skip(1)
        .map(Word::literal)
        .collect::<Option<_>>()?;
    let mut bind = p.program_name() == Some("bindfs");
    let mut operands: Vec<&str> = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        match w {
            "--bind" | "--rbind" | "-B" | "-R" => bind = true,
            "-o" | "--options" => {
                let o = it.next()?;
                bind |= o.split(',').any(|x| matches!(x, "bind" | "rbind"));
            }
            "-t" | "--types" | "-L" | "-U" => {
                it.next();
            }
            _ if w.starts_with("-o") => {
                bind |= w[2..].split(',').any(|x| matches!(x, "bind" | "rbind"));
            }
            _ if w.starts_with('-') => {}
            _ => operands.push(w),
        }
    }
    match operands.as_slice() {
        [src, dst] if bind => Some((src, dst)),
        _ => None,
    }
}

/// The arguments of a part with each one that goes through a link of `links` made before
/// part `i` (`r/`, `r/x`, `./r/*`: the link used as a directory) put as the path it goes to
/// (`/`, `/x`, `/*`), and the index of the first such argument; `None` when no argument goes
/// through one. (A link named alone, without a slash after it, is the link itself: `rm r`
/// removes the link.)
pub(super) fn through_links(
    i: usize,
    args: &[std::borrow::Cow<'_, str>],
    links: &[Link],
) -> Option<(Vec<String>, usize)> {
    let mut first = None;
    let mut out = Vec::with_capacity(args.len());
    for (k, a) in args.iter().enumerate() {
        let t = a.strip_prefix("./").unwrap_or(a);
        let hit = links.iter().rev().find_map(|(li, link, target)| {
            let rest = t.strip_prefix(link.as_str())?.strip_prefix('/')?;
            (*li < i).then(|| format!("{}/{rest}", target.trim_end_matches('/')))
        });
        match hit {
            Some(v) => {
                first.get_or_insert(k);
                out.push(if v.is_empty() { "/".into() } else { v });
            }
            None => out.push(a.to_string()),
        }
    }
    first.map(|k| (out, k))
}

/// Calls of inline interpreter code that hand a shell what they run.
const SHELL_CALLS: &[&str] = &[
    "system(",
    "popen(",
    "check_output(",
    "check_call(",
    "getoutput(",
    "execSync(",
    "spawnSync(",
    "shell_exec(",
    "passthru(",
    "proc_open(",
    "call(",
    "run(",
    "Popen(",
];

/// Calls that decode base64, each with what must follow its literal (`Buffer.from('…',
/// 'base64')` names the encoding after it).
const BASE64_CALLS: &[(&str, bool)] = &[
    ("b64decode(", false),
    ("decodebytes(", false),
    ("base64_decode(", false),
    ("decode_base64(", false),
    ("decode64(", false),
    ("atob(", false),
    ("Buffer.from(", true),
];

/// The scripts inline interpreter code hands a shell as a base64 literal it decodes first
/// (`os.system(base64.b64decode('cm0gLXJmIC8='))`, `system(base64_decode("…"))`,
/// `execSync(Buffer.from('…', 'base64').toString())`), decoded: the decoding call must stand
/// inside the shell-out call's parentheses, within 80 bytes and with no `;` between. At most
/// four, each at most 4 KiB of UTF-8 text.
pub(super) fn decoded_shell_outs(code: &str) -> Vec<String> {
    use base64ct::Encoding as _;
    let mut out = Vec::new();
    for call in SHELL_CALLS {
        let mut from = 0;
        while let Some(at) = code[from..].find(call) {
            let open = from + at + call.len();
            from = open;
            // (The call name must not go on from a longer name: `xsystem(`.)
            let before = code[..open - call.len()].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let window_end = (open + 80).min(code.len());
            let Some(window) = code.get(open..window_end) else {
                continue;
            };
            let window = window.split(';').next().unwrap_or_default();
            for (decode, named) in BASE64_CALLS {
                let Some(d) = window.find(decode) else {
                    continue;
                };
                let rest = code[open + d + decode.len()..].trim_start();
                let rest = rest.strip_prefix('b').unwrap_or(rest);
                let Some(q) = rest.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
                    continue;
                };
                let Some((lit, after)) = rest[1..].split_once(q) else {
                    continue;
                };
                if *named {
                    let after = after
                        .trim_start()
                        .strip_prefix(',')
                        .unwrap_or("")
                        .trim_start();
                    if !(after.starts_with("'base64'") || after.starts_with("\"base64\"")) {
                        continue;
                    }
                }
                if lit.len() > 8192 || out.len() >= 4 {
                    continue;
                }
                let text: String = lit.chars().filter(|c| !c.is_whitespace()).collect();
                let Ok(bytes) = base64ct::Base64::decode_vec(&text)
                    .or_else(|_| base64ct::Base64Unpadded::decode_vec(&text))
                else {
                    continue;
                };
                if let Ok(s) = String::from_utf8(bytes) {
                    if s.len() <= 4096 && !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

/// The commands of the cron table a `crontab` part installs from a literal input
/// ([`literal_input`]: `echo '* * * * * CMD' | crontab -`, `crontab - <<< …`; or the file
/// `crontab <(echo …)` names, [`process_subst_output`]), one a line,
/// and where the input comes from. A line is five time fields then its command, or `@reboot`
/// (or another `@` schedule) then its command; blank lines, comments and `NAME=value` lines
/// are passed over. `None` when the part reads a file, lists, edits or removes the table, or
/// the input is not literal.
pub(super) fn crontab_input(parsed: &Parsed, part: &Part) -> Option<(String, Span)> {
    let mut words = part.argv.iter().skip(1);
    let mut file: Option<&Word> = None;
    while let Some(w) = words.next() {
        match w.literal() {
            Some("-") => {}
            Some("-u") => {
                words.next()?.literal()?;
            }
            // `crontab <(echo '…')`: the table is what the substitution prints.
            None if file.is_none() && w.text.starts_with("<(") => file = Some(w),
            _ => return None,
        }
    }
    let (text, span) = match file {
        Some(f) => (process_subst_output(parsed, f)?, f.span),
        None => literal_input(parsed, part)?,
    };
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let command = if line.starts_with('@') {
            line.split_once(char::is_whitespace).map(|(_, c)| c)
        } else {
            let first = line.split(char::is_whitespace).next().unwrap_or_default();
            if first.contains('=') {
                continue;
            }
            let mut rest = line;
            for _ in 0..5 {
                rest = rest
                    .trim_start()
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, r)| r);
            }
            Some(rest)
        };
        if let Some(c) = command.map(str::trim).filter(|c| !c.is_empty()) {
            out.push_str(c);
            out.push('\n');
        }
    }
    (!out.is_empty()).then_some((out, span))
}

/// The script `at -f FILE` (or `batch -f FILE`) queues when FILE is a process substitution
/// that prints literal text (`at now -f <(echo 'rm -rf /')`, [`process_subst_output`]), and
/// where it is; `None` for any other part. (What `at` reads on standard input is read by the
/// parser.)
pub(super) fn job_file_input(parsed: &Parsed, part: &Part) -> Option<(String, Span)> {
    let mut words = part.argv.iter().skip(1);
    while let Some(w) = words.next() {
        if w.text == "-f" {
            let f = words.next()?;
            return Some((process_subst_output(parsed, f)?, f.span));
        }
    }
    None
}
