//! The errors exec mode reports, as `Error` values: their types and their messages.
//!
//! A message is at most [`MAX_RUST_ERROR_MESSAGE`] bytes (4 KiB, the Rust handler API's limit),
//! so it carries the end of the program's stderr that fits; the whole stream is in the log.

use super::argument::{MAX_ARG_STRLEN, NotAnArgument};
use crate::abi::handler::{Error, MAX_RUST_ERROR_MESSAGE};
use crate::codec::num;

/// The program exited with a status other than 0.
pub const EXIT_STATUS: &str = "Function.ExitStatus";
/// The program was killed by a signal (not by us at the deadline).
const SIGNAL: &str = "Function.Signal";
/// The program was still running at the deadline; it was killed with its process group.
/// Lambda's own type and wording for a timeout, so that alarms and log filters match.
const TIMEOUT: &str = "Sandbox.Timedout";
/// The program wrote more than the response buffer holds; it was killed.
pub const RESPONSE_TOO_LARGE: &str = "Runtime.ResponseTooLarge";
/// The event could not be the program's argument (`$1`) and the program did not read it from
/// its stdin either: it cannot have seen the event, and its answer must not pass for one.
const EVENT_TOO_LARGE_FOR_ARGUMENT: &str = "Runtime.EventTooLargeForArgument";
/// The program could not be started (exec failed: a missing `#!` interpreter, say).
pub const EXEC_FAILED: &str = "Runtime.ExecFailed";
/// Init: no program was named, or it does not exist.
pub const HANDLER_NOT_FOUND: &str = "Runtime.HandlerNotFound";
/// Init: the program exists but is not an executable file.
pub const HANDLER_NOT_EXECUTABLE: &str = "Runtime.HandlerNotExecutable";

/// Longest piece of a path quoted in a message.
const MAX_QUOTED_PATH: usize = 256;

/// How a failed run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// Exited with this non-zero status.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
    /// Killed at the deadline of invocation `request_id`, which had `timeout_ms` to run (from
    /// when it arrived to its deadline: about the function's timeout).
    TimedOut {
        /// The invocation's id.
        request_id: &'a [u8],
        /// How long it had, in milliseconds.
        timeout_ms: u64,
    },
    /// Killed for writing more than `limit` bytes to stdout.
    TooLarge {
        /// The response buffer's size.
        limit: usize,
    },
    /// Exited with this status without reading the event from stdin, when the event of
    /// `event_len` bytes was no argument either.
    EventUntouched {
        /// Its exit status.
        status: i32,
        /// The event's size.
        event_len: usize,
        /// Why the event was not passed as an argument.
        why: NotAnArgument,
    },
}

/// The error for a failed run, with the end of stderr (`stderr_tail`, of `stderr_total`
/// bytes written in all) that fits.
pub fn failure(failure: Failure<'_>, stderr_tail: &[u8], stderr_total: u64) -> Error {
    let mut text = Text::new();
    let error_type = match failure {
        Failure::Exited(status) => {
            text.push(b"exited with status ");
            text.number(status.unsigned_abs().into());
            EXIT_STATUS
        }
        Failure::Signaled(signal) => {
            text.push(b"killed by signal ");
            text.number(signal.unsigned_abs().into());
            if let Some(name) = signal_name(signal) {
                text.push(b" (SIG");
                text.push(name);
                text.push(b")");
            }
            SIGNAL
        }
        Failure::TimedOut {
            request_id,
            timeout_ms,
        } => {
            text.timed_out(request_id, timeout_ms);
            TIMEOUT
        }
        Failure::TooLarge { limit } => {
            text.push(b"wrote more than ");
            text.number(limit as u64);
            text.push(
                b" bytes to stdout, the most a response can be; killed with its process group",
            );
            RESPONSE_TOO_LARGE
        }
        Failure::EventUntouched {
            status,
            event_len,
            why,
        } => {
            text.push(b"the event (");
            text.number(event_len as u64);
            text.push(match why {
                NotAnArgument::TooLong => b" bytes) is too large to be an argument (at most ",
                NotAnArgument::HasNul => b" bytes) has a NUL byte, which an argument cannot hold (",
                NotAnArgument::NoRoom => {
                    b" bytes) did not fit beside the environment as an argument ("
                }
            });
            text.number(MAX_ARG_STRLEN as u64 - 1);
            text.push(b" bytes), so the program got no $1, and it exited with status ");
            text.number(status.unsigned_abs().into());
            text.push(b" without reading the event from its stdin: read it there (event=$(cat)), which takes any size");
            EVENT_TOO_LARGE_FOR_ARGUMENT
        }
    };
    text.stderr(stderr_tail, stderr_total);
    text.into_error(error_type)
}

/// The error for an invocation whose deadline had passed before the program could start.
pub fn expired(request_id: &[u8], timeout_ms: u64) -> Error {
    let mut text = Text::new();
    text.timed_out(request_id, timeout_ms);
    text.push(b"; the deadline had passed before the program could start");
    text.into_error(TIMEOUT)
}

/// The error for an event with a NUL byte in the `file.function` form: the function gets the
/// event as `$1`, a shell string, which cannot hold one (and the shell's `$(cat)` would drop
/// it), so the function is not called rather than called with another event. Of the program
/// form's type for the same event (which is no argument either).
pub fn nul_for_function(event_len: usize) -> Error {
    let mut text = Text::new();
    text.push(b"the event (");
    text.number(event_len as u64);
    text.push(
        b" bytes) has a NUL byte, which a shell function's $1 cannot hold, so the function was \
        not called: a program handler (_HANDLER=file, not file.function) gets any bytes on its \
        stdin",
    );
    text.into_error(EVENT_TOO_LARGE_FOR_ARGUMENT)
}

/// `Task timed out after 3.00 seconds`: Lambda's words for a timeout, with `timeout_ms` in
/// seconds to two decimals, rounded.
pub fn task_timed_out(timeout_ms: u64, out: &mut [u8; TASK_TIMED_OUT_LEN]) -> &[u8] {
    let hundredths = timeout_ms.saturating_add(5) / 10;
    let mut whole = [0; num::U64_DIGITS];
    let whole = num::u64_to_ascii(hundredths / 100, &mut whole);
    let fraction = [
        b'0' + (hundredths % 100 / 10) as u8,
        b'0' + (hundredths % 10) as u8,
    ];
    let mut len = 0;
    for piece in [
        &b"Task timed out after "[..],
        whole,
        b".",
        &fraction,
        b" seconds",
    ] {
        len = crate::codec::bytes::put(out, len, piece).unwrap_or(len); // fits: see TASK_TIMED_OUT_LEN
    }
    out.get(..len).unwrap_or_default()
}

/// Room for [`task_timed_out`]'s words with the largest number.
pub const TASK_TIMED_OUT_LEN: usize = 64;

/// The error for a program that could not be started: `what` failed with `reason` (errno's
/// text), e.g. `cannot execute /var/task/run.sh: No such file or directory`.
pub fn exec_failed(what: &[u8], path: &[u8], reason: &[u8], hint: &[u8]) -> Error {
    let mut text = Text::new();
    text.push(what);
    if !path.is_empty() {
        text.push(b" ");
        text.path(path);
    }
    text.push(b": ");
    text.push(reason);
    text.push(hint);
    text.into_error(EXEC_FAILED)
}

/// An init error about the program at `path`: `PATH` + `what`.
pub fn about_program(error_type: &'static str, path: &[u8], what: &[&[u8]]) -> Error {
    let mut text = Text::new();
    text.path(path);
    for piece in what {
        text.push(piece);
    }
    text.into_error(error_type)
}

/// Init: the program does not exist, and neither does the file its name means in the
/// tutorial's `file.function` form.
pub fn neither_exists(path: &[u8], script: &[u8]) -> Error {
    let mut text = Text::new();
    text.path(path);
    text.push(b" does not exist, nor does ");
    text.path(script);
    text.push(b" (for the file.function form: the shell function in file.sh)");
    text.into_error(HANDLER_NOT_FOUND)
}

/// A message being built, at most `MAX_RUST_ERROR_MESSAGE` bytes of valid UTF-8.
struct Text {
    text: heapless::String<MAX_RUST_ERROR_MESSAGE>,
}

impl Text {
    fn new() -> Self {
        Text {
            text: heapless::String::new(),
        }
    }

    fn room(&self) -> usize {
        MAX_RUST_ERROR_MESSAGE - self.text.len()
    }

    /// Appends `bytes` as far as they fit, any byte that is not part of valid UTF-8 as `?`.
    fn push(&mut self, bytes: &[u8]) {
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if self.text.push(c).is_err() {
                    return;
                }
            }
            for _ in chunk.invalid() {
                if self.text.push('?').is_err() {
                    return;
                }
            }
        }
    }

    fn number(&mut self, n: u64) {
        let mut digits = [0; num::U64_DIGITS];
        self.push(num::u64_to_ascii(n, &mut digits));
    }

    /// `RequestId: ID Error: Task timed out after N.NN seconds`, as Lambda words it.
    fn timed_out(&mut self, request_id: &[u8], timeout_ms: u64) {
        let mut words = [0; TASK_TIMED_OUT_LEN];
        self.push(b"RequestId: ");
        self.push(request_id);
        self.push(b" Error: ");
        self.push(task_timed_out(timeout_ms, &mut words));
    }

    /// A path, or its last `MAX_QUOTED_PATH` bytes after `...`.
    fn path(&mut self, path: &[u8]) {
        if path.len() > MAX_QUOTED_PATH {
            self.push(b"...");
            self.push(skip_continuation_bytes(
                &path[path.len() - MAX_QUOTED_PATH..],
            ));
        } else {
            self.push(path);
        }
    }

    /// `; stderr: TEXT`, or `; stderr (last N bytes): TEXT` when only its end fits.
    fn stderr(&mut self, tail: &[u8], total: u64) {
        let whole = total == tail.len() as u64;
        let tail = trim_end(tail);
        if tail.is_empty() {
            self.push(if total == 0 {
                b"; nothing on stderr"
            } else {
                b"; stderr: blank"
            });
            return;
        }
        // Room for the longest label: "; stderr (last 18446744073709551615 bytes): ".
        const LABEL: usize = 45;
        let fits = self.room().saturating_sub(LABEL);
        let shown = skip_continuation_bytes(&tail[tail.len() - tail.len().min(fits)..]);
        if whole && shown.len() == tail.len() {
            // All of it (but trailing blanks).
            self.push(b"; stderr: ");
        } else {
            self.push(b"; stderr (last ");
            self.number(shown.len() as u64);
            self.push(b" bytes): ");
        }
        self.push(shown);
    }

    fn into_error(self, error_type: &'static str) -> Error {
        Error::new(error_type, &self.text)
    }
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Drops the continuation bytes of a character cut at the start (at most three).
fn skip_continuation_bytes(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .take(3)
        .take_while(|&&b| b & 0xC0 == 0x80)
        .count();
    &bytes[skip..]
}

/// The name of a Linux signal without its `SIG` prefix (x86_64 numbering).
fn signal_name(signal: i32) -> Option<&'static [u8]> {
    const NAMES: [&[u8]; 31] = [
        b"HUP", b"INT", b"QUIT", b"ILL", b"TRAP", b"ABRT", b"BUS", b"FPE", b"KILL", b"USR1",
        b"SEGV", b"USR2", b"PIPE", b"ALRM", b"TERM", b"STKFLT", b"CHLD", b"CONT", b"STOP", b"TSTP",
        b"TTIN", b"TTOU", b"URG", b"XCPU", b"XFSZ", b"VTALRM", b"PROF", b"WINCH", b"IO", b"PWR",
        b"SYS",
    ];
    let index = usize::try_from(signal).ok()?.checked_sub(1)?;
    NAMES.get(index).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_with_all_of_stderr() {
        let error = failure(Failure::Exited(3), b"something broke\n", 16);
        assert_eq!(error.error_type, EXIT_STATUS);
        assert_eq!(
            error.message.as_str(),
            "exited with status 3; stderr: something broke"
        );
    }

    #[test]
    fn signal_with_its_name_and_empty_stderr() {
        let error = failure(Failure::Signaled(9), b"", 0);
        assert_eq!(error.error_type, SIGNAL);
        assert_eq!(
            error.message.as_str(),
            "killed by signal 9 (SIGKILL); nothing on stderr"
        );
        let error = failure(Failure::Signaled(64), b" \n", 2);
        assert_eq!(error.message.as_str(), "killed by signal 64; stderr: blank");
        assert_eq!(signal_name(11), Some(&b"SEGV"[..]));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(-1), None);
    }

    #[test]
    fn timeout_and_too_large() {
        let error = failure(
            Failure::TimedOut {
                request_id: b"id-1",
                timeout_ms: 2998,
            },
            b"working...\n",
            11,
        );
        assert_eq!(error.error_type, "Sandbox.Timedout");
        assert_eq!(
            error.message.as_str(),
            "RequestId: id-1 Error: Task timed out after 3.00 seconds; stderr: working..."
        );
        let error = expired(b"id-2", 14);
        assert_eq!(error.error_type, "Sandbox.Timedout");
        assert_eq!(
            error.message.as_str(),
            "RequestId: id-2 Error: Task timed out after 0.01 seconds; the deadline had passed before the program could start"
        );
        let mut out = [0; TASK_TIMED_OUT_LEN];
        for (ms, words) in [
            (0, "0.00"),
            (4, "0.00"),
            (5, "0.01"),
            (1_234, "1.23"),
            (900_000, "900.00"),
            (59_996, "60.00"),
        ] {
            assert_eq!(
                task_timed_out(ms, &mut out),
                format!("Task timed out after {words} seconds").as_bytes()
            );
        }
        assert_eq!(
            task_timed_out(u64::MAX, &mut out),
            b"Task timed out after 18446744073709551.61 seconds"
        );
        let error = failure(Failure::TooLarge { limit: 6_291_456 }, b"", 0);
        assert_eq!(error.error_type, RESPONSE_TOO_LARGE);
        assert!(
            error
                .message
                .starts_with("wrote more than 6291456 bytes to stdout"),
            "{}",
            error.message
        );
    }

    #[test]
    fn an_event_neither_argument_nor_read_says_why() {
        let error = failure(
            Failure::EventUntouched {
                status: 0,
                event_len: 200_000,
                why: NotAnArgument::TooLong,
            },
            b"",
            0,
        );
        assert_eq!(error.error_type, "Runtime.EventTooLargeForArgument");
        assert_eq!(
            error.message.as_str(),
            "the event (200000 bytes) is too large to be an argument (at most 131071 bytes), so the program got no $1, \
             and it exited with status 0 without reading the event from its stdin: read it there (event=$(cat)), \
             which takes any size; nothing on stderr"
        );
        let error = failure(
            Failure::EventUntouched {
                status: 2,
                event_len: 9,
                why: NotAnArgument::HasNul,
            },
            b"oops\n",
            5,
        );
        assert!(
            error
                .message
                .starts_with("the event (9 bytes) has a NUL byte"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("exited with status 2 without")
                && error.message.ends_with("; stderr: oops"),
            "{}",
            error.message
        );
        let error = failure(
            Failure::EventUntouched {
                status: 0,
                event_len: 9,
                why: NotAnArgument::NoRoom,
            },
            b"",
            0,
        );
        assert!(
            error
                .message
                .starts_with("the event (9 bytes) did not fit beside the environment"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_long_stderr_keeps_its_end_within_the_limit() {
        let mut stderr = Vec::new();
        for i in 0..500 {
            stderr.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        stderr.extend_from_slice(b"the last words\n");
        let error = failure(Failure::Exited(1), &stderr, stderr.len() as u64);
        let message = error.message.as_str();
        assert!(
            message.len() <= MAX_RUST_ERROR_MESSAGE && message.len() > 3900,
            "{}",
            message.len()
        );
        assert!(
            message.starts_with("exited with status 1; stderr (last "),
            "{message}"
        );
        assert!(message.ends_with("line 499\nthe last words"), "{message}");
        let shown: usize = message
            .split("(last ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(message.ends_with(
            std::str::from_utf8(&stderr[stderr.len() - 1 - shown..stderr.len() - 1]).unwrap()
        ));
    }

    #[test]
    fn a_tail_shorter_than_the_stream_says_so() {
        // The ring kept only the end of a longer stream.
        let error = failure(Failure::Exited(2), b"end of it", 100_000);
        assert_eq!(
            error.message.as_str(),
            "exited with status 2; stderr (last 9 bytes): end of it"
        );
    }

    #[test]
    fn invalid_utf8_and_cut_characters_become_valid_text() {
        let error = failure(Failure::Exited(1), b"bad \xff byte \xe2\x82", 13);
        assert_eq!(
            error.message.as_str(),
            "exited with status 1; stderr: bad ? byte ??"
        );
        // A tail that starts inside a character drops the character's remains.
        let mut stderr = "é".repeat(600).into_bytes();
        stderr.push(b'!');
        let error = failure(Failure::Exited(1), &stderr[1..], 10_000);
        assert!(!error.message.contains('?'), "{}", error.message);
        assert!(error.message.ends_with("éé!"));
    }

    #[test]
    fn exec_failures_and_init_errors_quote_the_path() {
        let error = exec_failed(
            b"cannot execute",
            b"/var/task/run.sh",
            b"No such file or directory",
            b" (or its #! interpreter)",
        );
        assert_eq!(error.error_type, EXEC_FAILED);
        assert_eq!(
            error.message.as_str(),
            "cannot execute /var/task/run.sh: No such file or directory (or its #! interpreter)"
        );
        let error = exec_failed(b"cannot create a pipe", b"", b"Too many open files", b"");
        assert_eq!(
            error.message.as_str(),
            "cannot create a pipe: Too many open files"
        );
        let long = [b'a'; 5000];
        let error = about_program(HANDLER_NOT_FOUND, &long, &[b" does not exist"]);
        assert_eq!(error.message.len(), 3 + MAX_QUOTED_PATH + 15);
        assert!(error.message.starts_with("...aaa") && error.message.ends_with("a does not exist"));
    }
}
