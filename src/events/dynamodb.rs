//! DynamoDB Streams: a batch of changes to a table's items.
//!
//! Attribute values come typed, as DynamoDB writes them (`{"S": "text"}`, `{"N": "1.5"}`,
//! ...). An item (`Keys`, `NewImage`, `OldImage`) and the nested values of a map, a list or
//! a set are [`Lazy`]: deserialized in place when the handler asks, into [`Item`] (names and
//! values, up to [`MAX_ATTRIBUTES`]) or into a struct of its own whose fields are
//! [`AttributeValue`]s (`image.parse_as::<Order>()`).

use serde::Deserialize;

use super::base64::Base64;
use super::{Lazy, List, Map, Record, Records};

/// Most attributes of an [`Item`] (or of an `M` value).
pub const MAX_ATTRIBUTES: usize = 64;
/// Most elements of an `L` value, or of an `SS`, `NS` or `BS` set.
pub const MAX_ELEMENTS: usize = 64;

/// A batch of changes, of any size: each is parsed when the iteration reaches it, and one
/// that does not parse is that change's failure (see [`super::batch::answer`]).
#[derive(Debug, Deserialize)]
pub struct DynamoDbEvent<'a> {
    /// The changes (`Records`).
    #[serde(rename = "Records", borrow)]
    pub records: Records<'a, DynamoDbRecord<'a>>,
}

/// One change to one item.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamoDbRecord<'a> {
    /// The change's id.
    #[serde(rename = "eventID")]
    pub event_id: &'a str,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: &'a str,
    /// The table's region.
    pub aws_region: &'a str,
    /// `aws:dynamodb`.
    #[serde(default)]
    pub event_source: Option<&'a str>,
    /// The stream record format's version, e.g. `1.1`.
    #[serde(default)]
    pub event_version: Option<&'a str>,
    /// The stream's ARN.
    #[serde(default, rename = "eventSourceARN")]
    pub event_source_arn: Option<&'a str>,
    /// Who made the change, when it was DynamoDB itself (TTL expiry).
    #[serde(default, borrow)]
    pub user_identity: Option<UserIdentity<'a>>,
    /// `application/json` (Kinesis Data Streams for DynamoDB).
    #[serde(default)]
    pub record_format: Option<&'a str>,
    /// The table (Kinesis Data Streams for DynamoDB).
    #[serde(default)]
    pub table_name: Option<&'a str>,
    /// The change itself.
    #[serde(borrow)]
    pub dynamodb: StreamRecord<'a>,
}

/// A change is named by its sequence number in the partial batch response.
impl Record for DynamoDbRecord<'_> {
    const ID: &'static [&'static str] = &["dynamodb", "SequenceNumber"];
}

/// Who made a change.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    /// `Service`.
    #[serde(default, rename = "type")]
    pub identity_type: &'a str,
    /// `dynamodb.amazonaws.com`.
    #[serde(default)]
    pub principal_id: &'a str,
}

/// The change: `dynamodb`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamRecord<'a> {
    /// When it was made, in epoch seconds.
    #[serde(default)]
    pub approximate_creation_date_time: Option<f64>,
    /// The item's key attributes.
    #[serde(default, borrow)]
    pub keys: Lazy<'a, Item<'a>>,
    /// The item after the change, when the stream's view type includes it.
    #[serde(default, borrow)]
    pub new_image: Lazy<'a, Item<'a>>,
    /// The item before the change, when the stream's view type includes it.
    #[serde(default, borrow)]
    pub old_image: Lazy<'a, Item<'a>>,
    /// The change's place in the stream: what a partial batch response names.
    #[serde(default)]
    pub sequence_number: Option<&'a str>,
    /// The record's size.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
    #[serde(default)]
    pub stream_view_type: Option<&'a str>,
}

/// An item: attribute names and values, up to [`MAX_ATTRIBUTES`].
pub type Item<'a> = Map<'a, AttributeValue<'a>, MAX_ATTRIBUTES>;

/// One attribute's value, of one of DynamoDB's types.
#[derive(Debug, Deserialize)]
pub enum AttributeValue<'a> {
    /// A string.
    S(&'a str),
    /// A number, as DynamoDB writes it (up to 38 digits: parse it as the handler needs).
    N(&'a str),
    /// Binary, base64.
    #[serde(borrow)]
    B(Base64<'a>),
    /// A set of strings.
    #[serde(borrow)]
    SS(Lazy<'a, List<&'a str, MAX_ELEMENTS>>),
    /// A set of numbers, as written.
    #[serde(borrow)]
    NS(Lazy<'a, List<&'a str, MAX_ELEMENTS>>),
    /// A set of binaries, base64.
    #[serde(borrow)]
    BS(Lazy<'a, List<Base64<'a>, MAX_ELEMENTS>>),
    /// A map of names to values.
    #[serde(borrow)]
    M(Lazy<'a, Item<'a>>),
    /// A list of values.
    #[serde(borrow)]
    L(Lazy<'a, List<AttributeValue<'a>, MAX_ELEMENTS>>),
    /// `NULL`: always `true`.
    #[serde(rename = "NULL")]
    Null(bool),
    /// A boolean (`BOOL`).
    #[serde(rename = "BOOL")]
    Bool(bool),
}

impl<'a> AttributeValue<'a> {
    /// The string, if it is an `S`.
    pub fn as_s(&self) -> Option<&'a str> {
        match *self {
            AttributeValue::S(text) => Some(text),
            _ => None,
        }
    }

    /// The number's text, if it is an `N`.
    pub fn as_n(&self) -> Option<&'a str> {
        match *self {
            AttributeValue::N(text) => Some(text),
            _ => None,
        }
    }

    /// The boolean, if it is a `BOOL`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            AttributeValue::Bool(b) => Some(b),
            _ => None,
        }
    }
}
