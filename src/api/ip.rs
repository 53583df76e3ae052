//! IPv4 and IPv6 literals, parsed from bytes.
//!
//! `core::net`'s parsers are generic and cost 2.5 KB of a 40 KB binary; these accept exactly
//! the same texts (the tests compare them on many inputs) in a fraction of that.

use core::net::{Ipv4Addr, Ipv6Addr};

/// `a.b.c.d`, each a decimal from 0 to 255 without leading zeros.
pub fn parse_v4(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        *octet = u8::try_from(crate::codec::num::ascii_to_u64(part)?).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// RFC 4291 text: eight groups of 1–4 hex digits, at most one `::` standing for one or more
/// zero groups, and optionally an IPv4 literal as the last 32 bits.
pub fn parse_v6(text: &[u8]) -> Option<Ipv6Addr> {
    let mut groups = [0u16; 8];
    let (head, tail) = match text.windows(2).position(|w| w == b"::") {
        Some(i) => {
            let (head, tail) = text.split_at_checked(i)?;
            (head, Some(tail.get(2..)?))
        }
        None => (text, None),
    };
    let head_len = parse_groups(head, &mut groups, tail.is_none())?;
    match tail {
        None if head_len == 8 => {}
        None => return None,
        Some(tail) => {
            let mut rest = [0u16; 8];
            // `::` stands for at least one group: at most 7 explicit ones around it (8 before
            // it, as in `1:2:3:4:5:6:7:8::`, is too many).
            let room = 7usize.checked_sub(head_len)?;
            let tail_len = parse_groups(tail, &mut rest[..room], true)?;
            // The tail's groups end the address (without indexing, which has panic paths).
            for (group, &value) in groups
                .iter_mut()
                .rev()
                .zip(rest.get(..tail_len)?.iter().rev())
            {
                *group = value;
            }
        }
    }
    Some(Ipv6Addr::from(groups))
}

/// Parses `:`-separated groups into `out` and returns how many there were; an empty text is
/// zero groups. An IPv4 literal may end the text (two groups) when `v4_allowed`.
#[allow(clippy::manual_contains)] // see below
fn parse_groups(text: &[u8], out: &mut [u16], v4_allowed: bool) -> Option<usize> {
    if text.is_empty() {
        return Some(0);
    }
    let mut count = 0;
    let mut parts = text.split(|&b| b == b':').peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        // `any`, not `contains`: core's is a 200-byte word-at-a-time search.
        if last && v4_allowed && part.iter().any(|&b| b == b'.') {
            let v4 = parse_v4(part)?.octets();
            let slots = out.get_mut(count..count + 2)?;
            slots[0] = u16::from_be_bytes([v4[0], v4[1]]);
            slots[1] = u16::from_be_bytes([v4[2], v4[3]]);
            return Some(count + 2);
        }
        if part.is_empty() || part.len() > 4 {
            return None;
        }
        let mut group = 0u16;
        for &b in part {
            group = group << 4 | (b as char).to_digit(16)? as u16;
        }
        *out.get_mut(count)? = group;
        count += 1;
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_core(text: &str) {
        assert_eq!(
            parse_v4(text.as_bytes()),
            text.parse::<Ipv4Addr>().ok(),
            "v4 {text:?}"
        );
        assert_eq!(
            parse_v6(text.as_bytes()),
            text.parse::<Ipv6Addr>().ok(),
            "v6 {text:?}"
        );
    }

    #[test]
    fn known_forms() {
        let cases = [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "169.254.100.1",
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.",
            "+1.2.3.4",
            "1.2.3.4 ",
            "",
            "::",
            "::1",
            "1::",
            "fe80::1",
            "2001:db8::8a2e:370:7334",
            "2001:0db8:0000:0000:0000:ff00:0042:8329",
            "::ffff:192.0.2.128",
            "64:ff9b::1.2.3.4",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            ":::",
            ":1::",
            "1:::2",
            "12345::",
            "g::",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3.4",
            "1.2.3.4::",
            "::1.2.3",
            "1:2:3:4:5:6:7",
            ":",
            "::ffff:1.2.3.4:5",
            "FE80::ABCD",
            "1::1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "[::1]",
            // Eight groups before `::` (found by fuzzing: it used to overflow `7 - 8`).
            "1:2:3:4:5:6:7:8::",
            "1:2:3:4:5:6:7:8::1",
            "1:2:3:4:5:6:1:234::::57:8",
        ];
        for text in cases {
            same_as_core(text);
        }
    }

    #[test]
    fn random_texts_match_core() {
        let alphabet = b"0123456789abcdefABCDEF:.g";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let mut s = state;
            let text: String = (0..len)
                .map(|_| {
                    s = s.rotate_left(5).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    alphabet[(s >> 59) as usize % alphabet.len()] as char
                })
                .collect();
            same_as_core(&text);
        }
    }
}
