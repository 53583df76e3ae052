//! One run of the program, to its end: the event into its stdin, its stdout into the response
//! buffer, its stderr into the log (and the tail kept for errors), all non-blocking under one
//! `poll` with its exit and the deadline. Whatever happens, the program's process group is
//! killed and the program reaped before this returns.

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use rustix::process::{self, Pid, Signal, WaitId, WaitIdOptions, WaitOptions};
use rustix::time::Timespec;

use super::Tail;
use super::spawn::{Child, Fd};
use crate::abi::handler::Response;
use crate::sys::clock::{Clock, now_ms};
use crate::sys::log;

/// The program is killed this long before the invocation's deadline, so that the timeout
/// error reaches the Runtime API before Lambda's own timeout ends the sandbox.
const DEADLINE_MARGIN_MS: i64 = 20;
/// After the program exits, how long its output may stay open (held by a process that left
/// its group) before we stop reading it.
const EXIT_GRACE_MS: u64 = 500;
/// Without a pidfd (kernels before 5.2), how often to look whether the program has exited.
const EXIT_CHECK_MS: u64 = 10;

/// How much time the program has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// No deadline (a local call).
    Unlimited,
    /// The deadline (less the margin) has passed already.
    Expired,
    /// This many milliseconds are left.
    Ms(u64),
}

/// The time left before `deadline_ms` (Unix ms; 0 = none) less the margin, at `now_ms`.
pub fn budget(deadline_ms: i64, now_ms: i64) -> Budget {
    if deadline_ms <= 0 {
        return Budget::Unlimited;
    }
    match deadline_ms
        .saturating_sub(DEADLINE_MARGIN_MS)
        .saturating_sub(now_ms)
    {
        left if left <= 0 => Budget::Expired,
        left => Budget::Ms(left as u64),
    }
}

/// How the run ended.
#[derive(Debug, Clone, Copy)]
pub enum Ending {
    /// The program ended (its output was read to the end, or for `EXIT_GRACE_MS`).
    /// `event_untouched`: it had no argument and read not a byte of its stdin (see
    /// `Child::event_reader`), so it cannot have seen the event.
    Exited {
        /// How it ended.
        exit: Exit,
        /// It cannot have seen the event.
        event_untouched: bool,
    },
    /// Killed at the deadline.
    TimedOut,
    /// Killed for writing more than the response buffer holds.
    TooLarge,
    /// `poll` failed (it should not); the program was killed.
    Broken(Errno),
}

fn monotonic_ms() -> u64 {
    now_ms(Clock::Monotonic).max(0) as u64
}

/// Runs `child` to its end. `limit` is the monotonic time (ms) at which it is killed;
/// `chunk` is scratch space for stderr, which goes to our stderr and into `tail`.
pub fn supervise<const N: usize>(
    child: Child,
    event: &[u8],
    out: &mut Response<'_>,
    limit: Option<u64>,
    chunk: &mut [u8],
    tail: &mut Tail<N>,
) -> Ending {
    let Child {
        pid,
        mut pidfd,
        stdin,
        stdout,
        stderr,
        event_reader,
    } = child;
    // An empty event is written at once: by closing the pipe.
    let mut stdin = (!event.is_empty()).then_some(stdin);
    let mut stdout = Some(stdout);
    let mut stderr = Some(stderr);
    let mut written = 0;
    let mut status = None;
    let mut grace_until = u64::MAX;
    loop {
        if status.is_some() && stdout.is_none() && stderr.is_none() {
            break;
        }
        let now = monotonic_ms();
        let until = match status {
            None => limit.unwrap_or(u64::MAX),
            Some(_) => grace_until.min(limit.unwrap_or(u64::MAX)),
        };
        if now >= until {
            if status.is_some() {
                log::text(
                    b"exec: the program has exited but its stdout or stderr is still open \
                    (a process outside its group?); not waiting for it",
                );
                break;
            }
            stop(pid);
            drain(stderr.as_ref(), chunk, tail);
            return Ending::TimedOut;
        }
        let mut wait_ms = until - now;
        if status.is_none() && pidfd.is_none() {
            wait_ms = wait_ms.min(EXIT_CHECK_MS);
        }
        let ready = match wait(&stdin, &stdout, &stderr, &pidfd, wait_ms) {
            Ok(ready) => ready,
            Err(e) => {
                stop_unless_reaped(pid, status);
                return Ending::Broken(e);
            }
        };
        if ready[STDIN] {
            let mut done = false;
            if let Some(fd) = &stdin {
                match rustix::io::write(fd, &event[written..]) {
                    Ok(n) => written += n,
                    Err(Errno::AGAIN | Errno::INTR) => {}
                    // EPIPE: the program closed its stdin or exited; it will not read more.
                    Err(_) => done = true,
                }
            }
            if done || written == event.len() {
                stdin = None;
            }
        }
        if ready[STDOUT] {
            if let Some(fd) = &stdout {
                match read_response(fd, out) {
                    Ok(true) => {}
                    Ok(false) => stdout = None,
                    Err(TooLarge) => {
                        // Past its exit too: a process that left its group may fill stdout.
                        stop_unless_reaped(pid, status);
                        drain(stderr.as_ref(), chunk, tail);
                        return Ending::TooLarge;
                    }
                }
            }
        }
        if ready[STDERR] {
            if let Some(fd) = &stderr {
                if !copy_stderr(fd, chunk, tail) {
                    stderr = None;
                }
            }
        }
        if status.is_none() && (ready[EXIT] || pidfd.is_none()) && has_exited(pid) {
            // Kill what it left behind in its group, then reap it: while it is a zombie its
            // pid (the group's id) cannot be reused, so the kill cannot hit anyone else.
            status = Some(stop(pid));
            stdin = None;
            pidfd = None;
            grace_until = monotonic_ms().saturating_add(EXIT_GRACE_MS);
        }
    }
    // What is still in the pipe is what nobody read (the program and its group are gone).
    let event_untouched =
        event_reader.is_some_and(|fd| rustix::io::ioctl_fionread(&fd) == Ok(written as u64));
    match status {
        Some(exit) => Ending::Exited {
            exit,
            event_untouched,
        },
        None => Ending::Broken(Errno::CHILD), // unreachable: the loop ends with a status
    }
}

const STDIN: usize = 0;
const STDOUT: usize = 1;
const STDERR: usize = 2;
const EXIT: usize = 3;

/// Polls whichever of the four are still open for up to `wait_ms`; which are ready.
fn wait(
    stdin: &Option<Fd>,
    stdout: &Option<Fd>,
    stderr: &Option<Fd>,
    pidfd: &Option<Fd>,
    wait_ms: u64,
) -> Result<[bool; 4], Errno> {
    let mut fds = heapless::Vec::<PollFd<'_>, 4>::new();
    let mut slots = [0usize; 4];
    let wanted = [
        (stdin, PollFlags::OUT),
        (stdout, PollFlags::IN),
        (stderr, PollFlags::IN),
        (pidfd, PollFlags::IN),
    ];
    for (slot, (fd, flags)) in wanted.iter().enumerate() {
        if let Some(fd) = fd {
            slots[fds.len()] = slot;
            let _ = fds.push(PollFd::new(fd, *flags)); // fits: at most four
        }
    }
    let timeout = Timespec {
        tv_sec: (wait_ms / 1000) as _,
        tv_nsec: ((wait_ms % 1000) * 1_000_000) as _,
    };
    let mut ready = [false; 4];
    match poll(&mut fds, Some(&timeout)) {
        Ok(_) | Err(Errno::INTR) => {}
        Err(e) => return Err(e),
    }
    for (fd, &slot) in fds.iter().zip(&slots) {
        // Readable, writable, hung up or in error: the next read or write says which.
        ready[slot] = !fd.revents().is_empty();
    }
    Ok(ready)
}

struct TooLarge;

/// Reads what is there into the response; `Ok(false)` at end of file (or on an error, which
/// ends the stream too); `Err` when the program has written more than the buffer holds.
fn read_response(fd: &Fd, out: &mut Response<'_>) -> Result<bool, TooLarge> {
    let mut probe = [0u8; 1];
    let full = out.spare().is_empty();
    let buf = if full { &mut probe[..] } else { out.spare() };
    match rustix::io::read(fd, buf) {
        Ok(0) => Ok(false),
        Ok(_) if full => Err(TooLarge),
        Ok(n) => Ok(out.advance(n).is_ok()), // always Ok: read at most the spare room
        Err(Errno::AGAIN | Errno::INTR) => Ok(true),
        Err(_) => Ok(false),
    }
}

/// Copies what is there to our stderr (the function's log) and the tail; `false` at end of
/// file or on an error.
fn copy_stderr<const N: usize>(fd: &Fd, chunk: &mut [u8], tail: &mut Tail<N>) -> bool {
    match rustix::io::read(fd, &mut *chunk) {
        Ok(0) => false,
        Ok(n) => {
            let bytes = &chunk[..n];
            tail.push(bytes);
            write_log(bytes);
            true
        }
        Err(Errno::AGAIN | Errno::INTR) => true,
        Err(_) => false,
    }
}

/// The stderr still in the pipe after the program was killed (its writers are gone, so this
/// ends; the bound is for a writer that left the group).
fn drain<const N: usize>(stderr: Option<&Fd>, chunk: &mut [u8], tail: &mut Tail<N>) {
    let Some(fd) = stderr else { return };
    for _ in 0..64 {
        match rustix::io::read(fd, &mut *chunk) {
            Ok(n) if n > 0 => {
                tail.push(&chunk[..n]);
                write_log(&chunk[..n]);
            }
            _ => return,
        }
    }
}

fn write_log(mut bytes: &[u8]) {
    // SAFETY: fd 2 is open for the life of the process (see `spawn::prepare_process`).
    let log = unsafe { rustix::stdio::stderr() };
    while !bytes.is_empty() {
        match rustix::io::retry_on_intr(|| rustix::io::write(log, bytes)) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(_) => return,
        }
    }
}

/// Whether the program has exited, without reaping it.
fn has_exited(pid: Pid) -> bool {
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    matches!(
        process::waitid(WaitId::Pid(pid), options),
        Ok(Some(_)) | Err(Errno::CHILD)
    )
}

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this status.
    Status(i32),
    /// This signal killed it.
    Signal(i32),
    /// It could not be reaped (cannot happen: only we reap it).
    Unknown,
}

/// Kills the program's process group and reaps the program.
fn stop(pid: Pid) -> Exit {
    // ESRCH: nobody is left in the group (the program, even a zombie, counts as a member).
    let _ = process::kill_process_group(pid, Signal::KILL);
    match rustix::io::retry_on_intr(|| process::waitpid(Some(pid), WaitOptions::empty())) {
        Ok(Some((_, status))) => match (status.exit_status(), status.terminating_signal()) {
            (Some(code), _) => Exit::Status(code),
            (None, Some(signal)) => Exit::Signal(signal),
            (None, None) => Exit::Unknown,
        },
        _ => Exit::Unknown,
    }
}

/// [`stop`], unless the program has been reaped already (`status`): its pid, and so its group's
/// id, may belong to another process by now, which a second kill would hit.
fn stop_unless_reaped(pid: Pid, status: Option<Exit>) {
    if status.is_none() {
        stop(pid);
    }
}

/// Reaps any other child that has exited: when the bootstrap is process 1 (a container's
/// entry point), the orphans of killed groups are reparented to it.
pub fn reap_orphans() {
    while let Ok(Some(_)) = process::waitpid(None, WaitOptions::NOHANG) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_the_time_to_the_deadline_less_the_margin() {
        assert_eq!(budget(0, 1_000), Budget::Unlimited);
        assert_eq!(budget(-5, 1_000), Budget::Unlimited);
        assert_eq!(
            budget(10_000, 1_000),
            Budget::Ms(9_000 - DEADLINE_MARGIN_MS as u64)
        );
        assert_eq!(budget(1_000 + DEADLINE_MARGIN_MS + 1, 1_000), Budget::Ms(1));
        assert_eq!(budget(1_000 + DEADLINE_MARGIN_MS, 1_000), Budget::Expired);
        assert_eq!(budget(500, 1_000), Budget::Expired);
    }
}
