//! Decoding a chunked request body (RFC 9112 §7.1) as it arrives, strictly: a streamed
//! response is the only request the bootstrap sends chunked, and anything malformed in it is a
//! protocol violation. Input is taken in blocks of any size and split anywhere; chunk data is
//! passed on as it comes, never gathered, so a 200 MiB body costs no more memory than a small
//! one, and each input byte is looked at once.

/// Longest chunk-size line (size and extensions) accepted.
const MAX_SIZE_LINE: usize = 4096;
/// Longest trailer section accepted (an error body trailer holds a base64 error document).
const MAX_TRAILERS: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line (gathered in `line`).
    SizeLine,
    /// Inside a chunk's data, with this many bytes to go.
    Data(u64),
    /// After a chunk's data: the CRLF, of which this many bytes were seen.
    DataEnd(usize),
    /// Reading trailer lines after the zero chunk (each gathered in `line`).
    Trailers,
    /// The empty line after the trailers was read: the body is complete.
    Done,
}

pub(super) struct ChunkedDecoder {
    state: State,
    line: Vec<u8>,
    trailer_bytes: usize,
    /// The size of each data chunk, in order (the zero chunk left out).
    pub(super) chunk_sizes: Vec<usize>,
    /// Trailer fields after the zero chunk, as received.
    pub(super) trailers: Vec<(String, String)>,
}

impl ChunkedDecoder {
    pub(super) fn new() -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::SizeLine,
            line: Vec::new(),
            trailer_bytes: 0,
            chunk_sizes: Vec::new(),
            trailers: Vec::new(),
        }
    }

    pub(super) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes what it can of `input`, passing chunk data to `data` in order. Returns how many
    /// bytes of `input` belong to the body: all of them until the body is complete, then the
    /// bytes up to its end (the rest belongs to whatever follows on the connection). `Err`
    /// says what is malformed.
    pub(super) fn feed(
        &mut self,
        input: &[u8],
        data: &mut impl FnMut(&[u8]),
    ) -> Result<usize, String> {
        let mut at = 0;
        while at < input.len() {
            match self.state {
                State::Done => break,
                State::Data(left) => {
                    let n = (input.len() - at).min(usize::try_from(left).unwrap_or(usize::MAX));
                    data(&input[at..at + n]);
                    at += n;
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd(0)
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd(seen) => {
                    let expected = b"\r\n"[seen];
                    if input[at] != expected {
                        return Err(format!(
                            "chunk data not followed by CRLF (byte {:?} after chunk {})",
                            input[at] as char,
                            self.chunk_sizes.len()
                        ));
                    }
                    at += 1;
                    self.state = if seen == 0 {
                        State::DataEnd(1)
                    } else {
                        State::SizeLine
                    };
                }
                State::SizeLine | State::Trailers => {
                    let Some(line) = self.take_line(input, &mut at)? else {
                        continue;
                    };
                    if self.state == State::SizeLine {
                        self.size_line(&line)?;
                    } else {
                        self.trailer_line(&line)?;
                    }
                }
            }
        }
        Ok(at)
    }

    /// Gathers a line from `input[*at..]` into `self.line`; returns it (without its CRLF) once
    /// its LF is in, `None` if the input ran out first.
    fn take_line(&mut self, input: &[u8], at: &mut usize) -> Result<Option<Vec<u8>>, String> {
        let rest = &input[*at..];
        let (piece, complete) = match rest.iter().position(|&b| b == b'\n') {
            Some(lf) => (&rest[..=lf], true),
            None => (rest, false),
        };
        *at += piece.len();
        self.line.extend_from_slice(piece);
        let limit = if self.state == State::SizeLine {
            MAX_SIZE_LINE
        } else {
            self.trailer_bytes += piece.len();
            if self.trailer_bytes > MAX_TRAILERS {
                return Err(format!("trailer section over {MAX_TRAILERS} bytes"));
            }
            MAX_TRAILERS
        };
        if self.line.len() > limit {
            return Err(format!("line over {limit} bytes in a chunked body"));
        }
        if !complete {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.line);
        if !line.ends_with(b"\r\n") {
            return Err(format!(
                "bare LF ending a line of a chunked body: {:?}",
                String::from_utf8_lossy(&line)
            ));
        }
        line.truncate(line.len() - 2);
        Ok(Some(line))
    }

    /// `chunk-size [ chunk-ext ]`: hex digits, then nothing or extensions
    /// (`*( BWS ";" BWS name [ BWS "=" BWS value ] )`, checked loosely: `;` and visible text).
    fn size_line(&mut self, line: &[u8]) -> Result<(), String> {
        let shown = || String::from_utf8_lossy(line).into_owned();
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 || digits > 16 {
            return Err(format!("malformed chunk-size line {:?}", shown()));
        }
        let size = u64::from_str_radix(std::str::from_utf8(&line[..digits]).unwrap(), 16)
            .map_err(|_| format!("malformed chunk size in {:?}", shown()))?;
        let extensions = &line[digits..];
        let after_space = extensions.trim_ascii_start();
        let extensions_ok = extensions.is_empty()
            || (after_space.starts_with(b";")
                && after_space
                    .iter()
                    .all(|&b| b == b'\t' || (b' '..0x7f).contains(&b)));
        if !extensions_ok {
            return Err(format!("malformed chunk extension in {:?}", shown()));
        }
        if size == 0 {
            self.state = State::Trailers;
        } else {
            let size_usize = usize::try_from(size)
                .map_err(|_| format!("chunk size {size} does not fit in memory"))?;
            self.chunk_sizes.push(size_usize);
            self.state = State::Data(size);
        }
        Ok(())
    }

    /// A trailer field line, or the empty line that ends the body.
    fn trailer_line(&mut self, line: &[u8]) -> Result<(), String> {
        if line.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        let text = std::str::from_utf8(line).map_err(|_| {
            format!(
                "trailer line is not UTF-8: {:?}",
                String::from_utf8_lossy(line)
            )
        })?;
        let Some((name, value)) = text.split_once(':') else {
            return Err(format!("malformed trailer line {text:?}"));
        };
        if name.is_empty() || name.bytes().any(|b| b <= b' ' || b >= 0x7f) {
            return Err(format!("malformed trailer name in {text:?}"));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b != b'\t' && (b < b' ' || b == 0x7f)) {
            return Err(format!("control byte in trailer {name:?}"));
        }
        self.trailers.push((name.to_string(), value.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::rng::Rng;

    /// Decodes `wire` fed in pieces of the given sizes (cycled); returns the data, the bytes
    /// used and the decoder.
    fn decode(wire: &[u8], pieces: &[usize]) -> Result<(Vec<u8>, usize, ChunkedDecoder), String> {
        let mut decoder = ChunkedDecoder::new();
        let mut body = vec![];
        let mut at = 0;
        let mut i = 0;
        while at < wire.len() && !decoder.is_done() {
            let end = at.saturating_add(pieces[i % pieces.len()]).min(wire.len());
            at += decoder.feed(&wire[at..end], &mut |d| body.extend_from_slice(d))?;
            i += 1;
        }
        Ok((body, at, decoder))
    }

    const WIRE: &[u8] = b"4;name=value\r\nhell\r\n4 ;flag\r\no wo\r\nA;q=\"a;b c\"\r\nrld, again\r\n0\r\nX-T: 1\r\nLambda-Runtime-Function-Error-Type:  Function.X \r\n\r\nNEXT";

    #[test]
    fn decodes_sizes_extensions_and_trailers_split_anywhere() {
        for pieces in [&[usize::MAX][..], &[1], &[2], &[3, 1, 7], &[5, 11]] {
            let (body, used, decoder) = decode(WIRE, pieces).unwrap();
            assert_eq!(body, b"hello world, again", "pieces {pieces:?}");
            assert_eq!(used, WIRE.len() - 4, "pieces {pieces:?}");
            assert!(decoder.is_done());
            assert_eq!(decoder.chunk_sizes, [4, 4, 10]);
            assert_eq!(
                decoder.trailers,
                [
                    ("X-T".to_string(), "1".to_string()),
                    (
                        "Lambda-Runtime-Function-Error-Type".to_string(),
                        "Function.X".to_string()
                    )
                ]
            );
        }
    }

    #[test]
    fn decodes_random_chunkings_of_random_bodies() {
        let mut rng = Rng::new(99);
        for round in 0..200 {
            let len = rng.range(0, 3000);
            let body = rng.bytes(len);
            let mut wire = vec![];
            let mut sizes = vec![];
            let mut rest = &body[..];
            while !rest.is_empty() {
                let n = rng.range(1, 700).min(rest.len());
                let hex = if rng.chance(50) {
                    format!("{n:x}")
                } else {
                    format!("{n:X}")
                };
                wire.extend_from_slice(hex.as_bytes());
                if rng.chance(30) {
                    wire.extend_from_slice(b";ext=1");
                }
                wire.extend_from_slice(b"\r\n");
                wire.extend_from_slice(&rest[..n]);
                wire.extend_from_slice(b"\r\n");
                sizes.push(n);
                rest = &rest[n..];
            }
            wire.extend_from_slice(b"0\r\n\r\n");
            let piece = rng.range(1, 1000);
            let (decoded, used, decoder) = decode(&wire, &[piece]).unwrap();
            assert_eq!(decoded, body, "round {round}");
            assert_eq!(used, wire.len(), "round {round}");
            assert_eq!(decoder.chunk_sizes, sizes, "round {round}");
            assert!(decoder.trailers.is_empty());
        }
    }

    #[test]
    fn rejects_malformed_framing() {
        let bad: [&[u8]; 9] = [
            b"x\r\n",                 // not hex
            b"\r\n",                  // no size
            b"4\nabcd\r\n0\r\n\r\n",  // bare LF after the size
            b"4\r\nabcdX\r\n",        // data longer than its size
            b"4\r\nabc\r\n\r\n",      // data shorter than its size
            b"4 x\r\nabcd\r\n",       // junk after the size
            b"0\r\nno colon\r\n\r\n", // malformed trailer
            b"0\r\nX-A: 1\n\r\n",     // bare LF in trailers
            b"11111111111111111\r\n", // 17 hex digits
        ];
        for wire in bad {
            assert!(
                decode(wire, &[usize::MAX]).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}
