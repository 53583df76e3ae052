//! Processes forked from the initialised runtime: Managed Instances' concurrent workers, and
//! the opt-in per-invocation isolation.
//!
//! Both rely on `fork` copying the process as it is after init: the handler's state, the
//! runtime's static buffers (copy-on-write, so each process gets its own as it writes them)
//! and no open connection (the first one is made by the first `/next`). No thread exists to
//! make `fork` unsafe.

use core::ffi::c_int;

use rustix::process::{self, Pid};

use crate::sys::process::{Ended, start, wait};
use crate::sys::{self, signal};

use crate::{codec::num, sys::log};

/// The most workers we start: Managed Instances' documented maximum concurrency is 64.
pub const MAX_WORKERS: usize = 64;

/// The exit status that means "the runtime must exit" (a 5xx, or an API that is gone), as
/// opposed to a worker that died of a crash or a panic, which is replaced.
pub const MUST_EXIT: c_int = 1;

/// Managed Instances: `count` workers, each running `work` (the whole loop, on a connection
/// of its own). A worker that dies of a crash or a panic (whose invocation was already
/// answered) is replaced; one that ends with [`MUST_EXIT`] (or 0) ends the supervisor, since
/// the Runtime API asked the runtime to exit, and with it the other workers (each asked the
/// kernel to kill it when its parent dies).
///
/// A SIGTERM or SIGINT (see `sys::signal`) is passed on to every worker; once all have ended
/// the supervisor returns 0, replacing none of them meanwhile.
/// `work` is a trait object: the loop is one function, not one per caller.
pub fn supervise(count: usize, work: &mut dyn FnMut() -> c_int) -> c_int {
    // Our workers' pids: as process 1 of a container, we also reap orphans reparented to us
    // (a local-mode watchdog, a handler's stray child), which are none of our business.
    let mut workers = [0; MAX_WORKERS];
    for (i, slot) in workers.iter_mut().take(count).enumerate() {
        if !fill(i, slot, work) {
            return MUST_EXIT;
        }
    }
    loop {
        let Some((pid, how)) = wait(None) else {
            return MUST_EXIT;
        };
        let Some((i, slot)) = workers
            .iter_mut()
            .enumerate()
            .find(|(_, w)| **w == pid.as_raw_nonzero().get())
        else {
            continue;
        };
        if signal::stopping() {
            *slot = 0;
            signal::forward_to(i, 0);
            if workers.iter().all(|&w| w == 0) {
                return 0;
            }
            continue;
        }
        if matches!(how, Ended::Exited(0 | MUST_EXIT)) {
            return MUST_EXIT;
        }
        report(b"a worker", how, b"; starting another");
        // A worker that dies at once, every time, must not become a fork loop.
        sys::sleep_ms(10);
        if !fill(i, slot, work) {
            return MUST_EXIT;
        }
    }
}

/// Starts worker `i` into `slot`, to which signals are then forwarded; false, having said
/// so, when it cannot be forked. Inlined: a call of its own costs 24 bytes more.
#[inline(always)]
fn fill(i: usize, slot: &mut c_int, work: &mut dyn FnMut() -> c_int) -> bool {
    match start_worker(work) {
        Ok(pid) => {
            *slot = pid.as_raw_nonzero().get();
            signal::forward_to(i, *slot);
            true
        }
        Err(_) => {
            log::text(b"cannot fork a worker; exiting");
            false
        }
    }
}

/// A worker: killed by the kernel if the supervisor dies, so none outlives it. (Local mode's
/// front is started this way too.)
pub fn start_worker(work: &mut dyn FnMut() -> c_int) -> Result<Pid, rustix::io::Errno> {
    const PR_SET_PDEATHSIG: c_int = 1;
    const SIGKILL: usize = 9;
    unsafe extern "C" {
        fn prctl(option: c_int, ...) -> c_int;
    }
    let supervisor = process::getpid();
    start(|| {
        // SAFETY: sets this process's parent-death signal; no memory is involved.
        unsafe { prctl(PR_SET_PDEATHSIG, SIGKILL) };
        signal::forget_children();
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
    let _ = buf.push_str(
        core::str::from_utf8(num::u64_to_ascii(signal as u64, &mut digits)).unwrap_or("?"),
    );
    buf.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_messages_name_the_signal() {
        let mut buf = heapless::String::new();
        assert_eq!(
            crash_message(11, &mut buf),
            "the handler's process was killed by signal 11"
        );
    }
}
