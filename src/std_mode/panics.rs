//! Panics in std mode. A panic in a handler fails its invocation with `Runtime.HandlerPanic`,
//! its message and its location, whatever the profile's `panic` setting:
//! - `panic = "unwind"` (Cargo's default): the handler's call is wrapped in `catch_unwind`;
//!   the panic hook keeps the message for the error, and the process goes on to the next
//!   invocation;
//! - `panic = "abort"`: the hook reports the panic as a `main!` bootstrap's panic handler
//!   does (`runtime::panic`: posted, or a stream ended with it) and exits with 101; Lambda
//!   starts a fresh process for the next invocation.
//!
//! A panic on another thread (a tokio worker, a thread the handler made) is that thread's, as
//! in any Rust program, under `unwind`; under `abort` it ends the process, reported as the
//! invocation's failure.

use core::cell::{Cell, RefCell};
use std::boxed::Box;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::string::String;
use std::sync::Once;

use crate::abi::handler::Error;
use crate::contract::error_type;

/// Whether panics unwind in this build: the profile's `panic` setting, which Cargo applies to
/// every crate of the program, this one included.
pub const UNWINDS: bool = cfg!(panic = "unwind");

std::thread_local! {
    /// Whether this thread is running a handler (or an init step) under [`catch`].
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// Whether it is running an init step ([`catch_init`]).
    static IN_INIT: Cell<bool> = const { Cell::new(false) };
    /// The message of the panic [`catch`] is unwinding from.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The one wrong setting for a std bootstrap: `panic = "unwind"` in a program linked without
/// unwind tables (lambda-bootstrap's link settings, `DEP_LAMBDA_BOOTSTRAP_LINK_ARGS`, discard
/// them: they are for `panic = "abort"`). Every panic would then abort the process with no
/// report ("failed to initiate panic"), so init fails at once, saying why.
pub fn check_profile() {
    if UNWINDS && !has_unwind_tables() {
        super::handler::fail_init(Error::from_static(
            "Runtime.BuildError",
            "this bootstrap is built with panic = \"unwind\" but linked without unwind \
             tables (lambda-bootstrap's link settings, for panic = \"abort\"): set panic = \
             \"abort\" in [profile.release], or stop passing DEP_LAMBDA_BOOTSTRAP_LINK_ARGS \
             to the linker in build.rs",
        ));
    }
}

/// Whether unwinding can get past this function: the unwinder walks the stack from here
/// (`_Unwind_Backtrace`, the Itanium ABI that std's backtraces use too) and finds the callers'
/// frames only where the program has their unwind tables.
#[inline(never)]
fn has_unwind_tables() -> bool {
    use core::ffi::{c_int, c_void};
    unsafe extern "C" {
        fn _Unwind_Backtrace(
            trace: unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int,
            argument: *mut c_void,
        ) -> c_int;
    }
    /// Counts the frames; stops at a few (`_URC_NORMAL_STOP` is any non-zero answer).
    unsafe extern "C" fn count(_: *mut c_void, frames: *mut c_void) -> c_int {
        // SAFETY: `frames` is the `usize` below, alive for the walk.
        let frames = unsafe { &mut *frames.cast::<usize>() };
        *frames += 1;
        c_int::from(*frames >= 3)
    }
    let mut frames = 0usize;
    // SAFETY: the callback matches the ABI's signature and only counts into `frames`.
    unsafe { _Unwind_Backtrace(count, (&raw mut frames).cast()) };
    frames >= 3
}

/// Installs the panic hook, once.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !hook(info) {
                default(info);
            }
        }));
    });
}

/// The hook; `false` leaves the panic to Rust's default hook (a thread of the handler's own).
fn hook(info: &PanicHookInfo<'_>) -> bool {
    let message = describe(info);
    if UNWINDS {
        if !CATCHING.get() {
            return false;
        }
        crate::sys::log::error(&[message.as_bytes()]);
        CAUGHT.set(Some(message));
        return true;
    }
    if IN_INIT.get() {
        super::handler::fail_init(Error::typed(error_type::HANDLER_PANIC, message));
    }
    crate::runtime::panic::report_message(message.as_bytes())
}

/// `panicked at src/main.rs:12:5: message`, as a `main!` bootstrap says it (with the
/// message's arguments formatted: std mode has `core::fmt` anyway).
fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let payload = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    match info.location() {
        Some(at) => std::format!(
            "panicked at {}:{}:{}: {payload}",
            at.file(),
            at.line(),
            at.column()
        ),
        None => std::format!("panicked: {payload}"),
    }
}

/// Calls a handler: a panic that unwinds out of it becomes its `Runtime.HandlerPanic` error.
/// (Under `panic = "abort"` the hook reports it and the process ends instead.)
pub fn catch<T>(call: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    if !UNWINDS {
        return call();
    }
    let outer = CATCHING.replace(true);
    let result = std::panic::catch_unwind(AssertUnwindSafe(call));
    CATCHING.set(outer);
    result.unwrap_or_else(|_payload| {
        let message = CAUGHT.take();
        Err(Error::typed(
            error_type::HANDLER_PANIC,
            message.as_deref().unwrap_or("panicked"),
        ))
    })
}

/// [`catch`] for an init step: under `panic = "abort"` the hook fails init with the panic.
pub fn catch_init<T>(call: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    IN_INIT.set(true);
    let result = catch(call);
    IN_INIT.set(false);
    result
}
