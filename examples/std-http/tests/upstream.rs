//! Runs the built `bootstrap --invoke EVENT` against an upstream HTTP server this test serves
//! on 127.0.0.1, and checks that the function's answer is what the upstream answered.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the upstream saw of one request.
struct Seen {
    method: String,
    path: String,
    body: String,
}

/// Serves one request on 127.0.0.1 with `status` and an answer that repeats the request, then
/// stops. Gives up after 20 s without a connection, so a bootstrap that never calls cannot hang
/// the test.
fn upstream(status: &'static str) -> (String, JoinHandle<Option<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/items", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let server = thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            match listener.accept() {
                Ok((stream, _)) => return Some(answer(stream, status)),
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
        None
    });
    (url, server)
}

fn answer(stream: TcpStream, status: &str) -> Seen {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let path = words.next().unwrap_or_default().to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim_end().is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    let reply = format!("upstream got {method} {path}: {body}");
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
        reply.len()
    )
    .unwrap();
    Seen { method, path, body }
}

fn invoke(url: &str, event: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .args(["--invoke", event])
        .env("UPSTREAM_URL", url)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap()
}

#[test]
fn the_answer_is_what_the_upstream_answered() {
    let (url, server) = upstream("200 OK");
    let event = r#"{"name":"widget","count":3}"#;
    let out = invoke(&url, event);
    let seen = server
        .join()
        .unwrap()
        .expect("the bootstrap called the upstream");
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/items");
    assert_eq!(seen.body, event);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, format!("upstream got POST /items: {event}"));
}

#[test]
fn an_upstream_error_fails_the_invocation() {
    let (url, server) = upstream("503 Service Unavailable");
    let out = invoke(&url, "{}");
    server
        .join()
        .unwrap()
        .expect("the bootstrap called the upstream");
    assert!(!out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(r#""errorType":"ureq::error::Error""#),
        "{stdout}"
    );
    assert!(
        stdout.contains("503"),
        "the error names the status: {stdout}"
    );
    assert!(
        !stdout.contains("upstream got"),
        "no answer on an error: {stdout}"
    );
}

#[test]
fn without_the_url_init_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .args(["--invoke", "{}"])
        .env_remove("UPSTREAM_URL")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(r#""errorType":"Config.Missing""#),
        "{stdout}"
    );
    assert!(stdout.contains("UPSTREAM_URL is not set"), "{stdout}");
}
