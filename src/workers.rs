//! Processes forked from the initialised runtime: Managed Instances' concurrent workers, and
//! the opt-in per-invocation isolation.
//!
//! Both rely on `fork` copying the process as it is after init: the handler's state, the
//! runtime's static buffers (copy-on-write, so each process gets its own as it writes them)
//! and no open connection (the first one is made by the first `/next`). No thread exists to
//! make `fork` unsafe.

use core::ffi::c_int;

use rustix::process::{self, Pid, WaitOptions, WaitStatus};

use crate::{log, num};

/// The most workers we start: Managed Instances' documented maximum concurrency is 64.
pub const MAX_WORKERS: usize = 64;

/// The exit status that means "the runtime must exit" (a 5xx, or an API that is gone), as
/// opposed to a worker that died of a crash or a panic, which is replaced.
pub const MUST_EXIT: c_int = 1;

unsafe extern "C" {
    /// musl's `fork` without the `pthread_atfork` handlers: `fork` itself takes the
    /// allocator's locks around the fork and so would link musl's allocator (5.6 KB of a
    /// 40 KB budget), which the runtime never uses. Unlike a raw `clone` syscall, `_Fork`
    /// updates the child's thread id in musl's state, which `raise` and `abort` rely on.
    fn _Fork() -> c_int;
}

/// How a child process ended, from the parent's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signaled(i32),
}

/// Runs `work` in a child process and returns its pid (or the errno of a failed fork). The
/// child ends with `work`'s return value as its exit status and never returns.
pub fn start(work: impl FnOnce() -> c_int) -> Result<Pid, rustix::io::Errno> {
    match fork()? {
        None => crate::runtime::exit(work()),
        Some(pid) => Ok(pid),
    }
}

/// Forks this process: `Ok(None)` in the child, the child's pid in the parent. The child
/// must end with `runtime::exit`.
pub fn fork() -> Result<Option<Pid>, rustix::io::Errno> {
    // The process is single-threaded, so the child is a complete copy; it runs only the
    // runtime's own code (which takes no locks) and then `_exit`.
    // SAFETY: see above; `_Fork` is async-signal-safe and has no preconditions.
    let pid = unsafe { _Fork() };
    match pid {
        0 => Ok(None),
        pid if pid > 0 => Pid::from_raw(pid).map(Some).ok_or(rustix::io::Errno::INVAL),
        _ => Err(last_errno()),
    }
}

fn last_errno() -> rustix::io::Errno {
    unsafe extern "C" {
        fn __errno_location() -> *mut c_int;
    }
    // SAFETY: musl's errno location is always valid for the calling thread.
    rustix::io::Errno::from_raw_os_error(unsafe { *__errno_location() })
}

/// Waits for `pid` (or, with `None`, any child) to end.
pub fn wait(pid: Option<Pid>) -> Option<(Pid, Ended)> {
    loop {
        match process::waitpid(pid, WaitOptions::empty()) {
            Ok(Some((pid, status))) => return ended(status).map(|e| (pid, e)),
            Ok(None) => return None,
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return None,
        }
    }
}

fn ended(status: WaitStatus) -> Option<Ended> {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => Some(Ended::Exited(code)),
        (_, Some(signal)) => Some(Ended::Signaled(signal)),
        _ => None,
    }
}

/// Managed Instances: `count` workers, each running `work` (the whole loop, on a connection
/// of its own). A worker that dies of a crash or a panic (whose invocation was already
/// answered) is replaced; one that ends with [`MUST_EXIT`] (or 0) ends the supervisor, since
/// the Runtime API asked the runtime to exit, and with it the other workers (each asked the
/// kernel to kill it when its parent dies).
pub fn supervise(count: usize, mut work: impl FnMut() -> c_int) -> c_int {
    // Our workers' pids: as process 1 of a container, we also reap orphans reparented to us
    // (a local-mode watchdog, a handler's stray child), which are none of our business.
    let mut workers = [0; MAX_WORKERS];
    for slot in workers.iter_mut().take(count) {
        match start_worker(&mut work) {
            Ok(pid) => *slot = pid.as_raw_nonzero().get(),
            Err(_) => {
                log::text(b"cannot fork a worker; exiting");
                return MUST_EXIT;
            }
        }
    }
    loop {
        let Some((pid, how)) = wait(None) else { return MUST_EXIT };
        let Some(slot) = workers.iter_mut().find(|w| **w == pid.as_raw_nonzero().get()) else { continue };
        if matches!(how, Ended::Exited(0 | MUST_EXIT)) {
            return MUST_EXIT;
        }
        report(b"a worker", how, b"; starting another");
        // A worker that dies at once, every time, must not become a fork loop.
        pause_ms(10);
        match start_worker(&mut work) {
            Ok(pid) => *slot = pid.as_raw_nonzero().get(),
            Err(_) => {
                log::text(b"cannot fork a worker; exiting");
                return MUST_EXIT;
            }
        }
    }
}

/// A worker: killed by the kernel if the supervisor dies, so none outlives it.
fn start_worker(work: &mut impl FnMut() -> c_int) -> Result<Pid, rustix::io::Errno> {
    const PR_SET_PDEATHSIG: c_int = 1;
    const SIGKILL: usize = 9;
    unsafe extern "C" {
        fn prctl(option: c_int, ...) -> c_int;
    }
    let supervisor = process::getpid();
    start(|| {
        // SAFETY: sets this process's parent-death signal; no memory is involved.
        unsafe { prctl(PR_SET_PDEATHSIG, SIGKILL) };
        // The supervisor may have died before the request took effect.
        if process::getppid() != Some(supervisor) {
            return MUST_EXIT;
        }
        work()
    })
}

/// Logs how a child ended: `{who} {exited with status N | was killed by signal N}{then}`.
pub fn report(who: &[u8], how: Ended, then: &[u8]) {
    let mut digits = [0; num::U64_DIGITS];
    let (what, n) = match how {
        Ended::Exited(code) => (&b" exited with status "[..], code),
        Ended::Signaled(signal) => (&b" was killed by signal "[..], signal),
    };
    log::line(&[who, what, num::u64_to_ascii(n as u64, &mut digits), then]);
}

/// The message posted for an invocation whose process died: `the handler's process was
/// killed by signal 11`.
pub fn crash_message(signal: i32, buf: &mut heapless::String<64>) -> &str {
    let mut digits = [0; num::U64_DIGITS];
    buf.clear();
    let _ = buf.push_str("the handler's process was killed by signal ");
    let _ = buf.push_str(core::str::from_utf8(num::u64_to_ascii(signal as u64, &mut digits)).unwrap_or("?"));
    buf.as_str()
}

/// Sleeps `ms` milliseconds (less than a second).
pub fn pause_ms(ms: u64) {
    let pause = rustix::time::Timespec { tv_sec: 0, tv_nsec: (ms * 1_000_000) as _ };
    let _ = rustix::thread::nanosleep(&pause);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_messages_name_the_signal() {
        let mut buf = heapless::String::new();
        assert_eq!(crash_message(11, &mut buf), "the handler's process was killed by signal 11");
    }

    #[test]
    fn a_child_reports_its_exit() {
        let pid = start(|| 7).unwrap();
        assert_eq!(wait(Some(pid)), Some((pid, Ended::Exited(7))));
    }
}
