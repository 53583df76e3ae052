//! The lines Lambda writes around each invocation's log: `START` before it, `END` and
//! `REPORT` after it. With `X-Amz-Log-Type: Tail` they are written into the captured log
//! before its tail is taken, so the tail always holds them, as Lambda's does (even when the
//! handler logged nothing); otherwise `END` and `REPORT` follow the answer.

use super::answer::{Caller, Mode};
use crate::codec::num;
use crate::sys::clock::{Clock, now_us};
use crate::sys::{log, process};

/// `START RequestId: {id} Version: $LATEST`, as the invocation starts.
pub fn start(request_id: &[u8]) {
    log::platform(&[b"START RequestId: ", request_id, b" Version: $LATEST"]);
}

/// `END RequestId: {id}`, then one line in the shape of Lambda's `REPORT` lines (billed: the
/// duration rounded up to the millisecond, at least one, as Lambda bills):
/// `REPORT RequestId: {id} Duration: 1.23 ms Billed Duration: 2 ms Memory Size: 3008 MB
/// Max Memory Used: 5 MB Status: 200 [Error: {type}]` (202 for an `Event` invocation), with
/// a tab before each field after the id, as Lambda separates them.
/// Written by the server, or by the watchdog when the server died; once (see
/// [`Caller::reported`]).
pub fn report(caller: &Caller, error_type: Option<&[u8]>) {
    if caller.reported.replace(true) {
        return;
    }
    let us = (now_us(Clock::Monotonic) - caller.started_us).max(0) as u64;
    let mut whole = [0; num::U64_DIGITS];
    let mut hundredths = [0; num::U64_DIGITS];
    let (ms, fraction) = duration_ms(us, &mut whole, &mut hundredths);
    let mut billed = [0; num::U64_DIGITS];
    let billed = num::u64_to_ascii(us.div_ceil(1000).max(1), &mut billed);
    let mut size = [0; num::U64_DIGITS];
    let size = num::u64_to_ascii(memory_size_mb(), &mut size);
    let mut used = [0; num::U64_DIGITS];
    let used = num::u64_to_ascii(process::peak_memory_kb().div_ceil(1024).max(1), &mut used);
    let (label, error_type) = match error_type {
        Some(error_type) => (&b"\tError: "[..], error_type),
        None => (&b""[..], &b""[..]),
    };
    // SAFETY: the request id outlives the line, and `end_request` follows at once.
    unsafe { log::begin_request(&caller.request_id) };
    log::platform(&[b"END RequestId: ", &caller.request_id]);
    log::platform(&[
        b"REPORT RequestId: ",
        &caller.request_id,
        b"\tDuration: ",
        ms,
        fraction,
        b" ms\tBilled Duration: ",
        billed,
        b" ms\tMemory Size: ",
        size,
        b" MB\tMax Memory Used: ",
        used,
        if caller.mode == Mode::Accepted {
            b" MB\tStatus: 202"
        } else {
            b" MB\tStatus: 200"
        },
        label,
        error_type,
    ]);
    log::end_request();
}

/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, or the emulator's 3008. Only reported: nothing limits
/// the memory the function takes.
fn memory_size_mb() -> u64 {
    crate::api::number_from_env(c"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 3008)
}

/// Microseconds as milliseconds with two decimals: the whole part, and `.` with the decimals.
fn duration_ms<'d>(
    us: u64,
    whole: &'d mut [u8; num::U64_DIGITS],
    hundredths: &'d mut [u8; num::U64_DIGITS],
) -> (&'d [u8], &'d [u8]) {
    // `1xx`, whose 1 keeps the leading zero of the decimals and then becomes the point.
    num::u64_to_ascii(100 + us % 1000 / 10, hundredths);
    let point = num::U64_DIGITS - 3;
    hundredths[point] = b'.';
    (num::u64_to_ascii(us / 1000, whole), &hundredths[point..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_milliseconds_with_two_decimals() {
        for (us, text) in [
            (0, "0.00"),
            (1_234, "1.23"),
            (9, "0.00"),
            (10, "0.01"),
            (3_000_000, "3000.00"),
        ] {
            let (mut whole, mut hundredths) = ([0; num::U64_DIGITS], [0; num::U64_DIGITS]);
            let (ms, fraction) = duration_ms(us, &mut whole, &mut hundredths);
            assert_eq!([ms, fraction].concat(), text.as_bytes(), "{us} µs");
        }
    }
}
