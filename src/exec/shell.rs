//! The shell exec mode runs scripts with when they are not programs: a file without a `#!`
//! line, and the tutorial's `file.function` form ([`super::function`]). Those scripts were
//! written for bash bootstraps (`source` in `#!/bin/sh` that is bash on Amazon Linux, or
//! `bash $LAMBDA_TASK_ROOT/$_HANDLER`), so it is bash where `PATH` has it, as bash itself
//! runs such files; `/bin/sh` otherwise, as `execvp` does (busybox, Debian's dash).

use core::ffi::CStr;

use rustix::fs::{self, Access, FileType};

use super::program::PATH_LEN;

/// The shell when `PATH` has no bash.
const SH: &CStr = c"/bin/sh";
/// musl's `PATH` when the variable is not set.
const DEFAULT_PATH: &[u8] = b"/usr/local/bin:/bin:/usr/bin";

/// Writes the first `DIR/bash` for the directories of `path` (a `PATH` value) for which
/// `is_program` holds into `buf`; its length without the NUL. An empty directory is the
/// working directory, as for `execvp`.
fn search(
    path: &[u8],
    buf: &mut [u8; PATH_LEN],
    is_program: impl Fn(&CStr) -> bool,
) -> Option<usize> {
    for dir in path.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let dir = if dir.len() > 1 {
            dir.strip_suffix(b"/").unwrap_or(dir)
        } else {
            dir
        };
        let slash: &[u8] = if dir == b"/" { b"" } else { b"/" };
        let joined = crate::codec::bytes::put(buf, 0, dir)
            .and_then(|len| crate::codec::bytes::put(buf, len, slash))
            .and_then(|len| crate::codec::bytes::put(buf, len, b"bash\0"));
        let Some(len) = joined else { continue };
        if buf
            .get(..len)
            .and_then(|b| CStr::from_bytes_with_nul(b).ok())
            .is_some_and(&is_program)
        {
            return Some(len - 1);
        }
    }
    None
}

/// Writes bash's path from `PATH`, else `/bin/sh`, NUL-terminated, into `buf`; its length
/// without the NUL.
pub fn find(buf: &mut [u8; PATH_LEN]) -> usize {
    let path = crate::sys::env::var(c"PATH").unwrap_or(DEFAULT_PATH);
    search(path, buf, is_program).unwrap_or_else(|| {
        let _ = crate::codec::bytes::put(buf, 0, SH.to_bytes_with_nul()); // fits
        SH.to_bytes().len()
    })
}

/// An executable regular file (or a link to one)?
pub fn is_program(path: &CStr) -> bool {
    let is_file = fs::stat(path).is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode).is_file());
    is_file && fs::access(path, Access::EXEC_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn searched(path: &str, programs: &[&str]) -> Option<String> {
        let mut buf = [0xFF; PATH_LEN];
        let len = search(path.as_bytes(), &mut buf, |p| {
            programs.contains(&p.to_str().unwrap())
        })?;
        Some(String::from_utf8(buf[..len].to_vec()).unwrap())
    }

    #[test]
    fn the_first_bash_in_path_wins() {
        let both = ["/usr/bin/bash", "/bin/bash"];
        assert_eq!(
            searched("/usr/local/bin:/usr/bin/:/bin:/opt/bin", &both).as_deref(),
            Some("/usr/bin/bash")
        );
        assert_eq!(
            searched("/bin:/usr/bin", &both).as_deref(),
            Some("/bin/bash")
        );
        assert_eq!(
            searched("/sbin::/x", &["./bash"]).as_deref(),
            Some("./bash"),
            "empty is the working directory"
        );
        assert_eq!(searched("/:/y", &["/bash"]).as_deref(), Some("/bash"));
        assert_eq!(searched("/nowhere:/opt", &both), None);
        assert_eq!(
            searched(&"d".repeat(PATH_LEN), &both),
            None,
            "too long for a path"
        );
    }

    #[test]
    fn this_machine_has_a_shell() {
        let mut buf = [0; PATH_LEN];
        let len = find(&mut buf);
        let shell = CStr::from_bytes_with_nul(&buf[..=len]).unwrap();
        assert!(is_program(shell), "{shell:?}");
        assert!(is_program(SH));
        assert!(!is_program(c"/"));
        assert!(!is_program(c"/nonexistent/bash"));
    }
}
