//! The event as the program's first argument, for scripts written for the classic bash
//! bootstrap (`$1`), when it can be one: Linux refuses a longer argument
//! (`MAX_ARG_STRLEN`, NUL included), and a NUL byte would end it early. The event is on
//! stdin in every case.

use core::ffi::CStr;

/// Linux's limit on one argument, its NUL included.
pub const MAX_ARG_STRLEN: usize = 131_072;

/// Whether `event` can be passed as an argument.
fn fits(event: &[u8]) -> bool {
    event.len() < MAX_ARG_STRLEN && !event.contains(&0)
}

/// Why an event was not the program's argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnArgument {
    /// Longer than [`MAX_ARG_STRLEN`] allows.
    TooLong,
    /// It has a NUL byte, which would end it.
    HasNul,
    /// It would fit, but not beside the environment (`E2BIG`).
    NoRoom,
}

/// Why `event` was not an argument, given that it was not.
pub fn why_not(event: &[u8]) -> NotAnArgument {
    if event.len() >= MAX_ARG_STRLEN {
        NotAnArgument::TooLong
    } else if event.contains(&0) {
        NotAnArgument::HasNul
    } else {
        NotAnArgument::NoRoom
    }
}

/// `event` as a C string in `buf`, when it `fits`.
pub fn as_argument<'a>(event: &[u8], buf: &'a mut [u8; MAX_ARG_STRLEN]) -> Option<&'a CStr> {
    if !fits(event) {
        return None;
    }
    buf[..event.len()].copy_from_slice(event);
    buf[event.len()] = 0;
    CStr::from_bytes_with_nul(&buf[..=event.len()]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_up_to_the_limit_without_nul_are_arguments() {
        let mut buf = [0xFF; MAX_ARG_STRLEN];
        assert_eq!(as_argument(b"", &mut buf), Some(c""));
        assert_eq!(
            as_argument(b"{\"a\": 1}\n", &mut buf),
            Some(c"{\"a\": 1}\n")
        );
        let longest = vec![b'x'; MAX_ARG_STRLEN - 1];
        assert_eq!(
            as_argument(&longest, &mut buf).map(|a| a.to_bytes().len()),
            Some(MAX_ARG_STRLEN - 1)
        );
        assert!(!fits(&vec![b'x'; MAX_ARG_STRLEN]));
        assert!(!fits(b"binary\0event"));
        assert_eq!(as_argument(b"a\0", &mut buf), None);
    }

    #[test]
    fn why_an_event_was_not_an_argument() {
        assert_eq!(why_not(&vec![b'x'; MAX_ARG_STRLEN]), NotAnArgument::TooLong);
        assert_eq!(why_not(b"a\0b"), NotAnArgument::HasNul);
        assert_eq!(why_not(b"{}"), NotAnArgument::NoRoom);
    }
}
