//! Every AWS sample event of every type offered (tests/events/: aws_lambda_events' fixtures,
//! and what cargo-lambda's emulator sends) parses, and each field we offer holds what
//! `aws_lambda_events` (lambda_runtime's event types) reads from the same file.

use std::collections::{BTreeSet, HashMap};

use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
};
use aws_lambda_events::eventbridge::EventBridgeEvent as TheirEventBridge;
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_lambda_events::query_map::QueryMap;
use aws_lambda_events::s3::S3Event as TheirS3;
use aws_lambda_events::sqs::{SqsBatchResponse as TheirBatchResponse, SqsEvent as TheirSqs};
use serde_json::Value;

use super::apigw::{ApiGatewayRequest, ApiGatewayResponse};
use super::eventbridge::EventBridgeEvent;
use super::http::HttpRequest;
use super::s3::S3Event;
use super::sqs::{SqsBatchResponse, SqsEvent};
use super::*;
use crate::typed::from_slice;

/// The samples whose name starts with one of `prefixes`: name, bytes for us (leaked: they are
/// unescaped in place and borrowed), bytes for them.
fn samples(prefixes: &[&str]) -> Vec<(String, &'static mut [u8], Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/events");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") && prefixes.iter().any(|p| n.starts_with(p)))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "{prefixes:?}");
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read(format!("{dir}/{name}")).unwrap();
            let ours = Box::leak(text.clone().into_boxed_slice());
            (name, ours, text)
        })
        .collect()
}

/// Ours as an optional string, whether the field is optional or not.
trait Text {
    fn text(&self) -> Option<&str>;
}

impl Text for &str {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl Text for Option<&str> {
    fn text(&self) -> Option<&str> {
        *self
    }
}

#[track_caller]
fn same(name: &str, field: &str, ours: impl Text, theirs: &Option<String>) {
    assert_eq!(ours.text(), theirs.as_deref(), "{name}: {field}");
}

fn same_headers<const N: usize>(name: &str, ours: &Map<'_, &str, N>, theirs: &HeaderMap) {
    assert_eq!(ours.len(), theirs.keys_len(), "{name}: headers");
    for (key, value) in ours.iter() {
        let theirs = theirs.get(key).map(|v| v.to_str().unwrap());
        assert_eq!(Some(*value), theirs, "{name}: headers.{key}");
    }
}

fn same_multi_headers<const N: usize, const M: usize>(
    name: &str,
    ours: &Map<'_, List<&str, M>, N>,
    theirs: &HeaderMap,
) {
    assert_eq!(ours.len(), theirs.keys_len(), "{name}: multiValueHeaders");
    for (key, values) in ours.iter() {
        let theirs: Vec<&str> = theirs
            .get_all(key)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            values.as_slice(),
            theirs.as_slice(),
            "{name}: multiValueHeaders.{key}"
        );
    }
}

fn query_keys(theirs: &QueryMap) -> usize {
    theirs.iter().map(|(k, _)| k).collect::<BTreeSet<_>>().len()
}

/// `join`: HTTP APIs join a name's values with commas, which aws_lambda_events splits.
fn same_query<const N: usize>(name: &str, ours: &Map<'_, &str, N>, theirs: &QueryMap, join: bool) {
    assert_eq!(
        ours.len(),
        query_keys(theirs),
        "{name}: queryStringParameters"
    );
    for (key, value) in ours.iter() {
        let theirs = match join {
            true => theirs.all(key).map(|all| all.join(",")),
            false => theirs.first(key).map(str::to_owned),
        };
        assert_eq!(
            Some(value.to_string()),
            theirs,
            "{name}: queryStringParameters.{key}"
        );
    }
}

fn same_multi_query<const N: usize, const M: usize>(
    name: &str,
    ours: &Map<'_, List<&str, M>, N>,
    theirs: &QueryMap,
) {
    assert_eq!(
        ours.len(),
        query_keys(theirs),
        "{name}: multiValueQueryStringParameters"
    );
    for (key, values) in ours.iter() {
        assert_eq!(Some(values.to_vec()), theirs.all(key), "{name}: {key}");
    }
}

fn same_map<const N: usize>(
    name: &str,
    field: &str,
    ours: &Map<'_, &str, N>,
    theirs: &HashMap<String, String>,
) {
    assert_eq!(ours.len(), theirs.len(), "{name}: {field}");
    for (key, value) in ours.iter() {
        assert_eq!(
            Some(*value),
            theirs.get(key).map(String::as_str),
            "{name}: {field}.{key}"
        );
    }
}

fn same_time(name: &str, ours: Option<&str>, theirs: Option<chrono::DateTime<chrono::Utc>>) {
    let ours = ours.map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc());
    assert_eq!(ours, theirs, "{name}: time");
}

#[test]
fn http_api_requests_as_aws_lambda_events_reads_them() {
    for (name, ours, text) in samples(&["example-apigw-v2-request", "example-apigw-sam-http"]) {
        let theirs: ApiGatewayV2httpRequest = serde_json::from_slice(&text).unwrap();
        let e: HttpRequest<'_> = from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        same(&name, "version", e.version, &theirs.version);
        same(&name, "routeKey", e.route_key, &theirs.route_key);
        same(&name, "rawPath", e.raw_path, &theirs.raw_path);
        same(
            &name,
            "rawQueryString",
            e.raw_query_string,
            &theirs.raw_query_string,
        );
        let cookies = e
            .cookies
            .as_ref()
            .map(|c| c.iter().map(|c| c.to_string()).collect());
        assert_eq!(cookies, theirs.cookies, "{name}: cookies");
        same_headers(&name, &e.headers, &theirs.headers);
        same_query(
            &name,
            &e.query_string_parameters,
            &theirs.query_string_parameters,
            true,
        );
        same_map(
            &name,
            "pathParameters",
            &e.path_parameters,
            &theirs.path_parameters,
        );
        same_map(
            &name,
            "stageVariables",
            &e.stage_variables,
            &theirs.stage_variables,
        );
        same(
            &name,
            "body",
            e.body.as_ref().map(|b| b.as_str()),
            &theirs.body,
        );
        assert_eq!(e.is_base64_encoded, theirs.is_base64_encoded, "{name}");
        let (c, tc) = (&e.request_context, &theirs.request_context);
        same(&name, "accountId", c.account_id, &tc.account_id);
        same(&name, "apiId", c.api_id, &tc.apiid);
        assert_eq!(
            c.authorizer.is_some(),
            tc.authorizer.is_some(),
            "{name}: authorizer"
        );
        same(&name, "domainName", c.domain_name, &tc.domain_name);
        same(&name, "domainPrefix", c.domain_prefix, &tc.domain_prefix);
        same(&name, "requestId", c.request_id, &tc.request_id);
        same(&name, "routeKey", c.route_key, &tc.route_key);
        same(&name, "stage", c.stage, &tc.stage);
        same(&name, "time", c.time, &tc.time);
        assert_eq!(c.time_epoch, tc.time_epoch, "{name}: timeEpoch");
        let (h, th) = (&c.http, &tc.http);
        assert_eq!(h.method, th.method.as_str(), "{name}: http.method");
        same(&name, "http.path", h.path, &th.path);
        same(&name, "http.protocol", h.protocol, &th.protocol);
        same(&name, "http.sourceIp", h.source_ip, &th.source_ip);
        same(&name, "http.userAgent", h.user_agent, &th.user_agent);
    }
}

#[test]
fn function_url_requests_as_aws_lambda_events_reads_them() {
    // cargo-lambda's, as `cargo lambda watch` sends them (null rawQueryString, accountId, apiId).
    for (name, ours, text) in samples(&["cargo-lambda-function-url", "example-apigw-v2-request"]) {
        let theirs: LambdaFunctionUrlRequest = serde_json::from_slice(&text).unwrap();
        let e: HttpRequest<'_> = from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        same(&name, "version", e.version, &theirs.version);
        same(&name, "rawPath", e.raw_path, &theirs.raw_path);
        same(
            &name,
            "rawQueryString",
            e.raw_query_string,
            &theirs.raw_query_string,
        );
        same_headers(&name, &e.headers, &theirs.headers);
        let query: HashMap<String, String> = theirs.query_string_parameters.clone();
        same_map(
            &name,
            "queryStringParameters",
            &e.query_string_parameters,
            &query,
        );
        same(
            &name,
            "body",
            e.body.as_ref().map(|b| b.as_str()),
            &theirs.body,
        );
        assert_eq!(e.is_base64_encoded, theirs.is_base64_encoded, "{name}");
        let (c, tc) = (&e.request_context, &theirs.request_context);
        same(&name, "accountId", c.account_id, &tc.account_id);
        same(&name, "apiId", c.api_id, &tc.apiid);
        same(&name, "domainName", c.domain_name, &tc.domain_name);
        same(&name, "requestId", c.request_id, &tc.request_id);
        assert_eq!(c.time_epoch, tc.time_epoch, "{name}: timeEpoch");
        assert_eq!(
            Some(c.http.method),
            tc.http.method.as_deref(),
            "{name}: method"
        );
        same(&name, "http.path", c.http.path, &tc.http.path);
        same(&name, "http.sourceIp", c.http.source_ip, &tc.http.source_ip);
        same(
            &name,
            "http.userAgent",
            c.http.user_agent,
            &tc.http.user_agent,
        );
    }
}

#[test]
fn rest_api_requests_as_aws_lambda_events_reads_them() {
    let rest = [
        "example-apigw-console",
        "example-apigw-request",
        "example-apigw-restapi",
        "example-apigw-sam-rest",
    ];
    for (name, ours, text) in samples(&rest) {
        let theirs: ApiGatewayProxyRequest = serde_json::from_slice(&text).unwrap();
        let e: ApiGatewayRequest<'_> = from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        same(&name, "resource", e.resource, &theirs.resource);
        same(&name, "path", e.path, &theirs.path);
        assert_eq!(
            e.http_method,
            theirs.http_method.as_str(),
            "{name}: httpMethod"
        );
        same_headers(&name, &e.headers, &theirs.headers);
        same_multi_headers(&name, &e.multi_value_headers, &theirs.multi_value_headers);
        same_query(
            &name,
            &e.query_string_parameters,
            &theirs.query_string_parameters,
            false,
        );
        same_multi_query(
            &name,
            &e.multi_value_query_string_parameters,
            &theirs.multi_value_query_string_parameters,
        );
        same_map(
            &name,
            "pathParameters",
            &e.path_parameters,
            &theirs.path_parameters,
        );
        same_map(
            &name,
            "stageVariables",
            &e.stage_variables,
            &theirs.stage_variables,
        );
        same(
            &name,
            "body",
            e.body.as_ref().map(|b| b.as_str()),
            &theirs.body,
        );
        assert_eq!(e.is_base64_encoded, theirs.is_base64_encoded, "{name}");
        let (c, tc) = (&e.request_context, &theirs.request_context);
        same(&name, "accountId", c.account_id, &tc.account_id);
        same(&name, "resourceId", c.resource_id, &tc.resource_id);
        same(&name, "stage", c.stage, &tc.stage);
        same(&name, "domainName", c.domain_name, &tc.domain_name);
        same(&name, "domainPrefix", c.domain_prefix, &tc.domain_prefix);
        same(&name, "requestId", c.request_id, &tc.request_id);
        same(&name, "protocol", c.protocol, &tc.protocol);
        same(&name, "resourcePath", c.resource_path, &tc.resource_path);
        same(&name, "requestContext.path", c.path, &tc.path);
        assert_eq!(
            c.http_method,
            tc.http_method.as_str(),
            "{name}: requestContext.httpMethod"
        );
        same(&name, "requestTime", c.request_time, &tc.request_time);
        assert_eq!(
            c.request_time_epoch.unwrap_or(0),
            tc.request_time_epoch,
            "{name}: requestTimeEpoch"
        );
        same(&name, "apiId", c.api_id, &tc.apiid);
    }
}

#[test]
fn rest_api_responses_as_aws_lambda_events_reads_them() {
    for (name, ours, text) in samples(&["example-apigw-response"]) {
        let theirs: ApiGatewayProxyResponse = serde_json::from_slice(&text).unwrap();
        let r: ApiGatewayResponse<'_> =
            from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(i64::from(r.status_code), theirs.status_code, "{name}");
        same_headers(&name, &r.headers, &theirs.headers);
        same_multi_headers(&name, &r.multi_value_headers, &theirs.multi_value_headers);
        let body = theirs
            .body
            .as_ref()
            .map(|b| String::from_utf8(b.to_vec()).unwrap());
        assert_eq!(r.body.map(str::to_owned), body, "{name}: body");
        assert_eq!(r.is_base64_encoded, theirs.is_base64_encoded, "{name}");
    }
}

#[test]
fn sqs_batches_as_aws_lambda_events_reads_them() {
    for (name, ours, text) in samples(&["example-sqs-event"]) {
        let theirs: TheirSqs = serde_json::from_slice(&text).unwrap();
        let e: SqsEvent<'_> = from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let ours: Vec<_> = e
            .records
            .map(|r| r.unwrap_or_else(|e| panic!("{name}: {e:?}")))
            .collect();
        assert_eq!(ours.len(), theirs.records.len(), "{name}");
        for (m, tm) in ours.iter().zip(&theirs.records) {
            same(&name, "messageId", m.message_id, &tm.message_id);
            same(&name, "receiptHandle", m.receipt_handle, &tm.receipt_handle);
            same(&name, "body", m.body.as_str(), &tm.body);
            same(&name, "md5OfBody", m.md5_of_body, &tm.md5_of_body);
            same(
                &name,
                "md5OfMessageAttributes",
                m.md5_of_message_attributes,
                &tm.md5_of_message_attributes,
            );
            same(
                &name,
                "eventSourceARN",
                m.event_source_arn,
                &tm.event_source_arn,
            );
            same(&name, "eventSource", m.event_source, &tm.event_source);
            same(&name, "awsRegion", m.aws_region, &tm.aws_region);
            same_map(&name, "attributes", &m.attributes, &tm.attributes);
            assert_eq!(
                m.message_attributes.len(),
                tm.message_attributes.len(),
                "{name}"
            );
            for (key, a) in m.message_attributes.iter() {
                let ta = &tm.message_attributes[key];
                same(&name, key, a.string_value, &ta.string_value);
                let binary = ta.binary_value.as_ref().map(|b| {
                    let mut out = vec![0; crate::codec::base64::encoded_len(b.len())];
                    String::from_utf8(crate::codec::base64::encode(b, &mut out).unwrap().to_vec())
                        .unwrap()
                });
                same(&name, key, a.binary_value, &binary);
                assert_eq!(
                    a.string_list_values.to_vec(),
                    ta.string_list_values,
                    "{name}: {key}"
                );
                assert_eq!(
                    a.binary_list_values.len(),
                    ta.binary_list_values.len(),
                    "{name}: {key}"
                );
                same(&name, key, a.data_type, &ta.data_type);
            }
        }
    }
}

#[test]
fn sqs_batch_responses_as_aws_lambda_events_reads_them() {
    for (name, ours, text) in samples(&["example-sqs-batch-response"]) {
        let theirs: TheirBatchResponse = serde_json::from_slice(&text).unwrap();
        let r: SqsBatchResponse<'_> = from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let ours: Vec<&str> = r
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier)
            .collect();
        let theirs: Vec<&str> = theirs
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn s3_notifications_as_aws_lambda_events_reads_them() {
    for (name, ours, text) in samples(&["example-s3-event"]) {
        let theirs: TheirS3 = serde_json::from_slice(&text).unwrap();
        let e: S3Event<'_> = from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let ours: Vec<_> = e
            .records
            .map(|r| r.unwrap_or_else(|e| panic!("{name}: {e:?}")))
            .collect();
        assert_eq!(ours.len(), theirs.records.len(), "{name}");
        for (r, tr) in ours.iter().zip(&theirs.records) {
            same(&name, "eventVersion", r.event_version, &tr.event_version);
            same(&name, "eventSource", r.event_source, &tr.event_source);
            same(&name, "awsRegion", r.aws_region, &tr.aws_region);
            same_time(&name, Some(r.event_time), Some(tr.event_time));
            same(&name, "eventName", r.event_name, &tr.event_name);
            same(
                &name,
                "userIdentity",
                r.user_identity.principal_id,
                &tr.principal_id.principal_id,
            );
            let ip = r.request_parameters.get("sourceIPAddress").copied();
            same(
                &name,
                "sourceIPAddress",
                ip,
                &tr.request_parameters.source_ip_address,
            );
            same_map(
                &name,
                "responseElements",
                &r.response_elements,
                &tr.response_elements,
            );
            let (s, ts) = (&r.s3, &tr.s3);
            same(
                &name,
                "s3SchemaVersion",
                s.s3_schema_version,
                &ts.schema_version,
            );
            same(
                &name,
                "configurationId",
                s.configuration_id,
                &ts.configuration_id,
            );
            same(&name, "bucket.name", s.bucket.name, &ts.bucket.name);
            let owner = ts
                .bucket
                .owner_identity
                .as_ref()
                .and_then(|o| o.principal_id.clone());
            same(
                &name,
                "bucket.ownerIdentity",
                s.bucket.owner_identity.principal_id,
                &owner,
            );
            same(&name, "bucket.arn", s.bucket.arn, &ts.bucket.arn);
            same(&name, "object.key", s.object.key, &ts.object.key);
            assert_eq!(
                s.object.size.map(|n| n as i64),
                ts.object.size,
                "{name}: size"
            );
            same(
                &name,
                "object.versionId",
                s.object.version_id,
                &ts.object.version_id,
            );
            same(&name, "object.eTag", s.object.e_tag, &ts.object.e_tag);
            same(
                &name,
                "object.sequencer",
                s.object.sequencer,
                &ts.object.sequencer,
            );
        }
    }
}

#[test]
fn eventbridge_events_as_aws_lambda_events_reads_them() {
    for (name, ours, text) in samples(&["example-eventbridge"]) {
        let theirs: TheirEventBridge = serde_json::from_slice(&text).unwrap();
        let e: EventBridgeEvent<'_> = from_slice(ours).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        same(&name, "version", e.version, &theirs.version);
        same(&name, "id", e.id, &theirs.id);
        assert_eq!(e.detail_type, theirs.detail_type, "{name}");
        assert_eq!(e.source, theirs.source, "{name}");
        same(&name, "account", e.account, &theirs.account);
        same_time(&name, e.time, theirs.time);
        same(&name, "region", e.region, &theirs.region);
        let detail: Value = serde_json::from_str(e.detail.get()).unwrap();
        assert_eq!(detail, theirs.detail, "{name}: detail");
        let resources: Vec<String> = e.resources.map(|r| r.unwrap().to_owned()).collect();
        assert_eq!(
            resources,
            theirs.resources.unwrap_or_default(),
            "{name}: resources"
        );
    }
}

/// Each known way AWS leaves a field out or null, on top of its samples.
#[test]
fn fields_aws_may_omit_or_send_as_null_are_optional() {
    let (_, _, text) = samples(&["example-apigw-request.json"]).pop().unwrap();
    let mut rest: Value = serde_json::from_slice(&text).unwrap();
    for field in [
        "path",
        "domainName",
        "protocol",
        "requestTime",
        "requestTimeEpoch",
    ] {
        rest["requestContext"]
            .as_object_mut()
            .unwrap()
            .remove(field);
    }
    rest["isBase64Encoded"] = Value::Null;
    let mut buf = serde_json::to_vec(&rest).unwrap();
    let e: ApiGatewayRequest<'_> = from_slice(&mut buf).unwrap();
    assert_eq!(
        (e.request_context.path, e.request_context.request_time_epoch),
        (None, None)
    );
    assert!(!e.is_base64_encoded);

    let (_, _, text) = samples(&["example-eventbridge-schedule"]).pop().unwrap();
    let mut event: Value = serde_json::from_slice(&text).unwrap();
    for field in ["version", "account", "time", "region"] {
        event.as_object_mut().unwrap().remove(field);
    }
    let mut buf = serde_json::to_vec(&event).unwrap();
    let e: EventBridgeEvent<'_> = from_slice(&mut buf).unwrap();
    assert_eq!(
        (e.version, e.account, e.time, e.region),
        (None, None, None, None)
    );

    let (_, _, text) = samples(&["example-apigw-v2-request-no-authorizer"])
        .pop()
        .unwrap();
    for user_agent in [Some(Value::Null), None] {
        let mut event: Value = serde_json::from_slice(&text).unwrap();
        let http = event["requestContext"]["http"].as_object_mut().unwrap();
        match &user_agent {
            Some(null) => http.insert("userAgent".into(), null.clone()),
            None => http.remove("userAgent"),
        };
        let mut buf = serde_json::to_vec(&event).unwrap();
        let e: HttpRequest<'_> = from_slice(&mut buf).unwrap();
        assert_eq!(e.request_context.http.user_agent, None);
    }
}
