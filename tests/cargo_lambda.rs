//! Conformance with cargo-lambda's emulator, a third-party Runtime API that users run
//! locally: `cargo lambda watch --only-lambda-apis` serves the Runtime API and the Invoke API
//! without starting a function, and prints the variables a function started by hand needs.
//! Each test starts it on a free loopback port, starts a bootstrap with exactly what it
//! printed, invokes through it (`cargo lambda invoke`, or a plain POST to its Invoke API) and
//! checks the answers byte for byte.
//!
//! What cargo-lambda does differently from Lambda, and the bootstrap must take:
//! - `AWS_LAMBDA_RUNTIME_API` is `http://127.0.0.1:PORT/.rt`: a scheme and a path prefix; a
//!   function other than the default one (`_`) is served under `/.rt/NAME`.
//! - `Lambda-Runtime-Deadline-Ms` is a duration (600000), not an epoch time: no deadline.
//! - A streamed response is always read as an HTTP-integration one: the JSON prelude as the
//!   first chunk, the eight NULs as the second, then the body, answered with the prelude's
//!   status, headers and cookies. (A stream without a prelude gets a 500 from it, so only the
//!   prelude case is tested here.)
//!
//! It needs a Cargo project to start in (it runs `cargo metadata`), and it refuses to invoke
//! a named function that is not one of the project's binaries: each test makes a throwaway
//! project with no dependencies (no network needed) whose one binary is the function's name.

use crate::support;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use support::*;

/// How long cargo-lambda may take to start listening (it runs `cargo metadata` first).
const START_LIMIT: Duration = Duration::from_secs(10);
/// How long one invocation may take, the function's time included.
const INVOKE_LIMIT: Duration = Duration::from_secs(10);
/// The same under `cargo lambda watch`, whose first invocation waits for `cargo run`.
const WATCH_INVOKE_LIMIT: Duration = Duration::from_secs(120);

/// A Cargo project that cargo-lambda runs in: a throwaway one, removed when dropped, or the
/// template's copy (see [`template_copy`]), which is kept.
struct Project {
    path: PathBuf,
    throwaway: bool,
}

impl Project {
    /// A throwaway project whose one binary is `function`.
    fn new(test: &str, function: &str) -> Project {
        let path = std::env::temp_dir().join(format!("cargo-lambda-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("src")).unwrap();
        let manifest =
            format!("[package]\nname = \"{function}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n");
        std::fs::write(path.join("Cargo.toml"), manifest).unwrap();
        std::fs::write(path.join("src/main.rs"), "fn main() {}\n").unwrap();
        Project {
            path,
            throwaway: true,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if self.throwaway {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Whether `cargo lambda` runs here; if not, the test is skipped (or fails under
/// `LAMBDA_BOOTSTRAP_NO_SKIP=1`).
fn cargo_lambda_runs() -> bool {
    let runs = Command::new("cargo")
        .args(["lambda", "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        skip::missing("cargo-lambda (`python3 -m pip install cargo-lambda`)");
    }
    runs
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `cargo lambda watch --only-lambda-apis` on a free loopback port, in a process group of
/// its own that is killed when this is dropped.
struct Emulator {
    child: Child,
    project: Project,
    port: u16,
    /// What it printed for a function to use: `(AWS_LAMBDA_..., value)`.
    printed: Vec<(String, String)>,
    /// How long one invocation may take.
    invoke_limit: Duration,
}

impl Emulator {
    fn start(test: &str, function: &str) -> Emulator {
        let emulator = Emulator::spawn(Project::new(test, function), &["--only-lambda-apis"], &[]);
        emulator.wait_until_ready(true)
    }

    /// `cargo lambda watch` in `project`, serving its function(s) itself, with `env` added.
    fn watch(project: Project, env: &[(&str, &str)]) -> Emulator {
        let mut emulator = Emulator::spawn(project, &[], env).wait_until_ready(false);
        // It starts the function with `cargo run`, which finds the build up to date (the test
        // builds it first) but may take its time to say so on a busy machine.
        emulator.invoke_limit = WATCH_INVOKE_LIMIT;
        emulator
    }

    fn spawn(project: Project, args: &[&str], env: &[(&str, &str)]) -> Emulator {
        let port = free_port();
        let child = Command::new("cargo")
            .args(["lambda", "watch"])
            .args(args)
            .args(["--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(&project.path)
            // Nothing here needs the network; make sure cargo does not try.
            .env("CARGO_NET_OFFLINE", "true")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(File::create(project.file("watch.out")).unwrap())
            .stderr(File::create(project.file("watch.err")).unwrap())
            .process_group(0)
            .spawn()
            .expect("cannot start cargo lambda watch");
        Emulator {
            child,
            project,
            port,
            printed: Vec::new(),
            invoke_limit: INVOKE_LIMIT,
        }
    }

    /// Waits until it accepts connections on its port, and (`printed`) has printed the
    /// variables for a function started by hand.
    fn wait_until_ready(mut self, printed: bool) -> Emulator {
        let deadline = Instant::now() + START_LIMIT;
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            self.printed = printed_variables(&self.log());
            let has_printed = !printed
                || self
                    .printed
                    .iter()
                    .any(|(name, _)| name == "AWS_LAMBDA_RUNTIME_API");
            if has_printed && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            {
                return self;
            }
            if self.child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                self.fail("cargo lambda watch did not print AWS_LAMBDA_RUNTIME_API and listen");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// What it printed, stdout then stderr.
    fn log(&self) -> String {
        let read = |name| std::fs::read_to_string(self.project.file(name)).unwrap_or_default();
        read("watch.out") + &read("watch.err")
    }

    fn printed(&self, name: &str) -> &str {
        let found = self.printed.iter().find(|(n, _)| n == name);
        found
            .map(|(_, value)| value.as_str())
            .unwrap_or_else(|| self.fail(&format!("it printed no {name}")))
    }

    /// The environment it printed for its default function, `_`, served at `/.rt`.
    fn default_function_env(&self) -> Vec<(String, String)> {
        self.printed.clone()
    }

    /// The environment for the named function: the printed one, with the function's name
    /// after the printed Runtime API's path, where cargo-lambda routes named functions.
    fn named_function_env(&self, function: &str) -> Vec<(String, String)> {
        let api = format!("{}/{function}", self.printed("AWS_LAMBDA_RUNTIME_API"));
        let mut env: Vec<_> = self
            .printed
            .iter()
            .filter(|(name, _)| {
                name != "AWS_LAMBDA_RUNTIME_API" && name != "AWS_LAMBDA_FUNCTION_NAME"
            })
            .cloned()
            .collect();
        env.push(("AWS_LAMBDA_RUNTIME_API".into(), api));
        env.push(("AWS_LAMBDA_FUNCTION_NAME".into(), function.into()));
        env
    }

    /// POSTs `event` to its Invoke API for `function` and reads the whole answer.
    fn post(&self, function: &str, event: &[u8]) -> Answer {
        self.send(
            "POST",
            &format!("/2015-03-31/functions/{function}/invocations"),
            event,
        )
    }

    /// Sends one HTTP request to its port and reads the whole answer.
    fn send(&self, method: &str, path: &str, event: &[u8]) -> Answer {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .unwrap_or_else(|e| self.fail(&format!("connecting to the Invoke API: {e}")));
        stream.set_read_timeout(Some(self.invoke_limit)).unwrap();
        stream.set_write_timeout(Some(self.invoke_limit)).unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            event.len()
        );
        let sent = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(event));
        sent.unwrap_or_else(|e| self.fail(&format!("sending the invocation: {e}")));
        let mut bytes = Vec::new();
        if let Err(e) = stream.read_to_end(&mut bytes) {
            self.fail(&format!(
                "reading the answer (after {} bytes): {e}",
                bytes.len()
            ));
        }
        Answer::parse(&bytes).unwrap_or_else(|e| {
            self.fail(&format!(
                "bad answer: {e}\n{:?}",
                String::from_utf8_lossy(&bytes)
            ))
        })
    }

    /// `cargo lambda invoke --data-ascii DATA [FUNCTION]` against it: its stdout, which must
    /// come with a successful exit within [`INVOKE_LIMIT`].
    fn invoke(&self, function: Option<&str>, data: &str) -> String {
        let out = self.project.file("invoke.out");
        let err = self.project.file("invoke.err");
        let mut child = Command::new("cargo")
            .args(["lambda", "invoke", "--invoke-address", "127.0.0.1"])
            .args([
                "--invoke-port",
                &self.port.to_string(),
                "--data-ascii",
                data,
            ])
            .args(function)
            .current_dir(&self.project.path)
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .expect("cannot start cargo lambda invoke");
        let deadline = Instant::now() + self.invoke_limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                self.fail("cargo lambda invoke did not finish");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout = std::fs::read_to_string(&out).unwrap();
        if !status.success() {
            let stderr = std::fs::read_to_string(&err).unwrap();
            self.fail(&format!(
                "cargo lambda invoke: {status}\n{stdout}\n{stderr}"
            ));
        }
        stdout
    }

    fn fail(&self, message: &str) -> ! {
        panic!(
            "{message}\n--- cargo lambda watch's output ---\n{}\n---",
            self.log()
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // cargo-lambda may run children (cargo metadata); the whole group goes.
        if let Some(group) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `AWS_LAMBDA_...=VALUE` lines of its log (`INFO AWS_LAMBDA_RUNTIME_API=http://...`).
fn printed_variables(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter_map(|line| line.trim().strip_prefix("INFO "))
        .filter_map(|line| line.trim().split_once('='))
        .filter(|(name, _)| name.starts_with("AWS_LAMBDA_"))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Starts `program` with exactly `env` (and `extra`).
fn start_function(program: &Path, env: &[(String, String)], extra: &[(&str, &str)]) -> Process {
    let mut all: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    Process::spawn(program, &all)
}

/// Fails with both sides' output unless `answer` is a 200 with exactly `body`.
fn expect_ok(emulator: &Emulator, function: &mut Process, answer: &Answer, body: &[u8]) {
    if answer.status != 200 || answer.body != body {
        emulator.fail(&format!(
            "expected 200 {:?}, got {} {:?}\n{}",
            String::from_utf8_lossy(body),
            answer.status,
            answer.text(),
            function.diagnostics()
        ));
    }
}

/// The default bootstrap, set up exactly as cargo-lambda says (`/.rt`, function `_`): its
/// buffered answers through `cargo lambda invoke` and through a plain POST.
#[test]
#[cfg_attr(
    missing = "cargo-lambda",
    ignore = "cargo-lambda is not installed (python3 -m pip install cargo-lambda)"
)]
fn the_default_bootstrap_answers_through_cargo_lambda() {
    if !cargo_lambda_runs() {
        return;
    }
    let emulator = Emulator::start("default", "hello");
    assert!(
        emulator
            .printed("AWS_LAMBDA_RUNTIME_API")
            .starts_with("http://127.0.0.1:"),
        "{:?}",
        emulator.printed
    );
    let mut function = start_function(&bootstrap_program(), &emulator.default_function_env(), &[]);
    let printed = emulator.invoke(None, r#"{"name":"cargo"}"#);
    if printed != "Hello: {\"name\":\"cargo\"}\n" {
        emulator.fail(&format!(
            "cargo lambda invoke printed {printed:?}\n{}",
            function.diagnostics()
        ));
    }
    let answer = emulator.post("_", b"world");
    expect_ok(&emulator, &mut function, &answer, b"Hello: world");
    if function.exit_status().is_some() {
        emulator.fail(&format!("the bootstrap ended\n{}", function.diagnostics()));
    }
}

/// The probe under its own name (`/.rt/probe`): an HTTP-integration stream comes out as
/// the prelude's status, headers and cookies with the body; an error as cargo-lambda's 500
/// with the error document; and the bootstrap goes on serving.
#[test]
#[cfg_attr(
    missing = "cargo-lambda",
    ignore = "cargo-lambda is not installed (python3 -m pip install cargo-lambda)"
)]
fn a_streamed_prelude_and_an_error_come_through_cargo_lambda() {
    if !cargo_lambda_runs() {
        return;
    }
    let emulator = Emulator::start("probe", "probe");
    let mut function = start_function(&probe_program(), &emulator.named_function_env("probe"), &[]);

    let answer = emulator.post("probe", b"prelude");
    let cookies: Vec<&str> = answer
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.as_str())
        .collect();
    let as_expected = answer.status == 201
        && answer.header("content-type") == Some("text/html")
        && answer.header("x-probe") == Some("yes")
        && cookies == ["a=1", "b=2; Path=/"]
        && answer.body == b"hi";
    if !as_expected {
        emulator.fail(&format!(
            "expected 201, the prelude's headers and cookies, and `hi`; got {answer:?}\n{}",
            function.diagnostics()
        ));
    }

    let answer = emulator.post("probe", b"error:on purpose");
    let document = answer.json();
    let as_expected = answer.status == 500
        && document["errorType"] == "Function.Probe"
        && document["errorMessage"] == "on purpose";
    if !as_expected {
        emulator.fail(&format!(
            "expected a 500 with the error document; got {answer:?}\n{}",
            function.diagnostics()
        ));
    }

    let answer = emulator.post("probe", b"after the error");
    expect_ok(&emulator, &mut function, &answer, b"after the error");
}

/// AWS's custom-runtime tutorial's function.sh, unchanged, through `bootstrap-exec`
/// (`_HANDLER=function.handler`) under its own name (`/.rt/tutorial`).
#[test]
#[cfg_attr(
    missing = "cargo-lambda",
    ignore = "cargo-lambda is not installed (python3 -m pip install cargo-lambda)"
)]
fn the_tutorials_function_sh_answers_through_cargo_lambda() {
    if runner().is_some() {
        // As in tests/exec.rs: exec mode is tested natively only.
        skip::not_applicable("exec mode is not tested under an emulator");
        return;
    }
    if !cargo_lambda_runs() {
        return;
    }
    let emulator = Emulator::start("tutorial", "tutorial");
    let task = emulator.project.file("task");
    std::fs::create_dir_all(&task).unwrap();
    // The tutorial's file: no `#!`, not executable, sourced by bash.
    let function_sh = "function handler () {\n  EVENT_DATA=$1\n\n  RESPONSE=\"Echoing request: '$EVENT_DATA'\"\n  echo $RESPONSE\n}\n";
    std::fs::write(task.join("function.sh"), function_sh).unwrap();
    let exec = PathBuf::from(env!("CARGO_BIN_EXE_bootstrap-exec"));
    let extra = [
        ("_HANDLER", "function.handler"),
        ("LAMBDA_TASK_ROOT", task.to_str().unwrap()),
        ("PATH", "/usr/bin:/bin"),
    ];
    let mut function = start_function(&exec, &emulator.named_function_env("tutorial"), &extra);

    let event = r#"{"key1":"value1","key2":"value2","key3":"value3"}"#;
    let printed = emulator.invoke(Some("tutorial"), event);
    if printed != format!("Echoing request: '{event}'\n") {
        emulator.fail(&format!(
            "cargo lambda invoke printed {printed:?}\n{}",
            function.diagnostics()
        ));
    }
    let answer = emulator.post("tutorial", b"{\"second\":2}");
    expect_ok(
        &emulator,
        &mut function,
        &answer,
        b"Echoing request: '{\"second\":2}'",
    );
}

// ---- the template, built by `cargo lambda build` and served by `cargo lambda watch` ----

/// The sample request the template ships: an HTTP API `GET /` without parameters.
const TEMPLATE_EVENT: &str = include_str!("../template/events/http-request.json");
/// What the template answers it.
const TEMPLATE_GREETING: &str = "Hello, world! (GET /)";

/// `target/cargo-lambda-template`: the template copy's target directory, kept between runs so
/// that only the first compiles the dependencies.
fn template_target_dir() -> PathBuf {
    bootstrap_program()
        .ancestors()
        .nth(3)
        .expect("target/<triple>/release/bootstrap")
        .join("cargo-lambda-template")
}

/// The template copied as a user copies it (tests/support/template_copy.rs), and the turn to
/// use it: one cargo at a time in its target directory.
fn template_copy() -> (&'static Path, MutexGuard<'static, ()>) {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = COPY.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("cargo-lambda-template-{}", std::process::id()));
        copy_template(&dir);
        dir
    });
    (dir.as_path(), turn)
}

/// `cargo ARGS` in the template's copy, offline, with its own target directory.
fn cargo_in(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new("cargo")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", template_target_dir())
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_BUILD_TARGET")
        .stdin(Stdio::null())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo {} in a copy of template/ failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Checks the template's answer to [`TEMPLATE_EVENT`], printed as JSON by `what`.
fn expect_greeting(what: &str, printed: &[u8]) {
    let answer: serde_json::Value = serde_json::from_slice(printed).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {:?}",
            String::from_utf8_lossy(printed)
        )
    });
    assert_eq!(answer["statusCode"], 200, "{what}: {answer}");
    assert_eq!(answer["body"], TEMPLATE_GREETING, "{what}: {answer}");
    assert_eq!(
        answer["headers"]["content-type"], "text/plain; charset=utf-8",
        "{what}: {answer}"
    );
}

/// The cargo-lambda tests of the template run in the x86_64 run, which builds both
/// architectures; and need cargo-lambda (and zig, which it finds through pip's `ziglang`).
fn template_tests_run_here() -> bool {
    if runner().is_some() {
        skip::not_applicable("the x86_64 run builds the template for both architectures");
        return false;
    }
    cargo_lambda_runs()
}

/// `cargo lambda build --release` and `cargo lambda build --release --arm64` on the template,
/// with no other flag and nothing changed but the dependency's path: each writes a
/// `target/lambda/bootstrap/bootstrap` of its architecture that answers the sample request
/// (the arm64 one under qemu, with Debian's aarch64 glibc for its loader).
///
/// cargo-lambda builds for the glibc targets (`x86_64-unknown-linux-gnu` on this machine,
/// `aarch64-unknown-linux-gnu` for `--arm64`) with `zig cc` as the linker: the bootstrap is
/// then a dynamically linked program (docs: template/README.md), and build.rs leaves out the
/// link setting zig refuses.
#[test]
fn cargo_lambda_builds_the_template_unchanged_for_both_architectures() {
    if !template_tests_run_here() {
        return;
    }
    let qemu_root = Path::new("/usr/aarch64-linux-gnu");
    if !qemu_root.join("lib/ld-linux-aarch64.so.1").exists() {
        skip::missing(
            "aarch64 glibc (apt-get install libc6-arm64-cross, with gcc-aarch64-linux-gnu)",
        );
        return;
    }
    let (dir, _turn) = template_copy();
    let built = template_target_dir().join("lambda/bootstrap/bootstrap");
    for (flags, machine) in [(&[][..], 62u16), (&["--arm64"][..], 183)] {
        let _ = std::fs::remove_file(&built);
        let args = [&["lambda", "build", "--release"][..], flags].concat();
        cargo_in(dir, &args);
        let what = format!("cargo {}", args.join(" "));
        let binary = std::fs::read(&built)
            .unwrap_or_else(|e| panic!("{what} wrote no {}: {e}", built.display()));
        assert_eq!(
            u16::from_le_bytes([binary[18], binary[19]]),
            machine,
            "{what}: the ELF machine"
        );
        let mut command = if machine == 183 {
            let mut command = Command::new("qemu-aarch64-static");
            command.arg("-L").arg(qemu_root).arg(&built);
            command
        } else {
            Command::new(&built)
        };
        let output = command
            .args(["--invoke", TEMPLATE_EVENT])
            .env_clear()
            .output()
            .expect("the bootstrap runs");
        assert!(
            output.status.success(),
            "{what}: bootstrap --invoke: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        expect_greeting(&what, &output.stdout);
        eprintln!("{what}: {} bytes, answers", binary.len());
    }
}

/// `cargo lambda watch` in the template's copy, the function built first as watch builds it
/// (`cargo run`: the dev profile, the template's musl target), so that the first invocation
/// need not wait for a compiler.
fn watch_the_template(dir: &Path) -> Emulator {
    cargo_in(dir, &["build", "--bin", "bootstrap"]);
    let project = Project {
        path: dir.to_path_buf(),
        throwaway: false,
    };
    let target = template_target_dir();
    Emulator::watch(project, &[("CARGO_TARGET_DIR", target.to_str().unwrap())])
}

/// `cargo lambda watch` runs the template and `cargo lambda invoke` gets its answer to the
/// sample HTTP API request.
#[test]
fn cargo_lambda_watch_and_invoke_answer_with_the_templates_types() {
    if !template_tests_run_here() {
        return;
    }
    let (dir, _turn) = template_copy();
    let emulator = watch_the_template(dir);
    let printed = emulator.invoke(Some("bootstrap"), TEMPLATE_EVENT);
    expect_greeting("cargo lambda invoke", printed.as_bytes());
}

/// Requests to the function URL that `cargo lambda watch` serves (`/lambda-url/NAME/...`)
/// reach the template as cargo-lambda's function URL event (which has `null` for
/// `requestContext.accountId` and `apiId`, and for `rawQueryString` without a query) and come
/// back as the template's response: status, content type and the greeting.
#[test]
fn a_function_url_request_through_cargo_lambda_watch_answers() {
    if !template_tests_run_here() {
        return;
    }
    let (dir, _turn) = template_copy();
    let emulator = watch_the_template(dir);
    for (path, greeting) in [
        (
            "/lambda-url/bootstrap/greet?name=Ada",
            "Hello, Ada! (GET /greet)",
        ),
        ("/lambda-url/bootstrap/", "Hello, world! (GET /)"),
    ] {
        let answer = emulator.send("GET", path, b"");
        let as_expected = answer.status == 200
            && answer
                .header("content-type")
                .is_some_and(|value| value.starts_with("text/plain"))
            && answer.body == greeting.as_bytes();
        if !as_expected {
            emulator.fail(&format!(
                "GET {path}: expected 200 text/plain `{greeting}`, got {} {:?} {:?}",
                answer.status,
                answer.header("content-type"),
                answer.text()
            ));
        }
    }
}
