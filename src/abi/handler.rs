//! The handler ABI: one C-ABI function the bootstrap calls per invocation, and the safe Rust
//! layer over it.
//!
//! The runtime lends the handler its response buffer (`lb_response` in C): the handler writes
//! up to `cap` bytes at `ptr` and sets `len`. On failure it returns non-zero and the bytes in
//! the buffer are the error message, with `error_type` naming the error. A `len` above `cap`
//! means "my response would be this long": it is reported as too large, never read.

use core::ffi::{c_int, c_void};

use crate::abi::context::{Context, RawContext, Str};
use crate::abi::stream::{Broken, Stream};

pub use crate::abi::error::{Error, MAX_RUST_ERROR_MESSAGE};

/// `lb_response` in C.
#[repr(C)]
#[derive(Debug)]
pub struct RawResponse {
    /// The runtime's buffer. Handlers write here; changing the pointer has no effect.
    pub ptr: *mut u8,
    /// Bytes available at `ptr`.
    pub cap: usize,
    /// Bytes written: the response, or the error message when the handler fails.
    pub len: usize,
    /// On failure, the error type (e.g. `Function.BadInput`); empty means `Function.Error`.
    pub error_type: Str,
    /// For a streamed response: its `Content-Type`, read at the first `lb_stream_write`;
    /// empty means `application/octet-stream`.
    pub content_type: Str,
    /// The runtime's stream state, for `lb_stream_write`; opaque to the handler.
    pub stream: *mut c_void,
}

/// `int handler(const lb_context *, const uint8_t *event, size_t event_len, lb_response *)`.
pub type HandlerFn =
    unsafe extern "C" fn(*const RawContext, *const u8, usize, *mut RawResponse) -> c_int;

/// `int handler_init(lb_response *)`: runs once before the first invocation.
pub type InitFn = unsafe extern "C" fn(*mut RawResponse) -> c_int;

/// `void handler_shutdown(void)`: runs once when the execution environment shuts down (see
/// `runtime::shutdown`).
pub type ShutdownFn = unsafe extern "C" fn();

use crate::contract::{MAX_ERROR_TYPE, MAX_RESPONSE, error_type};

const RESPONSE_TOO_LARGE_MESSAGE: &[u8] =
    b"the response is larger than 6291456 bytes (6 MiB), Lambda's limit for buffered responses";

/// What a handler call came to, borrowing the response buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The handler answered with these bytes.
    Success(&'a [u8]),
    /// The handler failed, or said its response is too large.
    Failure {
        /// The error type; `Function.Error` where the handler's is empty or not a header value.
        error_type: &'a [u8],
        /// The error message, as written in the buffer.
        message: &'a [u8],
    },
}

/// Calls `handler` with the runtime's `buf` as its response buffer and reads back what it
/// reported, trusting nothing: lengths past the buffer and malformed error types are caught.
///
/// The event is lent mutably: the handler may write its bytes during the call (a typed
/// handler unescapes strings in place, see `typed`), so every caller passes a buffer it owns
/// for the invocation, never a shared one.
pub fn call<'a>(
    handler: HandlerFn,
    context: &RawContext,
    event: &mut [u8],
    buf: &'a mut [u8],
    stream: &mut Stream<'_>,
) -> Outcome<'a> {
    let mut raw = RawResponse::new(buf);
    raw.stream = crate::abi::stream::as_ptr(stream);
    // SAFETY: the context's strings and `event` are valid for the call, and `raw` describes
    // `buf`, which we own mutably; this is the ABI contract the handler was written to. The
    // pointer comes from `&mut`, so a handler may write the event through it.
    let status = unsafe {
        handler(
            context,
            event.as_mut_ptr().cast_const(),
            event.len(),
            &mut raw,
        )
    };
    outcome(status, &raw, buf)
}

/// Calls the init hook the same way; `None` means it succeeded.
pub fn call_init<'a>(init: InitFn, buf: &'a mut [u8]) -> Option<Outcome<'a>> {
    let mut raw = RawResponse::new(buf);
    // SAFETY: `raw` describes `buf`, which we own mutably.
    let status = unsafe { init(&mut raw) };
    match outcome(status, &raw, buf) {
        Outcome::Success(_) => None,
        failure => Some(failure),
    }
}

impl RawResponse {
    fn new(buf: &mut [u8]) -> Self {
        RawResponse {
            ptr: buf.as_mut_ptr(),
            cap: buf.len(),
            len: 0,
            error_type: Str::EMPTY,
            content_type: Str::EMPTY,
            stream: core::ptr::null_mut(),
        }
    }
}

fn outcome<'a>(status: c_int, raw: &RawResponse, buf: &'a [u8]) -> Outcome<'a> {
    if raw.len > buf.len() || raw.len > MAX_RESPONSE {
        return Outcome::Failure {
            error_type: error_type::RESPONSE_TOO_LARGE.as_bytes(),
            message: RESPONSE_TOO_LARGE_MESSAGE,
        };
    }
    let written = &buf[..raw.len];
    if status == 0 {
        return Outcome::Success(written);
    }
    let error_type = if raw.error_type.len <= MAX_ERROR_TYPE && !raw.error_type.ptr.is_null() {
        // SAFETY: the handler set a pointer and a length within our bound; the ABI requires it
        // to point at that many readable bytes (a static string, normally).
        unsafe { raw.error_type.as_bytes() }
    } else {
        &[]
    };
    let error_type = if is_valid_error_type(error_type) {
        error_type
    } else {
        error_type::DEFAULT.as_bytes()
    };
    Outcome::Failure {
        error_type,
        message: written,
    }
}

/// Error types become a header value: visible ASCII only, no spaces.
fn is_valid_error_type(error_type: &[u8]) -> bool {
    !error_type.is_empty()
        && error_type.len() <= MAX_ERROR_TYPE
        && error_type.iter().all(u8::is_ascii_graphic)
}

/// The response as a Rust handler sees it: the runtime's buffer, appended to with
/// [`Response::write`], or a stream, written with [`Response::stream`].
pub struct Response<'a> {
    buf: &'a mut [u8],
    len: usize,
    /// The runtime's stream for this invocation; null where there is none (tests).
    stream: *mut c_void,
    content_type: &'static str,
}

/// A write did not fit in the response buffer (6 MiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

impl<'a> Response<'a> {
    /// An empty response over `buf`, with no stream: [`Response::stream`] then fails (tests).
    pub fn new(buf: &'a mut [u8]) -> Self {
        Response {
            buf,
            len: 0,
            stream: core::ptr::null_mut(),
            content_type: "",
        }
    }

    /// The response over the buffer and stream that `out` describes.
    ///
    /// # Safety
    /// `out` must be as the runtime passes it to a handler: `ptr` has `cap` writable bytes
    /// that nothing else uses while the response lives, and `stream` is null or live.
    pub(crate) unsafe fn from_raw(out: &RawResponse) -> Self {
        // SAFETY: as the caller guarantees.
        let buf = unsafe { core::slice::from_raw_parts_mut(out.ptr, out.cap) };
        Response {
            stream: out.stream,
            ..Response::new(buf)
        }
    }

    /// The `Content-Type` of a streamed response; set it before the first
    /// [`Response::stream`]. (Buffered responses have none: Lambda passes them on as they are.)
    pub fn set_content_type(&mut self, content_type: &'static str) {
        self.content_type = content_type;
    }

    /// Sends `bytes` at once, as the next piece of a streamed response; the first call starts
    /// the stream. Bytes left in the buffer (from [`Response::write`]) when the handler returns
    /// are sent as the last piece; an `Err` from the handler after streaming reaches the caller
    /// as the stream's error trailers.
    pub fn stream(&mut self, bytes: &[u8]) -> Result<(), Broken> {
        // SAFETY: `stream` is null or the runtime's live stream for this invocation (see
        // `call_rust`); the handler holds `&mut self`, so nothing else uses it meanwhile.
        let stream = unsafe { self.stream.cast::<Stream<'_>>().as_mut() }.ok_or(Broken)?;
        stream.write(self.content_type.as_bytes(), bytes)
    }

    /// Starts a streamed response for a function URL or an HTTP integration: the status,
    /// headers and cookies the caller gets. The body follows with [`Response::stream`].
    pub fn stream_http_prelude(
        &mut self,
        status_code: u16,
        headers: &[(&str, &str)],
        cookies: &[&str],
    ) -> Result<(), Broken> {
        // SAFETY: as in `stream`.
        let stream = unsafe { self.stream.cast::<Stream<'_>>().as_mut() }.ok_or(Broken)?;
        stream.http_prelude(status_code, headers, cookies)
    }

    /// Appends `bytes`, or writes nothing if they do not fit.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), TooLarge> {
        self.len = crate::codec::bytes::put(self.buf, self.len, bytes).ok_or(TooLarge)?;
        Ok(())
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps the first `len` bytes written (all of them if fewer).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Forgets what was written.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The unwritten rest of the buffer, for writing in place; follow with [`Response::advance`].
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Marks `n` more bytes of [`Response::spare`] as written.
    pub fn advance(&mut self, n: usize) -> Result<(), TooLarge> {
        self.len = self
            .len
            .checked_add(n)
            .filter(|&l| l <= self.buf.len())
            .ok_or(TooLarge)?;
        Ok(())
    }
}

impl From<Broken> for Error {
    fn from(_: Broken) -> Self {
        Error::from_static(
            error_type::STREAM_BROKEN,
            "the streamed response could not be sent",
        )
    }
}

impl From<TooLarge> for Error {
    fn from(_: TooLarge) -> Self {
        Error::from_static(
            error_type::RESPONSE_TOO_LARGE,
            "the response does not fit in 6 MiB",
        )
    }
}

/// Adapts a safe Rust handler to [`HandlerFn`]; used by [`crate::main!`].
///
/// # Safety
/// The arguments must satisfy the handler ABI, as the runtime's [`call`] guarantees.
pub unsafe fn call_rust(
    handler: fn(&Context<'_>, &[u8], &mut Response<'_>) -> Result<(), Error>,
    context: *const RawContext,
    event: *const u8,
    event_len: usize,
    out: *mut RawResponse,
) -> c_int {
    // SAFETY: as this function's contract.
    let (context, event, out) = unsafe { borrow_call(context, event, event_len, out) };
    // SAFETY: `out` is as the runtime passes it, per the ABI.
    let mut response = unsafe { Response::from_raw(out) };
    let result = handler(&context, event, &mut response);
    finish(result, response.len, out)
}

/// A handler call's arguments as Rust sees them: the context, the event, the response buffer.
///
/// # Safety
/// The arguments must satisfy the handler ABI, as the runtime's [`call`] guarantees: all
/// pointers valid for `'a`, the context's strings UTF-8, and `out` describing a buffer nobody
/// else touches while the handler runs.
#[inline(always)]
pub(crate) unsafe fn borrow_call<'a>(
    context: *const RawContext,
    event: *const u8,
    event_len: usize,
    out: *mut RawResponse,
) -> (Context<'a>, &'a [u8], &'a mut RawResponse) {
    // SAFETY: as this function's contract.
    unsafe {
        let event = if event_len == 0 {
            &[][..]
        } else {
            core::slice::from_raw_parts(event, event_len)
        };
        (Context::from_raw(&*context), event, &mut *out)
    }
}

/// Adapts a safe Rust init hook to [`InitFn`]; used by [`crate::main!`].
///
/// # Safety
/// `out` must describe a valid buffer, as the runtime's [`call_init`] guarantees.
pub unsafe fn call_rust_init(init: fn() -> Result<(), Error>, out: *mut RawResponse) -> c_int {
    // SAFETY: `out` is valid for the call, per the ABI.
    let out = unsafe { &mut *out };
    finish(init(), 0, out)
}

#[inline(always)]
pub(crate) fn finish(result: Result<(), Error>, len: usize, out: &mut RawResponse) -> c_int {
    match result {
        Ok(()) => {
            out.len = len;
            0
        }
        Err(error) => {
            let message = error.message.as_bytes();
            let n = message.len().min(out.cap);
            // SAFETY: `out.ptr` has `out.cap` writable bytes and `n <= out.cap`.
            unsafe { core::ptr::copy_nonoverlapping(message.as_ptr(), out.ptr, n) };
            out.len = n;
            out.error_type = Str {
                ptr: error.error_type.as_ptr().cast(),
                len: error.error_type.len(),
            };
            1
        }
    }
}

/// An init hook that does nothing, for handlers without one.
pub fn no_init() -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::stream::Nowhere;

    fn echo(_: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
        out.write(event)?;
        Ok(())
    }

    fn refuse(ctx: &Context<'_>, _: &[u8], _: &mut Response<'_>) -> Result<(), Error> {
        Err(Error::new("Function.Refused", ctx.request_id))
    }

    unsafe extern "C" fn echo_abi(
        c: *const RawContext,
        e: *const u8,
        n: usize,
        o: *mut RawResponse,
    ) -> c_int {
        unsafe { call_rust(echo, c, e, n, o) }
    }

    unsafe extern "C" fn refuse_abi(
        c: *const RawContext,
        e: *const u8,
        n: usize,
        o: *mut RawResponse,
    ) -> c_int {
        unsafe { call_rust(refuse, c, e, n, o) }
    }

    unsafe extern "C" fn claims_too_much(
        _: *const RawContext,
        _: *const u8,
        _: usize,
        o: *mut RawResponse,
    ) -> c_int {
        unsafe { (*o).len = (*o).cap + 1 };
        0
    }

    unsafe extern "C" fn bad_error_type(
        _: *const RawContext,
        _: *const u8,
        _: usize,
        o: *mut RawResponse,
    ) -> c_int {
        unsafe {
            *(*o).ptr = b'm';
            (*o).len = 1;
            (*o).error_type = Str::new(b"Bad Type\r\n");
        }
        -7
    }

    #[test]
    fn rust_handler_success_through_the_abi() {
        let mut buf = [0u8; 16];
        let outcome = call(
            echo_abi,
            &RawContext::EMPTY,
            &mut b"hello".to_vec(),
            &mut buf,
            &mut Stream::direct(&mut Nowhere, &mut []),
        );
        assert_eq!(outcome, Outcome::Success(b"hello"));
    }

    #[test]
    fn rust_handler_error_through_the_abi() {
        let id = b"req-9\0";
        let ctx = RawContext {
            request_id: Str::new(&id[..5]),
            ..RawContext::EMPTY
        };
        let mut buf = [0u8; 64];
        let outcome = call(
            refuse_abi,
            &ctx,
            &mut [],
            &mut buf,
            &mut Stream::direct(&mut Nowhere, &mut []),
        );
        assert_eq!(
            outcome,
            Outcome::Failure {
                error_type: b"Function.Refused",
                message: b"req-9"
            }
        );
    }

    #[test]
    fn overflowing_writes_fail_without_writing() {
        let mut buf = [0u8; 4];
        let outcome = call(
            echo_abi,
            &RawContext::EMPTY,
            &mut b"hello".to_vec(),
            &mut buf,
            &mut Stream::direct(&mut Nowhere, &mut []),
        );
        assert_eq!(
            outcome,
            Outcome::Failure {
                error_type: b"Runtime.ResponseTooLarge",
                message: b"the "
            },
            "the message is cut to the buffer"
        );
        let mut response = Response::new(&mut buf);
        response.write(b"abc").unwrap();
        assert_eq!(response.write(b"de"), Err(TooLarge));
        assert_eq!(response.as_bytes(), b"abc");
        assert_eq!(response.advance(2), Err(TooLarge));
        response.spare()[0] = b'd';
        response.advance(1).unwrap();
        assert_eq!(response.as_bytes(), b"abcd");
    }

    #[test]
    fn a_length_beyond_the_buffer_is_reported_not_read() {
        let mut buf = [0u8; 8];
        match call(
            claims_too_much,
            &RawContext::EMPTY,
            &mut [],
            &mut buf,
            &mut Stream::direct(&mut Nowhere, &mut []),
        ) {
            Outcome::Failure { error_type, .. } => {
                assert_eq!(error_type, error_type::RESPONSE_TOO_LARGE.as_bytes())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_error_types_become_the_default() {
        let mut buf = [0u8; 8];
        let outcome = call(
            bad_error_type,
            &RawContext::EMPTY,
            &mut [],
            &mut buf,
            &mut Stream::direct(&mut Nowhere, &mut []),
        );
        assert_eq!(
            outcome,
            Outcome::Failure {
                error_type: error_type::DEFAULT.as_bytes(),
                message: b"m"
            }
        );
        assert!(is_valid_error_type(b"Function.MyError"));
        assert!(!is_valid_error_type(b""));
        assert!(!is_valid_error_type(&[b'a'; MAX_ERROR_TYPE + 1]));
        assert!(!is_valid_error_type("Fünction".as_bytes()));
    }
}
