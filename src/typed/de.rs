//! A JSON deserializer over serde that borrows everything from the event buffer.
//!
//! Ours rather than serde-json-core's (0.6), which cannot do what typed handlers need: it hands
//! an escaped string to the visitor from a scratch buffer, so a `&'de str` field fails on
//! any `\n` or `\"` in the event; its errors carry no position and drop every visitor's
//! message (a missing field's name); it has no `deserialize_any` (no untagged enums, no raw
//! JSON values); and it skips unknown scalars by chomping bytes up to a delimiter.
//!
//! Here the buffer is the runtime's and writable for the invocation, so an escaped string is
//! unescaped where it lies: the unescaped text is never longer than its escaped form, so it
//! is written over it, from its start, and handed out from there. Everything the parser
//! hands out lies behind its reading position, which only moves forward, and it never writes
//! behind that position again: handed-out slices are never written while they live.

use core::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::error::{DeError, Fail, Found, Kind, MAX_PATH, Segment};
use super::scan;

/// Deepest nesting of arrays and objects accepted: recursion is bounded, so an event of
/// `[[[[...` fails cleanly instead of overflowing the stack.
pub const MAX_DEPTH: usize = 128;

/// The name of the newtype struct that asks for a value's raw JSON text (see [`super::RawJson`]).
/// The text is lent writable, as an [`super::InPlace`] string's is: a visitor that takes the
/// ticket may deserialize it in place later (`events::Lazy`, `events::JsonValue`).
pub const RAW_JSON: &str = "$lambda_bootstrap::RawJson";

/// The name of the newtype struct that asks for an array's bytes, lent writable, to read its
/// elements one at a time later (see `events::Records`); `null` is lent as no bytes.
pub const RECORDS: &str = "$lambda_bootstrap::Records";

type Result<T> = core::result::Result<T, Fail>;

/// Deserializes a `T` from `event` (the whole of it: trailing non-whitespace is an error).
pub fn from_slice<'de, T: de::Deserialize<'de>>(
    event: &'de mut [u8],
) -> core::result::Result<T, (DeError, Deserializer<'de>)> {
    let mut de = Deserializer::new(event);
    let error = match T::deserialize(&mut de) {
        Ok(value) => match de.whitespace() {
            None => return Ok(value),
            Some(_) => de.error(Kind::Syntax("nothing after the value")),
        },
        Err(error) => error,
    };
    let error = de.utf8_error().unwrap_or(error);
    Err((error.finish(&de.path), de))
}

/// A JSON deserializer over an event it may rewrite: strings are unescaped in place, so
/// values borrow from the event without a copy.
pub struct Deserializer<'de> {
    ptr: *mut u8,
    len: usize,
    pos: usize,
    depth: usize,
    /// The path of the failure on its way up, innermost first (see [`Deserializer::within`]).
    path: [Segment; MAX_PATH],
    _buffer: PhantomData<&'de mut [u8]>,
}

impl<'de> Deserializer<'de> {
    /// UTF-8 is checked as strings are read ([`scan::text_len`]), not over the whole event
    /// first: outside strings only ASCII is valid JSON, so an event that is read to its end
    /// is UTF-8.
    fn new(event: &'de mut [u8]) -> Self {
        Deserializer {
            ptr: event.as_mut_ptr(),
            len: event.len(),
            pos: 0,
            depth: 0,
            path: [Segment::Index(0); MAX_PATH],
            _buffer: PhantomData,
        }
    }

    /// The error for an event that is not UTF-8, if it is not: the error reported for it,
    /// whatever else is wrong with the event, as when the whole was checked first. Reading
    /// stops at a character boundary, with all before it UTF-8 (strings are checked, the
    /// rest is ASCII), so only the bytes from here on need checking.
    fn utf8_error(&self) -> Option<Fail> {
        let error = core::str::from_utf8(self.rest()).err()?;
        Some(Fail::at(
            Kind::Syntax("invalid UTF-8"),
            self.pos + error.valid_up_to(),
        ))
    }

    /// The bytes from the reading position on, which have not been handed out.
    fn rest(&self) -> &[u8] {
        // SAFETY: `pos <= len`; nothing at or after `pos` has been handed out, and nothing
        // writes there while this shared borrow of `self` lives.
        unsafe { core::slice::from_raw_parts(self.ptr.add(self.pos), self.len - self.pos) }
    }

    /// The text of a key segment of an error, for its message.
    pub fn key_text(&self, start: u32, len: u32) -> &str {
        let (start, len) = (start as usize, len as usize);
        if start.checked_add(len).is_none_or(|end| end > self.pos) {
            return "?";
        }
        // SAFETY: segments are recorded from strings this parser handed out, which lie behind
        // `pos`, are UTF-8 (checked as read; unescaping writes whole characters) and are
        // never written again; reading them shares them.
        unsafe {
            core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.ptr.add(start), len))
        }
    }

    fn peek(&self) -> Option<u8> {
        // SAFETY: `pos < len`, and bytes at or after `pos` have not been handed out.
        (self.pos < self.len).then(|| unsafe { *self.ptr.add(self.pos) })
    }

    /// Skips whitespace and returns the next byte, unconsumed.
    fn whitespace(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Records that `fail` happened inside `segment` (called from the inside out): its
    /// `depth`-th segment, kept in `path` if it is among the innermost [`MAX_PATH`]. A failure
    /// a visitor handled and dropped leaves segments behind, which the failure that is
    /// reported writes over as it passes the same depths.
    fn within(&mut self, mut fail: Fail, segment: Segment) -> Fail {
        if let Some(slot) = self.path.get_mut(fail.depth as usize) {
            *slot = segment;
        }
        fail.depth += 1;
        fail
    }

    fn error(&self, kind: Kind) -> Fail {
        Fail::at(kind, self.pos)
    }

    /// The next value's first byte, or an error at the end of the input.
    fn value_start(&mut self) -> Result<u8> {
        self.whitespace()
            .ok_or_else(|| self.error(Kind::Syntax("a value, found the end")))
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<()> {
        if self.whitespace() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(Kind::Syntax(what)))
        }
    }

    /// The text `[start, end)`, handed out for `'de`.
    fn text(&self, start: usize, end: usize) -> &'de str {
        // SAFETY: `start <= end <= pos <= len`: the range lies behind the reading position,
        // so nothing writes it again while `'de` lasts; it is UTF-8 (see `key_text`).
        unsafe {
            core::str::from_utf8_unchecked(core::slice::from_raw_parts(
                self.ptr.add(start),
                end - start,
            ))
        }
    }

    fn write(&mut self, at: usize, byte: u8) {
        // SAFETY: `at < pos`, within the string being read, which was never handed out.
        unsafe { *self.ptr.add(at) = byte };
    }

    /// A type error for the value that starts here, or a syntax error if it is not a value
    /// (`nope`, `-x`, `tru`): what was found is said only of valid JSON. The value is not
    /// consumed.
    fn mismatch(&mut self, expected: &'static str) -> Fail {
        let start = self.pos;
        let found = match self.peek() {
            Some(b'"') => Ok(Found::String),
            Some(b'{') => Ok(Found::Object),
            Some(b'[') => Ok(Found::Array),
            Some(b't') => self.literal(b"true").map(|()| Found::Boolean),
            Some(b'f') => self.literal(b"false").map(|()| Found::Boolean),
            Some(b'n') => self.literal(b"null").map(|()| Found::Null),
            Some(b'-' | b'0'..=b'9') => {
                self.number().map(
                    |(_, integer, _, _)| {
                        if integer { Found::Number } else { Found::Float }
                    },
                )
            }
            _ => Err(self.error(Kind::Syntax("a value"))),
        };
        // A literal or number runs up to a delimiter: `truex` is not `true`.
        let found = found.and_then(|found| match self.peek() {
            None | Some(b' ' | b'\n' | b'\r' | b'\t' | b',' | b'}' | b']' | b'"' | b'{' | b'[') => {
                Ok(found)
            }
            Some(_) => Err(Fail::at(Kind::Syntax("a value"), start)),
        });
        self.pos = start;
        match found {
            Ok(found) => Fail::at(Kind::Type { expected, found }, start),
            Err(fail) => fail,
        }
    }

    /// Reads the string that starts here, unescaping it in place.
    fn string(&mut self) -> Result<&'de str> {
        let start = self.pos + 1;
        let end = self.scan_string(true)?;
        Ok(self.text(start, end))
    }

    /// A value that must be a string: where it starts, and its (unescaped) text.
    fn string_value(&mut self) -> Result<(usize, &'de str)> {
        if self.value_start()? != b'"' {
            return Err(self.mismatch("a string"));
        }
        let at = self.pos;
        Ok((at, self.string()?))
    }

    /// Reads past a string; unescapes it in place if `unescape`, returning where its text ends
    /// (before the closing quote if not unescaped).
    fn scan_string(&mut self, unescape: bool) -> Result<usize> {
        self.pos += 1; // the opening quote
        let mut w = self.pos;
        loop {
            let text = scan::text_len(self.rest());
            let run = text.map_err(|at| Fail::at(Kind::Syntax("invalid UTF-8"), self.pos + at))?;
            if unescape && w != self.pos {
                // SAFETY: `w < pos` and `pos + run <= len`: both ranges lie in the string being
                // read, which was never handed out; `copy` lets them overlap.
                unsafe { core::ptr::copy(self.ptr.add(self.pos), self.ptr.add(w), run) };
            }
            w += run;
            self.pos += run;
            let Some(b) = self.peek() else {
                return Err(self.error(Kind::Syntax("the end of a string")));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(w);
                }
                b'\\' => {
                    let c = self.escape()?;
                    let mut utf8 = [0; 4];
                    for &b in c.encode_utf8(&mut utf8).as_bytes() {
                        if unescape {
                            self.write(w, b);
                        }
                        w += 1;
                    }
                }
                // A control byte: `text_len` stops at nothing else.
                _ => {
                    return Err(self.error(Kind::Syntax("no control characters in a string")));
                }
            }
        }
    }

    /// Reads an escape sequence (at its backslash) and returns its character.
    fn escape(&mut self) -> Result<char> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        if self.peek() != Some(b'\\') {
                            return Err(Fail::at(
                                Kind::Syntax("a low surrogate after a high one"),
                                at,
                            ));
                        }
                        self.pos += 1;
                        if self.peek() != Some(b'u') {
                            return Err(Fail::at(
                                Kind::Syntax("a low surrogate after a high one"),
                                at,
                            ));
                        }
                        self.pos += 1;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(Fail::at(
                                Kind::Syntax("a low surrogate after a high one"),
                                at,
                            ));
                        }
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => {
                        return Err(Fail::at(Kind::Syntax("no lone low surrogate"), at));
                    }
                    unit => unit,
                };
                return char::from_u32(code)
                    .ok_or_else(|| Fail::at(Kind::Syntax("a valid \\u escape"), at));
            }
            _ => return Err(Fail::at(Kind::Syntax("a valid escape"), at)),
        };
        self.pos += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|b| (b as char).to_digit(16));
            let digit =
                digit.ok_or_else(|| self.error(Kind::Syntax("four hex digits after \\u")))?;
            n = n << 4 | digit;
            self.pos += 1;
        }
        Ok(n)
    }

    /// Reads a number's text: `(negative, is an integer, start, end)`.
    fn number(&mut self) -> Result<(bool, bool, usize, usize)> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let digits = |de: &mut Self| {
            let from = de.pos;
            while de.peek().is_some_and(|b| b.is_ascii_digit()) {
                de.pos += 1;
            }
            de.pos - from
        };
        let int_start = self.pos;
        let int_len = digits(self);
        if int_len == 0 || (int_len > 1 && self.peek_at(int_start) == Some(b'0')) {
            return Err(Fail::at(Kind::Syntax("a number"), start));
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if digits(self) == 0 {
                return Err(Fail::at(
                    Kind::Syntax("digits after the decimal point"),
                    start,
                ));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(Fail::at(Kind::Syntax("digits in the exponent"), start));
            }
        }
        Ok((negative, integer, start, self.pos))
    }

    fn peek_at(&self, at: usize) -> Option<u8> {
        // SAFETY: `at < len`; only called with positions of the number being read.
        (at < self.len).then(|| unsafe { *self.ptr.add(at) })
    }

    /// An integer for a field of type `ty`, as a sign and magnitude.
    fn integer(&mut self, ty: &'static str) -> Result<(bool, u64)> {
        if !matches!(self.value_start()?, b'-' | b'0'..=b'9') {
            return Err(self.mismatch(ty));
        }
        let (negative, integer, start, end) = self.number()?;
        if !integer {
            let found = Found::Float;
            return Err(Fail::at(
                Kind::Type {
                    expected: "an integer",
                    found,
                },
                start,
            ));
        }
        let digits = self.text(start + usize::from(negative), end).as_bytes();
        let magnitude = crate::codec::num::ascii_to_u64(digits)
            .ok_or_else(|| Fail::at(Kind::OutOfRange(ty), start))?;
        Ok((negative, magnitude))
    }

    fn unsigned(&mut self, ty: &'static str, max: u64) -> Result<u64> {
        self.whitespace();
        let start = self.pos;
        match self.integer(ty)? {
            (false, n) if n <= max => Ok(n),
            (true, 0) => Ok(0),
            _ => Err(Fail::at(Kind::OutOfRange(ty), start)),
        }
    }

    fn signed(&mut self, ty: &'static str, max: u64) -> Result<i64> {
        self.whitespace();
        let start = self.pos;
        match self.integer(ty)? {
            (false, n) if n <= max => Ok(n as i64),
            (true, n) if n <= max + 1 => Ok((n as i64).wrapping_neg()),
            _ => Err(Fail::at(Kind::OutOfRange(ty), start)),
        }
    }

    fn float(&mut self, ty: &'static str) -> Result<f64> {
        if !matches!(self.value_start()?, b'-' | b'0'..=b'9') {
            return Err(self.mismatch(ty));
        }
        let (_, _, start, end) = self.number()?;
        finite(self.text(start, end)).ok_or_else(|| Fail::at(Kind::OutOfRange(ty), start))
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<()> {
        let start = self.pos;
        for &expected in word {
            if self.peek() != Some(expected) {
                return Err(Fail::at(Kind::Syntax("true, false or null"), start));
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(Kind::Syntax("at most 128 levels of nesting")));
        }
        self.pos += 1; // `{` or `[`
        Ok(())
    }

    /// Reads past the value that starts here without unescaping or handing out anything.
    fn skip(&mut self) -> Result<()> {
        match self.value_start()? {
            b'"' => self.scan_string(false).map(drop),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            open @ (b'[' | b'{') => {
                self.enter()?;
                let close = if open == b'[' { b']' } else { b'}' };
                let mut first = true;
                loop {
                    if self.whitespace() == Some(close) {
                        break;
                    }
                    if !first {
                        self.expect(b',', "`,` or the end of the array or object")?;
                    }
                    first = false;
                    if open == b'{' {
                        if self.whitespace() != Some(b'"') {
                            return Err(self.error(Kind::Syntax("a string key")));
                        }
                        self.scan_string(false)?;
                        self.expect(b':', "`:` after a key")?;
                    }
                    self.skip()?;
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(())
            }
            _ => Err(self.error(Kind::Syntax("a value"))),
        }
    }

    /// Enters the object or array (`open`) that must start here; returns where it starts.
    /// What [`Deserializer::object`] and [`Deserializer::array`] do that does not depend on
    /// the visitor is in functions of their own, written once rather than in each type's
    /// copy of those two.
    fn open(&mut self, open: u8, expected: &'static str) -> Result<usize> {
        if self.value_start()? != open {
            return Err(self.mismatch(expected));
        }
        let start = self.pos;
        self.enter()?;
        Ok(start)
    }

    fn object<V: Visitor<'de>>(&mut self, visitor: V, expected: &'static str) -> Result<V::Value> {
        let start = self.open(b'{', expected)?;
        let mut map = Entries {
            de: self,
            first: true,
            done: false,
            key: None,
            at: 0,
        };
        match visitor.visit_map(&mut map) {
            Ok(value) => map.finish(start).map(|()| value),
            Err(e) => Err(map.refused(e, start)),
        }
    }

    fn array<V: Visitor<'de>>(&mut self, visitor: V, expected: &'static str) -> Result<V::Value> {
        let start = self.open(b'[', expected)?;
        let mut seq = Elements {
            de: self,
            index: 0,
            done: false,
            at: 0,
        };
        match visitor.visit_seq(&mut seq) {
            Ok(value) => seq.finish(start).map(|()| value),
            Err(e) => Err(seq.refused(e, start)),
        }
    }
}

/// Reading an array's elements one at a time, each when it is reached (`events::Records`):
/// a batch of any size is read with the stack of one element.
#[cfg(feature = "events")]
impl<'de> Deserializer<'de> {
    /// A deserializer over an array's bytes, as [`RECORDS`] lends them (read through once
    /// already, so valid JSON that starts with `[`), before its first element. No bytes
    /// (`null`) is an array without elements.
    pub(crate) fn elements(array: &'de mut [u8]) -> Self {
        let mut de = Deserializer::new(array);
        de.pos = de.len.min(1);
        de
    }

    /// Finds the next element: where it starts and ends, and the text of the string at the
    /// path of keys `id` in it, if it has one (see [`Deserializer::skip_finding`]). `None`
    /// after the last.
    pub(crate) fn next_element(&mut self, id: &[&str]) -> Option<(usize, usize, Option<&'de str>)> {
        // The array is valid JSON: a `,` here is the one between two elements.
        if self.whitespace()? == b',' {
            self.pos += 1;
        }
        if self.whitespace()? == b']' {
            self.pos = self.len;
            return None;
        }
        let start = self.pos;
        let found = self.skip_finding(id).ok()?;
        Some((start, self.pos, found))
    }

    /// Deserializes the element at `start..end` (from [`Deserializer::next_element`]), its
    /// strings unescaped in place; reading goes on at `end` whether it parsed or not. Going
    /// back to `start` writes nothing handed out: `next_element` handed out only a string
    /// without escapes, which is never written.
    pub(crate) fn element<T: de::Deserialize<'de>>(
        &mut self,
        start: usize,
        end: usize,
    ) -> core::result::Result<T, DeError> {
        self.pos = start;
        self.depth = 0;
        let result = T::deserialize(&mut *self);
        self.pos = end;
        self.depth = 0;
        result.map_err(|fail| fail.finish(&self.path))
    }

    /// The bytes before the reading position, which are never written again: an element's
    /// error reads its path's keys there.
    pub(crate) fn behind(&self) -> &'de [u8] {
        // SAFETY: `pos <= len`; bytes behind the reading position are never written again
        // (the next element starts at or after it), and are only read from here on.
        unsafe { core::slice::from_raw_parts(self.ptr, self.pos) }
    }

    /// Reads past the value that starts here, as [`Deserializer::skip`] does, and finds in
    /// it the string at the path of keys `path` (`["messageId"]`): its text, if it has no
    /// escapes. Such a text is never written (unescaping writes only from an escape on), so
    /// it may be handed out before the value is deserialized in place.
    fn skip_finding(&mut self, path: &[&str]) -> Result<Option<&'de str>> {
        let Some((name, inner)) = path.split_first() else {
            return self.skip().map(|()| None);
        };
        if self.value_start()? != b'{' {
            return self.skip().map(|()| None);
        }
        self.enter()?;
        let mut found = None;
        let mut first = true;
        while self.whitespace() != Some(b'}') {
            if !first {
                self.expect(b',', "`,` or `}` after an object's entry")?;
            }
            first = false;
            if self.whitespace() != Some(b'"') {
                return Err(self.error(Kind::Syntax("a string key")));
            }
            let key = self.pos + 1;
            self.scan_string(false)?;
            // The key as it lies: a key with escapes is not a name of ours.
            let is_name = self.text(key, self.pos - 1) == *name;
            self.expect(b':', "`:` after a key")?;
            if !is_name {
                self.skip()?;
            } else if !inner.is_empty() {
                found = self.skip_finding(inner)?;
            } else if self.whitespace() == Some(b'"') {
                let start = self.pos + 1;
                let end = self.scan_string(false)?;
                found = (end == self.pos - 1).then(|| self.text(start, end));
            } else {
                self.skip()?;
            }
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(found)
    }
}

/// A JSON number's value; `None` beyond `f64`'s range (JSON has no infinity).
fn finite(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The entries of an object.
struct Entries<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
    done: bool,
    /// The current key, for the error path, and where it starts.
    key: Option<Segment>,
    at: usize,
}

impl<'de> Entries<'_, 'de> {
    /// After the visitor took what it wanted: the rest of the object is read past.
    fn finish(&mut self, start: usize) -> Result<()> {
        while !self.done {
            let key = self.next_key_seed(PhantomData::<de::IgnoredAny>);
            if key.map_err(|e| e.or_at(start))?.is_some() {
                self.next_value_seed(PhantomData::<de::IgnoredAny>)
                    .map_err(|e| e.or_at(start))?;
            }
        }
        self.de.depth -= 1;
        Ok(())
    }

    /// The visitor's failure, told more precisely where it can be.
    fn refused(&mut self, mut e: Fail, start: usize) -> Fail {
        match (e.kind, self.key) {
            // A fixed-capacity type refuses the entry after its last.
            (Kind::Length(len), Some(key)) if !self.done && len > 0 => {
                e.kind = Kind::OverCapacity { capacity: len - 1 };
                e.set_offset(self.at);
                self.de.within(e, key)
            }
            _ => e.or_at(start),
        }
    }

    /// Reads the next key and its `:`; `None` at the end of the object.
    fn key(&mut self) -> Result<Option<(&'de str, Segment)>> {
        if self.done {
            return Ok(None);
        }
        if self.de.whitespace() == Some(b'}') {
            self.de.pos += 1;
            self.done = true;
            return Ok(None);
        }
        if !self.first {
            self.de.expect(b',', "`,` or `}` after an object's entry")?;
        }
        self.first = false;
        self.de.whitespace();
        self.at = self.de.pos;
        if self.de.peek() != Some(b'"') {
            return Err(self.de.error(Kind::Syntax("a string key")));
        }
        let key = self.de.string()?;
        let start = key.as_ptr() as usize - self.de.ptr as usize;
        let segment = Segment::Key {
            start: start as u32,
            len: key.len() as u32,
        };
        self.key = Some(segment);
        self.de.expect(b':', "`:` after a key")?;
        Ok(Some((key, segment)))
    }

    /// The key's type refused it.
    fn key_refused(&mut self, e: Fail, segment: Segment) -> Fail {
        self.de.within(e.or_at(self.at), segment)
    }
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Fail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((key, segment)) = self.key()? else {
            return Ok(None);
        };
        let value = seed.deserialize(de::value::BorrowedStrDeserializer::<Fail>::new(key));
        value.map(Some).map_err(|e| self.key_refused(e, segment))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let result = seed.deserialize(&mut *self.de);
        match self.key {
            Some(segment) => result.map_err(|e| self.de.within(e, segment)),
            None => result,
        }
    }
}

/// The elements of an array.
struct Elements<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    index: u32,
    done: bool,
    /// Where the last element started.
    at: usize,
}

impl Elements<'_, '_> {
    /// After the visitor took what it wanted: the rest of the array is read past.
    fn finish(&mut self, start: usize) -> Result<()> {
        while !self.done {
            let element = self.next_element_seed(PhantomData::<de::IgnoredAny>);
            if element.map_err(|e| e.or_at(start))?.is_none() {
                break;
            }
        }
        self.de.depth -= 1;
        Ok(())
    }

    /// The visitor's failure, told more precisely where it can be.
    fn refused(&mut self, mut e: Fail, start: usize) -> Fail {
        match e.kind {
            // A fixed-capacity type refuses the element after its last.
            Kind::Length(len) if !self.done && len > 0 && len as u32 == self.index => {
                e.kind = Kind::OverCapacity { capacity: len - 1 };
                e.set_offset(self.at);
                self.de.within(e, Segment::Index(self.index - 1))
            }
            Kind::Length(len) if self.done => {
                e.kind = Kind::TooFew { found: len };
                e.or_at(start)
            }
            _ => e.or_at(start),
        }
    }
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Fail;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.done {
            return Ok(None);
        }
        if self.de.whitespace() == Some(b']') {
            self.de.pos += 1;
            self.done = true;
            return Ok(None);
        }
        if self.index > 0 {
            self.de
                .expect(b',', "`,` or `]` after an array's element")?;
        }
        let index = self.index;
        self.index += 1;
        self.de.whitespace();
        self.at = self.de.pos;
        seed.deserialize(&mut *self.de)
            .map(Some)
            .map_err(|e| self.de.within(e, Segment::Index(index)))
    }
}

/// An enum written as `{"Variant": value}`.
struct Variant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = Fail;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        if self.de.whitespace() != Some(b'"') {
            return Err(self.de.error(Kind::Syntax("a string key")));
        }
        let at = self.de.pos;
        let name = self.de.string()?;
        let value = seed
            .deserialize(de::value::BorrowedStrDeserializer::<Fail>::new(name))
            .map_err(|e| e.or_at(at))?;
        self.de.expect(b':', "`:` after a key")?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Fail;

    fn unit_variant(self) -> Result<()> {
        de::Deserialize::deserialize(&mut *self.de)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value> {
        self.de.array(visitor, "an array")
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.de.object(visitor, "an object")
    }
}

macro_rules! unsigned {
    ($($method:ident $ty:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            visitor.visit_u64(self.unsigned(stringify!($ty), $ty::MAX as u64)?)
        }
    )*};
}

macro_rules! signed {
    ($($method:ident $ty:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            visitor.visit_i64(self.signed(stringify!($ty), $ty::MAX as u64)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Fail;

    unsigned!(deserialize_u8 u8, deserialize_u16 u16, deserialize_u32 u32, deserialize_u64 u64);
    signed!(deserialize_i8 i8, deserialize_i16 i16, deserialize_i32 i32, deserialize_i64 i64);

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value_start()? {
            b'"' => visitor.visit_borrowed_str(self.string()?),
            b'{' => self.object(visitor, "an object"),
            b'[' => self.array(visitor, "an array"),
            b't' | b'f' => self.deserialize_bool(visitor),
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' => {
                let (negative, integer, start, end) = self.number()?;
                let digits = self.text(start + usize::from(negative), end).as_bytes();
                let magnitude = if integer {
                    crate::codec::num::ascii_to_u64(digits)
                } else {
                    None
                };
                match (negative, magnitude) {
                    (false, Some(n)) => visitor.visit_u64(n),
                    (true, Some(n)) if n <= i64::MAX as u64 + 1 => {
                        visitor.visit_i64((n as i64).wrapping_neg())
                    }
                    _ => {
                        let text = self.text(start, end);
                        let n =
                            finite(text).ok_or_else(|| Fail::at(Kind::OutOfRange("f64"), start))?;
                        visitor.visit_f64(n)
                    }
                }
            }
            _ => Err(self.error(Kind::Syntax("a value"))),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value_start()? {
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            _ => Err(self.mismatch("a boolean")),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let start = self.whitespace().map_or(self.pos, |_| self.pos);
        let n = self.float("f32")?;
        if n.abs() > f64::from(f32::MAX) {
            return Err(Fail::at(Kind::OutOfRange("f32"), start));
        }
        visitor.visit_f32(n as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_f64(self.float("f64")?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (at, text) = self.string_value()?;
        visitor
            .visit_borrowed_str(text)
            .map_err(|e: Fail| e.or_at(at))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    /// Bytes are a string's (unescaped) bytes.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (at, text) = self.string_value()?;
        visitor
            .visit_borrowed_bytes(text.as_bytes())
            .map_err(|e: Fail| e.or_at(at))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.value_start()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.value_start()? != b'n' {
            return Err(self.mismatch("null"));
        }
        self.literal(b"null")?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == RAW_JSON {
            let start = self.value_start().map(|_| self.pos)?;
            self.skip()?;
            // SAFETY: `start` is within the buffer (at most `pos`).
            super::in_place::lend(unsafe { self.ptr.add(start) }, self.pos - start);
            return visitor.visit_borrowed_str(self.text(start, self.pos));
        }
        if name == RECORDS {
            let start = match self.value_start()? {
                b'[' => {
                    let start = self.pos;
                    self.skip()?;
                    start
                }
                b'n' => {
                    self.literal(b"null")?;
                    self.pos
                }
                _ => return Err(self.mismatch("an array")),
            };
            // SAFETY: `start` is within the buffer (at most `pos`).
            super::in_place::lend(unsafe { self.ptr.add(start) }, self.pos - start);
            return visitor.visit_borrowed_str(self.text(start, self.pos));
        }
        if name == super::in_place::IN_PLACE {
            let (_, text) = self.string_value()?;
            // The pointer, made from the event buffer's own (writable) one, not from `text`.
            let start = text.as_ptr() as usize - self.ptr as usize;
            // SAFETY: `start` is within the buffer: `text` was made from it.
            super::in_place::lend(unsafe { self.ptr.add(start) }, text.len());
            return visitor.visit_borrowed_str(text);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.array(visitor, "an array")
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value> {
        self.array(visitor, "an array")
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.array(visitor, "an array")
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.object(visitor, "an object")
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.object(visitor, "an object")
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.value_start()? {
            b'"' => {
                let at = self.pos;
                let name = self.string()?;
                visitor
                    .visit_enum(de::value::BorrowedStrDeserializer::<Fail>::new(name))
                    .map_err(|e: Fail| e.or_at(at))
            }
            b'{' => {
                let start = self.pos;
                self.enter()?;
                let value = visitor
                    .visit_enum(Variant { de: self })
                    .map_err(|e| e.or_at(start))?;
                self.expect(b'}', "`}` after an enum's only entry")?;
                self.depth -= 1;
                Ok(value)
            }
            _ => Err(self.mismatch("a string or an object")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }
}
