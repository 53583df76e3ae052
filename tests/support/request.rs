//! What the fake API records: each [`Request`] the bootstrap sent, and the Runtime API
//! endpoint ([`Route`]) its path names, so tests can assert on exactly what was sent.

use std::time::Instant;

/// The API version segment every Runtime API path starts with (after the optional prefix).
pub const API_VERSION: &str = "/2018-06-01";

/// Which Runtime API endpoint a request was for (after the prefix and `/2018-06-01`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Next,
    Response(String),
    Error(String),
    InitError,
    /// Anything else, including a path without the expected prefix.
    Unknown,
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
    pub body: Vec<u8>,
    pub received_at: Instant,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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
        let body = if self.body.len() <= 200 {
            format!("{:?}", self.body_text())
        } else {
            format!("{} bytes", self.body.len())
        };
        format!(
            "conn {} {} {} body={}",
            self.connection, self.method, self.path, body
        )
    }
}

/// Which endpoint a path is for. Ids are taken verbatim (no percent-decoding).
pub(super) fn route_of(prefix: &str, path: &str) -> Route {
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
