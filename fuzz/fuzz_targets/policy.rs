//! The policy loader never panics on any text, and an error always names a line and column
//! inside the text.
#![no_main]

use expacti_core::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if text.len() > 16 * 1024 {
        return;
    }
    if let Err(e) = Policy::from_toml(text, "fuzz.toml") {
        assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "{e}");
        assert!(e.col >= 1);
    }
});
