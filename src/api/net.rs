//! The socket layer: the system calls of the Runtime API client and of local mode's server.
//!
//! Sockets are made by musl's `socket`, `socketpair` and `accept4`, declared below, not by
//! rustix: rustix hands back an `OwnedFd`, whose constructor's `assert_ne!` links core's
//! formatting machinery (see [`crate::sys::fd`]); they are owned as [`Socket`]s. Everything
//! done with them (connect, bind, options, send, receive) goes through rustix. Every function
//! here is one or a few system calls; all protocol logic lives elsewhere.

use core::ffi::c_int;
use core::net::SocketAddr;

use rustix::fd::AsFd;
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
    fn __errno_location() -> *mut c_int;
}

const AF_UNIX: c_int = 1;
const AF_INET: c_int = 2;
const AF_INET6: c_int = 10;
const SOCK_STREAM: c_int = 1;
/// A handler that starts a program must not hand it our sockets.
const SOCK_CLOEXEC: c_int = 0o2000000;

/// Takes the descriptor a libc call returned, or its errno.
fn owned(fd: c_int) -> Result<Socket, Errno> {
    if fd < 0 {
        // SAFETY: musl's errno location is always valid for the calling thread.
        return Err(Errno::from_raw_os_error(unsafe { *__errno_location() }));
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
/// at once, and Nagle would hold a response body back waiting for the previous ACK.
pub fn connect(addr: &SocketAddr) -> Result<Socket, Errno> {
    let socket = tcp_socket(addr)?;
    retry_interrupted(|| net::connect(&socket, addr))?;
    net::sockopt::set_tcp_nodelay(&socket, true)?;
    Ok(socket)
}

/// A TCP socket listening on `addr` (local mode's server), with room for callers to queue.
pub fn listen(addr: &SocketAddr) -> Result<Socket, Errno> {
    const BACKLOG: i32 = 128;
    let socket = tcp_socket(addr)?;
    // A restarted server can take its port back while old connections linger in TIME_WAIT.
    net::sockopt::set_socket_reuseaddr(&socket, true)?;
    net::bind(&socket, addr)?;
    net::listen(&socket, BACKLOG)?;
    Ok(socket)
}

/// The next connection on a listening socket, with `TCP_NODELAY` (streamed pieces leave at
/// once) and a receive timeout, so that a caller who stops sending cannot hold the server.
pub fn accept(listener: &Socket, recv_timeout_s: u64) -> Result<Socket, Errno> {
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
    let timeout = core::time::Duration::from_secs(recv_timeout_s);
    net::sockopt::set_socket_timeout(&socket, net::sockopt::Timeout::Recv, Some(timeout))?;
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
            retry_interrupted(|| net::sendmsg(&socket, slices, &mut control, SendFlags::NOSIGNAL))?;
        skip += sent;
    }
}

/// Whether the peer has closed an idle connection (or sent something unasked, which makes
/// it unusable too): a non-blocking one-byte peek.
pub fn peer_closed(socket: &Socket) -> bool {
    let mut byte = [0u8; 1];
    let flags = RecvFlags::PEEK | RecvFlags::DONTWAIT;
    !matches!(net::recv(socket, &mut byte[..], flags), Err(Errno::AGAIN))
}

/// Receives into `buf`; `Ok(0)` means the peer closed the connection.
pub fn recv(socket: impl AsFd, buf: &mut [u8]) -> Result<usize, Errno> {
    retry_interrupted(|| net::recv(&socket, &mut *buf, RecvFlags::empty()).map(|(n, _)| n))
}

fn retry_interrupted<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}
