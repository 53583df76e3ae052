//! A bootstrap whose handler answers the event unchanged: the benchmark's echo function.
#![no_std]
#![no_main]

use lambda_bootstrap::{Context, Error, Response};

fn echo(_: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
    out.write(event)?;
    Ok(())
}

lambda_bootstrap::main!(echo);
