//! SIGTERM and SIGINT as a request to stop, without a thread and without disturbing the
//! handler: the signal handler only records the request, wakes the one blocking wait the
//! runtime may be in, and passes the request on to the worker processes.
//!
//! While a handler runs, SIGTERM and SIGINT are blocked ([`hold_stop`], [`release_stop`]):
//! `SA_RESTART` restarts a `read` or a `write` that a signal handler interrupted, but never a
//! sleep, a `poll` or an `epoll_wait`, which fail with `EINTR`, so a handler that sleeps
//! would have been cut short. Blocked, the signal waits until the handler has returned; the
//! invocation ends as it would have, then the request to stop is seen. Programs a handler
//! starts must not inherit the block: exec mode's child undoes it ([`unblock_stop`]), as
//! Rust's `std::process::Command` does for any signal.
//!
//! The handler is installed with `SA_RESTART`, so the runtime's own reads and writes are not
//! interrupted by it. The waits that must end are woken another way: before blocking on a
//! socket (local mode's `accept`, the Runtime API's `GET /next`), the runtime names it with
//! [`wait_on`], and the signal handler shuts that socket down, which returns the blocked call
//! at once. Naming the socket, then checking [`stopping`], then blocking leaves no gap in
//! which a signal could be missed: either the check sees it or the shutdown wakes the call.
//!
//! As process 1 of a container a process gets no signal for which it has no handler, which is
//! why a bootstrap in a container ignored `docker stop` and Ctrl-C before this.

use core::ffi::c_int;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use super::log;

const SIGINT: c_int = 2;
const SIGALRM: c_int = 14;
const SIGTERM: c_int = 15;
const SA_RESTART: u64 = 0x1000_0000;
const SA_RESTORER: u64 = 0x0400_0000;
const SHUT_RDWR: c_int = 2;
#[cfg(target_arch = "x86_64")]
const SYS_RT_SIGACTION: i64 = 13;
#[cfg(target_arch = "aarch64")]
const SYS_RT_SIGACTION: i64 = 134;
#[cfg(target_arch = "x86_64")]
const SYS_RT_SIGPROCMASK: i64 = 14;
#[cfg(target_arch = "aarch64")]
const SYS_RT_SIGPROCMASK: i64 = 135;
const SIG_BLOCK: c_int = 0;
const SIG_UNBLOCK: c_int = 1;
/// SIGTERM and SIGINT as a kernel signal set: bit `n - 1` for signal `n`.
const STOP_SIGNALS: u64 = 1 << (SIGTERM - 1) | 1 << (SIGINT - 1);

/// The kernel's `struct sigaction` (the generic layout, x86_64's and aarch64's). The system
/// call, not musl's `sigaction`, which also manages signal masks for threads and costs 650
/// bytes.
#[repr(C)]
struct SigAction {
    handler: extern "C" fn(c_int),
    flags: u64,
    restorer: unsafe extern "C" fn(),
    mask: u64,
}

#[repr(C)]
struct ItimerVal {
    interval: [i64; 2],
    value: [i64; 2],
}

unsafe extern "C" {
    fn syscall(number: i64, ...) -> i64;
    /// musl's `rt_sigreturn` trampoline, which the kernel returns through from a handler.
    #[cfg(target_env = "musl")]
    fn __restore_rt();
    fn setitimer(which: c_int, new: *const ItimerVal, old: *mut ItimerVal) -> c_int;
    fn shutdown(fd: c_int, how: c_int) -> c_int;
    fn kill(pid: c_int, signal: c_int) -> c_int;
}

/// The most processes a stop request is passed on to (`runtime::workers::MAX_WORKERS`).
pub const MAX_CHILDREN: usize = 64;

/// Whether [`catch_stop`] has run: only then are the signals held back during a handler.
static CAUGHT: AtomicBool = AtomicBool::new(false);
/// The signal that asked us to stop, or 0.
static STOP: AtomicI32 = AtomicI32::new(0);
/// The socket the runtime is blocked on, or -1.
static WAITING: AtomicI32 = AtomicI32::new(-1);
/// The worker processes to pass a stop request on to (0: none).
static CHILDREN: [AtomicI32; MAX_CHILDREN] = [const { AtomicI32::new(0) }; MAX_CHILDREN];

extern "C" fn on_stop(signal: c_int) {
    STOP.store(signal, Ordering::SeqCst);
    let fd = WAITING.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: a plain system call (async-signal-safe); a descriptor closed meanwhile fails
        // with EBADF, which is harmless.
        unsafe { shutdown(fd, SHUT_RDWR) };
    }
    for child in &CHILDREN {
        let pid = child.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: a plain system call (async-signal-safe) on a pid of ours.
            unsafe { kill(pid, SIGTERM) };
        }
    }
}

#[cfg(target_env = "musl")]
fn install(signal: c_int, handler: extern "C" fn(c_int)) {
    let action = SigAction {
        handler,
        flags: SA_RESTART | SA_RESTORER,
        restorer: __restore_rt,
        mask: 0,
    };
    // SAFETY: `action` is a valid kernel `struct sigaction` (8 bytes of mask), with musl's
    // sigreturn trampoline; the handlers only touch atomics and make async-signal-safe calls.
    unsafe {
        syscall(
            SYS_RT_SIGACTION,
            signal,
            &action as *const SigAction,
            core::ptr::null_mut::<SigAction>(),
            8usize,
        )
    };
}

/// glibc's `struct sigaction` (x86_64's and aarch64's): a 1024-bit mask, then the flags.
#[cfg(not(target_env = "musl"))]
#[repr(C)]
struct LibcSigAction {
    handler: extern "C" fn(c_int),
    mask: [u64; 16],
    flags: c_int,
    restorer: usize,
}

/// With glibc (the `*-linux-gnu` targets cargo-lambda builds for), its `sigaction`: glibc
/// exports no sigreturn trampoline to hand the kernel, and its `sigaction` supplies its own.
#[cfg(not(target_env = "musl"))]
fn install(signal: c_int, handler: extern "C" fn(c_int)) {
    unsafe extern "C" {
        fn sigaction(signal: c_int, new: *const LibcSigAction, old: *mut LibcSigAction) -> c_int;
    }
    let action = LibcSigAction {
        handler,
        mask: [0; 16],
        flags: SA_RESTART as c_int,
        restorer: 0,
    };
    // SAFETY: `action` is a valid glibc `struct sigaction`; the handlers only touch atomics
    // and make async-signal-safe calls.
    unsafe { sigaction(signal, &action, core::ptr::null_mut()) };
}

/// From now SIGTERM and SIGINT ask the process (and its workers) to stop. Inherited by forked
/// children; reset to the default by `exec`, so programs a handler runs are unaffected.
pub fn catch_stop() {
    CAUGHT.store(true, Ordering::SeqCst);
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);
}

/// Blocks (`SIG_BLOCK`) or unblocks (`SIG_UNBLOCK`) SIGTERM and SIGINT for this thread.
fn mask_stop(how: c_int) {
    let set = STOP_SIGNALS;
    // SAFETY: `set` is a valid 8-byte kernel signal set; the old mask is not wanted.
    unsafe {
        syscall(
            SYS_RT_SIGPROCMASK,
            how,
            &set as *const u64,
            core::ptr::null_mut::<u64>(),
            8usize,
        )
    };
}

/// Before a handler runs: a stop request from now on waits until [`release_stop`], so that
/// none of the handler's system calls fails with `EINTR`. Nothing where nothing is caught.
pub fn hold_stop() {
    if CAUGHT.load(Ordering::Relaxed) {
        mask_stop(SIG_BLOCK);
    }
}

/// After the handler has returned: a stop request that came meanwhile is handled now (the
/// kernel delivers it as this returns).
pub fn release_stop() {
    if CAUGHT.load(Ordering::Relaxed) {
        mask_stop(SIG_UNBLOCK);
    }
}

/// In a child about to `exec` a program: SIGTERM and SIGINT no longer blocked, as the program
/// expects. (Reset their actions to the default first: no handler of ours may run there.)
pub fn unblock_stop() {
    mask_stop(SIG_UNBLOCK);
}

/// Whether a SIGTERM or SIGINT has asked us to stop.
pub fn stopping() -> bool {
    STOP.load(Ordering::SeqCst) != 0
}

/// Names the socket the runtime is about to block on (`-1`: none any more); a stop request
/// shuts it down. Check [`stopping`] after naming it and before blocking.
pub fn wait_on(fd: c_int) {
    WAITING.store(fd, Ordering::SeqCst);
}

/// Passes stop requests on to `pid` too, in slot `slot` (0 clears the slot).
pub fn forward_to(slot: usize, pid: c_int) {
    if let Some(child) = CHILDREN.get(slot) {
        child.store(pid, Ordering::SeqCst);
        if pid > 0 && stopping() {
            // Asked to stop while it was being started.
            // SAFETY: a plain system call on a pid of ours.
            unsafe { kill(pid, SIGTERM) };
        }
    }
}

/// Forgets the processes stop requests were passed on to: a forked child's copy of its
/// parent's list names its siblings, not its own children.
pub fn forget_children() {
    for child in &CHILDREN {
        child.store(0, Ordering::SeqCst);
    }
}

extern "C" fn on_deadline(_: c_int) {
    log::text(b"the shutdown hook ran out of time; exiting");
    super::exit(1);
}

/// Ends the process with status 1 and a log line if it still runs `ms` milliseconds from
/// now: a shutdown hook that hangs is cut off before the platform's SIGKILL.
pub fn exit_after_ms(ms: i64) {
    const ITIMER_REAL: c_int = 0;
    install(SIGALRM, on_deadline);
    let timer = ItimerVal {
        interval: [0, 0],
        value: [ms / 1000, ms % 1000 * 1000],
    };
    // SAFETY: `timer` is a valid `struct itimerval`; the old value is not wanted.
    unsafe { setitimer(ITIMER_REAL, &timer, core::ptr::null_mut()) };
}
