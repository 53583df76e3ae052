//! API Gateway REST APIs (payload format 1.0; also HTTP APIs set to 1.0).

use serde::{Deserialize, Serialize};

use super::{InPlace, List, MAX_HEADERS, MAX_PARAMETERS, MAX_VALUES, Map, RawJson};

/// A REST API's proxy integration request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayRequest<'a> {
    pub resource: &'a str,
    pub path: &'a str,
    pub http_method: &'a str,
    #[serde(default, borrow)]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    #[serde(default, borrow)]
    pub multi_value_headers: Map<'a, List<&'a str, MAX_VALUES>, MAX_HEADERS>,
    #[serde(default, borrow)]
    pub query_string_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    #[serde(default, borrow)]
    pub multi_value_query_string_parameters: Map<'a, List<&'a str, MAX_VALUES>, MAX_PARAMETERS>,
    #[serde(default, borrow)]
    pub path_parameters: Map<'a, &'a str, MAX_PARAMETERS>,
    #[serde(default, borrow)]
    pub stage_variables: Map<'a, &'a str, MAX_PARAMETERS>,
    #[serde(borrow)]
    pub request_context: ApiGatewayRequestContext<'a>,
    /// Base64 when `is_base64_encoded`: see [`super::body`].
    #[serde(default, borrow)]
    pub body: Option<InPlace<'a>>,
    #[serde(default)]
    pub is_base64_encoded: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayRequestContext<'a> {
    pub account_id: &'a str,
    pub resource_id: &'a str,
    pub path: &'a str,
    pub stage: &'a str,
    pub domain_name: &'a str,
    #[serde(default)]
    pub domain_prefix: Option<&'a str>,
    pub request_id: &'a str,
    pub protocol: &'a str,
    /// The caller's identity (Cognito, IAM, API key, source IP): many optional fields.
    #[serde(borrow)]
    pub identity: RawJson<'a>,
    /// A custom or Cognito authorizer's output: its shape depends on the authorizer.
    #[serde(default, borrow)]
    pub authorizer: Option<RawJson<'a>>,
    pub resource_path: &'a str,
    pub http_method: &'a str,
    pub request_time: &'a str,
    pub request_time_epoch: i64,
    pub api_id: &'a str,
}

/// A REST API's proxy integration response. `B` is the body's type (see
/// [`super::http::HttpResponse`]).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayResponse<'a, B = &'a str> {
    pub status_code: u16,
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<'a, &'a str, MAX_HEADERS>,
    #[serde(default, borrow, skip_serializing_if = "Map::is_empty")]
    pub multi_value_headers: Map<'a, List<&'a str, MAX_VALUES>, MAX_HEADERS>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<B>,
    #[serde(default)]
    pub is_base64_encoded: bool,
}
