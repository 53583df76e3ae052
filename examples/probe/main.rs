//! The `probe` bootstrap: the integration tests' handler (see handler.rs).
#![no_std]
#![no_main]

mod handler;

lambda_bootstrap::main!(handler::probe, init = handler::init);
