//! `template/`, the starting crate of a function of one's own, built as a user builds it: a
//! copy outside this repository whose dependency points at this checkout by path. It must
//! build with the repository's link settings (they reach it through its build script, not by
//! copying files), pass `cargo clippy -- -D warnings`, and answer an HTTP API request through
//! the Runtime API.
//!
//! The copy builds in `target/template-build`, kept between runs, so only the first run
//! compiles the dependencies. Its crates are fetched first (online), since the template needs
//! some that the repository's own build never downloads; the builds are then offline.

use crate::sizes;
use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

use support::elf::{self, PT_GNU_EH_FRAME, PT_GNU_RELRO};
use support::*;

/// The size a function-URL bootstrap must stay within, typed JSON handler included: the typed
/// issue's 96 KiB (docs/size.md says what it took).
const TYPED_BUDGET: u64 = 98_304;
/// A raw handler's bootstrap is the runtime and little more: the repository's own budget.
const RAW_BUDGET: u64 = 49_152;
/// The event the HTTP API sends, as the template ships it for `--invoke`: AWS's sample
/// (`example-apigw-v2-request-no-authorizer.json` of aws-lambda-rust-runtime's fixtures).
const EVENT: &str = include_str!("../template/events/http-request.json");
const REQUEST_ID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/template-build`, next to the outer build's own directory.
fn build_dir() -> PathBuf {
    let target = bootstrap_program()
        .ancestors()
        .nth(3)
        .expect("target/<triple>/release/bootstrap")
        .to_path_buf();
    target.join("template-build")
}

/// The target the tests are built for, which the template is built for too (arm64 in CI).
fn triple() -> String {
    let dir = bootstrap_program()
        .ancestors()
        .nth(2)
        .expect("target/<triple>/release/bootstrap")
        .to_path_buf();
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// The template copied to a fresh directory, its dependency on lambda-bootstrap pointed at
/// this checkout, as a user's crate would be; the copy and the turn to use it (one cargo at a
/// time in the shared target directory).
fn user_crate() -> (&'static Path, MutexGuard<'static, ()>) {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = COPY.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("lambda-bootstrap-template-{}", std::process::id()));
        copy_template(&dir);
        dir
    });
    (dir.as_path(), turn)
}

/// Runs `cargo ARGS` in the user's crate, with the shared target directory.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    cargo_in(dir, &build_dir(), args)
}

/// The template's bootstrap, built once (release, for the tests' target).
fn template_bootstrap() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let (dir, _turn) = user_crate();
            let triple = triple();
            let output = cargo(
                dir,
                &["build", "--release", "--offline", "--target", &triple],
            );
            assert_success("cargo build --release of the template", &output);
            build_dir().join(&triple).join("release/bootstrap")
        })
        .clone()
}

/// Whether the template's handler is a typed one (`main!(json ...)`), which brings a JSON
/// parser and serializer, or a raw one.
fn template_is_typed() -> bool {
    let main = std::fs::read_to_string(repository().join("template/src/main.rs")).unwrap();
    main.contains("main!(json")
}

#[test]
fn the_template_answers_an_http_api_request() {
    let event: serde_json::Value = serde_json::from_str(EVENT).expect("the sample event is JSON");
    assert_eq!(event["version"], "2.0", "the HTTP API's payload format 2.0");
    let script = Script::new().invoke(Invocation::new(REQUEST_ID, EVENT));
    let mut run = Run::start(
        &template_bootstrap(),
        FakeApi::start(script),
        |addr| addr.to_string(),
        &[],
    );
    let posts = run.wait_for_posts(1);
    if posts[0].route != Route::Response(REQUEST_ID.to_string()) {
        run.fail(&format!(
            "expected the /response of {REQUEST_ID}, got {}",
            posts[0].summary()
        ));
    }
    let answer: serde_json::Value = match serde_json::from_slice(&posts[0].body) {
        Ok(answer) => answer,
        Err(e) => run.fail(&format!(
            "the answer is not JSON ({e}): {}",
            posts[0].body_text()
        )),
    };
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let content_type = answer["headers"]["content-type"].as_str().unwrap_or("");
    assert!(content_type.starts_with("text/plain"), "{answer}");
    assert_eq!(answer["body"], expected_greeting(REQUEST_ID), "{answer}");
    run.assert_no_violations();
}

/// What the template answers the sample request (a GET of `/`, no `name` parameter) with:
/// a raw handler knows only the request id, a typed one reads the request.
fn expected_greeting(request_id: &str) -> String {
    if template_is_typed() {
        "Hello, world! (GET /)".to_string()
    } else {
        format!("Hello from request {request_id}")
    }
}

/// The README's `--invoke`: the event as an argument, the answer on stdout.
#[test]
fn the_template_invokes_from_the_command_line() {
    let mut command = match runner() {
        Some(runner) => {
            let mut command = Command::new(runner);
            command.arg(template_bootstrap());
            command
        }
        None => Command::new(template_bootstrap()),
    };
    let output = command
        .args(["--invoke", EVENT])
        .env_clear()
        .output()
        .expect("the bootstrap runs");
    assert_success("bootstrap --invoke", &output);
    let answer: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the answer is JSON");
    assert_eq!(answer["statusCode"], 200, "{answer}");
    // --invoke makes up a request id of zeros.
    assert_eq!(
        answer["body"],
        expected_greeting("00000000-0000-0000-0000-000000000000"),
        "{answer}"
    );
}

/// The link settings reached the user's crate through its build script: no unwind tables
/// (only the C start-up files' header is left), no RELRO segment, and the size of this
/// repository's own bootstrap.
#[test]
#[cfg_attr(
    missing = "release-build",
    ignore = "sizes are those of the release build: run `cargo test --release`"
)]
fn the_template_is_linked_as_small_as_the_repository_bootstrap() {
    if cfg!(debug_assertions) {
        skip::missing("sizes are those of the release build; run `cargo test --release`");
        return;
    }
    let binary = template_bootstrap();
    let segments = elf::segments(&binary);
    let eh_frame = segments
        .iter()
        .find(|s| s.kind == PT_GNU_EH_FRAME)
        .map_or(0, |s| s.file_size);
    assert!(
        eh_frame <= 64,
        "unwind tables kept ({eh_frame}-byte .eh_frame_hdr): the link arguments did not arrive"
    );
    assert!(
        !segments.iter().any(|s| s.kind == PT_GNU_RELRO),
        "a RELRO segment: the link arguments did not arrive"
    );
    let size = std::fs::metadata(&binary).unwrap().len();
    let (budget, kind) = if template_is_typed() {
        (TYPED_BUDGET, "typed")
    } else {
        (RAW_BUDGET, "raw")
    };
    eprintln!("template bootstrap ({kind} handler): {size} bytes (budget {budget})");
    assert!(
        size <= budget,
        "the template's bootstrap is {size} bytes, over the {budget}-byte budget"
    );
    if template_is_typed() && cfg!(target_arch = "x86_64") {
        sizes::check(
            "`template/` (a typed function-URL handler, `main!(json handle)`)",
            size,
        );
    }
}

/// What `main!` generates and the public API pass clippy in a user's crate, warnings denied.
#[test]
#[cfg_attr(
    missing = "clippy",
    ignore = "cargo clippy is not installed (rustup component add clippy)"
)]
fn the_template_passes_clippy() {
    let (dir, _turn) = user_crate();
    let clippy = cargo(dir, &["clippy", "--version"]);
    if !clippy.status.success() {
        skip::missing("cargo clippy is not installed (rustup component add clippy)");
        return;
    }
    let output = cargo(
        dir,
        &[
            "clippy",
            "--offline",
            "--all-targets",
            "--target",
            &triple(),
            "--",
            "-D",
            "warnings",
        ],
    );
    assert_success(
        "cargo clippy --all-targets -- -D warnings in the template",
        &output,
    );
}
