//! SQS: a batch of messages, and the partial batch response that names the ones that failed.

use serde::{Deserialize, Serialize};

use super::{InPlace, List, Map, Record, Records};

/// SQS's limit on message attributes.
pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;
/// Room for a message's system attributes (SQS sends up to about a dozen).
pub const MAX_ATTRIBUTES: usize = 16;
/// Values of one list attribute.
pub const MAX_LIST_VALUES: usize = 8;

/// A batch of messages, of any size: each is parsed when the iteration reaches it
/// (`for message in event.records`), and one that does not parse is that message's failure
/// (see [`super::batch::answer`]).
#[derive(Debug, Deserialize)]
pub struct SqsEvent<'a> {
    /// The messages (`Records`).
    #[serde(rename = "Records", borrow)]
    pub records: Records<'a, SqsMessage<'a>>,
}

/// One message of a batch.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsMessage<'a> {
    /// Its id; name it in a [`BatchItemFailure`] to retry it.
    pub message_id: &'a str,
    /// The handle to delete or change its visibility with.
    pub receipt_handle: &'a str,
    /// Its body: text ([`InPlace::as_str`]) or a JSON document of the handler's type,
    /// deserialized in place with [`InPlace::parse`].
    #[serde(borrow)]
    pub body: InPlace<'a>,
    /// The body's MD5, hex.
    pub md5_of_body: &'a str,
    /// The message attributes' MD5, when there are any.
    #[serde(default)]
    pub md5_of_message_attributes: Option<&'a str>,
    /// The queue's ARN.
    #[serde(rename = "eventSourceARN")]
    pub event_source_arn: &'a str,
    /// `aws:sqs`.
    pub event_source: &'a str,
    /// The queue's region.
    pub aws_region: &'a str,
    /// System attributes (`ApproximateReceiveCount`, `SentTimestamp`, ...); at most
    /// [`MAX_ATTRIBUTES`].
    #[serde(default, borrow)]
    pub attributes: Map<'a, &'a str, MAX_ATTRIBUTES>,
    /// The sender's attributes; at most [`MAX_MESSAGE_ATTRIBUTES`].
    #[serde(default, borrow)]
    pub message_attributes: Map<'a, SqsMessageAttribute<'a>, MAX_MESSAGE_ATTRIBUTES>,
}

/// A message is named by its `messageId` in the partial batch response.
impl Record for SqsMessage<'_> {
    const ID: &'static [&'static str] = &["messageId"];
}

/// A message attribute: its type and one kind of value.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsMessageAttribute<'a> {
    /// For `String` and `Number` types.
    #[serde(default)]
    pub string_value: Option<&'a str>,
    /// Base64.
    #[serde(default)]
    pub binary_value: Option<&'a str>,
    /// Reserved by SQS; empty; at most [`MAX_LIST_VALUES`].
    #[serde(default, borrow)]
    pub string_list_values: List<&'a str, MAX_LIST_VALUES>,
    /// Reserved by SQS; empty; at most [`MAX_LIST_VALUES`].
    #[serde(default, borrow)]
    pub binary_list_values: List<&'a str, MAX_LIST_VALUES>,
    /// `String`, `Number` or `Binary` (with an optional `.custom` suffix).
    pub data_type: &'a str,
}

/// The partial batch response (`ReportBatchItemFailures`): the messages to retry; the others
/// are deleted. It holds up to `N` failures; [`super::batch::answer`] and
/// [`super::batch::BatchItemFailures`] write any number straight into the response instead.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SqsBatchResponse<'a, const N: usize = 10> {
    /// The messages that failed.
    #[serde(borrow)]
    pub batch_item_failures: List<BatchItemFailure<'a>, N>,
}

/// A message to retry.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure<'a> {
    /// The failed message's `message_id`.
    pub item_identifier: &'a str,
}
