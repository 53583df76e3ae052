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

/// The calling thread's `errno`, for the libc calls the runtime makes (`_Fork`, `clone`,
/// `socket`, `pipe2`...); `EIO` if it is not an error number.
pub fn errno() -> Errno {
    // SAFETY: musl's errno location is always valid for the calling thread.
    errno_from(unsafe { *__errno_location() })
}

/// rustix's `Errno` for the positive error number `raw` (`EIO` for what is not one).
///
/// Not `Errno::from_raw_os_error`: its `assert!` that the number is in range is the last panic
/// path in the default bootstrap, and keeps the panic handler and core's formatting linked
/// (1.2 KB); no range check before the call lets the compiler drop it.
fn errno_from(raw: i32) -> Errno {
    const EIO: i32 = 5;
    let raw = if (1..4096).contains(&raw) { raw } else { EIO };
    // rustix's Linux `Errno` is `#[repr(transparent)]` over the negated number as a `u16`,
    // valid from 0xf001 (-4095) up; the test below checks every number against
    // `from_raw_os_error`, and the size check stops the build should that change.
    const _: () = assert!(size_of::<Errno>() == size_of::<u16>());
    // SAFETY: `raw` is 1 to 4095, so its negation as a `u16` is 0xf001 to 0xffff: the value
    // `Errno::from_raw_os_error(raw)` holds.
    unsafe { core::mem::transmute::<u16, Errno>((raw as u16).wrapping_neg()) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_number_is_rustixs_own_and_others_are_eio() {
        for raw in 1..4096 {
            assert_eq!(errno_from(raw), Errno::from_raw_os_error(raw), "{raw}");
        }
        for raw in [0, -1, 4096, i32::MAX, i32::MIN] {
            assert_eq!(errno_from(raw), Errno::IO, "{raw}");
        }
    }
}
