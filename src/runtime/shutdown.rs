//! The shutdown hook (`main!(..., shutdown = bye)`, or a C handler's `handler_shutdown`):
//! run once when SIGTERM or SIGINT asks the process to stop, after any invocation in progress
//! has been answered, then the process exits 0 (docs/shutdown.md).

use core::ffi::c_int;

use crate::abi::handler::ShutdownFn;
use crate::sys::signal;

/// How long the hook may run: Lambda's shutdown phase with an internal extension is 500 ms
/// from SIGTERM, then SIGKILL. The hook is cut off, with a log line, a little before.
pub const HOOK_BUDGET_MS: i64 = 450;

/// Runs `hook`, if any (`HOOK`: whether there is one, a constant that leaves the code out of
/// bootstraps without), cut off after [`HOOK_BUDGET_MS`]. Returns the exit status: 0.
pub fn run<const HOOK: bool>(hook: Option<ShutdownFn>) -> c_int {
    if let (true, Some(hook)) = (HOOK, hook) {
        signal::exit_after_ms(HOOK_BUDGET_MS);
        // SAFETY: the hook is the handler's `handler_shutdown` (or a Rust shim), which takes
        // nothing and may do anything a handler may.
        unsafe { hook() };
    }
    0
}
