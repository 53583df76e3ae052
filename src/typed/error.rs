//! Why an event did not deserialize, and where: what did not match, the path of fields and
//! indices that led there, and the byte offset in the event.
//!
//! Built without `core::fmt`: serde hands its error constructors `fmt::Display` values, which
//! we never format (that would link core's formatting machinery into the bootstrap); the
//! deserializer knows what it expected and what it found, and says that instead.

use core::fmt;

use serde::de;

/// How many path segments an error keeps: the innermost ones; deeper paths start with `…`.
pub const MAX_PATH: usize = 8;

/// What did not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The bytes are not JSON: the text says what was expected.
    Syntax(&'static str),
    /// A value of the wrong JSON type.
    Type {
        /// What the type wanted.
        expected: &'static str,
        /// What the event had.
        found: Found,
    },
    /// An integer that the field's type cannot hold.
    OutOfRange(&'static str),
    /// A field the type needs is absent: this one.
    MissingField(&'static str),
    /// A field appears twice: this one.
    DuplicateField(&'static str),
    /// A field the type refuses (`#[serde(deny_unknown_fields)]`); the path ends with it.
    UnknownField,
    /// An enum variant the type does not have; the path ends with the value.
    UnknownVariant,
    /// A sequence with more elements than a fixed-capacity type holds.
    OverCapacity {
        /// How many the type holds.
        capacity: usize,
    },
    /// A sequence with fewer elements than the type needs.
    TooFew {
        /// How many there were.
        found: usize,
    },
    /// A length the type refused, where we cannot tell more.
    Length(usize),
    /// A value the type refused; says what kind of value it was.
    InvalidValue(Found),
    /// A refusal with a message of the type's own, which we do not format.
    Custom,
}

/// The kind of value an event had where its type wanted another. An enum rather than its
/// text: it keeps [`Kind`] at 24 bytes, which every failing `Result` is made of (8 bytes
/// more cost the template's bootstrap 2.4 KB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A string.
    String,
    /// An object.
    Object,
    /// An array.
    Array,
    /// `true` or `false`.
    Boolean,
    /// `null` (or an absent optional value, as serde reports it).
    Null,
    /// A number (an integer, or one written without a fraction or exponent).
    Number,
    /// A number with a fraction or an exponent (`1.5`, `1e2`).
    Float,
    /// Bytes (from a type's own visitor; JSON has none).
    Bytes,
    /// Something else (from a type's own visitor).
    Value,
}

impl Found {
    /// How error messages name it: "a string", "null", ...
    pub fn as_str(self) -> &'static str {
        match self {
            Found::String => "a string",
            Found::Object => "an object",
            Found::Array => "an array",
            Found::Boolean => "a boolean",
            Found::Null => "null",
            Found::Number => "a number",
            Found::Float => "a float",
            Found::Bytes => "bytes",
            Found::Value => "a value",
        }
    }
}

/// One step of the path to where it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// An object's key: its (unescaped) text at this byte range of the event.
    Key {
        /// Where the key's text starts.
        start: u32,
        /// Its length in bytes.
        len: u32,
    },
    /// An array's element.
    Index(u32),
}

/// A deserialization failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    /// What did not match.
    pub kind: Kind,
    /// Where in the event, when known (errors from a type's visitor get the offset of the
    /// value being visited as they pass through the deserializer).
    pub offset: Option<usize>,
    /// Innermost first, as the error bubbles up; see [`DeError::path`].
    segments: [Segment; MAX_PATH],
    depth: usize,
}

impl DeError {
    /// A failure of `kind`, with no place yet.
    pub fn new(kind: Kind) -> Self {
        DeError {
            kind,
            offset: None,
            segments: [Segment::Index(0); MAX_PATH],
            depth: 0,
        }
    }

    /// A failure of `kind` at byte `offset` of the event.
    pub fn at(kind: Kind, offset: usize) -> Self {
        DeError {
            offset: Some(offset),
            ..DeError::new(kind)
        }
    }

    /// Sets the offset unless the error has a more precise one already.
    pub fn or_at(mut self, offset: usize) -> Self {
        self.offset.get_or_insert(offset);
        self
    }

    /// Records that the error happened inside `segment` (called from the inside out).
    pub fn within(mut self, segment: Segment) -> Self {
        if let Some(slot) = self.segments.get_mut(self.depth) {
            *slot = segment;
        }
        self.depth += 1;
        self
    }

    /// The path, outermost first; the `bool` is true when outer segments were dropped.
    pub fn path(&self) -> (impl Iterator<Item = Segment> + '_, bool) {
        let kept = self.depth.min(MAX_PATH);
        (
            self.segments.iter().take(kept).rev().copied(),
            self.depth > MAX_PATH,
        )
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event does not match the handler's event type")
    }
}

impl de::StdError for DeError {}

/// A failure on its way up through serde's generic code, which becomes a [`DeError`] at the
/// top. Every type's `deserialize` moves its `Result` along each `?`, so it is kept small:
/// what and where, and how many path segments it has passed; the segments themselves are
/// written into the deserializer as it passes them (a [`DeError`] with its path inline made
/// the template's bootstrap 5 KB larger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fail {
    pub(crate) kind: Kind,
    /// A byte offset, or [`Fail::NOWHERE`]: events are at most 6 MiB.
    offset: u32,
    /// How many segments of its path it has passed (see `Deserializer::within`).
    pub(crate) depth: u32,
}

impl Fail {
    const NOWHERE: u32 = u32::MAX;

    /// A failure of `kind`, with no place yet.
    pub(crate) fn new(kind: Kind) -> Self {
        Fail {
            kind,
            offset: Self::NOWHERE,
            depth: 0,
        }
    }

    /// A failure of `kind` at byte `offset` of the event.
    pub(crate) fn at(kind: Kind, offset: usize) -> Self {
        let mut fail = Fail::new(kind);
        fail.set_offset(offset);
        fail
    }

    /// Sets the offset unless the failure has a more precise one already.
    pub(crate) fn or_at(mut self, offset: usize) -> Self {
        if self.offset == Self::NOWHERE {
            self.set_offset(offset);
        }
        self
    }

    pub(crate) fn set_offset(&mut self, offset: usize) {
        self.offset = offset.min(Self::NOWHERE as usize - 1) as u32;
    }

    fn offset(&self) -> Option<usize> {
        (self.offset != Self::NOWHERE).then_some(self.offset as usize)
    }

    /// The [`DeError`] of this failure, its path read from `segments` (innermost first, as
    /// the deserializer wrote them).
    pub(crate) fn finish(self, segments: &[Segment; MAX_PATH]) -> DeError {
        DeError {
            kind: self.kind,
            offset: self.offset(),
            segments: *segments,
            depth: self.depth as usize,
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event does not match the handler's event type")
    }
}

impl de::StdError for Fail {}

impl de::Error for Fail {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Fail::new(Kind::Custom)
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Fail::new(Kind::Type {
            expected: "another type",
            found: unexpected_name(&unexpected),
        })
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Fail::new(Kind::InvalidValue(unexpected_name(&unexpected)))
    }

    fn invalid_length(len: usize, _: &dyn de::Expected) -> Self {
        Fail::new(Kind::Length(len))
    }

    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Fail::new(Kind::UnknownVariant)
    }

    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Fail::new(Kind::UnknownField)
    }

    fn missing_field(field: &'static str) -> Self {
        Fail::new(Kind::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Fail::new(Kind::DuplicateField(field))
    }
}

fn unexpected_name(unexpected: &de::Unexpected<'_>) -> Found {
    use de::Unexpected as U;
    match unexpected {
        U::Bool(_) => Found::Boolean,
        U::Unsigned(_) | U::Signed(_) => Found::Number,
        U::Float(_) => Found::Float,
        U::Char(_) | U::Str(_) => Found::String,
        U::Bytes(_) => Found::Bytes,
        U::Unit | U::Option => Found::Null,
        U::Seq => Found::Array,
        U::Map => Found::Object,
        _ => Found::Value,
    }
}

/// How much of a key a message shows: a longer key (an event may have a 100 KB one) is cut
/// here and marked `…`, so that the path after it fits in the message too.
pub const MAX_KEY_SHOWN: usize = 64;

/// `key`, or its start (whole characters) if it is longer than [`MAX_KEY_SHOWN`].
fn shown(key: &str) -> &str {
    let mut end = key.len().min(MAX_KEY_SHOWN);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    key.get(..end).unwrap_or_default()
}

/// Writes an error's message (without `core::fmt`): `text` appends to it; `key` gives a key
/// segment's text from the event.
pub fn describe<'k>(
    error: &DeError,
    key: &dyn Fn(u32, u32) -> &'k str,
    text: &mut dyn FnMut(&str),
) {
    let mut digits = [0; crate::codec::num::U64_DIGITS];
    let mut number = |n: usize, text: &mut dyn FnMut(&str)| {
        let ascii = crate::codec::num::u64_to_ascii(n as u64, &mut digits);
        text(core::str::from_utf8(ascii).unwrap_or("?"));
    };
    match error.kind {
        Kind::Syntax(what) => {
            text("invalid JSON: ");
            text(what);
        }
        Kind::Type { expected, found } => {
            text("invalid type: expected ");
            text(expected);
            text(", found ");
            text(found.as_str());
        }
        Kind::OutOfRange(ty) => {
            text("number out of range for ");
            text(ty);
        }
        Kind::MissingField(field) => {
            text("missing field `");
            text(field);
            text("`");
        }
        Kind::DuplicateField(field) => {
            text("duplicate field `");
            text(field);
            text("`");
        }
        Kind::UnknownField => text("unknown field"),
        Kind::UnknownVariant => text("unknown variant"),
        Kind::OverCapacity { capacity } => {
            text("more elements than the capacity of ");
            number(capacity, text);
        }
        Kind::TooFew { found } => {
            text("too few elements: ");
            number(found, text);
        }
        Kind::Length(len) => {
            text("invalid length ");
            number(len, text);
        }
        Kind::InvalidValue(found) => {
            text("invalid value: ");
            text(found.as_str());
        }
        Kind::Custom => text("the value does not match the type"),
    }
    let (path, cut) = error.path();
    let mut first = true;
    for segment in path {
        if first {
            text(if cut { " at …" } else { " at " });
        }
        match segment {
            Segment::Key { start, len } => {
                if !first {
                    text(".");
                }
                let key = key(start, len);
                text(shown(key));
                if key.len() > MAX_KEY_SHOWN {
                    text("…");
                }
            }
            Segment::Index(i) => {
                text("[");
                number(i as usize, text);
                text("]");
            }
        }
        first = false;
    }
    if let Some(offset) = error.offset {
        text(" (byte ");
        number(offset, text);
        text(")");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(error: &DeError, event: &str) -> String {
        let mut out = String::new();
        let key = |start: u32, len: u32| &event[start as usize..(start + len) as usize];
        describe(error, &key, &mut |s| out.push_str(s));
        out
    }

    #[test]
    fn paths_are_written_outermost_first() {
        let event = r#"{"a":{"bc":[1,2,"x"]}}"#;
        let error = DeError::at(
            Kind::Type {
                expected: "a number",
                found: Found::String,
            },
            16,
        )
        .within(Segment::Index(2))
        .within(Segment::Key { start: 7, len: 2 })
        .within(Segment::Key { start: 2, len: 1 });
        assert_eq!(
            message(&error, event),
            "invalid type: expected a number, found a string at a.bc[2] (byte 16)"
        );
    }

    #[test]
    fn deep_paths_keep_the_innermost_segments() {
        let mut error = DeError::new(Kind::MissingField("id"));
        for i in 0..(MAX_PATH as u32 + 3) {
            error = error.within(Segment::Index(i));
        }
        let text = message(&error, "");
        assert!(text.starts_with("missing field `id` at …[7][6]"), "{text}");
        assert!(text.ends_with("[0]"), "{text}");
        assert_eq!(text.matches('[').count(), MAX_PATH);
    }

    /// Every failing `Result` of every type's `deserialize` is at least this big, and is
    /// moved along each `?` (docs/size.md).
    #[test]
    fn failures_stay_small() {
        assert_eq!(core::mem::size_of::<Kind>(), 24);
        assert_eq!(core::mem::size_of::<Fail>(), 32);
    }

    #[test]
    fn the_first_offset_stays() {
        assert_eq!(DeError::at(Kind::Custom, 3).or_at(9).offset, Some(3));
        assert_eq!(DeError::new(Kind::Custom).or_at(9).offset, Some(9));
    }
}
