//! EventBridge events (scheduled rules, AWS services' events, custom events).

use serde::Deserialize;

use super::{RawJson, Records};

/// An EventBridge event. `D` is the type of its `detail`: [`RawJson`], the event's own JSON
/// as it lies (the default), or a type of the handler's, deserialized in place with the rest
/// of the event (`EventBridgeEvent<'a, MyDetail<'a>>`).
#[derive(Debug, Deserialize)]
pub struct EventBridgeEvent<'a, D = RawJson<'a>> {
    /// `0`; absent from some senders' events.
    #[serde(default)]
    pub version: Option<&'a str>,
    /// The event's id.
    pub id: &'a str,
    /// What kind of event (`detail-type`), e.g. `Scheduled Event`.
    #[serde(rename = "detail-type")]
    pub detail_type: &'a str,
    /// Who sent it, e.g. `aws.events`.
    pub source: &'a str,
    /// The account it happened in, when said.
    #[serde(default)]
    pub account: Option<&'a str>,
    /// When, ISO 8601, when said.
    #[serde(default)]
    pub time: Option<&'a str>,
    /// The region it happened in, when said.
    #[serde(default)]
    pub region: Option<&'a str>,
    /// The ARNs it concerns, any number, each read when the iteration reaches it.
    #[serde(default, borrow)]
    pub resources: Records<'a, &'a str>,
    /// The event's own JSON.
    pub detail: D,
}
