//! Log lines on stderr, which Lambda sends to the function's log, in the format Lambda's
//! advanced logging controls ask for:
//!
//! - `AWS_LAMBDA_LOG_FORMAT=JSON`: one JSON object per line, `{"timestamp":"2026-11-30T06:27:23.123Z",
//!   "level":"WARN","message":"...","requestId":"..."}` (`requestId` during an invocation);
//!   otherwise (`Text`, the default) the runtime's lines are `bootstrap: message`, and a
//!   handler's (`abi::log`) `timestamp<TAB>requestId<TAB>LEVEL<TAB>message`.
//! - `AWS_LAMBDA_LOG_LEVEL` (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`): lines below
//!   it are dropped; unset, nothing is.
//!
//! Each line is one `write` (or `writev`), so lines from the runtime, handler code and other
//! workers do not interleave mid-line.

use core::sync::atomic::{AtomicPtr, AtomicU8, AtomicUsize, Ordering};

use rustix::io::IoSlice;

use super::clock::{Clock, now_ms};

const PREFIX: &[u8] = b"bootstrap: ";
const MAX_PARTS: usize = 14;
/// The longest JSON line; a longer message is cut (at a character boundary).
const MAX_JSON_LINE: usize = 8 * 1024;

/// A line's level, as Lambda's log-level filter names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// `TRACE`: the finest detail.
    Trace = 0,
    /// `DEBUG`.
    Debug = 1,
    /// `INFO`: the runtime's ordinary lines, Lambda's START, END and REPORT lines.
    Info = 2,
    /// `WARN`: something was refused or replaced, and the runtime goes on.
    Warn = 3,
    /// `ERROR`: an invocation or init failed.
    Error = 4,
    /// `FATAL`: the runtime is about to exit.
    Fatal = 5,
}

/// The level names, five bytes apiece (one string, not a table of slices, each of which
/// would need a relocation in the static-pie).
const NAMES: &[u8; 30] = b"TRACEDEBUGINFO WARN ERRORFATAL";

impl Level {
    /// `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `FATAL`.
    pub fn name(self) -> &'static [u8] {
        let at = self as usize * 5;
        let name = NAMES.get(at..at + 5).unwrap_or_default();
        name.strip_suffix(b" ").unwrap_or(name)
    }

    /// The level named `name` (any case), or, given a number from 0 to 5, that level.
    pub fn parse(name: &[u8]) -> Option<Level> {
        let levels = [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error,
            Level::Fatal,
        ];
        levels.into_iter().find(|l| same_letters(l.name(), name))
    }

    /// The level numbered `n` (C's `LB_LOG_*`), clamped to `Fatal`; negative is `Trace`.
    pub fn from_number(n: i32) -> Level {
        match n {
            ..=0 => Level::Trace,
            1 => Level::Debug,
            2 => Level::Info,
            3 => Level::Warn,
            4 => Level::Error,
            _ => Level::Fatal,
        }
    }
}

/// Who writes a line: the runtime (its own messages, panics), Lambda (as local mode stands in
/// for it), or handler code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The runtime's own messages and panics.
    Runtime,
    /// The lines Lambda writes around an invocation (`START`, `END`, `REPORT`), which local
    /// mode writes in Lambda's stead: as Lambda does, without the runtime's prefix, so that
    /// what reads Lambda's logs (or a `LogResult`) reads them.
    Platform,
    /// Lines a handler writes through the logging API.
    Handler,
}

/// The controls, read from the environment on first use: 0 = not read yet, else
/// `0x80 | json << 3 | minimum level`.
static CONTROLS: AtomicU8 = AtomicU8::new(0);

/// Whether `a` and `b` are the same letters in any case (for names made of letters: other
/// bytes may match their neighbour 32 apart, which does no harm here). Smaller than core's
/// `eq_ignore_ascii_case` (400 bytes).
fn same_letters(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x & 0xDF == y & 0xDF)
}

fn controls() -> (bool, u8) {
    let mut c = CONTROLS.load(Ordering::Relaxed);
    if c == 0 {
        let json =
            super::env::var(c"AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| same_letters(f, b"JSON"));
        let level = super::env::var(c"AWS_LAMBDA_LOG_LEVEL")
            .and_then(Level::parse)
            .unwrap_or(Level::Trace);
        c = 0x80 | (u8::from(json) << 3) | level as u8;
        CONTROLS.store(c, Ordering::Relaxed);
    }
    (c & 8 != 0, c & 7)
}

/// The lowest level written (`AWS_LAMBDA_LOG_LEVEL`; `TRACE` when unset).
pub fn minimum() -> Level {
    Level::from_number(i32::from(controls().1))
}

/// The request id of the invocation in progress, lent by the runtime for its duration (it
/// lives in the receive buffer): null when there is none.
static REQUEST_ID: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());
static REQUEST_ID_LEN: AtomicUsize = AtomicUsize::new(0);

/// From now lines carry `request_id`, until [`end_request`]. The runtime calls this around
/// each handler call.
///
/// # Safety
/// `request_id` must stay valid and unchanged until [`end_request`] is called.
pub unsafe fn begin_request(request_id: &[u8]) {
    REQUEST_ID_LEN.store(request_id.len(), Ordering::SeqCst);
    REQUEST_ID.store(request_id.as_ptr().cast_mut(), Ordering::SeqCst);
}

/// Lines no longer carry a request id.
pub fn end_request() {
    REQUEST_ID.store(core::ptr::null_mut(), Ordering::SeqCst);
}

/// The request id of the invocation in progress, or empty.
pub fn request_id() -> &'static [u8] {
    let ptr = REQUEST_ID.load(Ordering::SeqCst);
    if ptr.is_null() {
        return &[];
    }
    // SAFETY: `begin_request`'s contract keeps the bytes valid until `end_request`, which
    // nulls the pointer first; the process is single-threaded (a signal handler that logs
    // only reads).
    unsafe { core::slice::from_raw_parts(ptr, REQUEST_ID_LEN.load(Ordering::SeqCst)) }
}

/// Writes a line of `parts` at `level`, unless the level filter drops it. Errors are
/// ignored: there is nowhere else to report them.
#[inline(never)]
pub fn write(level: Level, source: Source, parts: &[&[u8]]) {
    let (json, minimum) = controls();
    if (level as u8) < minimum {
        return;
    }
    let parts = parts.get(..MAX_PARTS).unwrap_or(parts);
    let request_id = request_id();
    let mut time = [0u8; TIMESTAMP_LEN];
    let mut line = [0u8; MAX_JSON_LINE];
    let head: [&[u8]; 6];
    let (head, parts): (&[&[u8]], &[&[u8]]) = if json {
        let len = json_line(&mut line, timestamp(&mut time), level, parts, request_id);
        head = [line.get(..len).unwrap_or_default(), b"", b"", b"", b"", b""];
        (&head[..1], &[])
    } else if source != Source::Handler {
        // The runtime's lines have its prefix, Lambda's none (an empty slice to `writev`).
        let prefix: &[u8] = if source == Source::Runtime {
            PREFIX
        } else {
            b""
        };
        head = [prefix, b"", b"", b"", b"", b""];
        (&head[..1], parts)
    } else {
        head = [
            timestamp(&mut time),
            b"\t",
            request_id,
            b"\t",
            level.name(),
            b"\t",
        ];
        (&head[..], parts)
    };
    // On the stack, not a constant `&[b"\n"]`: a static slice of slices is a relocation.
    let newline: [&[u8]; 1] = [b"\n"];
    let newline = if json { &newline[..0] } else { &newline[..] };
    let mut slices = [IoSlice::new(&[]); MAX_PARTS + 7];
    let mut count = 0;
    for (slot, piece) in slices
        .iter_mut()
        .zip(head.iter().chain(parts).chain(newline))
    {
        *slot = IoSlice::new(piece);
        count += 1;
    }
    // SAFETY: fd 2 is open for the life of the process (the runtime never closes it); were it
    // closed, the write would fail with EBADF, which is ignored.
    let stderr = unsafe { rustix::stdio::stderr() };
    let _ = rustix::io::writev(stderr, slices.get(..count).unwrap_or_default());
}

/// Writes one of the runtime's lines, `bootstrap: ` + `parts`, at level WARN (its messages
/// are about something that went wrong, mostly).
pub fn line(parts: &[&[u8]]) {
    write(Level::Warn, Source::Runtime, parts);
}

/// [`line()`] at INFO (local mode's greeting).
pub fn info(parts: &[&[u8]]) {
    write(Level::Info, Source::Runtime, parts);
}

/// One of Lambda's lines around an invocation, at INFO (see [`Source::Platform`]).
pub fn platform(parts: &[&[u8]]) {
    write(Level::Info, Source::Platform, parts);
}

/// [`line()`] at ERROR (panics, a failed init).
pub fn error(parts: &[&[u8]]) {
    write(Level::Error, Source::Runtime, parts);
}

/// Writes `bootstrap: ` + `message` + newline: [`line()`] with one part. A constant
/// `line(&[b"..."])` would make the one-slice array a static, with a relocation (40 bytes
/// per message in the static-pie); this builds it on the stack.
#[inline(never)]
pub fn text(message: &[u8]) {
    line(&[message]);
}

/// `2026-11-30T06:27:23.123Z`.
pub const TIMESTAMP_LEN: usize = 24;

/// The realtime clock as an ISO 8601 UTC timestamp with milliseconds, in `out`.
pub fn timestamp(out: &mut [u8; TIMESTAMP_LEN]) -> &[u8] {
    format_timestamp(now_ms(Clock::Realtime), out)
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (from 1970 to 9999).
pub fn format_timestamp(unix_ms: i64, out: &mut [u8; TIMESTAMP_LEN]) -> &[u8] {
    let unix_ms = unix_ms.max(0) as u64;
    let seconds = unix_ms / 1000;
    // Days until 9999 and seconds of a day fit in 32 bits, whose arithmetic is smaller code.
    let (year, month, day) = civil_from_days((seconds / 86_400) as u32);
    let of_day = (seconds % 86_400) as u32;
    let fields: [(u32, usize, u8); 7] = [
        (year, 4, b'-'),
        (month, 2, b'-'),
        (day, 2, b'T'),
        (of_day / 3600, 2, b':'),
        (of_day / 60 % 60, 2, b':'),
        (of_day % 60, 2, b'.'),
        ((unix_ms % 1000) as u32, 3, b'Z'),
    ];
    let mut at = 0;
    for (mut value, width, after) in fields {
        for i in (0..width).rev() {
            if let Some(digit) = out.get_mut(at + i) {
                *digit = b'0' + (value % 10) as u8;
            }
            value /= 10;
        }
        if let Some(sep) = out.get_mut(at + width) {
            *sep = after;
        }
        at += width + 1;
    }
    out
}

/// The Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`,
/// for days from 1970 on): `(year, month 1-12, day 1-31)`.
pub fn civil_from_days(days: u32) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // 0..=11, from March
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u32::from(month <= 2);
    (year, month, day)
}

/// Writes `{"timestamp":...,"level":...,"message":...[,"requestId":...]}` and a newline into
/// `out`; returns its length. The message (the parts, joined) is cut to what fits.
pub fn json_line(
    out: &mut [u8],
    timestamp: &[u8],
    level: Level,
    parts: &[&[u8]],
    request_id: &[u8],
) -> usize {
    let mut line = Line { out, len: 0 };
    line.raw(b"{\"timestamp\":\"");
    line.raw(timestamp);
    line.raw(b"\",\"level\":\"");
    line.raw(level.name());
    line.raw(b"\",\"message\":\"");
    // Room for the rest: the request id (escaped, at worst 6 bytes per byte) and the end.
    let tail = 16 + 6 * request_id.len();
    for part in parts {
        line.escaped(part, tail);
    }
    line.raw(b"\"");
    if !request_id.is_empty() {
        line.raw(b",\"requestId\":\"");
        line.escaped(request_id, 3);
        line.raw(b"\"");
    }
    line.raw(b"}\n");
    line.len
}

/// Appends to a buffer; what does not fit is left out (the callers leave room for the end).
struct Line<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Line<'_> {
    fn raw(&mut self, bytes: &[u8]) -> bool {
        let end = self.len + bytes.len();
        match self.out.get_mut(self.len..end) {
            Some(room) => {
                // Not `copy_from_slice`: its length check's panic message links core::fmt.
                room.iter_mut()
                    .zip(bytes)
                    .for_each(|(to, from)| *to = *from);
                self.len = end;
                true
            }
            None => false,
        }
    }

    /// `bytes` as the inside of a JSON string: quotes, backslashes and control bytes escaped,
    /// invalid UTF-8 as `\ufffd`, stopping (at a character boundary) where fewer than `keep`
    /// bytes of room would be left.
    fn escaped(&mut self, bytes: &[u8], keep: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut rest = bytes;
        while !rest.is_empty() {
            let (valid, invalid) = match core::str::from_utf8(rest) {
                Ok(_) => (rest, 0),
                Err(e) => {
                    let valid = rest.get(..e.valid_up_to()).unwrap_or_default();
                    let invalid = e.error_len().map_or(rest.len() - valid.len(), usize::from);
                    (valid, invalid)
                }
            };
            for &b in valid {
                let mut escape = *b"\\u0000";
                let piece: &[u8] = match b {
                    b'"' => b"\\\"",
                    b'\\' => b"\\\\",
                    b'\n' => b"\\n",
                    b'\r' => b"\\r",
                    b'\t' => b"\\t",
                    0..0x20 | 0x7f => {
                        escape[4] = HEX[usize::from(b >> 4)];
                        escape[5] = HEX[usize::from(b & 15)];
                        &escape
                    }
                    _ => core::slice::from_ref(&b),
                };
                // A character's first byte needs room for the whole character (4 bytes at
                // most); its other bytes (10xxxxxx) follow it.
                let needed = if b & 0xC0 == 0x80 { 0 } else { 4 + keep };
                if self.out.len() - self.len < needed + piece.len() {
                    return;
                }
                self.raw(piece);
            }
            if invalid > 0 {
                if self.out.len() - self.len < 6 + keep {
                    return;
                }
                self.raw(b"\\ufffd");
            }
            rest = rest.get(valid.len() + invalid..).unwrap_or_default();
        }
    }
}

/// Untrusted text made safe for a log line: at most `N` bytes, anything but visible ASCII and
/// space shown as `?`, so a hostile value cannot forge or split lines.
pub fn printable<const N: usize>(bytes: &[u8]) -> heapless::Vec<u8, N> {
    bytes
        .iter()
        .take(N)
        .map(|&b| {
            if b == b' ' || b.is_ascii_graphic() {
                b
            } else {
                b'?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_hides_controls_and_clips() {
        let safe = super::printable::<8>(b"a\r\nb\x00c\xffdefgh");
        assert_eq!(&safe[..], b"a??b?c?d");
    }

    fn ts(ms: i64) -> String {
        let mut out = [0; TIMESTAMP_LEN];
        String::from_utf8(format_timestamp(ms, &mut out).to_vec()).unwrap()
    }

    #[test]
    fn timestamps_are_iso_8601_utc_with_milliseconds() {
        assert_eq!(ts(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(ts(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(ts(1_796_020_043_123), "2026-11-30T06:27:23.123Z");
        assert_eq!(ts(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(ts(-1), "1970-01-01T00:00:00.000Z", "before 1970: 1970");
    }

    #[test]
    fn civil_dates_match_a_day_by_day_count() {
        // Walk 1970..2400 day by day and compare with a naive calendar.
        let (mut y, mut m, mut d) = (1970u32, 1u32, 1u32);
        for days in 0..(430 * 366) {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ][m as usize - 1];
            d += 1;
            if d > len {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    fn line(parts: &[&[u8]], request_id: &[u8], room: usize) -> serde_json::Value {
        let mut out = vec![0; room];
        let len = json_line(
            &mut out,
            b"2026-11-30T06:27:23.123Z",
            Level::Warn,
            parts,
            request_id,
        );
        assert_eq!(out[len - 1], b'\n');
        assert!(!out[..len - 1].contains(&b'\n'), "one line");
        serde_json::from_slice(&out[..len]).unwrap()
    }

    #[test]
    fn json_lines_escape_quotes_controls_and_invalid_utf8() {
        let v = line(
            &[
                b"say \"hi\"\\ \n\r\t\x00\x1f\x7f ",
                b"\xff\xfe ok \xc3\xa9 \xe2\x82",
            ],
            b"id-1",
            4096,
        );
        assert_eq!(
            v["message"],
            "say \"hi\"\\ \n\r\t\u{0}\u{1f}\u{7f} \u{FFFD}\u{FFFD} ok é \u{FFFD}"
        );
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["requestId"], "id-1");
        assert_eq!(v["timestamp"], "2026-11-30T06:27:23.123Z");
        let v = line(&[b"no id"], b"", 4096);
        assert!(v.get("requestId").is_none());
    }

    #[test]
    fn a_long_message_is_cut_and_stays_valid_json() {
        let long = "é\"".repeat(5000);
        for room in [200, 201, 202, 203, 1000, 8192] {
            let v = line(&[long.as_bytes()], b"req", room);
            let message = v["message"].as_str().unwrap();
            assert!(
                long.starts_with(message),
                "a prefix, at a character boundary"
            );
            assert!(!message.is_empty());
            assert_eq!(v["requestId"], "req");
        }
    }

    #[test]
    fn levels_parse_and_name() {
        for (name, level) in [
            ("trace", Level::Trace),
            ("INFO", Level::Info),
            ("Warn", Level::Warn),
            ("FATAL", Level::Fatal),
        ] {
            assert_eq!(Level::parse(name.as_bytes()), Some(level));
            assert!(level.name().eq_ignore_ascii_case(name.as_bytes()));
        }
        assert_eq!(Level::parse(b"INF"), None);
        assert_eq!(Level::parse(b"VERBOSE"), None);
        assert_eq!(Level::from_number(-3), Level::Trace);
        assert_eq!(Level::from_number(9), Level::Fatal);
    }
}
