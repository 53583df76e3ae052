//! Reading the clocks: Unix time for deadlines, monotonic time for durations and waits.

use core::ffi::c_int;

use rustix::time::Timespec;

/// A clock to read with [`now_ms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Unix time, as deadlines are given.
    Realtime = 0,
    /// Time that only moves forward, for measuring and waiting.
    Monotonic = 1,
}

unsafe extern "C" {
    fn syscall(number: core::ffi::c_long, ...) -> core::ffi::c_long;
}

#[cfg(target_arch = "x86_64")]
const SYS_CLOCK_GETTIME: core::ffi::c_long = 228;
#[cfg(target_arch = "aarch64")]
const SYS_CLOCK_GETTIME: core::ffi::c_long = 113;

/// The clock's time in milliseconds.
pub fn now_ms(clock: Clock) -> i64 {
    now_us(clock) / 1000
}

/// The clock's time in microseconds. A plain system call: musl's `clock_gettime` would link
/// its vDSO lookup (650 bytes) to save a fraction of a microsecond on a call made a few
/// times per invocation, and rustix's asserts with `assert_eq!`, which links `core::fmt`.
pub fn now_us(clock: Clock) -> i64 {
    let mut now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one `struct timespec` (two 64-bit fields on Linux) at `now`.
    unsafe { syscall(SYS_CLOCK_GETTIME, clock as c_int, &mut now as *mut Timespec) };
    now.tv_sec
        .saturating_mul(1_000_000)
        .saturating_add(now.tv_nsec / 1000)
}
