//! The integration tests, one test binary for all of them. Each module drives the real built
//! binaries (`bootstrap` and the example bins) or a crate built as a user builds it; `support`
//! holds the fake Runtime API, the process guards and the local-mode client they share.
//!
//! One binary rather than a file per binary: each test binary is a fat-LTO link of std and
//! the support code, which took about 14 s of CPU per file and most of `cargo test`'s build.
//! Run one part with a filter: `cargo test --release --test integration local::`.

mod sizes;
mod support;

mod binary;
mod cargo_lambda;
mod closed_stdio;
mod concurrency;
mod exec;
mod faults;
mod fuzz_corpus;
mod handlers;
mod isolation;
mod layers;
mod local;
mod logging;
mod package;
mod properties;
mod runtime_api;
mod sdk;
mod shutdown;
mod soak;
mod std_mode;
mod streaming;
mod template;
mod typed;
