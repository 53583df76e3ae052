//! Finding where a JSON string's plain text ends, sixteen or eight bytes at a time.
//!
//! The deserializer used to check the whole event with `core::str::from_utf8` and then walk
//! each string a byte at a time; at the product's `opt-level = "z"` (applied to core too by
//! LTO) that cost about 1.8 ns per event byte, ten times the socket's cost. Here a string's
//! text is read a `u64` word at a time (SWAR: bit tricks over the word's eight bytes), on
//! x86_64 sixteen bytes at a time with SSE2 first (part of every x86_64 CPU, so no detection
//! is needed), and UTF-8 is checked only over the runs of non-ASCII bytes, where they are.

/// Each byte's lowest bit.
const ONES: u64 = 0x0101_0101_0101_0101;
/// Each byte's highest bit.
const HIGH: u64 = ONES * 0x80;

/// The high bit of each byte of `v` that is zero. Exact up to the lowest such byte: bytes
/// above a zero one may be flagged too (the borrow runs on), but none below.
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v
}

/// Flags the bytes that end plain text: `"`, `\`, a control byte (below 0x20) or a
/// non-ASCII one (0x80 and up). Exact up to the lowest flagged byte.
fn not_plain(x: u64) -> u64 {
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    (control
        | zero_bytes(x ^ (ONES * u64::from(b'"')))
        | zero_bytes(x ^ (ONES * u64::from(b'\\')))
        | x)
        & HIGH
}

/// Flags the ASCII bytes (below 0x80): they end a run of non-ASCII ones.
fn ascii(x: u64) -> u64 {
    !x & HIGH
}

/// How many bytes at the start of `bytes` `stop` flags none of. `stop` must flag a zero
/// byte (both above do): the last, partial word is padded with zeros, which ends the run
/// at the end of `bytes`.
#[inline(always)]
fn run_len(bytes: &[u8], stop: impl Fn(u64) -> u64) -> usize {
    let mut rest = bytes;
    let mut n = 0;
    loop {
        let word = match rest.first_chunk::<8>() {
            Some(word) => *word,
            None => {
                let mut word = [0; 8];
                for (to, from) in word.iter_mut().zip(rest) {
                    *to = *from;
                }
                word
            }
        };
        let found = stop(u64::from_le_bytes(word));
        if found != 0 {
            return n + (found.trailing_zeros() / 8) as usize;
        }
        n += 8;
        rest = rest.get(8..).unwrap_or_default();
    }
}

/// How many bytes at the start of `bytes` are plain text (see [`not_plain`]): SSE2 over
/// whole 16-byte blocks, then words. A 1 MiB string is most of a large event's cost beside
/// its receive: SSE2 takes it from about 0.17 to about 0.05 ns per byte.
#[cfg(target_arch = "x86_64")]
fn plain_len(bytes: &[u8]) -> usize {
    use core::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut n = 0;
    while let Some(block) = bytes.get(n..).and_then(<[u8]>::first_chunk::<16>) {
        // SAFETY: SSE2 is in x86_64's baseline; the unaligned load reads exactly `block`'s
        // 16 bytes.
        let flags = unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Signed: below 0x20 is a control byte, and 0x80 and up are negative.
            let low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), low))
        };
        if flags != 0 {
            return n + flags.trailing_zeros() as usize;
        }
        n += 16;
    }
    n + run_len(bytes.get(n..).unwrap_or_default(), not_plain)
}

/// How many bytes at the start of `bytes` are plain text (see [`not_plain`]).
#[cfg(not(target_arch = "x86_64"))]
fn plain_len(bytes: &[u8]) -> usize {
    run_len(bytes, not_plain)
}

/// How many bytes at the start of `bytes` are a string's text as it lies in JSON: no `"`,
/// `\` or control byte, and UTF-8. `Err` holds the offset of the first byte that is not
/// UTF-8 (where `core::str::from_utf8` over the whole would say it is).
pub fn text_len(bytes: &[u8]) -> Result<usize, usize> {
    let mut n = 0;
    loop {
        n += plain_len(bytes.get(n..).unwrap_or_default());
        let rest = bytes.get(n..).unwrap_or_default();
        // A run of non-ASCII bytes holds whole characters if it is UTF-8 at all: the
        // continuation bytes are non-ASCII too.
        let run = run_len(rest, ascii);
        if run == 0 {
            return Ok(n);
        }
        if let Err(e) = core::str::from_utf8(rest.get(..run).unwrap_or_default()) {
            return Err(n + e.valid_up_to());
        }
        n += run;
    }
}

#[cfg(test)]
mod tests {
    use super::text_len;

    /// The definition, a byte at a time.
    fn simple(bytes: &[u8]) -> Result<usize, usize> {
        let end = bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(bytes.len());
        match core::str::from_utf8(&bytes[..end]) {
            Ok(_) => Ok(end),
            Err(e) => Err(e.valid_up_to()),
        }
    }

    fn check(bytes: &[u8]) {
        assert_eq!(text_len(bytes), simple(bytes), "{bytes:x?}");
    }

    #[test]
    fn stops_at_each_special_byte_at_every_offset() {
        let specials: &[&[u8]] = &[
            b"\"",
            b"\\",
            b"\0",
            b"\n",
            b"\x1f",
            b"\x7f",
            b" ",
            b"\xc3\xa9",
            b"\xe2\x82\xac",
            b"\xf0\x9f\x98\x80",
            b"\xff",
            b"\x80",
            b"\xc3",
            b"\xe2\x82",
            b"\xf0\x9f\x98",
            b"\xc0\x80",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
        ];
        for len in 0..40 {
            for at in 0..=len.min(17) {
                for special in specials {
                    // In a run of plain text, at the end of it, and before more text.
                    let mut bytes = vec![b'a'; at];
                    bytes.extend_from_slice(special);
                    check(&bytes);
                    bytes.resize(len.max(bytes.len()), b'b');
                    check(&bytes);
                    bytes.push(b'"');
                    check(&bytes);
                }
            }
        }
        // Every byte value, at every offset of three SSE2 blocks (six words) and the tail.
        for b in 0..=255u8 {
            for at in 0..52 {
                let mut bytes = vec![b'x'; 52];
                bytes[at] = b;
                check(&bytes);
                check(&bytes[..=at]);
            }
        }
    }

    #[test]
    fn checks_utf8_split_across_words_and_at_the_end() {
        let chars: &[&[u8]] = &["é".as_bytes(), "€".as_bytes(), "😀".as_bytes()];
        for at in 0..17 {
            for c in chars {
                let mut bytes = vec![b'a'; at];
                bytes.extend_from_slice(c);
                bytes.extend_from_slice(b"tail\"");
                check(&bytes);
                assert_eq!(text_len(&bytes), Ok(bytes.len() - 1));
                // Truncated: at the end of the input, before ASCII, before a quote.
                for cut in 1..c.len() {
                    let mut bad = vec![b'a'; at];
                    bad.extend_from_slice(&c[..cut]);
                    assert_eq!(text_len(&bad), Err(at), "{bad:x?}");
                    bad.push(b'"');
                    assert_eq!(text_len(&bad), Err(at), "{bad:x?}");
                    bad.pop();
                    bad.extend_from_slice(&c[..cut]);
                    assert_eq!(text_len(&bad), Err(at), "{bad:x?}");
                }
                // A bad continuation byte after good characters in the same run.
                let mut bad = vec![b'a'; at];
                bad.extend_from_slice(c);
                bad.extend_from_slice(c);
                bad.extend_from_slice(b"\xbf\xbf\"");
                assert_eq!(text_len(&bad), Err(at + 2 * c.len()), "{bad:x?}");
                check(&bad);
            }
        }
        // Long runs of each kind, with the special byte far in.
        let mut long = "aé€😀".repeat(100).into_bytes();
        check(&long);
        long.insert(333, b'\x01');
        check(&long);
        long.insert(100, b'\xfe');
        check(&long);
    }
}
