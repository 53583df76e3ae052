//! One invocation, wherever it came from: call the handler, then end its stream or send its
//! answer. The Runtime API, a local caller and `--invoke` differ only in where the answer
//! goes, their [`Destination`].

use crate::abi::context::RawContext;
use crate::abi::handler::{self, HandlerFn, Outcome};
use crate::abi::stream::{Broken, Route, Sink, Stream, StreamError};
use crate::api::client::ClientError;
use crate::api::{Ids, REPLY_BUFFER_LEN, RuntimeApi};
use crate::codec::json::ErrorBuffers;
use crate::contract::{MAX_RESPONSE, MustExit};
use crate::http::chunked::{self, SIZE_LINE_LEN};
use crate::runtime::panic;
use crate::sys::log;

/// Where an invocation's answer goes: a stream (through [`Sink`]), or a whole response or
/// failure.
///
/// Used as a type parameter, not a trait object: each build calls [`invoke`] with a
/// destination it knows, so its answers are direct calls, and no vtable links (and
/// relocates) every destination's methods into every bootstrap.
pub trait Destination {
    /// Its route, for the stream (see `abi::stream::Route`; `abi::stream::Routes` maps it
    /// back).
    const ROUTE: Route;
    /// Sends a whole answer: the handler's response or, when `failed` (its error type) is
    /// given, its JSON error document. `reply` is room for what the receiver answers.
    fn answer(
        &mut self,
        failed: Option<&[u8]>,
        body: &[u8],
        reply: &mut [u8],
    ) -> Result<(), MustExit>;
}

/// The memory an answer is made in, besides the event's.
pub struct AnswerBuffers {
    /// The handler's response (or error message).
    pub response: [u8; MAX_RESPONSE],
    /// The receiver's replies, and a stream's prelude.
    pub reply: [u8; REPLY_BUFFER_LEN],
    /// Error documents.
    pub error: ErrorBuffers,
}

impl AnswerBuffers {
    /// Zeroed buffers, for a static (they live in `.bss`).
    pub const fn new() -> Self {
        AnswerBuffers {
            response: [0; MAX_RESPONSE],
            reply: [0; REPLY_BUFFER_LEN],
            error: ErrorBuffers::new(),
        }
    }
}

impl Default for AnswerBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `handler` on `event` and answers to `to`. Returns the error type when the invocation
/// failed.
///
/// Inlined: only the answer is the destination's, a direct call at each caller; the rest is
/// `call`, one copy for every destination.
#[inline]
pub fn invoke<'b, D: Destination>(
    handler: HandlerFn,
    context: &RawContext,
    event: &mut [u8],
    to: &mut D,
    buffers: &'b mut AnswerBuffers,
) -> Result<Option<&'b [u8]>, MustExit> {
    let AnswerBuffers {
        response,
        reply,
        error,
    } = buffers;
    let dest = (&raw mut *to).cast::<()>();
    // SAFETY: `dest` is `to`, a live destination of the type its route names (each
    // `Destination` gives its own), and `to` is not used until `call` returns.
    match unsafe {
        call(
            handler,
            context,
            event,
            D::ROUTE,
            dest,
            response,
            reply,
            error,
        )
    } {
        Left::Nothing(ended) => ended,
        Left::Answer { failed, body } => to.answer(failed, body, reply).map(|()| failed),
    }
}

/// What is left to send once the handler has returned.
enum Left<'b> {
    /// Nothing: the stream it started has ended (or broke); the error type if it failed.
    Nothing(Result<Option<&'b [u8]>, MustExit>),
    /// A whole answer: the response or, when it `failed` (its error type), the JSON error
    /// document.
    Answer {
        failed: Option<&'b [u8]>,
        body: &'b [u8],
    },
}

/// Calls the handler with a stream to the destination at `dest`, ends the stream if the
/// handler started one, and says what is left to send. (Not inlined: every destination's
/// [`invoke`] calls it.)
///
/// # Safety
/// As [`Stream::new`]: `dest` must be a live destination of the type `route` names, used by
/// nothing else until this returns.
#[inline(never)]
#[allow(clippy::too_many_arguments)] // the answer buffers, lent out as their parts
unsafe fn call<'b>(
    handler: HandlerFn,
    context: &RawContext,
    event: &mut [u8],
    route: Route,
    dest: *mut (),
    response: &'b mut [u8],
    reply: &mut [u8],
    error_buffers: &'b mut ErrorBuffers,
) -> Left<'b> {
    // SAFETY: as this function's contract.
    let mut stream = unsafe { Stream::new(route, dest, reply) };
    // SAFETY: the request id points into the receive buffer, unchanged until the call ends.
    unsafe { log::begin_request(context.request_id.as_bytes()) };
    // SIGTERM waits until the handler returns: its sleeps and polls are not cut short.
    crate::sys::signal::hold_stop();
    let outcome = handler::call(handler, context, event, response, &mut stream);
    crate::sys::signal::release_stop();
    log::end_request();
    let (remainder, error) = match outcome {
        Outcome::Success(rest) => (rest, None),
        Outcome::Failure {
            error_type,
            message,
        } => (&b""[..], Some((error_type, message))),
    };
    let failed = error.map(|(error_type, _)| error_type);
    if let Some(ended) = stream.end(remainder, error, error_buffers) {
        return Left::Nothing(ended.map(|()| failed));
    }
    match outcome {
        Outcome::Success(body) => Left::Answer { failed, body },
        Outcome::Failure {
            error_type,
            message,
        } => Left::Answer {
            failed,
            body: error_buffers.document(error_type, message),
        },
    }
}

/// The Runtime API, answering the invocation `ids`.
pub struct ToApi<'a> {
    /// The API.
    pub api: &'a mut RuntimeApi,
    /// The invocation answered.
    pub ids: Ids<'a>,
}

impl ToApi<'_> {
    fn broke(&self, error: ClientError) -> Broken {
        log::line(&[
            b"streamed response for request ",
            self.ids.request_id,
            b" broke: ",
            error.message().as_bytes(),
        ]);
        // Its connection is closed: a later panic must not write to that descriptor.
        panic::leave_stream();
        Broken
    }
}

impl Sink for ToApi<'_> {
    fn start(&mut self, content_type: &[u8], data: &[u8]) -> Result<(), Broken> {
        let mut size = [0; SIZE_LINE_LEN];
        let sent = self
            .api
            .stream_start(&self.ids, content_type, &chunked::frame(data, &mut size));
        sent.map_err(|e| self.broke(e))?;
        panic::enter_stream(self.api);
        Ok(())
    }

    fn send(&mut self, data: &[u8]) -> Result<(), Broken> {
        let mut size = [0; SIZE_LINE_LEN];
        self.api
            .stream_send(&chunked::frame(data, &mut size))
            .map_err(|e| self.broke(e))
    }

    fn end(
        &mut self,
        last: &[u8],
        error: Option<StreamError<'_>>,
        reply: &mut [u8],
    ) -> Result<(), MustExit> {
        let mut size = [0; SIZE_LINE_LEN];
        let ending = chunked::end(last, error.map(|e| (e.error_type, e.encoded)), &mut size);
        match self.api.stream_send(&ending) {
            Ok(()) => {
                panic::leave_stream();
                self.api.stream_reply(self.ids.request_id, reply)
            }
            Err(e) => {
                self.broke(e);
                Ok(())
            }
        }
    }
}

impl Destination for ToApi<'_> {
    const ROUTE: Route = Route(1);

    #[inline(never)]
    fn answer(
        &mut self,
        failed: Option<&[u8]>,
        body: &[u8],
        reply: &mut [u8],
    ) -> Result<(), MustExit> {
        match failed {
            None => self.api.post_response(&self.ids, body, reply),
            Some(error_type) => self
                .api
                .post_error(Some(&self.ids), error_type, body, reply),
        }
    }
}
