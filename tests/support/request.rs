//! What the fake API records: each [`Request`] the bootstrap sent, and the Runtime API
//! endpoint ([`Route`]) its path names, so tests can assert on exactly what was sent. A
//! streamed (chunked) response is recorded decoded: its body, its chunk sizes and its
//! trailers; a body the script asked to check as it arrived ([`BodyCheck`]) is recorded by
//! its length, its first bytes and the verdict.

use std::time::Instant;

/// The API version segment every Runtime API path starts with (after the optional prefix).
pub const API_VERSION: &str = "/2018-06-01";
/// The Extensions API's version segment.
pub const EXTENSION_API_VERSION: &str = "/2020-01-01";
/// The identifier the fake API gives a registered extension.
pub const EXTENSION_ID: &str = "8c2ad3a1-5f0e-4a7e-9d1b-0f3c2e7a9b41";

/// Which Runtime API endpoint a request was for (after the prefix and `/2018-06-01`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Next,
    Response(String),
    Error(String),
    InitError,
    /// `POST /2020-01-01/extension/register` (the Extensions API).
    ExtensionRegister,
    /// `GET /2020-01-01/extension/event/next`.
    ExtensionNext,
    /// Anything else, including a path without the expected prefix.
    Unknown,
}

/// The verdict on a body checked byte by byte as it arrived, against what its invocation said
/// to expect (`Invocation::expect_body`), so that bodies of hundreds of MiB need not be kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyCheck {
    /// Every byte received was the expected one (the length is [`Request::body_len`]).
    Matched,
    /// The first byte that was not.
    Differs { offset: u64, got: u8, expected: u8 },
}

#[derive(Clone, Debug)]
pub struct Request {
    /// 1 for the first accepted connection, 2 for the second, ...
    pub connection: usize,
    pub method: String,
    /// The request target exactly as sent.
    pub path: String,
    pub route: Route,
    pub headers: Vec<(String, String)>,
    /// The body (decoded, if it was chunked): all of it, or, when it was checked as it
    /// arrived ([`Request::body_check`]), its first [`KEPT_WHEN_CHECKED`] bytes.
    pub body: Vec<u8>,
    /// The body's full length (decoded).
    pub body_len: u64,
    /// `None` unless the invocation said what to expect; then the verdict on every byte.
    pub body_check: Option<BodyCheck>,
    /// Whether the body came in chunked transfer coding (a streamed response).
    pub chunked: bool,
    /// The size of each data chunk, in order (the zero chunk that ends the body left out).
    pub chunk_sizes: Vec<usize>,
    /// The trailer fields after the zero chunk of a chunked body, as received.
    pub trailers: Vec<(String, String)>,
    pub received_at: Instant,
}

/// How much of a body checked as it arrived is kept in [`Request::body`].
pub const KEPT_WHEN_CHECKED: usize = 64 * 1024;

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first trailer field with this name (case-insensitive).
    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a streamed response: `Lambda-Runtime-Function-Response-Mode: streaming`
    /// (which the server accepts only with a chunked body).
    pub fn is_streamed(&self) -> bool {
        self.header("Lambda-Runtime-Function-Response-Mode")
            .is_some_and(|mode| mode.eq_ignore_ascii_case("streaming"))
    }

    pub fn is_post(&self) -> bool {
        matches!(
            self.route,
            Route::Response(_) | Route::Error(_) | Route::InitError
        )
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A short description for failure messages.
    pub fn summary(&self) -> String {
        let mut body = if self.body_len <= 200 && self.body_check.is_none() {
            format!("{:?}", self.body_text())
        } else {
            format!("{} bytes", self.body_len)
        };
        match self.body_check {
            None => {}
            Some(BodyCheck::Matched) => body += " (as expected)",
            Some(BodyCheck::Differs {
                offset,
                got,
                expected,
            }) => body += &format!(" (byte {offset} is {got}, expected {expected})"),
        }
        if self.chunked {
            body += &format!(" in {} chunks", self.chunk_sizes.len());
        }
        for (name, value) in &self.trailers {
            let shown: String = value.chars().take(80).collect();
            body += &format!(" trailer {name}: {shown:?}");
        }
        format!(
            "conn {} {} {} body={}",
            self.connection, self.method, self.path, body
        )
    }
}

/// Which endpoint a path is for. Ids are taken verbatim (no percent-decoding).
pub(super) fn route_of(prefix: &str, path: &str) -> Route {
    let extension = path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(EXTENSION_API_VERSION));
    match extension {
        Some("/extension/register") => return Route::ExtensionRegister,
        Some("/extension/event/next") => return Route::ExtensionNext,
        _ => {}
    }
    let Some(rest) = path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(API_VERSION))
    else {
        return Route::Unknown;
    };
    if rest == "/runtime/invocation/next" {
        return Route::Next;
    }
    if rest == "/runtime/init/error" {
        return Route::InitError;
    }
    let Some(rest) = rest.strip_prefix("/runtime/invocation/") else {
        return Route::Unknown;
    };
    let Some((id, endpoint)) = rest.split_once('/') else {
        return Route::Unknown;
    };
    match endpoint {
        _ if id.is_empty() => Route::Unknown,
        "response" => Route::Response(id.to_string()),
        "error" => Route::Error(id.to_string()),
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_recognised_under_a_prefix() {
        assert_eq!(
            route_of("/p", "/p/2018-06-01/runtime/invocation/next"),
            Route::Next
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/invocation/..%2f/response"),
            Route::Response("..%2f".into())
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/invocation/a/error"),
            Route::Error("a".into())
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/init/error"),
            Route::InitError
        );
        assert_eq!(
            route_of("/p", "/2018-06-01/runtime/invocation/next"),
            Route::Unknown
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/invocation//response"),
            Route::Unknown
        );
    }
}
