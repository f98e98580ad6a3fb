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

pub use parser::{Limits, parse, parse_bytes, parse_with};
pub use types::{
    Fd, Heredoc, Opaque, OpaqueKind, Origin, Parsed, Part, Redirect, RedirectOp, Span, Word,
    WordFlags, basename,
};

#[cfg(test)]
mod tests;
