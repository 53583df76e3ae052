//! Which program exec mode runs, resolved once at init: the bootstrap's first argument (an
//! image's `CMD`), else `$LAMBDA_TASK_ROOT/$_HANDLER`; and the checks that it can run. When
//! that names no file but has the tutorial's `file.function` form and `file.sh` exists, it is
//! that file's function ([`super::function`]).

use core::ffi::CStr;

use rustix::fs::{self, Access, FileType};
use rustix::io::Errno;

use super::message::{self, HANDLER_NOT_EXECUTABLE, HANDLER_NOT_FOUND};
use crate::abi::handler::Error;

/// Room for a path and its NUL (Linux's `PATH_MAX`).
pub const PATH_LEN: usize = 4096;

/// Where Lambda puts the function's code, when `LAMBDA_TASK_ROOT` is not set.
const DEFAULT_TASK_ROOT: &[u8] = b"/var/task";

/// The runtime's own flag for a local call: `bootstrap --invoke [EVENT [PROGRAM]]`.
const INVOKE_FLAG: &[u8] = b"--invoke";

/// Where the program was named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source<'a> {
    /// A process argument, used as it is (relative to the working directory).
    Argument(&'a [u8]),
    /// `_HANDLER`, relative to `LAMBDA_TASK_ROOT` (`/var/task` when unset) unless absolute.
    Handler {
        task_root: Option<&'a [u8]>,
        handler: &'a [u8],
    },
}

impl<'a> Source<'a> {
    /// The path or handler as it was named.
    fn named(&self) -> &'a [u8] {
        match *self {
            Source::Argument(path) => path,
            Source::Handler { handler, .. } => handler,
        }
    }

    /// The same place, naming `path` instead.
    fn with(self, path: &'a [u8]) -> Source<'a> {
        match self {
            Source::Argument(_) => Source::Argument(path),
            Source::Handler { task_root, .. } => Source::Handler {
                task_root,
                handler: path,
            },
        }
    }
}

/// What [`find`] found; the path it left in its buffer is the program's or the file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A program: an executable file.
    Program,
    /// A script without a `#!` line, for a shell to run (executable or not, as
    /// `bash $LAMBDA_TASK_ROOT/$_HANDLER` did in bash bootstraps).
    ShellScript,
    /// The tutorial's `file.function` form: the shell function of this name in the file.
    Function(&'static [u8]),
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

/// Writes the program's path and then `suffix`, NUL-terminated, into `buf`; its length without
/// the NUL, or `None` when it does not fit.
fn resolve(source: Source<'_>, suffix: &[u8], buf: &mut [u8; PATH_LEN]) -> Option<usize> {
    let pieces: [&[u8]; 4] = match source {
        Source::Argument(path) => [path, suffix, b"", b""],
        Source::Handler { handler, .. } if handler.first() == Some(&b'/') => {
            [handler, suffix, b"", b""]
        }
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
            [root, slash, handler, suffix]
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

/// Finds the program and checks that it is an executable file, or the file of a function and
/// checks that it is a readable one; the path is left in `buf`.
pub fn find(buf: &mut [u8; PATH_LEN]) -> Result<Found, Error> {
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
    let too_long = || {
        message::about_program(
            HANDLER_NOT_FOUND,
            source.named(),
            &[b": the path is too long"],
        )
    };
    let len = resolve(source, b"", buf).ok_or_else(too_long)?;
    let path = c_path(buf, len)?;
    if missing(path) {
        if let Some((file, function)) = super::function::split(source.named()) {
            let mut script = [0; PATH_LEN];
            let script_len =
                resolve(source.with(file), b".sh", &mut script).ok_or_else(too_long)?;
            let script = c_path(&script, script_len)?;
            if !missing(script) {
                check(script, Access::READ_OK, b" is not readable: ", b"")?;
                let _ = crate::codec::bytes::put(buf, 0, script.to_bytes_with_nul()); // fits: both PATH_LEN
                return Ok(Found::Function(function));
            }
            if script != path {
                return Err(message::neither_exists(path.to_bytes(), script.to_bytes()));
            }
        }
    }
    if is_shell_script(path) {
        check(path, Access::READ_OK, b" is not readable: ", b"")?;
        return Ok(Found::ShellScript);
    }
    check(
        path,
        Access::EXEC_OK,
        b" is not executable: ",
        b" (chmod +x it)",
    )?;
    Ok(Found::Program)
}

unsafe extern "C" {
    fn open(path: *const core::ffi::c_char, flags: core::ffi::c_int, ...) -> core::ffi::c_int;
}

/// Whether the file at `path` can be read and starts neither with `#!` nor as an ELF binary.
fn is_shell_script(path: &CStr) -> bool {
    const O_RDONLY_CLOEXEC: core::ffi::c_int = 0o2000000;
    // libc's `open`, not rustix's: its `OwnedFd` links core's formatting (see `crate::sys::fd`).
    // SAFETY: a NUL-terminated path.
    let fd = unsafe { open(path.as_ptr(), O_RDONLY_CLOEXEC) };
    if fd < 0 {
        return false;
    }
    // SAFETY: `open` just returned it, and nothing else has it.
    let file = unsafe { crate::sys::fd::Fd::from_raw(fd) };
    let mut head = [0; 4];
    match rustix::io::read(&file, &mut head) {
        Ok(n) => !is_program_head(head.get(..n).unwrap_or_default()),
        Err(_) => false,
    }
}

/// Whether a file starting with `head` is a program the kernel runs: a `#!` script or ELF.
fn is_program_head(head: &[u8]) -> bool {
    head.starts_with(b"#!") || head.starts_with(b"\x7fELF")
}

fn missing(path: &CStr) -> bool {
    matches!(fs::stat(path), Err(Errno::NOENT))
}

fn c_path(buf: &[u8; PATH_LEN], len: usize) -> Result<&CStr, Error> {
    buf.get(..=len)
        .and_then(|b| CStr::from_bytes_with_nul(b).ok())
        .ok_or_else(|| Error::new(HANDLER_NOT_FOUND, "bad path"))
}

/// A regular file (or a link to one) that we may `access` as asked?
fn check(path: &CStr, access: Access, refused: &[u8], hint: &[u8]) -> Result<(), Error> {
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
    match fs::access(path, access) {
        Ok(()) => Ok(()),
        Err(e) => Err(message::about_program(
            HANDLER_NOT_EXECUTABLE,
            shown,
            &[refused, super::spawn::describe(e), hint],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(source: Source<'_>) -> Option<String> {
        let mut buf = [0xFF; PATH_LEN];
        let len = resolve(source, b"", &mut buf)?;
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
    fn shell_scripts_are_files_without_a_shebang_line() {
        assert!(is_program_head(b"#!/bin/sh"));
        assert!(is_program_head(b"\x7fELF"));
        assert!(!is_program_head(b"echo"));
        assert!(!is_program_head(b""));
        assert!(!is_program_head(b"#"));
        assert!(!is_shell_script(c"/bin/sh"), "an ELF binary or a #! script");
        assert!(!is_shell_script(c"/"));
        assert!(!is_shell_script(c"/nonexistent"));
    }

    #[test]
    fn a_suffix_ends_the_path() {
        let mut buf = [0xFF; PATH_LEN];
        let len = resolve(
            Source::Handler {
                task_root: None,
                handler: b"function",
            },
            b".sh",
            &mut buf,
        )
        .unwrap();
        assert_eq!(&buf[..=len], b"/var/task/function.sh\0");
        let len = resolve(
            Source::Argument(b"function").with(b"lib/fn"),
            b".sh",
            &mut buf,
        )
        .unwrap();
        assert_eq!(&buf[..=len], b"lib/fn.sh\0");
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
        let check = |path| check(path, Access::EXEC_OK, b" is not executable: ", b"");
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
