//! The runtimes under test and how to start each one.
use crate::events::{self, Kind};
use serde::Serialize;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Ours,
    Floor,
    LambdaRuntime,
    BashCurl,
}

#[derive(Clone, Debug)]
pub struct Runtime {
    /// Short, stable name used in results.json.
    pub id: &'static str,
    /// What the tables call it.
    pub label: &'static str,
    pub family: Family,
    /// What is executed (for bash + curl, the bootstrap script).
    pub program: PathBuf,
    /// Prefix the handler puts before the event (`Hello: ` for our default handler).
    pub response_prefix: &'static [u8],
    /// Takes the 6 MiB events (ours and the floor; the brief leaves the peers at 1 MiB).
    pub takes_largest: bool,
    /// Milliseconds per invocation: shorter strace runs.
    pub slow: bool,
    /// An argument after the program (bootstrap-exec: the program to run per invocation).
    pub argument: Option<PathBuf>,
    /// The events it takes: echo handlers take any, a typed handler only its own type's.
    pub takes: Takes,
    /// Answers a small document derived from the event (`events::typed_answer`) rather
    /// than the event itself.
    pub typed: bool,
}

/// Which events a runtime's handler takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takes {
    Any,
    Only(Kind),
}

/// Where the built programs are.
pub struct Paths {
    pub ours_bootstrap: PathBuf,
    pub ours_echo: PathBuf,
    pub ours_exec: PathBuf,
    /// The product's typed-bench and typed-bench-http (examples/typed_bench/).
    pub ours_typed: PathBuf,
    pub ours_typed_http: PathBuf,
    /// `peers/exec`: the script bootstrap-exec runs.
    pub exec_dir: PathBuf,
    /// `target/x86_64-unknown-linux-musl` of the benches workspace.
    pub peers_target: PathBuf,
    pub bash_curl_dir: PathBuf,
}

pub fn all(paths: &Paths) -> Vec<Runtime> {
    let peer = |profile: &str, bin: &str| paths.peers_target.join(profile).join(bin);
    let lambda = |id, label, profile, bin| Runtime {
        id,
        label,
        family: Family::LambdaRuntime,
        program: peer(profile, bin),
        response_prefix: b"",
        takes_largest: false,
        slow: false,
        argument: None,
        takes: Takes::Any,
        typed: false,
    };
    let typed = |id, label, family, program, kind| Runtime {
        id,
        label,
        family,
        program,
        response_prefix: b"",
        takes_largest: false,
        slow: false,
        argument: None,
        takes: Takes::Only(kind),
        typed: true,
    };
    vec![
        Runtime {
            id: "ours",
            label: "ours: bootstrap (Hello handler)",
            family: Family::Ours,
            program: paths.ours_bootstrap.clone(),
            response_prefix: b"Hello: ",
            takes_largest: true,
            slow: false,
            argument: None,
            takes: Takes::Any,
            typed: false,
        },
        Runtime {
            id: "ours-echo",
            label: "ours: echo",
            family: Family::Ours,
            program: paths.ours_echo.clone(),
            response_prefix: b"",
            takes_largest: true,
            slow: false,
            argument: None,
            takes: Takes::Any,
            typed: false,
        },
        Runtime {
            id: "ours-exec",
            label: "ours: bootstrap-exec + sh script (cat)",
            family: Family::Ours,
            program: paths.ours_exec.clone(),
            response_prefix: b"",
            takes_largest: false,
            slow: true,
            argument: Some(paths.exec_dir.join("echo.sh")),
            takes: Takes::Any,
            typed: false,
        },
        Runtime {
            id: "floor",
            label: "floor (raw socket)",
            family: Family::Floor,
            program: peer("release", "floor"),
            response_prefix: b"",
            takes_largest: true,
            slow: false,
            argument: None,
            takes: Takes::Any,
            typed: false,
        },
        lambda("lambda-value-release", "lambda_runtime Value, release", "release", "echo-value"),
        lambda("lambda-value-size", "lambda_runtime Value, size-opt", "size", "echo-value"),
        lambda("lambda-raw-release", "lambda_runtime RawValue, release", "release", "echo-raw"),
        lambda("lambda-raw-size", "lambda_runtime RawValue, size-opt", "size", "echo-raw"),
        // Std mode (feature `std`, peers/ours-std): the same runtime under an ordinary
        // `fn main`, built with the `size` profile as a user's std crate would be.
        Runtime {
            id: OURS_STD_ECHO,
            label: "ours, std mode: echo (run)",
            family: Family::Ours,
            program: peer("size", "std-echo"),
            response_prefix: b"",
            takes_largest: true,
            slow: false,
            argument: None,
            takes: Takes::Any,
            typed: false,
        },
        typed(OURS_TYPED, "ours: typed (serde struct)", Family::Ours, paths.ours_typed.clone(), Kind::Generated),
        typed(
            OURS_TYPED_HTTP,
            "ours: typed HttpRequest",
            Family::Ours,
            paths.ours_typed_http.clone(),
            Kind::HttpApiSample,
        ),
        typed(
            OURS_STD_TYPED,
            "ours, std mode: typed (run_json, owned struct)",
            Family::Ours,
            peer("size", "std-typed"),
            Kind::Generated,
        ),
        typed(
            OURS_STD_TYPED_BORROWED,
            "ours, std mode: typed (run + from_slice, borrowed struct)",
            Family::Ours,
            peer("size", "std-typed-borrowed"),
            Kind::Generated,
        ),
        typed(
            LAMBDA_TYPED,
            "lambda_runtime typed (serde struct), release",
            Family::LambdaRuntime,
            peer("release", "typed-padded"),
            Kind::Generated,
        ),
        typed(
            LAMBDA_TYPED_HTTP,
            "lambda_runtime typed HttpRequest, release",
            Family::LambdaRuntime,
            peer("release", "typed-http"),
            Kind::HttpApiSample,
        ),
        Runtime {
            id: "bash-curl",
            label: "bash + curl (AWS tutorial)",
            family: Family::BashCurl,
            program: paths.bash_curl_dir.join("bootstrap"),
            response_prefix: b"",
            takes_largest: false,
            slow: true,
            argument: None,
            takes: Takes::Any,
            typed: false,
        },
    ]
}

/// The id of the runtime every ratio "×lambda_runtime" is taken against: the official
/// runtime as most functions use it (a `serde_json::Value` event, cargo's release profile).
pub const LAMBDA_REFERENCE: &str = "lambda-value-release";
pub const FLOOR: &str = "floor";
/// The typed handlers, ours and lambda_runtime's with the same serde structs: on the
/// generated (padded) events, and on the HTTP API sample.
pub const OURS_TYPED: &str = "ours-typed";
pub const OURS_TYPED_HTTP: &str = "ours-typed-http";
/// Std mode (feature `std`): an echo through `run`, and the padded events' struct through
/// `run_json` (owned strings) and through `run` + `serde_json::from_slice` (borrowed).
pub const OURS_STD_ECHO: &str = "ours-std-echo";
pub const OURS_STD_TYPED: &str = "ours-std-typed";
pub const OURS_STD_TYPED_BORROWED: &str = "ours-std-typed-borrowed";
/// lambda_runtime's `size` profile echo: what the std typed bootstrap's size is held against.
pub const LAMBDA_SIZE_ECHO: &str = "lambda-value-size";
pub const LAMBDA_TYPED: &str = "lambda-typed-release";
pub const LAMBDA_TYPED_HTTP: &str = "lambda-typed-http-release";

impl Runtime {
    pub fn takes(&self, kind: Kind) -> bool {
        self.takes == Takes::Any || self.takes == Takes::Only(kind)
    }

    /// The answer the fake API expects to `event`, of `kind`.
    pub fn expected_response(&self, kind: Kind, event: &[u8]) -> Vec<u8> {
        if self.typed { events::typed_answer(kind, event) } else { events::expected_response(self.response_prefix, event) }
    }
}

impl Runtime {
    /// The command that starts the runtime as Lambda would: a clean environment with what
    /// Lambda sets (`lambda_runtime` panics without the function's name, memory and
    /// version), stdout discarded, stderr kept in `scratch/ID.stderr` for failure reports.
    /// `wrapper` runs it under another program (strace).
    pub fn command(&self, scratch: &Path, wrapper: &[OsString]) -> Command {
        let mut command = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&self.program);
                c
            }
            None => Command::new(&self.program),
        };
        command.args(&self.argument);
        let task_root = self.program.parent().unwrap_or(Path::new("."));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()))
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("LAMBDA_TASK_ROOT", task_root)
            .env("_HANDLER", "function.handler")
            .env("TMPDIR", scratch.join("tmp"))
            // Its own process group, so that a kill reaches bash's curl too.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(self.stderr_file(scratch));
        command
    }

    fn stderr_file(&self, scratch: &Path) -> Stdio {
        match File::create(self.stderr_path(scratch)) {
            Ok(file) => file.into(),
            Err(_) => Stdio::null(),
        }
    }

    pub fn stderr_path(&self, scratch: &Path) -> PathBuf {
        scratch.join(format!("{}.stderr", self.id))
    }

    /// The last line the runtime wrote to stderr: what a failure report quotes.
    pub fn last_stderr_line(&self, scratch: &Path) -> Option<String> {
        let text = std::fs::read_to_string(self.stderr_path(scratch)).ok()?;
        text.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.chars().take(200).collect())
    }
}
