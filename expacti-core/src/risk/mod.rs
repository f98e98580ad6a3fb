//! Risk: a score 0–100, a level and reasons for every command.
//!
//! Scoring looks at every part on its own (the signals of [`builtin.toml`]), at how parts
//! connect (compositions: `curl … | sh`, `bash <(curl …)`), and at the whole text (fork bombs).
//! A part's score is the highest of its signals, then modifiers apply (running as root,
//! production targets, real dry runs). The command's score is the highest of its parts, its
//! compositions and its whole-text signals; an opaque command scores at least medium.
//!
//! # Untrusted input
//!
//! Scoring is linear in the number of parts and words (regexes are linear-time), allocates
//! little, and never panics.
//!
//! [`builtin.toml`]: https://example.invalid/expacti/expacti-core/src/risk/builtin.toml

mod catalogue;
mod factor;
pub(crate) mod glob;
mod resolve;

use std::borrow::Cow;
use std::cell::OnceCell;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use catalogue::{Catalogue, Cond, Need};
pub use catalogue::{
    CatalogueError, CatalogueSpec, ComposeKind, ComposeSpec, CondSpec, RawSpec, SignalSpec,
};

use crate::parse::{Origin, Parsed, Part, Span, Word, WordFlags, basename};

/// The built-in catalogue, as TOML.
pub const BUILTIN_CATALOGUE: &str = include_str!("builtin.toml");

/// How risky a command is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Read-only, build, test (0–39).
    Low,
    /// Changes something local or routine and reversible (40–69).
    Medium,
    /// Changes production, deletes remote data, publishes, changes infrastructure or access
    /// (70–89).
    High,
    /// Irreversible destruction, code fetched and run, privilege escalation, secrets sent out,
    /// disk wipes, fork bombs (90–100).
    Critical,
}

impl Level {
    /// The level of a score.
    pub fn from_score(score: u8) -> Level {
        match score {
            0..=39 => Level::Low,
            40..=69 => Level::Medium,
            70..=89 => Level::High,
            _ => Level::Critical,
        }
    }

    /// The lowest score of the level.
    pub fn floor(self) -> u8 {
        match self {
            Level::Low => 0,
            Level::Medium => 40,
            Level::High => 70,
            Level::Critical => 90,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Level::Low),
            "medium" => Ok(Level::Medium),
            "high" => Ok(Level::High),
            "critical" => Ok(Level::Critical),
            other => Err(format!(
                "unknown risk level `{other}` (low, medium, high, critical)"
            )),
        }
    }
}

/// Why a command scored what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The signal's id (held inline when short, as ids are: no allocation).
    pub signal: compact_str::CompactString,
    /// A sentence for the reviewer.
    pub detail: String,
    /// Where in the command.
    pub span: Span,
    /// The part it came from (index into [`Parsed::parts`]), if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<usize>,
    /// The score this reason stands for (a modifier's change for modifiers).
    pub score: i16,
}

/// The risk of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    /// 0–100.
    pub score: u8,
    /// The level of the score.
    pub level: Level,
    /// Reasons, highest first.
    pub reasons: Vec<Reason>,
    /// Each part's own score (index as in [`Parsed::parts`]), before compositions.
    /// (Room for eight inline: most commands have one or two parts, and a vector's
    /// allocation was one of a typical score's five.)
    #[serde(skip)]
    pub part_scores: SmallVec<[u8; 8]>,
}

/// A change a policy makes to a built-in signal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalOverride {
    /// The signal's id.
    pub id: String,
    /// New score.
    #[serde(default)]
    pub score: Option<u8>,
    /// New level (its lowest score).
    #[serde(default)]
    pub level: Option<Level>,
    /// Turn the signal off.
    #[serde(default)]
    pub disabled: bool,
}

/// What a policy changes in risk scoring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskConfig {
    /// Extra signals, compositions and whole-text signals.
    pub extra: CatalogueSpec,
    /// Changes to signals by id.
    pub overrides: Vec<SignalOverride>,
    /// Production markers to use instead of the built-in ones (`None`: keep them).
    pub prod_markers: Option<Vec<String>>,
}

/// Scores commands against a compiled catalogue. Build it once and reuse it.
#[derive(Debug, Clone)]
pub struct RiskEngine {
    /// Shared: engines with the same configuration share one compiled catalogue.
    cat: std::sync::Arc<Catalogue>,
}

impl RiskEngine {
    /// The engine with the built-in catalogue.
    ///
    /// # Errors
    /// Never in a released build: the built-in catalogue is checked by the tests.
    pub fn builtin() -> Result<Self, CatalogueError> {
        Self::with_config(&RiskConfig::default())
    }

    /// The built-in catalogue changed by a policy.
    ///
    /// # Errors
    /// When an extra signal is invalid, or an override names no signal.
    pub fn with_config(cfg: &RiskConfig) -> Result<Self, CatalogueError> {
        // The built-in catalogue unchanged (most policies) is compiled once per process and
        // shared: it is immutable, so every engine built from it is the same.
        if *cfg == RiskConfig::default() {
            static BUILTIN: std::sync::OnceLock<Option<RiskEngine>> = std::sync::OnceLock::new();
            if let Some(e) = BUILTIN.get_or_init(|| Self::compile(cfg).ok()) {
                return Ok(e.clone());
            }
        }
        Self::compile(cfg)
    }

    fn compile(cfg: &RiskConfig) -> Result<Self, CatalogueError> {
        let mut spec = CatalogueSpec::from_toml(BUILTIN_CATALOGUE)?;
        spec.signal.extend(cfg.extra.signal.iter().cloned());
        spec.compose.extend(cfg.extra.compose.iter().cloned());
        spec.raw.extend(cfg.extra.raw.iter().cloned());
        if let Some(m) = &cfg.prod_markers {
            spec.prod_markers = m.clone();
        }
        spec.prod_markers
            .extend(cfg.extra.prod_markers.iter().cloned());
        let mut cat = Catalogue::compile(&spec)?;
        for o in &cfg.overrides {
            let score = match (o.score, o.level) {
                (None, None) => None,
                (s, l) => Some(catalogue::score_of(&o.id, s, l)?),
            };
            let mut found = false;
            for s in cat.signals.iter_mut().filter(|s| s.id == o.id) {
                found = true;
                if o.disabled {
                    s.disabled = true;
                } else if let Some(sc) = score {
                    s.score = sc;
                }
            }
            for c in cat.compose.iter_mut().filter(|c| c.id == o.id) {
                found = true;
                if o.disabled {
                    c.disabled = true;
                } else if let Some(sc) = score {
                    c.score = sc;
                }
            }
            for r in cat.raw.iter_mut().filter(|r| r.id == o.id) {
                found = true;
                if o.disabled {
                    r.score = 0;
                } else if let Some(sc) = score {
                    r.score = sc;
                }
            }
            if !found {
                return Err(CatalogueError::Invalid {
                    id: o.id.clone(),
                    message: "no signal has this id".into(),
                });
            }
        }
        cat.index();
        Ok(RiskEngine {
            cat: std::sync::Arc::new(cat),
        })
    }

    /// The ids of every signal, composition and whole-text signal.
    pub fn signal_ids(&self) -> Vec<&str> {
        let c = &self.cat;
        c.signals
            .iter()
            .map(|s| s.id.as_str())
            .chain(c.compose.iter().map(|s| s.id.as_str()))
            .chain(c.raw.iter().map(|s| s.id.as_str()))
            .collect()
    }

    /// Scores a parsed command; `src` is the text that was parsed.
    pub fn score(&self, parsed: &Parsed, src: &str) -> Risk {
        self.score_inner(parsed, src, Some(&std::cell::Cell::new(SCRIPTS_READ)))
    }

    /// [`RiskEngine::score`]; `scripts`: how many more scripts made of assigned values may be
    /// read ([`RiskEngine::score_resolved_script`]), `None` inside such a script (its own
    /// `eval $x` is not read again).
    fn score_inner(
        &self,
        parsed: &Parsed,
        src: &str,
        scripts: Option<&std::cell::Cell<u8>>,
    ) -> Risk {
        let cat = &self.cat;
        let n = parsed.parts.len();
        let mut reasons: Vec<Reason> = Vec::new();
        let mut best: u8 = 0;
        // What fired on each part, for the compositions (so only with several parts).
        let mut fired: SmallVec<[Fired; 4]> = SmallVec::new();
        // The part contexts of a command of several parts (a one-part command keeps its one
        // context where it is made). (`new` then `reserve`: `with_capacity` returns the inline
        // buffer by value, a copy of a kilobyte.)
        let mut ctxs: SmallVec<[PartCtx<'_>; 2]> = SmallVec::new();
        let mut part_scores: SmallVec<[u8; 8]> = SmallVec::new();
        if let [part] = parsed.parts.as_slice() {
            // One part (most commands): no composition needs its context kept, so it stays
            // where it is made instead of being moved into the list.
            let mut ctx = PartCtx::new(part, wrapper_cut(parsed, 0), cat, enclosing(parsed, 0));
            ctx.piped = piped_from_outside(parsed, part);
            ctx.parsed = Some(parsed);
            let s = self.score_part(parsed, 0, &ctx, &mut Fired::new(), &mut reasons, scripts);
            part_scores.push(s);
            best = best.max(s);
        } else {
            // (Made one by one: `smallvec![Fired::new(); n]` clones through a generic path
            // that cost more than the rest of a one-part score's set-up.)
            fired = (0..n).map(|_| Fired::new()).collect();
            ctxs.reserve_exact(n);
            for (i, p) in parsed.parts.iter().enumerate() {
                let piped = piped_from_outside(parsed, p);
                ctxs.push(PartCtx::new(
                    p,
                    wrapper_cut(parsed, i),
                    cat,
                    enclosing(parsed, i),
                ));
                if let Some(c) = ctxs.last_mut() {
                    c.piped = piped;
                    c.parsed = Some(parsed);
                }
            }
            // The links the command line makes (`ln -s / r`, `mount --bind / m`), for the
            // later parts that go through one (`rm -rf r/`): found only when some part is
            // `ln`, `mount` or `bindfs`.
            let links = if ctxs
                .iter()
                .any(|c| c.prog.is_some_and(|p| p.reads == catalogue::Reads::Link))
            {
                resolve::symlinks(parsed)
            } else {
                Vec::new()
            };
            for (i, ctx) in ctxs.iter().enumerate() {
                let mut s = self.score_part(parsed, i, ctx, &mut fired[i], &mut reasons, scripts);
                if !links.is_empty() {
                    s = s.max(self.score_through_links(
                        parsed,
                        i,
                        ctx,
                        &links,
                        &mut fired[i],
                        &mut reasons,
                    ));
                }
                part_scores.push(s);
                best = best.max(s);
            }
        }
        // Compositions.
        if !cat.compose.is_empty() && n > 1 {
            // The part contexts built above serve the compositions too.
            // Which sides each part's program could satisfy: one lookup per part.
            // (And the sides that name a signal the part fired.)
            // The reference without indexes (a test's) tries every composition's sides on
            // every part, each checked in full.
            #[cfg(test)]
            let unindexed = tests::UNINDEXED.with(std::cell::Cell::get);
            #[cfg(not(test))]
            let unindexed = false;
            let masks: SmallVec<[catalogue::ComposeMask; 8]> = ctxs
                .iter()
                .zip(&fired)
                .map(|(c, f)| {
                    if unindexed {
                        catalogue::ComposeMask::MAX
                    } else {
                        cat.compose_mask(c.prog) | cat.fired_mask(f)
                    }
                })
                .collect();
            let holds = |ci: usize, side: usize, cond: &Cond| -> SmallVec<[usize; 4]> {
                // Pushed one by one: collecting a filter into a small vector costs more
                // than the few tests it keeps.
                let mut out = SmallVec::new();
                // A side whose programs are all literal is indexed by program: a part that
                // has its bit has one of them, so it is not matched again.
                let bit = catalogue::compose_bit(ci, side);
                let check = unindexed
                    || bit == 0
                    || (cat.compose_always | cat.compose_by_signal) & bit != 0;
                for i in 0..n {
                    // (The bit is 0 past the index: then every part is tried.)
                    if (bit == 0 || masks[i] & bit != 0)
                        && self
                            .cond_holds(cond, &ctxs[i], &fired[i], check, &mut Match::default())
                            .is_some()
                    {
                        out.push(i);
                    }
                }
                out
            };
            // The sides some part's program could satisfy at all (one test per composition).
            let any = masks.iter().fold(0, |m, k| m | k);
            // The files each part writes, for the compositions over a written file: found
            // once, and only when such a composition is tried.
            let mut written: Option<Option<Vec<Vec<String>>>> = None;
            // The compositions both of whose sides some part may satisfy: the indexed ones
            // (two bits each, see `catalogue::compose_bit`) by their bits, in order, then any
            // beyond the index.
            // (`MAX / 3`: the even bits, 0b0101….)
            let mut both = any & (any >> 1) & (catalogue::ComposeMask::MAX / 3);
            let indexed = std::iter::from_fn(move || {
                let k = both.trailing_zeros();
                both &= both.wrapping_sub(1);
                (k < catalogue::ComposeMask::BITS).then_some((k / 2) as usize)
            });
            for ci in indexed.chain(catalogue::COMPOSE_INDEXED..cat.compose.len()) {
                let Some(c) = cat.compose.get(ci) else {
                    break;
                };
                // (Both sides may hold: the bits say so, and past the index nothing is
                // ruled out.)
                if c.disabled {
                    continue;
                }
                if matches!(c.kind, ComposeKind::WritesFile | ComposeKind::WritesProgram) {
                    // The connection first: most commands write no file a later part names.
                    let w = written.get_or_insert_with(|| written_by_parts(parsed, &ctxs));
                    let Some(w) = w else {
                        continue;
                    };
                    let connected = (0..n).any(|i| {
                        !w[i].is_empty() && (i + 1..n).any(|j| related(parsed, c.kind, i, j, w))
                    });
                    if !connected {
                        continue;
                    }
                }
                // The second side first: in most compositions it is the rarer one (a shell
                // reading its standard input), and `piped-to-shell`'s first side is any part.
                // When only the first side is indexed by program (`bash <(…)` and any command
                // inside), it is the rarer one and goes first.
                let (a, b) = if c.a_first {
                    let a = holds(ci, 0, &c.a);
                    if a.is_empty() {
                        continue;
                    }
                    (a, holds(ci, 1, &c.b))
                } else {
                    let b = holds(ci, 1, &c.b);
                    if b.is_empty() {
                        continue;
                    }
                    (holds(ci, 0, &c.a), b)
                };
                let found = a.iter().find_map(|&i| {
                    b.iter()
                        .find(|&&j| {
                            i != j
                                && related(
                                    parsed,
                                    c.kind,
                                    i,
                                    j,
                                    written
                                        .as_ref()
                                        .and_then(Option::as_deref)
                                        .unwrap_or_default(),
                                )
                        })
                        .map(|&j| (i, j))
                });
                if let Some((i, j)) = found {
                    let (pa, pb) = (&parsed.parts[i], &parsed.parts[j]);
                    let detail = render_compose(&c.reason, pa, pb);
                    let span = Span(pa.span.0.min(pb.span.0), pa.span.1.max(pb.span.1));
                    reasons.push(Reason {
                        signal: c.id.as_str().into(),
                        detail,
                        span,
                        part: Some(j),
                        score: i16::from(c.score),
                    });
                    best = best.max(c.score);
                    // Both parts carry the composition's risk (for `deny_at`, which is per part).
                    for k in [i, j] {
                        if let Some(ps) = part_scores.get_mut(k) {
                            *ps = (*ps).max(c.score);
                        }
                    }
                }
            }
        }
        // Whole text.
        let candidates = cat.raw_candidates(src.as_bytes());
        // (Some whole-text signals are for a command the parser could not read at all.)
        let unread = parsed.parts.is_empty() && !parsed.opaque.is_empty();
        for (k, r) in cat.raw.iter().enumerate() {
            if r.score == 0 || candidates & 1 << k.min(63) == 0 || (r.unparsed && !unread) {
                continue;
            }
            if let Some(m) = r.regex.find(src) {
                reasons.push(Reason {
                    signal: r.id.as_str().into(),
                    detail: r.reason.clone(),
                    span: Span(m.start(), m.end()),
                    part: None,
                    score: i16::from(r.score),
                });
                best = best.max(r.score);
            }
        }
        // What the parser could not read goes to review: at least medium.
        for o in &parsed.opaque {
            reasons.push(Reason {
                signal: "opaque".into(),
                detail: format!("not fully understood: {}", o.message),
                span: o.span,
                part: None,
                score: 60,
            });
            best = best.max(60);
        }
        reasons.sort_by(|a, b| b.score.cmp(&a.score).then(a.span.0.cmp(&b.span.0)));
        reasons.dedup_by(|a, b| a.signal == b.signal && a.span == b.span);
        reasons.truncate(32);
        Risk {
            score: best,
            level: Level::from_score(best),
            reasons,
            part_scores,
        }
    }

    /// Parses and scores a command line.
    pub fn score_str(&self, src: &str) -> Risk {
        self.score(&crate::parse::parse(src), src)
    }

    fn score_part<'a>(
        &'a self,
        parsed: &'a Parsed,
        i: usize,
        base: &PartCtx<'a>,
        fired: &mut Fired,
        reasons: &mut Vec<Reason>,
        scripts: Option<&std::cell::Cell<u8>>,
    ) -> u8 {
        let part = base.part;
        let argv0 = part.argv.first();
        match argv0 {
            Some(w) if w.is_dynamic() => {
                // What a dynamic command name can be, where that is knowable.
                let mut best = 0;
                let mut any = false;
                if let Some(exp) = w.brace_expansion() {
                    if let Some((first, rest)) = exp.split_first() {
                        let mut words: Vec<Cow<'_, str>> =
                            rest.iter().map(|s| Cow::Owned(s.clone())).collect();
                        words.extend(part.argv[1..].iter().map(|w| norm(w)));
                        let ctx = PartCtx::virtual_(
                            base,
                            first.clone(),
                            words,
                            w.span,
                            &self.cat,
                            usize::MAX,
                        );
                        best = best.max(self.eval_signals(i, &ctx, fired, reasons));
                        any = true;
                    }
                } else if w.flags.dynamic_part() == WordFlags::GLOB {
                    let cands: Vec<&String> = self
                        .cat
                        .known_programs
                        .iter()
                        .filter(|p| {
                            [
                                "",
                                "/bin/",
                                "/usr/bin/",
                                "/sbin/",
                                "/usr/sbin/",
                                "/usr/local/bin/",
                            ]
                            .iter()
                            .any(|d| glob::matches(&w.text, &format!("{d}{p}")))
                        })
                        .take(16)
                        .collect();
                    for c in cands {
                        let words: Vec<Cow<'_, str>> =
                            part.argv[1..].iter().map(|w| norm(w)).collect();
                        let ctx = PartCtx::virtual_(
                            base,
                            c.clone(),
                            words,
                            w.span,
                            &self.cat,
                            usize::MAX,
                        );
                        best = best.max(self.eval_signals(i, &ctx, fired, reasons));
                        any = true;
                    }
                }
                // What the command line itself says the name is (`$(which rm)`, `R=rm; $R`).
                for (name, lead) in resolve::program_names(parsed, w) {
                    let rest: Vec<Cow<'_, str>> = part.argv[1..].iter().map(|w| norm(w)).collect();
                    let words: Vec<Cow<'_, str>> = lead
                        .iter()
                        .cloned()
                        .map(Cow::Owned)
                        .chain(rest.iter().cloned())
                        .collect();
                    let ctx =
                        PartCtx::virtual_(base, name.clone(), words, w.span, &self.cat, usize::MAX);
                    best = best.max(self.eval_signals(i, &ctx, fired, reasons));
                    any = true;
                    if let Some(left) = scripts {
                        best = best.max(self.score_resolved_command(
                            i,
                            (&name, &lead),
                            part,
                            w.span,
                            reasons,
                            left,
                        ));
                    }
                    // And with the values the command line gives the arguments too (`R=rm;
                    // T=/; $R -rf $T`); only reasons not given already are added.
                    let values = resolve::argument_values(parsed, &part.argv[1..], &rest, &[]);
                    if let Some((lists, _)) = values {
                        let read = (name.as_str(), &lead[..], w.span, usize::MAX);
                        best = best
                            .max(self.eval_argument_lists(i, base, read, lists, fired, reasons));
                    }
                }
                let generic = self.eval_signals(i, base, fired, reasons);
                if any { best.max(generic) } else { generic }
            }
            _ => {
                let mut s = self.eval_signals(i, base, fired, reasons);
                // Inline code that hands a shell a script it decodes first (`python -c
                // "os.system(base64.b64decode('…'))"`): the decoded script is read too.
                // So are the commands of a cron table installed from a literal input.
                if let (Some(left), Some(pi)) = (scripts, base.prog) {
                    match pi.reads {
                        catalogue::Reads::InlineCode => {
                            s = s.max(self.score_decoded_code(i, base, reasons, left));
                        }
                        catalogue::Reads::Schedule => {
                            s = s.max(self.score_schedule_input(parsed, i, reasons, left));
                        }
                        catalogue::Reads::Nothing | catalogue::Reads::Link => {}
                    }
                }
                // What `xargs` runs, with the words a literal input hands it (`echo / | xargs
                // rm -rf`).
                if part.open_args && part.via == Some("xargs") && base.virtual_span.is_none() {
                    s = s.max(self.score_xargs_input(parsed, i, base, fired, reasons, scripts));
                }
                // Arguments that expand variables the command line assigns (`D=/; rm -rf $D`),
                // or braces (`rm -rf {/,}`): the part is also read with those values (one
                // test a word for most parts).
                // So is what `find -exec` runs, with the paths it starts from in place of `{}`.
                let n = base.args.len();
                let expands = |w: &Word| {
                    w.flags.contains(WordFlags::PARAM)
                        || w.flags.contains(WordFlags::RUNTIME)
                        || w.flags.contains(WordFlags::BRACE)
                        || (w.flags.dynamic_part() == WordFlags::SUBST && {
                            // (Only a substitution that is the whole word is read: a
                            // test of its first bytes.)
                            let t = w.text.strip_prefix('"').unwrap_or(&w.text);
                            t.starts_with("$(") || t.starts_with('`')
                        })
                };
                if base.virtual_span.is_some() || !part.argv.iter().skip(1).take(n).any(expands) {
                    return s;
                }
                let s = s.max(self.score_resolved_args(parsed, i, base, fired, reasons));
                match scripts {
                    Some(left) => s.max(self.score_resolved_script(parsed, i, base, reasons, left)),
                    None => s,
                }
            }
        }
    }

    /// [`RiskEngine::score_part`] for the argument lists [`resolve::argument_values`] finds;
    /// only reasons that the part's own reading did not give are added.
    #[cold]
    fn score_resolved_args<'a>(
        &'a self,
        parsed: &'a Parsed,
        i: usize,
        base: &PartCtx<'a>,
        fired: &mut Fired,
        reasons: &mut Vec<Reason>,
    ) -> u8 {
        let part = base.part;
        let Some(name) = base.name.as_deref() else {
            return 0;
        };
        let words = &part.argv[1..=base.args.len()];
        // The nearest enclosing `find` when `find -exec` runs the part.
        let roots = match part.via {
            Some("find -exec") => base
                .outer
                .iter()
                .find(|p| p.argv.first().and_then(Word::literal).map(basename) == Some("find"))
                .map(|p| resolve::find_roots(p))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let roots: Vec<&str> = roots.iter().map(String::as_str).collect();
        let Some((lists, span)) = resolve::argument_values(parsed, words, &base.args, &roots)
        else {
            return 0;
        };
        let options_end = wrapper_cut(parsed, i).options.saturating_sub(1);
        let read = (name, &[][..], span, options_end);
        self.eval_argument_lists(i, base, read, lists, fired, reasons)
    }

    /// `x='rm -rf /'; eval $x`, `c='rm -rf /'; sh -c "$c"`: a script that `eval` or a
    /// shell's `-c` runs, made of values the command line assigns, is read as a command line
    /// of its own and scored; its reasons that part `i` does not have yet are added to part
    /// `i`, at the first resolved word. The highest score. Bounded: `left` scripts more for
    /// the whole command (see [`SCRIPTS_READ`]), each at most [`SCRIPT_LEN`] bytes, and not
    /// inside a script read so.
    #[cold]
    #[inline(never)]
    fn score_resolved_script<'a>(
        &'a self,
        parsed: &'a Parsed,
        i: usize,
        base: &PartCtx<'a>,
        reasons: &mut Vec<Reason>,
        left: &std::cell::Cell<u8>,
    ) -> u8 {
        let Some(name) = base.name.as_deref() else {
            return 0;
        };
        let part = base.part;
        // Where the script is among the arguments: all of them for `eval` (joined by
        // spaces, as eval joins them), for a shell the word the parser reads as its `-c`
        // script (`bash -c S`, `bash -ec S`; `argv` counts the program, `args` does not).
        let at = match name {
            "eval" => None,
            _ => match crate::parse::shell_script_word(&part.argv) {
                Some(k) => Some(k - 1),
                None => return 0,
            },
        };
        let words = &part.argv[1..=base.args.len()];
        let Some((lists, span)) = resolve::argument_values(parsed, words, &base.args, &[]) else {
            return 0;
        };
        let mut best = 0;
        for list in lists {
            let text = match at {
                None => list.join(" "),
                Some(k) => match list.get(k) {
                    Some(s) => s.clone(),
                    None => continue,
                },
            };
            match self.score_script_text(i, span, &text, reasons, left) {
                Some(s) => best = best.max(s),
                None => break,
            }
        }
        best
    }

    /// `text`, parsed as `parsed`, scored as a command line of its own; its reasons that part
    /// `i` does not have yet are added to part `i` at `span`. Its score.
    fn score_read_script(
        &self,
        i: usize,
        span: Span,
        parsed: &Parsed,
        text: &str,
        reasons: &mut Vec<Reason>,
    ) -> u8 {
        let risk = self.score_inner(parsed, text, None);
        let more: Vec<Reason> = risk
            .reasons
            .into_iter()
            .map(|r| Reason {
                span,
                part: Some(i),
                ..r
            })
            .collect();
        add_new_reasons(reasons, more, i);
        risk.score
    }

    /// A dynamic command name the command line resolves (`a=(sudo rm -rf /); "${a[@]}"`,
    /// `X="sudo rm -rf /"; $X`) to a command that runs another (a wrapper, a shell's `-c`):
    /// the resolved words, with the part's own when they are all literal, are read as a
    /// command line, so that what the wrapper runs is scored too. Only when that line has
    /// parts beyond its first (one part is read already, as a virtual part). Bounded as
    /// [`RiskEngine::score_resolved_script`] is.
    #[cold]
    #[inline(never)]
    fn score_resolved_command(
        &self,
        i: usize,
        resolved: (&str, &[String]),
        part: &Part,
        span: Span,
        reasons: &mut Vec<Reason>,
        left: &std::cell::Cell<u8>,
    ) -> u8 {
        let (name, lead) = resolved;
        let Some(rest) = part
            .argv
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(Word::literal)
            .collect::<Option<Vec<&str>>>()
        else {
            return 0;
        };
        let text = crate::parse::quote::join(
            std::iter::once(name)
                .chain(lead.iter().map(String::as_str))
                .chain(rest),
        );
        if left.get() == 0 || text.len() > SCRIPT_LEN {
            return 0;
        }
        let parsed = crate::parse::parse(&text);
        if parsed.parts.len() < 2 {
            return 0;
        }
        left.set(left.get() - 1);
        self.score_read_script(i, span, &parsed, &text, reasons)
    }

    /// The part `base` read as `name`, with each of `lists` as its arguments after the words
    /// `lead` (`read`: name, lead, span, where options end); only reasons that its own
    /// reading did not give are added. The highest score.
    fn eval_argument_lists<'a>(
        &'a self,
        i: usize,
        base: &PartCtx<'a>,
        read: (&str, &[String], Span, usize),
        lists: Vec<Vec<String>>,
        fired: &mut Fired,
        reasons: &mut Vec<Reason>,
    ) -> u8 {
        let (name, lead, span, options_end) = read;
        let mut best = 0;
        for list in lists {
            // (Each value moved in, not copied, unless its path is rewritten.)
            let words: Vec<Cow<'_, str>> = lead
                .iter()
                .cloned()
                .chain(list.into_iter().map(|a| {
                    let rewritten = match lexical_path(&a) {
                        Cow::Owned(o) => Some(o),
                        Cow::Borrowed(_) => None,
                    };
                    rewritten.unwrap_or(a)
                }))
                .map(Cow::Owned)
                .collect();
            let ctx =
                PartCtx::virtual_(base, name.to_string(), words, span, &self.cat, options_end);
            let mut more = Vec::new();
            best = best.max(self.eval_signals(i, &ctx, fired, &mut more));
            add_new_reasons(reasons, more, i);
        }
        best
    }

    /// The scripts inline interpreter code decodes and hands a shell
    /// ([`resolve::decoded_shell_outs`]), each read as a command line and scored; their
    /// reasons that part `i` does not have yet are added at the code's word. Bounded as
    /// [`RiskEngine::score_resolved_script`] is.
    #[cold]
    #[inline(never)]
    fn score_decoded_code(
        &self,
        i: usize,
        base: &PartCtx<'_>,
        reasons: &mut Vec<Reason>,
        left: &std::cell::Cell<u8>,
    ) -> u8 {
        let mut best = 0;
        for (k, a) in base.args.iter().enumerate() {
            for text in resolve::decoded_shell_outs(a) {
                match self.score_script_text(i, base.arg_span(k), &text, reasons, left) {
                    Some(s) => best = best.max(s),
                    None => return best,
                }
            }
        }
        best
    }

    /// The commands a `crontab` part installs from a literal input
    /// ([`resolve::crontab_input`]), or the script `at -f <(…)` queues
    /// ([`resolve::job_file_input`]), read as a script and scored; their reasons that part
    /// `i` does not have yet are added. Bounded as [`RiskEngine::score_resolved_script`] is.
    #[cold]
    #[inline(never)]
    fn score_schedule_input(
        &self,
        parsed: &Parsed,
        i: usize,
        reasons: &mut Vec<Reason>,
        left: &std::cell::Cell<u8>,
    ) -> u8 {
        let part = &parsed.parts[i];
        let input = match part.program_name() {
            Some("crontab") => resolve::crontab_input(parsed, part),
            _ => resolve::job_file_input(parsed, part),
        };
        let Some((text, span)) = input else {
            return 0;
        };
        self.score_script_text(i, span, &text, reasons, left)
            .unwrap_or(0)
    }

    /// [`RiskEngine::score_read_script`] of `text`, parsed, within the budget: `None`, and
    /// nothing read, when the command's scripts are used up or `text` is over [`SCRIPT_LEN`]
    /// bytes.
    fn score_script_text(
        &self,
        i: usize,
        span: Span,
        text: &str,
        reasons: &mut Vec<Reason>,
        left: &std::cell::Cell<u8>,
    ) -> Option<u8> {
        if left.get() == 0 || text.len() > SCRIPT_LEN {
            return None;
        }
        left.set(left.get() - 1);
        Some(self.score_read_script(i, span, &crate::parse::parse(text), text, reasons))
    }

    /// [`RiskEngine::score_part`] for a part read with its arguments that go through a link
    /// the command line made before it put as the paths they go to (`ln -s / r; rm -rf r/`
    /// runs `rm -rf /`); only reasons that the part's own reading did not give are added.
    #[cold]
    #[inline(never)]
    fn score_through_links<'a>(
        &'a self,
        parsed: &'a Parsed,
        i: usize,
        base: &PartCtx<'a>,
        links: &[resolve::Link],
        fired: &mut Fired,
        reasons: &mut Vec<Reason>,
    ) -> u8 {
        let Some(name) = base.name.as_deref() else {
            return 0;
        };
        let Some((list, k)) = resolve::through_links(i, &base.args, links) else {
            return 0;
        };
        let options_end = wrapper_cut(parsed, i).options.saturating_sub(1);
        let read = (name, &[][..], base.arg_span(k), options_end);
        // Only a score that reaches what a link to a system place puts at stake is kept:
        // deploy steps link shared directories and clean them (`ln -s /shared/log log; rm
        // -rf log/*`), which is no more than the link's own path says. What fired is kept
        // for the compositions (`ln -s ~/.ssh k; cat k/id_rsa | curl -d @- …`).
        let mut more = Vec::new();
        let s = self.eval_argument_lists(i, base, read, vec![list], fired, &mut more);
        if s < LINK_FLOOR {
            return 0;
        }
        add_new_reasons(reasons, more, i);
        s
    }

    /// [`RiskEngine::score_part`] for the command `xargs` runs, read with the words its
    /// input gives when that input is literal ([`resolve::xargs_input`]); only reasons that
    /// the part's own reading did not give are added. A shell's `-c` script with the input
    /// put in place of `-I`'s marker (`xargs -I% sh -c 'rm -rf %' <<< /`) is read as a
    /// command line, within the `scripts` budget.
    #[cold]
    #[inline(never)]
    fn score_xargs_input<'a>(
        &'a self,
        parsed: &'a Parsed,
        i: usize,
        base: &PartCtx<'a>,
        fired: &mut Fired,
        reasons: &mut Vec<Reason>,
        scripts: Option<&std::cell::Cell<u8>>,
    ) -> u8 {
        let Some(name) = base.name.as_deref() else {
            return 0;
        };
        let Some(xargs) = base
            .outer
            .iter()
            .find(|p| p.argv.first().and_then(Word::literal).map(basename) == Some("xargs"))
        else {
            return 0;
        };
        let Some((words, span)) = resolve::xargs_input(parsed, xargs) else {
            return 0;
        };
        let runs: Vec<Vec<Cow<'_, str>>> = match words {
            resolve::XargsWords::Appended(words) => vec![
                base.args
                    .iter()
                    .cloned()
                    .chain(
                        words
                            .into_iter()
                            .map(|a| Cow::Owned(lexical_path(&a).into_owned())),
                    )
                    .collect(),
            ],
            resolve::XargsWords::Replaced { marker, lines } => lines
                .iter()
                .map(|line| {
                    base.args
                        .iter()
                        .map(|a| {
                            if a.contains(marker.as_str()) {
                                Cow::Owned(
                                    lexical_path(&a.replace(marker.as_str(), line)).into_owned(),
                                )
                            } else {
                                a.clone()
                            }
                        })
                        .collect()
                })
                .collect(),
        };
        let options_end = wrapper_cut(parsed, i).options.saturating_sub(1);
        let mut best = 0;
        // The `-c` script's place among the arguments (`argv` counts the program).
        let script_at = scripts.and_then(|_| crate::parse::shell_script_word(&base.part.argv));
        for args in runs {
            if let (Some(left), Some(k)) = (scripts, script_at) {
                if let Some(text) = k.checked_sub(1).and_then(|k| args.get(k)) {
                    if let Some(s) = self.score_script_text(i, span, text, reasons, left) {
                        best = best.max(s);
                    }
                }
            }
            let ctx = PartCtx::virtual_(base, name.to_string(), args, span, &self.cat, options_end);
            let mut more = Vec::new();
            best = best.max(self.eval_signals(i, &ctx, fired, &mut more));
            add_new_reasons(reasons, more, i);
        }
        best
    }

    fn eval_signals(
        &self,
        i: usize,
        ctx: &PartCtx<'_>,
        fired: &mut Fired,
        reasons: &mut Vec<Reason>,
    ) -> u8 {
        let cat = &self.cat;
        let mut cands = catalogue::SignalSet::with_room(cat.signals.len());
        #[cfg(test)]
        let unindexed = tests::UNINDEXED.with(std::cell::Cell::get);
        #[cfg(not(test))]
        let unindexed = false;
        // The reference without indexes tries every signal, and every modifier below.
        let have = if unindexed {
            cands = (0..cat.signals.len())
                .filter(|&i| cat.signals[i].modifier.is_none())
                .collect();
            u8::MAX
        } else {
            self.candidates(ctx, &mut cands)
        };
        // (The reference without indexes reads no start pairs either.)
        let pairs = if unindexed {
            u64::MAX
        } else {
            ctx.positional_pairs | 1
        };
        let mut base: u8 = 0;
        for si in cands.iter() {
            let head = &cat.heads[si];
            if !head.sub_may_hold(pairs) || !head.may_hold(|| ctx.flag_bits()) {
                continue;
            }
            let s = &cat.signals[si];
            let mut m = Match::default();
            if self
                .cond_holds(&s.cond, ctx, fired, unindexed, &mut m)
                .is_some()
            {
                fired.push(si);
                base = base.max(s.score);
                reasons.push(Reason {
                    signal: s.id.as_str().into(),
                    detail: fill(&s.reason, ctx, &m),
                    span: m.span.unwrap_or(ctx.part.span),
                    part: Some(i),
                    score: i16::from(s.score),
                });
            }
        }
        let mut score = i16::from(base);
        // A modifier is tried only on parts with the features it needs.
        let modifiers = if base >= cat.modifier_floor {
            &cat.modifiers[..]
        } else {
            &[]
        };
        for h in modifiers {
            let (si, delta, cap) = (h.signal, h.delta, h.cap);
            if base < h.min_base
                || h.gate & !have != 0
                || !cat.heads[si].may_hold(|| ctx.flag_bits())
            {
                continue;
            }
            let s = &cat.signals[si];
            let mut m = Match::default();
            if self.cond_holds(&s.cond, ctx, fired, true, &mut m).is_some() {
                fired.push(si);
                let before = score;
                score = if delta > 0 {
                    (score + delta).min(i16::from(cap)).max(score)
                } else {
                    (score + delta).max(10.min(score)).min(i16::from(cap))
                };
                reasons.push(Reason {
                    signal: s.id.as_str().into(),
                    detail: fill(&s.reason, ctx, &m),
                    span: m.span.unwrap_or(ctx.part.span),
                    part: Some(i),
                    score: score - before,
                });
            }
        }
        score.clamp(0, 100) as u8
    }

    /// The signals that can hold for a part, found through the catalogue's indexes and added
    /// to `out` (empty on entry); each is then checked in full, so the index only saves work
    /// and never decides. Returns the part's features ([`part_gates`]).
    fn candidates(&self, ctx: &PartCtx<'_>, out: &mut catalogue::SignalSet) -> u8 {
        let cat = &self.cat;
        // Whether the program's argument scan below also found the generic globs' runs in
        // each word: its set holds them whenever there are `generic_needles`.
        let mut generic_found = false;
        if let Some(name) = ctx.name.as_deref() {
            if let Some(pi) = ctx.prog {
                generic_found = pi.args_needles.is_some();
                out.union(&pi.nosub);
                if let Some(n) = &pi.args_needles {
                    for w in &ctx.args {
                        n.each_in(w.as_bytes(), |k| {
                            if let Some(v) = pi.args_needle_signals.get(k) {
                                out.union(v);
                            }
                        });
                    }
                }
                let pos = ctx.positional();
                for &k in pos.iter().take(6) {
                    if let Some(v) = pi.by_first.get(ctx.args[k].as_ref()) {
                        out.union(v);
                    }
                }
                out.union(&pi.glob_first);
            }
            for &si in &cat.glob_programs {
                if cat.signals[si].cond.program_globs.matches(name) {
                    out.insert(si);
                }
            }
        }
        // One search for the wildcard globs' literal runs over all the words: most parts
        // have none, and then no wildcard glob needs trying.
        for w in &ctx.args {
            let value = option_value(w);
            for (k, t) in std::iter::once(w.as_ref()).chain(value).enumerate() {
                let is_value = k > 0;
                // A word equal to a literal argument glob has one of their lengths, first
                // bytes and last bytes: look it up only then.
                let (len_lo, len_hi) = cat.generic_arg_len;
                if (len_lo..=len_hi).contains(&t.len())
                    && t.as_bytes()
                        .first()
                        .is_some_and(|&b| cat.generic_arg_first.contains(b))
                    && t.as_bytes()
                        .last()
                        .is_some_and(|&b| cat.generic_arg_last.contains(b))
                {
                    if let Some(v) = cat.generic_by_arg.get(t) {
                        out.union(v);
                    }
                }
                // Wildcard globs: a glob can match the word only if its longest literal run
                // occurs in it, so the signals of the runs found are the candidates. A run in
                // a `--opt=value` word's value is also in the word, so values are not searched
                // again. (When some run is shorter than two bytes there is no needle set: the
                // globs' own set then decides, on words and values.)
                if t.len() >= cat.generic_needle_min {
                    match (&cat.generic_needles, &cat.generic_wild) {
                        (Some(_), _) if is_value || generic_found => {}
                        (Some(n), _) => n.each_in(t.as_bytes(), |k| {
                            if let Some(v) = cat.generic_needle_signals.get(k) {
                                out.union(v);
                            }
                        }),
                        (None, Some((set, sig))) => {
                            for k in set.matches(t).iter() {
                                out.insert(sig[k]);
                            }
                        }
                        (None, None) => {}
                    }
                }
            }
        }
        // Signals held only through a redirection target: by their globs' literal runs.
        if let Some(n) = cat.redirect_needles.as_ref().filter(|_| ctx.has_targets()) {
            for t in ctx.targets() {
                n.each_in(t.0.as_bytes(), |k| {
                    if let Some(v) = cat.redirect_needle_signals.get(k) {
                        out.union(v);
                    }
                });
            }
        }
        let have = part_gates(ctx);
        if let Some(v) = cat.generic_by_gate.get(usize::from(have)) {
            out.union(v);
        }
        have
    }

    /// Whether `c` holds for the part (`Some`); what matched, for the reason, is written to `m`
    /// (empty on entry). `check_program`: false when the part was found through the program
    /// index, so the program is known to match.
    /// (`m` is written in place: returned in an `Option`, the match was stored field by field
    /// and loaded back whole by the caller, a store-forwarding stall that `perf` put at 8.7%
    /// of a score's time, over the two callers in `eval_signals`.)
    fn cond_holds<'x>(
        &'x self,
        c: &'x Cond,
        ctx: &'x PartCtx<'_>,
        fired: &[usize],
        check_program: bool,
        m: &mut Match<'x>,
    ) -> Option<()> {
        let need = c.need;
        let has = |bit: u32| need & bit != 0;
        if has(Need::DYNAMIC_PROGRAM) && !ctx.dynamic_name {
            return None;
        }
        if has(Need::PROGRAM)
            && (ctx.name.is_none()
                || (check_program && !c.program_globs.matches(ctx.name.as_deref()?)))
        {
            return None;
        }
        if has(Need::DYNAMIC_PROGRAM) {
            let w = ctx.part.argv.first()?;
            m.set(w.text.as_str(), w.span);
        }
        if has(Need::VIA) {
            // The part's own wrapper, or one that runs a command enclosing it (`sudo bash -c
            // 'rm …'`: the rm runs as root too), nearest first. (Most parts have neither.)
            let is = |v: &str| c.via.iter().any(|x| glob::same(x.as_bytes(), v.as_bytes()));
            let v = match ctx.part.via {
                Some(v) if is(v) => v,
                _ if ctx.outer.is_empty() => return None,
                _ => ctx.outer.iter().filter_map(|p| p.via).find(|v| is(v))?,
            };
            m.via = Some(v);
        }
        if has(Need::SIGNAL)
            && !fired
                .iter()
                .any(|&si| c.signal.contains(&self.cat.signals[si].id))
        {
            return None;
        }
        if has(Need::NO_OPERANDS) && !ctx.positional().is_empty() {
            return None;
        }
        if has(Need::INTERACTIVE) && !ctx.stdin_is_terminal() {
            return None;
        }
        if has(Need::TO_LOG) && !ctx.stdout_to_log() {
            return None;
        }
        if has(Need::SUB) {
            let pos = ctx.positional();
            // (Slices, not the small vectors: indexing one of those tests where it lives.)
            let args: &[Cow<'_, str>] = &ctx.args;
            let word = |k: usize| -> &str { &args[pos[k]] };
            let mut hit = None;
            // A run of the first positional words: look alternatives up by their first word.
            let hashes = ctx.positional_hashes();
            // Alternatives led by a glob are tried at every start: keep only those whose
            // literal start some positional word has (`* delete-*` needs a word `de…`).
            // (Inline room for 16: the built-in catalogue has at most 12 such alternatives in
            // one condition, so none of its conditions allocates here.)
            let pairs = ctx.positional_pairs();
            let mut globs: SmallVec<[usize; 16]> = SmallVec::new();
            for (&ai, pair) in c.sub_glob_first.iter().zip(&c.sub_glob_pairs) {
                if pair.is_none_or(|p| pairs & catalogue::start_pair_bit(p) != 0) {
                    globs.push(ai);
                }
            }
            // A positional word that may be the value of the option in front of it (`-n
            // prod`, `--grep x`): the subcommand can only come after such words, so a run
            // starts at the first positional word or right after one of them (`git log
            // --grep push` is no push; `kubectl -n prod delete` is a delete).
            // (A `+toolchain` word, as in `cargo +nightly publish`, is passed over too.)
            let value_like = |k: usize| -> bool {
                let q = pos[k];
                args[q].starts_with('+')
                    || q > 0 && (k == 0 || pos[k - 1] + 1 != q) && {
                        let p: &str = &args[q - 1];
                        p.len() > 1 && p.starts_with('-') && p != "--" && !p.contains('=')
                    }
            };
            'starts: for (s, &h) in hashes.iter().enumerate() {
                // Past a stop word the words are not the program's subcommand.
                if s > 0 && (!value_like(s - 1) || c.sub_stop.iter().any(|w| w == word(s - 1))) {
                    break;
                }
                let lit = if c.sub_first_bits & (1 << (h & 63)) == 0 {
                    &[][..]
                } else {
                    let at = c.sub_first.partition_point(|e| e.0 < h);
                    c.sub_first[at..]
                        .iter()
                        .take_while(|e| e.0 == h)
                        .find(|e| glob::same(e.1.as_bytes(), word(s).as_bytes()))
                        .map(|e| e.2.as_slice())
                        .unwrap_or_default()
                };
                if lit.is_empty() && globs.is_empty() {
                    continue;
                }
                let cands = lit.iter().chain(&globs);
                for &ai in cands {
                    let alt = &c.sub_m[ai];
                    if s + alt.len() > pos.len() || !alt[0].matches(word(s)) {
                        continue;
                    }
                    // The alternative's later words in order, passing over words that may be
                    // option values (`docker compose -f x.yml up`).
                    let mut at = s + 1;
                    let mut whole = true;
                    for g in &alt[1..] {
                        while at < pos.len() && !g.matches(word(at)) && value_like(at) {
                            at += 1;
                        }
                        if at < pos.len() && g.matches(word(at)) {
                            at += 1;
                        } else {
                            whole = false;
                            break;
                        }
                    }
                    if whole {
                        hit = Some((s, at - s));
                        break 'starts;
                    }
                }
            }
            let (s, n) = hit?;
            m.set_weak_words(s, n, ctx.part.span);
        }
        if has(Need::FLAGS) {
            // One test of the part's flag bits rules most groups out.
            let (shorts, longs) = ctx.flag_bits();
            for group in &c.flags {
                if !group.may_hold(shorts, longs) {
                    return None;
                }
                let hit = group.flags.iter().find_map(|f| ctx.flag(f))?;
                m.set_weak(ctx.args[hit].as_ref(), ctx.arg_span(hit));
            }
            if c.not_flags.may_hold(shorts, longs)
                && c.not_flags.flags.iter().any(|f| ctx.flag(f).is_some())
            {
                return None;
            }
        }
        // `args` and `redirect_any` together: either one is enough.
        let args_hit = if !has(Need::ARGS) {
            None
        } else {
            ctx.args.iter().enumerate().find_map(|(k, w)| {
                let value = option_value(w);
                if value.is_some() && excludes(w) {
                    return None;
                }
                [Some(w.as_ref()), value]
                    .into_iter()
                    .flatten()
                    .find(|t| c.args.matches(t) && !c.not_args.matches(t))
                    .map(|t| (Cow::Borrowed(t), ctx.arg_span(k)))
            })
        };
        if !has(Need::ARGS) && has(Need::NOT_ARGS) && ctx.args.iter().any(|w| c.not_args.matches(w))
        {
            return None;
        }
        let redirect_any_hit = if !has(Need::REDIRECT_ANY) || !ctx.has_targets() {
            None
        } else {
            ctx.targets().iter().find_map(|(t, span, _, _)| {
                c.redirect_any
                    .matches(t)
                    .then_some((Cow::Borrowed(t.as_ref()), *span))
            })
        };
        match (
            !has(Need::ARGS),
            !has(Need::REDIRECT_ANY),
            args_hit,
            redirect_any_hit,
        ) {
            (_, _, Some(h), _) | (_, _, None, Some(h)) => m.set(h.0, h.1),
            (true, true, None, None) => {}
            _ => return None,
        }
        if has(Need::ASSIGN) {
            // (What matched is shown: the name, or the whole `NAME=value` for a value glob.)
            let (text, span) = ctx.assigned().find_map(|(name, full, span)| {
                if c.assign.matches(&name) {
                    Some((Cow::Owned(name), span))
                } else if c.assign_value.matches(full) {
                    Some((Cow::Borrowed(full), span))
                } else {
                    None
                }
            })?;
            m.set(text, span);
        }
        if has(Need::REDIRECT) {
            let (t, span) = target_hit(ctx.targets(), &c.redirect, |t| t.2)?;
            m.set(t, span);
        }
        if has(Need::TRUNCATE) {
            let (t, span) = target_hit(ctx.targets(), &c.truncate, |t| t.3)?;
            m.set(t, span);
        }
        if has(Need::DEST) {
            let (k, t) = ctx.destination()?;
            if c.not_dest.matches(t) || !(c.dest.is_empty() || c.dest.matches(t)) {
                return None;
            }
            if !c.dest.is_empty() {
                m.set(t, ctx.arg_span(k));
            }
        }
        if has(Need::SRC) {
            let dest = ctx.destination().map(|(k, _)| k);
            let k = ctx.positional().iter().copied().find(|&k| {
                Some(k) != dest && c.src.matches(&ctx.args[k]) && !c.not_src.matches(&ctx.args[k])
            })?;
            m.set(ctx.args[k].as_ref(), ctx.arg_span(k));
        }
        let text = if has(Need::TEXT) {
            c.text.as_ref()
        } else {
            None
        };
        if let Some(re) = text {
            if !re.may_match(|| ctx.text_bits()) {
                return None;
            }
            let text = ctx.text();
            let hit = if c.text_expands {
                re.re.find_iter(text).find(|h| ctx.expands_at(h.start()))?
            } else {
                re.re.find(text)?
            };
            m.set(hit.as_str().trim(), ctx.part.span);
        }
        let not_text = if has(Need::NOT_TEXT) {
            c.not_text.as_ref()
        } else {
            None
        };
        if let Some(re) = not_text {
            if re.may_match(|| ctx.text_bits()) && re.re.is_match(ctx.text()) {
                return None;
            }
        }
        if has(Need::PROD) {
            let (text, span) = ctx.prod_hit(&self.cat)?;
            m.set(text, span);
        }
        if has(Need::RUNS_NOTHING) && ctx.runs_something {
            return None;
        }
        if has(Need::UNLESS)
            && c.unless.iter().any(|u| {
                self.cond_holds(u, ctx, fired, true, &mut Match::default())
                    .is_some()
            })
        {
            return None;
        }
        Some(())
    }
}

/// The first redirection target that `keep` keeps (it writes the path, or empties it) and
/// `globs` match, with its span.
fn target_hit<'x>(
    targets: &'x [Target<'_>],
    globs: &glob::GlobList,
    keep: impl Fn(&Target<'_>) -> bool,
) -> Option<(&'x str, Span)> {
    targets
        .iter()
        .find(|t| keep(t) && globs.matches(&t.0))
        .map(|t| (t.0.as_ref(), t.1))
}

/// How many scripts made of assigned values one command may have read
/// ([`RiskEngine::score_resolved_script`]): each is parsed and scored in full, so a command of
/// thousands of `eval $x` must not read thousands.
const SCRIPTS_READ: u8 = 8;

/// The score a part read through a link the command line made must reach to count
/// ([`RiskEngine::score_through_links`]): high enough for a system path (`rm -rf` of one is
/// 90 or more), above a delete of any absolute path (70).
const LINK_FLOOR: u8 = 80;

/// The longest such script read, in bytes.
const SCRIPT_LEN: usize = 4096;

/// Adds to `reasons` those of `more` (a second reading of part `i`) whose signal part `i`
/// does not have yet.
fn add_new_reasons(reasons: &mut Vec<Reason>, more: Vec<Reason>, i: usize) {
    for r in more {
        if !reasons
            .iter()
            .any(|x| x.part == Some(i) && x.signal == r.signal)
        {
            reasons.push(r);
        }
    }
}

/// Whether `part` reads a pipe through an enclosing stage ([`Parsed::reads_pipe`]); most
/// commands have no nested pipelines, and then this is one test.
fn piped_from_outside(parsed: &Parsed, part: &Part) -> bool {
    !parsed.pipeline_parent.is_empty() && parsed.reads_pipe(part)
}

/// The part features (a [`catalogue::Gate`] bit set) that signals may need.
fn part_gates(ctx: &PartCtx<'_>) -> u8 {
    let mut have = 0u8;
    if ctx.has_targets() {
        have |= catalogue::Gate::REDIRECT;
    }
    if !ctx.part.assignments.is_empty()
        || matches!(
            ctx.name.as_deref(),
            Some("export" | "declare" | "typeset" | "local" | "readonly" | "env" | "set" | "unset")
        )
    {
        have |= catalogue::Gate::ASSIGN;
    }
    if ctx.args.iter().any(|w| w.starts_with('-')) {
        have |= catalogue::Gate::DASH;
    }
    if ctx.dynamic_name {
        have |= catalogue::Gate::DYNAMIC;
    }
    if ctx.part.via.is_some() {
        have |= catalogue::Gate::VIA;
    }
    have
}

/// What is read of a part's words by most conditions, found in one pass when the part is
/// prepared: the short flag letters present (a bit per ASCII letter), the indices of dash
/// words and the [`catalogue::long_bit`]s of their option names; the indices of the
/// positional words (not options; `-` is one, and so is every word from `options_end` on);
/// and the [`catalogue::start_pair_bit`]s of the positional words' first two bytes.
/// `clusters`: whether `-abc` is read as three letters.
fn word_facts(
    args: &[Cow<'_, str>],
    clusters: bool,
    options_end: usize,
) -> ((u128, Idx, u64), Idx, u64) {
    let mut mask = 0u128;
    let mut dash = Idx::new();
    let mut longs = 0u64;
    let mut positional = Idx::new();
    let mut pairs = 0u64;
    for (i, w) in args.iter().enumerate() {
        let b = w.as_bytes();
        if b.first() != Some(&b'-') || b.len() < 2 || i >= options_end {
            positional.push(i);
            if let [x, y, ..] = *b {
                pairs |= catalogue::start_pair_bit([x, y]);
            }
            continue;
        }
        dash.push(i);
        let name = b.iter().position(|&c| c == b'=').map_or(b, |k| &b[..k]);
        longs |= catalogue::long_bit(name);
        let cluster = b.len() == 2
            || (clusters
                && b.len() <= 6
                && b[1] != b'-'
                && b[1..].iter().all(u8::is_ascii_alphabetic));
        if cluster {
            for &c in &b[1..] {
                if c < 128 {
                    mask |= 1u128 << c;
                }
            }
        } else if b[1] != b'-' && b[1] < 128 {
            // The letter a value may be written onto (`-i.bak`: see `Flag::Attached`).
            mask |= 1u128 << b[1];
        }
    }
    ((mask, dash, longs), positional, pairs)
}

/// Where a part's own words end (see [`wrapper_cut`]).
#[derive(Debug, Clone, Copy)]
struct Cut {
    /// From this word on, the words belong to the command a wrapper runs (scored as a part
    /// of its own), so the wrapper's own signals do not see them.
    words: usize,
    /// From this word on, no word is an option of the part's program: a script given as
    /// words starts there (`ssh h ls -la`: `-la` is the remote command's, not ssh's).
    options: usize,
}

#[cfg(test)]
impl Cut {
    /// Every word is the part's own.
    const NONE: Cut = Cut {
        words: usize::MAX,
        options: usize::MAX,
    };
}

/// Where the command run by wrapper part `i` starts among its words, and where the script
/// it runs as words starts (`argv.len()` when it wraps nothing): the inner part is the
/// next part, inside its span.
fn wrapper_cut(parsed: &Parsed, i: usize) -> Cut {
    let part = &parsed.parts[i];
    let all = part.argv.len();
    if let Some(next) = parsed.parts.get(i + 1) {
        if part.span.contains(next.span) {
            if next.origin == Origin::Wrapper {
                // At the command, not at the `NAME=value` words in front of it: those are
                // the wrapper's own arguments too (`env GOOS=linux go build` prints nothing).
                let first = next.argv.first().or(next.assignments.first());
                let k = first.and_then(|f| part.argv.iter().position(|w| w.span == f.span));
                if let Some(k) = k.filter(|&k| k > 0) {
                    return Cut {
                        words: k,
                        options: k,
                    };
                }
            } else if next.origin == Origin::Script {
                let at = next.span.0;
                let k = part
                    .argv
                    .iter()
                    .position(|w| w.span.0 <= at && at < w.span.1);
                if let Some(k) = k.filter(|&k| k > 0) {
                    return Cut {
                        words: all,
                        options: k,
                    };
                }
            }
        }
    }
    Cut {
        words: all,
        options: all,
    }
}

/// True when a run of ASCII letters and digits in `w` equals a marker (ignoring case).
fn has_marker(w: &[u8], markers: &[String], lens: u64, first2: &catalogue::PairSet) -> bool {
    let is_marker = |tok: &[u8]| {
        // Only tokens as long as some marker are compared.
        !tok.is_empty()
            && lens & (1 << tok.len().min(63)) != 0
            && markers
                .iter()
                .any(|m| m.len() == tok.len() && m.as_bytes().eq_ignore_ascii_case(tok))
    };
    // With a one-byte marker there is no pair to look for: every token is compared.
    if lens & 0b10 != 0 {
        return w.split(|c| !c.is_ascii_alphanumeric()).any(is_marker);
    }
    // A token equal to a marker starts with the marker's first two bytes (in either case):
    // only the tokens that start where the pair scan stops are read, not the whole word.
    let mut from = 0;
    while let Some(i) = first2.first_in(w, from) {
        from = i + 1;
        if i > 0 && w[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let n = w[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if is_marker(&w[i..i + n]) {
            return true;
        }
    }
    false
}

/// The wrapper and script parts that run part `i` (those whose span holds it). Substitutions
/// are not enclosed by the command whose word holds them: that command does not run them.
fn enclosing(parsed: &Parsed, i: usize) -> Outer<'_> {
    let part = &parsed.parts[i];
    if !matches!(part.origin, Origin::Wrapper | Origin::Script) {
        return Outer::new();
    }
    parsed.parts[..i]
        .iter()
        .rev()
        .filter(|p| {
            p.span.contains(part.span) && p.span != part.span
                || (p.span == part.span && p.argv.len() > part.argv.len())
        })
        .take(8)
        .collect()
}

/// The files each part writes ([`resolve::written_paths`]), for the parts that redirect
/// output to a path or download (the others write none); `None` when no part does.
#[inline(never)]
fn written_by_parts(parsed: &Parsed, ctxs: &[PartCtx<'_>]) -> Option<Vec<Vec<String>>> {
    let may_write = |(p, ctx): (&Part, &PartCtx<'_>)| {
        p.redirects
            .iter()
            .any(|r| r.writes_path() && !r.target.is_dynamic())
            || ctx
                .name
                .as_deref()
                .is_some_and(|n| n == "tee" || resolve::DOWNLOADERS.contains(&n))
    };
    if !parsed.parts.iter().zip(ctxs).any(may_write) {
        return None;
    }
    Some(
        parsed
            .parts
            .iter()
            .zip(ctxs)
            .map(|pc| {
                if may_write(pc) {
                    resolve::written_paths(pc.0)
                } else {
                    Vec::new()
                }
            })
            .collect(),
    )
}

/// How parts `i` and `j` of a composition must relate (`written`: the files each part
/// writes, [`resolve::written_paths`], found by the caller for the kinds that need them).
fn related(
    parsed: &Parsed,
    kind: ComposeKind,
    i: usize,
    j: usize,
    written: &[Vec<String>],
) -> bool {
    let (Some(a), Some(b)) = (parsed.parts.get(i), parsed.parts.get(j)) else {
        return false;
    };
    match kind {
        ComposeKind::Pipe => parsed.pipes_into(a, b) || parsed.feeds_stdin(a, b),
        ComposeKind::Inside => {
            b.origin == Origin::Substitution
                && a.argv
                    .iter()
                    .any(|w| w.span.contains(b.span) && w.span != b.span)
        }
        ComposeKind::Sequence => a.span.0 < b.span.0,
        ComposeKind::Both => true,
        ComposeKind::WritesFile | ComposeKind::WritesProgram => {
            if a.span.0 >= b.span.0 {
                return false;
            }
            // The same literal path, with or without a leading `./`.
            let Some(written) = written.get(i).filter(|w| !w.is_empty()) else {
                return false;
            };
            let names = match kind {
                ComposeKind::WritesFile => b.argv.get(1..).unwrap_or_default(),
                _ => b.argv.get(..1).unwrap_or_default(),
            };
            names.iter().filter_map(Word::literal).any(|w| {
                let w = w.strip_prefix("./").unwrap_or(w);
                written.iter().any(|t| t == w)
            })
        }
    }
}

/// What matched, for the reason sentence and span (`Default`: nothing yet).
#[derive(Debug, Default)]
struct Match<'x> {
    text: Option<Cow<'x, str>>,
    /// The positional words a `sub` alternative matched, when they are the text: the first
    /// (an index into [`PartCtx::positional`]) and how many. They are written word by word
    /// into the reason by [`fill`] (most conditions that match a `sub` fail on a later field),
    /// as the command spells them: `az acr repository delete`, not the alternative's
    /// `* * delete`.
    words: Option<(usize, usize)>,
    span: Option<Span>,
    strong: bool,
    /// The wrapper a `via` condition matched (the part's own, or an enclosing command's).
    via: Option<&'static str>,
}

impl<'x> Match<'x> {
    fn set(&mut self, text: impl Into<Cow<'x, str>>, span: Span) {
        if !self.strong {
            self.text = Some(text.into());
            self.words = None;
            self.span = Some(span);
            self.strong = true;
        }
    }
    fn set_weak(&mut self, text: impl Into<Cow<'x, str>>, span: Span) {
        if self.text.is_none() && self.words.is_none() {
            self.text = Some(text.into());
            self.span = Some(span);
        }
    }
    fn set_weak_words(&mut self, first: usize, count: usize, span: Span) {
        if self.text.is_none() && self.words.is_none() {
            self.words = Some((first, count));
            self.span = Some(span);
        }
    }
}

fn short(s: &str) -> Cow<'_, str> {
    if s.len() <= 80 || s.chars().count() <= 80 {
        Cow::Borrowed(s)
    } else {
        let mut t: String = s.chars().take(77).collect();
        t.push('…');
        Cow::Owned(t)
    }
}

/// Shortens what was written to `out` from `start` on as [`short`] would have shortened it.
fn shorten_from(out: &mut String, start: usize) {
    if let Cow::Owned(cut) = short(&out[start..]) {
        out.truncate(start);
        out.push_str(&cut);
    }
}

fn fill(template: &catalogue::Template, ctx: &PartCtx<'_>, m: &Match<'_>) -> String {
    let (prog, via) = (ctx.name.as_deref(), m.via.or(ctx.part.via));
    match (&m.text, m.words) {
        // A matched `sub` alternative: its words are written straight into the reason
        // (joining them first cost an allocation per reason).
        (None, Some((first, count))) => render_with(template, prog, via, |out, _| {
            let start = out.len();
            let pos = ctx.positional();
            let words = pos.get(first..first + count).unwrap_or_default();
            for (k, &i) in words.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                out.push_str(ctx.args.get(i).map_or("", |w| w.as_ref()));
            }
            shorten_from(out, start);
        }),
        (text, _) => render(template, prog, text.as_deref(), via),
    }
}

/// A reason from its template: `{prog}` the program (or "the command"), `{match}` what
/// matched (shortened; the program when nothing in particular did), `{via}` the wrapper.
fn render(
    template: &catalogue::Template,
    prog: Option<&str>,
    what: Option<&str>,
    via: Option<&str>,
) -> String {
    render_with(template, prog, via, |out, prog| {
        let start = out.len();
        out.push_str(what.unwrap_or(prog));
        shorten_from(out, start);
    })
}

/// [`render`] with `{match}` written by `push_match` (given the program's name).
fn render_with(
    template: &catalogue::Template,
    prog: Option<&str>,
    via: Option<&str>,
    push_match: impl Fn(&mut String, &str),
) -> String {
    use catalogue::Seg;
    let prog = prog.unwrap_or("the command");
    let mut out = String::with_capacity(template.text_len + 48);
    for seg in &template.segs {
        match seg {
            Seg::Text(t) => out.push_str(t),
            Seg::Prog => out.push_str(prog),
            Seg::Match => push_match(&mut out, prog),
            // (`su USER -c` is how `via` tells su's user forms apart: shown as `su -c`.)
            // (A comparison, not a search: a substring search's set-up cost a third of a
            // reason's rendering.)
            Seg::Via => out.push_str(match via.unwrap_or("a wrapper") {
                "su USER -c" => "su -c",
                v => v,
            }),
            // Only compositions have parts to name (see `render_compose`).
            Seg::A | Seg::B => {}
        }
    }
    out
}

/// A composition's reason: `{a}` and `{b}` are the canonical text of its parts (each
/// shortened as [`short`] does).
fn render_compose(template: &catalogue::Template, a: &Part, b: &Part) -> String {
    use catalogue::Seg;
    let mut out = String::with_capacity(template.text_len + 96);
    for seg in &template.segs {
        let part = match seg {
            Seg::Text(t) => {
                out.push_str(t);
                continue;
            }
            Seg::A => a,
            Seg::B => b,
            // Not placeholders of a composition (kept as text when parsed).
            Seg::Prog | Seg::Match | Seg::Via => continue,
        };
        let start = out.len();
        part.push_canonical(&mut out);
        shorten_from(&mut out, start);
    }
    out
}

/// A word's text for matching: static words as they are; dynamic words with their quoting
/// removed the way the shell removes it (quotes, and backslashes outside single quotes) and
/// with `$HOME`/`${HOME}` written as `~`. An escaped `$` or backquote keeps its backslash, so
/// that `\$HOME` (the literal text) is not taken for the home directory.
fn norm(w: &Word) -> Cow<'_, str> {
    if !w.is_dynamic() {
        return lexical_path(w.text.as_str());
    }
    let t = w.text.as_str();
    let b = t.as_bytes();
    // (Words are short: a plain loop, where `memchr3`'s setup cost more than the search.)
    if !b.iter().any(|c| matches!(c, b'"' | b'\'' | b'\\')) && !glob::contains(b, b"HOME") {
        return Cow::Borrowed(t);
    }
    let t = unquote(t);
    if !glob::contains(t.as_bytes(), b"HOME") {
        return Cow::Owned(t);
    }
    Cow::Owned(home_as_tilde(&t))
}

/// A dynamic word's source text without its quoting: `'…'` and `"…"` lose their quotes, a
/// backslash outside quotes escapes the next byte (and with a newline continues the line), a
/// backslash in double quotes escapes only `"`, `\`, a newline, `$` and `` ` ``. `$'…'` is
/// read as single quotes (its escapes are rare in paths). `\$` and `` \` `` stay as they are,
/// backslash included: the expansion they would start is not one.
fn unquote(t: &str) -> String {
    let b = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    // Runs of ordinary bytes are copied whole (every byte looked at below is ASCII, so each
    // run ends on a character boundary).
    let mut from = 0;
    let mut single = false;
    let mut double = false;
    let mut i = 0;
    while let Some(k) = b
        .get(i..)
        .unwrap_or_default()
        .iter()
        .position(|c| matches!(c, b'"' | b'\'' | b'\\'))
    {
        let at = i + k;
        let c = b[at];
        i = at + 1;
        let keep = match c {
            b'\'' if single => {
                single = false;
                0
            }
            b'\'' if !double => {
                single = true;
                // `$'…'`: the `$` goes with the quote.
                usize::from(b.get(at.wrapping_sub(1)) == Some(&b'$') && at > from)
            }
            b'"' if !single => {
                double = !double;
                0
            }
            b'\\' if !single => match b.get(i) {
                Some(b'\n') => {
                    i += 1;
                    0
                }
                // `\$`, `` \` ``: kept whole.
                Some(b'$' | b'`') => {
                    i += 1;
                    out.push_str(t.get(from..i).unwrap_or_default());
                    from = i;
                    continue;
                }
                // The escaped byte is taken as it is (and not as a quote).
                Some(&n) if !double || matches!(n, b'"' | b'\\') => {
                    out.push_str(t.get(from..at).unwrap_or_default());
                    from = i;
                    i += 1;
                    continue;
                }
                _ => continue,
            },
            _ => continue,
        };
        out.push_str(t.get(from..at - keep).unwrap_or_default());
        from = i;
    }
    out.push_str(t.get(from..).unwrap_or_default());
    out
}

/// `t` with each expansion of `HOME` written as `~`: `$HOME` (not `$HOME_DIR`), `${HOME}`,
/// and the forms that give HOME's value whenever it is set, as it is for any command run
/// (`${HOME:?}`, `${HOME?msg}`, `${HOME:-/x}`, `${HOME-/x}`, `${HOME:=/x}`): `rm -rf
/// "${HOME:?}/"` deletes the home directory.
fn home_as_tilde(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        // `\$HOME` (see [`unquote`]) is the literal text.
        let len = if out.ends_with('\\') {
            None
        } else if let Some(r) = after.strip_prefix("$HOME") {
            // `$HOME_DIR` is another variable.
            let more = r
                .bytes()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
            (!more).then_some(5)
        } else if let Some(r) = after.strip_prefix("${HOME") {
            match r.find('}') {
                Some(0) => Some(7),
                Some(k)
                    if [":?", "?", ":-", "-", ":=", "="]
                        .iter()
                        .any(|op| r.starts_with(op))
                        && !r[..k].contains(['{', '$']) =>
                {
                    Some(6 + k + 1)
                }
                _ => None,
            }
        } else {
            None
        };
        let n = len.unwrap_or(1);
        out.push_str(if len.is_some() { "~" } else { "$" });
        rest = &after[n..];
    }
    out.push_str(rest);
    out
}

/// An absolute path with `.`, `..` or repeated slashes in it, resolved as text (`/tmp/../etc`
/// is `/etc`, `/./` is `/`): what it names is matched, not how it is spelled. (Lexically: a
/// symbolic link named before `..` is not followed, which can only make the path look more
/// like a system one.) Anything else as it is.
/// (The test inline, the rewriting not: it is on the path of every static word.)
#[inline(always)]
fn lexical_path(t: &str) -> Cow<'_, str> {
    let b = t.as_bytes();
    if b.first() != Some(&b'/') || !(glob::contains(b, b"/.") || glob::contains(b, b"//")) {
        return Cow::Borrowed(t);
    }
    Cow::Owned(resolve_dots(t))
}

/// [`lexical_path`] of an absolute path that has a `.`, `..` or empty segment.
#[inline(never)]
fn resolve_dots(t: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in t.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut p = String::with_capacity(t.len());
    for seg in &out {
        p.push('/');
        p.push_str(seg);
    }
    // A trailing slash (or `/.`) keeps its meaning of "the directory".
    if p.is_empty() || t.ends_with('/') || t.ends_with("/.") {
        p.push('/');
    }
    p
}

/// The parts that enclose a part (at most eight; most wrapped parts have one or two: kept
/// inline, where a vector was an allocation for every part a wrapper runs).
type Outer<'a> = SmallVec<[&'a Part; 2]>;
/// Indices of a part's words (few: kept inline).
type Idx = SmallVec<[usize; 8]>;
/// The signals that fired on one part.
type Fired = SmallVec<[usize; 6]>;

/// A redirection's target (normalised), its span, whether it writes the path and whether it
/// empties it first.
type Target<'a> = (Cow<'a, str>, Span, bool, bool);

/// A part prepared for matching.
struct PartCtx<'a> {
    part: &'a Part,
    name: Option<Cow<'a, str>>,
    /// The catalogue's index entry of the program (one lookup per part).
    prog: Option<&'a catalogue::ProgramIndex>,
    dynamic_name: bool,
    /// The part runs a command or script that is a part of its own ([`Cut`]).
    runs_something: bool,
    /// The part reads a pipe through a group, subshell or substitution that is a later
    /// stage of a pipeline (`curl x | (sh)`; its own stage is tested where it is read).
    piped: bool,
    /// The command line the part is of, for where its output goes ([`PartCtx::stdout_to_log`];
    /// `None` in tests of one context alone).
    parsed: Option<&'a Parsed>,
    clusters: bool,
    /// The arguments (normalised); their spans are those of the part's words after the
    /// first, or `virtual_span` for all of them (spans are not copied into the context:
    /// it is moved once for every part of a command of several).
    args: SmallVec<[Cow<'a, str>; 8]>,
    virtual_span: Option<Span>,
    /// Parts that enclose this one (a wrapper or script runner and their own enclosers).
    outer: Outer<'a>,
    /// Redirection targets (normalised), their spans, whether they write the path and whether
    /// they empty it first.
    targets: OnceCell<Vec<Target<'a>>>,
    /// Short flags present (a bit per ASCII letter), the indices of dash words, and the
    /// [`catalogue::long_bit`]s of their option names.
    flags: (u128, Idx, u64),
    positional: Idx,
    positional_hashes: OnceCell<SmallVec<[u64; 6]>>,
    /// The [`catalogue::start_pair_bit`]s of the positional words' first two bytes.
    positional_pairs: u64,
    text: OnceCell<String>,
    /// The pairs of adjacent bytes of [`PartCtx::text`], for the `text` regexes' factors.
    text_bits: OnceCell<factor::TextBits>,
    /// The first word holding a production marker (see [`PartCtx::prod_hit`]).
    prod: OnceCell<Option<ProdHit>>,
}

/// Where a production marker was found.
#[derive(Debug, Clone, Copy)]
enum ProdHit {
    /// An argument.
    Arg(usize),
    /// A leading assignment.
    Assign(usize),
    /// A word of an enclosing part: (enclosing part, word of its assignments then argv).
    Outer(usize, usize),
}

impl<'a> PartCtx<'a> {
    /// The first word with a production marker: the part's own arguments and assignments,
    /// then those of the commands that enclose it (`ssh prod-1 '…'`, `kubectl --context prod
    /// exec … --`), whose marker holds for what they run. Found once per part.
    fn prod_hit(&self, cat: &Catalogue) -> Option<(&str, Span)> {
        let is_prod = |w: &str| {
            has_marker(
                w.as_bytes(),
                &cat.prod_markers,
                cat.prod_lens,
                &cat.prod_first2,
            )
        };
        let hit = *self.prod.get_or_init(|| {
            if let Some(i) = self.args.iter().position(|w| is_prod(w)) {
                return Some(ProdHit::Arg(i));
            }
            if let Some(i) = self.part.assignments.iter().position(|w| is_prod(&w.text)) {
                return Some(ProdHit::Assign(i));
            }
            self.outer.iter().enumerate().find_map(|(k, p)| {
                p.argv
                    .iter()
                    .chain(&p.assignments)
                    .position(|w| is_prod(&w.text))
                    .map(|i| ProdHit::Outer(k, i))
            })
        });
        match hit? {
            ProdHit::Arg(i) => self.args.get(i).map(|w| (w.as_ref(), self.arg_span(i))),
            ProdHit::Assign(i) => self
                .part
                .assignments
                .get(i)
                .map(|w| (w.text.as_str(), w.span)),
            ProdHit::Outer(k, i) => {
                let p = self.outer.get(k)?;
                p.argv
                    .iter()
                    .chain(&p.assignments)
                    .nth(i)
                    .map(|w| (w.text.as_str(), w.span))
            }
        }
    }

    /// `cut`: where the part's own words and its options end ([`Cut`]).
    /// (Not inlined: `score` makes contexts in two places, and one copy of this code saved
    /// more time in instruction-cache misses than the copy of the result costs; see
    /// benches/RESULTS.md.)
    #[inline(never)]
    fn new(part: &'a Part, cut: Cut, cat: &'a Catalogue, outer: Outer<'a>) -> Self {
        let first = part.argv.first();
        let dynamic_name = first.is_some_and(Word::is_dynamic);
        let name = first
            .and_then(Word::literal)
            .map(|n| Cow::Borrowed(basename(n)));
        let mut args = SmallVec::new();
        for w in part.argv.iter().take(cut.words).skip(1) {
            args.push(norm(w));
        }
        let clusters = !name.as_deref().is_some_and(single_dash_long);
        let prog = name.as_deref().and_then(|n| cat.by_program.get(n));
        let (flags, positional, positional_pairs) =
            word_facts(&args, clusters, cut.options.saturating_sub(1));
        PartCtx {
            part,
            name,
            virtual_span: None,
            prog,
            dynamic_name,
            runs_something: cut.options < part.argv.len(),
            piped: false,
            parsed: None,
            clusters,
            args,
            outer,
            positional,
            positional_hashes: OnceCell::new(),
            positional_pairs,
            targets: OnceCell::new(),
            flags,
            text: OnceCell::new(),
            text_bits: OnceCell::new(),
            prod: OnceCell::new(),
        }
    }

    /// Part `base` read with another name or other words (`options_end`: where its options
    /// end among `words`, as [`Cut::options`] less the name); it keeps the commands that
    /// enclose `base` and whether it reads a pipe.
    fn virtual_(
        base: &PartCtx<'a>,
        name: String,
        words: Vec<Cow<'a, str>>,
        span: Span,
        cat: &'a Catalogue,
        options_end: usize,
    ) -> Self {
        // (The name kept as given when it has no directory: most have none.)
        let dir = name.len() - basename(&name).len();
        let name = if dir == 0 {
            name
        } else {
            name[dir..].to_string()
        };
        let prog = cat.by_program.get(name.as_str());
        let args: SmallVec<[Cow<'a, str>; 8]> = words.into_iter().collect();
        let clusters = !single_dash_long(&name);
        let (flags, positional, positional_pairs) = word_facts(&args, clusters, options_end);
        PartCtx {
            part: base.part,
            prog,
            virtual_span: Some(span),
            name: Some(Cow::Owned(name)),
            dynamic_name: false,
            // (Not known for a name known only at run time: taken as running something,
            // so that no `runs_nothing` condition lowers what such a part may do.)
            runs_something: true,
            piped: base.piped,
            parsed: base.parsed,
            clusters,
            args,
            outer: base.outer.clone(),
            positional,
            positional_hashes: OnceCell::new(),
            positional_pairs,
            targets: OnceCell::new(),
            flags,
            text: OnceCell::new(),
            text_bits: OnceCell::new(),
            prod: OnceCell::new(),
        }
    }

    /// The span of argument `k`: its word's (the part's words after the first), or the one
    /// span of a virtual context's arguments.
    fn arg_span(&self, k: usize) -> Span {
        match self.virtual_span {
            Some(span) => span,
            None => self.part.argv.get(k + 1).map_or(self.part.span, |w| w.span),
        }
    }

    /// Short flags present (a bit per ASCII letter), the indices of dash words, and the
    /// option-name bits of those words (see [`word_facts`]).
    fn flag_index(&self) -> &(u128, Idx, u64) {
        &self.flags
    }

    /// The part's short flag letters and the option-name bits of its dash words.
    fn flag_bits(&self) -> (u128, u64) {
        let (mask, _, longs) = self.flag_index();
        (*mask, *longs)
    }

    /// The index of an argument that is the flag `f`.
    fn flag(&self, f: &catalogue::Flag) -> Option<usize> {
        let (mask, dash, longs) = self.flag_index();
        match f {
            catalogue::Flag::Short(c) | catalogue::Flag::Attached(c) => {
                if *c >= 128 || mask & (1u128 << *c) == 0 {
                    return None;
                }
            }
            catalogue::Flag::Long(_, bit) => {
                if longs & bit == 0 {
                    return None;
                }
            }
        }
        dash.iter()
            .copied()
            .find(|&i| f.matches(&self.args[i], self.clusters))
    }

    /// True when nothing feeds the part's standard input: no input redirection on it or on
    /// a command that wraps it, and it does not read from a pipe.
    fn stdin_is_terminal(&self) -> bool {
        use crate::parse::RedirectOp as Op;
        let feeds = |p: &Part| {
            p.stage > 0
                || p.redirects.iter().any(|r| {
                    matches!(
                        r.op,
                        Op::In
                            | Op::ReadWrite
                            | Op::DupIn
                            | Op::Heredoc
                            | Op::HeredocStrip
                            | Op::HereString
                    ) && r
                        .fd
                        .as_ref()
                        .is_none_or(|fd| *fd == crate::parse::Fd::Number(0))
                        // (`sh 0<&2`, `sh <&1`: standard input from the terminal's other
                        // descriptors, as GTFOBins' shells do.)
                        && !(r.op == Op::DupIn && matches!(r.target.text.as_str(), "1" | "2"))
                })
        };
        !self.piped && !feeds(self.part) && !self.outer.iter().any(|p| feeds(p))
    }

    /// True when what the part prints goes to the terminal or the job's log: neither it nor
    /// a command that wraps it sends standard output to a file or descriptor (`> f`, `&>
    /// f`, `>&3`; not `>&2`), into a substitution, or into a later stage of a pipe other
    /// than one that prints what it reads ([`resolve::passes_through`]: `| jq .`, `| tee
    /// f`, `| head`) and whose own output is not sent away.
    fn stdout_to_log(&self) -> bool {
        use crate::parse::{Fd, RedirectOp as Op};
        let Some(parsed) = self.parsed else {
            return false;
        };
        let redirected = |p: &Part| {
            p.origin == Origin::Substitution
                || p.redirects.iter().any(|r| {
                    let stdout = r.fd.as_ref().is_none_or(|fd| *fd == Fd::Number(1));
                    let to_log = r.op == Op::DupOut && matches!(r.target.text.as_str(), "1" | "2");
                    stdout
                        && !to_log
                        && (r.op == Op::DupOut || r.writes_path() && r.op != Op::ReadWrite)
                })
        };
        let away = |p: &Part| {
            redirected(p)
                || parsed.parts.iter().any(|q| {
                    parsed.pipes_into(p, q) && (!resolve::passes_through(q) || redirected(q))
                })
        };
        !away(self.part) && !self.outer.iter().any(|p| away(p))
    }

    /// The part's redirection targets, normalised once.
    fn targets(&self) -> &[Target<'a>] {
        self.targets.get_or_init(|| {
            let mut t: Vec<Target<'a>> = self
                .part
                .redirects
                .iter()
                .map(|r| (norm(&r.target), r.span, r.writes_path(), r.empties_path()))
                .collect();
            // A download saved to a named file writes it as `>` would (`curl -o F URL` is
            // `curl URL > F`).
            if self.is_download_tool() {
                if let Some(saves) = resolve::download_saves(self.part) {
                    let argv = &self.part.argv;
                    for (i, at) in saves.named {
                        let Some(w) = argv.get(i) else { continue };
                        let text = match (at, w.literal()) {
                            (0, _) => norm(w),
                            (_, Some(lit)) => lexical_path(lit.get(at..).unwrap_or_default()),
                            (_, None) => continue,
                        };
                        t.push((text, w.span, true, true));
                    }
                }
            }
            t
        })
    }

    /// Whether the part is a download tool, whose output file is a target
    /// ([`PartCtx::targets`]).
    fn is_download_tool(&self) -> bool {
        self.name
            .as_deref()
            .is_some_and(|n| resolve::DOWNLOADERS.contains(&n))
            && self.part.argv.iter().skip(1).any(|w| {
                // Every output option has an `o` or `O` (`-o`, `-O`, `--output`, `--out`,
                // `--output-document`, clusters such as `-fsSLo`): a cheap test first.
                w.text.starts_with('-') && w.text.bytes().any(|b| b == b'o' || b == b'O')
            })
    }

    /// Whether the part writes or reads some target: a redirection, or a download tool's
    /// output file.
    fn has_targets(&self) -> bool {
        !self.part.redirects.is_empty() || (self.is_download_tool() && !self.targets().is_empty())
    }

    /// The [`glob::word_hash`]es of the first six positional words (where `sub` is looked
    /// for), computed once per part.
    fn positional_hashes(&self) -> &[u64] {
        self.positional_hashes.get_or_init(|| {
            self.positional()
                .iter()
                .take(6)
                .map(|&k| glob::word_hash(self.args[k].as_bytes()))
                .collect()
        })
    }

    /// The [`catalogue::start_pair_bit`]s of every positional word's first two bytes (an
    /// alternative of `sub` may reach past the first six), computed once per part.
    fn positional_pairs(&self) -> u64 {
        self.positional_pairs
    }

    /// Arguments that are not options.
    fn positional(&self) -> &[usize] {
        &self.positional
    }

    /// Where a copy, move or link puts what it copies: the directory of `-t DIR`,
    /// `--target-directory DIR` or `--target-directory=DIR`, or else the last of two or more
    /// operands; `None` with fewer (`ln -s /usr/bin/x` links in the working directory). With
    /// the argument's index. (rsync's `-t` keeps times: it has no target option.)
    fn destination(&self) -> Option<(usize, &str)> {
        // (rsync's `-t` keeps times, mount's names the filesystem type.)
        let t_other = matches!(self.name.as_deref(), Some("rsync" | "mount"));
        for (k, w) in self.args.iter().enumerate() {
            if w == "--" {
                break;
            }
            if (w == "-t" && !t_other) || w == "--target-directory" {
                return self.args.get(k + 1).map(|v| (k + 1, v.as_ref()));
            }
            if let Some(v) = w.strip_prefix("--target-directory=") {
                return Some((k, v));
            }
            // `-t` in a cluster of short options (`cp -rt DIR …`, `ln -sft DIR …`, `-tDIR`):
            // its value is the rest of the word, or else the next word. A letter before it
            // that takes a value of its own (`-S SUFFIX`, install's `-m MODE`) ends the search.
            if !t_other && w.len() > 2 && w.starts_with('-') && !w.starts_with("--") {
                let takes_value = |c: u8| {
                    c == b'S' || (self.name.as_deref() == Some("install") && b"mog".contains(&c))
                };
                for (i, c) in w.bytes().enumerate().skip(1) {
                    if c == b't' {
                        return match &w[i + 1..] {
                            "" => self.args.get(k + 1).map(|v| (k + 1, v.as_ref())),
                            v => Some((k, v)),
                        };
                    }
                    if takes_value(c) || !c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        }
        match self.positional() {
            [.., _, last] => Some((*last, self.args[*last].as_ref())),
            _ => None,
        }
    }

    /// Names assigned by the part, with the whole `NAME=value` word: leading assignments,
    /// and `NAME=…` arguments of export-like builtins and `env`.
    fn assigned(&self) -> impl Iterator<Item = (String, &str, Span)> + '_ {
        let lead = self
            .part
            .assignments
            .iter()
            .map(|w| (assign_name(&w.text), w.text.as_str(), w.span));
        let builtin = matches!(
            self.name.as_deref(),
            Some("export" | "declare" | "typeset" | "local" | "readonly" | "env" | "set" | "unset")
        );
        let args = self
            .args
            .iter()
            .enumerate()
            .filter(move |(_, w)| builtin && !w.starts_with('-'))
            .map(|(k, w)| (assign_name(w), w.as_ref(), self.arg_span(k)));
        lead.chain(args)
    }

    /// [`PartCtx::text`]'s pairs of adjacent bytes, computed once per part when a regex with
    /// factors asks (from the text's pieces: most parts are ruled out without the text).
    fn text_bits(&self) -> &factor::TextBits {
        self.text_bits.get_or_init(|| {
            let mut bits = factor::TextBitsBuilder::default();
            self.text_pieces(|sep, piece| match sep {
                Some(sep) => bits.push_after(sep, piece.as_bytes()),
                None => bits.push(piece.as_bytes()),
            });
            bits.finish()
        })
    }

    /// The part's words and here-document bodies, for regexes.
    fn text(&self) -> &str {
        self.text.get_or_init(|| {
            let cap = self.args.iter().map(|w| w.len() + 1).sum::<usize>() + 16;
            let mut t = String::with_capacity(cap);
            self.text_pieces(|sep, piece| {
                if let Some(sep) = sep {
                    t.push(char::from(sep));
                }
                t.push_str(piece);
            });
            t
        })
    }

    /// Whether byte `at` of [`PartCtx::text`] lies in a word that expands at run time and
    /// outside its command substitutions (see [`CondSpec::text_expands`]). A context read
    /// with other words than its part's ([`PartCtx::virtual_`]) cannot say which word a byte
    /// came from, and here-document bodies and here-strings are not told apart: both count
    /// as expanding (the signal holds, as it would without the condition).
    fn expands_at(&self, at: usize) -> bool {
        let mut from = self.name.as_deref().map_or(0, str::len);
        if at < from {
            return false;
        }
        for (k, w) in self.args.iter().enumerate() {
            // (Each argument follows a space.)
            let end = from + 1 + w.len();
            if at < end {
                if self.virtual_span.is_some() {
                    return true;
                }
                let dynamic = self.part.argv.get(k + 1).is_some_and(Word::is_dynamic);
                // (`get`: an offset that is not a character boundary, which a match cannot
                // start at, counts as expanding rather than panicking.)
                return dynamic
                    && w.get(..at.saturating_sub(from + 1))
                        .is_none_or(|before| !in_substitution(before));
            }
            from = end;
        }
        true
    }

    /// The pieces of [`PartCtx::text`], in order, each with the separator byte before it: the
    /// program's name (none), each argument (a space), each here-document body or
    /// here-string (a newline). (The separator goes with its piece, so that the bits take
    /// both in one call.)
    fn text_pieces(&self, mut piece: impl FnMut(Option<u8>, &str)) {
        if let Some(n) = &self.name {
            piece(None, n);
        }
        for w in &self.args {
            piece(Some(b' '), w);
        }
        for r in &self.part.redirects {
            if let Some(h) = &r.heredoc {
                piece(Some(b'\n'), &h.body);
            } else if r.op == crate::parse::RedirectOp::HereString {
                piece(Some(b'\n'), &norm(&r.target));
            }
        }
    }
}

/// Whether the end of `before` (a dynamic word's text up to some byte, quotes removed) is
/// inside a command substitution: a `$(` or backtick opened and not closed.
fn in_substitution(before: &str) -> bool {
    let (mut depth, mut tick) = (0usize, false);
    let b = before.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'`' => tick = !tick,
            b'(' if i > 0 && b[i - 1] == b'$' => depth += 1,
            b'(' if depth > 0 => depth += 1,
            b')' if depth > 0 => depth -= 1,
            _ => {}
        }
    }
    depth > 0 || tick
}

/// The value of an option word (`--file=x` gives `x`); `None` for other words.
#[inline]
fn option_value(w: &str) -> Option<&str> {
    let b = w.as_bytes();
    if b.first() != Some(&b'-') {
        return None;
    }
    b.iter().position(|&c| c == b'=').map(|i| &w[i + 1..])
}

/// Whether `w` is an option with its value attached that names what the program is to leave
/// alone (`--exclude=.env`, `--ignore=…`): its value is not a file the command touches, so no
/// `args` glob is matched against it. Only the attached form: after a bare `--exclude` the
/// next word may be an operand of a program whose `--exclude` takes no value, and it is
/// matched as one.
fn excludes(w: &str) -> bool {
    let name = w.split_once('=').map_or(w, |(n, _)| n);
    matches!(
        name,
        "--exclude" | "--exclude-dir" | "--ignore" | "--ignore-dir"
    )
}

/// Programs whose options are single-dash words (`find -name`), not short clusters.
fn single_dash_long(name: &str) -> bool {
    matches!(
        name,
        "find"
            | "terraform"
            | "tofu"
            | "terragrunt"
            | "java"
            | "openssl"
            | "ffmpeg"
            | "gcc"
            | "clang"
            | "go"
            | "ip"
            | "convert"
            | "magick"
            | "xmlstarlet"
            | "qemu-img"
            | "dig"
            | "mkisofs"
            | "pwsh"
            | "powershell"
            | "pwsh.exe"
            | "powershell.exe"
            | "dscl"
    ) || name.starts_with("qemu-system")
}

fn assign_name(text: &str) -> String {
    let name = text.split_once('=').map_or(text, |(n, _)| n);
    name.trim_end_matches('+')
        .split('[')
        .next()
        .unwrap_or(name)
        .to_string()
}

#[cfg(test)]
mod tests;
