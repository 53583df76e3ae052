//! Std mode (feature `std`) and a heap for `no_std` handlers (feature `alloc`).
//!
//! `tests/std-probe/`, a user's crate of ordinary Rust handlers (closures over state made in
//! `main`, `?` on std errors, the heap, std, serde_json, the `log` crate), built out of the main package as a user builds it, with `panic = "unwind"`
//! (Cargo's default) and `panic = "abort"`, and run as Lambda runs it: against the Runtime API,
//! in local mode and with `--invoke`.

use crate::sizes;
use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use support::*;

/// The ELF program header of an interpreter (a dynamic loader).
const PT_INTERP: u32 = 3;

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/`, as the tests' own binaries are built in it.
fn target_dir() -> PathBuf {
    bootstrap_program()
        .ancestors()
        .nth(3)
        .expect("target/<triple>/release/bootstrap")
        .to_path_buf()
}

/// The target the tests are built for (arm64 under qemu in CI).
fn triple() -> String {
    let dir = bootstrap_program()
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf();
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// A profile of the probe crate: `release` unwinds, `release-abort` aborts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Panic {
    Unwind,
    Abort,
}

/// The probe's bin `name` built with `panic`: once per profile, one cargo at a time. Built in
/// place (`tests/std-probe`, so the repository's `.cargo/config.toml` gives arm64 its linker)
/// into `target/std-probe-build`, with the repository's `Cargo.lock` (the versions it is
/// tested with).
fn probe(name: &str, panic: Panic) -> PathBuf {
    static BUILT: Mutex<[bool; 2]> = Mutex::new([false; 2]);
    let profile = match panic {
        Panic::Unwind => "release",
        Panic::Abort => "release-abort",
    };
    let build = target_dir().join("std-probe-build");
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built[panic as usize] {
        let dir = repository().join("tests/std-probe");
        std::fs::copy(repository().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        let output = cargo_in(
            &dir,
            &build,
            &["build", "--profile", profile, "--target", &triple()],
        );
        assert_success(
            &format!("cargo build --profile {profile} of tests/std-probe"),
            &output,
        );
        built[panic as usize] = true;
    }
    build.join(triple()).join(profile).join(name)
}

/// Under an emulator (arm64 in CI), only the tests of the std runtime itself run, on the one
/// `release` build: the other builds (the abort profile, template-std, the alloc probe) and
/// the tests of what is the same on every architecture run on x86_64, which covers them.
fn emulated() -> bool {
    if runner().is_some() {
        skip::not_applicable("built once more and run on x86_64, which covers it");
        return true;
    }
    false
}

/// `program` as a command, under the tests' runner (qemu for arm64) if any.
fn command(program: &Path) -> Command {
    match runner() {
        Some(runner) => {
            let mut command = Command::new(runner);
            command.arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn run(program: &Path, script: Script, env: &[(&str, &str)]) -> Run {
    Run::start(
        program,
        FakeApi::start(script),
        |addr| addr.to_string(),
        env,
    )
}

fn invocations(events: &[&str]) -> Script {
    Script::new().invocations(
        events
            .iter()
            .enumerate()
            .map(|(i, event)| Invocation::new(&format!("req-{i}"), event.as_bytes().to_vec())),
    )
}

/// The posted error of `post`, which must be the `/error` of `request_id`.
fn error_of(run: &mut Run, post: &Request, request_id: &str) -> PostedError {
    if post.route != Route::Error(request_id.to_string()) {
        run.fail(&format!(
            "expected the /error of {request_id}, got {}",
            post.summary()
        ));
    }
    let error = parse_error_body(&post.body).unwrap_or_else(|e| run.fail(&e));
    let header = post
        .header("Lambda-Runtime-Function-Error-Type")
        .unwrap_or_default();
    assert_eq!(
        header, error.error_type,
        "the header and the document agree"
    );
    error
}

fn response_of(run: &mut Run, post: &Request, request_id: &str) -> String {
    if post.route != Route::Response(request_id.to_string()) {
        run.fail(&format!(
            "expected the /response of {request_id}, got {}",
            post.summary()
        ));
    }
    post.body_text()
}

#[test]
fn a_std_bootstrap_is_a_static_pie() {
    let program = probe("std-probe", Panic::Unwind);
    let bytes = std::fs::read(&program).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(
        u16::from_le_bytes([bytes[16], bytes[17]]),
        3,
        "ET_DYN: position-independent"
    );
    let segments = support::elf::segments(&program);
    assert!(
        segments.iter().all(|s| s.kind != PT_INTERP),
        "no interpreter: static, it runs in a FROM scratch image"
    );
}

/// The typed std bootstrap's budget: half of `lambda_runtime`'s echo built with the same size
/// profile (930,816 bytes on this machine: benches/README.md), as std mode's issue asks.
const TYPED_STD_BUDGET: u64 = 465_408;

#[test]
fn the_typed_std_bootstrap_is_at_most_half_of_lambda_runtimes() {
    if emulated() {
        return;
    }
    let program = probe("std-probe-json", Panic::Abort);
    let size = std::fs::metadata(&program).unwrap().len();
    assert!(
        size <= TYPED_STD_BUDGET,
        "{} is {size} bytes, over its budget of {TYPED_STD_BUDGET}",
        program.display()
    );
    if triple().starts_with("x86_64") {
        sizes::check(TYPED_STD_ROW, size);
        assert_eq!(
            sizes::documented_in("docs/size.md", TYPED_STD_ROW, 1),
            TYPED_STD_BUDGET
        );
    }
}

const TYPED_STD_ROW: &str = "std mode: `tests/std-probe`'s typed bin (`run_json`, serde_json, `log`; size profile, `panic = \"abort\"`)";

#[test]
fn unwind_without_unwind_tables_is_a_clear_init_error() {
    if emulated() {
        return;
    }
    // The unwinding build, linked once more with lambda-bootstrap's settings (which discard
    // the unwind tables) into a file of its own: the wrong pairing a user could make.
    let unwinding = probe("std-probe-json", Panic::Unwind);
    let build = target_dir().join("std-probe-build");
    let args = std::fs::read_dir(build.join(triple()).join("release/build"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("out/link-args"))
        .find(|path| path.is_file())
        .expect("lambda-bootstrap's build script wrote its link settings");
    let out = std::env::temp_dir().join(format!("std-probe-wrong-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let link_arg = format!("link-arg=@{}", args.display());
    let output = cargo_in(
        &repository().join("tests/std-probe"),
        &build,
        &[
            "rustc",
            "--release",
            "--target",
            &triple(),
            "--bin",
            "std-probe-json",
            "--",
            "-C",
            &link_arg,
            "-o",
            &out.join("wrong").display().to_string(),
        ],
    );
    assert_success(
        "cargo rustc of std-probe-json with the link settings",
        &output,
    );
    let wrong = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_none())
        .expect("the relinked program");
    assert!(unwinding.is_file(), "the probe itself is left as it was");
    let mut run = run(&wrong, invocations(&["{}"]), &[]);
    let posts = run.wait_for_posts(1);
    if posts[0].route != Route::InitError {
        run.fail(&format!("expected /init/error, got {}", posts[0].summary()));
    }
    let error = parse_error_body(&posts[0].body).unwrap();
    assert_eq!(error.error_type, "Runtime.BuildError");
    assert!(
        error.message.contains("set panic = \"abort\""),
        "{}",
        error.message
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn closures_keep_state_and_errors_from_question_mark_reach_the_caller() {
    let program = probe("std-probe", Panic::Unwind);
    let script = invocations(&[
        "echo:world",
        "parse:21",
        "parse:abc",
        "count",
        "env:STD_PROBE_VAR",
    ]);
    let mut run = run(
        &program,
        script,
        &[("GREETING", "hi"), ("STD_PROBE_VAR", "from env")],
    );
    let posts = run.wait_for_posts(5);
    assert_eq!(
        response_of(&mut run, &posts[0], "req-0"),
        "hi world",
        "state made in main"
    );
    assert_eq!(response_of(&mut run, &posts[1], "req-1"), "42");
    let error = error_of(&mut run, &posts[2], "req-2");
    assert_eq!(error.error_type, "core::num::error::ParseIntError");
    assert_eq!(error.message, "invalid digit found in string");
    assert_eq!(
        response_of(&mut run, &posts[3], "req-3"),
        "4",
        "the closure's own counter"
    );
    assert_eq!(response_of(&mut run, &posts[4], "req-4"), "from env");
    run.assert_no_violations();
}

#[test]
fn std_files_the_heap_and_serde_json_work_in_a_handler() {
    let program = probe("std-probe", Panic::Unwind);
    let file = std::env::temp_dir().join(format!("std-probe-{}.txt", std::process::id()));
    std::fs::write(&file, "file text").unwrap();
    let read = format!("file:{}", file.display());
    let missing = "file:/nonexistent/std-probe";
    let mut run = run(&program, invocations(&[&read, missing, "heap:10"]), &[]);
    let posts = run.wait_for_posts(3);
    assert_eq!(response_of(&mut run, &posts[0], "req-0"), "file text");
    let error = error_of(&mut run, &posts[1], "req-1");
    assert_eq!(error.error_type, "std::io::error::Error");
    assert!(error.message.contains("No such file"), "{}", error.message);
    assert_eq!(
        response_of(&mut run, &posts[2], "req-2"),
        r#"[["w0",4],["w1",3],["w2",3]]"#
    );
    let _ = std::fs::remove_file(file);
}

#[test]
fn with_unwind_a_panic_fails_its_invocation_and_the_same_process_serves_the_next() {
    let program = probe("std-probe", Panic::Unwind);
    let mut run = run(&program, invocations(&["count", "panic:now", "count"]), &[]);
    let posts = run.wait_for_posts(3);
    assert_eq!(response_of(&mut run, &posts[0], "req-0"), "1");
    let error = error_of(&mut run, &posts[1], "req-1");
    assert_eq!(error.error_type, "Runtime.HandlerPanic");
    assert!(
        error.message.starts_with("panicked at src/main.rs:")
            && error.message.ends_with(": boom now"),
        "the location and the formatted message: {:?}",
        error.message
    );
    assert_eq!(
        response_of(&mut run, &posts[2], "req-2"),
        "3",
        "the same process, its state kept"
    );
    assert!(
        run.process.stderr().contains("boom now"),
        "the panic is logged"
    );
}

#[test]
fn with_abort_a_panic_is_reported_then_the_process_exits_101() {
    if emulated() {
        return;
    }
    let program = probe("std-probe", Panic::Abort);
    let mut run = run(&program, invocations(&["panic:hard", "count"]), &[]);
    let posts = run.wait_for_posts(1);
    let error = error_of(&mut run, &posts[0], "req-0");
    assert_eq!(error.error_type, "Runtime.HandlerPanic");
    assert!(
        error.message.ends_with(": boom hard"),
        "{:?}",
        error.message
    );
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(
        status.code(),
        Some(101),
        "a fresh process serves the next invocation"
    );
}

#[test]
fn an_init_error_or_panic_reaches_init_error_and_the_process_exits() {
    if emulated() {
        return;
    }
    for (panic, how, error_type, message) in [
        (
            Panic::Unwind,
            "fail",
            "core::num::error::ParseIntError",
            "invalid digit found in string",
        ),
        (
            Panic::Unwind,
            "panic",
            "Runtime.HandlerPanic",
            "init panicked with 42",
        ),
        (
            Panic::Abort,
            "panic",
            "Runtime.HandlerPanic",
            "init panicked with 42",
        ),
    ] {
        let program = probe("std-probe", panic);
        let mut run = run(
            &program,
            invocations(&["count"]),
            &[("STD_PROBE_INIT", how)],
        );
        let posts = run.wait_for_posts(1);
        if posts[0].route != Route::InitError {
            run.fail(&format!("expected /init/error, got {}", posts[0].summary()));
        }
        let error = parse_error_body(&posts[0].body).unwrap();
        assert_eq!(error.error_type, error_type);
        assert!(
            error.message.ends_with(message),
            "{how}: {:?}",
            error.message
        );
        let status = run.wait_for_exit(EXIT_LIMIT);
        assert!(
            !status.success(),
            "{how}: init failed, the process exits ({status})"
        );
        assert_eq!(
            run.api.next_count(),
            0,
            "{how}: no /next after a failed init"
        );
    }
}

#[test]
fn a_typed_handler_reads_owned_events_and_writes_its_result_as_json() {
    let program = probe("std-probe-json", Panic::Unwind);
    let script = invocations(&[
        r#"{"id":7,"items":["apple","pear"],"quantity":"3"}"#,
        r#"{"id":"seven","items":[]}"#,
        r#"{"id":8,"items":[],"quantity":"x"}"#,
    ]);
    let mut run = run(&program, script, &[]);
    let posts = run.wait_for_posts(3);
    let receipt: serde_json::Value =
        serde_json::from_str(&response_of(&mut run, &posts[0], "req-0")).unwrap();
    assert_eq!(
        receipt,
        serde_json::json!({"id":7,"count":2,"first":"apple","quantity":3,"request_id":"req-0"})
    );
    let error = error_of(&mut run, &posts[1], "req-1");
    assert_eq!(error.error_type, "Runtime.InvalidEvent");
    assert!(
        error.message.contains("expected u64"),
        "serde_json's account: {:?}",
        error.message
    );
    let error = error_of(&mut run, &posts[2], "req-2");
    assert_eq!(error.error_type, "core::num::error::ParseIntError");
}

#[test]
fn invoke_runs_init_and_one_invocation() {
    let program = probe("std-probe", Panic::Unwind);
    let output = command(&program)
        .args(["--invoke", "echo:there"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello there");
    let output = command(&program)
        .args(["--invoke", "parse:x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = parse_error_body(output.stdout.trim_ascii_end()).unwrap();
    assert_eq!(error.error_type, "core::num::error::ParseIntError");
}

#[test]
fn local_mode_serves_the_invoke_api() {
    let program = probe("std-probe", Panic::Unwind);
    let mut server = LocalServer::start(&program, &[]);
    let answer = server.invoke(b"echo:local");
    assert_eq!(
        (answer.status, answer.text()),
        (200, "hello local".to_string())
    );
    let answer = server.invoke(b"panic:local");
    assert_eq!(answer.header("X-Amz-Function-Error"), Some("Unhandled"));
    assert_eq!(answer.json()["errorType"], "Runtime.HandlerPanic");
    let answer = server.invoke(b"count");
    assert_eq!(
        (answer.status, answer.text()),
        (200, "3".to_string()),
        "served on after the panic"
    );
}

#[test]
fn log_records_and_println_reach_the_log_under_lambdas_controls() {
    let program = probe("std-probe", Panic::Unwind);
    let env = [
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
    ];
    let mut run = run(&program, invocations(&["log:abc"]), &env);
    let posts = run.wait_for_posts(1);
    assert_eq!(response_of(&mut run, &posts[0], "req-0"), "logged");
    assert!(
        run.process.stdout().contains("stdout abc"),
        "println! is the function's stdout"
    );
    let stderr = run.process.stderr();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.contains("abc"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(lines.len(), 1, "INFO kept, DEBUG dropped: {stderr}");
    assert_eq!(lines[0]["level"], "INFO");
    assert_eq!(lines[0]["message"], "info abc 1");
    assert_eq!(lines[0]["requestId"], "req-0");
}

#[test]
fn a_handler_streams_its_response() {
    let program = probe("std-probe", Panic::Unwind);
    let mut run = run(&program, invocations(&["stream:one,two,three"]), &[]);
    let posts = run.wait_for_posts(1);
    assert!(posts[0].is_streamed(), "{}", posts[0].summary());
    assert_eq!(response_of(&mut run, &posts[0], "req-0"), "onetwothree");
}

#[test]
fn the_shutdown_hook_runs_on_sigterm() {
    if emulated() {
        return;
    }
    let program = probe("std-probe", Panic::Unwind);
    let mut run = run(
        &program,
        invocations(&["count", "count"]),
        &[("STD_PROBE_SHUTDOWN", "1")],
    );
    run.wait_for_posts(2);
    let registered = run
        .api
        .requests()
        .iter()
        .any(|r| r.route == Route::ExtensionRegister);
    assert!(registered, "a hook registers an internal extension");
    let idle = eventually(WAIT_LIMIT, || run.api.is_holding_next());
    assert!(idle, "the bootstrap waits for its next invocation");
    let status = Command::new("kill")
        .args(["-TERM", &run.process.id().to_string()])
        .status();
    assert!(status.unwrap().success());
    let exit = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(exit.code(), Some(0));
    assert!(
        run.process
            .stderr()
            .contains("std-probe: shutdown hook ran after 2"),
        "{}",
        run.process.stderr()
    );
}

#[test]
fn managed_instances_workers_each_serve() {
    if emulated() {
        return;
    }
    let program = probe("std-probe", Panic::Unwind);
    let script = invocations(&["sleep:300", "sleep:300", "echo:a", "echo:b"]);
    let mut run = run(&program, script, &[("AWS_LAMBDA_MAX_CONCURRENCY", "2")]);
    // Not `wait_for_posts`, which takes one worker idle on `/next` for the end of the script
    // while the other still sleeps.
    if !eventually(WAIT_LIMIT, || run.api.posts().len() >= 4) {
        run.fail("the two workers did not answer the four invocations");
    }
    let posts = run.api.posts();
    let mut bodies: Vec<String> = posts.iter().map(Request::body_text).collect();
    bodies.sort();
    assert_eq!(bodies, ["hello a", "hello b", "slept", "slept"]);
}

// ---------------------------------------------------------------------------------------------
// template-std/: the starting crate of a std function, built as a user builds it: a copy
// outside this repository whose dependency points at this checkout by path.
// ---------------------------------------------------------------------------------------------

/// The sample request template-std ships for `--invoke` (AWS's HTTP API sample).
const SAMPLE: &str = include_str!("../template-std/events/http-request.json");

/// template-std copied to a fresh directory, its dependency pointed at this checkout, built
/// once (release, for the tests' target); its directory and its bootstrap.
fn template_std() -> &'static (PathBuf, PathBuf) {
    static BUILT: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "lambda-bootstrap-template-std-{}",
            std::process::id()
        ));
        copy_crate("template-std", &dir);
        let build = target_dir().join("std-probe-build");
        let output = cargo_in(&dir, &build, &["build", "--release", "--target", &triple()]);
        assert_success("cargo build --release of template-std", &output);
        let program = build.join(triple()).join("release/bootstrap");
        (dir, program)
    })
}

#[test]
fn template_std_is_clippy_clean() {
    if emulated() {
        return;
    }
    let (dir, _) = template_std();
    let build = target_dir().join("std-probe-build");
    let output = cargo_in(
        dir,
        &build,
        &[
            "clippy",
            "--release",
            "--target",
            &triple(),
            "--",
            "-D",
            "warnings",
        ],
    );
    assert_success("cargo clippy -- -D warnings of template-std", &output);
}

#[test]
fn template_std_answers_its_sample_with_invoke() {
    if emulated() {
        return;
    }
    let (_, program) = template_std();
    let output = command(program)
        .args(["--invoke", SAMPLE])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({
            "statusCode": 200,
            "headers": {"content-type": "text/plain; charset=utf-8"},
            "body": "Hello, world! (GET /)"
        })
    );
}

#[test]
fn template_std_serves_the_runtime_api_and_fails_a_bad_query_with_its_error() {
    if emulated() {
        return;
    }
    let (_, program) = template_std();
    let mut request: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    request["queryStringParameters"] = serde_json::json!({"name": "Ada", "times": "2"});
    let good = request.to_string();
    request["queryStringParameters"] = serde_json::json!({"times": "many"});
    let bad = request.to_string();
    let mut run = run(program, invocations(&[&good, &bad]), &[("GREETING", "Hi")]);
    let posts = run.wait_for_posts(2);
    let answer: serde_json::Value =
        serde_json::from_str(&response_of(&mut run, &posts[0], "req-0")).unwrap();
    assert_eq!(answer["body"], "Hi, Ada! Hi, Ada! (GET /)");
    let error = error_of(&mut run, &posts[1], "req-1");
    assert_eq!(error.error_type, "core::num::error::ParseIntError");
    assert_eq!(error.message, "invalid digit found in string");
    assert!(
        run.process.stderr().contains("INFO\tGET / for Ada (req-0)"),
        "{}",
        run.process.stderr()
    );
}

// ---------------------------------------------------------------------------------------------
// Feature `alloc`: a `no_std` `main!` bootstrap with a heap (tests/alloc-probe).
// ---------------------------------------------------------------------------------------------

#[test]
fn a_no_std_handler_with_alloc_uses_vec_format_and_serde_json() {
    if emulated() {
        return;
    }
    let dir = repository().join("tests/alloc-probe");
    std::fs::copy(repository().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let build = target_dir().join("alloc-probe-build");
    let output = cargo_in(&dir, &build, &["build", "--release", "--target", &triple()]);
    assert_success("cargo build --release of tests/alloc-probe", &output);
    let program = build.join(triple()).join("release/alloc-probe");
    if triple().starts_with("x86_64") {
        let size = std::fs::metadata(&program).unwrap().len();
        sizes::check(
            "`tests/alloc-probe` (`main!` with feature `alloc`: `format!`, `Vec`, serde_json)",
            size,
        );
    }
    let mut run = run(&program, invocations(&["1,2,30", "1,x"]), &[]);
    let posts = run.wait_for_posts(2);
    let answer: serde_json::Value =
        serde_json::from_str(&response_of(&mut run, &posts[0], "req-0")).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"sum": 33, "said": "3 numbers, the largest Some(30)"})
    );
    let error = error_of(&mut run, &posts[1], "req-1");
    assert_eq!(error.error_type, "core::num::error::ParseIntError");
    assert_eq!(error.message, "invalid digit found in string");
}
