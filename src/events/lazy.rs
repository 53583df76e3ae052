//! [`Lazy`]: a part of the event deserialized only when the handler asks, in place. A type
//! that many handlers never read (an HTTP API's authorizer, a DynamoDB image) costs a
//! bootstrap its deserializer's code only if the handler calls [`Lazy::parse`]: generic code
//! is linked where it is used.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::InPlace;
use crate::typed::DeError;
use crate::typed::de::LAZY;

/// A value of the event, kept as its JSON text and deserialized into a `T` on request, its
/// strings unescaped where they lie. Only this crate's deserializer (the runtime's, in typed
/// handlers) lends the text writable; from another, [`Lazy::parse`] is `None`.
pub struct Lazy<'a, T> {
    text: InPlace<'a>,
    _value: PhantomData<fn() -> T>,
}

impl<'a, T: Deserialize<'a>> Lazy<'a, T> {
    /// Deserializes the value (once: it is rewritten in place); `None` when it did not come
    /// from the runtime's deserializer.
    pub fn parse(self) -> Option<Result<T, DeError>> {
        self.text.parse()
    }
}

impl<'a, T> Lazy<'a, T> {
    /// Deserializes the value into another type of the handler's choosing, as
    /// [`Lazy::parse`] does.
    pub fn parse_as<U: Deserialize<'a>>(self) -> Option<Result<U, DeError>> {
        self.text.parse()
    }

    /// The value's JSON text, as it is in the event.
    pub fn json(&self) -> &str {
        self.text.as_str()
    }
}

impl<T> fmt::Debug for Lazy<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Lazy").field(&self.json()).finish()
    }
}

impl<'de: 'a, 'a, T> Deserialize<'de> for Lazy<'a, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A visitor of its own (not [`InPlace`]'s): the deserializer's code for it is then
        /// for [`LAZY`] alone, not a choice between names made at run time.
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = InPlace<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value (lambda_bootstrap's deserializer only)")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(InPlace::visited(text))
            }
        }
        Ok(Lazy {
            text: deserializer.deserialize_newtype_struct(LAZY, Text)?,
            _value: PhantomData,
        })
    }
}
