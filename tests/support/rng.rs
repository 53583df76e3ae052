//! A tiny deterministic PRNG (splitmix64), so "random" framings and events repeat exactly
//! from a seed, and a failing test can be rerun with the same bytes.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high);
        low + (self.next_u64() % (high - low + 1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// Arbitrary binary event bytes (every byte value, CR and LF included). The first byte is
/// non-ASCII, so the probe never takes the event for one of its commands (`error:`, `ctx`, ...)
/// and echoes it.
pub fn binary_event(len: usize, seed: u64) -> Vec<u8> {
    let mut event = Rng::new(seed).bytes(len);
    if let Some(first) = event.first_mut() {
        *first |= 0x80;
    }
    event
}
