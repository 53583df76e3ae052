//! Property tests of the sans-IO layer, through the library's public API (issue 7):
//! - any event, framed as chunks of any sizes (with extensions, trailers, LF-only lines) or
//!   with a Content-Length, and delivered in reads of any sizes, decodes to the same bytes;
//! - any error message escapes to valid JSON that decodes back to it (lossy UTF-8, cut to the
//!   limit at a character boundary);
//! - `parse_head` never panics and gives the same answer whatever the split point.
//!
//! The fuzz targets (fuzz/) check the same parsers with coverage-guided inputs; these run
//! everywhere `cargo test` does.

use lambda_bootstrap::api::NextHeaders;
use lambda_bootstrap::codec::json;
use lambda_bootstrap::contract;
use lambda_bootstrap::http::Status;
use lambda_bootstrap::http::chunked::{ChunkError, Dechunker, MAX_LINE};
use lambda_bootstrap::http::response::{self, Framing, HeadError, MAX_HEADERS, ResponseHead};
use proptest::prelude::*;

/// `cases` cases, or `PROPTEST_CASES` when set (for a longer run).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Events in any segmentation

/// How a chunk-size line is written: every form the decoder accepts.
#[derive(Debug, Clone)]
enum SizeLine {
    Plain,
    Upper,
    LeadingZeros(usize),
    Space,
    Tab,
    Extension(String),
    LfOnly,
}

fn size_line_style() -> impl Strategy<Value = SizeLine> {
    prop_oneof![
        Just(SizeLine::Plain),
        Just(SizeLine::Upper),
        (1usize..20).prop_map(SizeLine::LeadingZeros),
        Just(SizeLine::Space),
        Just(SizeLine::Tab),
        "(;[a-z]{1,8}(=([a-z0-9]{0,8}|\"[ -~&&[^\"\\\\]]{0,12}\"))?){1,3}"
            .prop_map(SizeLine::Extension),
        Just(SizeLine::LfOnly),
    ]
}

fn size_line(n: usize, style: &SizeLine) -> String {
    match style {
        SizeLine::Plain => format!("{n:x}\r\n"),
        SizeLine::Upper => format!("{n:X}\r\n"),
        SizeLine::LeadingZeros(width) => format!("{n:0width$x}\r\n"),
        SizeLine::Space => format!("{n:x}  \r\n"),
        SizeLine::Tab => format!("{n:x}\t;x\r\n"),
        SizeLine::Extension(ext) => format!("{n:x}{ext}\r\n"),
        SizeLine::LfOnly => format!("{n:x}\n"),
    }
}

/// `event` as a chunked body: chunk sizes and size-line styles taken in turn, then the last
/// chunk (styled too), the trailers and the blank line.
fn chunked_wire(
    event: &[u8],
    sizes: &[usize],
    styles: &[SizeLine],
    trailers: &[String],
) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut rest = event;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        wire.extend_from_slice(size_line(n, &styles[i % styles.len()]).as_bytes());
        wire.extend_from_slice(&rest[..n]);
        wire.extend_from_slice(if matches!(styles[i % styles.len()], SizeLine::LfOnly) {
            b"\n"
        } else {
            b"\r\n"
        });
        rest = &rest[n..];
        i += 1;
    }
    wire.extend_from_slice(size_line(0, &styles[i % styles.len()]).as_bytes());
    for trailer in trailers {
        wire.extend_from_slice(trailer.as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"\r\n");
    wire
}

/// Any bytes, from a length and a seed, so long events cost little to generate and shrink.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn any_event() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..100),
        4 => (0usize..5000, any::<u64>()).prop_map(|(len, seed)| bytes(len, seed)),
        1 => (60_000usize..140_000, any::<u64>()).prop_map(|(len, seed)| bytes(len, seed)),
    ]
}

/// Feeds `wire` (the body) to a `Dechunker` whose body starts at `head` in a buffer of `cap`
/// bytes, in reads of the `reads` sizes in turn, as the socket layer does; returns the body
/// and the count of bytes received past the message.
fn dechunk(
    wire: &[u8],
    head: usize,
    cap: usize,
    reads: &[usize],
) -> Result<(Vec<u8>, usize), ChunkError> {
    let mut buf = vec![0xA5u8; cap];
    let mut d = Dechunker::new(head, head);
    let mut sent = 0;
    for i in 0.. {
        let at = d.fill_at();
        let n = reads[i % reads.len()].min(cap - at).min(wire.len() - sent);
        assert!(
            n > 0 || i == 0,
            "the decoder wants more than the message ({sent} of {} bytes)",
            wire.len()
        );
        buf[at..at + n].copy_from_slice(&wire[sent..sent + n]);
        sent += n;
        if let Status::Complete(body) = d.decode(&mut buf, n)? {
            assert!(
                buf[..head].iter().all(|&b| b == 0xA5),
                "the decoder wrote before the body"
            );
            assert_eq!(body, d.body(), "the range decode gives is the body");
            return Ok((buf[body].to_vec(), d.excess()));
        }
    }
    unreachable!()
}

proptest! {
    #![proptest_config(config(256))]

    /// Any event, in chunks of any sizes and forms, read in pieces of any sizes, into a buffer
    /// with the room the decoder documents (the body and one line), decodes to itself.
    #[test]
    fn chunked_event_in_any_segmentation_decodes_to_the_same_bytes(
        event in any_event(),
        sizes in proptest::collection::vec(prop_oneof![1usize..16, 1usize..10_000, 1usize..200_000], 1..8),
        styles in proptest::collection::vec(size_line_style(), 1..6),
        trailers in proptest::collection::vec("[A-Za-z-]{1,20}: [ -~]{0,40}", 0..4),
        reads in proptest::collection::vec(prop_oneof![1usize..8, 1usize..2000, 1usize..100_000], 1..16),
        head in 0usize..300,
        slack in prop_oneof![Just(0usize), 0usize..10_000],
        after in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let mut wire = chunked_wire(&event, &sizes, &styles, &trailers);
        let message_len = wire.len();
        wire.extend_from_slice(&after);
        let cap = head + event.len() + MAX_LINE + 1 + slack;
        let (body, excess) = dechunk(&wire, head, cap, &reads).unwrap();
        prop_assert!(body == event, "decoded {} bytes, not the {}-byte event", body.len(), event.len());
        prop_assert!(excess <= after.len(), "{excess} excess bytes of {} sent after {message_len}", after.len());
        // And byte by byte, for events small enough for it to be quick.
        if wire.len() < 3000 {
            let (body, excess) = dechunk(&wire, head, cap, &[1]).unwrap();
            prop_assert_eq!(body, event);
            prop_assert_eq!(excess, 0);
        }
    }

    /// A whole `/next` reply, its body framed by Content-Length or chunked, read in pieces of
    /// any sizes the way the client reads it (the head parsed again after each read, then the
    /// body), gives the event and the request id, whatever the split.
    #[test]
    fn next_reply_in_any_segmentation_gives_the_event(
        event in any_event(),
        chunked in any::<bool>(),
        sizes in proptest::collection::vec(1usize..5000, 1..4),
        styles in proptest::collection::vec(size_line_style(), 1..3),
        request_id in "[A-Za-z0-9._~-]{1,60}",
        upper in any::<bool>(),
        extra in proptest::collection::vec(("X-[A-Za-z]{1,10}", "[ -~]{0,60}"), 0..6),
        reads in proptest::collection::vec(prop_oneof![1usize..8, 1usize..3000, 1usize..200_000], 1..12),
    ) {
        let name = if upper { "LAMBDA-RUNTIME-AWS-REQUEST-ID" } else { "Lambda-Runtime-Aws-Request-Id" };
        let mut wire = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{name}: {request_id}\r\n");
        for (name, value) in &extra {
            wire += &format!("{name}: {value}\r\n");
        }
        wire += "Lambda-Runtime-Deadline-Ms: 1542409706888\r\n";
        let body = if chunked {
            wire += "Transfer-Encoding: chunked\r\n\r\n";
            chunked_wire(&event, &sizes, &styles, &[])
        } else {
            wire += &format!("Content-Length: {}\r\n\r\n", event.len());
            event.clone()
        };
        let mut wire = wire.into_bytes();
        wire.extend_from_slice(&body);
        let (head, id, got) = read_reply(&wire, wire.len() + MAX_LINE + 1, &reads);
        prop_assert_eq!(head.status, 200);
        prop_assert!(head.keep_alive);
        prop_assert_eq!(head.framing, if chunked { Framing::Chunked } else { Framing::Length(event.len() as u64) });
        prop_assert_eq!(id, request_id.into_bytes());
        prop_assert!(got == event, "got {} bytes, not the {}-byte event", got.len(), event.len());
    }
}

/// The client's reading of a reply (`client::read_reply`), over a wire delivered in reads of
/// the `reads` sizes in turn: the head parsed after each read, then the body by its framing.
/// Returns the head, the request id as captured and the body.
fn read_reply(wire: &[u8], cap: usize, reads: &[usize]) -> (ResponseHead, Vec<u8>, Vec<u8>) {
    let mut buf = vec![0u8; cap];
    let mut sent = 0;
    let mut i = 0;
    let mut recv = |buf: &mut [u8]| {
        let n = reads[i % reads.len()].min(buf.len()).min(wire.len() - sent);
        i += 1;
        buf[..n].copy_from_slice(&wire[sent..sent + n]);
        sent += n;
        assert!(n > 0, "the reader wants more than the reply");
        n
    };
    let mut filled = 0;
    let (head, found) = loop {
        filled += recv(&mut buf[filled..]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        if let Status::Complete((head, count)) =
            response::parse_head(&buf[..filled], &mut headers).unwrap()
        {
            break (head, NextHeaders::capture(&buf, &headers[..count]));
        }
    };
    let body = match head.framing {
        Framing::Length(len) => {
            let end = head.len + len as usize;
            while filled < end {
                filled += recv(&mut buf[filled..end]);
            }
            head.len..end
        }
        Framing::Chunked => {
            let mut d = Dechunker::new(head.len, head.len);
            let mut received = filled - head.len;
            loop {
                match d.decode(&mut buf, received).unwrap() {
                    Status::Complete(body) => break body,
                    Status::Partial => {
                        let at = d.fill_at();
                        received = recv(&mut buf[at..]);
                    }
                }
            }
        }
        Framing::UntilClose => panic!("framed replies only"),
    };
    let id = buf[found.request_id.expect("a request id")].to_vec();
    (head, id, buf[body].to_vec())
}

// ---------------------------------------------------------------------------------------------
// Error messages

fn document(error_type: &[u8], message: &[u8], limit: Option<usize>) -> serde_json::Value {
    let mut scratch = vec![0; json::SCRATCH_LEN];
    let mut out = vec![0; json::BODY_LEN];
    let doc = match limit {
        Some(limit) => json::error_document_cut(error_type, message, limit, &mut scratch, &mut out),
        None => json::error_document(error_type, message, &mut scratch, &mut out),
    };
    serde_json::from_slice(doc).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(doc)))
}

/// `String::from_utf8_lossy(message)` cut at a character boundary to at most `limit` bytes.
fn lossy_cut(message: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(message);
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Bytes that are hard for an escaper: controls, quotes, backslashes, DEL, pieces of UTF-8
/// sequences (valid and not), and plain text.
fn nasty_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        0u8..0x20,
        proptest::sample::select(vec![
            b'"', b'\\', b'/', 0x7f, 0xc3, 0xa9, 0xe2, 0x98, 0x83, 0xf0, 0x9d, 0x84, 0x9e, 0xff,
            0xed, 0xa0, 0x80
        ]),
        Just(b'a'),
    ]
}

fn any_message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(nasty_byte(), 0..300),
        any::<String>().prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// Any message and type: valid JSON whose errorMessage is the lossy UTF-8 message and
    /// whose errorType is the type (or `Function.Error` when it is not UTF-8).
    #[test]
    fn any_error_message_escapes_to_json_that_decodes_back_to_it(message in any_message(), error_type in any_message()) {
        let value = document(&error_type, &message, None);
        prop_assert_eq!(&value["errorMessage"], &serde_json::Value::from(String::from_utf8_lossy(&message)));
        let want_type = std::str::from_utf8(&error_type).unwrap_or("Function.Error");
        prop_assert_eq!(&value["errorType"], want_type);
        prop_assert_eq!(&value["stackTrace"], &serde_json::json!([]));
        prop_assert_eq!(value.as_object().unwrap().len(), 3);
    }

    /// With a limit, the message is the lossy UTF-8 message cut at a character boundary.
    #[test]
    fn a_cut_error_message_is_its_prefix_at_a_character_boundary(message in any_message(), limit in 0usize..320) {
        let value = document(b"T", &message, Some(limit));
        prop_assert_eq!(&value["errorMessage"], &serde_json::Value::from(lossy_cut(&message, limit)));
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// Messages around `MAX_MESSAGE` bytes are cut to it, at a character boundary, whatever
    /// the mix of ASCII, multi-byte characters, controls and invalid bytes.
    #[test]
    fn long_messages_are_cut_to_max_message(
        pieces in proptest::collection::vec(proptest::sample::select(vec![&b"a"[..], "é".as_bytes(), "☃".as_bytes(), "𝄞".as_bytes(), b"\x01", b"\"", b"\xff", b"\xe2\x98"]), 1..8),
        count in (contract::MAX_ERROR_MESSAGE - 100)..(contract::MAX_ERROR_MESSAGE + 100),
    ) {
        let message: Vec<u8> = pieces.iter().cycle().take(count).flat_map(|p| p.iter().copied()).collect();
        let value = document(b"T", &message, None);
        let got = value["errorMessage"].as_str().unwrap();
        prop_assert!(got.len() <= contract::MAX_ERROR_MESSAGE);
        prop_assert!(got == lossy_cut(&message, contract::MAX_ERROR_MESSAGE), "message of {} bytes", message.len());
    }
}

// ---------------------------------------------------------------------------------------------
// parse_head

type Parsed = Result<Status<(ResponseHead, Vec<(String, Vec<u8>)>)>, HeadError>;

fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let Status::Complete((head, count)) = response::parse_head(buf, &mut headers)? else {
        return Ok(Status::Partial);
    };
    let list = headers[..count]
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    Ok(Status::Complete((head, list)))
}

/// Heads made of plausible parts (status lines, the framing headers with good and bad values,
/// CRLF or LF lines), then maybe one byte changed, inserted or removed.
fn head_text() -> impl Strategy<Value = Vec<u8>> {
    let status = proptest::sample::select(vec![
        "HTTP/1.1 200 OK",
        "HTTP/1.1 202 Accepted",
        "HTTP/1.0 200 OK",
        "HTTP/1.1 204 No Content",
        "HTTP/1.1 304 Not Modified",
        "HTTP/1.1 100 Continue",
        "HTTP/1.1 410 Gone",
        "HTTP/1.1 500 Internal Server Error",
        "HTTP/1.1 200",
        "HTTP/2 200 OK",
        "HTTX/1.1 200 OK",
        "HTTP/1.1 abc OK",
        "HTTP/1.1 099 Low",
    ]);
    let name = proptest::sample::select(vec![
        "Content-Length",
        "content-length",
        "Transfer-Encoding",
        "TRANSFER-ENCODING",
        "Connection",
        "Lambda-Runtime-Aws-Request-Id",
        "Lambda-Runtime-Deadline-Ms",
        "Content-Type",
        "X-Other",
        "Bad Name",
        "",
    ]);
    let value = prop_oneof![
        proptest::sample::select(vec![
            "0",
            "5",
            "13",
            " 7 ",
            "-1",
            "99999999999999999999",
            "18446744073709551615",
            "",
            "chunked",
            "gzip, chunked",
            "chunked, gzip",
            "CHUNKED",
            "close",
            "keep-alive",
            "Keep-Alive, close",
            "keep-alive ,  upgrade",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,20}",
    ];
    let header = (name, value);
    let line_end = proptest::sample::select(vec!["\r\n", "\n"]);
    let edit = proptest::option::of((any::<proptest::sample::Index>(), 0u8..3, any::<u8>()));
    (
        status,
        proptest::collection::vec(header, 0..8),
        line_end,
        proptest::collection::vec(any::<u8>(), 0..16),
        edit,
    )
        .prop_map(|(status, headers, end, body, edit)| {
            let mut text = format!("{status}{end}");
            for (name, value) in headers {
                text += &format!("{name}: {value}{end}");
            }
            text += end;
            let mut bytes = text.into_bytes();
            bytes.extend_from_slice(&body);
            if let Some((at, kind, byte)) = edit {
                let at = at.index(bytes.len() + 1);
                match kind {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {}
                }
            }
            bytes
        })
}

proptest! {
    #![proptest_config(config(1024))]

    /// `parse_head` never panics, and every prefix of the input parses as "need more" or as
    /// the whole input does: a head read in two pieces, split anywhere, reads as in one.
    #[test]
    fn parse_head_agrees_with_itself_on_any_split_point(text in prop_oneof![head_text(), proptest::collection::vec(any::<u8>(), 0..200)]) {
        let whole = parse(&text);
        if let Ok(Status::Complete((head, _))) = &whole {
            prop_assert!(head.len <= text.len());
            prop_assert!(!(head.framing == Framing::UntilClose && head.keep_alive));
        }
        for split in 0..=text.len() {
            let part = parse(&text[..split]);
            if part != Ok(Status::Partial) {
                prop_assert_eq!(&part, &whole, "split at {}", split);
            }
        }
    }
}
