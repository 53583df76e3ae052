//! Streamed responses: the handler writes its response in pieces and each piece leaves at
//! once as one HTTP chunk of a `POST .../response` with
//! `Lambda-Runtime-Function-Response-Mode: streaming`, so responses may exceed the 6 MiB
//! buffer (Lambda allows 200 MB) while memory stays flat.
//!
//! The head is sent with the first piece. When the handler returns, whatever it left in the
//! response buffer is sent as the last chunk and the stream ends with the zero chunk; if the
//! handler failed, real HTTP trailers follow it: `Lambda-Runtime-Function-Error-Type` and
//! `Lambda-Runtime-Function-Error-Body` (the error document, base64), which the head declared
//! in `Trailer`.
//!
//! A bootstrap whose handler never streams does not carry this code: the end of a stream is
//! reached through a function pointer that only the first write stores (see `Stream::end`).

use core::ffi::{c_int, c_void};

use crate::api::{Ids, MustExit, RuntimeApi};
use crate::chunked::{self, SIZE_LINE_LEN};
use crate::context::Str;
use crate::handler::RawResponse;
#[cfg(feature = "local-mode")]
use crate::local::Answer;
use crate::{base64, json, log, panic, runtime};

/// Longest `Content-Type` we send; it goes into the head.
pub const MAX_CONTENT_TYPE: usize = 128;
const DEFAULT_CONTENT_TYPE: &[u8] = b"application/octet-stream";
/// Longest error message carried in a trailer: the trailer is one header line.
pub const TRAILER_MESSAGE: usize = 4096;
/// Room for the base64 of an error document with a [`TRAILER_MESSAGE`] message.
pub const TRAILER_BODY_LEN: usize = base64::encoded_len(6 * (TRAILER_MESSAGE + 128) + 64);

#[cfg(feature = "local-mode")]
const CALLER_GONE: &str = "the caller closed the connection";

/// The stream cannot go on: the connection failed, or stdout is closed. What was sent is all
/// the caller gets; the runtime logs it and serves the next invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Open,
    Broken,
}

enum Sink<'a> {
    Api { api: &'a mut RuntimeApi, ids: Ids<'a> },
    /// Local mode: the pieces go to the HTTP caller as a chunked response.
    #[cfg(feature = "local-mode")]
    Caller(&'a mut Answer),
    /// `bootstrap --invoke`: the pieces go to stdout as they come.
    Stdout,
}

/// How a stream ends, given to [`Stream::end`].
pub struct Ending<'e> {
    /// What the handler left in the response buffer: the last chunk.
    pub remainder: &'e [u8],
    /// On failure: the error type and message, for the trailers.
    pub error: Option<(&'e [u8], &'e [u8])>,
    /// Room for the error document's UTF-8 form and then its base64 ([`TRAILER_BODY_LEN`]).
    pub scratch: &'e mut [u8],
    /// Room for the error document.
    pub document: &'e mut [u8],
}

type EndFn = fn(&mut Stream<'_>, Ending<'_>) -> Result<(), MustExit>;

/// A response being streamed, reachable from the handler through `lb_response.stream`.
pub struct Stream<'a> {
    sink: Sink<'a>,
    state: State,
    /// Set by the first write: ends the stream. `None` while nothing was streamed.
    end: Option<EndFn>,
    /// Room to write a prelude into.
    scratch: &'a mut [u8],
}

impl<'a> Stream<'a> {
    /// A stream to the Runtime API for the invocation `ids`; `scratch` (the reply buffer,
    /// idle while the handler runs) holds an HTTP prelude.
    pub fn to_api(api: &'a mut RuntimeApi, ids: Ids<'a>, scratch: &'a mut [u8]) -> Self {
        Stream { sink: Sink::Api { api, ids }, state: State::NotStarted, end: None, scratch }
    }

    /// A stream to local mode's caller; `scratch` as for [`Stream::to_api`].
    #[cfg(feature = "local-mode")]
    pub fn to_caller(answer: &'a mut Answer, scratch: &'a mut [u8]) -> Self {
        Stream { sink: Sink::Caller(answer), state: State::NotStarted, end: None, scratch }
    }

    /// A stream to stdout, for `--invoke`.
    pub fn to_stdout(scratch: &'a mut [u8]) -> Self {
        Stream { sink: Sink::Stdout, state: State::NotStarted, end: None, scratch }
    }

    /// Whether the handler has streamed (then the response was sent, or broke, that way).
    pub fn is_started(&self) -> bool {
        self.state != State::NotStarted
    }

    /// Sends `data` as one chunk; the first call sends the head too, with `content_type`
    /// (empty: `application/octet-stream`). An empty `data` sends nothing but the head.
    pub fn write(&mut self, content_type: &[u8], data: &[u8]) -> Result<(), Broken> {
        let mut size = [0; SIZE_LINE_LEN];
        let chunk: [&[u8]; 3] = [chunked::size_line(data.len(), &mut size), data, b"\r\n"];
        let chunk = if data.is_empty() { &chunk[..0] } else { &chunk[..] };
        self.send(content_type, chunk, data)
    }

    /// Sends `chunks` (HTTP chunks, framed), the head first if the stream is not started;
    /// `data` is what they carry, for `--invoke`'s stdout.
    fn send(&mut self, content_type: &[u8], chunk: &[&[u8]], data: &[u8]) -> Result<(), Broken> {
        let sent = match (&mut self.sink, self.state) {
            (_, State::Broken) => return Err(Broken),
            (Sink::Api { api, ids }, State::NotStarted) => {
                let content_type = valid_content_type(content_type);
                let sent = api.stream_start(ids, content_type, chunk);
                if sent.is_ok() {
                    panic::enter_stream(api);
                }
                sent.map_err(|e| e.message())
            }
            (Sink::Api { api, .. }, State::Open) => api.stream_send(chunk).map_err(|e| e.message()),
            #[cfg(feature = "local-mode")]
            (Sink::Caller(answer), State::NotStarted) => {
                answer.stream_start(valid_content_type(content_type), chunk).map_err(|_| CALLER_GONE)
            }
            #[cfg(feature = "local-mode")]
            (Sink::Caller(answer), State::Open) => answer.stream_send(chunk).map_err(|_| CALLER_GONE),
            (Sink::Stdout, _) => runtime::write_stdout(data).map_err(|_| "cannot write to stdout"),
        };
        self.end = Some(end_stream);
        match sent {
            Ok(()) => {
                self.state = State::Open;
                Ok(())
            }
            Err(why) => {
                log::line(&[b"streamed response broke: ", why.as_bytes()]);
                // Its connection is closed: a later panic must not write to that descriptor.
                panic::leave_stream();
                self.state = State::Broken;
                Err(Broken)
            }
        }
    }

    /// Starts a function-URL / HTTP-integration response: its content type, then the JSON
    /// prelude (`statusCode`, `headers`, `cookies`) as the first chunk and eight NUL bytes as
    /// the second, in one send. Lambda reads the bytes whatever the chunking, but cargo-lambda's
    /// emulator reads the prelude from the first chunk and the NULs from the second, as
    /// lambda_runtime sends them: one chunk of both fails there (500).
    pub fn http_prelude(&mut self, status_code: u16, headers: &[(&str, &str)], cookies: &[&str]) -> Result<(), Broken> {
        if self.is_started() {
            log::text(b"an HTTP prelude must come first in a stream; it was not sent");
            return Err(Broken);
        }
        let scratch = core::mem::take(&mut self.scratch);
        let result = match json::http_prelude(status_code, headers, cookies, scratch) {
            Some(prelude) => {
                let (json, nuls) = prelude.split_at(prelude.len().saturating_sub(json::HTTP_PRELUDE_DELIMITER.len()));
                let (mut json_size, mut nuls_size) = ([0; SIZE_LINE_LEN], [0; SIZE_LINE_LEN]);
                let chunks: [&[u8]; 6] = [
                    chunked::size_line(json.len(), &mut json_size),
                    json,
                    b"\r\n",
                    chunked::size_line(nuls.len(), &mut nuls_size),
                    nuls,
                    b"\r\n",
                ];
                self.send(json::HTTP_INTEGRATION_CONTENT_TYPE, &chunks, prelude)
            }
            None => {
                log::text(b"HTTP prelude larger than 16 KiB; not sent");
                Err(Broken)
            }
        };
        self.scratch = scratch;
        result
    }

    /// Ends a stream the handler started, if it did. Returns whether it did (and so whether
    /// the invocation was answered this way).
    pub fn end(&mut self, ending: Ending<'_>) -> Option<Result<(), MustExit>> {
        let end = self.end?;
        Some(end(self, ending))
    }
}

/// Ends a stream that was started: see [`Stream::end`].
fn end_stream(stream: &mut Stream<'_>, ending: Ending<'_>) -> Result<(), MustExit> {
    if stream.state == State::Broken {
        return Ok(());
    }
    let mut size = [0; SIZE_LINE_LEN];
    let last: [&[u8]; 3] = [chunked::size_line(ending.remainder.len(), &mut size), ending.remainder, b"\r\n"];
    let last = if ending.remainder.is_empty() { &last[..0] } else { &last[..] };
    let error = ending.error.map(|(error_type, message)| {
        let document = json::error_document_cut(error_type, message, TRAILER_MESSAGE, ending.scratch, ending.document);
        // Fits: the scratch holds TRAILER_BODY_LEN bytes (see Ending).
        (error_type, base64::encode(document, ending.scratch).unwrap_or(b""))
    });
    let mut parts: [&[u8]; 9] = [b""; 9];
    parts[..last.len()].copy_from_slice(last);
    let trailers = trailers(error);
    parts[last.len()..last.len() + trailers.len()].copy_from_slice(&trailers);
    let parts = &parts[..last.len() + trailers.len()];
    let (api, ids) = match &mut stream.sink {
        Sink::Api { api, ids } => (api, ids),
        #[cfg(feature = "local-mode")]
        Sink::Caller(answer) => {
            if answer.stream_send(parts).is_err() {
                log::line(&[b"streamed response for request ", answer.request_id(), b" broke: ", CALLER_GONE.as_bytes()]);
            }
            return Ok(());
        }
        // --invoke: the runtime prints an error document itself.
        Sink::Stdout => return runtime::write_stdout(ending.remainder).map_err(|_| MustExit),
    };
    let sent = api.stream_send(parts);
    panic::leave_stream();
    match sent {
        Ok(()) => api.stream_reply(ids.request_id, stream.scratch),
        Err(e) => {
            log::line(&[b"streamed response for request ", ids.request_id, b" broke: ", e.message().as_bytes()]);
            Ok(())
        }
    }
}

/// The end of a chunked body: the zero chunk, then, on failure, the error trailers.
pub fn trailers<'e>(error: Option<(&'e [u8], &'e [u8])>) -> heapless::Vec<&'e [u8], 6> {
    let pieces: &[&'e [u8]] = match error {
        None => &[b"0\r\n\r\n"],
        Some((error_type, body)) => &[
            b"0\r\nLambda-Runtime-Function-Error-Type: ",
            error_type,
            b"\r\nLambda-Runtime-Function-Error-Body: ",
            body,
            b"\r\n\r\n",
        ],
    };
    // Fits: at most 5 pieces.
    pieces.iter().copied().collect()
}

/// The handler's content type if it is a plausible header value, else the default.
fn valid_content_type(content_type: &[u8]) -> &[u8] {
    let valid = !content_type.is_empty()
        && content_type.len() <= MAX_CONTENT_TYPE
        && content_type.iter().all(|&b| b == b' ' || b.is_ascii_graphic());
    if valid { content_type } else { DEFAULT_CONTENT_TYPE }
}

/// `lb_stream_write` for C handlers (defined by [`crate::main!`]).
///
/// # Safety
/// `out` must be the `lb_response` the runtime passed to the running handler, and `data`
/// must point at `len` readable bytes.
pub unsafe fn c_write(out: *mut RawResponse, data: *const u8, len: usize) -> c_int {
    // SAFETY: per the contract, `out` is the runtime's, and its `stream` a live `Stream`.
    let (out, stream) = unsafe { (&*out, &mut *(*out).stream.cast::<Stream<'_>>()) };
    // SAFETY: per the contract.
    let data = if len == 0 { &[][..] } else { unsafe { core::slice::from_raw_parts(data, len) } };
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

/// A pointer for `lb_response.stream`.
pub fn as_ptr(stream: &mut Stream<'_>) -> *mut c_void {
    (stream as *mut Stream<'_>).cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_end_the_body() {
        assert_eq!(trailers(None).concat(), b"0\r\n\r\n");
        let with_error = trailers(Some((b"Function.X", b"eyJ9")));
        assert_eq!(
            with_error.concat(),
            b"0\r\nLambda-Runtime-Function-Error-Type: Function.X\r\nLambda-Runtime-Function-Error-Body: eyJ9\r\n\r\n"
        );
    }

    #[test]
    fn content_types_that_cannot_be_a_header_value_become_the_default() {
        assert_eq!(valid_content_type(b"text/plain; charset=utf-8"), b"text/plain; charset=utf-8");
        assert_eq!(valid_content_type(b""), DEFAULT_CONTENT_TYPE);
        assert_eq!(valid_content_type(b"text/plain\r\nX-Evil: 1"), DEFAULT_CONTENT_TYPE);
        assert_eq!(valid_content_type(&[b'a'; MAX_CONTENT_TYPE + 1]), DEFAULT_CONTENT_TYPE);
    }
}
