//! The process under test: a child started with exactly the environment a test gives it, its
//! stdout and stderr captured for failure messages, and killed when the guard drops, so a
//! failing test leaves nothing running.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::fd::BorrowedFd;

/// The emulator that runs the bootstraps when they are built for another architecture
/// (`BOOTSTRAP_RUNNER=qemu-aarch64-static` for arm64: nothing registers it with the kernel
/// here, so it must be named, and the tests themselves run under it too, through cargo's
/// runner).
pub fn runner() -> Option<String> {
    std::env::var("BOOTSTRAP_RUNNER")
        .ok()
        .filter(|r| !r.is_empty())
}

/// A wrapper for [`Process::spawn_wrapped`] that starts the program (under [`runner`], if
/// any) with `redirections` applied by the shell, e.g. `2>&-` to start it with stderr closed.
pub fn shell_wrapper(redirections: &str) -> Vec<String> {
    // `sh -c SCRIPT [RUNNER] PROGRAM`: $0 is the first of them, "$@" the rest.
    let mut wrapper = vec![
        "sh".to_string(),
        "-c".to_string(),
        format!("exec \"$0\" \"$@\" {redirections}"),
    ];
    wrapper.extend(runner());
    wrapper
}

/// At most this much of a child's stdout/stderr is kept.
const MAX_CAPTURE: usize = 16 * 1024 * 1024;

/// Bytes a child wrote to one of its pipes. A thread moves them out of the pipe as they come
/// (so the child never blocks on a full pipe), and [`Captured::text`] moves what is still in
/// the pipe before it answers: every read happens under one lock, so the order is kept, and
/// whatever the child wrote before an event the test saw (a post, an answer) is in the text.
/// A test never has to wait for the thread to be scheduled.
#[derive(Clone)]
struct Captured {
    bytes: Arc<Mutex<Vec<u8>>>,
    /// All the bytes read, kept or not.
    total: Arc<std::sync::atomic::AtomicUsize>,
    pipe: Arc<File>,
}

impl Captured {
    fn drain(pipe: impl Into<OwnedFd>) -> Captured {
        let pipe = File::from(pipe.into());
        rustix::io::ioctl_fionbio(borrow(&pipe), true).expect("a pipe can be made non-blocking");
        let captured = Captured {
            bytes: Arc::default(),
            total: Arc::default(),
            pipe: Arc::new(pipe),
        };
        let drainer = captured.clone();
        thread::spawn(move || {
            let pipe = borrow(&drainer.pipe);
            let mut ready = [PollFd::new(&pipe, PollFlags::IN)];
            // Ends at EOF, i.e. when the child (and whatever inherited the pipe) is gone.
            loop {
                match rustix::event::poll(&mut ready, None) {
                    Ok(_) if drainer.pull() => {}
                    Err(rustix::io::Errno::INTR) => {}
                    _ => break,
                }
            }
        });
        captured
    }

    /// Moves what is in the pipe now into the captured bytes; false at EOF.
    fn pull(&self) -> bool {
        let mut bytes = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        let mut buffer = [0u8; 8192];
        loop {
            match (&*self.pipe).read(&mut buffer) {
                Ok(0) => return false,
                Ok(n) => {
                    self.total
                        .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    if bytes.len() < MAX_CAPTURE {
                        bytes.extend_from_slice(&buffer[..n]);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return e.kind() == ErrorKind::WouldBlock,
            }
        }
    }

    fn text(&self) -> String {
        self.pull();
        String::from_utf8_lossy(&self.bytes.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// `file`'s descriptor as rustix takes it (rustix is built without `std` here, so it does
/// not know std's `AsFd`).
fn borrow(file: &File) -> BorrowedFd<'_> {
    // SAFETY: the descriptor belongs to `file`, which outlives the borrow.
    unsafe { BorrowedFd::borrow_raw(file.as_raw_fd()) }
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
    /// tests see what a bootstrap sees when optional variables are missing. Under
    /// [`runner`] (an emulator), the program is its argument.
    pub fn spawn(program: &Path, env: &[(&str, &str)]) -> Process {
        Self::spawn_wrapped(&[], program, env)
    }

    /// As [`Process::spawn`], started through `wrapper` (a command and its arguments, e.g.
    /// `unshare --pid --fork`), which gets `program` as its last argument.
    pub fn spawn_wrapped(wrapper: &[&str], program: &Path, env: &[(&str, &str)]) -> Process {
        let mut command = match (wrapper.split_first(), runner()) {
            (Some((first, rest)), _) => {
                let mut command = Command::new(first);
                command.args(rest).arg(program);
                command
            }
            (None, Some(runner)) => {
                let mut command = Command::new(runner);
                command.arg(program);
                command
            }
            (None, None) => Command::new(program),
        };
        let mut child = command
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdout = Captured::drain(child.stdout.take().unwrap());
        let stderr = Captured::drain(child.stderr.take().unwrap());
        Process {
            child,
            program: program.to_path_buf(),
            stdout,
            stderr,
            exit: None,
        }
    }

    /// The child's process id (under [`runner`], the emulator's).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The child's peak resident memory so far (`VmHWM` in `/proc/PID/status`), in KiB, while
    /// it runs. Under [`runner`] this is the emulator's, not the bootstrap's.
    pub fn peak_memory_kib(&mut self) -> Option<u64> {
        self.status_kib("VmHWM:")
    }

    /// The child's resident memory now (`VmRSS`), in KiB, while it runs.
    pub fn resident_memory_kib(&mut self) -> Option<u64> {
        self.status_kib("VmRSS:")
    }

    fn status_kib(&mut self, field: &str) -> Option<u64> {
        if self.exit_status().is_some() {
            return None;
        }
        super::procs::status_kib(self.id(), field)
    }

    /// How many descriptors the child has open now (entries of `/proc/PID/fd`).
    pub fn open_fds(&mut self) -> Option<usize> {
        if self.exit_status().is_some() {
            return None;
        }
        Some(
            std::fs::read_dir(format!("/proc/{}/fd", self.id()))
                .ok()?
                .count(),
        )
    }

    /// How many bytes the child has written to stderr so far, including those past what
    /// [`stderr`](Self::stderr) keeps (16 MiB).
    pub fn stderr_len(&self) -> usize {
        self.stderr.pull();
        self.stderr.total.load(std::sync::atomic::Ordering::Relaxed)
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

/// `unshare --pid --fork --kill-child`: a command to run a program as process 1 of a new PID
/// namespace, as in a container; `None`, having said why (see `skip`), where that cannot be
/// done: under an emulator (the namespace would hold the emulator) or without the right.
pub fn pid_namespace() -> Option<[&'static str; 4]> {
    const PID_1: [&str; 4] = ["unshare", "--pid", "--fork", "--kill-child"];
    if runner().is_some() {
        super::skip::not_applicable("under an emulator, the PID namespace would hold the emulator");
        return None;
    }
    let usable = Command::new(PID_1[0])
        .args(&PID_1[1..])
        .arg("true")
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        super::skip::missing(
            "cannot start a process in a new PID namespace here (unshare --pid, as root)",
        );
        return None;
    }
    Some(PID_1)
}
