//! [`InPlace`]: a string field the handler may rewrite where it lies (a base64 body decoded
//! in place), which a shared `&str` cannot allow.
//!
//! The deserializer lends the string's bytes through a private ticket: it records their
//! (writable) pointer, then visits the text; the visitor takes the ticket and keeps the
//! pointer only if it is the visited text's own. Another deserializer cannot forge a ticket,
//! so from it an `InPlace` is read-only.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The name of the newtype struct that asks for a writable string.
pub const IN_PLACE: &str = "$lambda_bootstrap::InPlace";

/// A string from the event that is the handler's to rewrite.
pub struct InPlace<'a> {
    ptr: *mut u8,
    len: usize,
    writable: bool,
    _text: PhantomData<&'a mut [u8]>,
}

impl<'a> InPlace<'a> {
    /// The string, as it is now.
    pub fn as_str(&self) -> &str {
        // SAFETY: `ptr` and `len` are a string's (see `Ticket`), UTF-8, alive for `'a`, and
        // only written through `self` (which `&self` forbids meanwhile).
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.ptr, self.len)) }
    }

    /// The bytes, to rewrite; `None` when this value did not come from the runtime's
    /// deserializer (and so is shared).
    pub fn into_bytes_mut(self) -> Option<&'a mut [u8]> {
        // SAFETY: `writable` only with a pointer from the runtime's deserializer, which made it
        // from its mutable event buffer and never touches these bytes again; `self` is
        // consumed and not `Clone`, so this is the only reference.
        self.writable
            .then(|| unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) })
    }
}

impl<'a> InPlace<'a> {
    /// Deserializes the string's text as a JSON document of the handler's type (an SQS body or
    /// SNS message that is JSON), in place: its strings are unescaped where they lie and
    /// borrowed from there, as the event's are. `None` when this value did not come from the
    /// runtime's deserializer (see [`InPlace::into_bytes_mut`]).
    pub fn parse<T: Deserialize<'a>>(self) -> Option<Result<T, super::DeError>> {
        let bytes = self.into_bytes_mut()?;
        Some(super::de::from_slice(bytes).map_err(|(error, _)| error))
    }
}

impl fmt::Debug for InPlace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for InPlace<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// The pointer lent for the string being visited. A bootstrap handles one event at a time
/// per process; tests run on threads, so each thread has its own there.
mod ticket {
    use core::cell::Cell;

    type Lent = Cell<(*mut u8, usize)>;

    #[cfg(not(test))]
    pub fn with<R>(f: impl FnOnce(&Lent) -> R) -> R {
        struct Slot(Lent);
        // SAFETY: the bootstrap runs on one thread (workers are processes).
        unsafe impl Sync for Slot {}
        static TICKET: Slot = Slot(Cell::new((core::ptr::null_mut(), 0)));
        f(&TICKET.0)
    }

    #[cfg(test)]
    pub fn with<R>(f: impl FnOnce(&Lent) -> R) -> R {
        std::thread_local!(static TICKET: Lent = const { Cell::new((core::ptr::null_mut(), 0)) });
        TICKET.with(f)
    }
}

/// Called by the deserializer just before it visits the string at `ptr`.
pub(crate) fn lend(ptr: *mut u8, len: usize) {
    ticket::with(|t| t.set((ptr, len)));
}

impl<'a> InPlace<'a> {
    /// The string a visitor was given, writable if the deserializer lent it (see [`lend`]).
    pub(crate) fn visited(text: &'a str) -> Self {
        let lent = take_lent(text);
        InPlace {
            ptr: lent.unwrap_or(text.as_ptr().cast_mut()),
            len: text.len(),
            writable: lent.is_some(),
            _text: PhantomData,
        }
    }
}

/// Takes the ticket: the writable pointer to `text`, if the deserializer lent `text` itself.
pub(crate) fn take_lent(text: &str) -> Option<*mut u8> {
    let (ptr, len) = ticket::with(|t| t.replace((core::ptr::null_mut(), 0)));
    (core::ptr::eq(ptr.cast_const(), text.as_ptr()) && len == text.len()).then_some(ptr)
}

impl<'de: 'a, 'a> Deserialize<'de> for InPlace<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = InPlace<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            /// Another deserializer's newtype struct: the string inside (read-only).
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                deserializer.deserialize_str(self)
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(InPlace::visited(text))
            }
        }
        deserializer.deserialize_newtype_struct(IN_PLACE, Text)
    }
}
