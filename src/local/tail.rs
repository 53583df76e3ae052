//! `X-Amz-Log-Type: Tail`: the answer carries the last 4 KB of the invocation's log, base64,
//! as Lambda's `X-Amz-Log-Result` (or `InvokeComplete`'s `LogResult`).
//!
//! For such an invocation, and only then, the process's stderr (fd 2) is a pipe from just
//! before the watchdog is forked until the answer is complete: everything written to the log
//! meanwhile goes through it, the runtime's lines and the handler's own (Rust, C, and the
//! programs it starts). The watchdog reads the pipe as it fills, copies it to the real
//! stderr and keeps its last 4 KB in a ring: whatever the handler logs, the log takes the
//! pipe's 64 KB and the ring, and it reaches stderr as it is written. (Before, fd 2 was an
//! in-memory file copied out at the end: a handler that logged 174 MB held 174 MB.)
//!
//! The server asks the watchdog for the tail over their channel ([`ASK`]) when its answer
//! needs it; the watchdog first reads all the pipe holds, which includes every line the
//! server wrote before asking (`END`, `REPORT`), and sends what it kept. (Its writes to stderr
//! block when nobody reads stderr, as every log line of the runtime does.) Once the server is
//! dead, the watchdog writes its own lines through a new pipe of its own ([`Capture::take_over`]): the old one may be kept full by
//! processes the handler left behind, and a watchdog blocked writing to it would never answer.
//!
//! A process the handler leaves running past the invocation writes to a pipe nobody reads
//! once the watchdog has gone: it gets `EPIPE` (or `SIGPIPE`), not a log that grows forever.

use core::cell::UnsafeCell;

use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, RawFd};

use crate::api::net;
use crate::codec::base64;
use crate::exec::Tail;
use crate::sys::fd::{self, Fd};

/// How much of the log's end an answer carries, as Lambda's.
pub const TAIL_LEN: usize = 4096;
/// Room for the tail's base64.
pub const ENCODED_LEN: usize = base64::encoded_len(TAIL_LEN);
/// Sent by the server to the watchdog to ask for the tail; the watchdog answers with a
/// [`Reply`].
pub const ASK: u8 = b'L';
/// The tail as the watchdog sends it: its length (2 bytes, little-endian), then the bytes.
type Reply = [u8; 2 + TAIL_LEN];
/// How much the watchdog copies at a time while the handler runs, between looks at its
/// channel and the clock.
pub const CHUNK: usize = 4096;

/// The log of an invocation being captured.
pub struct Capture {
    /// The read end of the pipe that is fd 2. Only the watchdog keeps it: the server closes
    /// its own once it has a watchdog ([`ask`](Self::ask)), so that the processes the
    /// handler starts do not hold it either, and their writes fail once nobody reads.
    pipe: Option<Fd>,
    /// The real stderr.
    stderr: Fd,
    /// The log's last bytes, in the watchdog (or in the server, if it reads the pipe itself).
    kept: UnsafeCell<Tail<TAIL_LEN>>,
    /// In the server: its end of the channel to ask the watchdog on; -1 elsewhere.
    watchdog: RawFd,
}

impl Capture {
    /// Makes fd 2 a pipe; `None` (logged) if the system refuses.
    pub fn start() -> Option<Capture> {
        let capture = fd::pipe().and_then(|(pipe, write_end)| {
            // SAFETY: fd 2 is open for the life of the process (the runtime never closes it).
            let stderr = fd::duplicate(unsafe { rustix::stdio::stderr() })?;
            rustix::stdio::dup2_stderr(&write_end)?;
            Ok(Capture {
                pipe: Some(pipe),
                stderr,
                kept: UnsafeCell::new(Tail::new()),
                watchdog: -1,
            })
        });
        if capture.is_err() {
            crate::sys::log::text(b"cannot capture the log; X-Amz-Log-Result will be empty");
        }
        capture.ok()
    }

    /// In the server, once the watchdog is forked: from now on the tail is asked of it, on
    /// `channel`, and it alone reads the log.
    pub fn ask(&mut self, channel: RawFd) {
        self.watchdog = channel;
        self.pipe = None;
    }

    /// The base64 of the log's last [`TAIL_LEN`] bytes so far.
    pub fn tail<'b>(&self, encoded: &'b mut [u8; ENCODED_LEN]) -> &'b [u8] {
        let mut reply: Reply = [0; 2 + TAIL_LEN];
        let kept = match self.watchdog {
            -1 => self.kept(&mut reply),
            // SAFETY: the channel stays open as long as the answer that asks (see `Answer`).
            channel => ask(unsafe { BorrowedFd::borrow_raw(channel) }, &mut reply),
        };
        base64::encode(kept, encoded).unwrap_or_default()
    }

    /// In the watchdog, when the server asked: reads all the pipe holds, and sends the tail.
    pub fn answer(&self, channel: impl AsFd) {
        let mut reply: Reply = [0; 2 + TAIL_LEN];
        let (len, tail) = reply.split_at_mut(2);
        let kept = self.kept(tail).len() as u16;
        let _ = crate::codec::bytes::put(len, 0, &kept.to_le_bytes());
        let _ = net::send_all(channel, &[&reply]);
    }

    /// In the watchdog, while the handler runs: what to wait for, so as to copy the next
    /// piece of the log ([`copy`](Self::copy)) when it comes.
    pub fn next_wait(&self) -> Option<PollFd<'_>> {
        Some(PollFd::new(self.pipe.as_ref()?, PollFlags::IN))
    }

    /// In the watchdog: copies at most `most` bytes of what the pipe holds now to stderr,
    /// keeping the end. Never waits for the pipe (it reads only what it holds).
    pub fn copy(&self, most: usize) {
        let Some(pipe) = &self.pipe else {
            return;
        };
        let mut left = rustix::io::ioctl_fionread(pipe)
            .unwrap_or(0)
            .min(most as u64);
        let mut buf = [0u8; CHUNK];
        while left > 0 {
            let room = buf
                .get_mut(..(left as usize).min(CHUNK))
                .unwrap_or_default();
            let Ok(n @ 1..) = rustix::io::read(pipe, room) else {
                return;
            };
            let piece = buf.get(..n).unwrap_or_default();
            let _ = crate::sys::stdio::write_all(&self.stderr, piece);
            // SAFETY: one thread; no reference to the ring outlives this statement.
            unsafe { &mut *self.kept.get() }.push(piece);
            left -= n as u64;
        }
    }

    /// In the watchdog, once the server is dead: what the pipe holds goes to stderr, and from
    /// now on the watchdog's own lines go through a pipe of its own, which only it writes.
    pub fn take_over(&self) {
        self.copy(usize::MAX);
        if let (Ok((pipe, write_end)), Some(old)) = (fd::pipe(), &self.pipe) {
            let _ = rustix::stdio::dup2_stderr(&write_end);
            let _ = fd::duplicate_onto(&pipe, old);
        }
    }

    /// Copies what is left of the log to the real stderr and makes it fd 2 again.
    pub fn release(&self) {
        self.copy(usize::MAX);
        let _ = rustix::stdio::dup2_stderr(self.stderr.as_fd());
    }

    /// Reads all the pipe holds, and copies the last bytes kept ([`TAIL_LEN`] at most) into
    /// `out`.
    fn kept<'o>(&self, out: &'o mut [u8]) -> &'o [u8] {
        self.copy(usize::MAX);
        // SAFETY: one thread; no reference to the ring outlives this statement.
        unsafe { &*self.kept.get() }.copy_last(out)
    }
}

/// In the server: asks the watchdog on `channel` for the tail, into `reply`. Nothing if the
/// watchdog has gone.
fn ask<'r>(channel: BorrowedFd<'_>, reply: &'r mut Reply) -> &'r [u8] {
    if net::send_all(channel, &[&[ASK]]).is_err() {
        return &[];
    }
    let mut got = 0;
    while got < reply.len() {
        match net::recv(channel, reply.get_mut(got..).unwrap_or_default()) {
            Ok(n @ 1..) => got += n,
            _ => return &[],
        }
    }
    let len = u16::from_le_bytes([reply[0], reply[1]]) as usize;
    reply.get(2..2 + len).unwrap_or_default()
}
