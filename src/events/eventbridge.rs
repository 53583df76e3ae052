//! EventBridge events (scheduled rules, AWS services' events, custom events).

use serde::Deserialize;

use super::{List, RawJson};

/// Room for an event's resources.
pub const MAX_RESOURCES: usize = 16;

/// An EventBridge event; `detail` is the event's own JSON, to parse with the type it has
/// ([`RawJson::parse`]).
#[derive(Debug, Deserialize)]
pub struct EventBridgeEvent<'a> {
    pub version: &'a str,
    pub id: &'a str,
    #[serde(rename = "detail-type")]
    pub detail_type: &'a str,
    pub source: &'a str,
    pub account: &'a str,
    pub time: &'a str,
    pub region: &'a str,
    #[serde(default, borrow)]
    pub resources: List<&'a str, MAX_RESOURCES>,
    #[serde(borrow)]
    pub detail: RawJson<'a>,
}
