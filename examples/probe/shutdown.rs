//! The `probe-shutdown` bootstrap: the probe with a shutdown hook, which registers an internal
//! extension with the Runtime API and runs `handler::bye` on SIGTERM.
#![no_std]
#![no_main]

#[path = "handler.rs"]
mod handler;

lambda_bootstrap::main!(
    handler::probe,
    init = handler::init,
    shutdown = handler::bye
);
