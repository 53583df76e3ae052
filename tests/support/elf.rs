//! The program headers of an ELF64 file: enough to see how a bootstrap was linked.

use std::path::Path;

pub const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
pub const PT_GNU_RELRO: u32 = 0x6474_e552;

/// One program header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub kind: u32,
    pub flags: u32,
    /// Bytes of the file it maps.
    pub file_size: u64,
}

/// The program headers of the ELF64 file at `path` (little-endian, as x86_64 and arm64 are).
pub fn segments(path: &Path) -> Vec<Segment> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        bytes.get(..5),
        Some(&b"\x7fELF\x02"[..]),
        "{}: not an ELF64 file",
        path.display()
    );
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let (offset, size, count) = (
        u64_at(0x20) as usize,
        u16_at(0x36) as usize,
        u16_at(0x38) as usize,
    );
    (0..count)
        .map(|i| offset + i * size)
        .map(|at| Segment {
            kind: u32_at(at),
            flags: u32_at(at + 4),
            file_size: u64_at(at + 0x20),
        })
        .collect()
}
