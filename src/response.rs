//! HTTP/1.1 response heads: status, body framing and whether the connection stays open.
//!
//! The framing rules are RFC 9112 §6.3, strict where leniency would let a confused server
//! shift the body boundary: a `Content-Length` next to `Transfer-Encoding`, or two lengths
//! that disagree, are errors rather than guesses.

use crate::num;

/// Headers we accept in one response. The Runtime API sends about ten.
pub const MAX_HEADERS: usize = 32;

/// The longest response head we wait for before calling it an error. The Runtime API's
/// largest headers (client context, Cognito identity) are a few KiB.
pub const MAX_HEAD_LEN: usize = 64 * 1024;

/// How the body after the head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection (HTTP/1.0 style).
    UntilClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    /// Bytes of the head, including the blank line; the body starts here.
    pub len: usize,
    pub framing: Framing,
    /// False when the server said `Connection: close` or spoke HTTP/1.0 without keep-alive.
    pub keep_alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Not an HTTP/1.x response head.
    Malformed,
    TooManyHeaders,
    /// A `1xx` answer: we never ask for one.
    Interim,
    /// `Content-Length` that is not a plain decimal number.
    BadLength,
    /// Two `Content-Length` values that disagree.
    ConflictingLength,
    /// Both `Content-Length` and `Transfer-Encoding`.
    LengthAndChunked,
    /// A transfer coding other than a final `chunked`.
    UnsupportedEncoding,
}

impl HeadError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "malformed HTTP response head",
            Self::TooManyHeaders => "too many headers in HTTP response",
            Self::Interim => "unexpected 1xx interim response",
            Self::BadLength => "Content-Length is not a decimal number",
            Self::ConflictingLength => "conflicting Content-Length headers",
            Self::LengthAndChunked => "both Content-Length and Transfer-Encoding",
            Self::UnsupportedEncoding => "unsupported Transfer-Encoding (only chunked)",
        }
    }
}

/// Parses a response head from the start of `buf`. `Ok(None)` means more bytes are needed.
/// On success the parsed headers are `headers[..count]`, borrowing from `buf`.
pub fn parse_head<'b>(
    buf: &'b [u8],
    headers: &mut [httparse::Header<'b>; MAX_HEADERS],
) -> Result<Option<(ResponseHead, usize)>, HeadError> {
    let mut response = httparse::Response::new(headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooManyHeaders),
        Err(_) => return Err(HeadError::Malformed),
    };
    let status = response.code.ok_or(HeadError::Malformed)?;
    if (100..200).contains(&status) {
        return Err(HeadError::Interim);
    }
    let http11 = response.version == Some(1);
    let headers = response.headers;
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut encoded = false;
    let mut close = false;
    let mut keep_alive_token = false;
    for header in headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = num::ascii_to_u64(trim(header.value)).ok_or(HeadError::BadLength)?;
            if length.is_some_and(|l| l != value) {
                return Err(HeadError::ConflictingLength);
            }
            length = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            encoded = true;
            // Only the final coding decides the framing; anything but chunked there we cannot read.
            chunked = last_token(header.value).eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&b| b == b',') {
                let token = trim(token);
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let framing = if encoded {
        if length.is_some() {
            return Err(HeadError::LengthAndChunked);
        }
        if !chunked {
            return Err(HeadError::UnsupportedEncoding);
        }
        Framing::Chunked
    } else if status == 204 || status == 304 {
        Framing::Length(0)
    } else {
        match length {
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    let keep_alive = !close && (http11 || keep_alive_token) && framing != Framing::UntilClose;
    let count = headers.len();
    Ok(Some((ResponseHead { status, len, framing, keep_alive }, count)))
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn last_token(value: &[u8]) -> &[u8] {
    trim(value.rsplit(|&b| b == b',').next().unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Option<ResponseHead>, HeadError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        parse_head(text, &mut headers).map(|r| r.map(|(head, _)| head))
    }

    fn complete(text: &[u8]) -> ResponseHead {
        parse(text).unwrap().expect("complete head")
    }

    const NEXT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
        Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n\
        Lambda-Runtime-Deadline-Ms: 1542409706888\r\nContent-Length: 13\r\n\r\n{\"a\":\"body\"}\n";

    #[test]
    fn content_length_head() {
        let head = complete(NEXT);
        assert_eq!(head.status, 200);
        assert_eq!(head.framing, Framing::Length(13));
        assert!(head.keep_alive);
        assert_eq!(&NEXT[head.len..], b"{\"a\":\"body\"}\n");
    }

    #[test]
    fn head_split_at_every_byte_is_partial_until_complete() {
        let head_len = complete(NEXT).len;
        for cut in 0..head_len {
            assert_eq!(parse(&NEXT[..cut]), Ok(None), "cut at {cut}");
        }
        for cut in head_len..=NEXT.len() {
            assert_eq!(complete(&NEXT[..cut]).len, head_len, "cut at {cut}");
        }
    }

    #[test]
    fn header_names_match_in_any_case() {
        let head = complete(b"HTTP/1.1 200 OK\r\ntRaNsFeR-eNcOdInG: CHUNKED\r\ncOnNeCtIoN: Close\r\n\r\n");
        assert_eq!(head.framing, Framing::Chunked);
        assert!(!head.keep_alive);
    }

    #[test]
    fn connection_tokens() {
        let head = complete(b"HTTP/1.1 202 Accepted\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n");
        assert!(!head.keep_alive);
        let head = complete(b"HTTP/1.0 202 Accepted\r\nContent-Length: 2\r\n\r\n");
        assert!(!head.keep_alive, "HTTP/1.0 closes by default");
        let head = complete(b"HTTP/1.0 202 Accepted\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n");
        assert!(head.keep_alive);
    }

    #[test]
    fn no_length_reads_until_close() {
        let head = complete(b"HTTP/1.1 200 OK\r\n\r\nbody");
        assert_eq!(head.framing, Framing::UntilClose);
        assert!(!head.keep_alive);
    }

    #[test]
    fn no_body_statuses() {
        assert_eq!(complete(b"HTTP/1.1 204 No Content\r\n\r\n").framing, Framing::Length(0));
    }

    #[test]
    fn framing_conflicts_are_refused() {
        let cases: [(&[u8], HeadError); 9] = [
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HeadError::ConflictingLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::LengthAndChunked),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", HeadError::UnsupportedEncoding),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", HeadError::UnsupportedEncoding),
            (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", HeadError::BadLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", HeadError::BadLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", HeadError::BadLength),
            (b"HTTP/1.1 100 Continue\r\n\r\n", HeadError::Interim),
            (b"HTTX/1.1 200 OK\r\n\r\n", HeadError::Malformed),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Err(want), "{}", String::from_utf8_lossy(text));
        }
        assert_eq!(
            complete(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n").framing,
            Framing::Length(5),
            "repeated equal lengths are one length"
        );
        assert_eq!(
            complete(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").framing,
            Framing::Chunked
        );
    }

    #[test]
    fn garbage_and_header_lines_without_colon() {
        assert_eq!(parse(b"garbage\r\n\r\n"), Err(HeadError::Malformed));
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), Err(HeadError::Malformed));
        assert_eq!(parse(b"HTTP/1.1 abc OK\r\n\r\n"), Err(HeadError::Malformed));
    }

    #[test]
    fn too_many_headers() {
        let mut text = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            text.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        text.extend_from_slice(b"\r\n");
        assert_eq!(parse(&text), Err(HeadError::TooManyHeaders));
    }
}
