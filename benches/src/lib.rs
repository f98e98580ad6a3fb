//! Shared helpers for the benchmarks: loading the corpora.
