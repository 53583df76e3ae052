//! Which program exec mode runs, resolved once at init: the bootstrap's first argument (an
//! image's `CMD`), else `$LAMBDA_TASK_ROOT/$_HANDLER`; and the checks that it can run.

use core::ffi::CStr;

use rustix::fs::{self, Access, FileType};
use rustix::io::Errno;

use super::message::{self, HANDLER_NOT_EXECUTABLE, HANDLER_NOT_FOUND};
use crate::abi::handler::Error;

/// Room for a path and its NUL (Linux's `PATH_MAX`).
pub const PATH_LEN: usize = 4096;

/// Where Lambda puts the function's code, when `LAMBDA_TASK_ROOT` is not set.
pub const DEFAULT_TASK_ROOT: &[u8] = b"/var/task";

/// The runtime's own flag for a local call: `bootstrap --invoke [EVENT [PROGRAM]]`.
const INVOKE_FLAG: &[u8] = b"--invoke";

/// Where the program was named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// A process argument, used as it is (relative to the working directory).
    Argument(&'a [u8]),
    /// `_HANDLER`, relative to `LAMBDA_TASK_ROOT` (`/var/task` when unset) unless absolute.
    Handler {
        task_root: Option<&'a [u8]>,
        handler: &'a [u8],
    },
}

/// The argument naming the program, given the process's arguments 1 to 3: the first, or the
/// third after `--invoke EVENT`. Empty arguments name nothing.
pub fn argument<'a>(arg1: Option<&'a [u8]>, arg3: Option<&'a [u8]>) -> Option<&'a [u8]> {
    let named = if arg1 == Some(INVOKE_FLAG) {
        arg3
    } else {
        arg1
    };
    named.filter(|a| !a.is_empty())
}

/// Writes the program's path, NUL-terminated, into `buf`; its length without the NUL, or
/// `None` when it does not fit.
pub fn resolve(source: Source<'_>, buf: &mut [u8; PATH_LEN]) -> Option<usize> {
    let pieces: [&[u8]; 3] = match source {
        Source::Argument(path) => [path, b"", b""],
        Source::Handler { handler, .. } if handler.first() == Some(&b'/') => [handler, b"", b""],
        Source::Handler { task_root, handler } => {
            let root = task_root
                .filter(|r| !r.is_empty())
                .unwrap_or(DEFAULT_TASK_ROOT);
            let root = if root.len() > 1 {
                root.strip_suffix(b"/").unwrap_or(root)
            } else {
                root
            };
            let slash: &[u8] = if root == b"/" { b"" } else { b"/" };
            [root, slash, handler]
        }
    };
    let mut len = 0;
    for piece in pieces {
        if piece.contains(&0) {
            return None;
        }
        buf.get_mut(len..len + piece.len())?.copy_from_slice(piece);
        len += piece.len();
    }
    *buf.get_mut(len)? = 0;
    Some(len)
}

/// Finds the program and checks that it is an executable file; its path is left in `buf`.
pub fn find(buf: &mut [u8; PATH_LEN]) -> Result<&CStr, Error> {
    let arg = |i| crate::sys::arg(i).map(CStr::to_bytes);
    let source = match argument(arg(1), arg(3)) {
        Some(path) => Source::Argument(path),
        None => match crate::sys::env::var(c"_HANDLER").filter(|h| !h.is_empty()) {
            Some(handler) => Source::Handler {
                task_root: crate::sys::env::var(c"LAMBDA_TASK_ROOT"),
                handler,
            },
            None => {
                return Err(Error::new(
                    HANDLER_NOT_FOUND,
                    "no program to run: name it as the bootstrap's first argument (an image's CMD) \
                     or in _HANDLER (the function's handler setting, relative to LAMBDA_TASK_ROOT)",
                ));
            }
        },
    };
    let Some(len) = resolve(source, buf) else {
        let named: &[u8] = match source {
            Source::Argument(path) => path,
            Source::Handler { handler, .. } => handler,
        };
        return Err(message::about_program(
            HANDLER_NOT_FOUND,
            named,
            &[b": the path is too long"],
        ));
    };
    let path = CStr::from_bytes_with_nul(&buf[..=len])
        .map_err(|_| Error::new(HANDLER_NOT_FOUND, "bad path"))?;
    check(path)?;
    Ok(path)
}

/// An executable regular file (or a link to one)?
fn check(path: &CStr) -> Result<(), Error> {
    let shown = path.to_bytes();
    match fs::stat(path) {
        Ok(stat) if FileType::from_raw_mode(stat.st_mode).is_file() => {}
        Ok(_) => {
            return Err(message::about_program(
                HANDLER_NOT_EXECUTABLE,
                shown,
                &[b" is not a regular file"],
            ));
        }
        Err(Errno::NOENT) => {
            return Err(message::about_program(
                HANDLER_NOT_FOUND,
                shown,
                &[b" does not exist"],
            ));
        }
        Err(e) => {
            return Err(message::about_program(
                HANDLER_NOT_FOUND,
                shown,
                &[b": ", super::spawn::describe(e)],
            ));
        }
    }
    match fs::access(path, Access::EXEC_OK) {
        Ok(()) => Ok(()),
        Err(e) => Err(message::about_program(
            HANDLER_NOT_EXECUTABLE,
            shown,
            &[
                b" is not executable: ",
                super::spawn::describe(e),
                b" (chmod +x it)",
            ],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(source: Source<'_>) -> Option<String> {
        let mut buf = [0xFF; PATH_LEN];
        let len = resolve(source, &mut buf)?;
        assert_eq!(buf[len], 0, "NUL-terminated");
        Some(String::from_utf8(buf[..len].to_vec()).unwrap())
    }

    #[test]
    fn the_argument_wins_unless_it_is_the_invoke_flag() {
        assert_eq!(argument(Some(b"run.sh"), None), Some(&b"run.sh"[..]));
        assert_eq!(
            argument(Some(b"run.sh"), Some(b"other")),
            Some(&b"run.sh"[..])
        );
        assert_eq!(
            argument(Some(b"--invoke"), Some(b"/bin/cat")),
            Some(&b"/bin/cat"[..])
        );
        assert_eq!(argument(Some(b"--invoke"), None), None);
        assert_eq!(argument(Some(b""), None), None);
        assert_eq!(argument(None, None), None);
    }

    #[test]
    fn paths_are_joined_to_the_task_root() {
        let handler = |task_root: Option<&'static [u8]>, handler: &'static [u8]| Source::Handler {
            task_root,
            handler,
        };
        assert_eq!(
            resolved(handler(None, b"run.sh")).as_deref(),
            Some("/var/task/run.sh")
        );
        assert_eq!(
            resolved(handler(Some(b""), b"run.sh")).as_deref(),
            Some("/var/task/run.sh")
        );
        assert_eq!(
            resolved(handler(Some(b"/opt/fn/"), b"bin/run")).as_deref(),
            Some("/opt/fn/bin/run")
        );
        assert_eq!(
            resolved(handler(Some(b"/"), b"run")).as_deref(),
            Some("/run")
        );
        assert_eq!(
            resolved(handler(Some(b"/opt"), b"/abs/run")).as_deref(),
            Some("/abs/run")
        );
        assert_eq!(
            resolved(Source::Argument(b"main.sh")).as_deref(),
            Some("main.sh")
        );
        assert_eq!(
            resolved(Source::Argument(b"/bin/x")).as_deref(),
            Some("/bin/x")
        );
    }

    #[test]
    fn paths_too_long_or_with_nul_are_refused() {
        let long = vec![b'a'; PATH_LEN - 1];
        assert_eq!(
            resolved(Source::Argument(&long)).map(|p| p.len()),
            Some(PATH_LEN - 1)
        );
        let longer = vec![b'a'; PATH_LEN];
        assert_eq!(resolved(Source::Argument(&longer)), None);
        let handler = vec![b'a'; PATH_LEN - 10];
        assert_eq!(
            resolved(Source::Handler {
                task_root: None,
                handler: &handler
            }),
            None
        );
        assert_eq!(resolved(Source::Argument(b"a\0b")), None);
    }

    #[test]
    fn checks_say_what_is_wrong() {
        let error = check(c"/nonexistent/run.sh").unwrap_err();
        assert_eq!(
            (error.error_type, error.message.as_str()),
            (HANDLER_NOT_FOUND, "/nonexistent/run.sh does not exist")
        );
        let error = check(c"/").unwrap_err();
        assert_eq!(
            (error.error_type, error.message.as_str()),
            (HANDLER_NOT_EXECUTABLE, "/ is not a regular file")
        );
        assert!(check(c"/bin/sh").is_ok());
    }
}
