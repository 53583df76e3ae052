//! URL decoding (`application/x-www-form-urlencoded`): S3 event notifications give object
//! keys encoded so, `%XX` for a byte and `+` for a space.

/// Decodes `text` into `out`: `%XX` is the byte `XX` (hex), `+` a space, anything else
/// itself. `None` when a `%` is not followed by two hex digits or `out` is too small (the
/// decoded text is never longer than `text`).
pub fn decode_form<'o>(text: &[u8], out: &'o mut [u8]) -> Option<&'o mut [u8]> {
    let mut read = 0;
    let mut len = 0;
    while let Some(&c) = text.get(read) {
        let byte = match c {
            b'%' => {
                let hex = text.get(read + 1..read + 3)?;
                read += 2;
                hex_value(hex[0])? << 4 | hex_value(hex[1])?
            }
            b'+' => b' ',
            _ => c,
        };
        *out.get_mut(len)? = byte;
        read += 1;
        len += 1;
    }
    out.get_mut(..len)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::decode_form;

    fn decoded(text: &str) -> Option<Vec<u8>> {
        decode_form(text.as_bytes(), &mut vec![0; text.len()]).map(|b| b.to_vec())
    }

    #[test]
    fn decodes_escapes_and_plus_signs() {
        assert_eq!(decoded("Happy%20Face.jpg").unwrap(), b"Happy Face.jpg");
        assert_eq!(decoded("a+b%2Bc").unwrap(), b"a b+c");
        assert_eq!(decoded("%E2%82%ac%2f").unwrap(), "€/".as_bytes());
        assert_eq!(decoded("plain/key").unwrap(), b"plain/key");
        assert_eq!(decoded("").unwrap(), b"");
    }

    #[test]
    fn refuses_broken_escapes_and_small_buffers() {
        for bad in ["%", "%2", "%2g", "a%G0"] {
            assert_eq!(decoded(bad), None, "{bad}");
        }
        assert_eq!(decode_form(b"abc", &mut [0; 2]), None);
        assert_eq!(decode_form(b"%41bc", &mut [0; 3]).unwrap(), b"Abc");
    }
}
