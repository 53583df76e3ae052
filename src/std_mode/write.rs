//! A response is a `std::io::Write`: serde_json, `write!` and any writer write straight into
//! the runtime's buffer, with no `Vec` between.

use std::io;

use crate::abi::handler::Response;

impl io::Write for Response<'_> {
    /// Writes all of `bytes`, or nothing when they do not fit in the 6 MiB buffer: then an
    /// error (whose `?` reaches the caller as that error's message).
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        Response::write(self, bytes)
            .map(|()| bytes.len())
            .map_err(|_| io::Error::other("the response does not fit in 6 MiB"))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write(self, bytes).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
