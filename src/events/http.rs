//! API Gateway HTTP APIs (payload format 2.0) and Lambda function URLs, which send the same
//! request and take the same response.

use serde::{Deserialize, Serialize};

use super::authorizer::HttpAuthorizer;
use super::{InPlace, Lazy, List, MAX_COOKIES, MAX_HEADERS, MAX_PARAMETERS, Map, RawJson};

/// A request to an HTTP API (payload 2.0) or a function URL.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequest<'a> {
    /// The payload format: `2.0`.
    pub version: &'a str,
    /// `$default` for function URLs.
    pub route_key: &'a str,
    /// The path, as sent.
    pub raw_path: &'a str,
    /// Still percent-encoded; `None` when null or absent (cargo-lambda's emulator sends null
    /// for no query string).
    #[serde(default)]
    pub raw_query_string: Option<&'a str>,
    /// The `Cookie` header, one entry per cookie; at most [`MAX_COOKIES`].
    #[serde(default, borrow)]
    pub cookies: Option<List<&'a str, MAX_COOKIES>>,
    /// Names in lower case; repeated headers joined with commas; at most [`MAX_HEADERS`].
    #[serde(default, borrow)]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    /// The query string, decoded; repeated names joined with commas; at most
    /// [`MAX_PARAMETERS`].
    #[serde(default, borrow)]
    pub query_string_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    /// The values of the route's `{parameters}`; at most [`MAX_PARAMETERS`].
    #[serde(default, borrow)]
    pub path_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    /// The stage's variables; at most [`MAX_PARAMETERS`].
    #[serde(default, borrow)]
    pub stage_variables: Map<'a, &'a str, MAX_PARAMETERS>,
    /// Who called, through which API and stage.
    #[serde(borrow)]
    pub request_context: HttpRequestContext<'a>,
    /// Base64 when `is_base64_encoded`: see [`super::body`].
    #[serde(default, borrow)]
    pub body: Option<InPlace<'a>>,
    /// Whether `body` is base64 (a binary body).
    #[serde(default)]
    pub is_base64_encoded: bool,
}

/// A function URL's request: the HTTP API's payload 2.0.
pub type FunctionUrlRequest<'a> = HttpRequest<'a>;

/// An HTTP API or function URL request's `requestContext`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequestContext<'a> {
    /// The function owner's AWS account (null from cargo-lambda's emulator).
    #[serde(default)]
    pub account_id: Option<&'a str>,
    /// The API's (or URL's) id (null from cargo-lambda's emulator).
    #[serde(default)]
    pub api_id: Option<&'a str>,
    /// Mutual TLS: the client certificate, when the API asks for one.
    #[serde(default, borrow)]
    pub authentication: Option<RawJson<'a>>,
    /// What the route's JWT, IAM or Lambda authorizer says about the caller, deserialized when
    /// the handler asks ([`Lazy::parse`]).
    #[serde(default, borrow)]
    pub authorizer: Lazy<'a, HttpAuthorizer<'a>>,
    /// The host the caller used.
    pub domain_name: &'a str,
    /// The first label of `domain_name`.
    pub domain_prefix: &'a str,
    /// The HTTP request itself.
    #[serde(borrow)]
    pub http: HttpDescription<'a>,
    /// The service's id of the request (not the invocation's).
    pub request_id: &'a str,
    /// The matched route.
    pub route_key: &'a str,
    /// The deployment stage (`$default` for function URLs).
    pub stage: &'a str,
    /// When the request arrived, as text.
    pub time: &'a str,
    /// When the request arrived, in epoch milliseconds.
    pub time_epoch: i64,
}

/// The HTTP request: `requestContext.http`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpDescription<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path.
    pub path: &'a str,
    /// E.g. `HTTP/1.1`.
    pub protocol: &'a str,
    /// The caller's IP address.
    pub source_ip: &'a str,
    /// The `User-Agent` header; null or absent when the caller sent none.
    #[serde(default)]
    pub user_agent: Option<&'a str>,
}

/// The answer to an HTTP API (payload 2.0) or function URL request. `B` is the body's type:
/// `&str` borrowed from the event or a `'static`, or a `heapless::String` the handler built.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse<'a, B = &'a str> {
    /// The HTTP status.
    pub status_code: u16,
    /// Headers; repeat one by joining its values with commas; at most [`MAX_HEADERS`].
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    /// `Set-Cookie` values, one per cookie, at most [`MAX_COOKIES`]. Always written, `[]` when empty: Lambda takes a
    /// response without it, but cargo-lambda's emulator answers such a function URL response
    /// with a 500 (it reads the field as aws_lambda_events does, where it is required).
    #[serde(default, borrow)]
    pub cookies: List<&'a str, MAX_COOKIES>,
    /// The body; base64 when `is_base64_encoded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<B>,
    /// Whether `body` is base64, for binary bodies.
    #[serde(default)]
    pub is_base64_encoded: bool,
}

impl<'a, B> HttpResponse<'a, B> {
    /// A response with this status and body, no headers or cookies.
    pub fn new(status_code: u16, body: B) -> Self {
        HttpResponse {
            status_code,
            headers: Map::new(),
            cookies: List::new(),
            body: Some(body),
            is_base64_encoded: false,
        }
    }
}

/// A function URL's answer.
pub type FunctionUrlResponse<'a, B = &'a str> = HttpResponse<'a, B>;
