//! A file descriptor we own, closed on drop.
//!
//! Not rustix's `OwnedFd`: building one asserts the descriptor is not -1 with `assert_ne!`,
//! which links core's whole formatting machinery (1.6 KB, 4% of the size budget). The
//! descriptors are made with libc calls (`socket`, `pipe2`, `clone`'s pidfd) and owned here.

use rustix::fd::{AsFd, BorrowedFd, RawFd};

/// An owned descriptor, closed when dropped.
#[derive(Debug)]
pub struct Fd(RawFd);

impl Fd {
    /// Takes ownership of `fd`.
    ///
    /// # Safety
    /// `fd` must be an open descriptor that nothing else owns or closes.
    pub unsafe fn from_raw(fd: RawFd) -> Fd {
        Fd(fd)
    }

    /// The descriptor, for calls that take a number (the child's `dup2`s, the panic path).
    pub fn raw(&self) -> RawFd {
        self.0
    }
}

impl AsFd for Fd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor is open for as long as `self` exists (closed only in `drop`).
        unsafe { BorrowedFd::borrow_raw(self.0) }
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor, and nothing can use it after `drop`.
        unsafe { rustix::io::close(self.0) }
    }
}
