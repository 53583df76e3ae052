//! A typed function URL bootstrap (examples/typed.rs, `main!(json ...)` with the `events`
//! feature): built with that feature by a nested cargo, run with `--invoke` and against the
//! fake Runtime API, and held to its size budget.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use support::*;

/// A typed function URL bootstrap's budget (lambda_runtime's is 0.9–2.4 MB): the template's,
/// which the typed issue set (docs/size.md).
const TYPED_SIZE_BUDGET: u64 = 98_304;

/// Builds the `typed` bin with feature `events`, once, in a target directory of its own.
fn typed_program() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let bootstrap = bootstrap_program();
        let target = bootstrap
            .ancestors()
            .nth(3)
            .expect("target/<triple>/release/bootstrap");
        let triple = bootstrap
            .ancestors()
            .nth(2)
            .and_then(|d| d.file_name())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let build_dir = target.join("typed-builds");
        let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "--offline",
                "--features",
                "events",
                "--bin",
                "typed",
                "--target",
                &triple,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CARGO_TARGET_DIR", &build_dir)
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "build failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        build_dir.join(&triple).join("release").join("typed")
    })
}

fn sample() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/events/example-apigw-v2-request-no-authorizer.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The sample with a `name` query parameter that needs escapes in JSON.
fn named_event() -> (Value, &'static str) {
    let name = "Wörld \"quoted\" \\ \u{1F600}";
    let mut event = sample();
    event["queryStringParameters"] = json!({ "name": name });
    (event, name)
}

fn invoke(event: &str) -> (i32, String) {
    let mut command = match runner() {
        Some(runner) => {
            let mut command = Command::new(runner);
            command.arg(typed_program());
            command
        }
        None => Command::new(typed_program()),
    };
    let output = command.args(["--invoke", event]).output().expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn invoke_answers_a_function_url_request_with_a_typed_response() {
    let (event, name) = named_event();
    let (status, stdout) = invoke(&event.to_string());
    assert_eq!(status, 0, "{stdout}");
    let response: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["body"], format!("Hello, {name} (GET /)"));
    assert_eq!(
        response["headers"]["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response["isBase64Encoded"], false);
}

#[test]
fn invoke_decodes_a_base64_body() {
    let mut event = sample();
    event["body"] = json!("YmFzZTY0IG5hbWU="); // "base64 name"
    event["isBase64Encoded"] = json!(true);
    let (status, stdout) = invoke(&event.to_string());
    assert_eq!(status, 0, "{stdout}");
    let response: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(response["body"], "Hello, base64 name (GET /)");
}

#[test]
fn invoke_refuses_an_event_of_the_wrong_shape_saying_where() {
    let mut event = sample();
    event["requestContext"]["http"]["method"] = json!(7);
    let text = event.to_string();
    let (status, stdout) = invoke(&text);
    assert_eq!(status, 1, "{stdout}");
    let error = parse_error_body(stdout.trim_end().as_bytes()).unwrap();
    assert_eq!(error.error_type, "Runtime.InvalidEvent");
    let offset = text.find("\"method\":7").unwrap() + "\"method\":".len();
    assert_eq!(
        error.message,
        format!(
            "failed to deserialize the incoming data into the function's payload type: invalid type: expected a string, found a number at requestContext.http.method (byte {offset})"
        )
    );
    let (status, stdout) = invoke("{\"version\": \"2.0\"");
    assert_eq!(status, 1);
    let error = parse_error_body(stdout.trim_end().as_bytes()).unwrap();
    assert_eq!(error.error_type, "Runtime.InvalidEvent");
    assert!(error.message.contains("not JSON"), "{}", error.message);
}

#[test]
fn serves_the_runtime_api_with_typed_responses_and_event_errors() {
    let (event, name) = named_event();
    let script = Script::new()
        .invoke(Invocation::new("typed-1", event.to_string()))
        .invoke(Invocation::new("typed-2", "[1, 2]"))
        .invoke(Invocation::new("typed-3", sample().to_string()));
    let mut run = Run::start(
        typed_program(),
        support::FakeApi::start(script),
        |addr| addr.to_string(),
        &[],
    );
    let posts = run.wait_for_posts(3);
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/typed-1/response"
    );
    let response: Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(response["body"], format!("Hello, {name} (GET /)"));
    assert_eq!(
        posts[1].path,
        "/2018-06-01/runtime/invocation/typed-2/error"
    );
    assert_eq!(
        posts[1].header("Lambda-Runtime-Function-Error-Type"),
        Some("Runtime.InvalidEvent")
    );
    let error = parse_error_body(&posts[1].body).unwrap();
    assert!(
        error
            .message
            .ends_with("invalid type: expected an object, found an array (byte 0)"),
        "{}",
        error.message
    );
    // The process lives on after a refused event.
    let response: Value = serde_json::from_slice(&posts[2].body).unwrap();
    assert_eq!(response["body"], "Hello, world (GET /)");
    run.assert_no_violations();
}

#[test]
fn the_typed_bootstrap_fits_its_budget() {
    // Built `--release` whatever the outer build is.
    let size = std::fs::metadata(typed_program()).unwrap().len();
    eprintln!("typed function URL bootstrap: {size} bytes (budget {TYPED_SIZE_BUDGET})");
    assert!(
        size <= TYPED_SIZE_BUDGET,
        "typed bootstrap is {size} bytes, over the {TYPED_SIZE_BUDGET}-byte budget"
    );
}

#[test]
fn serves_local_mode_with_typed_responses_and_event_errors() {
    let mut server = LocalServer::start(typed_program(), &[]);
    let (event, name) = named_event();
    let answer = server.invoke(event.to_string().as_bytes());
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-amz-function-error"), None);
    let response: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(response["body"], format!("Hello, {name} (GET /)"));
    let answer = server.invoke(b"{\"version\": null}");
    assert_eq!(answer.header("x-amz-function-error"), Some("Unhandled"));
    let error = parse_error_body(&answer.body).unwrap();
    assert_eq!(error.error_type, "Runtime.InvalidEvent");
    assert!(
        error
            .message
            .ends_with("invalid type: expected a string, found null at version (byte 12)"),
        "{}",
        error.message
    );
    let answer = server.invoke(sample().to_string().as_bytes());
    let response: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(response["body"], "Hello, world (GET /)");
}
