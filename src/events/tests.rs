//! Every event type against the real AWS samples in `tests/events/`: each declared field is
//! compared with serde_json's reading of the same file. Response types round-trip through
//! serde_json both ways.

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

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

fn opt(value: &Value) -> Option<&str> {
    value.as_str()
}

/// `map` holds exactly the object `value` (or `value` is null / absent and `map` is empty).
fn same_map<const N: usize>(map: &Map<'_, &str, N>, value: &Value) {
    let object = value.as_object().cloned().unwrap_or_default();
    assert_eq!(map.len(), object.len(), "{value}");
    for (name, v) in map.iter() {
        assert_eq!(Some(*v), object[name].as_str(), "{name}");
    }
}

fn same_multi<const N: usize, const M: usize>(map: &Map<'_, List<&str, M>, N>, value: &Value) {
    let object = value.as_object().cloned().unwrap_or_default();
    assert_eq!(map.len(), object.len());
    for (name, values) in map.iter() {
        let expected: Vec<&str> = object[name].as_array().unwrap().iter().map(text).collect();
        assert_eq!(values.as_slice(), expected.as_slice(), "{name}");
    }
}

fn same_list<const N: usize>(list: &List<&str, N>, value: &Value) {
    let expected: Vec<&str> = value
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    assert_eq!(list.as_slice(), expected.as_slice());
}

fn same_raw(raw: Option<RawJson<'_>>, value: &Value) {
    match raw {
        Some(raw) => assert_eq!(&serde_json::from_str::<Value>(raw.get()).unwrap(), value),
        None => assert!(value.is_null(), "{value}"),
    }
}

#[test]
fn http_api_payload_2_and_function_urls() {
    let (j, buf) = sample("example-apigw-v2-request-no-authorizer.json");
    let e: HttpRequest<'_> = from_slice(buf).unwrap();
    assert_eq!(e.version, text(&j["version"]));
    assert_eq!(e.route_key, text(&j["routeKey"]));
    assert_eq!(e.raw_path, text(&j["rawPath"]));
    assert_eq!(e.raw_query_string, text(&j["rawQueryString"]));
    assert_eq!(e.cookies.is_some(), !j["cookies"].is_null());
    same_map(&e.headers, &j["headers"]);
    assert_eq!(
        e.headers.get_ignore_case("User-Agent"),
        Some(&"curl/7.58.0")
    );
    same_map(&e.query_string_parameters, &j["queryStringParameters"]);
    same_map(&e.path_parameters, &j["pathParameters"]);
    same_map(&e.stage_variables, &j["stageVariables"]);
    assert_eq!(e.body.as_ref().map(|b| b.as_str()), opt(&j["body"]));
    assert_eq!(e.is_base64_encoded, j["isBase64Encoded"].as_bool().unwrap());
    let (c, jc) = (&e.request_context, &j["requestContext"]);
    assert_eq!(c.account_id, text(&jc["accountId"]));
    assert_eq!(c.api_id, text(&jc["apiId"]));
    same_raw(c.authentication, &jc["authentication"]);
    same_raw(c.authorizer, &jc["authorizer"]);
    assert_eq!(c.domain_name, text(&jc["domainName"]));
    assert_eq!(c.domain_prefix, text(&jc["domainPrefix"]));
    for (ours, name) in [
        (c.http.method, "method"),
        (c.http.path, "path"),
        (c.http.protocol, "protocol"),
        (c.http.source_ip, "sourceIp"),
        (c.http.user_agent, "userAgent"),
    ] {
        assert_eq!(ours, text(&jc["http"][name]), "{name}");
    }
    assert_eq!(c.request_id, text(&jc["requestId"]));
    assert_eq!(c.route_key, text(&jc["routeKey"]));
    assert_eq!(c.stage, text(&jc["stage"]));
    assert_eq!(c.time, text(&jc["time"]));
    assert_eq!(c.time_epoch, jc["timeEpoch"].as_i64().unwrap());
}

#[test]
fn rest_api_payload_1() {
    let (j, buf) = sample("example-apigw-request.json");
    let e: ApiGatewayRequest<'_> = from_slice(buf).unwrap();
    assert_eq!(e.resource, text(&j["resource"]));
    assert_eq!(e.path, text(&j["path"]));
    assert_eq!(e.http_method, text(&j["httpMethod"]));
    same_map(&e.headers, &j["headers"]);
    same_multi(&e.multi_value_headers, &j["multiValueHeaders"]);
    same_map(&e.query_string_parameters, &j["queryStringParameters"]);
    same_multi(
        &e.multi_value_query_string_parameters,
        &j["multiValueQueryStringParameters"],
    );
    same_map(&e.path_parameters, &j["pathParameters"]);
    same_map(&e.stage_variables, &j["stageVariables"]);
    // The body has escapes (`\r\n\t\"`): unescaped in place.
    assert_eq!(e.body.as_ref().map(|b| b.as_str()), opt(&j["body"]));
    assert_eq!(
        e.is_base64_encoded,
        j["isBase64Encoded"].as_bool().unwrap_or(false)
    );
    let (c, jc) = (&e.request_context, &j["requestContext"]);
    for (ours, name) in [
        (c.account_id, "accountId"),
        (c.resource_id, "resourceId"),
        (c.path, "path"),
        (c.stage, "stage"),
        (c.domain_name, "domainName"),
        (c.request_id, "requestId"),
        (c.protocol, "protocol"),
        (c.resource_path, "resourcePath"),
        (c.http_method, "httpMethod"),
        (c.request_time, "requestTime"),
        (c.api_id, "apiId"),
    ] {
        assert_eq!(ours, text(&jc[name]), "{name}");
    }
    assert_eq!(c.domain_prefix, opt(&jc["domainPrefix"]));
    same_raw(Some(c.identity), &jc["identity"]);
    same_raw(c.authorizer, &jc["authorizer"]);
    assert_eq!(
        c.request_time_epoch,
        jc["requestTimeEpoch"].as_i64().unwrap()
    );
}

#[test]
fn sqs_batches() {
    let (j, buf) = sample("example-sqs-event.json");
    let e: SqsEvent<'_> = from_slice(buf).unwrap();
    let records = j["Records"].as_array().unwrap();
    assert_eq!(e.records.len(), records.len());
    for (m, jm) in e.records.iter().zip(records) {
        for (ours, name) in [
            (m.message_id, "messageId"),
            (m.receipt_handle, "receiptHandle"),
            (m.body, "body"),
            (m.md5_of_body, "md5OfBody"),
            (m.event_source_arn, "eventSourceARN"),
            (m.event_source, "eventSource"),
            (m.aws_region, "awsRegion"),
        ] {
            assert_eq!(ours, text(&jm[name]), "{name}");
        }
        assert_eq!(
            m.md5_of_message_attributes,
            opt(&jm["md5OfMessageAttributes"])
        );
        same_map(&m.attributes, &jm["attributes"]);
        let attributes = jm["messageAttributes"].as_object().unwrap();
        assert_eq!(m.message_attributes.len(), attributes.len());
        for (name, a) in m.message_attributes.iter() {
            let ja = &attributes[name];
            assert_eq!(a.string_value, opt(&ja["stringValue"]), "{name}");
            assert_eq!(a.binary_value, opt(&ja["binaryValue"]), "{name}");
            same_list(&a.string_list_values, &ja["stringListValues"]);
            same_list(&a.binary_list_values, &ja["binaryListValues"]);
            assert_eq!(a.data_type, text(&ja["dataType"]), "{name}");
        }
    }
}

#[test]
fn s3_notifications() {
    let (j, buf) = sample("example-s3-event.json");
    let e: S3Event<'_> = from_slice(buf).unwrap();
    let records = j["Records"].as_array().unwrap();
    assert_eq!(e.records.len(), records.len());
    for (r, jr) in e.records.iter().zip(records) {
        for (ours, name) in [
            (r.event_version, "eventVersion"),
            (r.event_source, "eventSource"),
            (r.aws_region, "awsRegion"),
            (r.event_time, "eventTime"),
            (r.event_name, "eventName"),
        ] {
            assert_eq!(ours, text(&jr[name]), "{name}");
        }
        assert_eq!(
            r.user_identity.principal_id,
            text(&jr["userIdentity"]["principalId"])
        );
        same_map(&r.request_parameters, &jr["requestParameters"]);
        same_map(&r.response_elements, &jr["responseElements"]);
        let (s3, js) = (&r.s3, &jr["s3"]);
        assert_eq!(s3.s3_schema_version, text(&js["s3SchemaVersion"]));
        assert_eq!(s3.configuration_id, text(&js["configurationId"]));
        assert_eq!(s3.bucket.name, text(&js["bucket"]["name"]));
        assert_eq!(
            s3.bucket.owner_identity.principal_id,
            text(&js["bucket"]["ownerIdentity"]["principalId"])
        );
        assert_eq!(s3.bucket.arn, text(&js["bucket"]["arn"]));
        let jo = &js["object"];
        assert_eq!(s3.object.key, text(&jo["key"]));
        assert_eq!(s3.object.size, jo["size"].as_u64());
        assert_eq!(s3.object.version_id, opt(&jo["versionId"]));
        assert_eq!(s3.object.e_tag, opt(&jo["eTag"]));
        assert_eq!(s3.object.sequencer, text(&jo["sequencer"]));
    }
}

#[test]
fn eventbridge_events() {
    let (j, buf) = sample("example-eventbridge-schedule.json");
    let e: EventBridgeEvent<'_> = from_slice(buf).unwrap();
    for (ours, name) in [
        (e.version, "version"),
        (e.id, "id"),
        (e.detail_type, "detail-type"),
        (e.source, "source"),
        (e.account, "account"),
        (e.time, "time"),
        (e.region, "region"),
    ] {
        assert_eq!(ours, text(&j[name]), "{name}");
    }
    same_list(&e.resources, &j["resources"]);
    same_raw(Some(e.detail), &j["detail"]);
}

#[test]
fn more_records_than_the_capacity_is_an_error_naming_it() {
    let (mut j, _) = sample("example-sqs-event.json");
    let record = j["Records"][0].clone();
    j["Records"].as_array_mut().unwrap().push(record);
    let mut buf = serde_json::to_vec(&j).unwrap();
    let error = from_slice::<SqsEvent<'_, 1>>(&mut buf).unwrap_err();
    assert!(
        error
            .message
            .contains("more elements than the capacity of 1 at Records[1] (byte "),
        "{}",
        error.message
    );
    let mut buf = serde_json::to_vec(&j).unwrap();
    assert_eq!(
        from_slice::<SqsEvent<'_, 2>>(&mut buf)
            .unwrap()
            .records
            .len(),
        2
    );

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
