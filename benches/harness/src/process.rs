//! What the kernel knows about a runtime process: its CPU time, its peak resident memory.
use std::time::Duration;

/// CPU time (user + system) of process `pid`, all its threads (live and exited), plus the
/// children it has waited for (the bash runtime's curl, grep, ... processes).
///
/// The process's own time comes from its CPU clock (`clock_getcpuclockid`), exact to the
/// nanosecond; `/proc/PID/stat`'s utime and stime count 10 ms ticks, too coarse for a 20 µs
/// invocation. Waited-for children are only in `/proc/PID/stat` (cutime + cstime), in ticks:
/// fine for bash, whose invocations cost tens of milliseconds, and zero for the others.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let own = process_clock(pid)?;
    let children = children_cpu_ticks(pid)?;
    Some(own + Duration::from_nanos(children * 1_000_000_000 / clock_ticks_per_second()))
}

fn process_clock(pid: u32) -> Option<Duration> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: plain FFI calls with valid out-pointers.
    unsafe {
        if libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock) != 0 {
            return None;
        }
        let mut ts: libc::timespec = std::mem::zeroed();
        if libc::clock_gettime(clock, &mut ts) != 0 {
            return None;
        }
        Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }
}

/// cutime + cstime from `/proc/PID/stat`, in clock ticks.
fn children_cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let cutime: u64 = fields.get(16 - 3)?.parse().ok()?;
    let cstime: u64 = fields.get(17 - 3)?.parse().ok()?;
    Some(cutime + cstime)
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

/// CPU time of the calling thread: the fake Runtime API's own cost.
pub fn this_thread_cpu_time() -> Duration {
    // SAFETY: valid out-pointer.
    unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

/// `VmHWM` (peak resident set) of `pid` in KiB. Read from `/proc` while the process still
/// runs: `/usr/bin/time`'s figure carries the parent's peak across `execve`.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
