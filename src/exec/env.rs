//! The program's environment: the bootstrap's own, plus the invocation's context as
//! variables (only those the platform sent).
//!
//! Nothing is allocated: the `NAME=value` strings are written into a static block and the
//! table of pointers into a static array; inherited entries are pointed at where they are.

use core::ffi::{CStr, c_char};

use crate::abi::context::Context;
use crate::sys::log;

/// `Lambda-Runtime-Aws-Request-Id`.
pub const REQUEST_ID: &[u8] = b"LAMBDA_RUNTIME_AWS_REQUEST_ID";
/// `Lambda-Runtime-Deadline-Ms`: Unix epoch milliseconds.
pub const DEADLINE_MS: &[u8] = b"LAMBDA_RUNTIME_DEADLINE_MS";
/// `Lambda-Runtime-Invoked-Function-Arn`.
pub const INVOKED_FUNCTION_ARN: &[u8] = b"LAMBDA_RUNTIME_INVOKED_FUNCTION_ARN";
/// `Lambda-Runtime-Trace-Id`, under the name the X-Ray SDKs read.
pub const TRACE_ID: &[u8] = b"_X_AMZN_TRACE_ID";
/// `Lambda-Runtime-Client-Context`.
pub const CLIENT_CONTEXT: &[u8] = b"LAMBDA_RUNTIME_CLIENT_CONTEXT";
/// `Lambda-Runtime-Cognito-Identity`.
pub const COGNITO_IDENTITY: &[u8] = b"LAMBDA_RUNTIME_COGNITO_IDENTITY";
/// `Lambda-Runtime-Aws-Tenant-Id`.
pub const TENANT_ID: &[u8] = b"LAMBDA_RUNTIME_AWS_TENANT_ID";
/// `Lambda-Runtime-Invocation-Id`.
pub const INVOCATION_ID: &[u8] = b"LAMBDA_RUNTIME_INVOCATION_ID";

/// Every variable exec mode sets; inherited ones of these names are left out.
pub const NAMES: [&[u8]; 8] = [
    REQUEST_ID,
    DEADLINE_MS,
    INVOKED_FUNCTION_ARN,
    TRACE_ID,
    CLIENT_CONTEXT,
    COGNITO_IDENTITY,
    TENANT_ID,
    INVOCATION_ID,
];

/// Room for the context's entries: its values come from one response head (at most 64 KiB).
pub const BLOCK_LEN: usize = crate::http::response::MAX_HEAD_LEN + 512;
/// Room for the table: the most variables the runtime handles, ours, and the final null.
pub const TABLE_LEN: usize = crate::runtime::trace_env::MAX_VARIABLES + NAMES.len() + 1;

/// The context's variables as (name, value), `None` when absent; `deadline` is
/// `ctx.deadline_ms` in decimal.
fn context_variables<'a>(
    ctx: &Context<'a>,
    deadline: &'a [u8],
) -> [(&'static [u8], Option<&'a [u8]>); 8] {
    let present = |s: &'a str| Some(s.as_bytes()).filter(|s| !s.is_empty());
    [
        (REQUEST_ID, present(ctx.request_id)),
        (DEADLINE_MS, (ctx.deadline_ms > 0).then_some(deadline)),
        (INVOKED_FUNCTION_ARN, present(ctx.invoked_function_arn)),
        (TRACE_ID, ctx.trace_id.and_then(present)),
        (CLIENT_CONTEXT, ctx.client_context.and_then(present)),
        (COGNITO_IDENTITY, ctx.cognito_identity.and_then(present)),
        (TENANT_ID, ctx.tenant_id.and_then(present)),
        (INVOCATION_ID, ctx.invocation_id.and_then(present)),
    ]
}

/// Whether an inherited `NAME=value` entry has one of our names (ours replace it).
fn is_context_entry(entry: &[u8]) -> bool {
    NAMES.iter().any(|name| {
        entry
            .strip_prefix(*name)
            .is_some_and(|rest| rest.first() == Some(&b'='))
    })
}

/// `NAME=value\0` entries written one after another into a buffer.
struct Block<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Block<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Block { buf, len: 0 }
    }

    /// Appends `NAME=value\0` and returns where it starts, or `None` (writing nothing) when it
    /// does not fit or `value` has a NUL (it would end the C string early).
    pub fn push(&mut self, name: &[u8], value: &[u8]) -> Option<usize> {
        if value.contains(&0) {
            return None;
        }
        let start = self.len;
        let end = start.checked_add(name.len() + 1 + value.len() + 1)?;
        let entry = self.buf.get_mut(start..end)?;
        let (name_part, rest) = entry.split_at_mut(name.len());
        name_part.copy_from_slice(name);
        let (equals, rest) = rest.split_at_mut(1);
        equals[0] = b'=';
        let (value_part, nul) = rest.split_at_mut(value.len());
        value_part.copy_from_slice(value);
        nul[0] = 0;
        self.len = end;
        Some(start)
    }

    /// The entries written so far (the tests read them back).
    #[cfg(test)]
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

unsafe extern "C" {
    /// POSIX's environment table: a null-terminated array of `NAME=value` C strings.
    static environ: *const *const c_char;
}

/// Makes the program's environment in `table`: the process's own entries, less those with our
/// names, then the context's, written into `block`. Returns the table, null-terminated.
///
/// The table points into `block` and into the process environment: it is valid until either
/// changes (the runtime changes the environment only between invocations).
pub fn build(
    ctx: &Context<'_>,
    block: &mut [u8],
    table: &mut [*const c_char; TABLE_LEN],
) -> *const *const c_char {
    let mut digits = [0; crate::codec::num::U64_DIGITS];
    let deadline = crate::codec::num::u64_to_ascii(ctx.deadline_ms.max(0) as u64, &mut digits);
    let mut starts = [None; NAMES.len()];
    let block_start = block.as_ptr();
    let mut entries = Block::new(block);
    for ((name, value), start) in context_variables(ctx, deadline)
        .into_iter()
        .zip(&mut starts)
    {
        if let Some(value) = value {
            *start = entries.push(name, value);
            if start.is_none() {
                log::line(&[
                    b"exec: ",
                    name,
                    b" left out of the program's environment (too long)",
                ]);
            }
        }
    }
    // Inherited entries first, leaving room for ours and the final null.
    let mut count = 0;
    let room = TABLE_LEN - 1 - starts.iter().flatten().count();
    // SAFETY: the process is single-threaded and the runtime changes `environ` only between
    // invocations, so it is a valid null-terminated table of C strings while we read it.
    let inherited = unsafe { environ };
    let mut at = 0;
    while !inherited.is_null() {
        // SAFETY: `at` is at most the index of the final null (we stop there).
        let entry = unsafe { *inherited.add(at) };
        if entry.is_null() {
            break;
        }
        at += 1;
        // SAFETY: a non-null entry of the table is a C string.
        if is_context_entry(unsafe { CStr::from_ptr(entry) }.to_bytes()) {
            continue;
        }
        if count == room {
            log::text(b"exec: too many environment variables; some left out of the program's");
            break;
        }
        table[count] = entry;
        count += 1;
    }
    for start in starts.into_iter().flatten() {
        // SAFETY: `start` is the offset of an entry `Block::push` wrote within `block`.
        table[count] = unsafe { block_start.add(start) }.cast();
        count += 1;
    }
    table[count] = core::ptr::null();
    table.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>() -> Context<'a> {
        Context {
            request_id: "req-1",
            deadline_ms: 1_700_000_000_123,
            invoked_function_arn: "arn:aws:lambda:eu-west-1:1:function:f",
            trace_id: Some("Root=1-2-3"),
            client_context: None,
            cognito_identity: Some(""),
            tenant_id: Some("tenant-7"),
            invocation_id: None,
        }
    }

    #[test]
    fn only_present_context_values_become_variables() {
        let ctx = context();
        let vars = context_variables(&ctx, b"1700000000123");
        let present: Vec<(&[u8], &[u8])> =
            vars.iter().filter_map(|&(n, v)| Some((n, v?))).collect();
        assert_eq!(
            present,
            [
                (REQUEST_ID, &b"req-1"[..]),
                (DEADLINE_MS, b"1700000000123"),
                (
                    INVOKED_FUNCTION_ARN,
                    b"arn:aws:lambda:eu-west-1:1:function:f"
                ),
                (TRACE_ID, b"Root=1-2-3"),
                (TENANT_ID, b"tenant-7"),
            ]
        );
        let bare = Context {
            deadline_ms: 0,
            invoked_function_arn: "",
            ..ctx
        };
        let vars = context_variables(&bare, b"0");
        assert_eq!(
            vars.iter().filter(|(_, v)| v.is_some()).count(),
            3,
            "no deadline, no ARN"
        );
    }

    #[test]
    fn inherited_variables_of_our_names_are_replaced() {
        assert!(is_context_entry(b"LAMBDA_RUNTIME_AWS_REQUEST_ID=old"));
        assert!(is_context_entry(b"_X_AMZN_TRACE_ID="));
        assert!(!is_context_entry(b"LAMBDA_RUNTIME_AWS_REQUEST_IDX=1"));
        assert!(!is_context_entry(b"LAMBDA_RUNTIME_AWS_REQUEST_ID"));
        assert!(!is_context_entry(b"PATH=/bin"));
        assert!(!is_context_entry(b"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"));
    }

    #[test]
    fn entries_are_nul_terminated_and_refused_when_they_do_not_fit() {
        let mut buf = [0xAAu8; 24];
        let mut block = Block::new(&mut buf);
        assert_eq!(block.push(b"A", b"1"), Some(0));
        assert_eq!(block.push(b"BB", b""), Some(4));
        assert_eq!(block.push(b"C", b"has\0nul"), None);
        assert_eq!(block.push(b"LONG", b"0123456789abcdef"), None);
        assert_eq!(block.push(b"D", b"0123456789abc"), Some(8));
        assert_eq!(block.as_bytes(), b"A=1\0BB=\0D=0123456789abc\0");
    }

    #[test]
    fn the_table_has_the_environment_and_the_context() {
        static mut BLOCK: [u8; BLOCK_LEN] = [0; BLOCK_LEN];
        static mut TABLE: [*const c_char; TABLE_LEN] = [core::ptr::null(); TABLE_LEN];
        // SAFETY: only this test touches these statics.
        let (block, table) = unsafe {
            (
                &mut *core::ptr::addr_of_mut!(BLOCK),
                &mut *core::ptr::addr_of_mut!(TABLE),
            )
        };
        let ctx = context();
        let envp = build(&ctx, block, table);
        let mut entries = Vec::new();
        for i in 0.. {
            // SAFETY: `build` null-terminates the table.
            let entry = unsafe { *envp.add(i) };
            if entry.is_null() {
                break;
            }
            // SAFETY: entries are C strings.
            entries.push(
                unsafe { CStr::from_ptr(entry) }
                    .to_str()
                    .unwrap()
                    .to_string(),
            );
        }
        let ours: Vec<&String> = entries
            .iter()
            .filter(|e| is_context_entry(e.as_bytes()))
            .collect();
        assert_eq!(
            ours,
            [
                "LAMBDA_RUNTIME_AWS_REQUEST_ID=req-1",
                "LAMBDA_RUNTIME_DEADLINE_MS=1700000000123",
                "LAMBDA_RUNTIME_INVOKED_FUNCTION_ARN=arn:aws:lambda:eu-west-1:1:function:f",
                "_X_AMZN_TRACE_ID=Root=1-2-3",
                "LAMBDA_RUNTIME_AWS_TENANT_ID=tenant-7",
            ]
        );
        let inherited = std::env::vars()
            .filter(|(k, _)| !is_context_entry(format!("{k}=").as_bytes()))
            .count();
        assert_eq!(entries.len(), inherited + 5);
    }
}
