//! The `probe-isolated` bootstrap: the probe with each invocation in a forked child.
#![no_std]
#![no_main]

#[path = "handler.rs"]
mod handler;

lambda_bootstrap::main!(isolated handler::probe, init = handler::init);
