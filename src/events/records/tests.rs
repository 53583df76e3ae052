//! Records read one at a time: any number, a bad one failing alone, the stack of one.

use serde_json::{Value, json};

use super::super::batch::{BatchItemFailures, answer};
use super::super::sqs::{SqsEvent, SqsMessage};
use super::*;
use crate::abi::handler::Response;
use crate::typed::from_slice;

/// A batch of `n` SQS records shaped as AWS sends them; `body` gives each one's body.
fn batch(n: usize, body: impl Fn(usize) -> Value) -> Vec<u8> {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "messageId": format!("id-{i}"),
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": body(i),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185"
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
                "awsRegion": "us-east-2"
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

fn good_body(i: usize) -> Value {
    json!(format!("message \"{i}\"\n"))
}

#[test]
fn every_record_of_a_ten_thousand_record_batch_is_read_in_order() {
    let mut buf = batch(10_000, good_body);
    let event: SqsEvent<'_> = from_slice(&mut buf).unwrap();
    let mut n = 0;
    for (i, message) in event.records.enumerate() {
        let message = message.unwrap();
        assert_eq!(message.message_id, format!("id-{i}"));
        // Unescaped in place, as the event's other strings are.
        assert_eq!(message.body.as_str(), format!("message \"{i}\"\n"));
        assert_eq!(
            message.attributes.get("ApproximateReceiveCount"),
            Some(&"1")
        );
        n += 1;
    }
    assert_eq!(n, 10_000);
}

/// Parsing the whole batch takes the stack of one record: with room for a few records' worth
/// at most, 10,000 of them (about 4 KB each as `SqsMessage`s) pass. Before, the records were
/// a list inside the event: 10,000 of them needed 40 MB.
#[test]
fn the_stack_does_not_grow_with_the_batch() {
    assert!(core::mem::size_of::<SqsMessage<'_>>() > 2_000);
    let stack = 256 * 1024;
    let read = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(|| {
            let mut buf = batch(10_000, good_body);
            let event: SqsEvent<'_> = from_slice(&mut buf).unwrap();
            event.records.filter(Result::is_ok).count()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(read, 10_000);
}

#[test]
fn a_record_that_does_not_parse_fails_alone_named_by_its_id() {
    let bad = [3, 4_000, 9_999];
    let mut buf = batch(10_000, |i| match i {
        3 => json!(7),
        4_000 => json!(null),
        9_999 => json!({ "not": "a string" }),
        _ => good_body(i),
    });
    let event: SqsEvent<'_> = from_slice(&mut buf).unwrap();
    let mut failed = Vec::new();
    let mut good = 0;
    for record in event.records {
        match record {
            Ok(message) => {
                assert!(message.body.as_str().starts_with("message"));
                good += 1;
            }
            Err(bad) => {
                let mut text = String::new();
                bad.describe(&mut |piece| text.push_str(piece));
                failed.push((bad.index, bad.id, text));
            }
        }
    }
    assert_eq!(good, 10_000 - bad.len());
    let indices: Vec<usize> = failed.iter().map(|f| f.0).collect();
    assert_eq!(indices, bad);
    let ids: Vec<Option<&str>> = failed.iter().map(|f| f.1).collect();
    assert_eq!(ids, [Some("id-3"), Some("id-4000"), Some("id-9999")]);
    for (_, _, text) in &failed {
        assert!(
            text.starts_with("invalid type: expected a string, found "),
            "{text}"
        );
        assert!(text.contains(" at body (byte "), "{text}");
    }
}

#[test]
fn the_partial_batch_response_names_exactly_the_failed_records() {
    let mut buf = batch(10_000, |i| match i {
        17 => json!(5),
        _ => good_body(i),
    });
    let event: SqsEvent<'_> = from_slice(&mut buf).unwrap();
    let mut out = vec![0u8; 1 << 20];
    let mut response = Response::new(&mut out);
    // The handler fails two more.
    answer(
        event.records,
        &mut response,
        |message: SqsMessage<'_>| match message.message_id {
            "id-0" | "id-9998" => Err(crate::Error::from_static("Function.Bad", "bad")),
            _ => Ok(()),
        },
    )
    .unwrap();
    let value: Value = serde_json::from_slice(response.as_bytes()).unwrap();
    assert_eq!(
        value,
        json!({"batchItemFailures": [
            {"itemIdentifier": "id-0"},
            {"itemIdentifier": "id-17"},
            {"itemIdentifier": "id-9998"}
        ]})
    );

    // None failed: an empty list, as Lambda reads a batch that all succeeded.
    let mut buf = batch(3, good_body);
    let event: SqsEvent<'_> = from_slice(&mut buf).unwrap();
    let mut response = Response::new(&mut out);
    answer(event.records, &mut response, |_| Ok(())).unwrap();
    assert_eq!(response.as_bytes(), b"{\"batchItemFailures\":[]}");
}

#[test]
fn a_failed_record_without_an_id_fails_the_whole_batch() {
    let mut buf = br#"{"Records":[{"body":"x"}]}"#.to_vec();
    let event: SqsEvent<'_> = from_slice(&mut buf).unwrap();
    let mut out = vec![0u8; 4096];
    let mut response = Response::new(&mut out);
    let error = answer(event.records, &mut response, |_| Ok(())).unwrap_err();
    assert_eq!(error.error_type, super::super::batch::UNNAMED_RECORD);
}

#[test]
fn identifiers_are_written_as_json_strings() {
    let mut out = vec![0u8; 256];
    let mut response = Response::new(&mut out);
    let mut failures = BatchItemFailures::start(&mut response).unwrap();
    failures.push("a\"b\\c").unwrap();
    failures.push("d").unwrap();
    assert_eq!(failures.len(), 2);
    failures.finish().unwrap();
    let value: Value = serde_json::from_slice(response.as_bytes()).unwrap();
    assert_eq!(value["batchItemFailures"][0]["itemIdentifier"], "a\"b\\c");
    assert_eq!(value["batchItemFailures"][1]["itemIdentifier"], "d");
}

#[test]
fn null_absent_and_empty_arrays_have_no_records_and_other_values_are_refused() {
    #[derive(serde::Deserialize)]
    struct Event<'a> {
        #[serde(default, borrow)]
        items: Records<'a, &'a str>,
    }
    for text in [r#"{"items":null}"#, r#"{}"#, r#"{"items":[ ]}"#] {
        let mut buf = text.as_bytes().to_vec();
        let event: Event<'_> = from_slice(&mut buf).unwrap();
        assert_eq!(event.items.count(), 0, "{text}");
    }
    let mut buf = br#"{"items":[ "a" , 7, "b\"" ]}"#.to_vec();
    let event: Event<'_> = from_slice(&mut buf).unwrap();
    let items: Vec<_> = event.items.map(|r| r.map_err(|bad| bad.index)).collect();
    assert_eq!(items, [Ok("a"), Err(1), Ok("b\"")]);

    let mut buf = br#"{"items":{"a":1}}"#.to_vec();
    let error = from_slice::<Event<'_>>(&mut buf).err().unwrap();
    assert!(
        error
            .message
            .ends_with("invalid type: expected an array, found an object at items (byte 9)"),
        "{}",
        error.message
    );
    // The array's JSON is checked with the event's, as a whole.
    let mut buf = br#"{"items":["a",]}"#.to_vec();
    assert!(from_slice::<Event<'_>>(&mut buf).is_err());
}

#[test]
fn another_deserializer_cannot_make_records() {
    let result = serde_json::from_str::<Records<'_, &str>>(r#"["a"]"#);
    assert!(result.is_err());
}

#[test]
fn the_identifier_is_found_wherever_it_is_and_only_unescaped() {
    struct Nested;
    impl Record for Nested {
        const ID: &'static [&'static str] = &["kinesis", "sequenceNumber"];
    }
    impl<'de> serde::Deserialize<'de> for Nested {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Err(serde::de::Error::custom(d.is_human_readable()))
        }
    }
    #[derive(serde::Deserialize)]
    struct Event<'a> {
        #[serde(borrow, rename = "Records")]
        records: Records<'a, Nested>,
    }
    let mut buf = br#"{"Records":[
        {"a":[1,{"sequenceNumber":"no"}],"kinesis":{"x":"y","sequenceNumber":"49590338"}},
        {"kinesis":{"sequenceNumber":"has \"escapes\""}},
        {"kinesis":"sequenceNumber"},
        7
    ]}"#
    .to_vec();
    let mut event: Event<'_> = from_slice(&mut buf).unwrap();
    let mut ids = Vec::new();
    while let Some((id, result)) = event.records.next_with_id() {
        assert!(result.is_err());
        ids.push(id);
    }
    assert_eq!(ids, [Some("49590338"), None, None, None]);
}
