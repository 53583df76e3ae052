//! Local mode: when `AWS_LAMBDA_RUNTIME_API` is unset, the bootstrap is its own emulator. It
//! serves Lambda's Invoke API, `POST /2015-03-31/functions/function/invocations`, on
//! `LAMBDA_LOCAL_ADDRESS` (default `0.0.0.0:8080`, the official images' port), and runs the
//! linked handler for each request, as AWS's Runtime Interface Emulator does for its images.
//!
//! Requests are served one at a time, in the order they arrive. Processes: the first one runs
//! init, forks the front (see `front`), which reads every request as it comes, answers
//! `DryRun` and `Event` at once and queues the rest (see `queue`), and then supervises the
//! server, a process forked from it, which runs the queued invocations; for each invocation
//! the server forks a watchdog that enforces the timeout (see `watchdog`). A server killed at
//! a timeout, or dead of a crash, is replaced by a fresh fork of the initialised process,
//! which takes the next item from the same queue.
//!
//! Answers are as Lambda's Invoke API gives them: 200 with the handler's bytes; a handler
//! error as 200 with `X-Amz-Function-Error: Unhandled` and the error document; a streamed
//! response passed on as it comes, chunked, with the error trailers on failure. Also as
//! Lambda: `X-Amz-Invocation-Type: Event` (202 at once, whatever runs; the handler runs it in
//! its turn) and `DryRun` (204, it does not), `X-Amz-Log-Type: Tail` (see `tail`), and `InvokeWithResponseStream`
//! (`POST /2021-11-15/functions/{name}/response-streaming-invocations`), answered in AWS's
//! event-stream framing, so that the AWS SDKs can call local mode as they call Lambda.

mod answer;
mod context;
mod front;
mod queue;
mod reply;
mod report;
pub mod request;
mod tail;
mod watchdog;

use core::ffi::c_int;

pub use self::answer::Answer;
use self::answer::{Caller, Mode};
use self::context::{Function, REQUEST_ID_LEN, context, function_arn, timeout_s};
use self::request::InvocationType;
use self::tail::Capture;
use self::watchdog::Watchdog;
use crate::abi::handler::{HandlerFn, InitFn, Outcome, ShutdownFn};
use crate::api::net;
use crate::http::HeadBuffer;
use crate::runtime::invoke::{self as one, AnswerBuffers};
use crate::runtime::trace_env::TraceEnv;
use crate::sys::clock::{Clock, now_us};
use crate::sys::{process, signal};
use crate::{api::endpoint, runtime::workers, sys::log};

/// Where local mode listens unless `LAMBDA_LOCAL_ADDRESS` says otherwise.
const DEFAULT_ADDRESS: &str = "0.0.0.0:8080";
/// How long a caller has to send its whole request (else a 408), and to take its whole
/// answer (else it is dropped), in seconds: `LAMBDA_LOCAL_CALLER_TIMEOUT`, 10 by default.
/// One slow caller holds the one server for at most that long on each side.
fn caller_timeout_s() -> u64 {
    crate::api::number_from_env(c"LAMBDA_LOCAL_CALLER_TIMEOUT", 10)
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
    // Only the front takes connections and queues requests: its end of the queue and the
    // listener are closed here once it has them, so that the servers see the queue end when
    // the front does.
    let started = queue::pair().and_then(|(front_end, server_end)| {
        let front = workers::start_worker(&mut || {
            front::serve(&listener, &front_end, request, caller_timeout_s)
        })?;
        Ok((front, server_end))
    });
    let Ok((front, server_end)) = started else {
        log::text(b"local mode: cannot start (out of descriptors or processes?)");
        return 1;
    };
    // A stop goes to the front too; the slot after the one server's.
    signal::forward_to(1, front.as_raw_nonzero().get());
    drop(listener);
    workers::supervise(1, &mut || {
        loop {
            // Named before the check: a stop from now on shuts the queue down, which ends
            // the wait for an item (see `sys::signal`).
            signal::wait_on(server_end.raw());
            if signal::stopping() {
                return crate::runtime::shutdown::run::<HOOK>(shutdown);
            }
            let item = queue::recv(&server_end);
            signal::wait_on(-1);
            let item = match item {
                Ok(Some(item)) => item,
                _ if signal::stopping() => continue,
                Ok(None) => {
                    log::text(b"local mode: the front process is gone; exiting");
                    return workers::MUST_EXIT;
                }
                Err(_) => continue, // a message without its request: nothing to run
            };
            queue::taken(&server_end);
            // The request as the front read it: the head, then the event.
            let len = load(&item.request, request);
            drop(item.request);
            let invoke = item.invoke;
            let mode = match (invoke.invocation_type, &item.caller) {
                (InvocationType::RequestResponse, Some(_)) if invoke.event_stream => Mode::Events,
                (InvocationType::RequestResponse, Some(_)) => Mode::Whole,
                _ => Mode::Accepted,
            };
            // The head (the context's strings) and the event are disjoint: the event is lent
            // mutably (see `handler::call`).
            let Some((head, rest)) = request.split_at_mut_checked(invoke.head_len) else {
                continue;
            };
            let request_id = item.request_id;
            // NUL-terminated, for C handlers.
            let mut id = [0u8; REQUEST_ID_LEN + 1];
            let _ = crate::codec::bytes::put(&mut id, 0, &request_id);
            let context = context(&invoke, head, &function, &id[..REQUEST_ID_LEN]);
            // SAFETY: the trace id points into `request`, which outlives this invocation.
            trace.set(unsafe { context.trace_id.as_bytes() });
            let place = if ISOLATE { isolate() } else { Place::Here };
            if place == Place::Elsewhere {
                continue; // served by the child; our copy of the connection closes here
            }
            let caller = Caller {
                socket: item.caller,
                request_id,
                mode,
                started_us: now_us(Clock::Monotonic),
                // Before the watchdog's fork: it shares the capture.
                log: if invoke.tail && mode != Mode::Accepted {
                    Capture::start()
                } else {
                    None
                },
                reported: core::cell::Cell::new(false),
            };
            report::start(&request_id);
            let watchdog = Watchdog::start(&caller, function.timeout_s, caller_timeout_s);
            if watchdog.is_err() {
                log::text(b"cannot fork the timeout's watchdog; this invocation has no timeout");
            }
            let mut answer = Answer::new(caller, watchdog.ok());
            let event = rest
                .get_mut(..len.saturating_sub(invoke.head_len))
                .unwrap_or_default();
            let invoked = one::invoke(handler, &context, event, &mut answer, answer_buffers);
            answer.finish(invoked.unwrap_or_default());
            if place == Place::Child {
                crate::sys::exit(0);
            }
        }
    })
}

/// Reads a queued request back from its file into `buf`; returns its length.
fn load(file: &crate::sys::fd::Fd, buf: &mut [u8]) -> usize {
    let mut len = 0;
    while let Ok(n @ 1..) =
        rustix::io::pread(file, buf.get_mut(len..).unwrap_or_default(), len as u64)
    {
        len += n;
    }
    len
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
