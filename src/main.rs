//! The `bootstrap` with the built-in handler: the classic custom-runtime example, which
//! answers `Hello: ` followed by the event.
//!
//! The loop itself is `lambda_bootstrap::runtime::serve` (src/runtime.rs); `main!` defines the
//! process entry point that calls it.
#![no_std]
#![no_main]

use lambda_bootstrap::{Context, Error, Response};

fn hello(_: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
    out.write(b"Hello: ")?;
    out.write(event)?;
    Ok(())
}

lambda_bootstrap::main!(hello);
