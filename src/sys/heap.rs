//! The heap of `no_std` bootstraps built with feature `alloc`: musl's `malloc`, which every
//! bootstrap links already (it is the C handlers' libc), so `Vec`, `String` and `format!` work
//! in a `main!` handler with no allocator of the handler's own. The runtime itself never
//! allocates: its buffers are static.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

unsafe extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn aligned_alloc(align: usize, size: usize) -> *mut c_void;
}

/// The alignment `malloc` always gives on the 64-bit targets: 16 bytes (C's `max_align_t`).
const MALLOC_ALIGN: usize = 16;

/// The global allocator over musl's `malloc`, `realloc`, `aligned_alloc` and `free`.
pub struct Malloc;

// SAFETY: musl's allocator is thread-safe and returns blocks of at least the size asked for,
// aligned to `MALLOC_ALIGN`, or to the alignment asked of `aligned_alloc`; null on failure,
// which `GlobalAlloc` callers handle. Blocks are only freed or resized through the same calls.
unsafe impl GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: any size may be asked of malloc.
            unsafe { malloc(layout.size()).cast() }
        } else {
            // C11 asks for a size that is a multiple of the alignment.
            let size = layout.size().next_multiple_of(layout.align());
            // SAFETY: a power-of-two alignment and a size that is a multiple of it.
            unsafe { aligned_alloc(layout.align(), size).cast() }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _: Layout) {
        // SAFETY: `ptr` came from `alloc` or `realloc` above (GlobalAlloc's contract).
        unsafe { free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `ptr` came from malloc (alignment within malloc's), per GlobalAlloc.
            return unsafe { realloc(ptr.cast(), new_size).cast() };
        }
        // Over-aligned blocks: realloc would not keep the alignment; allocate and copy.
        // SAFETY: the new layout is valid (GlobalAlloc's contract for `new_size`).
        let new =
            unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
        if !new.is_null() {
            // SAFETY: both blocks hold at least the smaller size, and are distinct.
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}
