//! Kinesis Data Streams: a batch of records from one shard.

use serde::Deserialize;

use super::base64::Base64;
use super::{Record, Records};

/// A batch of records, of any size: each is parsed when the iteration reaches it, and one
/// that does not parse is that record's failure (see [`super::batch::answer`]).
#[derive(Debug, Deserialize)]
pub struct KinesisEvent<'a> {
    /// The records (`Records`).
    #[serde(rename = "Records", borrow)]
    pub records: Records<'a, KinesisEventRecord<'a>>,
}

/// One record and where it came from.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisEventRecord<'a> {
    /// The stream's region.
    #[serde(default)]
    pub aws_region: Option<&'a str>,
    /// `shardId-...:sequence number`.
    #[serde(default, rename = "eventID")]
    pub event_id: Option<&'a str>,
    /// `aws:kinesis:record`.
    #[serde(default)]
    pub event_name: Option<&'a str>,
    /// `aws:kinesis`.
    #[serde(default)]
    pub event_source: Option<&'a str>,
    /// The stream's ARN.
    #[serde(default, rename = "eventSourceARN")]
    pub event_source_arn: Option<&'a str>,
    /// `1.0`.
    #[serde(default)]
    pub event_version: Option<&'a str>,
    /// The role the function reads the stream with.
    #[serde(default)]
    pub invoke_identity_arn: Option<&'a str>,
    /// The record itself.
    #[serde(borrow)]
    pub kinesis: KinesisRecord<'a>,
}

/// A record is named by its sequence number in the partial batch response.
impl Record for KinesisEventRecord<'_> {
    const ID: &'static [&'static str] = &["kinesis", "sequenceNumber"];
}

/// A record of the stream.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisRecord<'a> {
    /// When it reached the stream, in epoch seconds (milliseconds as the fraction).
    pub approximate_arrival_timestamp: f64,
    /// The producer's bytes, base64: decoded on request ([`Base64::decode_into`],
    /// [`Base64::decode_in_place`]).
    #[serde(borrow)]
    pub data: Base64<'a>,
    /// `KMS` when the stream encrypts records; absent (or `NONE`) otherwise.
    #[serde(default)]
    pub encryption_type: Option<&'a str>,
    /// The key that chose the shard.
    #[serde(default)]
    pub partition_key: &'a str,
    /// Its place in the shard.
    #[serde(default)]
    pub sequence_number: &'a str,
    /// `1.0`.
    #[serde(default)]
    pub kinesis_schema_version: Option<&'a str>,
}
