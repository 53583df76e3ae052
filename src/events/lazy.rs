//! [`Lazy`]: a part of the event deserialized only when the handler asks, in place. A type
//! that many handlers never read (an HTTP API's authorizer, a DynamoDB image) costs a
//! bootstrap its deserializer's code only if the handler calls [`Lazy::parse`]: generic code
//! is linked where it is used.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{Deserialize, Deserializer};

use super::{InPlace, RawJson};
use crate::typed::DeError;

/// A value of the event, kept as its JSON text and deserialized into a `T` on request, its
/// strings unescaped where they lie. Absent or `null`, it has nothing to parse. Only this
/// crate's deserializer (the runtime's, in typed handlers) lends the text writable; from
/// another, [`Lazy::parse`] is `None`.
///
/// It is read through [`RawJson`]'s code, and holds its own absence (rather than being an
/// `Option`): a bootstrap that never parses it links no code of its own for it.
pub struct Lazy<'a, T> {
    text: Option<InPlace<'a>>,
    _value: PhantomData<fn() -> T>,
}

impl<'a, T: Deserialize<'a>> Lazy<'a, T> {
    /// Deserializes the value (once: it is rewritten in place); `None` when it is absent or
    /// `null`, or did not come from the runtime's deserializer.
    pub fn parse(self) -> Option<Result<T, DeError>> {
        self.text?.parse()
    }
}

impl<'a, T> Lazy<'a, T> {
    /// Deserializes the value into another type of the handler's choosing, as
    /// [`Lazy::parse`] does.
    pub fn parse_as<U: Deserialize<'a>>(self) -> Option<Result<U, DeError>> {
        self.text?.parse()
    }

    /// The value's JSON text, as it is in the event; `None` when absent or `null`.
    pub fn json(&self) -> Option<&str> {
        self.text.as_ref().map(InPlace::as_str)
    }

    /// Whether the event has the value (not absent, not `null`).
    pub fn is_some(&self) -> bool {
        self.text.is_some()
    }
}

/// Absent.
impl<T> Default for Lazy<'_, T> {
    fn default() -> Self {
        Lazy {
            text: None,
            _value: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Lazy<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Lazy").field(&self.json()).finish()
    }
}

impl<'de: 'a, 'a, T> Deserialize<'de> for Lazy<'a, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The deserializer lends a raw value's text writable (see `RAW_JSON`).
        let raw = RawJson::deserialize(deserializer)?.get();
        Ok(Lazy {
            text: (raw != "null").then(|| InPlace::visited(raw)),
            _value: PhantomData,
        })
    }
}
