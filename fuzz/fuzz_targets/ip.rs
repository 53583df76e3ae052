//! `ip::parse_v4` and `ip::parse_v6` against core's parsers.
//! The check is in `fuzz/checks/mod.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::ip(data));
