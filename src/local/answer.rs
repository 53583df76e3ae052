//! Local mode's answers, written to the caller's connection: whole ones (the handler's
//! response, its error, or one of ours), streamed ones, and refusals.

use super::reply;
use super::request::Refusal;
use super::watchdog::Watchdog;
use crate::context::RawContext;
use crate::handler::{self, HandlerFn, Outcome};
use crate::net::{self, Socket};
use crate::request::RequestHead;
use crate::stream::{Ending, Stream};
use crate::{api, json, log};

use super::context::REQUEST_ID_LEN;

/// The connection of the invocation in progress, and its request id.
pub struct Caller {
    pub socket: Socket,
    pub request_id: [u8; REQUEST_ID_LEN],
}

impl Caller {
    /// Sends a complete answer: 200, the request id, and `body`; with `function_error`, the
    /// `X-Amz-Function-Error` header that marks a failed invocation.
    fn send(&self, function_error: bool, body: &[&[u8]]) {
        let headers = self.headers();
        let _ = respond(&self.socket, b"200 OK", &headers[..1 + usize::from(function_error)], body);
    }

    /// Sends a runtime error as Lambda words it: `RequestId: ... Error: {message}`.
    pub fn send_error(&self, error_type: &[u8], message: &[&[u8]]) {
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
    pub fn new(caller: Caller, watchdog: Option<Watchdog>) -> Answer {
        Answer { caller, watchdog, answering: false }
    }

    /// The invocation is answered: its watchdog ends.
    pub fn finish(self) {
        if let Some(watchdog) = self.watchdog {
            watchdog.finish();
        }
    }

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

pub type Buffers<'b> = (&'b mut [u8], &'b mut [u8], &'b mut [u8], &'b mut [u8]);

/// Runs the handler and answers: a stream ends, a buffered response or an error is sent.
/// Returns the error type, if the invocation failed.
pub fn invoke_handler<'b>(
    handler: HandlerFn,
    context: &RawContext,
    event: &mut [u8],
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

/// Answers a request that is not served, then closes the connection gently: the caller may
/// still be sending a body we did not read, and closing with unread bytes would reset the
/// connection and could destroy the answer before the caller reads it.
pub fn refuse(socket: &Socket, refusal: Refusal, scratch: &mut [u8]) {
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
