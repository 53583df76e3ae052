//! A tiny, allocation-free AWS Lambda custom runtime: the `bootstrap`.
//!
//! The modules are layers; each uses only the ones listed before it (nothing imports upward,
//! and the only import cycle is inside `local`):
//! - [`sys`]: the process and the system (arguments, exit, environment, clocks, descriptors,
//!   the standard descriptors and streams, signals, the log, fork and wait, the statics that
//!   hold the buffers);
//! - [`contract`]: Lambda's contract: limits, error types and header names, stated once;
//! - [`codec`]: sans-IO encodings (numbers, base64, JSON error documents, event streams);
//! - [`http`]: sans-IO HTTP/1.1: head parsing, response heads, chunked bodies;
//! - [`abi`]: the handler ABI: the context, the response buffer and `Error`, streams (which
//!   write to a [`abi::stream::Sink`] of the caller's choosing), the logging API, and the C
//!   functions over them;
//! - [`api`]: the Runtime API client: the endpoint, the socket, one keep-alive connection,
//!   request heads, the API's requests and replies, the internal extension;
//! - [`runtime`]: the loop (`GET /next`, handler, post), one invocation, `--invoke`, panics,
//!   workers, the shutdown hook;
//! - `typed` (feature `json`): typed handlers, `main!(json ...)`: the event deserialized in
//!   place, the result serialized (uses `abi` and `codec` only);
//! - `events` (feature `events`): borrowed types for the events most functions serve, over
//!   `typed`;
//! - `local` (feature `local-mode`, on by default): the built-in emulator, which serves
//!   Lambda's Invoke API when `AWS_LAMBDA_RUNTIME_API` is unset;
//! - [`exec`]: exec mode's handler (`bootstrap-exec`), a program run per invocation;
//! - [`start`]: the process's `main`, which chooses the mode;
//! - `std_mode` (feature `std`): `run` and `run_json`, the same runtime under an
//!   ordinary `fn main`, for handlers that are closures and use any crate.
//!
//! Sans-IO (bytes in, values out, tested without sockets): `codec`, `contract`, `http`,
//! `typed`, `events`, and in `api` the parsers (`endpoint`, `ip`), the request heads
//! (`api::request`) and the capture of `/next`'s headers ([`api::NextHeaders`]). The I/O:
//! `sys`; in `api`, the socket (`api::net`), the connection (`api::client`) and the requests
//! ([`api::RuntimeApi`]); `abi::stream`, which writes through the [`abi::stream::Sink`] it is
//! given and logs; `runtime`; `local`; `exec`'s process handling. The rest of `abi` only
//! hands bytes between the runtime and the handler.
#![cfg_attr(not(test), no_std)]
// Every public item says what it is for; `cargo clippy -- -D warnings` makes a gap an error.
#![warn(missing_docs)]

// Feature `std`: `run` and `run_json` for an ordinary `fn main` (`std_mode`). (Feature
// `alloc` alone links no crate: its allocator is `sys::heap`, over musl's malloc.)
#[cfg(feature = "std")]
extern crate std;

pub mod abi;
pub mod api;
pub mod codec;
pub mod contract;
#[cfg(feature = "events")]
pub mod events;
pub mod exec;
pub mod http;
#[cfg(feature = "local-mode")]
pub mod local;
pub mod runtime;
pub mod start;
#[cfg(feature = "std")]
pub mod std_mode;
pub mod sys;
#[cfg(feature = "json")]
pub mod typed;

pub use abi::context::Context;
pub use abi::handler::{Error, Response, TooLarge};
pub use abi::stream::Broken;
#[cfg(feature = "std")]
pub use std_mode::{Runtime, init, run, run_json};

/// The heap of a `no_std` bootstrap with feature `alloc` (not in tests, whose harness has
/// std's, nor with `std`, whose own is the same `malloc`).
#[cfg(all(feature = "alloc", not(feature = "std"), not(test)))]
#[global_allocator]
static HEAP: sys::heap::Malloc = sys::heap::Malloc;

// The bootstrap is a static musl program: musl's crt starts it and its libc serves C handlers.
// build.rs links libc (after any C handler, which may need it).

/// Defines a bootstrap's entry points around a handler: the C `main` that musl's start-up
/// code calls, the C-ABI shims over a Rust handler (and optional init hook), and the panic
/// handler that posts panics as invocation errors. Use it in a `#![no_std] #![no_main]`
/// binary:
///
/// ```ignore
/// fn handle(ctx: &Context, event: &[u8], out: &mut Response) -> Result<(), Error> { ... }
/// fn init() -> Result<(), Error> { ... }
/// lambda_bootstrap::main!(handle);               // or:
/// lambda_bootstrap::main!(handle, init = init);
/// lambda_bootstrap::main!(handle, init = init, shutdown = bye); // fn bye() { ... }
/// ```
///
/// `shutdown = bye` (in every form, `init` or not) names a hook run once when the execution
/// environment shuts down (SIGTERM), after the invocation in progress: see
/// `runtime::shutdown` and docs/shutdown.md. A C handler's is `void handler_shutdown(void)`.
///
/// For a handler written in another language and linked in (see `include/lambda_bootstrap.h`),
/// name its C symbols: `main!(extern handler)` or `main!(extern handler, init = handler_init)`.
///
/// With feature `json`, `main!(json handle)` (or `json handle, init = init`) takes a typed
/// handler, `fn handle(ctx: &Context, event: E) -> Result<R, Error>`: the event is
/// deserialized into `E`, borrowing from the event buffer, and `R` is written as JSON (see
/// the `typed` module). `main!(json stream handle)` takes
/// `fn handle(ctx: &Context, event: E, out: &mut Response) -> Result<(), Error>`, for a typed
/// event with a written or streamed answer.
///
/// `main!(isolated handle ...)` (or `isolated extern ...`, `isolated json ...`) runs every invocation in a child
/// forked from the initialised process: each starts from the state init left, and a crash
/// fails only its own invocation. It costs a fork per invocation (about 45 µs) and 952 bytes, so it is
/// chosen when building.
#[cfg(not(feature = "std"))]
#[macro_export]
macro_rules! main {
    (isolated json stream $handler:path $(, init = $init:path)? $(, shutdown = $shutdown:path)?) => {
        $crate::main!(@json call_rust_json_stream, $handler, [$($init)?], [$($shutdown)?], true);
    };
    (isolated json $handler:path $(, init = $init:path)? $(, shutdown = $shutdown:path)?) => {
        $crate::main!(@json call_rust_json, $handler, [$($init)?], [$($shutdown)?], true);
    };
    (json stream $handler:path $(, init = $init:path)? $(, shutdown = $shutdown:path)?) => {
        $crate::main!(@json call_rust_json_stream, $handler, [$($init)?], [$($shutdown)?], false);
    };
    (json $handler:path $(, init = $init:path)? $(, shutdown = $shutdown:path)?) => {
        $crate::main!(@json call_rust_json, $handler, [$($init)?], [$($shutdown)?], false);
    };
    (@json $adapter:ident, $handler:path, [], [$($shutdown:path)?], $isolate:expr) => {
        $crate::main!(@json $adapter, $handler, [$crate::abi::handler::no_init], [$($shutdown)?], $isolate);
    };
    (@json $adapter:ident, $handler:path, [$init:path], [$($shutdown:path)?], $isolate:expr) => {
        unsafe extern "C" fn __lambda_bootstrap_handler(
            context: *const $crate::abi::context::RawContext,
            event: *const u8,
            event_len: usize,
            out: *mut $crate::abi::handler::RawResponse,
        ) -> core::ffi::c_int {
            // The event borrows no longer than this call (see `call_rust_json`).
            let scope = ();
            // SAFETY: the runtime calls this with pointers that satisfy the handler ABI.
            unsafe { $crate::typed::$adapter($handler, &scope, context, event, event_len, out) }
        }

        unsafe extern "C" fn __lambda_bootstrap_init(
            out: *mut $crate::abi::handler::RawResponse,
        ) -> core::ffi::c_int {
            // SAFETY: the runtime calls this with a valid response buffer.
            unsafe { $crate::abi::handler::call_rust_init($init, out) }
        }

        $crate::main!(@entry __lambda_bootstrap_handler, Some(__lambda_bootstrap_init), $crate::main!(@rust_shutdown [$($shutdown)?]), $isolate);
    };
    (isolated extern $handler:ident $(, init = $init:ident)? $(, shutdown = $shutdown:ident)?) => {
        $crate::main!(@extern $handler, [$($init)?], [$($shutdown)?], true);
    };
    (extern $handler:ident $(, init = $init:ident)? $(, shutdown = $shutdown:ident)?) => {
        $crate::main!(@extern $handler, [$($init)?], [$($shutdown)?], false);
    };
    (isolated $handler:path $(, init = $init:path)? $(, shutdown = $shutdown:path)?) => {
        $crate::main!(@rust $handler, [$($init)?], [$($shutdown)?], true);
    };
    ($handler:path $(, init = $init:path)? $(, shutdown = $shutdown:path)?) => {
        $crate::main!(@rust $handler, [$($init)?], [$($shutdown)?], false);
    };
    (@extern $handler:ident, [], [$($shutdown:ident)?], $isolate:expr) => {
        $crate::main!(@declare $handler);
        $crate::main!(@entry $handler, None, $crate::main!(@extern_shutdown [$($shutdown)?]), $isolate);
    };
    (@extern $handler:ident, [$init:ident], [$($shutdown:ident)?], $isolate:expr) => {
        $crate::main!(@declare $handler);
        unsafe extern "C" {
            fn $init(out: *mut $crate::abi::handler::RawResponse) -> core::ffi::c_int;
        }
        $crate::main!(@entry $handler, Some($init), $crate::main!(@extern_shutdown [$($shutdown)?]), $isolate);
    };
    (@rust $handler:path, [], [$($shutdown:path)?], $isolate:expr) => {
        $crate::main!(@rust $handler, [$crate::abi::handler::no_init], [$($shutdown)?], $isolate);
    };
    (@rust $handler:path, [$init:path], [$($shutdown:path)?], $isolate:expr) => {
        unsafe extern "C" fn __lambda_bootstrap_handler(
            context: *const $crate::abi::context::RawContext,
            event: *const u8,
            event_len: usize,
            out: *mut $crate::abi::handler::RawResponse,
        ) -> core::ffi::c_int {
            // SAFETY: the runtime calls this with pointers that satisfy the handler ABI.
            unsafe { $crate::abi::handler::call_rust($handler, context, event, event_len, out) }
        }

        unsafe extern "C" fn __lambda_bootstrap_init(
            out: *mut $crate::abi::handler::RawResponse,
        ) -> core::ffi::c_int {
            // SAFETY: the runtime calls this with a valid response buffer.
            unsafe { $crate::abi::handler::call_rust_init($init, out) }
        }

        $crate::main!(@entry __lambda_bootstrap_handler, Some(__lambda_bootstrap_init), $crate::main!(@rust_shutdown [$($shutdown)?]), $isolate);
    };
    (@rust_shutdown []) => {
        None
    };
    (@rust_shutdown [$shutdown:path]) => {{
        extern "C" fn __lambda_bootstrap_shutdown() {
            $shutdown()
        }
        Some(__lambda_bootstrap_shutdown as $crate::abi::handler::ShutdownFn)
    }};
    (@extern_shutdown []) => {
        None
    };
    (@extern_shutdown [$shutdown:ident]) => {{
        unsafe extern "C" {
            fn $shutdown();
        }
        Some($shutdown as $crate::abi::handler::ShutdownFn)
    }};
    (@declare $handler:ident) => {
        /// `void lb_log(int level, const char *message, size_t length)`.
        ///
        /// # Safety
        /// See `lambda_bootstrap::abi::c::c_log`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn lb_log(level: core::ffi::c_int, message: *const u8, length: usize) {
            // SAFETY: the handler passes `length` readable bytes.
            unsafe { $crate::abi::c::c_log(level, message, length) }
        }

        /// `int lb_stream_write(lb_response *out, const void *data, size_t len)`.
        ///
        /// # Safety
        /// See `lambda_bootstrap::abi::c::c_write`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn lb_stream_write(
            out: *mut $crate::abi::handler::RawResponse,
            data: *const u8,
            len: usize,
        ) -> core::ffi::c_int {
            // SAFETY: the handler calls this with the `lb_response` it was given.
            unsafe { $crate::abi::c::c_write(out, data, len) }
        }

        /// `int lb_stream_http_prelude(lb_response *out, int status_code, const lb_str
        /// *headers, size_t header_count, const lb_str *cookies, size_t cookie_count)`.
        ///
        /// # Safety
        /// See `lambda_bootstrap::abi::c::c_http_prelude`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn lb_stream_http_prelude(
            out: *mut $crate::abi::handler::RawResponse,
            status_code: core::ffi::c_int,
            headers: *const $crate::abi::context::Str,
            header_count: usize,
            cookies: *const $crate::abi::context::Str,
            cookie_count: usize,
        ) -> core::ffi::c_int {
            // SAFETY: the handler calls this with its `lb_response` and arrays it owns.
            unsafe { $crate::abi::c::c_http_prelude(out, status_code, headers, header_count, cookies, cookie_count) }
        }

        unsafe extern "C" {
            fn $handler(
                context: *const $crate::abi::context::RawContext,
                event: *const u8,
                event_len: usize,
                out: *mut $crate::abi::handler::RawResponse,
            ) -> core::ffi::c_int;
        }
    };
    (@entry $handler:expr, $init:expr, $shutdown:expr, $isolate:expr) => {
        // What a bootstrap needs of the build, said here rather than as a page of link errors.
        // A glibc target (what `cargo lambda build` builds for) gives a dynamically linked
        // program, which Lambda's provided.al2023 runs too.
        #[cfg(not(all(target_os = "linux", any(target_env = "musl", target_env = "gnu"))))]
        compile_error!(
            "lambda-bootstrap makes a Linux program: build for x86_64-unknown-linux-musl or \
             aarch64-unknown-linux-musl (`--target`, or `[build] target` in .cargo/config.toml, as \
             the repository's template/ does), or for their -linux-gnu twins (cargo lambda build)"
        );
        // Not under rustdoc, which is not given the profile's `panic` setting.
        #[cfg(all(not(panic = "abort"), not(doc)))]
        compile_error!(
            "a no_std bootstrap cannot unwind: set `panic = \"abort\"` in [profile.release] and \
             [profile.dev] of Cargo.toml (see the repository's template/Cargo.toml)"
        );

        /// Called by musl's start-up code. Not `pub`: `#[no_mangle]` exports it all the same,
        /// and a public safe function taking a raw pointer is what clippy's
        /// `not_unsafe_ptr_arg_deref` (deny by default) forbids.
        #[unsafe(no_mangle)]
        extern "C" fn main(argc: core::ffi::c_int, argv: *const *const core::ffi::c_char) -> core::ffi::c_int {
            const SHUTDOWN: Option<$crate::abi::handler::ShutdownFn> = $shutdown;
            // SAFETY: argc and argv come from the C runtime.
            unsafe {
                $crate::start::main::<{ $isolate }, { SHUTDOWN.is_some() }>(argc, argv, $handler, $init, SHUTDOWN)
            }
        }

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::runtime::panic::report(info)
        }

        /// Never called with `panic = "abort"`, but precompiled `core` refers to it in
        /// unoptimised builds.
        #[unsafe(no_mangle)]
        pub extern "C" fn rust_eh_personality() {}

        /// Never called with `panic = "abort"`, but precompiled `alloc` (feature `alloc`:
        /// `format!`) refers to it; a bootstrap that does not use `alloc` links none of it.
        #[unsafe(no_mangle)]
        pub extern "C" fn _Unwind_Resume() -> ! {
            $crate::sys::exit($crate::runtime::panic::EXIT_STATUS)
        }
    };
}

/// With feature `std` a bootstrap is an ordinary program: `fn main` calls [`run`] (a `no_std`
/// bootstrap's `main!` would define a second panic handler beside std's).
#[cfg(feature = "std")]
#[macro_export]
macro_rules! main {
    ($($anything:tt)*) => {
        compile_error!(
            "lambda-bootstrap's feature `std` makes a bootstrap an ordinary program: write \
             `fn main() { lambda_bootstrap::run(|ctx, event, out| ...) }` (or `run_json`) \
             instead of `main!`, which is for #![no_std] bootstraps (docs/handlers.md)"
        );
    };
}

/// Writes a log line at `$level` (`Trace`, `Debug`, `Info`, `Warn`, `Error`, `Fatal`) for the
/// invocation of `ctx`: `log!(Info, ctx, "served ", n, " items")`. The parts (up to 8) are
/// strings, byte strings or integers, joined without `core::fmt`. The line follows
/// `AWS_LAMBDA_LOG_FORMAT` and `AWS_LAMBDA_LOG_LEVEL` (see [`abi::log`]).
#[macro_export]
macro_rules! log {
    ($level:ident, $ctx:expr, $($part:expr),+ $(,)?) => {
        $crate::abi::log::write(
            $crate::sys::log::Level::$level,
            $ctx,
            &[$(&$part as &dyn $crate::abi::log::Part),+],
        )
    };
}

/// [`log!`] at TRACE: `lambda_bootstrap::trace!(ctx, "parts", 1)`.
#[macro_export]
macro_rules! trace {
    ($ctx:expr, $($part:expr),+ $(,)?) => { $crate::log!(Trace, $ctx, $($part),+) };
}

/// [`log!`] at DEBUG.
#[macro_export]
macro_rules! debug {
    ($ctx:expr, $($part:expr),+ $(,)?) => { $crate::log!(Debug, $ctx, $($part),+) };
}

/// [`log!`] at INFO: `lambda_bootstrap::info!(ctx, "served ", n, " items")`.
#[macro_export]
macro_rules! info {
    ($ctx:expr, $($part:expr),+ $(,)?) => { $crate::log!(Info, $ctx, $($part),+) };
}

/// [`log!`] at WARN.
#[macro_export]
macro_rules! warn {
    ($ctx:expr, $($part:expr),+ $(,)?) => { $crate::log!(Warn, $ctx, $($part),+) };
}

/// [`log!`] at ERROR.
#[macro_export]
macro_rules! error {
    ($ctx:expr, $($part:expr),+ $(,)?) => { $crate::log!(Error, $ctx, $($part),+) };
}

/// [`log!`] at FATAL.
#[macro_export]
macro_rules! fatal {
    ($ctx:expr, $($part:expr),+ $(,)?) => { $crate::log!(Fatal, $ctx, $($part),+) };
}
