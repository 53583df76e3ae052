//! Kinesis Data Streams: a batch of records from one shard.

use serde::Deserialize;

use super::List;
use super::base64::Base64;

/// A batch of up to `N` records (100, the event source mapping's default batch size; set `N`
/// to the mapping's batch size).
#[derive(Debug, Deserialize)]
pub struct KinesisEvent<'a, const N: usize = 100> {
    /// The records (`Records`).
    #[serde(rename = "Records", borrow)]
    pub records: List<KinesisEventRecord<'a>, N>,
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
