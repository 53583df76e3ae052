//! The `file.function` handler of AWS's custom-runtime tutorial: `_HANDLER=function.handler`
//! names the shell function `handler` in the file `function.sh`, which the tutorial's bash
//! bootstrap sources and calls with the event as `$1`, printing what it echoes. The file has
//! no `#!` line and need not be executable, so it cannot be run as a program: exec mode runs
//! a shell that sources it and calls the function ([`script`]), so such scripts run
//! unchanged.

use core::ffi::CStr;

/// Room for the shell's `-c` text: the fixed parts and a function name of up to
/// `MAX_NAME` (256) bytes.
pub const SCRIPT_LEN: usize = 512;
/// Longest function name accepted.
const MAX_NAME: usize = 256;

/// Before the name: gets the event as `$1` (from stdin when it was too large to be an argument,
/// which a function called in the same shell can always take), then sources the file, which
/// is `$0` (as `./$0` when it has no `/`, since `.` would search `PATH` for it). `$(cat)`
/// alone would drop the event's trailing newlines: a `.` after them keeps them, and is cut off.
const BEFORE_NAME: &[u8] = b"if [ $# = 0 ]; then __lambda_event=$(cat && echo .) || exit; \
    set -- \"${__lambda_event%.}\"; unset __lambda_event; fi; \
    case $0 in */*) . \"$0\" ;; *) . \"./$0\" ;; esac; ";
/// After the name: the event as its only argument.
const AFTER_NAME: &[u8] = b" \"$@\"";

/// Whether the function can get `event` as it is: a shell string holds any byte but NUL.
/// (An event with one is refused, not passed changed.)
pub fn can_pass(event: &[u8]) -> bool {
    !event.contains(&0)
}

/// The file's name without `.sh` and the function's name, if `handler` has the form
/// `file.function`: split at the last dot, the function's name a shell word that needs no
/// quoting (letters, digits, `_` and `-`, not starting with a digit or `-`).
pub fn split(handler: &[u8]) -> Option<(&[u8], &[u8])> {
    let dot = handler.iter().rposition(|&b| b == b'.')?;
    let (file, name) = (&handler[..dot], &handler[dot + 1..]);
    let file_name = file.rsplit(|&b| b == b'/').next().unwrap_or(file);
    let valid = !file_name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-');
    valid.then_some((file, name))
}

/// The shell's `-c` text that calls function `name` (from [`split`]), in `buf`. The shell runs
/// as `SHELL -c TEXT FILE [EVENT]`.
pub fn script<'b>(name: &[u8], buf: &'b mut [u8; SCRIPT_LEN]) -> Option<&'b CStr> {
    let mut len = 0;
    for piece in [BEFORE_NAME, name, AFTER_NAME, b"\0"] {
        len = crate::codec::bytes::put(buf, len, piece)?;
    }
    CStr::from_bytes_with_nul(buf.get(..len)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorial_form_splits_at_the_last_dot() {
        assert_eq!(
            split(b"function.handler"),
            Some((&b"function"[..], &b"handler"[..]))
        );
        assert_eq!(
            split(b"lib/my.file.main_2"),
            Some((&b"lib/my.file"[..], &b"main_2"[..]))
        );
        assert_eq!(
            split(b"/opt/v1.2/fn.on-event"),
            Some((&b"/opt/v1.2/fn"[..], &b"on-event"[..]))
        );
        for not_it in [
            &b"handler"[..],
            b"function.",
            b".handler",
            b"dir/.handler",
            b"f.2go",
            b"f.-x",
            b"f.a b",
            b"f.a;rm",
            b"f.a$x",
            b"f.\xc3\xa9",
        ] {
            assert_eq!(split(not_it), None, "{:?}", String::from_utf8_lossy(not_it));
        }
        assert!(split(format!("f.{}", "a".repeat(MAX_NAME)).as_bytes()).is_some());
        assert!(split(format!("f.{}", "a".repeat(MAX_NAME + 1)).as_bytes()).is_none());
    }

    #[test]
    fn only_events_without_nul_can_be_passed() {
        assert!(can_pass(b"{\"a\":\"x\\u0000y\"}\xff\n\n"));
        assert!(can_pass(b""));
        assert!(!can_pass(b"{\"a\":\"x\0y\"}\0\xff"));
    }

    #[test]
    fn the_script_calls_the_function_after_sourcing_the_file() {
        let mut buf = [0xFF; SCRIPT_LEN];
        let text = script(b"handler", &mut buf).unwrap().to_str().unwrap();
        assert!(text.ends_with("; esac; handler \"$@\""), "{text}");
        assert!(text.starts_with("if [ $# = 0 ]; then"), "{text}");
        assert!(
            text.len() < SCRIPT_LEN - MAX_NAME,
            "room for the longest name"
        );
        assert!(
            script(&[b'a'; MAX_NAME], &mut buf).is_some(),
            "the longest name fits"
        );
    }
}
