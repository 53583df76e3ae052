//! AWS's event-stream framing (`application/vnd.amazon.eventstream`), in which
//! `InvokeWithResponseStream` answers: each message is a prelude (total length, headers
//! length, the prelude's CRC32), string headers, the payload, and the CRC32 of all of it.
//! Local mode sends `PayloadChunk` and `InvokeComplete` events in this framing so that an AWS
//! SDK can read a streamed function's answer.
//!
//! The payload is never copied: [`Message`] holds what goes before it and the running CRC,
//! and [`Message::crc`] gives the four bytes that go after. An event's headers are constant,
//! so they are encoded at compile time ([`Headers`]).

/// Bytes of the prelude: total length, headers length, prelude CRC, all big-endian `u32`s.
const PRELUDE_LEN: usize = 12;
/// The header value type `string` (a `u16` length, then the bytes).
const STRING: u8 = 7;
/// Room for the three headers of an event.
const HEADERS_LEN: usize = 96;

/// An event's headers, encoded at compile time: `:event-type`, `:content-type`, and
/// `:message-type` `event`. (The names and values are ours: they fit.)
pub struct Headers {
    bytes: [u8; HEADERS_LEN],
    len: usize,
}

impl Headers {
    /// The headers of an event of `event_type` whose payload is `content_type`.
    pub const fn new(event_type: &[u8], content_type: &[u8]) -> Headers {
        let mut headers = Headers {
            bytes: [0; HEADERS_LEN],
            len: 0,
        };
        let pairs: [(&[u8], &[u8]); 3] = [
            (b":event-type", event_type),
            (b":content-type", content_type),
            (b":message-type", b"event"),
        ];
        let mut i = 0;
        while i < pairs.len() {
            let (name, value) = pairs[i];
            headers = headers.put(&[name.len() as u8]).put(name).put(&[STRING]);
            headers = headers.put(&(value.len() as u16).to_be_bytes()).put(value);
            i += 1;
        }
        headers
    }

    const fn put(mut self, bytes: &[u8]) -> Headers {
        let mut i = 0;
        while i < bytes.len() {
            self.bytes[self.len] = bytes[i]; // a compile-time error if it does not fit
            self.len += 1;
            i += 1;
        }
        self
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// One event's framing: its prelude, its headers, and its CRC32 so far.
pub struct Message {
    prelude: [u8; PRELUDE_LEN],
    headers: &'static [u8],
    total: usize,
    crc: u32,
}

impl Message {
    /// The framing of an event with `headers` whose payload is the concatenation of
    /// `payload`.
    pub fn new(headers: &'static Headers, payload: &[&[u8]]) -> Message {
        let headers = headers.as_bytes();
        let payload_len: usize = payload.iter().map(|part| part.len()).sum();
        let total = PRELUDE_LEN + headers.len() + payload_len + 4;
        let lengths = (u64::from(total as u32) << 32 | headers.len() as u64).to_be_bytes();
        let mut prelude = [0; PRELUDE_LEN];
        let _ = crate::codec::bytes::put(&mut prelude, 0, &lengths);
        let _ = crate::codec::bytes::put(&mut prelude, 8, &crc32(0, &lengths).to_be_bytes());
        let crc = crc32(crc32(0, &prelude), headers);
        Message {
            prelude,
            headers,
            total,
            crc: payload.iter().fold(crc, |crc, part| crc32(crc, part)),
        }
    }

    /// The prelude and the headers: what goes before the payload.
    pub fn before(&self) -> [&[u8]; 2] {
        [&self.prelude, self.headers]
    }

    /// The message's CRC: what goes after the payload.
    pub fn crc(&self) -> [u8; 4] {
        self.crc.to_be_bytes()
    }

    /// Bytes of the whole message, payload included.
    pub fn total_len(&self) -> usize {
        self.total
    }
}

/// CRC-32 (IEEE 802.3, as zlib's `crc32`) of `bytes`, continuing from `crc` (0 to start).
/// Four bits at a time from a 64-byte table: eight times faster than bit by bit, and a
/// sixteenth of the usual 1 KiB table.
pub fn crc32(crc: u32, bytes: &[u8]) -> u32 {
    const TABLE: [u32; 16] = {
        let mut table = [0u32; 16];
        let mut i = 0;
        while i < 16 {
            let mut crc = i as u32;
            let mut bit = 0;
            while bit < 4 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
                bit += 1;
            }
            table[i] = crc;
            i += 1;
        }
        table
    };
    let mut crc = !crc;
    for &byte in bytes {
        crc ^= u32::from(byte);
        crc = (crc >> 4) ^ TABLE[(crc & 15) as usize];
        crc = (crc >> 4) ^ TABLE[(crc & 15) as usize];
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(0, b""), 0);
        assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(crc32(0, b"1234"), b"56789"), 0xCBF4_3926, "continued");
        assert_eq!(
            crc32(0, b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    /// Decodes a message as a reader does: checks both CRCs, returns headers and payload.
    fn decode(bytes: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
        let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!(be(0) as usize, bytes.len(), "total length");
        assert_eq!(be(8), crc32(0, &bytes[..8]), "prelude CRC");
        let end = bytes.len() - 4;
        assert_eq!(be(end), crc32(0, &bytes[..end]), "message CRC");
        let headers_end = PRELUDE_LEN + be(4) as usize;
        let mut at = PRELUDE_LEN;
        let mut headers = Vec::new();
        while at < headers_end {
            let name_len = bytes[at] as usize;
            let name = String::from_utf8(bytes[at + 1..at + 1 + name_len].to_vec()).unwrap();
            at += 1 + name_len;
            assert_eq!(bytes[at], STRING);
            let len = u16::from_be_bytes([bytes[at + 1], bytes[at + 2]]) as usize;
            let value = String::from_utf8(bytes[at + 3..at + 3 + len].to_vec()).unwrap();
            at += 3 + len;
            headers.push((name, value));
        }
        assert_eq!(at, headers_end);
        (headers, bytes[headers_end..end].to_vec())
    }

    #[test]
    fn an_event_is_framed_as_readers_expect() {
        for payload in [&b""[..], b"hello", &[0xAB; 70000]] {
            let (first, second) = payload.split_at(payload.len() / 3);
            static HEADERS: Headers = Headers::new(b"PayloadChunk", b"application/octet-stream");
            let message = Message::new(&HEADERS, &[first, second]);
            let [prelude, headers] = message.before();
            let bytes = [prelude, headers, payload, &message.crc()].concat();
            assert_eq!(message.total_len(), bytes.len());
            let (headers, body) = decode(&bytes);
            assert_eq!(body, payload);
            let expected = [
                (":event-type", "PayloadChunk"),
                (":content-type", "application/octet-stream"),
                (":message-type", "event"),
            ];
            let expected: Vec<_> = expected
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            assert_eq!(headers, expected);
        }
    }

    /// The empty message of the AWS SDKs' event-stream test vectors: total 16, no headers,
    /// prelude CRC 0x05c248eb, message CRC 0x7d98c8ff.
    #[test]
    fn matches_a_known_message() {
        let prelude = [0, 0, 0, 16, 0, 0, 0, 0];
        assert_eq!(crc32(0, &prelude), 0x05C2_48EB);
        let mut all = prelude.to_vec();
        all.extend_from_slice(&0x05C2_48EBu32.to_be_bytes());
        assert_eq!(crc32(0, &all), 0x7D98_C8FF);
    }
}
