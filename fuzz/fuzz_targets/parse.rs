//! The parser never panics, stays within the input, and reads its own canonical text back
//! to the same argv.
#![no_main]

use expacti_core::parse::{Origin, parse, parse_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 64 * 1024 {
        return;
    }
    let p = parse_bytes(data);
    let Ok(src) = std::str::from_utf8(data) else {
        assert!(p.is_opaque());
        return;
    };
    for part in &p.parts {
        assert!(part.span.1 <= src.len() && part.span.0 <= part.span.1);
        for w in &part.argv {
            assert!(w.span.1 <= src.len());
        }
        // A fully static top-level part, quoted back, parses to the same argv.
        if part.origin == Origin::Top && part.is_static() && part.assignments.is_empty() && !part.argv.is_empty() {
            let canon = part.canonical();
            let q = parse(&canon);
            let first = q.parts.iter().find(|x| x.origin == Origin::Top);
            if let Some(first) = first {
                let a: Vec<&str> = part.argv.iter().map(|w| w.text.as_str()).collect();
                let b: Vec<&str> = first.argv.iter().map(|w| w.text.as_str()).collect();
                assert_eq!(a, b, "canonical {canon:?} of {src:?}");
            } else {
                panic!("canonical {canon:?} of {src:?} has no part");
            }
        }
    }
});
