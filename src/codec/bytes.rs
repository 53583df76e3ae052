//! Copying into byte buffers without panic paths.
//!
//! `dst[a..b].copy_from_slice(src)` panics when the range is out of bounds or the lengths
//! differ. Each such site costs a call, a 24-byte `Location` and a 24-byte relocation in the
//! static-pie, and keeps core's number formatting linked. Where the caller knows the bytes
//! fit, [`put`] does the same copy with no panic path at all.

/// Copies `src` into `dst` at `at` and returns where the copy ends, or `None`, copying
/// nothing, when it does not fit.
pub fn put(dst: &mut [u8], at: usize, src: &[u8]) -> Option<usize> {
    let room = dst.get_mut(at..)?.get_mut(..src.len())?;
    // Not `copy_from_slice`: at this opt-level it is an outlined call that checks the lengths
    // again, with a panic path; and not a byte loop, 10× slower than `memcpy` on a 6 MiB
    // response.
    // SAFETY: `room` is `src.len()` writable bytes (checked by `get_mut`), and cannot overlap
    // `src`, borrowed shared while `room` is borrowed mutably.
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), room.as_mut_ptr(), src.len()) };
    Some(at + src.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn copies_what_fits_and_nothing_else() {
        let mut buf = [0u8; 6];
        assert_eq!(super::put(&mut buf, 1, b"abc"), Some(4));
        assert_eq!(super::put(&mut buf, 4, b"de"), Some(6));
        assert_eq!(super::put(&mut buf, 5, b"xy"), None);
        assert_eq!(super::put(&mut buf, usize::MAX, b"x"), None);
        assert_eq!(super::put(&mut buf, 6, b""), Some(6));
        assert_eq!(&buf, b"\0abcde");
    }
}
