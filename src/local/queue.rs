//! The queue between local mode's front, which takes every request as it comes, and the
//! server, which runs them one at a time: a Unix socket pair of the `SOCK_SEQPACKET` kind,
//! whose messages keep their bounds and carry descriptors.
//!
//! Each [`Item`] is one invocation: its request id and what its head says
//! (the [`Invoke`] the front parsed, so that the server need not parse it again), with the
//! request itself in an in-memory file and, unless the front has answered it already (an `Event`),
//! the caller's connection. Descriptors in flight belong to the kernel, so an item survives
//! the server that would have run it being killed between items, and the first server to
//! receive one is the only one to run it. The server answers each item it takes with one
//! byte, so the front knows how many wait (see `front`).

use core::ffi::c_int;

use core::ops::Range;

use rustix::io::Errno;

use super::context::REQUEST_ID_LEN;
use super::request::{InvocationType, Invoke};
use crate::api::net::Socket;
use crate::codec::bytes::put;
use crate::http::response::Framing;
use crate::sys::fd::Fd;

unsafe extern "C" {
    fn socketpair(domain: c_int, kind: c_int, protocol: c_int, fds: *mut c_int) -> c_int;
    fn syscall(number: i64, ...) -> i64;
}

const AF_UNIX: c_int = 1;
const SOCK_SEQPACKET: c_int = 5;
const SOCK_CLOEXEC: c_int = 0o2000000;
const SOL_SOCKET: c_int = 1;
const SCM_RIGHTS: c_int = 1;
const MSG_CMSG_CLOEXEC: c_int = 0x4000_0000;
const MSG_NOSIGNAL: i64 = 0x4000;
const MSG_DONTWAIT: i64 = 0x40;
#[cfg(target_arch = "x86_64")]
const SYS_SENDMSG: i64 = 46;
#[cfg(target_arch = "x86_64")]
const SYS_RECVMSG: i64 = 47;
#[cfg(target_arch = "aarch64")]
const SYS_SENDMSG: i64 = 211;
#[cfg(target_arch = "aarch64")]
const SYS_RECVMSG: i64 = 212;

/// The numbers of an item after its request id: its head as [`Invoke`] has it (see
/// [`encode`]).
const WORDS: usize = 8;
/// The bytes of an item.
const ITEM_LEN: usize = REQUEST_ID_LEN + 4 * WORDS;
/// A range that is not there.
const NONE: u32 = u32::MAX;

/// One invocation waiting to be run.
pub struct Item {
    pub request_id: [u8; REQUEST_ID_LEN],
    /// What its head says (the request's framing left out: the body is whole in the file).
    pub invoke: Invoke,
    /// The request as it came (head, then the body, unchunked), in an in-memory file.
    pub request: Fd,
    /// The caller's connection, or `None` when the front answered already (`Event`).
    pub caller: Option<Socket>,
}

/// The two ends of a new queue: the front's, then the server's.
pub fn pair() -> Result<(Socket, Socket), Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds.as_mut_ptr()) } < 0 {
        return Err(crate::sys::errno());
    }
    // SAFETY: the call just returned these descriptors, and nothing else has them.
    Ok(unsafe { (Socket::from_raw(fds[0]), Socket::from_raw(fds[1])) })
}

/// Queues an invocation: its id, its head, its `request` file and, if it
/// is to be answered, the `caller`'s connection (both are copied into the message).
pub fn send(
    queue: &Socket,
    request_id: &[u8],
    invoke: &Invoke,
    request: &Fd,
    caller: Option<&Socket>,
) -> Result<(), Errno> {
    let mut bytes = [0u8; ITEM_LEN];
    let _ = put(
        &mut bytes,
        0,
        request_id.get(..REQUEST_ID_LEN).unwrap_or_default(),
    );
    let mut at = REQUEST_ID_LEN;
    for word in encode(invoke) {
        let _ = put(&mut bytes, at, &word.to_le_bytes()); // fits: ITEM_LEN has room
        at += 4;
    }
    let mut control = Control {
        len: CONTROL_HEAD + 4 * (1 + usize::from(caller.is_some())),
        level: SOL_SOCKET,
        kind: SCM_RIGHTS,
        fds: [request.raw(), caller.map_or(-1, |socket| socket.raw())],
    };
    let sent = message(SYS_SENDMSG, queue, &mut bytes, &mut control, MSG_NOSIGNAL)?;
    if sent == ITEM_LEN {
        Ok(())
    } else {
        Err(Errno::MSGSIZE)
    }
}

/// The words of an item after its id: `invoke`'s head length, trace id and client context
/// ranges, invocation type, `Tail` and stream flags.
fn encode(invoke: &Invoke) -> [u32; WORDS] {
    let range = |range: &Option<Range<usize>>| {
        range
            .as_ref()
            .map_or([NONE, NONE], |r| [r.start as u32, r.end as u32])
    };
    let [trace_start, trace_end] = range(&invoke.trace_id);
    let [context_start, context_end] = range(&invoke.client_context);
    [
        invoke.head_len as u32,
        trace_start,
        trace_end,
        context_start,
        context_end,
        invoke.invocation_type as u32,
        u32::from(invoke.tail),
        u32::from(invoke.event_stream),
    ]
}

/// The inverse of [`encode`].
fn decode(words: [u32; WORDS]) -> Invoke {
    let range = |start: u32, end: u32| (start != NONE).then_some(start as usize..end as usize);
    let invocation_type = match words[5] {
        1 => InvocationType::Event,
        2 => InvocationType::DryRun,
        _ => InvocationType::RequestResponse,
    };
    Invoke {
        head_len: words[0] as usize,
        framing: Framing::Length(0),
        expect_continue: false,
        trace_id: range(words[1], words[2]),
        client_context: range(words[3], words[4]),
        invocation_type,
        tail: words[6] != 0,
        event_stream: words[7] != 0,
    }
}

/// The kernel's `struct msghdr` (x86_64's and aarch64's).
#[repr(C)]
struct MessageHeader {
    name: *mut u8,
    name_len: u32,
    iov: *mut rustix::io::IoSliceMut<'static>,
    iov_len: usize,
    control: *mut u8,
    control_len: usize,
    flags: c_int,
}

/// The kernel's `struct cmsghdr` followed by room for two descriptors.
#[repr(C)]
struct Control {
    len: usize,
    level: c_int,
    kind: c_int,
    fds: [c_int; 2],
}

/// The bytes of a `cmsghdr` before its data.
const CONTROL_HEAD: usize = size_of::<usize>() + 2 * size_of::<c_int>();

/// `sendmsg` or `recvmsg` (`call`) of `bytes` with `control`, retried when interrupted. By
/// the system calls: rustix's `recvmsg` hands descriptors over as `OwnedFd`s, whose
/// constructor links core's formatting (see `sys::fd`), and its ancillary-data builder costs
/// more than this.
fn message(
    call: i64,
    socket: &Socket,
    bytes: &mut [u8; ITEM_LEN],
    control: &mut Control,
    flags: i64,
) -> Result<usize, Errno> {
    let mut iov = rustix::io::IoSliceMut::new(bytes);
    let mut header = MessageHeader {
        name: core::ptr::null_mut(),
        name_len: 0,
        iov: (&raw mut iov).cast(),
        iov_len: 1,
        control: (&raw mut *control).cast(),
        control_len: size_of::<Control>(),
        flags: 0,
    };
    loop {
        // SAFETY: `header` points at live buffers of the lengths it gives, for the call only.
        let n = unsafe { syscall(call, socket.raw(), &raw mut header, flags) };
        match n {
            0.. => return Ok(n as usize),
            _ if crate::sys::errno() == Errno::INTR => continue,
            _ => return Err(crate::sys::errno()),
        }
    }
}

/// Takes the next item, waiting for one; `Ok(None)`: the front is gone.
pub fn recv(queue: &Socket) -> Result<Option<Item>, Errno> {
    let mut bytes = [0u8; ITEM_LEN];
    let mut control = Control {
        len: 0,
        level: 0,
        kind: 0,
        fds: [-1; 2],
    };
    let received = message(
        SYS_RECVMSG,
        queue,
        &mut bytes,
        &mut control,
        MSG_CMSG_CLOEXEC as i64,
    )?;
    if received == 0 {
        return Ok(None);
    }
    let rights = control.level == SOL_SOCKET && control.kind == SCM_RIGHTS;
    let count = if rights {
        control.len.saturating_sub(CONTROL_HEAD) / 4
    } else {
        0
    };
    // SAFETY: the kernel just gave us these descriptors (the first `count`); nothing else
    // owns them.
    let owned = |at: usize| {
        let fd = control.fds.get(at).filter(|_| at < count)?;
        Some(unsafe { Fd::from_raw(*fd) })
    };
    let (request, caller) = (owned(0), owned(1));
    let (Some(request), ITEM_LEN) = (request, received) else {
        return Err(Errno::PROTO);
    };
    let mut request_id = [0u8; REQUEST_ID_LEN];
    let _ = put(
        &mut request_id,
        0,
        bytes.get(..REQUEST_ID_LEN).unwrap_or_default(),
    );
    let mut words = [0u32; WORDS];
    let mut at = REQUEST_ID_LEN;
    for word in &mut words {
        let mut le = [0u8; 4];
        let _ = put(&mut le, 0, bytes.get(at..at + 4).unwrap_or_default());
        *word = u32::from_le_bytes(le);
        at += 4;
    }
    Ok(Some(Item {
        request_id,
        invoke: decode(words),
        request,
        caller,
    }))
}

/// Tells the front that the server took an item.
pub fn taken(queue: &Socket) {
    let _ = crate::api::net::send_all(queue, &[b"T"]);
}

/// How many items the server took since the last call (never waits).
pub fn count_taken(queue: &Socket) -> usize {
    let mut taken = 0;
    let mut bytes = [0u8; ITEM_LEN];
    let mut control = Control {
        len: 0,
        level: 0,
        kind: 0,
        fds: [-1; 2],
    };
    while let Ok(1..) = message(SYS_RECVMSG, queue, &mut bytes, &mut control, MSG_DONTWAIT) {
        taken += 1;
    }
    taken
}
