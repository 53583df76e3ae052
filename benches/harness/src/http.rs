//! The server side of HTTP/1.1 that the fake Runtime API needs: request heads, and bodies
//! framed by `Content-Length` or `Transfer-Encoding: chunked` (hyper, under `lambda_runtime`,
//! may send either; curl sends `Content-Length`).
use std::ops::Range;

/// Larger heads are a broken client, not a benchmark.
const MAX_HEAD_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Other,
}

/// What the server needs from a request head.
#[derive(Debug)]
pub struct RequestHead {
    pub method: Method,
    pub path: String,
    pub head_len: usize,
    pub body: Framing,
    /// `Expect: 100-continue`: curl sends it before large bodies and waits for `100`.
    pub expect_continue: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Length(usize),
    Chunked,
}

/// Parses the head at the start of `buf`; `Ok(None)` until it is complete.
pub fn parse_head(buf: &[u8]) -> Result<Option<RequestHead>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
            return Err("request head over 64 KiB".into());
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("unparsable request head: {e}")),
    };
    let method = match request.method {
        Some("GET") => Method::Get,
        Some("POST") => Method::Post,
        _ => Method::Other,
    };
    let mut body = Framing::Length(0);
    let mut expect_continue = false;
    for header in request.headers.iter() {
        let value = std::str::from_utf8(header.value).unwrap_or("").trim();
        if header.name.eq_ignore_ascii_case("content-length") {
            let length = value.parse().map_err(|_| format!("bad Content-Length {value:?}"))?;
            body = Framing::Length(length);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if !value.eq_ignore_ascii_case("chunked") {
                return Err(format!("unsupported Transfer-Encoding {value:?}"));
            }
            body = Framing::Chunked;
        } else if header.name.eq_ignore_ascii_case("expect") {
            expect_continue = value.eq_ignore_ascii_case("100-continue");
        }
    }
    let path = request.path.unwrap_or("").to_owned();
    Ok(Some(RequestHead { method, path, head_len, body, expect_continue }))
}

/// A complete body found after the head: where its data lies in the buffer (one range for
/// `Content-Length`, one per chunk for chunked) and where the next request starts.
pub struct Body {
    pub pieces: Vec<Range<usize>>,
    pub end: usize,
}

impl Body {
    pub fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum()
    }

    /// Whether the body's bytes equal `expected`, compared piece by piece (no copy).
    pub fn equals(&self, buf: &[u8], expected: &[u8]) -> bool {
        if self.len() != expected.len() {
            return false;
        }
        let mut offset = 0;
        for piece in &self.pieces {
            if buf[piece.clone()] != expected[offset..offset + piece.len()] {
                return false;
            }
            offset += piece.len();
        }
        true
    }

    /// The body's first bytes, for an error message.
    pub fn preview(&self, buf: &[u8], max: usize) -> String {
        let mut bytes = Vec::new();
        for piece in &self.pieces {
            bytes.extend_from_slice(&buf[piece.clone()]);
            if bytes.len() >= max {
                break;
            }
        }
        bytes.truncate(max);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Finds the body that starts at `start` in `buf[..filled]`; `Ok(None)` until it is all there.
pub fn find_body(buf: &[u8], start: usize, framing: Framing) -> Result<Option<Body>, String> {
    match framing {
        Framing::Length(length) => {
            let end = start + length;
            Ok((buf.len() >= end).then(|| Body { pieces: std::iter::once(start..end).collect(), end }))
        }
        Framing::Chunked => find_chunked_body(buf, start),
    }
}

/// Walks the chunk-size lines without copying data; trailers are not expected and refused.
fn find_chunked_body(buf: &[u8], mut at: usize) -> Result<Option<Body>, String> {
    let mut pieces = Vec::new();
    loop {
        let Some(line_len) = find_crlf(&buf[at..]) else { return Ok(None) };
        let line = std::str::from_utf8(&buf[at..at + line_len]).map_err(|_| "bad chunk size")?;
        let hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {line:?}"))?;
        at += line_len + 2;
        if size == 0 {
            // The last chunk: an empty trailer section, i.e. one more CRLF.
            if buf.len() < at + 2 {
                return Ok(None);
            }
            if &buf[at..at + 2] != b"\r\n" {
                return Err("chunked trailers are not expected".into());
            }
            return Ok(Some(Body { pieces, end: at + 2 }));
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        if &buf[at + size..at + size + 2] != b"\r\n" {
            return Err("chunk data not followed by CRLF".into());
        }
        pieces.push(at..at + size);
        at += size + 2;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_body() {
        let req = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET";
        let head = parse_head(req).unwrap().unwrap();
        assert_eq!(head.method, Method::Post);
        assert_eq!(head.body, Framing::Length(3));
        let body = find_body(req, head.head_len, head.body).unwrap().unwrap();
        assert!(body.equals(req, b"abc"));
        assert_eq!(&req[body.end..], b"GET");
    }

    #[test]
    fn chunked_body_in_pieces() {
        let req = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        let head = parse_head(req).unwrap().unwrap();
        assert_eq!(head.body, Framing::Chunked);
        for cut in head.head_len..req.len() {
            assert!(find_body(&req[..cut], head.head_len, head.body).unwrap().is_none());
        }
        let body = find_body(req, head.head_len, head.body).unwrap().unwrap();
        assert!(body.equals(req, b"abcde"));
        assert!(!body.equals(req, b"abcdf"));
        assert_eq!(body.end, req.len());
    }

    #[test]
    fn partial_head_and_expect() {
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
        let head = parse_head(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
        assert!(head.unwrap().unwrap().expect_continue);
    }
}
