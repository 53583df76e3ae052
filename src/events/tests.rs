//! Capacities, base64 bodies, the stack an event takes, and response types round-tripping
//! through serde_json both ways (the samples are compared with aws_lambda_events in
//! `samples.rs`).

use serde::Serialize;
use serde_json::Value;

use super::apigw::{ApiGatewayRequest, ApiGatewayResponse};
use super::eventbridge::EventBridgeEvent;
use super::http::{HttpRequest, HttpResponse};
use super::s3::S3Event;
use super::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use super::*;
use crate::typed::from_slice;

fn sample(name: &str) -> (Value, &'static mut [u8]) {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value = serde_json::from_slice(&text).unwrap();
    (value, Box::leak(text.into_boxed_slice()))
}

#[test]
fn more_entries_than_a_maps_capacity_is_an_error_naming_it() {
    let (j, _) = sample("example-apigw-v2-request-no-authorizer.json");
    let mut buf = serde_json::to_vec(&j).unwrap();
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct FewHeaders<'a> {
        #[serde(borrow)]
        headers: Map<'a, &'a str, 3>,
    }
    let error = from_slice::<FewHeaders<'_>>(&mut buf).unwrap_err();
    let fourth = j["headers"].as_object().unwrap().keys().nth(3).unwrap(); // in the order written
    let expected = format!("more elements than the capacity of 3 at headers.{fourth} (byte ");
    assert!(error.message.contains(&expected), "{}", error.message);
}

#[test]
fn base64_bodies_are_decoded_in_place() {
    let (mut j, _) = sample("example-apigw-v2-request-no-authorizer.json");
    let payload: Vec<u8> = (0..=255u8).collect();
    let mut encoded = vec![0; crate::codec::base64::encoded_len(payload.len())];
    j["body"] = Value::String(
        String::from_utf8(
            crate::codec::base64::encode(&payload, &mut encoded)
                .unwrap()
                .to_vec(),
        )
        .unwrap(),
    );
    j["isBase64Encoded"] = Value::Bool(true);
    let mut buf = serde_json::to_vec(&j).unwrap();
    let range = buf.as_ptr_range();
    let e: HttpRequest<'_> = from_slice(&mut buf).unwrap();
    let body = body::decode(e.body.unwrap(), e.is_base64_encoded).unwrap();
    assert_eq!(body, payload.as_slice());
    assert!(range.contains(&body.as_ptr()), "decoded where it lay");

    j["body"] = Value::String("plain \"text\"".into());
    j["isBase64Encoded"] = Value::Bool(false);
    let mut buf = serde_json::to_vec(&j).unwrap();
    let e: HttpRequest<'_> = from_slice(&mut buf).unwrap();
    assert_eq!(
        body::decode(e.body.unwrap(), false).unwrap(),
        b"plain \"text\""
    );

    // From another deserializer the body is only readable.
    let shared: InPlace<'_> = serde_json::from_str("\"aGk=\"").unwrap();
    assert_eq!(shared.as_str(), "aGk=");
    assert_eq!(body::decode(shared, true), None);
}

/// Serialized by the runtime's serializer, read by serde_json; serialized by serde_json, read
/// by the runtime's deserializer: the same value each way.
fn round_trip<T>(value: &T)
where
    T: Serialize + std::fmt::Debug + PartialEq + serde::Deserialize<'static>,
{
    let buf = Box::leak(vec![0u8; 4096].into_boxed_slice());
    let len = crate::typed::ser::to_slice(value, buf).unwrap();
    let written: &'static [u8] = &buf[..len];
    let theirs: T = serde_json::from_slice(written)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(written)));
    assert_eq!(&theirs, value);
    let text = serde_json::to_vec(value).unwrap();
    let ours: T = from_slice(Box::leak(text.into_boxed_slice())).unwrap();
    assert_eq!(&ours, value);
}

/// cargo-lambda's emulator refuses a function URL response without `cookies` (a 500), so the
/// field is written when empty too.
#[test]
fn an_http_response_always_writes_its_cookies() {
    let mut buf = [0u8; 256];
    let len =
        crate::typed::ser::to_slice(&HttpResponse::<'static>::new(200, "hi"), &mut buf).unwrap();
    let written: serde_json::Value = serde_json::from_slice(&buf[..len]).unwrap();
    assert_eq!(written["cookies"], serde_json::json!([]), "{written}");
}

#[test]
fn responses_round_trip_through_serde_json() {
    let mut http: HttpResponse<'static> = HttpResponse::new(201, "created");
    http.headers
        .push("content-type", "application/json")
        .unwrap();
    http.headers.push("x-words", "a b").unwrap();
    http.cookies.push("a=1; Secure").unwrap();
    round_trip(&http);
    round_trip(&HttpResponse::<'static> {
        body: None,
        ..HttpResponse::new(204, "")
    });

    let mut rest: ApiGatewayResponse<'static> = ApiGatewayResponse {
        status_code: 200,
        headers: Map::new(),
        multi_value_headers: Map::new(),
        body: Some("ok"),
        is_base64_encoded: false,
    };
    rest.headers.push("Content-Type", "text/plain").unwrap();
    let mut values = List::new();
    values.push("a=1").unwrap();
    values.push("b=2").unwrap();
    rest.multi_value_headers.push("Set-Cookie", values).unwrap();
    round_trip(&rest);

    let mut batch: SqsBatchResponse<'static> = SqsBatchResponse::default();
    round_trip(&batch);
    batch
        .batch_item_failures
        .push(BatchItemFailure {
            item_identifier: "MessageID_1",
        })
        .unwrap();
    batch
        .batch_item_failures
        .push(BatchItemFailure {
            item_identifier: "id 2",
        })
        .unwrap();
    round_trip(&batch);
    let mut buf = [0u8; 256];
    let len = crate::typed::ser::to_slice(&batch, &mut buf).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&buf[..len]).unwrap(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "MessageID_1"}, {"itemIdentifier": "id 2"}]}),
        "the shape Lambda reads"
    );
    // Escapes are written as JSON wants them (serde_json cannot borrow them back: compared as values).
    let escaped = HttpResponse::<'static>::new(200, "{\"a\":\"\\\n\u{1}\"}");
    let len = crate::typed::ser::to_slice(&escaped, &mut buf).unwrap();
    let value: Value = serde_json::from_slice(&buf[..len]).unwrap();
    assert_eq!(value["body"], "{\"a\":\"\\\n\u{1}\"}");
}

/// The stack a typed handler's event parse takes, with room, for the largest event type (the
/// REST request, 20 KB as a value: its multi-value maps are inline): docs/handlers.md states
/// it. Measured with `EVENT_STACK_PROBE` (bytes) on x86_64, release, in a test thread:
/// 112 KiB overflows, 120 KiB passes. Records are parsed one at a time, so a batch's size
/// does not change it.
pub(super) const EVENT_STACK: usize = 160 * 1024;

pub(super) fn within_stack(stack: usize, parse: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(parse)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn every_event_type_parses_within_the_stated_stack() {
    let stack = std::env::var("EVENT_STACK_PROBE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(EVENT_STACK);
    eprintln!(
        "sizes: ApiGatewayRequest {}, HttpRequest {}, SqsMessage {}, S3Record {}, EventBridgeEvent {}",
        core::mem::size_of::<ApiGatewayRequest<'_>>(),
        core::mem::size_of::<HttpRequest<'_>>(),
        core::mem::size_of::<super::sqs::SqsMessage<'_>>(),
        core::mem::size_of::<super::s3::S3Record<'_>>(),
        core::mem::size_of::<EventBridgeEvent<'_>>(),
    );
    within_stack(stack, || {
        let (_, buf) = sample("example-apigw-request.json");
        assert!(from_slice::<ApiGatewayRequest<'_>>(buf).is_ok());
    });
    within_stack(stack, || {
        let (_, buf) = sample("example-apigw-v2-request-no-authorizer.json");
        assert!(from_slice::<HttpRequest<'_>>(buf).is_ok());
    });
    within_stack(stack, || {
        let (_, buf) = sample("example-sqs-event.json");
        let mut event = from_slice::<SqsEvent<'_>>(buf).unwrap();
        assert!(event.records.all(|r| r.is_ok()));
    });
    within_stack(stack, || {
        let (_, buf) = sample("example-s3-event.json");
        let mut event = from_slice::<S3Event<'_>>(buf).unwrap();
        assert!(event.records.all(|r| r.is_ok()));
    });
    within_stack(stack, || {
        let (_, buf) = sample("example-eventbridge-schedule.json");
        let mut event = from_slice::<EventBridgeEvent<'_>>(buf).unwrap();
        assert!(event.resources.all(|r| r.is_ok()));
    });
}
