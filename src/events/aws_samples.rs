//! The event types of the sources added for issue 20 (and the typed parts of the older ones)
//! against AWS's public samples in `tests/events/`, compared field by field with what the
//! `aws_lambda_events` crate reads from the same file.

use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
use serde_json::Value;

use super::alb::{AlbRequest, AlbResponse};
use super::apigw::ApiGatewayRequest;
use super::http::HttpRequest;
use super::kinesis::KinesisEvent;
use super::s3::S3Event;
use super::sns::SnsEvent;
use super::sqs::SqsEvent;
use super::*;
use crate::typed::from_slice;

/// The sample's bytes twice: one copy for `aws_lambda_events`, one (leaked, writable) for ours.
fn sample(name: &str) -> (Vec<u8>, &'static mut [u8]) {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (text.clone(), Box::leak(text.into_boxed_slice()))
}

fn theirs<T: serde::de::DeserializeOwned>(text: &[u8]) -> T {
    serde_json::from_slice(text).unwrap()
}

fn leak(value: &Value) -> &'static mut [u8] {
    Box::leak(serde_json::to_vec(value).unwrap().into_boxed_slice())
}

/// The first record of a batch, which must be there and parse.
fn first<'a, T: serde::Deserialize<'a> + records::Record>(mut records: Records<'a, T>) -> T {
    records.next().unwrap().unwrap()
}

fn same_headers<const N: usize>(ours: &Map<'_, &str, N>, theirs: &HeaderMap) {
    assert_eq!(ours.len(), theirs.keys_len());
    for (name, value) in ours.iter() {
        assert_eq!(theirs[name].to_str().unwrap(), *value, "{name}");
    }
}

fn same_multi_headers<const N: usize, const M: usize>(
    ours: &Map<'_, List<&str, M>, N>,
    theirs: &HeaderMap,
) {
    assert_eq!(ours.len(), theirs.keys_len());
    for (name, values) in ours.iter() {
        let expected: Vec<&str> = theirs
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(values.as_slice(), expected.as_slice(), "{name}");
    }
}

fn same_query<const N: usize>(ours: &Map<'_, &str, N>, theirs: &QueryMap) {
    assert_eq!(ours.len(), theirs.iter().count());
    for (name, value) in ours.iter() {
        assert_eq!(theirs.first(name), Some(*value), "{name}");
    }
}

fn same_multi_query<const N: usize, const M: usize>(
    ours: &Map<'_, List<&str, M>, N>,
    theirs: &QueryMap,
) {
    let total: usize = ours.iter().map(|(_, values)| values.len()).sum();
    assert_eq!(total, theirs.iter().count());
    for (name, values) in ours.iter() {
        assert_eq!(Some(values.to_vec()), theirs.all(name), "{name}");
    }
}

/// A [`JsonValue`] is the value serde_json reads.
fn same_value(ours: &JsonValue<'_>, theirs: &Value) {
    match *ours {
        JsonValue::Null => assert!(theirs.is_null()),
        JsonValue::Bool(b) => assert_eq!(Some(b), theirs.as_bool()),
        JsonValue::Number(text) => {
            assert!(theirs.is_number());
            assert_eq!(ours.as_i64(), theirs.as_i64());
            assert_eq!(ours.as_f64(), theirs.as_f64());
            assert_eq!(text.parse::<f64>().ok(), theirs.as_f64());
        }
        JsonValue::Str(text) => assert_eq!(Some(text), theirs.as_str()),
        JsonValue::Object(raw) | JsonValue::Array(raw) => {
            assert!(theirs.is_object() || theirs.is_array());
            assert_eq!(&serde_json::from_str::<Value>(raw.get()).unwrap(), theirs);
        }
    }
}

fn same_values<const N: usize>(
    ours: &Map<'_, JsonValue<'_>, N>,
    theirs: &serde_json::Map<String, Value>,
) {
    assert_eq!(ours.len(), theirs.len());
    for (name, value) in ours.iter() {
        same_value(value, &theirs[name]);
    }
}

#[test]
fn alb_requests() {
    use aws_lambda_events::alb::AlbTargetGroupRequest;
    for name in [
        "example-alb-lambda-target-request-headers-only.json",
        "example-alb-lambda-target-request-multivalue-headers.json",
    ] {
        let (text, buf) = sample(name);
        let t: AlbTargetGroupRequest = theirs(&text);
        let o: AlbRequest<'_> = from_slice(buf).unwrap();
        assert_eq!(o.http_method, t.http_method.as_str());
        assert_eq!(o.path, t.path.as_deref());
        same_query(&o.query_string_parameters, &t.query_string_parameters);
        same_multi_query(
            &o.multi_value_query_string_parameters,
            &t.multi_value_query_string_parameters,
        );
        same_headers(&o.headers, &t.headers);
        same_multi_headers(&o.multi_value_headers, &t.multi_value_headers);
        assert_eq!(
            o.request_context.elb.target_group_arn,
            t.request_context.elb.target_group_arn.as_deref()
        );
        assert_eq!(o.body.as_ref().map(|b| b.as_str()), t.body.as_deref());
        assert_eq!(o.is_base64_encoded, t.is_base64_encoded);
    }
    // `isBase64Encoded: null` is false, as aws_lambda_events reads it.
    let (text, _) = sample("example-alb-lambda-target-request-headers-only.json");
    let mut j: Value = theirs(&text);
    j["isBase64Encoded"] = Value::Null;
    let t: AlbTargetGroupRequest = serde_json::from_value(j.clone()).unwrap();
    let o: AlbRequest<'_> = from_slice(leak(&j)).unwrap();
    assert_eq!((o.is_base64_encoded, t.is_base64_encoded), (false, false));
}

#[test]
fn alb_responses_read_and_written() {
    use aws_lambda_events::alb::AlbTargetGroupResponse;
    use aws_lambda_events::encodings::Body;
    let (text, buf) = sample("example-alb-lambda-target-response.json");
    let t: AlbTargetGroupResponse = theirs(&text);
    let o: AlbResponse<'_> = from_slice(buf).unwrap();
    assert_eq!(i64::from(o.status_code), t.status_code);
    assert_eq!(o.status_description, t.status_description.as_deref());
    same_headers(&o.headers, &t.headers);
    same_multi_headers(&o.multi_value_headers, &t.multi_value_headers);
    match (&o.body, &t.body) {
        (Some(ours), Some(Body::Text(theirs))) => assert_eq!(ours, theirs),
        other => panic!("{other:?}"),
    }
    assert_eq!(o.is_base64_encoded, t.is_base64_encoded);
    // What we write, aws_lambda_events reads as the sample.
    let mut out = [0u8; 1024];
    let len = crate::typed::ser::to_slice(&o, &mut out).unwrap();
    assert_eq!(theirs::<AlbTargetGroupResponse>(&out[..len]), t);
    let mut plain = AlbResponse::new(404, "no");
    plain.headers.push("content-type", "text/plain").unwrap();
    let len = crate::typed::ser::to_slice(&plain, &mut out).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&out[..len]).unwrap(),
        serde_json::json!({"statusCode": 404, "headers": {"content-type": "text/plain"}, "body": "no", "isBase64Encoded": false})
    );
}

#[test]
fn sns_notifications() {
    use aws_lambda_events::sns::SnsEvent as Theirs;
    for name in [
        "example-sns-event.json",
        "example-sns-event-pascal-case.json",
        "example-sns-event-obj.json",
    ] {
        let (text, buf) = sample(name);
        let t: Theirs = theirs(&text);
        let o: SnsEvent<'_> = from_slice(buf).unwrap();
        let records: Vec<_> = o.records.map(Result::unwrap).collect();
        assert_eq!(records.len(), t.records.len());
        for (o, t) in records.iter().zip(&t.records) {
            assert_eq!(o.event_source, t.event_source);
            assert_eq!(o.event_version, t.event_version);
            assert_eq!(o.event_subscription_arn, t.event_subscription_arn);
            let (o, t) = (&o.sns, &t.sns);
            assert_eq!(o.message_type, t.sns_message_type);
            assert_eq!(o.message_id, t.message_id);
            assert_eq!(o.topic_arn, t.topic_arn);
            assert_eq!(o.subject, t.subject.as_deref());
            assert_eq!(o.message.as_str(), t.message, "unescaped in place");
            assert_eq!(o.timestamp, format!("{:?}", t.timestamp));
            assert_eq!(o.signature_version, t.signature_version);
            assert_eq!(o.signature, t.signature);
            assert_eq!(o.signing_cert_url, t.signing_cert_url);
            assert_eq!(o.unsubscribe_url, t.unsubscribe_url);
            assert_eq!(o.message_attributes.len(), t.message_attributes.len());
            for (name, a) in o.message_attributes.iter() {
                let ta = &t.message_attributes[name];
                assert_eq!((a.data_type, a.value), (&*ta.data_type, &*ta.value));
            }
        }
    }
}

#[test]
fn sns_message_attributes() {
    let (text, _) = sample("example-sns-event.json");
    let mut j: Value = theirs(&text);
    j["Records"][0]["Sns"]["MessageAttributes"] = serde_json::json!({
        "Test": {"Type": "String", "Value": "TestString"},
        "TestBinary": {"Type": "Binary", "Value": "TestBinary"}
    });
    let t: aws_lambda_events::sns::SnsEvent = serde_json::from_value(j.clone()).unwrap();
    let o: SnsEvent<'_> = from_slice(leak(&j)).unwrap();
    let record = first(o.records);
    let (o, t) = (&record.sns, &t.records[0].sns);
    assert_eq!(o.message_attributes.len(), 2);
    for (name, a) in o.message_attributes.iter() {
        let ta = &t.message_attributes[name];
        assert_eq!((a.data_type, a.value), (&*ta.data_type, &*ta.value));
    }
    j["Records"][0]["Sns"]["MessageAttributes"] = Value::Null;
    let o: SnsEvent<'_> = from_slice(leak(&j)).unwrap();
    let record = first(o.records);
    assert!(record.sns.message_attributes.is_empty());
}

#[test]
fn kinesis_records() {
    use aws_lambda_events::kinesis::KinesisEvent as Theirs;
    for name in [
        "example-kinesis-event.json",
        "example-kinesis-event-encrypted.json",
    ] {
        let (text, buf) = sample(name);
        let t: Theirs = theirs(&text);
        let o: KinesisEvent<'_> = from_slice(buf).unwrap();
        let records: Vec<_> = o.records.map(Result::unwrap).collect();
        assert_eq!(records.len(), t.records.len());
        for (o, t) in records.into_iter().zip(&t.records) {
            assert_eq!(o.aws_region, t.aws_region.as_deref());
            assert_eq!(o.event_id, t.event_id.as_deref());
            assert_eq!(o.event_name, t.event_name.as_deref());
            assert_eq!(o.event_source, t.event_source.as_deref());
            assert_eq!(o.event_source_arn, t.event_source_arn.as_deref());
            assert_eq!(o.event_version, t.event_version.as_deref());
            assert_eq!(o.invoke_identity_arn, t.invoke_identity_arn.as_deref());
            let (o, t) = (o.kinesis, &t.kinesis);
            assert_eq!(
                (o.approximate_arrival_timestamp * 1000.0).round() as i64,
                t.approximate_arrival_timestamp.timestamp_millis()
            );
            assert_eq!(
                o.encryption_type.unwrap_or("NONE"),
                serde_json::to_value(&t.encryption_type).unwrap()
            );
            assert_eq!(o.partition_key, t.partition_key);
            assert_eq!(o.sequence_number, t.sequence_number);
            assert_eq!(
                o.kinesis_schema_version,
                t.kinesis_schema_version.as_deref()
            );
            // Decoded into a buffer of the handler's, then where it lies.
            let mut out = [0u8; 64];
            assert_eq!(o.data.decode_into(&mut out).unwrap(), t.data.0.as_slice());
            assert_eq!(o.data.decode_into(&mut out[..3]), None, "too small");
            assert_eq!(o.data.decode_in_place().unwrap(), t.data.0.as_slice());
        }
    }
}

#[test]
fn rest_identity_and_authorizer() {
    use aws_lambda_events::apigw::ApiGatewayProxyRequest;
    for name in [
        "example-apigw-request.json",
        "example-apigw-request-catch-all.json",
        "example-apigw-console-request.json",
        "example-apigw-console-test-request.json",
        "example-apigw-request-multi-value-parameters.json",
        "example-apigw-restapi-openapi-request.json",
        "example-apigw-sam-rest-request.json",
    ] {
        let (text, buf) = sample(name);
        let t: ApiGatewayProxyRequest = theirs(&text);
        let o: ApiGatewayRequest<'_> = from_slice(buf).unwrap();
        let (o, t) = (o.request_context, &t.request_context);
        let (oi, ti) = (&o.identity, &t.identity);
        for (ours, theirs) in [
            (oi.source_ip, &ti.source_ip),
            (oi.user_agent, &ti.user_agent),
            (oi.caller, &ti.caller),
            (oi.user, &ti.user),
            (oi.user_arn, &ti.user_arn),
            (oi.account_id, &ti.account_id),
            (oi.access_key, &ti.access_key),
            (oi.api_key, &ti.api_key),
            (oi.api_key_id, &ti.api_key_id),
            (oi.cognito_identity_id, &ti.cognito_identity_id),
            (oi.cognito_identity_pool_id, &ti.cognito_identity_pool_id),
            (
                oi.cognito_authentication_type,
                &ti.cognito_authentication_type,
            ),
            (
                oi.cognito_authentication_provider,
                &ti.cognito_authentication_provider,
            ),
        ] {
            assert_eq!(ours, theirs.as_deref(), "{name}");
        }
        same_rest_authorizer(&parsed(o.authorizer), &t.authorizer.fields);
    }
}

/// What a [`Lazy`] holds (the default when absent).
fn parsed<'a, T: serde::Deserialize<'a> + Default>(lazy: Lazy<'a, T>) -> T {
    lazy.parse().map(Result::unwrap).unwrap_or_default()
}

fn same_rest_authorizer(
    o: &authorizer::ApiGatewayAuthorizer<'_>,
    fields: &std::collections::HashMap<String, Value>,
) {
    let mut rest: serde_json::Map<String, Value> =
        fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(
        o.principal_id,
        rest.remove("principalId").as_ref().and_then(Value::as_str)
    );
    assert_eq!(
        o.integration_latency,
        rest.remove("integrationLatency")
            .as_ref()
            .and_then(Value::as_i64)
    );
    let claims = rest.remove("claims").unwrap_or_default();
    same_values(&o.claims, &claims.as_object().cloned().unwrap_or_default());
    same_values(&o.context, &rest);
}

#[test]
fn rest_cognito_claims_and_lambda_context() {
    use aws_lambda_events::apigw::ApiGatewayProxyRequest;
    let (text, _) = sample("example-apigw-request.json");
    let mut j: Value = theirs(&text);
    j["requestContext"]["authorizer"] = serde_json::json!({
        "claims": {"sub": "7d8ca528", "email_verified": "true", "cognito:username": "jane", "exp": 1588679547},
        "principalId": "user|a1b2",
        "integrationLatency": 21,
        "tenant": "acme\n\"inc\"",
        "admin": true,
        "quota": 1.5,
        "nested": {"a": [1, 2]}
    });
    let t: ApiGatewayProxyRequest = serde_json::from_value(j.clone()).unwrap();
    let o: ApiGatewayRequest<'_> = from_slice(leak(&j)).unwrap();
    let a = &parsed(o.request_context.authorizer);
    same_rest_authorizer(a, &t.request_context.authorizer.fields);
    assert_eq!(a.principal_id, Some("user|a1b2"));
    assert_eq!(
        a.claims.get("sub").and_then(JsonValue::as_str),
        Some("7d8ca528")
    );
    assert_eq!(
        a.claims.get("exp").and_then(JsonValue::as_i64),
        Some(1588679547)
    );
    assert_eq!(
        a.context.get("tenant").and_then(JsonValue::as_str),
        Some("acme\n\"inc\"")
    );
    assert_eq!(
        a.context.get("admin").and_then(JsonValue::as_bool),
        Some(true)
    );
    assert_eq!(a.context.len(), 4);
    assert_eq!(
        a.context.get("quota").and_then(JsonValue::as_f64),
        Some(1.5)
    );
    assert_eq!(a.context.get("quota").and_then(JsonValue::as_i64), None);

    // Absent, null: no authorizer; more context than the capacity: an error naming it.
    for authorizer in [None, Some(Value::Null)] {
        let mut j = j.clone();
        match authorizer {
            None => drop(
                j["requestContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("authorizer"),
            ),
            Some(v) => j["requestContext"]["authorizer"] = v,
        }
        let o: ApiGatewayRequest<'_> = from_slice(leak(&j)).unwrap();
        assert!(!o.request_context.authorizer.is_some());
        let a = parsed(o.request_context.authorizer);
        assert!(a.principal_id.is_none() && a.claims.is_empty() && a.context.is_empty());
    }
    let many: serde_json::Map<String, Value> = (0..=authorizer::MAX_CLAIMS)
        .map(|i| (format!("k{i}"), Value::from(i)))
        .collect();
    j["requestContext"]["authorizer"] = Value::Object(many);
    let o: ApiGatewayRequest<'_> = from_slice(leak(&j)).unwrap();
    let error = o.request_context.authorizer.parse().unwrap().unwrap_err();
    assert_eq!(
        error.kind,
        crate::typed::error::Kind::OverCapacity {
            capacity: authorizer::MAX_CLAIMS
        },
        "{error:?}"
    );
}

#[test]
fn http_api_authorizers() {
    use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
    for name in [
        "example-apigw-v2-request-jwt-authorizer.json",
        "example-apigw-v2-request-iam.json",
        "example-apigw-v2-request-lambda-authorizer.json",
        "example-apigw-v2-request-no-authorizer.json",
        "example-apigw-v2-request-multi-value-parameters.json",
        "example-apigw-sam-http-request.json",
        "cargo-lambda-function-url-get.json",
    ] {
        let (text, buf) = sample(name);
        let t: ApiGatewayV2httpRequest = theirs(&text);
        let o: HttpRequest<'_> = from_slice(buf).unwrap();
        let o = o.request_context.authorizer.parse().map(Result::unwrap);
        let (o, t) = (&o, &t.request_context.authorizer);
        let (Some(o), Some(t)) = (o, t) else {
            assert_eq!(o.is_some(), t.is_some(), "{name}");
            continue;
        };
        match (&o.jwt, &t.jwt) {
            (Some(o), Some(t)) => {
                assert_eq!(o.claims.len(), t.claims.len());
                for (name, value) in o.claims.iter() {
                    assert_eq!(value.as_str(), Some(t.claims[name].as_str()));
                }
                assert_eq!(
                    o.scopes.as_ref().map(|s| s.to_vec()),
                    t.scopes
                        .as_ref()
                        .map(|s| s.iter().map(String::as_str).collect())
                );
            }
            (o, t) => assert_eq!(o.is_some(), t.is_some()),
        }
        match (&o.iam, &t.iam) {
            (Some(o), Some(t)) => {
                for (ours, theirs) in [
                    (o.access_key, &t.access_key),
                    (o.account_id, &t.account_id),
                    (o.caller_id, &t.caller_id),
                    (o.principal_org_id, &t.principal_org_id),
                    (o.user_arn, &t.user_arn),
                    (o.user_id, &t.user_id),
                ] {
                    assert_eq!(ours, theirs.as_deref());
                }
                let (o, t) = (
                    o.cognito_identity.as_ref().unwrap(),
                    t.cognito_identity.as_ref().unwrap(),
                );
                assert_eq!(o.amr.to_vec(), t.amr);
                assert_eq!(o.identity_id, t.identity_id.as_deref());
                assert_eq!(o.identity_pool_id, t.identity_pool_id.as_deref());
            }
            (o, t) => assert_eq!(o.is_some(), t.is_some()),
        }
        let fields: serde_json::Map<String, Value> = t
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        same_values(&o.lambda, &fields);
    }
}

#[test]
fn s3_keys_decoded() {
    let (text, buf) = sample("example-s3-event-with-decoded.json");
    let t: aws_lambda_events::s3::S3Event = theirs(&text);
    let o: S3Event<'_> = from_slice(buf).unwrap();
    let record = first(o.records);
    let (o, t) = (&record.s3.object, &t.records[0].s3.object);
    assert_eq!(Some(o.key), t.key.as_deref());
    let mut out = [0u8; 64];
    let decoded = o.decode_key_into(&mut out).unwrap();
    assert_eq!(Some(decoded), t.url_decoded_key.as_deref());
    assert_eq!(decoded, "Happy Face.jpg");
    let mut short = [0u8; 4];
    assert_eq!(o.decode_key_into(&mut short), None);
    // `+` is a space in S3's keys; `%2B` a plus sign; a key that is not UTF-8 is none.
    let mut j: Value = theirs(&text);
    for (encoded, decoded) in [
        ("a+b%2Bc/%C3%A9t%C3%A9.txt", Some("a b+c/été.txt")),
        ("%FF", None),
    ] {
        j["Records"][0]["s3"]["object"]["key"] = Value::from(encoded);
        let o: S3Event<'_> = from_slice(leak(&j)).unwrap();
        let record = first(o.records);
        assert_eq!(record.s3.object.decode_key_into(&mut out), decoded);
    }
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Order<'a> {
    a: &'a str,
    b: u32,
}

#[test]
fn sqs_bodies_of_the_handlers_type() {
    let (text, buf) = sample("example-sqs-event-obj.json");
    let t: aws_lambda_events::sqs::SqsEventObj<Value> = theirs(&text);
    let o: SqsEvent<'_> = from_slice(buf).unwrap();
    let message = first(o.records);
    let ptr = message.body.as_str().as_ptr();
    let order: Order<'_> = message.body.parse().unwrap().unwrap();
    assert_eq!(order, Order { a: "Test", b: 123 });
    assert_eq!(
        serde_json::to_value(&t.records[0].body).unwrap(),
        serde_json::json!({"a": "Test", "b": 123})
    );
    assert_eq!(
        order.a.as_ptr(),
        ptr.wrapping_add(6),
        "borrowed from the event, not copied"
    );
    assert_eq!(
        message.message_id, "MessageID_1",
        "the rest of the message stays usable"
    );

    // A body that is not an `Order`: that message's error, with where.
    let (text, _) = sample("example-sqs-event-obj.json");
    let mut j: Value = theirs(&text);
    j["Records"][0]["body"] = Value::from(r#"{"a":"x\"y","b":-1}"#);
    let o: SqsEvent<'_> = from_slice(leak(&j)).unwrap();
    let message = first(o.records);
    let error = message.body.parse::<Order<'_>>().unwrap().unwrap_err();
    assert_eq!(error.path().0.count(), 1, "{error:?}");
    // From another deserializer the body cannot be parsed in place.
    let shared: InPlace<'_> = serde_json::from_str(r#""12""#).unwrap();
    assert!(shared.parse::<u32>().is_none());
}

#[test]
fn sns_messages_of_the_handlers_type() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Greeting<'a> {
        foo: &'a str,
        bar: u32,
    }
    let (text, buf) = sample("example-sns-event-obj.json");
    let t: aws_lambda_events::sns::SnsEventObj<Value> = theirs(&text);
    let o: SnsEvent<'_> = from_slice(buf).unwrap();
    let record = first(o.records);
    let greeting: Greeting<'_> = record.sns.message.parse().unwrap().unwrap();
    assert_eq!(
        serde_json::to_value(&t.records[0].sns.message).unwrap(),
        serde_json::json!({"foo": greeting.foo, "bar": greeting.bar})
    );
    assert_eq!(
        greeting,
        Greeting {
            foo: "Hello world!",
            bar: 123
        }
    );
}

/// A DynamoDB attribute value is the one serde_dynamo reads (sets, lists and maps parsed in
/// place, binaries decoded in place).
fn same_attribute(o: dynamodb::AttributeValue<'_>, t: &serde_dynamo::AttributeValue) {
    use dynamodb::AttributeValue as O;
    use serde_dynamo::AttributeValue as T;
    match (o, t) {
        (O::S(o), T::S(t)) | (O::N(o), T::N(t)) => assert_eq!(o, t),
        (O::B(o), T::B(t)) => {
            let mut out = [0u8; 64];
            assert_eq!(o.decode_into(&mut out).unwrap(), t.as_slice());
            assert_eq!(o.decode_in_place().unwrap(), t.as_slice());
        }
        (O::SS(o), T::Ss(t)) | (O::NS(o), T::Ns(t)) => {
            assert_eq!(o.parse().unwrap().unwrap().to_vec(), *t);
        }
        (O::BS(o), T::Bs(t)) => {
            let o = o.parse().unwrap().unwrap();
            assert_eq!(o.len(), t.len());
            for (o, t) in o.into_iter().zip(t) {
                assert_eq!(o.decode_in_place().unwrap(), t.as_slice());
            }
        }
        (O::M(o), T::M(t)) => same_item(o, t),
        (O::L(o), T::L(t)) => {
            let o = o.parse().unwrap().unwrap();
            assert_eq!(o.len(), t.len());
            for (o, t) in o.into_iter().zip(t) {
                same_attribute(o, t);
            }
        }
        (O::Null(o), T::Null(t)) | (O::Bool(o), T::Bool(t)) => assert_eq!(o, *t),
        (o, t) => panic!("{o:?} is not {t:?}"),
    }
}

fn same_item(
    o: Lazy<'_, dynamodb::Item<'_>>,
    t: &std::collections::HashMap<String, serde_dynamo::AttributeValue>,
) {
    let o = parsed(o);
    assert_eq!(o.len(), t.len());
    for (name, value) in o {
        same_attribute(value, &t[name]);
    }
}

fn same_change(o: dynamodb::DynamoDbRecord<'_>, t: &aws_lambda_events::dynamodb::EventRecord) {
    assert_eq!(o.event_id, t.event_id);
    assert_eq!(o.event_name, t.event_name);
    assert_eq!(o.aws_region, t.aws_region);
    assert_eq!(o.event_source, t.event_source.as_deref());
    assert_eq!(o.event_version, t.event_version.as_deref());
    assert_eq!(o.event_source_arn, t.event_source_arn.as_deref());
    match (&o.user_identity, &t.user_identity) {
        (Some(o), Some(t)) => {
            assert_eq!(o.identity_type, t.type_);
            assert_eq!(o.principal_id, t.principal_id);
        }
        (o, t) => assert_eq!(o.is_some(), t.is_some()),
    }
    assert_eq!(o.record_format, t.record_format.as_deref());
    assert_eq!(o.table_name, t.table_name.as_deref());
    let (o, t) = (o.dynamodb, &t.change);
    assert_eq!(
        o.approximate_creation_date_time
            .map_or(0, |s| (s * 1000.0).round() as i64),
        t.approximate_creation_date_time.timestamp_millis()
    );
    assert_eq!(o.sequence_number, t.sequence_number.as_deref());
    assert_eq!(o.size_bytes.map(|n| n as i64), Some(t.size_bytes));
    assert_eq!(
        o.stream_view_type.map(Value::from),
        t.stream_view_type
            .as_ref()
            .map(|v| serde_json::to_value(v).unwrap())
    );
    same_item(o.keys, &t.keys);
    same_item(o.new_image, &t.new_image);
    same_item(o.old_image, &t.old_image);
}

#[test]
fn dynamodb_stream_records() {
    use aws_lambda_events::dynamodb::{Event, EventRecord};
    for name in [
        "example-dynamodb-event.json",
        "example-dynamodb-event-null-items.json",
    ] {
        let (text, buf) = sample(name);
        let t: Event = theirs(&text);
        let o: dynamodb::DynamoDbEvent<'_> = from_slice(buf).unwrap();
        let records: Vec<_> = o.records.map(Result::unwrap).collect();
        assert_eq!(records.len(), t.records.len());
        for (o, t) in records.into_iter().zip(&t.records) {
            same_change(o, t);
        }
    }
    let (text, buf) = sample("example-dynamodb-event-record-with-optional-fields.json");
    let t: EventRecord = theirs(&text);
    same_change(from_slice(buf).unwrap(), &t);
}

#[test]
fn dynamodb_images_into_the_handlers_type() {
    use dynamodb::AttributeValue;
    #[derive(serde::Deserialize)]
    struct Image<'a> {
        #[serde(borrow, rename = "String")]
        string: AttributeValue<'a>,
        #[serde(borrow, rename = "Map")]
        map: AttributeValue<'a>,
        #[serde(borrow, rename = "Boolean")]
        boolean: AttributeValue<'a>,
    }
    let (_, buf) = sample("example-dynamodb-event.json");
    let o: dynamodb::DynamoDbEvent<'_> = from_slice(buf).unwrap();
    let mut records = o.records;
    let change = records.nth(1).unwrap().unwrap();
    let image: Image<'_> = change.dynamodb.new_image.parse_as().unwrap().unwrap();
    assert_eq!(image.string.as_s(), Some("Hello"));
    assert_eq!(image.boolean.as_bool(), Some(true));
    let AttributeValue::M(map) = image.map else {
        panic!("{:?}", image.map)
    };
    let mut map = map.parse().unwrap().unwrap();
    assert_eq!(map.remove("Age").and_then(|v| v.as_n()), Some("35"));
    assert_eq!(map.get("Name").and_then(AttributeValue::as_s), Some("Joe"));
    assert!(map.remove("Age").is_none());
}

#[test]
fn eventbridge_details_of_the_handlers_type() {
    use aws_lambda_events::eventbridge::EventBridgeEvent as Theirs;
    #[derive(Debug, serde::Deserialize)]
    struct StateChange<'a> {
        #[serde(rename = "instance-id")]
        instance_id: &'a str,
        state: &'a str,
    }
    let (text, _) = sample("example-eventbridge-event-obj.json");
    let t: Theirs<Value> = theirs(&text);
    let j: Value = theirs(&text);
    let o: eventbridge::EventBridgeEvent<'_, StateChange<'_>> = from_slice(leak(&j)).unwrap();
    assert_eq!(Some(o.id), t.id.as_deref());
    assert_eq!(o.detail_type, t.detail_type);
    assert_eq!(o.source, t.source);
    assert_eq!(o.detail.instance_id, t.detail["instance-id"]);
    assert_eq!(o.detail.state, t.detail["state"]);
    // The default detail is its JSON text.
    let o: eventbridge::EventBridgeEvent<'_> = from_slice(leak(&j)).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(o.detail.get()).unwrap(),
        t.detail
    );
}

#[test]
fn json_values_as_the_handler_reads_them() {
    let text = br#"[null, true, false, -9223372036854775808, 12, 1.5e3, "a\"b", {"k": [1]}, [2]]"#;
    let values: heapless::Vec<JsonValue<'_>, 9> =
        from_slice(Box::leak(text.to_vec().into_boxed_slice())).unwrap();
    let theirs: Vec<Value> = serde_json::from_slice(text).unwrap();
    for (o, t) in values.iter().zip(&theirs) {
        same_value(o, t);
    }
    assert_eq!(values[3].as_i64(), Some(i64::MIN));
    assert_eq!(values[5].as_i64(), None);
    assert_eq!(values[5].as_f64(), Some(1500.0));
    assert_eq!(values[6].as_str(), Some("a\"b"));
    assert_eq!(values[1].as_bool(), Some(true));
    assert!(matches!(values[8], JsonValue::Array(_)));
}

/// The new types, their lazy parts parsed too, within the stack docs/handlers.md states for
/// the largest event type (see `tests::EVENT_STACK`).
#[test]
fn the_new_types_parse_within_the_stated_stack() {
    use super::tests::{EVENT_STACK, within_stack};
    eprintln!(
        "sizes: AlbRequest {}, SnsRecord {}, KinesisEventRecord {}, DynamoDbRecord {}, Item {}, HttpAuthorizer {}, ApiGatewayAuthorizer {}",
        core::mem::size_of::<AlbRequest<'_>>(),
        core::mem::size_of::<sns::SnsRecord<'_>>(),
        core::mem::size_of::<kinesis::KinesisEventRecord<'_>>(),
        core::mem::size_of::<dynamodb::DynamoDbRecord<'_>>(),
        core::mem::size_of::<dynamodb::Item<'_>>(),
        core::mem::size_of::<authorizer::HttpAuthorizer<'_>>(),
        core::mem::size_of::<authorizer::ApiGatewayAuthorizer<'_>>(),
    );
    within_stack(EVENT_STACK, || {
        let (_, buf) = sample("example-alb-lambda-target-request-multivalue-headers.json");
        assert!(from_slice::<AlbRequest<'_>>(buf).is_ok());
    });
    within_stack(EVENT_STACK, || {
        let (_, buf) = sample("example-sns-event.json");
        let event = from_slice::<SnsEvent<'_>>(buf).unwrap();
        assert!(event.records.map(Result::unwrap).count() == 1);
    });
    within_stack(EVENT_STACK, || {
        let (_, buf) = sample("example-kinesis-event.json");
        let event = from_slice::<KinesisEvent<'_>>(buf).unwrap();
        for record in event.records {
            assert!(record.unwrap().kinesis.data.decode_in_place().is_some());
        }
    });
    within_stack(EVENT_STACK, || {
        let (_, buf) = sample("example-dynamodb-event.json");
        let event = from_slice::<dynamodb::DynamoDbEvent<'_>>(buf).unwrap();
        for record in event.records {
            let image = record.unwrap().dynamodb.new_image.parse().unwrap().unwrap();
            for (_, value) in image {
                match value {
                    dynamodb::AttributeValue::M(m) => assert!(m.parse().unwrap().is_ok()),
                    dynamodb::AttributeValue::L(l) => assert!(l.parse().unwrap().is_ok()),
                    _ => {}
                }
            }
        }
    });
    within_stack(EVENT_STACK, || {
        let (_, buf) = sample("example-apigw-request.json");
        let request = from_slice::<ApiGatewayRequest<'_>>(buf).unwrap();
        assert!(request.request_context.authorizer.parse().unwrap().is_ok());
    });
    within_stack(EVENT_STACK, || {
        let (_, buf) = sample("example-apigw-v2-request-iam.json");
        let request = from_slice::<HttpRequest<'_>>(buf).unwrap();
        assert!(request.request_context.authorizer.parse().unwrap().is_ok());
    });
}
