//! The parts of a parsed command and the words they are made of.

use compact_str::CompactString;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

/// A byte range `[start, end)` in the command text that was parsed.
///
/// Spans of parts that come from a script string (`bash -c '…'`, `eval`, backticks) point into
/// the outer command text: exactly when the script string is written verbatim (`'…'` or a plain
/// word), otherwise at the whole script-string word.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Span(pub usize, pub usize);

impl Span {
    /// Start offset in bytes.
    pub fn start(self) -> usize {
        self.0
    }
    /// End offset in bytes (exclusive).
    pub fn end(self) -> usize {
        self.1
    }
    /// True when `other` lies within `self`.
    pub fn contains(self, other: Span) -> bool {
        self.0 <= other.0 && other.1 <= self.1
    }
}

/// What a word contains that only the running shell can resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WordFlags(u16);

impl WordFlags {
    /// `$name`, `${…}`.
    pub const PARAM: WordFlags = WordFlags(1);
    /// `$(…)`, backticks, `<(…)`, `>(…)`.
    pub const SUBST: WordFlags = WordFlags(1 << 1);
    /// `$((…))`, `$[…]`.
    pub const ARITH: WordFlags = WordFlags(1 << 2);
    /// Unquoted `*`, `?`, `[…]`.
    pub const GLOB: WordFlags = WordFlags(1 << 3);
    /// Unquoted `{a,b}`, `{1..3}`.
    pub const BRACE: WordFlags = WordFlags(1 << 4);
    /// Unquoted `~` where bash expands it.
    pub const TILDE: WordFlags = WordFlags(1 << 5);
    /// `$"…"` (translated at run time).
    pub const LOCALE: WordFlags = WordFlags(1 << 6);
    /// Replaced by a wrapper at run time (`{}` of `find -exec`, the `-I` string of `xargs`).
    pub const RUNTIME: WordFlags = WordFlags(1 << 7);
    /// Some part of the word was quoted or escaped.
    pub const QUOTED: WordFlags = WordFlags(1 << 8);
    /// An expansion that bash may turn into several words: unquoted (split and globbed), or
    /// `"$@"` and `"${a[@]}"` in double quotes.
    pub const SPLIT: WordFlags = WordFlags(1 << 9);

    const DYNAMIC_MASK: u16 = 0xff;

    /// No flags.
    pub const fn empty() -> Self {
        WordFlags(0)
    }
    /// True when every flag of `other` is set.
    pub const fn contains(self, other: WordFlags) -> bool {
        self.0 & other.0 == other.0
    }
    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: WordFlags) {
        self.0 |= other.0;
    }
    /// Clears the flags of `other`.
    pub fn remove(&mut self, other: WordFlags) {
        self.0 &= !other.0;
    }
    /// Only the flags that make a word dynamic.
    pub const fn dynamic_part(self) -> WordFlags {
        WordFlags(self.0 & Self::DYNAMIC_MASK)
    }
    /// True when the word expands at run time.
    pub const fn is_dynamic(self) -> bool {
        self.0 & Self::DYNAMIC_MASK != 0
    }
}

/// One word of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word after quote removal when it is static; its source text when it is dynamic.
    /// (Short words are stored inline, without an allocation.)
    pub text: CompactString,
    /// Where the word stands in the parsed text.
    pub span: Span,
    /// What in it expands at run time.
    pub flags: WordFlags,
    /// When the word's static value stands byte for byte in the input, where it starts
    /// (a plain word, or the inside of `'…'` or `"…"` without escapes).
    pub verbatim_at: Option<usize>,
}

impl Word {
    /// True when the word's value is only known at run time.
    pub fn is_dynamic(&self) -> bool {
        self.flags.is_dynamic()
    }

    /// The word's static value, or `None` when it expands at run time.
    pub fn literal(&self) -> Option<&str> {
        (!self.is_dynamic()).then_some(self.text.as_str())
    }

    /// For a word whose only expansion is brace expansion (`{rm,-rf,/}`), the words bash
    /// expands it to; `None` otherwise or when the expansion would be larger than 256 words.
    pub fn brace_expansion(&self) -> Option<Vec<String>> {
        if self.flags.dynamic_part() != WordFlags::BRACE {
            return None;
        }
        crate::parse::brace::expand(&self.text, 256)
    }
}

impl Serialize for Word {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Word", 3)?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("span", &self.span)?;
        st.serialize_field("dynamic", &self.is_dynamic())?;
        st.end()
    }
}

/// A redirection operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedirectOp {
    /// `<`
    In,
    /// `>`
    Out,
    /// `>>`
    Append,
    /// `>|`
    Clobber,
    /// `<>`
    ReadWrite,
    /// `<&`
    DupIn,
    /// `>&`
    DupOut,
    /// `&>`
    OutErr,
    /// `&>>`
    AppendOutErr,
    /// `<<`
    Heredoc,
    /// `<<-`
    HeredocStrip,
    /// `<<<`
    HereString,
}

impl RedirectOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectOp::In => "<",
            RedirectOp::Out => ">",
            RedirectOp::Append => ">>",
            RedirectOp::Clobber => ">|",
            RedirectOp::ReadWrite => "<>",
            RedirectOp::DupIn => "<&",
            RedirectOp::DupOut => ">&",
            RedirectOp::OutErr => "&>",
            RedirectOp::AppendOutErr => "&>>",
            RedirectOp::Heredoc => "<<",
            RedirectOp::HeredocStrip => "<<-",
            RedirectOp::HereString => "<<<",
        }
    }
}

/// The file descriptor a redirection applies to, when written (`2>`, `{fd}>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Fd {
    /// A number.
    Number(u32),
    /// `{name}`: bash allocates a descriptor and stores it in `name`.
    Var(String),
}

/// The body of a here-document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// The body as written (after `<<-` tab stripping).
    pub body: String,
    /// True when the delimiter was quoted: the body is literal.
    pub quoted: bool,
    /// True when an unquoted body contains expansions.
    pub dynamic: bool,
}

/// One redirection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The descriptor written before the operator, if any.
    pub fd: Option<Fd>,
    /// The operator.
    pub op: RedirectOp,
    /// The target word (for here-documents, the delimiter).
    pub target: Word,
    /// The here-document body for `<<` and `<<-`.
    pub heredoc: Option<Heredoc>,
    /// The whole redirection in the source.
    pub span: Span,
}

impl Redirect {
    /// True when the redirection empties the path it names before writing (`>`, `>|`, `&>`;
    /// not `>>` or `<>`).
    pub fn empties_path(&self) -> bool {
        match self.op {
            RedirectOp::Out | RedirectOp::Clobber | RedirectOp::OutErr => true,
            RedirectOp::DupOut => !is_fd_target(&self.target),
            _ => false,
        }
    }

    /// True when the redirection writes to a path (not a descriptor duplication or close).
    /// `/dev/null` and friends still count: the caller decides which paths are harmless.
    pub fn writes_path(&self) -> bool {
        match self.op {
            RedirectOp::Out
            | RedirectOp::Append
            | RedirectOp::Clobber
            | RedirectOp::ReadWrite
            | RedirectOp::OutErr
            | RedirectOp::AppendOutErr => true,
            // `>&word` with a word that is not a number or `-` is bash's `&>word`.
            RedirectOp::DupOut => !is_fd_target(&self.target),
            _ => false,
        }
    }
}

fn is_fd_target(w: &Word) -> bool {
    !w.is_dynamic() && {
        let t = w.text.strip_suffix('-').unwrap_or(&w.text);
        t.is_empty() || t.bytes().all(|b| b.is_ascii_digit())
    }
}

impl Serialize for Redirect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("fd", &self.fd)?;
        m.serialize_entry("op", self.op.as_str())?;
        m.serialize_entry("target", &self.target.text)?;
        m.serialize_entry("dynamic", &self.target.is_dynamic())?;
        if let Some(h) = &self.heredoc {
            m.serialize_entry("heredoc", h)?;
        }
        m.serialize_entry("span", &self.span)?;
        m.end()
    }
}

/// Where a part came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A command of the input itself, including those in groups, subshells and control flow.
    Top,
    /// The inside of `$(…)`, backticks, `<(…)` or `>(…)`, also in double quotes, parameter
    /// defaults, arithmetic and here-document bodies.
    Substitution,
    /// The command a wrapper runs (`sudo X`, `env A=b X`, `xargs X`, `find -exec X ;`).
    Wrapper,
    /// A script string (`bash -c`, `eval`, `ssh host …`, `su -c`, `trap`, `watch`).
    Script,
}

impl Origin {
    /// Lowercase name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Top => "top",
            Origin::Substitution => "substitution",
            Origin::Wrapper => "wrapper",
            Origin::Script => "script",
        }
    }
}

/// One simple command that can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The command name and its arguments.
    pub argv: Vec<Word>,
    /// Leading `NAME=value` words, in order.
    pub assignments: Vec<Word>,
    /// Redirections, in order.
    pub redirects: Vec<Redirect>,
    /// Where the part came from.
    pub origin: Origin,
    /// For wrapper and script parts, the wrapper that runs it (`sudo`, `bash -c`, `ssh`).
    pub via: Option<&'static str>,
    /// Where the part stands in the input.
    pub span: Span,
    /// Which pipeline of the input the part belongs to (numbered from 0 in source order).
    pub pipeline: u32,
    /// The part's position in its pipeline: stage N reads what stage N-1 writes.
    pub stage: u32,
    /// True when the part runs in the background (`&`).
    pub background: bool,
    /// True when a wrapper appends arguments at run time (`xargs`, `find -exec … +`).
    pub open_args: bool,
}

impl Part {
    /// The command name when it is static.
    pub fn program(&self) -> Option<&str> {
        self.argv.first().and_then(Word::literal)
    }

    /// The command name's last path component when static (`/usr/bin/rm` is `rm`).
    pub fn program_name(&self) -> Option<&str> {
        self.program().map(basename)
    }

    /// True when every word, assignment and redirection target is static.
    pub fn is_static(&self) -> bool {
        self.argv.iter().all(|w| !w.is_dynamic())
            && self.assignments.iter().all(|w| !w.is_dynamic())
            && self
                .redirects
                .iter()
                .all(|r| !r.target.is_dynamic() && r.heredoc.as_ref().is_none_or(|h| !h.dynamic))
            && !self.open_args
    }

    /// The canonical text of the part: assignments and argv joined by single spaces, each
    /// word shell-quoted where needed (dynamic words as written).
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.push_canonical(&mut out);
        out
    }

    /// Appends [`Part::canonical`] to `out`.
    pub fn push_canonical(&self, out: &mut String) {
        let start = out.len();
        for w in &self.assignments {
            if out.len() > start {
                out.push(' ');
            }
            match w.text.split_once('=') {
                Some((name, value)) if !w.is_dynamic() => {
                    out.push_str(name);
                    out.push('=');
                    if !value.is_empty() {
                        crate::parse::quote::push_quoted(out, value);
                    }
                }
                _ => out.push_str(&w.text),
            }
        }
        for w in &self.argv {
            if out.len() > start {
                out.push(' ');
            }
            if w.is_dynamic() {
                out.push_str(&w.text);
            } else {
                crate::parse::quote::push_quoted(out, &w.text);
            }
        }
    }
}

/// The last path component of a command name.
pub fn basename(s: &str) -> &str {
    match s.as_bytes().iter().rposition(|b| *b == b'/') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

impl Serialize for Part {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        let argv: Vec<&str> = self.argv.iter().map(|w| w.text.as_str()).collect();
        let assigns: Vec<&str> = self.assignments.iter().map(|w| w.text.as_str()).collect();
        m.serialize_entry("argv", &argv)?;
        m.serialize_entry("assignments", &assigns)?;
        m.serialize_entry("redirects", &self.redirects)?;
        m.serialize_entry("origin", self.origin.as_str())?;
        if let Some(v) = &self.via {
            m.serialize_entry("via", v)?;
        }
        m.serialize_entry("span", &self.span)?;
        m.serialize_entry("words", &self.argv)?;
        m.serialize_entry("pipeline", &[self.pipeline, self.stage])?;
        if self.background {
            m.serialize_entry("background", &true)?;
        }
        if self.open_args {
            m.serialize_entry("open_args", &true)?;
        }
        m.end()
    }
}

/// Why a command is opaque: what the parser could not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OpaqueKind {
    /// Bash would reject the syntax, or it is another shell's.
    Syntax,
    /// Over the size, depth or count limits.
    Limit,
    /// NUL or another control byte, or text that is not UTF-8.
    ControlByte,
    /// A function or alias definition changes what later names mean.
    Definition,
    /// `shopt`, `set -o …`, `enable`, `hash -p` change how the rest is read.
    ShellOption,
    /// A script string known only at run time (`eval "$x"`, `bash -c "$cmd"`).
    DynamicScript,
    /// Arithmetic evaluation of run-time values can run commands (`a[$(cmd)]`).
    Arithmetic,
    /// A wrapper option the parser does not know, so the inner command is unknown.
    UnknownOption,
    /// Syntax the parser recognises but does not model (`coproc`).
    Unsupported,
}

/// One reason a command is opaque.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opaque {
    /// The kind of reason.
    pub kind: OpaqueKind,
    /// A sentence for the reviewer.
    pub message: String,
    /// Where in the input.
    pub span: Span,
}

/// The result of parsing one command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// Every simple command that can run, in the order bash would complete reading them.
    pub parts: Vec<Part>,
    /// Why the command is opaque; empty when the parser understood all of it.
    pub opaque: Vec<Opaque>,
    /// The length of the parsed input in bytes.
    pub len: usize,
    /// Pipelines that are inside a stage of another pipeline of several stages, because a
    /// group, subshell, substitution or script string is that stage (`(curl x) | sh`):
    /// `(pipeline, enclosing pipeline, its stage)`, the nearest such enclosing stage. Empty
    /// for most commands. See [`Parsed::pipes_into`] and [`Parsed::reads_pipe`].
    pub pipeline_parent: Vec<(u32, u32, u32)>,
    /// The values `for NAME in WORDS` and `select NAME in WORDS` give a variable: one
    /// `(NAME, word)` for each word whose value is static, or that is a glob (as written),
    /// at most 64 in all. Empty for most commands.
    pub loop_values: Vec<(CompactString, CompactString)>,
    /// The names of the functions the command line defines (`f() { …; }`, `function f {
    /// …; }`), at most 64. Empty for most commands.
    pub functions: Vec<CompactString>,
}

impl Parsed {
    /// The (pipeline, stage) pairs that hold part `p`: its own, then those of the stages
    /// its pipeline is inside ([`Parsed::pipeline_parent`]), innermost first.
    fn stages_of(&self, p: &Part) -> impl Iterator<Item = (u32, u32)> + '_ {
        let mut cur = Some((p.pipeline, p.stage));
        // (Bounded: each step goes to an enclosing pipeline, so the chain cannot repeat.)
        std::iter::from_fn(move || {
            let here = cur?;
            cur = self
                .pipeline_parent
                .iter()
                .find(|e| e.0 == here.0)
                .map(|e| (e.1, e.2));
            Some(here)
        })
        .take(64)
    }

    /// True when what part `a` writes to standard output can reach part `b`'s standard
    /// input through a pipe: `a` is in an earlier stage of a pipeline that holds them both,
    /// directly or inside a group, subshell, substitution or script string that is a stage.
    pub fn pipes_into(&self, a: &Part, b: &Part) -> bool {
        if a.pipeline == b.pipeline {
            return a.stage < b.stage;
        }
        if self.pipeline_parent.is_empty() {
            return false;
        }
        self.stages_of(a)
            .any(|(pa, sa)| self.stages_of(b).any(|(pb, sb)| pa == pb && sa < sb))
    }

    /// True when part `a` runs in a process substitution that is `b`'s standard input
    /// (`bash < <(curl x)`), or in a substitution of `b`'s here-string (`bash <<< "$(curl
    /// x)"`): what `a` prints is what `b` reads, as through a pipe.
    pub fn feeds_stdin(&self, a: &Part, b: &Part) -> bool {
        a.origin == Origin::Substitution
            && b.redirects.iter().any(|r| {
                let from = match r.op {
                    RedirectOp::In => r.target.text.starts_with("<("),
                    // What a here-string's substitution prints is `b`'s input (`bash <<<
                    // "$(curl …)"`, `. /dev/stdin <<< "$(curl …)"`).
                    RedirectOp::HereString => true,
                    _ => false,
                };
                from && r.fd.as_ref().is_none_or(|fd| *fd == Fd::Number(0))
                    && r.target.span.contains(a.span)
            })
    }

    /// True when part `p` may read a pipe on its standard input: it is a later stage of a
    /// pipeline, or the first stage of one that is inside a later stage (`curl x | (sh)`).
    pub fn reads_pipe(&self, p: &Part) -> bool {
        if p.stage > 0 {
            return true;
        }
        self.stages_of(p).any(|(_, s)| s > 0)
    }

    /// A line that is only `cd` with at most one literal argument (no substitution,
    /// expansion, assignment or redirection), which a gated shell may carry out itself since
    /// it runs nothing: `Some(None)` for a bare `cd`, `Some(Some(dir))`, or `None` for
    /// anything else (which must be gated).
    pub fn plain_cd(&self) -> Option<Option<&str>> {
        if self.is_opaque() || self.parts.len() != 1 {
            return None;
        }
        let p = &self.parts[0];
        if !p.assignments.is_empty()
            || !p.redirects.is_empty()
            || p.argv.len() > 2
            || p.argv.first().map(|w| w.text.as_str()) != Some("cd")
            || p.argv.iter().any(Word::is_dynamic)
        {
            return None;
        }
        Some(p.argv.get(1).map(|w| w.text.as_str()))
    }

    /// True when something in the command could not be understood: it must go to review.
    pub fn is_opaque(&self) -> bool {
        !self.opaque.is_empty()
    }

    /// All opaque reasons in one line, or `None`.
    pub fn opaque_reason(&self) -> Option<String> {
        if self.opaque.is_empty() {
            return None;
        }
        let msgs: Vec<&str> = self.opaque.iter().map(|o| o.message.as_str()).collect();
        Some(msgs.join("; "))
    }
}

impl Serialize for Parsed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("parts", &self.parts)?;
        m.serialize_entry("opaque", &self.opaque_reason())?;
        if !self.opaque.is_empty() {
            m.serialize_entry("opaque_reasons", &self.opaque)?;
        }
        m.end()
    }
}
