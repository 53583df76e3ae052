//! Runs the built `bootstrap --invoke EVENT` against an upstream HTTP server this test serves
//! on 127.0.0.1, and checks that the function's answer is what the upstream answered.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the upstream saw of one request.
struct Seen {
    method: String,
    path: String,
    body: String,
}

/// Serves on 127.0.0.1 with `status` and an answer that repeats the request, until it has
/// answered `requests` of them or 20 s have passed (so a bootstrap that never calls cannot
/// hang the test). A connection is served until the client closes it (keep-alive), so the
/// requests are grouped by the connection they came on.
fn upstream(status: &'static str, requests: usize) -> (String, JoinHandle<Vec<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/items", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let server = thread::spawn(move || {
        let mut connections = Vec::new();
        let mut answered = 0;
        let start = Instant::now();
        while answered < requests && start.elapsed() < Duration::from_secs(20) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let seen = serve(stream, status, requests - answered);
                    answered += seen.len();
                    connections.push(seen);
                }
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
        connections
    });
    (url, server)
}

/// Answers up to `most` requests on one connection, until the client closes it (or is
/// silent for 10 s).
fn serve(stream: TcpStream, status: &str, most: usize) -> Vec<Seen> {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut seen = Vec::new();
    while seen.len() < most {
        let Some(request) = read_request(&mut reader) else {
            break;
        };
        let reply = format!(
            "upstream got {} {}: {}",
            request.method, request.path, request.body
        );
        write!(
            reader.get_mut(),
            "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{reply}",
            reply.len()
        )
        .unwrap();
        seen.push(request);
    }
    seen
}

/// One request, or `None` when the connection ends first.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
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
    Some(Seen { method, path, body })
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
    let (url, server) = upstream("200 OK", 1);
    let event = r#"{"name":"widget","count":3}"#;
    let out = invoke(&url, event);
    let seen = server
        .join()
        .unwrap()
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    assert_eq!(seen.len(), 1, "the bootstrap called the upstream once");
    let seen = &seen[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/items");
    assert_eq!(seen.body, event);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, format!("upstream got POST /items: {event}"));
}

#[test]
fn an_upstream_error_fails_the_invocation() {
    let (url, server) = upstream("503 Service Unavailable", 1);
    let out = invoke(&url, "{}");
    let seen = server
        .join()
        .unwrap()
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    assert_eq!(seen.len(), 1, "the bootstrap called the upstream once");
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

/// Local mode (no `AWS_LAMBDA_RUNTIME_API`): one process serves three invocations, and the
/// agent made in `main` calls the upstream on one connection for all of them.
#[test]
fn a_warm_function_keeps_its_connection() {
    let (url, server) = upstream("200 OK", 3);
    let address = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env("UPSTREAM_URL", &url)
        .env("LAMBDA_LOCAL_ADDRESS", address.to_string())
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let answers: Vec<String> = (1..=3)
        .map(|n| local_invoke(address, &format!(r#"{{"n":{n}}}"#)))
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    let connections = server.join().unwrap();
    assert_eq!(
        answers,
        (1..=3)
            .map(|n| format!(r#"upstream got POST /items: {{"n":{n}}}"#))
            .collect::<Vec<_>>()
    );
    let sizes: Vec<usize> = connections.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3], "three requests on one connection");
}

/// POSTs an event to local mode's Invoke API (retrying the connection while the bootstrap
/// starts, for at most 10 s) and returns the answer's body.
fn local_invoke(address: SocketAddr, event: &str) -> String {
    let start = Instant::now();
    let mut stream = loop {
        match TcpStream::connect(address) {
            Ok(stream) => break stream,
            Err(e) if start.elapsed() > Duration::from_secs(10) => panic!("local mode: {e}"),
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nhost: local\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{event}",
        event.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    reply.split_once("\r\n\r\n").unwrap().1.to_string()
}
