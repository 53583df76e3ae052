//! Test support for the bootstrap's integration tests.
//!
//! * [`FakeApi`]: a scripted fake of the Lambda Runtime API on loopback (std only). It hands out
//!   invocations from a queue ([`Script`]), framed and paced as each test asks. It records every
//!   [`Request`] it receives so tests can check exactly what the bootstrap sent; a streamed
//!   response (chunked) is recorded decoded, with its chunk sizes and trailers, and a huge one
//!   can be checked as it arrives instead of kept ([`Invocation::expect_body`]).
//! * [`Process`]: a guard around a child process that captures its output and kills it on drop.
//! * [`Run`]: the two together, with waits that fail with a full diagnostic instead of hanging.
//! * [`parse_error_body`]: checks a posted error body as JSON (with `serde_json`), not as text;
//!   [`parse_error_trailer`] the same document base64-encoded in a streamed response's trailer.
//! * [`LocalServer`]: a bootstrap in local mode on a free loopback port, with a raw HTTP client
//!   that reads whole [`Answer`]s, chunked ones and their trailers included.
//! * [`Rng`]: a seeded PRNG, so "random" framings and events repeat exactly.
//!
//! Every socket operation has a timeout and every loop is bounded. A broken bootstrap therefore
//! fails a test with a message. It cannot hang the suite.
//!
//! Test modules use it as `use crate::support;` and `use support::*;`, so everything they need
//! is re-exported here.

mod base64;
pub mod elf;
mod error_body;
mod eventstream;
mod local;
mod process;
mod procs;
mod request;
mod rng;
mod run;
mod script;
mod server;
#[path = "../skip/mod.rs"]
pub mod skip;
pub mod sockopt;
mod template_copy;

use std::path::PathBuf;

pub use {
    base64::decode_base64,
    error_body::{PostedError, parse_error_body, parse_error_trailer},
    eventstream::decode_events,
    local::{Answer, INVOKE_PATH, LocalServer},
    process::{Process, pid_namespace, runner, shell_wrapper},
    procs::{ProcEntry, children_of, eventually, is_alive, process_tree, status_kib},
    request::{BodyCheck, EXTENSION_ID, KEPT_WHEN_CHECKED, Request, Route},
    rng::{Rng, binary_event},
    run::{EXIT_LIMIT, Run, WAIT_LIMIT},
    script::{
        AfterReply, Chunking, FUNCTION_ARN, HeaderCase, Invocation, Pacing, RawReply, Script, Step,
        WhenDone, deadline_in_five_minutes,
    },
    server::FakeApi,
    template_copy::{assert_success, cargo_in, copy_crate, copy_template},
};

/// The bootstrap binary built by Cargo for this test run (default handler: `Hello: ` + event).
pub fn bootstrap_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bootstrap"))
}

/// The `probe` bootstrap (examples/probe.rs, built as a bin), a handler written for these tests.
pub fn probe_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_probe"))
}

/// The probe built with a shutdown hook (`main!(..., shutdown = ...)`).
pub fn probe_shutdown_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_probe-shutdown"))
}

/// The probe built with isolation and a shutdown hook.
pub fn probe_isolated_shutdown_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_probe-isolated-shutdown"))
}

/// The probe built with `main!(isolated ...)`: every invocation in a child forked for it.
pub fn probe_isolated_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_probe-isolated"))
}
