//! What local mode answers: response heads, and the status and error of each refusal.
//!
//! Every response says `Connection: close`: requests are served one at a time, so a caller
//! that kept its connection open would hold back every other caller queued behind it.

use super::request::Refusal;
use crate::codec::num;

/// The content type of buffered answers and errors, as Lambda's Invoke API sends.
pub const JSON: &[u8] = b"application/json";
/// The content type of `InvokeWithResponseStream`'s answers.
pub const EVENT_STREAM: &[u8] = b"application/vnd.amazon.eventstream";

/// Room for a response head: the status line, a few short headers, and the base64 of 4 KiB
/// of log (`X-Amz-Log-Result`).
pub const HEAD_LEN: usize = 8 * 1024;
/// A response head being written.
pub type Head = heapless::Vec<u8, HEAD_LEN>;

/// How an answer's body is framed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length`.
    Length(usize),
    /// Chunked, declaring the streaming error trailers.
    Chunked,
    /// Chunked, without trailers (event-stream messages).
    ChunkedEvents,
    /// No body at all (204).
    Nothing,
}

/// Writes a response head: status line (`status` is e.g. `200 OK`), `Content-Type`,
/// `X-Amz-Executed-Version`, the given headers (those with a value), and the framing's
/// headers.
///
/// Values are written as given: callers pass only text they made or checked.
pub fn write_head(
    head: &mut Head,
    status: &[u8],
    content_type: &[u8],
    headers: &[(&[u8], &[u8])],
    framing: Framing,
) {
    head.clear();
    let mut digits = [0; num::U64_DIGITS];
    let framing: [&[u8]; 3] = match framing {
        Framing::Length(len) => [
            b"Content-Length: ",
            num::u64_to_ascii(len as u64, &mut digits),
            b"\r\n",
        ],
        Framing::Chunked => [
            b"Transfer-Encoding: chunked\r\n",
            b"Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n",
            b"",
        ],
        Framing::ChunkedEvents => [b"Transfer-Encoding: chunked\r\n", b"", b""],
        Framing::Nothing => [b"", b"", b""],
    };
    let start: [&[u8]; 5] = [
        b"HTTP/1.1 ",
        status,
        b"\r\nConnection: close\r\nX-Amz-Executed-Version: $LATEST\r\nContent-Type: ",
        content_type,
        b"\r\n",
    ];
    let mut put = |bytes: &[u8]| {
        // Fits: status lines, content types, ids and a log tail are short (see the callers).
        let _ = head.extend_from_slice(bytes);
    };
    start.iter().for_each(|part| put(part));
    for (name, value) in headers.iter().filter(|(_, value)| !value.is_empty()) {
        put(name);
        put(b": ");
        put(value);
        put(b"\r\n");
    }
    framing.iter().for_each(|part| put(part));
    put(b"\r\n");
}

/// The refusals' statuses and reasons, end to end (see [`Refusal::status`]).
const STATUSES: &[u8; 146] = b"404 Not Found405 Method Not Allowed400 Bad Request\
431 Request Header Fields Too Large413 Payload Too Large408 Request Timeout\
429 Too Many Requests";

impl Refusal {
    /// The status line's status and reason.
    pub fn status(self) -> &'static [u8] {
        // Where in STATUSES: one string, not a table of slices, each of which would need a
        // relocation in the static-pie (as `sys::log`'s level names).
        let (start, end) = match self {
            Refusal::NotFound => (0, 13),
            Refusal::MethodNotAllowed => (13, 35),
            Refusal::Malformed | Refusal::BadClientContext | Refusal::BadParameter => (35, 50),
            Refusal::HeadTooLarge => (50, 85),
            Refusal::TooLarge => (85, 106),
            Refusal::Timeout => (106, 125),
            Refusal::Throttled => (125, 146),
        };
        STATUSES.get(start..end).unwrap_or_default()
    }

    /// The error type (`x-amzn-ErrorType`) and message of the JSON error body.
    pub fn error(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Refusal::NotFound => (
                b"ResourceNotFoundException",
                b"not found: invoke with POST /2015-03-31/functions/function/invocations",
            ),
            Refusal::MethodNotAllowed => (b"MethodNotAllowed", b"only POST invokes the function"),
            Refusal::Malformed => (b"InvalidRequestContentException", b"malformed HTTP request"),
            Refusal::BadClientContext => (
                b"InvalidRequestContentException",
                b"X-Amz-Client-Context is not base64 of UTF-8",
            ),
            Refusal::HeadTooLarge => (
                b"RequestHeaderFieldsTooLarge",
                b"request head over 64 KiB or 32 headers",
            ),
            Refusal::TooLarge => (
                b"RequestTooLargeException",
                b"Request must be smaller than 6291456 bytes for the InvokeFunction operation",
            ),
            Refusal::Timeout => (b"RequestTimeout", b"request incomplete after 10 s"),
            Refusal::Throttled => (b"TooManyRequestsException", b"Rate Exceeded."),
            Refusal::BadParameter => (
                b"InvalidParameterValueException",
                b"bad X-Amz-Invocation-Type or X-Amz-Log-Type (or Event for a response stream)",
            ),
        }
    }

    /// An extra header, or an empty one: `Allow` says what a 405 would have taken.
    pub fn allow(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Refusal::MethodNotAllowed => (b"Allow", b"POST"),
            _ => (b"", b""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: &[u8], headers: &[(&[u8], &[u8])], framing: Framing) -> String {
        let mut head = Head::new();
        write_head(&mut head, status, JSON, headers, framing);
        String::from_utf8(head.to_vec()).unwrap()
    }

    #[test]
    fn each_refusal_has_its_status_and_reason() {
        let statuses = [
            (Refusal::NotFound, "404 Not Found"),
            (Refusal::MethodNotAllowed, "405 Method Not Allowed"),
            (Refusal::Malformed, "400 Bad Request"),
            (Refusal::HeadTooLarge, "431 Request Header Fields Too Large"),
            (Refusal::TooLarge, "413 Payload Too Large"),
            (Refusal::BadClientContext, "400 Bad Request"),
            (Refusal::Timeout, "408 Request Timeout"),
            (Refusal::Throttled, "429 Too Many Requests"),
            (Refusal::BadParameter, "400 Bad Request"),
        ];
        for (refusal, status) in statuses {
            assert_eq!(
                std::str::from_utf8(refusal.status()),
                Ok(status),
                "{refusal:?}"
            );
        }
    }

    #[test]
    fn a_buffered_answer() {
        assert_eq!(
            head(
                b"200 OK",
                &[
                    (b"X-Amzn-RequestId", b"id-1"),
                    (b"X-Amz-Function-Error", b"Unhandled")
                ],
                Framing::Length(17)
            ),
            "HTTP/1.1 200 OK\r\nConnection: close\r\nX-Amz-Executed-Version: $LATEST\r\n\
             Content-Type: application/json\r\n\
             X-Amzn-RequestId: id-1\r\nX-Amz-Function-Error: Unhandled\r\nContent-Length: 17\r\n\r\n"
        );
    }

    #[test]
    fn a_streamed_answer_is_chunked_and_declares_the_trailers() {
        let text = head(b"200 OK", &[], Framing::Chunked);
        assert!(text.ends_with(
            "Transfer-Encoding: chunked\r\n\
             Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n"
        ));
        assert!(!text.contains("Content-Length"));
        let text = head(b"200 OK", &[], Framing::ChunkedEvents);
        assert!(text.ends_with("Transfer-Encoding: chunked\r\n\r\n"));
        let text = head(b"204 No Content", &[], Framing::Nothing);
        assert!(text.ends_with("Content-Type: application/json\r\n\r\n"));
    }

    #[test]
    fn every_refusal_has_a_4xx_status_and_an_error() {
        use Refusal::*;
        for refusal in [
            NotFound,
            MethodNotAllowed,
            Malformed,
            HeadTooLarge,
            TooLarge,
            BadClientContext,
            Timeout,
            BadParameter,
            Throttled,
        ] {
            let status = refusal.status();
            assert!(status.starts_with(b"4"), "{refusal:?}");
            let (error_type, message) = refusal.error();
            assert!(!error_type.is_empty() && !message.is_empty());
        }
        assert_eq!(MethodNotAllowed.allow(), (&b"Allow"[..], &b"POST"[..]));
        assert_eq!(NotFound.allow().1, b"");
    }
}
