//! `X-Amz-Log-Type: Tail`: the answer carries the last 4 KB of the invocation's log, base64,
//! as Lambda's `X-Amz-Log-Result` (or `InvokeComplete`'s `LogResult`).
//!
//! For such an invocation, and only then, the process's stderr (fd 2) is an in-memory file
//! from just before the watchdog is forked until the answer is complete: everything written
//! to the log meanwhile lands there, the runtime's lines and the handler's own (Rust, C, and
//! the programs it starts). The file is then copied to the real stderr, and fd 2 restored.
//! The log of a `Tail` invocation thus reaches the terminal when it ends rather than as it
//! is written: the price of a tail that holds the handler's output too. A file rather than a
//! pipe, so that nobody has to read while the handler writes, and so that the watchdog,
//! which shares it, can read the tail of a process it killed. Other invocations pay nothing.

use rustix::fd::AsFd;

use crate::codec::base64;
use crate::sys::fd::{self, Fd};

/// How much of the log's end an answer carries, as Lambda's.
pub const TAIL_LEN: usize = 4096;
/// Room for the tail's base64.
pub const ENCODED_LEN: usize = base64::encoded_len(TAIL_LEN);

/// The log of an invocation being captured.
pub struct Capture {
    file: Fd,
    stderr: Fd,
}

impl Capture {
    /// Makes fd 2 an in-memory file; `None` (logged) if the system refuses.
    pub fn start() -> Option<Capture> {
        let capture = fd::memory_file(c"log").and_then(|file| {
            // SAFETY: fd 2 is open for the life of the process (the runtime never closes it).
            let stderr = fd::duplicate(unsafe { rustix::stdio::stderr() })?;
            rustix::stdio::dup2_stderr(&file)?;
            Ok(Capture { file, stderr })
        });
        if capture.is_err() {
            crate::sys::log::text(b"cannot capture the log; X-Amz-Log-Result will be empty");
        }
        capture.ok()
    }

    /// The base64 of the log's last [`TAIL_LEN`] bytes so far.
    pub fn tail<'b>(&self, encoded: &'b mut [u8; ENCODED_LEN]) -> &'b [u8] {
        let mut raw = [0u8; TAIL_LEN];
        let end = rustix::fs::seek(&self.file, rustix::fs::SeekFrom::End(0)).unwrap_or(0);
        let start = end.saturating_sub(TAIL_LEN as u64);
        let read = rustix::io::pread(&self.file, &mut raw, start).unwrap_or(0);
        base64::encode(raw.get(..read).unwrap_or_default(), encoded).unwrap_or_default()
    }

    /// Copies the captured log to the real stderr and makes it fd 2 again.
    pub fn release(&self) {
        let mut buf = [0u8; TAIL_LEN];
        let mut at = 0;
        while let Ok(n @ 1..) = rustix::io::pread(&self.file, &mut buf, at) {
            at += n as u64;
            if crate::sys::stdio::write_all(&self.stderr, buf.get(..n).unwrap_or_default()).is_err()
            {
                break;
            }
        }
        let _ = rustix::stdio::dup2_stderr(self.stderr.as_fd());
    }
}
