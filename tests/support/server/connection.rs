//! One thread per accepted connection: reads requests, records them and answers each as the
//! script says. Whatever ends a connection is noted for the diagnostics, and anything the
//! bootstrap did against the protocol is recorded as a violation.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use super::body::BodyRecorder;
use super::chunked::ChunkedDecoder;
use super::http::{
    BodyFraming, RequestHead, find, invocation_reply, parse_request_head, reason_phrase,
    request_framing, write_paced,
};
use super::raw::write_raw;
use super::{IDLE_LIMIT, MAX_HEAD, MAX_STREAMED_BODY, POLL, Shared, WRITE_TIMEOUT};
use crate::support::request::{EXTENSION_ID, Request, Route, route_of};
use crate::support::script::{AfterReply, PostReply, Step, WhenDone};

/// Chunked bodies are read in blocks of this size.
const READ_BLOCK: usize = 1024 * 1024;

pub(super) fn accept_connections(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.is_shutdown() {
            return;
        }
        let Ok(stream) = stream else { continue };
        let connection = {
            let mut state = shared.lock();
            state.connections += 1;
            state.connections
        };
        let shared = shared.clone();
        // Connection threads are not joined: each ends within POLL of the shutdown flag (or
        // WRITE_TIMEOUT if blocked on a write to a live child, which the tests kill first).
        thread::spawn(move || {
            let mut conn = Connection {
                stream,
                number: connection,
                shared,
                inbox: Vec::new(),
            };
            conn.serve();
        });
    }
}

/// One accepted connection and the bytes read from it but not yet consumed.
struct Connection {
    stream: TcpStream,
    number: usize,
    shared: Arc<Shared>,
    inbox: Vec<u8>,
}

/// Why a connection stops being served.
enum Stop {
    /// The peer closed it, or the server is shutting down: nothing to report.
    Quiet,
    /// Something worth a note in the diagnostics.
    Note(String),
    /// The bootstrap broke the protocol.
    Violation(String),
}

impl Connection {
    fn serve(&mut self) {
        let setup = self
            .stream
            .set_nodelay(true)
            .and_then(|_| self.stream.set_read_timeout(Some(POLL)))
            .and_then(|_| self.stream.set_write_timeout(Some(WRITE_TIMEOUT)));
        if let Err(e) = setup {
            self.shared
                .note(format!("conn {}: socket setup failed: {e}", self.number));
            return;
        }
        let stop = loop {
            match self.serve_one_request() {
                Ok(true) => continue,
                Ok(false) => break Stop::Quiet,
                Err(stop) => break stop,
            }
        };
        match stop {
            Stop::Quiet => {}
            Stop::Note(text) => self.shared.note(format!("conn {}: {text}", self.number)),
            Stop::Violation(text) => self
                .shared
                .violation(format!("conn {}: {text}", self.number)),
        }
        // Dropping the stream closes the socket.
    }

    /// Reads one request, records it, replies. `Ok(false)`: the connection is to be closed.
    fn serve_one_request(&mut self) -> Result<bool, Stop> {
        let Some(request) = self.read_request()? else {
            return Ok(false);
        };
        let route = request.route.clone();
        let path = request.path.clone();
        let method_ok = match route {
            Route::Next | Route::ExtensionNext => request.method == "GET",
            Route::Unknown => true,
            _ => request.method == "POST",
        };
        let extension_check = match route {
            Route::ExtensionRegister => check_register(&request),
            Route::ExtensionNext => check_extension_next(&request),
            _ => Ok(()),
        };
        self.record(request);
        if let Err(problem) = extension_check {
            self.reply_status(400, false)?;
            return Err(Stop::Violation(problem));
        }
        if !method_ok {
            self.reply_status(405, false)?;
            return Err(Stop::Violation(format!("wrong method for {route:?}")));
        }
        match route {
            Route::Next => self.answer_next(),
            Route::Response(id) | Route::Error(id) => self.answer_post(&id),
            Route::InitError => {
                self.reply_status(202, false)?;
                Ok(true)
            }
            Route::ExtensionRegister => {
                let body =
                    r#"{"functionName":"probe","functionVersion":"$LATEST","handler":"probe"}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Extension-Identifier: {EXTENSION_ID}\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                self.stream
                    .write_all(reply.as_bytes())
                    .map_err(|e| Stop::Note(format!("writing the register reply failed: {e}")))?;
                Ok(true)
            }
            Route::ExtensionNext => {
                // An internal extension with no events is never sent one: held until the
                // server stops, as Lambda holds it until the environment goes.
                while !self.shared.is_shutdown() {
                    std::thread::sleep(super::POLL);
                }
                Ok(false)
            }
            Route::Unknown => {
                self.reply_status(404, false)?;
                Err(Stop::Violation(format!(
                    "request for an unknown path {path:?}"
                )))
            }
        }
    }

    fn record(&self, request: Request) {
        let mut state = self.shared.lock();
        if request.is_post() {
            state.posts += 1;
        }
        state.requests.push(request);
        self.shared.changed.notify_all();
    }

    fn answer_next(&mut self) -> Result<bool, Stop> {
        match self.next_step() {
            None => Ok(false),
            Some(Step::Invoke(invocation)) => {
                if let Some(id) = &invocation.request_id {
                    let mut state = self.shared.lock();
                    state.post_replies.insert(id.clone(), invocation.post_reply);
                    match invocation.expected_body {
                        Some(expected) => state.expected_bodies.insert(id.clone(), expected),
                        None => state.expected_bodies.remove(id),
                    };
                }
                if invocation.after_event == AfterReply::AbruptClose {
                    // The FIN then leaves with the reply's last bytes when the stream drops.
                    cork(&self.stream).map_err(|e| Stop::Note(format!("TCP_CORK failed: {e}")))?;
                }
                let reply = invocation_reply(&invocation);
                write_paced(&mut self.stream, &reply, &invocation.pacing).map_err(|e| {
                    Stop::Note(format!(
                        "writing invocation {:?} failed: {e}",
                        invocation.request_id
                    ))
                })?;
                match invocation.after_event {
                    AfterReply::KeepAlive => Ok(true),
                    AfterReply::Unsolicited => {
                        thread::sleep(std::time::Duration::from_millis(200));
                        let ghost = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ghost\r\n\
                                     Content-Length: 5\r\n\r\nghost";
                        self.stream.write_all(ghost.as_bytes()).map_err(|e| {
                            Stop::Note(format!("writing unsolicited bytes failed: {e}"))
                        })?;
                        self.shared
                            .note(format!("conn {}: sent a ghost reply", self.number));
                        // Whatever comes next on this connection was written after the ghost
                        // bytes arrived: a request on a connection with bytes unread.
                        match self.read_request()? {
                            None => Ok(false),
                            Some(request) => Err(Stop::Violation(format!(
                                "a request on a connection holding unsolicited bytes: {}",
                                request.summary()
                            ))),
                        }
                    }
                    after => Err(Stop::Note(format!(
                        "closed after handing out {:?} ({after:?}, scripted)",
                        invocation.request_id
                    ))),
                }
            }
            Some(Step::NextStatus(status)) => {
                self.reply_status(status, false)?;
                Ok(true)
            }
            Some(Step::DropNext) => Err(Stop::Note(
                "closed without replying to /next (scripted)".into(),
            )),
            Some(Step::Raw(raw)) => {
                if let Some(id) = &raw.serves {
                    let mut state = self.shared.lock();
                    let reply = PostReply {
                        status: 202,
                        after: AfterReply::KeepAlive,
                    };
                    state.post_replies.insert(id.clone(), reply);
                    state.expected_bodies.remove(id);
                }
                let close = write_raw(&mut self.stream, &raw)
                    .map_err(|e| Stop::Note(format!("writing a raw /next reply failed: {e}")))?;
                if close {
                    Err(Stop::Note(format!(
                        "closed after a raw /next reply ({} of {} bytes, scripted)",
                        raw.cut_at.unwrap_or(raw.bytes.len()).min(raw.bytes.len()),
                        raw.bytes.len()
                    )))
                } else {
                    Ok(true)
                }
            }
        }
    }

    /// The next step for a `/next`; holds the request while the script is used up and says
    /// `Hold`. `None`: shut down, or held for too long.
    fn next_step(&self) -> Option<Step> {
        let held_since = Instant::now();
        let mut state = self.shared.lock();
        let mut holding = false;
        let step = loop {
            if state.shutdown {
                break None;
            }
            if let Some(step) = state.steps.pop_front() {
                break Some(step);
            }
            match state.when_done {
                WhenDone::Status(status) => break Some(Step::NextStatus(status)),
                WhenDone::Hold if held_since.elapsed() > IDLE_LIMIT => break None,
                WhenDone::Hold if !holding => {
                    holding = true;
                    state.held_nexts += 1;
                    self.shared.changed.notify_all();
                }
                WhenDone::Hold => {}
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, POLL)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        };
        if holding {
            state.held_nexts -= 1;
        }
        step
    }

    fn answer_post(&mut self, request_id: &str) -> Result<bool, Stop> {
        let reply = self.shared.lock().post_replies.get(request_id).copied();
        // A post for an id the server never handed out gets 400, as the real API does.
        let reply = reply.unwrap_or(PostReply {
            status: 400,
            after: AfterReply::KeepAlive,
        });
        match reply.after {
            AfterReply::CloseUnanswered => {
                return Err(Stop::Note(format!(
                    "closed without replying to the post of {request_id} (scripted)"
                )));
            }
            AfterReply::NeverReply => return self.hold(),
            AfterReply::ReplyWithoutLength => {
                let reply = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n\r\n{}";
                self.stream
                    .write_all(reply.as_bytes())
                    .map_err(|e| Stop::Note(format!("writing a 202 failed: {e}")))?;
                return self.hold();
            }
            _ => {}
        }
        self.reply_status(reply.status, reply.after == AfterReply::ConnectionClose)?;
        Ok(reply.after == AfterReply::KeepAlive)
    }

    /// Keeps the connection open, reading and dropping whatever comes, until the peer closes
    /// it or the server shuts down (bounded by `IDLE_LIMIT`).
    fn hold(&mut self) -> Result<bool, Stop> {
        let mut sink = [0u8; 4096];
        while self.read_some(&mut sink)? > 0 {}
        Err(Stop::Note("the peer closed a held connection".into()))
    }

    fn reply_status(&mut self, status: u16, connection_close: bool) -> Result<(), Stop> {
        let body = match status {
            200 | 202 => r#"{"status":"OK"}"#.to_string(),
            _ => format!(
                r#"{{"errorMessage":"fake API status {status}","errorType":"Fake.Status{status}"}}"#
            ),
        };
        let close = if connection_close {
            "Connection: close\r\n"
        } else {
            ""
        };
        let reply = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{close}\r\n{body}",
            reason_phrase(status),
            body.len()
        );
        self.stream
            .write_all(reply.as_bytes())
            .map_err(|e| Stop::Note(format!("writing a {status} reply failed: {e}")))
    }

    /// Reads one request. `Ok(None)`: closed (or shutdown) before a request began.
    fn read_request(&mut self) -> Result<Option<Request>, Stop> {
        let mut searched = 0;
        let head_end = loop {
            if let Some(pos) = find(&self.inbox[searched..], b"\r\n\r\n") {
                break searched + pos + 4;
            }
            searched = self.inbox.len().saturating_sub(3);
            if self.inbox.len() > MAX_HEAD {
                return Err(Stop::Violation(format!(
                    "request head over {MAX_HEAD} bytes"
                )));
            }
            if !self.read_more()? {
                return if self.inbox.is_empty() {
                    Ok(None)
                } else {
                    Err(Stop::Note(format!(
                        "closed in the middle of a request head ({} bytes)",
                        self.inbox.len()
                    )))
                };
            }
        };
        let head = String::from_utf8(self.inbox[..head_end - 4].to_vec())
            .map_err(|_| Stop::Violation("request head is not UTF-8".into()))?;
        let RequestHead {
            method,
            path,
            headers,
        } = parse_request_head(&head).map_err(Stop::Violation)?;
        let route = route_of(&self.shared.lock().prefix, &path);
        let framing = request_framing(&method, &route, &headers).map_err(Stop::Violation)?;
        let expected = match &route {
            Route::Response(id) | Route::Error(id) => {
                self.shared.lock().expected_bodies.get(id).copied()
            }
            _ => None,
        };
        let mut body = BodyRecorder::new(expected);
        let mut chunked = None;
        match framing {
            BodyFraming::Length(body_len) => {
                while self.inbox.len() < head_end + body_len {
                    if !self.read_more()? {
                        return Err(Stop::Note(format!(
                            "closed in the middle of a request body ({} of {body_len} bytes)",
                            self.inbox.len() - head_end
                        )));
                    }
                }
                body.push(&self.inbox[head_end..head_end + body_len]);
                self.inbox.drain(..head_end + body_len);
            }
            BodyFraming::Chunked => {
                self.inbox.drain(..head_end);
                let decoder = self.read_chunked(&mut body)?;
                check_declared_trailers(&headers, &decoder.trailers).map_err(Stop::Violation)?;
                chunked = Some(decoder);
            }
        }
        let (body, body_len, body_check) = body.finish();
        let (chunk_sizes, trailers) = chunked
            .map(|decoder| (decoder.chunk_sizes, decoder.trailers))
            .unwrap_or_default();
        Ok(Some(Request {
            connection: self.number,
            method,
            path,
            route,
            headers,
            body,
            body_len,
            body_check,
            chunked: framing == BodyFraming::Chunked,
            chunk_sizes,
            trailers,
            received_at: Instant::now(),
        }))
    }

    /// Reads a chunked body (the inbox holds its first bytes) into `body`, in large blocks,
    /// decoding as it goes; whatever follows the body stays in the inbox.
    fn read_chunked(&mut self, body: &mut BodyRecorder) -> Result<ChunkedDecoder, Stop> {
        let mut decoder = ChunkedDecoder::new();
        let mut block = std::mem::take(&mut self.inbox);
        let mut filled = block.len();
        loop {
            let mut data = |piece: &[u8]| body.push(piece);
            let used = decoder
                .feed(&block[..filled], &mut data)
                .map_err(Stop::Violation)?;
            if body.len() > MAX_STREAMED_BODY {
                return Err(Stop::Violation(format!(
                    "streamed body over {MAX_STREAMED_BODY} bytes"
                )));
            }
            if decoder.is_done() {
                self.inbox = block[used..filled].to_vec();
                return Ok(decoder);
            }
            block.resize(READ_BLOCK, 0);
            filled = self.read_some(&mut block)?;
            if filled == 0 {
                return Err(Stop::Note(format!(
                    "closed in the middle of a chunked body ({} bytes in {} chunks)",
                    body.len(),
                    decoder.chunk_sizes.len()
                )));
            }
        }
    }

    /// Reads more bytes into the inbox. `Ok(false)`: EOF or shutdown.
    fn read_more(&mut self) -> Result<bool, Stop> {
        let mut buffer = [0u8; 64 * 1024];
        let n = self.read_some(&mut buffer)?;
        self.inbox.extend_from_slice(&buffer[..n]);
        Ok(n > 0)
    }

    /// Reads what has arrived (waiting for something) into `buffer`. `Ok(0)`: EOF or shutdown.
    fn read_some(&mut self, buffer: &mut [u8]) -> Result<usize, Stop> {
        let started = Instant::now();
        loop {
            if self.shared.is_shutdown() {
                return Ok(0);
            }
            match self.stream.read(buffer) {
                Ok(n) => return Ok(n),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if started.elapsed() > IDLE_LIMIT {
                        return Err(Stop::Note(format!("idle for {IDLE_LIMIT:?}")));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(0),
                Err(e) => return Err(Stop::Note(format!("read failed: {e}"))),
            }
        }
    }
}

/// Every trailer field must have been declared in the head's `Trailer` header (RFC 9110
/// §6.6.2: what the recipient may expect), as the bootstrap declares its error trailers.
fn check_declared_trailers(
    headers: &[(String, String)],
    trailers: &[(String, String)],
) -> Result<(), String> {
    let declared: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Trailer"))
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .collect();
    match trailers
        .iter()
        .find(|(name, _)| !declared.iter().any(|d| d.eq_ignore_ascii_case(name)))
    {
        Some((name, _)) => Err(format!(
            "trailer {name:?} not declared in the Trailer header ({declared:?})"
        )),
        None => Ok(()),
    }
}

/// Holds back what is written to `stream` (TCP_CORK, up to 200 ms) so that, when the stream is
/// closed right after, the reply's last bytes and the FIN leave in one segment: the peer never
/// sees the one without the other.
fn cork(stream: &TcpStream) -> io::Result<()> {
    use crate::support::sockopt::{IPPROTO_TCP, TCP_CORK, set_int};
    set_int(stream, IPPROTO_TCP, TCP_CORK, 1)
}

/// What Lambda requires of a register request: the extension's name, and a JSON body whose
/// `events` is an array of known events (none is fine: an internal extension gets SIGTERM).
fn check_register(request: &Request) -> Result<(), String> {
    if request.method != "POST" {
        return Err(format!("extension register with method {}", request.method));
    }
    if request
        .header("Lambda-Extension-Name")
        .is_none_or(str::is_empty)
    {
        return Err("extension register without Lambda-Extension-Name".into());
    }
    let body: serde_json::Value = serde_json::from_slice(&request.body)
        .map_err(|e| format!("extension register body is not JSON: {e}"))?;
    let events = body["events"]
        .as_array()
        .ok_or("extension register body without an events array")?;
    if events
        .iter()
        .any(|e| !matches!(e.as_str(), Some("INVOKE" | "SHUTDOWN")))
    {
        return Err(format!("extension register with unknown events {events:?}"));
    }
    Ok(())
}

/// `event/next` must name the identifier the register reply gave.
fn check_extension_next(request: &Request) -> Result<(), String> {
    match request.header("Lambda-Extension-Identifier") {
        Some(EXTENSION_ID) => Ok(()),
        other => Err(format!("extension event/next with identifier {other:?}")),
    }
}
