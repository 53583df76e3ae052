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
//! response passed on as it comes, chunked, with the error trailers on failure. Also as
//! Lambda: `X-Amz-Invocation-Type: Event` (202 at once, then the handler runs) and `DryRun`
//! (204, it does not), `X-Amz-Log-Type: Tail` (see `tail`), and `InvokeWithResponseStream`
//! (`POST /2021-11-15/functions/{name}/response-streaming-invocations`), answered in AWS's
//! event-stream framing, so that the AWS SDKs can call local mode as they call Lambda.

mod answer;
mod context;
mod reply;
mod report;
pub mod request;
mod tail;
mod watchdog;

use core::ffi::c_int;
use core::ops::Range;

pub use self::answer::Answer;
use self::answer::{Caller, Mode, dry_run, refuse};
use self::context::{Function, REQUEST_ID_LEN, context, function_arn, new_request_id, timeout_s};
use self::request::{InvocationType, Invoke, Refusal};
use self::tail::Capture;
use self::watchdog::Watchdog;
use crate::abi::handler::{HandlerFn, InitFn, Outcome, ShutdownFn};
use crate::api::client::{self, ClientError};
use crate::api::net::{self, Source, Wait};
use crate::http::{HeadBuffer, Status};
use crate::runtime::invoke::{self as one, AnswerBuffers};
use crate::runtime::trace_env::TraceEnv;
use crate::sys::clock::{Clock, now_us};
use crate::sys::{process, signal};
use crate::{api::endpoint, http::chunked, http::response, runtime::workers, sys::log};

/// Where local mode listens unless `LAMBDA_LOCAL_ADDRESS` says otherwise.
const DEFAULT_ADDRESS: &str = "0.0.0.0:8080";
/// How long a caller has to send its whole request (else a 408), and to take its whole
/// answer (else it is dropped), in seconds: `LAMBDA_LOCAL_CALLER_TIMEOUT`, 10 by default.
/// One slow caller holds the one server for at most that long on each side.
fn caller_timeout_s() -> u64 {
    crate::api::seconds_from_env(c"LAMBDA_LOCAL_CALLER_TIMEOUT", 10)
}

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
    let caller_timeout_s = caller_timeout_s();
    let listener = match parsed.and_then(endpoint::parse) {
        Ok(endpoint) => net::listen(&endpoint.addr, caller_timeout_s),
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
    let mut arn = HeadBuffer::new();
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
        let mut backoff_ms = 0;
        loop {
            // Named before the check: a stop from now on shuts the listener down, which ends
            // the `accept` (see `sys::signal`).
            signal::wait_on(listener.raw());
            if signal::stopping() {
                return crate::runtime::shutdown::run::<HOOK>(shutdown);
            }
            let accepted = net::accept(&listener, caller_timeout_s);
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
            let started_us = now_us(Clock::Monotonic);
            // Every answer has a request id, refusals included.
            let mut id = [0u8; REQUEST_ID_LEN + 1];
            new_request_id(&mut id);
            let deadline_ms = started_us / 1000 + caller_timeout_s as i64 * 1000;
            let source = Source {
                socket: &socket,
                wait: Wait::Until(deadline_ms),
            };
            // Accepted with nothing to read: idle for the whole timeout (see `net::listen`).
            let idle = net::peek_idle(&socket) == Err(rustix::io::Errno::AGAIN);
            let read = if idle {
                Err(Some(Refusal::Timeout))
            } else {
                read_request(&source, request)
            };
            let (invoke, event) = match read {
                Ok(read) => read,
                Err(None) => continue, // the caller left before its request was complete
                Err(Some(refusal)) => {
                    refuse(&source, refusal, &id, request);
                    continue;
                }
            };
            let mode = match invoke.invocation_type {
                InvocationType::DryRun => {
                    dry_run(&socket, &id);
                    continue;
                }
                InvocationType::Event => Mode::Accepted,
                InvocationType::RequestResponse if invoke.event_stream => Mode::Events,
                InvocationType::RequestResponse => Mode::Whole,
            };
            // The head (the context's strings) and the event are disjoint: the event is lent
            // mutably (see `handler::call`).
            let Some((head, rest)) = request.split_at_mut_checked(event.start) else {
                continue;
            };
            let context = match context(&invoke, head, &function, &id[..REQUEST_ID_LEN]) {
                Ok(context) => context,
                Err(refusal) => {
                    refuse(&source, refusal, &id, rest);
                    continue;
                }
            };
            // SAFETY: the trace id points into `request`, which outlives this invocation.
            trace.set(unsafe { context.trace_id.as_bytes() });
            let mut request_id = [0; REQUEST_ID_LEN];
            request_id.copy_from_slice(&id[..REQUEST_ID_LEN]);
            let place = if ISOLATE { isolate() } else { Place::Here };
            if place == Place::Elsewhere {
                continue; // served by the child; our copy of the connection closes here
            }
            let caller = Caller {
                socket,
                request_id,
                mode,
                started_us,
                // Before the watchdog's fork: it shares the capture.
                log: if invoke.tail && mode != Mode::Accepted {
                    Capture::start()
                } else {
                    None
                },
            };
            let watchdog = Watchdog::start(&caller, function.timeout_s, caller_timeout_s);
            if watchdog.is_err() {
                log::text(b"cannot fork the timeout's watchdog; this invocation has no timeout");
            }
            let mut answer = Answer::new(caller, watchdog.ok());
            if mode == Mode::Accepted {
                answer.accept();
            }
            let event = rest.get_mut(..event.len()).unwrap_or_default();
            let invoked = one::invoke(handler, &context, event, &mut answer, answer_buffers);
            answer.finish(invoked.unwrap_or_default());
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

/// Reads a request into `buf` from `caller` (which keeps the caller's deadline): its head,
/// checked, then its body. `Err(None)`: the caller left, and there is no one to answer.
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
        let _ = net::send_all(caller.socket, &[b"HTTP/1.1 100 Continue\r\n\r\n"]);
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
