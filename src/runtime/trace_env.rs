//! `_X_AMZN_TRACE_ID` for code that reads the trace header from the environment (the X-Ray
//! SDKs do). Lambda does not set it for custom runtimes; the runtime sets it from
//! `Lambda-Runtime-Trace-Id` before each invocation and removes it when the header is absent,
//! so no invocation sees a previous one's trace.
//!
//! This edits musl's `environ` table directly rather than calling `setenv`/`putenv`, which
//! would allocate (and link musl's allocator, 8 KiB). The `NAME=value` entry lives in a static
//! buffer; when the variable is first added, the table is copied into a static one with room
//! to spare. `getenv` in C or Rust handler code sees the result as usual, and handler code that
//! calls `setenv` itself still works: musl then copies the table to the heap.

use core::ffi::c_char;

use crate::sys::log;

const ENTRY_PREFIX: &[u8] = b"_X_AMZN_TRACE_ID=";

/// Longest trace header we pass on; X-Ray's are about 100 bytes.
const MAX_TRACE_ID: usize = 2048;

/// Bytes for the `NAME=value\0` entry.
pub const ENTRY_LEN: usize = ENTRY_PREFIX.len() + MAX_TRACE_ID + 1;

/// Most environment variables we can add ours to. Lambda allows 4 KiB of user variables.
pub const MAX_VARIABLES: usize = 4096;

unsafe extern "C" {
    /// POSIX's environment table: a null-terminated array of `NAME=value` C strings.
    static mut environ: *mut *mut c_char;
}

/// Keeps `_X_AMZN_TRACE_ID` in the environment in step with each invocation's trace header.
pub struct TraceEnv {
    entry: &'static mut [u8; ENTRY_LEN],
    table: &'static mut [*mut c_char; MAX_VARIABLES],
}

impl TraceEnv {
    /// `entry` and `table` become part of the process environment, so they must outlive it.
    pub fn new(
        entry: &'static mut [u8; ENTRY_LEN],
        table: &'static mut [*mut c_char; MAX_VARIABLES],
    ) -> Self {
        TraceEnv { entry, table }
    }

    /// Sets `_X_AMZN_TRACE_ID` to `trace_id`, or removes it when `trace_id` is empty.
    pub fn set(&mut self, trace_id: &[u8]) {
        // No NUL can be inside: it comes from a header value, where httparse allows none.
        let valid = trace_id.len() <= MAX_TRACE_ID;
        if !valid {
            log::text(b"Lambda-Runtime-Trace-Id longer than 2048 bytes; _X_AMZN_TRACE_ID not set");
        }
        // SAFETY: the process is single-threaded and runs no handler code during this call, so
        // nothing else reads or writes the environment; `environ` is a valid table (musl's
        // start-up code set it, and every writer, here or in musl, keeps it valid).
        let table = unsafe { environ };
        let (count, found) = scan(table);
        if trace_id.is_empty() || !valid {
            if let Some(i) = found {
                // SAFETY: `i < count`; move the last entry into the gap and end the table there.
                unsafe {
                    *table.add(i) = *table.add(count - 1);
                    *table.add(count - 1) = core::ptr::null_mut();
                }
            }
            return;
        }
        self.entry[..ENTRY_PREFIX.len()].copy_from_slice(ENTRY_PREFIX);
        // Fits, with the NUL: the id is at most MAX_TRACE_ID bytes (checked above).
        let value_end = crate::codec::bytes::put(self.entry, ENTRY_PREFIX.len(), trace_id)
            .unwrap_or(ENTRY_PREFIX.len());
        if let Some(nul) = self.entry.get_mut(value_end) {
            *nul = 0;
        }
        let entry = self.entry.as_mut_ptr().cast::<c_char>();
        if let Some(i) = found {
            // SAFETY: `i < count`, an entry of the table.
            unsafe { *table.add(i) = entry };
            return;
        }
        // Add it: in our own table, which needs room for the entry and the final null.
        if count + 2 > MAX_VARIABLES {
            log::text(b"more than 4094 environment variables; _X_AMZN_TRACE_ID not set");
            return;
        }
        let ours = self.table.as_mut_ptr();
        if table != ours {
            // SAFETY: `table` has `count` entries, and ours has room for them.
            unsafe { core::ptr::copy_nonoverlapping(table, ours, count) };
        }
        // `get_mut`, not indexing: the check above is not one the compiler connects.
        if let Some([slot, end]) = self.table.get_mut(count..count + 2) {
            *slot = entry;
            *end = core::ptr::null_mut();
        }
        // SAFETY: as above; our table is complete and null-terminated, and static.
        unsafe { environ = ours };
    }
}

/// Whether a `NAME=value` C string is ours. Compares byte by byte, without `strlen`: most
/// entries differ at the first byte, and a NUL ends the comparison (the prefix has none),
/// so nothing past the string is read. This runs for every variable on every invocation.
fn is_trace_entry(entry: *const c_char) -> bool {
    ENTRY_PREFIX.iter().enumerate().all(|(i, &expected)| {
        // SAFETY: bytes up to and including the first mismatch are within the C string,
        // since its NUL mismatches every byte of the prefix.
        unsafe { *entry.add(i) as u8 == expected }
    })
}

/// The number of entries in `table`, and the index of ours if present.
fn scan(table: *mut *mut c_char) -> (usize, Option<usize>) {
    let mut count = 0;
    let mut found = None;
    if table.is_null() {
        return (0, None);
    }
    loop {
        // SAFETY: `table` is a null-terminated array of C strings (see `set`).
        let entry = unsafe { *table.add(count) };
        if entry.is_null() {
            return (count, found);
        }
        if is_trace_entry(entry) {
            found = Some(count);
        }
        count += 1;
    }
}
