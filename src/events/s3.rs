//! S3 event notifications.

use serde::Deserialize;

use super::{Map, Record, Records};

/// S3's notifications (S3 sends one per event), each parsed when the iteration reaches it.
#[derive(Debug, Deserialize)]
pub struct S3Event<'a> {
    /// The notifications (`Records`).
    #[serde(rename = "Records", borrow)]
    pub records: Records<'a, S3Record<'a>>,
}

/// One notification: what happened to which object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Record<'a> {
    /// The notification format's version, e.g. `2.1`.
    pub event_version: &'a str,
    /// `aws:s3`.
    pub event_source: &'a str,
    /// The bucket's region.
    pub aws_region: &'a str,
    /// When it happened, ISO 8601.
    pub event_time: &'a str,
    /// What happened, e.g. `ObjectCreated:Put`.
    pub event_name: &'a str,
    /// Who did it.
    #[serde(borrow)]
    pub user_identity: S3Identity<'a>,
    /// The request's source IP (`sourceIPAddress`); at most 4 entries.
    #[serde(default, borrow)]
    pub request_parameters: Map<'a, &'a str, 4>,
    /// S3's request ids (`x-amz-request-id`, `x-amz-id-2`); at most 4 entries.
    #[serde(default, borrow)]
    pub response_elements: Map<'a, &'a str, 4>,
    /// The bucket and object.
    #[serde(borrow)]
    pub s3: S3Entity<'a>,
}

impl Record for S3Record<'_> {}

/// An AWS principal.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Identity<'a> {
    /// The principal's id.
    pub principal_id: &'a str,
}

/// The record's `s3` member: which bucket and object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Entity<'a> {
    /// `1.0`.
    pub s3_schema_version: &'a str,
    /// The notification configuration's id.
    pub configuration_id: &'a str,
    /// The bucket.
    #[serde(borrow)]
    pub bucket: S3Bucket<'a>,
    /// The object.
    #[serde(borrow)]
    pub object: S3Object<'a>,
}

/// A bucket.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Bucket<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its owner.
    #[serde(borrow)]
    pub owner_identity: S3Identity<'a>,
    /// Its ARN.
    pub arn: &'a str,
}

/// An object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Object<'a> {
    /// URL-encoded (`Happy%20Face.jpg`, `+` for a space): see [`S3Object::decode_key_into`].
    pub key: &'a str,
    /// Absent for deletions.
    #[serde(default)]
    pub size: Option<u64>,
    /// Its version, in a versioned bucket.
    #[serde(default)]
    pub version_id: Option<&'a str>,
    /// Its ETag, when it has content.
    #[serde(default)]
    pub e_tag: Option<&'a str>,
    /// Orders the events of one key: compare as hex strings.
    pub sequencer: &'a str,
}

impl S3Object<'_> {
    /// The object's key, decoded into `out` (`%XX` escapes and `+` for a space, as S3 encodes
    /// keys in notifications). `None` when the key's encoding is broken, it does not decode
    /// to UTF-8, or `out` is too small; a buffer as long as [`S3Object::key`] always suffices.
    pub fn decode_key_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o str> {
        let key = crate::codec::url::decode_form(self.key.as_bytes(), out)?;
        core::str::from_utf8(key).ok()
    }
}
