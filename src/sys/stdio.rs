//! Standard input and output, for `bootstrap --invoke`: the event in, the response out; and
//! whole writes to any descriptor.

use rustix::io::{Errno, retry_on_intr};

/// Reads standard input to its end into `buf`; `None` when it does not fit or cannot be read.
pub fn read_stdin(buf: &mut [u8]) -> Option<usize> {
    let mut len = 0;
    loop {
        if len == buf.len() {
            return None;
        }
        // SAFETY: fd 0 stays open for the process's life; if closed, read fails with EBADF.
        let stdin = unsafe { rustix::stdio::stdin() };
        match retry_on_intr(|| rustix::io::read(stdin, buf.get_mut(len..).unwrap_or_default())) {
            Ok(0) => return Some(len),
            Ok(n) => len += n,
            Err(_) => return None,
        }
    }
}

/// Writes all of `bytes` to standard output.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Errno> {
    // SAFETY: fd 1 stays open for the process's life; if closed, write fails with EBADF.
    write_all(unsafe { rustix::stdio::stdout() }, bytes)
}

/// Writes all of `bytes` to `fd`.
pub fn write_all(fd: impl rustix::fd::AsFd, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        let n = retry_on_intr(|| rustix::io::write(&fd, bytes))?;
        bytes = bytes.get(n..).unwrap_or_default();
    }
    Ok(())
}
