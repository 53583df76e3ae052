//! Streamed responses: the handler writes its response in pieces and each piece leaves at
//! once, so responses may exceed the 6 MiB buffer (Lambda allows 200 MB) while memory stays
//! flat.
//!
//! The stream decides what is sent and when: the head with the first piece, then each piece,
//! then, when the handler returns, what it left in the response buffer as the last piece and,
//! if it failed, its error for the trailers. Where the bytes go is the [`Sink`]'s business:
//! the Runtime API and a local caller frame them as HTTP chunks, `--invoke` prints them.
//!
//! A bootstrap whose handler never streams does not carry the ending's code: it is reached
//! through a function pointer that only the first write stores (see [`Stream::end`]).

use core::ffi::c_void;

use crate::codec::json;
use crate::contract::{MAX_CONTENT_TYPE, MAX_TRAILER_MESSAGE, MustExit};
use crate::sys::log;

const DEFAULT_CONTENT_TYPE: &[u8] = b"application/octet-stream";

/// The stream cannot go on: the connection failed, or stdout is closed. What was sent is all
/// the caller gets; the runtime logs it and serves the next invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broken;

/// A failed stream's error, as its trailers carry it.
#[derive(Debug, Clone, Copy)]
pub struct StreamError<'e> {
    /// The error type.
    pub error_type: &'e [u8],
    /// The JSON error document, its message cut to [`MAX_TRAILER_MESSAGE`].
    pub document: &'e [u8],
    /// The same document in base64, as a trailer value.
    pub encoded: &'e [u8],
}

/// Where a streamed response goes. Each sink logs why it broke before it says so.
pub trait Sink {
    /// Sends the response's head, with `content_type`, and `data`, its first piece.
    fn start(&mut self, content_type: &[u8], data: &[u8]) -> Result<(), Broken>;
    /// Sends `data`, the next piece.
    fn send(&mut self, data: &[u8]) -> Result<(), Broken>;
    /// Sends `last` and ends the response, with `error` for a failed invocation; `reply` is
    /// room for what the receiver answers.
    fn end(
        &mut self,
        last: &[u8],
        error: Option<StreamError<'_>>,
        reply: &mut [u8],
    ) -> Result<(), MustExit>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Open,
    Broken,
}

type EndFn = fn(
    &mut Stream<'_>,
    &[u8],
    Option<(&[u8], &[u8])>,
    &mut json::ErrorBuffers,
) -> Result<(), MustExit>;

/// Which destination a stream writes to: a number its destination chooses, which the
/// dispatcher at the top of the crate ([`Routes`], implemented in `start.rs`) turns back into
/// its type.
///
/// Why not a `&mut dyn Sink`: a trait object's vtable, made where the stream is made, links
/// every destination's streaming code (and the panic path that ends a stream) into every
/// bootstrap, 4.5 KB. The dispatcher is reached only from [`Stream::write`], which only a
/// handler that streams reaches: a bootstrap whose handler never streams links none of it,
/// and this module names no destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route(pub u8);

/// The dispatcher: the destination of a route, as a sink. Implemented for [`Route`] at the
/// top of the crate (`start.rs`), where every destination is known.
///
/// A trait rather than a function declared here and defined there (`extern "Rust"` and
/// `#[no_mangle]`): an exported symbol is a root of link-time optimisation, which kept every
/// destination's streaming code alive long enough to tell LLVM that a stream may start, so
/// the panic path that ends a stream stayed in bootstraps that never stream (the linker
/// dropped the rest later). A trait's method is reached only from where it is called.
pub trait Routes {
    /// `dest` as a pointer to the sink of the type `route` names (dereferencing it is the
    /// caller's business: it must point to a live destination of that type).
    fn sink(route: Route, dest: *mut ()) -> *mut dyn Sink;
}

/// Where a stream's bytes go.
enum Target<'a> {
    /// A destination found again through its route (see [`Route`]).
    Routed {
        route: Route,
        dest: *mut (),
        _lent: core::marker::PhantomData<&'a mut ()>,
    },
    /// A sink given directly, for tests.
    #[cfg(test)]
    Direct(&'a mut dyn Sink),
}

/// A response being streamed, reachable from the handler through `lb_response.stream`.
pub struct Stream<'a> {
    target: Target<'a>,
    state: State,
    /// Set by the first write: ends the stream. `None` while nothing was streamed.
    end: Option<EndFn>,
    /// Room to write a prelude into, and then the receiver's reply.
    scratch: &'a mut [u8],
}

impl<'a> Stream<'a> {
    /// A stream to the destination at `dest`, of the type `route` names; `scratch` (the
    /// reply buffer, idle while the handler runs) holds an HTTP prelude.
    ///
    /// # Safety
    /// `dest` must point to a live destination of the type that [`Routes::sink`] gives `route`,
    /// used by nothing else while the stream writes to it, for `'a`.
    pub unsafe fn new(route: Route, dest: *mut (), scratch: &'a mut [u8]) -> Self {
        let target = Target::Routed {
            route,
            dest,
            _lent: core::marker::PhantomData,
        };
        Stream {
            target,
            state: State::NotStarted,
            end: None,
            scratch,
        }
    }

    /// A stream to `sink`, for tests.
    #[cfg(test)]
    pub fn direct(sink: &'a mut dyn Sink, scratch: &'a mut [u8]) -> Self {
        Stream {
            target: Target::Direct(sink),
            state: State::NotStarted,
            end: None,
            scratch,
        }
    }

    /// The sink the stream writes to.
    fn sink(&mut self) -> &mut dyn Sink {
        match &mut self.target {
            // SAFETY: `new`'s contract: `dest` is a live destination of the type `route`
            // names, lent to the stream; the dispatcher casts it back to that type.
            Target::Routed { route, dest, .. } => unsafe {
                &mut *<Route as Routes>::sink(*route, *dest)
            },
            #[cfg(test)]
            Target::Direct(sink) => &mut **sink,
        }
    }

    /// Whether the handler has streamed (then the response was sent, or broke, that way).
    pub fn is_started(&self) -> bool {
        self.state != State::NotStarted
    }

    /// Sends `data` as the next piece; the first call sends the head too, with
    /// `content_type` (empty: `application/octet-stream`). An empty `data` sends nothing but
    /// the head.
    pub fn write(&mut self, content_type: &[u8], data: &[u8]) -> Result<(), Broken> {
        let sent = match self.state {
            State::Broken => return Err(Broken),
            State::NotStarted => self.sink().start(valid_content_type(content_type), data),
            State::Open => self.sink().send(data),
        };
        self.end = Some(end_stream);
        self.state = if sent.is_ok() {
            State::Open
        } else {
            State::Broken
        };
        sent
    }

    /// Starts a function-URL / HTTP-integration response: its content type, then the JSON
    /// prelude (`statusCode`, `headers`, `cookies`) as the first piece and eight NUL bytes as
    /// the second. Lambda reads the bytes whatever the chunking, but cargo-lambda's emulator
    /// reads the prelude from the first chunk and the NULs from the second, as lambda_runtime
    /// sends them: one chunk of both fails there (500).
    pub fn http_prelude(
        &mut self,
        status_code: u16,
        headers: &[(&str, &str)],
        cookies: &[&str],
    ) -> Result<(), Broken> {
        if self.is_started() {
            log::text(b"an HTTP prelude must come first in a stream; it was not sent");
            return Err(Broken);
        }
        let scratch = core::mem::take(&mut self.scratch);
        let result = match json::http_prelude(status_code, headers, cookies, scratch) {
            Some(prelude) => {
                let split = prelude
                    .len()
                    .saturating_sub(json::HTTP_PRELUDE_DELIMITER.len());
                let (json, nuls) = prelude.split_at_checked(split).unwrap_or_default();
                self.write(json::HTTP_INTEGRATION_CONTENT_TYPE, json)
                    .and_then(|()| self.write(json::HTTP_INTEGRATION_CONTENT_TYPE, nuls))
            }
            None => {
                log::text(b"HTTP prelude larger than 16 KiB; not sent");
                Err(Broken)
            }
        };
        self.scratch = scratch;
        result
    }

    /// Ends a stream the handler started, if it did, with `remainder` (what the handler left
    /// in the response buffer) as the last piece and, on failure, `error` (type, message) in
    /// the trailers. Returns whether it did (and so whether the invocation was answered).
    pub fn end(
        &mut self,
        remainder: &[u8],
        error: Option<(&[u8], &[u8])>,
        buffers: &mut json::ErrorBuffers,
    ) -> Option<Result<(), MustExit>> {
        let end = self.end?;
        Some(end(self, remainder, error, buffers))
    }
}

/// Ends a stream that was started: see [`Stream::end`].
fn end_stream(
    stream: &mut Stream<'_>,
    remainder: &[u8],
    error: Option<(&[u8], &[u8])>,
    buffers: &mut json::ErrorBuffers,
) -> Result<(), MustExit> {
    if stream.state == State::Broken {
        return Ok(());
    }
    let Some((error_type, message)) = error else {
        let scratch = core::mem::take(&mut stream.scratch);
        return stream.sink().end(remainder, None, scratch);
    };
    let (document, encoded) = buffers.trailer(error_type, message, MAX_TRAILER_MESSAGE);
    let error = StreamError {
        error_type,
        document,
        encoded,
    };
    let scratch = core::mem::take(&mut stream.scratch);
    stream.sink().end(remainder, Some(error), scratch)
}

/// The handler's content type if it is a plausible header value, else the default.
fn valid_content_type(content_type: &[u8]) -> &[u8] {
    let valid = !content_type.is_empty()
        && content_type.len() <= MAX_CONTENT_TYPE
        && content_type
            .iter()
            .all(|&b| b == b' ' || b.is_ascii_graphic());
    if valid {
        content_type
    } else {
        DEFAULT_CONTENT_TYPE
    }
}

/// A pointer for `lb_response.stream`.
pub fn as_ptr(stream: &mut Stream<'_>) -> *mut c_void {
    (stream as *mut Stream<'_>).cast()
}

/// A sink that cannot be written: every write breaks. What a route no destination has gets
/// (see `start.rs`), and what tests of handlers that do not stream write to.
pub(crate) struct Nowhere;

impl Sink for Nowhere {
    fn start(&mut self, _: &[u8], _: &[u8]) -> Result<(), Broken> {
        Err(Broken)
    }
    fn send(&mut self, _: &[u8]) -> Result<(), Broken> {
        Err(Broken)
    }
    fn end(&mut self, _: &[u8], _: Option<StreamError<'_>>, _: &mut [u8]) -> Result<(), MustExit> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::base64;

    #[test]
    fn content_types_that_cannot_be_a_header_value_become_the_default() {
        assert_eq!(
            valid_content_type(b"text/plain; charset=utf-8"),
            b"text/plain; charset=utf-8"
        );
        assert_eq!(valid_content_type(b""), DEFAULT_CONTENT_TYPE);
        assert_eq!(
            valid_content_type(b"text/plain\r\nX-Evil: 1"),
            DEFAULT_CONTENT_TYPE
        );
        assert_eq!(
            valid_content_type(&[b'a'; MAX_CONTENT_TYPE + 1]),
            DEFAULT_CONTENT_TYPE
        );
    }

    /// Records what a stream asks of its sink.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<String>,
        fail_after: Option<usize>,
    }

    impl Sink for Recorder {
        fn start(&mut self, content_type: &[u8], data: &[u8]) -> Result<(), Broken> {
            self.calls.push(format!(
                "start {} {}",
                String::from_utf8_lossy(content_type),
                String::from_utf8_lossy(data)
            ));
            self.check()
        }
        fn send(&mut self, data: &[u8]) -> Result<(), Broken> {
            self.calls
                .push(format!("send {}", String::from_utf8_lossy(data)));
            self.check()
        }
        fn end(
            &mut self,
            last: &[u8],
            error: Option<StreamError<'_>>,
            _: &mut [u8],
        ) -> Result<(), MustExit> {
            let error = error.map(|e| {
                let decoded = base64_decode(e.encoded);
                assert_eq!(decoded, e.document, "the trailer is the document in base64");
                format!(
                    " {} {}",
                    String::from_utf8_lossy(e.error_type),
                    String::from_utf8_lossy(e.document)
                )
            });
            self.calls.push(format!(
                "end {}{}",
                String::from_utf8_lossy(last),
                error.unwrap_or_default()
            ));
            Ok(())
        }
    }

    impl Recorder {
        fn check(&self) -> Result<(), Broken> {
            if self.fail_after.is_some_and(|n| self.calls.len() > n) {
                Err(Broken)
            } else {
                Ok(())
            }
        }
    }

    fn base64_decode(text: &[u8]) -> Vec<u8> {
        let mut buf = text.to_vec();
        let n = base64::decode_in_place(&mut buf)
            .expect("valid base64")
            .len();
        buf.truncate(n);
        buf
    }

    fn error_buffers() -> Box<json::ErrorBuffers> {
        json::ErrorBuffers::boxed()
    }

    #[test]
    fn a_stream_starts_sends_and_ends_through_its_sink() {
        let mut sink = Recorder::default();
        let mut scratch = [0u8; 64];
        let mut stream = Stream::direct(&mut sink, &mut scratch);
        assert!(!stream.is_started());
        stream.write(b"text/plain", b"one").unwrap();
        stream.write(b"ignored", b"two").unwrap();
        assert_eq!(
            stream.end(b"three", None, &mut error_buffers()),
            Some(Ok(()))
        );
        assert_eq!(
            sink.calls,
            ["start text/plain one", "send two", "end three"]
        );
    }

    #[test]
    fn a_failed_stream_ends_with_its_error_in_base64() {
        let mut sink = Recorder::default();
        let mut scratch = [0u8; 64];
        let mut stream = Stream::direct(&mut sink, &mut scratch);
        stream.write(b"", b"one").unwrap();
        stream
            .end(b"", Some((b"Function.X", b"boom")), &mut error_buffers())
            .unwrap()
            .unwrap();
        assert_eq!(sink.calls[0], "start application/octet-stream one");
        assert_eq!(
            sink.calls[1],
            r#"end  Function.X {"errorMessage":"boom","errorType":"Function.X","stackTrace":[]}"#
        );
    }

    #[test]
    fn a_broken_stream_sends_nothing_more() {
        let mut sink = Recorder {
            fail_after: Some(1),
            ..Recorder::default()
        };
        let mut scratch = [0u8; 64];
        let mut stream = Stream::direct(&mut sink, &mut scratch);
        stream.write(b"", b"one").unwrap();
        assert_eq!(stream.write(b"", b"two"), Err(Broken));
        assert_eq!(stream.write(b"", b"three"), Err(Broken));
        assert_eq!(stream.end(b"", None, &mut error_buffers()), Some(Ok(())));
        assert_eq!(
            sink.calls,
            ["start application/octet-stream one", "send two"]
        );
    }

    #[test]
    fn a_stream_never_written_is_not_ended() {
        let mut sink = Recorder::default();
        let mut scratch = [0u8; 64];
        let mut stream = Stream::direct(&mut sink, &mut scratch);
        assert_eq!(stream.end(b"whole", None, &mut error_buffers()), None);
        assert!(sink.calls.is_empty());
    }
}
