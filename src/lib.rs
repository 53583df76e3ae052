//! A tiny, allocation-free AWS Lambda custom runtime: the `bootstrap`.
//!
//! The data path, in the order bytes travel:
//! - [`endpoint`] parses `AWS_LAMBDA_RUNTIME_API`;
//! - [`runtime`] is the loop, over [`api`] (the Runtime API's requests and headers);
//! - [`client`] runs one HTTP/1.1 exchange on a keep-alive [`net`] socket, with [`request`]
//!   writing heads, [`response`] parsing them (over [`http`]'s header parser, which a request
//!   parser shares) and [`chunked`] decoding bodies in place;
//! - [`handler`] calls the C-ABI handler with a [`context`] and the runtime's response buffer;
//! - [`json`] writes error documents; [`panic`] posts a Rust handler's panic before exiting;
//! - [`stream`] sends a streamed response as chunks (with [`base64`] error trailers);
//! - [`workers`] forks Managed Instances' workers and isolated invocations;
//! - [`exec`] is exec mode's handler (`bootstrap-exec`), which runs a program per invocation;
//! - `local` (feature `local-mode`, on by default) is the built-in emulator: without
//!   `AWS_LAMBDA_RUNTIME_API` it serves Lambda's Invoke API itself: `local::request` parses
//!   requests, `local::context` makes each context, `local::answer` (over `local::reply`'s
//!   heads) answers, and `local::watchdog` keeps the timeout.
//!
//! Everything but `net`, `fd`, `clock`, `log`, `trace_env`, `workers`, `exec`'s process
//! handling, `local`'s server and watchdog, and `runtime` is sans-IO: bytes in, values out,
//! tested without sockets.
#![cfg_attr(not(test), no_std)]

pub mod api;
pub mod base64;
pub mod bytes;
pub mod chunked;
pub mod client;
pub mod clock;
pub mod context;
pub mod endpoint;
pub mod env;
pub mod error;
pub mod exec;
pub mod fd;
pub mod handler;
pub mod http;
pub mod ip;
pub mod json;
#[cfg(feature = "local-mode")]
pub mod local;
pub mod log;
pub mod net;
pub mod num;
pub mod panic;
pub mod request;
pub mod response;
pub mod runtime;
pub mod static_buf;
pub mod stream;
pub mod trace_env;
pub mod workers;

pub use context::Context;
pub use handler::{Error, Response, TooLarge};
pub use stream::Broken;

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
/// ```
///
/// For a handler written in another language and linked in (see `include/lambda_bootstrap.h`),
/// name its C symbols: `main!(extern handler)` or `main!(extern handler, init = handler_init)`.
///
/// `main!(isolated handle ...)` (or `isolated extern ...`) runs every invocation in a child
/// forked from the initialised process: each starts from the state init left, and a crash
/// fails only its own invocation. It costs a fork per invocation (about 45 µs) and 952 bytes, so it is
/// chosen when building.
#[macro_export]
macro_rules! main {
    (isolated extern $handler:ident $(, init = $init:ident)?) => {
        $crate::main!(@extern $handler, [$($init)?], true);
    };
    (extern $handler:ident $(, init = $init:ident)?) => {
        $crate::main!(@extern $handler, [$($init)?], false);
    };
    (isolated $handler:path) => {
        $crate::main!(@rust $handler, $crate::handler::no_init, true);
    };
    (isolated $handler:path, init = $init:path) => {
        $crate::main!(@rust $handler, $init, true);
    };
    ($handler:path) => {
        $crate::main!(@rust $handler, $crate::handler::no_init, false);
    };
    ($handler:path, init = $init:path) => {
        $crate::main!(@rust $handler, $init, false);
    };
    (@extern $handler:ident, [], $isolate:expr) => {
        $crate::main!(@declare $handler);
        $crate::main!(@entry $handler, None, $isolate);
    };
    (@extern $handler:ident, [$init:ident], $isolate:expr) => {
        $crate::main!(@declare $handler);
        unsafe extern "C" {
            fn $init(out: *mut $crate::handler::RawResponse) -> core::ffi::c_int;
        }
        $crate::main!(@entry $handler, Some($init), $isolate);
    };
    (@rust $handler:path, $init:path, $isolate:expr) => {
        unsafe extern "C" fn __lambda_bootstrap_handler(
            context: *const $crate::context::RawContext,
            event: *const u8,
            event_len: usize,
            out: *mut $crate::handler::RawResponse,
        ) -> core::ffi::c_int {
            // SAFETY: the runtime calls this with pointers that satisfy the handler ABI.
            unsafe { $crate::handler::call_rust($handler, context, event, event_len, out) }
        }

        unsafe extern "C" fn __lambda_bootstrap_init(
            out: *mut $crate::handler::RawResponse,
        ) -> core::ffi::c_int {
            // SAFETY: the runtime calls this with a valid response buffer.
            unsafe { $crate::handler::call_rust_init($init, out) }
        }

        $crate::main!(@entry __lambda_bootstrap_handler, Some(__lambda_bootstrap_init), $isolate);
    };
    (@declare $handler:ident) => {
        /// `int lb_stream_write(lb_response *out, const void *data, size_t len)`.
        ///
        /// # Safety
        /// See `lambda_bootstrap::stream::c_write`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn lb_stream_write(
            out: *mut $crate::handler::RawResponse,
            data: *const u8,
            len: usize,
        ) -> core::ffi::c_int {
            // SAFETY: the handler calls this with the `lb_response` it was given.
            unsafe { $crate::stream::c_write(out, data, len) }
        }

        /// `int lb_stream_http_prelude(lb_response *out, int status_code, const lb_str
        /// *headers, size_t header_count, const lb_str *cookies, size_t cookie_count)`.
        ///
        /// # Safety
        /// See `lambda_bootstrap::stream::c_http_prelude`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn lb_stream_http_prelude(
            out: *mut $crate::handler::RawResponse,
            status_code: core::ffi::c_int,
            headers: *const $crate::context::Str,
            header_count: usize,
            cookies: *const $crate::context::Str,
            cookie_count: usize,
        ) -> core::ffi::c_int {
            // SAFETY: the handler calls this with its `lb_response` and arrays it owns.
            unsafe { $crate::stream::c_http_prelude(out, status_code, headers, header_count, cookies, cookie_count) }
        }

        unsafe extern "C" {
            fn $handler(
                context: *const $crate::context::RawContext,
                event: *const u8,
                event_len: usize,
                out: *mut $crate::handler::RawResponse,
            ) -> core::ffi::c_int;
        }
    };
    (@entry $handler:expr, $init:expr, $isolate:expr) => {
        // What a bootstrap needs of the build, said here rather than as a page of link errors.
        #[cfg(not(target_env = "musl"))]
        compile_error!(
            "lambda-bootstrap makes a static musl program: build for x86_64-unknown-linux-musl or \
             aarch64-unknown-linux-musl (`--target`, or `[build] target` in .cargo/config.toml, as \
             the repository's template/ does)"
        );
        #[cfg(not(panic = "abort"))]
        compile_error!(
            "a no_std bootstrap cannot unwind: set `panic = \"abort\"` in [profile.release] and \
             [profile.dev] of Cargo.toml (see the repository's template/Cargo.toml)"
        );

        /// Called by musl's start-up code. Not `pub`: `#[no_mangle]` exports it all the same,
        /// and a public safe function taking a raw pointer is what clippy's
        /// `not_unsafe_ptr_arg_deref` (deny by default) forbids.
        #[unsafe(no_mangle)]
        extern "C" fn main(argc: core::ffi::c_int, argv: *const *const core::ffi::c_char) -> core::ffi::c_int {
            // SAFETY: argc and argv come from the C runtime.
            unsafe { $crate::runtime::main::<{ $isolate }>(argc, argv, $handler, $init) }
        }

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::panic::report(info)
        }

        /// Never called with `panic = "abort"`, but precompiled `core` refers to it in
        /// unoptimised builds.
        #[unsafe(no_mangle)]
        pub extern "C" fn rust_eh_personality() {}
    };
}
