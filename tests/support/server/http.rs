//! HTTP/1.1 as the fake API speaks it: parsing the bootstrap's request heads strictly (a
//! malformed one is a protocol violation), and writing `/next` replies framed and paced as
//! the script asks, chunked coding with extensions and trailers included.

use std::io::{self, Write};
use std::net::TcpStream;
use std::thread;

use super::MAX_BODY;
use crate::support::request::Route;
use crate::support::rng::Rng;
use crate::support::script::{
    AfterReply, ChunkSizes, Chunking, Framing, HeaderCase, Invocation, Pacing,
};

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A request line and its headers, as received.
pub(super) struct RequestHead {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) headers: Vec<(String, String)>,
}

/// Parses `METHOD target HTTP/1.1` and the header lines of a request head (without the final
/// empty line).
pub(super) fn parse_request_head(head: &str) -> Result<RequestHead, String> {
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, path, version] = parts[..] else {
        return Err(format!("malformed request line {request_line:?}"));
    };
    if version != "HTTP/1.1" {
        return Err(format!("request line {request_line:?} is not HTTP/1.1"));
    }
    if method.is_empty()
        || !path.starts_with('/')
        || path.bytes().any(|b| !(0x21..0x7f).contains(&b))
    {
        return Err(format!("malformed request line {request_line:?}"));
    }
    let mut headers = vec![];
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header line {line:?}"));
        };
        if name.is_empty() || name.bytes().any(|b| b <= b' ' || b >= 0x7f) {
            return Err(format!("malformed header name in {line:?}"));
        }
        headers.push((
            name.to_string(),
            value.trim_matches([' ', '\t']).to_string(),
        ));
    }
    Ok(RequestHead {
        method: method.to_string(),
        path: path.to_string(),
        headers,
    })
}

/// How a request's body is framed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BodyFraming {
    Length(usize),
    /// Chunked transfer coding: only a streamed response (`POST .../response` with
    /// `Lambda-Runtime-Function-Response-Mode: streaming`) may be.
    Chunked,
}

/// How the body of a request for `route` is framed: Content-Length, which posts must carry
/// (the contract), except a streamed response, which must be chunked and only that.
pub(super) fn request_framing(
    method: &str,
    route: &Route,
    headers: &[(String, String)],
) -> Result<BodyFraming, String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let streaming = match header("Lambda-Runtime-Function-Response-Mode") {
        None => false,
        Some(mode) if mode == "streaming" => true,
        Some(mode) => {
            return Err(format!(
                "unknown Lambda-Runtime-Function-Response-Mode {mode:?} (expected \"streaming\")"
            ));
        }
    };
    if streaming && !(method == "POST" && matches!(route, Route::Response(_))) {
        return Err(format!(
            "{method} for {route:?} with Lambda-Runtime-Function-Response-Mode: streaming \
             (only a POST .../response streams)"
        ));
    }
    match (header("Transfer-Encoding"), streaming) {
        (Some(te), true) if te.eq_ignore_ascii_case("chunked") => match header("Content-Length") {
            Some(len) => Err(format!(
                "streamed response with both Transfer-Encoding: chunked and Content-Length: {len}"
            )),
            None => Ok(BodyFraming::Chunked),
        },
        (Some(te), true) => Err(format!(
            "streamed response with Transfer-Encoding: {te} (expected chunked)"
        )),
        (Some(te), false) => Err(format!(
            "{method} with Transfer-Encoding: {te} (expected Content-Length; only streamed \
             responses may be chunked)"
        )),
        (None, true) => Err("streamed response without Transfer-Encoding: chunked".into()),
        (None, false) => match header("Content-Length") {
            Some(value) => match value.parse::<usize>() {
                Ok(len) if len <= MAX_BODY => Ok(BodyFraming::Length(len)),
                _ => Err(format!("bad or huge Content-Length {value:?}")),
            },
            None if method == "POST" => Err("POST without Content-Length".into()),
            None => Ok(BodyFraming::Length(0)),
        },
    }
}

pub(super) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        413 => "Request Entity Too Large",
        500 => "Internal Server Error",
        _ => "Whatever",
    }
}

/// The full `/next` reply for an invocation: status line, headers, framed body.
pub(super) fn invocation_reply(invocation: &Invocation) -> Vec<u8> {
    let case = invocation.header_case;
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    let mut header = |name: &str, value: &str| {
        head += &format!("{}: {value}\r\n", case.apply(name));
    };
    header("Content-Type", "application/json");
    if let Some(id) = &invocation.request_id {
        header("Lambda-Runtime-Aws-Request-Id", id);
    }
    for (name, value) in &invocation.headers {
        header(name, value);
    }
    match &invocation.framing {
        Framing::ContentLength => header("Content-Length", &invocation.event.len().to_string()),
        Framing::Chunked(chunking) => {
            header("Transfer-Encoding", "chunked");
            if !chunking.trailers.is_empty() {
                let names: Vec<&str> = chunking.trailers.iter().map(|(n, _)| n.as_str()).collect();
                header("Trailer", &names.join(", "));
            }
        }
    }
    if invocation.after_event == AfterReply::ConnectionClose {
        header("Connection", "close");
    }
    head += "\r\n";
    let mut reply = head.into_bytes();
    match &invocation.framing {
        Framing::ContentLength => reply.extend_from_slice(&invocation.event),
        Framing::Chunked(chunking) => encode_chunked(&invocation.event, chunking, case, &mut reply),
    }
    reply
}

/// Appends `body` in chunked transfer coding (RFC 9112 §7.1).
fn encode_chunked(body: &[u8], chunking: &Chunking, case: HeaderCase, out: &mut Vec<u8>) {
    const EXTENSIONS: [&str; 3] = [";name=value", ";flag", ";q=\"a;b c\""];
    let mut rng = Rng::new(match chunking.sizes {
        ChunkSizes::Random { seed, .. } => seed,
        _ => 0,
    });
    let size_line = |size: usize, index: usize, out: &mut Vec<u8>| {
        let hex = if chunking.upper_case_hex {
            format!("{size:X}")
        } else {
            format!("{size:x}")
        };
        out.extend_from_slice(hex.as_bytes());
        if chunking.extensions {
            out.extend_from_slice(EXTENSIONS[index % EXTENSIONS.len()].as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    };
    let mut rest = body;
    let mut index = 0;
    while !rest.is_empty() {
        let size = match chunking.sizes {
            ChunkSizes::Single => rest.len(),
            ChunkSizes::Fixed(size) => size,
            ChunkSizes::Random { max, .. } if rng.chance(50) => rng.range(1, max.min(16)),
            ChunkSizes::Random { max, .. } => rng.range(1, max),
        }
        .min(rest.len());
        size_line(size, index, out);
        out.extend_from_slice(&rest[..size]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[size..];
        index += 1;
    }
    size_line(0, index, out);
    for (name, value) in &chunking.trailers {
        out.extend_from_slice(format!("{}: {value}\r\n", case.apply(name)).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

pub(super) fn write_paced(stream: &mut TcpStream, bytes: &[u8], pacing: &Pacing) -> io::Result<()> {
    match *pacing {
        Pacing::AllAtOnce => stream.write_all(bytes),
        Pacing::Pieces {
            max_len,
            pause,
            seed,
        } => {
            let mut rng = Rng::new(seed);
            let mut rest = bytes;
            while !rest.is_empty() {
                let size = rng.range(1, max_len.max(1)).min(rest.len());
                stream.write_all(&rest[..size])?;
                rest = &rest[size..];
                if !pause.is_zero() {
                    thread::sleep(pause);
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_streamed_responses_may_be_chunked() {
        let headers = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        let response = Route::Response("r".into());
        let streaming = ("Lambda-Runtime-Function-Response-Mode", "streaming");
        let chunked = ("transfer-encoding", "Chunked");
        assert_eq!(
            request_framing("POST", &response, &headers(&[streaming, chunked])),
            Ok(BodyFraming::Chunked)
        );
        assert_eq!(
            request_framing("POST", &response, &headers(&[("Content-Length", "3")])),
            Ok(BodyFraming::Length(3))
        );
        let refused: [(&Route, &[(&str, &str)]); 6] = [
            (&response, &[chunked]),
            (&response, &[streaming, ("Content-Length", "3")]),
            (&response, &[streaming, chunked, ("Content-Length", "3")]),
            (
                &response,
                &[streaming, ("Transfer-Encoding", "gzip, chunked")],
            ),
            (&Route::Error("r".into()), &[streaming, chunked]),
            (
                &response,
                &[
                    ("Lambda-Runtime-Function-Response-Mode", "buffered"),
                    chunked,
                ],
            ),
        ];
        for (route, pairs) in refused {
            assert!(
                request_framing("POST", route, &headers(pairs)).is_err(),
                "accepted {route:?} {pairs:?}"
            );
        }
    }

    #[test]
    fn chunked_encoding_is_well_formed() {
        let mut out = vec![];
        encode_chunked(
            b"hello world",
            &Chunking::fixed(4)
                .with_extensions()
                .with_trailer("X-T", "1"),
            HeaderCase::Lower,
            &mut out,
        );
        assert_eq!(
            out,
            b"4;name=value\r\nhell\r\n4;flag\r\no wo\r\n3;q=\"a;b c\"\r\nrld\r\n0;name=value\r\nx-t: 1\r\n\r\n"
        );
        let mut out = vec![];
        encode_chunked(b"", &Chunking::single(), HeaderCase::Canonical, &mut out);
        assert_eq!(out, b"0\r\n\r\n");
    }
}
