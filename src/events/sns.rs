//! SNS: a notification delivered to a subscribed function.

use serde::Deserialize;

use super::{InPlace, Map, Record, Records};

/// SNS's limit on message attributes.
pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;

/// The notifications (SNS sends one per invocation), read as the handler iterates.
#[derive(Debug, Deserialize)]
pub struct SnsEvent<'a> {
    /// The notifications (`Records`).
    #[serde(rename = "Records", borrow)]
    pub records: Records<'a, SnsRecord<'a>>,
}

/// One notification and its subscription.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsRecord<'a> {
    /// `aws:sns`.
    pub event_source: &'a str,
    /// `1.0`.
    pub event_version: &'a str,
    /// The subscription's ARN.
    pub event_subscription_arn: &'a str,
    /// The message.
    #[serde(borrow)]
    pub sns: SnsMessage<'a>,
}

/// SNS has no partial batch response: a record has no identifier to name.
impl Record for SnsRecord<'_> {}

/// A notification (`Type` `Notification`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMessage<'a> {
    /// `Notification`.
    #[serde(rename = "Type")]
    pub message_type: &'a str,
    /// Its id (a retried notification keeps the first one's).
    pub message_id: &'a str,
    /// The topic it was published to.
    pub topic_arn: &'a str,
    /// The subject it was published with, if any.
    #[serde(default)]
    pub subject: Option<&'a str>,
    /// What was published: text ([`InPlace::as_str`]) or a JSON document of the handler's
    /// type, deserialized in place with [`InPlace::parse`].
    #[serde(borrow)]
    pub message: InPlace<'a>,
    /// When it was published, ISO 8601.
    pub timestamp: &'a str,
    /// The signature's version.
    pub signature_version: &'a str,
    /// Base64 signature of the message's fields.
    pub signature: &'a str,
    /// The signing certificate's URL (`SigningCertURL`, or `SigningCertUrl`).
    #[serde(rename = "SigningCertURL", alias = "SigningCertUrl")]
    pub signing_cert_url: &'a str,
    /// The URL that ends the subscription (`UnsubscribeURL`, or `UnsubscribeUrl`).
    #[serde(rename = "UnsubscribeURL", alias = "UnsubscribeUrl")]
    pub unsubscribe_url: &'a str,
    /// The publisher's attributes; absent or `null` when there are none.
    #[serde(default, borrow)]
    pub message_attributes: Map<'a, SnsMessageAttribute<'a>, MAX_MESSAGE_ATTRIBUTES>,
}

/// A message attribute.
#[derive(Debug, Deserialize)]
pub struct SnsMessageAttribute<'a> {
    /// `String`, `Number`, `Binary` or `String.Array`.
    #[serde(rename = "Type")]
    pub data_type: &'a str,
    /// The value, as text (base64 for `Binary`).
    #[serde(rename = "Value")]
    pub value: &'a str,
}
