//! The fake Runtime API: a keep-alive HTTP/1.1 server on 127.0.0.1 that feeds one runtime
//! process events and checks every answer, timing what the runtime does from the outside.
//!
//! It runs on the harness's main thread, single-threaded over `poll`, so that its own CPU
//! time (the thread's CPU clock) is exactly the API's cost and can be reported separately.
//! It accepts any number of connections: curl opens one per request, hyper may open a
//! second one while the first goes back to its pool.
//!
//! One run: bind, spawn the runtime, serve `GET /next` with the event and a fresh request
//! id, check each `POST /{id}/response` against the expected bytes, and after the last
//! invocation answer `/next` with 500, which tells a runtime to exit. The runtime's CPU time
//! and peak memory are read at that last `/next`, while it waits for the answer.
use crate::http::{self, Body, Framing, Method, RequestHead};
use crate::process;
use std::io::{IoSlice, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const NEXT_PATH: &str = "/2018-06-01/runtime/invocation/next";
const INVOCATION_PREFIX: &str = "/2018-06-01/runtime/invocation/";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:bench";
/// A run that makes no progress for this long has hung: it is killed and reported.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a runtime may take to exit after the final 500 before it is sent SIGTERM, then
/// SIGKILL (a traced one must exit by itself for strace to write its summary).
const EXIT_GRACE: Duration = Duration::from_secs(3);

/// Request ids are unique across the whole benchmark, shaped like Lambda's (a UUID).
static NEXT_REQUEST_NUMBER: AtomicU64 = AtomicU64::new(1);

/// What a run is for.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    /// Cold start: the run ends (the runtime is killed) at its first `GET /next`.
    FirstRequest,
    /// Steady state: `total` invocations, the first `warmup` of them unmeasured; once
    /// `time_cap` has passed in the measured part (and a few were measured), the run ends early.
    Invocations { total: u64, warmup: u64, time_cap: Duration },
}

/// Readings at one `GET /next`, the start or the end of the measured part.
#[derive(Clone, Copy, Debug)]
struct Mark {
    at: Instant,
    completed: u64,
    runtime_cpu: Option<Duration>,
    api_cpu: Duration,
}

/// Everything one run observed.
#[derive(Debug, Default)]
pub struct RunOutcome {
    /// Spawn (just before `Command::spawn`) until the first complete `GET /next`.
    pub cold_start: Option<Duration>,
    /// Invocations answered (correctly or not).
    pub completed: u64,
    /// Invocations in the measured part, and its wall time, runtime CPU and API CPU.
    pub measured: u64,
    pub measured_wall: Duration,
    pub runtime_cpu: Option<Duration>,
    pub api_cpu: Duration,
    /// One cycle per measured invocation: `GET /next` arrival to the next one's.
    pub cycles: Vec<Duration>,
    /// `VmHWM` at the final `GET /next`.
    pub peak_rss_kib: Option<u64>,
    /// Wrong responses, `/error` posts, unexpected requests.
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    /// Why the run did not finish (the runtime died, stalled, ...), if it did not.
    pub failure: Option<String>,
    pub exit_status: Option<ExitStatus>,
}

/// Runs `command` (the runtime, environment set but for `AWS_LAMBDA_RUNTIME_API`) against the
/// fake API until `goal` is reached, answering `event` and expecting `expected` back.
pub fn run(command: Command, event: &[u8], expected: &[u8], goal: Goal) -> RunOutcome {
    run_concurrent(command, event, Some(expected), goal, 1)
}

/// [`run`] for a runtime that may have up to `in_flight` invocations open at once (Managed
/// Instances' workers, each waiting on `/next` over a connection of its own: the poll loop
/// answers every pending `/next` at once). `expected: None` accepts any response body (a
/// handler that answers its process id).
pub fn run_concurrent(
    mut command: Command,
    event: &[u8],
    expected: Option<&[u8]>,
    goal: Goal,
    in_flight: usize,
) -> RunOutcome {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.set_nonblocking(true).expect("non-blocking listener");
    let address = listener.local_addr().expect("local address");
    command.env("AWS_LAMBDA_RUNTIME_API", address.to_string());

    let spawned_at = Instant::now();
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return RunOutcome { failure: Some(format!("spawn failed: {e}")), ..Default::default() };
        }
    };
    let mut api = Api::new(child, spawned_at, event, expected, goal);
    api.in_flight = in_flight.max(1);
    api.serve(&listener);
    api.finish()
}

/// The server's state for one run.
struct Api<'a> {
    child: Child,
    spawned_at: Instant,
    event: &'a [u8],
    expected: Option<&'a [u8]>,
    goal: Goal,
    connections: Vec<Connection>,
    outcome: RunOutcome,
    /// The ids of the invocations in flight, between their event and their response: at
    /// most `in_flight` (1 but for concurrent runtimes).
    open_request_ids: Vec<String>,
    in_flight: usize,
    completed: u64,
    start: Option<Mark>,
    get_times: Vec<Instant>,
    /// Set once the final `/next` was answered with 500.
    ending: bool,
    last_progress: Instant,
    head: Vec<u8>,
}

/// One client connection and the bytes received on it that are not yet handled.
struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    head: Option<RequestHead>,
    closed: bool,
}

/// What the API answers to one request.
enum Reply {
    Event(String),
    Accepted,
    /// The run is over: the runtime must exit.
    ServerError,
    NotFound,
}

impl<'a> Api<'a> {
    fn new(child: Child, spawned_at: Instant, event: &'a [u8], expected: Option<&'a [u8]>, goal: Goal) -> Self {
        Api {
            child,
            spawned_at,
            event,
            expected,
            goal,
            connections: Vec::new(),
            outcome: RunOutcome::default(),
            open_request_ids: Vec::new(),
            in_flight: 1,
            completed: 0,
            start: None,
            get_times: Vec::new(),
            ending: false,
            last_progress: Instant::now(),
            head: Vec::with_capacity(512),
        }
    }

    /// The poll loop; returns when the run is over (the runtime exited or was killed).
    fn serve(&mut self, listener: &TcpListener) {
        let mut ending_since: Option<Instant> = None;
        let mut sent_term = false;
        loop {
            if self.ending && ending_since.is_none() {
                if matches!(self.goal, Goal::FirstRequest) {
                    self.kill();
                    return;
                }
                ending_since = Some(Instant::now());
            }
            if let Some(since) = ending_since {
                if self.exited() {
                    return;
                }
                if since.elapsed() > EXIT_GRACE * 2 {
                    self.kill();
                    return;
                }
                if since.elapsed() > EXIT_GRACE && !sent_term {
                    // SAFETY: signalling our own child, which has not been reaped.
                    unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
                    sent_term = true;
                }
            }

            let mut fds = Vec::with_capacity(self.connections.len() + 1);
            fds.push(libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 });
            for c in &self.connections {
                fds.push(libc::pollfd { fd: c.stream.as_raw_fd(), events: libc::POLLIN, revents: 0 });
            }
            // SAFETY: fds is a valid array of pollfd of the given length.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
            if ready <= 0 {
                if ending_since.is_none() && self.exited() {
                    self.fail("the runtime exited before the run was over".into());
                    return;
                }
                if self.last_progress.elapsed() > STALL_TIMEOUT {
                    self.fail(format!("no request for {} s", STALL_TIMEOUT.as_secs()));
                    self.kill();
                    return;
                }
                continue;
            }
            if fds[0].revents != 0 {
                self.accept_all(listener);
            }
            for (i, fd) in fds.iter().enumerate().skip(1) {
                if fd.revents != 0 {
                    self.on_readable(i - 1);
                }
            }
            self.connections.retain(|c| !c.closed);
        }
    }

    fn accept_all(&mut self, listener: &TcpListener) {
        while let Ok((stream, _)) = listener.accept() {
            stream.set_nonblocking(false).expect("blocking connection");
            stream.set_nodelay(true).expect("TCP_NODELAY");
            self.connections.push(Connection { stream, buf: Vec::new(), head: None, closed: false });
        }
    }

    /// Reads what arrived on connection `i` and answers every complete request in it.
    fn on_readable(&mut self, i: usize) {
        let connection = &mut self.connections[i];
        match connection.read_some() {
            Ok(0) | Err(_) => {
                connection.closed = true;
                return;
            }
            Ok(_) => {}
        }
        loop {
            let connection = &mut self.connections[i];
            if connection.head.is_none() {
                match http::parse_head(&connection.buf) {
                    Ok(None) => return,
                    Ok(Some(head)) => {
                        if head.expect_continue {
                            let _ = connection.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
                        }
                        connection.head = Some(head);
                    }
                    Err(e) => {
                        self.mismatch(format!("bad request: {e}"));
                        self.connections[i].closed = true;
                        return;
                    }
                }
            }
            let connection = &mut self.connections[i];
            let head = connection.head.as_ref().expect("head parsed above");
            let body = match http::find_body(&connection.buf, head.head_len, head.body) {
                Ok(None) => return,
                Ok(Some(body)) => body,
                Err(e) => {
                    self.mismatch(format!("bad request body: {e}"));
                    self.connections[i].closed = true;
                    return;
                }
            };
            let head = connection.head.take().expect("head parsed above");
            let buf = std::mem::take(&mut connection.buf);
            let reply = self.handle(&head, &body, &buf);
            let connection = &mut self.connections[i];
            connection.buf = buf;
            connection.buf.drain(..body.end);
            if let Err(e) = self.send(i, reply) {
                if !self.ending {
                    self.mismatch(format!("could not answer: {e}"));
                }
                self.connections[i].closed = true;
                return;
            }
            if self.connections[i].closed {
                return;
            }
        }
    }

    /// Decides the answer to one complete request, checking it.
    fn handle(&mut self, head: &RequestHead, body: &Body, buf: &[u8]) -> Reply {
        self.last_progress = Instant::now();
        match (head.method, head.path.as_str()) {
            (Method::Get, NEXT_PATH) => self.on_next(),
            (Method::Post, path) if path.starts_with(INVOCATION_PREFIX) => {
                let rest = &path[INVOCATION_PREFIX.len()..];
                let (id, kind) = rest.rsplit_once('/').unwrap_or((rest, ""));
                self.on_post(id, kind, body, buf)
            }
            (method, path) => {
                let preview = body.preview(buf, 200);
                self.mismatch(format!("unexpected request {method:?} {path}: {preview}"));
                Reply::NotFound
            }
        }
    }

    fn on_next(&mut self) -> Reply {
        let now = Instant::now();
        if self.outcome.cold_start.is_none() {
            self.outcome.cold_start = Some(now - self.spawned_at);
        }
        if self.ending {
            return Reply::ServerError;
        }
        if self.open_request_ids.len() >= self.in_flight {
            let id = self.open_request_ids.remove(0);
            self.mismatch(format!("GET /next while invocation {id} had no response"));
        }
        let Goal::Invocations { total, warmup, time_cap } = self.goal else {
            self.ending = true;
            return Reply::ServerError;
        };
        if self.start.is_none() && self.completed >= warmup {
            self.start = Some(self.mark(now));
        }
        if let Some(start) = self.start {
            self.get_times.push(now);
            let measured = self.completed - start.completed;
            let out_of_time = now - start.at >= time_cap && measured >= 10;
            if self.completed >= total || out_of_time {
                self.end_measurement(start, now);
                return Reply::ServerError;
            }
        }
        let number = NEXT_REQUEST_NUMBER.fetch_add(1, Ordering::Relaxed);
        let id = format!("8f5ef7a2-0b1c-4d3e-9f00-{number:012x}");
        self.open_request_ids.push(id.clone());
        Reply::Event(id)
    }

    fn end_measurement(&mut self, start: Mark, now: Instant) {
        let pid = self.child.id();
        let end = self.mark(now);
        self.outcome.peak_rss_kib = process::peak_rss_kib(pid);
        self.outcome.measured = end.completed - start.completed;
        self.outcome.measured_wall = end.at - start.at;
        self.outcome.runtime_cpu = match (start.runtime_cpu, end.runtime_cpu) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        self.outcome.api_cpu = end.api_cpu - start.api_cpu;
        self.outcome.cycles = self.get_times.windows(2).map(|w| w[1] - w[0]).collect();
        self.ending = true;
    }

    fn mark(&self, at: Instant) -> Mark {
        Mark {
            at,
            completed: self.completed,
            runtime_cpu: process::cpu_time(self.child.id()),
            api_cpu: process::this_thread_cpu_time(),
        }
    }

    fn on_post(&mut self, id: &str, kind: &str, body: &Body, buf: &[u8]) -> Reply {
        match self.open_request_ids.iter().position(|open| open == id) {
            Some(i) => {
                self.open_request_ids.swap_remove(i);
            }
            None => {
                let open = self.open_request_ids.clone();
                self.mismatch(format!("POST for request id {id:?}, expected one of {open:?}"));
            }
        }
        self.completed += 1;
        if kind != "response" {
            let preview = body.preview(buf, 300);
            self.mismatch(format!("POST /{kind} for {id}: {preview}"));
        } else if let Some(expected) = self.expected.filter(|expected| !body.equals(buf, expected)) {
            let (got, want) = (body.len(), expected.len());
            let preview = body.preview(buf, 80);
            self.mismatch(format!("wrong response: {got} bytes, expected {want}: {preview:?}..."));
        }
        Reply::Accepted
    }

    /// Writes `reply` on connection `i` (blocking: the runtime is reading it).
    fn send(&mut self, i: usize, reply: Reply) -> std::io::Result<()> {
        let stream = &mut self.connections[i].stream;
        match reply {
            Reply::Event(id) => {
                let deadline_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 900_000;
                self.head.clear();
                write!(
                    self.head,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                     Lambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
                     Lambda-Runtime-Invoked-Function-Arn: {FUNCTION_ARN}\r\n\
                     Content-Length: {}\r\n\r\n",
                    self.event.len()
                )?;
                write_all_vectored(stream, &mut [IoSlice::new(&self.head), IoSlice::new(self.event)])
            }
            Reply::Accepted => stream.write_all(
                b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}",
            ),
            Reply::ServerError => {
                let body = br#"{"errorMessage":"the benchmark run is over","errorType":"Runtime.BenchmarkOver"}"#;
                let head = format!(
                    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\
                     Connection: close\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let result = write_all_vectored(stream, &mut [IoSlice::new(head.as_bytes()), IoSlice::new(body)]);
                self.connections[i].closed = true;
                result
            }
            Reply::NotFound => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        }
    }

    fn mismatch(&mut self, what: String) {
        self.outcome.mismatches += 1;
        if self.outcome.first_mismatch.is_none() {
            self.outcome.first_mismatch = Some(what);
        }
    }

    fn fail(&mut self, why: String) {
        if self.outcome.failure.is_none() {
            self.outcome.failure = Some(why);
        }
    }

    fn exited(&mut self) -> bool {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                self.outcome.exit_status = Some(status);
                true
            }
            Ok(None) => false,
            Err(_) => true,
        }
    }

    /// Kills the runtime's whole process group (bash's children too) and reaps it.
    fn kill(&mut self) {
        // SAFETY: the group is the child's own (`process_group(0)`), not yet reaped.
        unsafe { libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL) };
        let _ = self.child.kill();
        if let Ok(status) = self.child.wait() {
            self.outcome.exit_status.get_or_insert(status);
        }
    }

    fn finish(mut self) -> RunOutcome {
        if !self.exited() {
            self.kill();
        }
        if matches!(self.goal, Goal::Invocations { .. }) && !self.ending {
            self.fail("the run did not reach its end".into());
        }
        self.outcome.completed = self.completed;
        self.outcome
    }
}

impl Connection {
    /// One `read` into the buffer, with room for the whole body when its length is known.
    fn read_some(&mut self) -> std::io::Result<usize> {
        let wanted = match &self.head {
            Some(RequestHead { head_len, body: Framing::Length(length), .. }) => head_len + length,
            _ => 0,
        };
        self.buf.reserve((64 * 1024).max(wanted.saturating_sub(self.buf.len())));
        let len = self.buf.len();
        let spare = self.buf.capacity() - len;
        // SAFETY: reads at most `spare` bytes into the allocated, unused tail of the buffer,
        // then marks exactly the bytes read as initialised.
        let n = unsafe {
            libc::read(self.stream.as_raw_fd(), self.buf.as_mut_ptr().add(len).cast(), spare)
        };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        unsafe { self.buf.set_len(len + n as usize) };
        Ok(n as usize)
    }
}

fn write_all_vectored(stream: &mut TcpStream, mut slices: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    while !slices.is_empty() {
        let n = stream.write_vectored(slices)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut slices, n);
    }
    Ok(())
}
