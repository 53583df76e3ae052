//! Tests that cannot run here say so in one of two ways.
//!
//! - [`missing`]: a tool or a right the test needs is not on this machine (podman, musl's
//!   headers, root for a chroot, an IPv6 loopback). It passes with `SKIPPED: ...`, except
//!   under `LAMBDA_BOOTSTRAP_NO_SKIP=1`, which `.ci/run` sets: there it fails, so that a green
//!   CI means every test ran.
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
