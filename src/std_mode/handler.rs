//! The closures std mode runs, lent to the runtime as the C-ABI functions it already calls:
//! a trampoline per closure type, which finds the closure through a pointer lent once.
//!
//! The runtime calls one handler at a time, on the thread that called `run` (workers are
//! forked processes, each with its own copy), so a closure needs neither `Send` nor `Sync`.

use core::ffi::c_int;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::boxed::Box;
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::panics;
use crate::abi::context::{Context, RawContext};
use crate::abi::handler::{
    Error, HandlerFn, RawResponse, Response, ShutdownFn, TooLarge, borrow_call, finish,
};
use crate::contract::error_type;

/// The handler closure, once lent: a `*mut F` for the one `F` whose trampoline was returned.
static HANDLER: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());
/// Whether a handler was lent: only one may ever be, since its trampoline casts `HANDLER` to
/// its own closure type.
static LENT: AtomicBool = AtomicBool::new(false);
/// The shutdown hook, once lent: a `*mut Option<G>`.
static SHUTDOWN: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Lends `handler` to the runtime: the returned function calls it. The closure must live,
/// unmoved, for the rest of the process: the caller lends it from a frame that never returns.
pub(super) fn lend_raw<F, E>(handler: &mut F) -> HandlerFn
where
    F: FnMut(&Context<'_>, &[u8], &mut Response<'_>) -> Result<(), E>,
    E: Into<Error>,
{
    lend(handler);
    call_raw::<F, E>
}

/// [`lend_raw`] for a typed handler.
pub(super) fn lend_json<F, T, R, E>(handler: &mut F) -> HandlerFn
where
    F: FnMut(&Context<'_>, T) -> Result<R, E>,
    T: DeserializeOwned,
    R: Serialize,
    E: Into<Error>,
{
    lend(handler);
    call_json::<F, T, R, E>
}

fn lend<F>(handler: &mut F) {
    assert!(
        !LENT.swap(true, Ordering::SeqCst),
        "lambda_bootstrap::run was called twice: a process serves one handler"
    );
    HANDLER.store((handler as *mut F).cast(), Ordering::SeqCst);
}

/// The lent handler, as the `F` it was lent as.
///
/// # Safety
/// `F` must be the type `lend` was called with (only its trampoline calls this), and no other
/// reference to the closure may be alive (the runtime calls handlers one at a time).
unsafe fn lent<'a, F>() -> &'a mut F {
    // SAFETY: as the caller guarantees; `lend` stored a pointer to a closure that lives, unmoved,
    // for the rest of the process.
    unsafe { &mut *HANDLER.load(Ordering::SeqCst).cast::<F>() }
}

unsafe extern "C" fn call_raw<F, E>(
    context: *const RawContext,
    event: *const u8,
    event_len: usize,
    out: *mut RawResponse,
) -> c_int
where
    F: FnMut(&Context<'_>, &[u8], &mut Response<'_>) -> Result<(), E>,
    E: Into<Error>,
{
    // SAFETY: this trampoline was returned by `lend_raw::<F, E>` alone, and the runtime calls
    // it per the handler ABI, one call at a time.
    let (handler, (context, event, out)) =
        unsafe { (lent::<F>(), borrow_call(context, event, event_len, out)) };
    // SAFETY: `out` is as the runtime passes it, per the ABI.
    let mut response = unsafe { Response::from_raw(out) };
    let result = panics::catch(|| handler(&context, event, &mut response).map_err(Into::into));
    let len = response.len();
    finish(result, len, out)
}

unsafe extern "C" fn call_json<F, T, R, E>(
    context: *const RawContext,
    event: *const u8,
    event_len: usize,
    out: *mut RawResponse,
) -> c_int
where
    F: FnMut(&Context<'_>, T) -> Result<R, E>,
    T: DeserializeOwned,
    R: Serialize,
    E: Into<Error>,
{
    // SAFETY: as in `call_raw`, for `lend_json::<F, T, R, E>`.
    let (handler, (context, event, out)) =
        unsafe { (lent::<F>(), borrow_call(context, event, event_len, out)) };
    // SAFETY: as in `call_raw`.
    let mut response = unsafe { Response::from_raw(out) };
    let result = panics::catch(|| {
        let event: T = serde_json::from_slice(event).map_err(invalid_event)?;
        let value = handler(&context, event).map_err(Into::into)?;
        serde_json::to_writer(&mut response, &value).map_err(unserializable)
    });
    let len = response.len();
    finish(result, len, out)
}

/// What a caller gets for an event that is not the handler's type: `main!(json ...)`'s
/// wording, with serde_json's account of where.
fn invalid_event(error: serde_json::Error) -> Error {
    Error::typed(
        error_type::INVALID_EVENT,
        format_args!(
            "failed to deserialize the incoming data into the function's payload type: {error}"
        ),
    )
}

/// A result that could not be written: too large for the buffer (the writer's only error),
/// or refused by its own `Serialize`.
fn unserializable(error: serde_json::Error) -> Error {
    if error.is_io() {
        return Error::from(TooLarge);
    }
    Error::typed(
        "Runtime.SerializationError",
        format_args!("the handler's result could not be written as JSON: {error}"),
    )
}

/// Lends the shutdown hook: the returned function runs it, once.
pub(super) fn lend_shutdown<G: FnOnce()>(hook: G) -> ShutdownFn {
    // Leaked: the hook lives until the process ends, and runs at most once.
    let hook: &mut Option<G> = Box::leak(Box::new(Some(hook)));
    SHUTDOWN.store((hook as *mut Option<G>).cast(), Ordering::SeqCst);
    call_shutdown::<G>
}

extern "C" fn call_shutdown<G: FnOnce()>() {
    // SAFETY: `lend_shutdown::<G>` stored a leaked `Option<G>` and returned this trampoline
    // alone; the runtime runs the hook on one thread, and `take` leaves `None` behind.
    let hook = unsafe { &mut *SHUTDOWN.load(Ordering::SeqCst).cast::<Option<G>>() };
    if let Some(hook) = hook.take() {
        // A panic in the hook is logged by the panic hook; the shutdown goes on.
        let _ = panics::catch(|| {
            hook();
            Ok(())
        });
    }
}

/// The failure of [`super::init`], kept for the init hook that reports it.
static INIT_FAILURE: Mutex<Option<Error>> = Mutex::new(None);

/// Fails init with `error`: the runtime starts as it would with a `main!` init hook that
/// failed so, and reports it the way of its mode (`/runtime/init/error` on Lambda).
pub(super) fn fail_init(error: Error) -> ! {
    *INIT_FAILURE.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    super::start::<false>(never_called, Some(report_init_failure), None)
}

unsafe extern "C" fn report_init_failure(out: *mut RawResponse) -> c_int {
    let error = INIT_FAILURE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or(Error::from_static(error_type::DEFAULT, "init failed"));
    // SAFETY: the runtime passes a valid response buffer, per the ABI.
    finish(Err(error), 0, unsafe { &mut *out })
}

/// The handler of a bootstrap whose init failed: the runtime never calls it.
unsafe extern "C" fn never_called(
    _: *const RawContext,
    _: *const u8,
    _: usize,
    out: *mut RawResponse,
) -> c_int {
    let error = Error::from_static(error_type::DEFAULT, "init failed");
    // SAFETY: the runtime passes a valid response buffer, per the ABI.
    finish(Err(error), 0, unsafe { &mut *out })
}
