//! The invocation context, in the C layout handlers receive and as a Rust view of it.
//!
//! Every string points into the runtime's receive buffer, where it arrived as a header value;
//! nothing is copied. Whoever makes a context (the Runtime API client, local mode, `--invoke`)
//! writes a NUL after each value, so C code may also use `ptr` as a C string. Absent headers
//! are empty strings, never null pointers. That promise is the context's, not [`Str`]'s: the
//! strings a handler gives back (an error type, a content type, streamed headers) need no NUL.

use core::ffi::c_char;

/// A borrowed byte string: `lb_str` in C. In a [`RawContext`], `ptr[len]` is NUL; elsewhere
/// (what a handler sets in its response) it need not be.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Str {
    /// The first byte; never null.
    pub ptr: *const c_char,
    /// Bytes at `ptr`, not counting any NUL.
    pub len: usize,
}

impl Str {
    /// The empty string: a static `""`, so `ptr` is a C string too.
    pub const EMPTY: Str = Str {
        ptr: c"".as_ptr(),
        len: 0,
    };

    /// A view of `bytes`. For a context string, the caller must have written a NUL right after
    /// `bytes` (see the module's documentation).
    pub fn new(bytes: &[u8]) -> Str {
        Str {
            ptr: bytes.as_ptr().cast(),
            len: bytes.len(),
        }
    }

    /// The bytes (without any NUL).
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that live for `'a`.
    pub unsafe fn as_bytes<'a>(&self) -> &'a [u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: guaranteed by the caller, and checked non-empty above.
        unsafe { core::slice::from_raw_parts(self.ptr.cast(), self.len) }
    }
}

/// `lb_context` in C. Every [`Str`] in it is followed by a NUL (see the module).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RawContext {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: Str,
    /// `Lambda-Runtime-Deadline-Ms`: Unix epoch milliseconds; 0 when absent, or when it cannot
    /// be an epoch time (before 2001: an emulator's duration).
    pub deadline_ms: i64,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub invoked_function_arn: Str,
    /// `Lambda-Runtime-Trace-Id` (also in `_X_AMZN_TRACE_ID` while the handler runs).
    pub trace_id: Str,
    /// `Lambda-Runtime-Client-Context`: JSON, when the caller gave one.
    pub client_context: Str,
    /// `Lambda-Runtime-Cognito-Identity`: JSON, when present.
    pub cognito_identity: Str,
    /// `Lambda-Runtime-Aws-Tenant-Id`, in tenant isolation mode.
    pub tenant_id: Str,
    /// `Lambda-Runtime-Invocation-Id`, on newer platforms.
    pub invocation_id: Str,
}

impl RawContext {
    /// A context without any header: every string empty, no deadline.
    pub const EMPTY: RawContext = RawContext {
        request_id: Str::EMPTY,
        deadline_ms: 0,
        invoked_function_arn: Str::EMPTY,
        trace_id: Str::EMPTY,
        client_context: Str::EMPTY,
        cognito_identity: Str::EMPTY,
        tenant_id: Str::EMPTY,
        invocation_id: Str::EMPTY,
    };
}

/// The context as Rust handlers see it. Optional headers are `None` when absent.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// `Lambda-Runtime-Aws-Request-Id`: the invocation's id.
    pub request_id: &'a str,
    /// Unix epoch milliseconds; 0 when the platform sent none.
    pub deadline_ms: i64,
    /// `Lambda-Runtime-Invoked-Function-Arn`: the function (and alias or version) invoked.
    pub invoked_function_arn: &'a str,
    /// `Lambda-Runtime-Trace-Id`: the X-Ray trace header.
    pub trace_id: Option<&'a str>,
    /// `Lambda-Runtime-Client-Context`: the mobile SDK's client context, JSON.
    pub client_context: Option<&'a str>,
    /// `Lambda-Runtime-Cognito-Identity`: the Cognito identity, JSON.
    pub cognito_identity: Option<&'a str>,
    /// `Lambda-Runtime-Aws-Tenant-Id`, in tenant isolation mode.
    pub tenant_id: Option<&'a str>,
    /// `Lambda-Runtime-Invocation-Id`, on newer platforms.
    pub invocation_id: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// The Rust view of `raw`, borrowing its strings.
    ///
    /// # Safety
    /// Every `Str` in `raw` must satisfy [`Str::as_bytes`] for `'a` and be UTF-8, as the
    /// runtime guarantees (it checked each header value once, when it received it).
    pub unsafe fn from_raw(raw: &RawContext) -> Context<'a> {
        // SAFETY: guaranteed by the caller.
        let text = |s: &Str| unsafe { core::str::from_utf8_unchecked(s.as_bytes()) };
        let optional = |s: &Str| Some(text(s)).filter(|t| !t.is_empty());
        Context {
            request_id: text(&raw.request_id),
            deadline_ms: raw.deadline_ms,
            invoked_function_arn: text(&raw.invoked_function_arn),
            trace_id: optional(&raw.trace_id),
            client_context: optional(&raw.client_context),
            cognito_identity: optional(&raw.cognito_identity),
            tenant_id: optional(&raw.tenant_id),
            invocation_id: optional(&raw.invocation_id),
        }
    }

    /// Milliseconds left before the deadline (0 when past it or unknown).
    pub fn remaining_ms(&self) -> u64 {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
        let now_ms = now.tv_sec.saturating_mul(1000) + now.tv_nsec / 1_000_000;
        u64::try_from(self.deadline_ms.saturating_sub(now_ms)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_view_of_a_raw_context() {
        let id = b"id-1\0";
        let trace = b"Root=1-2-3\0";
        let raw = RawContext {
            request_id: Str::new(&id[..4]),
            deadline_ms: 42,
            trace_id: Str::new(&trace[..10]),
            ..RawContext::EMPTY
        };
        // SAFETY: the strings are locals that outlive `ctx`.
        let ctx = unsafe { Context::from_raw(&raw) };
        assert_eq!(ctx.request_id, "id-1");
        assert_eq!(ctx.deadline_ms, 42);
        assert_eq!(ctx.invoked_function_arn, "");
        assert_eq!(ctx.trace_id, Some("Root=1-2-3"));
        assert_eq!(ctx.client_context, None);
        assert_eq!(ctx.remaining_ms(), 0, "a deadline in 1970 has passed");
    }

    #[test]
    fn empty_strings_are_nul_terminated_c_strings() {
        // SAFETY: EMPTY points at a static "".
        assert_eq!(unsafe { *Str::EMPTY.ptr }, 0);
    }
}
