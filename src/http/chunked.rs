//! In-place decoding of `Transfer-Encoding: chunked` bodies.
//!
//! The decoded body must end up as one contiguous slice in the same buffer the bytes were
//! received into, without a second buffer. The decoder keeps three cursors: `out` (end of
//! decoded data), `pos` (first undecoded byte) and `end` (end of received bytes), with
//! `out <= pos <= end`. Chunk data is moved down from `pos` to `out`; after each step the small
//! undecoded tail (at most a partial chunk-size line) is moved to `out` too, so the next read
//! lands exactly where its data belongs. A body sent as one big chunk, as Lambda does, is then
//! received in place and only the bytes that shared a read with a chunk-size line are moved.

use core::ops::Range;

use crate::contract::header;
use crate::http::Status;

/// Room for a chunk-size line we write: 16 hex digits and CRLF.
pub const SIZE_LINE_LEN: usize = 18;

/// The line that starts a chunk of `len` bytes when we send one: `{len:x}\r\n`.
pub fn size_line(len: usize, buf: &mut [u8; SIZE_LINE_LEN]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let (digits, end) = buf.split_at_mut(SIZE_LINE_LEN - 2);
    end.copy_from_slice(b"\r\n");
    // Digits from the last: at most 16 for a 64-bit length, so the loop ends in the slice.
    let mut n = len;
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = HEX[n & 15];
        start -= 1;
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or_default()
}

/// The pieces that send `data` as one chunk: its size line, the data (not copied) and CRLF.
/// Empty data makes no chunk at all, since an empty chunk would end the body.
pub fn frame<'d>(data: &'d [u8], size: &'d mut [u8; SIZE_LINE_LEN]) -> heapless::Vec<&'d [u8], 3> {
    let mut pieces = heapless::Vec::new();
    if !data.is_empty() {
        // Fits: three pieces.
        let _ = pieces.push(size_line(data.len(), size));
        let _ = pieces.push(data);
        let _ = pieces.push(b"\r\n");
    }
    pieces
}

/// The pieces that end a chunked body: `last` as a chunk, the zero chunk, then, for a failed
/// invocation, Lambda's error trailers (`error` is its type and base64 error document).
#[inline(never)]
pub fn end<'e>(
    last: &'e [u8],
    error: Option<(&'e [u8], &'e [u8])>,
    size: &'e mut [u8; SIZE_LINE_LEN],
) -> heapless::Vec<&'e [u8], 12> {
    let mut pieces: heapless::Vec<&[u8], 12> = heapless::Vec::new();
    for piece in frame(last, size) {
        let _ = pieces.push(piece); // fits: at most 3 + 9 pieces
    }
    // `last_chunk` on the stack, not a constant `&[b"0\r\n\r\n"]`: a static slice of
    // slices is a relocation in the static-pie.
    let last_chunk: [&[u8]; 1] = [b"0\r\n\r\n"];
    let ending: &[&'e [u8]] = match error {
        None => &last_chunk,
        Some((error_type, body)) => &[
            b"0\r\n",
            header::ERROR_TYPE.as_bytes(),
            b": ",
            error_type,
            b"\r\n",
            header::ERROR_BODY.as_bytes(),
            b": ",
            body,
            b"\r\n\r\n",
        ],
    };
    for piece in ending {
        let _ = pieces.push(piece);
    }
    pieces
}

/// Longest chunk-size line (size, extensions, CRLF) or trailer line we accept.
pub const MAX_LINE: usize = 4096;
/// Most trailer bytes we read (and ignore) after the last chunk.
pub const MAX_TRAILERS: usize = 64 * 1024;

/// Why a chunked body cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    /// A chunk-size line that is not hex digits, optional extensions and a line end.
    BadSize,
    /// A chunk size that does not fit in 64 bits.
    SizeOverflow,
    /// Chunk data not followed by a line end.
    BadDataEnd,
    /// A chunk-size or trailer line longer than [`MAX_LINE`], or trailers beyond [`MAX_TRAILERS`].
    LineTooLong,
    /// The decoded body would not fit in the buffer.
    TooLarge,
}

impl ChunkError {
    /// What went wrong, in words, for the log.
    pub fn message(self) -> &'static str {
        match self {
            Self::BadSize => "malformed chunk size line",
            Self::SizeOverflow => "chunk size overflows 64 bits",
            Self::BadDataEnd => "chunk data not followed by CRLF",
            Self::LineTooLong => "chunk size or trailer line too long",
            Self::TooLarge => "chunked body larger than the buffer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// The decoder of one chunked body, in place in its receive buffer (see the module).
#[derive(Debug)]
pub struct Dechunker {
    state: State,
    start: usize,
    out: usize,
    pos: usize,
    end: usize,
    trailer_bytes: usize,
}

impl Dechunker {
    /// A body that starts at `start` in the buffer, of which `buf[start..end]` has arrived.
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            state: State::Size,
            start,
            out: start,
            pos: start,
            end,
            trailer_bytes: 0,
        }
    }

    /// Where the next received bytes must be written: `buf[fill_at()..]`.
    pub fn fill_at(&self) -> usize {
        self.end
    }

    /// True once the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The decoded body so far: `buf[start..out]`.
    pub fn body(&self) -> Range<usize> {
        self.start..self.out
    }

    /// Received bytes after the end of the message (a server that sent more than it should).
    pub fn excess(&self) -> usize {
        self.end - self.pos
    }

    /// Accounts for `received` new bytes at `fill_at()` and decodes as far as they go.
    /// Returns the decoded body's place in `buf` (as [`Dechunker::body`]) once the body is
    /// complete, [`Status::Partial`] while more bytes are needed at `fill_at()`.
    pub fn decode(
        &mut self,
        buf: &mut [u8],
        received: usize,
    ) -> Result<Status<Range<usize>>, ChunkError> {
        self.end += received;
        debug_assert!(self.end <= buf.len());
        loop {
            match self.state {
                State::Size => {
                    let Some(line) = self.take_line(buf)? else {
                        break;
                    };
                    let size = parse_size_line(line)?;
                    if size == 0 {
                        self.state = State::Trailers;
                    } else if size > (buf.len() - self.out) as u64 {
                        return Err(ChunkError::TooLarge);
                    } else {
                        self.state = State::Data(size);
                    }
                }
                State::Data(remaining) => {
                    let available = self.end - self.pos;
                    if available == 0 {
                        break;
                    }
                    let n = available.min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    if self.out != self.pos {
                        move_down(buf, self.pos..self.pos + n, self.out);
                    }
                    self.out += n;
                    self.pos += n;
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd
                    } else {
                        State::Data(remaining)
                    };
                }
                State::DataEnd => {
                    let Some(line) = self.take_line(buf)? else {
                        break;
                    };
                    if !line.is_empty() {
                        return Err(ChunkError::BadDataEnd);
                    }
                    self.state = State::Size;
                }
                State::Trailers => {
                    let Some(line) = self.take_line(buf)? else {
                        break;
                    };
                    if line.is_empty() {
                        self.state = State::Done;
                        return Ok(Status::Complete(self.body()));
                    }
                    self.trailer_bytes += line.len() + 2;
                    if self.trailer_bytes > MAX_TRAILERS {
                        return Err(ChunkError::LineTooLong);
                    }
                }
                State::Done => return Ok(Status::Complete(self.body())),
            }
        }
        // Move the undecoded tail next to the decoded data, so the next read continues it.
        if self.pos != self.out {
            move_down(buf, self.pos..self.end, self.out);
            self.end = self.out + (self.end - self.pos);
            self.pos = self.out;
        }
        if self.end == buf.len() {
            // No room to read the rest of a line into: the body cannot fit.
            return Err(ChunkError::TooLarge);
        }
        Ok(Status::Partial)
    }

    /// Consumes one line ending in LF (CR before it optional) and returns it without the line
    /// end; `None` when the line has not fully arrived yet.
    fn take_line<'b>(&mut self, buf: &'b [u8]) -> Result<Option<&'b [u8]>, ChunkError> {
        let pending = buf.get(self.pos..self.end).unwrap_or_default();
        let Some(lf) = pending.iter().position(|&b| b == b'\n') else {
            return if pending.len() > MAX_LINE {
                Err(ChunkError::LineTooLong)
            } else {
                Ok(None)
            };
        };
        if lf > MAX_LINE {
            return Err(ChunkError::LineTooLong);
        }
        self.pos += lf + 1;
        let line = pending.get(..lf).unwrap_or_default();
        Ok(Some(match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        }))
    }
}

/// Moves `buf[from]` down to `to` (`to <= from.start`), as `copy_within` would, without its
/// panic paths and their locations (and indices that would pull in core's number formatting);
/// the cursors keep every range in bounds, and one that were not would move nothing.
fn move_down(buf: &mut [u8], from: Range<usize>, to: usize) {
    let Some(region) = buf.get_mut(to..from.end) else {
        return;
    };
    let Some(offset) = from
        .start
        .checked_sub(to)
        .filter(|&offset| offset <= region.len())
    else {
        return;
    };
    let count = region.len() - offset;
    // SAFETY: `region` is `buf[to..from.end]`, in bounds (checked by `get_mut`); the source,
    // its last `count` bytes, and the destination, its first `count`, lie inside it, and
    // `ptr::copy` allows them to overlap.
    unsafe { core::ptr::copy(region.as_ptr().add(offset), region.as_mut_ptr(), count) };
}

/// `1a2b[ ;name=value...]`: hex digits, optional whitespace and extensions, which are ignored.
fn parse_size_line(line: &[u8]) -> Result<u64, ChunkError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(ChunkError::BadSize);
    }
    let (hex, rest) = line.split_at_checked(digits).ok_or(ChunkError::BadSize)?;
    let rest = rest.trim_ascii_start();
    if !(rest.is_empty() || rest[0] == b';') || rest.iter().any(|&b| b < 0x20 && b != b'\t') {
        return Err(ChunkError::BadSize);
    }
    hex.iter().try_fold(0u64, |size, &b| {
        let digit = (b as char).to_digit(16).unwrap_or(0) as u64;
        size.checked_mul(16)
            .map(|s| s + digit)
            .ok_or(ChunkError::SizeOverflow)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic PRNG (xorshift64*), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn encode(data: &[u8], rng: &mut Rng, max_chunk: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let n = 1 + rng.below(max_chunk.min(rest.len()));
            match rng.below(4) {
                0 => wire.extend_from_slice(format!("{n:x};name=value;x=\"q\"\r\n").as_bytes()),
                1 => wire.extend_from_slice(format!("{n:X} \r\n").as_bytes()),
                2 => wire.extend_from_slice(format!("{n:08x}\n").as_bytes()),
                _ => wire.extend_from_slice(format!("{n:x}\r\n").as_bytes()),
            }
            wire.extend_from_slice(&rest[..n]);
            wire.extend_from_slice(b"\r\n");
            rest = &rest[n..];
        }
        wire.extend_from_slice(b"0\r\n");
        if rng.below(2) == 0 {
            wire.extend_from_slice(b"Trailer-One: 1\r\nTrailer-Two: two\r\n");
        }
        wire.extend_from_slice(b"\r\n");
        wire
    }

    /// Feeds `wire` into a buffer of `cap` bytes (with `head` bytes before the body) in reads of
    /// random sizes, the way the socket layer does, and returns the decoded body.
    fn decode_in_reads(
        wire: &[u8],
        head: usize,
        cap: usize,
        rng: &mut Rng,
        max_read: usize,
    ) -> Result<Vec<u8>, ChunkError> {
        let mut buf = vec![0xEEu8; cap];
        let mut d = Dechunker::new(head, head);
        let mut sent = 0;
        loop {
            let room = cap - d.fill_at();
            let n = (1 + rng.below(max_read)).min(room).min(wire.len() - sent);
            let at = d.fill_at();
            buf[at..at + n].copy_from_slice(&wire[sent..sent + n]);
            sent += n;
            if let Status::Complete(body) = d.decode(&mut buf, n)? {
                assert_eq!(body, d.body());
                assert_eq!(d.excess(), 0);
                return Ok(buf[body].to_vec());
            }
            assert!(sent < wire.len(), "decoder wants more than the message");
        }
    }

    #[test]
    fn random_chunks_and_reads_decode_to_the_same_bytes() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..300 {
            let len = match round % 4 {
                0 => rng.below(4),
                1 => rng.below(300),
                2 => rng.below(5000),
                _ => rng.below(70_000),
            };
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let max_chunk = 1 + rng.below(9000);
            let wire = encode(&data, &mut rng, max_chunk);
            let head = rng.below(100);
            let max_read = [1, 7, 100, 4096, 1 << 20][rng.below(5)];
            let got = decode_in_reads(&wire, head, head + len + 8192, &mut rng, max_read).unwrap();
            assert_eq!(got, data, "round {round}");
        }
    }

    #[test]
    fn one_big_chunk_is_received_in_place() {
        // The Lambda case: after the size line, the data lands where it belongs.
        let data = vec![7u8; 100_000];
        let mut wire = b"186a0\r\n".to_vec();
        wire.extend_from_slice(&data);
        wire.extend_from_slice(b"\r\n0\r\n\r\n");
        let mut buf = vec![0u8; 200_000];
        let mut d = Dechunker::new(0, 0);
        buf[..10].copy_from_slice(&wire[..10]);
        assert_eq!(d.decode(&mut buf, 10), Ok(Status::Partial));
        // The 5-byte size line "186a0\r\n" was consumed and the 3 data bytes moved to 0.
        assert_eq!(d.fill_at(), 3);
        let rest = &wire[10..];
        buf[3..3 + rest.len()].copy_from_slice(rest);
        let body = d.decode(&mut buf, rest.len()).unwrap().unwrap();
        assert_eq!(&buf[body], &data[..]);
    }

    #[test]
    fn exact_fit_and_one_byte_too_many() {
        let data = vec![1u8; 1000];
        let wire = encode(&data, &mut Rng(5), 100);
        // The buffer needs room for the data plus one partial line.
        let got = decode_in_reads(&wire, 0, 1000 + MAX_LINE + 8, &mut Rng(3), 64).unwrap();
        assert_eq!(got, data);
        let wire = b"3e9\r\n"
            .iter()
            .chain(&vec![0u8; 1001])
            .copied()
            .collect::<Vec<_>>();
        let mut buf = vec![0u8; 1000];
        buf[..wire.len().min(1000)].copy_from_slice(&wire[..1000]);
        assert_eq!(
            Dechunker::new(0, 0).decode(&mut buf, 1000),
            Err(ChunkError::TooLarge)
        );
    }

    #[test]
    fn bad_framing_is_refused() {
        let cases: [(&[u8], ChunkError); 7] = [
            (b"zz\r\n", ChunkError::BadSize),
            (b"\r\n", ChunkError::BadSize),
            (b"-1\r\n", ChunkError::BadSize),
            (b"5 x\r\n", ChunkError::BadSize),
            (b"11111111111111111\r\n", ChunkError::SizeOverflow),
            (b"3\r\nabcX\r\n", ChunkError::BadDataEnd),
            (b"0\r\nTrailer\r\n", ChunkError::LineTooLong),
        ];
        for (wire, want) in &cases[..6] {
            let mut buf = vec![0u8; 1 << 16];
            buf[..wire.len()].copy_from_slice(wire);
            assert_eq!(
                Dechunker::new(0, 0).decode(&mut buf, wire.len()),
                Err(*want),
                "{wire:?}"
            );
        }
        // Endless trailers stop at MAX_TRAILERS.
        let mut buf = vec![0u8; 1 << 20];
        let mut wire = b"0\r\n".to_vec();
        while wire.len() < MAX_TRAILERS * 2 {
            wire.extend_from_slice(b"X-Trailer: some value here\r\n");
        }
        buf[..wire.len()].copy_from_slice(&wire);
        assert_eq!(
            Dechunker::new(0, 0).decode(&mut buf, wire.len()),
            Err(cases[6].1)
        );
        // An endless size line stops at MAX_LINE.
        let mut buf = vec![b'1'; MAX_LINE + 10];
        assert_eq!(
            Dechunker::new(0, 0).decode(&mut buf, MAX_LINE + 2),
            Err(ChunkError::LineTooLong)
        );
    }

    #[test]
    fn size_lines_we_write() {
        let mut buf = [0; SIZE_LINE_LEN];
        for len in [1usize, 9, 10, 255, 4096, 6 << 20, usize::MAX] {
            assert_eq!(size_line(len, &mut buf), format!("{len:x}\r\n").as_bytes());
        }
    }

    #[test]
    fn bytes_after_the_message_are_reported() {
        let wire = b"1\r\na\r\n0\r\n\r\nHTTP/1.1";
        let mut buf = vec![0u8; 100];
        buf[..wire.len()].copy_from_slice(wire);
        let mut d = Dechunker::new(0, 0);
        assert_eq!(d.decode(&mut buf, wire.len()), Ok(Status::Complete(0..1)));
        assert_eq!(&buf[d.body()], b"a");
        assert_eq!(
            d.decode(&mut buf, 0),
            Ok(Status::Complete(0..1)),
            "done stays done"
        );
        assert_eq!(d.excess(), 8);
    }

    #[test]
    fn chunks_and_endings_as_sent() {
        let mut size = [0; SIZE_LINE_LEN];
        assert_eq!(
            frame(b"hello world, this is 26 b.", &mut size).concat(),
            b"1a\r\nhello world, this is 26 b.\r\n"
        );
        assert!(
            frame(b"", &mut size).is_empty(),
            "an empty chunk would end the body"
        );
        assert_eq!(
            end(b"abc", None, &mut size).concat(),
            b"3\r\nabc\r\n0\r\n\r\n"
        );
        assert_eq!(
            end(b"", Some((b"Function.X", b"eyJ9")), &mut size).concat(),
            b"0\r\nLambda-Runtime-Function-Error-Type: Function.X\r\nLambda-Runtime-Function-Error-Body: eyJ9\r\n\r\n"
        );
    }
}
