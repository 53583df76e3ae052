//! [`Base64`]: a base64 string of the event (a Kinesis record's data, a DynamoDB binary
//! attribute), decoded only when the handler asks: into its own buffer, or where it lies.

use core::fmt;

use serde::de::{Deserialize, Deserializer};

use super::InPlace;

/// Base64 text from the event (standard alphabet, padding optional).
pub struct Base64<'a>(InPlace<'a>);

impl<'a> Base64<'a> {
    /// The text, still encoded.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Decodes into `out` (at most three bytes for four characters); `None` when the text is
    /// not base64 or `out` is too small.
    pub fn decode_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        crate::codec::base64::decode(self.as_str().as_bytes(), out).map(|b| &*b)
    }

    /// Decodes where the text lies in the event and returns the bytes; `None` when the text is
    /// not base64, or did not come from the runtime's deserializer (see [`InPlace`]).
    pub fn decode_in_place(self) -> Option<&'a [u8]> {
        crate::codec::base64::decode_in_place(self.0.into_bytes_mut()?).map(|b| &*b)
    }
}

impl fmt::Debug for Base64<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Base64<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        InPlace::deserialize(deserializer).map(Base64)
    }
}
