//! A Rust handler's failure, [`Error`]: an error type and a message, small enough to return
//! by value through every `?` (64 bytes; clippy's `result_large_err` flags errors over 128).
//!
//! The message lives where its length allows, without a heap:
//! - a `&'static str` as it is ([`Error::from_static`], and the runtime's own errors);
//! - up to [`INLINE_MESSAGE`] bytes inside the error;
//! - longer ones, up to [`MAX_RUST_ERROR_MESSAGE`] bytes, in one of [`LONG_MESSAGES`] buffers
//!   the runtime keeps for them in `.bss` (no bytes in the file, no pages until used): the
//!   error owns its buffer until it is dropped, so every message stays readable as `&str` for
//!   as long as its error lives. Should more long messages be alive at once than there are
//!   buffers (a handler that collects errors), the extra ones are cut to [`INLINE_MESSAGE`]
//!   bytes; a handler returns one error, so this is only ever a corner.

use core::cell::UnsafeCell;
use core::fmt;
use core::ops::Deref;
use core::sync::atomic::{AtomicBool, Ordering};

/// Longest error message a Rust handler's [`Error`] carries; longer ones are cut, at a
/// character boundary.
pub const MAX_RUST_ERROR_MESSAGE: usize = 4096;
/// Longest message kept inside the [`Error`] itself.
pub const INLINE_MESSAGE: usize = 46;
/// How many messages longer than [`INLINE_MESSAGE`] can be alive at once without being cut.
pub const LONG_MESSAGES: usize = 4;

/// A handler's failure: an error type and a message, posted to `/error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The error type, e.g. `Function.BadInput`: the `Lambda-Runtime-Function-Error-Type`
    /// header and the document's `errorType`.
    pub error_type: &'static str,
    /// The document's `errorMessage`; reads as a `&str`.
    pub message: Message,
}

impl Error {
    /// `message` is copied (see the module's documentation for where to), cut to
    /// [`MAX_RUST_ERROR_MESSAGE`] bytes at a character boundary.
    pub fn new(error_type: &'static str, message: &str) -> Self {
        Error {
            error_type,
            message: Message::new(message),
        }
    }

    /// An error whose message is a string that lives as long as the program: not copied.
    pub const fn from_static(error_type: &'static str, message: &'static str) -> Self {
        Error {
            error_type,
            message: Message::from_static(message),
        }
    }

    /// An error of the type the handler names, whose message is what `error` displays: for
    /// errors that callers tell apart by type (`Err(Error::typed("Order.NotFound", e))?`,
    /// or `.map_err(|e| Error::typed("Retryable", e))`).
    pub fn typed(error_type: &'static str, error: impl fmt::Display) -> Self {
        Error {
            error_type,
            message: Message::display(&error),
        }
    }
}

/// `?` on any error: the error type is the error's Rust type (`core::num::error::ParseIntError`,
/// as `lambda_runtime` names it) and the message is what it displays. An error that should name
/// its own type either is not a `core::error::Error` and implements `From` for [`Error`] itself,
/// or goes through [`Error::typed`].
///
/// Formatting the message links `core::fmt`, but only into bootstraps that use this.
impl<E: core::error::Error> From<E> for Error {
    fn from(error: E) -> Self {
        Error::typed(core::any::type_name::<E>(), error)
    }
}

/// An [`Error`]'s message: a `&str` (through `Deref`) that needs no heap.
pub struct Message(Repr);

enum Repr {
    /// `len` bytes of UTF-8 at `ptr`: a `&'static str`, or long-message buffer `buffer`, which
    /// this message owns until it is dropped (`NO_BUFFER` for a static string).
    Text {
        ptr: *const u8,
        len: usize,
        buffer: u8,
    },
    Inline {
        len: u8,
        bytes: [u8; INLINE_MESSAGE],
    },
}

const NO_BUFFER: u8 = u8::MAX;

// SAFETY: the bytes a message points at are a static string or a buffer only it uses, and
// they do not change while it lives: it can move to or be read from any thread, as a
// `&'static str` can.
unsafe impl Send for Message {}
// SAFETY: as above.
unsafe impl Sync for Message {}

impl Message {
    /// A copy of `text`, cut to [`MAX_RUST_ERROR_MESSAGE`] bytes at a character boundary.
    pub fn new(text: &str) -> Self {
        let text = cut(text, MAX_RUST_ERROR_MESSAGE);
        let buffer = if text.len() > INLINE_MESSAGE {
            LONG.take()
        } else {
            None
        };
        Message::stored(text, buffer)
    }

    /// What `value` displays, cut as [`Message::new`] cuts.
    pub fn display(value: &dyn fmt::Display) -> Self {
        match LONG.take() {
            Some(index) => {
                let Some(cell) = LONG.buffers.get(index) else {
                    return Message::inline_display(value);
                };
                // SAFETY: `take` made the buffer ours alone until `release`.
                let buf: &mut [u8; MAX_RUST_ERROR_MESSAGE] = unsafe { &mut *cell.get() };
                let len = Filler::fill(buf, value);
                Message(Repr::Text {
                    ptr: buf.as_ptr(),
                    len,
                    buffer: index as u8,
                })
            }
            None => Message::inline_display(value),
        }
    }

    fn inline_display(value: &dyn fmt::Display) -> Self {
        let mut bytes = [0; INLINE_MESSAGE];
        let len = Filler::fill(&mut bytes, value);
        Message(Repr::Inline {
            len: len as u8,
            bytes,
        })
    }

    const fn from_static(text: &'static str) -> Self {
        Message(Repr::Text {
            ptr: text.as_ptr(),
            len: text.len(),
            buffer: NO_BUFFER,
        })
    }

    /// `text` in long-message buffer `index`, taken for it, or, without one, inside the
    /// message, cut to [`INLINE_MESSAGE`] bytes.
    fn stored(text: &str, buffer: Option<usize>) -> Self {
        // Copies without indexing that could panic: a panic's location costs the bootstrap bytes.
        if let Some((index, cell)) = buffer.and_then(|i| Some((i, LONG.buffers.get(i)?))) {
            // SAFETY: `take` made the buffer ours alone until `release`.
            let buf: &mut [u8; MAX_RUST_ERROR_MESSAGE] = unsafe { &mut *cell.get() };
            let len = crate::codec::bytes::put(buf, 0, text.as_bytes()).unwrap_or(0);
            return Message(Repr::Text {
                ptr: buf.as_ptr(),
                len,
                buffer: index as u8,
            });
        }
        let text = cut(text, INLINE_MESSAGE);
        let mut bytes = [0; INLINE_MESSAGE];
        let len = crate::codec::bytes::put(&mut bytes, 0, text.as_bytes()).unwrap_or(0);
        Message(Repr::Inline {
            len: len as u8,
            bytes,
        })
    }

    /// The message's text.
    pub fn as_str(&self) -> &str {
        let bytes = match &self.0 {
            // SAFETY: `ptr` and `len` describe a `&'static str` or the UTF-8 that `stored` copied
            // into a buffer this message owns: nothing writes it until `drop` releases it,
            // which cannot happen while `self` is borrowed.
            Repr::Text { ptr, len, .. } => unsafe { core::slice::from_raw_parts(*ptr, *len) },
            // Not indexed: a panic's location would cost the bootstrap bytes.
            Repr::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
        };
        // SAFETY: the bytes come from a `&str`, cut at a character boundary.
        unsafe { core::str::from_utf8_unchecked(bytes) }
    }
}

impl Deref for Message {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::new(text)
    }
}

impl Drop for Message {
    // Once, not at every place an error may be dropped.
    #[inline(never)]
    fn drop(&mut self) {
        if let Repr::Text { buffer, .. } = self.0 {
            LONG.release(usize::from(buffer));
        }
    }
}

impl Clone for Message {
    fn clone(&self) -> Self {
        match self.0 {
            Repr::Text {
                ptr,
                len,
                buffer: NO_BUFFER,
            } => Message(Repr::Text {
                ptr,
                len,
                buffer: NO_BUFFER,
            }),
            _ => Message::new(self.as_str()),
        }
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Message {}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes what a value displays into a buffer, keeping what fits, cut at a character
/// boundary: a message is never refused for its length.
struct Filler<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Filler<'_> {
    /// Fills `buf` with what `value` displays; returns the length written, all UTF-8.
    fn fill(buf: &mut [u8], value: &dyn fmt::Display) -> usize {
        let mut filler = Filler { buf, len: 0 };
        // A full buffer ends the formatting with `Err`; what was written stays.
        let _ = fmt::write(&mut filler, format_args!("{value}"));
        filler.len
    }
}

impl fmt::Write for Filler<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let piece = cut(s, room);
        self.len =
            crate::codec::bytes::put(self.buf, self.len, piece.as_bytes()).ok_or(fmt::Error)?;
        if piece.len() < s.len() {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// The first `max` bytes of `text` or fewer, ending at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// The buffers of long messages, each owned by at most one [`Message`] at a time.
struct LongMessages<const N: usize> {
    taken: [AtomicBool; N],
    buffers: [UnsafeCell<[u8; MAX_RUST_ERROR_MESSAGE]>; N],
}

// SAFETY: a buffer is only written or read by the message that took it (an atomic swap of its
// `taken` flag), until that message releases it.
unsafe impl<const N: usize> Sync for LongMessages<N> {}

/// Unit tests run on threads that all make errors: they get enough buffers never to run out
/// (running out is tested on a pool of their own). Fewer than `NO_BUFFER`.
const POOL: usize = if cfg!(test) { 128 } else { LONG_MESSAGES };

static LONG: LongMessages<POOL> = LongMessages::new();

impl<const N: usize> LongMessages<N> {
    const fn new() -> Self {
        LongMessages {
            taken: [const { AtomicBool::new(false) }; N],
            buffers: [const { UnsafeCell::new([0; MAX_RUST_ERROR_MESSAGE]) }; N],
        }
    }

    /// A free buffer's index, now taken; `None` when all are.
    fn take(&self) -> Option<usize> {
        self.taken
            .iter()
            .position(|taken| !taken.swap(true, Ordering::Acquire))
    }

    fn release(&self, index: usize) {
        if let Some(taken) = self.taken.get(index) {
            taken.store(false, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<u32, Error> {
        Ok(text.parse::<u32>()?)
    }

    #[test]
    fn question_mark_converts_any_error_with_its_type_and_message() {
        assert_eq!(parse("12"), Ok(12));
        let error = parse("x").unwrap_err();
        assert_eq!(error.error_type, "core::num::error::ParseIntError");
        assert_eq!(error.message.as_str(), "invalid digit found in string");
        let error = Error::from(core::str::from_utf8(std::hint::black_box(&[0xff])).unwrap_err());
        assert_eq!(error.error_type, "core::str::error::Utf8Error");
    }

    /// An error whose message is long, in pieces, with multi-byte characters.
    struct Chatty(usize);

    impl fmt::Display for Chatty {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for i in 0..self.0 {
                write!(f, "é{i} ")?;
            }
            Ok(())
        }
    }

    #[test]
    fn displayed_messages_are_kept_whole_or_cut_at_a_character_boundary() {
        let short = Error::typed("T", Chatty(3));
        assert_eq!(short.message.as_str(), "é0 é1 é2 ");
        let whole: String = (0..200).map(|i| format!("é{i} ")).collect();
        assert_eq!(Error::typed("T", Chatty(200)).message.as_str(), whole);
        let long = Error::typed("T", Chatty(5000));
        assert!(long.message.len() <= MAX_RUST_ERROR_MESSAGE);
        assert!(
            long.message.len() > MAX_RUST_ERROR_MESSAGE - 8,
            "filled: {}",
            long.message.len()
        );
        assert!(long.message.starts_with("é0 é1 "));
        let inline = Message::inline_display(&Chatty(100));
        assert!(inline.len() <= INLINE_MESSAGE && inline.starts_with("é0 "));
    }

    #[test]
    fn small_enough_for_clippy() {
        assert!(size_of::<Error>() <= 64, "{}", size_of::<Error>());
        assert_eq!(size_of::<Result<(), Error>>(), size_of::<Error>());
    }

    #[test]
    fn messages_of_every_length_read_back() {
        for len in [
            0,
            1,
            INLINE_MESSAGE,
            INLINE_MESSAGE + 1,
            1000,
            MAX_RUST_ERROR_MESSAGE,
        ] {
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let error = Error::new("T", &text);
            assert_eq!(error.message.as_str(), text);
            assert_eq!(&*error.message, text, "through Deref");
            assert_eq!(error.clone(), error);
        }
        let error = Error::from_static("T", "static");
        assert_eq!((error.error_type, error.message.as_str()), ("T", "static"));
        assert_eq!(
            error,
            Error::new("T", "static"),
            "equal by content, whatever the storage"
        );
        assert_ne!(error, Error::new("T", "other"));
    }

    #[test]
    fn error_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_RUST_ERROR_MESSAGE);
        let error = Error::new("T", &long);
        assert_eq!(error.message.len(), MAX_RUST_ERROR_MESSAGE);
        let odd = format!("x{long}");
        assert_eq!(
            Error::new("T", &odd).message.len(),
            MAX_RUST_ERROR_MESSAGE - 1
        );
    }

    #[test]
    fn live_long_messages_never_overwrite_each_other() {
        let texts: Vec<String> = (0..LONG_MESSAGES + 2)
            .map(|i| format!("{i}:{}", "x".repeat(100 + i)))
            .collect();
        let errors: Vec<Error> = texts.iter().map(|t| Error::new("T", t)).collect();
        for (error, text) in errors.iter().zip(&texts) {
            assert_eq!(error.message.as_str(), text);
        }
    }

    #[test]
    fn without_a_free_buffer_a_long_message_is_cut() {
        let text = "long message ".repeat(10);
        let message = Message::stored(&text, None);
        assert_eq!(message.as_str(), &text[..INLINE_MESSAGE]);
    }

    #[test]
    fn buffers_are_taken_once_and_freed() {
        static PAIR: LongMessages<2> = LongMessages::new();
        let (a, b) = (PAIR.take(), PAIR.take());
        assert_eq!((a, b), (Some(0), Some(1)));
        assert_eq!(PAIR.take(), None, "both taken");
        PAIR.release(0);
        assert_eq!(PAIR.take(), Some(0), "freed, taken again");
    }
}
