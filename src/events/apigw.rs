//! API Gateway REST APIs (payload format 1.0; also HTTP APIs set to 1.0).

use serde::{Deserialize, Serialize};

use super::authorizer::ApiGatewayAuthorizer;
use super::identity::ApiGatewayIdentity;
use super::{InPlace, Lazy, List, MAX_HEADERS, MAX_PARAMETERS, MAX_VALUES, Map};

/// A REST API's proxy integration request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayRequest<'a> {
    /// The resource's path template, e.g. `/items/{id}`.
    pub resource: &'a str,
    /// The request's path.
    pub path: &'a str,
    /// `GET`, `POST`, ...
    pub http_method: &'a str,
    /// The headers, the last value of each; at most [`MAX_HEADERS`].
    #[serde(default, borrow)]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    /// The headers, every value of each; at most [`MAX_HEADERS`], [`MAX_VALUES`] each.
    #[serde(default, borrow)]
    pub multi_value_headers: Map<'a, List<&'a str, MAX_VALUES>, MAX_HEADERS>,
    /// The query string, the last value of each name; at most [`MAX_PARAMETERS`].
    #[serde(default, borrow)]
    pub query_string_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    /// The query string, every value of each name; at most [`MAX_PARAMETERS`], [`MAX_VALUES`]
    /// each.
    #[serde(default, borrow)]
    pub multi_value_query_string_parameters: Map<'a, List<&'a str, MAX_VALUES>, MAX_PARAMETERS>,
    /// The values of the resource's `{parameters}`; at most [`MAX_PARAMETERS`].
    #[serde(default, borrow)]
    pub path_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    /// The stage's variables; at most [`MAX_PARAMETERS`].
    #[serde(default, borrow)]
    pub stage_variables: Map<'a, &'a str, MAX_PARAMETERS>,
    /// Who called, through which API and stage.
    #[serde(borrow)]
    pub request_context: ApiGatewayRequestContext<'a>,
    /// Base64 when `is_base64_encoded`: see [`super::body`].
    #[serde(default, borrow)]
    pub body: Option<InPlace<'a>>,
    /// Whether `body` is base64 (binary media types); `false` when null or absent.
    #[serde(default, deserialize_with = "super::null_is_false")]
    pub is_base64_encoded: bool,
}

/// A REST API request's `requestContext`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayRequestContext<'a> {
    /// The API owner's AWS account.
    pub account_id: &'a str,
    /// The resource's id.
    pub resource_id: &'a str,
    /// The path, with the stage; absent from the console's test requests.
    #[serde(default)]
    pub path: Option<&'a str>,
    /// The deployment stage.
    pub stage: &'a str,
    /// The host the caller used; absent from the console's test requests.
    #[serde(default)]
    pub domain_name: Option<&'a str>,
    /// The first label of `domain_name`.
    #[serde(default)]
    pub domain_prefix: Option<&'a str>,
    /// API Gateway's id of the request (not the invocation's).
    pub request_id: &'a str,
    /// E.g. `HTTP/1.1`; absent from the console's test requests.
    #[serde(default)]
    pub protocol: Option<&'a str>,
    /// The caller: source IP, user agent, and what IAM, Cognito or an API key say.
    #[serde(default, borrow)]
    pub identity: ApiGatewayIdentity<'a>,
    /// A Lambda or Cognito authorizer's output, deserialized when the handler asks
    /// ([`Lazy::parse`]).
    #[serde(default, borrow)]
    pub authorizer: Lazy<'a, ApiGatewayAuthorizer<'a>>,
    /// The resource's path template.
    pub resource_path: &'a str,
    /// The method.
    pub http_method: &'a str,
    /// When the request arrived, as text (CLF format); absent from the console's test
    /// requests.
    #[serde(default)]
    pub request_time: Option<&'a str>,
    /// When the request arrived, in epoch milliseconds; absent from the console's test
    /// requests.
    #[serde(default)]
    pub request_time_epoch: Option<i64>,
    /// The API's id.
    pub api_id: &'a str,
}

/// A REST API's proxy integration response. `B` is the body's type (see
/// [`super::http::HttpResponse`]).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayResponse<'a, B = &'a str> {
    /// The HTTP status.
    pub status_code: u16,
    /// Headers, one value each; at most [`MAX_HEADERS`].
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    /// Headers with several values; at most [`MAX_HEADERS`], [`MAX_VALUES`] each.
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub multi_value_headers: Map<'a, List<&'a str, MAX_VALUES>, MAX_HEADERS>,
    /// The body; base64 when `is_base64_encoded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<B>,
    /// Whether `body` is base64, for binary bodies.
    #[serde(default)]
    pub is_base64_encoded: bool,
}
