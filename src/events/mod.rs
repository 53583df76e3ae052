//! Event types (feature `events`): borrowed, `no_std`, zero-copy types for the sources most
//! functions serve, for `main!(json ...)` handlers. Strings borrow from the event buffer;
//! shapes that vary (authorizers, an EventBridge event's `detail`) are [`RawJson`].
//!
//! Objects of names (headers, query strings, attributes) and lists (records, cookies) are held
//! in fixed capacities, given with each type and const-generic where a deployment may need
//! more (a batch's records); an event with more is refused with an error that names the field
//! and the capacity, never cut short:
//!
//! | what | capacity |
//! |---|---|
//! | headers, multi-value headers | [`MAX_HEADERS`] (64) |
//! | query string / path parameters, stage variables | [`MAX_PARAMETERS`] (32) |
//! | cookies (request and response) | [`MAX_COOKIES`] (32) |
//! | values of one multi-value header or parameter | [`MAX_VALUES`] (8) |
//! | SQS records | `N`, default 10 (SQS's default batch size) |
//! | SQS attributes / message attributes | 16 / [`sqs::MAX_MESSAGE_ATTRIBUTES`] (10, SQS's limit) |
//! | S3 records | `N`, default 1 (S3 sends one) |
//! | EventBridge resources | [`eventbridge::MAX_RESOURCES`] (16) |

pub mod alb;
pub mod apigw;
pub mod authorizer;
pub mod base64;
pub mod body;
pub mod eventbridge;
pub mod http;
pub mod identity;
pub mod kinesis;
pub mod lazy;
pub mod map;
pub mod s3;
pub mod sns;
pub mod sqs;
pub mod value;

pub use crate::typed::{InPlace, RawJson};
pub use lazy::Lazy;
pub use map::Map;
pub use value::JsonValue;

/// Most headers (or multi-value headers) an HTTP event or response holds.
pub const MAX_HEADERS: usize = 64;
/// Most query string or path parameters, or stage variables.
pub const MAX_PARAMETERS: usize = 32;
/// Most cookies in a request or a response.
pub const MAX_COOKIES: usize = 32;
/// Most values of one multi-value header or parameter.
pub const MAX_VALUES: usize = 8;

/// A fixed-capacity list; more elements than `N` is a deserialization error.
pub type List<T, const N: usize> = heapless::Vec<T, N>;

#[cfg(test)]
mod aws_samples;
#[cfg(test)]
mod tests;
