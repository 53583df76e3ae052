//! The JSON error document Lambda expects on `/error` and `/init/error`:
//! `{"errorMessage":"...","errorType":"...","stackTrace":[]}`.
//!
//! Messages come from handlers in any language and may be any bytes. They are made valid
//! UTF-8 (invalid sequences become U+FFFD, as `String::from_utf8_lossy` does), cut to
//! [`MAX_MESSAGE`] bytes, and escaped as RFC 8259 requires.
//!
//! This one fixed-shape document is all the JSON the runtime writes, so it is written by hand:
//! serde with serde-json-core cost 2.1 KB of the 40 KB budget for the same bytes.

use crate::contract::{MAX_ERROR_MESSAGE as MAX_MESSAGE, MAX_ERROR_TYPE};

/// Scratch room for a lossily converted message: each invalid byte may become 3.
pub const SCRATCH_LEN: usize = MAX_MESSAGE + 4;
/// Room for any error document: every byte escaped as `\u00XX`, plus the type and keys.
pub const BODY_LEN: usize = 6 * (MAX_MESSAGE + MAX_ERROR_TYPE) + 64;

const TOO_LARGE: &[u8] =
    b"{\"errorMessage\":\"error document too large\",\"errorType\":\"Runtime.Unknown\",\"stackTrace\":[]}";

/// The room an error document is written in: the message's valid UTF-8 form (or, for a
/// trailer, the document's base64) in `scratch`, the document in `document`.
pub struct ErrorBuffers {
    scratch: [u8; SCRATCH_LEN],
    document: [u8; BODY_LEN],
}

impl Default for ErrorBuffers {
    fn default() -> Self {
        Self::new()
    }
}

impl ErrorBuffers {
    /// Zeroed buffers, for a static (they live in `.bss`).
    pub const fn new() -> Self {
        ErrorBuffers {
            scratch: [0; SCRATCH_LEN],
            document: [0; BODY_LEN],
        }
    }

    /// Buffers on the heap, for tests.
    #[cfg(test)]
    pub fn boxed() -> std::boxed::Box<Self> {
        std::boxed::Box::new(Self::new())
    }

    /// The error document for `error_type` and `message`: see [`error_document`].
    pub fn document(&mut self, error_type: &[u8], message: &[u8]) -> &[u8] {
        error_document(error_type, message, &mut self.scratch, &mut self.document)
    }

    /// The document with its message cut to `max_message` bytes, and its base64, for a
    /// streamed response's trailers.
    pub fn trailer(
        &mut self,
        error_type: &[u8],
        message: &[u8],
        max_message: usize,
    ) -> (&[u8], &[u8]) {
        let document = error_document_cut(
            error_type,
            message,
            max_message,
            &mut self.scratch,
            &mut self.document,
        );
        // Fits: SCRATCH_LEN holds the base64 of a document with a 4 KiB message (the trailer's).
        let encoded = crate::codec::base64::encode(document, &mut self.scratch).unwrap_or(b"");
        (document, encoded)
    }
}

/// Writes the error document into `out` and returns it. `scratch` holds the message's valid
/// UTF-8 form when it is not valid already.
pub fn error_document<'o>(
    error_type: &[u8],
    message: &[u8],
    scratch: &mut [u8],
    out: &'o mut [u8],
) -> &'o [u8] {
    error_document_cut(error_type, message, MAX_MESSAGE, scratch, out)
}

/// [`error_document`] with the message cut to `max_message` bytes (at most [`MAX_MESSAGE`]),
/// for where space is scarce, as in a trailer.
pub fn error_document_cut<'o>(
    error_type: &[u8],
    message: &[u8],
    max_message: usize,
    scratch: &mut [u8],
    out: &'o mut [u8],
) -> &'o [u8] {
    let message = to_utf8(message, max_message.min(MAX_MESSAGE), scratch);
    let error_type =
        core::str::from_utf8(error_type).unwrap_or(crate::contract::error_type::DEFAULT);
    let mut doc = Document { out, len: 0 };
    doc.raw(b"{\"errorMessage\":");
    doc.string(message);
    doc.raw(b",\"errorType\":");
    doc.string(error_type);
    doc.raw(b",\"stackTrace\":[]}");
    match doc.out.get(..doc.len) {
        Some(document) => document,
        // Unreachable with buffers of BODY_LEN; a fixed document beats a broken one.
        None => TOO_LARGE,
    }
}

/// `text` (UTF-8, else `None`) as a quoted JSON string in `out`; `None` if it does not fit.
/// Local mode puts an error document inside another this way (`InvokeComplete`'s
/// `ErrorDetails`).
pub fn string<'o>(text: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let text = core::str::from_utf8(text).ok()?;
    let mut doc = Document { out, len: 0 };
    doc.string(text);
    let len = doc.len;
    doc.out.get(..len)
}

/// The content type of a streamed response for a function URL or an HTTP integration.
pub const HTTP_INTEGRATION_CONTENT_TYPE: &[u8] =
    b"application/vnd.awslambda.http-integration-response";

/// What separates the prelude of such a response from its body.
pub const HTTP_PRELUDE_DELIMITER: &[u8; 8] = &[0; 8];

/// The prelude of such a response: `{"statusCode":..,"headers":{..},"cookies":[..]}` and the
/// eight NUL bytes that separate it from the body. `None` if it does not fit in `out`.
pub fn http_prelude<'o>(
    status_code: u16,
    headers: &[(&str, &str)],
    cookies: &[&str],
    out: &'o mut [u8],
) -> Option<&'o [u8]> {
    let mut digits = [0; crate::codec::num::U64_DIGITS];
    let mut doc = Document { out, len: 0 };
    doc.raw(b"{\"statusCode\":");
    doc.raw(crate::codec::num::u64_to_ascii(
        status_code.into(),
        &mut digits,
    ));
    doc.raw(b",\"headers\":{");
    for (i, (name, value)) in headers.iter().enumerate() {
        doc.raw(if i == 0 { b"" } else { b"," });
        doc.string(name);
        doc.raw(b":");
        doc.string(value);
    }
    doc.raw(b"},\"cookies\":[");
    for (i, cookie) in cookies.iter().enumerate() {
        doc.raw(if i == 0 { b"" } else { b"," });
        doc.string(cookie);
    }
    doc.raw(b"]}");
    doc.raw(HTTP_PRELUDE_DELIMITER);
    doc.out.get(..doc.len)
}

/// Appends to `out`, counting what did not fit (so `len > out.len()` means too small).
struct Document<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Document<'_> {
    fn raw(&mut self, bytes: &[u8]) {
        let _ = crate::codec::bytes::put(self.out, self.len, bytes);
        self.len += bytes.len();
    }

    /// A JSON string: quotes and backslashes escaped, control characters as `\n`-style or
    /// `\u00XX` escapes, everything else (valid UTF-8 already) as it is.
    fn string(&mut self, text: &str) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.raw(b"\"");
        for &b in text.as_bytes() {
            match b {
                b'"' => self.raw(b"\\\""),
                b'\\' => self.raw(b"\\\\"),
                b'\n' => self.raw(b"\\n"),
                b'\r' => self.raw(b"\\r"),
                b'\t' => self.raw(b"\\t"),
                0x08 => self.raw(b"\\b"),
                0x0c => self.raw(b"\\f"),
                0..0x20 => self.raw(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]),
                _ => self.raw(&[b]),
            }
        }
        self.raw(b"\"");
    }
}

/// `bytes` as UTF-8, cut to `max` bytes at a character boundary. Only a message
/// that is not valid UTF-8 is copied, into `scratch`, and cut to its size too.
///
/// Each invalid sequence becomes one U+FFFD, as with `utf8_chunks` (and
/// `String::from_utf8_lossy`), found with `from_utf8`'s error: the binary needs `from_utf8`
/// anyway, and `utf8_chunks` would bring a second UTF-8 decoder.
fn to_utf8<'s>(bytes: &'s [u8], max: usize, scratch: &'s mut [u8]) -> &'s str {
    if let Ok(text) = core::str::from_utf8(bytes) {
        return cut(text, max);
    }
    let limit = max.min(scratch.len());
    let mut len = 0;
    let mut rest = bytes;
    'copy: loop {
        let (valid, invalid) = match core::str::from_utf8(rest) {
            Ok(text) => (text, 0),
            Err(e) => {
                let valid = rest.get(..e.valid_up_to()).unwrap_or_default();
                // The error's length, or to the end for a sequence cut short by it.
                let invalid = e.error_len().map_or(rest.len() - valid.len(), usize::from);
                // Valid, by the error's account: this cannot fail.
                (
                    core::str::from_utf8(valid).unwrap_or(crate::contract::error_type::DEFAULT),
                    invalid,
                )
            }
        };
        let replacement = if invalid == 0 { "" } else { "\u{FFFD}" };
        for piece in [valid, replacement] {
            let fitted = cut(piece, limit - len);
            // Fits: `limit` is at most the scratch's length.
            let Some(end) = crate::codec::bytes::put(scratch, len, fitted.as_bytes()) else {
                break 'copy;
            };
            len = end;
            if fitted.len() < piece.len() {
                break 'copy;
            }
        }
        match rest.get(valid.len() + invalid..) {
            Some(after) if invalid != 0 => rest = after,
            _ => break,
        }
    }
    let scratch: &'s [u8] = scratch;
    // Only whole `str` pieces were copied, so this cannot fail.
    core::str::from_utf8(scratch.get(..len).unwrap_or_default())
        .unwrap_or(crate::contract::error_type::DEFAULT)
}

/// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
pub fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // `get` cannot panic, unlike indexing, whose panic message machinery is large.
    text.get(..end)
        .unwrap_or(crate::contract::error_type::DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(error_type: &str, message: &[u8]) -> String {
        let mut scratch = vec![0; SCRATCH_LEN];
        let mut out = vec![0; BODY_LEN];
        let doc = error_document(error_type.as_bytes(), message, &mut scratch, &mut out);
        String::from_utf8(doc.to_vec()).expect("documents are UTF-8")
    }

    #[test]
    fn shape() {
        assert_eq!(
            document("Function.X", b"boom"),
            r#"{"errorMessage":"boom","errorType":"Function.X","stackTrace":[]}"#
        );
    }

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        let doc = document("T", b"a\"b\\c\nd\re\tf\x00g\x1fh\x7fi");
        assert_eq!(
            doc,
            r#"{"errorMessage":"a\"b\\c\nd\re\tf\u0000g\u001Fh"#.to_owned()
                + "\u{7f}"
                + r#"i","errorType":"T","stackTrace":[]}"#
        );
    }

    #[test]
    fn non_ascii_passes_and_invalid_utf8_becomes_replacement_characters() {
        assert!(document("T", "héllo ☃ 𝄞".as_bytes()).contains("\"héllo ☃ 𝄞\""));
        assert!(document("T", b"a\xffb\xc3").contains("\"a\u{FFFD}b\u{FFFD}\""));
    }

    #[test]
    fn any_bytes_round_trip_through_a_json_parser() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..2000 {
            let len = round % 200;
            let message: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Mostly controls, quotes, backslashes and high bytes.
                    [
                        0u8, 0x1f, b'"', b'\\', b'\n', 0x7f, 0xc3, 0xa9, 0xff, b'a', 0xe2, 0x98,
                        0x83,
                    ][(state % 13) as usize]
                })
                .collect();
            let doc = document("Function.T\"x", &message);
            let value: serde_json::Value = serde_json::from_str(&doc).expect(&doc);
            assert_eq!(
                value["errorMessage"],
                String::from_utf8_lossy(&message).as_ref()
            );
            assert_eq!(value["errorType"], "Function.T\"x");
            assert_eq!(value["stackTrace"], serde_json::json!([]));
        }
    }

    #[test]
    fn valid_messages_are_not_limited_by_the_scratch_buffer() {
        let mut out = vec![0; 256];
        let doc = error_document(b"T", b"a long enough message", &mut [0; 4], &mut out);
        assert!(
            std::str::from_utf8(doc)
                .unwrap()
                .contains("\"a long enough message\"")
        );
        let doc = error_document(b"T", b"ab\xffcdef", &mut [0; 4], &mut out);
        assert!(
            std::str::from_utf8(doc).unwrap().contains("\"ab\""),
            "invalid ones are cut to it, at a character"
        );
    }

    #[test]
    fn http_prelude_is_byte_exact() {
        let mut out = [0u8; 256];
        let prelude = http_prelude(
            201,
            &[("Content-Type", "text/html"), ("X-Quote", "say \"hi\"")],
            &["a=1; Path=/", "b=2"],
            &mut out,
        )
        .unwrap();
        let expected: &[u8] = b"{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/html\",\"X-Quote\":\"say \\\"hi\\\"\"},\"cookies\":[\"a=1; Path=/\",\"b=2\"]}\0\0\0\0\0\0\0\0";
        assert_eq!(prelude, expected);
        let json: serde_json::Value =
            serde_json::from_slice(&prelude[..prelude.len() - 8]).unwrap();
        assert_eq!(json["headers"]["X-Quote"], "say \"hi\"");
        assert_eq!(
            http_prelude(200, &[], &[], &mut out).unwrap(),
            b"{\"statusCode\":200,\"headers\":{},\"cookies\":[]}\0\0\0\0\0\0\0\0"
        );
        assert_eq!(http_prelude(200, &[], &[], &mut [0; 20]), None);
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_MESSAGE);
        let doc = document("T", long.as_bytes());
        assert!(doc.contains(&"é".repeat(MAX_MESSAGE / 2)));
        assert!(!doc.contains(&"é".repeat(MAX_MESSAGE / 2 + 1)));
        let controls = vec![1u8; MAX_MESSAGE * 2];
        let doc = document("T", &controls);
        assert_eq!(
            doc.matches("\\u0001").count(),
            MAX_MESSAGE,
            "worst-case escaping fits"
        );
        let invalid = vec![0xffu8; MAX_MESSAGE];
        let doc = document("T", &invalid);
        assert_eq!(doc.matches('\u{FFFD}').count(), MAX_MESSAGE / 3);
    }
}
