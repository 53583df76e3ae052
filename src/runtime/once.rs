//! `bootstrap --invoke [EVENT]`: the handler once, on EVENT (or standard input), with the
//! answer on standard output; no Runtime API, no network.

use core::ffi::{CStr, c_int};

use super::invoke::{self, AnswerBuffers, Destination};
use crate::abi::context::{RawContext, Str};
use crate::abi::handler::{self, HandlerFn, InitFn, Outcome};
use crate::abi::stream::{Broken, Route, Sink, StreamError};
use crate::contract::{MAX_EVENT, MustExit};
use crate::sys::{log, stdio::read_stdin, stdio::write_stdout};

/// The request id of `--invoke` calls: there is no platform to make one.
const LOCAL_REQUEST_ID: &CStr = c"00000000-0000-0000-0000-000000000000";

/// Standard output as a destination: a stream's pieces are printed as they come, a failure
/// as its error document on a line of its own.
pub struct Stdout;

impl Sink for Stdout {
    fn start(&mut self, _: &[u8], data: &[u8]) -> Result<(), Broken> {
        self.send(data)
    }

    fn send(&mut self, data: &[u8]) -> Result<(), Broken> {
        write_stdout(data).map_err(|_| {
            log::text(b"streamed response broke: cannot write to stdout");
            Broken
        })
    }

    fn end(
        &mut self,
        last: &[u8],
        error: Option<StreamError<'_>>,
        reply: &mut [u8],
    ) -> Result<(), MustExit> {
        let _ = write_stdout(last);
        match error {
            Some(error) => self.answer(Some(error.error_type), error.document, reply),
            None => Ok(()),
        }
    }
}

impl Destination for Stdout {
    const ROUTE: Route = Route(2);

    fn answer(&mut self, failed: Option<&[u8]>, body: &[u8], _: &mut [u8]) -> Result<(), MustExit> {
        let written = write_stdout(body);
        match failed {
            None => written,
            // An error document is a line of its own.
            Some(_) => write_stdout(b"\n"),
        }
        .map_err(|_| MustExit)
    }
}

/// Runs init and the handler once on `event` (or stdin, read into `receive`), prints the
/// response on stdout and returns 0; on a failure prints the error document and returns 1.
pub fn invoke_once(
    event: Option<&[u8]>,
    handler: HandlerFn,
    init: Option<InitFn>,
    receive: &mut [u8],
    buffers: &mut AnswerBuffers,
) -> c_int {
    // The event goes into the receive buffer, which the handler may write (see
    // `handler::call`); an argument is copied there, not lent (it fits: the kernel limits an
    // argument to 128 KiB).
    let len = match event {
        Some(event) => crate::codec::bytes::put(receive, 0, event),
        // Lambda's limit, as for events from the Runtime API or local callers.
        None => read_stdin(receive.get_mut(..=MAX_EVENT).unwrap_or_default()),
    };
    let Some(event) = len.and_then(|len| receive.get_mut(..len)) else {
        log::text(b"--invoke: cannot read the event from stdin (or it is over 6 MiB)");
        return 1;
    };
    if let Some(Outcome::Failure {
        error_type,
        message,
    }) = init.and_then(|init| handler::call_init(init, &mut buffers.response))
    {
        let document = buffers.error.document(error_type, message);
        let _ = Stdout.answer(Some(error_type), document, &mut []);
        return 1;
    }
    let context = RawContext {
        request_id: Str::new(LOCAL_REQUEST_ID.to_bytes()),
        ..RawContext::EMPTY
    };
    match invoke::invoke(handler, &context, event, &mut Stdout, buffers) {
        Ok(None) => 0,
        Ok(Some(_)) | Err(MustExit) => 1,
    }
}
