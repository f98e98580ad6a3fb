//! expacti-core: the pure, synchronous heart of expacti.
//!
//! Every decision about a command is made here, so the CLI, the server and the Python
//! binding can never disagree. This crate does no I/O, has no async and no mutable global
//! state (the one process-wide value is the compiled built-in risk catalogue, built once and
//! shared read-only by every engine that does not change it).
//!
//! The first stage is [`parse`]: a command line is read the way `bash -c LINE` would read it,
//! without expanding or running anything, into **parts** — every simple command that can run,
//! including those inside substitutions, control flow, wrappers (`sudo`, `xargs`, …) and
//! script strings (`bash -c`, `eval`, `ssh host …`). Whatever the parser does not understand
//! makes the command **opaque**; opaque commands are never allowed.
//!
//! ```
//! let parsed = expacti_core::parse("sudo rm -rf /tmp/x && echo \"$(date)\"");
//! let argvs: Vec<Vec<&str>> = parsed
//!     .parts
//!     .iter()
//!     .map(|p| p.argv.iter().map(|w| w.text.as_str()).collect())
//!     .collect();
//! assert!(argvs.contains(&vec!["rm", "-rf", "/tmp/x"]));
//! assert!(argvs.contains(&vec!["date"]));
//! assert!(!parsed.is_opaque());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod audit;
pub mod mask;
pub mod parse;
pub mod policy;
pub mod protocol;
pub mod risk;
pub mod suggest;

pub use parse::{Parsed, Part, parse};
pub use policy::{Context, Decision, Evaluation, Policy};
pub use risk::{Level, Risk, RiskEngine};
