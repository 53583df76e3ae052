//! The script: what the fake API hands out on each `GET /next`, and how. Tests build a
//! [`Script`] of [`Step`]s; each [`Invocation`] says how its event is framed ([`Framing`],
//! [`Chunking`]), how the reply is paced ([`Pacing`]), how header names are cased
//! ([`HeaderCase`]) and how the server answers the post that follows ([`PostReply`]).

use std::time::Duration;

/// How an event body is framed in the `/next` reply.
#[derive(Clone, Debug)]
pub enum Framing {
    ContentLength,
    Chunked(Chunking),
}

/// The details of a chunked body.
#[derive(Clone, Debug)]
pub struct Chunking {
    pub sizes: ChunkSizes,
    /// Put chunk extensions (`;name=value`, `;flag`, `;q="a;b"`) on the chunk-size lines.
    pub extensions: bool,
    /// Write chunk sizes in upper-case hex (`1A` rather than `1a`). Both are valid.
    pub upper_case_hex: bool,
    /// Trailer fields after the last chunk.
    pub trailers: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub enum ChunkSizes {
    /// One data chunk with the whole body, which is what real Lambda sends.
    Single,
    /// Chunks of this size (the last may be shorter).
    Fixed(usize),
    /// Sizes in `1..=max` from a seeded PRNG. Half of them are tiny (1..=16) so that chunk
    /// boundaries fall everywhere.
    Random { seed: u64, max: usize },
}

impl Chunking {
    pub fn single() -> Chunking {
        Chunking {
            sizes: ChunkSizes::Single,
            extensions: false,
            upper_case_hex: false,
            trailers: vec![],
        }
    }

    pub fn fixed(size: usize) -> Chunking {
        Chunking {
            sizes: ChunkSizes::Fixed(size),
            ..Chunking::single()
        }
    }

    pub fn random(seed: u64, max: usize) -> Chunking {
        Chunking {
            sizes: ChunkSizes::Random { seed, max },
            ..Chunking::single()
        }
    }

    pub fn with_extensions(mut self) -> Chunking {
        self.extensions = true;
        self
    }

    pub fn with_upper_case_hex(mut self) -> Chunking {
        self.upper_case_hex = true;
        self
    }

    pub fn with_trailer(mut self, name: &str, value: &str) -> Chunking {
        self.trailers.push((name.to_string(), value.to_string()));
        self
    }

    /// A harsh but valid framing: random sizes, extensions, upper-case hex and two trailers.
    pub fn everything(seed: u64, max: usize) -> Chunking {
        Chunking::random(seed, max)
            .with_extensions()
            .with_upper_case_hex()
            .with_trailer("X-Checksum", "not-checked")
            .with_trailer("X-Amzn-Remapped-Date", "Thu, 01 Jan 1970 00:00:00 GMT")
    }
}

/// How the server writes a reply: all at once, or in small pieces with pauses so that the
/// bootstrap's reads see the bytes split at arbitrary points.
#[derive(Clone, Debug)]
pub enum Pacing {
    AllAtOnce,
    Pieces {
        max_len: usize,
        pause: Duration,
        seed: u64,
    },
}

impl Pacing {
    /// One byte per write with a pause after each: every read of the client sees one byte.
    pub fn byte_by_byte() -> Pacing {
        Pacing::Pieces {
            max_len: 1,
            pause: Duration::from_millis(1),
            seed: 0,
        }
    }

    pub fn random_pieces(seed: u64, max_len: usize) -> Pacing {
        Pacing::Pieces {
            max_len,
            pause: Duration::from_micros(100),
            seed,
        }
    }
}

/// The case of the header names in `/next` replies. Names are case-insensitive in HTTP.
#[derive(Clone, Copy, Debug)]
pub enum HeaderCase {
    /// `Lambda-Runtime-Aws-Request-Id`, as written in the documentation.
    Canonical,
    /// `lambda-runtime-aws-request-id`, as HTTP/2-minded proxies write it.
    Lower,
    /// `LaMbDa-RuNtImE-...`.
    Mixed,
}

impl HeaderCase {
    pub(super) fn apply(self, name: &str) -> String {
        match self {
            HeaderCase::Canonical => name.to_string(),
            HeaderCase::Lower => name.to_ascii_lowercase(),
            HeaderCase::Mixed => name
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect(),
        }
    }
}

/// What the server does with the connection after a reply: to the post that answers an
/// invocation ([`Invocation::then`]), or to the `/next` that hands it out
/// ([`Invocation::after_event`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AfterReply {
    KeepAlive,
    /// Sends `Connection: close` and closes the socket.
    ConnectionClose,
    /// Closes the socket without announcing it, as an idle-timeout in a proxy would. After a
    /// `/next` reply the close travels with the reply's last bytes (see
    /// [`Invocation::after_event`]).
    AbruptClose,
    /// To a post only: reads it, then closes the connection without any reply (the server
    /// may have acted on the post: it must not come again).
    CloseUnanswered,
    /// To a post only: reads it and never replies, keeping the connection open.
    NeverReply,
    /// To a post only: replies 202 without `Content-Length` (so the body lasts until the
    /// close), and keeps the connection open.
    ReplyWithoutLength,
    /// After a `/next` reply only: 200 ms later, while the handler runs, sends the bytes of a
    /// whole `/next` reply for the request id `ghost` that nobody asked for.
    Unsolicited,
}

/// What a post's body must be, byte for byte: fills `out` with the bytes expected at body
/// offsets `offset..offset + out.len()`. See [`Invocation::expect_body`].
pub type ExpectedBody = fn(offset: u64, out: &mut [u8]);

/// The server's reply to the `/response` or `/error` post of one invocation.
#[derive(Clone, Copy, Debug)]
pub struct PostReply {
    pub status: u16,
    pub after: AfterReply,
}

/// One invocation handed out on `/next`.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// `None`: the `Lambda-Runtime-Aws-Request-Id` header is left out.
    pub request_id: Option<String>,
    /// Other `/next` headers, in canonical case (the server applies `header_case`).
    pub headers: Vec<(String, String)>,
    pub event: Vec<u8>,
    pub framing: Framing,
    pub pacing: Pacing,
    pub header_case: HeaderCase,
    pub post_reply: PostReply,
    /// What the server does with the connection after the `/next` reply with this event.
    pub after_event: AfterReply,
    /// If set, the body of the post that answers this invocation is checked against it as it
    /// arrives, and only its first bytes are kept (see `Request::body_check`).
    pub expected_body: Option<ExpectedBody>,
}

/// A deadline 5 minutes from now, in Unix epoch milliseconds.
pub fn deadline_in_five_minutes() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (now.as_millis() + 300_000).to_string()
}

pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:probe";

impl Invocation {
    /// An invocation like real Lambda's: request id, deadline and function ARN; the event is
    /// framed with Content-Length and written at once; posts get 202.
    pub fn new(request_id: &str, event: impl Into<Vec<u8>>) -> Invocation {
        Invocation {
            request_id: Some(request_id.to_string()),
            headers: vec![
                (
                    "Lambda-Runtime-Deadline-Ms".into(),
                    deadline_in_five_minutes(),
                ),
                (
                    "Lambda-Runtime-Invoked-Function-Arn".into(),
                    FUNCTION_ARN.into(),
                ),
            ],
            event: event.into(),
            framing: Framing::ContentLength,
            pacing: Pacing::AllAtOnce,
            header_case: HeaderCase::Canonical,
            post_reply: PostReply {
                status: 202,
                after: AfterReply::KeepAlive,
            },
            after_event: AfterReply::KeepAlive,
            expected_body: None,
        }
    }

    /// Only the request id header: no deadline, no ARN.
    pub fn bare(request_id: &str, event: impl Into<Vec<u8>>) -> Invocation {
        Invocation {
            headers: vec![],
            ..Invocation::new(request_id, event)
        }
    }

    /// No request id header at all.
    pub fn without_request_id(event: impl Into<Vec<u8>>) -> Invocation {
        Invocation {
            request_id: None,
            ..Invocation::new("", event)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Invocation {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn chunked(mut self, chunking: Chunking) -> Invocation {
        self.framing = Framing::Chunked(chunking);
        self
    }

    pub fn paced(mut self, pacing: Pacing) -> Invocation {
        self.pacing = pacing;
        self
    }

    pub fn header_case(mut self, case: HeaderCase) -> Invocation {
        self.header_case = case;
        self
    }

    pub fn reply_status(mut self, status: u16) -> Invocation {
        self.post_reply.status = status;
        self
    }

    pub fn then(mut self, after: AfterReply) -> Invocation {
        self.post_reply.after = after;
        self
    }

    /// Ends the connection after the `/next` reply that hands out this invocation, so the
    /// bootstrap holds a connection the server has closed while its handler runs.
    /// `AbruptClose` sends the close (FIN) in the same segment as the reply's last bytes, so
    /// it has arrived by the time the bootstrap has the event: whatever the bootstrap sends
    /// next on that connection is lost, deterministically.
    pub fn after_event(mut self, after: AfterReply) -> Invocation {
        self.after_event = after;
        self
    }

    /// Checks the body of the post that answers this invocation against `expected` as it
    /// arrives, instead of keeping all of it: for streamed responses of hundreds of MiB.
    pub fn expect_body(mut self, expected: ExpectedBody) -> Invocation {
        self.expected_body = Some(expected);
        self
    }
}

/// One step of the script, consumed by one `GET /next`.
#[derive(Clone, Debug)]
pub enum Step {
    Invoke(Invocation),
    /// Reply to this `/next` with the status and a small JSON error body.
    NextStatus(u16),
    /// Read the `/next` request, then close the connection without a reply.
    DropNext,
    /// Reply to this `/next` with raw bytes, exactly as given (for fault injection).
    Raw(RawReply),
}

/// A `/next` reply written byte for byte as given, whatever it says: a malformed or truncated
/// reply, paced and paused as asked. See `server/raw.rs`.
#[derive(Clone, Debug)]
pub struct RawReply {
    pub bytes: Vec<u8>,
    pub pacing: Pacing,
    /// Pause this long once the first `offset` bytes have been written.
    pub pauses: Vec<(usize, Duration)>,
    /// Close the connection after this many bytes (the rest is never sent).
    pub cut_at: Option<usize>,
    /// Close the connection after the whole reply (as an HTTP/1.0 server does).
    pub close: bool,
    /// A request id the reply hands out usably: its post gets 202 like an [`Invocation`]'s.
    pub serves: Option<String>,
}

impl RawReply {
    pub fn new(bytes: impl Into<Vec<u8>>) -> RawReply {
        RawReply {
            bytes: bytes.into(),
            pacing: Pacing::AllAtOnce,
            pauses: vec![],
            cut_at: None,
            close: false,
            serves: None,
        }
    }

    pub fn paced(mut self, pacing: Pacing) -> RawReply {
        self.pacing = pacing;
        self
    }

    pub fn pause_at(mut self, offset: usize, pause: Duration) -> RawReply {
        self.pauses.push((offset, pause));
        self
    }

    pub fn cut_at(mut self, offset: usize) -> RawReply {
        self.cut_at = Some(offset);
        self
    }

    pub fn then_close(mut self) -> RawReply {
        self.close = true;
        self
    }

    pub fn serves(mut self, request_id: &str) -> RawReply {
        self.serves = Some(request_id.to_string());
        self
    }
}

/// What `/next` gets once the script is used up.
#[derive(Clone, Copy, Debug)]
pub enum WhenDone {
    /// Never reply (the sandbox is "frozen"); the test stops the child.
    Hold,
    /// Reply with this status to every further `/next`.
    Status(u16),
}

#[derive(Clone, Debug)]
pub struct Script {
    pub steps: Vec<Step>,
    pub when_done: WhenDone,
    /// Path prefix the API is served under, e.g. `/.rt/fn`; empty for none.
    pub prefix: String,
}

impl Script {
    pub fn new() -> Script {
        Script {
            steps: vec![],
            when_done: WhenDone::Hold,
            prefix: String::new(),
        }
    }

    pub fn invoke(mut self, invocation: Invocation) -> Script {
        self.steps.push(Step::Invoke(invocation));
        self
    }

    pub fn invocations(mut self, invocations: impl IntoIterator<Item = Invocation>) -> Script {
        self.steps.extend(invocations.into_iter().map(Step::Invoke));
        self
    }

    pub fn next_status(mut self, status: u16) -> Script {
        self.steps.push(Step::NextStatus(status));
        self
    }

    pub fn drop_next(mut self) -> Script {
        self.steps.push(Step::DropNext);
        self
    }

    pub fn raw(mut self, raw: RawReply) -> Script {
        self.steps.push(Step::Raw(raw));
        self
    }

    pub fn when_done(mut self, when_done: WhenDone) -> Script {
        self.when_done = when_done;
        self
    }

    pub fn prefix(mut self, prefix: &str) -> Script {
        self.prefix = prefix.to_string();
        self
    }
}

impl Default for Script {
    fn default() -> Script {
        Script::new()
    }
}
