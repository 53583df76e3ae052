//! A fake API with a bootstrap talking to it: the pair most tests start, with waits that are
//! bounded and fail with what both sides know instead of hanging.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::process::Process;
use super::request::Request;
use super::script::Script;
use super::server::{FakeApi, POLL};
use super::{bootstrap_program, probe_program};

/// How long a test waits for something the bootstrap should do. It is generous because the
/// suite runs in parallel on small machines.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);
/// "Promptly" in the contract: how long an exit may take after the reason for it.
pub const EXIT_LIMIT: Duration = Duration::from_secs(5);

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
