//! Standard descriptors 0, 1 and 2, made sure to be open before anything else opens one.
//!
//! A process started with one of them closed (`2>&-`, a supervisor that closes them) gets
//! that number back from its first `socket`. With stderr closed, log lines would then be
//! written into the Runtime API connection (a request a strict server refuses); in local
//! mode, into a caller's answer. So, as Rust's std does at start-up, a closed one is opened
//! on `/dev/null`. Where there is no `/dev/null` (a bare chroot: a `FROM scratch` image has
//! none of its own, though container runtimes mount one), it is opened on `/` with
//! `O_PATH`, which holds the number and fails reads and writes with `EBADF`, as the closed
//! descriptor did.

use core::ffi::{c_char, c_int};

unsafe extern "C" {
    fn openat(dir: c_int, path: *const c_char, flags: c_int, ...) -> c_int;
}

const AT_FDCWD: c_int = -100;
const O_RDWR: c_int = 2;
/// The same on x86_64 and aarch64 (`O_DIRECTORY` is not, so it is left out).
const O_PATH: c_int = 0o10000000;

/// Opens whichever of 0, 1 and 2 is closed. Returns false if one could not be opened at
/// all; the caller must not go on, as any socket could land there.
pub fn open_closed() -> bool {
    // `open` takes the lowest free number: while that is 0, 1 or 2, it fills a closed one
    // (so there are at most four rounds). One over 2 means all three are open: it is closed again.
    // Two system calls when nothing was closed, against three `fcntl(F_GETFD)`, and smaller.
    loop {
        // SAFETY: NUL-terminated paths; a descriptor under 3 is meant to stay open for good.
        let opened = unsafe {
            let null = openat(AT_FDCWD, c"/dev/null".as_ptr(), O_RDWR);
            if null < 0 {
                openat(AT_FDCWD, c"/".as_ptr(), O_PATH)
            } else {
                null
            }
        };
        if opened < 0 {
            return false;
        }
        if opened > 2 {
            // SAFETY: just opened, and not used anywhere else.
            unsafe { rustix::io::close(opened) };
            return true;
        }
    }
}
