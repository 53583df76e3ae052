//! Integration tests: the real `bootstrap` binary (and the `probe` example handler) against a
//! scripted fake Lambda Runtime API on loopback. See `support` for the fake and the guards.
//!
//! Each test starts its own server on a free port and its own child process, so the tests run in
//! parallel. Every wait is bounded; a failure prints what the server received and the child's
//! stderr.

use crate::support;

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, Instant};

use support::*;

/// The largest event and the largest buffered response (6 MiB), per the contract.
const MAX_EVENT: usize = 6 * 1024 * 1024;
const MAX_RESPONSE: usize = 6_291_456;

const TRACE_ID: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const CLIENT_CONTEXT: &str =
    r#"{"client":{"app_title":"t","installation_id":"i"},"custom":{"k":"v"},"env":{}}"#;
const COGNITO_IDENTITY: &str =
    r#"{"cognitoIdentityId":"us-east-1:abc","cognitoIdentityPoolId":"us-east-1:pool"}"#;

// ---------------------------------------------------------------------------------------------
// Assertions on what the bootstrap posted
// ---------------------------------------------------------------------------------------------

/// Describes how `actual` differs from `expected` without printing megabytes.
fn byte_mismatch(actual: &[u8], expected: &[u8]) -> Option<String> {
    if actual == expected {
        return None;
    }
    let first = actual
        .iter()
        .zip(expected)
        .position(|(a, e)| a != e)
        .unwrap_or(actual.len().min(expected.len()));
    let around = |bytes: &[u8]| {
        String::from_utf8_lossy(&bytes[first.min(bytes.len())..(first + 24).min(bytes.len())])
            .into_owned()
    };
    Some(format!(
        "{} bytes instead of {}; first difference at byte {first}: got {:?}, expected {:?}",
        actual.len(),
        expected.len(),
        around(actual),
        around(expected)
    ))
}

/// The post must be the `/response` of `request_id` with exactly `body`.
fn assert_response(run: &mut Run, post: &Request, request_id: &str, body: &[u8]) {
    if post.route != Route::Response(request_id.to_string()) {
        run.fail(&format!(
            "expected the /response of {request_id:?}, got {}",
            post.summary()
        ));
    }
    if let Some(mismatch) = byte_mismatch(&post.body, body) {
        run.fail(&format!(
            "wrong response body for {request_id:?}: {mismatch}"
        ));
    }
}

/// The post must be an `/error` of `request_id` of type `error_type` (header and JSON body),
/// with `Content-Type: application/json`. Returns the error message.
fn assert_error_post(run: &mut Run, post: &Request, request_id: &str, error_type: &str) -> String {
    if post.route != Route::Error(request_id.to_string()) {
        run.fail(&format!(
            "expected the /error of {request_id:?}, got {}",
            post.summary()
        ));
    }
    assert_error_shape(run, post, error_type)
}

/// Header, content type and JSON body of any error post. Returns the error message.
fn assert_error_shape(run: &mut Run, post: &Request, error_type: &str) -> String {
    let header = post.header("Lambda-Runtime-Function-Error-Type");
    if header != Some(error_type) {
        run.fail(&format!(
            "Lambda-Runtime-Function-Error-Type is {header:?}, expected {error_type:?}"
        ));
    }
    let content_type = post.header("Content-Type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        run.fail(&format!(
            "error post has Content-Type {content_type:?}, expected application/json"
        ));
    }
    let error = match parse_error_body(&post.body) {
        Ok(error) => error,
        Err(problem) => run.fail(&format!("{problem}: {:?}", post.body_text())),
    };
    if error.error_type != error_type {
        run.fail(&format!(
            "errorType is {:?}, expected {error_type:?}",
            error.error_type
        ));
    }
    error.message
}

/// The post must echo the `Lambda-Runtime-Invocation-Id` its invocation carried.
fn assert_invocation_id_echoed(run: &mut Run, post: &Request, invocation_id: &str) {
    let echoed = post.header("Lambda-Runtime-Invocation-Id");
    if echoed != Some(invocation_id) {
        run.fail(&format!(
            "post carries Lambda-Runtime-Invocation-Id {echoed:?}, expected {invocation_id:?}"
        ));
    }
}

/// Waits (briefly: the line is written before the next request) until stderr satisfies `found`.
fn wait_for_stderr(run: &mut Run, what: &str, found: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stderr = run.process.stderr();
        if found(&stderr) {
            return stderr;
        }
        if Instant::now() > deadline {
            run.fail(&format!("stderr never showed {what}"));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The exit must be a failure (non-zero status, or a signal).
fn assert_failure_exit(run: &mut Run, why: &str) {
    let status = run.wait_for_exit(EXIT_LIMIT);
    if status.success() {
        run.fail(&format!("{why}: expected a non-zero exit, got {status}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Event framing and size: the probe echoes the event, so the response proves it arrived intact
// ---------------------------------------------------------------------------------------------

/// Sends `event` as the invocation `shape` describes, then a small sentinel invocation on the
/// same script: both must come back byte for byte. The sentinel shows the bootstrap found the
/// end of the first body (chunk trailers included) and carried on.
fn assert_probe_echoes(event: Vec<u8>, shape: impl FnOnce(Invocation) -> Invocation) {
    let script = Script::new()
        .invoke(shape(Invocation::new("echo-1", event.clone())))
        .invoke(Invocation::new("sentinel-1", "sentinel event"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    assert_response(&mut run, &posts[0], "echo-1", &event);
    assert_response(&mut run, &posts[1], "sentinel-1", b"sentinel event");
    run.assert_no_violations();
}

#[test]
fn empty_event_with_content_length() {
    assert_probe_echoes(vec![], |invocation| invocation);
}

#[test]
fn empty_event_chunked_with_extension_and_trailers() {
    assert_probe_echoes(vec![], |invocation| {
        invocation.chunked(Chunking::everything(1, 16))
    });
}

#[test]
fn one_byte_event_with_content_length_arriving_byte_by_byte() {
    assert_probe_echoes(binary_event(1, 2), |invocation| {
        invocation.paced(Pacing::byte_by_byte())
    });
}

#[test]
fn one_byte_event_chunked_arriving_byte_by_byte() {
    assert_probe_echoes(binary_event(1, 3), |invocation| {
        invocation
            .chunked(Chunking::everything(3, 16))
            .paced(Pacing::byte_by_byte())
    });
}

#[test]
fn small_event_with_content_length_arriving_byte_by_byte() {
    assert_probe_echoes(binary_event(100, 4), |invocation| {
        invocation.paced(Pacing::byte_by_byte())
    });
}

#[test]
fn small_event_in_tiny_chunks_arriving_byte_by_byte() {
    assert_probe_echoes(binary_event(100, 5), |invocation| {
        invocation
            .chunked(Chunking::everything(5, 7))
            .paced(Pacing::byte_by_byte())
    });
}

#[test]
fn event_of_64_kib_with_content_length_in_random_pieces() {
    assert_probe_echoes(binary_event(64 * 1024, 6), |invocation| {
        invocation.paced(Pacing::random_pieces(6, 1500))
    });
}

#[test]
fn event_of_64_kib_in_random_chunks_with_extensions_and_trailers() {
    assert_probe_echoes(binary_event(64 * 1024, 7), |invocation| {
        invocation
            .chunked(Chunking::everything(7, 4096))
            .paced(Pacing::random_pieces(7, 1500))
    });
}

#[test]
fn event_of_6_mib_with_content_length() {
    assert_probe_echoes(binary_event(MAX_EVENT, 8), |invocation| invocation);
}

#[test]
fn event_of_6_mib_in_random_chunks_with_extensions_and_trailers() {
    assert_probe_echoes(binary_event(MAX_EVENT, 9), |invocation| {
        invocation.chunked(Chunking::everything(9, 65536))
    });
}

#[test]
fn event_of_6_mib_in_a_single_chunk() {
    // What real Lambda sends for large events.
    assert_probe_echoes(binary_event(MAX_EVENT, 10), |invocation| {
        invocation.chunked(Chunking::single())
    });
}

/// An event over 6 MiB gets `Runtime.EventTooLarge` and the next invocation is served.
fn assert_oversized_event_is_rejected(shape: impl FnOnce(Invocation) -> Invocation) {
    assert_event_of_size_is_rejected(7 * 1024 * 1024, shape);
}

fn assert_event_of_size_is_rejected(size: usize, shape: impl FnOnce(Invocation) -> Invocation) {
    let script = Script::new()
        .invoke(shape(Invocation::new("huge-1", binary_event(size, 11))))
        .invoke(Invocation::new("after-huge-1", "still serving"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    let message = assert_error_post(&mut run, &posts[0], "huge-1", "Runtime.EventTooLarge");
    assert!(message.contains("over 6 MiB (6291456 bytes)"), "{message}");
    assert_response(&mut run, &posts[1], "after-huge-1", b"still serving");
    run.assert_no_violations();
}

#[test]
fn oversized_event_with_content_length_is_rejected_and_the_loop_goes_on() {
    assert_oversized_event_is_rejected(|invocation| invocation);
}

#[test]
fn oversized_chunked_event_is_rejected_and_the_loop_goes_on() {
    assert_oversized_event_is_rejected(|invocation| {
        invocation.chunked(Chunking::random(12, 65536))
    });
}

/// The limit is 6 MiB exactly, although the receive buffer has room for more when the head
/// is short (6 MiB itself is served: `event_of_6_mib_*` above).
#[test]
fn an_event_of_6_mib_and_one_byte_is_rejected_with_content_length() {
    assert_event_of_size_is_rejected(MAX_EVENT + 1, |invocation| invocation);
}

#[test]
fn an_event_of_6_mib_and_one_byte_is_rejected_chunked() {
    assert_event_of_size_is_rejected(MAX_EVENT + 1, |invocation| {
        invocation.chunked(Chunking::single())
    });
}

// ---------------------------------------------------------------------------------------------
// The default handler, at volume
// ---------------------------------------------------------------------------------------------

#[test]
fn ten_thousand_sequential_invocations_are_all_answered() {
    const COUNT: usize = 10_000;
    let request_id = |i: usize| format!("8f1c2b7e-0000-4000-8000-{i:012}");
    let event = |i: usize| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "p".repeat(i % 97));
    let script =
        Script::new().invocations((0..COUNT).map(|i| Invocation::new(&request_id(i), event(i))));
    let started = Instant::now();
    let mut run = Run::bootstrap(script);
    let posts = run.wait_for_posts(COUNT);
    let elapsed = started.elapsed();
    if posts.len() != COUNT {
        run.fail(&format!("{} posts for {COUNT} invocations", posts.len()));
    }
    for (i, post) in posts.iter().enumerate() {
        assert_response(
            &mut run,
            post,
            &request_id(i),
            format!("Hello: {}", event(i)).as_bytes(),
        );
    }
    let requests = run.api.requests();
    if let Some(next) = requests
        .iter()
        .find(|r| r.route == Route::Next && r.header("Host").is_none())
    {
        run.fail(&format!(
            "GET /next without a Host header: {}",
            next.summary()
        ));
    }
    // Keep-alive: one connection serves the whole run.
    if run.api.connections() != 1 {
        run.fail(&format!(
            "{} connections for {COUNT} invocations (keep-alive expected)",
            run.api.connections()
        ));
    }
    run.assert_no_violations();
    eprintln!("{COUNT} invocations answered in {elapsed:?}");
}

// ---------------------------------------------------------------------------------------------
// The invocation context
// ---------------------------------------------------------------------------------------------

/// Parses the probe's `ctx` answer: `key=value\n` lines, each key once.
fn parse_context_lines(body: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "ctx answer is not UTF-8".to_string())?;
    let Some(text) = text.strip_suffix('\n') else {
        return Err(format!("ctx answer does not end with a newline: {text:?}"));
    };
    let mut fields = BTreeMap::new();
    for line in text.split('\n') {
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("ctx line without '=': {line:?}"))?;
        if fields.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("ctx key {key:?} twice"));
        }
    }
    Ok(fields)
}

fn expected_context(pairs: [(&str, &str); 8]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_context(
    run: &mut Run,
    post: &Request,
    request_id: &str,
    expected: &BTreeMap<String, String>,
) {
    if post.route != Route::Response(request_id.to_string()) {
        run.fail(&format!(
            "expected the /response of {request_id:?}, got {}",
            post.summary()
        ));
    }
    match parse_context_lines(&post.body) {
        Ok(context) if &context == expected => {}
        Ok(context) => run.fail(&format!(
            "ctx of {request_id:?} is\n{context:#?}\nexpected\n{expected:#?}"
        )),
        Err(problem) => run.fail(&problem),
    }
}

/// Every context header, with the header names written in `case`, must reach the handler.
fn assert_full_context_reaches_handler(
    case: HeaderCase,
    shape: impl FnOnce(Invocation) -> Invocation,
) {
    let invocation = Invocation::bare("ctx-full-1", "ctx")
        .header("Lambda-Runtime-Deadline-Ms", "1767225600123")
        .header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
        .header("Lambda-Runtime-Trace-Id", TRACE_ID)
        .header("Lambda-Runtime-Client-Context", CLIENT_CONTEXT)
        .header("Lambda-Runtime-Cognito-Identity", COGNITO_IDENTITY)
        .header("Lambda-Runtime-Aws-Tenant-Id", "tenant-42")
        .header("Lambda-Runtime-Invocation-Id", "inv-7d3c")
        .header_case(case);
    let mut run = Run::probe(Script::new().invoke(shape(invocation)));
    let posts = run.wait_for_posts(1);
    let expected = expected_context([
        ("request_id", "ctx-full-1"),
        ("deadline_ms", "1767225600123"),
        ("invoked_function_arn", FUNCTION_ARN),
        ("trace_id", TRACE_ID),
        ("client_context", CLIENT_CONTEXT),
        ("cognito_identity", COGNITO_IDENTITY),
        ("tenant_id", "tenant-42"),
        ("invocation_id", "inv-7d3c"),
    ]);
    assert_context(&mut run, &posts[0], "ctx-full-1", &expected);
    assert_invocation_id_echoed(&mut run, &posts[0], "inv-7d3c");
    run.assert_no_violations();
}

#[test]
fn context_headers_in_lower_case_reach_the_handler() {
    assert_full_context_reaches_handler(HeaderCase::Lower, |invocation| invocation);
}

#[test]
fn context_headers_in_mixed_case_reach_the_handler_with_a_chunked_event() {
    assert_full_context_reaches_handler(HeaderCase::Mixed, |invocation| {
        invocation.chunked(Chunking::everything(13, 2))
    });
}

#[test]
fn missing_optional_headers_are_fine() {
    let script = Script::new()
        .invoke(Invocation::bare("bare-1", "ctx"))
        .invoke(Invocation::bare("bare-2", "plain echo"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    let expected = expected_context([
        ("request_id", "bare-1"),
        // No deadline header: the context says 0 ("unknown"), as documented.
        ("deadline_ms", "0"),
        ("invoked_function_arn", ""),
        ("trace_id", ""),
        ("client_context", ""),
        ("cognito_identity", ""),
        ("tenant_id", ""),
        ("invocation_id", ""),
    ]);
    assert_context(&mut run, &posts[0], "bare-1", &expected);
    assert_response(&mut run, &posts[1], "bare-2", b"plain echo");
    if let Some(echoed) = posts[0].header("Lambda-Runtime-Invocation-Id") {
        run.fail(&format!(
            "Lambda-Runtime-Invocation-Id {echoed:?} posted, but /next carried none"
        ));
    }
    run.assert_no_violations();
}

#[test]
fn trace_id_is_exported_to_the_environment_and_cleared_after() {
    let query = "env:_X_AMZN_TRACE_ID";
    let script = Script::new()
        .invoke(Invocation::new("trace-0", query))
        .invoke(Invocation::new("trace-1", query).header("Lambda-Runtime-Trace-Id", TRACE_ID))
        .invoke(Invocation::new("trace-2", query));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(3);
    assert_response(&mut run, &posts[0], "trace-0", b"<unset>");
    assert_response(&mut run, &posts[1], "trace-1", TRACE_ID.as_bytes());
    assert_response(&mut run, &posts[2], "trace-2", b"<unset>");
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// Handler failures
// ---------------------------------------------------------------------------------------------

#[test]
fn handler_error_is_posted_as_json_with_its_type() {
    // Quotes, backslashes, control characters and non-ASCII must all survive JSON encoding.
    let message = "bad \"input\" at C:\\path\nsecond line\ttab \u{1} caf\u{e9} \u{2713}";
    let script = Script::new()
        .invoke(
            Invocation::new("fail-1", format!("error:{message}"))
                .header("Lambda-Runtime-Invocation-Id", "inv-e1"),
        )
        .invoke(Invocation::new("after-fail-1", "fine again"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    let posted = assert_error_post(&mut run, &posts[0], "fail-1", "Function.Probe");
    if posted != message {
        run.fail(&format!("errorMessage is {posted:?}, expected {message:?}"));
    }
    assert_invocation_id_echoed(&mut run, &posts[0], "inv-e1");
    assert_response(&mut run, &posts[1], "after-fail-1", b"fine again");
    run.assert_no_violations();
}

/// Messages longer than an `Error` holds inline go to one of the runtime's few long-message
/// buffers (src/error.rs); each must be freed when its error is posted, or after a handful of
/// invocations every long message would come out cut.
#[test]
fn long_error_messages_stay_whole_invocation_after_invocation() {
    const INVOCATIONS: usize = 12;
    let message = |i: usize| {
        format!(
            "{i}: {}",
            "a long message that an error cannot hold inline ".repeat(20 + i)
        )
    };
    let mut script = Script::new();
    for i in 0..INVOCATIONS {
        script = script.invoke(Invocation::new(
            &format!("long-{i}"),
            format!("error:{}", message(i)),
        ));
    }
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(INVOCATIONS);
    for (i, post) in posts.iter().enumerate() {
        let posted = assert_error_post(&mut run, post, &format!("long-{i}"), "Function.Probe");
        if posted != message(i) {
            run.fail(&format!(
                "invocation {i}: errorMessage is {} bytes, expected {}",
                posted.len(),
                message(i).len()
            ));
        }
    }
    run.assert_no_violations();
}

#[test]
fn init_failure_is_posted_to_init_error_before_any_next_then_exits_1() {
    let script = Script::new().invoke(Invocation::new("never-fetched", "x"));
    let mut run = Run::probe_with_env(script, &[("PROBE_INIT_FAIL", "1")]);
    let posts = run.wait_for_posts(1);
    if posts[0].route != Route::InitError {
        run.fail(&format!(
            "expected POST /runtime/init/error, got {}",
            posts[0].summary()
        ));
    }
    assert_error_shape(&mut run, &posts[0], "Function.InitProbe");
    let status = run.wait_for_exit(EXIT_LIMIT);
    if status.code() != Some(1) {
        run.fail(&format!(
            "expected exit status 1 after an init failure, got {status}"
        ));
    }
    if run.api.next_count() != 0 {
        run.fail("GET /next was sent although init failed");
    }
    run.assert_no_violations();
}

#[test]
fn panic_posts_handler_panic_then_exits_non_zero() {
    let script = Script::new()
        .invoke(
            Invocation::new("panic-1", "panic").header("Lambda-Runtime-Invocation-Id", "inv-p1"),
        )
        .invoke(Invocation::new("after-panic-1", "x"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(1);
    assert_failure_exit(&mut run, "after a panic");
    let message = assert_error_post(&mut run, &posts[0], "panic-1", "Runtime.HandlerPanic");
    assert_invocation_id_echoed(&mut run, &posts[0], "inv-p1");
    if !message.contains("probe panic") {
        run.fail(&format!(
            "panic errorMessage {message:?} does not contain \"probe panic\""
        ));
    }
    run.assert_no_violations();
}

#[test]
fn largest_response_is_posted_and_one_byte_more_is_rejected() {
    let script = Script::new()
        .invoke(Invocation::new("big-max", format!("big:{MAX_RESPONSE}")))
        .invoke(Invocation::new(
            "big-over",
            format!("big:{}", MAX_RESPONSE + 1),
        ))
        .invoke(Invocation::new("after-big", "still serving"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(3);
    assert_response(&mut run, &posts[0], "big-max", &vec![b'x'; MAX_RESPONSE]);
    assert_error_post(&mut run, &posts[1], "big-over", "Runtime.ResponseTooLarge");
    assert_response(&mut run, &posts[2], "after-big", b"still serving");
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// Connections closed by the server
// ---------------------------------------------------------------------------------------------

/// Six invocations whose post replies are followed by `after`: all must be answered.
fn assert_reconnects_after(after: AfterReply) {
    const COUNT: usize = 6;
    let script = Script::new().invocations(
        (0..COUNT).map(|i| Invocation::new(&format!("close-{i}"), format!("e{i}")).then(after)),
    );
    let mut run = Run::bootstrap(script);
    let posts = run.wait_for_posts(COUNT);
    for (i, post) in posts.iter().enumerate() {
        assert_response(
            &mut run,
            post,
            &format!("close-{i}"),
            format!("Hello: e{i}").as_bytes(),
        );
    }
    // The test's own premise: every post reply really ended its connection.
    assert!(
        run.api.connections() >= COUNT,
        "only {} connections: the server did not close them",
        run.api.connections()
    );
    run.assert_no_violations();
}

#[test]
fn reconnects_after_replies_with_connection_close() {
    assert_reconnects_after(AfterReply::ConnectionClose);
}

#[test]
fn reconnects_after_the_server_closes_without_notice() {
    assert_reconnects_after(AfterReply::AbruptClose);
}

#[test]
fn reconnects_when_a_next_is_dropped_without_reply() {
    let script = Script::new()
        .invoke(Invocation::new("drop-0", "e0"))
        .drop_next()
        .invoke(Invocation::new("drop-1", "e1"))
        .drop_next()
        .invoke(Invocation::new("drop-2", "e2"));
    let mut run = Run::bootstrap(script);
    let posts = run.wait_for_posts(3);
    for (i, post) in posts.iter().enumerate() {
        assert_response(
            &mut run,
            post,
            &format!("drop-{i}"),
            format!("Hello: e{i}").as_bytes(),
        );
    }
    assert!(
        run.api.connections() >= 3,
        "only {} connections: the server did not drop any",
        run.api.connections()
    );
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// Status codes from the API
// ---------------------------------------------------------------------------------------------

#[test]
fn rejected_posts_are_logged_with_the_request_id_and_the_loop_goes_on() {
    let statuses = [400, 403, 410, 413];
    let script = Script::new()
        .invocations(statuses.iter().map(|status| {
            Invocation::new(&format!("rejected-{status}"), "e").reply_status(*status)
        }))
        .invoke(Invocation::new("accepted-1", "e"));
    let mut run = Run::bootstrap(script);
    let posts = run.wait_for_posts(statuses.len() + 1);
    for (post, status) in posts.iter().zip(statuses) {
        assert_response(&mut run, post, &format!("rejected-{status}"), b"Hello: e");
    }
    assert_response(&mut run, &posts[statuses.len()], "accepted-1", b"Hello: e");
    for status in statuses {
        let id = format!("rejected-{status}");
        wait_for_stderr(&mut run, &format!("a line with {id:?}"), |stderr| {
            stderr.lines().any(|line| line.contains(&id))
        });
    }
    if let Some(status) = run.process.exit_status() {
        run.fail(&format!(
            "the bootstrap exited ({status}) after 4xx post replies"
        ));
    }
    run.assert_no_violations();
}

#[test]
fn status_500_on_a_post_makes_the_bootstrap_exit() {
    let script = Script::new()
        .invoke(Invocation::new("fatal-1", "e").reply_status(500))
        .invoke(Invocation::new("too-late-1", "e"));
    let mut run = Run::bootstrap(script);
    run.wait_for_posts(1);
    assert_failure_exit(&mut run, "after a 500 on a post");
    wait_for_stderr(&mut run, "a message", |stderr| !stderr.trim().is_empty());
    if run.api.next_count() != 1 {
        run.fail("GET /next was sent after a 500 reply");
    }
    run.assert_no_violations();
}

#[test]
fn status_500_on_next_makes_the_bootstrap_exit() {
    let script = Script::new()
        .invoke(Invocation::new("first-1", "e"))
        .when_done(WhenDone::Status(500));
    let mut run = Run::bootstrap(script);
    let posts = run.wait_for_posts(1);
    assert_response(&mut run, &posts[0], "first-1", b"Hello: e");
    assert_failure_exit(&mut run, "after a 500 on /next");
    wait_for_stderr(&mut run, "a message", |stderr| !stderr.trim().is_empty());
    if run.api.next_count() != 2 {
        run.fail("GET /next was sent again after a 500 reply");
    }
    run.assert_no_violations();
}

#[test]
fn forbidden_next_does_not_busy_loop() {
    const WATCH: Duration = Duration::from_secs(5);
    const MOST_POLLS: usize = 20;
    let mut run = Run::bootstrap(Script::new().when_done(WhenDone::Status(403)));
    let exit = run.process.wait_for_exit(WATCH);
    let polls = run.api.next_count();
    if polls == 0 {
        run.fail("no GET /next at all");
    }
    if polls > MOST_POLLS {
        run.fail(&format!(
            "{polls} GET /next answered 403 within {WATCH:?} (at most {MOST_POLLS} allowed)"
        ));
    }
    if let Some(status) = exit.filter(|status| status.success()) {
        run.fail(&format!("gave up on 403s with a success status: {status}"));
    }
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// Request ids that must never reach a request line
// ---------------------------------------------------------------------------------------------

#[test]
fn unusable_request_ids_are_skipped_and_the_loop_goes_on() {
    let unusable = [
        Invocation::new("a/b", "bad"),
        Invocation::new("a b", "bad"),
        Invocation::new("a?b", "bad"),
        Invocation::new("a#b", "bad"),
        Invocation::new("a\tb", "bad"),
        Invocation::new("caf\u{e9}", "bad"),
        Invocation::new("", "bad"),
        Invocation::without_request_id("bad"),
        // A server that percent-decodes would read `/runtime/invocation/../response`.
        Invocation::new("..%2f", "bad"),
        Invocation::new("..", "bad"),
        Invocation::new("a\"b", "bad"),
    ];
    let usable_ids: Vec<String> = (0..unusable.len())
        .map(|i| format!("good-{i}"))
        .chain(["A.b_c~1:@!$&'()*+,;=".to_string()])
        .collect();
    let mut script = Script::new();
    for (bad, good) in unusable.into_iter().zip(&usable_ids) {
        script = script.invoke(bad).invoke(Invocation::new(good, "good"));
    }
    script = script.invoke(Invocation::new(usable_ids.last().unwrap(), "good"));
    let mut run = Run::bootstrap(script);
    let posts = run.wait_for_posts(usable_ids.len());
    if posts.len() != usable_ids.len() {
        run.fail(&format!(
            "{} posts for {} usable ids",
            posts.len(),
            usable_ids.len()
        ));
    }
    for (post, id) in posts.iter().zip(&usable_ids) {
        assert_response(&mut run, post, id, b"Hello: good");
    }
    wait_for_stderr(&mut run, "a message about the unusable ids", |stderr| {
        !stderr.trim().is_empty()
    });
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// AWS_LAMBDA_RUNTIME_API forms
// ---------------------------------------------------------------------------------------------

/// Serves one invocation on `bind` under `prefix`; the bootstrap gets `address(port)`.
fn assert_address_form_works(bind: &str, prefix: &str, address: impl Fn(u16) -> String) {
    let api = FakeApi::start_on(
        bind,
        Script::new()
            .prefix(prefix)
            .invoke(Invocation::new("addr-1", "via address")),
    );
    let mut run = Run::start(&bootstrap_program(), api, |addr| address(addr.port()), &[]);
    let posts = run.wait_for_posts(1);
    assert_response(&mut run, &posts[0], "addr-1", b"Hello: via address");
    if run
        .api
        .requests()
        .iter()
        .any(|r| r.route == Route::Next && r.header("Host").is_none())
    {
        run.fail("GET /next without a Host header");
    }
    run.assert_no_violations();
}

#[test]
fn address_ipv4_with_port() {
    assert_address_form_works("127.0.0.1:0", "", |port| format!("127.0.0.1:{port}"));
}

#[test]
fn address_http_ipv4_with_port() {
    assert_address_form_works("127.0.0.1:0", "", |port| format!("http://127.0.0.1:{port}"));
}

#[test]
fn address_ipv6_with_port() {
    assert_address_form_works("[::1]:0", "", |port| format!("[::1]:{port}"));
}

#[test]
fn address_http_ipv6_with_port() {
    assert_address_form_works("[::1]:0", "", |port| format!("http://[::1]:{port}"));
}

#[test]
fn address_localhost_with_port() {
    assert_address_form_works("127.0.0.1:0", "", |port| format!("localhost:{port}"));
}

#[test]
fn address_http_localhost_with_port() {
    assert_address_form_works("127.0.0.1:0", "", |port| format!("http://localhost:{port}"));
}

#[test]
fn address_http_ipv4_with_path_prefix() {
    assert_address_form_works("127.0.0.1:0", "/.rt/fn", |port| {
        format!("http://127.0.0.1:{port}/.rt/fn")
    });
}

#[test]
fn address_ipv4_with_path_prefix() {
    assert_address_form_works("127.0.0.1:0", "/.rt/fn", |port| {
        format!("127.0.0.1:{port}/.rt/fn")
    });
}

#[test]
fn address_http_ipv6_with_path_prefix() {
    assert_address_form_works("[::1]:0", "/.rt/fn", |port| {
        format!("http://[::1]:{port}/.rt/fn")
    });
}

#[test]
fn address_localhost_with_path_prefix() {
    assert_address_form_works("127.0.0.1:0", "/.rt/fn", |port| {
        format!("localhost:{port}/.rt/fn")
    });
}

#[test]
fn invalid_addresses_are_rejected_with_status_1_and_nothing_sent() {
    // A live server whose port appears in most values: a bootstrap that wrongly accepted one of
    // them (or truncated 65536 + port to port) would show up in its request log.
    let api = FakeApi::start(Script::new().invoke(Invocation::new("must-not-be-fetched", "x")));
    let port = api.port();
    let invalid = [
        "nonsense".to_string(),
        format!("https://127.0.0.1:{port}"),
        format!("ftp://127.0.0.1:{port}"),
        "127.0.0.1".to_string(),
        "127.0.0.1:".to_string(),
        "[::1]".to_string(),
        format!("[::1:{port}"),
        format!("example.com:{port}"),
        "127.0.0.1:99999".to_string(),
        format!("127.0.0.1:{}", u32::from(port) + 65536),
        "http://".to_string(),
        // Not the empty value: that is unset, i.e. local mode (tests/local.rs).
    ];
    // Start them all, then wait: a bootstrap that hangs costs the limit once, not per value.
    let mut processes: Vec<(String, Process)> = invalid
        .iter()
        .map(|value| {
            (
                value.clone(),
                Process::spawn(&bootstrap_program(), &[("AWS_LAMBDA_RUNTIME_API", value)]),
            )
        })
        .collect();
    let deadline = Instant::now() + EXIT_LIMIT;
    let mut failures = vec![];
    for (value, process) in &mut processes {
        let status = process.wait_for_exit(deadline.saturating_duration_since(Instant::now()));
        let stderr = process.stderr();
        match status {
            None => failures.push(format!("{value:?}: still running after {EXIT_LIMIT:?}")),
            Some(status) if status.code() != Some(1) => {
                failures.push(format!("{value:?}: exit {status}, expected 1"))
            }
            Some(_) if !stderr.contains("AWS_LAMBDA_RUNTIME_API") => failures.push(format!(
                "{value:?}: stderr does not mention AWS_LAMBDA_RUNTIME_API: {stderr:?}"
            )),
            Some(_) => {}
        }
    }
    drop(processes);
    if !api.requests().is_empty() || api.connections() != 0 {
        failures.push(format!(
            "something connected to the fake API:\n{}",
            api.diagnostics()
        ));
    }
    assert!(
        failures.is_empty(),
        "invalid AWS_LAMBDA_RUNTIME_API values:\n  {}",
        failures.join("\n  ")
    );
}
