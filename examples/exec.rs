//! `bootstrap-exec`: exec mode, the classic shell-script custom runtime without bash and
//! curl. Each invocation runs the program named by the first argument (an image's `CMD`) or
//! by `$LAMBDA_TASK_ROOT/$_HANDLER`, with the event on its stdin (and as `$1` when it fits);
//! its stdout is the response. See `docs/exec.md` and `src/exec/`.
#![no_std]
#![no_main]

lambda_bootstrap::main!(
    lambda_bootstrap::exec::handle,
    init = lambda_bootstrap::exec::init
);
