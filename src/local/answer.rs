//! Local mode's answers, written to the caller's connection: whole ones (the handler's
//! response, its error, or one of ours), streamed ones, and refusals; as `Invoke` gives them,
//! or in event-stream framing for `InvokeWithResponseStream`.

use super::context::REQUEST_ID_LEN;
use super::reply::{self, Framing, Head};
use super::request::Refusal;
use super::tail::{self, Capture};
use super::watchdog::Watchdog;
use crate::abi::stream::{Broken, Route, Sink, StreamError};
use crate::api::net::{self, Socket, Source};
use crate::codec::eventstream::{Headers, Message};
use crate::codec::json;
use crate::contract::MustExit;
use crate::http::chunked::{self, SIZE_LINE_LEN};
use crate::runtime::invoke::Destination;
use crate::sys::log;

/// The most payload one event-stream message carries; longer pieces are split.
const MAX_EVENT_PAYLOAD: usize = 1024 * 1024;
/// A piece of the response.
static PAYLOAD_CHUNK: Headers = Headers::new(b"PayloadChunk", b"application/octet-stream");
/// The end of the response, with its error if it failed and its log's tail if asked.
static INVOKE_COMPLETE: Headers = Headers::new(b"InvokeComplete", reply::JSON);
/// Room for any error document as a JSON string (`ErrorDetails`): a document is JSON we
/// wrote, valid UTF-8 whose control bytes are escaped already, so only its `"` and `\\`
/// grow, to two bytes each.
const DETAILS_LEN: usize = 2 * json::BODY_LEN + 2;

/// How the caller asked to be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `Invoke`: the whole answer, or a stream as HTTP chunks with error trailers.
    Whole,
    /// `InvokeWithResponseStream`: `PayloadChunk` events, then `InvokeComplete`.
    Events,
    /// `Invoke` with `X-Amz-Invocation-Type: Event`: answered 202 by the front when it was
    /// queued; what the handler returns goes nowhere.
    Accepted,
}

/// The connection of the invocation in progress, and what its answer needs.
pub struct Caller {
    /// The caller's connection; none for an `Event`, which the front answered.
    pub socket: Option<Socket>,
    pub request_id: [u8; REQUEST_ID_LEN],
    pub mode: Mode,
    /// When the server took it (monotonic µs), for the `REPORT` line: the time it ran, as
    /// Lambda's `Duration`, not the time it waited in the queue.
    pub started_us: i64,
    /// The invocation's log, for `X-Amz-Log-Type: Tail`.
    pub log: Option<Capture>,
    /// Whether its `END` and `REPORT` lines are written (see `report`).
    pub reported: core::cell::Cell<bool>,
}

impl Caller {
    /// Sends `parts` to the caller, if there is one.
    fn send(&self, parts: &[&[u8]]) -> Result<(), Errno> {
        match &self.socket {
            Some(socket) => net::send_all(socket, parts),
            None => Ok(()),
        }
    }

    /// With `Tail`, the invocation is over (`error`: its failure): its `END` and `REPORT`
    /// lines go into the log now, before the tail is taken, as Lambda's tail holds them.
    fn end_log(&self, error: Option<&[u8]>) {
        if self.log.is_some() {
            super::report::report(self, error);
        }
    }

    /// The base64 of the log's end, or nothing without `Tail`.
    fn log_result<'b>(&self, encoded: &'b mut [u8; tail::ENCODED_LEN]) -> &'b [u8] {
        self.log.as_ref().map_or(&[], |log| log.tail(encoded))
    }

    /// Writes a head with the request id and, for `Invoke`, the log's tail and, for a failed
    /// invocation, `X-Amz-Function-Error`.
    fn head(
        &self,
        head: &mut Head,
        status: &[u8],
        content_type: &[u8],
        failed: bool,
        framing: Framing,
    ) {
        let mut encoded = [0; tail::ENCODED_LEN];
        let whole = self.mode == Mode::Whole;
        let headers: [(&[u8], &[u8]); 3] = [
            (b"X-Amzn-RequestId", &self.request_id),
            (
                b"X-Amz-Log-Result",
                if whole {
                    self.log_result(&mut encoded)
                } else {
                    b""
                },
            ),
            (
                b"X-Amz-Function-Error",
                if failed { b"Unhandled" } else { b"" },
            ),
        ];
        reply::write_head(head, status, content_type, &headers, framing);
    }

    /// Sends a whole answer: `body`, the handler's response or, when `error` (its type) is
    /// given, its error document.
    fn answer(&self, error: Option<&[u8]>, body: &[u8]) -> Result<(), Errno> {
        self.end_log(error);
        match self.mode {
            Mode::Whole => {
                let mut head = Head::new();
                let framing = Framing::Length(body.len());
                self.head(&mut head, b"200 OK", reply::JSON, error.is_some(), framing);
                self.send(&[&head, body])
            }
            Mode::Events => {
                self.start_events()?;
                match error {
                    Some(error_type) => self.complete(Some((error_type, body))),
                    None => {
                        self.events(body)?;
                        self.complete(None)
                    }
                }
            }
            Mode::Accepted => Ok(()),
        }
    }

    /// Answers a failure the handler did not report, with `message` (in parts): the whole
    /// error or, if the answer is a stream already `started`, the stream's end with it.
    pub fn send_error(&self, error_type: &[u8], message: &[&[u8]], started: bool) {
        let mut text = heapless::Vec::<u8, 2048>::new();
        for part in message {
            let _ = text.extend_from_slice(part); // what fits: our text is short, panics are cut
        }
        let mut utf8 = [0u8; 2052];
        let mut document = [0u8; 16 * 1024];
        let document = json::error_document(error_type, &text, &mut utf8, &mut document);
        if started {
            self.fail_stream(error_type, document);
        } else {
            let _ = self.answer(Some(error_type), document);
        }
    }

    /// Ends a started stream with the failure `error_type` and its error `document`.
    fn fail_stream(&self, error_type: &[u8], document: &[u8]) {
        let mut encoded = [0u8; 24 * 1024];
        let Some(encoded) = crate::codec::base64::encode(document, &mut encoded) else {
            return;
        };
        let error = StreamError {
            error_type,
            document,
            encoded,
        };
        let _ = self.end_stream(b"", Some(error));
    }

    /// Sends `last` and ends a stream, with `error` for a failed invocation.
    fn end_stream(&self, last: &[u8], error: Option<StreamError<'_>>) -> Result<(), Errno> {
        match self.mode {
            Mode::Whole => {
                let mut size = [0; SIZE_LINE_LEN];
                let ending =
                    chunked::end(last, error.map(|e| (e.error_type, e.encoded)), &mut size);
                self.send(&ending)
            }
            Mode::Events => {
                self.events(last)?;
                self.end_log(error.as_ref().map(|e| e.error_type));
                self.complete(error.map(|e| (e.error_type, e.document)))
            }
            Mode::Accepted => Ok(()),
        }
    }

    /// Sends the head of an event stream.
    fn start_events(&self) -> Result<(), Errno> {
        let mut head = Head::new();
        self.head(
            &mut head,
            b"200 OK",
            reply::EVENT_STREAM,
            false,
            Framing::ChunkedEvents,
        );
        self.send(&[&head])
    }

    /// Sends `data` as `PayloadChunk` events (none for no data).
    fn events(&self, data: &[u8]) -> Result<(), Errno> {
        for piece in data.chunks(MAX_EVENT_PAYLOAD) {
            self.event(&PAYLOAD_CHUNK, &[piece])?;
        }
        Ok(())
    }

    /// Sends one event as one HTTP chunk; `payload` is at most 7 parts.
    fn event(&self, headers: &'static Headers, payload: &[&[u8]]) -> Result<(), Errno> {
        let message = Message::new(headers, payload);
        let mut size = [0; SIZE_LINE_LEN];
        let crc = message.crc();
        let mut parts = heapless::Vec::<&[u8], { net::MAX_PARTS }>::new();
        let [prelude, headers] = message.before();
        let framing = [
            chunked::size_line(message.total_len(), &mut size),
            prelude,
            headers,
        ];
        let after: [&[u8]; 2] = [&crc, b"\r\n"];
        let all = framing.iter().chain(payload).chain(&after);
        for part in all.filter(|part| !part.is_empty()) {
            let _ = parts.push(part); // fits: at most 5 + 7 parts
        }
        self.send(&parts)
    }

    /// Sends `InvokeComplete`, with the failure's type and document (as `ErrorCode` and
    /// `ErrorDetails`) and the log's tail (as `LogResult`), and ends the body. The document
    /// goes in as a JSON string, escaped into room for the largest (see [`DETAILS_LEN`]), on
    /// the stack and only for a failure.
    fn complete(&self, error: Option<(&[u8], &[u8])>) -> Result<(), Errno> {
        let Some((error_type, document)) = error else {
            return self.complete_with(None);
        };
        let mut room = [0u8; DETAILS_LEN];
        // Always fits (see `DETAILS_LEN`); `null` only if a document were not UTF-8.
        let details = json::string(document, &mut room).unwrap_or(b"null");
        self.complete_with(Some((error_type, details)))
    }

    /// Sends `InvokeComplete` with `error`'s type and its document already a JSON string.
    fn complete_with(&self, error: Option<(&[u8], &[u8])>) -> Result<(), Errno> {
        let mut encoded = [0; tail::ENCODED_LEN];
        let log = self.log_result(&mut encoded);
        let error_part: [&[u8]; 4] = match error {
            Some((error_type, details)) => [
                b"{\"ErrorCode\":\"",
                error_type,
                b"\",\"ErrorDetails\":",
                details,
            ],
            None => [b"{", b"", b"", b""],
        };
        let log_part: [&[u8]; 3] = match (log.is_empty(), error.is_some()) {
            (true, _) => [b"", b"", b"}"],
            (false, true) => [b",\"LogResult\":\"", log, b"\"}"],
            (false, false) => [b"\"LogResult\":\"", log, b"\"}"],
        };
        let payload: [&[u8]; 7] = [
            error_part[0],
            error_part[1],
            error_part[2],
            error_part[3],
            log_part[0],
            log_part[1],
            log_part[2],
        ];
        self.event(&INVOKE_COMPLETE, &payload)?;
        // On the stack, not a constant: a static slice of slices is a relocation.
        let last_chunk: [&[u8]; 1] = [b"0\r\n\r\n"];
        self.send(&last_chunk)
    }
}

type Errno = rustix::io::Errno;

/// The answer to one invocation, buffered or streamed, and the watchdog that must hear of it
/// before its first byte.
pub struct Answer {
    caller: Caller,
    watchdog: Option<Watchdog>,
    answering: bool,
}

impl Answer {
    /// The answer to `caller`, watched by `watchdog` (none if it could not be started).
    pub fn new(mut caller: Caller, watchdog: Option<Watchdog>) -> Answer {
        // The watchdog reads the captured log; without one, nothing would, and the handler
        // would block once the pipe is full: no capture then.
        match (&mut caller.log, &watchdog) {
            (Some(log), Some(watchdog)) => log.ask(watchdog.channel()),
            (Some(log), None) => {
                log.release();
                caller.log = None;
            }
            _ => {}
        }
        Answer {
            caller,
            watchdog,
            answering: false,
        }
    }

    /// The invocation is answered (`error_type` if it failed): its watchdog ends, the
    /// captured log goes to stderr, and the `REPORT` line follows it.
    pub fn finish(self, error_type: Option<&[u8]>) {
        if let Some(watchdog) = self.watchdog {
            watchdog.finish();
        }
        if let Some(log) = &self.caller.log {
            log.release();
        }
        super::report::report(&self.caller, error_type);
    }

    /// A whole answer is about to be written: the handler has returned (see
    /// [`Watchdog::returned`]), so only the caller's timeout applies from now on.
    fn returned(&mut self) {
        self.answering = true;
        if let Some(watchdog) = &self.watchdog {
            watchdog.returned();
        }
    }

    /// Logs an answer that could not be sent: the caller did not take it in time (the
    /// watchdog cut it off), or left.
    fn dropped_if(&self, sent: Result<(), Errno>) {
        if sent.is_err() {
            log::line(&[
                b"request ",
                &self.caller.request_id,
                b": answer dropped: the caller did not take it within LAMBDA_LOCAL_CALLER_TIMEOUT, or left",
            ]);
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

    /// Logs why the stream could not go on, and says it broke: a send that timed out is a
    /// caller that stopped reading (for `LAMBDA_LOCAL_CALLER_TIMEOUT`), any other failure a
    /// caller that closed or reset the connection.
    fn broke(&self, error: Errno) -> Broken {
        log::line(&[
            b"streamed response for request ",
            &self.caller.request_id,
            if error == Errno::AGAIN {
                b" broke: the caller stopped reading it for LAMBDA_LOCAL_CALLER_TIMEOUT"
            } else {
                b" broke: the caller closed the connection"
            },
        ]);
        Broken
    }
}

impl Sink for Answer {
    fn start(&mut self, content_type: &[u8], data: &[u8]) -> Result<(), Broken> {
        self.begin();
        let caller = &self.caller;
        let sent = match caller.mode {
            Mode::Whole => {
                let mut head = Head::new();
                caller.head(&mut head, b"200 OK", content_type, false, Framing::Chunked);
                let mut size = [0; SIZE_LINE_LEN];
                let mut parts = heapless::Vec::<&[u8], 4>::new();
                let _ = parts.push(&head); // fits: 1 + 3 parts
                for part in chunked::frame(data, &mut size) {
                    let _ = parts.push(part);
                }
                caller.send(&parts)
            }
            Mode::Events => caller.start_events().and_then(|()| caller.events(data)),
            Mode::Accepted => Ok(()),
        };
        sent.map_err(|e| self.broke(e))
    }

    fn send(&mut self, data: &[u8]) -> Result<(), Broken> {
        let caller = &self.caller;
        let sent = match caller.mode {
            Mode::Whole => {
                let mut size = [0; SIZE_LINE_LEN];
                caller.send(&chunked::frame(data, &mut size))
            }
            Mode::Events => caller.events(data),
            Mode::Accepted => Ok(()),
        };
        sent.map_err(|e| self.broke(e))
    }

    fn end(
        &mut self,
        last: &[u8],
        error: Option<StreamError<'_>>,
        _scratch: &mut [u8],
    ) -> Result<(), MustExit> {
        if let Err(e) = self.caller.end_stream(last, error) {
            self.broke(e);
        }
        Ok(())
    }
}

impl Destination for Answer {
    const ROUTE: Route = Route(3);

    fn answer(
        &mut self,
        failed: Option<&[u8]>,
        body: &[u8],
        _scratch: &mut [u8],
    ) -> Result<(), MustExit> {
        self.returned();
        let sent = self.caller.answer(failed, body);
        self.dropped_if(sent);
        Ok(())
    }
}

/// A request id without its NUL.
fn id(request_id: &[u8; REQUEST_ID_LEN + 1]) -> &[u8] {
    request_id.split_last().map_or(&[], |(_nul, id)| id)
}

/// `X-Amz-Invocation-Type: DryRun`: 204, and the handler does not run.
pub fn dry_run(socket: &Socket, request_id: &[u8; REQUEST_ID_LEN + 1]) {
    empty(socket, request_id, b"204 No Content", Framing::Nothing);
}

/// `X-Amz-Invocation-Type: Event`: 202 once the invocation is queued; it runs later, and
/// what it returns goes nowhere.
pub fn accepted(socket: &Socket, request_id: &[u8; REQUEST_ID_LEN + 1]) {
    empty(socket, request_id, b"202 Accepted", Framing::Length(0));
}

/// An answer without a body, with the request id.
fn empty(socket: &Socket, request_id: &[u8; REQUEST_ID_LEN + 1], status: &[u8], framing: Framing) {
    let headers: [(&[u8], &[u8]); 1] = [(b"X-Amzn-RequestId", id(request_id))];
    let mut head = Head::new();
    reply::write_head(&mut head, status, reply::JSON, &headers, framing);
    let _ = net::send_all(socket, &[&head]);
}

/// Answers a request that is not served, in the shape of AWS's errors (`x-amzn-ErrorType`
/// and `{"Type":"User","message":...}`, which the SDKs read), then closes the connection
/// gently: the caller may still be sending a body we did not read, and closing with unread
/// bytes would reset the connection and could destroy the answer before the caller reads it.
pub fn refuse(
    source: &Source<'_>,
    refusal: Refusal,
    request_id: &[u8; REQUEST_ID_LEN + 1],
    scratch: &mut [u8],
) {
    let socket = source.socket;
    let (error_type, message) = refusal.error();
    log::line(&[b"refused a request: ", refusal.status()]);
    let (allow, methods) = refusal.allow();
    let headers: [(&[u8], &[u8]); 3] = [
        (b"X-Amzn-RequestId", id(request_id)),
        (b"x-amzn-ErrorType", error_type),
        (allow, methods),
    ];
    let body: [&[u8]; 3] = [b"{\"Type\":\"User\",\"message\":\"", message, b"\"}"];
    let len = body.iter().map(|part| part.len()).sum();
    let mut head = Head::new();
    reply::write_head(
        &mut head,
        refusal.status(),
        reply::JSON,
        &headers,
        Framing::Length(len),
    );
    let sent = net::send_all(socket, &[&head, body[0], body[1], body[2]]);
    if sent.is_err() || refusal == Refusal::Timeout {
        return;
    }
    let _ = rustix::net::shutdown(socket, rustix::net::Shutdown::Write);
    // Bounded: the caller's deadline holds.
    let mut drained = 0;
    while drained < 2 * crate::contract::MAX_EVENT {
        match source.recv(scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}
