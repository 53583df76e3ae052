//! One keep-alive HTTP/1.1 connection to the Runtime API: send a request, read its reply into
//! a caller's buffer.
//!
//! The reply's body ends up contiguous in the buffer right after its head, whatever its
//! framing, so the event handed to a handler is a plain slice of the receive buffer.
//!
//! A kept-alive connection may have been closed by the server while we were idle (or frozen).
//! When a request on a reused connection fails before any byte of the reply arrives, the
//! connection is reopened and the request sent again, once. On a fresh connection the failure
//! is real and is returned.

use core::ops::Range;

use rustix::io::Errno;

use crate::api::endpoint::Endpoint;
use crate::api::net::{self, Socket};
use crate::http::chunked::{ChunkError, Dechunker};
use crate::http::response::{self, Framing, HeadError, ResponseHead};

/// Why an exchange failed. The connection is closed after any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientError {
    Connect(Errno),
    Send(Errno),
    Recv(Errno),
    /// The server closed the connection before the reply was complete.
    Closed,
    HeadTooLong,
    Head(HeadError),
    Chunked(ChunkError),
    /// The reply's body does not fit in the buffer. The head was parsed (and inspected).
    BodyTooLarge,
}

impl ClientError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Connect(_) => "cannot connect to the Runtime API",
            Self::Send(_) => "cannot send to the Runtime API",
            Self::Recv(_) => "cannot receive from the Runtime API",
            Self::Closed => "the Runtime API closed the connection mid-reply",
            Self::HeadTooLong => "reply head longer than 64 KiB",
            Self::Head(e) => e.message(),
            Self::Chunked(e) => e.message(),
            Self::BodyTooLarge => "reply body larger than the buffer",
        }
    }

    /// The system error behind it, if any.
    pub fn errno(self) -> Option<Errno> {
        match self {
            Self::Connect(e) | Self::Send(e) | Self::Recv(e) => Some(e),
            _ => None,
        }
    }
}

/// A complete reply: its head, and where its body is in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub head: ResponseHead,
    pub body: Range<usize>,
}

/// What a caller of [`Connection::exchange`] does with a reply's head and headers. A trait
/// object, not a type parameter: each caller's closure would otherwise get its own copy of
/// the whole exchange (1.3 KB each).
pub type Inspect<'i> = dyn FnMut(&[u8], &ResponseHead, &[httparse::Header<'_>]) + 'i;

pub struct Connection {
    endpoint: Endpoint,
    socket: Option<Socket>,
}

/// Failures worth one retry on a reused connection: the server had closed it.
enum ReadError {
    /// Closed or reset before the first byte of the reply.
    Stale(ClientError),
    Fatal(ClientError),
}

impl Connection {
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            socket: None,
        }
    }

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
            self.socket = net::connect(&self.endpoint.addr).ok();
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
        head: &[u8],
        body: &[u8],
        buf: &mut [u8],
        mut inspect: Option<&mut Inspect<'_>>,
    ) -> Result<Reply, ClientError> {
        loop {
            let reused = self.socket.is_some();
            let socket = match &self.socket {
                Some(socket) => socket,
                None => {
                    let socket = net::connect(&self.endpoint.addr).map_err(ClientError::Connect)?;
                    self.socket.insert(socket)
                }
            };
            let result = match net::send_all(socket, &[head, body]) {
                Ok(()) => read_reply(socket, buf, inspect.as_deref_mut()),
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
                Err(ReadError::Stale(_)) if reused && !crate::sys::signal::stopping() => {
                    self.close()
                }
                Err(ReadError::Stale(e) | ReadError::Fatal(e)) => {
                    self.close();
                    return Err(e);
                }
            }
        }
    }
}

impl Connection {
    /// Starts a request whose body follows in pieces (a streamed response) by sending `parts`.
    /// Nothing can be resent once the body has begun, so a kept-alive connection that the
    /// server has closed is replaced first rather than found out later.
    pub fn start(&mut self, parts: &[&[u8]]) -> Result<(), ClientError> {
        if self.socket.as_ref().is_some_and(net::peer_closed) {
            self.close();
        }
        if self.socket.is_none() {
            self.socket = Some(net::connect(&self.endpoint.addr).map_err(ClientError::Connect)?);
        }
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
        match read_reply(socket, buf, None) {
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
    socket: &Socket,
    buf: &mut [u8],
    inspect: Option<&mut Inspect<'_>>,
) -> Result<(Reply, bool), ReadError> {
    let mut filled = 0;
    let head = loop {
        let n = match net::recv(socket, rest(buf, filled)) {
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
            Ok(Some((head, count))) => {
                if let Some(inspect) = inspect {
                    inspect(buf, &head, headers.get(..count).unwrap_or_default());
                }
                break head;
            }
            Ok(None) if filled >= response::MAX_HEAD_LEN || filled == buf.len() => {
                return Err(ReadError::Fatal(ClientError::HeadTooLong));
            }
            Ok(None) => {}
            Err(e) => return Err(ReadError::Fatal(ClientError::Head(e))),
        }
    };
    let (body, excess) =
        read_body(socket, buf, head.len, filled, head.framing).map_err(ReadError::Fatal)?;
    // Bytes beyond the reply mean the server and we disagree on framing: start afresh.
    let keep_alive = head.keep_alive && excess == 0;
    Ok((Reply { head, body }, keep_alive))
}

/// Reads the body that follows a head of `head_len` bytes, of which (with the head) `filled`
/// bytes are in `buf` already. The body ends up contiguous right after the head, whatever its
/// framing. Returns where it is, and how many bytes arrived beyond it.
pub fn read_body(
    socket: &Socket,
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
                filled += recv_more(socket, buf.get_mut(filled..end).unwrap_or_default())?;
            }
            Ok((head_len..end, filled - end))
        }
        Framing::Chunked => {
            let mut dechunker = Dechunker::new(head_len, head_len);
            let mut received = filled - head_len;
            while !dechunker.decode(buf, received).map_err(|e| match e {
                ChunkError::TooLarge => ClientError::BodyTooLarge,
                e => ClientError::Chunked(e),
            })? {
                received = recv_more(socket, rest(buf, dechunker.fill_at()))?;
            }
            Ok((dechunker.body(), dechunker.excess()))
        }
        Framing::UntilClose => {
            loop {
                if filled == buf.len() {
                    return Err(ClientError::BodyTooLarge);
                }
                match net::recv(socket, rest(buf, filled)) {
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
fn recv_more(socket: &Socket, buf: &mut [u8]) -> Result<usize, ClientError> {
    match net::recv(socket, buf) {
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
