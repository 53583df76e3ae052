//! The loop: start-up, then `GET /next` → handler → `POST /response` or `/error`, forever.
//!
//! Everything here is control flow; bytes are turned into values elsewhere (`api`, `abi`,
//! `codec`). One invocation is [`invoke::invoke`], shared with local mode and `--invoke`.

pub mod invoke;
pub mod once;
pub mod panic;
pub mod shutdown;
pub mod trace_env;
pub mod workers;

use core::ffi::{c_char, c_int};

use crate::abi::handler::{self, HandlerFn, InitFn, Outcome, ShutdownFn};
use crate::api::client::Connection;
use crate::api::{self, Ids, Invocation, Next, NextError, RuntimeApi};
use crate::contract::{MustExit, error_type};
use crate::sys::process::{self, Ended};
use crate::{api::endpoint, sys, sys::log};
use invoke::{AnswerBuffers, ToApi};
use trace_env::TraceEnv;

/// All the runtime's memory. It sits in `.bss`; only touched pages become resident. Each
/// mode lends the same buffers out: the API loop, local mode and `--invoke`.
pub struct Buffers {
    /// What is received: a `/next` reply or a local request, head and event.
    pub receive: [u8; api::NEXT_BUFFER_LEN],
    /// What an answer is made in.
    pub answer: AnswerBuffers,
    /// The `_X_AMZN_TRACE_ID=...` environment entry.
    pub trace_entry: [u8; trace_env::ENTRY_LEN],
    /// The environment table, once `_X_AMZN_TRACE_ID` has been added to it.
    pub environment: [*mut c_char; trace_env::MAX_VARIABLES],
}

impl Buffers {
    /// Zeroed buffers, for a static (they live in `.bss`).
    pub const fn new() -> Self {
        Buffers {
            receive: [0; api::NEXT_BUFFER_LEN],
            answer: AnswerBuffers::new(),
            trace_entry: [0; trace_env::ENTRY_LEN],
            environment: [core::ptr::null_mut(); trace_env::MAX_VARIABLES],
        }
    }
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}

/// The Runtime API side of the bootstrap, once `start::main` found `AWS_LAMBDA_RUNTIME_API`
/// (`address`, not empty): init, then the loop (or Managed Instances' workers running it).
/// Returns the exit status.
#[allow(clippy::too_many_arguments)] // the buffer set, lent out as its parts
pub fn serve_api<const ISOLATE: bool, const HOOK: bool>(
    address: &[u8],
    handler: HandlerFn,
    init: Option<InitFn>,
    shutdown: Option<ShutdownFn>,
    receive: &'static mut [u8],
    answer: &'static mut AnswerBuffers,
    trace_entry: &'static mut [u8; trace_env::ENTRY_LEN],
    environment: &'static mut [*mut c_char; trace_env::MAX_VARIABLES],
) -> c_int {
    // Not UTF-8: replaced by a text the parser refuses (as a bad host).
    let address = core::str::from_utf8(address).unwrap_or("\u{FFFD}");
    let endpoint = match endpoint::parse(address) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            let shown = log::printable::<256>(address.as_bytes());
            log::line(&[
                b"AWS_LAMBDA_RUNTIME_API=\"",
                &shown,
                b"\" ",
                e.message().as_bytes(),
            ]);
            return 1;
        }
    };
    panic::set_address(address);
    let mut api = RuntimeApi::new(Connection::new(endpoint, crate::api::reply_timeout_s()));
    if let Some(Outcome::Failure {
        error_type,
        message,
    }) = run_init(init, &mut answer.response)
    {
        log::error(&[b"init failed: ", error_type]);
        let document = answer.error.document(error_type, message);
        let _ = api.post_error(None, error_type, document, &mut answer.reply);
        return 1;
    }
    // Lambda sends SIGTERM at shutdown only when an extension is registered: with a hook,
    // one is, kept registered (its connection open) for the life of the process.
    let _extension = if HOOK {
        sys::signal::catch_stop();
        api::extension::register(api.endpoint(), receive)
    } else {
        None
    };
    let mut serving = Loop {
        api: &mut api,
        handler,
        shutdown,
        receive,
        answer,
    };
    let workers = max_concurrency();
    if workers > 1 {
        // Managed Instances: concurrent invocations share the environment, so the trace id
        // reaches handlers through their context only.
        return workers::supervise(workers, &mut || serving.serve::<ISOLATE, HOOK>(None));
    }
    serving.serve::<ISOLATE, HOOK>(Some(&mut TraceEnv::new(trace_entry, environment)))
}

/// Runs the init hook, if any; a panic in it is reported as an init error. Returns the
/// failure, if it failed.
pub fn run_init(init: Option<InitFn>, buf: &mut [u8]) -> Option<Outcome<'_>> {
    panic::enter_init();
    let failure = init.and_then(|init| handler::call_init(init, buf));
    panic::leave();
    failure
}

/// `AWS_LAMBDA_MAX_CONCURRENCY`: how many invocations Lambda Managed Instances may send at
/// once; 1 when unset or not a number from 1 to [`workers::MAX_WORKERS`].
fn max_concurrency() -> usize {
    let Some(text) = sys::env::var(c"AWS_LAMBDA_MAX_CONCURRENCY") else {
        return 1;
    };
    match crate::codec::num::ascii_to_u64(text).and_then(|n| usize::try_from(n).ok()) {
        Some(n @ 1..=workers::MAX_WORKERS) => n,
        _ => {
            log::text(
                b"AWS_LAMBDA_MAX_CONCURRENCY is not a number from 1 to 64; serving one at a time",
            );
            1
        }
    }
}

/// What the loop works with.
struct Loop<'a> {
    api: &'a mut RuntimeApi,
    handler: HandlerFn,
    shutdown: Option<ShutdownFn>,
    receive: &'a mut [u8],
    answer: &'a mut AnswerBuffers,
}

impl Loop<'_> {
    /// The loop. Returns only when the runtime must exit, or, with a shutdown hook, when a
    /// SIGTERM asked it to (see `sys::signal`). With `trace`, the trace id is also
    /// exported as `_X_AMZN_TRACE_ID`. `ISOLATE`: each invocation in a child forked for it
    /// (`main!(isolated ...)`); a constant, so bootstraps without it carry none of that code.
    fn serve<const ISOLATE: bool, const HOOK: bool>(
        &mut self,
        mut trace: Option<&mut TraceEnv>,
    ) -> c_int {
        let mut backoff = Backoff::default();
        loop {
            if HOOK {
                // Named before the check: a stop from now on shuts the connection down.
                sys::signal::wait_on(self.api.open().unwrap_or(-1));
                if sys::signal::stopping() {
                    sys::signal::wait_on(-1);
                    return shutdown::run::<HOOK>(self.shutdown);
                }
            }
            let next = self.api.next(self.receive);
            if HOOK {
                sys::signal::wait_on(-1);
            }
            let next = match next {
                Ok(next) => next,
                Err(NextError::Exit) => return 1,
                Err(NextError::Retry) if HOOK && sys::signal::stopping() => continue,
                Err(NextError::Retry) => {
                    if !backoff.wait() {
                        log::text(b"GET /next failed 10 times in a row; exiting");
                        return 1;
                    }
                    continue;
                }
            };
            backoff = Backoff::default();
            let answered = match next {
                Next::Skip => continue,
                Next::Refuse {
                    ids,
                    error_type,
                    message,
                } => {
                    log::line(&[b"request ", ids.request_id, b": ", message]);
                    post_error(self.api, &ids, error_type, message, self.answer)
                }
                Next::Invocation(mut invocation) => {
                    if let Some(trace) = trace.as_deref_mut() {
                        // SAFETY: the context's strings point into `receive`, borrowed by `invocation`.
                        trace.set(unsafe { invocation.context.trace_id.as_bytes() });
                    }
                    if ISOLATE {
                        invoke_isolated(self.api, self.handler, &mut invocation, self.answer)
                    } else {
                        invoke(self.api, self.handler, &mut invocation, self.answer)
                    }
                }
            };
            if answered.is_err() {
                return 1;
            }
        }
    }
}

/// [`invoke`] in a child forked for this invocation, so that every invocation starts from the
/// state init left, and a crash fails only its invocation. The child answers the invocation
/// itself, on the inherited connection, while we wait; a child that died without answering
/// (a signal, an `exit`) is answered here.
fn invoke_isolated(
    api: &mut RuntimeApi,
    handler: HandlerFn,
    invocation: &mut Invocation<'_>,
    answer: &mut AnswerBuffers,
) -> Result<(), MustExit> {
    let child = process::start(|| match invoke(api, handler, invocation, answer) {
        Ok(()) => 0,
        Err(MustExit) => workers::MUST_EXIT,
    });
    let Ok(pid) = child else {
        log::text(b"cannot fork for an isolated invocation; running it in this process");
        return invoke(api, handler, invocation, answer);
    };
    let mut message = heapless::String::new();
    let (error_type, message): (&[u8], &str) = match process::wait(Some(pid)) {
        // Answered (a panic answers before it exits with 101).
        Some((_, Ended::Exited(0 | panic::EXIT_STATUS))) | None => return Ok(()),
        Some((_, Ended::Exited(workers::MUST_EXIT))) => return Err(MustExit),
        Some((_, how @ Ended::Signaled(signal))) => {
            workers::report(b"the invocation's process", how, b"");
            (
                error_type::HANDLER_CRASHED.as_bytes(),
                workers::crash_message(signal, &mut message),
            )
        }
        Some((_, how @ Ended::Exited(_))) => {
            workers::report(b"the invocation's process", how, b"");
            (
                error_type::HANDLER_EXITED.as_bytes(),
                "the handler's process exited before answering",
            )
        }
    };
    // The child may have died in the middle of a request on the connection it shared with
    // us (a streamed response half sent, a post without its reply read): a fresh one.
    api.reconnect();
    post_error(api, &invocation.ids, error_type, message.as_bytes(), answer)
}

/// One invocation from the Runtime API, answered to it; a panic meanwhile is posted as its
/// error (see `panic`).
fn invoke(
    api: &mut RuntimeApi,
    handler: HandlerFn,
    invocation: &mut Invocation<'_>,
    answer: &mut AnswerBuffers,
) -> Result<(), MustExit> {
    panic::enter_invocation(&invocation.ids);
    let mut to = ToApi {
        api,
        ids: invocation.ids,
    };
    let answered = invoke::invoke(
        handler,
        &invocation.context,
        invocation.event,
        &mut to,
        answer,
    );
    panic::leave();
    answered.map(|_| ())
}

fn post_error(
    api: &mut RuntimeApi,
    ids: &Ids<'_>,
    error_type: &[u8],
    message: &[u8],
    answer: &mut AnswerBuffers,
) -> Result<(), MustExit> {
    let document = answer.error.document(error_type, message);
    api.post_error(Some(ids), error_type, document, &mut answer.reply)
}

/// Pauses between failed `/next` requests: 10 ms doubling to 1 s, ten times (about 4 s in
/// all), so a Runtime API that refuses every `/next` (the emulator does, after some errors)
/// does not become a busy loop, and one that is gone ends the process.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    const MAX_FAILURES: u32 = 10;

    fn wait(&mut self) -> bool {
        self.failures += 1;
        if self.failures > Self::MAX_FAILURES {
            return false;
        }
        sys::sleep_ms((10u64 << (self.failures - 1)).min(1000));
        true
    }
}
