//! Runs the built `bootstrap` against a fake DynamoDB this test serves on 127.0.0.1: the SDK
//! client signs a JSON 1.0 `GetItem` and the function answers with the item the fake gave.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{FakeDynamoDb, assert_get_item, item};

/// The bootstrap, configured as Lambda would (region, credentials) plus the table and the fake.
fn bootstrap(endpoint: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    command
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("AWS_SESSION_TOKEN")
        .envs(support::environment(endpoint));
    command
}

fn invoke(endpoint: &str, event: &str) -> Output {
    bootstrap(endpoint)
        .args(["--invoke", event])
        .output()
        .unwrap()
}

fn answer_of(out: &Output) -> Value {
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn get_item_answers_with_the_item() {
    let fake = FakeDynamoDb::start(1, "200 OK", item());
    let out = invoke(&fake.url, r#"{"id":"42"}"#);
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_get_item(&seen[0], "42");
    assert_eq!(
        answer_of(&out),
        json!({"id": "42", "found": true, "item": {"id": "42", "name": "widget", "count": "3"}})
    );
}

#[test]
fn a_missing_item_is_not_found() {
    let fake = FakeDynamoDb::start(1, "200 OK", json!({}));
    let out = invoke(&fake.url, r#"{"id":"7"}"#);
    assert_get_item(&fake.seen()[0], "7");
    assert_eq!(
        answer_of(&out),
        json!({"id": "7", "found": false, "item": {}})
    );
}

#[test]
fn a_service_error_fails_the_invocation_with_its_code() {
    let error = json!({
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found"
    });
    let fake = FakeDynamoDb::start(1, "400 Bad Request", error);
    let out = invoke(&fake.url, r#"{"id":"42"}"#);
    assert_eq!(fake.seen().len(), 1, "not retried");
    assert!(!out.status.success(), "{out:?}");
    let document: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["errorType"], "DynamoDB.GetItem");
    let message = document["errorMessage"].as_str().unwrap();
    assert!(message.contains("ResourceNotFoundException"), "{message}");
    assert!(
        message.contains("Requested resource not found"),
        "{message}"
    );
}

#[test]
fn an_event_without_id_is_refused_before_any_call() {
    let out = invoke("http://127.0.0.1:9", r#"{"name":"42"}"#);
    assert!(!out.status.success(), "{out:?}");
    let document: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["errorType"], "Runtime.InvalidEvent", "{document}");
}

/// Local mode (no `AWS_LAMBDA_RUNTIME_API`): one process serves two invocations, with the
/// runtime and client made once in `main`.
#[test]
fn one_process_serves_invocations_with_the_same_client() {
    let fake = FakeDynamoDb::start(2, "200 OK", item());
    let address = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut child = bootstrap(&fake.url)
        .env("LAMBDA_LOCAL_ADDRESS", address.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let answers: Vec<Value> = ["42", "43"]
        .iter()
        .map(|id| local_invoke(address, &format!(r#"{{"id":"{id}"}}"#)))
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    let seen = fake.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_get_item(&seen[0], "42");
    assert_get_item(&seen[1], "43");
    assert_eq!(answers[0]["id"], "42");
    assert_eq!(answers[1]["id"], "43");
    assert_eq!(answers[1]["item"]["name"], "widget");
}

/// POSTs an event to local mode's Invoke API (retrying the connection while the bootstrap
/// starts, for at most 10 s) and returns the answer's body.
fn local_invoke(address: std::net::SocketAddr, event: &str) -> Value {
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
    let (_, body) = reply.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

/// An `https://` endpoint: the client builds its TLS connector (loading the roots compiled
/// into the binary, which would panic were one unreadable) and opens with a TLS ClientHello.
/// The fake answers no TLS, so the call fails: with an error, not a panic.
#[test]
fn an_https_endpoint_is_called_with_tls_and_the_bundled_roots() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let server = thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok((mut stream, _)) = listener.accept() {
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut record = [0; 6];
                stream.read_exact(&mut record).unwrap();
                return Some(record);
            }
            thread::sleep(Duration::from_millis(5));
        }
        None
    });
    let out = invoke(&endpoint, r#"{"id":"42"}"#);
    let record = server.join().unwrap().expect("the bootstrap connected");
    // A TLS handshake record (0x16), version 3.x, whose first message is a ClientHello (1).
    assert_eq!(
        (record[0], record[1], record[5]),
        (0x16, 3, 1),
        "{record:?}"
    );
    assert!(!out.status.success(), "{out:?}");
    let document: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["errorType"], "DynamoDB.GetItem", "{document}");
}
