//! What an API Gateway authorizer says about the caller: a REST API's `authorizer` (a Lambda
//! authorizer's `principalId` and context, or a Cognito user pool's `claims`) and an HTTP
//! API's (`jwt`, `iam` or `lambda`). Claims and context values are [`JsonValue`]s: Lambda
//! authorizers may put numbers and booleans in their context, and a REST API passes them on
//! as they are.

use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{JsonValue, List, Map};

/// Most claims of a token, or entries of an authorizer's context.
pub const MAX_CLAIMS: usize = 32;
/// Most scopes of a JWT.
pub const MAX_SCOPES: usize = 16;
/// Most authentication methods (`amr`) of a Cognito identity.
pub const MAX_AMR: usize = 8;

/// A REST API request's `requestContext.authorizer`. The object is flat: `principalId`,
/// `claims` and `integrationLatency` are API Gateway's names, any other entry is the
/// context a Lambda authorizer returned.
#[derive(Debug, Default)]
pub struct ApiGatewayAuthorizer<'a> {
    /// A Lambda authorizer's principal.
    pub principal_id: Option<&'a str>,
    /// A Cognito user pool authorizer's token claims (`sub`, `email`, `cognito:username`, ...).
    pub claims: Map<'a, JsonValue<'a>, MAX_CLAIMS>,
    /// How long the authorizer took, in milliseconds.
    pub integration_latency: Option<i64>,
    /// A Lambda authorizer's `context`: every other entry.
    pub context: Map<'a, JsonValue<'a>, MAX_CLAIMS>,
}

impl<'de: 'a, 'a> Deserialize<'de> for ApiGatewayAuthorizer<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_option(Entries)
    }
}

/// Reads a REST authorizer's entries; `null` is an authorizer that said nothing.
struct Entries;

impl<'de> Visitor<'de> for Entries {
    type Value = ApiGatewayAuthorizer<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ApiGatewayAuthorizer::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ApiGatewayAuthorizer::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut authorizer = ApiGatewayAuthorizer::default();
        while let Some(name) = access.next_key::<&'de str>()? {
            match name {
                "principalId" => authorizer.principal_id = access.next_value()?,
                "claims" => authorizer.claims = access.next_value()?,
                "integrationLatency" => authorizer.integration_latency = access.next_value()?,
                _ => {
                    let value = access.next_value()?;
                    if authorizer.context.push(name, value).is_err() {
                        return Err(de::Error::invalid_length(
                            MAX_CLAIMS + 1,
                            &"the context's capacity",
                        ));
                    }
                }
            }
        }
        Ok(authorizer)
    }
}

/// An HTTP API request's `requestContext.authorizer`: the part of the authorizer the route
/// has.
#[derive(Debug, Default, Deserialize)]
pub struct HttpAuthorizer<'a> {
    /// A JWT authorizer's token.
    #[serde(default, borrow)]
    pub jwt: Option<JwtDescription<'a>>,
    /// IAM authorization: the signing principal.
    #[serde(default, borrow)]
    pub iam: Option<IamDescription<'a>>,
    /// A Lambda authorizer's context.
    #[serde(default, borrow)]
    pub lambda: Map<'a, JsonValue<'a>, MAX_CLAIMS>,
}

/// A JWT authorizer's token: `authorizer.jwt`.
#[derive(Debug, Default, Deserialize)]
pub struct JwtDescription<'a> {
    /// Its claims.
    #[serde(default, borrow)]
    pub claims: Map<'a, JsonValue<'a>, MAX_CLAIMS>,
    /// Its scopes, when it has any.
    #[serde(default, borrow)]
    pub scopes: Option<List<&'a str, MAX_SCOPES>>,
}

/// IAM authorization's principal: `authorizer.iam`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IamDescription<'a> {
    /// The access key that signed the request.
    #[serde(default)]
    pub access_key: Option<&'a str>,
    /// The principal's account.
    #[serde(default)]
    pub account_id: Option<&'a str>,
    /// The principal's id.
    #[serde(default)]
    pub caller_id: Option<&'a str>,
    /// Cognito identity pools: the identity.
    #[serde(default, borrow)]
    pub cognito_identity: Option<CognitoIdentity<'a>>,
    /// The principal's organization.
    #[serde(default)]
    pub principal_org_id: Option<&'a str>,
    /// The user's ARN.
    #[serde(default)]
    pub user_arn: Option<&'a str>,
    /// The user's id.
    #[serde(default)]
    pub user_id: Option<&'a str>,
}

/// A Cognito identity pool's identity.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CognitoIdentity<'a> {
    /// How it authenticated.
    #[serde(default, borrow)]
    pub amr: List<&'a str, MAX_AMR>,
    /// The identity's id.
    #[serde(default)]
    pub identity_id: Option<&'a str>,
    /// The pool's id.
    #[serde(default)]
    pub identity_pool_id: Option<&'a str>,
}
