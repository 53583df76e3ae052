//! Application Load Balancer: a target group's request to a Lambda target, and the answer.
//!
//! With the target group's multi-value headers on, ALB sends `multiValueHeaders` and
//! `multiValueQueryStringParameters` (and wants `multiValueHeaders` back); otherwise
//! `headers` and `queryStringParameters`, the last value of each. Unlike API Gateway, ALB
//! passes query parameters as the client sent them, still percent-encoded.

use serde::{Deserialize, Serialize};

use super::{InPlace, List, MAX_HEADERS, MAX_PARAMETERS, MAX_VALUES, Map};

/// A request to a Lambda target of a load balancer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbRequest<'a> {
    /// `GET`, `POST`, ...
    pub http_method: &'a str,
    /// The path.
    #[serde(default)]
    pub path: Option<&'a str>,
    /// The query string, the last value of each name (without multi-value headers).
    #[serde(default, borrow)]
    pub query_string_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    /// The query string, every value of each name (with multi-value headers).
    #[serde(default, borrow)]
    pub multi_value_query_string_parameters: Map<'a, List<&'a str, MAX_VALUES>, MAX_PARAMETERS>,
    /// Names in lower case, the last value of each (without multi-value headers).
    #[serde(default, borrow)]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    /// Names in lower case, every value of each (with multi-value headers).
    #[serde(default, borrow)]
    pub multi_value_headers: Map<'a, List<&'a str, MAX_VALUES>, MAX_HEADERS>,
    /// Which target group.
    #[serde(borrow)]
    pub request_context: AlbRequestContext<'a>,
    /// Base64 when `is_base64_encoded`: see [`super::body`].
    #[serde(default, borrow)]
    pub body: Option<InPlace<'a>>,
    /// Whether `body` is base64 (ALB encodes bodies it does not see as text); `false` when
    /// null or absent.
    #[serde(default, deserialize_with = "super::null_is_false")]
    pub is_base64_encoded: bool,
}

/// An ALB request's `requestContext`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbRequestContext<'a> {
    /// The load balancer's part.
    #[serde(borrow)]
    pub elb: ElbContext<'a>,
}

/// `requestContext.elb`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElbContext<'a> {
    /// The target group's ARN.
    #[serde(default)]
    pub target_group_arn: Option<&'a str>,
}

/// The answer to a load balancer. `B` is the body's type (see
/// [`super::http::HttpResponse`]). Fill `multi_value_headers` when the target group has
/// multi-value headers on, `headers` otherwise: ALB reads only the one it expects.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AlbResponse<'a, B = &'a str> {
    /// The HTTP status.
    pub status_code: u16,
    /// The status line's text, e.g. `200 OK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<&'a str>,
    /// Headers, one value each.
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    /// Headers, every value of each.
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub multi_value_headers: Map<'a, List<&'a str, MAX_VALUES>, MAX_HEADERS>,
    /// The body; base64 when `is_base64_encoded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<B>,
    /// Whether `body` is base64, for binary bodies.
    #[serde(default)]
    pub is_base64_encoded: bool,
}

impl<'a, B> AlbResponse<'a, B> {
    /// A response with this status and body, no description or headers.
    pub fn new(status_code: u16, body: B) -> Self {
        AlbResponse {
            status_code,
            status_description: None,
            headers: Map::new(),
            multi_value_headers: Map::new(),
            body: Some(body),
            is_base64_encoded: false,
        }
    }
}
