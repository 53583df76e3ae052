//! Local mode: when `AWS_LAMBDA_RUNTIME_API` is unset, the bootstrap is its own emulator. It
//! serves Lambda's Invoke API, `POST /2015-03-31/functions/function/invocations`, on
//! `LAMBDA_LOCAL_ADDRESS` (default `0.0.0.0:8080`, the official images' port), and runs the
//! linked handler for each request, as AWS's Runtime Interface Emulator does for its images.
//!
//! Requests are served one at a time, in the order they arrive; the others wait in the
//! listening socket's queue. Processes: the first one runs init, then supervises the server,
//! a process forked from it; for each invocation the server forks a watchdog that enforces
//! the timeout (see `watchdog`). A server killed at a timeout, or dead of a crash, is replaced
//! by a fresh fork of the initialised process.
//!
//! Answers are as Lambda's Invoke API gives them: 200 with the handler's bytes; a handler
//! error as 200 with `X-Amz-Function-Error: Unhandled` and the error document; a streamed
//! response passed on as it comes, chunked, with the error trailers on failure.

mod reply;
mod request;
mod watchdog;

use core::ffi::{c_char, c_int, CStr};
use core::ops::Range;

use self::request::{Invoke, Refusal};
use self::watchdog::Watchdog;
use crate::client::{self, ClientError};
use crate::clock::{now_ms, now_us, Clock};
use crate::context::{RawContext, Str};
use crate::handler::{self, HandlerFn, InitFn, Outcome};
use crate::net::{self, Socket};
use crate::request::RequestHead;
use crate::stream::{Ending, Stream};
use crate::trace_env::TraceEnv;
use crate::{api, base64, chunked, endpoint, json, log, num, response, workers};

/// Where local mode listens unless `LAMBDA_LOCAL_ADDRESS` says otherwise.
pub const DEFAULT_ADDRESS: &str = "0.0.0.0:8080";
/// The emulator's default for `AWS_LAMBDA_FUNCTION_TIMEOUT` (seconds), and Lambda's maximum.
const DEFAULT_TIMEOUT_S: u64 = 300;
/// A caller has this long between bytes of its request before it gets a 408.
const RECV_TIMEOUT_S: u64 = 10;

unsafe extern "C" {
    fn getenv(name: *const c_char) -> *const c_char;
}

/// The runtime's memory, lent to local mode.
pub struct Memory<'a> {
    /// The request: head and event.
    pub request: &'a mut [u8],
    /// The handler's response buffer.
    pub response: &'a mut [u8],
    /// Room for a streamed response's prelude.
    pub scratch: &'a mut [u8],
    /// For the error document: see `json::error_document`.
    pub error_scratch: &'a mut [u8],
    pub error_document: &'a mut [u8],
}

/// What every invocation's context shares.
struct Function<'a> {
    timeout_s: u64,
    /// The ARN, NUL-terminated for C handlers.
    arn: &'a [u8],
}

/// Listens, runs `init`, and serves until the server cannot be replaced. Returns the exit
/// status.
///
/// `ISOLATE` (`main!(isolated ...)`): each invocation runs in a child forked for it, as on
/// Lambda; its watchdog kills only that child.
pub fn serve<const ISOLATE: bool>(
    handler: HandlerFn,
    init: Option<InitFn>,
    memory: Memory<'_>,
    trace: &mut TraceEnv,
) -> c_int {
    let address = env(c"LAMBDA_LOCAL_ADDRESS").unwrap_or(DEFAULT_ADDRESS.as_bytes());
    let parsed = core::str::from_utf8(address).map_err(|_| endpoint::EndpointError::BadHost);
    let listener = match parsed.and_then(endpoint::parse) {
        Ok(endpoint) => net::listen(&endpoint.addr),
        Err(e) => {
            let shown = log::printable::<256>(address);
            log::line(&[b"LAMBDA_LOCAL_ADDRESS=\"", &shown, b"\" ", e.message().as_bytes()]);
            return 1;
        }
    };
    let Ok(listener) = listener else {
        log::line(&[b"local mode: cannot listen on ", address, b" (in use, or not allowed); set LAMBDA_LOCAL_ADDRESS"]);
        return 1;
    };
    if let Some(Outcome::Failure { error_type, message }) = crate::runtime::run_init(init, memory.response) {
        let shown = log::printable::<512>(message);
        log::line(&[b"init failed: ", error_type, b": ", &shown]);
        return 1;
    }
    let mut arn = RequestHead::new();
    let function = Function { timeout_s: timeout_s(), arn: function_arn(&mut arn) };
    log::line(&[
        b"local mode (AWS_LAMBDA_RUNTIME_API is not set): invoke with POST http://",
        address,
        b"/2015-03-31/functions/function/invocations",
    ]);
    let Memory { request, response, scratch, error_scratch, error_document } = memory;
    workers::supervise(1, || loop {
        let Ok(socket) = net::accept(&listener, RECV_TIMEOUT_S) else {
            // Out of descriptors, or the caller left the queue already: try the next.
            workers::pause_ms(10);
            continue;
        };
        let started_us = now_us(Clock::Monotonic);
        let read = read_request(&socket, request);
        let (invoke, event) = match read {
            Ok(read) => read,
            Err(None) => continue, // the caller left before its request was complete
            Err(Some(refusal)) => {
                refuse(&socket, refusal, request);
                continue;
            }
        };
        let mut id = [0u8; REQUEST_ID_LEN + 1];
        let context = match context(&invoke, request, &function, new_request_id(&mut id)) {
            Ok(context) => context,
            Err(refusal) => {
                refuse(&socket, refusal, request);
                continue;
            }
        };
        // SAFETY: the trace id points into `request`, which outlives this invocation.
        trace.set(unsafe { context.trace_id.as_bytes() });
        let mut request_id = [0; REQUEST_ID_LEN];
        request_id.copy_from_slice(&id[..REQUEST_ID_LEN]);
        let caller = Caller { socket, request_id };
        let place = if ISOLATE { isolate() } else { Place::Here };
        if place == Place::Elsewhere {
            continue; // served by the child; our copy of the connection closes here
        }
        let watchdog = Watchdog::start(&caller, function.timeout_s);
        if watchdog.is_err() {
            log::text(b"cannot fork the timeout's watchdog; this invocation has no timeout");
        }
        let mut answer = Answer { caller, watchdog: watchdog.ok(), answering: false };
        let buffers = (&mut *response, &mut *scratch, &mut *error_scratch, &mut *error_document);
        let event = request.get(event).unwrap_or_default();
        let error_type = invoke_handler(handler, &context, event, &mut answer, buffers);
        if let Some(watchdog) = answer.watchdog {
            watchdog.finish();
        }
        report(&id[..REQUEST_ID_LEN], started_us, error_type);
        if place == Place::Child {
            crate::runtime::exit(0);
        }
    })
}

/// Where an invocation is served.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In this process.
    Here,
    /// In this process, a child forked for it, which exits after answering.
    Child,
    /// By a child, which has ended: nothing left to do here.
    Elsewhere,
}

/// Forks the process of an isolated invocation: in the child, [`Place::Child`]; in the
/// parent, once the child has ended, [`Place::Elsewhere`]. If the fork fails, the invocation
/// is served [`Place::Here`].
fn isolate() -> Place {
    match workers::fork() {
        Ok(None) => Place::Child,
        Ok(Some(child)) => {
            workers::wait(Some(child));
            Place::Elsewhere
        }
        Err(_) => {
            log::text(b"cannot fork for an isolated invocation; running it in this process");
            Place::Here
        }
    }
}

/// The connection of the invocation in progress, and its request id.
pub struct Caller {
    socket: Socket,
    request_id: [u8; REQUEST_ID_LEN],
}

impl Caller {
    /// Sends a complete answer: 200, the request id, and `body`; with `function_error`, the
    /// `X-Amz-Function-Error` header that marks a failed invocation.
    fn send(&self, function_error: bool, body: &[&[u8]]) {
        let headers = self.headers();
        let _ = respond(&self.socket, b"200 OK", &headers[..1 + usize::from(function_error)], body);
    }

    /// Sends a runtime error as Lambda words it: `RequestId: ... Error: {message}`.
    fn send_error(&self, error_type: &[u8], message: &[&[u8]]) {
        let (text, count) = gather::<6>(&[b"RequestId: ", &self.request_id, b" Error: "], message);
        let _ = respond_error(&self.socket, b"200 OK", &self.headers(), error_type, text.get(..count).unwrap_or(&[]));
    }

    /// `X-Amzn-RequestId`, then `X-Amz-Function-Error`, which only failed invocations send.
    fn headers(&self) -> [(&[u8], &[u8]); 2] {
        [(b"X-Amzn-RequestId", &self.request_id), (b"X-Amz-Function-Error", b"Unhandled")]
    }
}

/// Sends a whole response: `status`, `headers`, and a JSON body in parts.
fn respond(socket: &Socket, status: &[u8], headers: &[(&[u8], &[u8])], body: &[&[u8]]) -> Result<(), rustix::io::Errno> {
    let mut head = RequestHead::new();
    let len = body.iter().map(|part| part.len()).sum();
    reply::write_head(&mut head, status, reply::JSON, headers, Some(len));
    let (parts, count) = gather::<{ net::MAX_PARTS }>(&[&head], body);
    net::send_all(socket, parts.get(..count).unwrap_or(&[]))
}

/// Sends an error document of our own: `{"errorType":..., "errorMessage":...}`. The type and
/// the message parts are our own text, ids and digits: nothing to escape.
fn respond_error(
    socket: &Socket,
    status: &[u8],
    headers: &[(&[u8], &[u8])],
    error_type: &[u8],
    message: &[&[u8]],
) -> Result<(), rustix::io::Errno> {
    let (mut body, count) = gather::<10>(&[b"{\"errorType\":\"", error_type, b"\",\"errorMessage\":\""], message);
    if let Some(end) = body.get_mut(count) {
        *end = b"\"}"; // always room: messages have at most 6 parts
    }
    respond(socket, status, headers, body.get(..=count).unwrap_or(&[]))
}

/// `first` then `rest` in one array of `N` pieces (what does not fit is left out), and how
/// many pieces it holds.
fn gather<'p, const N: usize>(first: &[&'p [u8]], rest: &[&'p [u8]]) -> ([&'p [u8]; N], usize) {
    let mut all: [&[u8]; N] = [b""; N];
    let mut count = 0;
    for (slot, piece) in all.iter_mut().zip(first.iter().chain(rest)) {
        *slot = piece;
        count += 1;
    }
    (all, count)
}

/// The answer to one invocation, buffered or streamed, and the watchdog that must hear of it
/// before its first byte.
pub struct Answer {
    caller: Caller,
    watchdog: Option<Watchdog>,
    answering: bool,
}

impl Answer {
    fn begin(&mut self) {
        if !self.answering {
            self.answering = true;
            if let Some(watchdog) = &self.watchdog {
                watchdog.answering();
            }
        }
    }

    /// Starts a streamed answer: its head, declaring the error trailers, and `first` (the
    /// first chunk, framed by the caller).
    pub fn stream_start(&mut self, content_type: &[u8], first: &[&[u8]]) -> Result<(), rustix::io::Errno> {
        self.begin();
        let mut head = RequestHead::new();
        let headers: [(&[u8], &[u8]); 1] = [(b"X-Amzn-RequestId", &self.caller.request_id)];
        reply::write_head(&mut head, b"200 OK", content_type, &headers, None);
        let (parts, count) = gather::<4>(&[&head], first);
        net::send_all(&self.caller.socket, parts.get(..count).unwrap_or(&[]))
    }

    /// Sends more of a streamed answer: chunks, or the last chunk and trailers.
    pub fn stream_send(&mut self, parts: &[&[u8]]) -> Result<(), rustix::io::Errno> {
        net::send_all(&self.caller.socket, parts)
    }

    pub fn request_id(&self) -> &[u8] {
        &self.caller.request_id
    }
}

type Buffers<'b> = (&'b mut [u8], &'b mut [u8], &'b mut [u8], &'b mut [u8]);

/// Runs the handler and answers: a stream ends, a buffered response or an error is sent.
/// Returns the error type, if the invocation failed.
fn invoke_handler<'b>(
    handler: HandlerFn,
    context: &RawContext,
    event: &[u8],
    answer: &mut Answer,
    (response, scratch, error_scratch, error_document): Buffers<'b>,
) -> Option<&'b [u8]> {
    let mut stream = Stream::to_caller(answer, scratch);
    let outcome = handler::call(handler, context, event, response, &mut stream);
    let (remainder, error) = match outcome {
        Outcome::Success(rest) => (rest, None),
        Outcome::Failure { error_type, message } => (&b""[..], Some((error_type, message))),
    };
    let ending = Ending { remainder, error, scratch: &mut *error_scratch, document: &mut *error_document };
    if stream.end(ending).is_some() {
        return error.map(|(error_type, _)| error_type);
    }
    drop(stream);
    answer.begin();
    match outcome {
        Outcome::Success(body) => {
            answer.caller.send(false, &[body]);
            None
        }
        Outcome::Failure { error_type, message } => {
            let document = json::error_document(error_type, message, error_scratch, error_document);
            answer.caller.send(true, &[document]);
            Some(error_type)
        }
    }
}

/// Reads a request into `buf`: its head, checked, then its body. `Err(None)`: the caller
/// left, and there is no one to answer.
fn read_request(socket: &Socket, buf: &mut [u8]) -> Result<(Invoke, Range<usize>), Option<Refusal>> {
    let timed_out = |e| if e == rustix::io::Errno::AGAIN { Some(Refusal::Timeout) } else { None };
    let mut filled = 0;
    let invoke = loop {
        if filled == response::MAX_HEAD_LEN {
            return Err(Some(Refusal::HeadTooLarge));
        }
        match net::recv(socket, buf.get_mut(filled..response::MAX_HEAD_LEN).unwrap_or_default()) {
            Ok(0) => return Err(None),
            Ok(n) => filled += n,
            Err(e) => return Err(timed_out(e)),
        }
        if let Some(invoke) = request::parse(buf.get(..filled).unwrap_or_default()).map_err(Some)? {
            break invoke;
        }
    };
    if invoke.expect_continue {
        let _ = net::send_all(socket, &[b"HTTP/1.1 100 Continue\r\n\r\n"]);
    }
    // Room for the largest event and, for a chunked one, its framing in flight.
    let limit = invoke.head_len + api::MAX_EVENT + chunked::MAX_LINE;
    let room = buf.get_mut(..limit).unwrap_or_default(); // the buffer holds the largest
    let read = client::read_body(socket, room, invoke.head_len, filled, invoke.framing);
    let (body, _) = read.map_err(|e| match e {
        ClientError::BodyTooLarge => Some(Refusal::TooLarge),
        ClientError::Chunked(_) => Some(Refusal::Malformed),
        ClientError::Recv(e) => timed_out(e),
        _ => None,
    })?;
    if body.len() > api::MAX_EVENT {
        return Err(Some(Refusal::TooLarge));
    }
    Ok((invoke, body))
}

/// Answers a request that is not served, then closes the connection gently: the caller may
/// still be sending a body we did not read, and closing with unread bytes would reset the
/// connection and could destroy the answer before the caller reads it.
fn refuse(socket: &Socket, refusal: Refusal, scratch: &mut [u8]) {
    let (error_type, message) = refusal.error();
    log::line(&[b"refused a request: ", refusal.status()]);
    if respond_error(socket, refusal.status(), refusal.headers(), error_type, &[message]).is_err()
        || refusal == Refusal::Timeout
    {
        return;
    }
    let _ = rustix::net::shutdown(socket, rustix::net::Shutdown::Write);
    // Bounded: the receive timeout ends a caller that neither sends nor closes.
    let mut drained = 0;
    while drained < 2 * api::MAX_EVENT {
        match net::recv(socket, scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// The invocation's context: a new request id, the deadline, the function's ARN, and the
/// caller's trace id and client context (decoded in place). Header values are
/// NUL-terminated in `buf`, for C handlers.
fn context(invoke: &Invoke, buf: &mut [u8], function: &Function<'_>, request_id: &[u8]) -> Result<RawContext, Refusal> {
    let mut context = RawContext {
        request_id: Str::new(request_id),
        deadline_ms: now_ms(Clock::Realtime).saturating_add((function.timeout_s * 1000) as i64),
        invoked_function_arn: Str::new(function.arn),
        ..RawContext::EMPTY
    };
    if let Some(range) = invoke.trace_id.clone() {
        let value = buf.get(range.clone()).unwrap_or_default();
        if core::str::from_utf8(value).is_err() {
            return Err(Refusal::Malformed);
        }
        context.trace_id = Str::new(value);
        terminate(buf, range.end); // was the CR ending the header line
    }
    if let Some(range) = invoke.client_context.clone() {
        let value = buf.get_mut(range.clone()).unwrap_or_default();
        let decoded = base64::decode_in_place(value).ok_or(Refusal::BadClientContext)?;
        if core::str::from_utf8(decoded).is_err() {
            return Err(Refusal::BadClientContext);
        }
        let end = range.start + decoded.len();
        terminate(buf, end); // within the value (decoding shrinks it), or its CR
        context.client_context = Str::new(buf.get(range.start..end).unwrap_or_default());
    }
    Ok(context)
}

/// Writes the NUL that makes a header value a C string.
fn terminate(buf: &mut [u8], at: usize) {
    if let Some(byte) = buf.get_mut(at) {
        *byte = 0;
    }
}

/// Length of a request id: a UUID in its usual text form.
const REQUEST_ID_LEN: usize = 36;

/// A new random (version 4) UUID in `buf`, NUL-terminated; returns it without the NUL.
fn new_request_id(buf: &mut [u8; REQUEST_ID_LEN + 1]) -> &[u8] {
    let mut random = [0u8; 16];
    // Without randomness (it does not fail on Linux 3.17+), ids are still well-formed.
    let _ = rustix::rand::getrandom(&mut random, rustix::rand::GetRandomFlags::empty());
    format_uuid(random, buf)
}

fn format_uuid(mut bytes: [u8; 16], buf: &mut [u8; REQUEST_ID_LEN + 1]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = bytes[6] & 0x0f | 0x40; // version 4
    bytes[8] = bytes[8] & 0x3f | 0x80; // RFC 4122 variant
    let mut digits = bytes.iter().flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
    for (at, slot) in buf.iter_mut().enumerate() {
        *slot = match at {
            8 | 13 | 18 | 23 => b'-',
            REQUEST_ID_LEN => 0,
            _ => digits.next().unwrap_or(b'0'),
        };
    }
    &buf[..REQUEST_ID_LEN]
}

/// `AWS_LAMBDA_FUNCTION_TIMEOUT`, in seconds: from 1 to 900 (Lambda's range), else 300.
fn timeout_s() -> u64 {
    let Some(value) = env(c"AWS_LAMBDA_FUNCTION_TIMEOUT") else { return DEFAULT_TIMEOUT_S };
    match num::ascii_to_u64(value) {
        Some(seconds @ 1..=900) => seconds,
        _ => {
            log::text(b"AWS_LAMBDA_FUNCTION_TIMEOUT is not a number of seconds from 1 to 900; using 300");
            DEFAULT_TIMEOUT_S
        }
    }
}

/// `arn:aws:lambda:{AWS_REGION}:012345678912:function:{AWS_LAMBDA_FUNCTION_NAME}`, with the
/// emulator's defaults (`us-east-1`, `test_function`) and account, NUL-terminated in `buf`.
fn function_arn(buf: &mut RequestHead) -> &[u8] {
    let region = log::printable::<256>(env(c"AWS_REGION").unwrap_or(b"us-east-1"));
    let name = log::printable::<256>(env(c"AWS_LAMBDA_FUNCTION_NAME").unwrap_or(b"test_function"));
    for part in [&b"arn:aws:lambda:"[..], &region, b":012345678912:function:", &name, b"\0"] {
        let _ = buf.extend_from_slice(part); // fits: at most 550 bytes
    }
    buf.split_last().map_or(&[], |(_nul, arn)| arn)
}

/// The variable's value, if it is set.
fn env(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: a NUL-terminated name; the environment is not changed while the value is used
    // (the trace id's variable is another).
    let value = unsafe { getenv(name.as_ptr()) };
    // SAFETY: getenv returned a non-null C string, which lives as long as the environment.
    (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_bytes())
}

/// One line per invocation, in the shape of Lambda's `REPORT` lines:
/// `REPORT RequestId: {id} Duration: 1.23 ms Status: 200 [Error: {type}]`.
fn report(request_id: &[u8], started_us: i64, error_type: Option<&[u8]>) {
    let mut whole = [0; num::U64_DIGITS];
    let mut hundredths = [0; num::U64_DIGITS];
    let (ms, fraction) = duration_ms(now_us(Clock::Monotonic) - started_us, &mut whole, &mut hundredths);
    let (label, error_type) = match error_type {
        Some(error_type) => (&b" Error: "[..], error_type),
        None => (&b""[..], &b""[..]),
    };
    log::line(&[b"REPORT RequestId: ", request_id, b" Duration: ", ms, fraction, b" ms Status: 200", label, error_type]);
}

/// Microseconds as milliseconds with two decimals: the whole part, and `.` with the decimals.
fn duration_ms<'d>(us: i64, whole: &'d mut [u8; num::U64_DIGITS], hundredths: &'d mut [u8; num::U64_DIGITS]) -> (&'d [u8], &'d [u8]) {
    let us = us.max(0) as u64;
    // `1xx`, whose 1 keeps the leading zero of the decimals and then becomes the point.
    num::u64_to_ascii(100 + us % 1000 / 10, hundredths);
    let point = num::U64_DIGITS - 3;
    hundredths[point] = b'.';
    (num::u64_to_ascii(us / 1000, whole), &hundredths[point..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids() {
        let mut buf = [0xff; REQUEST_ID_LEN + 1];
        let id = format_uuid([0xab; 16], &mut buf).to_vec();
        assert_eq!(id, b"abababab-abab-4bab-abab-abababababab");
        assert_eq!(buf[REQUEST_ID_LEN], 0, "NUL-terminated");
        let mut first = [0; REQUEST_ID_LEN + 1];
        let mut second = [0; REQUEST_ID_LEN + 1];
        assert_ne!(new_request_id(&mut first), new_request_id(&mut second));
    }

    #[test]
    fn durations_in_milliseconds_with_two_decimals() {
        for (us, text) in [(0, "0.00"), (1_234, "1.23"), (9, "0.00"), (10, "0.01"), (3_000_000, "3000.00"), (-5, "0.00")] {
            let (mut whole, mut hundredths) = ([0; num::U64_DIGITS], [0; num::U64_DIGITS]);
            let (ms, fraction) = duration_ms(us, &mut whole, &mut hundredths);
            assert_eq!([ms, fraction].concat(), text.as_bytes(), "{us} µs");
        }
    }
}
