//! What each local invocation's context is made of: a new request id, the deadline from
//! `AWS_LAMBDA_FUNCTION_TIMEOUT`, the function's ARN, and the caller's trace id and client
//! context.

use super::request::{Invoke, Refusal};
use crate::abi::context::{RawContext, Str};
use crate::http::HeadBuffer;
use crate::sys::clock::{Clock, now_ms};
use crate::{codec::base64, codec::num, sys::env, sys::log};

/// The emulator's default for `AWS_LAMBDA_FUNCTION_TIMEOUT`, in seconds.
const DEFAULT_TIMEOUT_S: u64 = 300;

/// What every invocation's context shares.
pub struct Function<'a> {
    pub timeout_s: u64,
    /// The ARN, NUL-terminated for C handlers.
    pub arn: &'a [u8],
}

/// Checks the caller's trace id (UTF-8) and client context (base64 of UTF-8) in `buf`, and
/// makes them C strings where they are: NUL-terminated, the client context decoded (its
/// range in `invoke` shrinks to the decoded bytes). Done once, by the front, before the
/// request is queued: an `Event` is accepted only with a context that can be given.
pub fn check(invoke: &mut Invoke, buf: &mut [u8]) -> Result<(), Refusal> {
    if let Some(range) = invoke.trace_id.clone() {
        let value = buf.get(range.clone()).unwrap_or_default();
        if core::str::from_utf8(value).is_err() {
            return Err(Refusal::Malformed);
        }
        terminate(buf, range.end); // was the CR ending the header line
    }
    if let Some(range) = invoke.client_context.clone() {
        let value = buf.get_mut(range.clone()).unwrap_or_default();
        let decoded = base64::decode_in_place(value).ok_or(Refusal::BadClientContext)?;
        if core::str::from_utf8(decoded).is_err() {
            return Err(Refusal::BadClientContext);
        }
        let end = range.start + decoded.len();
        terminate(buf, end); // within the value (decoding shrinks it), or its CR
        invoke.client_context = Some(range.start..end);
    }
    Ok(())
}

/// The invocation's context, from a request [`check`]ed: its request id, the deadline from
/// now, the function's ARN, and the caller's trace id and client context (C strings in
/// `buf`, for C handlers).
pub fn context(
    invoke: &Invoke,
    buf: &[u8],
    function: &Function<'_>,
    request_id: &[u8],
) -> RawContext {
    let string = |range: &Option<core::ops::Range<usize>>| {
        let value = range.clone().and_then(|range| buf.get(range));
        value.map_or(Str::EMPTY, Str::new)
    };
    RawContext {
        request_id: Str::new(request_id),
        deadline_ms: now_ms(Clock::Realtime).saturating_add((function.timeout_s * 1000) as i64),
        invoked_function_arn: Str::new(function.arn),
        trace_id: string(&invoke.trace_id),
        client_context: string(&invoke.client_context),
        ..RawContext::EMPTY
    }
}

/// Writes the NUL that makes a header value a C string.
fn terminate(buf: &mut [u8], at: usize) {
    if let Some(byte) = buf.get_mut(at) {
        *byte = 0;
    }
}

/// Length of a request id: a UUID in its usual text form.
pub const REQUEST_ID_LEN: usize = 36;

/// A new random (version 4) UUID in `buf`, NUL-terminated; returns it without the NUL.
pub fn new_request_id(buf: &mut [u8; REQUEST_ID_LEN + 1]) -> &[u8] {
    let mut random = [0u8; 16];
    // Without randomness (it does not fail on Linux 3.17+), ids are still well-formed.
    let _ = rustix::rand::getrandom(&mut random, rustix::rand::GetRandomFlags::empty());
    format_uuid(random, buf)
}

fn format_uuid(mut bytes: [u8; 16], buf: &mut [u8; REQUEST_ID_LEN + 1]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = bytes[6] & 0x0f | 0x40; // version 4
    bytes[8] = bytes[8] & 0x3f | 0x80; // RFC 4122 variant
    let mut digits = bytes
        .iter()
        .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
    for (at, slot) in buf.iter_mut().enumerate() {
        *slot = match at {
            8 | 13 | 18 | 23 => b'-',
            REQUEST_ID_LEN => 0,
            _ => digits.next().unwrap_or(b'0'),
        };
    }
    &buf[..REQUEST_ID_LEN]
}

/// `AWS_LAMBDA_FUNCTION_TIMEOUT`, in seconds: from 1 to 900 (Lambda's range), else 300.
pub fn timeout_s() -> u64 {
    let Some(value) = env::var(c"AWS_LAMBDA_FUNCTION_TIMEOUT") else {
        return DEFAULT_TIMEOUT_S;
    };
    match num::ascii_to_u64(value) {
        Some(seconds @ 1..=900) => seconds,
        _ => {
            log::text(
                b"AWS_LAMBDA_FUNCTION_TIMEOUT is not a number of seconds from 1 to 900; using 300",
            );
            DEFAULT_TIMEOUT_S
        }
    }
}

/// `arn:aws:lambda:{AWS_REGION}:012345678912:function:{AWS_LAMBDA_FUNCTION_NAME}`, with the
/// emulator's defaults (`us-east-1`, `test_function`) and account, NUL-terminated in `buf`.
pub fn function_arn(buf: &mut HeadBuffer) -> &[u8] {
    let region = log::printable::<256>(env::var(c"AWS_REGION").unwrap_or(b"us-east-1"));
    let name =
        log::printable::<256>(env::var(c"AWS_LAMBDA_FUNCTION_NAME").unwrap_or(b"test_function"));
    for part in [
        &b"arn:aws:lambda:"[..],
        &region,
        b":012345678912:function:",
        &name,
        b"\0",
    ] {
        let _ = buf.extend_from_slice(part); // fits: at most 550 bytes
    }
    buf.split_last().map_or(&[], |(_nul, arn)| arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids() {
        let mut buf = [0xff; REQUEST_ID_LEN + 1];
        let id = format_uuid([0xab; 16], &mut buf).to_vec();
        assert_eq!(id, b"abababab-abab-4bab-abab-abababababab");
        assert_eq!(buf[REQUEST_ID_LEN], 0, "NUL-terminated");
        let mut first = [0; REQUEST_ID_LEN + 1];
        let mut second = [0; REQUEST_ID_LEN + 1];
        assert_ne!(new_request_id(&mut first), new_request_id(&mut second));
    }
}
