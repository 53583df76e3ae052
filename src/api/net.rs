//! The socket layer: the system calls of the Runtime API client and of local mode's server.
//!
//! Sockets are made by musl's `socket`, `socketpair` and `accept4`, declared below, not by
//! rustix: rustix hands back an `OwnedFd`, whose constructor's `assert_ne!` links core's
//! formatting machinery (see [`crate::sys::fd`]); they are owned as [`Socket`]s. Everything
//! done with them (connect, bind, options, send, receive) goes through rustix. Every function
//! here is one or a few system calls; all protocol logic lives elsewhere.

use core::ffi::c_int;
use core::net::SocketAddr;

use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::{Errno, IoSlice};
use rustix::net::{self, RecvFlags, SendFlags};

/// The most pieces [`send_all`] sends in one call.
pub const MAX_PARTS: usize = 12;

/// A TCP socket, closed on drop.
pub type Socket = crate::sys::fd::Fd;

unsafe extern "C" {
    fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    fn socketpair(domain: c_int, kind: c_int, protocol: c_int, fds: *mut c_int) -> c_int;
    fn accept4(fd: c_int, addr: *mut u8, len: *mut u32, flags: c_int) -> c_int;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const u8, len: u32) -> c_int;
    fn __errno_location() -> *mut c_int;
}

const AF_UNIX: c_int = 1;
const AF_INET: c_int = 2;
const AF_INET6: c_int = 10;
const SOCK_STREAM: c_int = 1;
/// A handler that starts a program must not hand it our sockets.
const SOCK_CLOEXEC: c_int = 0o2000000;

/// The errno of the libc call that just failed.
fn last_errno() -> Errno {
    crate::sys::errno()
}

/// Takes the descriptor a libc call returned, or its errno.
fn owned(fd: c_int) -> Result<Socket, Errno> {
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: the call just returned this descriptor, and nothing else has it.
    Ok(unsafe { Socket::from_raw(fd) })
}

fn tcp_socket(addr: &SocketAddr) -> Result<Socket, Errno> {
    let family = if addr.is_ipv4() { AF_INET } else { AF_INET6 };
    // SAFETY: plain integer arguments; the result is checked before use.
    owned(unsafe { socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0) })
}

/// Opens a TCP connection with `TCP_NODELAY`: our requests are single writes that must leave
/// at once, and Nagle would hold a response body back waiting for the previous ACK. A `recv`
/// that waits `recv_timeout_s` for a byte fails with `EAGAIN` (see `client`: only `GET /next`
/// waits on).
pub fn connect(addr: &SocketAddr, recv_timeout_s: u64) -> Result<Socket, Errno> {
    let socket = tcp_socket(addr)?;
    retry_interrupted(|| net::connect(&socket, addr))?;
    net::sockopt::set_tcp_nodelay(&socket, true)?;
    set_timeout(&socket, RECV_TIMEOUT, recv_timeout_s * 1000)?;
    Ok(socket)
}

/// `SO_RCVTIMEO` and `SO_SNDTIMEO`, for [`set_timeout`].
pub const RECV_TIMEOUT: c_int = 20;
/// `SO_SNDTIMEO`: how long a send may block.
pub const SEND_TIMEOUT: c_int = 21;

/// Sets a socket's receive or send timeout ([`RECV_TIMEOUT`], [`SEND_TIMEOUT`]): a `recv` or
/// `send` that makes no progress for that long fails with `EAGAIN`. 0 ms is taken as 1 (0
/// would mean no timeout at all). By hand: rustix's `Duration` conversion costs 150 bytes.
pub fn set_timeout(socket: &Socket, which: c_int, ms: u64) -> Result<(), Errno> {
    const SOL_SOCKET: c_int = 1;
    let ms = ms.max(1);
    let timeval: [i64; 2] = [(ms / 1000) as i64, (ms % 1000 * 1000) as i64];
    set_option(socket, SOL_SOCKET, which, &timeval)
}

/// `setsockopt` with `value` as the option's bytes.
fn set_option<T>(socket: &Socket, level: c_int, name: c_int, value: &T) -> Result<(), Errno> {
    // SAFETY: a valid socket, and a pointer to a value with its size, as the caller's option
    // takes.
    let set = unsafe {
        setsockopt(
            socket.raw(),
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as u32,
        )
    };
    if set < 0 { Err(last_errno()) } else { Ok(()) }
}

/// A TCP socket listening on `addr` (local mode's server), with room for callers to queue.
///
/// `TCP_DEFER_ACCEPT`: a connection is not accepted until its first bytes arrive, or until
/// about `idle_s` seconds have passed without any; so callers that connect and send nothing
/// (a client's pre-opened connections, a port probe) never stand in front of one that sent
/// its request.
pub fn listen(addr: &SocketAddr, idle_s: u64) -> Result<Socket, Errno> {
    const BACKLOG: i32 = 128;
    const IPPROTO_TCP: c_int = 6;
    const TCP_DEFER_ACCEPT: c_int = 9;
    let socket = tcp_socket(addr)?;
    // A restarted server can take its port back while old connections linger in TIME_WAIT.
    net::sockopt::set_socket_reuseaddr(&socket, true)?;
    // Checked: the server takes a connection with nothing to read for an idle one.
    set_option(
        &socket,
        IPPROTO_TCP,
        TCP_DEFER_ACCEPT,
        &c_int::try_from(idle_s).unwrap_or(c_int::MAX),
    )?;
    net::bind(&socket, addr)?;
    net::listen(&socket, BACKLOG)?;
    Ok(socket)
}

/// The next connection on a listening socket, with `TCP_NODELAY` (streamed pieces leave at
/// once) and a send timeout, so that a caller who does not read its answer cannot hold the
/// server. (Its receive timeout is set before each read, to what is left of the caller's
/// deadline: see [`Wait::Until`].)
pub fn accept(listener: &Socket, send_timeout_s: u64) -> Result<Socket, Errno> {
    // SAFETY: null address and length are allowed (the peer's address is not wanted).
    let socket = retry_interrupted(|| {
        owned(unsafe {
            accept4(
                listener.raw(),
                core::ptr::null_mut(),
                core::ptr::null_mut(),
                SOCK_CLOEXEC,
            )
        })
    })?;
    net::sockopt::set_tcp_nodelay(&socket, true)?;
    set_timeout(&socket, SEND_TIMEOUT, send_timeout_s * 1000)?;
    Ok(socket)
}

/// A connected pair of Unix stream sockets: a channel between two processes that, unlike a
/// pipe, can be written with `MSG_NOSIGNAL` after its reader is gone.
pub fn socket_pair() -> Result<(Socket, Socket), Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors.
    let result = unsafe { socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.as_mut_ptr()) };
    let first = owned(if result < 0 { result } else { fds[0] })?;
    Ok((first, owned(fds[1])?))
}

/// Sends all of `parts` in order, with as few `sendmsg` calls as the kernel allows (one,
/// normally). `MSG_NOSIGNAL`: without std nothing ignores SIGPIPE, and a peer that has gone
/// must be an error to handle, not the death of the process.
pub fn send_all(socket: impl AsFd, parts: &[&[u8]]) -> Result<(), Errno> {
    send_parts(socket.as_fd(), parts)
}

/// [`send_all`] on a borrowed descriptor: one copy of the loop for every kind of socket
/// (generic, it was compiled once for each: 0.46 KB more).
fn send_parts(socket: BorrowedFd<'_>, parts: &[&[u8]]) -> Result<(), Errno> {
    debug_assert!(parts.len() <= MAX_PARTS);
    let mut skip = 0; // bytes of `parts` already sent
    loop {
        let mut slices = [IoSlice::new(&[]); MAX_PARTS];
        let mut count = 0;
        let mut offset = skip;
        for part in parts {
            // Without panic paths: parts past the eighth wait for a later sendmsg.
            match (part.get(offset..), slices.get_mut(count)) {
                (Some(rest @ [_, ..]), Some(slot)) => {
                    *slot = IoSlice::new(rest);
                    offset = 0;
                    count += 1;
                }
                _ => offset = offset.saturating_sub(part.len()),
            }
        }
        if count == 0 {
            return Ok(());
        }
        let slices = slices.get(..count).unwrap_or_default();
        let mut control = net::SendAncillaryBuffer::default();
        let sent =
            retry_interrupted(|| net::sendmsg(socket, slices, &mut control, SendFlags::NOSIGNAL))?;
        skip += sent;
    }
}

/// What waits on an idle connection, without waiting: `Err(EAGAIN)` nothing (it is usable),
/// `Ok(0)` the peer's close, `Ok(1)` bytes nobody asked for, another error a reset. A
/// non-blocking one-byte peek.
pub fn peek_idle(socket: &Socket) -> Result<usize, Errno> {
    let mut byte = [0u8; 1];
    recv_with(
        socket.as_fd(),
        &mut byte,
        RecvFlags::PEEK | RecvFlags::DONTWAIT,
    )
}

/// How long the reads from a [`Source`] may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// As long as it takes: reads that time out are made again (`GET /next`, whose reply
    /// comes when there is work, after the sandbox may have been frozen for minutes).
    Forever,
    /// Each read, as long as the socket's own receive timeout (a post's reply).
    Socket,
    /// All reads together, until this monotonic time in ms (a local caller's request; only
    /// there, so that the smallest build has no clock here).
    #[cfg(feature = "local-mode")]
    Until(i64),
}

/// A socket to read a message from, and how long its reads may wait.
pub struct Source<'s> {
    /// The socket.
    pub socket: &'s Socket,
    /// How long each read may wait.
    pub wait: Wait,
}

impl Source<'_> {
    /// Receives into `buf`; `Ok(0)`: the peer closed the connection; `Err(EAGAIN)`: the time
    /// is up.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            #[cfg(feature = "local-mode")]
            if let Wait::Until(until_ms) = self.wait {
                let left =
                    until_ms - crate::sys::clock::now_ms(crate::sys::clock::Clock::Monotonic);
                if left <= 0 {
                    return Err(Errno::AGAIN);
                }
                set_timeout(self.socket, RECV_TIMEOUT, left as u64)?;
            }
            match recv(self.socket, &mut *buf) {
                Err(Errno::AGAIN) if self.wait == Wait::Forever => {}
                other => return other,
            }
        }
    }
}

/// Receives into `buf`; `Ok(0)` means the peer closed the connection.
pub fn recv(socket: impl AsFd, buf: &mut [u8]) -> Result<usize, Errno> {
    recv_with(socket.as_fd(), buf, RecvFlags::empty())
}

/// `recv` with `flags`, one copy for every caller.
#[inline(never)]
fn recv_with(socket: BorrowedFd<'_>, buf: &mut [u8], flags: RecvFlags) -> Result<usize, Errno> {
    retry_interrupted(|| net::recv(socket, &mut *buf, flags).map(|(n, _)| n))
}

fn retry_interrupted<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}
