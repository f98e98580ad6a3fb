//! A recursive-descent reader of bash command lines.
//!
//! It reads the way `bash -c LINE` would, without expanding or running anything, and records
//! every simple command that can run as a [`Part`]. Work is linear in the input: every byte is
//! looked at a bounded number of times (script strings are re-read once per nesting level, and
//! nesting is capped), and recursion depth is capped so hostile input cannot exhaust the stack.

use super::types::{
    Fd, Heredoc, Opaque, OpaqueKind, Origin, Parsed, Part, Redirect, RedirectOp, Span, Word,
    WordFlags,
};
use super::wrappers::{self, Runs};
use compact_str::CompactString;

/// Bounds on the work the parser does for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Inputs longer than this (bytes) are opaque, though still read for deny rules.
    pub max_len: usize,
    /// Inputs longer than this (bytes) are not read at all.
    pub hard_len: usize,
    /// How deeply substitutions, groups, quotes and script strings may nest.
    pub max_depth: u32,
    /// How many parts are kept; beyond that the command is opaque.
    pub max_parts: usize,
    /// How many wrappers may be stacked (`sudo env nice …`).
    pub max_wrappers: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_len: 64 * 1024,
            hard_len: 1024 * 1024,
            max_depth: 48,
            max_parts: 4096,
            max_wrappers: 12,
        }
    }
}

/// Parses one command line. Never fails and never panics: whatever is not understood is
/// reported in [`Parsed::opaque`], and every part that could be read is still returned.
///
/// # Untrusted input
///
/// Work is linear in the input size and bounded by [`Limits::default`]; nesting is capped, so
/// no input overflows the stack (the parser needs well under 1 MiB of stack at the cap).
pub fn parse(input: &str) -> Parsed {
    parse_with(input, &Limits::default())
}

/// Parses raw bytes: text that is not UTF-8 is opaque (and read with replacement characters).
pub fn parse_bytes(input: &[u8]) -> Parsed {
    match std::str::from_utf8(input) {
        Ok(s) => parse(s),
        Err(e) => {
            let text = String::from_utf8_lossy(input);
            let mut p = parse(&text);
            let at = e.valid_up_to();
            p.opaque.insert(
                0,
                Opaque {
                    kind: OpaqueKind::ControlByte,
                    message: format!("the command is not valid UTF-8 (at byte {at})"),
                    span: Span(at, at + 1),
                },
            );
            p
        }
    }
}

/// [`parse`] with explicit limits.
pub fn parse_with(input: &str, limits: &Limits) -> Parsed {
    let mut out = Out {
        parts: Vec::with_capacity(4),
        opaque: Vec::new(),
        heredocs: Vec::new(),
        heredoc_refs: Vec::new(),
        pipelines: 0,
        pipeline_parent: Vec::new(),
        loop_values: Vec::new(),
        functions: Vec::new(),
        depth: 0,
        limits: *limits,
        dropped: false,
    };
    let len = input.len();
    if len > limits.hard_len {
        out.note(
            OpaqueKind::Limit,
            format!(
                "the command is {len} bytes; commands over {} bytes are not read",
                limits.hard_len
            ),
            Span(0, len),
        );
        return out.finish(len);
    }
    if len > limits.max_len {
        out.note(
            OpaqueKind::Limit,
            format!(
                "the command is {len} bytes, over the limit of {}",
                limits.max_len
            ),
            Span(0, len),
        );
    }
    check_control_bytes(input, &mut out, SpanMap::Offset(0));
    let mut p = P::new(input, SpanMap::Offset(0), &mut out, Origin::Top, None);
    let _ = p.program();
    out.finish(len)
}

fn check_control_bytes(s: &str, out: &mut Out, map: SpanMap) {
    let Some(i) = first_control_byte(s.as_bytes()) else {
        return;
    };
    let b = s.as_bytes()[i];
    let what = match b {
        0 => "a NUL byte".to_string(),
        b'\r' => "a carriage return".to_string(),
        _ => format!("the control byte 0x{b:02x}"),
    };
    out.note(
        OpaqueKind::ControlByte,
        format!("the command contains {what} (at byte {i})"),
        map.map(i, i + 1),
    );
}

/// Where the first byte below 0x20 (other than tab and newline) or equal to 0x7f is, eight
/// bytes at a time with no branch per byte (multi-line scripts are full of newlines, so a
/// test that lets them through must be exact, not a pre-test).
fn first_control_byte(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of the result is set exactly where that byte of `x` is zero
    // (no borrow crosses bytes: the sum of two 7-bit values fits in 8 bits).
    let zero = |x: u64| !(((x & LOW7) + LOW7) | x) & HIGH;
    let bad = |x: u64| {
        let below_space = zero(x & (ONES * 0xe0));
        let allowed = zero(x ^ (ONES * b'\t' as u64)) | zero(x ^ (ONES * b'\n' as u64));
        (below_space & !allowed) | zero(x ^ (ONES * 0x7f))
    };
    // Whether any byte is below 0x20 or is 0x7f, tab and newline included: exact for the
    // word as a whole (not per byte), and cheaper, so the exact mask is only made then.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        if below(x, 0x20) | below(x ^ (ONES * 0x7f), 1) == 0 {
            at += 8;
            continue;
        }
        let m = bad(x);
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = chunks.remainder();
    if rest.is_empty() {
        return None;
    }
    if bytes.len() < 8 {
        return rest
            .iter()
            .position(|&b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7f);
    }
    // The last eight bytes as one word: those before the remainder were found clean above,
    // so a hit is in the remainder. (Not copied into a padded buffer: a word loaded from
    // bytes just stored one by one stalls the processor.)
    let last = bytes.len() - 8;
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[last..]);
    let m = bad(u64::from_le_bytes(w));
    (m != 0).then(|| last + (m.trailing_zeros() / 8) as usize)
}

/// Output shared by the parser and the parsers of nested script strings.
struct Out {
    parts: Vec<Part>,
    opaque: Vec<Opaque>,
    /// Each here-document once read, with where its body lies in the input.
    heredocs: Vec<Option<(Heredoc, SpanMap)>>,
    /// (part index, redirect index, heredoc id)
    heredoc_refs: Vec<(usize, usize, usize)>,
    pipelines: u32,
    /// See [`Parsed::pipeline_parent`].
    pipeline_parent: Vec<(u32, u32, u32)>,
    /// See [`Parsed::loop_values`].
    loop_values: Vec<(CompactString, CompactString)>,
    /// See [`Parsed::functions`].
    functions: Vec<CompactString>,
    depth: u32,
    limits: Limits,
    dropped: bool,
}

impl Out {
    fn note(&mut self, kind: OpaqueKind, message: String, span: Span) {
        // INVARIANT: the list stays small; the same message is recorded once.
        if self.opaque.len() < 32 && !self.opaque.iter().any(|o| o.message == message) {
            self.opaque.push(Opaque {
                kind,
                message,
                span,
            });
        }
    }

    /// The result, taken out of `self` (by reference: moving the whole `Out` in costs a
    /// copy the processor stalls on).
    fn finish(&mut self, len: usize) -> Parsed {
        for (pi, ri, id) in std::mem::take(&mut self.heredoc_refs) {
            if let (Some(Some((h, _))), Some(part)) =
                (self.heredocs.get(id), self.parts.get_mut(pi))
            {
                if let Some(r) = part.redirects.get_mut(ri) {
                    r.heredoc = Some(h.clone());
                }
            }
        }
        Parsed {
            parts: std::mem::take(&mut self.parts),
            opaque: std::mem::take(&mut self.opaque),
            len,
            pipeline_parent: std::mem::take(&mut self.pipeline_parent),
            loop_values: std::mem::take(&mut self.loop_values),
            functions: std::mem::take(&mut self.functions),
        }
    }
}

/// How positions in the text being read map to the original input.
#[derive(Debug, Clone, Copy)]
enum SpanMap {
    /// The text is a verbatim slice of the input starting here.
    Offset(usize),
    /// The text was decoded from this span of the input (escapes, joined words).
    Fixed(Span),
}

impl SpanMap {
    fn map(self, s: usize, e: usize) -> Span {
        match self {
            SpanMap::Offset(b) => Span(b + s, b + e),
            SpanMap::Fixed(sp) => sp,
        }
    }
}

/// The parse stops: the reason is already recorded.
#[derive(Debug)]
struct Stop;

type R<T> = Result<T, Stop>;

struct Pending {
    id: usize,
    delim: String,
    strip: bool,
    quoted: bool,
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
    "done", "in", "function", "time", "{", "}", "!", "[[", "]]", "coproc",
];

/// Whether `needle` occurs in `hay`: a test of each byte against the needle's first
/// (`str::contains` builds a two-way searcher for each word, most of which are a few bytes
/// long; the needle, `find`'s `{}` or `xargs -I`'s string, is short).
fn holds_bytes(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    hay.iter()
        .enumerate()
        .any(|(i, &c)| c == first && hay[i + 1..].starts_with(rest))
}

/// `via` of a value read as a script: `ssh command` for the variables whose value runs in
/// place of ssh (`GIT_SSH_COMMAND`, `RSYNC_RSH`), `command variable` for the others.
pub(crate) fn command_variable_via(name: &str) -> &'static str {
    match name {
        "GIT_SSH_COMMAND" | "RSYNC_RSH" => "ssh command",
        _ => "command variable",
    }
}

/// Variables whose value is a command that programs run with a shell (git, man, crontab,
/// npm, ssh): an assignment of one is read as a script ([`P::assigned_commands`]), and so
/// is an `export` or `declare` of one (`wrappers::analyze`). A value only known at run time
/// makes the command opaque, as a script string does.
pub(crate) const COMMAND_VARIABLES: &[&str] = &[
    "GIT_SSH_COMMAND",
    "GIT_PROXY_COMMAND",
    "GIT_EDITOR",
    "GIT_PAGER",
    "GIT_EXTERNAL_DIFF",
    "GIT_SEQUENCE_EDITOR",
    "PAGER",
    "MANPAGER",
    "EDITOR",
    "VISUAL",
    "BROWSER",
    "SUDO_EDITOR",
    "RSYNC_RSH",
    "PROMPT_COMMAND",
];

/// `shopt` options that do not change how bash reads a command line: what a glob expands to
/// (globs are dynamic words whatever it is), and interactive conveniences.
const SHOPT_INERT: &[&str] = &[
    "nullglob",
    "failglob",
    "dotglob",
    "globstar",
    "nocaseglob",
    "nocasematch",
    "globasciiranges",
    "globskipdots",
    "checkwinsize",
    "histappend",
    "cmdhist",
    "lithist",
    "histreedit",
    "histverify",
    "checkhash",
    "checkjobs",
    "huponexit",
    "cdspell",
    "dirspell",
    "direxpand",
    "autocd",
    "cdable_vars",
    "inherit_errexit",
    "mailwarn",
    "no_empty_cmd_completion",
    "progcomp",
    "progcomp_alias",
    "hostcomplete",
    "complete_fullquote",
    "force_fignore",
    "shift_verbose",
    "sourcepath",
];

/// Whether `shopt` (`argv`) sets or unsets an option that may change how bash reads the
/// rest of the command line (`extglob`, `expand_aliases`, `xpg_echo`, …, or one only known
/// at run time). The glob options (`nullglob`, `dotglob`, …) change what a glob expands to,
/// and globs are dynamic words already: they are [`SHOPT_INERT`].
fn shopt_changes_reading(argv: &[Word]) -> bool {
    let args = argv.get(1..).unwrap_or_default();
    if args.iter().any(Word::is_dynamic) {
        // (`shopt $FLAG extglob`, `shopt -s $OPT`.)
        return true;
    }
    args.iter()
        .any(|w| w.text.starts_with("-s") || w.text.starts_with("-u"))
        && args
            .iter()
            .any(|w| !w.text.starts_with('-') && !SHOPT_INERT.contains(&w.text.as_str()))
}

/// The builtins [`P::check_builtin_named`] looks at.
const READING_BUILTINS: [&str; 5] = ["alias", "shopt", "enable", "hash", "set"];

/// One bit per first byte (its low five bits) of the [`READING_BUILTINS`] of each length.
static READING_FIRST: [u32; 8] = {
    let mut t = [0u32; 8];
    let mut i = 0;
    while i < READING_BUILTINS.len() {
        let b = READING_BUILTINS[i].as_bytes();
        t[b.len()] |= 1 << (b[0] & 31);
        i += 1;
    }
    t
};

/// False when `name` is none of the [`READING_BUILTINS`] (true does not say it is one).
fn may_change_reading(name: &[u8]) -> bool {
    match (READING_FIRST.get(name.len()), name.first()) {
        (Some(bits), Some(&c)) => bits >> (c & 31) & 1 != 0,
        _ => false,
    }
}

/// Multiplier of [`reserved_slot`]: it gives each of the [`RESERVED`] words its own slot of
/// 32 (found by a search; `RESERVED_SLOTS` fails to compile if a word is added that collides).
const RESERVED_MUL: u64 = 0x14a0_b00b_b835_e8a5;

/// Up to eight bytes as a little-endian integer (the key of a reserved word).
const fn word_key(b: &[u8]) -> u64 {
    let mut k = 0u64;
    let mut i = 0;
    while i < b.len() && i < 8 {
        k |= (b[i] as u64) << (8 * i);
        i += 1;
    }
    k
}

const fn reserved_slot(key: u64) -> usize {
    (key.wrapping_mul(RESERVED_MUL) >> 59) as usize
}

/// The [`RESERVED`] words by [`reserved_slot`] of their key: a word is reserved exactly when
/// the slot of its key holds that key and a word of its length. (One lookup instead of comparing with each word in
/// turn; words starting with a letter some reserved word starts with, `find`, `echo`,
/// `cd`, `sudo`, were compared with every one of the same length.)
static RESERVED_SLOTS: [(u64, Option<&'static str>); 32] = {
    let mut t: [(u64, Option<&'static str>); 32] = [(0, None); 32];
    let mut i = 0;
    while i < RESERVED.len() {
        let w = RESERVED[i].as_bytes();
        assert!(
            !w.is_empty() && w.len() <= 8,
            "a reserved word has one to eight bytes"
        );
        let k = word_key(w);
        let slot = reserved_slot(k);
        assert!(
            t[slot].1.is_none(),
            "two reserved words share a slot: change RESERVED_MUL"
        );
        t[slot] = (k, Some(RESERVED[i]));
        i += 1;
    }
    t
};

/// Words that end a list when they stand where a command would.
const LIST_END: &[&str] = &["then", "else", "elif", "fi", "do", "done", "esac", "}"];

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// `name` or `name[…]`, the left side of an assignment.
fn is_assign_lhs(s: &str) -> bool {
    let s = s.strip_suffix('+').unwrap_or(s);
    match s.find('[') {
        Some(i) => is_name(&s[..i]) && s.ends_with(']'),
        None => is_name(s),
    }
}

/// `NAME=…`: bash expands `~` after its `=` and after `:` in such words.
fn is_assign_like(text: &str) -> bool {
    let first = text.as_bytes().first().copied().unwrap_or(b'0');
    (first.is_ascii_alphabetic() || first == b'_')
        && text.find('=').is_some_and(|i| is_assign_lhs(&text[..i]))
}

/// Byte classes, looked up in one table on the hot paths.
const PLAIN: u8 = 1;
const META: u8 = 2;
const WORD_END: u8 = 4;
/// Bytes a redirection can start with (`<`, `>`, `&>`, a descriptor number, `{name}`).
const REDIR_START: u8 = 8;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'_' | b'.' | b'/' | b':' | b'@' | b'%' | b'+' | b'^' | b'!' | b'=' | b','
            )
            || c >= 0x80
        {
            t[i] |= PLAIN;
        }
        if matches!(
            c,
            b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
        ) {
            t[i] |= META;
        }
        if matches!(c, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b')') {
            t[i] |= WORD_END;
        }
        if matches!(c, b'<' | b'>' | b'&' | b'{' | b'0'..=b'9') {
            t[i] |= REDIR_START;
        }
        i += 1;
    }
    t
};

/// A word [`P::fast_word`] can take whole: `len` bytes of input whose value is the input at
/// `value` (the inside of the quotes when `quoted`).
struct FastWord {
    len: usize,
    value: std::ops::Range<usize>,
    quoted: bool,
}

impl FastWord {
    /// An unquoted `NAME=value` (a quoted word never is an assignment).
    fn is_assign_like(&self, src: &str) -> bool {
        !self.quoted
            && holds_eq(src.as_bytes(), self.value.clone())
            && is_assign_like(&src[self.value.clone()])
    }
}

/// Whether `b[r]` holds a `=`, eight bytes at a time, each eight loaded from the input where
/// it has them. Asked of every command's first word, where a scan byte by byte ends with a
/// branch at a length that varies. (Measured over the corpora with callgrind: 0.8% fewer
/// instructions a pass and fewer mispredictions in its branch model; no change in wall
/// time could be told from this machine's noise. See benches/RESULTS.md.)
fn holds_eq(b: &[u8], r: std::ops::Range<usize>) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = r.start;
    while i < r.end {
        let Some(chunk) = b.get(i..i + 8) else {
            return b.get(i..r.end).is_some_and(|t| t.contains(&b'='));
        };
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w) ^ (ONES * u64::from(b'='));
        // The high bit of a byte is set where that byte is `=`, and maybe above one: masked
        // to the word's bytes, the test is exact (a false bit has a true one below it).
        let z = x.wrapping_sub(ONES) & !x & HIGH;
        let n = r.end - i;
        let mask = if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        if z & mask != 0 {
            return true;
        }
        i += 8;
    }
    false
}

/// Bytes that never need more than copying: the fast path of [`P::word`].
fn is_plain_byte(c: u8) -> bool {
    CLASS[c as usize] & PLAIN != 0
}

/// How many bytes at the start of `rest` are plain, counted eight at a time: a mask of
/// eight table tests and one count of its trailing zeros, so that a word's end is found with
/// no branch per byte (cachegrind's branch model put about 92k mispredicted exits of the byte
/// loop in a pass, where the corpora's parts hold 123k words, wrappers' copies included).
/// Fewer than eight bytes left are counted in the last eight bytes of `rest`, shifted into
/// place; only an input shorter than eight bytes is counted byte by byte.
#[inline(always)]
fn plain_len(rest: &[u8]) -> usize {
    // Bit `i` set where `chunk[i]` is not plain.
    let not_plain = |chunk: &[u8; 8]| {
        let mut m = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            m |= u32::from(CLASS[c as usize] & PLAIN == 0) << i;
        }
        m
    };
    let mut n = 0;
    while let Some(chunk) = rest.get(n..n + 8).and_then(|c| c.first_chunk::<8>()) {
        let m = not_plain(chunk);
        if m != 0 {
            return n + m.trailing_zeros() as usize;
        }
        n += 8;
    }
    let left = rest.len() - n;
    match rest.last_chunk::<8>() {
        // The last `left` bytes of the chunk are the ones not counted yet; the bit past them
        // stands for the end of the input.
        Some(last) => n + ((not_plain(last) >> (8 - left)) | (1 << left)).trailing_zeros() as usize,
        None => rest.iter().take_while(|c| is_plain_byte(**c)).count(),
    }
}

fn is_meta(c: u8) -> bool {
    CLASS[c as usize] & META != 0
}

struct P<'s, 'o> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
    end: usize,
    map: SpanMap,
    out: &'o mut Out,
    origin: Origin,
    via: Option<&'static str>,
    in_subst: u32,
    pipe: (u32, u32),
    pending: Vec<Pending>,
    /// The last answer of [`P::reserved`] and where (asked several times per command).
    reserved_at: std::cell::Cell<Option<(usize, Option<&'static str>)>>,
    /// A process substitution was read, at this substitution depth, since the last simple
    /// command at that depth was ended: only then can that command be a shell reading one as
    /// its script ([`P::process_subst_script`]). (The depth keeps the commands of a later
    /// `$(…)` in the same command from taking it.)
    procsubst: Option<u32>,
    /// A redirection that writes a file was read: only then can a later shell run a script
    /// the command line wrote ([`P::written_script`]).
    wrote: bool,
}

impl<'s, 'o> P<'s, 'o> {
    fn new(
        src: &'s str,
        map: SpanMap,
        out: &'o mut Out,
        origin: Origin,
        via: Option<&'static str>,
    ) -> Self {
        P {
            src,
            b: src.as_bytes(),
            pos: 0,
            end: src.len(),
            map,
            out,
            origin,
            via,
            in_subst: 0,
            pipe: (0, 0),
            pending: Vec::new(),
            reserved_at: std::cell::Cell::new(None),
            procsubst: None,
            wrote: false,
        }
    }

    // ---- low-level reading -------------------------------------------------------------

    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.b[self.pos])
    }

    fn at(&self, k: usize) -> Option<u8> {
        let i = self.pos + k;
        (i < self.end).then(|| self.b[i])
    }

    fn starts(&self, s: &str) -> bool {
        self.b[self.pos..self.end].starts_with(s.as_bytes())
    }

    fn span(&self, s: usize, e: usize) -> Span {
        self.map.map(s, e)
    }

    fn fail(&mut self, kind: OpaqueKind, msg: String, at: usize) -> Stop {
        let sp = self.span(at, (at + 1).min(self.end).max(at));
        self.out.note(kind, msg, sp);
        Stop
    }

    fn syntax(&mut self, msg: &str) -> Stop {
        let found = match self.peek() {
            None => "the end of the command".to_string(),
            Some(b'\n') => "a newline".to_string(),
            Some(_) => {
                let rest = &self.src[self.pos..self.end];
                let tok: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(12)
                    .collect();
                format!("`{tok}`")
            }
        };
        self.fail(
            OpaqueKind::Syntax,
            format!("syntax: {msg}, found {found}"),
            self.pos,
        )
    }

    fn note(&mut self, kind: OpaqueKind, msg: String, s: usize, e: usize) {
        let sp = self.span(s, e);
        self.out.note(kind, msg, sp);
    }

    fn enter(&mut self) -> R<()> {
        self.out.depth += 1;
        if self.out.depth > self.out.limits.max_depth {
            let max = self.out.limits.max_depth;
            return Err(self.fail(
                OpaqueKind::Limit,
                format!("the command nests deeper than {max} levels"),
                self.pos,
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.out.depth = self.out.depth.saturating_sub(1);
    }

    /// Spaces, tabs and line continuations.
    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' => self.pos += 1,
                b'\\' if self.at(1) == Some(b'\n') => self.pos += 2,
                _ => break,
            }
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Blanks, comments and newlines (reading here-documents after each newline).
    fn skip_space(&mut self) -> R<()> {
        loop {
            self.skip_blanks();
            match self.peek() {
                Some(b'#') => self.skip_comment(),
                Some(b'\n') => self.newline()?,
                _ => return Ok(()),
            }
        }
    }

    fn newline(&mut self) -> R<()> {
        self.pos += 1;
        if !self.pending.is_empty() {
            self.read_heredocs()?;
        }
        Ok(())
    }

    /// The reserved word at the current position, if one stands there as a whole word.
    #[inline]
    fn reserved(&self) -> Option<&'static str> {
        if let Some((at, r)) = self.reserved_at.get() {
            if at == self.pos {
                return r;
            }
        }
        let r = self.reserved_uncached();
        self.reserved_at.set(Some((self.pos, r)));
        r
    }

    #[inline(never)]
    fn reserved_uncached(&self) -> Option<&'static str> {
        let rest = &self.b[self.pos..self.end];
        // Every reserved word starts with one of these bytes; most commands do not.
        // (reserved_lookup_agrees fails when a letter is missing. A test in front of the
        // cache, inlined where `reserved` is called, and a 256-entry table instead of this
        // `matches!` each made the parse bench slower.)
        let first = rest.first().copied().unwrap_or(0);
        if !matches!(
            first,
            b'i' | b't'
                | b'e'
                | b'f'
                | b'c'
                | b's'
                | b'w'
                | b'u'
                | b'd'
                | b'{'
                | b'}'
                | b'!'
                | b'['
                | b']'
        ) {
            return None;
        }
        // How many bytes lead up to a metacharacter, of the first nine: a reserved word has
        // at most eight. (Nine table tests with no branch when the input has nine bytes
        // left; the bit past them stops the count at nine.)
        let n = match rest.get(..9) {
            Some(nine) => {
                let mut meta = 1u32 << 9;
                for (i, &c) in nine.iter().enumerate() {
                    meta |= u32::from(is_meta(c)) << i;
                }
                meta.trailing_zeros() as usize
            }
            None => rest.iter().take_while(|c| !is_meta(**c)).count(),
        };
        if n == 0 || n > 8 {
            return None;
        }
        let key = match rest.get(..8) {
            Some(eight) => {
                let mut b = [0u8; 8];
                b.copy_from_slice(eight);
                u64::from_le_bytes(b) & (u64::MAX >> (64 - 8 * n))
            }
            None => word_key(&rest[..n]),
        };
        // (The length too: a NUL byte adds nothing to a key, so `coproc\0` has coproc's.)
        let (k, word) = RESERVED_SLOTS[reserved_slot(key)];
        word.filter(|w| k == key && w.len() == n)
    }

    fn expect_reserved(&mut self, w: &str) -> R<()> {
        self.skip_space()?;
        if self.reserved() == Some(w) {
            self.pos += w.len();
            Ok(())
        } else {
            Err(self.syntax(&format!("expected `{w}`")))
        }
    }

    // ---- grammar -----------------------------------------------------------------------

    fn program(&mut self) -> R<()> {
        let r = self.program_inner();
        if r.is_ok() && !self.pending.is_empty() {
            // Here-documents cut short by the end of input: bash warns and uses what it has.
            let _ = self.read_heredocs();
        }
        r
    }

    fn program_inner(&mut self) -> R<()> {
        self.list()?;
        self.skip_space()?;
        if self.pos < self.end {
            return Err(self.syntax("unexpected token"));
        }
        Ok(())
    }

    fn at_list_end(&self) -> bool {
        match self.peek() {
            None | Some(b')') => true,
            Some(b';') => matches!(self.at(1), Some(b';' | b'&')),
            _ => self.reserved().is_some_and(|w| LIST_END.contains(&w)),
        }
    }

    fn list(&mut self) -> R<()> {
        self.enter()?;
        loop {
            self.skip_space()?;
            if self.at_list_end() {
                break;
            }
            let first = self.out.parts.len();
            self.and_or()?;
            self.skip_blanks();
            match self.peek() {
                Some(b';') if !matches!(self.at(1), Some(b';' | b'&')) => self.pos += 1,
                Some(b'&') if self.at(1) != Some(b'&') => {
                    self.pos += 1;
                    let n = self.out.parts.len();
                    for p in &mut self.out.parts[first.min(n)..] {
                        p.background = true;
                    }
                }
                Some(b'\n' | b'#') => {}
                _ => break,
            }
        }
        self.leave();
        Ok(())
    }

    fn and_or(&mut self) -> R<()> {
        self.pipeline()?;
        loop {
            self.skip_blanks();
            if self.starts("&&") || self.starts("||") {
                self.pos += 2;
                self.skip_space()?;
                self.pipeline()?;
            } else {
                return Ok(());
            }
        }
    }

    fn pipeline(&mut self) -> R<()> {
        loop {
            self.skip_blanks();
            match self.reserved() {
                Some("time") => {
                    self.pos += 4;
                    self.skip_blanks();
                    if self.starts("-p") && self.at(2).is_none_or(is_meta) {
                        self.pos += 2;
                    }
                    self.skip_blanks();
                    if self.at_list_end() || matches!(self.peek(), Some(b';' | b'&' | b'\n')) {
                        return Ok(());
                    }
                }
                Some("!") => self.pos += 1,
                _ => break,
            }
        }
        let id = self.out.pipelines;
        self.out.pipelines = self.out.pipelines.saturating_add(1);
        let saved = self.pipe;
        let mut stage = 0;
        // The pipelines made inside stage 0 (ids from, to): they are inside this pipeline's
        // first stage if a second one follows (`pipeline_parent`).
        let mut first_made = (0u32, 0u32);
        loop {
            self.pipe = (id, stage);
            let from = self.out.pipelines;
            self.command()?;
            let to = self.out.pipelines;
            if to > from {
                if stage == 0 {
                    first_made = (from, to);
                } else {
                    self.adopt(from..to, id, stage);
                }
            }
            self.skip_blanks();
            if self.peek() == Some(b'|') && self.at(1) != Some(b'|') {
                self.pos += 1;
                if self.peek() == Some(b'&') {
                    self.pos += 1;
                }
                self.skip_space()?;
                stage += 1;
                if stage == 1 && first_made.1 > first_made.0 {
                    self.adopt(first_made.0..first_made.1, id, 0);
                }
            } else {
                break;
            }
        }
        self.pipe = saved;
        Ok(())
    }

    /// Records that the pipelines `ids`, made inside stage `stage` of pipeline `id` (one of
    /// several stages), are inside it, where no nearer pipeline holds them already.
    #[cold]
    fn adopt(&mut self, ids: std::ops::Range<u32>, id: u32, stage: u32) {
        for child in ids {
            if !self.out.pipeline_parent.iter().any(|e| e.0 == child) {
                self.out.pipeline_parent.push((child, id, stage));
            }
        }
    }

    fn command(&mut self) -> R<()> {
        self.skip_blanks();
        let first = self.out.parts.len();
        let start = self.pos;
        if self.starts("((") && self.arith_closes(self.pos + 2) {
            self.pos += 2;
            self.arith_body(b')')?;
            return self.compound_redirects(first);
        }
        match self.reserved() {
            Some("{") => {
                self.pos += 1;
                self.enter()?;
                self.list()?;
                self.expect_reserved("}")?;
                self.leave();
                self.compound_redirects(first)
            }
            Some("if") => {
                self.pos += 2;
                self.enter()?;
                self.list()?;
                self.expect_reserved("then")?;
                self.list()?;
                loop {
                    self.skip_space()?;
                    match self.reserved() {
                        Some("elif") => {
                            self.pos += 4;
                            self.list()?;
                            self.expect_reserved("then")?;
                            self.list()?;
                        }
                        Some("else") => {
                            self.pos += 4;
                            self.list()?;
                            self.expect_reserved("fi")?;
                            break;
                        }
                        _ => {
                            self.expect_reserved("fi")?;
                            break;
                        }
                    }
                }
                self.leave();
                self.compound_redirects(first)
            }
            Some(w @ ("while" | "until")) => {
                self.pos += w.len();
                self.enter()?;
                self.list()?;
                self.expect_reserved("do")?;
                self.list()?;
                self.expect_reserved("done")?;
                self.leave();
                self.compound_redirects(first)
            }
            Some(w @ ("for" | "select")) => {
                self.pos += w.len();
                self.enter()?;
                self.for_loop(w)?;
                self.leave();
                self.compound_redirects(first)
            }
            Some("case") => {
                self.pos += 4;
                self.enter()?;
                self.case()?;
                self.leave();
                self.compound_redirects(first)
            }
            Some("[[") => {
                self.pos += 2;
                self.cond()?;
                self.compound_redirects(first)
            }
            Some("function") => {
                self.pos += 8;
                self.skip_blanks();
                let name = self.word(false, false)?.0;
                self.skip_blanks();
                if self.starts("()") {
                    self.pos += 2;
                } else if self.peek() == Some(b'(') {
                    self.pos += 1;
                    self.skip_blanks();
                    if self.peek() != Some(b')') {
                        return Err(self.syntax("expected `)`"));
                    }
                    self.pos += 1;
                }
                self.function_body(&name.text, start)
            }
            Some("coproc") => {
                self.pos += 6;
                let e = self.pos;
                self.note(
                    OpaqueKind::Unsupported,
                    "`coproc` runs a command in the background with pipes the parser does not model".into(),
                    start,
                    e,
                );
                self.skip_blanks();
                // `coproc NAME { …; }`: skip the name when a compound command follows.
                let save = self.pos;
                let n = self.b[self.pos..self.end]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                self.pos += n;
                self.skip_blanks();
                if !(self.peek() == Some(b'{') || self.peek() == Some(b'(')) || n == 0 {
                    self.pos = save;
                }
                self.command()
            }
            Some(
                w @ ("then" | "else" | "elif" | "fi" | "do" | "done" | "esac" | "}" | "in" | "]]"),
            ) => Err(self.syntax(&format!("unexpected `{w}`"))),
            _ if self.peek() == Some(b'(') => {
                self.pos += 1;
                self.enter()?;
                self.list()?;
                self.skip_space()?;
                if self.peek() != Some(b')') {
                    return Err(self.syntax("expected `)` to close the subshell"));
                }
                self.pos += 1;
                self.leave();
                self.compound_redirects(first)
            }
            _ => self.simple_command(),
        }
    }

    /// Redirections after a compound command apply to every command inside it.
    fn compound_redirects(&mut self, first: usize) -> R<()> {
        // The parts made so far are the compound command's; those of substitutions in the
        // redirections' targets (`done < <(echo /)`) are not redirected by them.
        let end = self.out.parts.len();
        let mut redirs = Vec::new();
        loop {
            self.skip_blanks();
            if self.redirect_starts() {
                redirs.push(self.redirect()?);
            } else {
                break;
            }
        }
        if redirs.is_empty() {
            return Ok(());
        }
        for pi in first..end {
            for (r, id) in &redirs {
                let part = &mut self.out.parts[pi];
                part.redirects.push(r.clone());
                if let Some(id) = id {
                    self.out
                        .heredoc_refs
                        .push((pi, part.redirects.len() - 1, *id));
                }
            }
        }
        Ok(())
    }

    fn function_body(&mut self, name: &str, start: usize) -> R<()> {
        let e = self.pos;
        if self.out.functions.len() < 64 && !self.out.functions.iter().any(|f| f == name) {
            self.out.functions.push(name.into());
        }
        self.note(
            OpaqueKind::Definition,
            format!("defines a function `{name}`, which changes what later commands mean"),
            start,
            e,
        );
        self.skip_space()?;
        self.enter()?;
        self.command()?;
        self.leave();
        Ok(())
    }

    fn for_loop(&mut self, kw: &str) -> R<()> {
        self.skip_blanks();
        if kw == "for" && self.starts("((") {
            self.pos += 2;
            self.arith_body(b')')?;
        } else {
            let (name, _) = self.word(false, false)?;
            if !is_name(&name.text) {
                return Err(self.syntax(&format!("`{kw}` needs a variable name")));
            }
            self.skip_blanks();
            if matches!(self.peek(), Some(b';')) {
                self.pos += 1;
            }
            self.skip_space()?;
            if self.reserved() == Some("in") {
                self.pos += 2;
                loop {
                    self.skip_blanks();
                    match self.peek() {
                        None | Some(b';' | b'\n') => break,
                        Some(b'#') => {
                            self.skip_comment();
                            break;
                        }
                        Some(c) if is_meta(c) => {
                            return Err(self.syntax("unexpected token in `for … in`"));
                        }
                        _ => {
                            let (w, _) = self.word(false, false)?;
                            // (A glob as written: rules match its pattern.)
                            let glob = w.flags.dynamic_part() == WordFlags::GLOB;
                            if (!w.is_dynamic() || glob) && self.out.loop_values.len() < 64 {
                                self.out.loop_values.push((name.text.clone(), w.text));
                            }
                        }
                    }
                }
            }
        }
        self.skip_blanks();
        if self.peek() == Some(b';') {
            self.pos += 1;
        }
        self.skip_space()?;
        if self.reserved() == Some("{") {
            self.pos += 1;
            self.list()?;
            return self.expect_reserved("}");
        }
        self.expect_reserved("do")?;
        self.list()?;
        self.expect_reserved("done")
    }

    fn case(&mut self) -> R<()> {
        self.skip_blanks();
        self.word(false, false)?;
        self.skip_space()?;
        self.expect_reserved("in")?;
        loop {
            self.skip_space()?;
            if self.reserved() == Some("esac") {
                self.pos += 4;
                return Ok(());
            }
            if self.peek().is_none() {
                return Err(self.syntax("expected `esac`"));
            }
            if self.peek() == Some(b'(') {
                self.pos += 1;
            }
            loop {
                self.skip_blanks();
                match self.peek() {
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(b'|') => self.pos += 1,
                    None => return Err(self.syntax("unterminated `case` pattern")),
                    Some(c) if is_meta(c) && !matches!(c, b'<' | b'>') => {
                        return Err(self.syntax("unexpected token in a `case` pattern"));
                    }
                    _ => {
                        self.word(false, false)?;
                    }
                }
            }
            self.list()?;
            self.skip_space()?;
            if self.starts(";;&") {
                self.pos += 3;
            } else if self.starts(";;") || self.starts(";&") {
                self.pos += 2;
            } else if self.reserved() != Some("esac") {
                return Err(self.syntax("expected `;;` or `esac`"));
            }
        }
    }

    /// `[[ … ]]`: operands are words; arithmetic comparisons of run-time values are opaque.
    fn cond(&mut self) -> R<()> {
        let start = self.pos - 2;
        let mut prev: Option<Word> = None;
        let mut arith_pending = false;
        loop {
            self.skip_blanks();
            match self.peek() {
                None => return Err(self.syntax("unterminated `[[`")),
                Some(b'\n') => {
                    self.newline()?;
                    continue;
                }
                _ => {}
            }
            if self.starts("]]") && self.at(2).is_none_or(is_meta) {
                self.pos += 2;
                break;
            }
            if self.starts("&&") || self.starts("||") {
                self.pos += 2;
                prev = None;
                continue;
            }
            if matches!(self.peek(), Some(b'(' | b')' | b'<' | b'>')) {
                self.pos += 1;
                prev = None;
                continue;
            }
            let (w, _) = self.word(false, false)?;
            let t = w.text.as_str();
            if matches!(t, "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge") {
                if let Some(p) = &prev {
                    if !is_int_literal(p) {
                        self.arith_opaque(start);
                    }
                }
                arith_pending = true;
            } else if t == "=~" && !w.is_dynamic() {
                self.skip_blanks();
                self.regex_operand()?;
                prev = None;
                continue;
            } else {
                if arith_pending && !is_int_literal(&w) {
                    self.arith_opaque(start);
                }
                arith_pending = false;
                if prev.as_ref().is_some_and(|p| p.text == "-v") && w.text.contains('[') {
                    self.arith_opaque(start);
                }
            }
            prev = Some(w);
        }
        Ok(())
    }

    fn arith_opaque(&mut self, start: usize) {
        let e = self.pos;
        self.note(
            OpaqueKind::Arithmetic,
            "arithmetic over run-time values can run commands (`a[$(cmd)]`)".into(),
            start,
            e,
        );
    }

    /// The right side of `=~`: a word in which `(`, `)` and `|` are literal.
    fn regex_operand(&mut self) -> R<()> {
        let mut depth = 0u32;
        let mut scratch = CompactString::default();
        let mut flags = WordFlags::empty();
        loop {
            match self.peek() {
                None => return Ok(()),
                Some(b' ' | b'\t' | b'\n') if depth == 0 => return Ok(()),
                Some(b'(') => {
                    depth += 1;
                    self.pos += 1;
                }
                Some(b')') => {
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                    self.pos += 1;
                }
                Some(b'\'') => self.single_quote(&mut scratch)?,
                Some(b'"') => self.double_quote(&mut scratch, &mut flags)?,
                Some(b'\\') => self.pos = (self.pos + 2).min(self.end),
                Some(b'$') => self.dollar(&mut scratch, &mut flags, false)?,
                Some(b'`') => self.backtick(&mut flags, false)?,
                Some(_) => self.pos += 1,
            }
        }
    }

    /// True when the `((` or `$((` whose inside starts at `from` closes with `))`.
    fn arith_closes(&self, from: usize) -> bool {
        let mut depth = 0u32;
        let mut i = from;
        while i < self.end {
            match self.b[i] {
                b'(' => depth += 1,
                b')' if depth == 0 => return self.b.get(i + 1) == Some(&b')') && i + 1 < self.end,
                b')' => depth -= 1,
                b'\\' => i += 1,
                b'\'' | b'"' => {
                    let q = self.b[i];
                    i += 1;
                    while i < self.end && self.b[i] != q {
                        if self.b[i] == b'\\' && q == b'"' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        false
    }

    /// The inside of `((…))`, `$((…))` or `$[…]`; `close` is `)` or `]`. Names, parameters
    /// and substitutions inside make the command opaque: bash evaluates their values as
    /// arithmetic, and `a[$(cmd)]` in a value runs `cmd`.
    fn arith_body(&mut self, close: u8) -> R<()> {
        let start = self.pos;
        self.enter()?;
        let mut depth = 0u32;
        let mut risky = false;
        let mut scratch = CompactString::default();
        let mut flags = WordFlags::empty();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.syntax("unterminated arithmetic"));
            };
            match c {
                b'(' => {
                    depth += 1;
                    self.pos += 1;
                }
                b')' if close == b')' && depth == 0 => {
                    if self.at(1) != Some(b')') {
                        return Err(self.syntax("expected `))`"));
                    }
                    self.pos += 2;
                    break;
                }
                b')' => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                }
                b']' if close == b']' && depth == 0 => {
                    self.pos += 1;
                    break;
                }
                b'$' => {
                    risky = true;
                    self.dollar(&mut scratch, &mut flags, true)?;
                }
                b'`' => {
                    risky = true;
                    self.backtick(&mut flags, true)?;
                }
                b'"' => {
                    risky = true;
                    self.double_quote(&mut scratch, &mut flags)?;
                }
                b'\'' => {
                    risky = true;
                    self.single_quote(&mut scratch)?;
                }
                b'\n' => self.newline()?,
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    // Digits with a base (`16#ff`, `0x1f`) are numbers, not names.
                    if !self.numeric_token_before(start) {
                        risky = true;
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        self.leave();
        if risky {
            let e = self.pos;
            self.note(
                OpaqueKind::Arithmetic,
                "arithmetic over run-time values can run commands (`a[$(cmd)]`)".into(),
                start,
                e,
            );
        }
        Ok(())
    }

    /// True when the token being read is a number written with a base or in hex (`0x1f`,
    /// `16#ff`), so its letters are digits.
    fn numeric_token_before(&self, start: usize) -> bool {
        let mut i = self.pos;
        while i > start
            && (self.b[i - 1].is_ascii_alphanumeric()
                || self.b[i - 1] == b'#'
                || self.b[i - 1] == b'_')
        {
            i -= 1;
        }
        let tok = &self.b[i..self.pos];
        let cur = self.b[self.pos];
        if !tok.first().is_some_and(u8::is_ascii_digit) {
            return false;
        }
        if tok.contains(&b'#') {
            return true;
        }
        let hex = tok.starts_with(b"0x") || tok.starts_with(b"0X");
        (tok == b"0" && matches!(cur, b'x' | b'X')) || (hex && cur.is_ascii_hexdigit())
    }

    // ---- simple commands ---------------------------------------------------------------

    fn redirect_starts(&self) -> bool {
        match self.peek() {
            Some(b'<' | b'>') => self.at(1) != Some(b'('),
            Some(b'&') => self.at(1) == Some(b'>'),
            Some(b'0'..=b'9') => {
                let n = self.b[self.pos..self.end]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                matches!(self.at(n), Some(b'<' | b'>')) && self.at(n + 1) != Some(b'(')
            }
            Some(b'{') => {
                let rest = &self.b[self.pos + 1..self.end];
                let n = rest
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                n > 0
                    && rest.get(n) == Some(&b'}')
                    && matches!(rest.get(n + 1), Some(b'<' | b'>'))
                    && is_name(std::str::from_utf8(&rest[..n]).unwrap_or(""))
            }
            _ => false,
        }
    }

    fn simple_command(&mut self) -> R<()> {
        let start = self.pos;
        let mut last_end = self.pos;
        let mut assigns: Vec<Word> = Vec::new();
        let mut argv: Vec<Word> = Vec::with_capacity(16);
        let mut redirs: Vec<Redirect> = Vec::new();
        // (redirect index, here-document id)
        let mut heredoc_ids: Vec<(usize, usize)> = Vec::new();
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else { break };
            // Most tokens are words led by a plain byte: one test sends them to the word
            // path, and only other bytes go through the dispatch below, a jump table.
            // (Callgrind's branch model counted 5% fewer mispredictions a pass over the
            // corpora; see benches/RESULTS.md for what wall time showed.)
            if CLASS[c as usize] & (PLAIN | REDIR_START) != PLAIN {
                match c {
                    b'\n' | b';' | b'|' | b')' => break,
                    b'&' if self.at(1) != Some(b'>') => break,
                    b'#' => {
                        self.skip_comment();
                        break;
                    }
                    b'(' => {
                        if argv.len() == 1 && assigns.is_empty() && redirs.is_empty() {
                            self.pos += 1;
                            self.skip_blanks();
                            if self.peek() != Some(b')') {
                                return Err(self.syntax("expected `)` after a function name"));
                            }
                            self.pos += 1;
                            let name = argv[0].text.clone();
                            return self.function_body(&name, start);
                        }
                        return Err(self.syntax("unexpected `(`"));
                    }
                    _ if CLASS[c as usize] & REDIR_START != 0 && self.redirect_starts() => {
                        let (r, id) = self.redirect()?;
                        last_end = self.pos;
                        if let Some(id) = id {
                            heredoc_ids.push((redirs.len(), id));
                        }
                        redirs.push(r);
                        continue;
                    }
                    _ => {}
                }
            }
            // The fast path is inlined here and its word pushed where it is made: returning
            // a word through `word` copies it through the stack in pieces that the processor
            // cannot forward to the wider loads that move it on (a stall per word, measured
            // with `perf`).
            let assign_ok = argv.is_empty();
            if let Some(f) = self.fast_word() {
                if assign_ok && f.is_assign_like(self.src) {
                    assigns.push(self.take_fast_word(f));
                } else {
                    argv.push(self.take_fast_word(f));
                }
            } else {
                // A declaration builtin's arguments are read as assignments are (`declare -a
                // a=(x y)`, `local -a b=()`), and stay its arguments.
                let decl = !assign_ok
                    && matches!(
                        argv[0].text.as_str(),
                        "declare" | "typeset" | "local" | "export" | "readonly"
                    );
                let (w, is_assign) = self.word_general(self.pos, assign_ok || decl, false)?;
                if assign_ok && is_assign {
                    assigns.push(w);
                } else {
                    argv.push(w);
                }
            }
            last_end = self.pos;
        }
        if argv.is_empty() && assigns.is_empty() && redirs.is_empty() {
            return Err(self.syntax("expected a command"));
        }
        let assigned = !assigns.is_empty();
        let part = Part {
            argv,
            assignments: assigns,
            redirects: redirs,
            origin: if self.in_subst > 0 {
                Origin::Substitution
            } else {
                self.origin
            },
            via: if self.in_subst == 0 { self.via } else { None },
            span: self.span(start, last_end),
            pipeline: self.pipe.0,
            stage: self.pipe.1,
            background: false,
            open_args: false,
        };
        self.check_builtin(&part);
        let runs = wrappers::analyze(&part.argv);
        if let Some(idx) = self.push_part(part) {
            for (ri, id) in heredoc_ids {
                self.out.heredoc_refs.push((idx, ri, id));
            }
            if assigned {
                self.assigned_commands(idx)?;
            }
            if !matches!(runs, Runs::Nothing) {
                self.apply_runs(idx, runs, 0)?;
            }
            // `bash <<< 'cmd'`, `ssh host <<< 'cmd'`: the here-string is the script.
            let has_here = self.out.parts[idx]
                .redirects
                .iter()
                .any(|r| r.op == RedirectOp::HereString);
            if has_here {
                self.here_string_scripts(idx)?;
            } else if self.pipe.1 > 0 {
                self.piped_script(idx)?;
            }
            if self.procsubst == Some(self.in_subst) {
                self.procsubst = None;
                self.process_subst_script(idx)?;
            }
            if self.wrote {
                self.written_script(idx)?;
            }
        }
        Ok(())
    }

    /// `bash <<< 'cmd'`, `ssh host <<< 'cmd'`: the here-strings of part `idx` are the script
    /// of the shell or ssh it runs; `python3 <<< 'os.system("…")'`: the code of the
    /// interpreter, whose shell-outs are read ([`P::code_shell_outs`]).
    #[cold]
    #[inline(never)]
    fn here_string_scripts(&mut self, idx: usize) -> R<()> {
        // (`tee x.sh <<< '…'` writes a file a later shell may run.)
        self.wrote |= is_named(&self.out.parts[idx], "tee");
        let here: Vec<Word> = self.out.parts[idx]
            .redirects
            .iter()
            .filter(|r| r.op == RedirectOp::HereString)
            .map(|r| r.target.clone())
            .collect();
        if let Some(via) = self.stdin_script_reader(idx) {
            for w in here {
                self.script(&[w], via, idx)?;
            }
        } else if let Some((lang, via)) = self.stdin_code_reader(idx) {
            // (Code only known at run time is left to the risk signals on the text.)
            for w in here.iter().filter(|w| !w.is_dynamic()) {
                let map = match w.verbatim_at {
                    Some(at) => SpanMap::Offset(at),
                    None => SpanMap::Fixed(w.span),
                };
                self.code_shell_outs(&w.text, map, lang, via)?;
            }
        }
        Ok(())
    }

    /// `GIT_SSH_COMMAND='CMD' git fetch`, `PAGER='CMD' man ls`: a variable assigned in front
    /// of a command (or alone) whose value is a command that programs run with a shell
    /// ([`COMMAND_VARIABLES`]) has that value read as a script (`via` = the variable's class,
    /// [`command_variable_via`]). A value only known at run time makes the command opaque
    /// (`GIT_SSH_COMMAND="ssh -i $KEY"`): the program hands it to a shell, as `sh -c` would.
    #[cold]
    #[inline(never)]
    fn assigned_commands(&mut self, idx: usize) -> R<()> {
        let mut dynamic = None;
        let found: Vec<(String, SpanMap, &'static str)> = self.out.parts[idx]
            .assignments
            .iter()
            .filter_map(|w| {
                let eq = w.text.find('=')?;
                if !COMMAND_VARIABLES.contains(&&w.text[..eq]) {
                    return None;
                }
                if w.is_dynamic() {
                    dynamic = Some((w.text[..eq].to_string(), w.span));
                    return None;
                }
                let start = eq + 1;
                let map = match w.verbatim_at {
                    Some(at) => SpanMap::Offset(at + start),
                    None => SpanMap::Fixed(w.span),
                };
                Some((
                    w.text[start..].to_string(),
                    map,
                    command_variable_via(&w.text[..eq]),
                ))
            })
            .collect();
        if let Some((name, span)) = dynamic {
            self.out.note(
                OpaqueKind::DynamicScript,
                format!("the command in `{name}` is only known at run time"),
                span,
            );
        }
        for (text, map, via) in found {
            if !text.trim().is_empty() {
                self.sub_parse(&text, map, Origin::Script, Some(via))?;
            }
        }
        Ok(())
    }

    /// `echo 'rm x' > x.sh; sh x.sh`: a shell (or `source`, or the file run as a program)
    /// whose script file an earlier `echo` or `printf` of the command line wrote by
    /// redirection runs what was printed; that text is read as the script, as for a pipe into
    /// the shell ([`P::printed_script`]). The latest such write is taken; anything else that
    /// writes the file (`cat`, a download) is left to the risk engine.
    #[cold]
    #[inline(never)]
    fn written_script(&mut self, idx: usize) -> R<()> {
        let part = &self.out.parts[idx];
        let Some(first) = part.argv.first().and_then(Word::literal) else {
            return Ok(());
        };
        let bare = |t: &str| t.strip_prefix("./").unwrap_or(t).to_string();
        let file = match super::types::basename(first) {
            "sh" | "bash" | "zsh" | "dash" | "ksh" | "mksh" | "ash" | "source" | "." => {
                match part.argv.get(1).and_then(Word::literal) {
                    Some(f) if !f.starts_with('-') => bare(f),
                    _ => return Ok(()),
                }
            }
            _ if first.contains('/') => bare(first),
            _ => return Ok(()),
        };
        let writer = self.out.parts[..idx].iter().rposition(|p| {
            p.redirects.iter().any(|r| {
                matches!(
                    r.op,
                    RedirectOp::Out | RedirectOp::Append | RedirectOp::Clobber
                ) && matches!(r.fd, None | Some(Fd::Number(1)))
                    && r.target.literal().is_some_and(|t| bare(t) == file)
            }) || is_named(p, "tee")
                && p.argv[1..].iter().any(|w| {
                    w.literal()
                        .is_some_and(|t| !t.starts_with('-') && bare(t) == file)
                })
        });
        let Some(k) = writer else {
            return Ok(());
        };
        let w = &self.out.parts[k];
        if is_printer(w) || inline_printer(w) {
            return self.printed_script(k, idx, "sh FILE");
        }
        if !copies_input_to_file(w) {
            return Ok(());
        }
        // What the `cat` or `tee` copies: its here-document, here-string, or the `echo` or
        // `printf` piped into it (`echo 'rm -rf /' | tee x.sh; sh x.sh`).
        let heredoc = self
            .out
            .heredoc_refs
            .iter()
            .rfind(|&&(pi, ri, _)| {
                pi == k
                    && w.redirects
                        .get(ri)
                        .is_some_and(|r| matches!(r.fd, None | Some(Fd::Number(0))))
            })
            .and_then(|&(_, _, id)| self.out.heredocs.get(id)?.as_ref());
        if let Some((h, map)) = heredoc {
            let (body, map) = (h.body.clone(), *map);
            return self.sub_parse(&body, map, Origin::Script, Some("sh FILE"));
        }
        let here: Vec<Word> = w
            .redirects
            .iter()
            .filter(|r| r.op == RedirectOp::HereString)
            .map(|r| r.target.clone())
            .collect();
        if !here.is_empty() {
            for h in here {
                self.script(&[h], "sh FILE", idx)?;
            }
            return Ok(());
        }
        let (pipeline, stage) = (w.pipeline, w.stage);
        let printer = self.out.parts[..k].iter().rposition(|p| {
            stage > 0
                && p.pipeline == pipeline
                && p.stage + 1 == stage
                && !matches!(p.origin, Origin::Substitution | Origin::Wrapper)
        });
        if let Some(j) = printer
            .filter(|&j| is_printer(&self.out.parts[j]) || inline_printer(&self.out.parts[j]))
        {
            self.printed_script(j, idx, "sh FILE")?;
        }
        Ok(())
    }

    /// `bash <(echo 'rm x')`, `source <(printf …)`, `sh < <(echo 'rm x')`: a shell (or
    /// `source`) whose script file, or a shell without one whose standard input, is a process
    /// substitution holding one `echo` or `printf` (or inline code that prints one literal)
    /// runs what it prints; that text is read as the script, as for a pipe into the shell
    /// ([`P::printed_script`]).
    /// Anything else in the substitution is left to the risk engine.
    #[cold]
    #[inline(never)]
    fn process_subst_script(&mut self, idx: usize) -> R<()> {
        let part = &self.out.parts[idx];
        if !matches!(
            program(part),
            Some("sh" | "bash" | "zsh" | "dash" | "ksh" | "mksh" | "ash" | "source" | ".")
        ) {
            return Ok(());
        }
        // The script file, or for a shell with no script file its standard input (`sh <
        // <(echo …)`).
        let stdin = || {
            let shell = !matches!(program(part), Some("source" | "."));
            let no_file = part.argv[1..]
                .iter()
                .all(|w| matches!(w.text.as_str(), "-s" | "-"));
            part.redirects
                .iter()
                .rfind(|r| r.op == RedirectOp::In && matches!(r.fd, None | Some(Fd::Number(0))))
                .filter(|_| shell && no_file)
                .map(|r| &r.target)
        };
        let Some(w) = part
            .argv
            .get(1)
            .filter(|w| w.text.starts_with("<("))
            .or_else(stdin)
        else {
            return Ok(());
        };
        // The whole word is the substitution.
        let one =
            w.text.starts_with("<(") && w.text.ends_with(')') && w.text[2..].find("<(").is_none();
        if !one {
            return Ok(());
        }
        let span = w.span;
        let mut inner = self.out.parts[..idx]
            .iter()
            .enumerate()
            .filter(|(_, p)| p.origin == Origin::Substitution && span.contains(p.span));
        let (Some((k, p)), None) = (inner.next(), inner.next()) else {
            return Ok(());
        };
        if is_printer(p) || inline_printer(p) {
            self.printed_script(k, idx, "echo | sh")?;
        }
        Ok(())
    }

    /// `echo rm -rf / | bash`, `printf 'x\n' | sh`: a shell that reads its script from a
    /// pipe whose one command prints literal text runs that text; it is read as a script. A
    /// printed text known only at run time (`echo "$X" | sh`) makes the command opaque; a
    /// `printf` format or `echo -e` escapes this parser does not expand do too. Other
    /// commands in front of the shell (`cat f | sh`) are left to the risk engine.
    #[cold]
    fn piped_script(&mut self, idx: usize) -> R<()> {
        let (id, stage) = self.pipe;
        // The stage in front: its commands (one, or those of a group: `{ echo a; echo b; }
        // | sh`), not counting the parts of their substitutions or the commands they wrap.
        // Found first: it is the cheap test that rules most pipes out. Every one of them
        // must print literal text; otherwise the pipe is left to the risk engine.
        // The commands of a group or subshell that is the stage are pipelines of their own,
        // recorded as inside it (`pipeline_parent`); pipelines are numbered in source
        // order, so none before this one's can be.
        let parents = &self.out.pipeline_parent;
        let mut producers: smallvec::SmallVec<[usize; 4]> = smallvec::SmallVec::new();
        for (k, p) in self.out.parts[..idx].iter().enumerate().rev() {
            if p.pipeline < id || (p.pipeline == id && p.stage + 1 < stage) {
                break;
            }
            if matches!(p.origin, Origin::Substitution | Origin::Wrapper) {
                continue;
            }
            let direct = p.pipeline == id && p.stage + 1 == stage;
            let inside = p.pipeline != id
                && !parents.is_empty()
                && parents.contains(&(p.pipeline, id, stage - 1));
            if !direct && !inside {
                continue;
            }
            // A pipe inside the stage (`{ echo a | tr a b; } | sh`): not read.
            if inside && p.stage > 0 {
                return Ok(());
            }
            if producers.len() == 16 {
                return Ok(());
            }
            producers.push(k);
        }
        if producers.is_empty() {
            return Ok(());
        }
        let printers = producers.iter().all(|&k| is_printer(&self.out.parts[k]));
        if printers {
            // (`echo … | tee x.sh` writes a file a later shell may run: [`P::written_script`].)
            self.wrote |= is_named(&self.out.parts[idx], "tee");
        } else if producers.len() > 1 || !inline_printer(&self.out.parts[producers[0]]) {
            // Inline code is read when it alone prints into a shell ([`inline_printed`]).
            return Ok(());
        }
        let redirected = self.out.parts[idx].redirects.iter().any(|r| {
            matches!(
                r.op,
                RedirectOp::In
                    | RedirectOp::Heredoc
                    | RedirectOp::HeredocStrip
                    | RedirectOp::ReadWrite
                    | RedirectOp::DupIn
            ) && matches!(r.fd, None | Some(Fd::Number(0)))
        });
        if redirected {
            return Ok(());
        }
        let Some(via) = self.stdin_script_reader(idx) else {
            if let [k] = producers[..] {
                self.printed_code(k, idx)?;
            }
            return Ok(());
        };
        // In the order they print.
        for &k in producers.iter().rev() {
            self.printed_script(k, idx, via)?;
        }
        Ok(())
    }

    /// `echo 'import os; os.system("…")' | python3`: when part `idx` is an interpreter reading
    /// its code from standard input, the shell-outs of what part `k` prints literally.
    #[cold]
    #[inline(never)]
    fn printed_code(&mut self, k: usize, idx: usize) -> R<()> {
        if let Some((lang, via)) = self.stdin_code_reader(idx) {
            if let Some((text, map)) = printed_literal(&self.out.parts[k]) {
                self.code_shell_outs(&text, map, lang, via)?;
            }
        }
        Ok(())
    }

    /// Reads what part `k` (an `echo` or a `printf`) prints into the shell of part `idx`
    /// ([`P::piped_script`]) as its script, or notes why it cannot.
    fn printed_script(&mut self, k: usize, idx: usize, via: &'static str) -> R<()> {
        let printer = program(&self.out.parts[k]);
        let argv = &self.out.parts[k].argv;
        let span = self.out.parts[k].span;
        let opaque = |what: &str| {
            (
                OpaqueKind::DynamicScript,
                format!("the script run by `{via}`, printed by {what}, is not read"),
            )
        };
        let note = match printer {
            Some("echo") => {
                // bash's echo: leading words of only `n`, `e`, `E` flags.
                let flags = argv[1..]
                    .iter()
                    .take_while(|w| {
                        !w.is_dynamic()
                            && w.text.len() > 1
                            && w.text.starts_with('-')
                            && w.text[1..].bytes().all(|b| matches!(b, b'n' | b'e' | b'E'))
                    })
                    .count();
                let words: Vec<Word> = argv[1 + flags..].to_vec();
                let escapes = argv[1..1 + flags].iter().any(|w| w.text.contains('e'));
                if escapes && words.iter().any(|w| w.text.contains('\\')) {
                    // What `echo -e` prints, when every escape is one it decodes and the
                    // words are literal (`echo -e '\x72\x6d -rf /' | sh`).
                    let decoded: Option<Vec<String>> = words
                        .iter()
                        .map(|w| {
                            (!w.is_dynamic())
                                .then(|| printed_escapes(&w.text, true))
                                .flatten()
                        })
                        .collect();
                    match (decoded, words.first(), words.last()) {
                        (Some(d), Some(a), Some(b)) => {
                            let sp = Span(a.span.0, b.span.1);
                            return self.sub_parse(
                                &d.join(" "),
                                SpanMap::Fixed(sp),
                                Origin::Script,
                                Some("echo | sh"),
                            );
                        }
                        _ => Some(opaque("`echo -e` (escapes)")),
                    }
                } else if words.is_empty() {
                    None
                } else {
                    return self.script(&words, "echo | sh", idx);
                }
            }
            Some("printf") => {
                let format = argv.get(1);
                let args: Vec<Word> = argv.iter().skip(2).cloned().collect();
                let joiner = format
                    .filter(|f| !f.is_dynamic())
                    .and_then(|f| printf_joiner(&f.text, &args));
                match format {
                    Some(f) if f.is_dynamic() => Some(opaque("`printf`")),
                    Some(f) if !f.text.contains(['%', '\\']) => {
                        let w = f.clone();
                        return self.script(std::slice::from_ref(&w), "echo | sh", idx);
                    }
                    // Escapes without a conversion: what the format prints, decoded
                    // (`printf '\x72\x6d -rf /' | sh`).
                    Some(f) if !f.text.contains('%') => {
                        let sp = f.span;
                        match printed_escapes(&f.text, false) {
                            Some(text) => {
                                return self.sub_parse(
                                    &text,
                                    SpanMap::Fixed(sp),
                                    Origin::Script,
                                    Some("echo | sh"),
                                );
                            }
                            None => Some(opaque("`printf` (escapes)")),
                        }
                    }
                    // A format that prints its arguments as they are, one after another
                    // ([`printf_joiner`]): `printf '%s\n' … | sh`, `printf %s 'rm -rf /' | sh`.
                    Some(_) if joiner.is_some() && !args.is_empty() => {
                        if args.iter().any(Word::is_dynamic) {
                            return self.script(&args, "echo | sh", idx);
                        }
                        let text = args
                            .iter()
                            .map(|w| w.text.as_str())
                            .collect::<Vec<_>>()
                            .join(joiner.unwrap_or("\n"));
                        let sp = match (args.first(), args.last()) {
                            (Some(a), Some(b)) => Span(a.span.0, b.span.1),
                            _ => span,
                        };
                        return self.sub_parse(
                            &text,
                            SpanMap::Fixed(sp),
                            Origin::Script,
                            Some("echo | sh"),
                        );
                    }
                    Some(_) => Some(opaque("`printf` (a format)")),
                    None => None,
                }
            }
            // Inline code that prints one literal (`python -c 'print("…")' | sh`).
            _ => match inline_printed(&self.out.parts[k]) {
                Some((text, sp)) => {
                    return self.sub_parse(
                        &text,
                        SpanMap::Fixed(sp),
                        Origin::Script,
                        Some("echo | sh"),
                    );
                }
                None => None,
            },
        };
        if let Some((kind, message)) = note {
            self.out.note(kind, message, span);
        }
        Ok(())
    }

    /// When part `pi` (or the command it wraps, `sudo bash`) is a shell or `ssh` that reads
    /// its script from standard input, what to call it.
    fn stdin_script_reader(&self, pi: usize) -> Option<&'static str> {
        let mut best = wrappers::stdin_script(&self.out.parts.get(pi)?.argv);
        // Wrapped commands follow their wrapper and lie inside its span.
        let outer = self.out.parts.get(pi)?.span;
        // `ssh host bash -s`: the remote script's first command reads ssh's input.
        for p in self
            .out
            .parts
            .iter()
            .skip(pi + 1)
            .take(self.out.limits.max_wrappers as usize)
        {
            let remote = p.origin == Origin::Script && p.via == Some("ssh");
            if !(p.origin == Origin::Wrapper || remote) || !outer.contains(p.span) {
                break;
            }
            best = best.or(wrappers::stdin_script(&p.argv));
        }
        best
    }

    /// When part `pi` (or the command it wraps, `sudo python3`) is an interpreter that reads
    /// its program from standard input ([`wrappers::stdin_code`]): its language and `via`.
    fn stdin_code_reader(&self, pi: usize) -> Option<(&'static str, &'static str)> {
        let first = self.out.parts.get(pi)?;
        let outer = first.span;
        std::iter::once(first)
            .chain(
                self.out
                    .parts
                    .iter()
                    .skip(pi + 1)
                    .take(self.out.limits.max_wrappers as usize)
                    .take_while(|p| p.origin == Origin::Wrapper && outer.contains(p.span)),
            )
            .find_map(|p| wrappers::stdin_code(&p.argv))
    }

    /// Reads the commands that interpreter code given on standard input hands to a shell
    /// (`os.system("…")`, `subprocess.run([…])`, as for `python -c`): each literal as a
    /// script, with `via` naming the interpreter. `map` places `code` in the input.
    #[cold]
    #[inline(never)]
    fn code_shell_outs(
        &mut self,
        code: &str,
        map: SpanMap,
        lang: &'static str,
        via: &'static str,
    ) -> R<()> {
        let (lits, lists) = wrappers::code_shell_outs(code.as_bytes(), lang);
        let at = |s: usize| match map {
            SpanMap::Offset(b) => SpanMap::Offset(b + s),
            f @ SpanMap::Fixed(_) => f,
        };
        for (start, end) in lits {
            if let Some(text) = code.get(start..end) {
                self.sub_parse(text, at(start), Origin::Script, Some(via))?;
            }
        }
        for ranges in lists {
            // As for inline code ([`quoted_line`]).
            let Some(text) = quoted_line(code, &ranges) else {
                return Ok(());
            };
            let (Some(a), Some(b)) = (ranges.first(), ranges.last()) else {
                continue;
            };
            self.sub_parse(
                &text,
                SpanMap::Fixed(map.map(a.0, b.1)),
                Origin::Script,
                Some(via),
            )?;
        }
        Ok(())
    }

    /// For a `cat` with no file (printing its here-document) whose output is piped into a
    /// shell or ssh that reads its script from standard input (`cat <<EOF | sh`): that
    /// reader, and what to call it.
    #[cold]
    fn cat_into_reader(&self, pi: usize) -> Option<(usize, &'static str)> {
        let q = self.cat_into(pi)?;
        self.stdin_script_reader(q).map(|_| (q, "cat | sh"))
    }

    /// For a `cat` with no file whose output is piped into the next stage: that stage's
    /// command (not a substitution's or a wrapped one).
    #[cold]
    fn cat_into(&self, pi: usize) -> Option<usize> {
        let p = self.out.parts.get(pi)?;
        let plain = p.argv.iter().skip(1).all(|w| w.text == "-");
        if !is_named(p, "cat") || !plain {
            return None;
        }
        let q = self
            .out
            .parts
            .iter()
            .enumerate()
            .skip(pi + 1)
            .find(|(_, q)| {
                q.pipeline == p.pipeline
                    && q.stage == p.stage + 1
                    && !matches!(q.origin, Origin::Substitution | Origin::Wrapper)
            })?;
        Some(q.0)
    }

    fn push_part(&mut self, part: Part) -> Option<usize> {
        if self.out.parts.len() >= self.out.limits.max_parts {
            if !self.out.dropped {
                self.out.dropped = true;
                let max = self.out.limits.max_parts;
                self.out.note(
                    OpaqueKind::Limit,
                    format!("the command has more than {max} simple commands"),
                    part.span,
                );
            }
            return None;
        }
        self.out.parts.push(part);
        Some(self.out.parts.len() - 1)
    }

    /// Notes a builtin that changes how bash reads what follows ([`P::check_builtin_named`]);
    /// most names are ruled out by their length and first byte, with no call.
    #[inline(always)]
    fn check_builtin(&mut self, part: &Part) {
        let Some(w) = part.argv.first() else { return };
        if may_change_reading(w.text.as_bytes()) {
            self.check_builtin_named(part);
        }
    }

    /// Builtins that change how the rest of the input is read.
    #[inline(never)]
    fn check_builtin_named(&mut self, part: &Part) {
        let Some(name) = part.program() else { return };
        let args = || part.argv[1..].iter().map(|w| w.text.as_str());
        let reason = match name {
            "alias" if args().any(|a| a.contains('=')) => Some((
                OpaqueKind::Definition,
                "defines an alias, which changes what later commands mean".to_string(),
            )),
            "shopt" if shopt_changes_reading(&part.argv) => Some((
                OpaqueKind::ShellOption,
                "`shopt` changes how bash reads the rest of the command".to_string(),
            )),
            "enable" => Some((
                OpaqueKind::ShellOption,
                "`enable` changes which builtins later commands run".to_string(),
            )),
            "hash" if args().any(|a| a.starts_with('-') && a.contains('p')) => Some((
                OpaqueKind::ShellOption,
                "`hash -p` changes which program a later command name runs".to_string(),
            )),
            "set" => {
                let mut it = args().peekable();
                let mut found = None;
                while let Some(a) = it.next() {
                    if a == "-o" || a == "+o" {
                        if let Some(v) = it.peek() {
                            if matches!(*v, "posix" | "keyword") {
                                found = Some(format!(
                                    "`set {a} {v}` changes how bash reads the rest of the command"
                                ));
                            }
                        }
                    } else if (a.starts_with('-') || a.starts_with('+'))
                        && a.len() > 1
                        && a[1..].contains('k')
                        && !a.starts_with("--")
                    {
                        found = Some(format!(
                            "`set {a}` changes how bash reads the rest of the command"
                        ));
                    }
                }
                found.map(|m| (OpaqueKind::ShellOption, m))
            }
            _ => None,
        };
        if let Some((kind, msg)) = reason {
            self.out.note(kind, msg, part.span);
        }
    }

    /// Records what a wrapper part runs.
    fn apply_runs(&mut self, idx: usize, runs: Runs, level: u32) -> R<()> {
        match runs {
            Runs::Nothing => Ok(()),
            Runs::Many(list) => {
                for r in list {
                    self.apply_runs(idx, r, level)?;
                }
                Ok(())
            }
            Runs::Opaque { kind, message } => {
                let sp = self.out.parts[idx].span;
                self.out.note(kind, message, sp);
                Ok(())
            }
            Runs::Argv {
                start,
                end,
                assigns,
                open_args,
                runtime,
                append,
                via,
            } => {
                if level >= self.out.limits.max_wrappers {
                    let sp = self.out.parts[idx].span;
                    self.out.note(
                        OpaqueKind::Limit,
                        "too many wrappers stacked on one command".into(),
                        sp,
                    );
                    return Ok(());
                }
                let outer = &self.out.parts[idx];
                let mut argv: Vec<Word> = outer.argv[start..end].to_vec();
                argv.extend(append.iter().filter_map(|&i| outer.argv.get(i).cloned()));
                if let Some(rt) = &runtime {
                    for w in &mut argv {
                        if holds_bytes(w.text.as_bytes(), rt.as_bytes()) {
                            w.flags.insert(WordFlags::RUNTIME);
                        }
                    }
                }
                let assignments: Vec<Word> =
                    assigns.iter().map(|&i| outer.argv[i].clone()).collect();
                let first = assignments
                    .first()
                    .or(argv.first())
                    .map_or(outer.span, |w| w.span);
                let last = argv.last().map_or(outer.span, |w| w.span);
                let part = Part {
                    argv,
                    assignments,
                    redirects: Vec::new(),
                    origin: Origin::Wrapper,
                    via: Some(via),
                    span: Span(first.0.min(last.0), last.1.max(first.1)),
                    pipeline: outer.pipeline,
                    stage: outer.stage,
                    background: outer.background,
                    open_args: open_args || outer.open_args,
                };
                self.check_builtin(&part);
                let inner = wrappers::analyze(&part.argv);
                let assigned = !part.assignments.is_empty();
                if let Some(i) = self.push_part(part) {
                    // `env GIT_SSH_COMMAND='…' git fetch`, `sudo PAGER=… man x`.
                    if assigned {
                        self.assigned_commands(i)?;
                    }
                    self.apply_runs(i, inner, level + 1)?;
                }
                Ok(())
            }
            Runs::Script { word, via } => {
                let Some(w) = self.out.parts[idx].argv.get(word).cloned() else {
                    return Ok(());
                };
                self.script(&[w], via, idx)
            }
            Runs::ScriptSlice {
                word,
                start,
                end,
                via,
            } => {
                let Some(w) = self.out.parts[idx].argv.get(word) else {
                    return Ok(());
                };
                let Some(text) = w.text.get(start..end).map(str::to_string) else {
                    return Ok(());
                };
                let map = match w.verbatim_at {
                    Some(at) => SpanMap::Offset(at + start),
                    None => SpanMap::Fixed(w.span),
                };
                self.sub_parse(&text, map, Origin::Script, Some(via))
            }
            Runs::ArgvSlices { word, ranges, via } => {
                // The literals as one command line ([`quoted_line`]), read with the spans of
                // the code word.
                let Some(w) = self.out.parts[idx].argv.get(word) else {
                    return Ok(());
                };
                let Some(text) = quoted_line(&w.text, &ranges) else {
                    return Ok(());
                };
                let map = SpanMap::Fixed(w.span);
                self.sub_parse(&text, map, Origin::Script, Some(via))
            }
            Runs::ScriptJoin { from, via } => {
                let words: Vec<Word> = self.out.parts[idx].argv.get(from..).unwrap_or(&[]).to_vec();
                if words.is_empty() {
                    return Ok(());
                }
                self.script(&words, via, idx)
            }
        }
    }

    /// Parses a script string given as words (joined by spaces, as `eval` and `ssh` do).
    fn script(&mut self, words: &[Word], via: &'static str, idx: usize) -> R<()> {
        let outer_span = self.out.parts[idx].span;
        if let Some(d) = words.iter().find(|w| w.is_dynamic()) {
            self.out.note(
                OpaqueKind::DynamicScript,
                format!(
                    "the script run by `{via}` is only known at run time (`{}`)",
                    d.text
                ),
                d.span,
            );
            return Ok(());
        }
        let (text, map) = if let [w] = words {
            let map = match w.verbatim_at {
                Some(at) => SpanMap::Offset(at),
                None => SpanMap::Fixed(w.span),
            };
            (w.text.to_string(), map)
        } else {
            let text = words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let sp = match (words.first(), words.last()) {
                (Some(a), Some(b)) => Span(a.span.0, b.span.1),
                _ => outer_span,
            };
            (text, SpanMap::Fixed(sp))
        };
        self.sub_parse(&text, map, Origin::Script, Some(via))
    }

    /// Parses `text` (a script string or backtick body) into the shared output.
    fn sub_parse(
        &mut self,
        text: &str,
        map: SpanMap,
        origin: Origin,
        via: Option<&'static str>,
    ) -> R<()> {
        self.enter()?;
        let depth = self.out.depth;
        check_control_bytes(text, self.out, map);
        let pipe = self.pipe;
        let before = self.out.opaque.len();
        {
            let mut p = P::new(text, map, &mut *self.out, origin, via);
            p.pipe = pipe;
            // A syntax error inside a script string makes the command opaque (recorded) but
            // does not end the reading of the outer command: bash reads such a string only
            // when it runs it.
            let _ = p.program();
        }
        let place = match via {
            Some(v) => format!("in the script run by `{v}`"),
            None => "inside backquotes".to_string(),
        };
        for o in &mut self.out.opaque[before..] {
            if o.kind == OpaqueKind::Syntax {
                o.message = format!("{place}: {}", o.message);
            }
        }
        self.out.depth = depth;
        self.leave();
        Ok(())
    }

    // ---- redirections ------------------------------------------------------------------

    fn redirect(&mut self) -> R<(Redirect, Option<usize>)> {
        let start = self.pos;
        let mut fd = None;
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let n = self.b[self.pos..self.end]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let digits = &self.src[self.pos..self.pos + n];
            match digits.parse::<u32>() {
                Ok(v) => fd = Some(Fd::Number(v)),
                Err(_) => {
                    return Err(self.fail(
                        OpaqueKind::Syntax,
                        format!("file descriptor `{digits}` is out of range"),
                        self.pos,
                    ));
                }
            }
            self.pos += n;
        } else if self.peek() == Some(b'{') {
            let n = self.b[self.pos + 1..self.end]
                .iter()
                .take_while(|c| **c != b'}')
                .count();
            fd = Some(Fd::Var(
                self.src[self.pos + 1..self.pos + 1 + n].to_string(),
            ));
            self.pos += n + 2;
        }
        let ops: &[(&str, RedirectOp)] = &[
            ("&>>", RedirectOp::AppendOutErr),
            ("&>", RedirectOp::OutErr),
            ("<<<", RedirectOp::HereString),
            ("<<-", RedirectOp::HeredocStrip),
            ("<<", RedirectOp::Heredoc),
            ("<>", RedirectOp::ReadWrite),
            ("<&", RedirectOp::DupIn),
            ("<", RedirectOp::In),
            (">>", RedirectOp::Append),
            (">|", RedirectOp::Clobber),
            (">&", RedirectOp::DupOut),
            (">", RedirectOp::Out),
        ];
        let Some(&(s, op)) = ops.iter().find(|(s, _)| self.starts(s)) else {
            return Err(self.syntax("expected a redirection"));
        };
        self.pos += s.len();
        self.skip_blanks();
        match self.peek() {
            None => return Err(self.syntax(&format!("expected a word after `{s}`"))),
            Some(c) if is_meta(c) && !(matches!(c, b'<' | b'>') && self.at(1) == Some(b'(')) => {
                return Err(self.syntax(&format!("expected a word after `{s}`")));
            }
            _ => {}
        }
        let heredoc = matches!(op, RedirectOp::Heredoc | RedirectOp::HeredocStrip);
        let (target, _) = self.word(false, heredoc)?;
        let mut id = None;
        let mut body = None;
        if heredoc {
            let quoted = target.flags.contains(WordFlags::QUOTED);
            let hid = self.out.heredocs.len();
            self.out.heredocs.push(None);
            self.pending.push(Pending {
                id: hid,
                delim: target.text.to_string(),
                strip: op == RedirectOp::HeredocStrip,
                quoted,
            });
            id = Some(hid);
            body = Some(Heredoc {
                body: String::new(),
                quoted,
                dynamic: false,
            });
        }
        // (A later shell may run what this writes: [`P::written_script`].)
        self.wrote |= matches!(
            op,
            RedirectOp::Out | RedirectOp::Append | RedirectOp::Clobber
        ) && matches!(fd, None | Some(Fd::Number(1)));
        let r = Redirect {
            fd,
            op,
            target,
            heredoc: body,
            span: self.span(start, self.pos),
        };
        Ok((r, id))
    }

    fn read_heredocs(&mut self) -> R<()> {
        let pending = std::mem::take(&mut self.pending);
        for h in pending {
            let body_start = self.pos;
            let mut body = String::new();
            let body_end;
            // Whether `body` is a verbatim slice of the input (offsets map one to one): not
            // with `<<-` (tabs stripped), nor when the input ends inside the body without a
            // newline (the body gets one the input does not have).
            let mut verbatim = !h.strip;
            loop {
                if self.pos >= self.end {
                    body_end = self.end;
                    break;
                }
                let line_end = self.b[self.pos..self.end]
                    .iter()
                    .position(|c| *c == b'\n')
                    .map_or(self.end, |n| self.pos + n);
                let mut line = &self.src[self.pos..line_end];
                if h.strip {
                    line = line.trim_start_matches('\t');
                }
                if line == h.delim {
                    body_end = self.pos;
                    self.pos = (line_end + 1).min(self.end);
                    break;
                }
                body.push_str(line);
                body.push('\n');
                if line_end >= self.end {
                    verbatim = false;
                }
                self.pos = (line_end + 1).min(self.end);
            }
            let mut dynamic = false;
            if !h.quoted {
                let resume = self.pos;
                let saved_end = self.end;
                self.pos = body_start;
                self.end = body_end;
                self.reserved_at.set(None);
                let mut flags = WordFlags::empty();
                let mut scratch = CompactString::default();
                let r = self.quoted_text(&mut scratch, &mut flags, None);
                self.end = saved_end;
                self.reserved_at.set(None);
                self.pos = resume;
                r?;
                dynamic = flags.is_dynamic();
            }
            // A shell or ssh reading its script from this here-document: read it as one.
            let readers: Vec<(usize, &'static str)> = self
                .out
                .heredoc_refs
                .iter()
                .filter(|(_, _, id)| *id == h.id)
                .filter_map(|(pi, _, _)| {
                    self.stdin_script_reader(*pi)
                        .map(|v| (*pi, v))
                        .or_else(|| self.cat_into_reader(*pi))
                })
                .collect();
            let map = if !verbatim {
                SpanMap::Fixed(self.span(body_start, body_end))
            } else {
                match self.map {
                    SpanMap::Offset(b) => SpanMap::Offset(b + body_start),
                    f @ SpanMap::Fixed(_) => f,
                }
            };
            // A `cat` or `tee` writing this here-document to a file: a later shell may run
            // that file ([`P::written_script`]).
            self.wrote |= self.out.heredoc_refs.iter().any(|&(pi, _, id)| {
                id == h.id && self.out.parts.get(pi).is_some_and(copies_input_to_file)
            });
            // An interpreter reading its program from it (`python3 - <<'EOF'`): the commands
            // the code hands to a shell ([`P::code_shell_outs`]).
            let coders: Vec<(usize, (&'static str, &'static str))> = if readers.is_empty() {
                self.out
                    .heredoc_refs
                    .iter()
                    .filter(|(_, _, id)| *id == h.id)
                    .filter_map(|(pi, _, _)| {
                        // (`python3 - <<'EOF'`, and `cat <<'EOF' | python3 -`.)
                        let reader = self.stdin_code_reader(*pi).map(|c| (*pi, c));
                        reader.or_else(|| {
                            let q = self.cat_into(*pi)?;
                            self.stdin_code_reader(q).map(|c| (q, c))
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            if !readers.is_empty() || !coders.is_empty() {
                let saved = self.pipe;
                for (pi, via) in readers {
                    if let Some(p) = self.out.parts.get(pi) {
                        self.pipe = (p.pipeline, p.stage);
                    }
                    self.sub_parse(&body, map, Origin::Script, Some(via))?;
                }
                for (pi, (lang, via)) in coders {
                    if let Some(p) = self.out.parts.get(pi) {
                        self.pipe = (p.pipeline, p.stage);
                    }
                    self.code_shell_outs(&body, map, lang, via)?;
                }
                self.pipe = saved;
            }
            if let Some(slot) = self.out.heredocs.get_mut(h.id) {
                *slot = Some((
                    Heredoc {
                        body,
                        quoted: h.quoted,
                        dynamic,
                    },
                    map,
                ));
            }
        }
        Ok(())
    }

    // ---- words -------------------------------------------------------------------------

    /// Reads one word. `assign_ok`: the word may be an assignment (command prefix).
    /// `literal_dollar`: `$` is not special (here-document delimiters).
    /// Returns the word and whether it is an assignment.
    fn word(&mut self, assign_ok: bool, literal_dollar: bool) -> R<(Word, bool)> {
        let start = self.pos;
        match self.fast_word() {
            Some(f) => {
                let assign = assign_ok && f.is_assign_like(self.src);
                Ok((self.take_fast_word(f), assign))
            }
            None => self.word_general(start, assign_ok, literal_dollar),
        }
    }

    /// The fast paths of [`P::word`]: a plain word (no quotes, expansions, globs or braces),
    /// or one wholly in single quotes or in double quotes without expansions or escapes.
    #[inline(always)]
    fn fast_word(&self) -> Option<FastWord> {
        let start = self.pos;
        let rest = &self.b[start..self.end];
        let plain = plain_len(rest);
        let ends_at = |n: usize| {
            rest.get(n)
                .is_none_or(|c| CLASS[*c as usize] & WORD_END != 0)
        };
        if plain > 0 {
            return ends_at(plain).then_some(FastWord {
                len: plain,
                value: start..start + plain,
                quoted: false,
            });
        }
        match rest.first() {
            // `{}` (of `find -exec`) is a literal word: no brace expansion without a `,` or
            // `..` inside.
            Some(b'{') if rest.get(1) == Some(&b'}') && ends_at(2) => Some(FastWord {
                len: 2,
                value: start..start + 2,
                quoted: false,
            }),
            Some(q @ (b'\'' | b'"')) => rest[1..]
                .iter()
                .position(|c| c == q || (*q == b'"' && matches!(c, b'$' | b'`' | b'\\')))
                .filter(|&n| rest[n + 1] == *q && ends_at(n + 2))
                .map(|n| FastWord {
                    len: n + 2,
                    value: start + 1..start + 1 + n,
                    quoted: true,
                }),
            _ => None,
        }
    }

    /// Reads the word [`P::fast_word`] found.
    #[inline(always)]
    fn take_fast_word(&mut self, f: FastWord) -> Word {
        let start = self.pos;
        self.pos += f.len;
        let verbatim_at = match self.map {
            SpanMap::Offset(b) => Some(b + f.value.start),
            SpanMap::Fixed(_) => None,
        };
        Word {
            text: CompactString::from(&self.src[f.value]),
            span: self.span(start, self.pos),
            flags: if f.quoted {
                WordFlags::QUOTED
            } else {
                WordFlags::empty()
            },
            verbatim_at,
        }
    }

    #[inline(never)]
    fn word_general(
        &mut self,
        start: usize,
        assign_ok: bool,
        literal_dollar: bool,
    ) -> R<(Word, bool)> {
        self.pos = start;
        let mut text = CompactString::default();
        let mut flags = WordFlags::empty();
        let mut unquoted_so_far = true;
        let mut assign = false;
        let mut brace_open = 0u32;
        let mut brace_sep = false;
        let mut bracket_open = false;
        let mut last_unquoted: Option<u8> = None;
        let mut array: Option<WordFlags> = None;
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b')' => break,
                b'(' => {
                    if assign
                        && array.is_none()
                        && text.ends_with('=')
                        && last_unquoted == Some(b'=')
                    {
                        let mut f = WordFlags::empty();
                        self.array_value(&mut f)?;
                        array = Some(f);
                        continue;
                    }
                    break;
                }
                b'<' | b'>' => {
                    if self.at(1) == Some(b'(') {
                        self.process_subst()?;
                        flags.insert(WordFlags::SUBST);
                        unquoted_so_far = false;
                        last_unquoted = None;
                        continue;
                    }
                    break;
                }
                b'\'' => {
                    self.single_quote(&mut text)?;
                    flags.insert(WordFlags::QUOTED);
                    unquoted_so_far = false;
                    last_unquoted = None;
                }
                b'"' => {
                    self.double_quote(&mut text, &mut flags)?;
                    unquoted_so_far = false;
                    last_unquoted = None;
                }
                b'\\' => match self.at(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(_) => {
                        self.pos += 1;
                        self.push_char(&mut text);
                        flags.insert(WordFlags::QUOTED);
                        unquoted_so_far = false;
                        last_unquoted = None;
                    }
                    None => {
                        text.push('\\');
                        self.pos += 1;
                    }
                },
                b'$' if !literal_dollar => {
                    let before = flags;
                    self.dollar(&mut text, &mut flags, false)?;
                    if flags != before || !text.ends_with('$') {
                        unquoted_so_far = false;
                        last_unquoted = None;
                    }
                }
                b'`' if !literal_dollar => {
                    self.backtick(&mut flags, false)?;
                    flags.insert(WordFlags::SPLIT);
                    unquoted_so_far = false;
                    last_unquoted = None;
                }
                _ => {
                    match c {
                        b'*' | b'?' => flags.insert(WordFlags::GLOB),
                        b'[' => bracket_open = true,
                        b']' if bracket_open => flags.insert(WordFlags::GLOB),
                        b'{' => brace_open += 1,
                        b'}' if brace_open > 0 => {
                            if brace_sep {
                                flags.insert(WordFlags::BRACE);
                            }
                            brace_open -= 1;
                        }
                        b',' if brace_open > 0 => brace_sep = true,
                        b'.' if brace_open > 0 && self.at(1) == Some(b'.') => brace_sep = true,
                        b'~' if self.pos == start
                            || (matches!(last_unquoted, Some(b'=' | b':'))
                                && is_assign_like(&text)) =>
                        {
                            flags.insert(WordFlags::TILDE)
                        }
                        b'=' if assign_ok && !assign && unquoted_so_far && is_assign_lhs(&text) => {
                            assign = true;
                        }
                        _ => {}
                    }
                    // This byte and the run of bytes after it that need no look of their
                    // own (plain bytes other than `=`, and `,` and `.` only outside a brace
                    // group), copied at once. The run ends at an ASCII byte or the end, so
                    // it is whole UTF-8.
                    let s = self.pos;
                    self.pos += 1;
                    let in_brace = brace_open > 0;
                    let n = self.b[self.pos..self.end]
                        .iter()
                        .take_while(|&&b| {
                            is_plain_byte(b) && b != b'=' && !(in_brace && matches!(b, b',' | b'.'))
                        })
                        .count();
                    self.pos += n;
                    let last = self.b[self.pos - 1];
                    if self.pos - s == 1 && last < 0x80 {
                        text.push(last as char);
                    } else {
                        text.push_str(self.src.get(s..self.pos).unwrap_or_default());
                    }
                    last_unquoted = (last < 0x80).then_some(last);
                }
            }
        }
        if self.pos == start {
            return Err(self.syntax("expected a word"));
        }
        if assign {
            // Globs and braces do not expand in assignment values; the subscript is arithmetic.
            let lhs_end = text.find('=').unwrap_or(0);
            let lhs = &text[..lhs_end];
            if let Some(i) = lhs.find('[') {
                let sub = lhs[i + 1..].trim_end_matches(['+', ']']);
                if !sub.bytes().all(|b| b.is_ascii_digit()) {
                    let e = self.pos;
                    self.note(
                        OpaqueKind::Arithmetic,
                        "an array subscript is evaluated as arithmetic at run time".into(),
                        start,
                        e,
                    );
                }
            }
            flags.remove(WordFlags::GLOB);
            flags.remove(WordFlags::BRACE);
            // Array elements do expand globs and braces.
            if let Some(f) = array {
                flags.insert(f);
            }
        }
        let raw = &self.src[start..self.pos];
        let dynamic = flags.is_dynamic();
        let verbatim_at = if dynamic {
            None
        } else if raw == text {
            Some(start)
        } else if raw.len() == text.len() + 2
            && (raw.starts_with('\'') && raw.ends_with('\'')
                || raw.starts_with('"') && raw.ends_with('"'))
            && raw[1..raw.len() - 1] == text
        {
            Some(start + 1)
        } else {
            None
        };
        let verbatim_at = match (verbatim_at, self.map) {
            (Some(at), SpanMap::Offset(b)) => Some(b + at),
            _ => None,
        };
        if dynamic || array.is_some() {
            text.clear();
            text.push_str(raw);
        }
        let span = self.span(start, self.pos);
        Ok((
            Word {
                text,
                span,
                flags,
                verbatim_at,
            },
            assign,
        ))
    }

    fn push_char(&mut self, text: &mut CompactString) {
        if let Some(ch) = self.src[self.pos..self.end].chars().next() {
            text.push(ch);
            self.pos += ch.len_utf8();
        }
    }

    fn array_value(&mut self, flags: &mut WordFlags) -> R<()> {
        self.pos += 1;
        self.enter()?;
        loop {
            self.skip_space()?;
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.syntax("unterminated array value")),
                Some(c)
                    if is_meta(c) && !(matches!(c, b'<' | b'>') && self.at(1) == Some(b'(')) =>
                {
                    return Err(self.syntax("unexpected token in an array value"));
                }
                _ => {
                    let (w, _) = self.word(false, false)?;
                    if w.text.starts_with('[') && w.text.contains("]=") {
                        let sub = &w.text[1..w.text.find(']').unwrap_or(1)];
                        if !sub.bytes().all(|b| b.is_ascii_digit()) {
                            let (s, e) = (self.pos, self.pos);
                            self.note(
                                OpaqueKind::Arithmetic,
                                "an array subscript is evaluated as arithmetic at run time".into(),
                                s,
                                e,
                            );
                        }
                    }
                    let mut f = w.flags.dynamic_part();
                    if w.flags.contains(WordFlags::QUOTED) {
                        f.insert(WordFlags::QUOTED);
                    }
                    flags.insert(f);
                }
            }
        }
        self.leave();
        Ok(())
    }

    fn single_quote(&mut self, text: &mut CompactString) -> R<()> {
        let open = self.pos;
        self.pos += 1;
        let Some(n) = self.b[self.pos..self.end].iter().position(|c| *c == b'\'') else {
            self.pos = open;
            return Err(self.fail(
                OpaqueKind::Syntax,
                "syntax: unterminated single quote".into(),
                open,
            ));
        };
        text.push_str(&self.src[self.pos..self.pos + n]);
        self.pos += n + 1;
        Ok(())
    }

    fn double_quote(&mut self, text: &mut CompactString, flags: &mut WordFlags) -> R<()> {
        let open = self.pos;
        self.pos += 1;
        flags.insert(WordFlags::QUOTED);
        self.enter()?;
        self.quoted_text(text, flags, Some(open))?;
        self.leave();
        Ok(())
    }

    /// The inside of double quotes (`open` is the quote's position), or a here-document body
    /// (`open` is `None`: runs to the end and `"` is literal).
    fn quoted_text(
        &mut self,
        text: &mut CompactString,
        flags: &mut WordFlags,
        open: Option<usize>,
    ) -> R<()> {
        let in_dq = open.is_some();
        loop {
            let Some(c) = self.peek() else {
                if let Some(o) = open {
                    return Err(self.fail(
                        OpaqueKind::Syntax,
                        "syntax: unterminated double quote".into(),
                        o,
                    ));
                }
                return Ok(());
            };
            match c {
                b'"' if in_dq => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => match self.at(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(n @ (b'$' | b'`' | b'\\')) => {
                        text.push(n as char);
                        self.pos += 2;
                    }
                    Some(b'"') if in_dq => {
                        text.push('"');
                        self.pos += 2;
                    }
                    _ => {
                        text.push('\\');
                        self.pos += 1;
                    }
                },
                b'$' => self.dollar(text, flags, true)?,
                b'`' => self.backtick(flags, true)?,
                _ => {
                    let s = self.pos;
                    self.pos += 1;
                    while self
                        .peek()
                        .is_some_and(|c| !matches!(c, b'"' | b'\\' | b'$' | b'`'))
                    {
                        self.pos += 1;
                    }
                    text.push_str(&self.src[s..self.pos]);
                }
            }
        }
    }

    /// `$…` at the current position.
    fn dollar(&mut self, text: &mut CompactString, flags: &mut WordFlags, in_dq: bool) -> R<()> {
        let split = if in_dq {
            WordFlags::empty()
        } else {
            WordFlags::SPLIT
        };
        match self.at(1) {
            Some(b'(') => {
                if self.at(2) == Some(b'(') && self.arith_closes(self.pos + 3) {
                    self.pos += 3;
                    self.arith_body(b')')?;
                    flags.insert(WordFlags::ARITH);
                } else {
                    let open = self.pos;
                    self.pos += 2;
                    self.command_subst(open)?;
                    flags.insert(WordFlags::SUBST);
                }
                flags.insert(split);
            }
            Some(b'{') => {
                let open = self.pos;
                self.param_braced(in_dq)?;
                flags.insert(WordFlags::PARAM);
                flags.insert(split);
                // `"${a[@]}"`, `"${@:2}"`, `"${!p@}"`: several words even in double quotes
                // (any `@` counts: over-marking only costs precision; unquoted, `split`
                // already marks it).
                if in_dq && self.b[open..self.pos].contains(&b'@') {
                    flags.insert(WordFlags::SPLIT);
                }
            }
            Some(b'[') => {
                self.pos += 2;
                self.arith_body(b']')?;
                flags.insert(WordFlags::ARITH);
                flags.insert(split);
            }
            Some(b'\'') if !in_dq => {
                self.ansi_c(text)?;
                flags.insert(WordFlags::QUOTED);
            }
            Some(b'"') if !in_dq => {
                self.pos += 1;
                self.double_quote(text, flags)?;
                flags.insert(WordFlags::LOCALE);
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.pos += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.pos += 1;
                }
                flags.insert(WordFlags::PARAM);
                flags.insert(split);
            }
            Some(c)
                if c.is_ascii_digit()
                    || matches!(c, b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!') =>
            {
                self.pos += 2;
                flags.insert(WordFlags::PARAM);
                flags.insert(split);
                // `"$@"` is as many words as there are arguments.
                if c == b'@' {
                    flags.insert(WordFlags::SPLIT);
                }
            }
            _ => {
                text.push('$');
                self.pos += 1;
            }
        }
        Ok(())
    }

    /// After `$(`: the commands up to the closing `)`.
    fn command_subst(&mut self, open: usize) -> R<()> {
        self.enter()?;
        self.in_subst += 1;
        let saved = self.pipe;
        self.list()?;
        self.skip_space()?;
        if self.peek() != Some(b')') {
            if self.peek().is_none() {
                return Err(self.fail(
                    OpaqueKind::Syntax,
                    "syntax: unterminated `$(`".into(),
                    open,
                ));
            }
            return Err(self.syntax("expected `)` to close `$(`"));
        }
        self.pos += 1;
        self.pipe = saved;
        self.in_subst -= 1;
        self.leave();
        Ok(())
    }

    fn process_subst(&mut self) -> R<()> {
        let open = self.pos;
        self.pos += 2;
        self.command_subst(open)?;
        // Set after its commands are read, at the depth of the command it is a word of.
        self.procsubst = Some(self.in_subst);
        Ok(())
    }

    fn backtick(&mut self, flags: &mut WordFlags, in_dq: bool) -> R<()> {
        let open = self.pos;
        self.pos += 1;
        let mut inner = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.fail(
                    OpaqueKind::Syntax,
                    "syntax: unterminated backquote".into(),
                    open,
                ));
            };
            match c {
                b'`' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => match self.at(1) {
                    Some(n @ (b'$' | b'`' | b'\\')) => {
                        inner.push(n as char);
                        self.pos += 2;
                    }
                    Some(b'"') if in_dq => {
                        inner.push('"');
                        self.pos += 2;
                    }
                    _ => {
                        inner.push('\\');
                        self.pos += 1;
                    }
                },
                _ => {
                    let s = self.pos;
                    while self.peek().is_some_and(|c| c != b'`' && c != b'\\') {
                        self.pos += 1;
                    }
                    inner.push_str(&self.src[s..self.pos]);
                }
            }
        }
        flags.insert(WordFlags::SUBST);
        let map = if inner.len() + 2 == self.pos - open && self.src[open + 1..self.pos - 1] == inner
        {
            match self.map {
                SpanMap::Offset(b) => SpanMap::Offset(b + open + 1),
                f @ SpanMap::Fixed(_) => f,
            }
        } else {
            SpanMap::Fixed(self.span(open, self.pos))
        };
        self.sub_parse(&inner, map, Origin::Substitution, None)
    }

    /// `${…}` at the current position.
    fn param_braced(&mut self, in_dq: bool) -> R<()> {
        let open = self.pos;
        self.pos += 2;
        self.enter()?;
        if self.peek() == Some(b'!') && self.at(1) != Some(b'}') {
            // `${!prefix*}` and `${!arr[@]}` list names; other `${!x}` indirections can
            // evaluate a subscript held in x's value.
            let rest = &self.src[self.pos + 1..self.end];
            let n = rest
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count();
            let tail = &rest[n..];
            if !(n > 0
                && (tail.starts_with("*}")
                    || tail.starts_with("@}")
                    || tail.starts_with("[@]}")
                    || tail.starts_with("[*]}")))
            {
                let e = self.pos;
                self.note(
                    OpaqueKind::Arithmetic,
                    "indirect expansion `${!…}` can evaluate an array subscript at run time".into(),
                    open,
                    e,
                );
            }
            self.pos += 1;
        } else if self.peek() == Some(b'#') && !matches!(self.at(1), Some(b'}')) {
            self.pos += 1;
        }
        // The name.
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.pos += 1;
                }
            }
            Some(c) if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            Some(b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!') => self.pos += 1,
            _ => {
                // bash reads `${…}` to its closing brace and only rejects a bad one when it
                // expands it (GitHub's `${{ expr }}` reads this way); the word is dynamic.
                self.param_word(open, in_dq)?;
                self.leave();
                return Ok(());
            }
        }
        if self.peek() == Some(b'[') {
            let s = self.pos + 1;
            self.pos += 1;
            let mut scratch = CompactString::default();
            let mut flags = WordFlags::empty();
            loop {
                match self.peek() {
                    None => {
                        return Err(self.fail(
                            OpaqueKind::Syntax,
                            "syntax: unterminated `${`".into(),
                            open,
                        ));
                    }
                    Some(b']') => break,
                    Some(b'$') => self.dollar(&mut scratch, &mut flags, true)?,
                    Some(b'`') => self.backtick(&mut flags, true)?,
                    Some(_) => self.pos += 1,
                }
            }
            let sub = &self.src[s..self.pos];
            self.pos += 1;
            if !(sub == "@"
                || sub == "*"
                || (!sub.is_empty() && sub.bytes().all(|b| b.is_ascii_digit())))
            {
                let e = self.pos;
                self.note(
                    OpaqueKind::Arithmetic,
                    "an array subscript is evaluated as arithmetic at run time".into(),
                    s,
                    e,
                );
            }
        }
        // The operator and its word.
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                self.leave();
                return Ok(());
            }
            Some(b':') if matches!(self.at(1), Some(b'-' | b'=' | b'?' | b'+')) => self.pos += 2,
            Some(b':') => {
                // Substring: offset and length are arithmetic.
                self.pos += 1;
                let s = self.pos;
                let risky = self.param_word(open, in_dq)?;
                let inner = &self.src[s..self.pos - 1];
                if risky || inner.bytes().any(|c| c.is_ascii_alphabetic() || c == b'_') {
                    let e = self.pos;
                    self.note(
                        OpaqueKind::Arithmetic,
                        "a substring offset is evaluated as arithmetic at run time".into(),
                        s,
                        e,
                    );
                }
                self.leave();
                return Ok(());
            }
            Some(b'-' | b'=' | b'?' | b'+' | b'#' | b'%' | b'/' | b'^' | b',' | b'@') => {
                self.pos += 1
            }
            _ => {}
        }
        self.param_word(open, in_dq)?;
        self.leave();
        Ok(())
    }

    /// The word inside `${…}` after the operator, through the closing `}`. Returns whether it
    /// contains expansions.
    fn param_word(&mut self, open: usize, in_dq: bool) -> R<bool> {
        let mut scratch = CompactString::default();
        let mut flags = WordFlags::empty();
        loop {
            match self.peek() {
                None => {
                    return Err(self.fail(
                        OpaqueKind::Syntax,
                        "syntax: unterminated `${`".into(),
                        open,
                    ));
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(flags.is_dynamic());
                }
                Some(b'\'') if !in_dq => self.single_quote(&mut scratch)?,
                Some(b'"') => self.double_quote(&mut scratch, &mut flags)?,
                Some(b'\\') => self.pos = (self.pos + 2).min(self.end),
                Some(b'$') => self.dollar(&mut scratch, &mut flags, in_dq)?,
                Some(b'`') => self.backtick(&mut flags, in_dq)?,
                Some(b'\n') => self.pos += 1,
                Some(_) => self.pos += 1,
            }
        }
    }

    /// `$'…'`: ANSI-C quoting.
    fn ansi_c(&mut self, text: &mut CompactString) -> R<()> {
        let open = self.pos;
        self.pos += 2;
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.fail(
                    OpaqueKind::Syntax,
                    "syntax: unterminated `$'`".into(),
                    open,
                ));
            };
            self.pos += 1;
            match c {
                b'\'' => break,
                b'\\' => {
                    let Some(e) = self.peek() else { continue };
                    self.pos += 1;
                    match e {
                        b'a' => bytes.push(7),
                        b'b' => bytes.push(8),
                        b'e' | b'E' => bytes.push(27),
                        b'f' => bytes.push(12),
                        b'n' => bytes.push(b'\n'),
                        b'r' => bytes.push(b'\r'),
                        b't' => bytes.push(b'\t'),
                        b'v' => bytes.push(11),
                        b'\\' | b'\'' | b'"' | b'?' => bytes.push(e),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            bytes.push((v & 0xff) as u8);
                        }
                        b'x' | b'u' | b'U' => {
                            let max = match e {
                                b'x' => 2,
                                b'u' => 4,
                                _ => 8,
                            };
                            let mut v: u32 = 0;
                            let mut n = 0;
                            while n < max {
                                match self.peek().and_then(|d| (d as char).to_digit(16)) {
                                    Some(d) => {
                                        v = v.wrapping_mul(16).wrapping_add(d);
                                        self.pos += 1;
                                        n += 1;
                                    }
                                    None => break,
                                }
                            }
                            if n == 0 {
                                bytes.push(b'\\');
                                bytes.push(e);
                            } else if e == b'x' {
                                bytes.push(v as u8);
                            } else {
                                let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                                let mut buf = [0u8; 4];
                                bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            }
                        }
                        b'c' => match self.peek() {
                            Some(x) => {
                                self.pos += 1;
                                bytes.push(x & 0x1f);
                            }
                            None => bytes.push(b'\\'),
                        },
                        other => {
                            bytes.push(b'\\');
                            bytes.push(other);
                        }
                    }
                }
                _ => bytes.push(c),
            }
        }
        if let Some(i) = bytes.iter().position(|b| *b == 0) {
            let e = self.pos;
            self.note(
                OpaqueKind::ControlByte,
                "a NUL byte in `$'…'` cuts the word short at run time".into(),
                open,
                e,
            );
            bytes.truncate(i);
        }
        match String::from_utf8(bytes) {
            Ok(s) => text.push_str(&s),
            Err(e) => {
                let end = self.pos;
                self.note(
                    OpaqueKind::ControlByte,
                    "`$'…'` produces bytes that are not UTF-8".into(),
                    open,
                    end,
                );
                text.push_str(&String::from_utf8_lossy(e.as_bytes()));
            }
        }
        Ok(())
    }
}

/// Part `p`'s program: its first word's last path component, when the word is literal.
fn program(p: &Part) -> Option<&str> {
    p.argv
        .first()
        .and_then(Word::literal)
        .map(super::types::basename)
}

/// Whether part `p`'s program is `name` (as written, or a path to it).
fn is_named(p: &Part, name: &str) -> bool {
    program(p) == Some(name)
}

/// Whether part `p` copies its standard input to a file: a `cat` of no file whose output is
/// redirected to a file (`cat > x.sh`), or a `tee` with a file operand.
fn copies_input_to_file(p: &Part) -> bool {
    let plain = || p.argv[1..].iter().all(|w| w.text == "-");
    let redirected = || {
        p.redirects.iter().any(|r| {
            matches!(
                r.op,
                RedirectOp::Out | RedirectOp::Append | RedirectOp::Clobber
            ) && matches!(r.fd, None | Some(Fd::Number(1)))
                && r.target.literal().is_some()
        })
    };
    (is_named(p, "cat") && plain() && redirected())
        || (is_named(p, "tee")
            && p.argv[1..]
                .iter()
                .any(|w| w.literal().is_some_and(|t| !t.starts_with('-'))))
}

/// Whether part `p` is an `echo` or a `printf`, whose output [`P::printed_script`] reads.
fn is_printer(p: &Part) -> bool {
    matches!(program(p), Some("echo" | "printf"))
}

/// The literals at `ranges` of `code` (an argument list of a shell-out: none holds a quote or
/// a backslash) as one command line, each word single-quoted; `None` when a range is not in
/// `code`.
fn quoted_line(code: &str, ranges: &[(usize, usize)]) -> Option<String> {
    let mut text = String::new();
    for &(start, end) in ranges {
        let lit = code.get(start..end)?;
        if !text.is_empty() {
            text.push(' ');
        }
        text.push('\'');
        text.push_str(lit);
        text.push('\'');
    }
    Some(text)
}

/// What an `echo` without options, or a `printf` of one format without `%` or escapes,
/// prints when every word is literal (less its last newline), and where it lies in the input.
fn printed_literal(p: &Part) -> Option<(String, SpanMap)> {
    let words = match (program(p)?, p.argv.as_slice()) {
        ("echo", [_, words @ ..]) if words.first().is_none_or(|w| !w.text.starts_with('-')) => {
            words
        }
        ("printf", [_, f]) if !f.text.contains(['%', '\\']) => std::slice::from_ref(f),
        _ => return None,
    };
    if words.iter().any(Word::is_dynamic) {
        return None;
    }
    match words {
        [] => None,
        [w] => Some((
            w.text.to_string(),
            match w.verbatim_at {
                Some(at) => SpanMap::Offset(at),
                None => SpanMap::Fixed(w.span),
            },
        )),
        [a, .., b] => Some((
            words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            SpanMap::Fixed(Span(a.span.0, b.span.1)),
        )),
    }
}

/// Whether part `p` may be inline code that [`inline_printed`] reads: an interpreter and its
/// code, two or three words (a cheap test first: most commands in front of a pipe are not).
fn inline_printer(p: &Part) -> bool {
    (2..=3).contains(&p.argv.len())
        && matches!(
            program(p),
            Some(
                "python"
                    | "python3"
                    | "python2"
                    | "perl"
                    | "ruby"
                    | "node"
                    | "nodejs"
                    | "bun"
                    | "awk"
                    | "gawk"
                    | "mawk"
                    | "nawk"
            )
        )
}

/// What inline interpreter code that only prints one string literal prints, and where the
/// code is: `python -c 'print("…")'`, `perl -e 'print "…"'`, `ruby -e 'puts "…"'`, `node -e
/// 'console.log("…")'`, `awk 'BEGIN{print "…"}'`. Only a literal without backslashes is
/// read (perl's and ruby's `print` may end it with `\n`, which is their newline).
#[cold]
fn inline_printed(p: &Part) -> Option<(String, Span)> {
    let name = program(p)?;
    let (code, calls): (&Word, &[&str]) = match (name, p.argv.as_slice()) {
        ("python" | "python2" | "python3", [_, flag, code]) if flag.text == "-c" => {
            (code, &["print("])
        }
        ("perl", [_, flag, code]) if matches!(flag.text.as_str(), "-e" | "-E") => {
            (code, &["print(", "print ", "say(", "say "])
        }
        ("ruby", [_, flag, code]) if flag.text == "-e" => {
            (code, &["puts(", "puts ", "print(", "print "])
        }
        ("node" | "nodejs" | "bun", [_, flag, code])
            if matches!(flag.text.as_str(), "-e" | "--eval") =>
        {
            (code, &["console.log(", "process.stdout.write("])
        }
        ("awk" | "gawk" | "mawk" | "nawk", [_, code]) => {
            (code, &["BEGIN{print ", "BEGIN { print "])
        }
        _ => return None,
    };
    if code.is_dynamic() {
        return None;
    }
    let text = code.text.trim().trim_end_matches(';').trim_end();
    let (call, rest) = calls
        .iter()
        .find_map(|c| text.strip_prefix(c).map(|r| (*c, r.trim_start())))?;
    // What closes the call: `)` after `(`, `}` for awk's block, nothing for `print "…"`.
    let close = if call.ends_with('(') {
        ")"
    } else if call.starts_with("BEGIN") {
        "}"
    } else {
        ""
    };
    let rest = rest.strip_suffix(close)?.trim_end();
    let rest = rest.strip_suffix(';').unwrap_or(rest).trim_end();
    let q = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let inner = rest.strip_prefix(q)?.strip_suffix(q)?;
    let inner = match name {
        "perl" | "ruby" if q == '"' => inner.strip_suffix("\\n").unwrap_or(inner),
        _ => inner,
    };
    if inner.contains(['\\', q]) || inner.is_empty() {
        return None;
    }
    Some((inner.to_string(), code.span))
}

/// What a `printf` format that prints each argument as it is puts between the arguments:
/// `%s\n` a newline (one line each), `%s` nothing (they run together), `%s ` a space; `%b`
/// is `%s` when no argument has a backslash (it would decode escapes). `None` for any other
/// format.
fn printf_joiner(format: &str, args: &[Word]) -> Option<&'static str> {
    let plain = || !args.iter().any(|w| w.text.contains('\\'));
    match format {
        "%s\\n" | "%s\\n\\n" => Some("\n"),
        "%b\\n" if plain() => Some("\n"),
        "%s" => Some(""),
        "%b" if plain() => Some(""),
        "%s " => Some(" "),
        _ => None,
    }
}

/// The text `printf` prints for a format without conversions (`echo`: what `echo -e` prints
/// for a word), its backslash escapes decoded; `None` for anything not decoded exactly (an
/// escape that is not one of theirs, `\c`, a NUL byte, bytes that are not UTF-8), which the
/// caller leaves unread.
pub(crate) fn printed_escapes(text: &str, echo: bool) -> Option<String> {
    printed_escapes_with_nul(text, echo).filter(|t| !t.contains('\0'))
}

/// [`printed_escapes`], keeping NUL bytes (`printf '/\0' | xargs -0 …` reads them as the
/// ends of items).
pub(crate) fn printed_escapes_with_nul(text: &str, echo: bool) -> Option<String> {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    // Up to `max` digits of `radix` from `b[i..]`: the value and how many were read.
    let digits = |i: usize, max: usize, radix: u32| {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max {
            match b.get(i + n).and_then(|&d| char::from(d).to_digit(radix)) {
                Some(d) => v = v * radix + d,
                None => break,
            }
            n += 1;
        }
        (v, n)
    };
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = *b.get(i)?;
        i += 1;
        match e {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'e' | b'E' => out.push(27),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            // echo's octal is `\0NNN`; printf's `\NNN`.
            b'0'..=b'7' => {
                let (start, max) = if echo { (i, 3) } else { (i - 1, 3) };
                if echo && e != b'0' {
                    return None;
                }
                let (v, n) = digits(start, max, 8);
                i = start + n;
                out.push(u8::try_from(v & 0xff).ok()?);
            }
            b'x' => {
                let (v, n) = digits(i, 2, 16);
                if n == 0 {
                    return None;
                }
                i += n;
                out.push(u8::try_from(v).ok()?);
            }
            b'u' | b'U' => {
                let (v, n) = digits(i, if e == b'u' { 4 } else { 8 }, 16);
                if n == 0 {
                    return None;
                }
                i += n;
                let mut buf = [0u8; 4];
                out.extend_from_slice(char::from_u32(v)?.encode_utf8(&mut buf).as_bytes());
            }
            b'"' if !echo => out.push(b'"'),
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

fn is_int_literal(w: &Word) -> bool {
    let t = w.text.strip_prefix('-').unwrap_or(&w.text);
    !w.is_dynamic() && !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod builtin_filter_tests {
    use super::{READING_BUILTINS, may_change_reading};

    /// The names in the arms of `check_builtin_named`'s `match`, read from this file.
    fn arm_names() -> Vec<&'static str> {
        crate::parse::arms::arm_names(
            include_str!("parser.rs"),
            "fn check_builtin_named",
            12,
            "\n    }\n",
        )
    }

    /// The filter in front of `check_builtin_named` lets every name of its arms through: an
    /// arm added without its name in `READING_BUILTINS` fails here.
    #[test]
    fn filter_passes_every_arm() {
        let mut arms = arm_names();
        arms.sort_unstable();
        let mut names = READING_BUILTINS.to_vec();
        names.sort_unstable();
        assert_eq!(arms, names);
        for n in READING_BUILTINS {
            assert!(may_change_reading(n.as_bytes()), "{n}");
        }
        for n in [
            "ls", "find", "echo", "cd", "sudo", "git", "", "s", "sett", "shop", "alia",
        ] {
            assert!(!may_change_reading(n.as_bytes()), "{n}");
        }
    }
}

#[cfg(test)]
mod control_tests {
    use proptest::prelude::*;

    /// An output with nothing in it, for a parser started by hand.
    fn empty_out() -> super::Out {
        super::Out {
            parts: Vec::new(),
            opaque: Vec::new(),
            heredocs: Vec::new(),
            heredoc_refs: Vec::new(),
            pipelines: 0,
            pipeline_parent: Vec::new(),
            loop_values: Vec::new(),
            functions: Vec::new(),
            depth: 0,
            limits: super::Limits::default(),
            dropped: false,
        }
    }

    proptest! {
        /// The search for `=` in a command's first word agrees with a byte-by-byte one, for
        /// any range of the input (near its end too, where eight bytes cannot be loaded).
        #[test]
        fn equals_search_agrees(
            bytes in proptest::collection::vec(proptest::sample::select(b"a=b\xff\x00".to_vec()), 0..40),
            from in 0usize..40,
            len in 0usize..40,
        ) {
            let start = from.min(bytes.len());
            let end = (start + len).min(bytes.len());
            proptest::prop_assert_eq!(
                super::holds_eq(&bytes, start..end),
                bytes[start..end].contains(&b'=')
            );
        }

        /// The byte search that marks `find`'s `{}` (and `xargs -I`'s string) in the words
        /// it runs agrees with `str::contains`.
        #[test]
        fn holds_bytes_agrees(
            hay in proptest::collection::vec(proptest::sample::select(b"{}ab%".to_vec()), 0..12),
            needle in proptest::collection::vec(proptest::sample::select(b"{}ab%".to_vec()), 0..4),
        ) {
            let h = String::from_utf8(hay).unwrap_or_default();
            let n = String::from_utf8(needle).unwrap_or_default();
            prop_assert_eq!(
                super::holds_bytes(h.as_bytes(), n.as_bytes()),
                h.contains(n.as_str())
            );
        }

        /// The reserved-word lookup (a first-byte test, the cache, then a slot) agrees with
        /// comparing the word before the next metacharacter with each reserved word, at every
        /// position of any input (reserved words, their prefixes and extensions,
        /// metacharacters, NUL bytes, the input's end).
        #[test]
        fn reserved_lookup_agrees(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "if", "then", "fi", "done", "do", "function", "functions", "coproc", "[[",
                    "]]", "{", "}", "!", "e", "i", "n", "select", "s", " ", ";", "|", "&", "(",
                    ")", "<", ">", "\t", "\n", "\0", "x", "elif", "esac", "until", "while",
                ]),
                0..8,
            ),
        ) {
            let src = pieces.concat();
            // Every position of the input, its end included.
            for at in 0..=src.len() {
                let mut out = empty_out();
                let mut p = super::P::new(
                    &src,
                    super::SpanMap::Offset(0),
                    &mut out,
                    super::Origin::Top,
                    None,
                );
                p.pos = at;
                let rest = &src.as_bytes()[at..];
                let n = rest.iter().take_while(|c| !super::is_meta(**c)).count();
                let expected = super::RESERVED.iter().copied().find(|r| r.as_bytes() == &rest[..n]);
                prop_assert_eq!(p.reserved(), expected, "{:?} at {}", src, at);
            }
        }

        /// Where the fast path reads a word, the general path reads the same word (text, span,
        /// flags, verbatim position) and stops at the same byte.
        #[test]
        fn fast_words_agree_with_the_general_path(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "{}", "{", "}", "a", "b9", ",", ".", "..", "=", "'x y'", "\"y\"", "-", "/",
                    "*", "$", "\\;", "'", "\"", "`", "\\", "0123456789 abcdef",
                ]),
                1..8,
            ),
            tail in proptest::sample::select(vec!["", " z", ";", "|x", ")"]),
            fixed in any::<bool>(),
        ) {
            let src = format!("{}{tail}", pieces.concat());
            let map = if fixed {
                super::SpanMap::Fixed(super::Span(1, 9))
            } else {
                super::SpanMap::Offset(3)
            };
            let mut out = empty_out();
            let mut p = super::P::new(&src, map, &mut out, super::Origin::Top, None);
            if let Some(f) = p.fast_word() {
                let fast = p.take_fast_word(f);
                let fast_end = p.pos;
                let general = p.word_general(0, false, false);
                prop_assert!(general.is_ok(), "{src:?}");
                if let Ok((general, _)) = general {
                    prop_assert_eq!(&fast, &general, "{:?}", src);
                }
                prop_assert_eq!(fast_end, p.pos, "{:?}", src);
            }
        }

        /// The count of plain bytes, eight at a time, agrees with a byte-by-byte one: runs of
        /// plain bytes of any length, ended anywhere by any other byte or by the input's end.
        #[test]
        fn plain_len_agrees(
            bytes in proptest::collection::vec(
                prop_oneof![4 => proptest::sample::select(b"az09-_./".to_vec()), 1 => any::<u8>()],
                0..40,
            )
        ) {
            let want = bytes.iter().take_while(|c| super::is_plain_byte(**c)).count();
            prop_assert_eq!(super::plain_len(&bytes), want);
        }

        /// The eight-bytes-at-a-time search agrees with a byte-by-byte one.
        #[test]
        fn control_byte_search_agrees(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b'\t'), Just(b'\n'), Just(0x7f), Just(0x20)],
                0..40,
            )
        ) {
            let want = bytes
                .iter()
                .position(|&b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7f);
            prop_assert_eq!(super::first_control_byte(&bytes), want);
        }

        /// Printable text with one control byte put anywhere: found where it is (tab and
        /// newline pass).
        #[test]
        fn one_control_byte_is_found(
            text in "[ -~\u{80}-\u{10ffff}]{0,40}",
            at in 0usize..41,
            b in prop_oneof![0u8..0x20, Just(0x7fu8)],
        ) {
            let mut bytes = text.into_bytes();
            let at = at.min(bytes.len());
            bytes.insert(at, b);
            let want = (b != b'\t' && b != b'\n').then_some(at);
            prop_assert_eq!(super::first_control_byte(&bytes), want);
        }
    }
}
