//! Child processes: forking the initialised runtime and learning how a child ended.
//!
//! `fork` copies the process as it is after init: the handler's state, the runtime's static
//! buffers (copy-on-write) and its descriptors. No thread exists to make that unsafe.

use core::ffi::c_int;

use rustix::io::retry_on_intr;
use rustix::process::{self, Pid, WaitOptions, WaitStatus};

unsafe extern "C" {
    /// musl's `fork` without the `pthread_atfork` handlers: `fork` itself takes the
    /// allocator's locks around the fork and so would link musl's allocator (5.6 KB of a
    /// 40 KB budget), which the runtime never uses. Unlike a raw `clone` syscall, `_Fork`
    /// updates the child's thread id in musl's state, which `raise` and `abort` rely on.
    #[cfg(target_env = "musl")]
    fn _Fork() -> c_int;
    /// With glibc (the `*-linux-gnu` targets cargo-lambda builds for), `fork`: its `_Fork`
    /// is only in glibc 2.34 and later, and the allocator it would link is glibc's shared one.
    #[cfg(not(target_env = "musl"))]
    #[link_name = "fork"]
    fn _Fork() -> c_int;
    /// Not in rustix; one call, whose `struct rusage` is 18 longs on 64-bit Linux.
    fn getrusage(who: c_int, usage: *mut [i64; 18]) -> c_int;
}

/// How a child process ended, from the parent's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It called `exit` with this status.
    Exited(i32),
    /// A signal, this one, killed it.
    Signaled(i32),
}

/// Runs `work` in a child process and returns its pid (or the errno of a failed fork). The
/// child ends with `work`'s return value as its exit status and never returns.
pub fn start(work: impl FnOnce() -> c_int) -> Result<Pid, rustix::io::Errno> {
    match fork()? {
        None => super::exit(work()),
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
        _ => Err(super::errno()),
    }
}

/// Waits for `pid` (or, with `None`, any child) to end.
pub fn wait(pid: Option<Pid>) -> Option<(Pid, Ended)> {
    match retry_on_intr(|| process::waitpid(pid, WaitOptions::empty())) {
        Ok(Some((pid, status))) => ended(status).map(|e| (pid, e)),
        _ => None,
    }
}

fn ended(status: WaitStatus) -> Option<Ended> {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => Some(Ended::Exited(code)),
        (_, Some(signal)) => Some(Ended::Signaled(signal)),
        _ => None,
    }
}

/// The most memory resident at once (kB) in this process or any child it has waited for:
/// Lambda's `Max Memory Used`, as near as one process can tell. As the kernel counts it:
/// since Linux 6.2 the count is per CPU and read without the CPUs' latest changes, so a
/// process of a few MB may read as less, even 0.
pub fn peak_memory_kb() -> u64 {
    // RUSAGE_SELF, RUSAGE_CHILDREN; `ru_maxrss` follows the two `timeval`s.
    [0, -1].into_iter().fold(0, |peak, who| {
        let mut usage = [0i64; 18];
        // SAFETY: `usage` is the size of Linux's `struct rusage` on 64-bit targets.
        unsafe { getrusage(who, &mut usage) };
        peak.max(usage[4] as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_reports_its_exit() {
        let pid = start(|| 7).unwrap();
        assert_eq!(wait(Some(pid)), Some((pid, Ended::Exited(7))));
    }

    #[test]
    fn the_peak_memory_grows_with_what_a_child_touched() {
        let before = peak_memory_kb();
        // A child that makes 32 MB more than that resident: the parent's peak includes it
        // once reaped. The parent allocates (untouched, so not resident) and the child only
        // writes: the test process has other threads, and a child that called the allocator
        // after `_Fork` could wait for ever on a lock one of them held at the fork.
        let touched = before as usize * 1024 + (32 << 20);
        let mut big = Vec::<u8>::with_capacity(touched);
        let pid = start(|| {
            let pages = big.spare_capacity_mut();
            for page in pages.chunks_mut(4096) {
                page[0].write(1);
            }
            core::hint::black_box(&big);
            0
        })
        .unwrap();
        assert_eq!(wait(Some(pid)), Some((pid, Ended::Exited(0))));
        let after = peak_memory_kb();
        assert!(
            after >= touched as u64 / 1024,
            "{before} kB, then {after} kB"
        );
    }
}
