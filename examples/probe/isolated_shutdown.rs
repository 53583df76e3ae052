//! The `probe-isolated-shutdown` bootstrap: the probe with each invocation in a forked child
//! and a shutdown hook, which runs in the process that forks them (tests/shutdown.rs).
#![no_std]
#![no_main]

#[path = "handler.rs"]
mod handler;

lambda_bootstrap::main!(isolated handler::probe, init = handler::init, shutdown = handler::bye);
