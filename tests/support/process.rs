//! The process under test: a child started with exactly the environment a test gives it, its
//! stdout and stderr captured for failure messages, and killed when the guard drops, so a
//! failing test leaves nothing running.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

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
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        line.trim_start_matches(field)
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
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
