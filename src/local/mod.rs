//! Local mode: when `AWS_LAMBDA_RUNTIME_API` is unset, the bootstrap is its own emulator. It
//! serves Lambda's Invoke API, `POST /2015-03-31/functions/function/invocations`, on
//! `LAMBDA_LOCAL_ADDRESS` (default `0.0.0.0:8080`, the official images' port), and runs the
//! linked handler for each request, as AWS's Runtime Interface Emulator does for its images.
//!
//! Requests are served one at a time, in the order they arrive; the others wait in the
//! listening socket's queue. Processes: the first one runs init, then supervises the server,
//! a process forked from it; for each invocation the server forks a watchdog that enforces
//! the timeout (see `watchdog`). A server killed at a timeout, or dead of a crash, is replaced
//! by a fresh fork of the initialised process.
//!
//! Answers are as Lambda's Invoke API gives them: 200 with the handler's bytes; a handler
//! error as 200 with `X-Amz-Function-Error: Unhandled` and the error document; a streamed
//! response passed on as it comes, chunked, with the error trailers on failure.

mod answer;
mod context;
mod reply;
pub mod request;
mod watchdog;

use core::ffi::c_int;
use core::ops::Range;

pub use self::answer::Answer;
use self::answer::{Caller, refuse};
use self::context::{Function, REQUEST_ID_LEN, context, function_arn, new_request_id, timeout_s};
use self::request::{Invoke, Refusal};
use self::watchdog::Watchdog;
use crate::abi::handler::{HandlerFn, InitFn, Outcome, ShutdownFn};
use crate::api::client::{self, ClientError};
use crate::api::net::{self, Socket};
use crate::api::request::RequestHead;
use crate::runtime::invoke::{self as one, AnswerBuffers};
use crate::runtime::trace_env::TraceEnv;
use crate::sys::clock::{Clock, now_us};
use crate::sys::{process, signal};
use crate::{api::endpoint, codec::num, http::chunked, http::response, runtime::workers, sys::log};

/// Where local mode listens unless `LAMBDA_LOCAL_ADDRESS` says otherwise.
pub const DEFAULT_ADDRESS: &str = "0.0.0.0:8080";
/// A caller has this long between bytes of its request before it gets a 408.
const RECV_TIMEOUT_S: u64 = 10;

/// Listens, runs `init`, and serves until the server cannot be replaced. Returns the exit
/// status.
///
/// `ISOLATE` (`main!(isolated ...)`): each invocation runs in a child forked for it, as on
/// Lambda; its watchdog kills only that child.
///
/// SIGTERM and SIGINT stop it (as process 1 of a container too): the server finishes the
/// invocation in progress, runs the shutdown hook, if any, and exits; then the first process
/// exits 0.
pub fn serve<const ISOLATE: bool, const HOOK: bool>(
    handler: HandlerFn,
    init: Option<InitFn>,
    shutdown: Option<ShutdownFn>,
    request: &mut [u8],
    answer_buffers: &mut AnswerBuffers,
    trace: &mut TraceEnv,
) -> c_int {
    let address =
        crate::sys::env::var(c"LAMBDA_LOCAL_ADDRESS").unwrap_or(DEFAULT_ADDRESS.as_bytes());
    let parsed = core::str::from_utf8(address).map_err(|_| endpoint::EndpointError::BadHost);
    let listener = match parsed.and_then(endpoint::parse) {
        Ok(endpoint) => net::listen(&endpoint.addr),
        Err(e) => {
            let shown = log::printable::<256>(address);
            log::line(&[
                b"LAMBDA_LOCAL_ADDRESS=\"",
                &shown,
                b"\" ",
                e.message().as_bytes(),
            ]);
            return 1;
        }
    };
    let Ok(listener) = listener else {
        log::line(&[
            b"local mode: cannot listen on ",
            address,
            b" (in use, or not allowed); set LAMBDA_LOCAL_ADDRESS",
        ]);
        return 1;
    };
    if let Some(Outcome::Failure {
        error_type,
        message,
    }) = crate::runtime::run_init(init, &mut answer_buffers.response)
    {
        let shown = log::printable::<512>(message);
        log::error(&[b"init failed: ", error_type, b": ", &shown]);
        return 1;
    }
    let mut arn = RequestHead::new();
    let function = Function {
        timeout_s: timeout_s(),
        arn: function_arn(&mut arn),
    };
    log::info(&[
        b"local mode (AWS_LAMBDA_RUNTIME_API is not set): invoke with POST http://",
        address,
        b"/2015-03-31/functions/function/invocations",
    ]);
    signal::catch_stop();
    workers::supervise(1, &mut || {
        loop {
            // Named before the check: a stop from now on shuts the listener down, which ends
            // the `accept` (see `sys::signal`).
            signal::wait_on(listener.raw());
            if signal::stopping() {
                return crate::runtime::shutdown::run::<HOOK>(shutdown);
            }
            let accepted = net::accept(&listener, RECV_TIMEOUT_S);
            signal::wait_on(-1);
            let Ok(socket) = accepted else {
                // Out of descriptors, or the caller left the queue already (or a stop shut
                // the listener down: seen above): try the next.
                crate::sys::sleep_ms(10);
                continue;
            };
            let started_us = now_us(Clock::Monotonic);
            let read = read_request(&socket, request);
            let (invoke, event) = match read {
                Ok(read) => read,
                Err(None) => continue, // the caller left before its request was complete
                Err(Some(refusal)) => {
                    refuse(&socket, refusal, request);
                    continue;
                }
            };
            let mut id = [0u8; REQUEST_ID_LEN + 1];
            // The head (the context's strings) and the event are disjoint: the event is lent
            // mutably (see `handler::call`).
            let Some((head, rest)) = request.split_at_mut_checked(event.start) else {
                continue;
            };
            let context = match context(&invoke, head, &function, new_request_id(&mut id)) {
                Ok(context) => context,
                Err(refusal) => {
                    refuse(&socket, refusal, request);
                    continue;
                }
            };
            // SAFETY: the trace id points into `request`, which outlives this invocation.
            trace.set(unsafe { context.trace_id.as_bytes() });
            let mut request_id = [0; REQUEST_ID_LEN];
            request_id.copy_from_slice(&id[..REQUEST_ID_LEN]);
            let caller = Caller { socket, request_id };
            let place = if ISOLATE { isolate() } else { Place::Here };
            if place == Place::Elsewhere {
                continue; // served by the child; our copy of the connection closes here
            }
            let watchdog = Watchdog::start(&caller, function.timeout_s);
            if watchdog.is_err() {
                log::text(b"cannot fork the timeout's watchdog; this invocation has no timeout");
            }
            let mut answer = Answer::new(caller, watchdog.ok());
            let event = rest.get_mut(..event.len()).unwrap_or_default();
            let invoked = one::invoke(handler, &context, event, &mut answer, answer_buffers);
            let error_type = invoked.unwrap_or_default();
            answer.finish();
            report(&id[..REQUEST_ID_LEN], started_us, error_type);
            if place == Place::Child {
                crate::sys::exit(0);
            }
        }
    })
}

/// Where an invocation is served.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In this process.
    Here,
    /// In this process, a child forked for it, which exits after answering.
    Child,
    /// By a child, which has ended: nothing left to do here.
    Elsewhere,
}

/// Forks the process of an isolated invocation: in the child, [`Place::Child`]; in the
/// parent, once the child has ended, [`Place::Elsewhere`]. If the fork fails, the invocation
/// is served [`Place::Here`].
fn isolate() -> Place {
    match process::fork() {
        Ok(None) => Place::Child,
        Ok(Some(child)) => {
            process::wait(Some(child));
            Place::Elsewhere
        }
        Err(_) => {
            log::text(b"cannot fork for an isolated invocation; running it in this process");
            Place::Here
        }
    }
}

/// Reads a request into `buf`: its head, checked, then its body. `Err(None)`: the caller
/// left, and there is no one to answer.
fn read_request(
    socket: &Socket,
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
        match net::recv(
            socket,
            buf.get_mut(filled..response::MAX_HEAD_LEN)
                .unwrap_or_default(),
        ) {
            Ok(0) => return Err(None),
            Ok(n) => filled += n,
            Err(e) => return Err(timed_out(e)),
        }
        if let Some(invoke) = request::parse(buf.get(..filled).unwrap_or_default()).map_err(Some)? {
            break invoke;
        }
    };
    if invoke.expect_continue {
        let _ = net::send_all(socket, &[b"HTTP/1.1 100 Continue\r\n\r\n"]);
    }
    // Room for the largest event and, for a chunked one, its framing in flight.
    let limit = invoke.head_len + crate::contract::MAX_EVENT + chunked::MAX_LINE;
    let room = buf.get_mut(..limit).unwrap_or_default(); // the buffer holds the largest
    let read = client::read_body(socket, room, invoke.head_len, filled, invoke.framing);
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

/// One line per invocation, in the shape of Lambda's `REPORT` lines:
/// `REPORT RequestId: {id} Duration: 1.23 ms Status: 200 [Error: {type}]`.
fn report(request_id: &[u8], started_us: i64, error_type: Option<&[u8]>) {
    let mut whole = [0; num::U64_DIGITS];
    let mut hundredths = [0; num::U64_DIGITS];
    let (ms, fraction) = duration_ms(
        now_us(Clock::Monotonic) - started_us,
        &mut whole,
        &mut hundredths,
    );
    let (label, error_type) = match error_type {
        Some(error_type) => (&b" Error: "[..], error_type),
        None => (&b""[..], &b""[..]),
    };
    // SAFETY: `request_id` outlives the line, and `end_request` follows at once.
    unsafe { log::begin_request(request_id) };
    log::info(&[
        b"REPORT RequestId: ",
        request_id,
        b" Duration: ",
        ms,
        fraction,
        b" ms Status: 200",
        label,
        error_type,
    ]);
    log::end_request();
}

/// Microseconds as milliseconds with two decimals: the whole part, and `.` with the decimals.
fn duration_ms<'d>(
    us: i64,
    whole: &'d mut [u8; num::U64_DIGITS],
    hundredths: &'d mut [u8; num::U64_DIGITS],
) -> (&'d [u8], &'d [u8]) {
    let us = us.max(0) as u64;
    // `1xx`, whose 1 keeps the leading zero of the decimals and then becomes the point.
    num::u64_to_ascii(100 + us % 1000 / 10, hundredths);
    let point = num::U64_DIGITS - 3;
    hundredths[point] = b'.';
    (num::u64_to_ascii(us / 1000, whole), &hundredths[point..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_milliseconds_with_two_decimals() {
        for (us, text) in [
            (0, "0.00"),
            (1_234, "1.23"),
            (9, "0.00"),
            (10, "0.01"),
            (3_000_000, "3000.00"),
            (-5, "0.00"),
        ] {
            let (mut whole, mut hundredths) = ([0; num::U64_DIGITS], [0; num::U64_DIGITS]);
            let (ms, fraction) = duration_ms(us, &mut whole, &mut hundredths);
            assert_eq!([ms, fraction].concat(), text.as_bytes(), "{us} µs");
        }
    }
}
