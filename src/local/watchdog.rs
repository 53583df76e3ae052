//! Local mode's timeout: a watchdog process per invocation, forked just before the handler
//! runs, that kills the server process at `AWS_LAMBDA_FUNCTION_TIMEOUT` and tells the caller
//! `Task timed out after N.00 seconds`; the supervisor then starts a fresh server from the
//! state init left, as Lambda starts a fresh sandbox.
//!
//! A process, not a timer: a handler stuck in a loop or a system call, or one that blocks
//! signals, cannot stop it. It shares the caller's connection (inherited by the fork), so it
//! can answer once the server is dead, and it also answers for a server that died without
//! answering (a crash, a panic, an `exit`), and writes the `REPORT` line the server could not.
//!
//! Who answers the caller is decided on a socket pair: the server sends [`ANSWERING`] before
//! it writes any byte of its answer (or [`RETURNED`], see below), and [`DONE`] when it has
//! finished. The watchdog answers only when the server is dead without [`DONE`]; it reads the
//! channel to its end after the kill, so a late [`ANSWERING`] is seen. If the server never
//! sent [`ANSWERING`], the watchdog answers the error whole; if it had started a stream, the
//! watchdog ends that stream with the error (the terminating chunk with the error trailers,
//! or `InvokeComplete`), as the server would have: a stream is written piece by piece as the
//! handler gives them, so a server that dies in the handler dies between pieces (one killed
//! while writing a piece, to a caller slower than the timeout, leaves that piece cut, and the
//! caller sees a broken stream). A whole
//! answer being written ([`RETURNED`]) is never followed by anything. Hence the caller never
//! gets two answers, or half of one followed by another.
//!
//! A panicking server sends [`PANIC`] and the panic's message before it exits (see
//! `runtime::panic`): the watchdog answers `Runtime.HandlerPanic` with it, as above; a crash
//! is `Runtime.ExitError`, a timeout `Sandbox.Timedout`.
//!
//! A whole answer (not a stream) is written after the handler has returned: the server sends
//! [`RETURNED`] first. From then on the function's timeout no longer applies, since the
//! function is done and only the caller can still be slow: the watchdog gives the answer the
//! caller timeout to leave, and then shuts the caller's connection down, which fails the
//! server's write at once. The server logs that, and goes on warm; nothing is killed.

use core::ffi::c_int;

use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::{self, Pid, Signal};
use rustix::time::Timespec;

use super::answer::Caller;
use super::tail::{self, Capture};

use crate::api::net::{self, Socket};
use crate::contract::error_type;
use crate::sys::clock::{Clock, now_ms};
use crate::{codec::num, sys::log};

/// Sent by the server before the first byte of its answer.
const ANSWERING: u8 = b'A';
/// Sent by the server when its answer is complete.
const DONE: u8 = b'D';
/// Sent by a panicking server, followed by the panic's message to the channel's end.
const PANIC: u8 = crate::runtime::panic::WITNESS_MARK;
/// Sent by the server before it writes a whole answer: the handler has returned.
const RETURNED: u8 = b'R';
/// How long a killed server may take to be gone (its end of the channel closed).
const DEATH_WAIT_MS: i64 = 1000;

/// The watchdog of the invocation in progress, from the server's side.
pub struct Watchdog {
    pid: Pid,
    channel: Socket,
}

impl Watchdog {
    /// Forks the watchdog of `caller`'s invocation, which kills this process if the
    /// invocation lasts more than `timeout_s` seconds, and cuts the caller off if a whole
    /// answer takes more than `answer_s` seconds to leave.
    pub fn start(
        caller: &Caller,
        timeout_s: u64,
        answer_s: u64,
    ) -> Result<Watchdog, rustix::io::Errno> {
        let (ours, theirs) = net::socket_pair()?;
        let server = process::getpid();
        let ours_raw = ours.raw();
        let pid = crate::sys::process::start(|| {
            // Our end must be open in the server only, so that its death ends the channel.
            // SAFETY: this is the child's copy of the descriptor, owned by the parent's `ours`,
            // whose drop never runs here (the child exits from `start`).
            unsafe { rustix::io::close(ours_raw) };
            let status = watch(caller, &theirs, server, timeout_s, answer_s);
            // What the log holds after the server's last request for the tail.
            if let Some(log) = &caller.log {
                log.release();
            }
            status
        })?;
        crate::runtime::panic::set_witness(ours_raw);
        Ok(Watchdog { pid, channel: ours })
    }

    /// The channel's descriptor, on which the server asks for the log's tail (see `tail`).
    pub fn channel(&self) -> rustix::fd::RawFd {
        self.channel.raw()
    }

    /// The server is about to write its answer.
    pub fn answering(&self) {
        let _ = net::send_all(&self.channel, &[&[ANSWERING]]);
    }

    /// The handler has returned, and the server is about to write its whole answer.
    pub fn returned(&self) {
        let _ = net::send_all(&self.channel, &[&[RETURNED]]);
    }

    /// The answer is complete: the watchdog ends, and is reaped.
    pub fn finish(self) {
        crate::runtime::panic::set_witness(-1);
        let _ = net::send_all(&self.channel, &[&[DONE]]);
        drop(self.channel);
        crate::sys::process::wait(Some(self.pid));
    }
}

/// What the watchdog has heard from the server.
#[derive(Default)]
struct Heard {
    answering: bool,
    returned: bool,
    done: bool,
    /// A panic's message follows [`PANIC`].
    panicked: bool,
    /// The server asked for the log's tail ([`tail::ASK`]) and waits for it.
    asked: bool,
    message: heapless::Vec<u8, 1024>,
}

impl Heard {
    /// Takes in `bytes` from the channel.
    fn take(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if self.panicked {
                let _ = self.message.push(byte); // what fits: messages are cut to 1 KiB
            } else {
                self.answering |= byte == ANSWERING || byte == RETURNED;
                self.returned |= byte == RETURNED;
                self.done |= byte == DONE;
                self.asked |= byte == tail::ASK;
                self.panicked = byte == PANIC;
            }
        }
    }
}

/// The watchdog's life: wait for [`DONE`], the server's death, or the deadline.
fn watch(caller: &Caller, channel: &Socket, server: Pid, timeout_s: u64, answer_s: u64) -> c_int {
    let mut heard = Heard::default();
    let mut deadline =
        now_ms(Clock::Monotonic).saturating_add(timeout_s.saturating_mul(1000) as i64);
    let ended = loop {
        let returned = heard.returned;
        let ended = listen(channel, deadline, &mut heard, caller.log.as_ref());
        if ended || returned == heard.returned {
            break ended;
        }
        // The handler returned in time: from now on only the caller can be slow.
        deadline = now_ms(Clock::Monotonic).saturating_add(answer_s.saturating_mul(1000) as i64);
    };
    if !ended && heard.returned {
        // The caller is not taking its answer: cut it off, which fails the server's write at
        // once; the server logs that and goes on, warm.
        if let Some(socket) = &caller.socket {
            let _ = rustix::net::shutdown(socket, rustix::net::Shutdown::Both);
        }
        // Until it is done, its lines may still go through the log's pipe, which only this
        // process reads (see `tail`).
        let until = now_ms(Clock::Monotonic).saturating_add(DEATH_WAIT_MS);
        listen(channel, until, &mut heard, caller.log.as_ref());
        return 0;
    }
    if ended {
        if heard.done {
            return 0;
        }
        take_over(caller);
        // A whole answer being written is left as it is (cut, if it was); a stream started is
        // ended with the error, as the server would have ended it.
        let started = heard.answering;
        let error_type = if heard.panicked {
            let error_type = error_type::HANDLER_PANIC.as_bytes();
            if !heard.returned {
                caller.send_error(error_type, &[&heard.message], started);
            }
            error_type
        } else {
            log::line(&[
                b"request ",
                &caller.request_id,
                b": the function's process ended without answering",
            ]);
            let error_type = error_type::EXIT_ERROR.as_bytes();
            if !heard.returned {
                let message = b"Runtime exited without answering; see the log";
                lambda_error(caller, error_type, &[message], started);
            }
            error_type
        };
        end(caller, error_type);
        return 0;
    }
    let _ = process::kill_process(server, Signal::KILL);
    // Everything it sent is in the channel once it is dead.
    listen(
        channel,
        now_ms(Clock::Monotonic) + DEATH_WAIT_MS,
        &mut heard,
        caller.log.as_ref(),
    );
    if heard.done {
        return 0; // it finished as the time ran out
    }
    take_over(caller);
    let mut digits = [0; num::U64_DIGITS];
    let seconds = num::u64_to_ascii(timeout_s, &mut digits);
    log::line(&[
        b"request ",
        &caller.request_id,
        b": timed out after ",
        seconds,
        b" s; the function's process was killed",
    ]);
    let error_type = error_type::TIMED_OUT.as_bytes();
    // A stream started is ended with the error (the function's timeout no longer applies
    // once a whole answer is being written: see `RETURNED`).
    if !heard.returned {
        lambda_error(
            caller,
            error_type,
            &[b"Task timed out after ", seconds, b".00 seconds"],
            heard.answering,
        );
    }
    end(caller, error_type);
    0
}

/// Answers an error of Lambda's own, worded as Lambda does: `RequestId: ... Error: {message}`.
/// `started`: the answer is a stream already started, which this ends.
fn lambda_error(caller: &Caller, error_type: &[u8], message: &[&[u8]], started: bool) {
    let mut parts: [&[u8]; 6] = [
        b"RequestId: ",
        &caller.request_id,
        b" Error: ",
        b"",
        b"",
        b"",
    ];
    for (slot, part) in parts[3..].iter_mut().zip(message) {
        *slot = part;
    }
    caller.send_error(error_type, &parts, started);
}

/// The server is dead: the watchdog answers for it, and writes its lines (see
/// [`Capture::take_over`]).
fn take_over(caller: &Caller) {
    if let Some(log) = &caller.log {
        log.take_over();
    }
}

/// What the server would have done after answering: pass the captured log on, and report.
fn end(caller: &Caller, error_type: &[u8]) {
    if let Some(log) = &caller.log {
        log.release();
    }
    super::report::report(caller, Some(error_type));
}

/// Reads the channel until [`DONE`] or its end (`true`), or until the monotonic time
/// `until_ms` or the first [`RETURNED`] (`false`); meanwhile copies the invocation's `log`, if
/// it is captured, and answers the server's requests for its tail.
fn listen(channel: &Socket, until_ms: i64, heard: &mut Heard, log: Option<&Capture>) -> bool {
    let returned = heard.returned;
    loop {
        let left = until_ms - now_ms(Clock::Monotonic);
        if left <= 0 {
            return false;
        }
        let wait = Timespec {
            tv_sec: (left / 1000) as _,
            tv_nsec: ((left % 1000) * 1_000_000) as _,
        };
        let heard_from = PollFd::new(channel, PollFlags::IN);
        // Without a log, the channel twice.
        let log_wait = log.and_then(Capture::next_wait);
        let log_wait = log_wait.unwrap_or(PollFd::new(channel, PollFlags::IN));
        let mut fds = [heard_from, log_wait];
        if poll(&mut fds, Some(&wait)).is_err() {
            continue; // a signal came: look at the clock
        }
        if let Some(log) = log
            && fds[1].revents().contains(PollFlags::IN)
        {
            log.copy(tail::CHUNK);
        }
        if fds[0].revents().is_empty() {
            continue; // the time is up, or only the log moved
        }
        let mut bytes = [0u8; 256];
        match net::recv(channel, &mut bytes) {
            Ok(0) | Err(_) => return true,
            Ok(n) => {
                heard.take(bytes.get(..n).unwrap_or_default());
                if let Some(log) = log
                    && core::mem::take(&mut heard.asked)
                {
                    log.answer(channel);
                }
                if heard.done || heard.returned != returned {
                    return heard.done;
                }
            }
        }
    }
}
