//! Process-level services over musl and raw system calls: the process's arguments and exit,
//! the environment, clocks, descriptors, standard streams, the log, forking and waiting, and
//! the statics that hold the runtime's buffers. Everything above asks the system through here.

pub mod clock;
pub mod env;
pub mod fd;
#[cfg(feature = "alloc")]
pub mod heap;
pub mod log;
pub mod process;
pub mod signal;
pub mod static_buf;
pub mod std_fds;
pub mod stdio;

use core::ffi::{CStr, c_char, c_int};
use core::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

pub use rustix::io::{Errno, retry_on_intr};

unsafe extern "C" {
    fn _exit(status: c_int) -> !;
    fn __errno_location() -> *mut c_int;
}

/// Ends the process at once, without running anything else (there is nothing to flush).
pub fn exit(status: i32) -> ! {
    // SAFETY: _exit is always safe to call.
    unsafe { _exit(status) }
}

/// The calling thread's `errno`, for the few libc calls the runtime makes (`_Fork`, `clone`).
pub fn errno() -> Errno {
    // SAFETY: musl's errno location is always valid for the calling thread.
    Errno::from_raw_os_error(unsafe { *__errno_location() })
}

static ARGC: AtomicI32 = AtomicI32::new(0);
static ARGV: AtomicPtr<*const c_char> = AtomicPtr::new(core::ptr::null_mut());

/// Records the process's arguments, as the C runtime passed them to `main`.
///
/// # Safety
/// `argv` must be the `argc` C strings that the C runtime passed to `main`.
pub unsafe fn set_args(argc: c_int, argv: *const *const c_char) {
    ARGC.store(argc, Ordering::Relaxed);
    ARGV.store(argv.cast_mut(), Ordering::Relaxed);
}

/// The process's argument `i` (0 is the program), for handlers that take their own arguments
/// (as an image's `CMD`), or `None` past the last.
pub fn arg(i: usize) -> Option<&'static CStr> {
    let argc = usize::try_from(ARGC.load(Ordering::Relaxed)).unwrap_or(0);
    let argv = ARGV.load(Ordering::Relaxed);
    // SAFETY: `set_args` stored the C runtime's argv, whose `argc` strings live as long as the
    // process and are never written by the runtime.
    (i < argc && !argv.is_null()).then(|| unsafe { CStr::from_ptr(*argv.add(i)) })
}

/// Sleeps `ms` milliseconds; an interrupted sleep ends early.
pub fn sleep_ms(ms: u64) {
    let pause = rustix::time::Timespec {
        tv_sec: (ms / 1000) as _,
        tv_nsec: ((ms % 1000) * 1_000_000) as _,
    };
    let _ = rustix::thread::nanosleep(&pause);
}
