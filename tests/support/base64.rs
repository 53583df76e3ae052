//! Base64 decoding (RFC 4648, standard alphabet, padded), for the error document a streamed
//! response carries in its `Lambda-Runtime-Function-Error-Body` trailer. Strict: anything but
//! the canonical encoding of some bytes is an error, so a sloppy encoder fails the test.

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes `text`; `Err` says what is wrong with it.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return Err(format!(
            "base64 of {} characters (not a multiple of 4)",
            bytes.len()
        ));
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let groups = bytes.len() / 4;
    for (index, group) in bytes.chunks(4).enumerate() {
        let padding = group.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != groups) {
            return Err(format!("misplaced base64 padding in group {index}"));
        }
        let mut n = 0u32;
        for &c in &group[..4 - padding] {
            let v = value(c).ok_or_else(|| format!("{:?} is not a base64 character", c as char))?;
            n = n << 6 | v;
        }
        n <<= 6 * padding as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let len = 3 - padding;
        if decoded[len..].iter().any(|&b| b != 0) {
            return Err(format!(
                "non-canonical base64: stray bits before the padding in group {index}"
            ));
        }
        out.extend_from_slice(&decoded[..len]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ];
        for (text, expected) in vectors {
            assert_eq!(
                decode_base64(text).unwrap(),
                expected.as_bytes(),
                "{text:?}"
            );
        }
        assert_eq!(decode_base64("+//+").unwrap(), [0xfb, 0xff, 0xfe]);
    }

    #[test]
    fn rejects_what_is_not_canonical_base64() {
        for text in [
            "Zg",
            "Zg=",
            "Zh==",
            "Z===",
            "Zg==Zg==",
            "Zm9v YmFy",
            "Zm-v",
            "Zm9v\n",
        ] {
            assert!(decode_base64(text).is_err(), "accepted {text:?}");
        }
    }
}
