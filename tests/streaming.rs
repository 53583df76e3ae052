//! Integration tests of streamed responses: the `probe` bootstrap streams pattern bytes
//! (`offset % 251`) through `stream:N:M` and its kin (see examples/probe.rs), and the fake
//! Runtime API decodes the chunked `POST .../response`, its chunk sizes and its trailers.
//!
//! Every body is checked byte for byte: kept and compared for the smaller ones, checked as it
//! arrives by the server for the 200 MiB one (`Invocation::expect_body`). Every test also has
//! a buffered invocation after its streamed ones, which must be answered normally. Every wait
//! is bounded (see `support`), so a broken stream fails a test rather than hanging it.

use crate::support;

use std::time::{Duration, Instant};

use support::*;

const TRAILER_DECLARATION: &str =
    "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body";
const ERROR_TYPE_TRAILER: &str = "Lambda-Runtime-Function-Error-Type";
const ERROR_BODY_TRAILER: &str = "Lambda-Runtime-Function-Error-Body";
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";
const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The pattern the probe streams
// ---------------------------------------------------------------------------------------------

/// The probe's pattern bytes at stream offsets `offset..offset + out.len()` (byte `o` is
/// `o % 251`); an [`ExpectedBody`] for the server's running check.
fn pattern(offset: u64, out: &mut [u8]) {
    let mut value = (offset % 251) as u8;
    for byte in out {
        *byte = value;
        value = if value == 250 { 0 } else { value + 1 };
    }
}

fn pattern_bytes(offset: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    pattern(offset, &mut bytes);
    bytes
}

/// The chunk sizes of `total` bytes streamed in pieces of `piece`.
fn pieces(total: usize, piece: usize) -> Vec<usize> {
    let mut sizes = vec![piece; total / piece];
    if total % piece != 0 {
        sizes.push(total % piece);
    }
    sizes
}

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
    let around =
        |bytes: &[u8]| bytes[first.min(bytes.len())..(first + 16).min(bytes.len())].to_vec();
    Some(format!(
        "{} bytes instead of {}; first difference at byte {first}: got {:?}, expected {:?}",
        actual.len(),
        expected.len(),
        around(actual),
        around(expected)
    ))
}

fn header_is(run: &mut Run, post: &Request, name: &str, expected: &str) {
    let value = post.header(name);
    if value != Some(expected) {
        run.fail(&format!(
            "{name} is {value:?}, expected {expected:?} in {}",
            post.summary()
        ));
    }
}

/// The post must be the streamed `/response` of `request_id`: the streaming head (mode,
/// chunked, content type, the error trailers declared, no Content-Length), a chunked body.
fn assert_streamed_head(run: &mut Run, post: &Request, request_id: &str, content_type: &str) {
    if post.route != Route::Response(request_id.to_string()) || post.method != "POST" {
        run.fail(&format!(
            "expected the streamed /response of {request_id:?}, got {}",
            post.summary()
        ));
    }
    header_is(
        run,
        post,
        "Lambda-Runtime-Function-Response-Mode",
        "streaming",
    );
    header_is(run, post, "Transfer-Encoding", "chunked");
    header_is(run, post, "Content-Type", content_type);
    header_is(run, post, "Trailer", TRAILER_DECLARATION);
    if post.header("Content-Length").is_some() || !post.chunked {
        run.fail(&format!(
            "a streamed response must be chunked and carry no Content-Length: {}",
            post.summary()
        ));
    }
}

/// A successful stream ends with the zero chunk and no trailers.
fn assert_no_trailers(run: &mut Run, post: &Request) {
    if !post.trailers.is_empty() {
        run.fail(&format!(
            "a successful stream carries trailers {:?}",
            post.trailers
        ));
    }
}

/// The body must be exactly `len` pattern bytes: compared byte for byte, or, if the server
/// checked it as it arrived, by the server's verdict and the bytes it kept.
fn assert_pattern_body(run: &mut Run, post: &Request, len: usize) {
    if post.body_len != len as u64 {
        run.fail(&format!(
            "streamed body of {} bytes, expected {len}",
            post.body_len
        ));
    }
    match post.body_check {
        None => {
            if let Some(mismatch) = byte_mismatch(&post.body, &pattern_bytes(0, len)) {
                run.fail(&format!("wrong streamed body: {mismatch}"));
            }
        }
        Some(BodyCheck::Matched) => {
            let kept = len.min(KEPT_WHEN_CHECKED);
            if let Some(mismatch) = byte_mismatch(&post.body, &pattern_bytes(0, kept)) {
                run.fail(&format!("wrong start of the streamed body: {mismatch}"));
            }
        }
        Some(BodyCheck::Differs {
            offset,
            got,
            expected,
        }) => run.fail(&format!(
            "wrong streamed body: byte {offset} is {got}, expected {expected}"
        )),
    }
}

fn assert_chunk_sizes(run: &mut Run, post: &Request, expected: &[usize]) {
    if post.chunk_sizes != expected {
        let shown = |sizes: &[usize]| {
            if sizes.len() <= 12 {
                format!("{sizes:?}")
            } else {
                format!(
                    "{} chunks: {:?} ... {:?}",
                    sizes.len(),
                    &sizes[..4],
                    &sizes[sizes.len() - 4..]
                )
            }
        };
        run.fail(&format!(
            "chunk sizes {}, expected {}",
            shown(&post.chunk_sizes),
            shown(expected)
        ));
    }
}

/// The stream must end with the error trailers: the type, and the base64 of a JSON error
/// document of that type. Returns the error message.
fn assert_error_trailers(run: &mut Run, post: &Request, error_type: &str) -> String {
    let names: Vec<&str> = post.trailers.iter().map(|(n, _)| n.as_str()).collect();
    if names != [ERROR_TYPE_TRAILER, ERROR_BODY_TRAILER] {
        run.fail(&format!(
            "trailers {names:?}, expected [{ERROR_TYPE_TRAILER:?}, {ERROR_BODY_TRAILER:?}]"
        ));
    }
    let trailer_type = post.trailer(ERROR_TYPE_TRAILER);
    if trailer_type != Some(error_type) {
        run.fail(&format!(
            "{ERROR_TYPE_TRAILER} is {trailer_type:?}, expected {error_type:?}"
        ));
    }
    let body = post.trailer(ERROR_BODY_TRAILER).unwrap_or_default();
    let error = match parse_error_trailer(body) {
        Ok(error) => error,
        Err(problem) => run.fail(&problem),
    };
    if error.error_type != error_type {
        run.fail(&format!(
            "errorType in the trailer is {:?}, expected {error_type:?}",
            error.error_type
        ));
    }
    error.message
}

/// The post must be the plain (buffered) `/response` of `request_id` with exactly `body`.
fn assert_buffered_response(run: &mut Run, post: &Request, request_id: &str, body: &[u8]) {
    if post.route != Route::Response(request_id.to_string()) {
        run.fail(&format!(
            "expected the /response of {request_id:?}, got {}",
            post.summary()
        ));
    }
    if post.chunked || post.is_streamed() || post.header("Trailer").is_some() {
        run.fail(&format!(
            "expected a buffered response, got a streamed one: {}",
            post.summary()
        ));
    }
    header_is(run, post, "Content-Length", &body.len().to_string());
    if let Some(mismatch) = byte_mismatch(&post.body, body) {
        run.fail(&format!(
            "wrong response body for {request_id:?}: {mismatch}"
        ));
    }
}

/// The buffered invocation every test ends with.
fn sentinel(request_id: &str) -> Invocation {
    Invocation::new(request_id, "sentinel event")
}

fn assert_sentinel(run: &mut Run, post: &Request, request_id: &str) {
    assert_buffered_response(run, post, request_id, b"sentinel event");
}

/// Streams `stream:{len}:{piece}` then a sentinel; checks the stream whole (head, every
/// byte, chunk sizes, no trailers) and the sentinel. Returns the run for further checks.
fn assert_streams_pattern(len: usize, piece: usize, checked_by_server: bool) -> Run {
    let mut invocation = Invocation::new("stream-1", format!("stream:{len}:{piece}"));
    if checked_by_server {
        invocation = invocation.expect_body(pattern);
    }
    let script = Script::new()
        .invoke(invocation)
        .invoke(sentinel("after-stream-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    assert_streamed_head(&mut run, &posts[0], "stream-1", "text/plain");
    assert_pattern_body(&mut run, &posts[0], len);
    assert_chunk_sizes(&mut run, &posts[0], &pieces(len, piece));
    assert_no_trailers(&mut run, &posts[0]);
    assert_sentinel(&mut run, &posts[1], "after-stream-1");
    if posts.len() != 2 {
        run.fail(&format!("{} posts, expected 2", posts.len()));
    }
    run.assert_no_violations();
    run
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

/// `stream:0:M` never calls `stream` (the probe's loop has nothing to send), and a handler that
/// never streams answers with a buffered response: here an empty one.
#[test]
fn stream_of_zero_bytes_is_an_empty_buffered_response() {
    let script = Script::new()
        .invoke(Invocation::new("zero-1", "stream:0:1"))
        .invoke(sentinel("after-zero-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    assert_buffered_response(&mut run, &posts[0], "zero-1", b"");
    assert_sentinel(&mut run, &posts[1], "after-zero-1");
    run.assert_no_violations();
}

#[test]
fn stream_of_one_byte() {
    assert_streams_pattern(1, 1, false);
}

#[test]
fn stream_of_10_mib_in_pieces_of_1000_bytes() {
    assert_streams_pattern(10 * MIB, 1000, false);
}

/// 200 MiB in 64 KiB pieces, every byte checked by the server as it arrives; the bootstrap's
/// peak resident memory, sampled while it streams and read again after, stays small: the
/// pieces are sent from where the handler has them, and the 6 MiB buffers stay untouched.
#[test]
fn stream_of_200_mib_passes_whole_while_memory_stays_flat() {
    const LEN: usize = 200 * MIB;
    const PIECE: usize = 65536;
    const MEMORY_LIMIT_KIB: u64 = 2048;
    let started = Instant::now();
    let script = Script::new()
        .invoke(Invocation::new("huge-1", format!("stream:{LEN}:{PIECE}")).expect_body(pattern))
        .invoke(sentinel("after-huge-1"));
    let mut run = Run::probe(script);
    // Sample the peak while the stream passes (the post is recorded when it has ended).
    let mut samples = vec![];
    while run
        .api
        .wait_for_posts(1, Duration::from_millis(50))
        .is_err()
    {
        if started.elapsed() > WAIT_LIMIT || run.process.exit_status().is_some() {
            break;
        }
        samples.extend(run.process.peak_memory_kib());
    }
    let posts = run.wait_for_posts(2);
    let elapsed = started.elapsed();
    assert_streamed_head(&mut run, &posts[0], "huge-1", "text/plain");
    assert_pattern_body(&mut run, &posts[0], LEN);
    assert_chunk_sizes(&mut run, &posts[0], &pieces(LEN, PIECE));
    assert_no_trailers(&mut run, &posts[0]);
    assert_sentinel(&mut run, &posts[1], "after-huge-1");
    run.assert_no_violations();
    if runner().is_some() {
        eprintln!("memory not checked: under an emulator, VmHWM is the emulator's");
        return;
    }
    let Some(peak) = run.process.peak_memory_kib() else {
        run.fail("cannot read the bootstrap's VmHWM from /proc");
    };
    eprintln!(
        "200 MiB streamed in {elapsed:?}; bootstrap VmHWM {peak} KiB ({} samples while \
         streaming, largest {:?} KiB)",
        samples.len(),
        samples.iter().max()
    );
    if peak >= MEMORY_LIMIT_KIB {
        run.fail(&format!(
            "the bootstrap's peak resident memory is {peak} KiB after streaming 200 MiB \
             (limit {MEMORY_LIMIT_KIB} KiB)"
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// What the handler leaves in the buffer, and the content type
// ---------------------------------------------------------------------------------------------

/// `stream-rest:N:M` streams all but the last piece and leaves that in the buffer: it is sent
/// as the last chunk. The probe sets no content type there, so it is the default. With
/// N <= M nothing is streamed, and the whole is a buffered response.
#[test]
fn the_buffer_left_after_streaming_is_the_last_chunk() {
    let script = Script::new()
        .invoke(Invocation::new("rest-1", "stream-rest:10000:3000"))
        .invoke(Invocation::new("rest-2", "stream-rest:100:4096"))
        .invoke(sentinel("after-rest"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(3);
    assert_streamed_head(&mut run, &posts[0], "rest-1", "application/octet-stream");
    assert_pattern_body(&mut run, &posts[0], 10000);
    assert_chunk_sizes(&mut run, &posts[0], &[3000, 3000, 1000, 3000]);
    assert_no_trailers(&mut run, &posts[0]);
    assert_buffered_response(&mut run, &posts[1], "rest-2", &pattern_bytes(0, 100));
    assert_sentinel(&mut run, &posts[2], "after-rest");
    run.assert_no_violations();
}

/// The HTTP-integration prelude: its content type, then the JSON prelude as the first chunk
/// and the eight NUL bytes as the second (cargo-lambda's emulator reads them so, as
/// lambda_runtime sends them), then the body.
#[test]
fn http_prelude_response_is_byte_exact() {
    const PRELUDE: &[u8] = br#"{"statusCode":201,"headers":{"Content-Type":"text/html","X-Probe":"yes"},"cookies":["a=1","b=2; Path=/"]}"#;
    let mut expected = PRELUDE.to_vec();
    expected.extend_from_slice(&[0; 8]);
    expected.extend_from_slice(b"hi");
    let script = Script::new()
        .invoke(Invocation::new("prelude-1", "prelude"))
        .invoke(sentinel("after-prelude-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    assert_streamed_head(&mut run, &posts[0], "prelude-1", HTTP_INTEGRATION);
    if let Some(mismatch) = byte_mismatch(&posts[0].body, &expected) {
        run.fail(&format!("wrong prelude response: {mismatch}"));
    }
    assert_chunk_sizes(&mut run, &posts[0], &[PRELUDE.len(), 8, 2]);
    assert_no_trailers(&mut run, &posts[0]);
    assert_sentinel(&mut run, &posts[1], "after-prelude-1");
    run.assert_no_violations();
}

#[test]
fn invocation_id_is_echoed_on_a_streamed_post() {
    let script = Script::new()
        .invoke(
            Invocation::new("echo-id-1", "stream:5000:4096")
                .header("Lambda-Runtime-Invocation-Id", "inv-stream-1"),
        )
        .invoke(sentinel("after-echo-id-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    assert_streamed_head(&mut run, &posts[0], "echo-id-1", "text/plain");
    header_is(
        &mut run,
        &posts[0],
        "Lambda-Runtime-Invocation-Id",
        "inv-stream-1",
    );
    assert_pattern_body(&mut run, &posts[0], 5000);
    assert_sentinel(&mut run, &posts[1], "after-echo-id-1");
    if posts[1].header("Lambda-Runtime-Invocation-Id").is_some() {
        run.fail("the sentinel had no invocation id, yet its post carries one");
    }
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// Failures mid-stream
// ---------------------------------------------------------------------------------------------

/// A handler error after streaming: the streamed bytes, then the zero chunk with the error in
/// trailers, on the same post (a second post for the invocation would be refused).
#[test]
fn failure_mid_stream_ends_the_stream_with_error_trailers() {
    let script = Script::new()
        .invoke(Invocation::new("fail-1", "stream-fail:10000"))
        .invoke(sentinel("after-fail-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    assert_streamed_head(&mut run, &posts[0], "fail-1", "application/octet-stream");
    assert_pattern_body(&mut run, &posts[0], 10000);
    assert_chunk_sizes(&mut run, &posts[0], &[4096, 4096, 1808]);
    let message = assert_error_trailers(&mut run, &posts[0], "Function.StreamProbe");
    if message != "failed mid-stream" {
        run.fail(&format!(
            "errorMessage {message:?}, expected \"failed mid-stream\""
        ));
    }
    assert_sentinel(&mut run, &posts[1], "after-fail-1");
    run.assert_no_violations();
}

/// The same failure before anything was streamed is an ordinary `/error` post.
#[test]
fn failure_before_streaming_is_an_error_post() {
    let script = Script::new()
        .invoke(Invocation::new("fail-0", "stream-fail:0"))
        .invoke(sentinel("after-fail-0"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    if posts[0].route != Route::Error("fail-0".into()) || posts[0].chunked {
        run.fail(&format!(
            "expected a buffered /error of \"fail-0\", got {}",
            posts[0].summary()
        ));
    }
    header_is(
        &mut run,
        &posts[0],
        "Lambda-Runtime-Function-Error-Type",
        "Function.StreamProbe",
    );
    match parse_error_body(&posts[0].body) {
        Ok(error)
            if error.message == "failed mid-stream"
                && error.error_type == "Function.StreamProbe" => {}
        Ok(error) => run.fail(&format!("unexpected error document {error:?}")),
        Err(problem) => run.fail(&problem),
    }
    assert_sentinel(&mut run, &posts[1], "after-fail-0");
    run.assert_no_violations();
}

/// A panic after streaming: the panic handler ends the stream on its connection with
/// `Runtime.HandlerPanic` trailers, and the process exits (101, as a panic always does).
#[test]
fn panic_mid_stream_ends_the_stream_with_handler_panic_trailers_then_exits() {
    let script = Script::new()
        .invoke(Invocation::new("panic-1", "stream-panic:10000"))
        .invoke(sentinel("after-panic-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(1);
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_streamed_head(&mut run, &posts[0], "panic-1", "application/octet-stream");
    assert_pattern_body(&mut run, &posts[0], 10000);
    assert_chunk_sizes(&mut run, &posts[0], &[4096, 4096, 1808]);
    let message = assert_error_trailers(&mut run, &posts[0], "Runtime.HandlerPanic");
    if !message.contains("probe panic mid-stream") {
        run.fail(&format!(
            "panic errorMessage {message:?} does not contain \"probe panic mid-stream\""
        ));
    }
    if status.code() != Some(101) {
        run.fail(&format!(
            "after a panic: expected exit status 101, got {status}"
        ));
    }
    // Nothing else: no /error post for the same invocation, no further invocation.
    let posts = run.api.posts();
    if posts.len() != 1 {
        run.fail(&format!("{} posts, expected only the stream", posts.len()));
    }
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

/// Streams, buffered responses and errors alternate on one keep-alive connection.
#[test]
fn streamed_and_buffered_responses_alternate_on_one_connection() {
    let script = Script::new()
        .invoke(Invocation::new("mix-1", "stream:70000:4096"))
        .invoke(Invocation::new("mix-2", "plain event"))
        .invoke(Invocation::new("mix-3", "stream-fail:5000"))
        .invoke(Invocation::new("mix-4", "prelude"))
        .invoke(Invocation::new("mix-5", "error:plain failure"))
        .invoke(Invocation::new("mix-6", "stream-rest:9000:4000"))
        .invoke(sentinel("mix-7"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(7);
    assert_streamed_head(&mut run, &posts[0], "mix-1", "text/plain");
    assert_pattern_body(&mut run, &posts[0], 70000);
    assert_no_trailers(&mut run, &posts[0]);
    assert_buffered_response(&mut run, &posts[1], "mix-2", b"plain event");
    assert_streamed_head(&mut run, &posts[2], "mix-3", "application/octet-stream");
    assert_pattern_body(&mut run, &posts[2], 5000);
    assert_error_trailers(&mut run, &posts[2], "Function.StreamProbe");
    assert_streamed_head(&mut run, &posts[3], "mix-4", HTTP_INTEGRATION);
    assert_no_trailers(&mut run, &posts[3]);
    if posts[4].route != Route::Error("mix-5".into()) || posts[4].chunked {
        run.fail(&format!(
            "expected the /error of mix-5, got {}",
            posts[4].summary()
        ));
    }
    assert_streamed_head(&mut run, &posts[5], "mix-6", "application/octet-stream");
    assert_pattern_body(&mut run, &posts[5], 9000);
    assert_chunk_sizes(&mut run, &posts[5], &[4000, 1000, 4000]);
    assert_sentinel(&mut run, &posts[6], "mix-7");
    let connections = run.api.connections();
    if connections != 1 || posts.iter().any(|post| post.connection != 1) {
        run.fail(&format!(
            "expected everything on one keep-alive connection, saw {connections}"
        ));
    }
    run.assert_no_violations();
}

/// The server ends the connection after handing out a streaming invocation (`after`): the
/// bootstrap must find out before it starts the stream (a stream cannot be resent) and send
/// it whole on a new connection.
fn assert_stream_survives_a_closed_connection(after: AfterReply) {
    let script = Script::new()
        .invoke(Invocation::new("closed-1", "stream:100000:4096").after_event(after))
        .invoke(sentinel("after-closed-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(2);
    assert_streamed_head(&mut run, &posts[0], "closed-1", "text/plain");
    assert_pattern_body(&mut run, &posts[0], 100000);
    assert_chunk_sizes(&mut run, &posts[0], &pieces(100000, 4096));
    assert_no_trailers(&mut run, &posts[0]);
    assert_sentinel(&mut run, &posts[1], "after-closed-1");
    // The premise: the invocation was handed out on connection 1, which the server closed.
    let next = run
        .api
        .requests()
        .into_iter()
        .find(|r| r.route == Route::Next);
    if next.map(|r| r.connection) != Some(1) || posts[0].connection == 1 {
        run.fail("expected the /next on connection 1 and the stream on a later one");
    }
    run.assert_no_violations();
}

/// As an idle timeout in a proxy would: no notice, just the FIN (with the event's last bytes,
/// so it has arrived when the handler starts streaming).
#[test]
fn stream_after_the_server_closed_the_idle_connection_arrives_whole() {
    assert_stream_survives_a_closed_connection(AfterReply::AbruptClose);
}

#[test]
fn stream_after_an_event_with_connection_close_arrives_whole() {
    assert_stream_survives_a_closed_connection(AfterReply::ConnectionClose);
}

/// The connection closed after the previous post's reply: the `/next` reconnects, and the
/// stream follows on that connection.
#[test]
fn stream_after_a_post_reply_that_closed_the_connection_arrives_whole() {
    let script = Script::new()
        .invoke(Invocation::new("before-1", "plain event").then(AfterReply::AbruptClose))
        .invoke(Invocation::new("stream-2", "stream:100000:4096"))
        .invoke(sentinel("after-stream-2"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(3);
    assert_buffered_response(&mut run, &posts[0], "before-1", b"plain event");
    assert_streamed_head(&mut run, &posts[1], "stream-2", "text/plain");
    assert_pattern_body(&mut run, &posts[1], 100000);
    assert_no_trailers(&mut run, &posts[1]);
    assert_sentinel(&mut run, &posts[2], "after-stream-2");
    if posts[1].connection == posts[0].connection {
        run.fail("the stream went on the connection the server had closed");
    }
    run.assert_no_violations();
}
