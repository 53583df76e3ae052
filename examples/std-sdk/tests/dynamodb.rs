//! Runs the built `bootstrap` against a fake DynamoDB this test serves on 127.0.0.1: the SDK
//! client signs a JSON 1.0 `GetItem` and the function answers with the item the fake gave.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One request, as the fake DynamoDB saw it.
#[derive(Debug)]
struct Seen {
    target: String,
    content_type: String,
    authorization: String,
    body: Value,
}

/// A fake DynamoDB on 127.0.0.1 answering every request with `status` and `body`, until it has
/// served `requests` of them or 30 s have passed (so a bootstrap that never calls cannot hang
/// the test).
struct FakeDynamoDb {
    url: String,
    server: JoinHandle<Vec<Seen>>,
}

impl FakeDynamoDb {
    fn start(requests: usize, status: &'static str, body: Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let body = body.to_string();
        let server = thread::spawn(move || {
            let mut seen = Vec::new();
            let start = Instant::now();
            while seen.len() < requests && start.elapsed() < Duration::from_secs(30) {
                match listener.accept() {
                    Ok((stream, _)) => seen.push(answer(stream, status, &body)),
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
            seen
        });
        FakeDynamoDb { url, server }
    }

    fn seen(self) -> Vec<Seen> {
        self.server.join().unwrap()
    }
}

/// Reads one request and answers it as DynamoDB's JSON 1.0 protocol does, closing the
/// connection (the client opens another for its next call).
fn answer(stream: TcpStream, status: &str, body: &str) -> Seen {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("POST / HTTP/1.1"), "{line}");
    let (mut target, mut content_type, mut authorization) =
        (String::new(), String::new(), String::new());
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim_end().is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        let value = value.trim().to_string();
        match name.to_ascii_lowercase().as_str() {
            "x-amz-target" => target = value,
            "content-type" => content_type = value,
            "authorization" => authorization = value,
            "content-length" => length = value.parse().unwrap(),
            _ => {}
        }
    }
    let mut request = vec![0; length];
    reader.read_exact(&mut request).unwrap();
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-requestid: TEST\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    Seen {
        target,
        content_type,
        authorization,
        body: serde_json::from_slice(&request).unwrap(),
    }
}

/// The bootstrap, configured as Lambda would (region, credentials) plus the table and the fake.
fn bootstrap(endpoint: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    command
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("AWS_SESSION_TOKEN")
        .env("TABLE_NAME", "widgets")
        .env("AWS_REGION", "eu-west-3")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("DYNAMODB_ENDPOINT", endpoint);
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

fn item() -> Value {
    json!({"Item": {"id": {"S": "42"}, "name": {"S": "widget"}, "count": {"N": "3"}}})
}

/// The GetItem the handler makes for `id`, as DynamoDB's JSON 1.0 protocol sends it.
fn assert_get_item(seen: &Seen, id: &str) {
    assert_eq!(seen.target, "DynamoDB_20120810.GetItem");
    assert_eq!(seen.content_type, "application/x-amz-json-1.0");
    assert_eq!(
        seen.body,
        json!({"TableName": "widgets", "Key": {"id": {"S": id}}})
    );
    // Signed with the static credentials, for the region and service given.
    assert!(
        seen.authorization
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
            && seen
                .authorization
                .contains("/eu-west-3/dynamodb/aws4_request"),
        "{}",
        seen.authorization
    );
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
