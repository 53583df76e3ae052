//! The fake Lambda Runtime API server: hands out the [`Script`]'s steps on `GET /next`,
//! answers posts as each invocation asks, and records every request. The connection threads
//! live in `connection`; the HTTP/1.1 framing in `http`; decoding a streamed (chunked)
//! response in `chunked`; recording (or checking) bodies as they arrive in `body`.

mod body;
mod chunked;
mod connection;
mod held;
mod http;
mod raw;

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::request::{Request, Route};
use super::script::{ExpectedBody, PostReply, Script, Step, WhenDone};
use connection::accept_connections;

/// The read timeout on server sockets. It is short so that idle threads notice a shutdown soon.
/// [`Run`](super::Run) waits in slices of it too.
pub(super) const POLL: Duration = Duration::from_millis(100);
/// How long a connection may sit without progress before the server gives up on it.
const IDLE_LIMIT: Duration = Duration::from_secs(90);
/// A write that makes no progress for this long fails. The bootstrap is then not reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);
/// Limits on what the server accepts from the bootstrap, to keep a broken client bounded.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;
/// A streamed response may be longer: Lambda allows 200 MB (20 MB by default).
const MAX_STREAMED_BODY: u64 = 512 * 1024 * 1024;

struct State {
    steps: VecDeque<Step>,
    when_done: WhenDone,
    prefix: String,
    /// Post replies by request id, filled in when the invocation is handed out.
    post_replies: HashMap<String, PostReply>,
    /// Bodies to check as they arrive, by request id (see `Invocation::expect_body`).
    expected_bodies: HashMap<String, ExpectedBody>,
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
                expected_bodies: HashMap::new(),
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

    /// Removes and returns the requests recorded so far (for long runs, whose records would
    /// otherwise pile up). Counts such as [`FakeApi::wait_for_posts`]'s are unaffected.
    pub fn take_requests(&self) -> Vec<Request> {
        std::mem::take(&mut self.shared.lock().requests)
    }

    /// Steps not yet handed out.
    pub fn steps_left(&self) -> usize {
        self.shared.lock().steps.len()
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
