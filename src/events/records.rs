//! [`Records`]: a JSON array read one element at a time, when the handler reaches it, so a
//! batch of any size (10,000 SQS messages, 6 MiB) takes the stack of one element and no
//! heap; an element that does not parse is that element's failure ([`BadRecord`]), not the
//! whole event's.
//!
//! When the event is deserialized, the array is only read through (its JSON checked) and its
//! bytes are lent to the `Records`, writable, as an [`super::InPlace`] string's are. Each
//! element is then deserialized in place when the iterator reaches it, its strings unescaped
//! where they lie, by the same deserializer.

// A `BadRecord` carries its error's path inline (no heap); it is built only for a record that
// fails, and an `Ok` is never smaller than the record anyway.
#![allow(clippy::result_large_err)]

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::typed::DeError;
use crate::typed::de::{Deserializer as Parser, RECORDS};

/// An element type of [`Records`]: says which string names an element, for the partial batch
/// response of one that does not parse.
pub trait Record {
    /// The path of keys to the element's identifier (`["messageId"]` for SQS), or none.
    const ID: &'static [&'static str] = &[];
}

impl Record for &str {}

/// A JSON array (or `null`, read as empty) whose elements are deserialized one at a time as
/// the iteration reaches them: `for record in event.records { ... }`. Each item is the
/// element, or a [`BadRecord`] saying why it did not parse; the iteration goes on after it.
///
/// It has no capacity and holds no element: the stack it takes is one element's, whatever
/// the array's length. Only this crate's deserializer (the runtime's, in typed handlers;
/// [`crate::typed::from_slice`]) can make one, as for [`super::InPlace`]; another refuses it.
pub struct Records<'a, T> {
    elements: Parser<'a>,
    index: usize,
    _element: PhantomData<fn() -> T>,
}

impl<'a, T: Deserialize<'a> + Record> Records<'a, T> {
    /// The next element with its identifier (the string at [`Record::ID`], as it lies in the
    /// event, if it has no escapes), whether the element parsed or not.
    pub fn next_with_id(&mut self) -> Option<(Option<&'a str>, Result<T, BadRecord<'a>>)> {
        let (start, end, id) = self.elements.next_element(T::ID)?;
        let index = self.index;
        self.index += 1;
        let result = self
            .elements
            .element(start, end)
            .map_err(|error| BadRecord {
                index,
                id,
                error,
                keys: self.elements.behind(),
            });
        Some((id, result))
    }
}

impl<'a, T: Deserialize<'a> + Record> Iterator for Records<'a, T> {
    type Item = Result<T, BadRecord<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with_id().map(|(_, result)| result)
    }
}

/// No elements (an absent array).
impl<T> Default for Records<'_, T> {
    fn default() -> Self {
        Records {
            elements: Parser::elements(&mut []),
            index: 0,
            _element: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Records<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("read", &self.index)
            .finish_non_exhaustive()
    }
}

impl<'de: 'a, 'a, T> Deserialize<'de> for Records<'a, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Array<T>(PhantomData<fn() -> T>);
        impl<'de, T> Visitor<'de> for Array<T> {
            type Value = Records<'de, T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array (lambda_bootstrap's deserializer only)")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                let ptr = crate::typed::in_place::take_lent(text)
                    .ok_or_else(|| E::invalid_type(de::Unexpected::Str(text), &self))?;
                // SAFETY: the deserializer lent these bytes, writable, from its buffer for
                // `'de`, and never touches them again (they lie behind its reading position,
                // and it hands out nothing in them).
                let array = unsafe { core::slice::from_raw_parts_mut(ptr, text.len()) };
                Ok(Records {
                    elements: Parser::elements(array),
                    index: 0,
                    _element: PhantomData,
                })
            }
        }
        deserializer.deserialize_newtype_struct(RECORDS, Array(PhantomData))
    }
}

/// An element of [`Records`] that did not deserialize.
#[derive(Debug, Clone)]
pub struct BadRecord<'a> {
    /// Its place in the array, from 0.
    pub index: usize,
    /// Its identifier (see [`Record::ID`]), when it has one: what a partial batch response
    /// names to have it retried.
    pub id: Option<&'a str>,
    /// What did not match, where in the element (the path) and at which byte of the array.
    pub error: DeError,
    /// The array's bytes up to the element's end, where the path's keys lie.
    keys: &'a [u8],
}

impl BadRecord<'_> {
    /// Writes what went wrong, as a typed handler's `Runtime.InvalidEvent` message says it
    /// (without its prefix): `text` appends a piece.
    pub fn describe(&self, text: &mut dyn FnMut(&str)) {
        let key = |start: u32, len: u32| {
            let (start, len) = (start as usize, len as usize);
            self.keys
                .get(start..start.saturating_add(len))
                .and_then(|k| core::str::from_utf8(k).ok())
                .unwrap_or("?")
        };
        crate::typed::error::describe(&self.error, &key, text);
    }
}

#[cfg(test)]
mod tests;
