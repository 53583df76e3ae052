//! The events the benchmark sends.
//!
//! Each is a JSON object of exactly the wanted size, written as `serde_json` writes it back
//! (compact, keys in sorted order, only ASCII that needs no escape), so an echo through a
//! `serde_json::Value` tree returns the same bytes and every answer can be checked exactly.
use serde::Serialize;
use std::path::Path;

/// Where an event comes from: generated to a size (in the run's [`Shape`]), or the HTTP API
/// sample that typed handlers are measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Generated,
    HttpApiSample,
}

/// The AWS sample HTTP API (payload 2.0) request, in the product's tests.
pub const HTTP_API_SAMPLE: &str = "tests/events/example-apigw-v2-request-no-authorizer.json";

/// The HTTP API sample, written as `serde_json` writes it back (compact, keys sorted), so
/// that the echo runtimes can be checked on it too.
pub fn http_api_sample(main_dir: &Path) -> Result<Vec<u8>, String> {
    let path = main_dir.join(HTTP_API_SAMPLE);
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::to_vec(&value).expect("a Value serialises"))
}

/// What the events look like inside. Only a runtime that parses the event (the
/// `lambda_runtime` `Value` variants) can tell the two apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// One string padded to the size: the cheapest JSON to parse (the default).
    Padded,
    /// A batch of small SQS-like records, as large events usually are: many values, so a
    /// `Value` tree makes many allocations.
    Records,
}

pub fn event(size: usize, shape: Shape) -> Vec<u8> {
    match shape {
        Shape::Padded => padded(size),
        Shape::Records => records(size),
    }
}

/// Records of about this many bytes; the last one's body takes up the difference.
const RECORD_BYTES: usize = 256;

/// `{"Records":[{"attributes":{...},"body":"...","eventSource":"aws:sqs","messageId":"..."},...]}`
/// of exactly `size` bytes (small sizes fall back to the padded shape).
fn records(size: usize) -> Vec<u8> {
    const HEAD: &[u8] = br#"{"Records":["#;
    const TAIL: &[u8] = br#"]}"#;
    let record = |number: usize, body_len: usize| -> Vec<u8> {
        let mut r =
            br#"{"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1700000000000"},"body":""#.to_vec();
        r.extend(PADDING.iter().cycle().skip(number % PADDING.len()).take(body_len));
        r.extend_from_slice(format!(r#"","eventSource":"aws:sqs","messageId":"m{number:08}"}}"#).as_bytes());
        r
    };
    let overhead = record(0, 0).len();
    if size < HEAD.len() + TAIL.len() + overhead + RECORD_BYTES {
        return padded(size);
    }
    let mut bytes = HEAD.to_vec();
    let mut number = 0;
    // Full records while at least one more full record and a final one still fit after them.
    while bytes.len() + 2 * (RECORD_BYTES + 1) + TAIL.len() <= size {
        bytes.extend(record(number, RECORD_BYTES - overhead));
        bytes.push(b',');
        number += 1;
    }
    let last_body = size - bytes.len() - TAIL.len() - overhead;
    bytes.extend(record(number, last_body));
    bytes.extend_from_slice(TAIL);
    bytes
}

const PADDING: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.,:;";

/// `{"id":"benchmark","padding":"..."}` of exactly `size` bytes (at least 31).
fn padded(size: usize) -> Vec<u8> {
    const HEAD: &[u8] = br#"{"id":"benchmark","padding":""#;
    const TAIL: &[u8] = br#""}"#;
    let padding = size.checked_sub(HEAD.len() + TAIL.len()).expect("event too small");
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(HEAD);
    bytes.extend(PADDING.iter().cycle().take(padding));
    bytes.extend_from_slice(TAIL);
    bytes
}

/// What a handler answers: the default `bootstrap` prefixes `Hello: `, echo handlers nothing.
pub fn expected_response(prefix: &[u8], event: &[u8]) -> Vec<u8> {
    [prefix, event].concat()
}

/// What the typed handlers answer (examples/typed_bench/ in the product and
/// peers/lambda-runtime-typed, the same serde structs): for a generated event, its `id` and
/// the length of its `padding`; for the HTTP API sample, `template/`'s greeting as an HTTP API
/// response. Worked out here from the event with `serde_json`, independently of both.
pub fn typed_answer(kind: Kind, event: &[u8]) -> Vec<u8> {
    let value: serde_json::Value = serde_json::from_slice(event).expect("the harness's events are JSON");
    let text = |pointer: &str| value.pointer(pointer).and_then(|v| v.as_str()).map(str::to_owned);
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serialises");
    // Written out in the order the handlers' structs declare their fields.
    match kind {
        Kind::Generated => {
            let id = text("/id").expect("a generated event has an id");
            let padding = text("/padding").expect("a generated event has a padding");
            format!(r#"{{"id":{},"padding_bytes":{}}}"#, quoted(&id), padding.len())
        }
        Kind::HttpApiSample => {
            let name = text("/queryStringParameters/name").unwrap_or_else(|| "world".into());
            let method = text("/requestContext/http/method").expect("the sample has a method");
            let path = text("/requestContext/http/path").expect("the sample has a path");
            let body = format!("Hello, {name}! ({method} {path})");
            format!(
                r#"{{"statusCode":200,"headers":{{"content-type":"text/plain; charset=utf-8"}},"body":{},"isBase64Encoded":false}}"#,
                quoted(&body)
            )
        }
    }
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::Shape;

    #[test]
    fn typed_answers() {
        let padded = super::event(145, Shape::Padded);
        assert_eq!(super::typed_answer(super::Kind::Generated, &padded), br#"{"id":"benchmark","padding_bytes":114}"#);
        let main_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let sample = super::http_api_sample(&main_dir).unwrap();
        assert_eq!(
            String::from_utf8(super::typed_answer(super::Kind::HttpApiSample, &sample)).unwrap(),
            r#"{"statusCode":200,"headers":{"content-type":"text/plain; charset=utf-8"},"body":"Hello, world! (GET /)","isBase64Encoded":false}"#
        );
    }

    #[test]
    fn exact_size_and_canonical_json() {
        for (size, shape) in [145, 64 * 1024, 1 << 20, 6 << 20].into_iter().flat_map(|s| [(s, Shape::Padded), (s, Shape::Records)]) {
            let event = super::event(size, shape);
            assert_eq!(event.len(), size);
            let value: serde_json::Value = serde_json::from_slice(&event).unwrap();
            assert_eq!(serde_json::to_vec(&value).unwrap(), event);
        }
    }
}
