//! API Gateway HTTP APIs (payload format 2.0) and Lambda function URLs, which send the same
//! request and take the same response.

use serde::{Deserialize, Serialize};

use super::{InPlace, List, MAX_COOKIES, MAX_HEADERS, MAX_PARAMETERS, Map, RawJson};

/// A request to an HTTP API (payload 2.0) or a function URL.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequest<'a> {
    pub version: &'a str,
    /// `$default` for function URLs.
    pub route_key: &'a str,
    pub raw_path: &'a str,
    /// Still percent-encoded.
    pub raw_query_string: &'a str,
    #[serde(default, borrow)]
    pub cookies: Option<List<&'a str, MAX_COOKIES>>,
    /// Names in lower case; repeated headers joined with commas.
    #[serde(default, borrow)]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    #[serde(default, borrow)]
    pub query_string_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    #[serde(default, borrow)]
    pub path_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    #[serde(default, borrow)]
    pub stage_variables: Map<'a, &'a str, MAX_PARAMETERS>,
    #[serde(borrow)]
    pub request_context: HttpRequestContext<'a>,
    /// Base64 when `is_base64_encoded`: see [`super::body`].
    #[serde(default, borrow)]
    pub body: Option<InPlace<'a>>,
    #[serde(default)]
    pub is_base64_encoded: bool,
}

/// A function URL's request: the HTTP API's payload 2.0.
pub type FunctionUrlRequest<'a> = HttpRequest<'a>;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequestContext<'a> {
    pub account_id: &'a str,
    pub api_id: &'a str,
    /// Mutual TLS: the client certificate, when the API asks for one.
    #[serde(default, borrow)]
    pub authentication: Option<RawJson<'a>>,
    /// JWT, IAM or Lambda authorizer output: its shape depends on the authorizer.
    #[serde(default, borrow)]
    pub authorizer: Option<RawJson<'a>>,
    pub domain_name: &'a str,
    pub domain_prefix: &'a str,
    #[serde(borrow)]
    pub http: HttpDescription<'a>,
    pub request_id: &'a str,
    pub route_key: &'a str,
    pub stage: &'a str,
    pub time: &'a str,
    pub time_epoch: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpDescription<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub protocol: &'a str,
    pub source_ip: &'a str,
    pub user_agent: &'a str,
}

/// The answer to an HTTP API (payload 2.0) or function URL request. `B` is the body's type:
/// `&str` borrowed from the event or a `'static`, or a `heapless::String` the handler built.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse<'a, B = &'a str> {
    pub status_code: u16,
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    #[serde(default, borrow, skip_serializing_if = "List::is_empty")]
    pub cookies: List<&'a str, MAX_COOKIES>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<B>,
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
