//! Test support for the bootstrap's integration tests.
//!
//! * [`FakeApi`]: a scripted fake of the Lambda Runtime API on loopback (std only). It hands out
//!   invocations from a queue, framed and paced as each test asks. It records every request it
//!   receives so tests can check exactly what the bootstrap sent.
//! * [`Process`]: a guard around a child process that captures its output and kills it on drop.
//! * [`Run`]: the two together, with waits that fail with a full diagnostic instead of hanging.
//! * [`json`]: a small strict JSON parser, so error bodies are checked as JSON and not as text.
//!
//! Every socket operation has a timeout and every loop is bounded. A broken bootstrap therefore
//! fails a test with a message. It cannot hang the suite.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The API version segment every Runtime API path starts with (after the optional prefix).
pub const API_VERSION: &str = "/2018-06-01";
/// How long a test waits for something the bootstrap should do. It is generous because the
/// suite runs in parallel on small machines.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);
/// "Promptly" in the contract: how long an exit may take after the reason for it.
pub const EXIT_LIMIT: Duration = Duration::from_secs(5);

/// The read timeout on server sockets. It is short so that idle threads notice a shutdown soon.
const POLL: Duration = Duration::from_millis(100);
/// How long a connection may sit without progress before the server gives up on it.
const IDLE_LIMIT: Duration = Duration::from_secs(90);
/// A write that makes no progress for this long fails. The bootstrap is then not reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);
/// Limits on what the server accepts from the bootstrap, to keep a broken client bounded.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;
/// At most this much of a child's stdout/stderr is kept.
const MAX_CAPTURE: usize = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Programs under test
// ---------------------------------------------------------------------------------------------

/// The bootstrap binary built by Cargo for this test run (default handler: `Hello: ` + event).
pub fn bootstrap_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bootstrap"))
}

/// The `probe` bootstrap (examples/probe.rs, built as a bin), a handler written for these tests.
pub fn probe_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_probe"))
}

// ---------------------------------------------------------------------------------------------
// A tiny deterministic PRNG (splitmix64), so "random" framings repeat exactly from a seed
// ---------------------------------------------------------------------------------------------

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high);
        low + (self.next_u64() % (high - low + 1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// Arbitrary binary event bytes (every byte value, CR and LF included). The first byte is
/// non-ASCII, so the probe never takes the event for one of its commands (`error:`, `ctx`, ...)
/// and echoes it.
pub fn binary_event(len: usize, seed: u64) -> Vec<u8> {
    let mut event = Rng::new(seed).bytes(len);
    if let Some(first) = event.first_mut() {
        *first |= 0x80;
    }
    event
}

// ---------------------------------------------------------------------------------------------
// The script: what the fake API hands out, and how
// ---------------------------------------------------------------------------------------------

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
    fn apply(self, name: &str) -> String {
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

/// What the server does with the connection after its reply to a post.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AfterReply {
    KeepAlive,
    /// Sends `Connection: close` and closes the socket.
    ConnectionClose,
    /// Closes the socket without announcing it, as an idle-timeout in a proxy would.
    AbruptClose,
}

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
}

/// One step of the script, consumed by one `GET /next`.
#[derive(Clone, Debug)]
pub enum Step {
    Invoke(Invocation),
    /// Reply to this `/next` with the status and a small JSON error body.
    NextStatus(u16),
    /// Read the `/next` request, then close the connection without a reply.
    DropNext,
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

// ---------------------------------------------------------------------------------------------
// What the server records
// ---------------------------------------------------------------------------------------------

/// Which Runtime API endpoint a request was for (after the prefix and `/2018-06-01`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Next,
    Response(String),
    Error(String),
    InitError,
    /// Anything else, including a path without the expected prefix.
    Unknown,
}

#[derive(Clone, Debug)]
pub struct Request {
    /// 1 for the first accepted connection, 2 for the second, ...
    pub connection: usize,
    pub method: String,
    /// The request target exactly as sent.
    pub path: String,
    pub route: Route,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: Instant,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_post(&self) -> bool {
        matches!(
            self.route,
            Route::Response(_) | Route::Error(_) | Route::InitError
        )
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A short description for failure messages.
    pub fn summary(&self) -> String {
        let body = if self.body.len() <= 200 {
            format!("{:?}", self.body_text())
        } else {
            format!("{} bytes", self.body.len())
        };
        format!(
            "conn {} {} {} body={}",
            self.connection, self.method, self.path, body
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The fake Runtime API server
// ---------------------------------------------------------------------------------------------

struct State {
    steps: VecDeque<Step>,
    when_done: WhenDone,
    prefix: String,
    /// Post replies by request id, filled in when the invocation is handed out.
    post_replies: HashMap<String, PostReply>,
    requests: Vec<Request>,
    posts: usize,
    /// `GET /next` requests being held now because the script is used up.
    held_nexts: usize,
    connections: usize,
    /// Things the bootstrap did that break the protocol (tests assert there are none).
    violations: Vec<String>,
    /// Connection events worth showing when a test fails (closes, write errors, ...).
    notes: Vec<String>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not hide the test's own failure message.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_shutdown(&self) -> bool {
        self.lock().shutdown
    }

    fn note(&self, text: String) {
        let mut state = self.lock();
        if state.notes.len() < 1000 {
            state.notes.push(text);
        }
    }

    fn violation(&self, text: String) {
        let mut state = self.lock();
        if state.violations.len() < 1000 {
            state.violations.push(text);
        }
        self.changed.notify_all();
    }
}

/// The fake Runtime API. Stops (and releases every held `/next`) when dropped.
pub struct FakeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeApi {
    /// Serves `script` on 127.0.0.1 on a free port.
    pub fn start(script: Script) -> FakeApi {
        FakeApi::start_on("127.0.0.1:0", script)
    }

    /// Serves `script` on the given local address, e.g. `[::1]:0`.
    pub fn start_on(bind: &str, script: Script) -> FakeApi {
        let listener =
            TcpListener::bind(bind).unwrap_or_else(|e| panic!("cannot bind {bind}: {e}"));
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                steps: script.steps.into(),
                when_done: script.when_done,
                prefix: script.prefix,
                post_replies: HashMap::new(),
                requests: vec![],
                posts: 0,
                held_nexts: 0,
                connections: 0,
                violations: vec![],
                notes: vec![],
                shutdown: false,
            }),
            changed: Condvar::new(),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::spawn(move || accept_connections(listener, shared))
        };
        FakeApi {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Queues another step (for tests that decide as they go).
    pub fn push(&self, step: Step) {
        self.shared.lock().steps.push_back(step);
        self.shared.changed.notify_all();
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    pub fn posts(&self) -> Vec<Request> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.is_post())
            .cloned()
            .collect()
    }

    pub fn next_count(&self) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.route == Route::Next)
            .count()
    }

    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// Waits until at least `count` posts have arrived. `Err` says how many did.
    ///
    /// Gives up early when the script is used up and a `/next` is being held: a sequential
    /// bootstrap asks for more work only after posting for the previous invocation, so no
    /// further post can come.
    pub fn wait_for_posts(&self, count: usize, limit: Duration) -> Result<(), String> {
        let state = self.wait_until(limit, |state| state.posts >= count || state.held_nexts > 0);
        match (state.posts >= count, state.held_nexts) {
            (true, _) => Ok(()),
            (false, 0) => Err(format!(
                "expected {count} posts within {limit:?}, got {}",
                state.posts
            )),
            (false, _) => Err(format!(
                "expected {count} posts, got {}; the script is used up and the bootstrap is \
                 waiting on GET /next, so no more will come",
                state.posts
            )),
        }
    }

    /// Whether a `/next` is being held because the script is used up.
    pub fn is_holding_next(&self) -> bool {
        self.shared.lock().held_nexts > 0
    }

    /// Waits until `done` holds or `limit` passes; returns the state either way.
    fn wait_until(&self, limit: Duration, done: impl Fn(&State) -> bool) -> MutexGuard<'_, State> {
        let deadline = Instant::now() + limit;
        let mut state = self.shared.lock();
        loop {
            let now = Instant::now();
            if done(&state) || now >= deadline {
                return state;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, (deadline - now).min(POLL))
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// What the server saw, for failure messages: connections, the last requests, notes and
    /// protocol violations.
    pub fn diagnostics(&self) -> String {
        let state = self.shared.lock();
        let mut out = format!(
            "fake API at {} (prefix {:?}): {} connections, {} requests ({} posts), {} steps left\n",
            self.addr,
            state.prefix,
            state.connections,
            state.requests.len(),
            state.posts,
            state.steps.len()
        );
        let skip = state.requests.len().saturating_sub(20);
        if skip > 0 {
            out += &format!("  ... {skip} earlier requests\n");
        }
        for (i, request) in state.requests.iter().enumerate().skip(skip) {
            out += &format!("  #{i}: {}\n", request.summary());
        }
        for note in state.notes.iter().rev().take(20).rev() {
            out += &format!("  note: {note}\n");
        }
        for violation in &state.violations {
            out += &format!("  PROTOCOL VIOLATION: {violation}\n");
        }
        out
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.changed.notify_all();
        // Wake the blocking accept() so the acceptor sees the shutdown flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_connections(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.is_shutdown() {
            return;
        }
        let Ok(stream) = stream else { continue };
        let connection = {
            let mut state = shared.lock();
            state.connections += 1;
            state.connections
        };
        let shared = shared.clone();
        // Connection threads are not joined: each ends within POLL of the shutdown flag (or
        // WRITE_TIMEOUT if blocked on a write to a live child, which the tests kill first).
        thread::spawn(move || {
            let mut conn = Connection {
                stream,
                number: connection,
                shared,
                inbox: Vec::new(),
            };
            conn.serve();
        });
    }
}

/// One accepted connection and the bytes read from it but not yet consumed.
struct Connection {
    stream: TcpStream,
    number: usize,
    shared: Arc<Shared>,
    inbox: Vec<u8>,
}

/// Why a connection stops being served.
enum Stop {
    /// The peer closed it, or the server is shutting down: nothing to report.
    Quiet,
    /// Something worth a note in the diagnostics.
    Note(String),
    /// The bootstrap broke the protocol.
    Violation(String),
}

impl Connection {
    fn serve(&mut self) {
        let setup = self
            .stream
            .set_nodelay(true)
            .and_then(|_| self.stream.set_read_timeout(Some(POLL)))
            .and_then(|_| self.stream.set_write_timeout(Some(WRITE_TIMEOUT)));
        if let Err(e) = setup {
            self.shared
                .note(format!("conn {}: socket setup failed: {e}", self.number));
            return;
        }
        let stop = loop {
            match self.serve_one_request() {
                Ok(true) => continue,
                Ok(false) => break Stop::Quiet,
                Err(stop) => break stop,
            }
        };
        match stop {
            Stop::Quiet => {}
            Stop::Note(text) => self.shared.note(format!("conn {}: {text}", self.number)),
            Stop::Violation(text) => self
                .shared
                .violation(format!("conn {}: {text}", self.number)),
        }
        // Dropping the stream closes the socket.
    }

    /// Reads one request, records it, replies. `Ok(false)`: the connection is to be closed.
    fn serve_one_request(&mut self) -> Result<bool, Stop> {
        let Some(request) = self.read_request()? else {
            return Ok(false);
        };
        let route = request.route.clone();
        let path = request.path.clone();
        let method_ok = match route {
            Route::Next => request.method == "GET",
            Route::Unknown => true,
            _ => request.method == "POST",
        };
        self.record(request);
        if !method_ok {
            self.reply_status(405, false)?;
            return Err(Stop::Violation(format!("wrong method for {route:?}")));
        }
        match route {
            Route::Next => self.answer_next(),
            Route::Response(id) | Route::Error(id) => self.answer_post(&id),
            Route::InitError => {
                self.reply_status(202, false)?;
                Ok(true)
            }
            Route::Unknown => {
                self.reply_status(404, false)?;
                Err(Stop::Violation(format!(
                    "request for an unknown path {path:?}"
                )))
            }
        }
    }

    fn record(&self, request: Request) {
        let mut state = self.shared.lock();
        if request.is_post() {
            state.posts += 1;
        }
        state.requests.push(request);
        self.shared.changed.notify_all();
    }

    fn answer_next(&mut self) -> Result<bool, Stop> {
        match self.next_step() {
            None => Ok(false),
            Some(Step::Invoke(invocation)) => {
                if let Some(id) = &invocation.request_id {
                    self.shared
                        .lock()
                        .post_replies
                        .insert(id.clone(), invocation.post_reply);
                }
                let reply = invocation_reply(&invocation);
                write_paced(&mut self.stream, &reply, &invocation.pacing).map_err(|e| {
                    Stop::Note(format!(
                        "writing invocation {:?} failed: {e}",
                        invocation.request_id
                    ))
                })?;
                Ok(true)
            }
            Some(Step::NextStatus(status)) => {
                self.reply_status(status, false)?;
                Ok(true)
            }
            Some(Step::DropNext) => Err(Stop::Note(
                "closed without replying to /next (scripted)".into(),
            )),
        }
    }

    /// The next step for a `/next`; holds the request while the script is used up and says
    /// `Hold`. `None`: shut down, or held for too long.
    fn next_step(&self) -> Option<Step> {
        let held_since = Instant::now();
        let mut state = self.shared.lock();
        let mut holding = false;
        let step = loop {
            if state.shutdown {
                break None;
            }
            if let Some(step) = state.steps.pop_front() {
                break Some(step);
            }
            match state.when_done {
                WhenDone::Status(status) => break Some(Step::NextStatus(status)),
                WhenDone::Hold if held_since.elapsed() > IDLE_LIMIT => break None,
                WhenDone::Hold if !holding => {
                    holding = true;
                    state.held_nexts += 1;
                    self.shared.changed.notify_all();
                }
                WhenDone::Hold => {}
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, POLL)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        };
        if holding {
            state.held_nexts -= 1;
        }
        step
    }

    fn answer_post(&mut self, request_id: &str) -> Result<bool, Stop> {
        let reply = self.shared.lock().post_replies.get(request_id).copied();
        // A post for an id the server never handed out gets 400, as the real API does.
        let reply = reply.unwrap_or(PostReply {
            status: 400,
            after: AfterReply::KeepAlive,
        });
        self.reply_status(reply.status, reply.after == AfterReply::ConnectionClose)?;
        Ok(reply.after == AfterReply::KeepAlive)
    }

    fn reply_status(&mut self, status: u16, connection_close: bool) -> Result<(), Stop> {
        let body = match status {
            200 | 202 => r#"{"status":"OK"}"#.to_string(),
            _ => format!(
                r#"{{"errorMessage":"fake API status {status}","errorType":"Fake.Status{status}"}}"#
            ),
        };
        let close = if connection_close {
            "Connection: close\r\n"
        } else {
            ""
        };
        let reply = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{close}\r\n{body}",
            reason_phrase(status),
            body.len()
        );
        self.stream
            .write_all(reply.as_bytes())
            .map_err(|e| Stop::Note(format!("writing a {status} reply failed: {e}")))
    }

    /// Reads one request. `Ok(None)`: closed (or shutdown) before a request began.
    fn read_request(&mut self) -> Result<Option<Request>, Stop> {
        let mut searched = 0;
        let head_end = loop {
            if let Some(pos) = find(&self.inbox[searched..], b"\r\n\r\n") {
                break searched + pos + 4;
            }
            searched = self.inbox.len().saturating_sub(3);
            if self.inbox.len() > MAX_HEAD {
                return Err(Stop::Violation(format!(
                    "request head over {MAX_HEAD} bytes"
                )));
            }
            if !self.read_more()? {
                return if self.inbox.is_empty() {
                    Ok(None)
                } else {
                    Err(Stop::Note(format!(
                        "closed in the middle of a request head ({} bytes)",
                        self.inbox.len()
                    )))
                };
            }
        };
        let head = String::from_utf8(self.inbox[..head_end - 4].to_vec())
            .map_err(|_| Stop::Violation("request head is not UTF-8".into()))?;
        let RequestHead {
            method,
            path,
            headers,
        } = parse_request_head(&head).map_err(Stop::Violation)?;
        let body_len = request_body_length(&method, &headers).map_err(Stop::Violation)?;
        while self.inbox.len() < head_end + body_len {
            if !self.read_more()? {
                return Err(Stop::Note(format!(
                    "closed in the middle of a request body ({} of {body_len} bytes)",
                    self.inbox.len() - head_end
                )));
            }
        }
        let body = self.inbox[head_end..head_end + body_len].to_vec();
        self.inbox.drain(..head_end + body_len);
        let route = route_of(&self.shared.lock().prefix, &path);
        Ok(Some(Request {
            connection: self.number,
            method,
            path,
            route,
            headers,
            body,
            received_at: Instant::now(),
        }))
    }

    /// Reads more bytes into the inbox. `Ok(false)`: EOF or shutdown.
    fn read_more(&mut self) -> Result<bool, Stop> {
        let started = Instant::now();
        let mut buffer = [0u8; 64 * 1024];
        loop {
            if self.shared.is_shutdown() {
                return Ok(false);
            }
            match self.stream.read(&mut buffer) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.inbox.extend_from_slice(&buffer[..n]);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if started.elapsed() > IDLE_LIMIT {
                        return Err(Stop::Note(format!("idle for {IDLE_LIMIT:?}")));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(false),
                Err(e) => return Err(Stop::Note(format!("read failed: {e}"))),
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A request line and its headers, as received.
struct RequestHead {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

/// Parses `METHOD target HTTP/1.1` and the header lines of a request head (without the final
/// empty line).
fn parse_request_head(head: &str) -> Result<RequestHead, String> {
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

/// The body length of a request: Content-Length, which posts must carry (the contract).
fn request_body_length(method: &str, headers: &[(String, String)]) -> Result<usize, String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    if let Some(te) = header("Transfer-Encoding") {
        return Err(format!(
            "{method} with Transfer-Encoding: {te} (expected Content-Length)"
        ));
    }
    match header("Content-Length") {
        Some(value) => match value.parse::<usize>() {
            Ok(len) if len <= MAX_BODY => Ok(len),
            _ => Err(format!("bad or huge Content-Length {value:?}")),
        },
        None if method == "POST" => Err("POST without Content-Length".into()),
        None => Ok(0),
    }
}

/// Which endpoint a path is for. Ids are taken verbatim (no percent-decoding).
fn route_of(prefix: &str, path: &str) -> Route {
    let Some(rest) = path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(API_VERSION))
    else {
        return Route::Unknown;
    };
    if rest == "/runtime/invocation/next" {
        return Route::Next;
    }
    if rest == "/runtime/init/error" {
        return Route::InitError;
    }
    let Some(rest) = rest.strip_prefix("/runtime/invocation/") else {
        return Route::Unknown;
    };
    let Some((id, endpoint)) = rest.split_once('/') else {
        return Route::Unknown;
    };
    match endpoint {
        _ if id.is_empty() => Route::Unknown,
        "response" => Route::Response(id.to_string()),
        "error" => Route::Error(id.to_string()),
        _ => Route::Unknown,
    }
}

fn reason_phrase(status: u16) -> &'static str {
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
fn invocation_reply(invocation: &Invocation) -> Vec<u8> {
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

fn write_paced(stream: &mut TcpStream, bytes: &[u8], pacing: &Pacing) -> io::Result<()> {
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

// ---------------------------------------------------------------------------------------------
// The process under test
// ---------------------------------------------------------------------------------------------

/// Bytes a child wrote to one of its pipes, gathered by a draining thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn drain_from(&self, mut pipe: impl Read + Send + 'static) {
        let captured = self.clone();
        thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            // Ends at EOF, i.e. when the child (the only writer) is gone.
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                let mut bytes = captured.0.lock().unwrap_or_else(|p| p.into_inner());
                if bytes.len() < MAX_CAPTURE {
                    bytes.extend_from_slice(&buffer[..n]);
                }
            }
        });
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// A running child process, killed when dropped. Its stdout and stderr are captured.
pub struct Process {
    child: Child,
    program: PathBuf,
    stdout: Captured,
    stderr: Captured,
    exit: Option<ExitStatus>,
}

impl Process {
    /// Runs `program` with exactly `env` as its environment: nothing is inherited, so the
    /// tests see what a bootstrap sees when optional variables are missing.
    pub fn spawn(program: &Path, env: &[(&str, &str)]) -> Process {
        let mut child = Command::new(program)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdout = Captured::default();
        let stderr = Captured::default();
        stdout.drain_from(child.stdout.take().unwrap());
        stderr.drain_from(child.stderr.take().unwrap());
        Process {
            child,
            program: program.to_path_buf(),
            stdout,
            stderr,
            exit: None,
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// The exit status if the process has ended.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().ok().flatten();
        }
        self.exit
    }

    /// Waits up to `limit` for the process to end.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.exit_status() {
                // Let the drain threads pick up the last output.
                thread::sleep(Duration::from_millis(20));
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn diagnostics(&mut self) -> String {
        let status = match self.exit_status() {
            Some(status) => format!("exited: {status}"),
            None => "still running".to_string(),
        };
        format!(
            "{} {status}\n--- its stderr (tail) ---\n{}\n--- its stdout (tail) ---\n{}\n---",
            self.program.display(),
            tail(&self.stderr(), 4000),
            tail(&self.stdout(), 1000)
        )
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.exit_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

// ---------------------------------------------------------------------------------------------
// A fake API with a bootstrap talking to it
// ---------------------------------------------------------------------------------------------

/// A fake API and a child process pointed at it. Fields drop in order: the child is killed
/// before the server stops.
pub struct Run {
    pub process: Process,
    pub api: FakeApi,
}

impl Run {
    /// The bootstrap with its default handler, on 127.0.0.1.
    pub fn bootstrap(script: Script) -> Run {
        Run::start(
            &bootstrap_program(),
            FakeApi::start(script),
            |addr| addr.to_string(),
            &[],
        )
    }

    /// The probe handler, on 127.0.0.1.
    pub fn probe(script: Script) -> Run {
        Run::probe_with_env(script, &[])
    }

    pub fn probe_with_env(script: Script, env: &[(&str, &str)]) -> Run {
        Run::start(
            &probe_program(),
            FakeApi::start(script),
            |addr| addr.to_string(),
            env,
        )
    }

    /// Starts `program` with `AWS_LAMBDA_RUNTIME_API` set to `address(api address)` plus `env`.
    pub fn start(
        program: &Path,
        api: FakeApi,
        address: impl Fn(SocketAddr) -> String,
        env: &[(&str, &str)],
    ) -> Run {
        let runtime_api = address(api.addr());
        let mut full_env = vec![("AWS_LAMBDA_RUNTIME_API", runtime_api.as_str())];
        full_env.extend_from_slice(env);
        Run {
            process: Process::spawn(program, &full_env),
            api,
        }
    }

    /// Fails the test with `message` and everything both sides know.
    pub fn fail(&mut self, message: &str) -> ! {
        panic!(
            "{message}\n{}\n{}",
            self.api.diagnostics(),
            self.process.diagnostics()
        );
    }

    /// Waits for `count` posts, then returns all posts in arrival order. Fails early if the
    /// child has been gone for a second (time enough for its last post to be read).
    pub fn wait_for_posts(&mut self, count: usize) -> Vec<Request> {
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut exited_at = None;
        loop {
            let slice = deadline.saturating_duration_since(Instant::now()).min(POLL);
            match self.api.wait_for_posts(count, slice) {
                Ok(()) => return self.api.posts(),
                Err(message) if Instant::now() >= deadline || self.api.is_holding_next() => {
                    self.fail(&message)
                }
                Err(message) => {
                    if self.process.exit_status().is_some() {
                        let exited_at = *exited_at.get_or_insert_with(Instant::now);
                        if exited_at.elapsed() > Duration::from_secs(1) {
                            self.fail(&format!("the process exited early; {message}"));
                        }
                    }
                }
            }
        }
    }

    /// Waits for the child to end within `limit` and returns its status.
    pub fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        match self.process.wait_for_exit(limit) {
            Some(status) => status,
            None => self.fail(&format!("the process did not exit within {limit:?}")),
        }
    }

    /// Fails if the bootstrap broke the protocol anywhere (bad request line, post without
    /// Content-Length, wrong path, ...).
    pub fn assert_no_violations(&mut self) {
        if !self.api.violations().is_empty() {
            self.fail("the bootstrap broke the protocol");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A strict JSON parser (RFC 8259), for checking posted error bodies
// ---------------------------------------------------------------------------------------------

pub mod json {
    #[derive(Clone, Debug, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(String),
        String(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        /// The member `key` of an object.
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }

        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::String(s) => Some(s),
                _ => None,
            }
        }
    }

    /// Parses one JSON text: UTF-8, no trailing bytes, no raw control characters in strings.
    pub fn parse(bytes: &[u8]) -> Result<Value, String> {
        std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
        let mut parser = Parser {
            bytes,
            at: 0,
            depth: 0,
        };
        parser.skip_whitespace();
        let value = parser.value()?;
        parser.skip_whitespace();
        if parser.at != bytes.len() {
            return Err(parser.error("trailing bytes after the value"));
        }
        Ok(value)
    }

    struct Parser<'a> {
        bytes: &'a [u8],
        at: usize,
        depth: usize,
    }

    impl Parser<'_> {
        fn error(&self, what: &str) -> String {
            format!("{what} at byte {}", self.at)
        }

        fn peek(&self) -> Option<u8> {
            self.bytes.get(self.at).copied()
        }

        fn next(&mut self) -> Result<u8, String> {
            let byte = self.peek().ok_or_else(|| self.error("unexpected end"))?;
            self.at += 1;
            Ok(byte)
        }

        fn expect(&mut self, byte: u8) -> Result<(), String> {
            if self.next()? == byte {
                Ok(())
            } else {
                Err(self.error(&format!("expected {:?}", byte as char)))
            }
        }

        fn skip_whitespace(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.at += 1;
            }
        }

        fn value(&mut self) -> Result<Value, String> {
            self.depth += 1;
            if self.depth > 64 {
                return Err(self.error("nested too deeply"));
            }
            let value = match self.peek() {
                Some(b'{') => self.object(),
                Some(b'[') => self.array(),
                Some(b'"') => self.string().map(Value::String),
                Some(b't') => self.literal("true", Value::Bool(true)),
                Some(b'f') => self.literal("false", Value::Bool(false)),
                Some(b'n') => self.literal("null", Value::Null),
                Some(b'-' | b'0'..=b'9') => self.number(),
                _ => Err(self.error("expected a value")),
            };
            self.depth -= 1;
            value
        }

        fn literal(&mut self, text: &str, value: Value) -> Result<Value, String> {
            if self.bytes[self.at..].starts_with(text.as_bytes()) {
                self.at += text.len();
                Ok(value)
            } else {
                Err(self.error("bad literal"))
            }
        }

        fn object(&mut self) -> Result<Value, String> {
            self.expect(b'{')?;
            let mut members = vec![];
            self.skip_whitespace();
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Ok(Value::Object(members));
            }
            loop {
                self.skip_whitespace();
                let key = self.string()?;
                if members.iter().any(|(k, _)| *k == key) {
                    return Err(self.error(&format!("duplicate key {key:?}")));
                }
                self.skip_whitespace();
                self.expect(b':')?;
                self.skip_whitespace();
                members.push((key, self.value()?));
                self.skip_whitespace();
                match self.next()? {
                    b',' => continue,
                    b'}' => return Ok(Value::Object(members)),
                    _ => return Err(self.error("expected ',' or '}'")),
                }
            }
        }

        fn array(&mut self) -> Result<Value, String> {
            self.expect(b'[')?;
            let mut items = vec![];
            self.skip_whitespace();
            if self.peek() == Some(b']') {
                self.at += 1;
                return Ok(Value::Array(items));
            }
            loop {
                self.skip_whitespace();
                items.push(self.value()?);
                self.skip_whitespace();
                match self.next()? {
                    b',' => continue,
                    b']' => return Ok(Value::Array(items)),
                    _ => return Err(self.error("expected ',' or ']'")),
                }
            }
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.at;
            let digits = |p: &mut Self| {
                let from = p.at;
                while matches!(p.peek(), Some(b'0'..=b'9')) {
                    p.at += 1;
                }
                p.at - from
            };
            if self.peek() == Some(b'-') {
                self.at += 1;
            }
            match self.peek() {
                Some(b'0') => self.at += 1,
                Some(b'1'..=b'9') => {
                    digits(self);
                }
                _ => return Err(self.error("bad number")),
            }
            if self.peek() == Some(b'.') {
                self.at += 1;
                if digits(self) == 0 {
                    return Err(self.error("bad fraction"));
                }
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.at += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.at += 1;
                }
                if digits(self) == 0 {
                    return Err(self.error("bad exponent"));
                }
            }
            Ok(Value::Number(
                String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned(),
            ))
        }

        fn string(&mut self) -> Result<String, String> {
            self.expect(b'"')?;
            let mut out: Vec<u8> = vec![];
            loop {
                match self.next()? {
                    b'"' => {
                        return String::from_utf8(out)
                            .map_err(|_| self.error("bad UTF-8 in string"));
                    }
                    b'\\' => {
                        let c = match self.next()? {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => self.unicode_escape()?,
                            _ => return Err(self.error("bad escape")),
                        };
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    0x00..=0x1f => return Err(self.error("raw control character in a string")),
                    byte => out.push(byte),
                }
            }
        }

        /// The character of a `\uXXXX` escape (after the `u`), joining surrogate pairs.
        fn unicode_escape(&mut self) -> Result<char, String> {
            let high = self.hex4()?;
            let code = match high {
                0xD800..=0xDBFF => {
                    if self.next()? != b'\\' || self.next()? != b'u' {
                        return Err(self.error("lone high surrogate"));
                    }
                    let low = self.hex4()?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return Err(self.error("bad low surrogate"));
                    }
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                }
                0xDC00..=0xDFFF => return Err(self.error("lone low surrogate")),
                _ => high,
            };
            char::from_u32(code).ok_or_else(|| self.error("bad code point"))
        }

        fn hex4(&mut self) -> Result<u32, String> {
            let mut value = 0;
            for _ in 0..4 {
                let digit = (self.next()? as char)
                    .to_digit(16)
                    .ok_or_else(|| self.error("bad \\u escape"))?;
                value = value * 16 + digit;
            }
            Ok(value)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parses_escapes_and_rejects_broken_json() {
            let value =
                parse(br#"{"a":"q\"b\\n\nu\u00e9\ud83d\ude00\u0001","b":[],"c":-1.5e3,"d":null}"#)
                    .unwrap();
            assert_eq!(
                value.get("a").unwrap().as_str(),
                Some("q\"b\\n\nu\u{e9}\u{1F600}\u{1}")
            );
            assert_eq!(value.get("b"), Some(&Value::Array(vec![])));
            for broken in [
                &b"{\"a\":\"raw\nnewline\"}"[..],
                b"{\"a\":1,}",
                b"{\"a\":\"x\"} trailing",
                b"{\"a\":\"\\ud800\"}",
                b"{\"a\":\"\\x\"}",
                b"{\"a\":01}",
                b"{\"a\":1,\"a\":2}",
                b"",
            ] {
                assert!(
                    parse(broken).is_err(),
                    "accepted {:?}",
                    String::from_utf8_lossy(broken)
                );
            }
        }
    }
}

/// A posted error body: `{"errorMessage":"...","errorType":"...","stackTrace":[...]}`.
#[derive(Debug)]
pub struct PostedError {
    pub message: String,
    pub error_type: String,
}

/// Checks that `body` is a JSON error object as the Runtime API expects and returns its fields.
pub fn parse_error_body(body: &[u8]) -> Result<PostedError, String> {
    let value = json::parse(body).map_err(|e| format!("error body is not valid JSON: {e}"))?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(json::Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("error body has no string {name:?}"))
    };
    let message = field("errorMessage")?;
    let error_type = field("errorType")?;
    match value.get("stackTrace") {
        Some(json::Value::Array(_)) => {}
        _ => return Err("error body has no \"stackTrace\" array".into()),
    }
    Ok(PostedError {
        message,
        error_type,
    })
}

#[cfg(test)]
mod self_tests {
    use super::*;

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

    #[test]
    fn routes_are_recognised_under_a_prefix() {
        assert_eq!(
            route_of("/p", "/p/2018-06-01/runtime/invocation/next"),
            Route::Next
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/invocation/..%2f/response"),
            Route::Response("..%2f".into())
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/invocation/a/error"),
            Route::Error("a".into())
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/init/error"),
            Route::InitError
        );
        assert_eq!(
            route_of("/p", "/2018-06-01/runtime/invocation/next"),
            Route::Unknown
        );
        assert_eq!(
            route_of("", "/2018-06-01/runtime/invocation//response"),
            Route::Unknown
        );
    }
}
