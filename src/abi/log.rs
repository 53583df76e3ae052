//! Logging for handlers, under the same controls as the runtime's own lines
//! (`AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`; see `sys::log`): each message is one
//! `write`, so lines never interleave between workers, carries the invocation's request id,
//! and is escaped in JSON mode.
//!
//! Rust handlers use the macros (`lambda_bootstrap::info!(ctx, "served ", n, " items")`):
//! the parts are strings, byte strings or integers, joined without `core::fmt` (which would
//! double a bootstrap's size). C handlers call `lb_log(level, message, length)`.

use super::context::Context;
use crate::codec::num;
use crate::sys::log::{self, Level, Source};

/// The most parts a message joins.
pub const MAX_PARTS: usize = 8;

/// A piece of a log message: its bytes, integers written in decimal into `digits`.
pub trait Part {
    /// The part's bytes; a number is written into `digits` and borrowed from there.
    fn bytes<'a>(&'a self, digits: &'a mut [u8; num::U64_DIGITS + 1]) -> &'a [u8];
}

impl Part for str {
    fn bytes<'a>(&'a self, _: &'a mut [u8; num::U64_DIGITS + 1]) -> &'a [u8] {
        self.as_bytes()
    }
}

impl Part for [u8] {
    fn bytes<'a>(&'a self, _: &'a mut [u8; num::U64_DIGITS + 1]) -> &'a [u8] {
        self
    }
}

impl<const N: usize> Part for [u8; N] {
    fn bytes<'a>(&'a self, _: &'a mut [u8; num::U64_DIGITS + 1]) -> &'a [u8] {
        self
    }
}

impl<T: Part + ?Sized> Part for &T {
    fn bytes<'a>(&'a self, digits: &'a mut [u8; num::U64_DIGITS + 1]) -> &'a [u8] {
        (**self).bytes(digits)
    }
}

macro_rules! integer_parts {
    ($($t:ty),*) => {$(
        impl Part for $t {
            fn bytes<'a>(&'a self, digits: &'a mut [u8; num::U64_DIGITS + 1]) -> &'a [u8] {
                #[allow(unused_comparisons)] // unsigned types are never negative
                let negative = *self < 0;
                decimal(negative, (*self as i128).unsigned_abs() as u64, digits)
            }
        }
    )*};
}

integer_parts!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// `magnitude` in decimal, after a `-` if `negative`, at the end of `digits`.
fn decimal(negative: bool, magnitude: u64, digits: &mut [u8; num::U64_DIGITS + 1]) -> &[u8] {
    let Some((_, room)) = digits.split_first_mut() else {
        return b"";
    };
    let Ok(room) = <&mut [u8; num::U64_DIGITS]>::try_from(room) else {
        return b"";
    };
    let len = num::u64_to_ascii(magnitude, room).len();
    // Where the number starts in `digits`: a negative one's magnitude has at most 19 digits,
    // so its sign fits.
    let start = num::U64_DIGITS + 1 - len - usize::from(negative);
    if let (true, Some(minus)) = (negative, digits.get_mut(start)) {
        *minus = b'-';
    }
    digits.get(start..).unwrap_or_default()
}

/// Writes `parts`, joined, as one log line at `level` for the invocation of `ctx` (see the
/// macros: `lambda_bootstrap::info!` and others). Parts past [`MAX_PARTS`] are left out.
pub fn write(level: Level, ctx: &Context<'_>, parts: &[&dyn Part]) {
    let _ = ctx; // the runtime lends the request id to the log for the invocation's length
    let mut digits = [[0u8; num::U64_DIGITS + 1]; MAX_PARTS];
    let mut bytes: [&[u8]; MAX_PARTS] = [&[]; MAX_PARTS];
    let mut count = 0;
    for ((slot, digits), part) in bytes.iter_mut().zip(digits.iter_mut()).zip(parts) {
        *slot = part.bytes(digits);
        count += 1;
    }
    log::write(
        level,
        Source::Handler,
        bytes.get(..count).unwrap_or_default(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(part: &dyn Part) -> String {
        let mut digits = [0; num::U64_DIGITS + 1];
        String::from_utf8(part.bytes(&mut digits).to_vec()).unwrap()
    }

    #[test]
    fn parts_are_text_bytes_and_decimal_numbers() {
        assert_eq!(text(&"abc"), "abc");
        assert_eq!(text(&b"xyz"), "xyz");
        assert_eq!(text(&&b"q"[..]), "q");
        assert_eq!(text(&0u32), "0");
        assert_eq!(text(&u64::MAX), "18446744073709551615");
        assert_eq!(text(&-42i32), "-42");
        assert_eq!(text(&i64::MIN), "-9223372036854775808");
        assert_eq!(text(&7usize), "7");
    }
}
