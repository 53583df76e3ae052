//! The `bootstrap`. By default its handler is the classic custom-runtime example, which
//! answers `Hello: ` followed by the event. Built with `LAMBDA_HANDLER` set (see build.rs),
//! it calls the C-ABI `handler` (and `handler_init`, if defined) linked in from that file;
//! with `LAMBDA_ISOLATE=1` too, each invocation runs in a child forked for it.
//!
//! The loop itself is in `lambda_bootstrap::runtime` (src/runtime/mod.rs); `main!` defines the
//! process entry point, which calls `lambda_bootstrap::runtime::main`.
#![no_std]
#![no_main]

#[cfg(not(external_handler))]
mod hello {
    use lambda_bootstrap::{Context, Error, Response};

    pub fn hello(_: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
        out.write(b"Hello: ")?;
        out.write(event)?;
        Ok(())
    }
}

#[cfg(not(external_handler))]
lambda_bootstrap::main!(hello::hello);

#[cfg(all(external_handler, not(external_handler_init), not(isolated)))]
lambda_bootstrap::main!(extern handler);

#[cfg(all(external_handler, external_handler_init, not(isolated)))]
lambda_bootstrap::main!(extern handler, init = handler_init);

#[cfg(all(external_handler, not(external_handler_init), isolated))]
lambda_bootstrap::main!(isolated extern handler);

#[cfg(all(external_handler, external_handler_init, isolated))]
lambda_bootstrap::main!(isolated extern handler, init = handler_init);
