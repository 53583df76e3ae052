//! The loop: start-up, then `GET /next` → handler → `POST /response` or `/error`, forever.
//!
//! Everything here is control flow; bytes are turned into values elsewhere (`api`, `client`,
//! `handler`, `json`).

use core::ffi::{c_char, c_int, CStr};
use core::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

use crate::api::{self, Ids, Invocation, MustExit, Next, NextError, RuntimeApi};
use crate::client::Connection;
use crate::context::{RawContext, Str};
use crate::handler::{self, HandlerFn, InitFn, Outcome, MAX_RESPONSE};
use crate::static_buf::StaticCell;
use crate::stream::{Ending, Stream};
use crate::trace_env::{self, TraceEnv};
use crate::workers::{self, Ended};
use crate::{endpoint, json, log, num, panic};

/// All the runtime's memory. It sits in `.bss`; only touched pages become resident.
struct Buffers {
    /// `/next` replies: head and event.
    next: [u8; api::NEXT_BUFFER_LEN],
    /// The handler's response (or error message).
    response: [u8; MAX_RESPONSE],
    post: PostBuffers,
    /// The `_X_AMZN_TRACE_ID=...` environment entry.
    trace_entry: [u8; trace_env::ENTRY_LEN],
    /// The environment table, once `_X_AMZN_TRACE_ID` has been added to it.
    environment: [*mut c_char; trace_env::MAX_VARIABLES],
}

/// What posting an answer takes, besides the response.
struct PostBuffers {
    /// Replies to posts (and, while the handler runs, room for a stream's prelude).
    reply: [u8; api::REPLY_BUFFER_LEN],
    /// A handler's error message made valid UTF-8, when it was not (or base64 for trailers).
    error_scratch: [u8; json::SCRATCH_LEN],
    /// The JSON error document.
    error_document: [u8; json::BODY_LEN],
}

static BUFFERS: StaticCell<Buffers> = StaticCell::new(Buffers {
    next: [0; api::NEXT_BUFFER_LEN],
    response: [0; MAX_RESPONSE],
    post: PostBuffers {
        reply: [0; api::REPLY_BUFFER_LEN],
        error_scratch: [0; json::SCRATCH_LEN],
        error_document: [0; json::BODY_LEN],
    },
    trace_entry: [0; trace_env::ENTRY_LEN],
    environment: [core::ptr::null_mut(); trace_env::MAX_VARIABLES],
});

unsafe extern "C" {
    fn _exit(status: c_int) -> !;
}

/// Ends the process at once, without running anything else (there is nothing to flush).
pub fn exit(status: i32) -> ! {
    // SAFETY: _exit is always safe to call.
    unsafe { _exit(status) }
}

static ARGC: AtomicI32 = AtomicI32::new(0);
static ARGV: AtomicPtr<*const c_char> = AtomicPtr::new(core::ptr::null_mut());

/// The process's argument `i` (0 is the program), for handlers that take their own arguments
/// (as an image's `CMD`), or `None` past the last.
pub fn arg(i: usize) -> Option<&'static CStr> {
    let argc = usize::try_from(ARGC.load(Ordering::Relaxed)).unwrap_or(0);
    let argv = ARGV.load(Ordering::Relaxed);
    // SAFETY: `main` stored the C runtime's argv, whose `argc` strings live as long as the
    // process and are never written by the runtime.
    (i < argc && !argv.is_null()).then(|| unsafe { CStr::from_ptr(*argv.add(i)) })
}

/// The bootstrap's `main`, called by [`crate::main!`]. Returns the exit status.
///
/// # Safety
/// `argv` must be the `argc` C strings that the C runtime passed to `main`.
pub unsafe fn main<const ISOLATE: bool>(
    argc: c_int,
    argv: *const *const c_char,
    handler: HandlerFn,
    init: Option<InitFn>,
) -> c_int {
    // First: until then a socket could become stderr (see `stdio`).
    if !crate::stdio::open_closed() {
        return 1;
    }
    let Some(buffers) = BUFFERS.take() else { return 1 };
    ARGC.store(argc, Ordering::Relaxed);
    ARGV.store(argv.cast_mut(), Ordering::Relaxed);
    if arg(1).is_some_and(|a| a.to_bytes() == b"--invoke") {
        return invoke_once(arg(2).map(CStr::to_bytes), handler, init, buffers);
    }
    // Empty is unset, as in AWS's images, whose entry point starts the emulator then.
    let address = crate::env::var(c"AWS_LAMBDA_RUNTIME_API").filter(|a| !a.is_empty());
    #[cfg(not(feature = "local-mode"))]
    if address.is_none() {
        log::text(b"AWS_LAMBDA_RUNTIME_API is not set: run me on Lambda, or try `bootstrap --invoke EVENT`");
        return 1;
    }
    #[cfg(feature = "local-mode")]
    if address.is_none() {
        // Local mode: serve the emulator's invoke endpoint ourselves.
        let Buffers { next, response, post, trace_entry, environment } = buffers;
        let memory = crate::local::Memory {
            request: next,
            response,
            scratch: &mut post.reply,
            error_scratch: &mut post.error_scratch,
            error_document: &mut post.error_document,
        };
        return crate::local::serve::<ISOLATE>(handler, init, memory, &mut TraceEnv::new(trace_entry, environment));
    }
    let address = address.unwrap_or_default();
    // Not UTF-8: replaced by a text the parser refuses (as a bad host).
    let address = core::str::from_utf8(address).unwrap_or("\u{FFFD}");
    let endpoint = match endpoint::parse(address) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            let shown = log::printable::<256>(address.as_bytes());
            log::line(&[b"AWS_LAMBDA_RUNTIME_API=\"", &shown, b"\" ", e.message().as_bytes()]);
            return 1;
        }
    };
    panic::set_address(address);
    let mut api = RuntimeApi::new(Connection::new(endpoint));
    if let Some(Outcome::Failure { error_type, message }) = run_init(init, &mut buffers.response) {
        log::line(&[b"init failed: ", error_type]);
        let post = &mut buffers.post;
        let document = json::error_document(error_type, message, &mut post.error_scratch, &mut post.error_document);
        let _ = api.post_error(None, error_type, document, &mut post.reply);
        return 1;
    }
    let Buffers { next, response, post, trace_entry, environment } = buffers;
    let mut serving = Loop { api: &mut api, handler, next, response, post };
    let workers = max_concurrency();
    if workers > 1 {
        // Managed Instances: concurrent invocations share the environment, so the trace id
        // reaches handlers through their context only.
        return workers::supervise(workers, || serving.serve::<ISOLATE>(None));
    }
    serving.serve::<ISOLATE>(Some(&mut TraceEnv::new(trace_entry, environment)))
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
    let Some(text) = crate::env::var(c"AWS_LAMBDA_MAX_CONCURRENCY") else { return 1 };
    match num::ascii_to_u64(text).and_then(|n| usize::try_from(n).ok()) {
        Some(n @ 1..=workers::MAX_WORKERS) => n,
        _ => {
            log::text(b"AWS_LAMBDA_MAX_CONCURRENCY is not a number from 1 to 64; serving one at a time");
            1
        }
    }
}

/// What the loop works with.
struct Loop<'a> {
    api: &'a mut RuntimeApi,
    handler: HandlerFn,
    next: &'a mut [u8],
    response: &'a mut [u8],
    post: &'a mut PostBuffers,
}

impl Loop<'_> {
    /// The loop. Returns only when the runtime must exit. With `trace`, the trace id is also
    /// exported as `_X_AMZN_TRACE_ID`. `ISOLATE`: each invocation in a child forked for it
    /// (`main!(isolated ...)`); a constant, so bootstraps without it carry none of that code.
    fn serve<const ISOLATE: bool>(&mut self, mut trace: Option<&mut TraceEnv>) -> c_int {
        let mut backoff = Backoff::default();
        loop {
            let next = match self.api.next(self.next) {
                Ok(next) => next,
                Err(NextError::Exit) => return 1,
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
                Next::Refuse { ids, error_type, message } => {
                    log::line(&[b"request ", ids.request_id, b": ", message]);
                    post_error(self.api, &ids, error_type, message, self.post)
                }
                Next::Invocation(invocation) => {
                    if let Some(trace) = trace.as_deref_mut() {
                        // SAFETY: the context's strings point into `next`, borrowed by `invocation`.
                        trace.set(unsafe { invocation.context.trace_id.as_bytes() });
                    }
                    if ISOLATE {
                        invoke_isolated(self.api, self.handler, &invocation, self.response, self.post)
                    } else {
                        invoke(self.api, self.handler, &invocation, self.response, self.post)
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
    invocation: &Invocation<'_>,
    response: &mut [u8],
    post: &mut PostBuffers,
) -> Result<(), MustExit> {
    let child = workers::start(|| match invoke(api, handler, invocation, response, post) {
        Ok(()) => 0,
        Err(MustExit) => workers::MUST_EXIT,
    });
    let Ok(pid) = child else {
        log::text(b"cannot fork for an isolated invocation; running it in this process");
        return invoke(api, handler, invocation, response, post);
    };
    let mut message = heapless::String::new();
    let (error_type, message): (&[u8], &str) = match workers::wait(Some(pid)) {
        // Answered (a panic answers before it exits with 101).
        Some((_, Ended::Exited(0 | panic::EXIT_STATUS))) | None => return Ok(()),
        Some((_, Ended::Exited(workers::MUST_EXIT))) => return Err(MustExit),
        Some((_, how @ Ended::Signaled(signal))) => {
            workers::report(b"the invocation's process", how, b"");
            (b"Runtime.HandlerCrashed", workers::crash_message(signal, &mut message))
        }
        Some((_, how @ Ended::Exited(_))) => {
            workers::report(b"the invocation's process", how, b"");
            (b"Runtime.HandlerExited", "the handler's process exited before answering")
        }
    };
    // The child may have died in the middle of a request on the connection it shared with
    // us (a streamed response half sent, a post without its reply read): a fresh one.
    api.reconnect();
    post_error(api, &invocation.ids, error_type, message.as_bytes(), post)
}

/// Runs the handler on one invocation and answers it: a streamed response ends, a buffered
/// one or an error is posted. (Not inlined: it is called from three places.)
#[inline(never)]
fn invoke(
    api: &mut RuntimeApi,
    handler: HandlerFn,
    invocation: &Invocation<'_>,
    response: &mut [u8],
    post: &mut PostBuffers,
) -> Result<(), MustExit> {
    panic::enter_invocation(&invocation.ids);
    let mut stream = Stream::to_api(api, invocation.ids, &mut post.reply);
    let outcome = handler::call(handler, &invocation.context, invocation.event, response, &mut stream);
    panic::leave();
    let (remainder, error) = match outcome {
        Outcome::Success(rest) => (rest, None),
        Outcome::Failure { error_type, message } => (&b""[..], Some((error_type, message))),
    };
    let ending = Ending { remainder, error, scratch: &mut post.error_scratch, document: &mut post.error_document };
    if let Some(ended) = stream.end(ending) {
        return ended;
    }
    match outcome {
        Outcome::Success(body) => api.post_response(&invocation.ids, body, &mut post.reply),
        Outcome::Failure { error_type, message } => post_error(api, &invocation.ids, error_type, message, post),
    }
}

fn post_error(api: &mut RuntimeApi, ids: &Ids<'_>, error_type: &[u8], message: &[u8], post: &mut PostBuffers) -> Result<(), MustExit> {
    let document = json::error_document(error_type, message, &mut post.error_scratch, &mut post.error_document);
    api.post_error(Some(ids), error_type, document, &mut post.reply)
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
        let ms = (10u64 << (self.failures - 1)).min(1000);
        let pause = rustix::time::Timespec { tv_sec: (ms / 1000) as _, tv_nsec: ((ms % 1000) * 1_000_000) as _ };
        let _ = rustix::thread::nanosleep(&pause);
        true
    }
}

/// `bootstrap --invoke [EVENT]`: runs the handler once on EVENT (or stdin), prints the
/// response on stdout, and exits 0; on a handler error prints the error document and exits 1.
fn invoke_once(event: Option<&[u8]>, handler: HandlerFn, init: Option<InitFn>, buffers: &'static mut Buffers) -> c_int {
    let event = match event {
        Some(event) => event,
        // Lambda's limit, as for events from the Runtime API or local callers.
        None => match read_stdin(buffers.next.get_mut(..=api::MAX_EVENT).unwrap_or_default()) {
            Some(len) => buffers.next.get(..len).unwrap_or_default(),
            None => {
                log::text(b"--invoke: cannot read the event from stdin (or it is over 6 MiB)");
                return 1;
            }
        },
    };
    let (response, post) = (&mut buffers.response, &mut buffers.post);
    let failure = match init.and_then(|init| handler::call_init(init, response)) {
        Some(failure) => failure,
        None => {
            let id = LOCAL_REQUEST_ID.to_bytes();
            let context = RawContext { request_id: Str::new(id), ..RawContext::EMPTY };
            let mut stream = Stream::to_stdout(&mut post.reply);
            match handler::call(handler, &context, event, response, &mut stream) {
                Outcome::Success(body) => {
                    // A stream's pieces went out as they came; the rest, or all, goes now.
                    let _ = write_stdout(body);
                    return 0;
                }
                failure => failure,
            }
        }
    };
    let Outcome::Failure { error_type, message } = failure else { return 1 };
    let document = json::error_document(error_type, message, &mut post.error_scratch, &mut post.error_document);
    let _ = write_stdout(document);
    let _ = write_stdout(b"\n");
    1
}

/// The request id of `--invoke` calls: there is no platform to make one.
const LOCAL_REQUEST_ID: &CStr = c"00000000-0000-0000-0000-000000000000";

fn read_stdin(buf: &mut [u8]) -> Option<usize> {
    let mut len = 0;
    loop {
        if len == buf.len() {
            return None;
        }
        // SAFETY: fd 0 stays open for the process's life; if closed, read fails with EBADF.
        let stdin = unsafe { rustix::stdio::stdin() };
        match rustix::io::read(stdin, buf.get_mut(len..).unwrap_or_default()) {
            Ok(0) => return Some(len),
            Ok(n) => len += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return None,
        }
    }
}

/// Writes all of `bytes` to stdout.
pub fn write_stdout(mut bytes: &[u8]) -> Result<(), rustix::io::Errno> {
    while !bytes.is_empty() {
        // SAFETY: fd 1 stays open for the process's life; if closed, write fails with EBADF.
        let stdout = unsafe { rustix::stdio::stdout() };
        match rustix::io::write(stdout, bytes) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
