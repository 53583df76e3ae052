//! Decimal numbers without `core::fmt`, which would cost more than the rest of the binary.

/// Room for any `u64` in decimal.
pub const U64_DIGITS: usize = 20;

/// Writes `n` in decimal at the end of `buf` and returns the digits.
/// (Without indexing: its panic paths would cost more than the function.)
pub fn u64_to_ascii(mut n: u64, buf: &mut [u8; U64_DIGITS]) -> &[u8] {
    let mut start = buf.len();
    for digit in buf.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or_default()
}

/// Parses plain ASCII digits (no sign, no spaces) as a `u64`; `None` when empty, not digits,
/// or too large.
pub fn ascii_to_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_decimal() {
        let mut buf = [0; U64_DIGITS];
        for n in [0, 7, 10, 202, 6_291_456, u64::MAX] {
            assert_eq!(u64_to_ascii(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn parses_only_plain_digits() {
        assert_eq!(ascii_to_u64(b"0"), Some(0));
        assert_eq!(ascii_to_u64(b"1700000000123"), Some(1_700_000_000_123));
        assert_eq!(ascii_to_u64(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"18446744073709551616",
            b"+1",
            b"-1",
            b" 1",
            b"1 ",
            b"0x10",
            b"1e3",
        ] {
            assert_eq!(ascii_to_u64(bad), None, "{bad:?}");
        }
    }
}
