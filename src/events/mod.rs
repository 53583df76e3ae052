//! Event types (feature `events`): borrowed, `no_std`, zero-copy types for the sources most
//! functions serve, for `main!(json ...)` handlers. Strings borrow from the event buffer.
//! Parts many handlers never read (authorizers, DynamoDB items) are [`Lazy`]: parsed in place
//! on request, their code linked only if they are; values of shapes that vary (claims, an
//! authorizer's context) are [`JsonValue`]s; an EventBridge event's `detail` is the handler's
//! type, or [`RawJson`].
//!
//! A batch's records (SQS, S3) and an EventBridge event's resources are [`Records`]: read one
//! at a time as the handler iterates, any number of them, with the stack of one; a record that
//! does not parse is that record's failure, not the batch's ([`batch::answer`] writes the
//! partial batch response). Objects of names (headers, query strings, attributes) and short
//! lists (cookies) are held in fixed capacities; an event with more is refused with an error
//! that names the field and the capacity, never cut short:
//!
//! | what | capacity |
//! |---|---|
//! | SQS, SNS, S3, DynamoDB and Kinesis records, EventBridge resources | any number ([`Records`]) |
//! | headers, multi-value headers | [`MAX_HEADERS`] (64) |
//! | query string / path parameters, stage variables | [`MAX_PARAMETERS`] (32) |
//! | cookies (request and response) | [`MAX_COOKIES`] (32) |
//! | values of one multi-value header or parameter | [`MAX_VALUES`] (8) |
//! | SQS attributes / message attributes | [`sqs::MAX_ATTRIBUTES`] (16) / [`sqs::MAX_MESSAGE_ATTRIBUTES`] (10, SQS's limit) |
//! | values of one SQS list attribute | [`sqs::MAX_LIST_VALUES`] (8) |
//! | S3 request parameters / response elements | 4 / 4 |
//! | SNS message attributes | [`sns::MAX_MESSAGE_ATTRIBUTES`] (10, SNS's limit) |
//! | claims, authorizer context entries / JWT scopes / Cognito `amr` | [`authorizer::MAX_CLAIMS`] (32) / [`authorizer::MAX_SCOPES`] (16) / [`authorizer::MAX_AMR`] (8) |
//! | DynamoDB item attributes / list or set elements (each parsed on request) | [`dynamodb::MAX_ATTRIBUTES`] (64) / [`dynamodb::MAX_ELEMENTS`] (64) |
//! | failures in an [`sqs::SqsBatchResponse`] | `N`, default 10 ([`batch::BatchItemFailures`]: any number) |

pub mod alb;
pub mod apigw;
pub mod authorizer;
pub mod base64;
pub mod batch;
pub mod body;
pub mod dynamodb;
pub mod eventbridge;
pub mod http;
pub mod identity;
pub mod kinesis;
pub mod lazy;
pub mod map;
pub mod records;
pub mod s3;
pub mod sns;
pub mod sqs;
pub mod value;

pub use crate::typed::{InPlace, RawJson};
pub use lazy::Lazy;
pub use map::Map;
pub use records::{BadRecord, Record, Records};
pub use value::JsonValue;

/// Most headers (or multi-value headers) an HTTP event or response holds.
pub const MAX_HEADERS: usize = 64;
/// Most query string or path parameters, or stage variables.
pub const MAX_PARAMETERS: usize = 32;
/// Most cookies in a request or a response.
pub const MAX_COOKIES: usize = 32;
/// Most values of one multi-value header or parameter.
pub const MAX_VALUES: usize = 8;

/// A `bool` that AWS may send as `null` (a REST request's `isBase64Encoded`): `false` then.
fn null_is_false<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    <Option<bool> as serde::Deserialize>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// A fixed-capacity list; more elements than `N` is a deserialization error.
pub type List<T, const N: usize> = heapless::Vec<T, N>;

#[cfg(test)]
mod aws_samples;
#[cfg(test)]
mod samples;
#[cfg(test)]
mod tests;
