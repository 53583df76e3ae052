//! The runtimes under test and how to start each one.
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
}

/// Where the built programs are.
pub struct Paths {
    pub ours_bootstrap: PathBuf,
    pub ours_echo: PathBuf,
    pub ours_exec: PathBuf,
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
        },
        lambda("lambda-value-release", "lambda_runtime Value, release", "release", "echo-value"),
        lambda("lambda-value-size", "lambda_runtime Value, size-opt", "size", "echo-value"),
        lambda("lambda-raw-release", "lambda_runtime RawValue, release", "release", "echo-raw"),
        lambda("lambda-raw-size", "lambda_runtime RawValue, size-opt", "size", "echo-raw"),
        Runtime {
            id: "bash-curl",
            label: "bash + curl (AWS tutorial)",
            family: Family::BashCurl,
            program: paths.bash_curl_dir.join("bootstrap"),
            response_prefix: b"",
            takes_largest: false,
            slow: true,
            argument: None,
        },
    ]
}

/// The id of the runtime every ratio "×lambda_runtime" is taken against: the official
/// runtime as most functions use it (a `serde_json::Value` event, cargo's release profile).
pub const LAMBDA_REFERENCE: &str = "lambda-value-release";
pub const FLOOR: &str = "floor";

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
