//! EventBridge events (scheduled rules, AWS services' events, custom events).

use serde::Deserialize;

use super::{List, RawJson};

/// Room for an event's resources.
pub const MAX_RESOURCES: usize = 16;

/// An EventBridge event. `D` is the type of its `detail`: [`RawJson`], the event's own JSON
/// as it lies (the default), or a type of the handler's, deserialized in place with the rest
/// of the event (`EventBridgeEvent<'a, MyDetail<'a>>`).
#[derive(Debug, Deserialize)]
pub struct EventBridgeEvent<'a, D = RawJson<'a>> {
    /// `0`.
    pub version: &'a str,
    /// The event's id.
    pub id: &'a str,
    /// What kind of event (`detail-type`), e.g. `Scheduled Event`.
    #[serde(rename = "detail-type")]
    pub detail_type: &'a str,
    /// Who sent it, e.g. `aws.events`.
    pub source: &'a str,
    /// The account it happened in.
    pub account: &'a str,
    /// When, ISO 8601.
    pub time: &'a str,
    /// The region it happened in.
    pub region: &'a str,
    /// The ARNs it concerns.
    #[serde(default, borrow)]
    pub resources: List<&'a str, MAX_RESOURCES>,
    /// The event's own JSON.
    pub detail: D,
}
