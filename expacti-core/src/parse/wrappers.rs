//! Commands that run other commands: which words of a part form the command it runs.
//!
//! Each wrapper has a table-driven option grammar. An option the table does not know makes
//! the command opaque, because the boundary between the wrapper's options and the command
//! it runs is then unknown.

use compact_str::CompactString;
use smallvec::SmallVec;

use super::parser::{COMMAND_VARIABLES, command_variable_via};
use super::types::{OpaqueKind, Word, WordFlags, basename};

/// What a part runs besides itself.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Runs {
    /// Nothing we can see (or nothing at all).
    Nothing,
    /// `argv[start..end]` is a command, led by `assigns` words of `argv` (`env A=b cmd`).
    Argv {
        start: usize,
        end: usize,
        assigns: Vec<usize>,
        open_args: bool,
        /// Words containing this text are replaced at run time (`{}` of `find`).
        runtime: Option<CompactString>,
        /// Words of the wrapper's that are added after the command's (the arguments
        /// GNU parallel reads after `:::`).
        append: Vec<usize>,
        via: &'static str,
    },
    /// Several commands (`find -exec … ; -exec … +`).
    Many(Vec<Runs>),
    /// `argv[word]` is a script string.
    Script { word: usize, via: &'static str },
    /// `argv[from..]` joined by spaces is a script string (`eval`, `ssh host …`).
    ScriptJoin { from: usize, via: &'static str },
    /// Bytes `start..end` of `argv[word]`'s text are a script string (a string literal that
    /// inline interpreter code hands to a shell: `perl -e 'system("rm x")'`).
    ScriptSlice {
        word: usize,
        start: usize,
        end: usize,
        via: &'static str,
    },
    /// The byte ranges of `argv[word]`'s text are the words of a command, given as a list of
    /// string literals to a call that runs a program without a shell
    /// (`subprocess.run(['rm', '-rf', '/'])`).
    ArgvSlices {
        word: usize,
        ranges: Vec<(usize, usize)>,
        via: &'static str,
    },
    /// The inner command cannot be known.
    Opaque { kind: OpaqueKind, message: String },
}

impl Runs {
    /// Nothing for no runs, the one run for one, `Many` for more.
    fn from_list(mut runs: Vec<Runs>) -> Runs {
        match runs.len() {
            0 => Runs::Nothing,
            1 => runs.pop().unwrap_or(Runs::Nothing),
            _ => Runs::Many(runs),
        }
    }

    /// The value of a setting that a program runs as a command line (bytes `start..` of
    /// `argv[word]`): read as a script (`via`) when it is literal; one only known at run time
    /// makes the command opaque (`what` names the setting in the reason).
    fn command_value(
        argv: &[Word],
        word: usize,
        start: usize,
        via: &'static str,
        what: &str,
    ) -> Runs {
        match argv.get(word) {
            Some(w) if w.is_dynamic() => Runs::Opaque {
                kind: OpaqueKind::DynamicScript,
                message: format!("the command in {what} is only known at run time"),
            },
            Some(w) => Runs::ScriptSlice {
                word,
                start,
                end: w.text.len(),
                via,
            },
            None => Runs::Nothing,
        }
    }
}

#[derive(Default)]
struct Grammar {
    short_arg: &'static str,
    short_opt_arg: &'static str,
    short_flag: &'static str,
    long_arg: &'static [&'static str],
    long_flag: &'static [&'static str],
    numeric: bool,
    dash_is_flag: bool,
    /// Every `--name` or `--name=value` is an option of its own (valgrind's, firejail's):
    /// none takes the next word as its value.
    any_long: bool,
    /// Options (a short letter or a long name) whose value may be known only at run time
    /// without hiding what the command runs (ssh's `-p "$PORT"`), given the value's source
    /// text; the value must also stay one word ([`one_word`]). Any other option with such a
    /// value makes the command opaque.
    inert: Option<fn(&str, &str) -> bool>,
}

/// True when a word that expands at run time still gives exactly one word: no unquoted
/// expansion, glob or brace list, and no `"$@"`.
fn one_word(w: &Word) -> bool {
    !w.flags.contains(WordFlags::SPLIT)
        && !w.flags.contains(WordFlags::GLOB)
        && !w.flags.contains(WordFlags::BRACE)
}

/// The value of an option read from the next word; one only known at run time is taken
/// when the option is inert, and otherwise ends the walk with an opaque answer.
fn dynamic_value<'a>(g: &Grammar, prog: &str, name: &str, v: &'a Word) -> Result<&'a str, Runs> {
    if g.inert.is_some_and(|f| f(name, &v.text)) && one_word(v) {
        Ok(v.text.as_str())
    } else {
        Err(dynamic_opt(prog, v))
    }
}

/// For wrappers none of whose option values can move where the command starts or change
/// what runs (a user, a group, a directory, a priority, a signal, a duration, a file the
/// wrapper itself reads): every value may be known only at run time, provided it stays one
/// word. Options that are themselves the command (`su -c`, `su -s`, `env -S`, `flock -c`,
/// `xargs -I`) are excluded where they exist.
fn values_inert(_name: &str, _value: &str) -> bool {
    true
}

/// Whether a user named to a privilege wrapper is root (`root`, uid 0 as `0` or `#0`). A name
/// known only at run time is not taken for root: the wrapper's `via` then says another user.
fn is_root(user: &str) -> bool {
    matches!(user, "root" | "0" | "#0")
}

/// The options found and the index of the first operand.
struct Opts<'a> {
    seen: Vec<(&'a str, Option<&'a str>)>,
    operand: usize,
}

impl Opts<'_> {
    fn has(&self, names: &[&str]) -> bool {
        self.seen.iter().any(|(n, _)| names.contains(n))
    }
    fn value(&self, names: &[&str]) -> Option<&str> {
        self.seen
            .iter()
            .rev()
            .find(|(n, _)| names.contains(n))
            .and_then(|(_, v)| *v)
    }
}

fn unknown(prog: &str, opt: &str) -> Runs {
    Runs::Opaque {
        kind: OpaqueKind::UnknownOption,
        message: format!("unknown option `{opt}` for `{prog}`: the command it runs is not known"),
    }
}

fn dynamic_opt(prog: &str, w: &Word) -> Runs {
    Runs::Opaque {
        kind: OpaqueKind::UnknownOption,
        message: format!(
            "`{}` in the options of `{prog}` is only known at run time: the command it runs is not known",
            w.text
        ),
    }
}

/// Walks the options of `argv` from `from`; stops at `--` or the first operand.
fn options<'a>(argv: &'a [Word], from: usize, g: &Grammar, prog: &str) -> Result<Opts<'a>, Runs> {
    let mut seen = Vec::new();
    let mut i = from;
    while i < argv.len() {
        let w = &argv[i];
        if w.is_dynamic() {
            // `-p"$PORT"`: an inert option with its value attached.
            let t = w.text.as_str();
            if let Some(c) = t.strip_prefix('-').and_then(|r| r.chars().next()) {
                let (name, rest) = t[1..].split_at(c.len_utf8());
                if c != '-'
                    && g.short_arg.contains(c)
                    && !rest.is_empty()
                    && g.inert.is_some_and(|f| f(name, rest))
                    && one_word(w)
                {
                    seen.push((name, Some(rest)));
                    i += 1;
                    continue;
                }
            }
            // `--user="$U"`: an inert long option with its value attached.
            if let Some((name, value)) = t.strip_prefix("--").and_then(|l| l.split_once('=')) {
                if g.long_arg.contains(&name)
                    && g.inert.is_some_and(|f| f(name, value))
                    && !name.contains(['$', '`', '"', '\''])
                    && one_word(w)
                {
                    seen.push((name, Some(value)));
                    i += 1;
                    continue;
                }
            }
            if w.text.starts_with('-') || w.text.starts_with("\"-") || w.text.starts_with("'-") {
                return Err(dynamic_opt(prog, w));
            }
            // A dynamic operand: it may still expand to an option; the caller sees it as
            // the command name, which is dynamic and so never allowed.
            break;
        }
        let t = w.text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if t == "-" && g.dash_is_flag {
            seen.push(("-", None));
            i += 1;
            continue;
        }
        if !t.starts_with('-') || t == "-" {
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, val) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            if g.long_arg.contains(&name) {
                let val = match val {
                    Some(v) => Some(v),
                    None => {
                        i += 1;
                        match argv.get(i) {
                            Some(v) if v.is_dynamic() => Some(dynamic_value(g, prog, name, v)?),
                            Some(v) => Some(v.text.as_str()),
                            None => None,
                        }
                    }
                };
                seen.push((name, val));
            } else if g.long_flag.contains(&name) || g.any_long {
                seen.push((name, val));
            } else {
                return Err(unknown(prog, t));
            }
            i += 1;
            continue;
        }
        let cluster = &t[1..];
        if g.numeric && cluster.bytes().all(|b| b.is_ascii_digit()) {
            i += 1;
            continue;
        }
        for (k, c) in cluster.char_indices() {
            let name = &cluster[k..k + c.len_utf8()];
            if g.short_arg.contains(c) {
                let rest = &cluster[k + c.len_utf8()..];
                let val = if rest.is_empty() {
                    i += 1;
                    match argv.get(i) {
                        Some(v) if v.is_dynamic() => Some(dynamic_value(g, prog, name, v)?),
                        Some(v) => Some(v.text.as_str()),
                        None => None,
                    }
                } else {
                    Some(rest)
                };
                seen.push((name, val));
                break;
            } else if g.short_opt_arg.contains(c) {
                let rest = &cluster[k + c.len_utf8()..];
                seen.push((name, (!rest.is_empty()).then_some(rest)));
                break;
            } else if g.short_flag.contains(c) {
                seen.push((name, None));
            } else {
                return Err(unknown(prog, t));
            }
        }
        i += 1;
    }
    Ok(Opts { seen, operand: i })
}

fn argv_from(start: usize, argv: &[Word], via: &'static str) -> Runs {
    if start < argv.len() {
        Runs::Argv {
            start,
            end: argv.len(),
            assigns: Vec::new(),
            open_args: false,
            runtime: None,
            append: Vec::new(),
            via,
        }
    } else {
        Runs::Nothing
    }
}

/// Where a walk over options read with a table ([`table_options`]) stopped.
enum Stop {
    /// At `--`, at this index.
    DashDash(usize),
    /// At the first operand, at this index.
    Operand(usize),
    /// At an option not in the table, or one known only at run time, at this index.
    Unknown(usize),
    /// The words ended.
    End,
}

/// Walks `argv[from..]` over the options of a table: `flags`, and options that take a value
/// (`values`, also written `--name=value`). A word known only at run time that may be an
/// option (it starts with `-` or a quote) stops the walk as an unknown option.
fn table_options(argv: &[Word], from: usize, flags: &[&str], values: &[&str]) -> Stop {
    let mut i = from;
    while let Some(w) = argv.get(i) {
        let t = w.text.as_str();
        if w.is_dynamic() && t.starts_with(['-', '"', '\'']) {
            return Stop::Unknown(i);
        }
        if t == "--" && !w.is_dynamic() {
            return Stop::DashDash(i);
        }
        if flags.contains(&t) {
            i += 1;
        } else if values.contains(&t) {
            i += 2;
        } else if t
            .split_once('=')
            .is_some_and(|(n, _)| n.starts_with("--") && values.contains(&n))
        {
            i += 1;
        } else if t.starts_with('-') {
            return Stop::Unknown(i);
        } else {
            return Stop::Operand(i);
        }
    }
    Stop::End
}

/// The command after a walk with [`table_options`] that stopped at `stop`: from the operand
/// or after `--`; an unknown option makes it opaque.
fn command_after(argv: &[Word], stop: Stop, via: &'static str) -> Runs {
    match stop {
        Stop::DashDash(i) => argv_from(i + 1, argv, via),
        Stop::Operand(i) => argv_from(i, argv, via),
        Stop::Unknown(i) => match argv.get(i) {
            Some(w) if w.is_dynamic() => dynamic_opt(via, w),
            Some(w) => unknown(via, &w.text),
            None => Runs::Nothing,
        },
        Stop::End => Runs::Nothing,
    }
}

/// Like [`argv_from`], taking leading `NAME=value` operands as the command's environment.
fn env_argv_from(mut start: usize, argv: &[Word], via: &'static str) -> Runs {
    let mut assigns = Vec::new();
    while let Some(w) = argv.get(start) {
        if w.is_dynamic() || !super::quote::looks_like_assignment(&w.text) {
            break;
        }
        assigns.push(start);
        start += 1;
    }
    if start < argv.len() {
        Runs::Argv {
            start,
            end: argv.len(),
            assigns,
            open_args: false,
            runtime: None,
            append: Vec::new(),
            via,
        }
    } else {
        Runs::Nothing
    }
}

macro_rules! opts {
    ($argv:expr, $from:expr, $g:expr, $prog:expr) => {
        match options($argv, $from, $g, $prog) {
            Ok(o) => o,
            Err(r) => return r,
        }
    };
}

/// The names [`analyze`] knows (the arms of its `match`; a test checks that they agree).
const NAMES: &[&str] = &[
    "sudo",
    "doas",
    "pkexec",
    "env",
    "nice",
    "nohup",
    "builtin",
    "timeout",
    "command",
    "exec",
    "time",
    "stdbuf",
    "setsid",
    "chroot",
    "ionice",
    "taskset",
    "cpulimit",
    "flock",
    "watch",
    "script",
    "su",
    "runuser",
    "sg",
    "xargs",
    "parallel",
    "tmux",
    "screen",
    "find",
    "bash",
    "sh",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "ash",
    "rbash",
    "yash",
    "posh",
    "eval",
    "trap",
    "alias",
    "export",
    "declare",
    "typeset",
    "readonly",
    "ssh",
    "kubectl",
    "oc",
    "docker",
    "podman",
    "nerdctl",
    "docker-compose",
    "podman-compose",
    "busybox",
    "toybox",
    "run0",
    "systemd-run",
    "nsenter",
    "unshare",
    "chrt",
    "numactl",
    "strace",
    "ltrace",
    "valgrind",
    "unbuffer",
    "sshpass",
    "torsocks",
    "proxychains",
    "proxychains4",
    "xvfb-run",
    "dbus-launch",
    "faketime",
    "caffeinate",
    "chronic",
    "firejail",
    "setpriv",
    "cgexec",
    "ssh-agent",
    "gosu",
    "su-exec",
    "setuidgid",
    "s6-setuidgid",
    "tini",
    "dumb-init",
    "catatonit",
    "ip",
    "heroku",
    "fly",
    "flyctl",
    "gcloud",
    "az",
    "aws",
    "gh",
    "machinectl",
    "distrobox",
    "distrobox-enter",
    "toolbox",
    "flatpak-spawn",
    "lxc-attach",
    "bwrap",
    "systemd-nspawn",
    "proot",
    "fakeroot",
    "catchsegv",
    "with-contenv",
    "poetry",
    "pipenv",
    "uv",
    "bundle",
    "conda",
    "mamba",
    "micromamba",
    "direnv",
    "aws-vault",
    "op",
    "doppler",
    "nix-shell",
    "nix",
    "git",
    "npx",
    "bunx",
    "pnpx",
    "npm",
    "pnpm",
    "yarn",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "node",
    "nodejs",
    "lua",
    "Rscript",
    "julia",
    "bun",
    "deno",
    "php",
    "awk",
    "gawk",
    "mawk",
    "nawk",
    "vagrant",
    "multipass",
    "lxc",
    "incus",
    "ansible",
    "salt",
    "pdsh",
    "pssh",
    "parallel-ssh",
    "clush",
    "expect",
    "rsync",
    "osascript",
];

/// A key from a word's last two bytes, which a path (`/usr/bin/sudo`) shares with its last
/// component.
const fn tail_key(b: &[u8]) -> usize {
    let n = b.len();
    if n == 0 {
        return 0;
    }
    let last = b[n - 1] as usize;
    let prev = if n >= 2 { b[n - 2] as usize } else { 0 };
    ((prev & 31) << 5) | (last & 31)
}

/// One bit per [`tail_key`] of the [`NAMES`]: a command whose bit is clear runs nothing
/// else, found with one test instead of a chain of name comparisons.
static TAILS: [u64; 16] = {
    let mut t = [0u64; 16];
    let mut i = 0;
    while i < NAMES.len() {
        let k = tail_key(NAMES[i].as_bytes());
        t[k / 64] |= 1 << (k % 64);
        i += 1;
    }
    t
};

/// False when `word`'s last component is none of the [`NAMES`] (true does not say it is).
fn may_be_named(word: &str) -> bool {
    let k = tail_key(word.as_bytes());
    TAILS[k / 64] & (1 << (k % 64)) != 0
}

/// What the part with these words runs besides itself.
pub(crate) fn analyze(argv: &[Word]) -> Runs {
    let Some(word) = argv.first().and_then(Word::literal) else {
        return Runs::Nothing;
    };
    if !may_be_named(word) {
        return Runs::Nothing;
    }
    let name = basename(word);
    match name {
        "sudo" => {
            let g = Grammar {
                short_arg: "ughpCDrtTUR",
                short_flag: "AbBEeHiKklnPSsVv",
                long_arg: &[
                    "user",
                    "group",
                    "host",
                    "prompt",
                    "close-from",
                    "chdir",
                    "role",
                    "type",
                    "other-user",
                    "command-timeout",
                    "chroot",
                ],
                long_flag: &[
                    "askpass",
                    "background",
                    "bell",
                    "preserve-env",
                    "edit",
                    "set-home",
                    "login",
                    "remove-timestamp",
                    "reset-timestamp",
                    "list",
                    "non-interactive",
                    "preserve-groups",
                    "stdin",
                    "shell",
                    "version",
                    "validate",
                    "help",
                ],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "sudo");
            if o.has(&[
                "e", "l", "v", "V", "K", "edit", "list", "validate", "version", "help",
            ]) {
                return Runs::Nothing;
            }
            // `sudo -u postgres …` runs as postgres, not as root.
            let other = o.value(&["u", "user"]).is_some_and(|u| !is_root(u));
            env_argv_from(o.operand, argv, if other { "sudo -u" } else { "sudo" })
        }
        "doas" => {
            let g = Grammar {
                short_arg: "uC",
                short_flag: "nsL",
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "doas");
            let other = o.value(&["u"]).is_some_and(|u| !is_root(u));
            argv_from(o.operand, argv, if other { "doas -u" } else { "doas" })
        }
        "pkexec" => {
            let g = Grammar {
                long_arg: &["user"],
                long_flag: &["disable-internal-agent", "keep-cwd", "help", "version"],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "pkexec");
            let other = o.value(&["user"]).is_some_and(|u| !is_root(u));
            argv_from(
                o.operand,
                argv,
                if other { "pkexec --user" } else { "pkexec" },
            )
        }
        "env" => {
            let g = Grammar {
                short_arg: "uCS",
                short_flag: "i0v",
                long_arg: &["unset", "chdir", "split-string"],
                long_flag: &[
                    "ignore-environment",
                    "null",
                    "debug",
                    "block-signal",
                    "default-signal",
                    "ignore-signal",
                    "list-signal-handling",
                    "help",
                    "version",
                ],
                dash_is_flag: true,
                inert: Some(|name, _| !matches!(name, "S" | "split-string")),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "env");
            if o.has(&["S", "split-string"]) {
                // `env -S 'cmd args' more`: the string is split into words, then the rest.
                let Some(pos) = argv
                    .iter()
                    .position(|w| w.text == "-S" || w.text == "--split-string")
                else {
                    return Runs::Opaque {
                        kind: OpaqueKind::UnknownOption,
                        message:
                            "`env -S` with an attached string: the command it runs is not known"
                                .into(),
                    };
                };
                return Runs::ScriptJoin {
                    from: pos + 1,
                    via: "env -S",
                };
            }
            env_argv_from(o.operand, argv, "env")
        }
        "nice" => {
            let g = Grammar {
                short_arg: "n",
                long_arg: &["adjustment"],
                long_flag: &["help", "version"],
                numeric: true,
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "nice");
            argv_from(o.operand, argv, "nice")
        }
        "nohup" | "builtin" => {
            let g = Grammar {
                long_flag: &["help", "version"],
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, name);
            argv_from(
                o.operand,
                argv,
                if name == "nohup" { "nohup" } else { "builtin" },
            )
        }
        "timeout" => {
            let g = Grammar {
                short_arg: "sk",
                short_flag: "v",
                long_arg: &["signal", "kill-after"],
                long_flag: &[
                    "preserve-status",
                    "foreground",
                    "verbose",
                    "help",
                    "version",
                ],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "timeout");
            argv_from(o.operand + 1, argv, "timeout")
        }
        "command" => {
            let g = Grammar {
                short_flag: "pvV",
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "command");
            if o.has(&["v", "V"]) {
                return Runs::Nothing;
            }
            argv_from(o.operand, argv, "command")
        }
        "exec" => {
            let g = Grammar {
                short_arg: "a",
                short_flag: "cl",
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "exec");
            argv_from(o.operand, argv, "exec")
        }
        "time" => {
            let g = Grammar {
                short_arg: "fo",
                short_flag: "apqv",
                long_arg: &["format", "output"],
                long_flag: &[
                    "append",
                    "portability",
                    "verbose",
                    "quiet",
                    "help",
                    "version",
                ],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "time");
            argv_from(o.operand, argv, "time")
        }
        "stdbuf" => {
            let g = Grammar {
                short_arg: "ioe",
                long_arg: &["input", "output", "error"],
                long_flag: &["help", "version"],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "stdbuf");
            argv_from(o.operand, argv, "stdbuf")
        }
        "setsid" => {
            let g = Grammar {
                short_flag: "cfw",
                long_flag: &["ctty", "fork", "wait", "help", "version"],
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "setsid");
            argv_from(o.operand, argv, "setsid")
        }
        "chroot" => {
            let g = Grammar {
                long_arg: &["userspec", "groups"],
                long_flag: &["skip-chdir", "help", "version"],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "chroot");
            argv_from(o.operand + 1, argv, "chroot")
        }
        "ionice" => {
            let g = Grammar {
                short_arg: "cnpPu",
                short_flag: "t",
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "ionice");
            if o.has(&["p", "P", "u"]) {
                return Runs::Nothing;
            }
            argv_from(o.operand, argv, "ionice")
        }
        "taskset" => {
            let g = Grammar {
                short_flag: "acp",
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "taskset");
            if o.has(&["p"]) {
                return Runs::Nothing;
            }
            argv_from(o.operand + 1, argv, "taskset")
        }
        // `cpulimit -l 50 -- CMD …` (or without `--`); `-p PID`, `-e EXE` and `-P PATH`
        // limit a process already running.
        "cpulimit" => {
            let g = Grammar {
                short_arg: "lpePcs",
                short_flag: "zimbqkrvhf",
                long_arg: &["limit", "pid", "exe", "path", "cpu", "signal"],
                long_flag: &[
                    "foreground",
                    "lazy",
                    "include-children",
                    "monitor-forks",
                    "background",
                    "quiet",
                    "kill",
                    "restore",
                    "verbose",
                    "help",
                ],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "cpulimit");
            if o.has(&["p", "e", "P", "pid", "exe", "path"]) {
                return Runs::Nothing;
            }
            argv_from(o.operand, argv, "cpulimit")
        }
        "flock" => {
            let g = Grammar {
                short_arg: "wEc",
                short_flag: "sxenuoF",
                long_arg: &["timeout", "conflict-exit-code", "command"],
                long_flag: &[
                    "shared",
                    "exclusive",
                    "nonblock",
                    "nb",
                    "unlock",
                    "close",
                    "no-fork",
                    "verbose",
                    "help",
                    "version",
                ],
                inert: Some(|name, _| !matches!(name, "c" | "command")),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "flock");
            if o.has(&["c", "command"]) {
                // The -c value was consumed; find its index.
                return script_after_flag(argv, &["-c", "--command"], "flock -c");
            }
            match argv.get(o.operand + 1).map(|w| w.text.as_str()) {
                Some("-c" | "--command") => Runs::Script {
                    word: o.operand + 2,
                    via: "flock -c",
                },
                _ => argv_from(o.operand + 1, argv, "flock"),
            }
        }
        "watch" => {
            let g = Grammar {
                short_arg: "nq",
                short_flag: "tbegcxpwrd",
                long_arg: &["interval"],
                long_flag: &[
                    "differences",
                    "no-title",
                    "beep",
                    "errexit",
                    "chgexit",
                    "color",
                    "no-color",
                    "exec",
                    "precise",
                    "no-wrap",
                    "no-rerun",
                    "help",
                    "version",
                ],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "watch");
            if o.operand >= argv.len() {
                Runs::Nothing
            } else if o.has(&["x", "exec"]) {
                argv_from(o.operand, argv, "watch -x")
            } else {
                Runs::ScriptJoin {
                    from: o.operand,
                    via: "watch",
                }
            }
        }
        "script" => {
            let g = Grammar {
                short_arg: "cEIOBTm",
                short_opt_arg: "t",
                short_flag: "aefqh",
                long_arg: &[
                    "command",
                    "echo",
                    "log-in",
                    "log-out",
                    "log-io",
                    "log-timing",
                    "logging-format",
                    "output-limit",
                ],
                long_flag: &[
                    "append", "return", "flush", "force", "quiet", "help", "version",
                ],
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "script");
            // util-linux script reads options after its file too (`script /dev/null -c
            // bash`): a `-c` anywhere before `--` is its command.
            let ended = o.operand > 1 && argv.get(o.operand - 1).is_some_and(|w| w.text == "--");
            let late_c = !ended
                && argv
                    .iter()
                    .skip(o.operand)
                    .take_while(|w| w.text != "--")
                    .any(|w| {
                        let t = w.text.as_bytes();
                        w.text == "--command"
                            || w.text.starts_with("--command=")
                            || (t.len() >= 2 && t[0] == b'-' && t[1] != b'-' && t.contains(&b'c'))
                    });
            if o.has(&["c", "command"]) || late_c {
                return script_after_flag(argv, &["-c", "--command"], "script -c");
            }
            Runs::Nothing
        }
        "su" | "runuser" | "sg" => su_like(argv, name),
        "xargs" => xargs(argv),
        "parallel" => parallel(argv),
        "tmux" => tmux(argv),
        "screen" => screen(argv),
        "find" => find(argv),
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "mksh" | "ash" | "rbash" | "yash" | "posh" => {
            shell(argv, name)
        }
        "eval" => {
            let start = usize::from(argv.get(1).is_some_and(|w| w.text == "--")) + 1;
            if start < argv.len() {
                Runs::ScriptJoin {
                    from: start,
                    via: "eval",
                }
            } else {
                Runs::Nothing
            }
        }
        "trap" => {
            let g = Grammar {
                short_flag: "lpP",
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "trap");
            let first = o.operand;
            if o.has(&["l", "p", "P"]) || first + 1 >= argv.len() || argv[first].text == "-" {
                Runs::Nothing
            } else {
                Runs::Script {
                    word: first,
                    via: "trap",
                }
            }
        }
        // `alias x='rm -rf /'`: each literal value is read as the script the name will run
        // (the definition itself also makes the command opaque, see the parser).
        "alias" => values_as_scripts(argv, 1, |_| true, "alias"),
        // `export PROMPT_COMMAND='…'`: the shell runs it before every prompt. (Not the
        // prompts `PS1`…`PS4`, whose values are text with expansions, not scripts.) `export
        // GIT_SSH_COMMAND='…'`, `export PAGER=…`: later commands' programs run the value.
        "export" | "declare" | "typeset" | "readonly" => exported_commands(argv),
        "ssh" => {
            let (o, command) = match ssh_options(argv) {
                Ok(o) => o,
                Err(r) => return r,
            };
            // An unquoted `$SSH_OPTS` before the host may be options and the host, so the
            // remote command may start one word later (`ssh $SSH_OPTS deploy@prod 'rm …'`):
            // both readings are parts, and the command is not understood.
            if let Some(host) = argv
                .get(o.operand)
                .filter(|w| w.is_dynamic() && !one_word(w))
            {
                if command + 1 < argv.len() {
                    return Runs::Many(vec![
                        Runs::Opaque {
                            kind: OpaqueKind::UnknownOption,
                            message: format!(
                                "`{}` may be several words (options, then the host): the remote command may start one word later",
                                host.text
                            ),
                        },
                        Runs::ScriptJoin {
                            from: command,
                            via: "ssh",
                        },
                        Runs::ScriptJoin {
                            from: command + 1,
                            via: "ssh",
                        },
                    ]);
                }
            }
            let remote = if command < argv.len() {
                Runs::ScriptJoin {
                    from: command,
                    via: "ssh",
                }
            } else {
                Runs::Nothing
            };
            // `-o ProxyCommand=CMD` and `-o LocalCommand=CMD`: ssh runs CMD here, with the
            // user's shell.
            let local = ssh_local_commands(&argv[..o.operand.min(argv.len())]);
            match (local.is_empty(), remote) {
                (true, r) => r,
                (false, Runs::Nothing) => Runs::Many(local),
                (false, r) => {
                    let mut all = local;
                    all.push(r);
                    Runs::Many(all)
                }
            }
        }
        "kubectl" | "oc" => kubectl(argv),
        "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" => docker(argv, name),
        "busybox" => argv_from(1, argv, "busybox"),
        "toybox" => argv_from(1, argv, "toybox"),
        "run0" | "systemd-run" => unit_runner(argv, name),
        "nsenter" | "unshare" => namespace_runner(argv, name),
        "chrt" | "numactl" | "strace" | "ltrace" | "valgrind" => runner(argv, name),
        "unbuffer" | "torsocks" | "proxychains" | "proxychains4" | "sshpass" => runner(argv, name),
        "xvfb-run" | "dbus-launch" | "faketime" | "caffeinate" => runner(argv, name),
        "chronic" | "firejail" | "setpriv" | "cgexec" | "ssh-agent" => runner(argv, name),
        "gosu" | "su-exec" | "setuidgid" | "s6-setuidgid" => user_switch(argv, name),
        "tini" | "dumb-init" => runner(argv, name),
        "catatonit" | "fakeroot" | "catchsegv" | "with-contenv" => runner(argv, name),
        "ip" | "heroku" | "fly" | "flyctl" | "gh" | "machinectl" => elsewhere(argv, name),
        "gcloud" | "az" | "aws" => cloud_remote(argv, name),
        "distrobox" | "distrobox-enter" | "toolbox" | "flatpak-spawn" | "lxc-attach" => {
            elsewhere(argv, name)
        }
        "bwrap" | "systemd-nspawn" | "proot" => elsewhere(argv, name),
        "poetry" | "pipenv" | "uv" | "bundle" | "conda" | "mamba" => tool_runner(argv, name),
        "micromamba" | "direnv" | "aws-vault" | "op" | "doppler" => tool_runner(argv, name),
        "nix-shell" | "nix" => tool_runner(argv, name),
        "git" => git(argv),
        "npx" | "bunx" | "pnpx" | "npm" | "pnpm" | "yarn" => package_runner(argv, name),
        "python" | "python2" | "python3" | "perl" | "ruby" | "node" | "nodejs" | "php" => {
            interpreter_shell_outs(argv, name)
        }
        "lua" | "Rscript" | "julia" | "bun" | "deno" => interpreter_shell_outs(argv, name),
        "awk" | "gawk" | "mawk" | "nawk" => interpreter_shell_outs(argv, "awk"),
        "vagrant" | "multipass" | "lxc" | "incus" => vm_exec(argv, name),
        "ansible" | "salt" | "pdsh" | "pssh" | "parallel-ssh" | "clush" => fleet_exec(argv, name),
        "expect" => expect_spawns(argv),
        "rsync" => rsync_remote_shell(argv),
        "osascript" => applescript_shell(argv),
        _ => Runs::Nothing,
    }
}

/// `run0` and `systemd-run`: a command started by the service manager (as root, unless a
/// user is named). A unit property that names commands (`-p ExecStartPre=…`) runs more than
/// the operands say: opaque.
fn unit_runner(argv: &[Word], name: &str) -> Runs {
    let run0 = name == "run0";
    let g = if run0 {
        Grammar {
            short_arg: "ugDa",
            long_arg: &[
                "user",
                "group",
                "nice",
                "chdir",
                "setenv",
                "unit",
                "property",
                "description",
                "slice",
                "background",
                "machine",
                "area",
                "shell-prompt-prefix",
                "lightweight",
            ],
            long_flag: &[
                "slice-inherit",
                "no-ask-password",
                "pty",
                "pipe",
                "help",
                "version",
            ],
            inert: Some(|name, _| !matches!(name, "property" | "setenv")),
            ..Grammar::default()
        }
    } else {
        Grammar {
            short_arg: "upEMHC",
            short_flag: "rtPqGdSh",
            long_arg: &[
                "unit",
                "property",
                "description",
                "slice",
                "setenv",
                "on-active",
                "on-boot",
                "on-startup",
                "on-unit-active",
                "on-unit-inactive",
                "on-calendar",
                "path-property",
                "socket-property",
                "timer-property",
                "uid",
                "gid",
                "nice",
                "working-directory",
                "machine",
                "host",
                "service-type",
                "expand-environment",
                "background",
                "capsule",
            ],
            long_flag: &[
                "no-ask-password",
                "scope",
                "user",
                "system",
                "remain-after-exit",
                "send-sighup",
                "pty",
                "pipe",
                "quiet",
                "collect",
                "wait",
                "same-dir",
                "no-block",
                "ignore-failure",
                "slice-inherit",
                "on-clock-change",
                "on-timezone-change",
                "shell",
                "help",
                "version",
            ],
            inert: Some(|name, _| {
                !matches!(
                    name,
                    "p" | "property"
                        | "E"
                        | "setenv"
                        | "path-property"
                        | "socket-property"
                        | "timer-property"
                )
            }),
            ..Grammar::default()
        }
    };
    let o = opts!(argv, 1, &g, name);
    let runs_more = o.seen.iter().any(|(n, v)| {
        matches!(
            *n,
            "p" | "property" | "path-property" | "socket-property" | "timer-property"
        ) && v.is_some_and(|v| {
            let v = v.trim_start_matches(['"', '\'']);
            v.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("exec"))
        })
    });
    if runs_more {
        return Runs::Opaque {
            kind: OpaqueKind::UnknownOption,
            message: format!(
                "a unit property of `{name}` that names commands (`Exec…=`): what it runs is not split out, review it"
            ),
        };
    }
    if run0 {
        let other = o.value(&["u", "user"]).is_some_and(|u| !is_root(u));
        return argv_from(o.operand, argv, if other { "run0 -u" } else { "run0" });
    }
    argv_from(o.operand, argv, "systemd-run")
}

/// `nsenter` and `unshare`: a command run in other namespaces (a shell when none is given).
fn namespace_runner(argv: &[Word], name: &str) -> Runs {
    let g = if name == "nsenter" {
        Grammar {
            short_arg: "tSGe",
            short_opt_arg: "muinpUCTrw",
            short_flag: "aFZ",
            long_arg: &["target", "setuid", "setgid", "env"],
            long_flag: &[
                "all",
                "mount",
                "uts",
                "ipc",
                "net",
                "pid",
                "user",
                "cgroup",
                "time",
                "root",
                "wd",
                "wdns",
                "preserve-credentials",
                "no-fork",
                "follow-context",
                "user-parent",
                "keep-caps",
                "join-cgroup",
                "help",
                "version",
            ],
            inert: Some(values_inert),
            ..Grammar::default()
        }
    } else {
        Grammar {
            short_arg: "RwSG",
            short_opt_arg: "muinpUCT",
            short_flag: "frc",
            long_arg: &[
                "root",
                "wd",
                "setuid",
                "setgid",
                "propagation",
                "setgroups",
                "map-user",
                "map-group",
                "map-users",
                "map-groups",
                "monotonic",
                "boottime",
                "load-interp",
            ],
            long_flag: &[
                "mount",
                "uts",
                "ipc",
                "net",
                "pid",
                "user",
                "cgroup",
                "time",
                "fork",
                "kill-child",
                "mount-proc",
                "map-root-user",
                "map-current-user",
                "map-auto",
                "keep-caps",
                "mount-binfmt",
                "help",
                "version",
            ],
            inert: Some(values_inert),
            ..Grammar::default()
        }
    };
    let o = opts!(argv, 1, &g, name);
    argv_from(
        o.operand,
        argv,
        if name == "nsenter" {
            "nsenter"
        } else {
            "unshare"
        },
    )
}

/// Programs that run a command in another namespace, container, sandbox or machine: `ip
/// netns exec NS cmd`, `heroku run cmd` (a shell on a dyno), `fly ssh console -C cmd`, `gh
/// codespace ssh -- cmd`, `machinectl shell NAME cmd`, `distrobox enter NAME -- cmd`,
/// `toolbox run cmd`, `flatpak-spawn cmd`, `lxc-attach … -- cmd`. Sandboxes whose options take
/// several values each (`bwrap --bind SRC DEST`, `systemd-nspawn`, `proot`) are not read:
/// with anything after the program name they are opaque. Other subcommands run nothing.
/// The script a cloud CLI runs on a machine (`gcloud compute ssh VM --command 'CMD'`, `az vm
/// run-command invoke … --scripts 'CMD'`, `aws ssm send-command … --parameters
/// commands='CMD'`). A form not read here is left to the risk engine's `cloud-remote-command`.
#[cold]
#[inline(never)]
fn cloud_remote(argv: &[Word], name: &str) -> Runs {
    let lit = |k: usize| argv.get(k).and_then(Word::literal);
    // The word after `opt` (or the value of `opt=…`), from word `from` on.
    let value_of = |from: usize, opt: &str, via: &'static str| -> Runs {
        for (k, w) in argv.iter().enumerate().skip(from) {
            if w.literal() == Some(opt) {
                return if k + 1 < argv.len() {
                    Runs::Script { word: k + 1, via }
                } else {
                    Runs::Nothing
                };
            }
            if let Some(v) = w.text.strip_prefix(opt).and_then(|r| r.strip_prefix('=')) {
                let start = w.text.len() - v.len();
                return Runs::ScriptSlice {
                    word: k,
                    start,
                    end: w.text.len(),
                    via,
                };
            }
        }
        Runs::Nothing
    };
    match (name, lit(1), lit(2)) {
        ("gcloud", Some("compute"), Some("ssh")) => value_of(3, "--command", "gcloud compute ssh"),
        ("gcloud", Some("alpha" | "beta"), Some("compute")) if lit(3) == Some("ssh") => {
            value_of(4, "--command", "gcloud compute ssh")
        }
        ("az", Some("vm" | "vmss"), Some("run-command")) => {
            value_of(3, "--scripts", "az vm run-command")
        }
        ("aws", Some("ssm"), Some("send-command")) => {
            // `--parameters commands='CMD'` (shorthand); the JSON forms are not read.
            for (k, w) in argv.iter().enumerate().skip(3) {
                if w.literal() == Some("--parameters") {
                    let Some(v) = argv.get(k + 1) else { break };
                    if let Some(rest) = v.text.strip_prefix("commands=") {
                        if !rest.starts_with('[') {
                            return Runs::ScriptSlice {
                                word: k + 1,
                                start: "commands=".len(),
                                end: v.text.len(),
                                via: "aws ssm send-command",
                            };
                        }
                    }
                    break;
                }
            }
            Runs::Nothing
        }
        _ => Runs::Nothing,
    }
}

fn elsewhere(argv: &[Word], name: &str) -> Runs {
    let lit = |k: usize| argv.get(k).and_then(Word::literal);
    // Where `--` ends the program's own words, from word `from` on.
    let dashdash = |from: usize| {
        argv.iter()
            .skip(from)
            .position(|w| w.literal() == Some("--"))
            .map(|k| k + from)
    };
    match name {
        "ip" => match (lit(1), lit(2), lit(3)) {
            (Some("netns"), Some("exec"), _) => argv_from(4, argv, "ip netns exec"),
            (Some("-all" | "-a"), Some("netns"), Some("exec")) => {
                argv_from(4, argv, "ip netns exec")
            }
            _ => Runs::Nothing,
        },
        "heroku" => {
            if !matches!(lit(1), Some("run" | "run:detached" | "run:inside")) {
                return Runs::Nothing;
            }
            let g = Grammar {
                short_arg: "arset",
                short_flag: "xh",
                long_arg: &["app", "remote", "size", "env", "type"],
                long_flag: &["exit-code", "no-tty", "no-notify", "help"],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 2, &g, "heroku run");
            if o.operand < argv.len() {
                Runs::ScriptJoin {
                    from: o.operand,
                    via: "heroku run",
                }
            } else {
                Runs::Nothing
            }
        }
        "fly" | "flyctl" => {
            if lit(1) != Some("ssh") || lit(2) != Some("console") {
                return Runs::Nothing;
            }
            match argv
                .iter()
                .position(|w| matches!(w.literal(), Some("-C" | "--command")))
            {
                Some(k) if k + 1 < argv.len() => Runs::Script {
                    word: k + 1,
                    via: "fly ssh console -C",
                },
                _ if argv.iter().any(|w| w.text.starts_with("--command=")) => Runs::Opaque {
                    kind: OpaqueKind::UnknownOption,
                    message: "`fly ssh console --command=…` is not read".to_string(),
                },
                _ => Runs::Nothing,
            }
        }
        "gh" => {
            if lit(1) != Some("codespace") || lit(2) != Some("ssh") {
                return Runs::Nothing;
            }
            match dashdash(3) {
                Some(d) if d + 1 < argv.len() => Runs::ScriptJoin {
                    from: d + 1,
                    via: "gh codespace ssh",
                },
                _ => Runs::Nothing,
            }
        }
        "machinectl" => {
            if !matches!(lit(1), Some("shell")) {
                return Runs::Nothing;
            }
            let g = Grammar {
                short_arg: "EMH",
                short_flag: "q",
                long_arg: &["uid", "setenv", "machine", "host"],
                long_flag: &["quiet", "no-pager", "no-ask-password"],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 2, &g, "machinectl shell");
            argv_from(o.operand + 1, argv, "machinectl shell")
        }
        "distrobox" | "distrobox-enter" => {
            let from = if name == "distrobox" {
                if lit(1) != Some("enter") {
                    return Runs::Nothing;
                }
                2
            } else {
                1
            };
            match dashdash(from) {
                Some(d) => argv_from(d + 1, argv, "distrobox enter"),
                None => Runs::Nothing,
            }
        }
        "toolbox" => {
            if lit(1) != Some("run") {
                return Runs::Nothing;
            }
            let g = Grammar {
                short_arg: "cdr",
                short_flag: "yh",
                long_arg: &["container", "distro", "release"],
                long_flag: &["assumeyes", "help"],
                inert: Some(values_inert),
                ..Grammar::default()
            };
            let o = opts!(argv, 2, &g, "toolbox run");
            argv_from(o.operand, argv, "toolbox run")
        }
        "flatpak-spawn" => {
            let g = Grammar {
                any_long: true,
                short_flag: "vh",
                ..Grammar::default()
            };
            let o = opts!(argv, 1, &g, "flatpak-spawn");
            argv_from(o.operand, argv, "flatpak-spawn")
        }
        "lxc-attach" => match dashdash(1) {
            Some(d) => argv_from(d + 1, argv, "lxc-attach"),
            None if argv.len() > 1 => Runs::Opaque {
                kind: OpaqueKind::UnknownOption,
                message: "`lxc-attach` without `--`: the command it runs is not known".to_string(),
            },
            None => Runs::Nothing,
        },
        _ if argv.len() > 1 => Runs::Opaque {
            kind: OpaqueKind::UnknownOption,
            message: format!(
                "`{name}` runs a command after options this parser does not read: the command is not known"
            ),
        },
        _ => Runs::Nothing,
    }
}

/// Container entrypoints that run a command as a user: `gosu USER[:GROUP] cmd …`, `su-exec`,
/// `setuidgid`, `s6-setuidgid` (no options; the user is the first operand). The `via` says
/// when the user is root (`gosu root`), as `sudo` does.
fn user_switch(argv: &[Word], name: &str) -> Runs {
    let root = argv
        .get(1)
        .and_then(Word::literal)
        .is_some_and(|u| is_root(u.split(':').next().unwrap_or(u)));
    let via = match (name, root) {
        ("gosu", true) => "gosu root",
        ("gosu", false) => "gosu",
        ("su-exec", true) => "su-exec root",
        ("su-exec", false) => "su-exec",
        ("setuidgid", true) => "setuidgid root",
        ("setuidgid", false) => "setuidgid",
        (_, true) => "s6-setuidgid root",
        (_, false) => "s6-setuidgid",
    };
    argv_from(2, argv, via)
}

/// Programs that run the command their operands name, after options of their own: a
/// scheduler, a tracer, a sandbox, a proxy, a display or a timer. An option not in the
/// program's table makes the command opaque, so that no option's value is taken for the
/// command.
fn runner(argv: &[Word], name: &str) -> Runs {
    let (g, via, skip): (Grammar, &'static str, usize) = match name {
        // `chrt [options] PRIORITY command`; `-p` (a running process) and `-m` run nothing.
        "chrt" => (
            Grammar {
                short_arg: "TPD",
                short_flag: "abdfiomprRv",
                long_arg: &["sched-runtime", "sched-period", "sched-deadline"],
                long_flag: &[
                    "all-tasks",
                    "batch",
                    "deadline",
                    "fifo",
                    "idle",
                    "other",
                    "rr",
                    "reset-on-fork",
                    "max",
                    "pid",
                    "verbose",
                    "help",
                    "version",
                ],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "chrt",
            1,
        ),
        "numactl" => (
            Grammar {
                short_arg: "ipPmCNw",
                short_flag: "albsH",
                long_arg: &[
                    "interleave",
                    "preferred",
                    "preferred-many",
                    "membind",
                    "physcpubind",
                    "cpunodebind",
                    "weighted-interleave",
                ],
                long_flag: &["all", "localalloc", "balancing", "show", "hardware", "help"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "numactl",
            0,
        ),
        "strace" => (
            Grammar {
                short_arg: "abeEIoOpPsSuUX",
                short_flag: "cCdDfFhiknqrtTvVwxyYzZ",
                long_arg: &[
                    "output",
                    "attach",
                    "trace",
                    "trace-path",
                    "signal",
                    "status",
                    "user",
                    "env",
                    "string-limit",
                    "columns",
                    "summary-sort-by",
                    "summary-columns",
                    "const-print-style",
                    "absolute-timestamps",
                    "interruptible",
                    "detach-on",
                    "inject",
                    "fault",
                    "quiet",
                    "silent",
                    "decode-fds",
                    "decode-pids",
                    "abbrev",
                    "verbose",
                    "raw",
                    "read",
                    "write",
                ],
                long_flag: &[
                    "follow-forks",
                    "output-separately",
                    "summary-only",
                    "summary",
                    "summary-wall-clock",
                    "syscall-times",
                    "relative-timestamps",
                    "instruction-pointer",
                    "stack-traces",
                    "no-abbrev",
                    "debug",
                    "seccomp-bpf",
                    "kill-on-exit",
                    "daemonize",
                    "help",
                    "version",
                    "timestamps",
                ],
                inert: Some(|name, _| !matches!(name, "E" | "env" | "inject" | "fault")),
                ..Grammar::default()
            },
            "strace",
            0,
        ),
        "ltrace" => (
            Grammar {
                short_arg: "aADeFlnopsuwx",
                short_flag: "bcCfhiLrStTV",
                long_arg: &["output", "library", "align", "indent"],
                long_flag: &["demangle", "help", "version", "no-signals"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "ltrace",
            0,
        ),
        "valgrind" | "firejail" | "dbus-launch" => (
            Grammar {
                short_flag: if name == "valgrind" { "qvhd" } else { "" },
                any_long: true,
                ..Grammar::default()
            },
            match name {
                "valgrind" => "valgrind",
                "firejail" => "firejail",
                _ => "dbus-launch",
            },
            0,
        ),
        "unbuffer" => (
            Grammar {
                short_flag: "p",
                ..Grammar::default()
            },
            "unbuffer",
            0,
        ),
        // `sshpass [-f file|-d fd|-p password|-e] [-P prompt] [-v] command …`: the password
        // options' values are inert; the command is usually `ssh`, whose script is read next.
        "sshpass" => (
            Grammar {
                short_arg: "fdpP",
                short_flag: "evhV",
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "sshpass",
            0,
        ),
        "torsocks" => (
            Grammar {
                short_arg: "uapP",
                short_flag: "idqh",
                long_arg: &["user", "pass", "address", "port"],
                long_flag: &["shell", "isolate", "version", "help"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "torsocks",
            0,
        ),
        "proxychains" | "proxychains4" => (
            Grammar {
                short_arg: "f",
                short_flag: "q",
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "proxychains",
            0,
        ),
        "xvfb-run" => (
            Grammar {
                short_arg: "efnpsw",
                short_flag: "adhl",
                long_arg: &[
                    "error-file",
                    "auth-file",
                    "server-num",
                    "xauth-protocol",
                    "server-args",
                    "wait",
                ],
                long_flag: &["auto-servernum", "auto-display", "listen-tcp", "help"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "xvfb-run",
            0,
        ),
        // `faketime [options] TIMESTAMP command`.
        "faketime" => (
            Grammar {
                short_arg: "p",
                short_flag: "mf",
                long_flag: &["exclude-monotonic", "help", "version"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "faketime",
            1,
        ),
        "caffeinate" => (
            Grammar {
                short_arg: "tw",
                short_flag: "dimsu",
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "caffeinate",
            0,
        ),
        "chronic" => (
            Grammar {
                short_flag: "ev",
                ..Grammar::default()
            },
            "chronic",
            0,
        ),
        "setpriv" => (
            Grammar {
                short_flag: "d",
                long_arg: &[
                    "reuid",
                    "regid",
                    "ruid",
                    "euid",
                    "rgid",
                    "egid",
                    "groups",
                    "inh-caps",
                    "ambient-caps",
                    "bounding-set",
                    "securebits",
                    "pdeathsig",
                    "selinux-label",
                    "apparmor-profile",
                    "landlock-access",
                    "landlock-rule",
                ],
                long_flag: &[
                    "clear-groups",
                    "keep-groups",
                    "init-groups",
                    "reset-env",
                    "nnp",
                    "no-new-privs",
                    "dump",
                    "list-caps",
                    "help",
                    "version",
                ],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "setpriv",
            0,
        ),
        "cgexec" => (
            Grammar {
                short_arg: "g",
                long_flag: &["sticky"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "cgexec",
            0,
        ),
        // `tini [-s] [-v] [-g] [-l] [-p SIG] [-e CODE] [--] cmd …`
        "tini" => (
            Grammar {
                short_arg: "pe",
                short_flag: "svglwh",
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "tini",
            0,
        ),
        // `dumb-init [-c] [-r s:r] [-v] cmd …`
        "dumb-init" => (
            Grammar {
                short_arg: "r",
                short_flag: "cvVh",
                long_arg: &["rewrite"],
                long_flag: &["single-child", "verbose", "version", "help"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "dumb-init",
            0,
        ),
        // `catatonit [-g] [-p] [-P] [-L] [--] cmd …`
        "catatonit" => (
            Grammar {
                short_flag: "gpPLhV",
                ..Grammar::default()
            },
            "catatonit",
            0,
        ),
        // `fakeroot [-l LIB] [--faked BIN] [-s FILE] [-i FILE] [-u] [-b FD] [--] cmd …`
        "fakeroot" => (
            Grammar {
                short_arg: "lsib",
                short_flag: "uhv",
                long_arg: &["lib", "faked"],
                long_flag: &["unknown-is-real", "help", "version"],
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "fakeroot",
            0,
        ),
        "catchsegv" | "with-contenv" => (
            Grammar::default(),
            if name == "catchsegv" {
                "catchsegv"
            } else {
                "with-contenv"
            },
            0,
        ),
        // `ssh-agent [options] [command [arg …]]`; `-k` kills an agent.
        _ => (
            Grammar {
                short_arg: "aEPtO",
                short_flag: "cDdksq",
                inert: Some(values_inert),
                ..Grammar::default()
            },
            "ssh-agent",
            0,
        ),
    };
    let o = opts!(argv, 1, &g, name);
    let nothing: &[&str] = match name {
        "chrt" => &["p", "pid", "m", "max"],
        "numactl" => &["s", "show", "H", "hardware"],
        "ssh-agent" => &["k"],
        _ => &[],
    };
    if o.has(nothing) {
        return Runs::Nothing;
    }
    argv_from(o.operand + skip, argv, via)
}

/// Tools whose subcommand runs a command: `poetry run`, `pipenv run`, `uv run`, `bundle
/// exec`, `conda run`, `direnv exec DIR`, `aws-vault exec PROFILE`, `op run --`, `doppler run
/// --`, `nix-shell --run`, `nix develop -c`. Where the command starts cannot be told
/// (options this table does not know), the command is opaque.
fn tool_runner(argv: &[Word], name: &str) -> Runs {
    if name == "nix-shell" {
        // `--run` and `--command` take a script string; anything else runs no command.
        let k = argv
            .iter()
            .position(|w| !w.is_dynamic() && matches!(w.text.as_str(), "--run" | "--command"));
        return match k {
            Some(k) if k + 1 < argv.len() => Runs::Script {
                word: k + 1,
                via: "nix-shell --run",
            },
            _ => Runs::Nothing,
        };
    }
    let (subs, via): (&[&str], &'static str) = match name {
        "poetry" => (&["run"], "poetry run"),
        "pipenv" => (&["run"], "pipenv run"),
        "uv" => (&["run"], "uv run"),
        "bundle" => (&["exec"], "bundle exec"),
        "conda" | "mamba" | "micromamba" => (&["run"], "conda run"),
        "direnv" => (&["exec"], "direnv exec"),
        "aws-vault" => (&["exec"], "aws-vault exec"),
        "op" => (&["run"], "op run"),
        "doppler" => (&["run"], "doppler run"),
        _ => (&["develop", "shell"], "nix develop"),
    };
    // The subcommand: the first word that is not an option; global options in front of it
    // are not read (a value would be taken for the subcommand, which then is none of these).
    let Some(at) = argv
        .iter()
        .skip(1)
        .position(|w| !w.text.starts_with('-'))
        .map(|k| k + 1)
    else {
        return Runs::Nothing;
    };
    let opaque = || Runs::Opaque {
        kind: OpaqueKind::UnknownOption,
        message: format!(
            "`{via}` with options or operands this parser does not read: the command it runs is not known"
        ),
    };
    if argv[at].is_dynamic() || !subs.contains(&argv[at].text.as_str()) {
        // The subcommand further on (`poetry -C dir run …`: a global option's value came
        // first): where its command starts is not known.
        let later = argv[at..]
            .iter()
            .any(|w| !w.is_dynamic() && subs.contains(&w.text.as_str()));
        return if later { opaque() } else { Runs::Nothing };
    }
    // `doppler run --command=SCRIPT`: the script is not a word of its own.
    if argv[at + 1..]
        .iter()
        .any(|w| w.text.starts_with("--command=") || w.text.starts_with("--run="))
    {
        return opaque();
    }
    let dashdash = argv[at + 1..]
        .iter()
        .position(|w| w.text == "--" && !w.is_dynamic())
        .map(|k| at + 1 + k);
    match name {
        // These put the command after `--`; nix's after `-c`/`--command`.
        "op" | "doppler" | "nix" => {
            if name == "doppler" {
                if let Some(k) = argv[at + 1..dashdash.unwrap_or(argv.len())]
                    .iter()
                    .position(|w| w.text == "--command" && !w.is_dynamic())
                {
                    return Runs::Script {
                        word: at + 2 + k,
                        via: "doppler run --command",
                    };
                }
            }
            if name == "nix" {
                let k = argv[at + 1..]
                    .iter()
                    .position(|w| matches!(w.text.as_str(), "-c" | "--command") && !w.is_dynamic());
                return match k {
                    Some(k) => argv_from(at + 2 + k, argv, via),
                    None => Runs::Nothing,
                };
            }
            match dashdash {
                Some(d) => argv_from(d + 1, argv, via),
                // Without `--`: only options, or the command cannot be told from them.
                None if argv[at + 1..].iter().all(|w| w.text.starts_with('-')) => Runs::Nothing,
                None => opaque(),
            }
        }
        _ => {
            // The subcommand's own options that this table knows (flags, then options that
            // take a value), and how many operands come before the command.
            let (flags, values): (&[&str], &[&str]) = match name {
                "uv" => (
                    &[
                        "--frozen",
                        "--locked",
                        "--no-sync",
                        "--all-extras",
                        "--no-dev",
                        "--dev",
                        "--isolated",
                        "--no-project",
                        "--offline",
                        "--no-cache",
                        "-q",
                        "--quiet",
                        "-v",
                        "--verbose",
                        "--active",
                        "--exact",
                        "--all-packages",
                        "--all-groups",
                        "--no-default-groups",
                        "--only-dev",
                        "--no-editable",
                        "--compile-bytecode",
                        "--native-tls",
                        "--no-config",
                        "--no-env-file",
                    ],
                    &[
                        "--with",
                        "--with-editable",
                        "--with-requirements",
                        "--python",
                        "-p",
                        "--package",
                        "--extra",
                        "--group",
                        "--env-file",
                        "--directory",
                        "--project",
                        "--index",
                        "--index-url",
                        "--extra-index-url",
                    ],
                ),
                "bundle" => (&["--keep-file-descriptors"], &["--gemfile"]),
                "conda" | "mamba" | "micromamba" => (
                    &[
                        "--no-capture-output",
                        "--live-stream",
                        "-v",
                        "--verbose",
                        "--dev",
                    ],
                    &["-n", "--name", "-p", "--prefix", "--cwd"],
                ),
                "aws-vault" => (
                    &[
                        "-n",
                        "--no-session",
                        "-j",
                        "--json",
                        "-s",
                        "--server",
                        "--ec2-server",
                        "--ecs-server",
                        "--lazy",
                        "--stdout",
                        "--debug",
                    ],
                    &[
                        "-d",
                        "--duration",
                        "--region",
                        "-t",
                        "--mfa-token",
                        "--prompt",
                    ],
                ),
                _ => (&[], &[]),
            };
            // (`direnv exec DIR`, `aws-vault exec PROFILE`: an operand before the command.)
            let mut operands = usize::from(matches!(name, "direnv" | "aws-vault"));
            let mut from = at + 1;
            loop {
                match table_options(argv, from, flags, values) {
                    Stop::Operand(i) if operands > 0 => {
                        operands -= 1;
                        from = i + 1;
                    }
                    // `uv run -m module`, `--script`, or an option not in the table.
                    Stop::Unknown(_) => return opaque(),
                    stop => return command_after(argv, stop, via),
                }
            }
        }
    }
}

/// git's subcommands that run commands: `submodule foreach CMD…` (the words joined, run by
/// the shell in each submodule), `rebase -x CMD`/`--exec CMD` (a script run after each
/// commit) and `bisect run CMD…` (a command). Global options before the subcommand are
/// skipped (`-C DIR`, `-c KEY=VALUE` and the like take the next word).
#[inline(never)]
fn git(argv: &[Word]) -> Runs {
    let lit = |i: usize| {
        argv.get(i)
            .filter(|w| !w.is_dynamic())
            .map(|w| w.text.as_str())
    };
    let mut i = 1;
    // `git -c core.sshCommand='ssh -i key' fetch`: values of the options that are commands.
    let mut out = Vec::new();
    while let Some(t) = lit(i) {
        match t {
            "-c" => {
                if let Some(r) = git_command_value(argv, i + 1) {
                    out.push(r);
                }
                i += 2;
            }
            "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--exec-path" | "--config-env" => {
                i += 2
            }
            _ if t.starts_with('-') => i += 1,
            _ => break,
        }
    }
    if argv.get(i).is_some_and(Word::is_dynamic) {
        // The subcommand is only known at run time; git's own wrappers are rare enough that
        // the part's signals (`git` with a dynamic word) carry it.
        return Runs::Nothing;
    }
    let sub = git_subcommand(argv, i, lit);
    if out.is_empty() {
        return sub;
    }
    if !matches!(sub, Runs::Nothing) {
        out.push(sub);
    }
    Runs::from_list(out)
}

/// The git options whose value git runs as a shell command line (lowercase: git's section
/// and key names are not case-sensitive).
const GIT_COMMAND_KEYS: [&str; 4] = [
    "core.sshcommand",
    "core.pager",
    "core.editor",
    "sequence.editor",
];

/// `KEY=VALUE` of `git -c` when KEY is one of [`GIT_COMMAND_KEYS`], or an alias whose value
/// starts with `!` (git runs the rest with the shell): a literal value is read as a script
/// (`via` = `git -c`, or `ssh command` for `core.sshCommand`), one only known at run time
/// makes the command opaque, and so does a key only known at run time (`git -c "$OPT"`: it
/// may be any of them).
#[cold]
#[inline(never)]
fn git_command_value(argv: &[Word], word: usize) -> Option<Runs> {
    let w = argv.get(word)?;
    if w.is_dynamic() {
        // The source text: the key is known when it is written before the `=` with no
        // expansion (`"core.pager=$P"`, `core.pager="$P"`).
        let key: Option<String> = w.text.split_once('=').and_then(|(k, _)| {
            let k: String = k
                .chars()
                .filter(|c| !matches!(c, '"' | '\'' | '\\'))
                .collect();
            (!k.contains(['$', '`'])).then_some(k)
        });
        let what = match &key {
            None => "a `git -c` setting".to_string(),
            Some(k) if git_command_key(k) || is_git_alias(k) => format!("git's `{k}`"),
            Some(_) => return None,
        };
        return Some(Runs::Opaque {
            kind: OpaqueKind::DynamicScript,
            message: format!("the command in {what} is only known at run time"),
        });
    }
    let (key, value) = w.text.split_once('=')?;
    let eq = key.len();
    if git_command_key(key) {
        Some(Runs::command_value(
            argv,
            word,
            eq + 1,
            git_key_via(key, "git -c"),
            &format!("git's `{key}`"),
        ))
    } else if is_git_alias(key) && value.starts_with('!') {
        Some(Runs::command_value(
            argv,
            word,
            eq + 2,
            "git -c",
            &format!("git's `{key}`"),
        ))
    } else {
        None
    }
}

/// Whether `key` is one of [`GIT_COMMAND_KEYS`], in any case.
fn git_command_key(key: &str) -> bool {
    GIT_COMMAND_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Whether `key` names a git alias (`alias.NAME`).
fn is_git_alias(key: &str) -> bool {
    key.get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("alias."))
        && key.len() > 6
}

/// `git config [--global …] KEY VALUE` (or `git config set KEY VALUE`) when KEY is one of
/// [`GIT_COMMAND_KEYS`]: the value is a command later git commands run. A literal value is
/// read as a script (`via` = `git config`, or `ssh command` for `core.sshCommand`), one only
/// known at run time makes the command opaque.
#[cold]
#[inline(never)]
fn git_config_command(argv: &[Word], from: usize) -> Runs {
    let mut pos = Vec::new();
    let mut k = from;
    while let Some(w) = argv.get(k) {
        match w.text.as_str() {
            "-f" | "--file" | "--blob" | "--type" => k += 2,
            // Reading or removing (`--get-regexp KEY REGEX`, `--unset KEY REGEX`): no value.
            t if t.starts_with("--get")
                || t.starts_with("--unset")
                || matches!(t, "-l" | "--list" | "--remove-section" | "--rename-section") =>
            {
                return Runs::Nothing;
            }
            t if t.starts_with('-') && !w.is_dynamic() => k += 1,
            _ => {
                pos.push(k);
                k += 1;
            }
        }
    }
    if pos.first().is_some_and(|&p| argv[p].text == "set") {
        pos.remove(0);
    }
    let [key, value] = pos[..] else {
        return Runs::Nothing;
    };
    let key_word = &argv[key];
    if key_word.is_dynamic() {
        // (It may be any of them.)
        return Runs::Opaque {
            kind: OpaqueKind::DynamicScript,
            message: "`git config` sets a key only known at run time".into(),
        };
    }
    let key_text = key_word.text.as_str();
    // An alias whose value starts with `!` is a shell command line; one only known at run
    // time may be one.
    let start = if git_command_key(key_text) {
        0
    } else if is_git_alias(key_text)
        && (argv[value].is_dynamic() || argv[value].text.starts_with('!'))
    {
        1
    } else {
        return Runs::Nothing;
    };
    Runs::command_value(
        argv,
        value,
        start,
        git_key_via(key_text, "git config"),
        &format!("git's `{key_text}`"),
    )
}

/// `via` of a git option's value read as a script: `ssh command` for `core.sshCommand` (run
/// in place of ssh), else `other`.
fn git_key_via(key: &str, other: &'static str) -> &'static str {
    if key.eq_ignore_ascii_case("core.sshcommand") {
        "ssh command"
    } else {
        other
    }
}

/// What git's subcommand at `argv[i]` runs.
fn git_subcommand<'a>(argv: &'a [Word], i: usize, lit: impl Fn(usize) -> Option<&'a str>) -> Runs {
    match lit(i) {
        Some("config") => git_config_command(argv, i + 1),
        Some("submodule") => {
            let mut k = i + 1;
            while matches!(lit(k), Some("--quiet" | "-q")) {
                k += 1;
            }
            if lit(k) != Some("foreach") {
                return Runs::Nothing;
            }
            k += 1;
            while matches!(lit(k), Some("--recursive" | "--quiet" | "-q")) {
                k += 1;
            }
            if k < argv.len() {
                Runs::ScriptJoin {
                    from: k,
                    via: "git submodule foreach",
                }
            } else {
                Runs::Nothing
            }
        }
        Some("rebase") => {
            let mut out = Vec::new();
            for k in i + 1..argv.len() {
                match lit(k) {
                    Some("-x" | "--exec") => out.push(Runs::Script {
                        word: k + 1,
                        via: "git rebase --exec",
                    }),
                    Some(t) if t.starts_with("--exec=") || (t.starts_with("-x") && t.len() > 2) => {
                        return Runs::Opaque {
                            kind: OpaqueKind::UnknownOption,
                            message: "an attached script for `git rebase --exec`: not split out, review it".into(),
                        };
                    }
                    _ => {}
                }
            }
            Runs::from_list(out)
        }
        Some("bisect") if lit(i + 1) == Some("run") => argv_from(i + 2, argv, "git bisect run"),
        _ => Runs::Nothing,
    }
}

/// The calls of inline interpreter code that run a string through the shell, by the name
/// that ends them (a name that goes on with a letter, digit or `_` is another one).
const SHELL_OUTS: &[&str] = &[
    "system",
    "popen",
    "exec",
    "execSync",
    "shell_exec",
    "passthru",
    "getoutput",
    "getstatusoutput",
    "check_output",
    "check_call",
    "subprocess.call",
    "subprocess.run",
    "Popen",
    // Through another name (`import subprocess as s; s.call(…, shell=True)`, `from
    // subprocess import run`): the literal is read as a script, which only adds readings.
    "call",
    "run",
    // lua's `os.execute("…")`.
    "execute",
];

/// `via` of a command an interpreter's code hands to a shell.
fn shell_out_via(name: &str) -> &'static str {
    match name {
        "perl" => "perl system",
        "ruby" => "ruby system",
        "node" | "nodejs" => "node child_process",
        "php" => "php system",
        "awk" => "awk system",
        "lua" => "lua os.execute",
        "Rscript" => "R system",
        "julia" => "julia run",
        "bun" | "deno" => "node child_process",
        _ => "python system",
    }
}

/// When these words run python, perl, ruby, node or php on a program read from standard
/// input (no inline-code option, no module, and no operand other than `-`): the language
/// (as [`shell_out_literals`] takes it) and the `via` of the commands its code hands to a
/// shell. `None` when a word is only known at run time: the risk signals on the text stay.
pub(crate) fn stdin_code(argv: &[Word]) -> Option<(&'static str, &'static str)> {
    let name = argv.first().and_then(Word::literal).map(basename)?;
    // (the language, options that end the reading, options whose value is the next word)
    let (lang, code, valued): (&'static str, &[&str], &[&str]) = match name {
        "python" | "python2" | "python3" => ("python", &["-c", "-m"], &["-W", "-X"]),
        _ if name.starts_with("python3.") && name[8..].bytes().all(|b| b.is_ascii_digit()) => {
            ("python", &["-c", "-m"], &["-W", "-X"])
        }
        "perl" => ("perl", &["-e", "-E"], &[]),
        "ruby" => ("ruby", &["-e"], &["-r", "-I", "-C"]),
        "node" | "nodejs" => (
            "node",
            &["-e", "--eval", "-p", "--print"],
            &["-r", "--require", "--import"],
        ),
        "php" => ("php", &["-r", "-f", "-R", "-F", "-B", "-E"], &["-d", "-c"]),
        _ => return None,
    };
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        let t = w.literal()?;
        if t == "-" || t == "--" {
            // Standard input, or the end of the options: what follows is the script's.
            let next = if t == "--" { argv.get(i + 1) } else { None };
            return match next {
                Some(n) if n.text != "-" => None,
                _ => Some((lang, shell_out_via(lang))),
            };
        }
        if !t.starts_with('-') {
            // A script file.
            return None;
        }
        // An inline-code option, alone, in a cluster or with its value attached (`-c`,
        // `-le`, `-e'…'`, `--eval=…`). (A cluster with a value attached, `-Mstrict`, may be
        // taken for one: then the code is not read here, as before.)
        let inline = if let Some(long) = t.strip_prefix("--") {
            code.iter().any(|c| {
                c.strip_prefix("--").is_some_and(|c| {
                    long == c || long.strip_prefix(c).is_some_and(|r| r.starts_with('='))
                })
            })
        } else {
            code.iter()
                .filter(|c| c.len() == 2)
                .any(|c| t[1..].contains(&c[1..]))
        };
        if inline {
            return None;
        }
        i += if valued.contains(&t) { 2 } else { 1 };
    }
    Some((lang, shell_out_via(lang)))
}

/// Byte ranges in a text.
pub(crate) type Ranges = Vec<(usize, usize)>;

/// Where interpreter code (`lang` as [`stdin_code`] gives it) hands literals to a shell:
/// the ranges of its whole-literal commands, and of its argument lists of literals.
pub(crate) fn code_shell_outs(code: &[u8], lang: &str) -> (Ranges, Vec<Ranges>) {
    let mut lits = shell_out_literals(code, lang);
    lits.truncate(16);
    let mut lists = argv_call_lists(code);
    lists.truncate(16 - lits.len());
    (lits, lists)
}

/// `osascript -e 'do shell script "rm x" with administrator privileges'`: the string
/// literal after AppleScript's `do shell script` is a command line that `/bin/sh` runs (as
/// root `with administrator privileges`); after Terminal's `do script` (`tell application
/// "Terminal" to do script "…"`), one that a new Terminal window's shell runs. Only a whole
/// literal with no backslash is read, as for the other interpreters: a string built with `&`
/// or with escapes is left to the risk signals on the text.
fn applescript_shell(argv: &[Word]) -> Runs {
    let mut out: Vec<Runs> = Vec::new();
    for (k, w) in argv.iter().enumerate().skip(1) {
        if out.len() >= 16 {
            break;
        }
        if w.is_dynamic() || argv[k - 1].literal() != Some("-e") {
            continue;
        }
        push_script_slices(&mut out, k, do_shell_scripts(w.text.as_bytes()));
    }
    Runs::from_list(out)
}

/// A script slice of word `word` for each `(start, end, via)`, while `out` holds fewer than
/// 16 runs.
fn push_script_slices(
    out: &mut Vec<Runs>,
    word: usize,
    slices: impl IntoIterator<Item = (usize, usize, &'static str)>,
) {
    for (start, end, via) in slices {
        if out.len() >= 16 {
            break;
        }
        out.push(Runs::ScriptSlice {
            word,
            start,
            end,
            via,
        });
    }
}

/// The ranges of the string literals that follow `do shell script` or `do script` in
/// AppleScript code (ASCII case-insensitive, words separated by blanks), when a literal is
/// whole: closed, without a backslash, and not joined to more with `&`; with the `via` of
/// what runs it: `osascript with administrator privileges` when those words follow the
/// literal on its line (as root), `osascript do shell script` otherwise, and `osascript do
/// script` for Terminal's.
fn do_shell_scripts(code: &[u8]) -> Vec<(usize, usize, &'static str)> {
    let mut out = Vec::new();
    let blank = |c: u8| matches!(c, b' ' | b'\t');
    // After blanks (at least one), `word` at `j`: where it ends.
    let word_after = |j: usize, word: &[u8]| -> Option<usize> {
        let mut k = j;
        while k < code.len() && blank(code[k]) {
            k += 1;
        }
        (k > j && code.get(k..k + word.len())?.eq_ignore_ascii_case(word)).then_some(k + word.len())
    };
    let mut i = 0;
    while let Some(at) = code[i..]
        .windows(2)
        .position(|w| w.eq_ignore_ascii_case(b"do"))
        .map(|p| p + i)
    {
        i = at + 2;
        if at > 0 && code[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let (mut j, shell) =
            match word_after(at + 2, b"shell").and_then(|j| word_after(j, b"script")) {
                Some(j) => (j, true),
                None => match word_after(at + 2, b"script") {
                    Some(j) => (j, false),
                    None => continue,
                },
            };
        while j < code.len() && blank(code[j]) {
            j += 1;
        }
        if code.get(j) != Some(&b'"') {
            continue;
        }
        let from = j + 1;
        let Some(len) = code[from..].iter().position(|&c| c == b'"') else {
            break;
        };
        let end = from + len;
        i = end + 1;
        if len == 0 || code[from..end].contains(&b'\\') {
            continue;
        }
        let after = code[end + 1..].iter().find(|&&c| !blank(c));
        if after == Some(&b'&') {
            continue;
        }
        // (The statement's parameters run to the end of its line.)
        let line = &code[end + 1..];
        let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
        let root = line
            .windows(13)
            .any(|w| w.eq_ignore_ascii_case(b"administrator"));
        let via = match (shell, root) {
            (false, _) => "osascript do script",
            (true, true) => "osascript with administrator privileges",
            (true, false) => "osascript do shell script",
        };
        out.push((from, end, via));
    }
    out
}

/// String literals that inline interpreter code (`python -c`, `perl -e`/`-E`, `ruby -e`,
/// `node -e`/`--eval`/`-p`, `php -r`, an awk program) hands to a shell: `os.system("…")`,
/// `system '…'`, `` `…` `` (perl, ruby, php), `execSync('…')`, `subprocess.run("…",
/// shell=True)`, … Each is read as a script (`via` names the interpreter). Only a whole
/// literal is read: one with a backslash, or joined to more text (`system("rm " + p)`), is
/// left to the risk signals on the code (it is not known what runs).
#[inline(never)]
fn interpreter_shell_outs(argv: &[Word], name: &str) -> Runs {
    let via = shell_out_via(name);
    let code_flags: &[&str] = match name {
        "perl" | "ruby" => &["-e", "-E"],
        "node" | "nodejs" | "bun" => &["-e", "--eval", "-p", "--print"],
        "php" => &["-r"],
        "lua" | "Rscript" => &["-e"],
        "julia" => &["-e", "--eval", "-E", "--print"],
        // `deno eval CODE`: the word after the subcommand.
        "deno" => &["eval"],
        "awk" => &[],
        _ => &["-c"],
    };
    // The words holding code.
    let mut code: SmallVec<[usize; 2]> = SmallVec::new();
    if name == "awk" {
        // The program is the first operand, unless `-f` names a file.
        let mut i = 1;
        while let Some(w) = argv.get(i) {
            let t = w.text.as_str();
            if w.is_dynamic() && t.starts_with('-') {
                return Runs::Nothing;
            }
            match t {
                "-f" | "--file" => return Runs::Nothing,
                "-F" | "-v" | "--assign" | "--field-separator" => i += 2,
                "--" => {
                    code.push(i + 1);
                    break;
                }
                _ if t.starts_with("-f") => return Runs::Nothing,
                _ if t.starts_with('-') && t.len() > 1 => i += 1,
                _ => {
                    code.push(i);
                    break;
                }
            }
        }
    } else {
        for (i, w) in argv.iter().enumerate().skip(1) {
            if !w.is_dynamic() && code_flags.contains(&w.text.as_str()) {
                code.push(i + 1);
            }
        }
    }
    let mut out: Vec<Runs> = Vec::new();
    for k in code {
        let Some(w) = argv.get(k).filter(|w| !w.is_dynamic()) else {
            continue;
        };
        push_script_slices(
            &mut out,
            k,
            shell_out_literals(w.text.as_bytes(), name)
                .into_iter()
                .map(|(start, end)| (start, end, via)),
        );
        for ranges in argv_call_lists(w.text.as_bytes()) {
            if out.len() >= 16 {
                break;
            }
            out.push(Runs::ArgvSlices {
                word: k,
                ranges,
                via,
            });
        }
    }
    Runs::from_list(out)
}

/// `rsync -e 'ssh -p 2222' …` (also `--rsh=CMD`, `--rsh CMD`, `-eCMD`, and a cluster of
/// flags ending in `e`, `-avze CMD`): rsync runs CMD in place of ssh to reach the other side.
/// A literal CMD is read as a script (`via` = `ssh command`, as `RSYNC_RSH`), one only known
/// at run time makes the command opaque. Only the words before `--`.
#[cold]
#[inline(never)]
fn rsync_remote_shell(argv: &[Word]) -> Runs {
    let mut out = Vec::new();
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        let t = w.text.as_str();
        if t == "--" {
            break;
        }
        // (word holding the value, where in it the value starts)
        let at = if t == "--rsh" || t == "-e" {
            Some((i + 1, 0))
        } else if let Some(v) = t.strip_prefix("--rsh=") {
            Some((i, t.len() - v.len()))
        } else if t.starts_with("-e") && t.len() > 2 {
            Some((i, 2))
        } else if t.starts_with('-')
            && !t.starts_with("--")
            && t.len() > 2
            && t.ends_with('e')
            && t[1..].bytes().all(|b| b.is_ascii_alphabetic())
        {
            Some((i + 1, 0))
        } else {
            None
        };
        i += 1;
        let Some((k, start)) = at else { continue };
        out.push(Runs::command_value(
            argv,
            k,
            start,
            "ssh command",
            "rsync's remote shell (`-e`)",
        ));
        if k == i {
            // (The value was the next word.)
            i += 1;
        }
        if out.len() >= 4 {
            break;
        }
    }
    Runs::from_list(out)
}

/// `expect -c 'spawn ssh host; expect …'`: the Tcl commands `spawn` and `exec` of expect's
/// `-c` code run a program with the words that follow. Each such command whose words are
/// plain (no Tcl quoting, braces, `$` or `[…]` substitution, whose reading differs from the
/// shell's) is read as a script (`via` = `expect spawn`); the others are left to the risk
/// signals on the code.
#[cold]
#[inline(never)]
fn expect_spawns(argv: &[Word]) -> Runs {
    let mut out = Vec::new();
    for (i, w) in argv.iter().enumerate().skip(1) {
        if w.is_dynamic() || w.text != "-c" {
            continue;
        }
        let Some(code) = argv.get(i + 1).filter(|c| !c.is_dynamic()) else {
            continue;
        };
        let text = code.text.as_str();
        let mut start = 0;
        for (k, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ';')))
        {
            if c != ';' && c != '\n' {
                continue;
            }
            let cmd = &text[start..k];
            start = k + 1;
            let lead = cmd.len() - cmd.trim_start().len();
            let body = cmd.trim();
            let Some(rest) = body
                .strip_prefix("spawn ")
                .or_else(|| body.strip_prefix("exec "))
            else {
                continue;
            };
            if rest.contains(['"', '{', '}', '[', ']', '$', '\\']) || out.len() >= 16 {
                continue;
            }
            let at = k - cmd.len() + lead + (body.len() - rest.len());
            out.push(Runs::ScriptSlice {
                word: i + 1,
                start: at,
                end: at + rest.len(),
                via: "expect spawn",
            });
        }
    }
    Runs::from_list(out)
}

/// Calls that run a program with an argument list, without a shell: python's
/// `subprocess.run([…])` (and `call`, `check_call`, `check_output`, `Popen`), node's
/// `spawnSync('rm', […])` and `execFileSync`, and `system`/`exec` with two arguments or more
/// in perl and ruby (`system "rm", "-rf", "/"`).
const ARGV_CALLS: &[&str] = &[
    "run",
    "call",
    "check_call",
    "check_output",
    "Popen",
    "spawn",
    "spawnSync",
    "execFile",
    "execFileSync",
    "system",
    "exec",
];

/// The argument lists in `code` that an [`ARGV_CALLS`] call runs, as the byte ranges of
/// their string literals: a list in brackets (`['rm', '-rf', '/']`, or node's program then a
/// list), or two literals or more separated by commas (perl, ruby). Only lists of whole
/// literals without backslashes or quotes of the other kind are read; anything else (a
/// variable, a joined string) leaves the list unread. At most 16 lists.
fn argv_call_lists(code: &[u8]) -> Vec<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    if memchr::memchr2(b'\'', b'"', code).is_none() {
        return out;
    }
    let skip_blank = |mut i: usize| {
        while code.get(i).is_some_and(|c| matches!(c, b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    // A literal at `i`: its content's range and the index after its closing quote.
    let literal = |i: usize| -> Option<((usize, usize), usize)> {
        let q = *code.get(i)?;
        if !matches!(q, b'\'' | b'"') {
            return None;
        }
        let len = code.get(i + 1..)?.iter().position(|&c| c == q)?;
        let (start, end) = (i + 1, i + 1 + len);
        if code[start..end]
            .iter()
            .any(|c| matches!(c, b'\\' | b'\'' | b'"' | b'\n'))
            || len == 0
        {
            return None;
        }
        Some(((start, end), end + 1))
    };
    // Literals separated by commas from `i`, up to `close` (or, without one, up to the end
    // of the statement): the ranges, when every element is a literal.
    let list = |mut i: usize, close: Option<u8>| -> Option<(Vec<(usize, usize)>, usize)> {
        let mut ranges = Vec::new();
        loop {
            i = skip_blank(i);
            let (r, next) = literal(i)?;
            ranges.push(r);
            i = skip_blank(next);
            match code.get(i) {
                Some(b',') => i += 1,
                c if close.is_some() && c == close.as_ref() => return Some((ranges, i + 1)),
                None | Some(b')' | b';' | b'\n' | b'}') if close.is_none() => {
                    return Some((ranges, i));
                }
                _ => return None,
            }
            if ranges.len() > 64 {
                return None;
            }
        }
    };
    // One pass over the names in the code (runs of name bytes): a call is a listed name
    // followed by `(` or a blank (`os.system(`, `system "rm", …`; not `mysystem(`).
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut at = 0;
    while at < code.len() {
        if !ident(code[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < code.len() && ident(code[at]) {
            at += 1;
        }
        let name = &code[start..at];
        if !matches!(code.get(at), Some(b'(' | b' ' | b'\t'))
            || !ARGV_CALLS.iter().any(|c| c.as_bytes() == name)
        {
            continue;
        }
        let paren = code[at] == b'(';
        let i = skip_blank(at + 1);
        let found = match code.get(i) {
            // `run(['rm', …])`
            Some(b'[') if paren => list(i + 1, Some(b']')).map(|(r, _)| r),
            // node: `spawnSync('rm', ['-rf', '/'])`; perl, ruby: `system("rm", "-rf")`,
            // `system "rm", "-rf"`
            Some(b'\'' | b'"') => literal(i).and_then(|(prog, next)| {
                let j = skip_blank(next);
                if code.get(j) != Some(&b',') {
                    return None;
                }
                let k = skip_blank(j + 1);
                if code.get(k) == Some(&b'[') {
                    let (mut rest, _) = list(k + 1, Some(b']'))?;
                    rest.insert(0, prog);
                    Some(rest)
                } else {
                    let (mut rest, _) = list(k, None)?;
                    rest.insert(0, prog);
                    Some(rest)
                }
            }),
            _ => None,
        };
        if let Some(r) = found {
            if out.len() < 16 {
                out.push(r);
            }
        }
    }
    out
}

/// The byte ranges of the string literals in `code` that a [`SHELL_OUTS`] call (or, in perl,
/// ruby and php, a backquoted string) runs through the shell.
fn shell_out_literals(code: &[u8], lang: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // A literal quoted with `q` from `from`: its end (the closing quote), when it has no
    // backslash and nothing is joined to it after.
    let literal = |from: usize, q: u8| -> Option<usize> {
        let len = code.get(from..)?.iter().position(|&c| c == q)?;
        let end = from + len;
        if code[from..end].contains(&b'\\') || len == 0 {
            return None;
        }
        // (Spaces and tabs only: a newline may end a statement.)
        let after = code[end + 1..].iter().find(|c| !matches!(c, b' ' | b'\t'));
        matches!(after, None | Some(b')' | b',' | b';' | b'}' | b'\n')).then_some(end)
    };
    // Every literal starts with a quote: most code has none worth reading. awk and python
    // call with parentheses (`system(…)`, `os.system(…)`), and awk has one such call.
    let calls = lang == "awk" || lang.starts_with("python");
    if (memchr::memchr3(b'"', b'\'', b'`', code).is_none()
        && !(matches!(lang, "ruby" | "perl") && code.windows(2).any(|w| w == b"%x" || w == b"qx")))
        || (calls && memchr::memchr(b'(', code).is_none())
        || (lang == "awk" && !code.windows(6).any(|w| w == b"system"))
    {
        return out;
    }
    let mut i = 0;
    while i < code.len() {
        // (Only the first bytes of the names are read on: most bytes start none.)
        if !matches!(
            code[i],
            b'`' | b's' | b'p' | b'e' | b'g' | b'c' | b'P' | b'r' | b'%' | b'q'
        ) {
            i += 1;
            continue;
        }
        // ruby's `%x(…)` and perl's `qx(…)` (any of `( [ { <` and their closers, or another
        // delimiter twice: `qx/…/`, `%x!…!`), read as backquotes are.
        let quote_op = match (lang, code[i], code.get(i + 1)) {
            ("ruby", b'%', Some(b'x')) | ("perl", b'q', Some(b'x')) => code.get(i + 2).copied(),
            _ => None,
        };
        if let Some(open) = quote_op.filter(|_| i == 0 || !ident(code[i - 1])) {
            let close = match open {
                b'(' => Some(b')'),
                b'[' => Some(b']'),
                b'{' => Some(b'}'),
                b'<' => Some(b'>'),
                c if c.is_ascii_punctuation() && c != b'\\' => Some(c),
                _ => None,
            };
            if let Some(end) = close.and_then(|c| literal(i + 3, c)) {
                // (The same delimiter may not open again inside: `%x(a (b))` is left.)
                if !code[i + 3..end].contains(&open) {
                    out.push((i + 3, end));
                    i = end + 1;
                    continue;
                }
            }
        }
        // A backquoted command in perl, ruby and php (and julia's command literal).
        if code[i] == b'`' && matches!(lang, "perl" | "ruby" | "php" | "julia") {
            if let Some(end) = literal(i + 1, b'`') {
                out.push((i + 1, end));
                i = end + 1;
                continue;
            }
        }
        let starts_name = i == 0 || !ident(code[i - 1]);
        let name = starts_name
            .then(|| {
                // (The first byte first: most names start with another.)
                SHELL_OUTS.iter().find(|n| {
                    n.as_bytes().first() == Some(&code[i])
                        && code[i..].starts_with(n.as_bytes())
                        && !code.get(i + n.len()).is_some_and(|&c| ident(c))
                })
            })
            .flatten();
        let Some(name) = name else {
            i += 1;
            continue;
        };
        let mut j = i + name.len();
        while code.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        if code.get(j) == Some(&b'(') {
            j += 1;
            while code.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
                j += 1;
            }
        }
        match code.get(j) {
            Some(&q @ (b'"' | b'\'' | b'`')) => match literal(j + 1, q) {
                Some(end) => {
                    out.push((j + 1, end));
                    i = end + 1;
                }
                None => i = j + 1,
            },
            _ => i = j,
        }
    }
    out
}

/// Commands run in a virtual machine or system container: `vagrant ssh [NAME] -c
/// SCRIPT`/`--command SCRIPT` (a script), `multipass exec NAME [--] CMD…`, `lxc exec NAME [--]
/// CMD…`, `incus exec NAME [--] CMD…` (a command, after the options in their tables; another
/// option makes the command opaque).
#[inline(never)]
fn vm_exec(argv: &[Word], name: &str) -> Runs {
    let lit = |i: usize| {
        argv.get(i)
            .filter(|w| !w.is_dynamic())
            .map(|w| w.text.as_str())
    };
    if name == "vagrant" {
        if lit(1) != Some("ssh") {
            return Runs::Nothing;
        }
        for i in 2..argv.len() {
            match lit(i) {
                Some("-c" | "--command") => {
                    return Runs::Script {
                        word: i + 1,
                        via: "vagrant ssh",
                    };
                }
                Some(t) if t.starts_with("--command=") || (t.starts_with("-c") && t.len() > 2) => {
                    return unknown("vagrant ssh", t);
                }
                // What follows `--` is ssh's own arguments.
                Some("--") => return Runs::Nothing,
                _ => {}
            }
        }
        return Runs::Nothing;
    }
    if lit(1) != Some("exec") {
        return Runs::Nothing;
    }
    let via: &'static str = match name {
        "multipass" => "multipass exec",
        "incus" => "incus exec",
        _ => "lxc exec",
    };
    let (flags, values): (&[&str], &[&str]) = match name {
        "multipass" => (
            &["-n", "--no-map-working-directory", "-v", "--verbose"],
            &["-d", "--working-directory"],
        ),
        _ => (
            &[
                "-t",
                "-T",
                "--force-interactive",
                "--force-noninteractive",
                "-q",
                "--quiet",
            ],
            &["--env", "--user", "--group", "--cwd", "--mode", "--project"],
        ),
    };
    // The instance's name, then options.
    command_after(argv, table_options(argv, 3, flags, values), via)
}

/// Commands run on many hosts: `ansible HOSTS -m shell|command|raw -a CMD` (`command` is
/// the default module; another module runs no shell command), `salt TARGET cmd.run CMD`
/// (also `cmd.shell`, `cmd.run_all`, `cmd.run_stdout`), and `pdsh`, `pssh`/`parallel-ssh`,
/// `clush` followed by the command's words (after the options in their tables; another
/// option makes the command opaque). Each is read as a script.
#[inline(never)]
fn fleet_exec(argv: &[Word], name: &str) -> Runs {
    let lit = |i: usize| {
        argv.get(i)
            .filter(|w| !w.is_dynamic())
            .map(|w| w.text.as_str())
    };
    match name {
        "ansible" => {
            let mut module = Some("command");
            let mut args = None;
            for i in 1..argv.len() {
                match lit(i) {
                    Some("-m" | "--module-name") => module = lit(i + 1),
                    Some("-a" | "--args") => args = Some(i + 1),
                    Some(t) if t.starts_with("--args=") || (t.starts_with("-a") && t.len() > 2) => {
                        return unknown("ansible", t);
                    }
                    Some(t)
                        if t.starts_with("--module-name=")
                            || (t.starts_with("-m") && t.len() > 2) =>
                    {
                        module = t.split_once('=').map_or(t.get(2..), |(_, v)| Some(v));
                    }
                    _ => {}
                }
            }
            let shell = module.map(|m| m.trim_start_matches("ansible.builtin."));
            match (shell, args) {
                (Some("shell" | "command" | "raw"), Some(word)) => Runs::Script {
                    word,
                    via: "ansible -a",
                },
                // A module known only at run time: what `-a` runs is not known.
                (None, Some(_)) => Runs::Opaque {
                    kind: OpaqueKind::UnknownOption,
                    message: "the module `ansible -m` runs is only known at run time".into(),
                },
                _ => Runs::Nothing,
            }
        }
        "salt" => {
            let k = (1..argv.len()).find(|&i| {
                matches!(
                    lit(i),
                    Some("cmd.run" | "cmd.shell" | "cmd.run_all" | "cmd.run_stdout")
                )
            });
            match k {
                Some(k) if k + 1 < argv.len() => Runs::Script {
                    word: k + 1,
                    via: "salt cmd.run",
                },
                _ => Runs::Nothing,
            }
        }
        _ => {
            let (via, flags, values): (&'static str, &str, &str) = match name {
                "pdsh" => ("pdsh", "SbNdLV", "wxlRftugX"),
                "clush" => ("clush", "abBLNqvSdV", "wxgXlftuoOER"),
                _ => ("pssh", "iIvAP", "hHlpoetxXO"),
            };
            let mut i = 1;
            while let Some(w) = argv.get(i) {
                let t = w.text.as_str();
                if w.is_dynamic() && t.starts_with(['-', '"', '\'']) {
                    return dynamic_opt(via, w);
                }
                if t == "--" && !w.is_dynamic() {
                    i += 1;
                    break;
                }
                let Some(letters) = t.strip_prefix('-') else {
                    break;
                };
                let mut chars = letters.chars();
                match chars.next() {
                    Some(c) if values.contains(c) => {
                        // `-w hosts` or `-whosts`.
                        i += if chars.as_str().is_empty() { 2 } else { 1 };
                    }
                    Some(c) if flags.contains(c) && letters.chars().all(|c| flags.contains(c)) => {
                        i += 1;
                    }
                    _ => return unknown(via, t),
                }
            }
            if i < argv.len() {
                Runs::ScriptJoin { from: i, via }
            } else {
                Runs::Nothing
            }
        }
    }
}

/// `npm pkg set scripts.NAME='CMD' …`: each script set is read (npm runs it with a shell,
/// later: on install for the lifecycle names).
#[cold]
#[inline(never)]
fn package_scripts_set(argv: &[Word]) -> Runs {
    if argv.get(2).and_then(Word::literal) != Some("set") {
        return Runs::Nothing;
    }
    values_as_scripts(
        argv,
        3,
        |name| name.starts_with("scripts."),
        "npm pkg set scripts",
    )
}

/// The values of the literal `NAME=VALUE` words from word `from` on whose name `keep` takes,
/// each read as a script (`alias x='…'`, `npm pkg set scripts.x='…'`).
fn values_as_scripts(
    argv: &[Word],
    from: usize,
    keep: impl Fn(&str) -> bool,
    via: &'static str,
) -> Runs {
    let runs: Vec<Runs> = argv
        .iter()
        .enumerate()
        .skip(from)
        .filter(|(_, w)| !w.is_dynamic())
        .filter_map(|(word, w)| {
            let eq = w.text.find('=').filter(|&e| e > 0)?;
            keep(&w.text[..eq]).then_some(Runs::ScriptSlice {
                word,
                start: eq + 1,
                end: w.text.len(),
                via,
            })
        })
        .collect();
    Runs::from_list(runs)
}

/// The values of an `export` (or `declare`, …) of the variables whose value is a command
/// ([`COMMAND_VARIABLES`]): a literal one is read as a script (`via` = `PROMPT_COMMAND` for
/// that variable, [`command_variable_via`] for the others), and one only known at run time
/// makes the command opaque ([`Runs::command_value`]).
#[cold]
#[inline(never)]
fn exported_commands(argv: &[Word]) -> Runs {
    let mut runs = Vec::new();
    for (word, w) in argv.iter().enumerate().skip(1) {
        let Some(eq) = w.text.find('=').filter(|&e| e > 0) else {
            continue;
        };
        let name = &w.text[..eq];
        if !COMMAND_VARIABLES.contains(&name) {
            continue;
        }
        let via = if name == "PROMPT_COMMAND" {
            "PROMPT_COMMAND"
        } else {
            command_variable_via(name)
        };
        runs.push(Runs::command_value(
            argv,
            word,
            eq + 1,
            via,
            &format!("`{name}`"),
        ));
    }
    Runs::from_list(runs)
}

/// Package runners that run a command (a package's program, or one on `PATH`): `npx CMD…`,
/// `bunx`, `pnpx`, `npm exec`/`npm x`, `pnpm exec`/`pnpm dlx`, `yarn exec`/`yarn dlx`; `-c
/// SCRIPT`/`--call SCRIPT` of npx and npm exec is a script string. Options this table does
/// not know make the command opaque (one may take the next word as its value).
#[inline(never)]
fn package_runner(argv: &[Word], name: &str) -> Runs {
    let (at, via): (usize, &'static str) = match name {
        "npx" => (1, "npx"),
        "bunx" => (1, "bunx"),
        "pnpx" => (1, "pnpx"),
        _ => {
            let sub = argv
                .get(1)
                .filter(|w| !w.is_dynamic())
                .map(|w| w.text.as_str());
            match (name, sub) {
                ("npm" | "pnpm", Some("pkg")) => return package_scripts_set(argv),
                // npm 7–8's `npm set-script NAME 'CMD'`: the script npm runs for NAME.
                ("npm", Some("set-script")) => {
                    return if argv.len() == 4 {
                        Runs::command_value(
                            argv,
                            3,
                            0,
                            "npm pkg set scripts",
                            "the script of `npm set-script`",
                        )
                    } else {
                        Runs::Nothing
                    };
                }
                ("npm", Some("exec" | "x")) => (2, "npm exec"),
                ("pnpm", Some("exec")) => (2, "pnpm exec"),
                ("pnpm", Some("dlx")) => (2, "pnpm dlx"),
                ("yarn", Some("exec")) => (2, "yarn exec"),
                ("yarn", Some("dlx")) => (2, "yarn dlx"),
                _ => return Runs::Nothing,
            }
        }
    };
    let flags = [
        "-y",
        "--yes",
        "--no",
        "--no-install",
        "-q",
        "--quiet",
        "--silent",
        "--ignore-existing",
        "--prefer-offline",
        "--prefer-online",
        "--offline",
        "--ws",
        "--workspaces",
        "--include-workspace-root",
        "-r",
        "--recursive",
        "--parallel",
        "--shell-mode",
        "--bun",
        "--verbose",
    ];
    let values = [
        "-p",
        "--package",
        "-w",
        "--workspace",
        "--filter",
        "-C",
        "--dir",
    ];
    let stop = table_options(argv, at, &flags, &values);
    if let Stop::Unknown(i) = stop {
        match argv
            .get(i)
            .filter(|w| !w.is_dynamic())
            .map(|w| w.text.as_str())
        {
            Some("-c" | "--call") if matches!(via, "npx" | "npm exec") => {
                return Runs::Script { word: i + 1, via };
            }
            Some(t) if t.starts_with("--call=") => return unknown(via, "--call=…"),
            _ => {}
        }
    }
    command_after(argv, stop, via)
}

/// ssh's options. A value known only at run time is taken for those that name a port, a
/// user, a key file, a socket, a forwarding or the like; not for `-F` (a config file, which
/// can hold a `ProxyCommand`), `-I` (a library ssh loads), `-J` (ssh writes the jump host
/// into a command it runs through the shell), `-E` (a file ssh appends to), `-O` (a control
/// command) or `-o` other than with a literal key from [`SSH_INERT_KEYS`] (`-o
/// ProxyCommand=…` runs a command).
fn ssh_grammar() -> Grammar {
    Grammar {
        short_arg: "BbcDEeFIiJLlmOoPpQRSWw",
        short_flag: "46AaCfGgKkMNnqsTtVvXxYy",
        inert: Some(|name, value| match name {
            "o" => {
                let v = value.trim_start_matches(['"', '\'']);
                let key_len = v.bytes().take_while(u8::is_ascii_alphabetic).count();
                matches!(v.as_bytes().get(key_len), Some(b'=' | b' ' | b'\t'))
                    && SSH_INERT_KEYS
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(&v[..key_len]))
            }
            _ => "BbcDeiLlmpQRSWw".contains(name),
        }),
        ..Grammar::default()
    }
}

/// ssh's options, which it reads after the host too (`ssh h -L 1:x:2 -N`, as OpenSSH does
/// unless `--` came before the host), with `operand` at the host; and where the remote
/// command starts (past the end when there is none).
fn ssh_options(argv: &[Word]) -> Result<(Opts<'_>, usize), Runs> {
    let g = ssh_grammar();
    let mut o = options(argv, 1, &g, "ssh")?;
    let host = o.operand;
    // (`operand` is past the end when the last option lacks its value: `ssh -p`.)
    let terminated = host > 1 && argv.get(host - 1).is_some_and(|w| w.text == "--");
    if host + 1 >= argv.len() || terminated {
        return Ok((o, host + 1));
    }
    let again = options(argv, host + 1, &g, "ssh")?;
    o.seen.extend(again.seen);
    Ok((o, again.operand))
}

/// `ssh -o` keys whose value neither runs a command nor loads code.
const SSH_INERT_KEYS: &[&str] = &[
    "AddressFamily",
    "BatchMode",
    "BindAddress",
    "CertificateFile",
    "CheckHostIP",
    "Compression",
    "ConnectionAttempts",
    "ConnectTimeout",
    "ControlMaster",
    "ControlPath",
    "ControlPersist",
    "GlobalKnownHostsFile",
    "HostKeyAlias",
    "HostName",
    "IdentitiesOnly",
    "IdentityFile",
    "LogLevel",
    "PasswordAuthentication",
    "Port",
    "PreferredAuthentications",
    "PubkeyAuthentication",
    "ServerAliveCountMax",
    "ServerAliveInterval",
    "StrictHostKeyChecking",
    "TCPKeepAlive",
    "User",
    "UserKnownHostsFile",
];

/// The script is the word after the first `-c`/`--command`, or after a cluster of short
/// flags that ends in the flag's letter (`script -qc S`, `su -lc S`: the callers' option
/// tables have found the flag, so the letters before it take no value); an attached
/// `-cSCRIPT` is opaque.
fn script_after_flag(argv: &[Word], flags: &[&str], via: &'static str) -> Runs {
    // (`su USER -c` is how `via` tells su's user forms apart: messages say `su -c`.)
    let shown = || via.replace(" USER", "");
    let short: SmallVec<[u8; 2]> = flags
        .iter()
        .filter_map(|f| match f.as_bytes() {
            [b'-', c] => Some(*c),
            _ => None,
        })
        .collect();
    for (i, w) in argv.iter().enumerate().skip(1) {
        let t = w.text.as_bytes();
        let cluster = !w.is_dynamic()
            && t.len() > 2
            && t[0] == b'-'
            && t[1..].iter().all(u8::is_ascii_alphabetic)
            && t.last().is_some_and(|c| short.contains(c));
        if flags.contains(&w.text.as_str()) || cluster {
            return Runs::Script { word: i + 1, via };
        }
        if let Some((f, _)) = w.text.split_once('=') {
            if flags.contains(&f) && f.starts_with("--") {
                return Runs::Opaque {
                    kind: OpaqueKind::UnknownOption,
                    message: format!("`{f}=…` script for `{}`: not split out, review it", shown()),
                };
            }
        }
    }
    Runs::Opaque {
        kind: OpaqueKind::UnknownOption,
        message: format!(
            "an attached script for `{}`: not split out, review it",
            shown()
        ),
    }
}

fn su_like(argv: &[Word], name: &str) -> Runs {
    let g = Grammar {
        short_arg: "csgGwu",
        short_flag: "lmpPf",
        long_arg: &[
            "command",
            "session-command",
            "shell",
            "group",
            "supp-group",
            "whitelist-environment",
            "user",
        ],
        long_flag: &[
            "login",
            "preserve-environment",
            "pty",
            "fast",
            "help",
            "version",
        ],
        dash_is_flag: true,
        inert: Some(|name, _| !matches!(name, "c" | "command" | "session-command" | "s" | "shell")),
        ..Grammar::default()
    };
    let via: &'static str = match name {
        "su" => "su -c",
        "runuser" => "runuser",
        _ => "sg",
    };
    if name == "sg" {
        // sg [-] group [-c] command
        let mut i = 1;
        if argv.get(i).is_some_and(|w| w.text == "-") {
            i += 1;
        }
        i += 1;
        if argv.get(i).is_some_and(|w| w.text == "-c") {
            i += 1;
        }
        return if i < argv.len() {
            Runs::Script { word: i, via }
        } else {
            Runs::Nothing
        };
    }
    // su permutes its arguments: options may follow the user name (`su -c 'x' postgres`),
    // so the whole line is read before the script is taken.
    let mut i = 1;
    let mut user: Option<&str> = None;
    let mut script = false;
    while i < argv.len() {
        let o = opts!(argv, i, &g, name);
        script |= o.has(&["c", "command", "session-command"]);
        if name == "runuser" && o.has(&["u", "user"]) {
            return argv_from(o.operand, argv, "runuser -u");
        }
        if o.operand >= argv.len() || user.is_some() {
            break;
        }
        user = Some(argv[o.operand].text.as_str());
        i = o.operand + 1;
    }
    if !script {
        return Runs::Nothing;
    }
    // `su postgres -c …` runs as postgres, not as root.
    let via = match via {
        "su -c" if user.is_some_and(|u| !is_root(u)) => "su USER -c",
        v => v,
    };
    script_after_flag(argv, &["-c", "--command", "--session-command"], via)
}

fn xargs(argv: &[Word]) -> Runs {
    let g = Grammar {
        short_arg: "adEILnPs",
        short_opt_arg: "eil",
        short_flag: "0oprtx",
        long_arg: &[
            "arg-file",
            "delimiter",
            "max-args",
            "max-procs",
            "max-chars",
            "process-slot-var",
        ],
        long_flag: &[
            "null",
            "interactive",
            "no-run-if-empty",
            "verbose",
            "exit",
            "open-tty",
            "show-limits",
            "help",
            "version",
            "eof",
            "replace",
            "max-lines",
        ],
        inert: Some(|name, _| !matches!(name, "I" | "replace")),
        ..Grammar::default()
    };
    let o = opts!(argv, 1, &g, "xargs");
    let runtime = o
        .value(&["I", "replace"])
        .map(CompactString::from)
        .or_else(|| {
            o.has(&["i"])
                .then(|| CompactString::from(o.value(&["i"]).unwrap_or("{}")))
        });
    if o.operand >= argv.len() {
        return Runs::Nothing;
    }
    Runs::Argv {
        start: o.operand,
        end: argv.len(),
        assigns: Vec::new(),
        open_args: true,
        runtime,
        append: Vec::new(),
        via: "xargs",
    }
}

/// A shell command given to tmux as operands `argv[start..end]`: one word is a
/// script run by the shell, several are a command and its arguments.
fn shell_command(start: usize, end: usize, via: &'static str) -> Runs {
    match end.saturating_sub(start) {
        0 => Runs::Nothing,
        1 => Runs::Script { word: start, via },
        _ => Runs::Argv {
            start,
            end,
            assigns: Vec::new(),
            open_args: false,
            runtime: None,
            append: Vec::new(),
            via,
        },
    }
}

/// tmux: `-c CMD` runs a shell command; its commands (separated by `;` words) that run one
/// are read (`new-session`, `new-window`, `split-window`, `respawn-*`, `run-shell`,
/// `pipe-pane`, `display-popup`, `if-shell`'s test) and the keys `send-keys` types into a
/// pane are read as a script. Any other tmux command runs none.
fn tmux(argv: &[Word]) -> Runs {
    let g = Grammar {
        short_arg: "cfLST",
        short_flag: "2CDlNuvV",
        inert: Some(|name, _| name != "c"),
        ..Grammar::default()
    };
    let o = opts!(argv, 1, &g, "tmux");
    if o.has(&["c"]) {
        return match argv[1..o.operand.min(argv.len())]
            .iter()
            .position(|w| w.text == "-c")
        {
            Some(k) => Runs::Script {
                word: k + 2,
                via: "tmux",
            },
            None => Runs::Opaque {
                kind: OpaqueKind::UnknownOption,
                message: "an attached script for `tmux -c`: not split out, review it".into(),
            },
        };
    }
    let mut runs = Vec::new();
    let mut at = o.operand;
    while at < argv.len() {
        let end = argv[at..]
            .iter()
            .position(|w| w.text == ";" || w.text == "\\;")
            .map_or(argv.len(), |k| at + k);
        let r = tmux_command(argv, at, end);
        if matches!(r, Runs::Opaque { .. }) {
            return r;
        }
        if r != Runs::Nothing {
            runs.push(r);
        }
        at = end + 1;
    }
    Runs::from_list(runs)
}

/// One tmux command, `argv[at..end]`.
fn tmux_command(argv: &[Word], at: usize, end: usize) -> Runs {
    let Some(name) = argv[at].literal() else {
        return dynamic_opt("tmux", &argv[at]);
    };
    let (short_flag, short_arg): (&'static str, &'static str) = match name {
        "new-session" | "new" => ("AdDEPX", "cefFnstxy"),
        "new-window" | "neww" => ("abdkPS", "cefFnt"),
        "split-window" | "splitw" => ("bdfhIvPZ", "celFpt"),
        "respawn-pane" | "respawnp" | "respawn-window" | "respawnw" => ("k", "cet"),
        "run-shell" | "run" => ("bC", "cdt"),
        "pipe-pane" | "pipep" => ("IOo", "t"),
        "display-popup" | "popup" => ("BCEkN", "bcdehsStTwxy"),
        "if-shell" | "if" => ("bF", "t"),
        "send-keys" | "send" => ("FHKlMRX", "Nt"),
        _ => return Runs::Nothing,
    };
    let g = Grammar {
        short_arg,
        short_flag,
        inert: Some(values_inert),
        ..Grammar::default()
    };
    let words = &argv[..end];
    let o = opts!(words, at + 1, &g, "tmux");
    let via = "tmux";
    match name {
        // The test is a shell command; the commands after it are tmux's.
        "if-shell" | "if" if o.has(&["F"]) => Runs::Nothing,
        "if-shell" | "if" => shell_command(o.operand, (o.operand + 1).min(end), via),
        "run-shell" | "run" if o.has(&["C"]) => Runs::Nothing,
        "send-keys" | "send" if o.has(&["X"]) => Runs::Nothing,
        "send-keys" | "send" => {
            // What is typed: every word but the names of keys (`Enter`, `C-c`, `M-x`).
            let literal = o.has(&["l"]);
            let typed: Vec<Runs> = (o.operand..end)
                .filter(|&k| literal || !tmux_key_name(&words[k].text))
                .map(|word| Runs::Script { word, via })
                .collect();
            match typed.len() {
                0 => Runs::Nothing,
                _ => Runs::Many(typed),
            }
        }
        _ => shell_command(o.operand, end, via),
    }
}

/// A key name `send-keys` presses rather than types.
fn tmux_key_name(t: &str) -> bool {
    let b = t.as_bytes();
    (b.len() >= 3 && matches!(b[0], b'C' | b'M' | b'S') && b[1] == b'-')
        || matches!(
            t,
            "Enter"
                | "Escape"
                | "Tab"
                | "BTab"
                | "Space"
                | "BSpace"
                | "Up"
                | "Down"
                | "Left"
                | "Right"
                | "Home"
                | "End"
                | "PageUp"
                | "PageDown"
                | "PgUp"
                | "PgDn"
                | "NPage"
                | "PPage"
                | "IC"
                | "DC"
                | "KPEnter"
                | "Any"
        )
        || (b.len() >= 2 && b[0] == b'F' && b[1..].iter().all(u8::is_ascii_digit))
}

/// GNU screen: `screen [options] [command [args]]` starts a window running the command;
/// `-X` sends the rest as screen commands to a session (`screen` and `exec` start a command;
/// `stuff` types text into a window, which is not read, so it goes to review). Listing,
/// attaching and wiping run nothing.
fn screen(argv: &[Word]) -> Runs {
    if argv[1..].iter().any(|w| {
        matches!(
            w.text.as_str(),
            "-ls" | "-list" | "-wipe" | "-v" | "-version"
        )
    }) {
        return Runs::Nothing;
    }
    let g = Grammar {
        short_arg: "cehpSstTX",
        short_flag: "aAdDrRmxqUlOiLf",
        long_flag: &["help", "version"],
        inert: Some(|name, _| name != "X"),
        ..Grammar::default()
    };
    // `-Logfile FILE` and `-fn`/`-fa`/`-ln` are screen's multi-letter options: the walk
    // reads the other words, and its operand is mapped back to `argv`.
    let mut keep: Vec<usize> = vec![0];
    let mut k = 1;
    while k < argv.len() {
        match argv[k].text.as_str() {
            "-Logfile" => k += 2,
            "-fn" | "-fa" | "-ln" => k += 1,
            t if !t.starts_with('-') => {
                keep.extend(k..argv.len());
                break;
            }
            _ => {
                keep.push(k);
                k += 1;
            }
        }
    }
    let words: Vec<Word> = keep.iter().map(|&k| argv[k].clone()).collect();
    let o = opts!(&words, 1, &g, "screen");
    let operand = keep.get(o.operand).copied().unwrap_or(argv.len());
    let from = 1;
    let o = Opts {
        seen: o.seen,
        operand,
    };
    if let Some(k) = argv[from..o.operand].iter().position(|w| w.text == "-X") {
        // `-X` takes the rest: a screen command and its arguments.
        let at = from + k + 1;
        return match argv.get(at).map(|w| w.text.as_str()) {
            Some("screen") => {
                let g = Grammar {
                    short_arg: "hLtT",
                    short_flag: "alO",
                    inert: Some(values_inert),
                    ..Grammar::default()
                };
                let o = opts!(argv, at + 1, &g, "screen -X screen");
                argv_from(o.operand, argv, "screen")
            }
            Some("exec") => argv_from(at + 1, argv, "screen"),
            Some("stuff") => Runs::Opaque {
                kind: OpaqueKind::DynamicScript,
                message: "text typed into a screen session by `screen -X stuff` is not read".into(),
            },
            _ => Runs::Nothing,
        };
    }
    if o.has(&["r", "x"]) && !o.has(&["R", "D", "d", "m"]) {
        return Runs::Nothing;
    }
    argv_from(o.operand, argv, "screen")
}

/// GNU parallel: `parallel [options] command [args] ::: values …` runs the command once for
/// each value (appended, or put where `{}` stands), read here as one command with every
/// value appended; without `:::` the values come from standard input or `::::` files at run
/// time. With no command, each value after `:::` is a command line of its own.
fn parallel(argv: &[Word]) -> Runs {
    let g = Grammar {
        short_arg: "adEIjLlNnPSsCMx",
        short_opt_arg: "ei",
        short_flag: "0gkmqrtuvXZ",
        long_arg: &[
            "arg-file",
            "delimiter",
            "eof",
            "replace",
            "jobs",
            "max-lines",
            "max-replace-args",
            "max-args",
            "max-procs",
            "sshlogin",
            "sshloginfile",
            "max-chars",
            "colsep",
            "halt",
            "halt-on-error",
            "joblog",
            "results",
            "tmpdir",
            "workdir",
            "wd",
            "timeout",
            "retries",
            "delay",
            "memfree",
            "load",
            "env",
            "nice",
            "block",
            "block-size",
            "header",
            "tag-string",
            "tagstring",
            "basefile",
            "bf",
            "return",
            "transfer-file",
            "tf",
            "termseq",
        ],
        long_flag: &[
            "null",
            "keep-order",
            "quote",
            "no-run-if-empty",
            "verbose",
            "ungroup",
            "group",
            "line-buffer",
            "lb",
            "tag",
            "progress",
            "bar",
            "eta",
            "dry-run",
            "will-cite",
            "pipe",
            "pipepart",
            "xargs",
            "shuf",
            "trim",
            "cleanup",
            "transfer",
            "files",
            "silent",
            "version",
            "help",
            "citation",
            "round-robin",
            "round",
            "fg",
            "bg",
            "no-notice",
            "plain",
            "tty",
            "linebuffer",
        ],
        ..Grammar::default()
    };
    let o = opts!(argv, 1, &g, "parallel");
    let is_sep = |t: &str| matches!(t, ":::" | "::::" | ":::+" | "::::+");
    // (Past the end when the last option lacks its value: `parallel -j`.)
    let start = o.operand.min(argv.len());
    let end = argv[start..]
        .iter()
        .position(|w| is_sep(&w.text))
        .map_or(argv.len(), |k| start + k);
    // The values after each `:::`; a `::::` names files whose lines are read at run time.
    let mut append = Vec::new();
    let mut from_files = end == argv.len();
    let mut sep = "";
    for (k, w) in argv.iter().enumerate().skip(end) {
        if is_sep(&w.text) {
            sep = w.text.as_str();
            from_files |= sep.starts_with("::::");
        } else if !sep.starts_with("::::") {
            append.push(k);
        }
    }
    if start == end {
        // No command: each value is a command line (`parallel ::: 'make a' 'make b'`).
        let runs: Vec<Runs> = append
            .into_iter()
            .map(|word| Runs::Script {
                word,
                via: "parallel",
            })
            .collect();
        return match runs.len() {
            0 => Runs::Nothing,
            _ => Runs::Many(runs),
        };
    }
    // One word with spaces is a command line parallel gives to a shell.
    if end == start + 1 && argv[start].text.contains([' ', ';', '|', '&']) {
        return Runs::Script {
            word: start,
            via: "parallel",
        };
    }
    let runtime = o
        .value(&["I", "replace"])
        .map_or(CompactString::const_new("{"), CompactString::from);
    Runs::Argv {
        start,
        end,
        assigns: Vec::new(),
        open_args: from_files,
        runtime: Some(runtime),
        append,
        via: "parallel",
    }
}

fn find(argv: &[Word]) -> Runs {
    // Most commands have one `-exec`: it is kept here, and a list is made for a second.
    let mut one: Option<Runs> = None;
    let mut runs = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let t = argv[i].text.as_str();
        let b = t.as_bytes();
        let maybe = b.len() >= 3 && b[0] == b'-' && (b[1] == b'e' || b[1] == b'o');
        if maybe && matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir") {
            let start = i + 1;
            let mut j = start;
            while j < argv.len()
                && !(argv[j].text == ";" || (argv[j].text == "+" && argv[j - 1].text == "{}"))
            {
                j += 1;
            }
            // Without a closing `;` or `+` find refuses to run; the words are still shown
            // as the command they name, so deny rules see them.
            let open_args = j >= argv.len() || argv[j].text == "+";
            if j > start {
                runs.extend(one.take());
                let this = Runs::Argv {
                    start,
                    end: j,
                    assigns: Vec::new(),
                    open_args,
                    runtime: Some(CompactString::const_new("{}")),
                    append: Vec::new(),
                    via: "find -exec",
                };
                if runs.is_empty() {
                    one = Some(this);
                } else {
                    runs.push(this);
                }
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    match one {
        Some(r) => r,
        None if runs.is_empty() => Runs::Nothing,
        None => Runs::Many(runs),
    }
}

fn shell(argv: &[Word], name: &str) -> Runs {
    let mut i = 1;
    let mut cmd_mode = false;
    while i < argv.len() {
        let w = &argv[i];
        if w.is_dynamic() {
            if w.text.starts_with('-') || w.text.starts_with('+') {
                return dynamic_opt(name, w);
            }
            break;
        }
        let t = w.text.as_str();
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            match long {
                "rcfile" | "init-file" => i += 1,
                "login" | "norc" | "noprofile" | "posix" | "noediting" | "restricted"
                | "verbose" | "debugger" | "dump-strings" | "dump-po-strings" | "help"
                | "version" | "pretty-print" => {}
                _ => return unknown(name, t),
            }
            if long == "posix" {
                return Runs::Opaque {
                    kind: OpaqueKind::ShellOption,
                    message: format!("`{name} --posix` changes how the script is read"),
                };
            }
            i += 1;
            continue;
        }
        if !(t.starts_with('-') || t.starts_with('+')) || t.len() < 2 {
            break;
        }
        let mut takes = 0;
        for c in t[1..].chars() {
            match c {
                'c' => cmd_mode = true,
                'o' | 'O' => takes += 1,
                c if c.is_ascii_alphabetic() => {}
                _ => return unknown(name, t),
            }
            if c == 'O' {
                return Runs::Opaque {
                    kind: OpaqueKind::ShellOption,
                    message: format!(
                        "`{name} {t}` sets a shell option that changes how the script is read"
                    ),
                };
            }
        }
        for k in 0..takes {
            if let Some(v) = argv.get(i + 1 + k) {
                if matches!(v.text.as_str(), "posix" | "keyword") || v.is_dynamic() {
                    return Runs::Opaque {
                        kind: OpaqueKind::ShellOption,
                        message: format!("`{name} -o {}` changes how the script is read", v.text),
                    };
                }
            }
        }
        i += 1 + takes;
    }
    if cmd_mode && i < argv.len() {
        Runs::Script {
            word: i,
            via: "sh -c",
        }
    } else {
        Runs::Nothing
    }
}

fn kubectl(argv: &[Word]) -> Runs {
    // `oc rsh [options] POD [cmd …]`: a remote shell in the pod, or the command given.
    if argv.get(1).and_then(Word::literal) == Some("rsh") {
        let g = Grammar {
            short_arg: "cfn",
            short_flag: "tTq",
            long_arg: &["container", "filename", "shell", "timeout", "namespace"],
            long_flag: &["tty", "no-tty", "quiet"],
            inert: Some(values_inert),
            ..Grammar::default()
        };
        let o = opts!(argv, 2, &g, "oc rsh");
        return argv_from(o.operand + 1, argv, "oc rsh");
    }
    let dashdash = argv.iter().position(|w| w.text == "--" && !w.is_dynamic());
    let sub = argv[1..dashdash.unwrap_or(argv.len())]
        .iter()
        .any(|w| matches!(w.text.as_str(), "exec" | "debug" | "run" | "attach"));
    match dashdash {
        Some(d) if sub => argv_from(d + 1, argv, "kubectl exec"),
        _ => Runs::Nothing,
    }
}

fn docker(argv: &[Word], name: &str) -> Runs {
    let compose_bin = name.ends_with("-compose");
    let mut i = 1;
    let mut compose = compose_bin;
    // Global options, then `exec`, `container exec` or `compose exec`.
    while i < argv.len() {
        let t = argv[i].text.as_str();
        if argv[i].is_dynamic() {
            return Runs::Nothing;
        }
        match t {
            "-H"
            | "--host"
            | "--context"
            | "-c"
            | "--config"
            | "-l"
            | "--log-level"
            | "--tlscacert"
            | "--tlscert"
            | "--tlskey"
            | "-f"
            | "--file"
            | "-p"
            | "--project-name"
            | "--profile"
            | "--env-file"
            | "--project-directory"
            | "--ansi"
            | "--progress" => i += 2,
            "container" => i += 1,
            "compose" => {
                compose = true;
                i += 1;
            }
            "exec" => break,
            t if t.starts_with('-') => i += 1,
            _ => return Runs::Nothing,
        }
    }
    if i >= argv.len() {
        return Runs::Nothing;
    }
    let g = if compose {
        Grammar {
            short_arg: "euw",
            short_flag: "dT",
            long_arg: &["env", "user", "workdir", "index"],
            long_flag: &[
                "detach",
                "privileged",
                "no-TTY",
                "no-tty",
                "interactive",
                "tty",
            ],
            inert: Some(values_inert),
            ..Grammar::default()
        }
    } else {
        Grammar {
            short_arg: "euw",
            short_flag: "dit",
            long_arg: &["env", "env-file", "user", "workdir", "detach-keys"],
            long_flag: &["detach", "interactive", "tty", "privileged"],
            inert: Some(values_inert),
            ..Grammar::default()
        }
    };
    let o = opts!(argv, i + 1, &g, name);
    argv_from(
        o.operand + 1,
        argv,
        if compose {
            "docker compose exec"
        } else {
            "docker exec"
        },
    )
}

/// The index in `argv` of the script string a shell runs (`bash -c S`, `bash -ec S`, `sh -o
/// errexit -c S`), read as the parser reads it; `None` when the words are not a shell given
/// `-c`, or its options cannot be read.
pub(crate) fn shell_script_word(argv: &[Word]) -> Option<usize> {
    match analyze(argv) {
        Runs::Script { word, via: "sh -c" } => Some(word),
        _ => None,
    }
}

/// The commands ssh's options `ProxyCommand` and `LocalCommand` (`-o NAME=CMD`, `-o 'NAME
/// CMD'`, `-oNAME=CMD`; the name in any case) run on this machine, as script slices of the
/// option words (`ssh -o ProxyCommand='nc %h %p' host`). `words` are ssh's words before the
/// host.
#[cold]
fn ssh_local_commands(words: &[Word]) -> Vec<Runs> {
    let mut out = Vec::new();
    for (k, w) in words.iter().enumerate() {
        let at = if w.text.starts_with("-o") && w.text.len() > 2 {
            2
        } else if k > 0 && words[k - 1].text == "-o" {
            0
        } else {
            continue;
        };
        if w.is_dynamic() {
            continue;
        }
        let t = &w.text[at..];
        let Some(sep) = t.find(['=', ' ']) else {
            continue;
        };
        let name = &t[..sep];
        if !(name.eq_ignore_ascii_case("proxycommand") || name.eq_ignore_ascii_case("localcommand"))
        {
            continue;
        }
        let value = &t[sep + 1..];
        let start = at + sep + 1 + (value.len() - value.trim_start().len());
        if start < w.text.len() && !value.trim().eq_ignore_ascii_case("none") {
            out.push(Runs::ScriptSlice {
                word: k,
                start,
                end: w.text.len(),
                via: "ssh ProxyCommand",
            });
        }
    }
    out
}

/// When these words run a shell, `ssh` or `at` that reads its script from standard input (no
/// `-c`, no script file, no remote command), what to call it.
pub(crate) fn stdin_script(argv: &[Word]) -> Option<&'static str> {
    let name = argv.first().and_then(Word::literal).map(basename)?;
    match name {
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "mksh" | "ash" | "rbash" | "yash" | "posh" => {
            let mut i = 1;
            let mut stdin_flag = false;
            while let Some(w) = argv.get(i) {
                let t = w.text.as_str();
                if w.is_dynamic() {
                    return None;
                }
                if t == "--" || t == "-" {
                    i += 1;
                    break;
                }
                if let Some(long) = t.strip_prefix("--") {
                    if matches!(long, "rcfile" | "init-file") {
                        i += 1;
                    }
                    i += 1;
                    continue;
                }
                if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
                    if t[1..].contains('c') {
                        return None;
                    }
                    stdin_flag |= t[1..].contains('s');
                    i += 1 + t[1..].matches(['o', 'O']).count();
                    continue;
                }
                break;
            }
            // With `-s` the operands are the script's arguments; without, the first is a file
            // (standard input itself when it is `/dev/stdin`).
            let file_is_stdin = argv.get(i).is_some_and(|w| {
                matches!(
                    w.text.as_str(),
                    "/dev/stdin" | "/proc/self/fd/0" | "/dev/fd/0"
                )
            });
            (stdin_flag || i >= argv.len() || file_is_stdin).then_some("sh <<")
        }
        // `. /dev/stdin` and `source /dev/stdin` read their script from standard input.
        "." | "source" => matches!(
            argv.get(1).map(|w| w.text.as_str()),
            Some("/dev/stdin" | "/proc/self/fd/0" | "/dev/fd/0")
        )
        .then_some("source <<"),
        // `at` and `batch` read the commands they queue from standard input, unless given a
        // file (`-f`) or asked to list, show or remove jobs.
        "at" | "batch" => {
            let reads_file = argv[1..].iter().any(|w| {
                let t = w.text.as_bytes();
                w.is_dynamic()
                    || (t.len() > 1
                        && t[0] == b'-'
                        && t[1..]
                            .iter()
                            .any(|c| matches!(c, b'f' | b'l' | b'd' | b'r' | b'c' | b'V')))
            });
            (!reads_file).then_some(if name == "at" { "at <<" } else { "batch <<" })
        }
        "ssh" => match analyze(argv) {
            Runs::Nothing => {
                let (o, _) = ssh_options(argv).ok()?;
                (o.operand < argv.len() && !o.has(&["N", "W"])).then_some("ssh <<")
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{NAMES, may_be_named};

    /// The names in the arms of `analyze`'s `match`, read from this file.
    fn arm_names() -> Vec<&'static str> {
        crate::parse::arms::arm_names(
            include_str!("wrappers.rs"),
            "pub(crate) fn analyze",
            8,
            "\n}\n",
        )
    }

    /// The filter in front of the `match` lets every name of its arms through, alone and as
    /// the last component of a path: an arm added without its name in `NAMES` fails here.
    #[test]
    fn filter_passes_every_arm() {
        let arms = arm_names();
        assert!(arms.len() >= 40, "read only {} arm names", arms.len());
        for n in &arms {
            assert!(NAMES.contains(n), "`{n}` has an arm but is not in NAMES");
            assert!(
                may_be_named(n) && may_be_named(&format!("/usr/bin/{n}")),
                "{n}"
            );
        }
        for n in NAMES {
            assert!(arms.contains(n), "`{n}` is in NAMES but has no arm");
        }
        // Most commands are turned away by it.
        let common = [
            "ls", "grep", "cat", "echo", "rm", "cp", "mv", "mkdir", "tar", "git",
        ];
        assert!(common.iter().filter(|n| may_be_named(n)).count() <= 2);
    }
}
