//! Fault injection: a Runtime API that misbehaves on purpose (issue 7).
//!
//! Every case checks the same contract: the bootstrap says what happened on stderr (a
//! `bootstrap:` line), then either serves the next invocation (each fault is followed in the
//! script by a normal invocation whose echo must come back) or exits with a non-zero status
//! within a bound; it never dies of a signal, never hangs past a bound, and never posts under
//! an id that was not handed out usably (every post is checked against the list of usable ids,
//! in order).
//!
//! Faults are raw `/next` replies ([`RawReply`]): bytes as given, cut short, paced or paused.
//! The bootstrap gives up after ten failed `/next` in a row, so every fault is followed by a
//! good invocation, which resets that count.
//!
//! Not here: a handler that reports a length beyond its buffer or returns an invalid status.
//! The probe is Rust, whose wrapper cannot do either; the C-ABI cases are unit tests in
//! `src/handler.rs` (`a_length_beyond_the_buffer_is_reported_not_read`,
//! `invalid_error_types_become_the_default`).

use crate::support;

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use support::*;

/// A normal invocation; the probe echoes its event.
fn good(id: &str) -> Invocation {
    Invocation::new(id, format!("event of {id}"))
}

/// A `/next` reply: status line, headers, and the body framed by whatever headers say.
fn reply(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{status_line}\r\n");
    for (name, value) in headers {
        out += &format!("{name}: {value}\r\n");
    }
    out += "\r\n";
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A well-formed 200 reply with a Content-Length body for `id`.
fn valid_reply(id: &str, body: &[u8]) -> Vec<u8> {
    let deadline = deadline_in_five_minutes();
    reply(
        "HTTP/1.1 200 OK",
        &[
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", id),
            ("Lambda-Runtime-Deadline-Ms", &deadline),
            ("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN),
            ("Content-Length", &body.len().to_string()),
        ],
        body,
    )
}

/// The same, with a chunked body (three chunks, an extension and a trailer).
fn valid_chunked_reply(id: &str) -> Vec<u8> {
    let mut out = reply(
        "HTTP/1.1 200 OK",
        &[
            ("Lambda-Runtime-Aws-Request-Id", id),
            ("Transfer-Encoding", "chunked"),
        ],
        b"",
    );
    out.extend_from_slice(b"5;x=y\r\nchunk\r\n1\r\ny\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n");
    out
}

/// What the bootstrap must post, in order: (request id, response body).
type Expected = Vec<(String, Vec<u8>)>;

/// Waits until `expected.len()` posts arrived and the bootstrap waits on `/next` again (the
/// script is used up), then checks every post against `expected`, and that the process lives.
fn assert_served(run: &mut Run, expected: &Expected) {
    run.wait_for_posts(expected.len());
    let deadline = Instant::now() + WAIT_LIMIT;
    while !run.api.is_holding_next() {
        if Instant::now() > deadline {
            run.fail("the bootstrap never came back for more work");
        }
        if run.process.exit_status().is_some() {
            run.fail("the bootstrap exited after the last fault");
        }
        thread::sleep(Duration::from_millis(5));
    }
    let posts = run.api.posts();
    let ids: Vec<String> = posts
        .iter()
        .map(|p| match &p.route {
            Route::Response(id) | Route::Error(id) => id.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    let usable: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    if ids != usable {
        run.fail(&format!(
            "posts under ids {ids:?}; the usable ids handed out were {usable:?}"
        ));
    }
    for (post, (id, body)) in posts.iter().zip(expected) {
        if post.route != Route::Response(id.clone()) || post.body != *body {
            run.fail(&format!(
                "expected the /response of {id:?} with {:?}, got {}",
                String::from_utf8_lossy(body),
                post.summary()
            ));
        }
    }
    if let Some(status) = run.process.exit_status() {
        run.fail(&format!("the bootstrap exited: {status}"));
    }
    run.assert_no_violations();
}

/// Every line on stderr is the runtime's (`bootstrap: ...`), and each of `says` is on one.
fn assert_says(run: &mut Run, says: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stderr = run.process.stderr();
        let missing: Vec<&&str> = says
            .iter()
            .filter(|s| !stderr.lines().any(|line| line.contains(**s)))
            .collect();
        if let Some(line) = stderr.lines().find(|l| !l.starts_with("bootstrap: ")) {
            run.fail(&format!("a stderr line not from the runtime: {line:?}"));
        }
        if missing.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            run.fail(&format!("stderr never said {missing:?}"));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Each fault (a raw reply and what stderr must say about it) followed by a good invocation,
/// in one run of the probe: every good one, and only those, must be answered.
fn assert_faults_then_served(faults: Vec<(RawReply, &str)>) {
    let mut script = Script::new();
    let mut expected = Expected::new();
    let mut says = vec![];
    for (i, (raw, said)) in faults.into_iter().enumerate() {
        let id = format!("good-{i}");
        script = script.raw(raw).invoke(good(&id));
        expected.push((id.clone(), format!("event of {id}").into_bytes()));
        says.push(said);
    }
    let mut run = Run::probe(script);
    assert_served(&mut run, &expected);
    assert_says(&mut run, &says);
    // Each fault said something (some cases above name no exact text).
    let lines = run.process.stderr().lines().count();
    if lines < expected.len() {
        run.fail(&format!(
            "{lines} stderr lines for {} faults",
            expected.len()
        ));
    }
}

/// Valid but unusual replies, each of which must be served (with nothing on stderr).
fn assert_all_served(replies: Vec<(RawReply, &str, &[u8])>) {
    let mut script = Script::new();
    let mut expected = Expected::new();
    for (i, (raw, id, body)) in replies.into_iter().enumerate() {
        let good_id = format!("good-{i}");
        script = script.raw(raw.serves(id)).invoke(good(&good_id));
        expected.push((id.to_string(), body.to_vec()));
        expected.push((good_id.clone(), format!("event of {good_id}").into_bytes()));
    }
    let mut run = Run::probe(script);
    assert_served(&mut run, &expected);
    let stderr = run.process.stderr();
    if !stderr.trim().is_empty() {
        run.fail("stderr should be empty for valid replies");
    }
}

// ---------------------------------------------------------------------------------------------
// The connection closed at every offset of a reply
// ---------------------------------------------------------------------------------------------

/// Cuts `whole(i)` (a reply for id `cut-{i}`, of the same length for every i) after each of its
/// offsets in turn, each cut followed by a good invocation. No cut reply may be answered.
fn assert_cut_everywhere(whole: impl Fn(usize) -> Vec<u8>) {
    let len = whole(0).len();
    // A good invocation first, so that even the cut at offset 0 is on a reused connection.
    let mut script = Script::new().invoke(good("good-first"));
    let mut expected = vec![("good-first".to_string(), b"event of good-first".to_vec())];
    for offset in 0..len {
        let id = format!("good-{offset:04}");
        script = script
            .raw(RawReply::new(whole(offset)).cut_at(offset))
            .invoke(good(&id));
        expected.push((id.clone(), format!("event of {id}").into_bytes()));
    }
    let mut run = Run::probe(script);
    assert_served(&mut run, &expected);
    // Offset 0 is an idle close, retried quietly; the others are truncated replies.
    assert_says(
        &mut run,
        &["GET /next: the Runtime API closed the connection mid-reply"],
    );
    let truncations = run
        .process
        .stderr()
        .lines()
        .filter(|l| l.contains("closed the connection mid-reply"))
        .count();
    if truncations != len - 1 {
        run.fail(&format!(
            "{truncations} truncation messages for {} truncated replies",
            len - 1
        ));
    }
}

#[test]
fn closed_at_every_offset_of_a_content_length_reply() {
    assert_cut_everywhere(|i| valid_reply(&format!("cut-{i:04}"), b"{\"cut\":\"everywhere\"}"));
}

#[test]
fn closed_at_every_offset_of_a_chunked_reply() {
    assert_cut_everywhere(|i| valid_chunked_reply(&format!("cut-{i:04}")));
}

// ---------------------------------------------------------------------------------------------
// Slow replies: byte by byte, long pauses (no timeout on /next, so these are served)
// ---------------------------------------------------------------------------------------------

#[test]
fn replies_byte_by_byte_and_with_long_pauses_are_served() {
    const PAUSE: Duration = Duration::from_millis(1500);
    let body = b"{\"slow\":\"body\"}";
    let plain = valid_reply("slow-1", body);
    let head_len = plain.len() - body.len();
    let chunked = valid_chunked_reply("slow-3");
    let chunked_head = chunked.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_all_served(vec![
        (
            RawReply::new(valid_reply("slow-0", body)).paced(Pacing::byte_by_byte()),
            "slow-0",
            body,
        ),
        (
            RawReply::new(plain.clone()).pause_at(head_len / 2, PAUSE),
            "slow-1",
            body,
        ),
        (
            RawReply::new(valid_reply("slow-2", body)).pause_at(head_len + 5, PAUSE),
            "slow-2",
            body,
        ),
        (
            RawReply::new(chunked.clone())
                .paced(Pacing::byte_by_byte())
                .pause_at(chunked_head + 3, PAUSE),
            "slow-3",
            b"chunky0123456789",
        ),
        // A pause right before the blank line that ends the head.
        (
            RawReply::new(valid_reply("slow-4", body)).pause_at(head_len - 2, PAUSE),
            "slow-4",
            body,
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Malformed heads
// ---------------------------------------------------------------------------------------------

const MALFORMED: &str = "GET /next: malformed HTTP response head";

#[test]
fn garbage_status_lines_are_refused_and_the_loop_goes_on() {
    let with_id = |status_line: &str| {
        reply(
            status_line,
            &[
                ("Lambda-Runtime-Aws-Request-Id", "garbage-id"),
                ("Content-Length", "2"),
            ],
            b"{}",
        )
    };
    assert_faults_then_served(vec![
        (RawReply::new(&b"garbage\r\n\r\n"[..]), MALFORMED),
        (RawReply::new(with_id("HTTP/1.1 abc OK")), MALFORMED),
        (RawReply::new(with_id("HTTX/1.1 200 OK")), MALFORMED),
        (RawReply::new(with_id("HTTP/2 200 OK")), MALFORMED),
        (RawReply::new(with_id("HTTP/1.1 2000 OK")), MALFORMED),
        (
            RawReply::new(&b"\x00\xff\xfe binary \x01\r\n\r\n"[..]),
            MALFORMED,
        ),
        // Empty lines before a status line are allowed (RFC 9112 §2.2): the bootstrap waits
        // for the rest, which never comes.
        (
            RawReply::new(&b"\r\n\r\n"[..]).then_close(),
            "GET /next: the Runtime API closed the connection mid-reply",
        ),
        (
            RawReply::new(with_id("HTTP/1.1 100 Continue")),
            "GET /next: unexpected 1xx interim response",
        ),
    ]);
}

#[test]
fn http_1_0_replies_are_served() {
    let body = b"{\"v\":\"1.0\"}";
    let len = body.len().to_string();
    let head = |id: &'static str, extra: &[(&'static str, &'static str)], length: bool| {
        let mut headers = vec![("Lambda-Runtime-Aws-Request-Id", id)];
        headers.extend_from_slice(extra);
        if length {
            headers.push(("Content-Length", len.as_str()));
        }
        reply("HTTP/1.0 200 OK", &headers, body)
    };
    let keep_alive = [("Connection", "keep-alive")];
    assert_all_served(vec![
        (
            RawReply::new(head("h10-length", &[], true)),
            "h10-length",
            body,
        ),
        (
            RawReply::new(head("h10-until-close", &[], false)).then_close(),
            "h10-until-close",
            body,
        ),
        (
            RawReply::new(head("h10-keep-alive", &keep_alive, true)),
            "h10-keep-alive",
            body,
        ),
        (
            RawReply::new(head("h10-keep-alive-no-length", &keep_alive, false)).then_close(),
            "h10-keep-alive-no-length",
            body,
        ),
        // HTTP/1.1 without any framing: the body ends when the server closes.
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[("Lambda-Runtime-Aws-Request-Id", "h11-until-close")],
                body,
            ))
            .then_close(),
            "h11-until-close",
            body,
        ),
    ]);
}

#[test]
fn bad_header_lines_and_oversized_heads_are_refused_and_the_loop_goes_on() {
    let id = ("Lambda-Runtime-Aws-Request-Id", "bad-head");
    let mut no_colon = reply("HTTP/1.1 200 OK", &[id], b"");
    no_colon.truncate(no_colon.len() - 2);
    no_colon.extend_from_slice(b"no colon here\r\nContent-Length: 2\r\n\r\n{}");
    let names: Vec<String> = (0..32).map(|i| format!("X-Filler-{i}")).collect();
    let mut many = vec![id, ("Content-Length", "2")];
    many.extend(names.iter().map(|n| (n.as_str(), "v")));
    let long_value = "v".repeat(70 * 1024);
    assert_faults_then_served(vec![
        (RawReply::new(no_colon), MALFORMED),
        (RawReply::new(&b"HTTP/1.1 200 OK\r\n: no name\r\n\r\n"[..]), MALFORMED),
        (
            RawReply::new(reply("HTTP/1.1 200 OK", &many, b"{}")),
            "GET /next: too many headers in HTTP response",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("X-Long", &long_value), ("Content-Length", "2")],
                b"{}",
            )),
            "GET /next: reply head longer than 64 KiB",
        ),
        // A head that never ends: 70 KiB of header lines.
        (
            RawReply::new(
                reply("HTTP/1.1 200 OK", &[id], b"")[..] // without the blank line
                    .strip_suffix(b"\r\n")
                    .unwrap()
                    .iter()
                    .copied()
                    .chain(b"X-More: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\n".repeat(1100))
                    .collect::<Vec<u8>>(),
            ),
            "GET /next: reply head longer than 64 KiB",
        ),
    ]);
}

#[test]
fn thirty_two_headers_are_still_served() {
    let names: Vec<String> = (0..30).map(|i| format!("X-Filler-{i}")).collect();
    let mut headers = vec![
        ("Lambda-Runtime-Aws-Request-Id", "many-32"),
        ("Content-Length", "2"),
    ];
    headers.extend(names.iter().map(|n| (n.as_str(), "v")));
    assert_eq!(headers.len(), 32);
    assert_all_served(vec![(
        RawReply::new(reply("HTTP/1.1 200 OK", &headers, b"{}")),
        "many-32",
        b"{}",
    )]);
}

// ---------------------------------------------------------------------------------------------
// Header values: deadline, request ids
// ---------------------------------------------------------------------------------------------

#[test]
fn a_non_numeric_deadline_is_served_with_deadline_zero() {
    let bad = [
        "soon",
        "-5",
        "12abc",
        "",
        "99999999999999999999",
        "9223372036854775808",
    ];
    let mut script = Script::new();
    for (i, deadline) in bad.iter().enumerate() {
        script = script.invoke(
            Invocation::bare(&format!("deadline-{i}"), "ctx")
                .header("Lambda-Runtime-Deadline-Ms", deadline),
        );
    }
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(bad.len());
    for (i, post) in posts.iter().enumerate() {
        let id = format!("deadline-{i}");
        let text = post.body_text();
        if post.route != Route::Response(id.clone())
            || !text.lines().any(|l| l == "deadline_ms=0")
            || !text.lines().any(|l| l == format!("request_id={id}"))
        {
            run.fail(&format!(
                "deadline {:?}: expected deadline_ms=0 for {id}, got {}",
                bad[i],
                post.summary()
            ));
        }
    }
    assert_says(
        &mut run,
        &["GET /next: Lambda-Runtime-Deadline-Ms is no number of ms below 2^63; no deadline"],
    );
    let count = run
        .process
        .stderr()
        .lines()
        .filter(|l| l.contains("Lambda-Runtime-Deadline-Ms is"))
        .count();
    // Said once, not per invocation: an emulator sends the same duration every time.
    if count != 1 {
        run.fail(&format!(
            "{count} deadline messages for {} bad deadlines (expected one)",
            bad.len()
        ));
    }
    run.assert_no_violations();
}

/// Each kind of unusable deadline is named as what it is: a number of 2^63 ms or more is a
/// number (too large for the context's `i64`), and not a duration; one before 2001 may be.
#[test]
fn an_unusable_deadline_is_named_for_what_it_is() {
    for (deadline, says) in [
        (
            "9223372036854775808",
            "Lambda-Runtime-Deadline-Ms is no number of ms below 2^63; no deadline",
        ),
        (
            "99999999999999999999",
            "Lambda-Runtime-Deadline-Ms is no number of ms below 2^63; no deadline",
        ),
        (
            "600000",
            "Lambda-Runtime-Deadline-Ms is before 2001 (a duration?); no deadline",
        ),
    ] {
        let script = Script::new().invoke(
            Invocation::bare("deadline", "ctx").header("Lambda-Runtime-Deadline-Ms", deadline),
        );
        let mut run = Run::probe(script);
        run.wait_for_posts(1);
        assert_says(&mut run, &[says]);
        if deadline.len() > 6 && run.process.stderr().contains("duration") {
            run.fail(&format!("{deadline} is no duration"));
        }
    }
}

const UNUSABLE: &str = "GET /next: unusable request id";

#[test]
fn unusable_request_ids_are_never_posted() {
    let huge = "h".repeat(257);
    let faults = vec![
        (RawReply::new(valid_reply(&huge, b"{}")), UNUSABLE),
        (RawReply::new(valid_reply("a b", b"{}")), UNUSABLE),
        (RawReply::new(valid_reply("a/b", b"{}")), UNUSABLE),
        (RawReply::new(valid_reply("../next", b"{}")), UNUSABLE),
        (RawReply::new(valid_reply("a%2Fb", b"{}")), UNUSABLE),
        (RawReply::new(valid_reply("%", b"{}")), UNUSABLE),
        // Control bytes in the value: httparse refuses the whole head. A bare CR is the one a
        // raw reply can carry (a LF would end the header line: "a\nb" is the id "a").
        (RawReply::new(valid_reply("\u{7f}", b"{}")), MALFORMED),
        (RawReply::new(valid_reply("a\rb", b"{}")), MALFORMED),
        (RawReply::new(valid_reply("a\rHTTP/1.1", b"{}")), MALFORMED),
        (RawReply::new(valid_reply("a\0b", b"{}")), MALFORMED),
    ];
    assert_faults_then_served(faults);
}

/// Two request ids in one reply: posting under either (the last one, as the parser used to)
/// could answer another invocation, so neither is used. Equal ones are refused too: the
/// header is not a list.
#[test]
fn a_reply_with_two_request_ids_is_never_posted() {
    const TWO: &str = "GET /next: reply without exactly one Lambda-Runtime-Aws-Request-Id (none, or two); skipped";
    let two = |first: &str, second: &str| {
        let headers = [
            ("Lambda-Runtime-Aws-Request-Id", first),
            ("Lambda-Runtime-Aws-Request-Id", second),
            ("Content-Length", "2"),
        ];
        RawReply::new(reply("HTTP/1.1 200 OK", &headers, b"{}"))
    };
    let chunked = [
        ("Lambda-Runtime-Aws-Request-Id", "two-e"),
        ("Transfer-Encoding", "chunked"),
        ("lambda-runtime-aws-request-id", "two-f"),
    ];
    let faults = vec![
        (two("two-a", "two-b"), TWO),
        (two("two-c", "two-c"), TWO),
        (
            RawReply::new(reply("HTTP/1.1 200 OK", &chunked, b"2\r\n{}\r\n0\r\n\r\n")),
            TWO,
        ),
    ];
    assert_faults_then_served(faults);
}

#[test]
fn the_longest_request_id_is_served() {
    let longest = "L".repeat(256);
    assert_all_served(vec![(
        RawReply::new(valid_reply(&longest, b"{}")),
        &longest,
        b"{}",
    )]);
}

// ---------------------------------------------------------------------------------------------
// Framing: lengths, chunks, short bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_framing_is_refused_and_the_loop_goes_on() {
    let id = ("Lambda-Runtime-Aws-Request-Id", "framing");
    let chunked = ("Transfer-Encoding", "chunked");
    let closed = "GET /next: the Runtime API closed the connection mid-reply";
    assert_faults_then_served(vec![
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Content-Length", "2"), ("Content-Length", "3")],
                b"{}x",
            )),
            "GET /next: conflicting Content-Length headers",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Content-Length", "2, 3")],
                b"{}x",
            )),
            "GET /next: Content-Length is not a decimal number",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Content-Length", "-1")],
                b"{}",
            )),
            "GET /next: Content-Length is not a decimal number",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Content-Length", "99999999999999999999")],
                b"{}",
            )),
            "GET /next: Content-Length is not a decimal number",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Content-Length", "7"), chunked],
                b"2\r\n{}\r\n0\r\n\r\n",
            )),
            "GET /next: both Content-Length and Transfer-Encoding",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, chunked, ("Content-Length", "7")],
                b"2\r\n{}\r\n0\r\n\r\n",
            )),
            "GET /next: both Content-Length and Transfer-Encoding",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Transfer-Encoding", "gzip")],
                b"{}",
            )),
            "GET /next: unsupported Transfer-Encoding (only chunked)",
        ),
        // Chunked last, but not alone: once unchunked, the event would still be gzip.
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Transfer-Encoding", "gzip, chunked")],
                b"2\r\n{}\r\n0\r\n\r\n",
            )),
            "GET /next: unsupported Transfer-Encoding (only chunked)",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Transfer-Encoding", "gzip"), chunked],
                b"2\r\n{}\r\n0\r\n\r\n",
            )),
            "GET /next: unsupported Transfer-Encoding (only chunked)",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, chunked],
                b"zz\r\n{}\r\n0\r\n\r\n",
            )),
            "GET /next: malformed chunk size line",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, chunked],
                b"-2\r\n{}\r\n0\r\n\r\n",
            )),
            "GET /next: malformed chunk size line",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, chunked],
                b"10000000000000000\r\n{}\r\n0\r\n\r\n",
            )),
            "GET /next: chunk size overflows 64 bits",
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, chunked],
                b"2\r\n{}X\r\n0\r\n\r\n",
            )),
            "GET /next: chunk data not followed by CRLF",
        ),
        // Bodies shorter than announced, then the server closes.
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, ("Content-Length", "100")],
                b"{\"short\":1}",
            ))
            .then_close(),
            closed,
        ),
        (
            RawReply::new(reply(
                "HTTP/1.1 200 OK",
                &[id, chunked],
                b"64\r\n{\"short\":1}",
            ))
            .then_close(),
            closed,
        ),
        (
            RawReply::new(reply("HTTP/1.1 200 OK", &[id, chunked], b"2\r\n{}\r\n")).then_close(),
            closed,
        ),
    ]);
}

/// A chunk (or length) larger than the buffer is an event too large, whatever its size: the
/// head was complete and its id usable, so the invocation is answered with
/// `Runtime.EventTooLarge` (by design, see the README's failure model), and the loop goes on.
#[test]
fn an_absurd_chunk_size_is_answered_as_event_too_large() {
    let chunked = ("Transfer-Encoding", "chunked");
    let huge_length = u64::MAX.to_string();
    let script = Script::new()
        .raw(RawReply::new(reply(
            "HTTP/1.1 200 OK",
            &[("Lambda-Runtime-Aws-Request-Id", "huge-chunk"), chunked],
            b"ffffffffffffffff\r\n{}\r\n0\r\n\r\n",
        )))
        .invoke(good("good-0"))
        .raw(RawReply::new(reply(
            "HTTP/1.1 200 OK",
            &[
                ("Lambda-Runtime-Aws-Request-Id", "huge-length"),
                ("Content-Length", &huge_length),
            ],
            b"{}",
        )))
        .invoke(good("good-1"));
    let mut run = Run::probe(script);
    let posts = run.wait_for_posts(4);
    let expected = [
        Route::Error("huge-chunk".into()),
        Route::Response("good-0".into()),
        Route::Error("huge-length".into()),
        Route::Response("good-1".into()),
    ];
    let routes: Vec<Route> = posts.iter().map(|p| p.route.clone()).collect();
    if routes != expected {
        run.fail(&format!("posts {routes:?}, expected {expected:?}"));
    }
    for post in [&posts[0], &posts[2]] {
        if post.header("Lambda-Runtime-Function-Error-Type") != Some("Runtime.EventTooLarge") {
            run.fail(&format!(
                "expected Runtime.EventTooLarge, got {}",
                post.summary()
            ));
        }
    }
    for (post, id) in [(&posts[1], "good-0"), (&posts[3], "good-1")] {
        if post.body != format!("event of {id}").as_bytes() {
            run.fail(&format!("wrong echo: {}", post.summary()));
        }
    }
    assert_says(
        &mut run,
        &[
            "request huge-chunk: the event is over 6 MiB",
            "request huge-length: the event is over 6 MiB",
        ],
    );
    run.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// The API not there
// ---------------------------------------------------------------------------------------------

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn an_api_that_starts_listening_late_is_reached_after_backoff() {
    let port = closed_port();
    let address = format!("127.0.0.1:{port}");
    let process = Process::spawn(
        &support::probe_program(),
        &[("AWS_LAMBDA_RUNTIME_API", &address)],
    );
    thread::sleep(Duration::from_millis(150));
    let api = FakeApi::start_on(&address, Script::new().invoke(good("late-1")));
    let mut run = Run { process, api };
    assert_served(
        &mut run,
        &vec![("late-1".into(), b"event of late-1".to_vec())],
    );
    assert_says(&mut run, &["GET /next: cannot connect to the Runtime API"]);
}

#[test]
fn an_api_that_never_listens_ends_the_bootstrap_with_status_1() {
    let address = format!("127.0.0.1:{}", closed_port());
    let started = Instant::now();
    let mut process = Process::spawn(
        &support::probe_program(),
        &[("AWS_LAMBDA_RUNTIME_API", &address)],
    );
    let status = process.wait_for_exit(Duration::from_secs(6));
    let elapsed = started.elapsed();
    let stderr = process.stderr();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "exit within 6 s with status 1; after {elapsed:?}: {status:?}\n{stderr}"
    );
    assert!(
        elapsed >= Duration::from_secs(4),
        "gave up after only {elapsed:?} (the back-off is about 4.3 s)\n{stderr}"
    );
    assert!(
        stderr.contains("bootstrap: GET /next: cannot connect to the Runtime API"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bootstrap: GET /next failed 10 times in a row; exiting"),
        "{stderr}"
    );
    assert!(
        stderr.lines().all(|l| l.starts_with("bootstrap: ")),
        "{stderr}"
    );
}

#[test]
fn an_api_that_goes_away_and_comes_back_is_reached_again() {
    for round in 0..2 {
        let script = Script::new().invoke(good("before-1"));
        let run = Run::probe(script);
        let address = run.api.addr().to_string();
        let mut run = run;
        assert_served(
            &mut run,
            &vec![("before-1".into(), b"event of before-1".to_vec())],
        );
        // Gone: the held /next is closed unanswered and the listener closed.
        let Run { process, api } = run;
        drop(api);
        thread::sleep(Duration::from_millis(if round == 0 { 50 } else { 800 }));
        let api = FakeApi::start_on(&address, Script::new().invoke(good("after-1")));
        let mut run = Run { process, api };
        assert_served(
            &mut run,
            &vec![("after-1".into(), b"event of after-1".to_vec())],
        );
        if round == 1 {
            assert_says(&mut run, &["GET /next: cannot connect to the Runtime API"]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Posts: replies that never come, never sent twice, and bytes nobody asked for
// ---------------------------------------------------------------------------------------------

/// The routes of every post so far, in order.
fn post_routes(run: &Run) -> Vec<Route> {
    run.api.posts().iter().map(|p| p.route.clone()).collect()
}

/// Waits until the bootstrap is back on `/next` with the script used up, then checks that
/// the posts went to exactly `expected`, in order.
fn assert_posted(run: &mut Run, expected: &[Route]) {
    run.wait_for_posts(expected.len());
    let deadline = Instant::now() + WAIT_LIMIT;
    while !run.api.is_holding_next() {
        if Instant::now() > deadline || run.process.exit_status().is_some() {
            run.fail("the bootstrap never came back for more work");
        }
        thread::sleep(Duration::from_millis(5));
    }
    let routes = post_routes(run);
    if routes != expected {
        run.fail(&format!("posts {routes:?}, expected {expected:?}"));
    }
}

/// A Runtime API that never answers a post, or answers 202 without a length and keeps the
/// connection open: the wait for the reply ends after `LAMBDA_POST_REPLY_TIMEOUT` seconds (1
/// here), the post is not sent again, and the next invocation is served.
#[test]
fn a_post_reply_that_never_comes_or_never_ends_is_given_up_after_the_timeout() {
    let script = Script::new()
        .invoke(good("unanswered").then(AfterReply::NeverReply))
        .invoke(good("good-0"))
        .invoke(good("endless").then(AfterReply::ReplyWithoutLength))
        .invoke(good("good-1"));
    let mut run = Run::probe_with_env(script, &[("LAMBDA_POST_REPLY_TIMEOUT", "1")]);
    let expected =
        ["unanswered", "good-0", "endless", "good-1"].map(|id| Route::Response(id.into()));
    assert_posted(&mut run, &expected);
    assert_says(
        &mut run,
        &[
            "POST /response for request unanswered failed: no reply within LAMBDA_POST_REPLY_TIMEOUT seconds; not sent again",
            "POST /response for request endless failed: no reply within LAMBDA_POST_REPLY_TIMEOUT seconds; not sent again",
        ],
    );
    run.assert_no_violations();
}

/// The server reads a post on a reused connection and closes it without a reply: it may have
/// acted on the post, so the post is not sent again; the loop goes on to `/next`. (The
/// `/response` and the `/error` post alike.)
#[test]
fn a_post_the_server_may_have_read_is_never_sent_again() {
    let script = Script::new()
        .invoke(good("good-0"))
        .invoke(good("dropped").then(AfterReply::CloseUnanswered))
        .invoke(good("good-1"))
        .invoke(Invocation::new("failed", "error:no").then(AfterReply::CloseUnanswered))
        .invoke(good("good-2"));
    let mut run = Run::probe(script);
    let expected = [
        Route::Response("good-0".into()),
        Route::Response("dropped".into()),
        Route::Response("good-1".into()),
        Route::Error("failed".into()),
        Route::Response("good-2".into()),
    ];
    assert_posted(&mut run, &expected);
    assert_says(
        &mut run,
        &[
            "POST /response for request dropped failed: the Runtime API closed the connection mid-reply; not sent again",
            "POST /error for request failed failed: the Runtime API closed the connection mid-reply; not sent again",
        ],
    );
    run.assert_no_violations();
}

/// Bytes nobody asked for arrive on the kept-alive connection while the handler runs (here a
/// whole `/next` reply for `ghost`): the connection is closed before the post is written, so
/// they are never taken for a reply; no ghost invocation runs.
#[test]
fn unsolicited_bytes_on_an_idle_connection_are_never_taken_for_a_reply() {
    let script = Script::new()
        .invoke(Invocation::new("slow", "sleep:600").after_event(AfterReply::Unsolicited))
        .invoke(good("good-0"));
    let mut run = Run::probe(script);
    let expected = [
        Route::Response("slow".into()),
        Route::Response("good-0".into()),
    ];
    assert_posted(&mut run, &expected);
    assert_says(
        &mut run,
        &["unsolicited bytes from the Runtime API on an idle connection; closed it"],
    );
    // The fake records any request written on the connection that holds the ghost bytes.
    run.assert_no_violations();
}
