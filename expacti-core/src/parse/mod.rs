//! Reading a command line the way bash does, into the parts that can run.
//!
//! See [`parse`]. The grammar covers lists, pipelines, groups, subshells, control flow,
//! every quoting and substitution form, redirections and here-documents; wrappers
//! (`sudo`, `env`, `xargs`, `find -exec`, …) and script strings (`bash -c`, `eval`,
//! `ssh host …`) contribute the commands they run as parts of their own.

pub(crate) mod brace;
mod parser;
pub mod quote;
mod types;
mod wrappers;

pub(crate) use parser::printed_escapes_with_nul;
pub use parser::{Limits, parse, parse_bytes, parse_with};
pub use types::{
    Fd, Heredoc, Opaque, OpaqueKind, Origin, Parsed, Part, Redirect, RedirectOp, Span, Word,
    WordFlags, basename,
};
pub(crate) use wrappers::shell_script_word;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod arms {
    /// The strings that lead the arms of the `match` in `func` (found in `src`, a source file
    /// read with `include_str!`, up to the line `end` that closes the function): lines indented
    /// by `indent` spaces that start with a string, their alternatives split at `|`, a guard
    /// (` if …`) cut off. Tests use it to check a filter's name list against the `match` it
    /// stands in front of.
    pub(crate) fn arm_names<'s>(
        src: &'s str,
        func: &str,
        indent: usize,
        end: &str,
    ) -> Vec<&'s str> {
        let at = src.find(func).unwrap_or(0);
        let body = &src[at..];
        let body = &body[..body.find(end).unwrap_or(body.len())];
        let lead = format!("{}\"", " ".repeat(indent));
        let mut out = Vec::new();
        for line in body
            .lines()
            .filter(|l| l.starts_with(&lead) && l.contains("=>"))
        {
            let head = line.split("=>").next().unwrap_or_default();
            let head = head.split(" if ").next().unwrap_or_default();
            for alt in head.split('|') {
                if let Some(n) = alt
                    .trim()
                    .strip_prefix('"')
                    .and_then(|a| a.strip_suffix('"'))
                {
                    out.push(n);
                }
            }
        }
        out
    }
}
