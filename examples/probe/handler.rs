//! A bootstrap whose handler the integration tests steer through the event, to reach every
//! path of the runtime: errors, panics, the environment, the context, sizes.
//!
//! - `error:MSG`: fails with type `Function.Probe` and message MSG;
//! - `panic`: panics;
//! - `env:NAME`: answers the variable's value, or `<unset>`;
//! - `ctx`: answers the context as `key=value` lines;
//! - `big:N`: answers N bytes of `x`;
//! - `stream:N:M`: streams N bytes of the pattern `offset % 251`, in pieces of M (at most
//!   64 KiB), as `text/plain`, leaving nothing in the buffer;
//! - `stream-rest:N:M`: the same, but the last piece is left in the buffer;
//! - `stream-fail:N`: streams N pattern bytes, then fails with type `Function.StreamProbe`;
//! - `stream-panic:N`: streams N pattern bytes, then panics;
//! - `prelude`: an HTTP-integration response: status 201, two headers, two cookies, body `hi`;
//! - `lines:N`: writes `probe log line 1` .. `N` to stderr, as handlers log (for
//!   `X-Amz-Log-Type: Tail`), then answers `logged`.
//! - `log:LEVEL:MESSAGE`: logs MESSAGE (any bytes) at LEVEL with `abi::log::write`, then
//!   `info!(ctx, "logged ", N, " bytes")`, and answers `logged`;
//! - anything else: answers the event unchanged.
//!
//! - `count`: answers how many invocations this process has handled, this one included (a
//!   global that grows: isolated bootstraps answer 1 every time);
//! - `crash`: aborts the process (SIGABRT), as a crashing C handler would;
//! - `sleep:MS`: sleeps MS milliseconds, then answers its process id (concurrency tests);
//! - `stream-crash:N`: streams N pattern bytes, then aborts (a crash mid-stream);
//! - `stream-pause:MS`: streams `first`, sleeps MS milliseconds, then streams `second` (to see
//!   that pieces reach the caller as they come);
//!
//! With `PROBE_INIT_FAIL` set, the init hook fails with type `Function.InitProbe`.
//!
//! The shutdown hook (`probe-shutdown`) logs `probe: shutdown hook ran in PID after N
//! invocations`; with `PROBE_SHUTDOWN_HANG` set it then never returns.
//! Built twice: `probe` (examples/probe/main.rs) and `probe-isolated`.
use core::ffi::{CStr, c_char};

use lambda_bootstrap::{Context, Error, Response, codec::num};

unsafe extern "C" {
    fn getenv(name: *const c_char) -> *const c_char;
    fn abort() -> !;
    /// musl's fork without the atfork handlers, as the runtime's own (see `sys::process`).
    fn _Fork() -> core::ffi::c_int;
    fn _exit(status: core::ffi::c_int) -> !;
}

/// Invocations handled by this process.
static COUNT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

fn env(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: a NUL-terminated name; the value is read before anything changes the environment.
    let value = unsafe { getenv(name.as_ptr()) };
    // SAFETY: getenv returns null or a C string.
    (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_bytes())
}

pub fn init() -> Result<(), Error> {
    match env(c"PROBE_INIT_FAIL") {
        Some(_) => Err(Error::new("Function.InitProbe", "init failed on purpose")),
        None => Ok(()),
    }
}

/// The shutdown hook: says where it ran and what that process had served.
#[allow(dead_code)] // only `probe-shutdown` has one
pub fn bye() {
    let count = COUNT.load(core::sync::atomic::Ordering::Relaxed);
    let (mut n, mut pid) = ([0; num::U64_DIGITS], [0; num::U64_DIGITS]);
    let pid = num::u64_to_ascii(
        rustix::process::getpid().as_raw_nonzero().get() as u64,
        &mut pid,
    );
    lambda_bootstrap::sys::log::line(&[
        b"probe: shutdown hook ran in ",
        pid,
        b" after ",
        num::u64_to_ascii(count, &mut n),
        b" invocations",
    ]);
    if env(c"PROBE_SHUTDOWN_HANG").is_some() {
        loop {
            lambda_bootstrap::sys::sleep_ms(1000);
        }
    }
}

pub fn probe(ctx: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
    let count = COUNT.fetch_add(1, core::sync::atomic::Ordering::Relaxed) + 1;
    let mut digits = [0; num::U64_DIGITS];
    if event == b"count" {
        out.write(num::u64_to_ascii(count, &mut digits))?;
        return Ok(());
    }
    if event == b"crash" {
        // SAFETY: abort ends the process; nothing is left to be unsound.
        unsafe { abort() }
    }
    if let Some(ms) = event.strip_prefix(b"sleep:") {
        let ms = num::ascii_to_u64(ms).unwrap_or(0);
        let pause = rustix::time::Timespec {
            tv_sec: (ms / 1000) as _,
            tv_nsec: ((ms % 1000) * 1_000_000) as _,
        };
        let _ = rustix::thread::nanosleep(&pause);
        out.write(num::u64_to_ascii(
            rustix::process::getpid().as_raw_nonzero().get() as u64,
            &mut digits,
        ))?;
        return Ok(());
    }
    if let Some(message) = event.strip_prefix(b"error:") {
        return Err(Error::new(
            "Function.Probe",
            core::str::from_utf8(message).unwrap_or("?"),
        ));
    }
    if event == b"panic" {
        panic!("probe panic");
    }
    if let Some(lines) = event.strip_prefix(b"lines:") {
        // `probe log line {i}` on stderr, as handlers log, for `X-Amz-Log-Type: Tail`.
        for i in 1..=num::ascii_to_u64(lines).unwrap_or(0) {
            let number = num::u64_to_ascii(i, &mut digits);
            let mut line: heapless::Vec<u8, 64> = heapless::Vec::new();
            for part in [&b"probe log line "[..], number, b"\n"] {
                let _ = line.extend_from_slice(part);
            }
            // SAFETY: fd 2 stays open for the process's life; if closed, write fails.
            let _ = rustix::io::write(unsafe { rustix::stdio::stderr() }, &line);
        }
        out.write(b"logged")?;
        return Ok(());
    }
    if let Some(mib) = event.strip_prefix(b"spew:") {
        // MiB of 1 KiB lines of `x` on stderr, as fast as the log takes them.
        let mut lines = [b'x'; 4096];
        for end in (1023..4096).step_by(1024) {
            lines[end] = b'\n';
        }
        for _ in 0..num::ascii_to_u64(mib).unwrap_or(0) * 256 {
            // SAFETY: fd 2 stays open for the process's life; if closed, write fails.
            let _ = rustix::io::write(unsafe { rustix::stdio::stderr() }, &lines);
        }
        out.write(b"spewed")?;
        return Ok(());
    }
    if let Some(ms) = event.strip_prefix(b"orphan-spew:") {
        // A child left behind that logs without end (`orphan {pid}`, then lines of `o`) until
        // its stderr fails, while the handler sleeps `ms`.
        // SAFETY: no threads; the child only writes and exits.
        if unsafe { _Fork() } == 0 {
            let pid = rustix::process::getpid().as_raw_nonzero().get() as u64;
            let mut line: heapless::Vec<u8, 64> = heapless::Vec::new();
            for part in [&b"orphan "[..], num::u64_to_ascii(pid, &mut digits), b"\n"] {
                let _ = line.extend_from_slice(part);
            }
            let lines = [b'o'; 1024];
            // SAFETY: fd 2 stays open for the process's life; if closed, write fails.
            let stderr = unsafe { rustix::stdio::stderr() };
            let _ = rustix::io::write(stderr, &line);
            while rustix::io::write(stderr, &lines).is_ok() {}
            // SAFETY: ends the child, which holds nothing to release.
            unsafe { _exit(0) }
        }
        let ms = num::ascii_to_u64(ms).unwrap_or(0);
        let pause = rustix::time::Timespec {
            tv_sec: (ms / 1000) as _,
            tv_nsec: ((ms % 1000) * 1_000_000) as _,
        };
        let _ = rustix::thread::nanosleep(&pause);
        out.write(b"slept")?;
        return Ok(());
    }
    if let Some(rest) = event.strip_prefix(b"log:") {
        let split = rest.iter().position(|&b| b == b':').unwrap_or(rest.len());
        let (level, message) = rest.split_at(split);
        let message = message.get(1..).unwrap_or_default();
        let level = lambda_bootstrap::sys::log::Level::parse(level)
            .unwrap_or(lambda_bootstrap::sys::log::Level::Info);
        lambda_bootstrap::abi::log::write(level, ctx, &[&message]);
        lambda_bootstrap::info!(ctx, "logged ", message.len(), " bytes");
        out.write(b"logged")?;
        return Ok(());
    }
    if let Some(name) = event.strip_prefix(b"env:") {
        let mut c_name = [0u8; 256];
        let len = name.len().min(255);
        c_name[..len].copy_from_slice(&name[..len]);
        let c_name = CStr::from_bytes_until_nul(&c_name).unwrap_or(c"");
        out.write(env(c_name).unwrap_or(b"<unset>"))?;
        return Ok(());
    }
    if event == b"ctx" {
        let mut digits = [0; num::U64_DIGITS];
        let deadline = num::u64_to_ascii(ctx.deadline_ms as u64, &mut digits);
        let lines: [(&[u8], &[u8]); 8] = [
            (b"request_id", ctx.request_id.as_bytes()),
            (b"deadline_ms", deadline),
            (b"invoked_function_arn", ctx.invoked_function_arn.as_bytes()),
            (b"trace_id", ctx.trace_id.unwrap_or("").as_bytes()),
            (
                b"client_context",
                ctx.client_context.unwrap_or("").as_bytes(),
            ),
            (
                b"cognito_identity",
                ctx.cognito_identity.unwrap_or("").as_bytes(),
            ),
            (b"tenant_id", ctx.tenant_id.unwrap_or("").as_bytes()),
            (b"invocation_id", ctx.invocation_id.unwrap_or("").as_bytes()),
        ];
        for (key, value) in lines {
            out.write(key)?;
            out.write(b"=")?;
            out.write(value)?;
            out.write(b"\n")?;
        }
        return Ok(());
    }
    if let Some(rest) = event.strip_prefix(b"stream:") {
        let (total, piece) = two_numbers(rest);
        out.set_content_type("text/plain");
        stream_pattern(out, 0, total, piece)?;
        return Ok(());
    }
    if let Some(rest) = event.strip_prefix(b"stream-rest:") {
        let (total, piece) = two_numbers(rest);
        let streamed = total.saturating_sub(piece.min(total));
        stream_pattern(out, 0, streamed, piece)?;
        out.write(pattern(streamed, total - streamed))?;
        return Ok(());
    }
    if let Some(rest) = event.strip_prefix(b"stream-fail:") {
        let (total, _) = two_numbers(rest);
        stream_pattern(out, 0, total, 4096)?;
        return Err(Error::new("Function.StreamProbe", "failed mid-stream"));
    }
    if let Some(rest) = event.strip_prefix(b"stream-panic:") {
        let (total, _) = two_numbers(rest);
        stream_pattern(out, 0, total, 4096)?;
        panic!("probe panic mid-stream");
    }
    if let Some(rest) = event.strip_prefix(b"stream-crash:") {
        let (total, _) = two_numbers(rest);
        stream_pattern(out, 0, total, 4096)?;
        // SAFETY: abort ends the process; nothing is left to be unsound.
        unsafe { abort() }
    }
    if let Some(ms) = event.strip_prefix(b"stream-pause:") {
        out.stream(b"first")?;
        let ms = num::ascii_to_u64(ms).unwrap_or(0);
        let pause = rustix::time::Timespec {
            tv_sec: (ms / 1000) as _,
            tv_nsec: ((ms % 1000) * 1_000_000) as _,
        };
        let _ = rustix::thread::nanosleep(&pause);
        out.stream(b"second")?;
        return Ok(());
    }
    if event == b"prelude" {
        let headers = [("Content-Type", "text/html"), ("X-Probe", "yes")];
        out.stream_http_prelude(201, &headers, &["a=1", "b=2; Path=/"])?;
        out.stream(b"hi")?;
        return Ok(());
    }
    if let Some(size) = event.strip_prefix(b"big:") {
        let size = num::ascii_to_u64(size).unwrap_or(0) as usize;
        let spare = out.spare();
        let n = size.min(spare.len());
        spare[..n].fill(b'x');
        out.advance(size)?;
        return Ok(());
    }
    out.write(event)?;
    Ok(())
}

/// `N:M` (or `N`): two decimal numbers; missing or bad ones are 0 (M defaults to 4096).
fn two_numbers(text: &[u8]) -> (usize, usize) {
    let mut parts = text.splitn(2, |&b| b == b':');
    let total = parts.next().and_then(num::ascii_to_u64).unwrap_or(0) as usize;
    let piece = parts.next().and_then(num::ascii_to_u64).unwrap_or(4096) as usize;
    (total, piece.clamp(1, 65536))
}

const PATTERN_LEN: usize = 65536 + 251;
/// `PATTERN[i] == i % 251`, so any window of it continues the pattern at any offset.
static PATTERN: [u8; PATTERN_LEN] = {
    let mut bytes = [0u8; PATTERN_LEN];
    let mut i = 0;
    while i < PATTERN_LEN {
        bytes[i] = (i % 251) as u8;
        i += 1;
    }
    bytes
};

/// `len` (at most 64 KiB) pattern bytes starting at stream offset `offset`.
fn pattern(offset: usize, len: usize) -> &'static [u8] {
    let start = offset % 251;
    &PATTERN[start..start + len.min(65536)]
}

/// Streams pattern bytes `from..to` in pieces of `piece`.
fn stream_pattern(
    out: &mut Response<'_>,
    from: usize,
    to: usize,
    piece: usize,
) -> Result<(), Error> {
    let mut offset = from;
    while offset < to {
        let len = piece.min(to - offset);
        out.stream(pattern(offset, len))?;
        offset += len;
    }
    Ok(())
}
