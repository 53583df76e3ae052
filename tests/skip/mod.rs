//! Tests that cannot run here say so in one of two ways.
//!
//! - A tool or a right the test needs is not on this machine (cargo-lambda, boto3, podman,
//!   musl's headers, root for a chroot, an IPv6 loopback). Such a test is **ignored**, and
//!   cargo's summary counts it and prints the reason: `build.rs` looks for the tools when the
//!   tests are built (`tools.rs`, which lists them) and sets a `missing = "NAME"` cfg for each
//!   one it lacks; the test carries
//!   `#[cfg_attr(missing = "NAME", ignore = "... (how to install it)")]`. The test itself
//!   still checks at run time and calls [`missing`] when the tool is not there (run with
//!   `--include-ignored`, or a tool removed since the build): it then passes with
//!   `SKIPPED: ...` on stderr.
//!
//!   Under `LAMBDA_BOOTSTRAP_NO_SKIP=1`, which `.ci/run` sets, nothing is ignored for want of
//!   a tool and [`missing`] fails the test: a green CI means every test ran.
//!   The build looks again when `PATH` or that variable changes; after installing a tool into
//!   a directory already on `PATH`, `touch build.rs` to have it seen.
//! - [`not_applicable`]: the test does not apply to this build at all (an arm64 build run
//!   under qemu, where the emulator is in the way, or C handlers, which musl-gcc builds for
//!   x86_64 only). It passes with `NOT APPLICABLE: ...` everywhere; the x86_64 run covers it.

/// Skips a test for want of `what`, or fails it under `LAMBDA_BOOTSTRAP_NO_SKIP=1`.
pub fn missing(what: &str) {
    let strict = std::env::var_os("LAMBDA_BOOTSTRAP_NO_SKIP").is_some_and(|v| v != "0");
    assert!(
        !strict,
        "LAMBDA_BOOTSTRAP_NO_SKIP is set, and this test cannot run: {what}"
    );
    eprintln!("SKIPPED: {what}");
}

/// Says why a test does not apply to this build.
pub fn not_applicable(why: &str) {
    eprintln!("NOT APPLICABLE: {why}");
}
