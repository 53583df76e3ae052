//! Starting the program: three pipes, then a vfork-style `clone` whose child puts itself in a
//! process group of its own, makes the pipes its stdin, stdout and stderr, restores SIGPIPE's
//! default action and execs the program, reporting a failed exec's errno through memory it
//! shares with us.
//!
//! Not `posix_spawn`: musl's file actions (the `dup2`s) are allocated with `malloc`, and the
//! runtime's process never allocates. The child runs on a static stack while we wait in
//! `clone` (`CLONE_VFORK`), as musl's `posix_spawn` does; `CLONE_PIDFD` gives us a descriptor
//! that becomes readable when the program exits, to poll beside its pipes.

use core::ffi::{CStr, c_char, c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use rustix::fd::{BorrowedFd, RawFd};
use rustix::io::Errno;
use rustix::process::{self, Pid, WaitOptions};

/// The child's stack: it runs a few system calls and `execve`.
pub const STACK_LEN: usize = 16 * 1024;

/// The child's stack, aligned as `clone` needs it; a static, so no heap.
#[repr(C, align(16))]
pub struct Stack(pub [u8; STACK_LEN]);

use crate::sys::fd;
pub use crate::sys::fd::Fd;

/// What to start, with the event as its last argument when it fits.
#[derive(Debug, Clone, Copy)]
pub enum Command<'a> {
    /// An executable file; one without a `#!` line is run by `shell`, as `execvp` does.
    Program {
        /// The file to execute.
        path: &'a CStr,
        /// The shell for a file without a `#!` line.
        shell: &'a CStr,
    },
    /// `shell path [event]`: a script without a `#!` line.
    ShellScript {
        /// The shell to run.
        shell: &'a CStr,
        /// The script it reads.
        path: &'a CStr,
    },
    /// `shell -c script file [event]`: the tutorial's `file.function` form (`super::function`).
    Script {
        /// The shell to run.
        shell: &'a CStr,
        /// The script for `-c`: it sources `file` and calls the function.
        script: &'a CStr,
        /// The file that defines the function, the script's `$0`.
        file: &'a CStr,
    },
}

/// A started program: its pid (also its process group), and our ends of its pipes, which are
/// non-blocking.
#[derive(Debug)]
pub struct Child {
    /// The program's pid, also its process group's id.
    pub pid: Pid,
    /// Readable once the program has exited; `None` on kernels before 5.2.
    pub pidfd: Option<Fd>,
    /// Where the event is written.
    pub stdin: Fd,
    /// Where the response is read from.
    pub stdout: Fd,
    /// Where its log lines come from.
    pub stderr: Fd,
    /// A program or script that did not get the event as its argument: our copy of its
    /// stdin's read end, whose unread bytes tell whether it read the event at all (the
    /// script's shell reads it itself).
    pub event_reader: Option<Fd>,
}

/// Why the program did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// Making its pipes failed (too many open files, say).
    Pipe(Errno),
    /// The process could not be created.
    Clone(Errno),
    /// The process was created, but exec failed (it has been reaped).
    Exec(Errno),
}

const O_CLOEXEC: c_int = 0o2000000;
const O_RDWR: c_int = 2;
const SIGINT: c_int = 2;
const SIGPIPE: c_int = 13;
const SIGTERM: c_int = 15;
const SIGCHLD: c_int = 17;
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;
const CLONE_VM: c_int = 0x100;
const CLONE_PIDFD: c_int = 0x1000;
const CLONE_VFORK: c_int = 0x4000;
const E2BIG: c_int = 7;
const ENOEXEC: c_int = 8;

unsafe extern "C" {
    fn open(path: *const c_char, flags: c_int, ...) -> c_int;
    fn clone(
        func: extern "C" fn(*mut c_void) -> c_int,
        stack: *mut c_void,
        flags: c_int,
        arg: *mut c_void,
        ...
    ) -> c_int;
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
    -> c_int;
    fn signal(signal: c_int, handler: usize) -> usize;
    fn strerror(errno: c_int) -> *const c_char;
}

/// The calling thread's `errno`, as a number (see `sys::errno`).
fn errno() -> c_int {
    crate::sys::errno().raw_os_error()
}

/// errno's text, e.g. `No such file or directory`.
pub fn describe(error: Errno) -> &'static [u8] {
    // SAFETY: musl's strerror returns a static C string for any number.
    unsafe { CStr::from_ptr(strerror(error.raw_os_error())) }.to_bytes()
}

/// Once, before the first invocation: writes to a pipe whose reader has gone must fail with
/// `EPIPE` rather than kill the bootstrap (nothing else ignores SIGPIPE without std; the child
/// restores the default), and descriptors 0 to 2 must be open, so that pipes never take those
/// numbers (the child's `dup2`s rely on it).
pub fn prepare_process() {
    // SAFETY: sets a disposition to "ignore"; no handler runs, nothing else is touched.
    unsafe { signal(SIGPIPE, SIG_IGN) };
    for fd in 0..3 {
        // SAFETY: F_GETFD on a number that may not be open only reports EBADF.
        if rustix::io::fcntl_getfd(unsafe { BorrowedFd::borrow_raw(fd) }) == Err(Errno::BADF) {
            // Takes the lowest free number, which is `fd` (the lower ones are open by now).
            // SAFETY: a NUL-terminated path; the descriptor is kept for the process's life.
            unsafe { open(c"/dev/null".as_ptr(), O_RDWR | O_CLOEXEC) };
        }
    }
}

/// The argument vector's slots, as `[shell, -c, script, file, argument, null]` for a
/// [`Command::Script`] (run from slot 0) and `[-, -, shell, program, argument, null]` for a
/// [`Command::Program`] (run from slot 3, and from slot 2 through the shell) or a
/// [`Command::ShellScript`] (from slot 2).
const ARGV_LEN: usize = 6;
const SHELL_SLOT: usize = 2;
const PROGRAM_SLOT: usize = 3;
const ARGUMENT_SLOT: usize = 4;

/// What the child needs; it lives in `spawn`'s frame, which waits in `clone` meanwhile.
#[repr(C)]
struct Setup {
    path: *const c_char,
    /// See [`ARGV_LEN`].
    argv: *mut *const c_char,
    /// The slot `path`'s argv starts at.
    first: usize,
    envp: *const *const c_char,
    stdin: RawFd,
    stdout: RawFd,
    stderr: RawFd,
    /// The errno of the step that failed; 0 while none has.
    error: AtomicI32,
    /// Set when the argument did not fit beside the environment and was left out.
    argument_dropped: AtomicBool,
}

/// Starts `command` with `argument` (if any) as its last argument and `envp` as its
/// environment, in a new process group, with pipes for its standard streams.
pub fn spawn(
    command: Command<'_>,
    argument: Option<&CStr>,
    envp: *const *const c_char,
    stack: &mut Stack,
) -> Result<Child, SpawnError> {
    let (stdin_read, stdin_write) = fd::pipe().map_err(SpawnError::Pipe)?;
    let (stdout_read, stdout_write) = fd::pipe().map_err(SpawnError::Pipe)?;
    let (stderr_read, stderr_write) = fd::pipe().map_err(SpawnError::Pipe)?;
    for ours in [&stdin_write, &stdout_read, &stderr_read] {
        rustix::io::ioctl_fionbio(ours, true).map_err(SpawnError::Pipe)?;
    }
    let argument = argument.map_or(core::ptr::null(), CStr::as_ptr);
    let null = core::ptr::null();
    let (mut argv, path, first): ([*const c_char; ARGV_LEN], _, _) = match command {
        Command::Program { path, shell } => (
            [null, null, shell.as_ptr(), path.as_ptr(), argument, null],
            path.as_ptr(),
            PROGRAM_SLOT,
        ),
        Command::ShellScript { shell, path } => (
            [null, null, shell.as_ptr(), path.as_ptr(), argument, null],
            shell.as_ptr(),
            SHELL_SLOT,
        ),
        Command::Script {
            shell,
            script,
            file,
        } => (
            [
                shell.as_ptr(),
                c"-c".as_ptr(),
                script.as_ptr(),
                file.as_ptr(),
                argument,
                null,
            ],
            shell.as_ptr(),
            0,
        ),
    };
    let setup = Setup {
        path,
        argv: argv.as_mut_ptr(),
        first,
        envp,
        stdin: stdin_read.raw(),
        stdout: stdout_write.raw(),
        stderr: stderr_write.raw(),
        error: AtomicI32::new(0),
        argument_dropped: AtomicBool::new(false),
    };
    let mut pidfd: c_int = -1;
    // SAFETY: one past the end of the stack buffer, which is 16-byte aligned and as long as a
    // multiple of 16: the top of a downward-growing stack.
    let top = unsafe { stack.0.as_mut_ptr().add(STACK_LEN) }.cast::<c_void>();
    // SAFETY: CLONE_VM | CLONE_VFORK: the child shares our memory and runs `child` on its own
    // stack while this thread is suspended, until the child execs or exits; so `setup`,
    // `argv` and everything they point to stay valid and untouched by us meanwhile. `child`
    // only makes system calls (no allocation, no locks, no return into our frames). The
    // process is single-threaded, and its only signal handlers (SIGTERM's and SIGINT's, in
    // local mode or with a shutdown hook) are blocked while a handler runs, so the child
    // starts with them blocked and resets them before unblocking: no handler can run on the
    // child's stack. CLONE_PIDFD writes the pidfd through the pointer given as `ptid`.
    let start = |flags: c_int, pidfd: *mut c_int| unsafe {
        clone(
            child,
            top,
            flags,
            (&raw const setup).cast_mut().cast(),
            pidfd,
        )
    };
    let mut pid = start(
        CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
        &raw mut pidfd,
    );
    if pid < 0 && errno() == Errno::INVAL.raw_os_error() {
        // No CLONE_PIDFD (kernels before 5.2, and qemu's user-mode emulation, which the arm64
        // tests run under): the run loop then checks for the exit itself.
        pidfd = -1;
        pid = start(CLONE_VM | CLONE_VFORK | SIGCHLD, core::ptr::null_mut());
    }
    if pid < 0 {
        return Err(SpawnError::Clone(Errno::from_raw_os_error(errno())));
    }
    let pid = Pid::from_raw(pid).ok_or(SpawnError::Clone(Errno::INVAL))?;
    // SAFETY: clone just returned the pidfd, and nothing else has it.
    let pidfd = (pidfd >= 0).then(|| unsafe { Fd::from_raw(pidfd) });
    drop((stdout_write, stderr_write));
    let failed = setup.error.load(Ordering::Acquire);
    if failed != 0 {
        // It has exited (that is what let `clone` return): reap it.
        let _ = process::waitpid(Some(pid), WaitOptions::empty());
        return Err(SpawnError::Exec(Errno::from_raw_os_error(failed)));
    }
    let without_argument = argument.is_null() || setup.argument_dropped.load(Ordering::Acquire);
    // Holding a read end means our writes never fail with EPIPE: the run loop stops writing
    // when the program exits instead.
    let event_reader =
        (without_argument && !matches!(command, Command::Script { .. })).then_some(stdin_read);
    Ok(Child {
        pid,
        pidfd,
        stdin: stdin_write,
        stdout: stdout_read,
        stderr: stderr_read,
        event_reader,
    })
}

/// The child, between `clone` and `execve`: shares the parent's memory, so it only makes
/// system calls and writes `Setup::error`. Returning ends it with that status.
extern "C" fn child(arg: *mut c_void) -> c_int {
    // SAFETY: `spawn` passed its `Setup`, valid until we exec or exit (it waits in `clone`).
    let setup = unsafe { &*arg.cast::<Setup>() };
    let fail = |error: c_int| {
        setup.error.store(
            if error == 0 {
                Errno::INVAL.raw_os_error()
            } else {
                error
            },
            Ordering::Release,
        );
        127
    };
    if let Err(e) = process::setpgid(None, None) {
        return fail(e.raw_os_error());
    }
    // SAFETY: the pipes' child ends, open in the parent and so in our copy of its descriptor
    // table; each is at least 3 (see `prepare_process`), so no `dup2` overwrites another.
    let (stdin, stdout, stderr) = unsafe {
        (
            BorrowedFd::borrow_raw(setup.stdin),
            BorrowedFd::borrow_raw(setup.stdout),
            BorrowedFd::borrow_raw(setup.stderr),
        )
    };
    let redirected = rustix::stdio::dup2_stdin(stdin)
        .and_then(|()| rustix::stdio::dup2_stdout(stdout))
        .and_then(|()| rustix::stdio::dup2_stderr(stderr));
    if let Err(e) = redirected {
        return fail(e.raw_os_error());
    }
    // SAFETY: restores the default action of a signal the bootstrap ignores; exec keeps an
    // ignored signal ignored, and programs expect to die of SIGPIPE.
    unsafe { signal(SIGPIPE, SIG_DFL) };
    // The runtime blocks SIGTERM and SIGINT while a handler runs (`sys::signal::hold_stop`),
    // and exec keeps blocked signals blocked: unblock them, their actions the default first,
    // so that none of the bootstrap's handlers can run here, on memory shared with it.
    // SAFETY: sets dispositions to the default; no handler runs, nothing else is touched.
    unsafe {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
    }
    crate::sys::signal::unblock_stop();
    let argv = setup.argv;
    // SAFETY: `argv` has the ARGV_LEN slots `spawn` made: from `first` (and from SHELL_SLOT
    // for a program) C strings, then a null at the end; the path and environment are C
    // strings and a null-terminated table, valid until we exec.
    unsafe {
        execve(setup.path, argv.add(setup.first), setup.envp);
        let mut error = errno();
        if error == E2BIG && !(*argv.add(ARGUMENT_SLOT)).is_null() {
            // The argument did not fit beside the environment: the event is on stdin anyway.
            *argv.add(ARGUMENT_SLOT) = core::ptr::null();
            setup.argument_dropped.store(true, Ordering::Release);
            execve(setup.path, argv.add(setup.first), setup.envp);
            error = errno();
        }
        if error == ENOEXEC && setup.first == PROGRAM_SLOT {
            // No `#!` line: run it with the shell, as `execvp` and shells do.
            execve(*argv.add(SHELL_SLOT), argv.add(SHELL_SLOT), setup.envp);
            error = errno();
        }
        fail(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_texts_come_from_musl() {
        assert_eq!(describe(Errno::NOENT), b"No such file or directory");
        assert_eq!(describe(Errno::ACCESS), b"Permission denied");
    }
}
