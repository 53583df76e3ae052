//! The request local mode serves, read from an HTTP/1.1 request head: `POST
//! /2015-03-31/functions/{name}/invocations`, Lambda's Invoke API path, which the official
//! emulator answers for the name `function` and the AWS SDKs and CLI (pointed at us with
//! `--endpoint-url`) use with the function's name; or `POST
//! /2021-11-15/functions/{name}/response-streaming-invocations`, `InvokeWithResponseStream`.
//! Anything else is a [`Refusal`].

use core::ops::Range;

use crate::api::client::range_in;
use crate::codec::num;
use crate::http::response::Framing;
use crate::http::{self, Cursor, HeadStop, Headers, Status, Stop, eq_ignore_case};

const PATH_PREFIX: &[u8] = b"/2015-03-31/functions/";
const PATH_SUFFIX: &[u8] = b"/invocations";
const STREAM_PATH_PREFIX: &[u8] = b"/2021-11-15/functions/";
const STREAM_PATH_SUFFIX: &[u8] = b"/response-streaming-invocations";

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Run and answer (the default).
    RequestResponse,
    /// Answer 202 at once, then run.
    Event,
    /// Answer 204 and do not run.
    DryRun,
}

/// An invocation request whose head is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoke {
    /// Bytes of the head, including the blank line; the body starts here.
    pub head_len: usize,
    /// `Length(n)` (0 without a body) or `Chunked`; never `UntilClose` in a request.
    pub framing: Framing,
    /// `Expect: 100-continue`: the caller waits for our go-ahead before sending the body.
    pub expect_continue: bool,
    /// `X-Amzn-Trace-Id`, where it is in the buffer.
    pub trace_id: Option<Range<usize>>,
    /// `X-Amz-Client-Context` (base64), where it is in the buffer.
    pub client_context: Option<Range<usize>>,
    /// `X-Amz-Invocation-Type`.
    pub invocation_type: InvocationType,
    /// `X-Amz-Log-Type: Tail`: the answer carries the end of the invocation's log.
    pub tail: bool,
    /// `InvokeWithResponseStream`: the answer is in event-stream framing.
    pub event_stream: bool,
}

/// Why a request is not served; each has its status and JSON error (see `reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not the invoke path.
    NotFound,
    /// The invoke path with a method other than POST.
    MethodNotAllowed,
    /// Not HTTP/1.x, a bad `Content-Length` or `Transfer-Encoding`, a chunked body that does
    /// not parse, or a trace id that is not UTF-8.
    Malformed,
    /// A head longer than we read, or with more than [`http::MAX_HEADERS`] headers.
    HeadTooLarge,
    /// A body over Lambda's 6 MB limit for synchronous invocations.
    TooLarge,
    /// `X-Amz-Client-Context` that is not base64 of UTF-8 text.
    BadClientContext,
    /// The caller stopped sending before the request was complete.
    Timeout,
    /// Too many invocations wait already (see `front`): Lambda's throttling.
    Throttled,
    /// An `X-Amz-Invocation-Type` or `X-Amz-Log-Type` Lambda does not know (or `Event` with
    /// a response stream, which Lambda does not take).
    BadParameter,
}

/// A head the shared parts refuse: too many headers is too large a head, anything else
/// malformed.
impl From<HeadStop> for Refusal {
    fn from(refusal: HeadStop) -> Self {
        match refusal {
            HeadStop::TooManyHeaders => Refusal::HeadTooLarge,
            HeadStop::Malformed => Refusal::Malformed,
        }
    }
}

/// Parses a request head from the start of `buf`. [`Status::Partial`]: more bytes are needed.
///
/// `#[inline]`: public for the fuzz target, yet inlined into the server's loop, its one
/// caller in the bootstrap (as a public function it was not, which cost 770 bytes).
#[inline]
pub fn parse(buf: &[u8]) -> Result<Status<Invoke>, Refusal> {
    let (method, path, line_len) = match request_line(buf) {
        Ok(line) => line,
        Err(stop) => return stop.status(),
    };
    let mut headers: Headers<'_> = [httparse::EMPTY_HEADER; http::MAX_HEADERS];
    let Status::Complete((block_len, count)) =
        http::parse_headers(buf.get(line_len..).unwrap_or(&[]), &mut headers)?
    else {
        return Ok(Status::Partial);
    };
    let Some(event_stream) = invoke_path(path) else {
        return Err(Refusal::NotFound);
    };
    if method != b"POST" {
        return Err(Refusal::MethodNotAllowed);
    }
    let mut invoke = Invoke {
        head_len: line_len + block_len,
        framing: Framing::Length(0),
        expect_continue: false,
        trace_id: None,
        client_context: None,
        invocation_type: InvocationType::RequestResponse,
        tail: false,
        event_stream,
    };
    let mut length = None;
    let mut encoded = false;
    for header in headers.iter().take(count) {
        let name = header.name.as_bytes();
        let value = header.value.trim_ascii();
        if eq_ignore_case(name, b"content-length") {
            let n = num::ascii_to_u64(value).ok_or(Refusal::Malformed)?;
            if length.is_some_and(|l| l != n) {
                return Err(Refusal::Malformed);
            }
            length = Some(n);
        } else if eq_ignore_case(name, b"transfer-encoding") {
            // Only `chunked` alone: any other coding we could not undo.
            if encoded || !eq_ignore_case(value, b"chunked") {
                return Err(Refusal::Malformed);
            }
            encoded = true;
        } else if eq_ignore_case(name, b"expect") {
            invoke.expect_continue = eq_ignore_case(value, b"100-continue");
        } else if eq_ignore_case(name, b"x-amzn-trace-id") {
            invoke.trace_id = Some(range_in(buf, header.value));
        } else if eq_ignore_case(name, b"x-amz-client-context") {
            invoke.client_context = Some(range_in(buf, value));
        } else if eq_ignore_case(name, b"x-amz-invocation-type") {
            invoke.invocation_type = match value {
                b"RequestResponse" => InvocationType::RequestResponse,
                b"Event" if !event_stream => InvocationType::Event,
                b"DryRun" => InvocationType::DryRun,
                _ => return Err(Refusal::BadParameter),
            };
        } else if eq_ignore_case(name, b"x-amz-log-type") {
            invoke.tail = match value {
                b"Tail" => true,
                b"None" => false,
                _ => return Err(Refusal::BadParameter),
            };
        }
    }
    invoke.framing = match (length, encoded) {
        // Both: which one frames the body is exactly what request smuggling plays on.
        (Some(_), true) => return Err(Refusal::Malformed),
        (None, true) => Framing::Chunked,
        (Some(n), false) if n > crate::contract::MAX_EVENT as u64 => return Err(Refusal::TooLarge),
        (Some(n), false) => Framing::Length(n),
        (None, false) => Framing::Length(0),
    };
    Ok(Status::Complete(invoke))
}

/// `METHOD SP target SP HTTP/1.x CRLF`, by hand (httparse's request parser would be a second
/// copy of its header parser in the binary): the method, the target, and the line's length.
fn request_line(buf: &[u8]) -> Result<(&[u8], &[u8], usize), Stop> {
    let mut line = Cursor::new(buf);
    line.skip_empty_lines()?;
    let method = word(&mut line)?;
    let target = word(&mut line)?;
    // As httparse: a target above ASCII must at least be UTF-8.
    if core::str::from_utf8(target).is_err() {
        return Err(HeadStop::Malformed.into());
    }
    line.version()?;
    let end = line.byte()?;
    if end != b'\r' && end != b'\n' {
        return Err(HeadStop::Malformed.into());
    }
    line.line_end(end)?;
    Ok((method, target, line.pos()))
}

/// A method or a request target, up to a space (which is read too): anything but spaces,
/// controls and DEL. Bytes above ASCII are taken, as httparse takes them in a target; no such
/// target is the invoke path, so they get a 404 rather than a 400.
fn word<'b>(line: &mut Cursor<'b>) -> Result<&'b [u8], Stop> {
    let rest = line.rest();
    let mut len = 0;
    loop {
        match line.byte()? {
            b' ' if len > 0 => return Ok(rest.get(..len).unwrap_or(&[])),
            byte if byte > b' ' && byte != 0x7f => len += 1,
            _ => return Err(HeadStop::Malformed.into()),
        }
    }
}

/// `Some(false)` for `/2015-03-31/functions/{name}/invocations`, `Some(true)` for
/// `/2021-11-15/functions/{name}/response-streaming-invocations`, with any query
/// (`?Qualifier=...`) ignored; `None` for any other path.
fn invoke_path(path: &[u8]) -> Option<bool> {
    let path = path.split(|&b| b == b'?').next().unwrap_or(path);
    let is = |prefix: &[u8], suffix: &[u8]| {
        let name_end = path.len().saturating_sub(suffix.len());
        let name = path.get(prefix.len()..name_end).unwrap_or_default();
        path.starts_with(prefix) && path.ends_with(suffix) && !name.is_empty() && !has_slash(name)
    };
    if is(PATH_PREFIX, PATH_SUFFIX) {
        Some(false)
    } else if is(STREAM_PATH_PREFIX, STREAM_PATH_SUFFIX) {
        Some(true)
    } else {
        None
    }
}

/// Whether `name` has a `/`. A byte loop, not `contains`, which links core's chunked search
/// (a 200-byte word-at-a-time search, for a few bytes here).
#[allow(clippy::manual_contains)]
fn has_slash(name: &[u8]) -> bool {
    name.iter().any(|&b| b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoke(text: &str) -> Result<Status<Invoke>, Refusal> {
        parse(text.as_bytes())
    }

    const PATH: &str = "/2015-03-31/functions/function/invocations";

    #[test]
    fn a_post_with_a_length() {
        let text = format!("POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        let got = invoke(&text).unwrap().unwrap();
        assert_eq!(got.head_len, text.len() - 5);
        assert_eq!(got.framing, Framing::Length(5));
        assert!(!got.expect_continue);
        assert_eq!((got.trace_id, got.client_context), (None, None));
    }

    #[test]
    fn a_head_in_pieces_is_partial_until_complete() {
        let text = format!("POST {PATH} HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        for end in 0..text.len() {
            assert_eq!(
                parse(&text.as_bytes()[..end]),
                Ok(Status::Partial),
                "{end} bytes"
            );
        }
        assert!(invoke(&text).unwrap().is_complete());
    }

    #[test]
    fn headers_that_matter_in_any_case() {
        let text = format!(
            "POST {PATH}?Qualifier=$LATEST HTTP/1.1\r\nX-AMZN-TRACE-ID: Root=1-2-3\r\n\
             x-amz-client-context:  eyJ9 \r\nEXPECT: 100-Continue\r\ntransfer-encoding: Chunked\r\n\r\n"
        );
        let got = invoke(&text).unwrap().unwrap();
        assert_eq!(got.framing, Framing::Chunked);
        assert!(got.expect_continue);
        assert_eq!(&text.as_bytes()[got.trace_id.unwrap()], b"Root=1-2-3");
        assert_eq!(&text.as_bytes()[got.client_context.unwrap()], b"eyJ9");
    }

    #[test]
    fn invocation_and_log_types_and_the_streaming_path() {
        let got = invoke(&format!("POST {PATH} HTTP/1.1\r\n\r\n"))
            .unwrap()
            .unwrap();
        assert_eq!(got.invocation_type, InvocationType::RequestResponse);
        assert!(!got.tail && !got.event_stream);
        for (value, expected) in [
            ("Event", InvocationType::Event),
            ("DryRun", InvocationType::DryRun),
            ("RequestResponse", InvocationType::RequestResponse),
        ] {
            let text = format!(
                "POST {PATH} HTTP/1.1\r\nX-Amz-Invocation-Type: {value}\r\nX-Amz-Log-Type: Tail\r\n\r\n"
            );
            let got = invoke(&text).unwrap().unwrap();
            assert_eq!(got.invocation_type, expected);
            assert!(got.tail);
        }
        for header in ["X-Amz-Invocation-Type: event", "X-Amz-Log-Type: tail"] {
            let text = format!("POST {PATH} HTTP/1.1\r\n{header}\r\n\r\n");
            assert_eq!(invoke(&text), Err(Refusal::BadParameter), "{header}");
        }
        let stream = "/2021-11-15/functions/f/response-streaming-invocations";
        let got = invoke(&format!("POST {stream}?Qualifier=1 HTTP/1.1\r\n\r\n"))
            .unwrap()
            .unwrap();
        assert!(got.event_stream);
        let text = format!("POST {stream} HTTP/1.1\r\nX-Amz-Invocation-Type: Event\r\n\r\n");
        assert_eq!(
            invoke(&text),
            Err(Refusal::BadParameter),
            "no Event for a stream"
        );
        let wrong = "/2021-11-15/functions/f/invocations";
        assert_eq!(
            invoke(&format!("POST {wrong} HTTP/1.1\r\n\r\n")),
            Err(Refusal::NotFound)
        );
    }

    #[test]
    fn without_a_body_the_event_is_empty() {
        let got = invoke(&format!("POST {PATH} HTTP/1.0\r\n\r\n"))
            .unwrap()
            .unwrap();
        assert_eq!(got.framing, Framing::Length(0));
    }

    #[test]
    fn any_function_name_but_no_other_path() {
        let ok = "POST /2015-03-31/functions/my-function/invocations HTTP/1.1\r\n\r\n";
        assert!(invoke(ok).unwrap().is_complete());
        for path in [
            "/",
            "/2015-03-31/functions//invocations",
            "/2015-03-31/functions/a/b/invocations",
            "/2015-03-31/functions/function/invocations/",
            "/2015-03-31/functions/function",
            "/2018-06-01/runtime/invocation/next",
        ] {
            assert_eq!(
                invoke(&format!("POST {path} HTTP/1.1\r\n\r\n")),
                Err(Refusal::NotFound),
                "{path}"
            );
        }
    }

    #[test]
    fn other_methods_are_not_allowed() {
        for method in ["GET", "PUT", "post", "DELETE"] {
            let text = format!("{method} {PATH} HTTP/1.1\r\n\r\n");
            assert_eq!(invoke(&text), Err(Refusal::MethodNotAllowed), "{method}");
        }
    }

    #[test]
    fn bad_framing_is_malformed() {
        for headers in [
            "Content-Length: five",
            "Content-Length: -1",
            "Content-Length: 1\r\nContent-Length: 2",
            "Content-Length: 1\r\nTransfer-Encoding: chunked",
            "Transfer-Encoding: gzip, chunked",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        ] {
            let text = format!("POST {PATH} HTTP/1.1\r\n{headers}\r\n\r\n");
            assert_eq!(invoke(&text), Err(Refusal::Malformed), "{headers:?}");
        }
        assert_eq!(invoke("POST\r\n\r\n"), Err(Refusal::Malformed));
        assert_eq!(
            parse(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            Err(Refusal::Malformed),
            "TLS"
        );
    }

    #[test]
    fn a_body_over_six_megabytes_is_too_large() {
        let max = crate::contract::MAX_EVENT;
        let at_limit = format!("POST {PATH} HTTP/1.1\r\nContent-Length: {max}\r\n\r\n");
        assert_eq!(
            invoke(&at_limit).unwrap().unwrap().framing,
            Framing::Length(max as u64)
        );
        let over = format!(
            "POST {PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            max + 1
        );
        assert_eq!(invoke(&over), Err(Refusal::TooLarge));
    }

    #[test]
    fn request_lines_are_read_as_httparse_reads_them() {
        let texts = [
            format!("POST {PATH} HTTP/1.1\r\nA: b\r\n\r\n"),
            format!("\r\n\nPOST {PATH} HTTP/1.0\nA: b\n\n"),
            format!("POST  {PATH} HTTP/1.1\r\n\r\n"),
            format!("POST {PATH}  HTTP/1.1\r\n\r\n"),
            format!("POST {PATH} HTTP/1.2\r\n\r\n"),
            format!("POST {PATH} HTTP/1.1\r\r\n\r\n"),
            format!("POST {PATH} HTTP/1.1 \r\n\r\n"),
            format!("POST {PATH}\tx HTTP/1.1\r\n\r\n"),
            format!(" POST {PATH} HTTP/1.1\r\n\r\n"),
            format!("POST {PATH} http/1.1\r\n\r\n"),
            format!("POST {PATH} HTTP/1.1\r\nA:\x01\r\n\r\n"),
            format!("POST {PATH}?q=\u{e9}t\u{e9} HTTP/1.1\r\n\r\n"),
            "OPST \u{c3}/rP0OS".to_string(), // found by fuzzing: a target above ASCII is partial
        ];
        // Found by fuzzing: a target that is not UTF-8 (httparse refuses it; it was accepted).
        let mut bytes = format!("POST {PATH}?Q=").into_bytes();
        bytes.extend_from_slice(b"\xff\xff HTTP/1.1\r\n\r\n");
        assert_eq!(parse(&bytes), Err(Refusal::Malformed));
        for text in &texts {
            for end in 0..=text.len() {
                let bytes = &text.as_bytes()[..end];
                let mut headers = [httparse::EMPTY_HEADER; 8];
                let theirs = httparse::Request::new(&mut headers).parse(bytes);
                let ours = parse(bytes);
                match theirs {
                    Ok(Status::Partial) => assert_eq!(ours, Ok(Status::Partial), "{bytes:?}"),
                    Ok(Status::Complete(len)) => {
                        assert_eq!(
                            ours.map(|i| i.is_complete().then(|| i.unwrap().head_len)),
                            Ok(Some(len)),
                            "{bytes:?}"
                        )
                    }
                    Err(_) => assert_eq!(ours, Err(Refusal::Malformed), "{bytes:?}"),
                }
            }
        }
    }

    #[test]
    fn too_many_headers() {
        let headers = "X-A: 1\r\n".repeat(http::MAX_HEADERS + 1);
        assert_eq!(
            invoke(&format!("POST {PATH} HTTP/1.1\r\n{headers}\r\n")),
            Err(Refusal::HeadTooLarge)
        );
    }
}
