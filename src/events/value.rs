//! [`JsonValue`]: one JSON value of a shape the event does not fix (an authorizer's context,
//! a token's claims), typed when it is a scalar, without a heap.

use serde::de::{self, Deserialize, Deserializer};

use super::{InPlace, RawJson};

/// A JSON value: a string (unescaped in place) or `true`/`false`/`null` as itself, a number
/// as its text (read with [`JsonValue::as_i64`] or [`JsonValue::as_f64`], so that parsing
/// floats is linked only into handlers that do), an object or an array as its JSON text
/// ([`RawJson::parse`] reads it into a type of the handler's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonValue<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(&'a str),
    /// A string.
    Str(&'a str),
    /// An object, as its text.
    Object(RawJson<'a>),
    /// An array, as its text.
    Array(RawJson<'a>),
}

impl<'a> JsonValue<'a> {
    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            JsonValue::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if it is an integer within `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        let JsonValue::Number(text) = *self else {
            return None;
        };
        let (negative, digits) = match text.strip_prefix('-') {
            Some(digits) => (true, digits),
            None => (false, text),
        };
        let magnitude = i64::try_from(crate::codec::num::ascii_to_u64(digits.as_bytes())?);
        match (negative, magnitude) {
            (false, Ok(n)) => Some(n),
            (true, Ok(n)) => Some(-n),
            (true, Err(_)) if digits == "9223372036854775808" => Some(i64::MIN),
            _ => None,
        }
    }

    /// The number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            JsonValue::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            JsonValue::Bool(b) => Some(b),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonValue<'a> {
    /// Read as [`RawJson`] (the deserializer lends the text writable): valid JSON, so its
    /// first byte says what it is. A string is unescaped where it lies, by the same
    /// deserializer.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawJson::deserialize(deserializer)?;
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'n') => JsonValue::Null,
            Some(b't') => JsonValue::Bool(true),
            Some(b'f') => JsonValue::Bool(false),
            Some(b'{') => JsonValue::Object(raw),
            Some(b'[') => JsonValue::Array(raw),
            Some(b'"') => JsonValue::Str(
                InPlace::visited(text)
                    .parse::<&'de str>()
                    .and_then(Result::ok)
                    .ok_or_else(|| {
                        de::Error::custom("a string lent by this crate's deserializer")
                    })?,
            ),
            _ => JsonValue::Number(text),
        })
    }
}
