//! Integration tests of expacti-core, built as one binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod corpus;
mod differential;
mod properties;
mod risk_table;
