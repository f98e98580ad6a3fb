//! Policies (SPEC §4): rules of word-glob patterns, the verdict over every part of a command,
//! and the policy's own test cases.
//!
//! A policy is compiled once ([`Policy::from_toml`]) and then decides many commands
//! ([`Policy::check`]). Rules are indexed by their first literal word, so a check looks only
//! at the rules that can match each part.

mod lint;
mod nearest;
pub(crate) mod pattern;
mod route;
pub use nearest::Nearest;
pub use route::{Groups, Route, Routing, approval_refused};
mod verdict;

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::risk::{CatalogueSpec, Level, RiskConfig, RiskEngine, SignalOverride};
use pattern::Pattern;

pub use lint::Finding;
pub use verdict::{Context, Decision, Evaluation, PartVerdict};

/// A policy that cannot be used, with where in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
#[non_exhaustive]
pub struct PolicyError {
    /// The file name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// What a rule does with the parts it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Run without asking.
    Allow,
    /// Ask a reviewer.
    Review,
    /// Refuse.
    Deny,
}

/// What happens when nobody answers in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnTimeout {
    /// Refuse (the default).
    Deny,
    /// Proceed (only sensible for low risk; lint says so).
    Approve,
}

/// The `[settings]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// What a part that no rule matches gets: review or deny.
    pub default: Action,
    /// How long a review may wait, in seconds.
    pub timeout_secs: u64,
    /// What a timeout means.
    pub on_timeout: OnTimeout,
    /// Parts at or above this risk are denied outright.
    pub deny_at: Option<Level>,
    /// Redirection targets a command may write without a rule (globs over the target as
    /// written, such as `$GITHUB_OUTPUT` or `dist/**`).
    pub writable: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default: Action::Review,
            timeout_secs: 600,
            on_timeout: OnTimeout::Deny,
            deny_at: None,
            writable: Vec::new(),
        }
    }
}

/// One `[[rule]]`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's id, named in every verdict it decides.
    pub id: String,
    /// What it does.
    pub action: Action,
    /// The patterns as written.
    pub patterns: Vec<String>,
    /// The regex as written.
    pub regex_src: Option<String>,
    /// Context conditions: key → globs; every key must hold.
    pub when: Vec<(String, Vec<String>)>,
    /// The rule allows only while the command's risk is at most this.
    pub max_risk: Option<Level>,
    /// What a timeout means for parts this rule sends to review.
    pub on_timeout: Option<OnTimeout>,
    /// How many different reviewers must approve.
    pub approvals: u32,
    /// Where to notify.
    pub notify: Vec<String>,
    /// Who may review.
    pub reviewers: Vec<String>,
    /// Line of the rule in the file (for lint).
    pub line: usize,
    compiled: Vec<Pattern>,
    regex: Option<Regex>,
    when_globs: Vec<(String, Vec<Regex>)>,
}

/// One `[[test]]` of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The command.
    pub command: String,
    /// The verdict it must get.
    pub expect: Decision,
    /// The context to check it in.
    pub context: Context,
    /// Line in the file.
    pub line: usize,
}

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The settings.
    pub settings: Settings,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// The policy's own tests.
    pub tests: Vec<TestCase>,
    /// The risk engine with the policy's changes.
    pub risk: RiskEngine,
    /// Reviewer groups (`[groups]`).
    pub groups: Groups,
    /// Notification routes (`[[route]]`), in file order.
    pub routes: Vec<Route>,
    /// Rules by their patterns' leading literal words (a trie).
    index: Trie,
    /// Rules with a pattern whose first word is a glob or `**`, or with a regex.
    unindexed: Vec<usize>,
    writable: Vec<Regex>,
}

// ---- the file format ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    settings: Option<SettingsFile>,
    #[serde(default)]
    rule: Vec<Spanned<RuleFile>>,
    #[serde(default)]
    test: Vec<Spanned<TestFile>>,
    #[serde(default)]
    risk: Option<RiskFile>,
    #[serde(default)]
    groups: Option<Spanned<Groups>>,
    #[serde(default)]
    route: Vec<Spanned<route::RouteFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    default: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    on_timeout: Option<Spanned<String>>,
    deny_at: Option<Spanned<String>>,
    #[serde(default)]
    writable: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: Spanned<String>,
    action: Spanned<String>,
    #[serde(rename = "match")]
    matches: Option<Spanned<OneOrMany>>,
    regex: Option<Spanned<String>>,
    #[serde(default)]
    when: Option<Spanned<toml::Table>>,
    max_risk: Option<Spanned<String>>,
    on_timeout: Option<Spanned<String>>,
    approvals: Option<Spanned<i64>>,
    #[serde(default)]
    notify: Vec<String>,
    #[serde(default)]
    reviewers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    command: String,
    expect: Spanned<String>,
    #[serde(default)]
    context: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskFile {
    #[serde(default)]
    prod_markers: Option<Vec<String>>,
    #[serde(default)]
    signal: Vec<crate::risk::SignalSpec>,
    #[serde(default)]
    compose: Vec<crate::risk::ComposeSpec>,
    #[serde(default)]
    raw: Vec<crate::risk::RawSpec>,
    #[serde(default, rename = "override")]
    overrides: Vec<SignalOverride>,
}

/// Rules by the words their patterns start with: a trie over literal words and simple glob
/// words (`prod-*`, `v?.*`), so that a rule is a candidate only when every leading word of its
/// pattern up to the first `**` (or class, or alternatives) matches the command's word there.
///
/// Edges are keyed by their parent node and a 64-bit hash of the word (for a glob edge, of
/// the glob's literal start), with no word text stored: one probe of one table per step, and
/// no key to fetch and compare. Equal words hash alike, so no rule is ever missed; a hash
/// collision could only add candidates, and every candidate is matched in full before it
/// decides anything. Nodes hold ranges of two flat arrays (their rules, and the lengths of
/// their glob edges' literal starts).
#[derive(Debug, Clone, Default)]
struct Trie {
    nodes: Vec<TrieNode>,
    /// Rules whose indexed words end at a node, node after node.
    rules: Vec<u32>,
    /// The lengths of the literal starts of a node's glob edges, ascending, node after node.
    lens: Vec<u32>,
    /// (parent, hash of the word) → child.
    lits: HashMap<(u32, u64), u32, crate::risk::glob::FastHash>,
    /// (parent, hash of the literal start) → each glob with that start and its child.
    globs: HashMap<(u32, u64), GlobEdges, crate::risk::glob::FastHash>,
}

/// The glob edges of a node that share a literal start: each glob and its child.
type GlobEdges = Vec<(pattern::SimpleGlob, u32)>;

#[derive(Debug, Clone, Copy, Default)]
struct TrieNode {
    /// `Trie::rules[rules.0..rules.1]`.
    rules: (u32, u32),
    /// `Trie::lens[lens.0..lens.1]`.
    lens: (u32, u32),
}

/// A [`Trie`] being built, its keys borrowed from the rules' patterns until
/// [`TrieBuilder::finish`].
#[derive(Default)]
struct TrieBuilder<'a> {
    /// Each node's rules.
    nodes: Vec<Vec<u32>>,
    /// (parent, [`crate::risk::glob::word_hash`] of the word) → child, as the finished trie keeps it. Two words
    /// of one parent with one key share a child: both are followed (the collision adds
    /// candidates, which are matched in full; it loses none).
    lits: HashMap<(u32, u64), u32, crate::risk::glob::FastHash>,
    globs: HashMap<(u32, &'a pattern::SimpleGlob), u32, crate::risk::glob::FastHash>,
}

impl<'a> TrieBuilder<'a> {
    fn insert(&mut self, words: &[pattern::IndexWord<'a>], rule: usize) {
        if self.nodes.is_empty() {
            self.nodes.push(Vec::new());
        }
        // Rule and node numbers fit in u32: no policy file that large can be read.
        let rule = u32::try_from(rule).unwrap_or(u32::MAX);
        let mut n = 0u32;
        for w in words {
            let next = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
            let (c, new) = match *w {
                pattern::IndexWord::Lit(l) => match self
                    .lits
                    .entry((n, crate::risk::glob::word_hash(l.as_bytes())))
                {
                    std::collections::hash_map::Entry::Occupied(e) => (*e.get(), false),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(next);
                        (next, true)
                    }
                },
                pattern::IndexWord::Glob(g) => match self.globs.get(&(n, g)) {
                    Some(&c) => (c, false),
                    None => {
                        self.globs.insert((n, g), next);
                        (next, true)
                    }
                },
            };
            if new {
                self.nodes.push(Vec::new());
            }
            n = c;
        }
        let node = &mut self.nodes[n as usize];
        if node.last() != Some(&rule) {
            node.push(rule);
        }
    }

    /// The trie, with the edges moved into their lookup forms.
    fn finish(self) -> Trie {
        let mut lits = self.lits;
        lits.shrink_to_fit();
        let mut globs: HashMap<(u32, u64), GlobEdges, crate::risk::glob::FastHash> =
            HashMap::with_capacity_and_hasher(self.globs.len(), Default::default());
        let mut lens: Vec<(u32, u32)> = Vec::with_capacity(self.globs.len());
        for ((parent, g), child) in self.globs {
            let prefix = g.prefix().as_bytes();
            globs
                .entry((parent, crate::risk::glob::word_hash(prefix)))
                .or_default()
                .push((g.clone(), child));
            lens.push((parent, u32::try_from(prefix.len()).unwrap_or(u32::MAX)));
        }
        lens.sort_unstable();
        lens.dedup();
        let mut trie = Trie {
            nodes: Vec::with_capacity(self.nodes.len()),
            rules: Vec::with_capacity(self.nodes.iter().map(Vec::len).sum()),
            lens: Vec::with_capacity(lens.len()),
            lits,
            globs,
        };
        let at = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        let mut next_len = lens.iter().peekable();
        for (n, rules) in self.nodes.into_iter().enumerate() {
            let r0 = at(trie.rules.len());
            trie.rules.extend(rules);
            let l0 = at(trie.lens.len());
            while let Some(&(_, len)) = next_len.next_if(|(p, _)| *p as usize == n) {
                trie.lens.push(len);
            }
            trie.nodes.push(TrieNode {
                rules: (r0, at(trie.rules.len())),
                lens: (l0, at(trie.lens.len())),
            });
        }
        trie
    }
}

impl Trie {
    /// The rules of every node the words lead to. Each node is reached by one path from the
    /// root, so the walk visits a node at most once: bounded by the trie, whatever the input.
    fn walk(&self, words: &[&str]) -> Vec<usize> {
        let mut out = Vec::new();
        if self.nodes.is_empty() {
            return out;
        }
        let range = |r: (u32, u32)| r.0 as usize..r.1 as usize;
        let mut stack: smallvec::SmallVec<[(u32, usize); 8]> = smallvec::smallvec![(0, 0)];
        while let Some((n, i)) = stack.pop() {
            let Some(node) = self.nodes.get(n as usize) else {
                continue;
            };
            if let Some(rules) = self.rules.get(range(node.rules)) {
                out.extend(rules.iter().map(|&r| r as usize));
            }
            let Some(&w) = words.get(i) else { continue };
            let b = w.as_bytes();
            if let Some(&c) = self.lits.get(&(n, crate::risk::glob::word_hash(b))) {
                stack.push((c, i + 1));
            }
            for &len in self.lens.get(range(node.lens)).unwrap_or_default() {
                let Some(p) = b.get(..len as usize) else {
                    break;
                };
                if let Some(globs) = self.globs.get(&(n, crate::risk::glob::word_hash(p))) {
                    for (g, c) in globs {
                        if g.matches(w) {
                            stack.push((*c, i + 1));
                        }
                    }
                }
            }
        }
        out
    }
}

/// The context keys a `when` may name (SPEC §6), plus `branch` (the ref without `refs/heads/`).
const CONTEXT_KEYS: &[&str] = &[
    "source",
    "repository",
    "workflow",
    "run_id",
    "job",
    "step",
    "sha",
    "ref",
    "branch",
    "actor",
    "environment",
    "host",
    "cwd",
];

struct Loc<'a> {
    file: &'a str,
    text: &'a str,
    /// Byte offsets where lines start.
    lines: Vec<usize>,
}

impl<'a> Loc<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Loc { file, text, lines }
    }

    fn line_of(&self, at: usize) -> usize {
        self.lines.partition_point(|&s| s <= at).max(1)
    }

    fn err(&self, at: usize, message: impl Into<String>) -> PolicyError {
        let mut at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let line = self.line_of(at);
        let start = self.lines[line - 1];
        let col = self.text[start..at].chars().count() + 1;
        PolicyError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

fn parse_level(loc: &Loc<'_>, v: &Spanned<String>, field: &str) -> Result<Level, PolicyError> {
    v.get_ref()
        .parse::<Level>()
        .map_err(|e| loc.err(v.span().start, format!("`{field}`: {e}")))
}

/// Seconds in a policy duration: `10m`, `90s`, `2h`, `1d`, `600` (seconds); `None` when it is
/// not one.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1),
        'm' => (&s[..s.len() - 1], 60),
        'h' => (&s[..s.len() - 1], 3600),
        'd' => (&s[..s.len() - 1], 86400),
        c if c.is_ascii_digit() => (s, 1),
        _ => return None,
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

/// A glob over a context value: `*` any run, `?` one character; compiled to a regex.
fn context_glob(g: &str) -> Result<Regex, regex::Error> {
    let mut re = String::from("^");
    for c in g.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re)
}

fn context_of(table: &toml::Table) -> Context {
    let mut c = Context::default();
    for (k, v) in table {
        if let Some(s) = v.as_str() {
            c.values.insert(k.clone(), s.to_string());
        }
    }
    c
}

impl Policy {
    /// Reads and compiles a policy. `file` names it in errors.
    ///
    /// # Errors
    /// With `file:line:col` and the field, for TOML and schema errors, invalid patterns and
    /// regexes, unknown context keys, bad levels and durations, duplicate ids and invalid
    /// risk signals.
    pub fn from_toml(text: &str, file: &str) -> Result<Policy, PolicyError> {
        let loc = Loc::new(file, text);
        let pf: PolicyFile = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            loc.err(at, e.message().trim().to_string())
        })?;
        if let Some(v) = &pf.version {
            if *v.get_ref() != 1 {
                return Err(loc.err(
                    v.span().start,
                    format!("`version` {} is not supported (1 is)", v.get_ref()),
                ));
            }
        }
        let mut settings = Settings::default();
        if let Some(sf) = &pf.settings {
            if let Some(d) = &sf.default {
                settings.default = match d.get_ref().as_str() {
                    "review" => Action::Review,
                    "deny" => Action::Deny,
                    other => {
                        return Err(loc.err(
                            d.span().start,
                            format!("`default` must be `review` or `deny`, not `{other}`"),
                        ));
                    }
                };
            }
            if let Some(t) = &sf.timeout {
                settings.timeout_secs = parse_duration(t.get_ref()).ok_or_else(|| {
                    loc.err(
                        t.span().start,
                        format!(
                            "`timeout`: `{}` is not a duration (like `10m`, `90s`)",
                            t.get_ref()
                        ),
                    )
                })?;
            }
            if let Some(o) = &sf.on_timeout {
                settings.on_timeout = on_timeout(&loc, o)?;
            }
            if let Some(l) = &sf.deny_at {
                settings.deny_at = Some(parse_level(&loc, l, "deny_at")?);
            }
            settings.writable = sf.writable.clone();
        }
        let groups = match &pf.groups {
            Some(g) => {
                for (name, members) in g.get_ref() {
                    if name.is_empty() || members.is_empty() {
                        return Err(loc.err(
                            g.span().start,
                            format!("group `{name}` needs a name and at least one reviewer"),
                        ));
                    }
                }
                g.get_ref().clone()
            }
            None => Groups::new(),
        };
        let mut rules = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for r in &pf.rule {
            let line = loc.line_of(r.span().start);
            let rf = r.get_ref();
            let id = rf.id.get_ref().clone();
            if id.trim().is_empty() {
                return Err(loc.err(rf.id.span().start, "`id` must not be empty"));
            }
            if let Some(prev) = ids.insert(id.clone(), line) {
                return Err(loc.err(
                    rf.id.span().start,
                    format!("duplicate rule id `{id}` (first on line {prev})"),
                ));
            }
            let action = match rf.action.get_ref().as_str() {
                "allow" => Action::Allow,
                "review" => Action::Review,
                "deny" => Action::Deny,
                other => {
                    return Err(loc.err(
                        rf.action.span().start,
                        format!("`action` must be `allow`, `review` or `deny`, not `{other}`"),
                    ));
                }
            };
            let patterns: Vec<String> = match rf.matches.as_ref().map(Spanned::get_ref) {
                Some(OneOrMany::One(s)) => vec![s.clone()],
                Some(OneOrMany::Many(v)) => v.clone(),
                None => Vec::new(),
            };
            if patterns.is_empty() && rf.regex.is_none() {
                return Err(loc.err(
                    r.span().start,
                    format!("rule `{id}` needs `match` or `regex`"),
                ));
            }
            let mut compiled = Vec::new();
            for p in &patterns {
                let at = rf
                    .matches
                    .as_ref()
                    .map_or(r.span().start, |m| m.span().start);
                compiled.push(Pattern::parse(p).map_err(|e| {
                    // Point into the pattern's string when it appears verbatim in the file.
                    let base = text[at..].find(p.as_str()).map_or(at, |k| at + k);
                    loc.err(
                        base + e.offset,
                        format!("rule `{id}`, `match` `{p}`: {}", e.message),
                    )
                })?);
            }
            let regex = match &rf.regex {
                Some(rs) => Some(
                    regex::RegexBuilder::new(rs.get_ref())
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| {
                            loc.err(rs.span().start, format!("rule `{id}`, `regex`: {e}"))
                        })?,
                ),
                None => None,
            };
            let mut when = Vec::new();
            let mut when_globs = Vec::new();
            if let Some(w) = &rf.when {
                for (k, v) in w.get_ref() {
                    if !CONTEXT_KEYS.contains(&k.as_str()) {
                        return Err(loc.err(
                            w.span().start,
                            format!(
                                "rule `{id}`, `when`: unknown context key `{k}` (known: {})",
                                CONTEXT_KEYS.join(", ")
                            ),
                        ));
                    }
                    let globs: Vec<String> = match v {
                        toml::Value::String(s) => vec![s.clone()],
                        toml::Value::Array(a) => a
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect(),
                        _ => {
                            return Err(loc.err(
                                w.span().start,
                                format!("rule `{id}`, `when.{k}`: a string or a list of strings"),
                            ));
                        }
                    };
                    let res = globs
                        .iter()
                        .map(|g| context_glob(g))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| {
                            loc.err(w.span().start, format!("rule `{id}`, `when.{k}`: {e}"))
                        })?;
                    when.push((k.clone(), globs));
                    when_globs.push((k.clone(), res));
                }
            }
            let max_risk = match &rf.max_risk {
                Some(m) => Some(parse_level(&loc, m, "max_risk")?),
                None => None,
            };
            let on_timeout = match &rf.on_timeout {
                Some(o) => Some(on_timeout(&loc, o)?),
                None => None,
            };
            let approvals = match &rf.approvals {
                Some(a) if (1..=10).contains(a.get_ref()) => *a.get_ref() as u32,
                Some(a) => {
                    return Err(loc.err(a.span().start, "`approvals` must be between 1 and 10"));
                }
                None => 1,
            };
            rules.push(Rule {
                id,
                action,
                patterns,
                regex_src: rf.regex.as_ref().map(|r| r.get_ref().clone()),
                when,
                max_risk,
                on_timeout,
                approvals,
                notify: route::expand_targets(&loc, r.span().start, &groups, &rf.notify)?,
                reviewers: route::expand_reviewer_list(
                    &loc,
                    r.span().start,
                    &groups,
                    &rf.reviewers,
                )?,
                line,
                compiled,
                regex,
                when_globs,
            });
        }
        let mut tests = Vec::new();
        for t in &pf.test {
            let tf = t.get_ref();
            let expect = match tf.expect.get_ref().as_str() {
                "allow" => Decision::Allow,
                "review" => Decision::Review,
                "deny" => Decision::Deny,
                other => {
                    return Err(loc.err(
                        tf.expect.span().start,
                        format!("`expect` must be `allow`, `review` or `deny`, not `{other}`"),
                    ));
                }
            };
            tests.push(TestCase {
                command: tf.command.clone(),
                expect,
                context: tf.context.as_ref().map(context_of).unwrap_or_default(),
                line: loc.line_of(t.span().start),
            });
        }
        let mut risk_cfg = RiskConfig::default();
        if let Some(rf) = &pf.risk {
            risk_cfg.extra = CatalogueSpec {
                prod_markers: Vec::new(),
                signal: rf.signal.clone(),
                compose: rf.compose.clone(),
                raw: rf.raw.clone(),
            };
            risk_cfg.overrides = rf.overrides.clone();
            risk_cfg.prod_markers = rf.prod_markers.clone();
        }
        let risk = RiskEngine::with_config(&risk_cfg).map_err(|e| {
            let at = text.find("[risk]").unwrap_or(0);
            loc.err(at, format!("`risk`: {e}"))
        })?;
        let writable = settings
            .writable
            .iter()
            .map(|g| context_glob(g))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                loc.err(
                    text.find("writable").unwrap_or(0),
                    format!("`writable`: {e}"),
                )
            })?;
        let routes = pf
            .route
            .iter()
            .map(|r| route::Route::compile(&loc, r.span().start, r.get_ref(), &groups))
            .collect::<Result<Vec<_>, _>>()?;
        let mut p = Policy {
            settings,
            rules,
            tests,
            risk,
            groups,
            routes,
            index: Trie::default(),
            unindexed: Vec::new(),
            writable,
        };
        p.build_index();
        Ok(p)
    }

    /// A policy with no rules: every part goes to `default` (review).
    ///
    /// # Errors
    /// Never in a released build (the built-in risk catalogue is tested).
    pub fn empty() -> Result<Policy, PolicyError> {
        Policy::from_toml("version = 1\n", "<empty>")
    }

    fn build_index(&mut self) {
        let mut b = TrieBuilder::default();
        // At most one node per indexed word: reserved once rather than grown.
        let words: usize = self
            .rules
            .iter()
            .flat_map(|r| &r.compiled)
            .map(|p| p.words.len())
            .sum();
        b.nodes.reserve(words + 1);
        b.lits.reserve(words);
        self.unindexed.clear();
        for (i, r) in self.rules.iter().enumerate() {
            if r.regex.is_some() {
                self.unindexed.push(i);
            }
            for p in &r.compiled {
                let words: Vec<pattern::IndexWord<'_>> = p.index_words().collect();
                // A pattern that starts with `**` or a class lands on the root: a candidate
                // for every part.
                b.insert(&words, i);
            }
        }
        self.index = b.finish();
    }

    /// The rules that can match a part with these leading static words, in file order: those
    /// whose indexed words (see [`Trie`]) lead along the words, and regex rules.
    pub(crate) fn candidates<'w>(&self, words: impl IntoIterator<Item = &'w str>) -> Vec<usize> {
        let words: smallvec::SmallVec<[&str; 16]> = words.into_iter().collect();
        let mut out = self.index.walk(&words);
        out.extend_from_slice(&self.unindexed);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// True when a redirection to `target` (as written) is allowed without a rule.
    pub(crate) fn writable(&self, target: &str) -> bool {
        self.writable.iter().any(|r| r.is_match(target))
    }
}

fn on_timeout(loc: &Loc<'_>, o: &Spanned<String>) -> Result<OnTimeout, PolicyError> {
    match o.get_ref().as_str() {
        "deny" => Ok(OnTimeout::Deny),
        "approve" => Ok(OnTimeout::Approve),
        other => Err(loc.err(
            o.span().start,
            format!("`on_timeout` must be `deny` or `approve`, not `{other}`"),
        )),
    }
}

impl Rule {
    /// Whether the rule's `when` holds in `ctx` (a missing context value fails).
    pub(crate) fn when_holds(&self, ctx: &Context) -> bool {
        self.when_globs.iter().all(|(k, globs)| {
            let value = match k.as_str() {
                "branch" => ctx.values.get("branch").map(String::as_str).or_else(|| {
                    ctx.values
                        .get("ref")
                        .map(|r| r.strip_prefix("refs/heads/").unwrap_or(r))
                }),
                _ => ctx.values.get(k).map(String::as_str),
            };
            value.is_some_and(|v| globs.iter().any(|g| g.is_match(v)))
        })
    }

    /// Whether the rule matches a part's words (or, for a regex rule, its canonical text).
    pub(crate) fn matches_part(&self, words: &[pattern::Subject<'_>], canonical: &str) -> bool {
        self.matches_part_with(words, || canonical)
    }

    /// [`Rule::matches_part`] with the canonical text made only when a regex needs it.
    pub(crate) fn matches_part_with<'c>(
        &self,
        words: &[pattern::Subject<'_>],
        canonical: impl FnOnce() -> &'c str,
    ) -> bool {
        self.compiled.iter().any(|p| p.matches(words))
            || self.regex.as_ref().is_some_and(|r| r.is_match(canonical()))
    }
}

#[cfg(test)]
mod tests;
