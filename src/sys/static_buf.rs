//! Statics that are handed out once as `&'static mut`.
//!
//! The runtime's buffers are sized to Lambda's limits (megabytes) and live in `.bss`: they
//! cost nothing in the file and only the pages actually touched in memory, and they keep the
//! heap out of the runtime entirely.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A static whose value is handed out once, as `&'static mut`.
pub struct StaticCell<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reachable through `take`, which hands it out at most once.
unsafe impl<T> Sync for StaticCell<T> {}

impl<T> StaticCell<T> {
    /// A cell holding `value`, not yet taken.
    pub const fn new(value: T) -> Self {
        StaticCell {
            taken: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, the first time; `None` after that.
    // A `&mut` from `&self` is this type's purpose; `taken` makes it unique.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: `taken` flipped from false to true exactly once, here, so this is the only
        // reference ever made to the value.
        Some(unsafe { &mut *self.value.get() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handed_out_once() {
        static CELL: StaticCell<[u8; 4]> = StaticCell::new([0; 4]);
        let first = CELL.take().expect("first take");
        first[0] = 1;
        assert!(CELL.take().is_none());
    }
}
