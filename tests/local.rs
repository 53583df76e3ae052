//! Local mode end to end: the real bootstrap, started without `AWS_LAMBDA_RUNTIME_API`,
//! serving the emulator's invoke endpoint on loopback, driven by a raw HTTP client.

use crate::support;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use support::*;

fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

/// Checks a JSON error body: its type, and that its message contains `message`.
fn assert_error(answer: &Answer, error_type: &str, message: &str) {
    let json = answer.json();
    assert_eq!(json["errorType"], error_type, "{json}");
    let text = json["errorMessage"]
        .as_str()
        .unwrap_or_else(|| panic!("no errorMessage: {json}"));
    assert!(
        text.contains(message),
        "{text:?} should contain {message:?}"
    );
}

/// Checks a refusal in AWS's error shape, which the SDKs read: the type in `x-amzn-ErrorType`,
/// `{"Type":"User","message":...}` with a message containing `message`, and a request id.
fn assert_refusal(answer: &Answer, error_type: &str, message: &str) {
    assert_eq!(answer.header("x-amzn-errortype"), Some(error_type));
    let json = answer.json();
    assert_eq!(json["Type"], "User", "{json}");
    let text = json["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message: {json}"));
    assert!(
        text.contains(message),
        "{text:?} should contain {message:?}"
    );
    assert!(is_uuid(answer.header("x-amzn-requestid").unwrap()));
}

#[test]
fn the_default_handler_answers_with_a_request_id_and_a_log_line() {
    let mut server = LocalServer::start(&bootstrap_program(), &[]);
    let answer = server.invoke(b"world");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), "Hello: world");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("x-amz-function-error"), None);
    assert_eq!(answer.header("x-amz-executed-version"), Some("$LATEST"));
    assert_eq!(answer.header("x-amz-log-result"), None, "only with Tail");
    let id = answer.header("x-amzn-requestid").unwrap().to_string();
    assert!(is_uuid(&id), "{id}");
    let log = server.wait_for_log("REPORT RequestId: ", 1);
    let line = log.lines().find(|l| l.contains("REPORT")).unwrap();
    let report = Report::parse(line);
    assert_eq!(report.request_id, id, "{line}");
    assert_eq!(
        report.memory_size_mb, 3008,
        "the emulator's default: {line}"
    );
    assert_eq!(report.rest, "Status: 200", "{line}");
    assert!(
        log.contains(&format!(
            "invoke with POST http://{}{INVOKE_PATH}",
            server.addr
        )),
        "{log}"
    );
}

#[test]
fn every_invocation_gets_a_new_request_id_and_state_stays_warm() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    let mut ids = std::collections::HashSet::new();
    for expected in 1..=5 {
        let answer = server.invoke(b"count");
        assert_eq!(
            answer.text(),
            expected.to_string(),
            "warm: one process serves them all"
        );
        assert!(ids.insert(answer.header("x-amzn-requestid").unwrap().to_string()));
    }
}

#[test]
fn the_context_is_as_lambda_gives_it() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "7")]);
    let client_context = r#"{"custom":{"a":1},"env":{"b":"c"}}"#;
    let encoded = "eyJjdXN0b20iOnsiYSI6MX0sImVudiI6eyJiIjoiYyJ9fQ==";
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let before = now_ms();
    let answer = server.invoke_with(
        &[
            ("X-Amzn-Trace-Id", trace),
            ("X-Amz-Client-Context", encoded),
        ],
        b"ctx",
    );
    let after = now_ms();
    let text = answer.text();
    let field = |key: &str| {
        let prefix = format!("{key}=");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {key}: {text}"))
            .to_string()
    };
    assert_eq!(
        field("request_id"),
        answer.header("x-amzn-requestid").unwrap()
    );
    assert_eq!(
        field("invoked_function_arn"),
        "arn:aws:lambda:us-east-1:012345678912:function:test_function"
    );
    assert_eq!(field("trace_id"), trace);
    assert_eq!(field("client_context"), client_context);
    let deadline: u64 = field("deadline_ms").parse().unwrap();
    assert!(
        (before + 7000..=after + 7000).contains(&deadline),
        "deadline {deadline} not 7 s after the call"
    );
    // The trace id also reaches code that reads the environment.
    let answer = server.invoke_with(&[("X-Amzn-Trace-Id", trace)], b"env:_X_AMZN_TRACE_ID");
    assert_eq!(answer.text(), trace);
    let answer = server.invoke(b"env:_X_AMZN_TRACE_ID");
    assert_eq!(
        answer.text(),
        "<unset>",
        "cleared when the caller sends none"
    );
}

#[test]
fn the_arn_names_the_function_and_region() {
    let env = [
        ("AWS_LAMBDA_FUNCTION_NAME", "my-function"),
        ("AWS_REGION", "eu-west-1"),
    ];
    let mut server = LocalServer::start(&probe_program(), &env);
    let answer = server.invoke(b"ctx");
    assert!(
        answer.text().contains(
            "invoked_function_arn=arn:aws:lambda:eu-west-1:012345678912:function:my-function\n"
        ),
        "{}",
        answer.text()
    );
}

#[test]
fn a_handler_error_is_200_with_the_function_error_header() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    let answer = server.invoke(b"error:it \"broke\"");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-amz-function-error"), Some("Unhandled"));
    assert_error(&answer, "Function.Probe", "it \"broke\"");
    server.wait_for_log("Status: 200\tError: Function.Probe", 1);
}

#[test]
fn an_overrunning_handler_is_stopped_and_the_next_request_is_served() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")]);
    assert_eq!(server.invoke(b"count").text(), "1");
    let started = Instant::now();
    let answer = server.invoke(b"sleep:20000");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "answered after {took:?}"
    );
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-amz-function-error"), Some("Unhandled"));
    assert_error(
        &answer,
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
    );
    let id = answer.header("x-amzn-requestid").unwrap();
    assert_error(
        &answer,
        "Sandbox.Timedout",
        &format!("RequestId: {id} Error: "),
    );
    // A fresh process from the state init left: the count starts again.
    assert_eq!(server.invoke(b"count").text(), "1");
    assert_eq!(server.invoke(b"count").text(), "2");
    server.wait_for_log("timed out after 1 s", 1);
    server.wait_for_log(&format!("REPORT RequestId: {id}\tDuration: "), 1);
    server.wait_for_log("Status: 200\tError: Sandbox.Timedout", 1);
}

#[test]
fn a_crash_or_a_panic_is_answered_and_the_server_goes_on() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    for (event, error_type, message) in [
        (
            &b"crash"[..],
            "Runtime.ExitError",
            "Runtime exited without answering",
        ),
        (
            b"panic",
            "Runtime.HandlerPanic",
            "panicked at examples/probe/handler.rs:",
        ),
    ] {
        let answer = server.invoke(event);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("x-amz-function-error"), Some("Unhandled"));
        assert_error(&answer, error_type, message);
        let id = answer.header("x-amzn-requestid").unwrap();
        // The watchdog writes the REPORT line the dead server could not.
        server.wait_for_log(&format!("REPORT RequestId: {id}\t"), 1);
        let log = server.wait_for_log(&format!("Status: 200\tError: {error_type}"), 1);
        assert!(
            log.contains(&format!("REPORT RequestId: {id}\tDuration: ")),
            "{log}"
        );
        assert_eq!(server.invoke(b"echo").text(), "echo");
    }
    assert_error(
        &server.invoke(b"panic"),
        "Runtime.HandlerPanic",
        "probe panic",
    );
    server.wait_for_log("panicked at", 1);
}

#[test]
fn wrong_requests_get_json_errors_and_the_server_keeps_serving() {
    let mut server = LocalServer::start(&bootstrap_program(), &[]);
    let cases: [(&str, String, u16, &str); 10] = [
        (
            "unknown invocation type",
            format!("POST {INVOKE_PATH} HTTP/1.1\r\nX-Amz-Invocation-Type: Later\r\n\r\n"),
            400,
            "InvalidParameterValueException",
        ),
        (
            "Event with a response stream",
            "POST /2021-11-15/functions/f/response-streaming-invocations HTTP/1.1\r\n\
             X-Amz-Invocation-Type: Event\r\n\r\n"
                .into(),
            400,
            "InvalidParameterValueException",
        ),
        (
            "wrong path",
            "POST /2015-03-31/functions/function/invoke HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
                .into(),
            404,
            "ResourceNotFoundException",
        ),
        (
            "root",
            "GET / HTTP/1.1\r\n\r\n".into(),
            404,
            "ResourceNotFoundException",
        ),
        (
            "wrong method",
            format!("GET {INVOKE_PATH} HTTP/1.1\r\n\r\n"),
            405,
            "MethodNotAllowed",
        ),
        (
            "not HTTP",
            "HELLO\r\n\r\n".into(),
            400,
            "InvalidRequestContentException",
        ),
        (
            "two lengths",
            format!(
                "POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
            ),
            400,
            "InvalidRequestContentException",
        ),
        (
            "length and chunked",
            format!(
                "POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
            400,
            "InvalidRequestContentException",
        ),
        (
            "bad chunk",
            format!("POST {INVOKE_PATH} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            400,
            "InvalidRequestContentException",
        ),
        (
            "client context",
            format!(
                "POST {INVOKE_PATH} HTTP/1.1\r\nX-Amz-Client-Context: not base64!\r\nContent-Length: 0\r\n\r\n"
            ),
            400,
            "InvalidRequestContentException",
        ),
    ];
    for (what, request, status, error_type) in cases {
        let answer = server.send_raw(request.as_bytes());
        assert_eq!(answer.status, status, "{what}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{what}"
        );
        assert_refusal(&answer, error_type, "");
        if status == 405 {
            assert_eq!(answer.header("allow"), Some("POST"));
        }
        assert_eq!(
            server.invoke(what.as_bytes()).text(),
            format!("Hello: {what}"),
            "served after {what}"
        );
    }
}

#[test]
fn a_body_over_six_megabytes_is_413_with_or_without_expect() {
    // The probe answers other events unchanged.
    let mut server = LocalServer::start(&probe_program(), &[]);
    let big = vec![b'a'; 6 * 1024 * 1024 + 1];
    // Sent whole: the server answers without reading it all, and must not reset the
    // connection before the answer is read.
    let answer = server.invoke(&big);
    assert_eq!(answer.status, 413);
    assert_refusal(&answer, "RequestTooLargeException", "6291456 bytes");
    // With Expect: 100-continue the body is never sent.
    let head = format!(
        "POST {INVOKE_PATH} HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        big.len()
    );
    let answer = server.send_raw(head.as_bytes());
    assert_eq!(answer.status, 413);
    // Chunked, over the limit.
    let mut chunked =
        format!("POST {INVOKE_PATH} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
    for _ in 0..7 {
        chunked.extend_from_slice(b"100000\r\n");
        chunked.extend_from_slice(&vec![b'b'; 0x100000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(server.send_raw(&chunked).status, 413);
    // Chunked, one byte over: the same limit as with a length (and as on Lambda).
    let mut chunked =
        format!("POST {INVOKE_PATH} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n600001\r\n")
            .into_bytes();
    chunked.extend_from_slice(&big);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(server.send_raw(&chunked).status, 413);
    // Exactly at the limit is served.
    let at_limit = vec![b'c'; 6 * 1024 * 1024];
    let answer = server.invoke(&at_limit);
    assert_eq!(answer.status, 200);
    assert!(answer.body == at_limit, "the 6 MiB event came back changed");
}

#[test]
fn chunked_bodies_and_expect_continue_are_read() {
    let mut server = LocalServer::start(&bootstrap_program(), &[]);
    let request = format!(
        "POST {INVOKE_PATH} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
    );
    assert_eq!(
        server.send_raw(request.as_bytes()).text(),
        "Hello: hello world"
    );
    // The client waits for 100 Continue before sending the body.
    let mut stream = server.connect();
    let head =
        format!("POST {INVOKE_PATH} HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"body").unwrap();
    assert_eq!(server.read_answer(stream).text(), "Hello: body");
}

#[test]
fn overlapping_requests_are_queued_and_served_one_at_a_time() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    let addr = server.addr;
    let started = Instant::now();
    let callers: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(30)))
                    .unwrap();
                let request =
                    format!("POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: 9\r\n\r\nsleep:300");
                stream.write_all(request.as_bytes()).unwrap();
                let mut bytes = Vec::new();
                stream.read_to_end(&mut bytes).unwrap();
                Answer::parse(&bytes).unwrap()
            })
        })
        .collect();
    let answers: Vec<Answer> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    let took = started.elapsed();
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(
            answer.text(),
            answers[0].text(),
            "one process served them all"
        );
    }
    assert!(
        took >= Duration::from_millis(1200),
        "four 300 ms calls took {took:?}: they overlapped"
    );
    assert_eq!(
        server.wait_for_log("REPORT", 4).matches("REPORT").count(),
        4
    );
}

#[test]
fn a_caller_who_stops_sending_gets_408_and_does_not_hold_the_server() {
    let env = [("LAMBDA_LOCAL_CALLER_TIMEOUT", "1")];
    let mut server = LocalServer::start(&bootstrap_program(), &env);
    let mut stalled = server.connect();
    stalled
        .write_all(format!("POST {INVOKE_PATH} HTTP/1.1\r\nContent-Le").as_bytes())
        .unwrap();
    let started = Instant::now();
    let answer = server.invoke(b"next");
    assert_eq!(answer.text(), "Hello: next");
    assert!(started.elapsed() < Duration::from_secs(20));
    let mut bytes = Vec::new();
    let _ = stalled.read_to_end(&mut bytes);
    let answer = Answer::parse(&bytes).unwrap();
    assert_eq!(answer.status, 408);
}

#[test]
fn streamed_responses_pass_through_as_they_come() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    // Pieces arrive before the handler has finished.
    let mut stream = server.connect();
    let request =
        format!("POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: 17\r\n\r\nstream-pause:2000");
    stream.write_all(request.as_bytes()).unwrap();
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("first") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the first piece");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the first piece waited for the handler"
    );
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    seen.extend_from_slice(&rest);
    let answer = Answer::parse(&seen).unwrap();
    assert!(answer.chunked);
    assert_eq!(answer.text(), "firstsecond");
    assert_eq!(
        answer.header("content-type"),
        Some("application/octet-stream")
    );

    // 10 MiB, beyond the 6 MiB buffer, byte for byte.
    let total = 10 * 1024 * 1024;
    let answer = server.invoke(format!("stream:{total}:65536").as_bytes());
    assert!(answer.chunked);
    assert_eq!(answer.header("content-type"), Some("text/plain"));
    assert_eq!(answer.body.len(), total);
    assert!(
        answer
            .body
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i % 251) as u8),
        "pattern"
    );
    assert!(answer.trailers.is_empty());
}

#[test]
fn a_failure_mid_stream_ends_it_with_the_error_trailers() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    let answer = server.invoke(b"stream-fail:100");
    assert!(answer.chunked);
    assert_eq!(answer.body.len(), 100);
    assert_eq!(
        answer.trailer("Lambda-Runtime-Function-Error-Type"),
        Some("Function.StreamProbe")
    );
    let error = parse_error_trailer(
        answer
            .trailer("Lambda-Runtime-Function-Error-Body")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(error.error_type, "Function.StreamProbe");
    assert_eq!(error.message, "failed mid-stream");
    // A panic mid-stream ends it the same way, with the panic's message (the watchdog hears
    // it from the dying process).
    let answer = server.invoke(b"stream-panic:100");
    assert_eq!(answer.body.len(), 100);
    assert_eq!(
        answer.trailer("Lambda-Runtime-Function-Error-Type"),
        Some("Runtime.HandlerPanic")
    );
    let error = parse_error_trailer(
        answer
            .trailer("Lambda-Runtime-Function-Error-Body")
            .unwrap(),
    )
    .unwrap();
    assert!(
        error.message.contains("probe panic mid-stream"),
        "{}",
        error.message
    );
    server.wait_for_log("Status: 200\tError: Runtime.HandlerPanic", 1);
    // The prelude of an HTTP-integration response, byte for byte.
    let answer = server.invoke(b"prelude");
    assert_eq!(
        answer.header("content-type"),
        Some("application/vnd.awslambda.http-integration-response")
    );
    let prelude = br#"{"statusCode":201,"headers":{"Content-Type":"text/html","X-Probe":"yes"},"cookies":["a=1","b=2; Path=/"]}"#;
    assert_eq!(answer.body, [&prelude[..], &[0u8; 8], b"hi"].concat());
}

#[test]
#[cfg_attr(missing = "ipv6-loopback", ignore = "no IPv6 loopback here")]
fn ipv6_loopback_works() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        skip::missing("no IPv6 loopback here");
        return;
    }
    let mut server = LocalServer::start_on("[::1]", &bootstrap_program(), &[]);
    assert_eq!(server.invoke(b"six").text(), "Hello: six");
}

#[test]
fn a_bad_address_or_a_taken_port_ends_the_bootstrap_with_a_message() {
    let mut bad = Process::spawn(
        &bootstrap_program(),
        &[("LAMBDA_LOCAL_ADDRESS", "example.com:80")],
    );
    assert_eq!(
        bad.wait_for_exit(EXIT_LIMIT).and_then(|s| s.code()),
        Some(1)
    );
    assert!(
        bad.stderr()
            .contains("LAMBDA_LOCAL_ADDRESS=\"example.com:80\""),
        "{}",
        bad.stderr()
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let mut busy = Process::spawn(&bootstrap_program(), &[("LAMBDA_LOCAL_ADDRESS", &address)]);
    assert_eq!(
        busy.wait_for_exit(EXIT_LIMIT).and_then(|s| s.code()),
        Some(1)
    );
    assert!(
        busy.stderr()
            .contains(&format!("cannot listen on {address}")),
        "{}",
        busy.stderr()
    );
}

#[test]
fn a_failed_init_ends_the_bootstrap_with_its_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut process = Process::spawn(
        &probe_program(),
        &[("PROBE_INIT_FAIL", "1"), ("LAMBDA_LOCAL_ADDRESS", &address)],
    );
    assert_eq!(
        process.wait_for_exit(EXIT_LIMIT).and_then(|s| s.code()),
        Some(1)
    );
    assert!(
        process
            .stderr()
            .contains("init failed: Function.InitProbe: init failed on purpose"),
        "{}",
        process.stderr()
    );
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn isolated_bootstraps_run_each_invocation_in_a_child_and_time_out_only_that_child() {
    let mut server = LocalServer::start(
        &probe_isolated_program(),
        &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")],
    );
    for _ in 0..3 {
        assert_eq!(
            server.invoke(b"count").text(),
            "1",
            "every invocation starts from init's state"
        );
    }
    let answer = server.invoke(b"sleep:20000");
    assert_error(
        &answer,
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
    );
    let answer = server.invoke(b"crash");
    assert_error(
        &answer,
        "Runtime.ExitError",
        "Runtime exited without answering",
    );
    assert_eq!(server.invoke(b"count").text(), "1");
    let log = server.process.stderr();
    assert!(
        !log.contains("a worker was"),
        "the server itself was never replaced:\n{log}"
    );
}

/// In a container the bootstrap is process 1: orphans (a watchdog whose server it killed)
/// are reparented to it, and reaping one must not be taken for the server's end.
#[test]
#[cfg_attr(
    missing = "pid-namespace",
    ignore = "cannot start a process in a new PID namespace here (unshare --pid, as root)"
)]
fn as_process_1_it_survives_timeouts_and_crashes() {
    let Some(pid_1) = pid_namespace() else {
        return;
    };
    let env = [("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")];
    let mut server = LocalServer::start_wrapped(&pid_1, "127.0.0.1", &probe_program(), &env);
    for _ in 0..2 {
        let answer = server.invoke(b"sleep:20000");
        assert_error(
            &answer,
            "Sandbox.Timedout",
            "Task timed out after 1.00 seconds",
        );
        let answer = server.invoke(b"crash");
        assert_error(
            &answer,
            "Runtime.ExitError",
            "Runtime exited without answering",
        );
        // Orphaned watchdogs have ended by now, reaped by process 1.
        thread::sleep(Duration::from_millis(200));
        assert_eq!(server.invoke(b"count").text(), "1");
    }
    assert!(
        server.process.exit_status().is_none(),
        "{}",
        server.process.diagnostics()
    );
}

#[test]
fn a_timeout_that_is_not_a_number_of_seconds_is_300_with_a_warning() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "3s")]);
    let before = now_ms();
    let text = server.invoke(b"ctx").text();
    let deadline: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("deadline_ms="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (before + 299_000..=now_ms() + 300_000).contains(&deadline),
        "deadline {deadline}"
    );
    server.wait_for_log(
        "AWS_LAMBDA_FUNCTION_TIMEOUT is not a number of seconds from 1 to 900; using 300",
        1,
    );
}

/// Each invocation forks a watchdog and opens a connection: none may be left behind.
#[test]
fn many_invocations_leave_no_descriptors_or_processes_behind() {
    if runner().is_some() {
        skip::not_applicable(
            "under an emulator /proc shows the emulator's descriptors and children",
        );
        return;
    }
    let mut server = LocalServer::start(&probe_program(), &[]);
    assert_eq!(server.invoke(b"warm").text(), "warm");
    let supervisor = server.process.id();
    let worker = || {
        children_of(supervisor)
            .into_iter()
            .map(|p| p.pid)
            .next()
            .expect("the server process")
    };
    let server_pid = worker();
    let fds = |pid: u32| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .count()
    };
    let before = fds(server_pid);
    for i in 0..500 {
        let event = format!("event {i}");
        assert_eq!(server.invoke(event.as_bytes()).text(), event);
    }
    assert_eq!(worker(), server_pid, "the same server served them all");
    assert_eq!(fds(server_pid), before, "descriptors after 500 invocations");
    assert!(
        eventually(Duration::from_secs(5), || children_of(server_pid)
            .is_empty()),
        "watchdogs left behind: {:?}",
        children_of(server_pid)
    );
}

/// `bootstrap --invoke` reads its event from stdin when it has no argument, up to the same
/// 6 MiB as the other ways in.
#[test]
fn invoke_reads_an_event_of_up_to_6_mib_from_stdin() {
    use std::process::{Command, Stdio};
    let run = |event: &[u8]| {
        let mut command = match runner() {
            Some(runner) => {
                let mut command = Command::new(runner);
                command.arg(probe_program());
                command
            }
            // The probe answers the event unchanged.
            None => Command::new(probe_program()),
        };
        let mut child = command
            .arg("--invoke")
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let event = event.to_vec();
        // The bootstrap stops reading at the limit; a broken pipe then is expected.
        let writer = thread::spawn(move || stdin.write_all(&event).is_ok());
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        output
    };
    let at_limit = vec![b'e'; 6 * 1024 * 1024];
    let output = run(&at_limit);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stdout == at_limit,
        "the 6 MiB event came back changed"
    );
    let output = run(&[&at_limit[..], b"!"].concat());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--invoke: cannot read the event from stdin (or it is over 6 MiB)"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// An empty `AWS_LAMBDA_RUNTIME_API` is taken as unset, as AWS's base images take it (their
/// entry point runs the emulator when it is empty): local mode, not an error.
#[test]
fn an_empty_runtime_api_variable_is_local_mode() {
    let mut server = LocalServer::start(&bootstrap_program(), &[("AWS_LAMBDA_RUNTIME_API", "")]);
    let answer = server.invoke(b"empty");
    assert_eq!(
        (answer.status, answer.text()),
        (200, "Hello: empty".to_string())
    );
    server.wait_for_log("local mode (AWS_LAMBDA_RUNTIME_API is not set)", 1);
}

/// `InvokeWithResponseStream`'s path.
const STREAM_PATH: &str = "/2021-11-15/functions/function/response-streaming-invocations";

fn stream_request(headers: &str, event: &str) -> String {
    format!(
        "POST {STREAM_PATH} HTTP/1.1\r\n{headers}Content-Length: {}\r\n\r\n{event}",
        event.len()
    )
}

#[test]
fn event_invocations_are_accepted_then_run_and_dry_runs_are_not_run() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    assert_eq!(server.invoke(b"count").text(), "1");
    let answer = server.invoke_with(&[("X-Amz-Invocation-Type", "Event")], b"count");
    assert_eq!(answer.status, 202);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header("content-length"), Some("0"));
    assert_eq!(answer.header("x-amz-executed-version"), Some("$LATEST"));
    let id = answer.header("x-amzn-requestid").unwrap();
    assert!(is_uuid(id), "{id}");
    server.wait_for_log(&format!("REPORT RequestId: {id}\t"), 1);
    server.wait_for_log(" MB\tStatus: 202", 1);
    assert_eq!(
        server.invoke(b"count").text(),
        "3",
        "the Event invocation ran"
    );
    let answer = server.invoke_with(&[("X-Amz-Invocation-Type", "DryRun")], b"count");
    assert_eq!(answer.status, 204);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header("content-length"), None, "a 204 has no length");
    assert!(is_uuid(answer.header("x-amzn-requestid").unwrap()));
    assert_eq!(
        server.invoke(b"count").text(),
        "4",
        "the DryRun invocation did not run"
    );
}

/// Starts `event` (a slow one) on another thread, and gives the server a moment to take it.
fn run_in_background(server: &LocalServer, event: &str) -> thread::JoinHandle<Answer> {
    let addr = server.addr;
    let event = event.to_string();
    let running = thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let request = format!(
            "POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{event}",
            event.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        Answer::parse(&bytes).unwrap()
    });
    thread::sleep(Duration::from_millis(500));
    running
}

/// While one invocation runs (a 3 s sleep), Event and DryRun invocations are answered at once
/// (202, 204), each Event runs exactly once afterwards, in order, and past the queue's bound
/// (64 waiting) Events are refused with Lambda's throttling error and never run. Before, the
/// 202 waited for the server to be free (with 40 Events behind a 200 ms handler, 4 s median).
#[test]
fn events_and_dry_runs_are_answered_at_once_whatever_runs() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    let running = run_in_background(&server, "sleep:3000");
    let mut ids = Vec::new();
    let mut throttled = 0;
    for _ in 0..70 {
        let answer = server.invoke_with(&[("X-Amz-Invocation-Type", "Event")], b"count");
        match answer.status {
            202 => ids.push(answer.header("x-amzn-requestid").unwrap().to_string()),
            429 => {
                assert_refusal(&answer, "TooManyRequestsException", "Rate Exceeded");
                throttled += 1;
            }
            status => panic!("an Event answered {status}: {}", answer.text()),
        }
    }
    let answer = server.invoke_with(&[("X-Amz-Invocation-Type", "DryRun")], b"count");
    assert_eq!(answer.status, 204);
    assert!(
        !running.is_finished(),
        "the answers waited for the running invocation"
    );
    assert_eq!((ids.len(), throttled), (64, 6), "the bound is 64 waiting");
    assert_eq!(running.join().unwrap().status, 200);
    // Each accepted Event ran once, before this invocation, queued after them. Sent once the
    // server has taken the first Event (its START line follows the take): until then the
    // queue holds 64 and a 65th invocation, this one too, is refused with the 429.
    server.wait_for_log(&format!("START RequestId: {} ", ids[0]), 1);
    assert_eq!(server.invoke(b"count").text(), "66");
    let log = server.wait_for_log(" MB\tStatus: 202", 64);
    for id in &ids {
        assert_eq!(
            log.matches(&format!("REPORT RequestId: {id}\t")).count(),
            1,
            "{id}"
        );
    }
}

/// A `REPORT` line, in the shape of Lambda's, with its figures checked against each other.
#[derive(Debug)]
struct Report {
    request_id: String,
    memory_size_mb: u64,
    max_memory_used_mb: u64,
    /// What follows Lambda's fields: `Status: 200` and, for a failure, a tab and `Error: {type}`.
    rest: String,
}

impl Report {
    /// Parses `REPORT RequestId: {id}\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size:
    /// 3008 MB\tMax Memory Used: 5 MB\t{rest}` (Lambda's fields, tab-separated as Lambda writes
    /// them), and checks that the billed duration is the duration rounded up to the
    /// millisecond and that the memory used is some, and within the size.
    fn parse(line: &str) -> Report {
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(fields.len() > 5, "{line:?}");
        let field = |index: usize, name: &str, unit: &str| -> String {
            fields[index]
                .strip_prefix(name)
                .and_then(|value| value.strip_suffix(unit))
                .unwrap_or_else(|| panic!("{name:?}, {unit:?} in {line:?}"))
                .to_string()
        };
        let duration: f64 = field(1, "Duration: ", " ms").parse().unwrap();
        let billed: u64 = field(2, "Billed Duration: ", " ms").parse().unwrap();
        // Rounded up to the millisecond, at least one (the duration shown is cut to 0.01 ms).
        assert!(
            billed >= 1 && billed as f64 >= duration && billed <= duration as u64 + 1,
            "{line}"
        );
        let report = Report {
            request_id: field(0, "REPORT RequestId: ", ""),
            memory_size_mb: field(3, "Memory Size: ", " MB").parse().unwrap(),
            max_memory_used_mb: field(4, "Max Memory Used: ", " MB").parse().unwrap(),
            rest: fields[5..].join("\t"),
        };
        assert!(
            (1..report.memory_size_mb).contains(&report.max_memory_used_mb),
            "{line}"
        );
        report
    }
}

/// The `REPORT` line carries Lambda's figures: the billed duration, the memory size from
/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, and the memory used, which grows with what the handler
/// touched (before, none of them).
#[test]
fn report_lines_carry_the_billed_duration_and_the_memory_figures() {
    let env = [("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")];
    let mut server = LocalServer::start(&probe_program(), &env);
    let mut report = |event: &[u8]| {
        let id = server
            .invoke(event)
            .header("x-amzn-requestid")
            .unwrap()
            .to_string();
        let log = server.wait_for_log(&format!("REPORT RequestId: {id}\t"), 1);
        let line = log
            .lines()
            .find(|l| l.contains(&format!("REPORT RequestId: {id}\t")));
        Report::parse(line.unwrap())
    };
    let small = report(b"quiet");
    assert_eq!(small.memory_size_mb, 1024);
    assert_eq!(small.rest, "Status: 200");
    // 5.9 MB of the response buffer filled (the most a response may be is 6 MB).
    let big = report(b"big:5900000");
    assert!(big.max_memory_used_mb >= 5, "{big:?}");
    assert_eq!(big.rest, "Status: 200");
}

/// Checks that `log` holds the lines Lambda writes around invocation `id`: `START` first,
/// then `END` and `REPORT`, each once, in the shapes local mode writes them; returns the
/// `REPORT` line.
fn assert_lambda_lines(log: &str, id: &str) -> Report {
    let start = format!("START RequestId: {id} Version: $LATEST\n");
    let end = format!("END RequestId: {id}\n");
    let report = format!("REPORT RequestId: {id}\tDuration: ");
    for line in [&start, &end, &report] {
        assert_eq!(log.matches(line.as_str()).count(), 1, "{line:?} in {log:?}");
    }
    let at = |line: &str| log.find(line).unwrap();
    assert!(at(&start) < at(&end) && at(&end) < at(&report), "{log}");
    assert!(log.ends_with("\n"), "{log}");
    Report::parse(log[at(&report)..].lines().next().unwrap())
}

/// With `Tail`, `LogResult` is there even when the handler logs nothing: the log holds
/// Lambda's `START`, `END` and `REPORT` lines, as Lambda's tail does (before, no
/// `X-Amz-Log-Result` at all, and boto3 code reading `response["LogResult"]` failed). So do
/// failed invocations' tails, the watchdog's answers included.
#[test]
fn tails_always_hold_lambdas_start_end_and_report_lines() {
    let env = [
        ("AWS_LAMBDA_FUNCTION_TIMEOUT", "1"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
    ];
    let mut server = LocalServer::start(&probe_program(), &env);
    for (event, error) in [
        ("quiet", None),
        ("error:bad", Some("Function.Probe")),
        ("crash", Some("Runtime.ExitError")),
        ("sleep:5000", Some("Sandbox.Timedout")),
    ] {
        let answer = server.invoke_with(&[("X-Amz-Log-Type", "Tail")], event.as_bytes());
        let id = answer.header("x-amzn-requestid").unwrap();
        let encoded = answer.header("x-amz-log-result").expect("X-Amz-Log-Result");
        let log = String::from_utf8(decode_base64(encoded).unwrap()).unwrap();
        let report = assert_lambda_lines(&log, id);
        assert_eq!(report.memory_size_mb, 512);
        match error {
            Some(error) => assert_eq!(report.rest, format!("Status: 200\tError: {error}")),
            None => assert_eq!(report.rest, "Status: 200"),
        }
        // The same lines reach stderr, once.
        let stderr = server.wait_for_log(&format!("REPORT RequestId: {id}\t"), 1);
        assert_eq!(stderr.matches(&format!("END RequestId: {id}")).count(), 1);
    }
    // InvokeWithResponseStream's LogResult too.
    let answer = server.send_raw(stream_request("X-Amz-Log-Type: Tail\r\n", "quiet").as_bytes());
    let id = answer.header("x-amzn-requestid").unwrap().to_string();
    let (body, complete) = stream_events(&answer);
    assert_eq!(body, b"quiet");
    let encoded = complete["LogResult"].as_str().expect("LogResult");
    let _ = assert_lambda_lines(
        &String::from_utf8(decode_base64(encoded).unwrap()).unwrap(),
        &id,
    );
    // Without Tail, the lines go to stderr only, START first.
    let answer = server.invoke(b"quiet");
    let id = answer.header("x-amzn-requestid").unwrap();
    let stderr = server.wait_for_log(&format!("REPORT RequestId: {id}\t"), 1);
    assert_eq!(answer.header("x-amz-log-result"), None);
    let from = stderr
        .find(&format!("START RequestId: {id}"))
        .expect("START");
    let _ = assert_lambda_lines(&stderr[from - "bootstrap: ".len()..], id);
}

/// What the processes in `tree` hold in memory now, in KiB: the most any one has resident
/// (`VmRSS`), and the size of all the in-memory files (memfd) they have open.
fn memory_held_kib(tree: &[u32]) -> (u64, u64) {
    let (mut resident, mut files) = (0, 0);
    for pid in tree {
        resident = resident.max(status_kib(*pid, "VmRSS:").unwrap_or(0));
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            if target.to_string_lossy().starts_with("/memfd:") {
                files += std::fs::metadata(fd.path()).map_or(0, |m| m.len()) / 1024;
            }
        }
    }
    (resident, files)
}

/// A handler that logs 64 MiB during a `Tail` invocation: the bootstrap's memory stays
/// within a few MB of what it was, the whole log reaches stderr as it is written, and the
/// tail is its end (before, the log was held in an in-memory file until the invocation
/// ended: 64 MiB, and a memory-limited container was killed).
#[test]
fn a_tail_invocation_holds_bounded_memory_whatever_the_handler_logs() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    server.invoke(b"quiet"); // warm: the processes exist, the server's pages are touched
    let root = server.process.id();
    let (resident_before, _) = memory_held_kib(&process_tree(root));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        thread::spawn(move || {
            let mut most = (0, 0);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let (resident, files) = memory_held_kib(&process_tree(root));
                most = (most.0.max(resident), most.1.max(files));
                thread::sleep(Duration::from_millis(5));
            }
            most
        })
    };
    let answer = server.invoke_with(&[("X-Amz-Log-Type", "Tail")], b"spew:64");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (resident, files) = sampler.join().unwrap();
    assert_eq!(answer.text(), "spewed");
    assert!(
        resident < resident_before + 8 * 1024 && files < 1024,
        "resident {resident} KiB (from {resident_before} KiB), in-memory files {files} KiB"
    );
    // The tail is the log's end: the last lines of `x`, then Lambda's lines.
    let encoded = answer.header("x-amz-log-result").expect("X-Amz-Log-Result");
    let tail = String::from_utf8(decode_base64(encoded).unwrap()).unwrap();
    assert_eq!(tail.len(), 4096, "{tail}");
    let id = answer.header("x-amzn-requestid").unwrap();
    let end = tail.find("\nEND RequestId: ").expect("END") + 1;
    assert!(
        tail[..end].ends_with(&format!("{}\n", "x".repeat(1023))),
        "{tail}"
    );
    let mut lambda_lines = tail[end..].lines();
    assert_eq!(lambda_lines.next(), Some(&*format!("END RequestId: {id}")));
    assert_eq!(Report::parse(lambda_lines.next().unwrap()).request_id, id);
    assert_eq!(lambda_lines.next(), None);
    // All of it on stderr, whole lines (the test keeps the first 16 MiB to look at).
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.process.stderr_len() < 64 << 20 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    assert!(server.process.stderr_len() > 64 << 20);
    let stderr = server.process.stderr();
    let start = stderr.rfind("Version: $LATEST\n").unwrap() + "Version: $LATEST\n".len();
    let kept = stderr[start..].lines().take((16 << 10) - 64);
    assert!(
        kept.clone().all(|l| l == "x".repeat(1023)),
        "cut or mixed lines"
    );
    assert_eq!(kept.count(), (16 << 10) - 64);
}

/// A timed-out `Tail` invocation whose handler left a process behind that logs without end:
/// the watchdog still answers with the timeout and the log's tail, and the process left
/// behind, whose log nobody reads once the invocation is over, ends (before, it wrote into an
/// in-memory file that grew for as long as it ran).
#[test]
fn a_process_left_logging_cannot_hold_a_timed_out_tail_invocation() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")]);
    let started = Instant::now();
    let answer = server.invoke_with(&[("X-Amz-Log-Type", "Tail")], b"orphan-spew:5000");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_error(
        &answer,
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
    );
    let encoded = answer.header("x-amz-log-result").expect("X-Amz-Log-Result");
    let tail = String::from_utf8_lossy(&decode_base64(encoded).unwrap()).into_owned();
    let id = answer.header("x-amzn-requestid").unwrap();
    let end = tail.find("\nEND RequestId: ").expect("END") + 1;
    let report = Report::parse(tail[end..].lines().nth(1).unwrap());
    assert_eq!(report.request_id, id);
    assert_eq!(report.rest, "Status: 200\tError: Sandbox.Timedout");
    // The process left behind has ended.
    let stderr = server.wait_for_log("orphan ", 1);
    let orphan = stderr
        .split("orphan ")
        .nth(1)
        .unwrap()
        .split('\n')
        .next()
        .unwrap();
    let orphan: u32 = orphan.parse().unwrap();
    assert!(
        eventually(Duration::from_secs(5), || !is_alive(orphan)),
        "process {orphan} still runs"
    );
    // And the server goes on.
    assert_eq!(server.invoke(b"count").text(), "1");
}

#[test]
fn tail_answers_carry_the_end_of_the_invocations_log() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")]);
    let tail = |answer: &Answer| {
        let encoded = answer.header("x-amz-log-result").expect("X-Amz-Log-Result");
        String::from_utf8(decode_base64(encoded).unwrap()).unwrap()
    };
    let answer = server.invoke_with(&[("X-Amz-Log-Type", "Tail")], b"lines:3");
    assert_eq!(answer.text(), "logged");
    let id = answer.header("x-amzn-requestid").unwrap();
    let log = tail(&answer);
    assert!(
        log.contains("probe log line 1\nprobe log line 2\nprobe log line 3\nEND RequestId: "),
        "{log}"
    );
    let _ = assert_lambda_lines(&log, id);
    // Only the last 4 KB, as Lambda's; and the whole log still reaches stderr.
    let answer = server.invoke_with(&[("X-Amz-Log-Type", "Tail")], b"lines:1000");
    let log = tail(&answer);
    assert_eq!(log.len(), 4096);
    assert!(log.contains("\nprobe log line 999\nprobe log line 1000\nEND RequestId: "));
    server.wait_for_log("probe log line 1000", 1);
    server.wait_for_log("probe log line ", 3 + 1000);
    // A timeout's answer has the tail too, the watchdog's line included.
    let answer = server.invoke_with(&[("X-Amz-Log-Type", "Tail")], b"sleep:20000");
    assert_error(
        &answer,
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
    );
    assert!(
        tail(&answer).contains(": timed out after 1 s"),
        "{}",
        tail(&answer)
    );
    // Afterwards stderr is the real one again: no tail without Tail.
    let answer = server.invoke(b"lines:1");
    assert_eq!(answer.header("x-amz-log-result"), None);
    server.wait_for_log("probe log line ", 3 + 1000 + 1);
}

#[test]
fn response_streams_are_answered_as_event_streams() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")]);
    let answer = server.send_raw(stream_request("", "stream:100000:4096").as_bytes());
    assert_eq!(answer.status, 200);
    assert!(answer.chunked && answer.trailers.is_empty());
    assert_eq!(
        answer.header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(answer.header("x-amz-executed-version"), Some("$LATEST"));
    let mut events = decode_events(&answer.body).unwrap();
    let complete = events.pop().unwrap();
    assert_eq!(complete.event_type, "InvokeComplete");
    assert_eq!(complete.content_type, "application/json");
    assert_eq!(complete.payload, b"{}");
    assert_eq!(events.len(), 100000 / 4096 + 1, "one event per piece");
    let mut body = Vec::new();
    for event in &events {
        assert_eq!(event.event_type, "PayloadChunk");
        assert_eq!(event.content_type, "application/octet-stream");
        body.extend_from_slice(&event.payload);
    }
    assert!(body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8) && body.len() == 100000);

    // A timeout is InvokeComplete's error, as Lambda's.
    let answer = server.send_raw(stream_request("", "sleep:20000").as_bytes());
    let events = decode_events(&answer.body).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let complete: serde_json::Value = serde_json::from_slice(&events[0].payload).unwrap();
    assert_eq!(complete["ErrorCode"], "Sandbox.Timedout", "{complete}");
    let details: serde_json::Value =
        serde_json::from_str(complete["ErrorDetails"].as_str().unwrap()).unwrap();
    assert!(
        details["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Task timed out after 1.00 seconds"),
        "{details}"
    );

    // A crash mid-stream ends the stream with its error too (see the test below).
    let answer = server.send_raw(stream_request("", "stream-crash:100").as_bytes());
    let events = decode_events(&answer.body).unwrap();
    let complete: serde_json::Value =
        serde_json::from_slice(&events.last().unwrap().payload).unwrap();
    assert_eq!(complete["ErrorCode"], "Runtime.ExitError", "{complete}");
    server.wait_for_log("Status: 200\tError: Runtime.ExitError", 1);
    assert_eq!(
        server
            .send_raw(stream_request("", "done").as_bytes())
            .status,
        200
    );
}

/// The events of an `InvokeWithResponseStream` answer: the payload joined, and
/// `InvokeComplete`'s JSON, which must be the last event.
fn stream_events(answer: &Answer) -> (Vec<u8>, serde_json::Value) {
    assert_eq!(answer.status, 200, "{answer:?}");
    let mut events = decode_events(&answer.body).unwrap();
    let complete = events.pop().expect("no events");
    assert_eq!(complete.event_type, "InvokeComplete", "{complete:?}");
    let body = events.iter().flat_map(|e| e.payload.clone()).collect();
    (body, serde_json::from_slice(&complete.payload).unwrap())
}

/// `InvokeComplete`'s `ErrorDetails`, a JSON string, parsed as the error document it holds.
fn error_details(complete: &serde_json::Value) -> serde_json::Value {
    let details = complete["ErrorDetails"].as_str();
    let details = details.unwrap_or_else(|| panic!("ErrorDetails is not a string: {complete}"));
    serde_json::from_str(details).unwrap_or_else(|e| panic!("ErrorDetails ({e}): {details}"))
}

/// Messages whose document needs more room than usual as a JSON string (each control byte is
/// `\\u0001` there, seven bytes) still make `ErrorDetails` the whole document, as the same
/// errors answered to `Invoke` are (before, a bare "error details too large").
#[test]
fn error_details_hold_the_whole_document_for_the_longest_messages() {
    let mut server = LocalServer::start(&probe_program(), &[]);
    for message in ["\u{1}".repeat(2400), "\"".repeat(4096), "\\".repeat(4096)] {
        let event = format!("error:{message}");
        let answer = server.send_raw(stream_request("", &event).as_bytes());
        let (body, complete) = stream_events(&answer);
        assert!(body.is_empty());
        assert_eq!(complete["ErrorCode"], "Function.Probe");
        let details = error_details(&complete);
        assert_eq!(details["errorType"], "Function.Probe", "{details}");
        assert_eq!(details["errorMessage"], message.as_str());
        // The same document as Invoke's.
        let plain = server.invoke(event.as_bytes());
        assert_eq!(plain.json(), details);
    }
}

/// A crash (`stream-crash`) or a timeout (`stream-pause` past the 1 s timeout) after some
/// pieces ends the stream as a failure mid-stream does: `InvokeComplete` with the error, or
/// the terminating chunk with the error trailers for `Invoke` (before, the stream was cut:
/// "Response ended prematurely" in boto3).
#[test]
fn a_crash_or_a_timeout_mid_stream_ends_the_stream_with_its_error() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")]);
    let cases = [
        (
            "stream-crash:5000",
            5000,
            "Runtime.ExitError",
            "Runtime exited",
        ),
        (
            "stream-pause:3000",
            5,
            "Sandbox.Timedout",
            "Task timed out after 1.00 seconds",
        ),
    ];
    for (event, streamed, error_type, message) in cases {
        let answer = server.send_raw(stream_request("", event).as_bytes());
        let (body, complete) = stream_events(&answer);
        assert_eq!(body.len(), streamed, "{event}");
        assert_eq!(complete["ErrorCode"], error_type, "{event}: {complete}");
        let details = error_details(&complete);
        assert_eq!(details["errorType"], error_type);
        let text = details["errorMessage"].as_str().unwrap();
        assert!(text.contains(message), "{event}: {text}");

        let answer = server.invoke(event.as_bytes());
        assert!(answer.chunked, "{event}");
        assert_eq!(answer.body.len(), streamed, "{event}");
        assert_eq!(
            answer.trailer("Lambda-Runtime-Function-Error-Type"),
            Some(error_type),
            "{event}: {answer:?}"
        );
        let body = answer
            .trailer("Lambda-Runtime-Function-Error-Body")
            .unwrap();
        let error = parse_error_trailer(body).unwrap();
        assert_eq!(error.error_type, error_type);
        assert!(error.message.contains(message), "{}", error.message);
    }
    // And the server goes on.
    assert_eq!(server.invoke(b"done").text(), "done");
}

/// A caller that stops reading a streamed answer (its receive buffer full) is said to have
/// stopped reading, once `LAMBDA_LOCAL_CALLER_TIMEOUT` (1 s) has passed; before, the log said
/// it had closed the connection.
#[test]
fn a_caller_who_stops_reading_a_stream_is_said_to_have_stopped() {
    let env = [("LAMBDA_LOCAL_CALLER_TIMEOUT", "1")];
    let mut server = LocalServer::start(&probe_program(), &env);
    let mut deaf = server.connect();
    shrink_receive_buffer(&deaf);
    let event = "stream:20000000:65536";
    let request = format!(
        "POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{event}",
        event.len()
    );
    deaf.write_all(request.as_bytes()).unwrap();
    let log = server.wait_for_log(" broke: ", 1);
    assert!(
        log.contains(" broke: the caller stopped reading it for LAMBDA_LOCAL_CALLER_TIMEOUT"),
        "{log}"
    );
    assert!(!log.contains("closed the connection"), "{log}");
    drop(deaf);
}

/// Shrinks a socket's receive buffer, so that a caller who does not read holds back an answer
/// of a few megabytes at once, rather than after whatever the kernel would buffer.
fn shrink_receive_buffer(stream: &std::net::TcpStream) {
    let set = sockopt::set_int(stream, sockopt::SOL_SOCKET, sockopt::SO_RCVBUF, 4096);
    set.expect("SO_RCVBUF");
}

/// A caller that never reads its (5 MB) answer: after `LAMBDA_LOCAL_CALLER_TIMEOUT` (2 s)
/// the answer is dropped with a log line and the invocation's REPORT; the server stays warm
/// (the same process answers next), although the function's timeout (1 s) passed meanwhile:
/// the handler had returned, so no one is killed and nothing is said to have timed out.
#[test]
fn a_caller_who_never_reads_its_answer_is_dropped_and_the_server_stays_warm() {
    let env = [
        ("AWS_LAMBDA_FUNCTION_TIMEOUT", "1"),
        ("LAMBDA_LOCAL_CALLER_TIMEOUT", "2"),
    ];
    let mut server = LocalServer::start(&probe_program(), &env);
    let pid = server.invoke(b"sleep:0").text();
    let mut deaf = server.connect();
    shrink_receive_buffer(&deaf);
    let request = format!("POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: 11\r\n\r\nbig:5000000");
    deaf.write_all(request.as_bytes()).unwrap();
    server.wait_for_log("REPORT", 1); // the first invocation's
    let answer = server.invoke(b"sleep:0");
    assert_eq!(answer.text(), pid, "the same warm process answers");
    let log = server.wait_for_log("REPORT", 3);
    assert_eq!(
        log.matches(": answer dropped: the caller did not take it within LAMBDA_LOCAL_CALLER_TIMEOUT, or left").count(),
        1,
        "{log}"
    );
    assert!(!log.contains("timed out"), "{log}");
    drop(deaf);
}

/// A caller that sends its request a byte at a time, each byte well within any per-read
/// limit, gets a 408 when the one deadline for the whole request (1 s here) has passed.
#[test]
fn a_caller_who_sends_slowly_gets_408_at_the_one_deadline_for_the_whole_request() {
    let mut server = LocalServer::start(
        &bootstrap_program(),
        &[("LAMBDA_LOCAL_CALLER_TIMEOUT", "1")],
    );
    let mut slow = server.connect();
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let request = format!("POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
    let mut answer = Vec::new();
    let mut sent = 0;
    for byte in request.as_bytes() {
        if slow.write_all(&[*byte]).is_err() {
            break;
        }
        sent += 1;
        let mut buf = [0u8; 1024];
        match slow.read(&mut buf) {
            Ok(0) | Err(_) if !answer.is_empty() => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if answer.ends_with(b"}") {
            break;
        }
    }
    let answer = Answer::parse(&answer)
        .unwrap_or_else(|e| server.fail(&format!("{e} after {sent} of {} bytes", request.len())));
    assert_eq!(answer.status, 408, "{}", answer.text());
    assert!(
        sent < request.len(),
        "the whole request was read ({sent} bytes)"
    );
    // And the server goes on.
    assert_eq!(server.invoke(b"next").text(), "Hello: next");
}

/// Connections that sent nothing do not stand in front of a caller that sent its request
/// (before, three of them made it wait three times the 10 s timeout).
#[test]
fn idle_connections_do_not_delay_a_caller_who_sent_its_request() {
    let mut server = LocalServer::start(&bootstrap_program(), &[]);
    let idle: Vec<_> = (0..3).map(|_| server.connect()).collect();
    thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    assert_eq!(server.invoke(b"first").text(), "Hello: first");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    drop(idle);
}

/// A connection that stays idle is answered 408 once the caller timeout (1 s here) has
/// passed, and the server goes on.
#[test]
fn an_idle_connection_gets_408_after_the_caller_timeout() {
    let mut server = LocalServer::start(
        &bootstrap_program(),
        &[("LAMBDA_LOCAL_CALLER_TIMEOUT", "1")],
    );
    let idle = server.connect();
    let answer = server.read_answer(idle);
    assert_eq!(answer.status, 408, "{}", answer.text());
    assert_eq!(server.invoke(b"next").text(), "Hello: next");
}

/// Out of descriptors (`ulimit -n 4`: the listener is the last one), `accept` fails: the
/// server says so once, and backs off, rather than retrying silently every 10 ms.
#[test]
fn out_of_descriptors_is_said_once() {
    if runner().is_some() {
        skip::not_applicable("under an emulator, `ulimit -n 4` leaves the emulator no descriptors");
        return;
    }
    let wrapper = ["sh", "-c", "ulimit -n 6 && exec \"$0\""];
    let mut server = LocalServer::start_wrapped(&wrapper, "127.0.0.1", &bootstrap_program(), &[]);
    let mut caller = server.connect();
    caller
        .write_all(format!("POST {INVOKE_PATH} HTTP/1.1\r\nContent-Length: 0\r\n\r\n").as_bytes())
        .unwrap();
    server.wait_for_log("cannot accept a connection", 1);
    thread::sleep(Duration::from_millis(500));
    let log = server.process.stderr();
    assert_eq!(
        log.matches("cannot accept a connection").count(),
        1,
        "{log}"
    );
}
