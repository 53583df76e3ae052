//! A std bootstrap whose handler answers the event unchanged: examples/echo.rs in std mode
//! (`lambda_bootstrap::run` with a raw handler, in an ordinary `fn main`).
use lambda_bootstrap::{Context, Error, Response};

fn main() {
    lambda_bootstrap::run(
        |_: &Context<'_>, event: &[u8], out: &mut Response<'_>| -> Result<(), Error> {
            out.write(event)?;
            Ok(())
        },
    )
}
