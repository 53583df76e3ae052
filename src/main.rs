//! The `bootstrap`. By default its handler is the classic custom-runtime example, which
//! answers `Hello: ` followed by the event. Built with `LAMBDA_HANDLER` set (see build.rs),
//! it calls the C-ABI `handler` (and `handler_init`, if defined) linked in from that file;
//! with `LAMBDA_ISOLATE=1` too, each invocation runs in a child forked for it.
//!
//! The loop itself is in `lambda_bootstrap::runtime` (src/runtime/mod.rs); `main!` defines the
//! process entry point, which calls `lambda_bootstrap::start::main`.
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

// A C handler: `handler`, and `handler_init` and `handler_shutdown` where it defines them
// (build.rs looks), each invocation in a forked child with `LAMBDA_ISOLATE=1`.
#[cfg(external_handler)]
macro_rules! c_handler {
    ($($isolated:ident)?) => {
        #[cfg(all(not(external_handler_init), not(external_handler_shutdown)))]
        lambda_bootstrap::main!($($isolated)? extern handler);
        #[cfg(all(external_handler_init, not(external_handler_shutdown)))]
        lambda_bootstrap::main!($($isolated)? extern handler, init = handler_init);
        #[cfg(all(not(external_handler_init), external_handler_shutdown))]
        lambda_bootstrap::main!($($isolated)? extern handler, shutdown = handler_shutdown);
        #[cfg(all(external_handler_init, external_handler_shutdown))]
        lambda_bootstrap::main!(
            $($isolated)? extern handler, init = handler_init, shutdown = handler_shutdown
        );
    };
}

#[cfg(all(external_handler, not(isolated)))]
c_handler!();

#[cfg(all(external_handler, isolated))]
c_handler!(isolated);
