//! Who called a REST API (payload 1.0): `requestContext.identity`. Every field is optional:
//! API Gateway sends `null` for what the request's authorization does not give (an API
//! key's, Cognito's or IAM's), and its console's test requests leave out more.

use serde::Deserialize;

use super::JsonValue;

/// A REST API request's `requestContext.identity`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayIdentity<'a> {
    /// The caller's IP address (the last `X-Forwarded-For` hop API Gateway trusts).
    #[serde(default)]
    pub source_ip: Option<&'a str>,
    /// The `User-Agent` header.
    #[serde(default)]
    pub user_agent: Option<&'a str>,
    /// IAM: the principal that signed the request.
    #[serde(default)]
    pub caller: Option<&'a str>,
    /// IAM: the user's id.
    #[serde(default)]
    pub user: Option<&'a str>,
    /// IAM: the user's ARN.
    #[serde(default)]
    pub user_arn: Option<&'a str>,
    /// IAM: the account of the signing principal.
    #[serde(default)]
    pub account_id: Option<&'a str>,
    /// IAM: the access key that signed the request.
    #[serde(default)]
    pub access_key: Option<&'a str>,
    /// The API key, for a method that requires one.
    #[serde(default)]
    pub api_key: Option<&'a str>,
    /// The API key's id.
    #[serde(default)]
    pub api_key_id: Option<&'a str>,
    /// Cognito identity pools: the identity's id.
    #[serde(default)]
    pub cognito_identity_id: Option<&'a str>,
    /// Cognito identity pools: the pool's id.
    #[serde(default)]
    pub cognito_identity_pool_id: Option<&'a str>,
    /// Cognito identity pools: `authenticated` or `unauthenticated`.
    #[serde(default)]
    pub cognito_authentication_type: Option<&'a str>,
    /// Cognito identity pools: the provider that authenticated the caller.
    #[serde(default)]
    pub cognito_authentication_provider: Option<&'a str>,
    /// Mutual TLS: the client certificate (`clientCert`), as API Gateway describes it.
    #[serde(default, borrow)]
    pub client_cert: Option<JsonValue<'a>>,
}
