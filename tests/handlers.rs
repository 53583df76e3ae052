//! Bootstraps built around handlers written in other languages: `LAMBDA_HANDLER` names a C
//! source (examples/c/greet.c) or an object compiled from C++ (examples/cpp/stats.cpp), and
//! the resulting `bootstrap` serves the fake Runtime API like the built-in one.
//!
//! Each build is a real `cargo build --release` into a target directory of its own under
//! `target/`, one at a time; the first compiles the dependencies (about 20 s), later ones only
//! this package.

use crate::sizes;
use crate::support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use support::*;

/// A bootstrap with musl's printf and malloc linked in for the handler stays small. (78 KiB
/// since local mode answers the AWS SDKs: 5.6 KB more, as the default bootstrap's; see
/// tests/binary.rs; 84 KiB with the logging controls, the robustness fixes and `lb_log`.)
const HANDLER_SIZE_BUDGET: u64 = 84 * 1024;

/// Musl's C headers (Debian's musl-tools): handlers are compiled against the libc they run
/// with. Without them these tests say so and skip; `.ci/run` installs them.
fn have_musl_headers() -> bool {
    if !cfg!(target_arch = "x86_64") {
        skip::not_applicable("C handlers are built and tested for x86_64 (musl-gcc targets it)");
        return false;
    }
    let found = Path::new("/usr/include/x86_64-linux-musl/stdio.h").is_file();
    if !found {
        skip::missing("musl's headers are not installed (apt-get install musl-tools g++)");
    }
    found
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/handler-builds`, next to the outer build's own directory.
fn build_dir() -> PathBuf {
    let bootstrap = bootstrap_program();
    let target = bootstrap
        .ancestors()
        .nth(3)
        .expect("target/<triple>/release/bootstrap");
    target.join("handler-builds")
}

/// Runs `cargo build --release --bin bootstrap` with `LAMBDA_HANDLER=handler`. Builds share
/// one target directory, so they take turns.
fn cargo_build_with_handler(handler: &Path) -> Output {
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--offline", "--bin", "bootstrap"])
        .current_dir(repository())
        .env("CARGO_TARGET_DIR", build_dir())
        .env("LAMBDA_HANDLER", handler)
        .output()
        .expect("cargo runs")
}

/// The bootstrap built around `handler`, built once per handler and copied out of the shared
/// target directory (the next build overwrites it there).
fn bootstrap_with(handler: &Path) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    // Held through the build and the copy: builds share one target directory, and a copy
    // taken while another handler's build is linking finds no binary (or the wrong one).
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = built.get(handler) {
        return path.clone();
    }
    let output = cargo_build_with_handler(handler);
    assert!(
        output.status.success(),
        "building the bootstrap with {} failed:\n{}",
        handler.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stem = handler.file_stem().unwrap().to_string_lossy();
    let copy = build_dir().join(format!("bootstrap-{stem}"));
    std::fs::copy(
        build_dir().join("x86_64-unknown-linux-musl/release/bootstrap"),
        &copy,
    )
    .unwrap();
    let size = std::fs::metadata(&copy).unwrap().len();
    eprintln!("bootstrap with {}: {size} bytes", handler.display());
    let row = match stem.as_ref() {
        "greet" => Some("`bootstrap` with `examples/c/greet.c` (musl's printf and malloc)"),
        "stats" => Some("`bootstrap` with `examples/cpp/stats.cpp`"),
        _ => None,
    };
    if let Some(row) = row {
        sizes::check(row, size);
    }
    assert!(
        size <= HANDLER_SIZE_BUDGET,
        "{size} bytes, over {HANDLER_SIZE_BUDGET}"
    );
    built.insert(handler.to_path_buf(), copy.clone());
    copy
}

fn c_bootstrap() -> PathBuf {
    bootstrap_with(&repository().join("examples/c/greet.c"))
}

/// Compiles examples/cpp/stats.cpp to an object, as its comment says, and builds with it.
fn cpp_bootstrap() -> PathBuf {
    static OBJECT: OnceLock<PathBuf> = OnceLock::new();
    let object = OBJECT.get_or_init(|| {
        std::fs::create_dir_all(build_dir()).unwrap();
        let object = build_dir().join("stats.o");
        let status = Command::new("c++")
            .args(["-std=c++17", "-Os", "-fPIC", "-fno-exceptions", "-fno-rtti"])
            .args(["-fno-threadsafe-statics", "-nostdinc", "-isystem", "/usr/include/x86_64-linux-musl"])
            .args(["-Wall", "-Wextra", "-Werror", "-Iinclude", "-c", "examples/cpp/stats.cpp", "-o"])
            .arg(&object)
            .current_dir(repository())
            .status()
            .expect("a C++ compiler (`c++`) and musl's headers (Debian's musl-tools); .ci/run installs them");
        assert!(status.success(), "examples/cpp/stats.cpp does not compile");
        object
    });
    bootstrap_with(object)
}

fn run(program: &Path, script: Script, env: &[(&str, &str)]) -> Run {
    Run::start(
        program,
        FakeApi::start(script),
        |addr| addr.to_string(),
        env,
    )
}

fn expect_response(run: &mut Run, post: &Request, request_id: &str, body: &str) {
    if post.route != Route::Response(request_id.into()) || post.body != body.as_bytes() {
        run.fail(&format!(
            "expected the /response of {request_id} with {body:?}, got {}",
            post.summary()
        ));
    }
}

/// Checks an error post's route, type header and JSON body; returns the message.
fn expect_error(run: &mut Run, post: &Request, route: Route, error_type: &str) -> String {
    let header = post.header("Lambda-Runtime-Function-Error-Type");
    let body = parse_error_body(&post.body);
    match body {
        Ok(error)
            if post.route == route
                && header == Some(error_type)
                && error.error_type == error_type =>
        {
            error.message
        }
        _ => run.fail(&format!(
            "expected a {route:?} post of type {error_type}, got {}",
            post.summary()
        )),
    }
}

#[test]
#[cfg_attr(
    missing = "musl-headers",
    ignore = "musl's headers are not installed (apt-get install musl-tools g++)"
)]
fn c_handler_answers_and_fails_with_its_own_error_type() {
    if !have_musl_headers() {
        return;
    }
    let script = Script::new()
        .invoke(Invocation::new("c-1", r#"{"name":"Ada"}"#))
        .invoke(Invocation::new("c-2", r#"{"nom":"Ada"}"#))
        .invoke(Invocation::new(
            "c-3",
            r#"{"id":7, "name" : "Grace Hopper"}"#,
        ));
    let mut run = run(&c_bootstrap(), script, &[]);
    let posts = run.wait_for_posts(3);
    expect_response(
        &mut run,
        &posts[0],
        "c-1",
        r#"{"greeting":"Hello, Ada!","requestId":"c-1"}"#,
    );
    let message = expect_error(
        &mut run,
        &posts[1],
        Route::Error("c-2".into()),
        "Function.MissingName",
    );
    assert_eq!(message, r#"the event has no "name" string"#);
    expect_response(
        &mut run,
        &posts[2],
        "c-3",
        r#"{"greeting":"Hello, Grace Hopper!","requestId":"c-3"}"#,
    );
    run.assert_no_violations();
}

#[test]
#[cfg_attr(
    missing = "musl-headers",
    ignore = "musl's headers are not installed (apt-get install musl-tools g++)"
)]
fn c_handler_init_hook_runs_first() {
    if !have_musl_headers() {
        return;
    }
    let script = Script::new().invoke(Invocation::new("c-4", r#"{"name":"Ada"}"#));
    let mut run = run(&c_bootstrap(), script, &[("GREETING", "Bonjour")]);
    let posts = run.wait_for_posts(1);
    expect_response(
        &mut run,
        &posts[0],
        "c-4",
        r#"{"greeting":"Bonjour, Ada!","requestId":"c-4"}"#,
    );
}

#[test]
#[cfg_attr(
    missing = "musl-headers",
    ignore = "musl's headers are not installed (apt-get install musl-tools g++)"
)]
fn c_handler_init_failure_goes_to_init_error_then_exits() {
    if !have_musl_headers() {
        return;
    }
    let script = Script::new().invoke(Invocation::new("never", "{}"));
    let mut run = run(&c_bootstrap(), script, &[("GREET_REFUSE_INIT", "1")]);
    let posts = run.wait_for_posts(1);
    let message = expect_error(
        &mut run,
        &posts[0],
        Route::InitError,
        "Function.InitRefused",
    );
    assert_eq!(message, "GREET_REFUSE_INIT is set");
    let status = run.wait_for_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(1));
    assert_eq!(run.api.next_count(), 0, "no /next after a failed init");
}

/// `handler_shutdown` is found and used: the bootstrap registers an internal extension and
/// runs the hook on SIGTERM, after which it exits 0. The handler logs with `lb_log`.
#[test]
#[cfg_attr(
    missing = "musl-headers",
    ignore = "musl's headers are not installed (apt-get install musl-tools g++)"
)]
fn c_handler_shutdown_hook_runs_on_sigterm() {
    if !have_musl_headers() {
        return;
    }
    let bootstrap = bootstrap_with(&repository().join("examples/c/farewell.c"));
    let script = Script::new().invoke(Invocation::new("f-1", "bye"));
    let mut run = run(&bootstrap, script, &[]);
    run.wait_for_posts(1);
    let idle = eventually(WAIT_LIMIT, || {
        run.api.is_holding_next()
            && run
                .api
                .requests()
                .iter()
                .any(|r| r.route == Route::ExtensionNext)
    });
    assert!(idle, "{}", run.api.diagnostics());
    let status = Command::new("kill")
        .args(["-TERM", &run.process.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "{}", run.process.diagnostics());
    assert!(
        run.process
            .stderr()
            .contains("farewell: shutting down after 1 invocations\n"),
        "{}",
        run.process.diagnostics()
    );
    // lb_log: a text-format line with the invocation's request id.
    assert!(
        run.process
            .stderr()
            .contains("\tf-1\tINFO\tfarewell: echoed\n"),
        "{}",
        run.process.diagnostics()
    );
    run.assert_no_violations();
}

#[test]
#[cfg_attr(
    missing = "musl-headers",
    ignore = "musl's headers are not installed (apt-get install musl-tools g++)"
)]
fn cpp_handler_answers_and_fails() {
    if !have_musl_headers() {
        return;
    }
    let script = Script::new()
        .invoke(Invocation::new("cpp-1", "Hello 42 worlds!"))
        .invoke(Invocation::new("cpp-2", ""));
    let mut run = run(&cpp_bootstrap(), script, &[]);
    let posts = run.wait_for_posts(2);
    expect_response(
        &mut run,
        &posts[0],
        "cpp-1",
        r#"{"bytes":16,"letters":11,"digits":2,"spaces":2,"other":1,"requestId":"cpp-1"}"#,
    );
    let message = expect_error(
        &mut run,
        &posts[1],
        Route::Error("cpp-2".into()),
        "Function.EmptyEvent",
    );
    assert_eq!(message, "an empty event has no statistics");
    run.assert_no_violations();
}

/// A mistaken `LAMBDA_HANDLER` stops the build with a message that says what is wrong.
#[test]
fn mistaken_handlers_fail_the_build_clearly() {
    let dir = build_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let no_handler = dir.join("no_handler.c");
    std::fs::write(&no_handler, "int handle(void) { return 0; }\n").unwrap();
    let cases = [
        (dir.join("missing.c"), "no such file"),
        (no_handler, "defines no `handler` function"),
        (
            repository().join("README.md"),
            "expected a C source (.c), an object file (.o) or a static library (.a)",
        ),
    ];
    for (handler, message) in cases {
        let output = cargo_build_with_handler(&handler);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{} built", handler.display());
        assert!(
            stderr.contains(message),
            "{}: no {message:?} in:\n{stderr}",
            handler.display()
        );
    }
}
