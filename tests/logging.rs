//! Lambda's logging controls: `AWS_LAMBDA_LOG_FORMAT=JSON` makes every line the runtime and
//! handlers write one JSON object (checked with serde_json), `Text` (the default) keeps the
//! runtime's `bootstrap: ` lines and writes handlers' as `timestamp TAB requestId TAB LEVEL TAB
//! message`; `AWS_LAMBDA_LOG_LEVEL` drops the lines below it. The probe's `log:LEVEL:MESSAGE`
//! logs MESSAGE at LEVEL, then `logged N bytes` at INFO.

use crate::support;

use serde_json::Value;
use support::*;

fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{stderr}"))
        })
        .collect()
}

fn with_message<'v>(lines: &'v [Value], message: &str) -> &'v Value {
    lines
        .iter()
        .find(|l| l["message"] == message)
        .unwrap_or_else(|| panic!("no line with message {message:?} in {lines:#?}"))
}

/// `2026-11-30T06:27:23.123Z`, a date of this century.
fn assert_timestamp(timestamp: &str) {
    let b = timestamp.as_bytes();
    assert_eq!(b.len(), 24, "{timestamp}");
    for (i, &c) in b.iter().enumerate() {
        let expected = match i {
            4 | 7 => b'-',
            10 => b'T',
            13 | 16 => b':',
            19 => b'.',
            23 => b'Z',
            _ => {
                assert!(c.is_ascii_digit(), "{timestamp}");
                continue;
            }
        };
        assert_eq!(c, expected, "{timestamp}");
    }
    assert!(timestamp.starts_with("20"), "{timestamp}");
    let month: u32 = timestamp[5..7].parse().unwrap();
    let day: u32 = timestamp[8..10].parse().unwrap();
    assert!(
        (1..=12).contains(&month) && (1..=31).contains(&day),
        "{timestamp}"
    );
}

fn run_events(events: &[(&str, &[u8])], env: &[(&str, &str)]) -> Run {
    let script = Script::new().invocations(
        events
            .iter()
            .map(|(id, event)| Invocation::new(id, event.to_vec())),
    );
    let mut run = Run::probe_with_env(script, env);
    run.wait_for_posts(events.len());
    run
}

/// The process's stderr once it holds `last`, the last thing it will write.
fn stderr_until(run: &mut Run, last: &str) -> String {
    if !eventually(WAIT_LIMIT, || run.process.stderr().contains(last)) {
        run.fail(&format!("stderr never showed {last:?}"));
    }
    run.process.stderr()
}

#[test]
fn json_format_makes_every_line_an_escaped_json_object_with_the_request_id() {
    let message: &[u8] = b"he said \"hi\" \\ \n\r\t\x01\x1f \xff\xc3 caf\xc3\xa9 \xe2\x82";
    let mut event = b"log:WARN:".to_vec();
    event.extend_from_slice(message);
    let mut run = run_events(
        &[("req-json-1", &event), ("req-json-2", b"panic")],
        &[("AWS_LAMBDA_LOG_FORMAT", "JSON")],
    );
    let stderr = stderr_until(&mut run, "probe panic");
    let lines = json_lines(&stderr);
    let logged = with_message(
        &lines,
        "he said \"hi\" \\ \n\r\t\u{1}\u{1f} \u{FFFD}\u{FFFD} café \u{FFFD}",
    );
    assert_eq!(logged["level"], "WARN");
    assert_eq!(logged["requestId"], "req-json-1");
    assert_timestamp(logged["timestamp"].as_str().unwrap());
    let info = with_message(&lines, &format!("logged {} bytes", message.len()));
    assert_eq!(info["level"], "INFO");
    assert_eq!(info["requestId"], "req-json-1");
    // The runtime's own line for the panic: ERROR, with the invocation's id.
    let panic = lines
        .iter()
        .find(|l| l["message"].as_str().unwrap().starts_with("panicked at "))
        .unwrap_or_else(|| panic!("no panic line: {stderr}"));
    assert_eq!(panic["level"], "ERROR");
    assert_eq!(panic["requestId"], "req-json-2");
    assert!(
        panic["message"]
            .as_str()
            .unwrap()
            .ends_with(": probe panic")
    );
    for line in &lines {
        assert_eq!(
            line.as_object().unwrap().len(),
            if line.get("requestId").is_some() {
                4
            } else {
                3
            },
            "{line}"
        );
    }
}

#[test]
fn text_format_keeps_the_runtimes_lines_and_tabs_the_handlers() {
    let mut run = run_events(
        &[("req-text-1", b"log:ERROR:oh no"), ("req-text-2", b"panic")],
        &[],
    );
    let stderr = stderr_until(&mut run, "probe panic");
    let line = stderr
        .lines()
        .find(|l| l.ends_with("\tERROR\toh no"))
        .unwrap_or_else(|| panic!("no handler line: {stderr}"));
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields.len(), 4, "{line}");
    assert_timestamp(fields[0]);
    assert_eq!(fields[1], "req-text-1");
    assert!(
        stderr.contains("\treq-text-1\tINFO\tlogged 5 bytes\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bootstrap: panicked at examples/probe/handler.rs:"),
        "the runtime's lines as they were: {stderr}"
    );
    assert!(!stderr.contains('{'), "no JSON: {stderr}");
}

#[test]
fn the_level_filter_drops_lines_below_it_in_both_formats() {
    for format in ["JSON", "Text"] {
        let env = [
            ("AWS_LAMBDA_LOG_FORMAT", format),
            ("AWS_LAMBDA_LOG_LEVEL", "warn"),
        ];
        let mut run = run_events(
            &[
                ("l-1", b"log:DEBUG:quiet"),
                ("l-2", b"log:ERROR:loud"),
                ("l-3", b"log:FATAL:louder"),
                ("l-4", b"panic"),
            ],
            &env,
        );
        let stderr = stderr_until(&mut run, "probe panic");
        assert!(!stderr.contains("quiet"), "{format}: {stderr}");
        assert!(
            !stderr.contains("logged "),
            "{format}: INFO dropped: {stderr}"
        );
        assert!(stderr.contains("loud"), "{format}: {stderr}");
        assert!(stderr.contains("louder"), "{format}: {stderr}");
        assert!(stderr.contains("probe panic"), "{format}: {stderr}");
        if format == "JSON" {
            let lines = json_lines(&stderr);
            assert_eq!(with_message(&lines, "louder")["level"], "FATAL");
            assert!(
                lines
                    .iter()
                    .all(|l| l["level"] != "INFO" && l["level"] != "DEBUG")
            );
        }
    }
}

#[test]
fn local_mode_report_lines_are_json_with_the_request_id_and_filtered_as_info() {
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    let answer = server.invoke(b"log:INFO:local");
    assert_eq!(answer.text(), "logged");
    let request_id = answer.header("X-Amzn-RequestId").unwrap().to_string();
    let stderr = server.wait_for_log("REPORT RequestId", 1);
    let lines = json_lines(&stderr);
    let report = lines
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .unwrap()
                .starts_with("REPORT RequestId: ")
        })
        .unwrap();
    assert_eq!(report["level"], "INFO");
    assert_eq!(report["requestId"], request_id.as_str());
    assert_eq!(
        with_message(&lines, "local")["requestId"],
        request_id.as_str()
    );
    drop(server);

    let env = [("AWS_LAMBDA_LOG_LEVEL", "ERROR")];
    let mut server = LocalServer::start(&probe_program(), &env);
    assert_eq!(server.invoke(b"log:ERROR:kept").text(), "logged");
    let stderr = server.wait_for_log("kept", 1);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let stderr = server.process.stderr() + &stderr[..0];
    assert!(!stderr.contains("REPORT"), "{stderr}");
    assert!(!stderr.contains("local mode"), "{stderr}");
}

/// Four workers logging long lines at once: each line is one write, so every line of stderr
/// is a whole JSON object.
#[test]
fn lines_from_concurrent_workers_never_interleave() {
    let message = "x".repeat(3000) + "\u{e9}\"";
    let event = format!("log:INFO:{message}");
    let script = Script::new().invocations(
        (0..40).map(|i| Invocation::new(&format!("w-{i}"), event.clone().into_bytes())),
    );
    let env = [
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
    ];
    let mut run = Run::probe_with_env(script, &env);
    if let Err(message) = run.api.wait_for_posts_while_held(40, WAIT_LIMIT) {
        run.fail(&message);
    }
    // Written before each post; the capture thread may lag a little behind.
    let _ = eventually(WAIT_LIMIT, || {
        run.process
            .stderr()
            .matches("\"logged 3003 bytes\"")
            .count()
            == 40
    });
    let stderr = run.process.stderr();
    let lines = json_lines(&stderr);
    let logged: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == message.as_str())
        .collect();
    assert_eq!(logged.len(), 40, "{}", lines.len());
    let mut ids: Vec<&str> = logged
        .iter()
        .map(|l| l["requestId"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "each line carries its own invocation's id");
}
