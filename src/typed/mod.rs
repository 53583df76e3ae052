//! Typed handlers (feature `json`): `main!(json handle)` for
//! `fn handle(ctx: &Context, event: E) -> Result<R, Error>`, where `E: Deserialize<'de>`
//! borrows from the event buffer and `R: Serialize` is written into the response buffer.
//!
//! - [`de`]: our deserializer, which unescapes strings in place in the runtime's event buffer
//!   (lent mutably for the invocation, see `handler::call`), so `&str` fields borrow even
//!   escaped strings, with no heap and no scratch area;
//! - [`error`]: what did not match and where (path, byte offset), as the message of a
//!   [`INVALID_EVENT`] error;
//! - [`ser`]: serde-json-core's serializer into the response buffer; a result that does not
//!   fit is `Runtime.ResponseTooLarge`, never a truncated document;
//! - [`raw`]: [`RawJson`], a value's JSON text as it is in the event.
//!
//! Streaming and the HTTP prelude: `main!(json stream handle)` for
//! `fn handle(ctx: &Context, event: E, out: &mut Response) -> Result<(), Error>`: the event is
//! typed, the answer is written or streamed as by an untyped handler (a function URL's
//! streamed response, with [`Response::stream_http_prelude`]). A serialized `R` is not
//! streamed: it is one JSON document in the response buffer.

// `handler::Error` (4 KiB, its message inline) and `DeError` (its path inline) are large
// `Err`s by design: no heap; they are built once, when an invocation fails.
#![allow(clippy::result_large_err)]

pub mod de;
pub mod error;
pub mod in_place;
pub mod raw;
mod scan;
pub mod ser;

use core::ffi::c_int;

use serde::{Deserialize, Serialize};

use crate::abi::context::{Context, RawContext};
use crate::abi::handler::{Error, RawResponse, Response, finish};
pub use error::DeError;
pub use in_place::InPlace;
pub use raw::RawJson;

/// The error type of an event that does not deserialize into the handler's event type.
pub const INVALID_EVENT: &str = crate::contract::error_type::INVALID_EVENT;
/// How its message starts (lambda_runtime's wording, for the same failure).
pub const INVALID_EVENT_MESSAGE: &str =
    "failed to deserialize the incoming data into the function's payload type: ";

/// Deserializes a `T` from `event`, unescaping its strings in place; the error is the one a
/// typed handler's caller gets.
pub fn from_slice<'de, T: Deserialize<'de>>(event: &'de mut [u8]) -> Result<T, Error> {
    de::from_slice(event).map_err(|(error, de)| invalid_event(&error, &de))
}

/// The [`INVALID_EVENT`] error for `error`: `key` reads the key names of its path.
fn invalid_event(error: &DeError, de: &de::Deserializer<'_>) -> Error {
    let mut message = heapless::String::<{ crate::abi::handler::MAX_RUST_ERROR_MESSAGE }>::new();
    let _ = message.push_str(INVALID_EVENT_MESSAGE);
    let key = |start, len| de.key_text(start, len);
    error::describe(error, &key, &mut |text| {
        // A message over its capacity ends where it was cut, within a character.
        let mut end = text.len().min(message.capacity() - message.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let _ = message.push_str(text.get(..end).unwrap_or_default());
    });
    Error::new(INVALID_EVENT, &message)
}

/// The event bytes the runtime lends a typed handler.
///
/// # Safety
/// `event` must be null or point to `len` bytes, writable, that nothing else uses for `'de`.
unsafe fn event_buffer<'de>(event: *const u8, len: usize) -> &'de mut [u8] {
    if event.is_null() || len == 0 {
        return &mut [];
    }
    // SAFETY: as the caller guarantees. The runtime passes its receive buffer through a
    // pointer made from `&mut` (see `handler::call`), lent for the whole call.
    unsafe { core::slice::from_raw_parts_mut(event.cast_mut(), len) }
}

/// Adapts a typed handler to the handler ABI; used by [`crate::main!`]`(json ...)`.
///
/// `_scope` bounds `'de` to the caller's call: `main!` passes a reference to a local, so a
/// handler that wants its event for `'static` (to keep it past the call) does not compile.
///
/// # Safety
/// The arguments must satisfy the handler ABI, as the runtime's `handler::call` guarantees,
/// including that the event is writable for the call.
pub unsafe fn call_rust_json<'de, E: Deserialize<'de>, R: Serialize>(
    handler: fn(&Context<'_>, E) -> Result<R, Error>,
    _scope: &'de (),
    context: *const RawContext,
    event: *const u8,
    event_len: usize,
    out: *mut RawResponse,
) -> c_int {
    // SAFETY: per the ABI, all pointers are valid for the call (which outlives `'de`), the
    // context's strings are UTF-8, the event is ours to write, and `out` describes a buffer
    // nobody else touches while the handler runs.
    let (context, event, out) = unsafe {
        (
            Context::from_raw(&*context),
            event_buffer(event, event_len),
            &mut *out,
        )
    };
    // SAFETY: as above.
    let buf = unsafe { core::slice::from_raw_parts_mut(out.ptr, out.cap) };
    let result = from_slice(event)
        .and_then(|event| handler(&context, event))
        .and_then(|r| ser::to_slice(&r, buf));
    match result {
        Ok(len) => finish(Ok(()), len, out),
        Err(error) => finish(Err(error), 0, out),
    }
}

/// Adapts a handler of a typed event that writes or streams its own answer; used by
/// [`crate::main!`]`(json stream ...)`.
///
/// # Safety
/// As [`call_rust_json`].
pub unsafe fn call_rust_json_stream<'de, E: Deserialize<'de>>(
    handler: fn(&Context<'_>, E, &mut Response<'_>) -> Result<(), Error>,
    _scope: &'de (),
    context: *const RawContext,
    event: *const u8,
    event_len: usize,
    out: *mut RawResponse,
) -> c_int {
    // SAFETY: as in `call_rust_json`.
    let (context, event, out) = unsafe {
        (
            Context::from_raw(&*context),
            event_buffer(event, event_len),
            &mut *out,
        )
    };
    // SAFETY: `out` is as the runtime passes it, per the ABI.
    let mut response = unsafe { Response::from_raw(out) };
    let result = from_slice(event).and_then(|event| handler(&context, event, &mut response));
    let len = response.len();
    finish(result, len, out)
}

#[cfg(test)]
mod tests;
