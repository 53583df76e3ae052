//! The C functions a handler in another language calls, over the same stream a Rust
//! handler's `Response` writes to: `lb_stream_write` and `lb_stream_http_prelude`
//! (`include/lambda_bootstrap.h`). `main!` defines the exported symbols; these are their
//! bodies.

use core::ffi::c_int;

use super::context::Str;
use super::handler::RawResponse;
use super::stream::{Broken, Stream};
use crate::contract::MAX_CONTENT_TYPE;

/// `lb_stream_write` for C handlers (defined by [`crate::main!`]).
///
/// # Safety
/// `out` must be the `lb_response` the runtime passed to the running handler, and `data`
/// must point at `len` readable bytes.
pub unsafe fn c_write(out: *mut RawResponse, data: *const u8, len: usize) -> c_int {
    // SAFETY: per the contract, `out` is the runtime's, and its `stream` a live `Stream`.
    let (out, stream) = unsafe { (&*out, &mut *(*out).stream.cast::<Stream<'_>>()) };
    // SAFETY: per the contract.
    let data = if len == 0 {
        &[][..]
    } else {
        unsafe { core::slice::from_raw_parts(data, len) }
    };
    // SAFETY: the handler set `content_type`, a string it keeps alive (a literal, normally);
    // the length is checked before it is read.
    let content_type = bounded(&out.content_type);
    match stream.write(content_type, data) {
        Ok(()) => 0,
        Err(Broken) => -1,
    }
}

/// `lb_stream_http_prelude` for C handlers (defined by [`crate::main!`]). Header names and
/// values alternate in `headers` (`header_count` pairs).
///
/// # Safety
/// As [`c_write`]; `headers` must hold `2 * header_count` strings and `cookies`
/// `cookie_count`, all readable.
pub unsafe fn c_http_prelude(
    out: *mut RawResponse,
    status_code: c_int,
    headers: *const Str,
    header_count: usize,
    cookies: *const Str,
    cookie_count: usize,
) -> c_int {
    const MAX_ITEMS: usize = 64;
    // SAFETY: per the contract.
    let stream = unsafe { &mut *(*out).stream.cast::<Stream<'_>>() };
    let status = u16::try_from(status_code).unwrap_or(500);
    let mut names_values: heapless::Vec<(&str, &str), MAX_ITEMS> = heapless::Vec::new();
    let mut cookie_texts: heapless::Vec<&str, MAX_ITEMS> = heapless::Vec::new();
    for i in 0..header_count.min(MAX_ITEMS) {
        // SAFETY: per the contract, `headers` has 2 * header_count entries.
        let (name, value) = unsafe { (&*headers.add(2 * i), &*headers.add(2 * i + 1)) };
        let _ = names_values.push((text(name), text(value)));
    }
    for i in 0..cookie_count.min(MAX_ITEMS) {
        // SAFETY: per the contract, `cookies` has cookie_count entries.
        let _ = cookie_texts.push(text(unsafe { &*cookies.add(i) }));
    }
    match stream.http_prelude(status, &names_values, &cookie_texts) {
        Ok(()) => 0,
        Err(Broken) => -1,
    }
}

/// `lb_log` for C handlers (defined by [`crate::main!`]): `message` as one log line at
/// `level` (`LB_LOG_TRACE` 0 to `LB_LOG_FATAL` 5), with the invocation's request id, under
/// the same controls as the runtime's lines (`sys::log`).
///
/// # Safety
/// `message` must point at `length` readable bytes (or be null with any length).
pub unsafe fn c_log(level: c_int, message: *const u8, length: usize) {
    let message = if message.is_null() {
        &[][..]
    } else {
        // SAFETY: per the contract.
        unsafe { core::slice::from_raw_parts(message, length) }
    };
    let level = crate::sys::log::Level::from_number(level);
    crate::sys::log::write(level, crate::sys::log::Source::Handler, &[message]);
}

/// A handler-given string of at most [`MAX_CONTENT_TYPE`] bytes (longer ones read as empty).
fn bounded(s: &Str) -> &[u8] {
    if s.ptr.is_null() || s.len > MAX_CONTENT_TYPE {
        return &[];
    }
    // SAFETY: non-null, and the ABI requires `len` readable bytes.
    unsafe { s.as_bytes() }
}

/// A handler-given string as text; not UTF-8 reads as empty.
fn text(s: &Str) -> &str {
    if s.ptr.is_null() {
        return "";
    }
    // SAFETY: non-null, and the ABI requires `len` readable bytes.
    core::str::from_utf8(unsafe { s.as_bytes() }).unwrap_or("")
}
