//! Setting an integer socket option on a std `TcpStream`, which std has no call for.

use std::ffi::{c_int, c_void};
use std::io;
use std::net::TcpStream;
use std::os::fd::AsRawFd;

pub const SOL_SOCKET: c_int = 1;
pub const SO_RCVBUF: c_int = 8;
pub const IPPROTO_TCP: c_int = 6;
pub const TCP_CORK: c_int = 3;

/// `setsockopt(stream, level, name, &value, sizeof value)`.
pub fn set_int(stream: &TcpStream, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    unsafe extern "C" {
        fn setsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *const c_void,
            len: u32,
        ) -> c_int;
    }
    // SAFETY: a valid socket, and a pointer to an int with its size, as integer options take.
    let rc = unsafe {
        setsockopt(
            stream.as_raw_fd(),
            level,
            name,
            (&raw const value).cast(),
            size_of::<c_int>() as u32,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
