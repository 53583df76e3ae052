//! Base64 (RFC 4648, standard alphabet, padded): the Runtime API wants a streamed response's
//! error document base64-encoded in its `Lambda-Runtime-Function-Error-Body` trailer, and
//! local mode's callers send the client context base64-encoded in `X-Amz-Client-Context`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Bytes needed to encode `len` bytes.
pub const fn encoded_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Encodes `input` into `out` and returns the text, or `None` if `out` is too small.
pub fn encode<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let out = out.get_mut(..encoded_len(input.len()))?;
    for (group, dst) in input.chunks(3).zip(out.chunks_mut(4)) {
        // `get`, not `group[0]`: chunks are never empty, but the compiler cannot tell, and an
        // index's panic path would keep core's number formatting in the binary.
        let byte = |i: usize| u32::from(*group.get(i).unwrap_or(&0));
        let n = byte(0) << 16 | byte(1) << 8 | byte(2);
        for (i, slot) in dst.iter_mut().enumerate() {
            *slot = if i <= group.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            };
        }
    }
    Some(out)
}

/// Decodes `text` in place and returns the decoded bytes, which start where `text` did (each
/// four characters become at most three bytes, written behind the reading position). Padding
/// is optional; `None` for anything else that is not base64.
pub fn decode_in_place(text: &mut [u8]) -> Option<&mut [u8]> {
    let unpadded = text
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |last| last + 1);
    let padded = text.len() > unpadded;
    if text.len() - unpadded > 2 || unpadded % 4 == 1 || (padded && text.len() % 4 != 0) {
        return None;
    }
    let mut len = 0;
    let mut bits = 0u32;
    for i in 0..unpadded {
        bits = bits << 6 | u32::from(value(*text.get(i)?)?);
        // Every fourth character completes three bytes; the rest are flushed after the loop.
        if i % 4 == 3 {
            len = crate::codec::bytes::put(text, len, bits.to_be_bytes().get(1..)?)?;
        }
    }
    let rest = unpadded % 4; // 0, 2 or 3 characters: 0, 1 or 2 bytes
    if rest > 0 {
        bits <<= 6 * (4 - rest as u32);
        len = crate::codec::bytes::put(text, len, bits.to_be_bytes().get(1..rest)?)?;
    }
    text.get_mut(..len)
}

/// Decodes `text` into `out` and returns the decoded bytes, or `None` if `text` is not base64
/// (as [`decode_in_place`] reads it) or `out` is too small: for text that cannot be written
/// (an event's shared string). Each group of four characters is decoded as in place, in a
/// copy of its own; only the last may be short or padded.
pub fn decode<'o>(text: &[u8], out: &'o mut [u8]) -> Option<&'o mut [u8]> {
    let mut len = 0;
    let last = text.len().saturating_sub(1) / 4;
    for (i, group) in text.chunks(4).enumerate() {
        let mut quad = [0u8; 4];
        let quad = quad.get_mut(..group.len())?;
        crate::codec::bytes::put(quad, 0, group)?;
        let bytes = decode_in_place(quad)?;
        if i < last && bytes.len() != 3 {
            return None;
        }
        len = crate::codec::bytes::put(out, len, bytes)?;
    }
    out.get_mut(..len)
}

/// A character's value in the standard alphabet.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(input: &[u8]) -> String {
        let mut out = vec![0; encoded_len(input.len())];
        String::from_utf8(encode(input, &mut out).unwrap().to_vec()).unwrap()
    }

    #[test]
    fn rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(text(input.as_bytes()), expected);
        }
        assert_eq!(text(&[0xfb, 0xff, 0xfe]), "+//+");
    }

    #[test]
    fn decodes_what_it_encodes_in_place() {
        for len in 0..40 {
            let input: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut text = text(&input).into_bytes();
            assert_eq!(
                decode_in_place(&mut text).unwrap(),
                &input[..],
                "{len} bytes"
            );
            let mut unpadded = super::tests::text(&input)
                .trim_end_matches('=')
                .as_bytes()
                .to_vec();
            assert_eq!(
                decode_in_place(&mut unpadded).unwrap(),
                &input[..],
                "{len} bytes, unpadded"
            );
        }
        let mut client_context = b"eyJjdXN0b20iOnsiYSI6MX19".to_vec();
        assert_eq!(
            decode_in_place(&mut client_context).unwrap(),
            br#"{"custom":{"a":1}}"#
        );
    }

    #[test]
    fn decodes_into_a_buffer_what_decodes_in_place() {
        for len in 0..40 {
            let input: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = text(&input);
            let mut out = vec![0; len];
            assert_eq!(decode(text.as_bytes(), &mut out).unwrap(), &input[..]);
            let unpadded = text.trim_end_matches('=');
            assert_eq!(decode(unpadded.as_bytes(), &mut out).unwrap(), &input[..]);
            if len > 0 {
                assert_eq!(decode(text.as_bytes(), &mut out[1..]), None, "too small");
            }
        }
        for bad in [&b"Zg=="[..], b"Zg=", b"Z", b"Zm9v!", b"Zg===", b"=Zg="] {
            let mut text = bad.to_vec();
            let expected = decode_in_place(&mut text).map(|b| b.to_vec());
            assert_eq!(decode(bad, &mut [0; 8]).map(|b| b.to_vec()), expected);
        }
        // Padding (or a short group) only at the end.
        assert_eq!(decode(b"Zg==Zm9v", &mut [0; 8]), None);
    }

    #[test]
    fn every_character_has_its_alphabet_position() {
        for c in 0..=255u8 {
            assert_eq!(
                value(c),
                ALPHABET.iter().position(|&a| a == c).map(|p| p as u8),
                "{c}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_base64() {
        for bad in [
            &b"Zg="[..],
            b"Z",
            b"Zm9v!",
            b"Zm 9v",
            b"Zg===",
            b"=Zg=",
            b"Zm9v\r\n",
        ] {
            assert_eq!(
                decode_in_place(&mut bad.to_vec()),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn too_small_a_buffer_is_none() {
        assert_eq!(encode(b"foo", &mut [0; 3]), None);
    }
}
