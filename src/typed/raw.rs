//! A value's JSON text, as it is in the event: for parts of an event whose shape the
//! handler does not know in advance (an EventBridge event's `detail`), or wants to parse later.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::de::RAW_JSON;

/// The JSON text of one value, borrowed from the event, not unescaped: a string is given
/// with its quotes and escapes, an object with its braces. Only this crate's deserializer can
/// produce it (the runtime's, in typed handlers; [`super::from_slice`] in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawJson<'a>(&'a str);

impl<'a> RawJson<'a> {
    /// The value's JSON text.
    pub fn get(&self) -> &'a str {
        self.0
    }

    /// Deserializes the value into `T`, unescaping in `scratch`: the text is copied there
    /// first (it is the event's, shared, and cannot be unescaped where it lies). `None` when it
    /// does not fit.
    pub fn parse<'s, T: Deserialize<'s>>(
        &self,
        scratch: &'s mut [u8],
    ) -> Option<Result<T, super::DeError>> {
        let room = scratch.get_mut(..self.0.len())?;
        crate::codec::bytes::put(room, 0, self.0.as_bytes())?;
        Some(super::de::from_slice(room).map_err(|(error, _)| error))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = RawJson<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value (lambda_bootstrap's deserializer only)")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(RawJson(text))
            }
        }
        deserializer.deserialize_newtype_struct(RAW_JSON, Text)
    }
}
