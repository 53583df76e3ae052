//! S3 event notifications.

use serde::Deserialize;

use super::{List, Map};

/// Up to `N` records (S3 sends one per event).
#[derive(Debug, Deserialize)]
pub struct S3Event<'a, const N: usize = 1> {
    #[serde(rename = "Records", borrow)]
    pub records: List<S3Record<'a>, N>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Record<'a> {
    pub event_version: &'a str,
    pub event_source: &'a str,
    pub aws_region: &'a str,
    pub event_time: &'a str,
    pub event_name: &'a str,
    #[serde(borrow)]
    pub user_identity: S3Identity<'a>,
    #[serde(default, borrow)]
    pub request_parameters: Map<'a, &'a str, 4>,
    #[serde(default, borrow)]
    pub response_elements: Map<'a, &'a str, 4>,
    #[serde(borrow)]
    pub s3: S3Entity<'a>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Identity<'a> {
    pub principal_id: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Entity<'a> {
    pub s3_schema_version: &'a str,
    pub configuration_id: &'a str,
    #[serde(borrow)]
    pub bucket: S3Bucket<'a>,
    #[serde(borrow)]
    pub object: S3Object<'a>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Bucket<'a> {
    pub name: &'a str,
    #[serde(borrow)]
    pub owner_identity: S3Identity<'a>,
    pub arn: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Object<'a> {
    /// URL-encoded (`Happy%20Face.jpg`).
    pub key: &'a str,
    /// Absent for deletions.
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub version_id: Option<&'a str>,
    #[serde(default)]
    pub e_tag: Option<&'a str>,
    pub sequencer: &'a str,
}
