//! Reading environment variables, through musl's `getenv`: the runtime never changes them,
//! except `_X_AMZN_TRACE_ID`, whose entry `trace_env` replaces without touching the others.

use core::ffi::{CStr, c_char};

unsafe extern "C" {
    fn getenv(name: *const c_char) -> *const c_char;
}

/// The variable's value, if it is set.
pub fn var(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: a NUL-terminated name.
    let value = unsafe { getenv(name.as_ptr()) };
    // SAFETY: getenv returns null or a C string from an environment entry, which stays in
    // place for the process's life (see the module comment).
    (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_bytes())
}
