//! Std mode (feature `std`): the runtime under an ordinary `fn main`, for handlers written as
//! ordinary Rust: closures that capture what `main` made (clients, configuration, caches),
//! any crate (an HTTP client, tokio, the AWS SDK), the heap, `?` on any error.
//!
//! ```ignore
//! fn main() {
//!     let table = lambda_bootstrap::init(|| std::env::var("TABLE"));     // init: may fail
//!     lambda_bootstrap::run(move |ctx, event, out| {                    // never returns
//!         out.write(table.as_bytes())?;
//!         Ok::<_, lambda_bootstrap::Error>(())
//!     })
//! }
//! ```
//!
//! It is the same runtime as `main!`'s, not a second one: `run` lends the closure to the
//! no_std core through the C-ABI handler it already calls ([`handler`]), and hands the process
//! to `start::main`, which chooses the mode as for any bootstrap (`--invoke`, local mode
//! without `AWS_LAMBDA_RUNTIME_API`, the Runtime API loop, Managed Instances' workers). The
//! core stays allocation-free; what std adds is the handler's.
//!
//! What differs from a `no_std` bootstrap:
//! - the code before `run` is the init phase; [`init`] runs a fallible step of it, whose
//!   failure (an error or a panic) reaches `/runtime/init/error` as a `main!` init hook's does;
//! - a panic in a handler fails its invocation with `Runtime.HandlerPanic` and its message
//!   and location ([`panics`]); with `panic = "unwind"` (Cargo's default) the same process
//!   serves the next invocation, with `panic = "abort"` the process exits after reporting and
//!   Lambda starts a fresh one, as for a `main!` bootstrap;
//! - typed handlers ([`run_json`]) use serde_json, and their events are owned
//!   (`DeserializeOwned`): a closure cannot be given a type that borrows from a buffer reused
//!   by the next invocation. A handler that wants to borrow takes the raw bytes and calls
//!   `serde_json::from_slice` itself (the borrow then ends with the call);
//! - per-invocation isolation (`main!(isolated ...)`) is not offered: it forks, and a process
//!   with threads (a tokio runtime, a connection pool) does not survive a fork whole.
//!   Managed Instances' workers are forked after init all the same (as Lambda forks nothing,
//!   that is the runtime's choice): make threads in the handler, or run one worker.

mod handler;
pub mod panics;
mod write;

use core::ffi::{c_char, c_int};
use std::ffi::CString;
use std::os::unix::ffi::OsStringExt;
use std::vec::Vec;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::abi::context::Context;
use crate::abi::handler::{Error, HandlerFn, InitFn, Response, ShutdownFn};

/// Serves the Runtime API with `handler`, a closure called once per invocation with the
/// event's bytes and the response to write; never returns. Without `AWS_LAMBDA_RUNTIME_API`
/// it serves Lambda's Invoke API locally, and `bootstrap --invoke EVENT` calls it once.
///
/// `E` is any error that converts into [`Error`]: every `core::error::Error` does (its Rust
/// type becomes the error type), and [`Error`] itself, which names its own.
pub fn run<F, E>(handler: F) -> !
where
    F: FnMut(&Context<'_>, &[u8], &mut Response<'_>) -> Result<(), E>,
    E: Into<Error>,
{
    Runtime::new().run(handler)
}

/// [`run`] for a typed handler: the event is deserialized into `T` with serde_json (a
/// mismatch is `Runtime.InvalidEvent`, with serde_json's message, before the handler is
/// called), and the `R` it returns is written as JSON straight into the response buffer.
pub fn run_json<F, T, R, E>(handler: F) -> !
where
    F: FnMut(&Context<'_>, T) -> Result<R, E>,
    T: DeserializeOwned,
    R: Serialize,
    E: Into<Error>,
{
    Runtime::new().run_json(handler)
}

/// Runs a fallible step of the init phase (the code before [`run`]) and returns what it
/// made. An error, or a panic, fails init as Lambda expects: it is logged, posted to
/// `/runtime/init/error` (local mode and `--invoke` report it their way), and the process
/// exits. Steps that cannot fail need no `init`: the code before `run` is init all the same.
pub fn init<T, E: Into<Error>>(step: impl FnOnce() -> Result<T, E>) -> T {
    panics::install();
    match panics::catch_init(|| step().map_err(Into::into)) {
        Ok(made) => made,
        Err(error) => handler::fail_init(error),
    }
}

/// A bootstrap with options, for what [`run`] alone does not say: a shutdown hook.
///
/// ```ignore
/// lambda_bootstrap::Runtime::new().on_shutdown(|| pool.flush()).run(handler)
/// ```
pub struct Runtime<S = NoShutdown> {
    shutdown: S,
}

/// No shutdown hook: the bootstrap registers no extension (see `runtime::shutdown`).
pub struct NoShutdown;

/// A shutdown hook, run once when the execution environment shuts down (SIGTERM), after the
/// invocation in progress; see docs/shutdown.md.
pub struct OnShutdown<G>(G);

/// How the two kinds of [`Runtime`] start: the hook's presence is a constant of
/// `start::main`, as for `main!`, so a bootstrap without one links none of its code.
pub trait Shutdown {
    /// Lends the hook, if any, to the runtime for the life of the process, and starts it.
    fn start(self, handler: HandlerFn) -> !;
}

impl Shutdown for NoShutdown {
    fn start(self, handler: HandlerFn) -> ! {
        panics::check_profile();
        start::<false>(handler, None, None)
    }
}

impl<G: FnOnce()> Shutdown for OnShutdown<G> {
    fn start(self, handler: HandlerFn) -> ! {
        panics::check_profile();
        start::<true>(handler, None, Some(handler::lend_shutdown(self.0)))
    }
}

impl Runtime {
    /// A bootstrap without options.
    pub fn new() -> Self {
        Runtime {
            shutdown: NoShutdown,
        }
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl<S: Shutdown> Runtime<S> {
    /// Runs `hook` once when the execution environment shuts down; with it the bootstrap
    /// registers an internal extension, so that Lambda sends the SIGTERM that starts it.
    pub fn on_shutdown<G: FnOnce()>(self, hook: G) -> Runtime<OnShutdown<G>> {
        Runtime {
            shutdown: OnShutdown(hook),
        }
    }

    /// [`run`], with these options.
    pub fn run<F, E>(self, handler: F) -> !
    where
        F: FnMut(&Context<'_>, &[u8], &mut Response<'_>) -> Result<(), E>,
        E: Into<Error>,
    {
        let mut handler = handler;
        let trampoline = handler::lend_raw(&mut handler);
        self.shutdown.start(trampoline)
    }

    /// [`run_json`], with these options.
    pub fn run_json<F, T, R, E>(self, handler: F) -> !
    where
        F: FnMut(&Context<'_>, T) -> Result<R, E>,
        T: DeserializeOwned,
        R: Serialize,
        E: Into<Error>,
    {
        let mut handler = handler;
        let trampoline = handler::lend_json(&mut handler);
        self.shutdown.start(trampoline)
    }
}

/// Hands the process to `start::main`, with the process's arguments as C strings, and exits
/// with the status it returns. The handler's closure lives in the caller's frame, which
/// never returns.
fn start<const HOOK: bool>(
    handler: HandlerFn,
    init: Option<InitFn>,
    shutdown: Option<ShutdownFn>,
) -> ! {
    panics::install();
    #[cfg(feature = "log")]
    crate::abi::logger::install();
    let (argc, argv) = c_arguments();
    // SAFETY: `argv` is `argc` C strings followed by a null, leaked: they live as long as the
    // process, as the C runtime's would.
    let status = unsafe { crate::start::main::<false, HOOK>(argc, argv, handler, init, shutdown) };
    std::process::exit(status)
}

/// The process's arguments as the C runtime gives them to `main`: std keeps its own copy, so
/// this one is made from it, once, and leaked.
fn c_arguments() -> (c_int, *const *const c_char) {
    let strings: Vec<CString> = std::env::args_os()
        .map(|arg| {
            // An argument holds no NUL (it came from one); were it to, it would read as empty.
            CString::new(arg.into_vec()).unwrap_or_default()
        })
        .collect();
    let strings = strings.leak();
    let mut pointers: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
    let argc = c_int::try_from(pointers.len()).unwrap_or(c_int::MAX);
    pointers.push(core::ptr::null());
    (argc, pointers.leak().as_ptr())
}
