//! Local mode's answers, written to the caller's connection: whole ones (the handler's
//! response, its error, or one of ours), streamed ones, and refusals.

use super::reply;
use super::request::Refusal;
use super::watchdog::Watchdog;
use crate::abi::stream::{Broken, Sink, StreamError};
use crate::api::net::{self, Socket, Source};
use crate::api::request::RequestHead;
use crate::contract::MustExit;
use crate::http::chunked::{self, SIZE_LINE_LEN};
use crate::runtime::invoke::Destination;
use crate::sys::log;

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
        let sent = respond(
            &self.socket,
            b"200 OK",
            &headers[..1 + usize::from(function_error)],
            body,
        );
        if sent.is_err() {
            log::line(&[
                b"request ",
                &self.request_id,
                b": answer dropped: the caller did not take it within LAMBDA_LOCAL_CALLER_TIMEOUT, or left",
            ]);
        }
    }

    /// Sends a runtime error as Lambda words it: `RequestId: ... Error: {message}`.
    pub fn send_error(&self, error_type: &[u8], message: &[&[u8]]) {
        let (text, count) = gather::<6>(&[b"RequestId: ", &self.request_id, b" Error: "], message);
        let _ = respond_error(
            &self.socket,
            b"200 OK",
            &self.headers(),
            error_type,
            text.get(..count).unwrap_or(&[]),
        );
    }

    /// `X-Amzn-RequestId`, then `X-Amz-Function-Error`, which only failed invocations send.
    fn headers(&self) -> [(&[u8], &[u8]); 2] {
        [
            (b"X-Amzn-RequestId", &self.request_id),
            (b"X-Amz-Function-Error", b"Unhandled"),
        ]
    }
}

/// Sends a whole response: `status`, `headers`, and a JSON body in parts.
fn respond(
    socket: &Socket,
    status: &[u8],
    headers: &[(&[u8], &[u8])],
    body: &[&[u8]],
) -> Result<(), rustix::io::Errno> {
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
    let (mut body, count) = gather::<10>(
        &[b"{\"errorType\":\"", error_type, b"\",\"errorMessage\":\""],
        message,
    );
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
        Answer {
            caller,
            watchdog,
            answering: false,
        }
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

    /// A whole answer is about to be written: the handler has returned (see
    /// [`Watchdog::returned`]).
    fn returned(&mut self) {
        self.answering = true;
        if let Some(watchdog) = &self.watchdog {
            watchdog.returned();
        }
    }

    /// Logs that the caller is gone, and says the stream broke.
    fn broke(&self) -> Broken {
        log::line(&[
            b"streamed response for request ",
            &self.caller.request_id,
            b" broke: the caller closed the connection",
        ]);
        Broken
    }
}

impl Sink for Answer {
    fn start(&mut self, content_type: &[u8], data: &[u8]) -> Result<(), Broken> {
        self.begin();
        let mut head = RequestHead::new();
        let headers: [(&[u8], &[u8]); 1] = [(b"X-Amzn-RequestId", &self.caller.request_id)];
        reply::write_head(&mut head, b"200 OK", content_type, &headers, None);
        let mut size = [0; SIZE_LINE_LEN];
        let (parts, count) = gather::<4>(&[&head], &chunked::frame(data, &mut size));
        let sent = net::send_all(&self.caller.socket, parts.get(..count).unwrap_or(&[]));
        sent.map_err(|_| self.broke())
    }

    fn send(&mut self, data: &[u8]) -> Result<(), Broken> {
        let mut size = [0; SIZE_LINE_LEN];
        net::send_all(&self.caller.socket, &chunked::frame(data, &mut size))
            .map_err(|_| self.broke())
    }

    fn end(
        &mut self,
        last: &[u8],
        error: Option<StreamError<'_>>,
        _: &mut [u8],
    ) -> Result<(), MustExit> {
        let mut size = [0; SIZE_LINE_LEN];
        let ending = chunked::end(last, error.map(|e| (e.error_type, e.encoded)), &mut size);
        if net::send_all(&self.caller.socket, &ending).is_err() {
            self.broke();
        }
        Ok(())
    }
}

impl Destination for Answer {
    fn respond(&mut self, body: &[u8], _: &mut [u8]) -> Result<(), MustExit> {
        self.returned();
        self.caller.send(false, &[body]);
        Ok(())
    }

    fn fail(&mut self, _: &[u8], document: &[u8], _: &mut [u8]) -> Result<(), MustExit> {
        self.returned();
        self.caller.send(true, &[document]);
        Ok(())
    }
}

/// Answers a request that is not served, then closes the connection gently: the caller may
/// still be sending a body we did not read, and closing with unread bytes would reset the
/// connection and could destroy the answer before the caller reads it.
pub fn refuse(caller: &Source<'_>, refusal: Refusal, scratch: &mut [u8]) {
    let socket = caller.socket;
    let (error_type, message) = refusal.error();
    log::line(&[b"refused a request: ", refusal.status()]);
    if respond_error(
        socket,
        refusal.status(),
        refusal.headers(),
        error_type,
        &[message],
    )
    .is_err()
        || refusal == Refusal::Timeout
    {
        return;
    }
    let _ = rustix::net::shutdown(socket, rustix::net::Shutdown::Write);
    // Bounded: the caller's deadline holds.
    let mut drained = 0;
    while drained < 2 * crate::contract::MAX_EVENT {
        match caller.recv(scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}
