//! One keep-alive HTTP/1.1 connection to the Runtime API: send a request, read its reply into
//! a caller's buffer.
//!
//! The reply's body ends up contiguous in the buffer right after its head, whatever its
//! framing, so the event handed to a handler is a plain slice of the receive buffer.
//!
//! A kept-alive connection may have been closed by the server while we were idle (or frozen),
//! or hold bytes nobody asked for (which a request would take for its reply: a "ghost"). So
//! before a request is written on a reused connection, a non-blocking peek must find nothing
//! waiting; else the connection is replaced, and the request has provably not been sent.
//! After it is written, only `GET /next` is sent again (once, on a new connection) when the
//! connection turns out closed before the first byte of the reply: a post the server may have
//! read is never sent twice.
//!
//! Every wait for a reply is bounded by the connection's receive timeout (see
//! `api::reply_timeout_s`), except `GET /next`'s, which waits as long as the sandbox is frozen.

use core::ops::Range;

use rustix::io::Errno;

use crate::api::endpoint::Endpoint;
use crate::api::net::{self, Socket, Source, Wait};
use crate::http::Status;
use crate::http::chunked::{ChunkError, Dechunker};
use crate::http::response::{self, Framing, HeadError, ResponseHead};
use crate::sys::log;

/// Why an exchange failed. The connection is closed after any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientError {
    /// `connect` failed.
    Connect(Errno),
    /// Sending the request failed.
    Send(Errno),
    /// Reading the reply failed.
    Recv(Errno),
    /// The server closed the connection before the reply was complete.
    Closed,
    /// The reply's head is longer than [`MAX_HEAD_LEN`](response::MAX_HEAD_LEN).
    HeadTooLong,
    /// The reply's head is refused.
    Head(HeadError),
    /// The reply's chunked body cannot be decoded.
    Chunked(ChunkError),
    /// The reply's body does not fit in the buffer. The head was parsed (and inspected).
    BodyTooLarge,
}

impl ClientError {
    /// What went wrong, in words, for the log.
    pub fn message(self) -> &'static str {
        match self {
            Self::Connect(_) => "cannot connect to the Runtime API",
            Self::Send(_) => "cannot send to the Runtime API",
            Self::Recv(Errno::AGAIN) => "no reply within LAMBDA_POST_REPLY_TIMEOUT seconds",
            Self::Recv(_) => "cannot receive from the Runtime API",
            Self::Closed => "the Runtime API closed the connection mid-reply",
            Self::HeadTooLong => "reply head longer than 64 KiB",
            Self::Head(e) => e.message(),
            Self::Chunked(e) => e.message(),
            Self::BodyTooLarge => "reply body larger than the buffer",
        }
    }
}

/// A complete reply: its head, and where its body is in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The parsed head.
    pub head: ResponseHead,
    /// Where the body is in the receive buffer.
    pub body: Range<usize>,
}

/// What a caller of [`Connection::exchange`] does with a reply's head and headers. A trait
/// object, not a type parameter: each caller's closure would otherwise get its own copy of
/// the whole exchange (1.3 KB each).
pub type Inspect<'i> = dyn FnMut(&[u8], &ResponseHead, &[httparse::Header<'_>]) + 'i;

/// The runtime's one connection to the Runtime API, opened on first use and kept alive.
pub struct Connection {
    endpoint: Endpoint,
    socket: Option<Socket>,
    reply_timeout_s: u64,
}

/// What a request is, for how its reply is awaited and whether it may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `GET /next`: its reply may take as long as the sandbox is frozen; sending it twice is
    /// harmless.
    Next,
    /// A post: its reply comes at once (or never: then the receive timeout ends the wait); the
    /// server may have acted on it even if it closed the connection without replying.
    Post,
}

/// Failures worth one retry on a reused connection: the server had closed it.
enum ReadError {
    /// Closed or reset before the first byte of the reply.
    Stale(ClientError),
    Fatal(ClientError),
}

impl Connection {
    /// A connection whose replies to posts must come within `reply_timeout_s` seconds of
    /// silence (see `api::reply_timeout_s`).
    pub fn new(endpoint: Endpoint, reply_timeout_s: u64) -> Self {
        Self {
            endpoint,
            socket: None,
            reply_timeout_s,
        }
    }

    /// Where it connects to, for the requests' `Host` and path prefix.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The open socket's descriptor, if any.
    pub fn raw_fd(&self) -> Option<rustix::fd::RawFd> {
        self.socket.as_ref().map(Socket::raw)
    }

    /// Opens the connection if it is not open; its descriptor, or `None` if it cannot be.
    pub fn open(&mut self) -> Option<rustix::fd::RawFd> {
        if self.socket.is_none() {
            self.socket = net::connect(&self.endpoint.addr, self.reply_timeout_s).ok();
        }
        self.raw_fd()
    }

    /// Drops the connection; the next exchange opens a new one.
    pub fn close(&mut self) {
        self.socket = None;
    }

    /// Sends `head` and `body` and reads the reply into `buf`. `inspect`, if any, sees the
    /// parsed head and headers (borrowing `buf`) before the body is read, even when the body
    /// then turns out too large, so the caller can keep what it needs from them.
    pub fn exchange(
        &mut self,
        request: Request,
        head: &[u8],
        body: &[u8],
        buf: &mut [u8],
        mut inspect: Option<&mut Inspect<'_>>,
    ) -> Result<Reply, ClientError> {
        loop {
            let reused = self.socket.is_some();
            let socket = self.ready()?;
            let wait = match request {
                Request::Next => Wait::Forever,
                Request::Post => Wait::Socket,
            };
            let source = Source { socket, wait };
            let result = match net::send_all(socket, &[head, body]) {
                Ok(()) => read_reply(&source, buf, inspect.as_deref_mut()),
                Err(e) => Err(ReadError::Stale(ClientError::Send(e))),
            };
            match result {
                Ok((reply, keep_alive)) => {
                    if !keep_alive {
                        self.close();
                    }
                    return Ok(reply);
                }
                // Not when asked to stop: the stop shut the connection down (`sys::signal`).
                Err(ReadError::Stale(_))
                    if reused && request == Request::Next && !crate::sys::signal::stopping() =>
                {
                    self.close()
                }
                Err(ReadError::Stale(e) | ReadError::Fatal(e)) => {
                    self.close();
                    return Err(e);
                }
            }
        }
    }

    /// The socket to write a request on: the kept-alive one if nothing waits on it (see the
    /// module comment), else a new one.
    fn ready(&mut self) -> Result<&Socket, ClientError> {
        if let Some(socket) = &self.socket {
            match net::peek_idle(socket) {
                Err(Errno::AGAIN) => {}
                Ok(1) => {
                    log::text(
                        b"unsolicited bytes from the Runtime API on an idle connection; closed it",
                    );
                    self.close();
                }
                _ => self.close(),
            }
        }
        match &mut self.socket {
            Some(socket) => Ok(socket),
            slot @ None => {
                let socket = net::connect(&self.endpoint.addr, self.reply_timeout_s);
                Ok(slot.insert(socket.map_err(ClientError::Connect)?))
            }
        }
    }
}

impl Connection {
    /// Starts a request whose body follows in pieces (a streamed response) by sending `parts`
    /// (on a connection checked as for any request: a post is never sent twice).
    pub fn start(&mut self, parts: &[&[u8]]) -> Result<(), ClientError> {
        self.ready()?;
        self.send(parts)
    }

    /// Sends more of a request begun with [`Connection::start`].
    pub fn send(&mut self, parts: &[&[u8]]) -> Result<(), ClientError> {
        let socket = self.socket.as_ref().ok_or(ClientError::Closed)?;
        let sent = net::send_all(socket, parts).map_err(ClientError::Send);
        if sent.is_err() {
            self.close();
        }
        sent
    }

    /// Reads the reply to a request sent with [`Connection::start`] and [`Connection::send`].
    pub fn receive(&mut self, buf: &mut [u8]) -> Result<Reply, ClientError> {
        let socket = self.socket.as_ref().ok_or(ClientError::Closed)?;
        let source = Source {
            socket,
            wait: Wait::Socket,
        };
        match read_reply(&source, buf, None) {
            Ok((reply, keep_alive)) => {
                if !keep_alive {
                    self.close();
                }
                Ok(reply)
            }
            Err(ReadError::Stale(e) | ReadError::Fatal(e)) => {
                self.close();
                Err(e)
            }
        }
    }
}

/// Reads one reply. Returns it and whether the connection may be used again.
fn read_reply(
    source: &Source<'_>,
    buf: &mut [u8],
    inspect: Option<&mut Inspect<'_>>,
) -> Result<(Reply, bool), ReadError> {
    let mut filled = 0;
    let head = loop {
        let n = match source.recv(rest(buf, filled)) {
            Ok(0) if filled == 0 => return Err(ReadError::Stale(ClientError::Closed)),
            Ok(0) => return Err(ReadError::Fatal(ClientError::Closed)),
            Ok(n) => n,
            Err(e) if filled == 0 && e == Errno::CONNRESET => {
                return Err(ReadError::Stale(ClientError::Recv(e)));
            }
            Err(e) => return Err(ReadError::Fatal(ClientError::Recv(e))),
        };
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; response::MAX_HEADERS];
        match response::parse_head(buf.get(..filled).unwrap_or_default(), &mut headers) {
            Ok(Status::Complete((head, count))) => {
                if let Some(inspect) = inspect {
                    inspect(buf, &head, headers.get(..count).unwrap_or_default());
                }
                break head;
            }
            Ok(Status::Partial) if filled >= response::MAX_HEAD_LEN || filled == buf.len() => {
                return Err(ReadError::Fatal(ClientError::HeadTooLong));
            }
            Ok(Status::Partial) => {}
            Err(e) => return Err(ReadError::Fatal(ClientError::Head(e))),
        }
    };
    let (body, excess) =
        read_body(source, buf, head.len, filled, head.framing).map_err(ReadError::Fatal)?;
    // Bytes beyond the reply mean the server and we disagree on framing: start afresh.
    let keep_alive = head.keep_alive && excess == 0;
    Ok((Reply { head, body }, keep_alive))
}

/// Reads the body that follows a head of `head_len` bytes, of which (with the head) `filled`
/// bytes are in `buf` already. The body ends up contiguous right after the head, whatever its
/// framing. Returns where it is, and how many bytes arrived beyond it.
pub fn read_body(
    source: &Source<'_>,
    buf: &mut [u8],
    head_len: usize,
    mut filled: usize,
    framing: Framing,
) -> Result<(Range<usize>, usize), ClientError> {
    match framing {
        Framing::Length(len) => {
            let end = usize::try_from(len)
                .ok()
                .and_then(|len| head_len.checked_add(len))
                .filter(|&end| end <= buf.len())
                .ok_or(ClientError::BodyTooLarge)?;
            while filled < end {
                filled += recv_more(source, buf.get_mut(filled..end).unwrap_or_default())?;
            }
            Ok((head_len..end, filled - end))
        }
        Framing::Chunked => {
            let mut dechunker = Dechunker::new(head_len, head_len);
            let mut received = filled - head_len;
            let body = loop {
                let decoded = dechunker.decode(buf, received).map_err(|e| match e {
                    ChunkError::TooLarge => ClientError::BodyTooLarge,
                    e => ClientError::Chunked(e),
                })?;
                match decoded {
                    Status::Complete(body) => break body,
                    Status::Partial => {
                        received = recv_more(source, rest(buf, dechunker.fill_at()))?
                    }
                }
            };
            Ok((body, dechunker.excess()))
        }
        Framing::UntilClose => {
            loop {
                if filled == buf.len() {
                    return Err(ClientError::BodyTooLarge);
                }
                match source.recv(rest(buf, filled)) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) => return Err(ClientError::Recv(e)),
                }
            }
            Ok((head_len..filled, 0))
        }
    }
}

/// `buf[from..]`, or nothing when `from` is past the end (the cursors never are): slicing
/// that cannot panic, for each panic site costs a call and a 48-byte location with its
/// relocation.
fn rest(buf: &mut [u8], from: usize) -> &mut [u8] {
    buf.get_mut(from..).unwrap_or_default()
}

/// One `recv` that must make progress: end of stream here is a truncated reply.
fn recv_more(source: &Source<'_>, buf: &mut [u8]) -> Result<usize, ClientError> {
    match source.recv(buf) {
        Ok(0) => Err(ClientError::Closed),
        Ok(n) => Ok(n),
        Err(e) => Err(ClientError::Recv(e)),
    }
}

/// Where `part`, a slice borrowed from `buf`, lies in it; for keeping header positions past
/// the borrow.
pub fn range_in(buf: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    debug_assert!(start <= buf.len() && start + part.len() <= buf.len());
    start..start + part.len()
}
