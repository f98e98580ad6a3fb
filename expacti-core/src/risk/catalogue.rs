//! The signal catalogue: its TOML form and its compiled form.

use std::collections::HashMap;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use super::Level;
use super::glob::{self, GlobList};

/// A catalogue that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    /// The TOML does not parse or does not fit the schema.
    #[error("{0}")]
    Toml(String),
    /// A signal's regex is invalid.
    #[error("signal `{id}`: invalid regex `{field}`: {message}")]
    Regex {
        /// The signal.
        id: String,
        /// The field holding the regex.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A signal is not well formed.
    #[error("signal `{id}`: {message}")]
    Invalid {
        /// The signal.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// The conditions of a signal, as written in TOML. Every field given must hold.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CondSpec {
    /// Globs on the command name's last path component.
    #[serde(default)]
    pub program: Vec<String>,
    /// Alternatives: space-separated word globs found among the first positional words.
    #[serde(default)]
    pub sub: Vec<String>,
    /// Words that end the search for `sub`: no alternative is looked for after a positional
    /// word equal to one of these (docker's `run`: the words after it are the image and the
    /// container's command, not docker's subcommand).
    #[serde(default)]
    pub sub_stop: Vec<String>,
    /// Groups of flags; each group must have one present.
    #[serde(default)]
    pub flags: Vec<Vec<String>>,
    /// Flags that must all be absent.
    #[serde(default)]
    pub not_flags: Vec<String>,
    /// Globs; some argument matches.
    #[serde(default)]
    pub args: Vec<String>,
    /// Globs that exclude arguments from `args` (or, without `args`: no argument may match).
    #[serde(default)]
    pub not_args: Vec<String>,
    /// A regex over the part's words and here-document bodies.
    #[serde(default)]
    pub text: Option<String>,
    /// A regex that must not match the part's text.
    #[serde(default)]
    pub not_text: Option<String>,
    /// Globs on assigned variable names.
    #[serde(default)]
    pub assign: Vec<String>,
    /// Globs on the destination of a copy, move or link: the directory of `-t DIR` or
    /// `--target-directory`, or else the last of two or more operands.
    #[serde(default)]
    pub dest: Vec<String>,
    /// Globs the destination must not match.
    #[serde(default)]
    pub not_dest: Vec<String>,
    /// Globs on what a copy, move or link takes: its operands other than the destination.
    #[serde(default)]
    pub src: Vec<String>,
    /// Globs that exclude operands from `src`.
    #[serde(default)]
    pub not_src: Vec<String>,
    /// Globs on paths written by redirection.
    #[serde(default)]
    pub redirect: Vec<String>,
    /// Globs on any redirection target.
    #[serde(default)]
    pub redirect_any: Vec<String>,
    /// Globs on paths a redirection empties before writing (`>`, `>|`, `&>`; not `>>`).
    #[serde(default)]
    pub truncate: Vec<String>,
    /// The wrapper that runs the part.
    #[serde(default)]
    pub via: Vec<String>,
    /// A production marker must appear in the part.
    #[serde(default)]
    pub prod: bool,
    /// The command name is only known at run time.
    #[serde(default)]
    pub dynamic_program: bool,
    /// The command has no operands (no argument that is not an option).
    #[serde(default)]
    pub no_operands: bool,
    /// Standard input is the terminal: not redirected or piped, here or in a wrapper.
    #[serde(default)]
    pub interactive: bool,
    /// Standard output is the terminal or the job's log: not redirected to a file, not piped
    /// into another command and not taken by a substitution, here or in a wrapper.
    #[serde(default)]
    pub to_log: bool,
    /// The `text` regex holds only where it matches inside a word that expands at run time,
    /// outside the word's command substitutions: `echo "$TOKEN"`, not `echo '$TOKEN'` (which
    /// prints the text as written) nor `echo "$(check "$TOKEN")"` (whose inner command is a
    /// part of its own).
    #[serde(default)]
    pub text_expands: bool,
    /// The part runs no command of its own as a part: it wraps no command and runs no
    /// script string (`sudo -l`, `sudo -k` alone; not `sudo -k make install`).
    #[serde(default)]
    pub runs_nothing: bool,
    /// Conditions that each undo the signal: when one of them holds for the part (every
    /// field it gives), the signal does not (`privilege-wrapper`, unless `sudo` only lists
    /// or edits).
    #[serde(default)]
    pub unless: Vec<CondSpec>,
    /// (Compositions only) one of these signals fired on the part.
    #[serde(default)]
    pub signal: Vec<String>,
}

/// The bit of a 64-bit set that stands for words starting with the bytes `p` (a filter:
/// different starts may share a bit, so a set bit only means "maybe"). The bit is the top
/// six bits of a multiplicative hash of the pair: `(a * 31 + b) & 63` sent every pair of
/// consecutive bytes (`de`, `./`, `st`) to one of two bits, so `* delete-*` was tried on
/// every command with a `./path` operand.
pub(crate) fn start_pair_bit(p: [u8; 2]) -> u64 {
    let k = u32::from(u16::from_be_bytes(p));
    1 << (k.wrapping_mul(0x9E37_79B1) >> 26)
}

/// One signal as written in TOML.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SignalSpec {
    /// Unique id, shown with every reason.
    pub id: String,
    /// Score 0–100 (or give `level`).
    #[serde(default)]
    pub score: Option<u8>,
    /// Level, standing for its lowest score (or give `score`).
    #[serde(default)]
    pub level: Option<Level>,
    /// A modifier instead of a score: added to the part's score.
    #[serde(default)]
    pub modifier: Option<i16>,
    /// The least part score a modifier applies to.
    #[serde(default)]
    pub min_base: Option<u8>,
    /// The highest score a modifier may lift a part to.
    #[serde(default)]
    pub cap: Option<u8>,
    /// The sentence shown to the reviewer (`{prog}`, `{match}`, `{via}` are filled in).
    pub reason: String,
    /// The conditions.
    #[serde(flatten)]
    pub when: CondSpec,
}

/// How the two parts of a composition connect.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ComposeKind {
    /// `a` writes into `b` through a pipeline.
    Pipe,
    /// `b` runs in a substitution inside `a`'s words.
    Inside,
    /// `a` comes before `b` in the command.
    Sequence,
    /// Both appear anywhere (as different parts).
    Both,
    /// `a` comes before `b` and writes a file (by redirection, or as a download tool saves
    /// one: `curl -o F`, `wget URL`) that `b` names as an argument (`echo … > x.sh; sh x.sh`).
    /// Written `writes-file`.
    #[serde(rename = "writes-file")]
    WritesFile,
    /// `a` comes before `b` and writes a file (by redirection, or as a download tool saves
    /// one) that `b` runs as its program (`curl -o i URL; ./i`). Written `writes-program`.
    #[serde(rename = "writes-program")]
    WritesProgram,
}

/// A signal over two parts of a command.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ComposeSpec {
    /// Unique id.
    pub id: String,
    /// Score.
    #[serde(default)]
    pub score: Option<u8>,
    /// Level.
    #[serde(default)]
    pub level: Option<Level>,
    /// The sentence (`{a}` and `{b}` are filled in).
    pub reason: String,
    /// How they connect.
    pub kind: ComposeKind,
    /// The first part.
    pub a: CondSpec,
    /// The second part.
    pub b: CondSpec,
}

/// A regex over the whole command text.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// Unique id.
    pub id: String,
    /// Score.
    #[serde(default)]
    pub score: Option<u8>,
    /// Level.
    #[serde(default)]
    pub level: Option<Level>,
    /// The sentence.
    pub reason: String,
    /// The regex.
    pub regex: String,
    /// Literal text the command must contain before the regex is tried (a fast pre-test,
    /// compared byte for byte although the regex ignores case): text every match holds.
    #[serde(default)]
    pub requires: Option<String>,
    /// More literal text the command must contain as well (looked for only in a command that
    /// holds `requires`): `requires = "@"` and `also_requires = "://"` for a URL's user.
    #[serde(default)]
    pub also_requires: Option<String>,
    /// True: tried only on a command the parser could not read at all (no parts, only a
    /// reason it is opaque), such as PowerShell typed where a POSIX shell is gated.
    #[serde(default)]
    pub unparsed: bool,
}

/// A catalogue file: signals, compositions, whole-text signals and production markers.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CatalogueSpec {
    /// Words that mark production targets.
    #[serde(default)]
    pub prod_markers: Vec<String>,
    /// Signals over one part.
    #[serde(default)]
    pub signal: Vec<SignalSpec>,
    /// Signals over two parts.
    #[serde(default)]
    pub compose: Vec<ComposeSpec>,
    /// Signals over the whole text.
    #[serde(default)]
    pub raw: Vec<RawSpec>,
}

impl CatalogueSpec {
    /// Reads a catalogue from TOML.
    ///
    /// # Errors
    /// When the TOML is invalid or does not fit the schema.
    pub fn from_toml(text: &str) -> Result<Self, CatalogueError> {
        toml::from_str(text).map_err(|e| CatalogueError::Toml(e.to_string()))
    }
}

pub(crate) fn score_of(
    id: &str,
    score: Option<u8>,
    level: Option<Level>,
) -> Result<u8, CatalogueError> {
    match (score, level) {
        (Some(s), None) if s <= 100 => Ok(s),
        (None, Some(l)) => Ok(l.floor()),
        (Some(_), Some(_)) => Err(CatalogueError::Invalid {
            id: id.to_string(),
            message: "give `score` or `level`, not both".into(),
        }),
        (Some(s), None) => Err(CatalogueError::Invalid {
            id: id.to_string(),
            message: format!("score {s} is over 100"),
        }),
        (None, None) => Err(CatalogueError::Invalid {
            id: id.to_string(),
            message: "needs a `score` or a `level`".into(),
        }),
    }
}

/// A flag pattern.
#[derive(Debug, Clone)]
pub(crate) enum Flag {
    /// `-x`: exactly, or inside a short cluster (`-rf`).
    Short(u8),
    /// `-x*` in the catalogue: `-x` with a value written onto it or not (`sed -i.bak`,
    /// `-iSUFFIX`, `-i`), or inside a short cluster.
    Attached(u8),
    /// `--x` or `-long`: exactly, or `--x=v` unless v is false/0/no/none/off; with its
    /// [`long_bit`] (all bits when the flag itself holds `=`).
    Long(String, u64),
}

/// One of 64 bits for an option name (a dash word up to its first `=`): a part records the
/// bits of its dash words, and a long flag whose bit is not among them is not looked for.
pub(crate) fn long_bit(name: &[u8]) -> u64 {
    let h = name.iter().fold(name.len() as u64, |h, &b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    1 << (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58)
}

impl Flag {
    pub(crate) fn new(s: &str) -> Self {
        let b = s.as_bytes();
        if b.len() == 2 && b[0] == b'-' && b[1].is_ascii_alphanumeric() {
            Flag::Short(b[1])
        } else if b.len() == 3 && b[0] == b'-' && b[1].is_ascii_alphanumeric() && b[2] == b'*' {
            Flag::Attached(b[1])
        } else {
            let bit = if b.contains(&b'=') {
                u64::MAX
            } else {
                long_bit(b)
            };
            Flag::Long(s.to_string(), bit)
        }
    }

    /// `clusters`: whether the program groups short flags (`-rf`); programs with
    /// single-dash long options (`find -name`, `terraform -auto-approve`) do not.
    pub(crate) fn matches(&self, word: &str, clusters: bool) -> bool {
        match self {
            Flag::Attached(c) => {
                let w = word.as_bytes();
                (w.len() >= 2 && w[0] == b'-' && w[1] == *c)
                    || Flag::Short(*c).matches(word, clusters)
            }
            Flag::Short(c) => {
                let w = word.as_bytes();
                if w.len() == 2 {
                    return w[0] == b'-' && w[1] == *c;
                }
                if !clusters {
                    return false;
                }
                // A short cluster: `-rf`, `-xvzf`; not `--long` nor `-name`-style words.
                w.len() >= 3
                    && w.len() <= 6
                    && w[0] == b'-'
                    && w[1] != b'-'
                    && w[1..].iter().all(u8::is_ascii_alphabetic)
                    && w[1..].contains(c)
            }
            Flag::Long(f, _) => {
                let (w, f) = (word.as_bytes(), f.as_bytes());
                if w.len() < f.len() || w[..f.len()] != *f {
                    return false;
                }
                match w.get(f.len()) {
                    None => true,
                    Some(b'=') => {
                        let v = &w[f.len() + 1..];
                        !["false", "0", "no", "none", "off"]
                            .iter()
                            .any(|x| x.as_bytes().eq_ignore_ascii_case(v))
                    }
                    Some(_) => false,
                }
            }
        }
    }
}

/// Flags of which one is enough, with the bits a part's dash words must have for one of
/// them to be there (short flag letters; [`long_bit`]s of long ones).
#[derive(Debug, Clone, Default)]
pub(crate) struct FlagGroup {
    pub flags: Vec<Flag>,
    bits: FlagBits,
}

/// The bits a part's dash words must have for one flag of a group to be there.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FlagBits {
    shorts: u128,
    longs: u64,
}

impl FlagBits {
    /// False when none of the flags can be among dash words with these bits (see
    /// [`Flag::matches`]: a short flag needs its letter, a long one its option-name bit).
    pub(crate) fn may_hold(self, shorts: u128, longs: u64) -> bool {
        self.shorts & shorts != 0 || self.longs & longs != 0
    }
}

impl FlagGroup {
    fn new(src: &[String]) -> Self {
        let flags: Vec<Flag> = src.iter().map(|f| Flag::new(f)).collect();
        let mut bits = FlagBits::default();
        for f in &flags {
            match f {
                Flag::Short(c) | Flag::Attached(c) if *c < 128 => bits.shorts |= 1u128 << c,
                Flag::Short(_) | Flag::Attached(_) => {}
                Flag::Long(_, bit) => bits.longs |= bit,
            }
        }
        FlagGroup { flags, bits }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// See [`FlagBits::may_hold`].
    pub(crate) fn may_hold(&self, shorts: u128, longs: u64) -> bool {
        self.bits.may_hold(shorts, longs)
    }
}

/// A compiled condition.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cond {
    /// Which of the fields below are set ([`Need`] bits): a condition is large, and testing
    /// one word of it instead of each field's emptiness touches one cache line, not ten.
    pub need: u32,
    pub program: Vec<String>,
    pub program_globs: GlobList,
    pub sub: Vec<Vec<String>>,
    /// The words of `sub`, compiled (`*` crosses `/` in them).
    pub sub_m: Vec<Vec<glob::Matcher>>,
    /// Alternatives of `sub` by their literal first word: (the word's [`glob::word_hash`],
    /// the word, its alternatives), sorted, so that a part hashes its first words once and
    /// every condition looks them up by hash.
    pub sub_first: Vec<(u64, Box<str>, Vec<usize>)>,
    /// Alternatives of `sub` whose first word is a glob.
    pub sub_glob_first: Vec<usize>,
    /// One bit (the low six bits of the hash) per word of `sub_first`: a positional word
    /// whose bit is clear starts none of the literal alternatives, without a search.
    pub sub_first_bits: u64,
    /// For each of `sub_glob_first`: the first two bytes that one of its words must start
    /// with (the first word that is a literal or a literal prefix of two bytes or more), or
    /// `None` when no word has such a start. An alternative whose start no positional word
    /// has cannot match anywhere (see [`start_pair_bit`]).
    pub sub_glob_pairs: Vec<Option<[u8; 2]>>,
    /// See [`CondSpec::sub_stop`].
    pub sub_stop: Vec<String>,
    pub flags: Vec<FlagGroup>,
    pub not_flags: FlagGroup,
    pub args: GlobList,
    /// The `args` globs as written (for the catalogue's index).
    pub args_src: Vec<String>,
    /// The globs some redirection target must match for the condition to hold through a
    /// redirection, as written (for the catalogue's index): `redirect`, else `truncate`,
    /// else `redirect_any`.
    pub target_src: Vec<String>,
    pub not_args: GlobList,
    pub text: Option<TextRegex>,
    pub not_text: Option<TextRegex>,
    pub assign: GlobList,
    /// The `assign` globs with a `=`, matched against the whole `NAME=value`.
    pub assign_value: GlobList,
    pub redirect: GlobList,
    pub redirect_any: GlobList,
    pub truncate: GlobList,
    pub dest: GlobList,
    pub not_dest: GlobList,
    pub src: GlobList,
    pub not_src: GlobList,
    pub via: Vec<String>,
    pub prod: bool,
    pub dynamic_program: bool,
    pub no_operands: bool,
    pub interactive: bool,
    pub to_log: bool,
    pub text_expands: bool,
    pub runs_nothing: bool,
    pub unless: Vec<Cond>,
    pub signal: Vec<String>,
}

/// A `text` or `not_text` regex with its literal factors (see [`super::factor`]).
#[derive(Debug, Clone)]
pub(crate) struct TextRegex {
    pub re: Regex,
    factors: Option<super::factor::PairSets>,
}

impl TextRegex {
    /// False when the text (as [`super::factor::TextBits`]) lacks every string of one of the
    /// factor sets, so the regex cannot match it; true when it may.
    /// (`text` is only asked for when the regex has factors.)
    pub(crate) fn may_match<'t>(&self, text: impl FnOnce() -> &'t super::factor::TextBits) -> bool {
        self.factors
            .as_deref()
            .is_none_or(|f| super::factor::may_match(f, text()))
    }
}

fn text_regex(
    id: &str,
    field: &'static str,
    src: &Option<String>,
) -> Result<Option<TextRegex>, CatalogueError> {
    let Some(re) = regex(id, field, src)? else {
        return Ok(None);
    };
    // The factors of the tree the regex was compiled from (with Unicode only when it needed
    // it, as in `regex`).
    let pattern = re.as_str();
    let unicode = RegexBuilder::new(pattern)
        .case_insensitive(true)
        .unicode(false)
        .size_limit(1 << 20)
        .build()
        .is_err();
    let factors = super::factor::factors(pattern, unicode).map(|f| super::factor::pair_sets(&f));
    Ok(Some(TextRegex { re, factors }))
}

fn regex(
    id: &str,
    field: &'static str,
    src: &Option<String>,
) -> Result<Option<Regex>, CatalogueError> {
    let Some(s) = src.as_deref() else {
        return Ok(None);
    };
    // ASCII classes and case folding compile many times faster than Unicode ones, and
    // commands are matched on their ASCII keywords; patterns that need Unicode (or that could
    // match bytes that are not UTF-8 without it) are compiled with it.
    let build = |unicode: bool| {
        RegexBuilder::new(s)
            .case_insensitive(true)
            .unicode(unicode)
            .size_limit(1 << 20)
            .build()
    };
    build(false)
        .or_else(|_| build(true))
        .map(Some)
        .map_err(|e| CatalogueError::Regex {
            id: id.to_string(),
            field,
            message: e.to_string(),
        })
}

impl Cond {
    pub(crate) fn compile(id: &str, c: &CondSpec) -> Result<Self, CatalogueError> {
        let (assign_values, assign_names): (Vec<String>, Vec<String>) =
            c.assign.iter().cloned().partition(|g| g.contains('='));
        let list = |field: &'static str, v: &[String]| {
            GlobList::new(v).map_err(|e| CatalogueError::Regex {
                id: id.to_string(),
                field,
                message: e.to_string(),
            })
        };
        let sub: Vec<Vec<String>> = c
            .sub
            .iter()
            .map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect();
        let mut sub_first: Vec<(u64, Box<str>, Vec<usize>)> = Vec::new();
        let mut sub_glob_first = Vec::new();
        for (i, alt) in sub.iter().enumerate() {
            if glob::is_literal(&alt[0]) {
                let w = alt[0].as_str();
                match sub_first.iter_mut().find(|e| &*e.1 == w) {
                    Some(e) => e.2.push(i),
                    None => sub_first.push((glob::word_hash(w.as_bytes()), w.into(), vec![i])),
                }
            } else {
                sub_glob_first.push(i);
            }
        }
        sub_first.sort();
        let sub_first_bits = sub_first.iter().fold(0u64, |m, e| m | 1 << (e.0 & 63));
        let sub_m: Vec<Vec<glob::Matcher>> = sub
            .iter()
            .map(|alt| alt.iter().map(|g| glob::Matcher::new(g, true)).collect())
            .collect();
        let sub_glob_pairs = sub_glob_first
            .iter()
            .map(|&ai| sub_m[ai].iter().find_map(fixed_pair))
            .collect();
        let mut cond = Cond {
            need: 0,
            sub_m,
            program: c.program.clone(),
            sub_first,
            sub_first_bits,
            sub_glob_first,
            sub_glob_pairs,
            sub_stop: c.sub_stop.clone(),
            program_globs: list("program", &c.program)?,
            sub,
            flags: c.flags.iter().map(|g| FlagGroup::new(g)).collect(),
            not_flags: FlagGroup::new(&c.not_flags),
            args: list("args", &c.args)?,
            args_src: c.args.clone(),
            target_src: [&c.redirect, &c.truncate, &c.redirect_any]
                .into_iter()
                .find(|g| !g.is_empty())
                .cloned()
                .unwrap_or_default(),
            not_args: list("not_args", &c.not_args)?,
            text: text_regex(id, "text", &c.text)?,
            not_text: text_regex(id, "not_text", &c.not_text)?,
            assign: list("assign", &assign_names)?,
            assign_value: list("assign", &assign_values)?,
            redirect: list("redirect", &c.redirect)?,
            redirect_any: list("redirect_any", &c.redirect_any)?,
            truncate: list("truncate", &c.truncate)?,
            dest: list("dest", &c.dest)?,
            not_dest: list("not_dest", &c.not_dest)?,
            src: list("src", &c.src)?,
            not_src: list("not_src", &c.not_src)?,
            via: c.via.clone(),
            prod: c.prod,
            dynamic_program: c.dynamic_program,
            no_operands: c.no_operands,
            interactive: c.interactive,
            to_log: c.to_log,
            text_expands: c.text_expands,
            runs_nothing: c.runs_nothing,
            unless: c
                .unless
                .iter()
                .map(|u| Cond::compile(id, u))
                .collect::<Result<_, _>>()?,
            signal: c.signal.clone(),
        };
        if cond.text_expands && cond.text.is_none() {
            return Err(CatalogueError::Invalid {
                id: id.to_string(),
                message: "`text_expands` needs a `text` regex".into(),
            });
        }
        if cond.unless.iter().any(|u| !u.signal.is_empty()) {
            return Err(CatalogueError::Invalid {
                id: id.to_string(),
                message: "`signal` cannot be used in `unless`".into(),
            });
        }
        cond.need = Need::of(&cond);
        Ok(cond)
    }

    /// The literal program names of this condition.
    pub(crate) fn literal_programs(&self) -> Vec<&str> {
        self.program
            .iter()
            .filter(|p| glob::is_literal(p))
            .map(String::as_str)
            .collect()
    }

    /// True when some program name of this condition is a glob.
    pub(crate) fn has_program_globs(&self) -> bool {
        self.program.iter().any(|p| !glob::is_literal(p))
    }
}

/// A compiled single-part signal.
#[derive(Debug, Clone)]
pub(crate) struct Signal {
    pub id: String,
    pub disabled: bool,
    pub score: u8,
    pub modifier: Option<(i16, u8, u8)>,
    /// The reason's template, split at its placeholders once.
    pub reason: Template,
    pub cond: Cond,
}

/// A piece of a reason template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Text(Box<str>),
    /// `{prog}`: the program's name.
    Prog,
    /// `{match}`: what matched.
    Match,
    /// `{via}`: the wrapper that runs the part.
    Via,
    /// `{a}`, `{b}` of a composition: the canonical text of its first or second part.
    A,
    B,
}

/// A reason template (`deletes {match} recursively`), split into text and placeholders; an
/// unknown `{…}` stays text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub segs: Vec<Seg>,
    /// The length of its text pieces (to size the output).
    pub text_len: usize,
}

impl Template {
    pub(crate) fn new(t: &str) -> Template {
        Template::with(
            t,
            &[
                ("{prog}", Seg::Prog),
                ("{match}", Seg::Match),
                ("{via}", Seg::Via),
            ],
        )
    }

    /// A composition's reason: `{a}` and `{b}` are its parts.
    pub(crate) fn compose(t: &str) -> Template {
        Template::with(t, &[("{a}", Seg::A), ("{b}", Seg::B)])
    }

    fn with(t: &str, places: &[(&str, Seg)]) -> Template {
        let mut segs = Vec::new();
        let mut text = String::new();
        let mut rest = t;
        while let Some(i) = rest.find('{') {
            text.push_str(&rest[..i]);
            let tail = &rest[i..];
            let Some((seg, after)) = places
                .iter()
                .find_map(|(p, seg)| tail.strip_prefix(p).map(|a| (seg.clone(), a)))
            else {
                text.push('{');
                rest = &tail[1..];
                continue;
            };
            if !text.is_empty() {
                segs.push(Seg::Text(std::mem::take(&mut text).into()));
            }
            segs.push(seg);
            rest = after;
        }
        text.push_str(rest);
        if !text.is_empty() {
            segs.push(Seg::Text(text.into()));
        }
        let text_len = segs
            .iter()
            .map(|s| match s {
                Seg::Text(t) => t.len(),
                _ => 0,
            })
            .sum();
        Template { segs, text_len }
    }
}

/// A compiled composition.
#[derive(Debug, Clone)]
pub(crate) struct Compose {
    pub id: String,
    pub disabled: bool,
    pub score: u8,
    pub reason: Template,
    pub kind: ComposeKind,
    pub a: Cond,
    pub b: Cond,
    /// The first side is tried first: it is indexed by program and the second is not (see
    /// `RiskEngine::score`).
    pub a_first: bool,
}

/// A compiled whole-text signal.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub id: String,
    pub score: u8,
    pub reason: String,
    pub regex: Regex,
    /// Text the command must hold for the regex to be worth running.
    pub requires: Option<Box<[u8]>>,
    /// More text the command must hold ([`RawSpec::also_requires`]).
    pub also: Option<Box<[u8]>>,
    /// Tried only when the parser read no part of the command ([`RawSpec::unparsed`]).
    pub unparsed: bool,
}

impl Raw {
    /// Whether the regex is worth running on `src`: it holds the required text, and then the
    /// second one when there is one. (Without a required text, always: as
    /// [`Catalogue::raw_candidates`] has it.)
    pub(crate) fn may_match(&self, src: &[u8]) -> bool {
        match self.requires.as_deref() {
            Some(r) if !r.is_empty() => holds(src, r) && self.also_in(src),
            _ => true,
        }
    }

    /// Whether `src` holds the signal's [`Raw::also`] text (true when it has none).
    pub(crate) fn also_in(&self, src: &[u8]) -> bool {
        self.also.as_deref().is_none_or(|a| holds(src, a))
    }
}

/// Whether `src` holds `text`: its first byte found with `memchr`, then compared (commands
/// are short, and a substring searcher spent more setting up than this spends finding).
fn holds(src: &[u8], text: &[u8]) -> bool {
    let Some((&first, rest)) = text.split_first() else {
        return true;
    };
    memchr::memchr_iter(first, src).any(|i| src.get(i + 1..).is_some_and(|t| t.starts_with(rest)))
}

/// The compiled catalogue with an index from program names to the signals that need them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalogue {
    pub signals: Vec<Signal>,
    pub compose: Vec<Compose>,
    pub raw: Vec<Raw>,
    pub prod_markers: Vec<String>,
    /// The lengths of the production markers, a bit each (63: any longer).
    pub prod_lens: u64,
    /// The first two bytes of each production marker, in every mix of case.
    pub prod_first2: PairSet,
    /// Signals that name literal programs, by program, then by the first word of `sub`.
    pub by_program: HashMap<String, ProgramIndex, glob::FastHash>,
    /// Signals whose program list has globs (`mkfs*`): their program is checked on every part.
    pub glob_programs: Vec<usize>,
    /// Signals without a program whose `args` name literal words, by word.
    pub generic_by_arg: HashMap<String, SignalSet, glob::FastHash>,
    /// The first bytes of the keys of `generic_by_arg`, their last bytes, and the range of
    /// their lengths: a word must fit all three before it is looked up.
    pub generic_arg_first: glob::ByteSet,
    pub generic_arg_last: glob::ByteSet,
    pub generic_arg_len: (usize, usize),
    /// Wildcard `args` globs of signals without a program, when some has no literal run of
    /// two bytes (so `generic_needles` cannot find them): one set, and the signal of each.
    pub generic_wild: Option<(regex::RegexSet, Vec<usize>)>,
    /// The longest literal run of each wildcard `args` glob of signals without a program
    /// (`None` when one is shorter than two bytes).
    pub generic_needles: Option<Needles>,
    /// For each needle of `generic_needles` (by its index there), the signals with a
    /// wildcard glob whose longest literal run it is: the only ones such a glob can match a
    /// word for, so the set above need not run.
    pub generic_needle_signals: Vec<SignalSet>,
    /// The shortest of those literal runs: shorter words cannot hold one.
    pub generic_needle_min: usize,
    /// The longest literal run of each glob in the `target_src` of the signals without a
    /// program that hold only through a redirection target, when every such run of the
    /// signal is two bytes or more (the others are in `generic_other`).
    pub redirect_needles: Option<Needles>,
    /// For each needle of `redirect_needles`, the signals with a target glob whose longest
    /// literal run it is: a target without it matches none of their globs.
    pub redirect_needle_signals: Vec<SignalSet>,
    /// Signals without a program that hold without any `args` hit (redirections,
    /// assignments, flags, `redirect_any` as an alternative to `args`, …), with the part
    /// features each needs (see [`Gate`]).
    pub generic_other: Vec<(usize, u8)>,
    /// `generic_other` by the part features present (a [`Gate`] bit set, 32 of them): the
    /// signals whose needs those features meet, in order.
    pub generic_by_gate: Vec<SignalSet>,
    /// What is read of each signal before its condition (by index, dense: read for every
    /// candidate, where the 2 KB signal would cost a cache miss each).
    pub heads: Vec<SignalHead>,
    /// Modifiers, tried on every part that has the features each needs (dense: read for
    /// every part).
    pub modifiers: Vec<ModifierHead>,
    /// The lowest `min_base` of the modifiers (`u8::MAX` without any): a part whose base
    /// score is lower tries none of them.
    pub modifier_floor: u8,
    /// Sides without a literal program list (no program, or a glob) and without a signal
    /// list: tried on every part.
    pub compose_always: ComposeMask,
    /// Sides without a literal program list that name signals (`a = { signal = [...] }`):
    /// tried only on parts where one of those signals fired ([`Catalogue::fired_mask`]).
    pub compose_by_signal: ComposeMask,
    /// For each signal (by index), the sides of `compose_by_signal` that name it.
    pub signal_compose: Vec<ComposeMask>,
    /// Every literal program name known to the catalogue (for glob command names).
    pub known_programs: Vec<String>,
    /// The distinct first bytes of the whole-text signals' required texts, when there are
    /// one to three of them and at most 64 such signals: the command is then searched once
    /// for all of them ([`Catalogue::raw_candidates`]) instead of once a signal.
    pub raw_firsts: Option<Vec<u8>>,
    /// The whole-text signals that require no text (a bit each): always candidates.
    pub raw_always: u64,
}

/// Part features a signal needs before it is worth checking: a cheap pre-test.
pub(crate) struct Gate;

impl Gate {
    pub const REDIRECT: u8 = 1;
    pub const ASSIGN: u8 = 1 << 1;
    pub const DASH: u8 = 1 << 2;
    pub const DYNAMIC: u8 = 1 << 3;
    pub const VIA: u8 = 1 << 4;

    /// What the condition needs of a part.
    pub(crate) fn of(c: &Cond) -> u8 {
        let mut g = 0;
        if !c.redirect.is_empty()
            || !c.truncate.is_empty()
            || (!c.redirect_any.is_empty() && c.args_src.is_empty())
        {
            g |= Gate::REDIRECT;
        }
        if !c.assign.is_empty() || !c.assign_value.is_empty() {
            g |= Gate::ASSIGN;
        }
        if !c.flags.is_empty() {
            g |= Gate::DASH;
        }
        if c.dynamic_program {
            g |= Gate::DYNAMIC;
        }
        if !c.via.is_empty() {
            g |= Gate::VIA;
        }
        g
    }
}

/// What scoring reads of a signal before trying its condition.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignalHead {
    /// Disabled by the policy.
    pub off: bool,
    /// When the condition has `flags`, the bits of its first group: a part can only satisfy
    /// it if it has one of that group's flags.
    pub flags: Option<FlagBits>,
    /// When every alternative of the condition's `sub` has a word that fixes the first two
    /// bytes of the positional word it matches (a literal, or a literal prefix, of two bytes
    /// or more): the [`start_pair_bit`]s of those pairs, one word an alternative. A part none
    /// of whose positional words starts with one of them satisfies no alternative (`npm run
    /// build` has no word `de…` for `run deploy`). All ones: no such test.
    pub sub_pairs: u64,
}

impl SignalHead {
    /// The [`SignalHead::sub_pairs`] of a condition.
    fn sub_pairs(c: &Cond) -> u64 {
        let mut bits = 0;
        for alt in &c.sub_m {
            match alt.iter().rev().find_map(fixed_pair) {
                Some(p) => bits |= start_pair_bit(p),
                None => return u64::MAX,
            }
        }
        if bits == 0 { u64::MAX } else { bits }
    }

    /// False when the part (its flag bits) cannot satisfy the condition.
    pub(crate) fn may_hold(&self, flag_bits: impl FnOnce() -> (u128, u64)) -> bool {
        !self.off
            && self.flags.is_none_or(|f| {
                let (shorts, longs) = flag_bits();
                f.may_hold(shorts, longs)
            })
    }

    /// False when the part cannot satisfy the condition's `sub`: `pairs` are the start
    /// pairs of its positional words with bit 0 set (so that a condition without the test,
    /// all ones, always passes it; a pair on bit 0 only loses the test, never a match).
    #[inline]
    pub(crate) fn sub_may_hold(&self, pairs: u64) -> bool {
        self.sub_pairs & pairs != 0
    }
}

/// The first two bytes of every word a `sub` word glob matches, when it fixes them (a
/// literal, or a literal prefix, of two bytes or more).
fn fixed_pair(m: &glob::Matcher) -> Option<[u8; 2]> {
    match m {
        glob::Matcher::Exact(l) | glob::Matcher::Prefix(l, _) if l.len() >= 2 => {
            Some([l.as_bytes()[0], l.as_bytes()[1]])
        }
        _ => None,
    }
}

/// What scoring reads of a modifier before trying its condition.
#[derive(Debug, Clone)]
pub(crate) struct ModifierHead {
    /// Its index in `signals`.
    pub signal: usize,
    pub delta: i16,
    pub min_base: u8,
    pub cap: u8,
    /// The part features ([`Gate`]) it needs.
    pub gate: u8,
}

/// The fields a condition sets, a bit each (see [`Cond::need`]).
pub(crate) struct Need;

impl Need {
    pub const DYNAMIC_PROGRAM: u32 = 1;
    pub const PROGRAM: u32 = 1 << 1;
    pub const VIA: u32 = 1 << 2;
    pub const SIGNAL: u32 = 1 << 3;
    pub const NO_OPERANDS: u32 = 1 << 4;
    pub const INTERACTIVE: u32 = 1 << 5;
    pub const SUB: u32 = 1 << 6;
    /// `flags` or `not_flags`.
    pub const FLAGS: u32 = 1 << 7;
    pub const ARGS: u32 = 1 << 8;
    pub const NOT_ARGS: u32 = 1 << 9;
    pub const REDIRECT_ANY: u32 = 1 << 10;
    pub const ASSIGN: u32 = 1 << 11;
    pub const REDIRECT: u32 = 1 << 12;
    pub const TEXT: u32 = 1 << 13;
    pub const NOT_TEXT: u32 = 1 << 14;
    pub const PROD: u32 = 1 << 15;
    pub const RUNS_NOTHING: u32 = 1 << 16;
    pub const UNLESS: u32 = 1 << 17;
    pub const TRUNCATE: u32 = 1 << 18;
    /// `dest` or `not_dest`.
    pub const DEST: u32 = 1 << 19;
    pub const SRC: u32 = 1 << 20;
    pub const TO_LOG: u32 = 1 << 21;

    fn of(c: &Cond) -> u32 {
        [
            (c.dynamic_program, Need::DYNAMIC_PROGRAM),
            (!c.program_globs.is_empty(), Need::PROGRAM),
            (!c.via.is_empty(), Need::VIA),
            (!c.signal.is_empty(), Need::SIGNAL),
            (c.no_operands, Need::NO_OPERANDS),
            (c.interactive, Need::INTERACTIVE),
            (c.to_log, Need::TO_LOG),
            (!c.sub.is_empty(), Need::SUB),
            (!c.flags.is_empty() || !c.not_flags.is_empty(), Need::FLAGS),
            (!c.args.is_empty(), Need::ARGS),
            (!c.not_args.is_empty(), Need::NOT_ARGS),
            (!c.redirect_any.is_empty(), Need::REDIRECT_ANY),
            (
                !c.assign.is_empty() || !c.assign_value.is_empty(),
                Need::ASSIGN,
            ),
            (!c.redirect.is_empty(), Need::REDIRECT),
            (c.text.is_some(), Need::TEXT),
            (c.not_text.is_some(), Need::NOT_TEXT),
            (c.prod, Need::PROD),
            (c.runs_nothing, Need::RUNS_NOTHING),
            (!c.unless.is_empty(), Need::UNLESS),
            (!c.truncate.is_empty(), Need::TRUNCATE),
            (!c.dest.is_empty() || !c.not_dest.is_empty(), Need::DEST),
            (!c.src.is_empty(), Need::SRC),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(0, |m, (_, bit)| m | bit)
    }
}

/// A set of signals (by index), a bit each. The index lists are sets: a part's candidates
/// are their union, read back in ascending order, with nothing to sort and no duplicates to
/// remove (a list of indices cost a `memcpy` call per list, then a sort and a dedup).
///
/// The first [`SignalSet::LOW`] signals (the built-in catalogue and then some) are a fixed
/// array, so a union is one operation a word with no length to test; signals past them, which
/// only a policy with many signals of its own has, are words in a vector that stays empty
/// otherwise. (A small vector of words tested where its words lived on every access.)
#[derive(Debug, Clone, Default)]
pub(crate) struct SignalSet {
    low: [u64; SignalSet::WORDS],
    /// Words for signals from [`SignalSet::LOW`] on.
    high: Vec<u64>,
}

impl SignalSet {
    /// How many fixed words there are.
    const WORDS: usize = 10;
    /// How many signals the fixed words hold. (The built-in catalogue passed 256 signals in
    /// the session of 2026-12-04 from 06:43 UTC: every set then allocated its high words,
    /// about 400 instructions a score. It passed 512 in the session of 2026-12-05 from 10:45
    /// UTC: each word more costs about 0.3% of a typical score, counted with 9, 10 and 12;
    /// and 576 in the session of 2026-12-05 from 13:27 UTC: past it every set allocated
    /// again, about 285 instructions on `npm ci`.)
    pub(crate) const LOW: usize = Self::WORDS * 64;

    /// The empty set, with room for `n` signals.
    pub(crate) fn with_room(n: usize) -> Self {
        SignalSet {
            low: [0; Self::WORDS],
            high: vec![0; n.saturating_sub(Self::LOW).div_ceil(64)],
        }
    }

    pub(crate) fn insert(&mut self, i: usize) {
        if let Some(w) = self.low.get_mut(i / 64) {
            *w |= 1 << (i % 64);
            return;
        }
        let w = (i - Self::LOW) / 64;
        if w >= self.high.len() {
            self.high.resize(w + 1, 0);
        }
        self.high[w] |= 1 << (i % 64);
    }

    /// Adds every signal of `other` (whose high words may be fewer; more are grown into).
    #[inline]
    pub(crate) fn union(&mut self, other: &SignalSet) {
        for (a, b) in self.low.iter_mut().zip(&other.low) {
            *a |= *b;
        }
        if !other.high.is_empty() {
            if other.high.len() > self.high.len() {
                self.high.resize(other.high.len(), 0);
            }
            for (a, b) in self.high.iter_mut().zip(&other.high) {
                *a |= *b;
            }
        }
    }

    /// The signals, in ascending order.
    pub(crate) fn iter(&self) -> SignalIter<'_> {
        SignalIter {
            words: self.low.iter().chain(&self.high),
            base: 0usize.wrapping_sub(64),
            cur: 0,
        }
    }
}

/// The signals of a [`SignalSet`], in ascending order.
pub(crate) struct SignalIter<'a> {
    words: std::iter::Chain<std::slice::Iter<'a, u64>, std::slice::Iter<'a, u64>>,
    /// The index of the first signal of the current word.
    base: usize,
    /// The current word's signals not yet returned.
    cur: u64,
}

impl Iterator for SignalIter<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.cur == 0 {
            self.cur = *self.words.next()?;
            self.base = self.base.wrapping_add(64);
        }
        let b = self.cur.trailing_zeros() as usize;
        self.cur &= self.cur - 1;
        Some(self.base + b)
    }
}

impl FromIterator<usize> for SignalSet {
    fn from_iter<I: IntoIterator<Item = usize>>(it: I) -> Self {
        let mut s = SignalSet::default();
        for i in it {
            s.insert(i);
        }
        s
    }
}

/// How many signals without `sub` that hold only through `args` a program needs for them to
/// be found by their globs' literal runs (one scan of the part's words) rather than tried
/// one by one. (One: at three, `npm`'s two such signals were tried on every `npm` part, and
/// the benchmark's sample cost 1.6% more than at one; at two, 0.6% more than at one.)
const ARGS_INDEXED: usize = 1;

/// Signals of one program.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProgramIndex {
    /// Signals without `sub` (but those in `args_needle_signals`).
    pub nosub: SignalSet,
    /// The longest literal run of each `args` glob of the signals without `sub` that hold
    /// only through an `args` hit, when the program has at least [`ARGS_INDEXED`] of them
    /// whose every run is two bytes or more (the others stay in `nosub`).
    pub args_needles: Option<Needles>,
    /// For each needle of `args_needles`, the signals with an `args` glob whose longest
    /// literal run it is: a part none of whose words holds it matches none of their globs.
    /// When there are `generic_needles`, `args_needles` holds them too, with their signals
    /// here: a word of this program's parts is then searched once, not once for each set.
    pub args_needle_signals: Vec<SignalSet>,
    /// Signals by the literal first word of one of their `sub` alternatives.
    pub by_first: HashMap<String, SignalSet, glob::FastHash>,
    /// Signals with an alternative whose first word is a glob.
    pub glob_first: SignalSet,
    /// The composition sides (see [`compose_bit`]) whose program list names this program.
    pub compose: ComposeMask,
    /// What more the engine reads of this program's parts (see [`Reads`]).
    pub reads: Reads,
}

/// What more the engine reads of a program's parts, beyond its signals: found with the
/// program's index, not a name comparison on every part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Reads {
    /// Nothing more.
    #[default]
    Nothing,
    /// Inline code, for the scripts it decodes and hands a shell (`python`, `perl`, …).
    InlineCode,
    /// A job scheduler, for the cron table or job file it is given (`crontab`, `at`, `batch`).
    Schedule,
    /// A maker of links or bind mounts, which later parts may go through (`ln`, `mount`).
    Link,
}

/// The programs of each [`Reads`] kind.
const READERS: &[(&str, Reads)] = &[
    ("python", Reads::InlineCode),
    ("python2", Reads::InlineCode),
    ("python3", Reads::InlineCode),
    ("perl", Reads::InlineCode),
    ("ruby", Reads::InlineCode),
    ("node", Reads::InlineCode),
    ("nodejs", Reads::InlineCode),
    ("php", Reads::InlineCode),
    ("deno", Reads::InlineCode),
    ("bun", Reads::InlineCode),
    ("crontab", Reads::Schedule),
    ("at", Reads::Schedule),
    ("batch", Reads::Schedule),
    ("ln", Reads::Link),
    ("mount", Reads::Link),
    ("bindfs", Reads::Link),
];

/// Two bits per composition (its two sides) for the first [`COMPOSE_INDEXED`] compositions;
/// any later one is tried on every part.
pub(crate) type ComposeMask = u128;

/// How many compositions [`ComposeMask`] indexes.
pub(crate) const COMPOSE_INDEXED: usize = ComposeMask::BITS as usize / 2;

/// The bit of side `side` (0: `a`, 1: `b`) of composition `ci`; 0 past the 64th composition,
/// whose sides are then tried on every part.
pub(crate) fn compose_bit(ci: usize, side: usize) -> ComposeMask {
    (1 as ComposeMask)
        .checked_shl((2 * ci + side) as u32)
        .unwrap_or(0)
}

impl Catalogue {
    /// The composition sides a part whose program has index entry `prog` may satisfy (see
    /// [`compose_bit`]).
    pub(crate) fn compose_mask(&self, prog: Option<&ProgramIndex>) -> ComposeMask {
        self.compose_always | prog.map_or(0, |p| p.compose)
    }

    /// The composition sides that name one of the signals in `fired` (see
    /// [`Catalogue::compose_by_signal`]).
    pub(crate) fn fired_mask(&self, fired: &[usize]) -> ComposeMask {
        fired.iter().fold(0, |m, &si| {
            m | self.signal_compose.get(si).copied().unwrap_or(0)
        })
    }
}

/// A set of byte pairs, one bit each of 65,536 (empty: holds none).
#[derive(Debug, Clone, Default)]
pub(crate) struct PairSet(Option<Box<PairBits>>);

/// The bits of a [`PairSet`]: one per pair, and a flag per byte that starts some pair (tested
/// first: 256 bytes that stay in cache, where most bytes of a word are ruled out without
/// reading the kilobytes of the pair table; a byte per flag, so the test is one load, where a
/// bit per byte took a shift, a load and a bit test).
#[derive(Debug, Clone)]
pub(crate) struct PairBits {
    firsts: [bool; 256],
    pairs: [u64; 1024],
}

impl PairSet {
    /// The set of the given pairs.
    pub(crate) fn of(pairs: impl IntoIterator<Item = (u8, u8)>) -> Self {
        let mut bits = Box::new(PairBits {
            firsts: [false; 256],
            pairs: [0; 1024],
        });
        for (a, b) in pairs {
            let k = Self::index(a, b);
            bits.pairs[k >> 6] |= 1 << (k & 63);
            bits.firsts[usize::from(a)] = true;
        }
        PairSet(Some(bits))
    }

    /// The first two bytes of each of `words`, in every mix of ASCII case (words shorter
    /// than two bytes have no pair: `has_marker` then compares every token).
    pub(crate) fn of_starts_any_case(words: &[String]) -> Self {
        let case = |c: u8| [c.to_ascii_lowercase(), c.to_ascii_uppercase()];
        Self::of(
            words
                .iter()
                .filter_map(|m| match *m.as_bytes() {
                    [a, b, ..] => Some((a, b)),
                    _ => None,
                })
                .flat_map(|(a, b)| {
                    case(a)
                        .into_iter()
                        .flat_map(move |x| case(b).map(move |y| (x, y)))
                }),
        )
    }

    fn index(a: u8, b: u8) -> usize {
        usize::from(a) << 8 | usize::from(b)
    }

    /// Where the first pair of adjacent bytes of `w` at or after `from` that is in the set
    /// starts. (A fixed-size table indexed by two bytes: no bounds test per byte.)
    #[inline]
    pub(crate) fn first_in(&self, w: &[u8], from: usize) -> Option<usize> {
        let bits = self.0.as_deref()?;
        let rest = w.get(from..)?;
        for (i, pair) in rest.windows(2).enumerate() {
            let a = pair[0];
            if !bits.firsts[usize::from(a)] {
                continue;
            }
            let k = Self::index(a, pair[1]);
            if bits.pairs[k >> 6] & (1 << (k & 63)) != 0 {
                return Some(from + i);
            }
        }
        None
    }
}

/// Literal byte strings to look for in a word, found through one pair of adjacent bytes of
/// each (its anchor: the pair least likely in command text, so that few places in a word
/// need comparing): most words hold no anchor, and at an anchor only the needles anchored
/// on it are compared.
#[derive(Debug, Clone)]
pub(crate) struct Needles {
    anchors: PairSet,
    /// (anchor as a big-endian `u16`, needle index in `list`, the anchor's offset in the
    /// needle), sorted by anchor.
    by_anchor: Vec<(u16, u32, u32)>,
    /// Sorted, without repeats.
    list: Vec<Box<[u8]>>,
}

/// How common a byte is in command text (higher: more common), for choosing anchors.
pub(crate) fn commonness(b: u8) -> u8 {
    match b {
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'h' | b'l' => 4,
        b'-' | b'/' | b'.' | b'_' | b' ' => 4,
        b'd' | b'c' | b'u' | b'm' | b'f' | b'p' | b'g' | b'w' | b'y' | b'b' => 3,
        b'0'..=b'9' | b'v' | b'k' => 2,
        b'a'..=b'z' | b'A'..=b'Z' => 1,
        _ => 0,
    }
}

impl Needles {
    /// The set of `needles`; `None` when one is shorter than two bytes (a word cannot then be
    /// ruled out by its byte pairs).
    pub(crate) fn of(needles: &[String]) -> Option<Needles> {
        if needles.is_empty() || needles.iter().any(|n| n.len() < 2) {
            return None;
        }
        let mut list: Vec<Box<[u8]>> = needles.iter().map(|n| n.as_bytes().into()).collect();
        list.sort();
        list.dedup();
        let mut by_anchor: Vec<(u16, u32, u32)> = Vec::new();
        for (i, n) in list.iter().enumerate() {
            let off = (0..n.len() - 1)
                .min_by_key(|&o| commonness(n[o]) + commonness(n[o + 1]))
                .unwrap_or(0);
            let (i, o) = (u32::try_from(i).ok()?, u32::try_from(off).ok()?);
            by_anchor.push((u16::from_be_bytes([n[off], n[off + 1]]), i, o));
        }
        by_anchor.sort_unstable();
        Some(Needles {
            anchors: PairSet::of(by_anchor.iter().map(|e| {
                let [a, b] = e.0.to_be_bytes();
                (a, b)
            })),
            by_anchor,
            list,
        })
    }

    /// The needles, sorted and without repeats: [`Needles::each_in`] reports indices into it.
    pub(crate) fn list(&self) -> &[Box<[u8]>] {
        &self.list
    }

    /// Calls `f` with the index (into [`Needles::list`]) of every needle that occurs in `w`,
    /// once per place it occurs; stops when `f` returns true.
    fn scan(&self, w: &[u8], mut f: impl FnMut(usize) -> bool) {
        let mut from = 0;
        while let Some(i) = self.anchors.first_in(w, from) {
            from = i + 1;
            let k = u16::from_be_bytes([w[i], w[i + 1]]);
            let at = self.by_anchor.partition_point(|e| e.0 < k);
            for &(_, n, off) in self.by_anchor[at..].iter().take_while(|e| e.0 == k) {
                let Some(start) = i.checked_sub(off as usize) else {
                    continue;
                };
                if self
                    .list
                    .get(n as usize)
                    .is_some_and(|x| w[start..].starts_with(x))
                    && f(n as usize)
                {
                    return;
                }
            }
        }
    }

    /// Calls `f` with the index (into [`Needles::list`]) of every needle that occurs in `w`,
    /// once per place it occurs.
    pub(crate) fn each_in(&self, w: &[u8], mut f: impl FnMut(usize)) {
        self.scan(w, |n| {
            f(n);
            false
        });
    }

    /// Whether some needle occurs in `w`.
    pub(crate) fn any_in(&self, w: &[u8]) -> bool {
        let mut found = false;
        self.scan(w, |_| {
            found = true;
            true
        });
        found
    }
}

/// The needles of `runs` (a literal run and the signal it stands for, as many as wanted for
/// one signal), and for each needle of the set, by its index there, the signals whose run it
/// is; `None` when a run is shorter than two bytes ([`Needles::of`]).
fn needle_index(runs: &[(String, usize)]) -> Option<(Needles, Vec<SignalSet>)> {
    let list: Vec<String> = runs.iter().map(|(r, _)| r.clone()).collect();
    let set = Needles::of(&list)?;
    let signals = set
        .list()
        .iter()
        .map(|n| {
            runs.iter()
                .filter(|(r, _)| r.as_bytes() == &n[..])
                .map(|(_, i)| *i)
                .collect()
        })
        .collect();
    Some((set, signals))
}

/// The longest run of literal characters of a glob (an escaped character is a literal).
pub(crate) fn literal_run(g: &str) -> String {
    // (The first of the longest.)
    glob::literal_runs(g)
        .into_iter()
        .fold(
            String::new(),
            |best, r| if r.len() > best.len() { r } else { best },
        )
}

impl Catalogue {
    pub(crate) fn compile(spec: &CatalogueSpec) -> Result<Self, CatalogueError> {
        let mut cat = Catalogue {
            prod_markers: spec.prod_markers.clone(),
            ..Catalogue::default()
        };
        let mut seen = std::collections::HashSet::new();
        for s in &spec.signal {
            if !seen.insert(s.id.clone()) {
                return Err(CatalogueError::Invalid {
                    id: s.id.clone(),
                    message: "duplicate id".into(),
                });
            }
            let (score, modifier) = match s.modifier {
                Some(m) => (0, Some((m, s.min_base.unwrap_or(1), s.cap.unwrap_or(100)))),
                None => (score_of(&s.id, s.score, s.level)?, None),
            };
            let cond = Cond::compile(&s.id, &s.when)?;
            if !cond.signal.is_empty() {
                return Err(CatalogueError::Invalid {
                    id: s.id.clone(),
                    message: "`signal` is only for compositions".into(),
                });
            }
            cat.signals.push(Signal {
                id: s.id.clone(),
                disabled: false,
                score,
                modifier,
                reason: Template::new(&s.reason),
                cond,
            });
        }
        for c in &spec.compose {
            if !seen.insert(c.id.clone()) {
                return Err(CatalogueError::Invalid {
                    id: c.id.clone(),
                    message: "duplicate id".into(),
                });
            }
            cat.compose.push(Compose {
                id: c.id.clone(),
                disabled: false,
                score: score_of(&c.id, c.score, c.level)?,
                reason: Template::compose(&c.reason),
                kind: c.kind,
                a: Cond::compile(&c.id, &c.a)?,
                b: Cond::compile(&c.id, &c.b)?,
                a_first: false,
            });
        }
        for r in &spec.raw {
            if !seen.insert(r.id.clone()) {
                return Err(CatalogueError::Invalid {
                    id: r.id.clone(),
                    message: "duplicate id".into(),
                });
            }
            let re = regex(&r.id, "regex", &Some(r.regex.clone()))?.ok_or_else(|| {
                CatalogueError::Invalid {
                    id: r.id.clone(),
                    message: "empty regex".into(),
                }
            })?;
            cat.raw.push(Raw {
                id: r.id.clone(),
                score: score_of(&r.id, r.score, r.level)?,
                reason: r.reason.clone(),
                regex: re,
                requires: r.requires.as_deref().map(|q| q.as_bytes().into()),
                also: r
                    .also_requires
                    .as_deref()
                    .filter(|q| !q.is_empty())
                    .map(|q| q.as_bytes().into()),
                unparsed: r.unparsed,
            });
        }
        cat.index();
        Ok(cat)
    }

    /// The whole-text signals worth running on `src`, a bit each (by index in `raw`): those
    /// whose required text `src` holds, and those that require none. All of them when there
    /// are more than 64.
    pub(crate) fn raw_candidates(&self, src: &[u8]) -> u64 {
        let Some(firsts) = &self.raw_firsts else {
            return self
                .raw
                .iter()
                .enumerate()
                .filter(|(_, r)| r.may_match(src))
                .fold(0, |m, (i, _)| m | 1 << i.min(63));
        };
        let mut found = 0u64;
        let mut at = |i: usize| {
            let (c, rest) = (src[i], &src[i + 1..]);
            for (k, r) in self.raw.iter().enumerate() {
                if let Some((&f, want)) = r.requires.as_deref().and_then(<[u8]>::split_first) {
                    if f == c && found & 1 << k == 0 && rest.starts_with(want) && r.also_in(src) {
                        found |= 1 << k;
                    }
                }
            }
        };
        match firsts.as_slice() {
            [a] => memchr::memchr_iter(*a, src).for_each(&mut at),
            [a, b] => memchr::memchr2_iter(*a, *b, src).for_each(&mut at),
            [a, b, c] => memchr::memchr3_iter(*a, *b, *c, src).for_each(&mut at),
            _ => {}
        }
        // (Signals that require nothing hold even when no first byte was found.)
        found | self.raw_always
    }

    /// Rebuilds the program index.
    pub(crate) fn index(&mut self) {
        let mut firsts: Vec<u8> = Vec::new();
        for r in &self.raw {
            if let Some(&f) = r.requires.as_deref().and_then(<[u8]>::first) {
                if !firsts.contains(&f) {
                    firsts.push(f);
                }
            }
        }
        self.raw_firsts = (firsts.len() <= 3 && self.raw.len() <= 64).then_some(firsts);
        self.raw_always = self
            .raw
            .iter()
            .enumerate()
            .filter(|(_, r)| r.requires.as_deref().is_none_or(<[u8]>::is_empty))
            .fold(0, |m, (k, _)| m | 1 << k.min(63));
        self.prod_lens = self
            .prod_markers
            .iter()
            .fold(0, |m, p| m | 1 << p.len().min(63));
        self.prod_first2 = PairSet::of_starts_any_case(&self.prod_markers);
        self.by_program.clear();
        self.glob_programs.clear();
        self.generic_by_arg.clear();
        self.generic_arg_first = glob::ByteSet::default();
        self.generic_arg_last = glob::ByteSet::default();
        self.generic_arg_len = (usize::MAX, 0);
        self.generic_other.clear();
        self.modifiers.clear();
        self.heads = self
            .signals
            .iter()
            .map(|s| SignalHead {
                off: s.disabled,
                flags: s.cond.flags.first().map(|g| g.bits),
                sub_pairs: SignalHead::sub_pairs(&s.cond),
            })
            .collect();
        let mut wild: Vec<(String, usize)> = Vec::new();
        let mut targets: Vec<(String, usize)> = Vec::new();
        // By program: (literal run, signal) of the signals without `sub` held only through
        // `args`.
        let mut prog_args: HashMap<String, Vec<(String, usize)>, glob::FastHash> =
            HashMap::default();
        let mut known = std::collections::BTreeSet::new();
        for (i, s) in self.signals.iter().enumerate() {
            let c = &s.cond;
            if let Some((delta, min_base, cap)) = s.modifier {
                self.modifiers.push(ModifierHead {
                    signal: i,
                    delta,
                    min_base,
                    cap,
                    gate: Gate::of(c),
                });
                continue;
            }
            if c.program.is_empty() {
                if c.args_src.is_empty() || !c.redirect_any.is_empty() {
                    let mut gate = Gate::of(c);
                    if !c.args_src.is_empty() {
                        // Reached without an `args` hit only through `redirect_any`.
                        gate |= Gate::REDIRECT;
                    }
                    // Held only where a redirection target matches one of its globs: found
                    // by their literal runs in the targets, when every run is long enough.
                    let runs: Vec<String> = c.target_src.iter().map(|g| literal_run(g)).collect();
                    if gate & Gate::REDIRECT != 0
                        && !runs.is_empty()
                        && runs.iter().all(|r| r.len() >= 2)
                    {
                        targets.extend(runs.into_iter().map(|r| (r, i)));
                    } else {
                        self.generic_other.push((i, gate));
                    }
                }
                for g in &c.args_src {
                    if glob::is_literal(g) {
                        if let (Some(&b), Some(&z)) = (g.as_bytes().first(), g.as_bytes().last()) {
                            self.generic_arg_first.insert(b);
                            self.generic_arg_last.insert(z);
                        }
                        self.generic_arg_len = (
                            self.generic_arg_len.0.min(g.len()),
                            self.generic_arg_len.1.max(g.len()),
                        );
                        self.generic_by_arg.entry(g.clone()).or_default().insert(i);
                    } else {
                        wild.push((g.clone(), i));
                    }
                }
                continue;
            }
            let arg_runs: Vec<String> = if c.sub.is_empty() && c.redirect_any.is_empty() {
                c.args_src.iter().map(|g| literal_run(g)).collect()
            } else {
                Vec::new()
            };
            let by_args = !arg_runs.is_empty() && arg_runs.iter().all(|r| r.len() >= 2);
            for p in c.literal_programs() {
                known.insert(p.to_string());
                let idx = self.by_program.entry(p.to_string()).or_default();
                if c.sub.is_empty() {
                    idx.nosub.insert(i);
                    if by_args {
                        prog_args
                            .entry(p.to_string())
                            .or_default()
                            .extend(arg_runs.iter().map(|r| (r.clone(), i)));
                    }
                } else {
                    for alt in &c.sub {
                        if glob::is_literal(&alt[0]) {
                            idx.by_first.entry(alt[0].clone()).or_default().insert(i);
                        } else {
                            idx.glob_first.insert(i);
                        }
                    }
                }
            }
            if c.has_program_globs() {
                self.glob_programs.push(i);
            }
        }
        self.generic_wild = None;
        self.generic_needles = None;
        self.generic_needle_signals.clear();
        (self.redirect_needles, self.redirect_needle_signals) = match needle_index(&targets) {
            Some((set, signals)) => (Some(set), signals),
            None => (None, Vec::new()),
        };
        let generic_runs: Vec<(String, usize)> =
            wild.iter().map(|(g, i)| (literal_run(g), *i)).collect();
        if !wild.is_empty() {
            let runs = &generic_runs;
            self.generic_needle_min = runs.iter().map(|(r, _)| r.len()).min().unwrap_or(0);
            if let Some((set, signals)) = needle_index(runs) {
                self.generic_needles = Some(set);
                self.generic_needle_signals = signals;
            } else {
                // Some glob has no literal run of two bytes: one set of all of them decides.
                let pats: Vec<String> = wild
                    .iter()
                    .map(|(g, _)| format!("^(?:{})$", glob::to_regex(g)))
                    .collect();
                match regex::RegexSetBuilder::new(&pats)
                    .size_limit(16 << 20)
                    .build()
                {
                    Ok(set) => {
                        self.generic_wild = Some((set, wild.iter().map(|(_, i)| *i).collect()));
                    }
                    // Too large to build: their signals are then tried on every part (the
                    // index only saves work; it must not lose a signal).
                    Err(_) => self.generic_other.extend(wild.iter().map(|&(_, i)| (i, 0))),
                }
            }
        }
        for (p, runs) in prog_args {
            let signals: std::collections::BTreeSet<usize> = runs.iter().map(|r| r.1).collect();
            if signals.len() < ARGS_INDEXED {
                continue;
            }
            let Some(idx) = self.by_program.get_mut(&p) else {
                continue;
            };
            // The generic wildcard globs' runs go into the same set, so that one scan of a
            // word finds both (see `ProgramIndex::args_needle_signals`).
            let all: Vec<(String, usize)> = if self.generic_needles.is_some() {
                runs.iter().chain(&generic_runs).cloned().collect()
            } else {
                runs
            };
            let Some((set, by_needle)) = needle_index(&all) else {
                continue;
            };
            idx.args_needles = Some(set);
            idx.args_needle_signals = by_needle;
            let mut rest = SignalSet::default();
            for i in idx.nosub.iter().filter(|i| !signals.contains(i)) {
                rest.insert(i);
            }
            idx.nosub = rest;
        }
        self.modifier_floor = self
            .modifiers
            .iter()
            .map(|h| h.min_base)
            .min()
            .unwrap_or(u8::MAX);
        self.generic_by_gate = (0..32u8)
            .map(|have| {
                self.generic_other
                    .iter()
                    .filter(|(_, g)| g & !have == 0)
                    .map(|(i, _)| *i)
                    .collect()
            })
            .collect();
        self.compose_always = 0;
        self.compose_by_signal = 0;
        self.signal_compose = vec![0; self.signals.len()];
        for (ci, c) in self.compose.iter().enumerate() {
            for (side, cond) in [&c.a, &c.b].into_iter().enumerate() {
                known.extend(cond.literal_programs().into_iter().map(str::to_string));
                let bit = compose_bit(ci, side);
                if cond.program.is_empty() || cond.has_program_globs() || bit == 0 {
                    // A side that names signals holds only where one of them fired.
                    if cond.signal.is_empty() || bit == 0 {
                        self.compose_always |= bit;
                    } else {
                        self.compose_by_signal |= bit;
                        for (si, s) in self.signals.iter().enumerate() {
                            if cond.signal.contains(&s.id) {
                                self.signal_compose[si] |= bit;
                            }
                        }
                    }
                    continue;
                }
                for p in cond.literal_programs() {
                    self.by_program.entry(p.to_string()).or_default().compose |= bit;
                }
            }
        }
        let always = self.compose_always;
        for (ci, c) in self.compose.iter_mut().enumerate() {
            c.a_first = always & compose_bit(ci, 1) != 0 && always & compose_bit(ci, 0) == 0;
        }
        for &(name, reads) in READERS {
            self.by_program.entry(name.to_string()).or_default().reads = reads;
        }
        self.known_programs = known.into_iter().collect();
    }
}
