//! The fake DynamoDB the tests serve on 127.0.0.1, and what they check of its requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One request, as the fake DynamoDB saw it.
#[derive(Debug)]
pub struct Seen {
    pub target: String,
    pub content_type: String,
    pub authorization: String,
    pub body: Value,
}

/// A fake DynamoDB on 127.0.0.1 answering every request with `status` and `body`, until it has
/// served `requests` of them or 30 s have passed (so a bootstrap that never calls cannot hang
/// the test).
pub struct FakeDynamoDb {
    pub url: String,
    server: JoinHandle<Vec<Seen>>,
}

impl FakeDynamoDb {
    pub fn start(requests: usize, status: &'static str, body: Value) -> Self {
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

    pub fn seen(self) -> Vec<Seen> {
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

/// The environment Lambda would give the function (region, credentials), plus the table and
/// the fake's URL: `(name, value)` pairs.
pub fn environment(endpoint: &str) -> [(&'static str, String); 5] {
    [
        ("TABLE_NAME", "widgets".into()),
        ("AWS_REGION", "eu-west-3".into()),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST".into()),
        ("AWS_SECRET_ACCESS_KEY", "secret".into()),
        ("DYNAMODB_ENDPOINT", endpoint.into()),
    ]
}

pub fn item() -> Value {
    json!({"Item": {"id": {"S": "42"}, "name": {"S": "widget"}, "count": {"N": "3"}}})
}

/// The GetItem the handler makes for `id`, as DynamoDB's JSON 1.0 protocol sends it.
pub fn assert_get_item(seen: &Seen, id: &str) {
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
