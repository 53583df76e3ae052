//! HTTP/1.1 response heads: status, body framing and whether the connection stays open.
//!
//! The framing rules are RFC 9112 §6.3, strict where leniency would let a confused server
//! shift the body boundary: a `Content-Length` next to `Transfer-Encoding`, or two lengths
//! that disagree, are errors rather than guesses.

use crate::codec::num;
use crate::http::{self, Cursor, HeadStop, Headers, Status, Stop, eq_ignore_case};

pub use crate::http::MAX_HEADERS;

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

/// What the runtime needs of a response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// Bytes of the head, including the blank line; the body starts here.
    pub len: usize,
    /// Where the body ends.
    pub framing: Framing,
    /// False when the server said `Connection: close` or spoke HTTP/1.0 without keep-alive.
    pub keep_alive: bool,
}

/// Why a response head is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Not an HTTP/1.x response head.
    Malformed,
    /// More than [`super::MAX_HEADERS`] headers.
    TooManyHeaders,
    /// A `1xx` answer: we never ask for one.
    Interim,
    /// `Content-Length` that is not a plain decimal number.
    BadLength,
    /// Two `Content-Length` values that disagree.
    ConflictingLength,
    /// Both `Content-Length` and `Transfer-Encoding`.
    LengthAndChunked,
    /// A transfer coding other than `chunked` alone.
    UnsupportedEncoding,
}

impl From<HeadStop> for HeadError {
    fn from(refusal: HeadStop) -> Self {
        match refusal {
            HeadStop::Malformed => HeadError::Malformed,
            HeadStop::TooManyHeaders => HeadError::TooManyHeaders,
        }
    }
}

impl HeadError {
    /// What went wrong, in words, for the log.
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

/// Parses a response head from the start of `buf`. [`Status::Partial`] means more bytes are
/// needed.
/// On success the parsed headers are `headers[..count]`, borrowing from `buf`.
pub fn parse_head<'b>(
    buf: &'b [u8],
    headers: &mut Headers<'b>,
) -> Result<Status<(ResponseHead, usize)>, HeadError> {
    let (status, http11, line_len) = match status_line(buf) {
        Ok(line) => line,
        Err(stop) => return stop.status(),
    };
    let Status::Complete((block_len, count)) =
        http::parse_headers(buf.get(line_len..).unwrap_or(&[]), headers)?
    else {
        return Ok(Status::Partial);
    };
    let len = line_len + block_len;
    if (100..200).contains(&status) {
        return Err(HeadError::Interim);
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut encoded = false;
    let mut close = false;
    let mut keep_alive_token = false;
    for header in headers.iter().take(count) {
        let name = header.name.as_bytes();
        if eq_ignore_case(name, b"content-length") {
            let value = num::ascii_to_u64(trim(header.value)).ok_or(HeadError::BadLength)?;
            if length.is_some_and(|l| l != value) {
                return Err(HeadError::ConflictingLength);
            }
            length = Some(value);
        } else if eq_ignore_case(name, b"transfer-encoding") {
            // `chunked` alone, in one header: with any other coding (`gzip, chunked`) the
            // decoded bytes would still be encoded, and we cannot undo it (as local mode).
            chunked = eq_ignore_case(trim(header.value), b"chunked") && !encoded;
            encoded = true;
        } else if eq_ignore_case(name, b"connection") {
            for token in header.value.split(|&b| b == b',') {
                let token = trim(token);
                close |= eq_ignore_case(token, b"close");
                keep_alive_token |= eq_ignore_case(token, b"keep-alive");
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
    Ok(Status::Complete((
        ResponseHead {
            status,
            len,
            framing,
            keep_alive,
        },
        count,
    )))
}

/// The status line, `HTTP/1.x NNN reason` (the reason may be missing) and its line end, with
/// httparse's rules. Returns the status, whether the version is 1.1, and the line's length
/// (with any empty lines before it). One pass over the bytes, each checked by its position:
/// smaller than a parser per part.
fn status_line(buf: &[u8]) -> Result<(u16, bool, usize), Stop> {
    let mut line = Cursor::new(buf);
    line.skip_empty_lines()?;
    let start = line.pos();
    let mut status = 0u16;
    let mut http11 = false;
    let mut previous = 0u8;
    for (i, &byte) in line.rest().iter().enumerate() {
        let ended = previous == b'\r' || (i >= 12 && byte == b'\n');
        if ended {
            // After a CR only an LF may come.
            if byte != b'\n' {
                return Err(HeadStop::Malformed.into());
            }
            return Ok((status, http11, start + i + 1));
        }
        let fits = match i {
            0..7 => byte == b"HTTP/1."[i],
            7 => {
                http11 = byte == b'1';
                byte == b'0' || http11
            }
            8 => byte == b' ',
            9..12 => {
                status = status * 10 + u16::from(byte.wrapping_sub(b'0'));
                byte.is_ascii_digit()
            }
            12 => byte == b' ' || byte == b'\r',
            // The reason phrase: tabs, spaces, visible ASCII and obs-text (bytes from 0x80).
            _ => byte == b'\t' || (byte >= b' ' && byte != 0x7f) || byte == b'\r',
        };
        if !fits {
            return Err(HeadStop::Malformed.into());
        }
        previous = byte;
    }
    // Every byte fitted: the line goes on in bytes not received yet.
    Err(Stop::Partial)
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Status<ResponseHead>, HeadError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        parse_head(text, &mut headers).map(|r| match r {
            Status::Complete((head, _)) => Status::Complete(head),
            Status::Partial => Status::Partial,
        })
    }

    fn complete(text: &[u8]) -> ResponseHead {
        parse(text).unwrap().unwrap()
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
            assert_eq!(parse(&NEXT[..cut]), Ok(Status::Partial), "cut at {cut}");
        }
        for cut in head_len..=NEXT.len() {
            assert_eq!(complete(&NEXT[..cut]).len, head_len, "cut at {cut}");
        }
    }

    #[test]
    fn header_names_match_in_any_case() {
        let head =
            complete(b"HTTP/1.1 200 OK\r\ntRaNsFeR-eNcOdInG: CHUNKED\r\ncOnNeCtIoN: Close\r\n\r\n");
        assert_eq!(head.framing, Framing::Chunked);
        assert!(!head.keep_alive);
    }

    #[test]
    fn connection_tokens() {
        let head = complete(
            b"HTTP/1.1 202 Accepted\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(!head.keep_alive);
        let head = complete(b"HTTP/1.0 202 Accepted\r\nContent-Length: 2\r\n\r\n");
        assert!(!head.keep_alive, "HTTP/1.0 closes by default");
        let head = complete(
            b"HTTP/1.0 202 Accepted\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n",
        );
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
        assert_eq!(
            complete(b"HTTP/1.1 204 No Content\r\n\r\n").framing,
            Framing::Length(0)
        );
    }

    #[test]
    fn framing_conflicts_are_refused() {
        let cases: [(&[u8], HeadError); 14] = [
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HeadError::ConflictingLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::LengthAndChunked),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", HeadError::UnsupportedEncoding),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", HeadError::UnsupportedEncoding),
            // Chunked last is still not chunked alone: the decoded bytes would be gzip.
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HeadError::UnsupportedEncoding),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, chunked\r\n\r\n", HeadError::UnsupportedEncoding),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::UnsupportedEncoding),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::UnsupportedEncoding),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", HeadError::UnsupportedEncoding),
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
            complete(b"HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\n\r\n").framing,
            Framing::Chunked,
            "chunked alone, in any case, with spaces around"
        );
    }

    #[test]
    fn garbage_and_header_lines_without_colon() {
        assert_eq!(parse(b"garbage\r\n\r\n"), Err(HeadError::Malformed));
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"),
            Err(HeadError::Malformed)
        );
        assert_eq!(parse(b"HTTP/1.1 abc OK\r\n\r\n"), Err(HeadError::Malformed));
    }

    /// What `httparse::Response` makes of `buf`, in [`status_line`]'s and
    /// [`http::parse_headers`]' terms: (status, HTTP/1.1, head length, header count).
    fn by_httparse(buf: &[u8]) -> Result<(u16, bool, usize, usize), Stop> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(buf) {
            Ok(httparse::Status::Complete(len)) => Ok((
                response.code.unwrap(),
                response.version == Some(1),
                len,
                response.headers.len(),
            )),
            Ok(httparse::Status::Partial) => Err(Stop::Partial),
            Err(httparse::Error::TooManyHeaders) => Err(HeadStop::TooManyHeaders.into()),
            Err(_) => Err(HeadStop::Malformed.into()),
        }
    }

    fn by_us(buf: &[u8]) -> Result<(u16, bool, usize, usize), Stop> {
        let (status, http11, line_len) = status_line(buf)?;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let (block_len, count) = match http::parse_headers(&buf[line_len..], &mut headers)? {
            Status::Complete(block) => block,
            Status::Partial => return Err(Stop::Partial),
        };
        Ok((status, http11, line_len + block_len, count))
    }

    /// The status line is parsed by hand and the headers by `httparse::parse_headers`: the
    /// same answers as `httparse::Response`, on every prefix of texts made to hit each rule.
    #[test]
    fn agrees_with_httparse_response() {
        let texts: &[&[u8]] = &[
            NEXT,
            b"\r\n\nHTTP/1.0 204 No Content\r\n\r\n",
            b"\r\rHTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 200\r\n\r\n",
            b"HTTP/1.1 200\n\n",
            b"HTTP/1.1 200 \r\n\r\n",
            b"HTTP/1.1 200\tOK\r\n\r\n",
            b"HTTP/1.1 200 O\tK \x80\xff\r\nA: b\r\n\r\n",
            b"HTTP/1.1 200 O\x7fK\r\n\r\n",
            b"HTTP/1.1 200 O\x00K\r\n\r\n",
            b"HTTP/1.1 200 OK\r\r\n\r\n",
            b"HTTP/1.1 200 OK\nA: b\n\n",
            b"HTTP/1.2 200 OK\r\n\r\n",
            b"HTTP/2 200 OK\r\n\r\n",
            b"HTTP/1.1  200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"http/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 999 \r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n A: x\r\n\r\n",
        ];
        let mut cases: Vec<Vec<u8>> = texts.iter().map(|t| t.to_vec()).collect();
        // And every byte value at every position of a short head.
        let base = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
        for at in 0..base.len() {
            for byte in 0..=255u8 {
                let mut text = base.to_vec();
                text[at] = byte;
                cases.push(text);
            }
        }
        for text in &cases {
            for cut in 0..=text.len() {
                let part = &text[..cut];
                assert_eq!(
                    by_us(part),
                    by_httparse(part),
                    "{:?}",
                    String::from_utf8_lossy(part)
                );
            }
        }
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
