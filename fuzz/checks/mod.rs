//! The checks behind the fuzz targets, one plain function per target, shared by
//! `fuzz/fuzz_targets/*.rs` (libFuzzer) and `tests/fuzz_corpus.rs` (every corpus file as a
//! regular test, for machines without cargo-fuzz). Each takes the fuzzer's bytes and panics on
//! a violated property; a crash of the parser under test is a failure too.
//!
//! Targets whose input is more than one value start with a few control bytes (read sizes,
//! buffer sizes, limits), then the payload; each function says how it reads them. The seed
//! corpus starts them with printable bytes so that its files stay readable.
//!
//! Kept simple and self-contained (std, serde_json and httparse, which both crates have): it is
//! included with `#[path]`.

use std::collections::BTreeMap;

use lambda_bootstrap::api::{self, NextHeaders};
use lambda_bootstrap::contract;
use lambda_bootstrap::http::Status;
use lambda_bootstrap::http::chunked::{ChunkError, Dechunker, MAX_LINE, MAX_TRAILERS};
use lambda_bootstrap::http::response::{
    self, Framing, HeadError, MAX_HEAD_LEN, MAX_HEADERS, ResponseHead,
};
use lambda_bootstrap::local::request::{self as invoke_request, InvocationType, Invoke, Refusal};
use lambda_bootstrap::{api::endpoint, api::ip, codec::base64, codec::json};

/// Reads control values off the front of the input; missing bytes read as zero.
pub struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input(data)
    }

    pub fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// Read sizes for a simulated socket: a deterministic sequence from a seed, each from 1 to
/// `max`.
pub struct Reads {
    state: u64,
    max: usize,
}

impl Reads {
    pub fn new(seed: u32, max: usize) -> Self {
        Reads {
            state: u64::from(seed) << 1 | 1,
            max: max.max(1),
        }
    }

    /// From a control byte: which of a few maximum sizes, 1 (byte by byte) to everything.
    pub fn from_control(seed: u32, class: u8) -> Self {
        const MAX: [usize; 8] = [1, 2, 3, 7, 16, 100, 1000, usize::MAX];
        Reads::new(seed, MAX[usize::from(class) % MAX.len()])
    }

    pub fn next(&mut self) -> usize {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let r = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        if self.max == usize::MAX {
            usize::MAX
        } else {
            1 + (r % self.max as u64) as usize
        }
    }
}

// ---------------------------------------------------------------------------------------------
// response::parse_head

/// A parse result we can compare: the head and its headers as owned values.
type Parsed = Result<Status<(ResponseHead, Vec<(String, Vec<u8>)>)>, HeadError>;

fn parse_owned(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let Status::Complete((head, count)) = response::parse_head(buf, &mut headers)? else {
        return Ok(Status::Partial);
    };
    assert!(count <= MAX_HEADERS);
    let list = headers[..count]
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    Ok(Status::Complete((head, list)))
}

/// The cut points to try: all of them for short inputs, a spread (and those around `head`)
/// for long ones.
fn cuts(len: usize, head: Option<usize>) -> Vec<usize> {
    if len <= 700 {
        return (0..=len).collect();
    }
    let mut cuts: Vec<usize> = (0..=200).map(|i| i * len / 200).collect();
    if let Some(h) = head {
        cuts.extend([
            h.saturating_sub(2),
            h.saturating_sub(1),
            h,
            (h + 1).min(len),
        ]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// `parse_head` never panics; a complete head is consistent with its headers; and the result
/// does not depend on how much of the input has arrived: every prefix parses as "need more"
/// until it parses exactly as the whole input does (so a reply read in any number of pieces
/// gives the same answer as one read).
pub fn response_head(data: &[u8]) {
    let full = parse_owned(data);
    let head_len = match &full {
        Ok(Status::Complete((head, headers))) => {
            head_consistent(data, head, headers);
            Some(head.len)
        }
        _ => None,
    };
    for cut in cuts(data.len(), head_len) {
        let part = parse_owned(&data[..cut]);
        if part != Ok(Status::Partial) {
            assert_eq!(
                part,
                full,
                "the first {cut} bytes parse otherwise than all {}",
                data.len()
            );
        }
    }
}

fn head_consistent(data: &[u8], head: &ResponseHead, headers: &[(String, Vec<u8>)]) {
    assert!(head.len <= data.len());
    assert!(
        data[..head.len].ends_with(b"\n"),
        "a head ends with its blank line"
    );
    assert!(!(100..200).contains(&head.status), "1xx is refused");
    fn values<'h>(
        headers: &'h [(String, Vec<u8>)],
        name: &'h str,
    ) -> impl Iterator<Item = &'h Vec<u8>> {
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
    let named = |name: &'static str| values(headers, name);
    let lengths: Vec<Option<u64>> = named("content-length")
        .map(|v| std::str::from_utf8(v.trim_ascii()).ok().and_then(decimal))
        .collect();
    let encodings: Vec<&Vec<u8>> = named("transfer-encoding").collect();
    assert!(
        lengths.iter().all(Option::is_some),
        "a bad Content-Length is refused"
    );
    assert!(
        lengths.windows(2).all(|w| w[0] == w[1]),
        "conflicting lengths are refused"
    );
    assert!(
        lengths.is_empty() || encodings.is_empty(),
        "Content-Length with Transfer-Encoding is refused"
    );
    match head.framing {
        Framing::Chunked => {
            let last = encodings.last().expect("chunked needs Transfer-Encoding");
            let token = last.rsplit(|&b| b == b',').next().unwrap().trim_ascii();
            assert!(token.eq_ignore_ascii_case(b"chunked"));
        }
        Framing::Length(n) => {
            assert!(encodings.is_empty());
            if head.status == 204 || head.status == 304 {
                assert_eq!(n, 0);
            } else {
                assert_eq!(lengths.first(), Some(&Some(n)));
            }
        }
        Framing::UntilClose => {
            assert!(encodings.is_empty() && lengths.is_empty());
            assert!(head.status != 204 && head.status != 304);
            assert!(
                !head.keep_alive,
                "a body until close cannot keep the connection"
            );
        }
    }
    if head.keep_alive {
        for value in named("connection") {
            assert!(
                !value
                    .split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
            );
        }
    }
}

/// Plain decimal digits, written independently of `num::ascii_to_u64`.
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// chunked::Dechunker

/// What decoding a chunked body comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dechunked {
    /// The body, and how many bytes of the input the message took.
    Done {
        body: Vec<u8>,
        consumed: usize,
    },
    /// The input ended before the message did.
    Incomplete,
    Error(ChunkError),
}

/// A reference decoder, written for clarity over the whole message at once: the grammar the
/// `Dechunker` documents (hex size, optional whitespace and `;extensions`, lines ending in LF
/// with an optional CR, trailers ignored) and its limits (lines of at most `MAX_LINE` bytes,
/// `MAX_TRAILERS` of trailers, no chunk larger than the `room` left for the body).
pub fn reference_dechunk(wire: &[u8], room: usize) -> Dechunked {
    let mut pos = 0;
    let mut body = Vec::new();
    // One line without its LF (and CR), or why there is none.
    let line = |pos: &mut usize| -> Result<Option<&[u8]>, ChunkError> {
        let rest = &wire[*pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(lf) if lf > MAX_LINE => Err(ChunkError::LineTooLong),
            Some(lf) => {
                *pos += lf + 1;
                let line = &rest[..lf];
                Ok(Some(line.strip_suffix(b"\r").unwrap_or(line)))
            }
            None if rest.len() > MAX_LINE => Err(ChunkError::LineTooLong),
            None => Ok(None),
        }
    };
    macro_rules! line_or_return {
        () => {
            match line(&mut pos) {
                Ok(Some(line)) => line,
                Ok(None) => return Dechunked::Incomplete,
                Err(e) => return Dechunked::Error(e),
            }
        };
    }
    loop {
        let size_line = line_or_return!();
        let size = match chunk_size(size_line) {
            Ok(size) => size,
            Err(e) => return Dechunked::Error(e),
        };
        if size == 0 {
            break;
        }
        if size > (room - body.len()) as u64 {
            return Dechunked::Error(ChunkError::TooLarge);
        }
        let size = size as usize;
        let available = wire.len() - pos;
        if available < size {
            return Dechunked::Incomplete;
        }
        body.extend_from_slice(&wire[pos..pos + size]);
        pos += size;
        if !line_or_return!().is_empty() {
            return Dechunked::Error(ChunkError::BadDataEnd);
        }
    }
    let mut trailers = 0;
    loop {
        let trailer = line_or_return!();
        if trailer.is_empty() {
            return Dechunked::Done {
                body,
                consumed: pos,
            };
        }
        trailers += trailer.len() + 2;
        if trailers > MAX_TRAILERS {
            return Dechunked::Error(ChunkError::LineTooLong);
        }
    }
}

fn chunk_size(line: &[u8]) -> Result<u64, ChunkError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let mut rest = &line[digits..];
    while let [b' ' | b'\t' | b'\r' | b'\n' | b'\x0c', tail @ ..] = rest {
        rest = tail;
    }
    let extensions_ok =
        rest.is_empty() || (rest[0] == b';' && rest.iter().all(|&b| b >= 0x20 || b == b'\t'));
    if digits == 0 || !extensions_ok {
        return Err(ChunkError::BadSize);
    }
    let hex = std::str::from_utf8(&line[..digits])
        .unwrap()
        .trim_start_matches('0');
    if hex.len() > 16 {
        return Err(ChunkError::SizeOverflow);
    }
    Ok(if hex.is_empty() {
        0
    } else {
        u64::from_str_radix(hex, 16).unwrap()
    })
}

/// Feeds `wire` to a `Dechunker` whose body starts at `head` in a buffer of `cap` bytes, in
/// reads of the sizes `reads` gives (the first may be empty, as when the head's read ended
/// exactly at the body), the way `client::read_reply` drives it.
pub fn feed_dechunker(wire: &[u8], head: usize, cap: usize, reads: &mut Reads) -> Dechunked {
    const FILL: u8 = 0xA5;
    let mut buf = vec![FILL; cap];
    let mut d = Dechunker::new(head, head);
    let mut sent = 0;
    let mut first = true;
    loop {
        let at = d.fill_at();
        assert!(
            at >= head && at <= cap,
            "fill_at {at} outside {head}..={cap}"
        );
        let room = cap - at;
        let n = if first {
            reads.next() - 1
        } else {
            reads.next()
        }
        .min(room)
        .min(wire.len() - sent);
        if n == 0 && !first {
            // No room left is reported by decode as TooLarge, so this is the end of the input.
            assert!(room > 0, "decode left a full buffer without an error");
            return Dechunked::Incomplete;
        }
        first = false;
        buf[at..at + n].copy_from_slice(&wire[sent..sent + n]);
        sent += n;
        let decoded = match d.decode(&mut buf, n) {
            Ok(decoded) => decoded,
            Err(e) => return Dechunked::Error(e),
        };
        let body = d.body();
        assert!(body.start == head && body.end <= d.fill_at() && d.fill_at() <= cap);
        assert!(d.excess() <= d.fill_at() - body.end);
        assert!(
            buf[..head].iter().all(|&b| b == FILL),
            "the decoder wrote before the body"
        );
        assert_eq!(decoded.is_complete(), d.is_done());
        if let Status::Complete(decoded) = decoded {
            assert_eq!(decoded, body, "the range decode gives is the body");
            // The bytes after the message are the last `excess` bytes received.
            let consumed = sent - d.excess();
            assert_eq!(
                &buf[d.fill_at() - d.excess()..d.fill_at()],
                &wire[consumed..sent]
            );
            return Dechunked::Done {
                body: buf[body].to_vec(),
                consumed,
            };
        }
    }
}

/// The in-place decoder agrees with the reference decoder on any input, fed in any pieces:
/// exactly, when the buffer holds the whole input; and with a buffer of any size, but for
/// `TooLarge`, which it may only answer when the body with a line's worth of room
/// (`MAX_LINE`) does not fit.
///
/// Input: 4 bytes of read-size seed, 1 byte of read-size class, 1 byte of head length (bytes
/// before the body), 2 bytes of buffer room after the head for the small-buffer run; then the
/// chunked wire bytes.
pub fn chunked(data: &[u8]) {
    let mut input = Input::new(data);
    let seed = input.u32();
    let class = input.byte();
    let head = usize::from(input.byte());
    let small_room = 1 + usize::from(input.u16());
    let wire = input.rest();

    // A buffer that holds everything: exactly the reference's answer.
    let big_cap = head + wire.len() + 1;
    let want = reference_dechunk(wire, big_cap - head);
    let got = feed_dechunker(wire, head, big_cap, &mut Reads::from_control(seed, class));
    assert_eq!(got, want, "big buffer, reads class {class}");
    // And byte by byte, the hardest case for the line handling.
    if wire.len() <= 2048 {
        assert_eq!(
            feed_dechunker(wire, head, big_cap, &mut Reads::new(seed, 1)),
            want,
            "byte by byte"
        );
    }

    // A buffer of any size: the same, or TooLarge where the body may not fit.
    let small_cap = head + small_room;
    let want = reference_dechunk(wire, small_room);
    let got = feed_dechunker(wire, head, small_cap, &mut Reads::from_control(seed, class));
    if got != want {
        assert_eq!(
            got,
            Dechunked::Error(ChunkError::TooLarge),
            "small buffer ({small_room}), expected {want:?}"
        );
        if let Dechunked::Done { body, .. } = &want {
            assert!(
                small_room <= body.len() + MAX_LINE,
                "TooLarge for a body of {} in {small_room}",
                body.len()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The whole reply: head, then body framing, as client::read_reply reads it.

/// How `client::read_reply` ends, without the socket errors a simulated socket never has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    Closed,
    HeadTooLong,
    Head(HeadError),
    Chunked(ChunkError),
    BodyTooLarge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub head: ResponseHead,
    pub body: Vec<u8>,
    /// Received bytes after the reply.
    pub excess: usize,
    pub keep_alive: bool,
}

/// A socket that delivers `wire` in reads of the sizes `reads` gives, then end of stream.
struct FakeSocket<'w> {
    wire: &'w [u8],
    sent: usize,
    reads: Reads,
}

impl FakeSocket<'_> {
    fn recv(&mut self, buf: &mut [u8]) -> usize {
        let n = self
            .reads
            .next()
            .min(buf.len())
            .min(self.wire.len() - self.sent);
        buf[..n].copy_from_slice(&self.wire[self.sent..self.sent + n]);
        self.sent += n;
        n
    }

    fn recv_more(&mut self, buf: &mut [u8]) -> Result<usize, ReplyError> {
        assert!(!buf.is_empty(), "a read into no room");
        match self.recv(buf) {
            0 => Err(ReplyError::Closed),
            n => Ok(n),
        }
    }
}

/// `client::read_reply` over a fake socket, step for step, plus the `/next` path's use of the
/// head: the Lambda headers captured when the head is parsed must still read the same, and
/// be NUL-terminated without touching the body, once the body is in.
pub fn read_reply(wire: &[u8], cap: usize, reads: Reads) -> Result<Reply, ReplyError> {
    let mut socket = FakeSocket {
        wire,
        sent: 0,
        reads,
    };
    let mut buf = vec![0u8; cap];
    let mut filled = 0;
    let (head, captured) = loop {
        let n = socket.recv(&mut buf[filled..]);
        if n == 0 {
            return Err(ReplyError::Closed);
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        match response::parse_head(&buf[..filled], &mut headers) {
            Ok(Status::Complete((head, count))) => {
                let found = NextHeaders::capture(&buf, &headers[..count]);
                break (head, found);
            }
            Ok(Status::Partial) if filled >= MAX_HEAD_LEN || filled == buf.len() => {
                return Err(ReplyError::HeadTooLong);
            }
            Ok(Status::Partial) => {}
            Err(e) => return Err(ReplyError::Head(e)),
        }
    };
    let values = captured_values(&buf, &captured);
    let (body, excess) = match head.framing {
        Framing::Length(len) => {
            let end = usize::try_from(len)
                .ok()
                .and_then(|len| head.len.checked_add(len))
                .filter(|&end| end <= buf.len())
                .ok_or(ReplyError::BodyTooLarge)?;
            while filled < end {
                filled += socket.recv_more(&mut buf[filled..end])?;
            }
            (head.len..end, filled - end)
        }
        Framing::Chunked => {
            let mut dechunker = Dechunker::new(head.len, head.len);
            let mut received = filled - head.len;
            let body = loop {
                let decoded = dechunker.decode(&mut buf, received).map_err(|e| match e {
                    ChunkError::TooLarge => ReplyError::BodyTooLarge,
                    e => ReplyError::Chunked(e),
                })?;
                match decoded {
                    Status::Complete(body) => break body,
                    Status::Partial => {
                        let at = dechunker.fill_at();
                        received = socket.recv_more(&mut buf[at..])?;
                    }
                }
            };
            (body, dechunker.excess())
        }
        Framing::UntilClose => {
            loop {
                if filled == buf.len() {
                    return Err(ReplyError::BodyTooLarge);
                }
                match socket.recv(&mut buf[filled..]) {
                    0 => break,
                    n => filled += n,
                }
            }
            (head.len..filled, 0)
        }
    };
    assert!(head.len <= body.start && body.end <= buf.len());
    assert_eq!(
        captured_values(&buf, &captured),
        values,
        "decoding the body overwrote the head"
    );
    let body_bytes = buf[body.clone()].to_vec();
    captured.terminate(&mut buf);
    assert_eq!(
        buf[body].to_vec(),
        body_bytes,
        "NUL-terminating the headers touched the body"
    );
    let keep_alive = head.keep_alive && excess == 0;
    Ok(Reply {
        head,
        body: body_bytes,
        excess,
        keep_alive,
    })
}

fn captured_values(buf: &[u8], found: &NextHeaders) -> Vec<Option<Vec<u8>>> {
    let all = [
        &found.request_id,
        &found.deadline_ms,
        &found.invoked_function_arn,
        &found.trace_id,
        &found.client_context,
        &found.cognito_identity,
        &found.tenant_id,
        &found.invocation_id,
    ];
    all.iter()
        .map(|r| r.as_ref().map(|r| buf[r.clone()].to_vec()))
        .collect()
}

/// What the reply is, from the whole wire at once: the head as `parse_head` reads it, then the
/// body by its framing, from the wire directly (the reference decoder for chunked bodies).
pub fn reference_reply(wire: &[u8], cap: usize) -> Result<Reply, ReplyError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let head = match response::parse_head(wire, &mut headers) {
        Ok(Status::Complete((head, _))) => head,
        Ok(Status::Partial) => return Err(ReplyError::Closed),
        Err(e) => return Err(ReplyError::Head(e)),
    };
    if head.len > cap {
        return Err(ReplyError::HeadTooLong);
    }
    let rest = &wire[head.len..];
    let (body, consumed) = match head.framing {
        Framing::Length(len) => {
            if len > (cap - head.len) as u64 {
                return Err(ReplyError::BodyTooLarge);
            }
            let body = rest.get(..len as usize).ok_or(ReplyError::Closed)?;
            (body.to_vec(), body.len())
        }
        Framing::Chunked => match reference_dechunk(rest, cap - head.len) {
            Dechunked::Done { body, consumed } => (body, consumed),
            Dechunked::Incomplete => return Err(ReplyError::Closed),
            Dechunked::Error(ChunkError::TooLarge) => return Err(ReplyError::BodyTooLarge),
            Dechunked::Error(e) => return Err(ReplyError::Chunked(e)),
        },
        Framing::UntilClose => {
            if wire.len() >= cap {
                return Err(ReplyError::BodyTooLarge);
            }
            (rest.to_vec(), rest.len())
        }
    };
    let excess = rest.len() - consumed;
    Ok(Reply {
        head,
        body,
        excess,
        keep_alive: head.keep_alive && excess == 0,
    })
}

/// The reply read in any pieces, into a buffer of any size, is the reply the whole wire says
/// it is: exactly when the buffer holds the wire with room for a chunk line to spare; with a
/// smaller one, the same or "too large". Fewer excess bytes can be seen than the wire has
/// (the read stops at the reply's end), never more; and keep-alive follows.
///
/// Input: 4 bytes of read-size seed, 1 byte of read-size class, 2 bytes of buffer size (0 for
/// one that holds everything); then the wire.
pub fn reply(data: &[u8]) {
    let mut input = Input::new(data);
    let seed = input.u32();
    let class = input.byte();
    let size = usize::from(input.u16());
    let wire = input.rest();
    let roomy = wire.len() + MAX_LINE + 1;
    let mut runs = vec![(
        if size == 0 { roomy } else { size },
        Reads::from_control(seed, class),
    )];
    if wire.len() <= 1024 {
        // Byte by byte; longer heads would take quadratic time (each read parses the head again).
        runs.push((roomy, Reads::new(seed, 1)));
    }
    for (cap, reads) in runs {
        let got = read_reply(wire, cap, reads);
        let want = reference_reply(wire, cap);
        let roomy = cap > wire.len() + MAX_LINE && wire.len() < MAX_HEAD_LEN;
        match (&got, &want) {
            (Ok(got), Ok(want)) => {
                assert_eq!((got.head, &got.body), (want.head, &want.body), "cap {cap}");
                assert!(got.excess <= want.excess);
                assert_eq!(got.keep_alive, got.head.keep_alive && got.excess == 0);
            }
            (Err(ReplyError::BodyTooLarge | ReplyError::HeadTooLong), _) if !roomy => {}
            _ => assert_eq!(got, want, "cap {cap}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// api::NextHeaders::capture, api::is_valid_request_id

/// The names `capture` knows, after `Lambda-Runtime-`, in `NextHeaders` field order.
const LAMBDA_HEADERS: [&str; 8] = [
    "aws-request-id",
    "deadline-ms",
    "invoked-function-arn",
    "trace-id",
    "client-context",
    "cognito-identity",
    "aws-tenant-id",
    "invocation-id",
];

/// A request id that `is_valid_request_id` accepts can go into a request line as it is.
pub fn request_id_is_safe(id: &[u8]) {
    if api::is_valid_request_id(id) {
        assert!(
            !id.is_empty() && id.len() <= contract::MAX_REQUEST_ID,
            "{id:?}"
        );
        assert!(id != b"." && id != b"..", "{id:?}");
        assert!(
            id.iter()
                .all(|&b| b.is_ascii_graphic() && !b"/?#%\\\"<>[]^`{|}".contains(&b)),
            "{id:?}"
        );
    }
    if api::is_valid_invocation_id(id) {
        assert!(
            id.len() <= contract::MAX_REQUEST_ID && id.iter().all(u8::is_ascii_graphic),
            "{id:?}"
        );
    }
}

/// `capture` finds each Lambda header by name in any case (the last one when repeated), at
/// positions inside the head, followed by at least one byte of the head that `terminate` may
/// overwrite; the ids it finds, and the raw input itself, are checked as request ids.
///
/// Input: a response head (anything after it is ignored).
pub fn next_headers(data: &[u8]) {
    request_id_is_safe(data);
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let Ok(Status::Complete((head, count))) = response::parse_head(data, &mut headers) else {
        return;
    };
    let headers = &headers[..count];
    let found = NextHeaders::capture(data, headers);
    let got = captured_values(data, &found);
    for (i, suffix) in LAMBDA_HEADERS.iter().enumerate() {
        let name = format!("lambda-runtime-{suffix}");
        let want = headers
            .iter()
            .rev()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.to_vec());
        assert_eq!(got[i], want, "{name}");
    }
    let all = [
        &found.request_id,
        &found.deadline_ms,
        &found.invoked_function_arn,
        &found.trace_id,
        &found.client_context,
        &found.cognito_identity,
        &found.tenant_id,
        &found.invocation_id,
    ];
    for range in all.into_iter().flatten() {
        assert!(
            range.end < head.len,
            "a value at {range:?} runs to the end of a head of {}",
            head.len
        );
    }
    let mut buf = data.to_vec();
    found.terminate(&mut buf);
    assert_eq!(
        buf[head.len..],
        data[head.len..],
        "terminate wrote past the head"
    );
    for value in got.into_iter().flatten() {
        request_id_is_safe(&value);
    }
}

// ---------------------------------------------------------------------------------------------
// endpoint::parse, ip::parse_v4 / parse_v6

/// `endpoint::parse` never panics; what it accepts is consistent (an ASCII `Host`, a clean
/// path prefix, a port), parses again to itself, and agrees with core's `SocketAddr` parser;
/// a plain `ip:port` that core accepts, it accepts too.
///
/// Input: the value of `AWS_LAMBDA_RUNTIME_API` (invalid UTF-8 made lossy).
pub fn endpoint(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = endpoint::parse(&text);
    match &parsed {
        Ok(e) => {
            let host = e.host.as_str();
            let prefix = e.prefix.as_str();
            assert!(
                !host.is_empty() && host.is_ascii() && text.contains(host),
                "{text:?}"
            );
            assert!(
                prefix.is_empty() || (prefix.starts_with('/') && !prefix.ends_with('/')),
                "{prefix:?}"
            );
            assert!(
                prefix
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#'),
                "{prefix:?}"
            );
            assert_ne!(e.addr.port(), 0);
            assert_eq!(
                endpoint::parse(&format!("{host}{prefix}")).as_ref(),
                Ok(e),
                "{text:?}"
            );
            let with_scheme = format!("http://{host}{prefix}/");
            if with_scheme.len() <= endpoint::MAX_LEN {
                assert_eq!(endpoint::parse(&with_scheme).as_ref(), Ok(e), "{text:?}");
            }
            if host.len() > 9 && host[..9].eq_ignore_ascii_case("localhost") {
                assert_eq!(
                    e.addr,
                    std::net::SocketAddr::from(([127, 0, 0, 1], e.addr.port()))
                );
            } else {
                assert_eq!(host.parse::<std::net::SocketAddr>(), Ok(e.addr), "{text:?}");
            }
        }
        Err(e) => assert!(!e.message().is_empty()),
    }
    // The converse, for what core reads as a socket address (it also takes v6 scope ids,
    // which an address for a socket connect here has no use for).
    if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
        if addr.port() != 0 && !text.contains('%') && text.len() <= endpoint::MAX_LEN {
            assert_eq!(parsed.map(|e| e.addr), Ok(addr), "{text:?}");
        }
    }
}

/// The hand-written IP parsers accept exactly what core's accept, with the same value.
///
/// Input: the text.
pub fn ip(data: &[u8]) {
    let (v4, v6) = (ip::parse_v4(data), ip::parse_v6(data));
    match std::str::from_utf8(data) {
        Ok(text) => {
            assert_eq!(v4, text.parse().ok(), "v4 {text:?}");
            assert_eq!(v6, text.parse().ok(), "v6 {text:?}");
        }
        Err(_) => assert!(v4.is_none() && v6.is_none(), "{data:?}"),
    }
    if let Some(a) = v4 {
        assert_eq!(ip::parse_v4(a.to_string().as_bytes()), Some(a));
    }
    if let Some(a) = v6 {
        assert_eq!(ip::parse_v6(a.to_string().as_bytes()), Some(a));
    }
}

// ---------------------------------------------------------------------------------------------
// json::error_document, json::http_prelude

/// The longest prefix of `text` of at most `limit` bytes ending on a character boundary.
pub fn cut_at_char(text: &str, limit: usize) -> &str {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What `errorMessage` must read: the message made valid UTF-8 as `String::from_utf8_lossy`
/// does, cut at a character boundary to `limit` bytes.
pub fn expected_message(message: &[u8], limit: usize) -> String {
    cut_at_char(&String::from_utf8_lossy(message), limit).to_string()
}

/// Any bytes as message and type make a document that serde_json reads, whose errorMessage is
/// the lossy UTF-8 message cut to the limit, whose errorType is the type (or
/// `Function.Error` for a type that is not UTF-8) and whose stackTrace is `[]`, nothing more;
/// an output buffer too small gives the fixed "too large" document, also valid.
///
/// Input: 1 byte of mode (bit 0: `error_document_cut` with a limit, else `error_document`;
/// bit 1: a small scratch buffer; bit 2: a small output buffer), 2 bytes of limit, 1 byte of
/// small-buffer size; then the type, a NUL, and the message (no NUL: all message, empty type).
pub fn error_document(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let limit = usize::from(input.u16());
    let small = usize::from(input.byte());
    let payload = input.rest();
    let (error_type, message) = match payload.iter().position(|&b| b == 0) {
        Some(nul) => (&payload[..nul], &payload[nul + 1..]),
        None => (&b""[..], payload),
    };
    let limit = if mode & 1 != 0 {
        limit
    } else {
        contract::MAX_ERROR_MESSAGE
    };
    let mut scratch = vec![
        0u8;
        if mode & 2 != 0 {
            small
        } else {
            json::SCRATCH_LEN
        }
    ];
    let mut out = vec![
        0u8;
        if mode & 4 != 0 {
            small * 4
        } else {
            json::BODY_LEN
        }
    ];
    let doc = if mode & 1 != 0 {
        json::error_document_cut(error_type, message, limit, &mut scratch, &mut out).to_vec()
    } else {
        json::error_document(error_type, message, &mut scratch, &mut out).to_vec()
    };
    let value: serde_json::Value = serde_json::from_slice(&doc)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&doc)));
    let object = value.as_object().expect("an object");
    assert_eq!(object.len(), 3, "{object:?}");
    assert_eq!(value["stackTrace"], serde_json::json!([]));
    if value["errorMessage"] == "error document too large"
        && value["errorType"] == "Runtime.Unknown"
    {
        // The fallback: only when the document did not fit.
        let mut big = vec![0u8; json::BODY_LEN];
        let full = json::error_document_cut(error_type, message, limit, &mut scratch, &mut big);
        assert!(
            full.len() > out.len() || full == doc,
            "fell back although {} bytes fit in {}",
            full.len(),
            out.len()
        );
        return;
    }
    let mut limit = limit.min(contract::MAX_ERROR_MESSAGE);
    if std::str::from_utf8(message).is_err() {
        // An invalid message is converted in the scratch buffer, and so cut to it too.
        limit = limit.min(scratch.len());
    }
    assert_eq!(value["errorMessage"], expected_message(message, limit));
    assert_eq!(
        value["errorType"],
        std::str::from_utf8(error_type).unwrap_or("Function.Error")
    );
    assert!(
        doc.iter().all(|&b| b >= 0x20),
        "raw control bytes in the document"
    );
}

/// The HTTP-integration prelude is valid JSON with the status, the headers (last one wins, as
/// for any JSON reader) and the cookies given, then eight NULs; `None` exactly when it does not
/// fit, and otherwise the same bytes whatever the buffer.
///
/// Input: 2 bytes of status, 2 bytes of output size, 1 byte of header count; then lines: the
/// first 2 × count are header name and value pairs (as far as there are lines), the rest
/// cookies.
pub fn http_prelude(data: &[u8]) {
    let mut input = Input::new(data);
    let status = input.u16();
    let size = usize::from(input.u16());
    let pairs = usize::from(input.byte() % 16);
    let payload = input.rest();
    let lines: Vec<String> = if payload.is_empty() {
        Vec::new()
    } else {
        payload
            .split(|&b| b == b'\n')
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    };
    let split = (2 * pairs).min(lines.len() / 2 * 2);
    let headers: Vec<(&str, &str)> = lines[..split]
        .chunks(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    let cookies: Vec<&str> = lines[split..].iter().map(String::as_str).collect();

    let mut big = vec![0u8; 6 * payload.len() + 64 * (lines.len() + 1)];
    let prelude = json::http_prelude(status, &headers, &cookies, &mut big)
        .expect("fits a big buffer")
        .to_vec();
    let (text, nuls) = prelude.split_at(prelude.len() - 8);
    assert_eq!(nuls, [0; 8]);
    let value: serde_json::Value = serde_json::from_slice(text)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(text)));
    assert_eq!(value.as_object().map(|o| o.len()), Some(3));
    assert_eq!(value["statusCode"], u64::from(status));
    let mut want = BTreeMap::new();
    for (name, value) in &headers {
        want.insert(name.to_string(), serde_json::Value::from(*value));
    }
    assert_eq!(
        value["headers"],
        serde_json::Value::Object(want.into_iter().collect())
    );
    assert_eq!(value["cookies"], serde_json::json!(cookies));

    let mut out = vec![0u8; size];
    match json::http_prelude(status, &headers, &cookies, &mut out) {
        Some(got) => assert_eq!(got, prelude),
        None => assert!(
            prelude.len() > size,
            "None although {} bytes fit in {size}",
            prelude.len()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// base64::encode

/// A strict decoder for padded standard base64, written here so the round trip is checked
/// against something other than the encoder.
pub fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
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
    if text.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::new();
    let quads = text.len() / 4;
    for (i, quad) in text.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Bits that padding drops must be zero (canonical encoding).
        if bytes[3 - pad..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Encoding gives `encoded_len` bytes of the alphabet with canonical padding, decodes back to
/// the input, is `None` exactly when the buffer is too small, and is the same in a larger one.
///
/// Input: the bytes to encode.
pub fn base64(data: &[u8]) {
    let len = base64::encoded_len(data.len());
    assert_eq!(len, data.len().div_ceil(3) * 4);
    let mut out = vec![0u8; len + 7];
    let text = base64::encode(data, &mut out)
        .expect("room for encoded_len")
        .to_vec();
    assert_eq!(text.len(), len);
    assert_eq!(
        text.iter().filter(|&&c| c == b'=').count(),
        (3 - data.len() % 3) % 3
    );
    assert_eq!(
        base64_decode(&text).as_deref(),
        Some(data),
        "{}",
        String::from_utf8_lossy(&text)
    );
    assert_eq!(base64::encode(data, &mut out[..len]), Some(&text[..]));
    if len > 0 {
        assert_eq!(base64::encode(data, &mut out[..len - 1]), None);
    }
    base64_in_place(data);
}

/// `base64::decode_in_place` on any bytes (a caller's `X-Amz-Client-Context`): no panic;
/// whatever the strict decoder accepts, it decodes the same, and also without the padding;
/// whatever it accepts re-encodes to the input up to padding and the unused low bits of
/// the last character.
fn base64_in_place(data: &[u8]) {
    let mut text = data.to_vec();
    let ours = base64::decode_in_place(&mut text).map(|d| d.to_vec());
    if let Some(strict) = base64_decode(data) {
        assert_eq!(
            ours.as_deref(),
            Some(&strict[..]),
            "{:?}",
            String::from_utf8_lossy(data)
        );
        let mut unpadded = data
            .strip_suffix(b"==")
            .or(data.strip_suffix(b"="))
            .unwrap_or(data)
            .to_vec();
        assert_eq!(
            base64::decode_in_place(&mut unpadded).as_deref(),
            Some(&strict[..])
        );
    }
    if let Some(decoded) = ours {
        assert_eq!(
            decoded.len(),
            data.iter().filter(|&&c| c != b'=').count() * 3 / 4
        );
        let mut again = vec![0u8; base64::encoded_len(decoded.len())];
        let again = base64::encode(&decoded, &mut again).unwrap();
        let trimmed = |t: &[u8]| {
            t.iter()
                .copied()
                .filter(|&c| c != b'=')
                .collect::<Vec<u8>>()
        };
        let (ours, theirs) = (trimmed(again), trimmed(data));
        assert_eq!(ours.len(), theirs.len());
        let last = ours.len().saturating_sub(1);
        assert_eq!(ours[..last], theirs[..last], "re-encodes to the input");
    }
}

// ---------------------------------------------------------------------------------------------
// local::request::parse

/// Local mode's request parser (`local::request::parse`, the bytes a caller sends): no panic;
/// every prefix parses as "need more" until it parses exactly as the whole input does; a
/// complete head agrees with httparse's request parser on where it ends, is the invoke path
/// with POST, and has framing and header positions its headers justify; httparse's verdict
/// "partial" is ours too, and what httparse refuses we never accept.
///
/// Input: a request head (and possibly more).
pub fn local_request(data: &[u8]) {
    let full = invoke_request::parse(data);
    let head_len = match &full {
        Ok(Status::Complete(invoke)) => Some(invoke.head_len),
        _ => None,
    };
    for cut in cuts(data.len(), head_len) {
        let part = invoke_request::parse(&data[..cut]);
        if part != Ok(Status::Partial) {
            assert_eq!(
                part,
                full,
                "the first {cut} bytes parse otherwise than all {}",
                data.len()
            );
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut theirs = httparse::Request::new(&mut headers);
    match theirs.parse(data) {
        Ok(Status::Partial) => assert_eq!(full, Ok(Status::Partial), "httparse wants more"),
        Ok(Status::Complete(len)) => match &full {
            Ok(Status::Complete(invoke)) => {
                assert_eq!(invoke.head_len, len);
                assert_eq!(theirs.method, Some("POST"));
                invoke_consistent(data, invoke, theirs.headers);
            }
            Ok(Status::Partial) => panic!("httparse read a complete head of {len} bytes"),
            Err(_) => {}
        },
        Err(httparse::Error::TooManyHeaders) => assert_eq!(full, Err(Refusal::HeadTooLarge)),
        Err(_) => assert!(
            !matches!(full, Ok(Status::Complete(_))),
            "accepted what httparse refuses"
        ),
    }
}

fn invoke_consistent(data: &[u8], invoke: &Invoke, headers: &[httparse::Header<'_>]) {
    fn values<'h>(
        headers: &'h [httparse::Header<'h>],
        name: &'h str,
    ) -> impl Iterator<Item = &'h [u8]> {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
    let named = |name: &'static str| values(headers, name);
    let lengths: Vec<&[u8]> = named("content-length").collect();
    let encodings: Vec<&[u8]> = named("transfer-encoding").collect();
    match invoke.framing {
        Framing::Chunked => {
            assert!(lengths.is_empty());
            assert_eq!(encodings.len(), 1);
            assert!(encodings[0].trim_ascii().eq_ignore_ascii_case(b"chunked"));
        }
        Framing::Length(n) => {
            assert!(encodings.is_empty());
            assert!(n <= lambda_bootstrap::contract::MAX_EVENT as u64);
            let parsed: Vec<Option<u64>> = lengths
                .iter()
                .map(|v| std::str::from_utf8(v.trim_ascii()).ok().and_then(decimal))
                .collect();
            assert!(
                parsed.iter().all(|l| *l == Some(n)),
                "Content-Length {n} from {lengths:?}"
            );
        }
        Framing::UntilClose => panic!("a request is never framed until close"),
    }
    for (range, name) in [
        (&invoke.trace_id, "x-amzn-trace-id"),
        (&invoke.client_context, "x-amz-client-context"),
    ] {
        if let Some(range) = range {
            assert!(range.end < invoke.head_len);
            let value = &data[range.clone()];
            assert!(
                named(name).any(|v| v.trim_ascii() == value.trim_ascii()),
                "{name}"
            );
        }
    }
    // The last of each header decides; any value but Lambda's was refused.
    let last = |name: &'static str| named(name).last().map(|v| v.trim_ascii());
    let invocation_type = match last("x-amz-invocation-type") {
        None | Some(b"RequestResponse") => InvocationType::RequestResponse,
        Some(b"Event") => InvocationType::Event,
        Some(b"DryRun") => InvocationType::DryRun,
        Some(other) => panic!("accepted X-Amz-Invocation-Type {other:?}"),
    };
    assert_eq!(invoke.invocation_type, invocation_type);
    assert!(!(invoke.event_stream && invocation_type == InvocationType::Event));
    assert_eq!(invoke.tail, last("x-amz-log-type") == Some(b"Tail"));
    let target = data.split(|&b| b == b' ').find(|w| w.starts_with(b"/"));
    assert_eq!(
        invoke.event_stream,
        target.is_some_and(|t| t.starts_with(b"/2021-11-15/")),
        "the streaming path"
    );
}
