//! A reader of AWS's event-stream framing (`InvokeWithResponseStream`'s answers), written from
//! the format's description and independent of the runtime's writer: each message is checked
//! (lengths, both CRC32s, string headers) and decoded.

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event_type: String,
    pub content_type: String,
    pub payload: Vec<u8>,
}

/// CRC-32 (IEEE), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Decodes a whole event stream (the body, de-chunked) into its messages.
pub fn decode_events(mut bytes: &[u8]) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    while !bytes.is_empty() {
        let be = |at: usize| -> Result<u32, String> {
            let word = bytes.get(at..at + 4).ok_or("truncated message")?;
            Ok(u32::from_be_bytes(word.try_into().unwrap()))
        };
        let total = be(0)? as usize;
        let headers_len = be(4)? as usize;
        if be(8)? != crc32(&bytes[..8]) {
            return Err("bad prelude CRC".into());
        }
        let message = bytes.get(..total).ok_or("truncated message")?;
        let end = total.checked_sub(4).ok_or("short message")?;
        if be(end)? != crc32(&message[..end]) {
            return Err("bad message CRC".into());
        }
        let mut headers = std::collections::HashMap::new();
        let mut at = 12;
        while at < 12 + headers_len {
            let name_len = message[at] as usize;
            let name = String::from_utf8(message[at + 1..at + 1 + name_len].to_vec()).unwrap();
            at += 1 + name_len;
            if message[at] != 7 {
                return Err(format!("header {name} is not a string"));
            }
            let len = u16::from_be_bytes([message[at + 1], message[at + 2]]) as usize;
            let value = String::from_utf8(message[at + 3..at + 3 + len].to_vec()).unwrap();
            at += 3 + len;
            headers.insert(name, value);
        }
        if headers.get(":message-type").map(String::as_str) != Some("event") {
            return Err(format!("not an event: {headers:?}"));
        }
        events.push(Event {
            event_type: headers.get(":event-type").cloned().unwrap_or_default(),
            content_type: headers.get(":content-type").cloned().unwrap_or_default(),
            payload: message[12 + headers_len..end].to_vec(),
        });
        bytes = &bytes[total..];
    }
    Ok(events)
}
