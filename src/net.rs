//! The socket layer: a thin wrapper over rustix's system calls.
//!
//! Every function here is one or a few syscalls; all protocol logic lives elsewhere.

use core::net::SocketAddr;
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::{Errno, IoSlice};
use rustix::net::{self, AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

/// Opens a TCP connection with `TCP_NODELAY`: our requests are single writes that must leave
/// at once, and Nagle would hold a response body back waiting for the previous ACK.
pub fn connect(addr: &SocketAddr) -> Result<OwnedFd, Errno> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    // CLOEXEC: a handler that starts a program must not hand it our connection.
    let socket = net::socket_with(family, SocketType::STREAM, SocketFlags::CLOEXEC, None)?;
    retry_interrupted(|| net::connect(&socket, addr))?;
    net::sockopt::set_tcp_nodelay(&socket, true)?;
    Ok(socket)
}

/// Sends all of `parts` in order, with as few `sendmsg` calls as the kernel allows (one,
/// normally). `MSG_NOSIGNAL`: without std nothing ignores SIGPIPE, and a peer that has gone
/// must be an error to handle, not the death of the process.
pub fn send_all(socket: impl AsFd, parts: &[&[u8]]) -> Result<(), Errno> {
    const MAX_PARTS: usize = 4;
    debug_assert!(parts.len() <= MAX_PARTS);
    let mut skip = 0; // bytes of `parts` already sent
    loop {
        let mut slices = [IoSlice::new(&[]); MAX_PARTS];
        let mut count = 0;
        let mut offset = skip;
        for part in parts {
            if offset >= part.len() {
                offset -= part.len();
                continue;
            }
            slices[count] = IoSlice::new(&part[offset..]);
            offset = 0;
            count += 1;
        }
        if count == 0 {
            return Ok(());
        }
        let mut control = net::SendAncillaryBuffer::default();
        let sent = retry_interrupted(|| {
            net::sendmsg(&socket, &slices[..count], &mut control, SendFlags::NOSIGNAL)
        })?;
        skip += sent;
    }
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
