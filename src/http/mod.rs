//! HTTP/1.x pieces shared by every head the crate parses: the start line's common parts, read
//! byte by byte, and the header block, parsed by `httparse`.
//!
//! `httparse::Response::parse` inlines its own copy of the header parser (2.4 KB with the
//! framing checks around it); parsing the start line here and calling
//! [`parse_headers`] keeps one copy of that parser in the binary for responses and requests
//! alike. The start-line rules are httparse's, byte for byte (the tests of `response` compare
//! the two on many inputs).

pub mod chunked;
pub mod response;

/// Every parser's answer: `Complete` with what it parsed, or `Partial` when the bytes so far
/// end before the thing does and more must be read. httparse's own type, so that the header
/// parser's answer passes through unchanged and all the crate's parsers say "need more bytes"
/// the one way; a refusal is each parser's `Err`.
pub use httparse::Status;

/// Big enough for the longest head we write: a Runtime API request's (host and prefix, 256
/// each, a request id, 256, an error type, 128, an invocation id, 256, and fixed text) or a
/// local answer's.
pub const HEAD_BUFFER_LEN: usize = 2048;

/// Room for a head we write, a request's or a response's (or another short text built from
/// parts, such as local mode's function ARN).
pub type HeadBuffer = heapless::Vec<u8, HEAD_BUFFER_LEN>;

/// Headers we accept in one head. The Runtime API sends about ten.
pub const MAX_HEADERS: usize = 32;

/// Room for the headers of one head.
pub type Headers<'b> = [httparse::Header<'b>; MAX_HEADERS];

/// Why a head was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadStop {
    /// Not an HTTP/1.x head.
    Malformed,
    /// More than [`MAX_HEADERS`] headers.
    TooManyHeaders,
}

/// What stopped reading a start line early: the end of the bytes received so far, or a
/// refusal. The [`Cursor`]'s early exit, for `?` inside a start-line reader; each parser turns
/// it into its [`Status`] answer at its boundary with [`Stop::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// More bytes are needed.
    Partial,
    /// The head is refused, for this reason.
    Refused(HeadStop),
}

impl From<HeadStop> for Stop {
    fn from(refusal: HeadStop) -> Self {
        Stop::Refused(refusal)
    }
}

impl Stop {
    /// This early exit as a parser's answer: [`Status::Partial`], or the refusal in the
    /// parser's own terms.
    pub fn status<T, E: From<HeadStop>>(self) -> Result<Status<T>, E> {
        match self {
            Stop::Partial => Ok(Status::Partial),
            Stop::Refused(refusal) => Err(refusal.into()),
        }
    }
}

/// Parses the header block at the start of `block`: header lines and the empty line that ends
/// them. Returns the block's length and how many headers it holds (`headers[..count]`), or
/// [`Status::Partial`] when the empty line has not arrived yet.
///
/// The one call of `httparse`'s header parser in the crate: request and response parsers both
/// come here. Never inlined, so that it stays one copy.
#[inline(never)]
pub fn parse_headers<'b>(
    block: &'b [u8],
    headers: &mut Headers<'b>,
) -> Result<Status<(usize, usize)>, HeadStop> {
    match httparse::parse_headers(block, headers) {
        Ok(Status::Complete((len, parsed))) => Ok(Status::Complete((len, parsed.len()))),
        Ok(Status::Partial) => Ok(Status::Partial),
        Err(httparse::Error::TooManyHeaders) => Err(HeadStop::TooManyHeaders),
        Err(_) => Err(HeadStop::Malformed),
    }
}

/// Whether `a` and `b` are equal but for ASCII case, as `a.eq_ignore_ascii_case(b)`: header
/// names and tokens match in any case. Byte by byte, in a few dozen bytes of code, where
/// core's version compares in chunks and costs 400.
#[inline(never)]
#[allow(clippy::manual_ignore_case_cmp)] // core's is what this avoids
pub fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_ascii_lowercase() == y.to_ascii_lowercase())
}

/// A reading position in a head's start line. Running out of bytes is [`Stop::Partial`],
/// anything unexpected [`HeadStop::Malformed`], as httparse reports them.
pub struct Cursor<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'b> Cursor<'b> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'b [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    /// Bytes read so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes after the reading position.
    pub fn rest(&self) -> &'b [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }

    /// The next byte.
    pub fn byte(&mut self) -> Result<u8, Stop> {
        let byte = *self.bytes.get(self.pos).ok_or(Stop::Partial)?;
        self.pos += 1;
        Ok(byte)
    }

    /// The next byte, which must be `expected`.
    pub fn expect(&mut self, expected: u8) -> Result<(), Stop> {
        if self.byte()? != expected {
            return Err(HeadStop::Malformed.into());
        }
        Ok(())
    }

    /// Skips empty lines (`\r\n` or `\n`) before a start line, as httparse does.
    pub fn skip_empty_lines(&mut self) -> Result<(), Stop> {
        loop {
            match self.bytes.get(self.pos) {
                Some(b'\r') => {
                    self.pos += 1;
                    self.expect(b'\n')?;
                }
                Some(b'\n') => self.pos += 1,
                Some(_) => return Ok(()),
                None => return Err(Stop::Partial),
            }
        }
    }

    /// `HTTP/1.0` or `HTTP/1.1`; returns the minor version (0 or 1).
    pub fn version(&mut self) -> Result<u8, Stop> {
        for &expected in b"HTTP/1." {
            self.expect(expected)?;
        }
        match self.byte()? {
            minor @ (b'0' | b'1') => Ok(minor - b'0'),
            _ => Err(HeadStop::Malformed.into()),
        }
    }

    /// The end of a line whose first byte, `\r` or `\n`, was just read: `\r` needs its `\n`.
    pub fn line_end(&mut self, first: u8) -> Result<(), Stop> {
        if first == b'\r' {
            self.expect(b'\n')?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_block_lengths_counts_and_refusals() {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        assert_eq!(
            parse_headers(b"A: 1\r\nB:2\r\n\r\nbody", &mut headers),
            Ok(Status::Complete((13, 2)))
        );
        assert_eq!((headers[1].name, headers[1].value), ("B", &b"2"[..]));
        assert_eq!(
            parse_headers(b"\r\n", &mut headers),
            Ok(Status::Complete((2, 0)))
        );
        assert_eq!(
            parse_headers(b"A: 1\r\n", &mut headers),
            Ok(Status::Partial)
        );
        assert_eq!(
            parse_headers(b"A B: 1\r\n\r\n", &mut headers),
            Err(HeadStop::Malformed)
        );
        let many = "X: y\r\n".repeat(MAX_HEADERS + 1) + "\r\n";
        assert_eq!(
            parse_headers(many.as_bytes(), &mut headers),
            Err(HeadStop::TooManyHeaders)
        );
    }

    #[test]
    fn case_insensitive_equality_is_cores() {
        let words: [&[u8]; 8] = [
            b"",
            b"a",
            b"A",
            b"b",
            b"Content-Length",
            b"content-length",
            b"CONTENT-LENGTH",
            b"content-lengt\xc3",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    eq_ignore_case(a, b),
                    a.eq_ignore_ascii_case(b),
                    "{a:?} {b:?}"
                );
            }
        }
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                assert_eq!(eq_ignore_case(&[x], &[y]), [x].eq_ignore_ascii_case(&[y]));
            }
        }
    }

    #[test]
    fn start_line_pieces() {
        let mut line = Cursor::new(b"\r\n\nHTTP/1.0 x");
        assert_eq!(line.skip_empty_lines(), Ok(()));
        assert_eq!(line.version(), Ok(0));
        assert_eq!(line.expect(b' '), Ok(()));
        assert_eq!(line.rest(), b"x");
        assert_eq!(line.byte(), Ok(b'x'));
        assert_eq!(line.byte(), Err(Stop::Partial));
        assert_eq!(Cursor::new(b"HTTP/1.1").version(), Ok(1));
        assert_eq!(
            Cursor::new(b"HTTP/1.2").version(),
            Err(HeadStop::Malformed.into())
        );
        assert_eq!(Cursor::new(b"HTTP/1").version(), Err(Stop::Partial));
        assert_eq!(
            Cursor::new(b"HTTX").version(),
            Err(HeadStop::Malformed.into())
        );
        assert_eq!(
            Cursor::new(b"\r\r").skip_empty_lines(),
            Err(HeadStop::Malformed.into())
        );
        let mut line = Cursor::new(b"\r\n");
        let first = line.byte().unwrap();
        assert_eq!(line.line_end(first), Ok(()));
        assert_eq!(line.pos(), 2);
    }

    #[test]
    fn a_stop_is_a_partial_status_or_the_refusal() {
        assert_eq!(Stop::Partial.status::<(), HeadStop>(), Ok(Status::Partial));
        assert_eq!(
            Stop::Refused(HeadStop::TooManyHeaders).status::<(), HeadStop>(),
            Err(HeadStop::TooManyHeaders)
        );
    }
}
