//! The expacti client library: the shell protocol's client half ([`run`]). The `expacti`
//! binary's subcommands live in `src/cli/`.
#![deny(missing_docs)]

pub mod run;
