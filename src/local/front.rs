//! Local mode's front: a process of its own that takes every request as it comes, whatever
//! the server is running, so that `Event` and `DryRun` invocations are answered at once, as
//! Lambda's Invoke API answers them, and every request waits its turn in one queue.
//!
//! For each connection, one at a time: read the request (within the caller's deadline),
//! refuse what is not served, answer a `DryRun` (204), and queue the rest (see `queue`) for
//! the server, which runs them in order. An `Event` is answered 202 once it is queued, and
//! the caller is let go: it runs once, whenever its turn comes, and a caller that gives up
//! waiting for its 202 (and retries) no longer exists, since the 202 does not wait for the
//! handler. A `RequestResponse` invocation is queued with its connection, answered by the
//! server.
//!
//! The queue is bounded: past [`MAX_WAITING`] invocations not yet taken by the server, a
//! request is refused with `429 TooManyRequestsException`, as Lambda throttles; the caller
//! may retry (the SDKs do), and nothing it sent runs. That bounds the memory queued events
//! hold (each is an in-memory file of its request: 64 of Lambda's 6 MB at most).
//!
//! A SIGTERM or SIGINT shuts the connection being read down (see `sys::signal`), so a caller
//! that sent half a request does not hold up the exit; the front then ends.

use core::ffi::c_int;
use core::ops::Range;

use super::answer::{accepted, dry_run, refuse};
use super::context::{REQUEST_ID_LEN, check, new_request_id};
use super::queue;
use super::request::{self, InvocationType, Invoke, Refusal};
use crate::api::client::{self, ClientError};
use crate::api::net::{self, Socket, Source, Wait};
use crate::http::{Status, chunked, response};
use crate::sys::clock::{Clock, now_ms};
use crate::sys::{fd, log, signal};

/// The most invocations that wait for the server; more are refused with a 429.
pub const MAX_WAITING: usize = 64;

/// The front's life: takes connections from `listener` into `queue` until a stop. Returns
/// the exit status.
pub fn serve(
    listener: &Socket,
    queue: &Socket,
    request: &mut [u8],
    caller_timeout_s: u64,
) -> c_int {
    let mut waiting = 0;
    let mut backoff_ms = 0;
    loop {
        // Named before the check: a stop from now on shuts the listener down, which ends
        // the `accept` (see `sys::signal`).
        signal::wait_on(listener.raw());
        if signal::stopping() {
            return 0;
        }
        let accepted = net::accept(listener, caller_timeout_s);
        signal::wait_on(-1);
        let socket = match accepted {
            Ok(socket) => socket,
            Err(rustix::io::Errno::CONNABORTED) => continue, // the caller left the queue
            Err(_) if signal::stopping() => continue,        // a stop shut the listener down
            Err(_) => {
                // Out of descriptors, most likely: callers wait in the queue meanwhile.
                // Said once each time it begins, retried less and less often.
                if backoff_ms == 0 {
                    log::text(b"local mode: cannot accept a connection (out of file descriptors? see ulimit -n); retrying");
                }
                backoff_ms = (backoff_ms * 2).clamp(10, 1000);
                crate::sys::sleep_ms(backoff_ms);
                continue;
            }
        };
        backoff_ms = 0;
        waiting -= queue::count_taken(queue).min(waiting);
        // Named, then checked: a stop from now on shuts this connection down, which ends
        // any read from it at once.
        signal::wait_on(socket.raw());
        if !signal::stopping() && take(&socket, queue, request, caller_timeout_s, waiting) {
            waiting += 1;
        }
        signal::wait_on(-1);
    }
}

/// Reads one caller's request and answers, refuses or queues it, `waiting` being queued
/// already. Returns whether it was queued.
fn take(
    socket: &Socket,
    queue: &Socket,
    request: &mut [u8],
    caller_timeout_s: u64,
    waiting: usize,
) -> bool {
    // Every answer has a request id, refusals included.
    let mut id = [0u8; REQUEST_ID_LEN + 1];
    new_request_id(&mut id);
    let deadline_ms = now_ms(Clock::Monotonic) + caller_timeout_s as i64 * 1000;
    let source = Source {
        socket,
        wait: Wait::Until(deadline_ms),
    };
    // Accepted with nothing to read: idle for the whole timeout (see `net::listen`).
    let idle = net::peek_idle(socket) == Err(rustix::io::Errno::AGAIN);
    let read = if idle {
        Err(Some(Refusal::Timeout))
    } else {
        read_request(&source, request)
    };
    let (invoke, body) = match read {
        Ok(read) => read,
        Err(None) => return false, // the caller left before its request was complete
        Err(Some(refusal)) => {
            refuse(&source, refusal, &id, request);
            return false;
        }
    };
    if invoke.invocation_type == InvocationType::DryRun {
        dry_run(socket, &id);
        return false;
    }
    if waiting >= MAX_WAITING {
        refuse(&source, Refusal::Throttled, &id, request);
        return false;
    }
    // Checked now, so that what an `Event` is accepted with is what runs; then the request,
    // its context made C strings in place, goes to the server in a file.
    let mut invoke = invoke;
    let Some((head, rest)) = request.split_at_mut_checked(body.start) else {
        return false;
    };
    if let Err(refusal) = check(&mut invoke, head) {
        refuse(&source, refusal, &id, rest);
        return false;
    }
    let spooled = fd::memory_file(c"request").and_then(|file| {
        let whole = request.get(..body.end).unwrap_or_default();
        crate::sys::stdio::write_all(&file, whole).map(|()| file)
    });
    let event = invoke.invocation_type == InvocationType::Event;
    let caller = if event { None } else { Some(socket) };
    let queued =
        spooled.and_then(|file| queue::send(queue, &id[..REQUEST_ID_LEN], &invoke, &file, caller));
    if queued.is_err() {
        refuse(&source, Refusal::Throttled, &id, request);
        return false;
    }
    if event {
        accepted(socket, &id);
    }
    true
}

/// Reads a request into `buf` from `caller` (which keeps the caller's deadline): its head,
/// checked, then its body, which ends up right after the head. `Err(None)`: the caller
/// left, and there is no one to answer.
fn read_request(
    caller: &Source<'_>,
    buf: &mut [u8],
) -> Result<(Invoke, Range<usize>), Option<Refusal>> {
    let timed_out = |e| {
        if e == rustix::io::Errno::AGAIN {
            Some(Refusal::Timeout)
        } else {
            None
        }
    };
    let mut filled = 0;
    let invoke = loop {
        if filled == response::MAX_HEAD_LEN {
            return Err(Some(Refusal::HeadTooLarge));
        }
        match caller.recv(
            buf.get_mut(filled..response::MAX_HEAD_LEN)
                .unwrap_or_default(),
        ) {
            Ok(0) => return Err(None),
            Ok(n) => filled += n,
            Err(e) => return Err(timed_out(e)),
        }
        if let Status::Complete(invoke) =
            request::parse(buf.get(..filled).unwrap_or_default()).map_err(Some)?
        {
            break invoke;
        }
    };
    if invoke.expect_continue {
        // On the stack (a `let`), not a constant: a static slice of slices is a relocation.
        let interim: [&[u8]; 1] = [b"HTTP/1.1 100 Continue\r\n\r\n"];
        let _ = net::send_all(caller.socket, &interim);
    }
    // Room for the largest event and, for a chunked one, its framing in flight.
    let limit = invoke.head_len + crate::contract::MAX_EVENT + chunked::MAX_LINE;
    let room = buf.get_mut(..limit).unwrap_or_default(); // the buffer holds the largest
    let read = client::read_body(caller, room, invoke.head_len, filled, invoke.framing);
    let (body, _) = read.map_err(|e| match e {
        ClientError::BodyTooLarge => Some(Refusal::TooLarge),
        ClientError::Chunked(_) => Some(Refusal::Malformed),
        ClientError::Recv(e) => timed_out(e),
        _ => None,
    })?;
    if body.len() > crate::contract::MAX_EVENT {
        return Err(Some(Refusal::TooLarge));
    }
    Ok((invoke, body))
}
