//! The last bytes of the program's stderr, kept for the error message of a failed invocation.
//! The whole stream goes to the function's log as it arrives; this only remembers its end.

use crate::codec::bytes::put;

/// A ring holding the last `N` bytes pushed into it. Without panic paths (see
/// `codec::bytes`): the default bootstrap carries it too, for local mode's log tails.
pub struct Tail<const N: usize> {
    buf: [u8; N],
    /// Bytes pushed since the last `clear`; the next byte goes to `total % N`.
    total: u64,
}

impl<const N: usize> Tail<N> {
    /// An empty tail.
    pub const fn new() -> Self {
        Tail {
            buf: [0; N],
            total: 0,
        }
    }

    /// Empties it, for the next invocation.
    pub fn clear(&mut self) {
        self.total = 0;
    }

    /// Bytes pushed since the last `clear` (kept or not).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Appends `bytes`, forgetting what falls out of the last `N`.
    pub fn push(&mut self, bytes: &[u8]) {
        // Only the last N bytes of `bytes` can survive.
        let skipped = bytes.len().saturating_sub(N);
        let bytes = bytes.get(skipped..).unwrap_or_default();
        self.total += skipped as u64;
        let at = (self.total % N as u64) as usize;
        // What fits before the ring's end, then the rest from its start.
        let (first, rest) = bytes.split_at_checked(N - at).unwrap_or((bytes, &[]));
        let _ = put(&mut self.buf, at, first);
        let _ = put(&mut self.buf, 0, rest);
        self.total += bytes.len() as u64;
    }

    /// Copies the last `out.len()` bytes kept (or all, if fewer) into `out`, oldest first,
    /// and returns them.
    pub fn copy_last<'o>(&self, out: &'o mut [u8]) -> &'o [u8] {
        let kept = self.total.min(N as u64) as usize;
        let n = out.len().min(kept);
        let end = (self.total % N as u64) as usize;
        // Oldest first, the ring is `buf[end..]` then `buf[..end]`: take the last n bytes.
        let (newer, older) = self.buf.split_at_checked(end).unwrap_or_default();
        let from_newer = n.min(end);
        let from_older = n - from_newer;
        let older = older.get(older.len() - from_older..).unwrap_or_default();
        let newer = newer.get(end - from_newer..).unwrap_or_default();
        let _ = put(out, 0, older).and_then(|at| put(out, at, newer));
        out.get(..n).unwrap_or_default()
    }
}

impl<const N: usize> Default for Tail<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last<const N: usize>(tail: &Tail<N>, n: usize) -> Vec<u8> {
        let mut out = vec![0; n];
        tail.copy_last(&mut out).to_vec()
    }

    #[test]
    fn keeps_the_last_bytes_across_wraps() {
        let mut tail = Tail::<8>::new();
        assert_eq!(last(&tail, 8), b"");
        tail.push(b"abc");
        assert_eq!(last(&tail, 8), b"abc");
        assert_eq!(last(&tail, 2), b"bc");
        tail.push(b"defgh");
        assert_eq!(last(&tail, 8), b"abcdefgh");
        tail.push(b"ij");
        assert_eq!(last(&tail, 8), b"cdefghij");
        assert_eq!(last(&tail, 3), b"hij");
        assert_eq!(last(&tail, 20), b"cdefghij");
        tail.push(b"0123456789ABC");
        assert_eq!(last(&tail, 8), b"56789ABC", "a push longer than the ring");
        assert_eq!(tail.total(), 3 + 5 + 2 + 13);
        tail.clear();
        assert_eq!(last(&tail, 8), b"");
        assert_eq!(tail.total(), 0);
    }

    #[test]
    fn matches_a_naive_model() {
        let mut tail = Tail::<16>::new();
        let mut all = Vec::new();
        let mut seed = 7u32;
        for _ in 0..500 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let len = (seed >> 16) as usize % 40;
            let piece: Vec<u8> = (0..len).map(|i| (seed as usize + i) as u8).collect();
            tail.push(&piece);
            all.extend_from_slice(&piece);
            for n in [0, 1, 5, 16, 17] {
                let expected = &all[all.len() - n.min(16).min(all.len())..];
                assert_eq!(last(&tail, n), expected);
            }
        }
    }
}
