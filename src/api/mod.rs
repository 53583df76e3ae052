//! The Runtime API: its four requests, the `/next` headers that make an invocation's context,
//! and what each reply status means for the loop.

pub mod client;
pub mod endpoint;
pub mod extension;
pub mod ip;
pub mod net;
pub mod request;

use core::ops::Range;
use core::sync::atomic::{AtomicBool, Ordering};

pub use crate::contract::MustExit;
use crate::contract::{MAX_EVENT, MAX_REQUEST_ID, error_type, header, must_exit};

use crate::abi::context::{RawContext, Str};
use crate::api::client::{ClientError, Connection, Reply, Request, range_in};
use crate::api::request::write_head;
use crate::codec::num;
use crate::http::HeadBuffer;
use crate::http::eq_ignore_case;
use crate::http::response::ResponseHead;
use crate::sys::log;

/// The `/next` receive buffer: a full head and the largest event, plus room for chunk framing.
pub const NEXT_BUFFER_LEN: usize =
    crate::http::response::MAX_HEAD_LEN + MAX_EVENT + crate::http::chunked::MAX_LINE + 64;

/// Receive buffer for replies to posts: `{"status":"OK"}` or a short error document.
pub const REPLY_BUFFER_LEN: usize = 16 * 1024;

/// Where each Lambda header's value is in the receive buffer.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NextHeaders {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: Option<Range<usize>>,
    /// `Lambda-Runtime-Deadline-Ms`.
    pub deadline_ms: Option<Range<usize>>,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub invoked_function_arn: Option<Range<usize>>,
    /// `Lambda-Runtime-Trace-Id`.
    pub trace_id: Option<Range<usize>>,
    /// `Lambda-Runtime-Client-Context`.
    pub client_context: Option<Range<usize>>,
    /// `Lambda-Runtime-Cognito-Identity`.
    pub cognito_identity: Option<Range<usize>>,
    /// `Lambda-Runtime-Aws-Tenant-Id`.
    pub tenant_id: Option<Range<usize>>,
    /// `Lambda-Runtime-Invocation-Id`.
    pub invocation_id: Option<Range<usize>>,
    /// Two `Lambda-Runtime-Aws-Request-Id` headers: if they differ, which invocation this is
    /// cannot be told, and answering under either id could answer another invocation. (The
    /// header is not a list, so even equal ones are a malformed reply; and not comparing
    /// them is 64 bytes smaller.)
    pub request_id_twice: bool,
}

impl NextHeaders {
    /// Records the position of each header we know, matching names in any case.
    pub fn capture(buf: &[u8], headers: &[httparse::Header<'_>]) -> NextHeaders {
        let mut found = NextHeaders::default();
        for header in headers {
            let name = header.name.as_bytes();
            let Some(suffix) = name.strip_prefix_ignore_case(b"lambda-runtime-") else {
                continue;
            };
            let slot = match suffix {
                n if eq_ignore_case(n, b"aws-request-id") => {
                    found.request_id_twice |= found.request_id.is_some();
                    &mut found.request_id
                }
                n if eq_ignore_case(n, b"deadline-ms") => &mut found.deadline_ms,
                n if eq_ignore_case(n, b"invoked-function-arn") => &mut found.invoked_function_arn,
                n if eq_ignore_case(n, b"trace-id") => &mut found.trace_id,
                n if eq_ignore_case(n, b"client-context") => &mut found.client_context,
                n if eq_ignore_case(n, b"cognito-identity") => &mut found.cognito_identity,
                n if eq_ignore_case(n, b"aws-tenant-id") => &mut found.tenant_id,
                n if eq_ignore_case(n, b"invocation-id") => &mut found.invocation_id,
                _ => continue,
            };
            *slot = Some(range_in(buf, header.value));
        }
        found
    }

    fn all(&self) -> [&Option<Range<usize>>; 8] {
        [
            &self.request_id,
            &self.deadline_ms,
            &self.invoked_function_arn,
            &self.trace_id,
            &self.client_context,
            &self.cognito_identity,
            &self.tenant_id,
            &self.invocation_id,
        ]
    }

    /// Writes a NUL after every captured value, so C handlers can use them as C strings.
    /// Each value is followed at least by the line end, so this never touches the body.
    pub fn terminate(&self, buf: &mut [u8]) {
        for range in self.all().into_iter().flatten() {
            if let Some(byte) = buf.get_mut(range.end) {
                *byte = 0;
            }
        }
    }
}

trait StripPrefixIgnoreCase {
    fn strip_prefix_ignore_case(&self, prefix: &[u8]) -> Option<&[u8]>;
}

impl StripPrefixIgnoreCase for [u8] {
    fn strip_prefix_ignore_case(&self, prefix: &[u8]) -> Option<&[u8]> {
        let (head, rest) = self.split_at_checked(prefix.len())?;
        eq_ignore_case(head, prefix).then_some(rest)
    }
}

/// Request ids go into a request line: only URL path characters that need no escaping and
/// cannot change the path's meaning (no `/`, `?`, `#`, `%`, space or control bytes, and not
/// the dot-segments `.` and `..`, which a server may resolve away).
pub fn is_valid_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id != b"."
        && id != b".."
        && id.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')'
                )
                || matches!(b, b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@')
        })
}

/// Invocation ids are echoed in a header: visible ASCII only.
pub fn is_valid_invocation_id(id: &[u8]) -> bool {
    id.len() <= MAX_REQUEST_ID && id.iter().all(u8::is_ascii_graphic)
}

/// What identifies an invocation in the posts that answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids<'b> {
    /// The request id, the path of every post.
    pub request_id: &'b [u8],
    /// Empty when the platform sent none.
    pub invocation_id: &'b [u8],
}

/// An event to hand to the handler.
#[derive(Debug)]
pub struct Invocation<'b> {
    /// What the answer must name.
    pub ids: Ids<'b>,
    /// The context handed to the handler.
    pub context: RawContext,
    /// The event, lent mutably: see `handler::call`.
    pub event: &'b mut [u8],
}

/// What a `/next` reply asks of the loop.
#[derive(Debug)]
pub enum Next<'b> {
    /// An event to run the handler on.
    Invocation(Invocation<'b>),
    /// An invocation we cannot run: answer it with this error.
    Refuse {
        /// The invocation to answer.
        ids: Ids<'b>,
        /// The error type to post.
        error_type: &'static [u8],
        /// The error message to post.
        message: &'static [u8],
    },
    /// Nothing to answer (the reason was logged); ask again.
    Skip,
}

/// Why `/next` gave no invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextError {
    /// Worth asking again after a pause (connection trouble, 4xx).
    Retry,
    /// The API answered 5xx: the runtime must exit.
    Exit,
}

/// The Runtime API's requests over one connection, with the buffer their heads are written in.
pub struct RuntimeApi {
    conn: Connection,
    head: HeadBuffer,
}

impl RuntimeApi {
    /// The API over `conn`.
    pub fn new(conn: Connection) -> Self {
        RuntimeApi {
            conn,
            head: HeadBuffer::new(),
        }
    }

    /// `GET /runtime/invocation/next`: waits (without a timeout: the sandbox may be frozen
    /// for minutes) for the next event, received into `buf`.
    pub fn next<'b>(&mut self, buf: &'b mut [u8]) -> Result<Next<'b>, NextError> {
        let endpoint = self.conn.endpoint();
        // Cannot fail: the path is fixed and the endpoint is at most 2 × 256 bytes.
        // A local array, not a promoted static slice table, which would need a relocation.
        let path: [&[u8]; 1] = [b"/runtime/invocation/next"];
        let _ = write_head(&mut self.head, "GET", endpoint, &path, &[], None);
        let mut headers = NextHeaders::default();
        let mut status = 0;
        let result = self.conn.exchange(
            Request::Next,
            &self.head,
            &[],
            buf,
            Some(&mut |buf, head: &ResponseHead, raw| {
                status = head.status;
                headers = NextHeaders::capture(buf, raw);
            }),
        );
        // `None`: over MAX_EVENT. The buffer has room for more when the head is short, but
        // the limit is Lambda's, the same whatever the head (and in local mode).
        let body = match result {
            Ok(reply) if reply.head.status != 200 => {
                return Err(status_error(b"GET /next", reply.head.status));
            }
            Ok(reply) => Some(reply.body).filter(|body| body.len() <= MAX_EVENT),
            Err(ClientError::BodyTooLarge) if status == 200 => None,
            Err(_) if crate::sys::signal::stopping() => return Err(NextError::Retry),
            Err(e) => {
                log_client_error(b"GET /next", e);
                return Err(NextError::Retry);
            }
        };
        headers.terminate(buf);
        let Some(body) = body else {
            let buf: &'b [u8] = buf;
            let Some(ids) = ids(buf, &headers) else {
                return Ok(Next::Skip);
            };
            let message = b"the event is over 6 MiB (6291456 bytes), Lambda's limit for synchronous invocations";
            let error_type = error_type::EVENT_TOO_LARGE.as_bytes();
            return Ok(Next::Refuse {
                ids,
                error_type,
                message,
            });
        };
        // The head (ids, context) and the event are disjoint: the event is lent mutably.
        let Some((head, rest)) = buf.split_at_mut_checked(body.start) else {
            return Ok(Next::Skip);
        };
        let head: &'b [u8] = head;
        let Some(ids) = ids(head, &headers) else {
            return Ok(Next::Skip);
        };
        let context = context(head, &headers);
        let event = rest.get_mut(..body.len()).unwrap_or_default();
        Ok(Next::Invocation(Invocation {
            ids,
            context,
            event,
        }))
    }

    /// `POST /runtime/invocation/{id}/response` with the buffered response.
    pub fn post_response(
        &mut self,
        ids: &Ids<'_>,
        body: &[u8],
        reply: &mut [u8],
    ) -> Result<(), MustExit> {
        let endpoint = self.conn.endpoint();
        let path: [&[u8]; 3] = [b"/runtime/invocation/", ids.request_id, b"/response"];
        let invocation: [(&str, &[u8]); 1] = [("Lambda-Runtime-Invocation-Id", ids.invocation_id)];
        let headers = if ids.invocation_id.is_empty() {
            &invocation[..0]
        } else {
            &invocation[..]
        };
        // Cannot fail: request and invocation ids are checked to be at most 256 bytes.
        let _ = write_head(
            &mut self.head,
            "POST",
            endpoint,
            &path,
            headers,
            Some(body.len()),
        );
        self.post(b"POST /response", ids.request_id, body, reply)
    }

    /// `POST /runtime/invocation/{id}/error`, or `POST /runtime/init/error` without ids, with
    /// an error document from [`crate::codec::json::error_document`].
    pub fn post_error(
        &mut self,
        ids: Option<&Ids<'_>>,
        error_type: &[u8],
        document: &[u8],
        reply: &mut [u8],
    ) -> Result<(), MustExit> {
        let endpoint = self.conn.endpoint();
        let mut headers: [(&str, &[u8]); 3] = [
            ("Lambda-Runtime-Function-Error-Type", error_type),
            ("Content-Type", b"application/json"),
            ("Lambda-Runtime-Invocation-Id", b""),
        ];
        let (path, count, what): ([&[u8]; 3], usize, &[u8]) = match ids {
            Some(ids) => {
                headers[2].1 = ids.invocation_id;
                let count = if ids.invocation_id.is_empty() { 2 } else { 3 };
                (
                    [b"/runtime/invocation/", ids.request_id, b"/error"],
                    count,
                    b"POST /error",
                )
            }
            None => ([b"/runtime/init/error", b"", b""], 2, b"POST /init/error"),
        };
        // Cannot fail: ids and error type are checked to be at most 256 and 128 bytes.
        let _ = write_head(
            &mut self.head,
            "POST",
            endpoint,
            &path,
            &headers[..count],
            Some(document.len()),
        );
        let request_id = ids.map_or(&b"(init)"[..], |ids| ids.request_id);
        self.post(what, request_id, document, reply)
    }

    fn post(
        &mut self,
        what: &[u8],
        request_id: &[u8],
        body: &[u8],
        reply: &mut [u8],
    ) -> Result<(), MustExit> {
        let result = self
            .conn
            .exchange(Request::Post, &self.head, body, reply, None);
        judge_reply(what, request_id, result)
    }

    /// Starts a streamed `POST /runtime/invocation/{id}/response`: its head, which declares
    /// the error trailers, and `first` (the first chunk, framed by the caller).
    pub fn stream_start(
        &mut self,
        ids: &Ids<'_>,
        content_type: &[u8],
        first: &[&[u8]],
    ) -> Result<(), ClientError> {
        let endpoint = self.conn.endpoint();
        let path: [&[u8]; 3] = [b"/runtime/invocation/", ids.request_id, b"/response"];
        let headers: [(&str, &[u8]); 5] = [
            (header::RESPONSE_MODE, b"streaming"),
            ("Transfer-Encoding", b"chunked"),
            ("Content-Type", content_type),
            (
                "Trailer",
                b"Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
            ),
            ("Lambda-Runtime-Invocation-Id", ids.invocation_id),
        ];
        let count = if ids.invocation_id.is_empty() { 4 } else { 5 };
        // Cannot fail: ids are at most 256 bytes and the content type is checked to be at most
        // 128 (stream::MAX_CONTENT_TYPE).
        let _ = write_head(
            &mut self.head,
            "POST",
            endpoint,
            &path,
            &headers[..count],
            None,
        );
        let mut parts: [&[u8]; 4] = [&self.head, b"", b"", b""];
        for (slot, piece) in parts.iter_mut().skip(1).zip(first) {
            *slot = piece;
        }
        self.conn
            .start(parts.get(..=first.len()).unwrap_or_default())
    }

    /// Sends more of a streamed response: chunks, or the last chunk and trailers.
    pub fn stream_send(&mut self, parts: &[&[u8]]) -> Result<(), ClientError> {
        self.conn.send(parts)
    }

    /// Reads the reply to a streamed response whose end was sent, as `RuntimeApi::post`
    /// reads any post's.
    pub fn stream_reply(&mut self, request_id: &[u8], reply: &mut [u8]) -> Result<(), MustExit> {
        let result = self.conn.receive(reply);
        judge_reply(b"POST /response (streamed)", request_id, result)
    }

    /// The connection's descriptor, while one is open.
    pub fn raw_fd(&self) -> Option<rustix::fd::RawFd> {
        self.conn.raw_fd()
    }

    /// Where the API is.
    pub fn endpoint(&self) -> &crate::api::endpoint::Endpoint {
        self.conn.endpoint()
    }

    /// Opens the connection `/next` will use, if it is not open; its descriptor.
    pub fn open(&mut self) -> Option<rustix::fd::RawFd> {
        self.conn.open()
    }

    /// Forgets the connection, so the next request opens a fresh one.
    pub fn reconnect(&mut self) {
        self.conn.close();
    }
}

/// How long a post's reply may keep us waiting (without a byte arriving), in seconds:
/// `LAMBDA_POST_REPLY_TIMEOUT`, 60 by default. Lambda answers a post as soon as it has read
/// it, in microseconds; a minute is far beyond any real reply, even the end of a streamed
/// response that the platform drains at its bandwidth limit, and still bounds a Runtime API
/// that never answers (or answers without a length and keeps the connection open). Too short
/// a bound would be worse than a long one: the post would be given up while Lambda still
/// acts on it.
pub fn reply_timeout_s() -> u64 {
    number_from_env(c"LAMBDA_POST_REPLY_TIMEOUT", 60)
}

/// A whole number from 1 to 86,400 (a day's seconds, which also holds Lambda's memory sizes in
/// MB) from the environment variable `name`, or `default`.
pub fn number_from_env(name: &core::ffi::CStr, default: u64) -> u64 {
    match crate::sys::env::var(name).and_then(num::ascii_to_u64) {
        Some(number @ 1..=86_400) => number,
        _ => default,
    }
}

/// What a post's reply means: 2xx fine; other statuses logged with the request id, and 5xx
/// end the runtime; a failed exchange logged (the loop goes on: `/next` will tell).
fn judge_reply(
    what: &[u8],
    request_id: &[u8],
    result: Result<Reply, ClientError>,
) -> Result<(), MustExit> {
    match result {
        Ok(r) if (200..300).contains(&r.head.status) => Ok(()),
        Ok(r) => {
            let mut digits = [0; num::U64_DIGITS];
            let status = num::u64_to_ascii(r.head.status.into(), &mut digits);
            let meaning = status_meaning(r.head.status);
            log::line(&[
                what,
                b" for request ",
                request_id,
                b": status ",
                status,
                meaning,
            ]);
            if must_exit(r.head.status) {
                Err(MustExit)
            } else {
                Ok(())
            }
        }
        Err(e) => {
            log::line(&[
                what,
                b" for request ",
                request_id,
                b" failed: ",
                e.message().as_bytes(),
                b"; not sent again",
            ]);
            Ok(())
        }
    }
}

fn ids<'b>(buf: &'b [u8], headers: &NextHeaders) -> Option<Ids<'b>> {
    let Some(request_id) = value(buf, &headers.request_id).filter(|_| !headers.request_id_twice)
    else {
        log::text(b"GET /next: reply without exactly one Lambda-Runtime-Aws-Request-Id (none, or two); skipped");
        return None;
    };
    if !is_valid_request_id(request_id) {
        let shown = log::printable::<64>(request_id);
        log::line(&[
            b"GET /next: unusable request id \"",
            &shown,
            b"\" (empty, too long, or not plain URL characters); skipped",
        ]);
        return None;
    }
    let invocation_id = value(buf, &headers.invocation_id).unwrap_or_default();
    let invocation_id = if is_valid_invocation_id(invocation_id) {
        invocation_id
    } else {
        log::line(&[
            b"GET /next: request ",
            request_id,
            b": unusable Lambda-Runtime-Invocation-Id; not echoed",
        ]);
        b""
    };
    Some(Ids {
        request_id,
        invocation_id,
    })
}

/// The context for a handler, from captured headers (already NUL-terminated in `buf`).
fn context(buf: &[u8], headers: &NextHeaders) -> RawContext {
    let text = |range: &Option<Range<usize>>, name: &[u8]| -> Str {
        let Some(value) = value(buf, range) else {
            return Str::EMPTY;
        };
        if core::str::from_utf8(value).is_err() {
            log::line(&[
                b"GET /next: header Lambda-Runtime-",
                name,
                b" is not UTF-8; ignored",
            ]);
            return Str::EMPTY;
        }
        Str::new(value)
    };
    let deadline_ms = match value(buf, &headers.deadline_ms) {
        None => 0,
        Some(digits) => epoch_ms(digits),
    };
    RawContext {
        request_id: text(&headers.request_id, b"Aws-Request-Id"),
        deadline_ms,
        invoked_function_arn: text(&headers.invoked_function_arn, b"Invoked-Function-Arn"),
        trace_id: text(&headers.trace_id, b"Trace-Id"),
        client_context: text(&headers.client_context, b"Client-Context"),
        cognito_identity: text(&headers.cognito_identity, b"Cognito-Identity"),
        tenant_id: text(&headers.tenant_id, b"Aws-Tenant-Id"),
        invocation_id: text(&headers.invocation_id, b"Invocation-Id"),
    }
}

/// 2001-01-01T00:00:00Z in Unix epoch milliseconds: no real deadline is earlier.
const EARLIEST_DEADLINE_MS: i64 = 978_307_200_000;

/// The deadline header's value as epoch milliseconds, or 0 ("no deadline") when it cannot be
/// an epoch time: not a number, too large for the context's `i64` (2^63 ms or more), or
/// before 2001, as emulators send a duration instead (cargo-lambda: `600000`, ten minutes),
/// which read as a time is in January 1970, so every invocation would have timed out before it
/// began. Logged once, not per invocation.
fn epoch_ms(digits: &[u8]) -> i64 {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    let why: &[u8] =
        match num::ascii_to_u64(digits.trim_ascii()).and_then(|v| i64::try_from(v).ok()) {
            Some(ms) if ms >= EARLIEST_DEADLINE_MS => return ms,
            Some(_) => b"before 2001 (a duration?)",
            None => b"no number of ms below 2^63",
        };
    if !LOGGED.swap(true, Ordering::Relaxed) {
        log::line(&[
            b"GET /next: Lambda-Runtime-Deadline-Ms is ",
            why,
            b"; no deadline",
        ]);
    }
    0
}

/// A captured header's value. (`get`, not indexing: the ranges come from the same buffer, and
/// each indexing would cost a panic path.)
fn value<'b>(buf: &'b [u8], range: &Option<Range<usize>>) -> Option<&'b [u8]> {
    buf.get(range.clone()?)
}

fn status_error(what: &[u8], status: u16) -> NextError {
    let mut digits = [0; num::U64_DIGITS];
    let shown = num::u64_to_ascii(status.into(), &mut digits);
    log::line(&[what, b": status ", shown, status_meaning(status)]);
    if must_exit(status) {
        NextError::Exit
    } else {
        NextError::Retry
    }
}

fn status_meaning(status: u16) -> &'static [u8] {
    match status {
        400 => b" (bad request: unknown request id or malformed request)",
        403 => b" (forbidden: wrong state, e.g. already answered)",
        410 => b" (gone: the invocation timed out)",
        413 => b" (payload too large)",
        500..=599 => b" (the Runtime API failed; the runtime must exit)",
        _ => b"",
    }
}

fn log_client_error(what: &[u8], error: ClientError) {
    log::line(&[what, b": ", error.message().as_bytes()]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::response;

    fn capture(text: &[u8]) -> (Vec<u8>, NextHeaders) {
        let mut headers = [httparse::EMPTY_HEADER; response::MAX_HEADERS];
        let (_, count) = response::parse_head(text, &mut headers).unwrap().unwrap();
        let found = NextHeaders::capture(text, &headers[..count]);
        let mut buf = text.to_vec();
        found.terminate(&mut buf);
        (buf, found)
    }

    const ALL: &[u8] = b"HTTP/1.1 200 OK\r\n\
        lambda-runtime-aws-request-id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n\
        LAMBDA-RUNTIME-DEADLINE-MS: 1542409706888\r\n\
        Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-2:123456789012:function:custom-runtime\r\n\
        Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1\r\n\
        Lambda-Runtime-Client-Context: {\"custom\":{}}\r\n\
        Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\":\"x\"}\r\n\
        Lambda-Runtime-Aws-Tenant-Id: tenant-7\r\n\
        Lambda-Runtime-Invocation-Id: inv-1\r\n\
        Lambda-Runtime-Something-New: ignored\r\n\
        Content-Length: 2\r\n\r\n{}";

    #[test]
    fn every_header_in_any_case_into_the_context() {
        let (buf, headers) = capture(ALL);
        let ids = ids(&buf, &headers).unwrap();
        assert_eq!(ids.request_id, b"8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        assert_eq!(ids.invocation_id, b"inv-1");
        let raw = context(&buf, &headers);
        // SAFETY: the context points into `buf`, alive here.
        let ctx = unsafe { crate::abi::context::Context::from_raw(&raw) };
        assert_eq!(ctx.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        assert_eq!(ctx.deadline_ms, 1_542_409_706_888);
        assert_eq!(
            ctx.invoked_function_arn,
            "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime"
        );
        assert_eq!(
            ctx.trace_id,
            Some("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
        );
        assert_eq!(ctx.client_context, Some("{\"custom\":{}}"));
        assert_eq!(ctx.cognito_identity, Some("{\"cognitoIdentityId\":\"x\"}"));
        assert_eq!(ctx.tenant_id, Some("tenant-7"));
        assert_eq!(ctx.invocation_id, Some("inv-1"));
        // Values are C strings too.
        // SAFETY: `terminate` wrote a NUL right after the value.
        assert_eq!(unsafe { *raw.tenant_id.ptr.add(raw.tenant_id.len) }, 0);
        assert_eq!(&buf[buf.len() - 2..], b"{}", "the body is untouched");
    }

    #[test]
    fn only_the_request_id_is_required() {
        let (buf, headers) = capture(
            b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(
            ids(&buf, &headers).unwrap(),
            Ids {
                request_id: b"abc",
                invocation_id: b""
            }
        );
        let raw = context(&buf, &headers);
        assert_eq!(raw.deadline_ms, 0);
        assert_eq!(raw.trace_id.len, 0);
        let (buf, headers) = capture(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(ids(&buf, &headers), None);
    }

    #[test]
    fn two_request_ids_are_no_request_id() {
        for second in ["b", "a"] {
            let text = format!(
                "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\nlambda-runtime-aws-request-id: {second}\r\n\r\n"
            );
            let (buf, headers) = capture(text.as_bytes());
            assert!(headers.request_id_twice);
            assert_eq!(ids(&buf, &headers), None, "a, then {second}");
        }
    }

    /// The deadline a `/next` reply with `Lambda-Runtime-Deadline-Ms: {value}` gives.
    fn deadline(value: &str) -> i64 {
        let text = format!(
            "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\nLambda-Runtime-Deadline-Ms: {value}\r\n\r\n"
        );
        let (buf, headers) = capture(text.as_bytes());
        context(&buf, &headers).deadline_ms
    }

    #[test]
    fn a_bad_deadline_reads_as_unknown() {
        assert_eq!(deadline("soon"), 0);
        assert_eq!(deadline("9223372036854775807"), i64::MAX, "2^63 - 1 fits");
        assert_eq!(deadline("9223372036854775808"), 0, "2^63 does not");
    }

    #[test]
    fn a_deadline_before_2001_is_no_deadline() {
        // cargo-lambda's emulator sends ten minutes as a duration.
        assert_eq!(deadline("600000"), 0);
        assert_eq!(deadline("1"), 0);
        assert_eq!(deadline("978307199999"), 0);
        assert_eq!(deadline("978307200000"), 978_307_200_000);
        assert_eq!(deadline("0"), 0);
        assert_eq!(deadline("soon"), 0);
    }

    #[test]
    fn the_longest_possible_heads_fit() {
        use crate::api::request::write_head;
        use crate::http::HeadBuffer;
        let address = format!(
            "http://[1111:2222:3333:4444:5555:6666:7777:8888]:65535/{}",
            "p".repeat(200)
        );
        let endpoint = crate::api::endpoint::parse(&address).unwrap();
        let id = [b'i'; MAX_REQUEST_ID];
        let error_type = [b't'; crate::contract::MAX_ERROR_TYPE];
        let path: [&[u8]; 3] = [b"/runtime/invocation/", &id, b"/response"];
        let headers: [(&str, &[u8]); 3] = [
            ("Lambda-Runtime-Function-Error-Type", &error_type),
            ("Content-Type", b"application/json"),
            ("Lambda-Runtime-Invocation-Id", &id),
        ];
        let mut head = HeadBuffer::new();
        assert_eq!(
            write_head(
                &mut head,
                "POST",
                &endpoint,
                &path,
                &headers,
                Some(usize::MAX)
            ),
            Ok(())
        );
    }

    #[test]
    fn request_ids_that_could_bend_a_request_line_are_refused() {
        assert!(is_valid_request_id(b"8476a536-e9f4-11e8-9739-2dfe598c3fcd"));
        assert!(is_valid_request_id(b"A.b_c~1"));
        for bad in [
            &b""[..],
            b"a/b",
            b"a b",
            b"a?b",
            b"a#b",
            b"a%2fb",
            b"a\rb",
            b"a\nb",
            b"a\x00b",
            b"\xc3\xa9",
            b".",
            b"..",
        ] {
            assert!(!is_valid_request_id(bad), "{bad:?}");
        }
        assert!(!is_valid_request_id(&[b'a'; MAX_REQUEST_ID + 1]));
    }
}
