//! One-line messages on stderr, which Lambda sends to the function's log.
//!
//! Each message is one `writev`, so lines from the runtime and from handler code do not
//! interleave mid-line.

use rustix::io::IoSlice;

const PREFIX: &[u8] = b"bootstrap: ";
const MAX_PARTS: usize = 8;

/// Writes `bootstrap: ` + `parts` + newline to stderr. Errors are ignored: there is nowhere
/// else to report them.
pub fn line(parts: &[&[u8]]) {
    let mut slices = [IoSlice::new(&[]); MAX_PARTS + 2];
    slices[0] = IoSlice::new(PREFIX);
    let count = parts.len().min(MAX_PARTS);
    for (slot, part) in slices[1..].iter_mut().zip(&parts[..count]) {
        *slot = IoSlice::new(part);
    }
    slices[count + 1] = IoSlice::new(b"\n");
    // SAFETY: fd 2 is open for the life of the process (the runtime never closes it); were it
    // closed, the write would fail with EBADF, which is ignored.
    let stderr = unsafe { rustix::stdio::stderr() };
    let _ = rustix::io::writev(stderr, &slices[..count + 2]);
}

/// Writes `bootstrap: ` + `message` + newline: [`line()`] with one part. A constant
/// `line(&[b"..."])` would make the one-slice array a static, with a relocation (40 bytes
/// per message in the static-pie); this builds it on the stack.
#[inline(never)]
pub fn text(message: &[u8]) {
    line(&[message]);
}

/// Untrusted text made safe for a log line: at most `N` bytes, anything but visible ASCII and
/// space shown as `?`, so a hostile value cannot forge or split lines.
pub fn printable<const N: usize>(bytes: &[u8]) -> heapless::Vec<u8, N> {
    bytes
        .iter()
        .take(N)
        .map(|&b| {
            if b == b' ' || b.is_ascii_graphic() {
                b
            } else {
                b'?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn printable_hides_controls_and_clips() {
        let safe = super::printable::<8>(b"a\r\nb\x00c\xffdefgh");
        assert_eq!(&safe[..], b"a??b?c?d");
    }
}
