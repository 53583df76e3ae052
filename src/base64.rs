//! Base64 (RFC 4648, standard alphabet, padded): the Runtime API wants a streamed response's
//! error document base64-encoded in its `Lambda-Runtime-Function-Error-Body` trailer.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Bytes needed to encode `len` bytes.
pub const fn encoded_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Encodes `input` into `out` and returns the text, or `None` if `out` is too small.
pub fn encode<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let out = out.get_mut(..encoded_len(input.len()))?;
    for (group, dst) in input.chunks(3).zip(out.chunks_mut(4)) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, slot) in dst.iter_mut().enumerate() {
            *slot = if i <= group.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] } else { b'=' };
        }
    }
    Some(out)
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
    fn too_small_a_buffer_is_none() {
        assert_eq!(encode(b"foo", &mut [0; 3]), None);
    }
}
