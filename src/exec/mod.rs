//! Exec mode: a handler that runs a program per invocation, the classic shell-script custom
//! runtime done properly (`docs/exec.md` is the user's guide).
//!
//! - The program is the bootstrap's first argument (an image's `CMD`), or
//!   `$LAMBDA_TASK_ROOT/$_HANDLER`; [`init`] resolves and checks it once ([`program`]). A
//!   `file.function` handler that names no file is the function in `file.sh`, which a shell
//!   sources and calls ([`function`], [`shell`]), as AWS's tutorial bootstrap does.
//! - Per invocation ([`handle`]) it starts in a process group of its own ([`spawn`]) with the
//!   event on its stdin and, when it fits, as its first argument ([`argument`]), the
//!   bootstrap's environment plus the context's variables ([`mod@env`]); its stdout is the
//!   response, its stderr goes to the log and its end into error messages ([`tail`],
//!   [`message`]); [`run`] drives the pipes, the exit and the deadline.
//!
//! All memory is static: no allocation, as in the rest of the runtime.
//!
//! Sans-IO, unit-tested: `argument`, `env` (but `build`), `message`, `program::resolve`,
//! `run::budget`, `tail`. The rest makes system calls and is tested by `tests/exec.rs`.

pub mod argument;
pub mod env;
pub mod function;
pub mod message;
pub mod program;
pub mod run;
pub mod shell;
pub mod spawn;
pub mod tail;

use core::cell::UnsafeCell;
use core::ffi::{CStr, c_char};
use core::sync::atomic::{AtomicBool, Ordering};

use crate::abi::context::Context;
use crate::abi::handler::{Error, MAX_RUST_ERROR_MESSAGE, Response};
use crate::sys::log;
use argument::MAX_ARG_STRLEN;
use message::Failure;
use program::{Found, PATH_LEN};
use run::{Budget, Ending, Exit};
use spawn::{Command, STACK_LEN, SpawnError, Stack};
pub use tail::Tail;

/// Bytes of stderr kept for error messages: as much as a message can hold.
const TAIL_LEN: usize = MAX_RUST_ERROR_MESSAGE;
/// One read of stderr.
const CHUNK_LEN: usize = 16 * 1024;

/// Everything exec mode keeps, in `.bss`.
struct State {
    /// The program's path (or the function's file's), NUL-terminated; `program_len` 0 until
    /// `init` found it.
    program: [u8; PATH_LEN],
    program_len: usize,
    /// The shell for scripts (see [`shell`]), NUL-terminated.
    shell: [u8; PATH_LEN],
    shell_len: usize,
    /// What `program` is.
    found: Found,
    /// For a function: the shell's `-c` text, NUL-terminated.
    script: [u8; function::SCRIPT_LEN],
    script_len: usize,
    /// The event as a C string, when it is passed as an argument.
    argument: [u8; MAX_ARG_STRLEN],
    /// The context's `NAME=value` entries, and the program's environment table.
    env_block: [u8; env::BLOCK_LEN],
    env_table: [*const c_char; env::TABLE_LEN],
    /// The stack the child runs on between `clone` and `execve`.
    stack: Stack,
    chunk: [u8; CHUNK_LEN],
    tail: Tail<TAIL_LEN>,
}

/// The state, lent to one call at a time.
struct Exclusive {
    busy: AtomicBool,
    state: UnsafeCell<State>,
}

// SAFETY: the state is only reached through `with_state`, whose `busy` flag lends it to one
// caller at a time; the raw pointers in it point into it or into the process environment.
unsafe impl Sync for Exclusive {}

static STATE: Exclusive = Exclusive {
    busy: AtomicBool::new(false),
    state: UnsafeCell::new(State {
        program: [0; PATH_LEN],
        program_len: 0,
        shell: [0; PATH_LEN],
        shell_len: 0,
        found: Found::Program,
        script: [0; function::SCRIPT_LEN],
        script_len: 0,
        argument: [0; MAX_ARG_STRLEN],
        env_block: [0; env::BLOCK_LEN],
        env_table: [core::ptr::null(); env::TABLE_LEN],
        stack: Stack([0; STACK_LEN]),
        chunk: [0; CHUNK_LEN],
        tail: Tail::new(),
    }),
};

fn with_state(f: impl FnOnce(&mut State) -> Result<(), Error>) -> Result<(), Error> {
    if STATE.busy.swap(true, Ordering::Acquire) {
        return Err(Error::new(message::EXEC_FAILED, "exec mode was re-entered"));
    }
    // SAFETY: `busy` was false and is now true, so no other reference to the state exists
    // until we clear it below.
    let result = f(unsafe { &mut *STATE.state.get() });
    STATE.busy.store(false, Ordering::Release);
    result
}

/// The init hook: prepares the process and finds the program. Its errors are init errors.
pub fn init() -> Result<(), Error> {
    with_state(|state| {
        spawn::prepare_process();
        let found = program::find(&mut state.program)?;
        state.found = found;
        state.program_len = state.program.iter().position(|&b| b == 0).unwrap_or(0);
        state.shell_len = shell::find(&mut state.shell);
        let shown = log::printable::<512>(&state.program[..state.program_len]);
        let shell = &state.shell[..state.shell_len];
        match found {
            Found::Program => log::line(&[b"exec mode: running ", &shown, b" per invocation"]),
            Found::ShellScript => log::line(&[
                b"exec mode: running ",
                &shown,
                b" (no #! line) with ",
                shell,
                b" per invocation",
            ]),
            Found::Function(name) => {
                if !shell::is_program(c_str(&state.shell, state.shell_len)) {
                    return Err(message::about_program(
                        message::HANDLER_NOT_FOUND,
                        shell,
                        &[
                            b" does not exist: a shell is needed to call function ",
                            name,
                            b" (bash in PATH, or /bin/sh)",
                        ],
                    ));
                }
                let script = function::script(name, &mut state.script);
                state.script_len = script.map_or(0, |s| s.to_bytes().len());
                log::line(&[
                    b"exec mode: calling shell function ",
                    name,
                    b" of ",
                    &shown,
                    b" with ",
                    shell,
                    b" per invocation",
                ]);
            }
        }
        Ok(())
    })
}

/// The handler: runs the program on the event; its stdout is the response.
pub fn handle(ctx: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
    with_state(|state| state.invoke(ctx, event, out))
}

impl State {
    fn invoke(
        &mut self,
        ctx: &Context<'_>,
        event: &[u8],
        out: &mut Response<'_>,
    ) -> Result<(), Error> {
        if self.program_len == 0 {
            return Err(Error::new(
                message::HANDLER_NOT_FOUND,
                "no program: exec mode's init did not run",
            ));
        }
        let program = c_str(&self.program, self.program_len);
        let shell = c_str(&self.shell, self.shell_len);
        let command = match self.found {
            Found::Program => Command::Program {
                path: program,
                shell,
            },
            Found::ShellScript => Command::ShellScript {
                shell,
                path: program,
            },
            Found::Function(_) => Command::Script {
                shell,
                script: c_str(&self.script, self.script_len),
                file: program,
            },
        };
        let started = crate::sys::clock::now_ms(crate::sys::clock::Clock::Monotonic).max(0) as u64;
        let now = crate::sys::clock::now_ms(crate::sys::clock::Clock::Realtime);
        // What Lambda's timeout message states: the time from the event's arrival to the deadline.
        let timeout_ms = ctx.deadline_ms.saturating_sub(now).max(0) as u64;
        let request_id = ctx.request_id.as_bytes();
        let limit = match run::budget(ctx.deadline_ms, now) {
            Budget::Unlimited => None,
            Budget::Ms(ms) => Some(started.saturating_add(ms)),
            Budget::Expired => return Err(message::expired(request_id, timeout_ms)),
        };
        if matches!(self.found, Found::Function(_)) && !function::can_pass(event) {
            return Err(message::nul_for_function(event.len()));
        }
        let argument = argument::as_argument(event, &mut self.argument);
        let envp = env::build(ctx, &mut self.env_block, &mut self.env_table);
        let child = spawn::spawn(command, argument, envp, &mut self.stack)
            .map_err(|e| spawn_error(e, program))?;
        self.tail.clear();
        let ending = run::supervise(child, event, out, limit, &mut self.chunk, &mut self.tail);
        run::reap_orphans();
        let failure = match ending {
            Ending::Exited {
                exit: Exit::Status(status),
                event_untouched: true,
            } => Failure::EventUntouched {
                status,
                event_len: event.len(),
                why: argument::why_not(event),
            },
            Ending::Exited {
                exit: Exit::Status(0),
                ..
            } => {
                if self.found != Found::Program {
                    // What bash bootstraps post: `RESPONSE=$(handler "$EVENT_DATA")`.
                    let output = out.as_bytes();
                    let kept = output
                        .iter()
                        .rposition(|&b| b != b'\n')
                        .map_or(0, |i| i + 1);
                    out.truncate(kept);
                }
                return Ok(());
            }
            Ending::Exited {
                exit: Exit::Status(status),
                ..
            } => Failure::Exited(status),
            Ending::Exited {
                exit: Exit::Signal(signal),
                ..
            } => Failure::Signaled(signal),
            Ending::Exited {
                exit: Exit::Unknown,
                ..
            } => {
                return Err(Error::new(
                    message::EXEC_FAILED,
                    "lost track of the program: it could not be reaped",
                ));
            }
            Ending::TimedOut => {
                // Lambda logs this line at its own timeouts; log filters look for it.
                let mut words = [0; message::TASK_TIMED_OUT_LEN];
                log::line(&[
                    request_id,
                    b" ",
                    message::task_timed_out(timeout_ms, &mut words),
                ]);
                Failure::TimedOut {
                    request_id,
                    timeout_ms,
                }
            }
            Ending::TooLarge => Failure::TooLarge { limit: out.len() },
            Ending::Broken(e) => {
                return Err(message::exec_failed(
                    b"cannot watch the program: poll failed",
                    b"",
                    spawn::describe(e),
                    b"",
                ));
            }
        };
        let mut tail = [0; TAIL_LEN];
        let tail = self.tail.copy_last(&mut tail);
        Err(message::failure(failure, tail, self.tail.total()))
    }
}

/// The C string of `len` bytes at the start of `buf` (which has its NUL after them).
fn c_str(buf: &[u8], len: usize) -> &CStr {
    buf.get(..=len)
        .and_then(|b| CStr::from_bytes_with_nul(b).ok())
        .unwrap_or(c"")
}

fn spawn_error(error: SpawnError, program: &CStr) -> Error {
    match error {
        SpawnError::Pipe(e) => message::exec_failed(
            b"cannot make the program's pipes",
            b"",
            spawn::describe(e),
            b"",
        ),
        SpawnError::Clone(e) => {
            message::exec_failed(b"cannot start a process", b"", spawn::describe(e), b"")
        }
        SpawnError::Exec(e) => {
            let hint: &[u8] = match e {
                rustix::io::Errno::NOENT => b" (the program, or the interpreter its #! line names)",
                _ => b"",
            };
            message::exec_failed(
                b"cannot execute",
                program.to_bytes(),
                spawn::describe(e),
                hint,
            )
        }
    }
}
