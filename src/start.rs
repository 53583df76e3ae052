//! Start-up: the process's `main`, which chooses the mode. The top of the crate, above every
//! mode: `--invoke` (`runtime::once`), local mode (`local`, without
//! `AWS_LAMBDA_RUNTIME_API`) or the Runtime API loop (`runtime`).

use core::ffi::{CStr, c_char, c_int};

use crate::abi::handler::{HandlerFn, InitFn, ShutdownFn};
use crate::abi::stream::{Nowhere, Route, Routes, Sink};
use crate::runtime::invoke::{Destination, ToApi};
use crate::runtime::once::Stdout;
#[cfg(feature = "local-mode")]
use crate::runtime::trace_env::TraceEnv;
use crate::runtime::{self, Buffers};
use crate::sys;
#[cfg(not(feature = "local-mode"))]
use crate::sys::log;
use crate::sys::static_buf::StaticCell;

/// All the runtime's memory, lent out by mode. It sits in `.bss`; only touched pages become
/// resident.
static BUFFERS: StaticCell<Buffers> = StaticCell::new(Buffers::new());

/// The bootstrap's `main`, called by [`crate::main!`]: chooses the mode. Returns the exit
/// status.
///
/// # Safety
/// `argv` must be the `argc` C strings that the C runtime passed to `main`.
/// `HOOK`: whether `shutdown` is given; a constant, so bootstraps without a hook carry none
/// of its code.
pub unsafe fn main<const ISOLATE: bool, const HOOK: bool>(
    argc: c_int,
    argv: *const *const c_char,
    handler: HandlerFn,
    init: Option<InitFn>,
    shutdown: Option<ShutdownFn>,
) -> c_int {
    // First: until then a socket could become stderr (see `sys::std_fds`).
    if !sys::std_fds::open_closed() {
        return 1;
    }
    let Some(buffers) = BUFFERS.take() else {
        return 1;
    };
    // SAFETY: as this function's contract.
    unsafe { sys::set_args(argc, argv) };
    let Buffers {
        receive,
        answer,
        trace_entry,
        environment,
    } = buffers;
    if sys::arg(1).is_some_and(|a| a.to_bytes() == b"--invoke") {
        return runtime::once::invoke_once(
            sys::arg(2).map(CStr::to_bytes),
            handler,
            init,
            receive,
            answer,
        );
    }
    // Empty is unset, as in AWS's images, whose entry point starts the emulator then.
    let address = sys::env::var(c"AWS_LAMBDA_RUNTIME_API").filter(|a| !a.is_empty());
    #[cfg(not(feature = "local-mode"))]
    if address.is_none() {
        log::text(b"AWS_LAMBDA_RUNTIME_API is not set: run me on Lambda, or try `bootstrap --invoke EVENT`");
        return 1;
    }
    #[cfg(feature = "local-mode")]
    if address.is_none() {
        // Local mode: serve the emulator's invoke endpoint ourselves.
        let mut trace = TraceEnv::new(trace_entry, environment);
        return crate::local::serve::<ISOLATE, HOOK>(
            handler, init, shutdown, receive, answer, &mut trace,
        );
    }
    // Set: local mode (or the refusal without it) took the unset case above.
    runtime::serve_api::<ISOLATE, HOOK>(
        address.unwrap_or_default(),
        handler,
        init,
        shutdown,
        receive,
        answer,
        trace_entry,
        environment,
    )
}

/// The sink of a streamed response: its destination, found again from the route the stream
/// was given (see `abi::stream::Route`). Declared in `abi::stream`, implemented here, where
/// every destination is known; only [`Stream::write`](crate::abi::stream::Stream::write)
/// reaches it, so a bootstrap whose handler never streams links no destination's streaming
/// code.
impl Routes for Route {
    fn sink(route: Route, dest: *mut ()) -> *mut dyn Sink {
        match route {
            <ToApi<'static> as Destination>::ROUTE => {
                dest.cast::<ToApi<'static>>() as *mut dyn Sink
            }
            <Stdout as Destination>::ROUTE => dest.cast::<Stdout>() as *mut dyn Sink,
            #[cfg(feature = "local-mode")]
            <crate::local::Answer as Destination>::ROUTE => {
                dest.cast::<crate::local::Answer>() as *mut dyn Sink
            }
            // No destination has another route; a stream to nowhere breaks at its first write.
            _ => core::ptr::NonNull::<Nowhere>::dangling().as_ptr() as *mut dyn Sink,
        }
    }
}
