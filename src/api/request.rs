//! HTTP/1.1 request heads for the Runtime API, written into a fixed buffer.
//!
//! Bodies are never copied in here: the connection sends the head and the body together with
//! one vectored write.

use crate::api::endpoint::Endpoint;
use crate::codec::num;

pub use crate::http::HeadBuffer;

/// The API version every Runtime API path starts with.
pub const API_VERSION: &str = "/2018-06-01";
/// The Extensions API's version (`api::extension`).
pub const EXTENSION_API_VERSION: &str = "/2020-01-01";

const USER_AGENT: &str = concat!("lambda-bootstrap/", env!("CARGO_PKG_VERSION"));

/// The head did not fit in its buffer ([`crate::http::HEAD_BUFFER_LEN`]); only a caller
/// passing unchecked lengths sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadTooLong;

/// Writes `METHOD {prefix}/2018-06-01{path...} HTTP/1.1`, `Host`, `User-Agent`, the given
/// headers and, for a body, `Content-Length`.
///
/// Path pieces and header values are written as given: callers pass only values they have
/// checked (see `api::is_valid_request_id`).
pub fn write_head(
    head: &mut HeadBuffer,
    method: &str,
    endpoint: &Endpoint,
    path: &[&[u8]],
    headers: &[(&str, &[u8])],
    content_length: Option<usize>,
) -> Result<(), HeadTooLong> {
    write_head_in(
        API_VERSION,
        head,
        method,
        endpoint,
        path,
        headers,
        content_length,
    )
}

/// [`write_head`] for an API of another `version` (the Extensions API's).
pub fn write_head_in(
    version: &str,
    head: &mut HeadBuffer,
    method: &str,
    endpoint: &Endpoint,
    path: &[&[u8]],
    headers: &[(&str, &[u8])],
    content_length: Option<usize>,
) -> Result<(), HeadTooLong> {
    head.clear();
    let mut put = |bytes: &[u8]| head.extend_from_slice(bytes).map_err(|_| HeadTooLong);
    put(method.as_bytes())?;
    put(b" ")?;
    put(endpoint.prefix.as_bytes())?;
    put(version.as_bytes())?;
    for piece in path {
        put(piece)?;
    }
    put(b" HTTP/1.1\r\nHost: ")?;
    put(endpoint.host.as_bytes())?;
    put(b"\r\nUser-Agent: ")?;
    put(USER_AGENT.as_bytes())?;
    put(b"\r\n")?;
    for (name, value) in headers {
        put(name.as_bytes())?;
        put(b": ")?;
        put(value)?;
        put(b"\r\n")?;
    }
    if let Some(len) = content_length {
        let mut digits = [0; num::U64_DIGITS];
        put(b"Content-Length: ")?;
        put(num::u64_to_ascii(len as u64, &mut digits))?;
        put(b"\r\n")?;
    }
    put(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoint;

    fn text(head: &HeadBuffer) -> &str {
        core::str::from_utf8(head).unwrap()
    }

    #[test]
    fn get_without_body() {
        let ep = endpoint::parse("127.0.0.1:9001").unwrap();
        let mut head = HeadBuffer::new();
        write_head(
            &mut head,
            "GET",
            &ep,
            &[b"/runtime/invocation/next"],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(
            text(&head),
            format!(
                "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n\
                 User-Agent: {USER_AGENT}\r\n\r\n"
            )
        );
    }

    #[test]
    fn post_with_prefix_headers_and_length() {
        let ep = endpoint::parse("http://[::1]:9000/.rt/fn/").unwrap();
        let mut head = HeadBuffer::new();
        let path: [&[u8]; 3] = [b"/runtime/invocation/", b"abc-123", b"/error"];
        let headers: [(&str, &[u8]); 1] = [("Lambda-Runtime-Function-Error-Type", b"Function.X")];
        write_head(&mut head, "POST", &ep, &path, &headers, Some(6_291_456)).unwrap();
        let text = text(&head);
        assert!(text.starts_with(
            "POST /.rt/fn/2018-06-01/runtime/invocation/abc-123/error HTTP/1.1\r\nHost: [::1]:9000\r\n"
        ));
        assert!(text.ends_with(
            "\r\nLambda-Runtime-Function-Error-Type: Function.X\r\nContent-Length: 6291456\r\n\r\n"
        ));
        assert_eq!(text.matches("\r\n").count(), 6);
    }

    #[test]
    fn overlong_head_is_an_error_not_a_truncation() {
        let ep = endpoint::parse("127.0.0.1:1").unwrap();
        let mut head = HeadBuffer::new();
        let long = [b'a'; crate::http::HEAD_BUFFER_LEN];
        let result = write_head(&mut head, "GET", &ep, &[&long], &[], None);
        assert_eq!(result, Err(HeadTooLong));
    }
}
