//! The deserializer and the typed adapter, checked against serde_json where it has an answer.

use serde::{Deserialize, Serialize};

use super::error::{Found, Kind, Segment};
use super::*;
use crate::abi::handler::{Outcome, call};
use crate::abi::stream::Stream;

/// Deserializes `json`, from a copy (it is unescaped in place) that lives as long as the test.
fn parse<T: Deserialize<'static>>(json: &str) -> Result<T, DeError> {
    let buf = Box::leak(json.as_bytes().to_vec().into_boxed_slice());
    de::from_slice::<T>(buf).map_err(|(e, _)| e)
}

fn message<'de, T: Deserialize<'de>>(buf: &'de mut [u8]) -> String {
    match from_slice::<T>(buf) {
        Ok(_) => panic!("deserialized"),
        Err(e) => {
            assert_eq!(e.error_type, INVALID_EVENT);
            e.message
                .as_str()
                .strip_prefix(INVALID_EVENT_MESSAGE)
                .expect("lambda_runtime's wording")
                .to_owned()
        }
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Inner<'a> {
    name: &'a str,
    #[serde(borrow)]
    tags: heapless::Vec<&'a str, 3>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Outer<'a> {
    id: u32,
    #[serde(borrow)]
    inner: Inner<'a>,
    maybe: Option<i64>,
    flag: bool,
    ratio: f64,
    #[serde(borrow)]
    bytes: &'a [u8],
}

#[test]
fn escaped_strings_are_unescaped_in_place_and_borrowed() {
    let json = r#"{"name":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00 end","tags":["\u0041","x\"y"]}"#;
    let expected: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut buf = json.as_bytes().to_vec();
    let range = buf.as_ptr_range();
    let inner: Inner<'_> = from_slice(&mut buf).unwrap();
    assert_eq!(inner.name, expected["name"].as_str().unwrap());
    assert_eq!(inner.tags.as_slice(), ["A", "x\"y"]);
    assert!(
        range.contains(&inner.name.as_ptr()),
        "borrowed from the event buffer"
    );
    assert!(range.contains(&inner.tags[1].as_ptr()));
}

#[test]
fn nested_structs_options_numbers_and_unknown_fields() {
    let json = r#" { "unknown": {"deep": [1, {"x": "\n"}, null, true, -1.5e3]}, "id": 42,
        "inner": {"name": "n", "tags": [], "extra": "ignored"}, "maybe": null, "flag": true,
        "ratio": -0.25, "bytes": "raw\u0000bytes", "more": [] } "#;
    let outer: Outer<'_> = parse(json).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(outer.id, 42);
    assert_eq!(
        outer.inner,
        Inner {
            name: "n",
            tags: heapless::Vec::new()
        }
    );
    assert_eq!(outer.maybe, None);
    assert!(outer.flag);
    assert_eq!(outer.ratio, -0.25);
    assert_eq!(outer.bytes, b"raw\0bytes");
    let some: Outer<'_> =
        parse(&json.replace("\"maybe\": null", "\"maybe\": -9223372036854775808")).unwrap();
    assert_eq!(some.maybe, Some(i64::MIN));
}

#[test]
fn wrong_types_say_what_where_and_at_which_byte() {
    let json = r#"{"id": 1, "inner": {"name": 7, "tags": []}, "maybe": 1, "flag": true, "ratio": 1, "bytes": ""}"#;
    let text = message::<Outer<'_>>(&mut json.as_bytes().to_vec());
    let at = json.find("7,").unwrap();
    assert_eq!(
        text,
        format!("invalid type: expected a string, found a number at inner.name (byte {at})")
    );
    let json = r#"{"id": "1"}"#;
    assert_eq!(
        message::<Outer<'_>>(&mut json.as_bytes().to_vec()),
        "invalid type: expected u32, found a string at id (byte 7)"
    );
}

#[test]
fn deep_paths_keep_their_innermost_segments() {
    // Ten levels: the outer two are cut.
    let json = r#"{"k":[[[[[[[[[[{"last":"x"}]]]]]]]]]]}"#;
    type Deep = Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<Last>>>>>>>>>>;
    #[derive(Debug, Deserialize)]
    struct Last {
        #[allow(dead_code)]
        last: u8,
    }
    #[derive(Debug, Deserialize)]
    struct K {
        #[allow(dead_code)]
        k: Deep,
    }
    let at = json.find("\"x\"").unwrap();
    assert_eq!(
        message::<K>(&mut json.as_bytes().to_vec()),
        format!(
            "invalid type: expected u8, found a string at …[0][0][0][0][0][0][0].last (byte {at})"
        )
    );
}

/// A visitor that drops a failure from inside a value and goes on: the error reported is the
/// later failure, with its own path, not the dropped one's.
#[test]
fn dropped_failures_leave_no_path_behind() {
    /// A number this type refuses (after reading it).
    struct Refused;
    impl<'de> Deserialize<'de> for Refused {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = Refused;
                fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    f.write_str("no number")
                }
                fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Refused, E> {
                    Err(E::custom("refused"))
                }
            }
            d.deserialize_u64(V)
        }
    }
    /// An array of a refused number, whose failure it drops, and an `Inner`.
    struct Tolerant;
    impl<'de> Deserialize<'de> for Tolerant {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Tolerant;
                fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    f.write_str("an array")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<Tolerant, A::Error> {
                    assert!(seq.next_element::<Refused>().is_err());
                    seq.next_element::<Inner<'de>>()?;
                    Ok(Tolerant)
                }
            }
            d.deserialize_seq(V)
        }
    }
    #[derive(Deserialize)]
    struct Top {
        #[allow(dead_code)]
        pair: Tolerant,
        #[allow(dead_code)]
        other: u8,
    }
    // The later failure is as deep as the dropped one, or less deep.
    let json = r#"{"pair":[7,{"tags":[]}]}"#;
    assert_eq!(
        message::<Top>(&mut json.as_bytes().to_vec()),
        format!(
            "missing field `name` at pair[1] (byte {})",
            json.find("{\"tags").unwrap()
        )
    );
    let json = r#"{"pair":[7,{"name":"","tags":[]}]}"#;
    assert_eq!(
        message::<Top>(&mut json.as_bytes().to_vec()),
        "missing field `other` (byte 0)"
    );
}

#[test]
fn numbers_out_of_range_and_fractions_for_integers_are_refused() {
    for (json, ty) in [("256", "u8"), ("-1", "u8"), ("18446744073709551616", "u64")] {
        let error = match ty {
            "u8" => parse::<u8>(json).unwrap_err(),
            "u32" => parse::<u32>(json).unwrap_err(),
            "u64" => parse::<u64>(json).unwrap_err(),
            _ => parse::<i32>(json).unwrap_err(),
        };
        assert_eq!(error.kind, Kind::OutOfRange(ty), "{json}");
        assert_eq!(error.offset, Some(0));
    }
    for json in ["1.5", "1e2", "-0.0"] {
        let error = parse::<i32>(json).unwrap_err();
        let found = Found::Float;
        assert_eq!(
            error.kind,
            Kind::Type {
                expected: "an integer",
                found
            },
            "{json}"
        );
    }
    assert_eq!(parse::<i8>("-128").unwrap(), -128);
    assert_eq!(
        parse::<i8>("-129").unwrap_err().kind,
        Kind::OutOfRange("i8")
    );
    assert_eq!(parse::<u64>("-0").unwrap(), 0);
    assert_eq!(parse::<f32>("1e3").unwrap(), 1000.0);
    assert_eq!(
        parse::<f32>("1e39").unwrap_err().kind,
        Kind::OutOfRange("f32")
    );
    assert_eq!(
        parse::<f64>("-1e309").unwrap_err().kind,
        Kind::OutOfRange("f64")
    );
}

#[test]
fn missing_fields_are_named_with_the_object_they_are_missing_from() {
    let json = r#"{"id":1,"inner":{"tags":[]}}"#;
    assert_eq!(
        message::<Outer<'_>>(&mut json.as_bytes().to_vec()),
        "missing field `name` at inner (byte 16)"
    );
}

#[test]
fn sequences_at_capacity_fit_and_over_capacity_fail_clearly() {
    let at_capacity: Inner<'_> = parse(r#"{"name":"","tags":["a","b","c"]}"#).unwrap();
    assert_eq!(at_capacity.tags.len(), 3);
    let json = r#"{"name":"","tags":["a","b","c","d"]}"#;
    let at = json.find("\"d\"").unwrap();
    assert_eq!(
        message::<Inner<'_>>(&mut json.as_bytes().to_vec()),
        format!("more elements than the capacity of 3 at tags[3] (byte {at})")
    );
    let error = parse::<[u8; 3]>("[1,2]").unwrap_err();
    assert_eq!(error.kind, Kind::TooFew { found: 2 });
}

#[test]
fn malformed_json_is_refused_with_its_offset() {
    let cases = [
        (r#"{"name" "x"}"#, 8),
        (r#"{"name":"x",}"#, 12),
        (r#"{"name":"x"} x"#, 13),
        (r#"{"name":"\x"}"#, 9),
        (r#"{"name":"\ud800"}"#, 9),
        ("{\"name\":\"a\u{1}\"}", 10),
        (r#"{"name":"unterminated"#, 21),
        (r#"{"name":01}"#, 8),
        (r#"{"name":1.}"#, 8),
        (r#"[1,]"#, 3),
        (r#"{"name":tru}"#, 8),
        ("", 0),
    ];
    for (json, offset) in cases {
        assert!(
            serde_json::from_str::<serde_json::Value>(json).is_err(),
            "{json} is JSON"
        );
        // Read as values (strings unescaped) and skipped (not unescaped).
        for error in [
            parse::<serde_json::Value>(json).unwrap_err(),
            parse::<serde::de::IgnoredAny>(json).unwrap_err(),
        ] {
            assert!(matches!(error.kind, Kind::Syntax(_)), "{json}: {error:?}");
            assert_eq!(error.offset, Some(offset), "{json}: {error:?}");
        }
    }
    let mut invalid_utf8 = b"{\"name\":\"\xff\"}".to_vec();
    assert_eq!(
        de::from_slice::<Inner<'_>>(&mut invalid_utf8)
            .map_err(|(e, _)| e)
            .unwrap_err()
            .offset,
        Some(9)
    );
}

#[test]
fn deep_nesting_fails_instead_of_overflowing_the_stack() {
    let deep = format!(
        "{{\"name\":\"\",\"tags\":[],\"x\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let error = parse::<Inner<'_>>(&deep).unwrap_err();
    assert_eq!(error.kind, Kind::Syntax("at most 128 levels of nesting"));
    let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
    parse::<serde::de::IgnoredAny>(&fine).unwrap();
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Kinds<'a> {
    Unit,
    Tuple(u8, u8),
    Named { a: &'a str },
    New(i32),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    #[allow(dead_code)]
    a: u8,
}

#[test]
fn enums_tagged_untagged_and_refused_variants() {
    assert_eq!(parse::<Kinds<'_>>(r#""unit""#).unwrap(), Kinds::Unit);
    assert_eq!(
        parse::<Kinds<'_>>(r#"{"tuple":[1,2]}"#).unwrap(),
        Kinds::Tuple(1, 2)
    );
    assert_eq!(
        parse::<Kinds<'_>>(r#"{"named":{"a":"\""}}"#).unwrap(),
        Kinds::Named { a: "\"" }
    );
    assert_eq!(
        parse::<Kinds<'_>>(r#"{ "new" : -3 }"#).unwrap(),
        Kinds::New(-3)
    );
    assert_eq!(
        parse::<Kinds<'_>>(r#""other""#).unwrap_err().kind,
        Kind::UnknownVariant
    );
    let json = r#"{"a":1,"b":2}"#;
    assert_eq!(
        message::<Strict>(&mut json.as_bytes().to_vec()),
        "unknown field at b (byte 7)"
    );
}

#[derive(Debug, Deserialize)]
struct WithRaw<'a> {
    #[serde(borrow)]
    detail: RawJson<'a>,
    after: &'a str,
}

#[test]
fn raw_json_is_the_value_as_written() {
    let json = r#"{"detail": {"k": "v\n", "n": [1, 2.5]} , "after": "a\tb"}"#;
    let value: WithRaw<'_> = parse(json).unwrap();
    assert_eq!(value.detail.get(), r#"{"k": "v\n", "n": [1, 2.5]}"#);
    assert_eq!(value.after, "a\tb");
    let mut scratch = [0; 64];
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(value.detail.get()).unwrap();
    let k: std::collections::BTreeMap<&str, RawJson<'_>> =
        value.detail.parse(&mut scratch).unwrap().unwrap();
    assert_eq!(k["k"].get(), parsed["k"].to_string());
}

#[derive(Deserialize)]
struct Event<'a> {
    name: &'a str,
    count: u32,
}

#[derive(Serialize)]
struct Reply<'a> {
    greeting: &'a str,
    doubled: u64,
}

fn typed<'a>(ctx: &Context<'_>, event: Event<'a>) -> Result<Reply<'a>, Error> {
    if event.count == 0 {
        return Err(Error::new("Function.Zero", ctx.request_id));
    }
    Ok(Reply {
        greeting: event.name,
        doubled: u64::from(event.count) * 2,
    })
}

unsafe extern "C" fn typed_abi(
    c: *const RawContext,
    e: *const u8,
    n: usize,
    o: *mut RawResponse,
) -> c_int {
    let scope = ();
    unsafe { call_rust_json(typed, &scope, c, e, n, o) }
}

fn run(event: &str, buf: &mut [u8]) -> (bool, String, String) {
    let mut event = event.as_bytes().to_vec();
    match call(
        typed_abi,
        &RawContext::EMPTY,
        &mut event,
        buf,
        &mut Stream::direct(&mut crate::abi::stream::Nowhere, &mut []),
    ) {
        Outcome::Success(body) => (
            true,
            String::new(),
            String::from_utf8(body.to_vec()).unwrap(),
        ),
        Outcome::Failure {
            error_type,
            message,
        } => (
            false,
            String::from_utf8(error_type.to_vec()).unwrap(),
            String::from_utf8(message.to_vec()).unwrap(),
        ),
    }
}

#[test]
fn a_typed_handler_through_the_abi() {
    let (ok, _, body) = run(r#"{"name":"w\u00f6rld \"q\"","count":21}"#, &mut [0; 256]);
    assert!(ok);
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        reply,
        serde_json::json!({"greeting": "wörld \"q\"", "doubled": 42})
    );

    let (ok, error_type, message) = run(r#"{"name":"x","count":-1}"#, &mut [0; 256]);
    assert!(!ok);
    assert_eq!(error_type, INVALID_EVENT);
    assert_eq!(
        message,
        format!("{INVALID_EVENT_MESSAGE}number out of range for u32 at count (byte 20)")
    );

    let (ok, error_type, _) = run(r#"{"name":"x","count":0}"#, &mut [0; 256]);
    assert!(!ok);
    assert_eq!(error_type, "Function.Zero");
}

#[test]
fn a_result_that_does_not_fit_is_too_large_not_truncated() {
    let (ok, error_type, _) = run(r#"{"name":"a long enough name","count":1}"#, &mut [0; 24]);
    assert!(!ok);
    assert_eq!(error_type, "Runtime.ResponseTooLarge");
}

#[test]
fn key_segments_name_unescaped_keys() {
    let json = r#"{"a\u0062":{"c":"x"}}"#;
    #[derive(Deserialize)]
    struct Ab {
        #[allow(dead_code)]
        ab: Vec<u8>,
    }
    let mut buf = json.as_bytes().to_vec();
    let (error, de) = de::from_slice::<Ab>(&mut buf).map(drop).unwrap_err();
    let (mut path, _) = error.path();
    let Some(Segment::Key { start, len }) = path.next() else {
        panic!("{error:?}")
    };
    assert_eq!(de.key_text(start, len), "ab");
}

#[test]
fn any_value_reads_as_serde_json_reads_it() {
    // `serde_json::Value` deserializes through `deserialize_any`: every JSON type and escape.
    for path in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/events")).unwrap() {
        let path = path.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let ours: serde_json::Value =
            parse(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert_eq!(
            ours,
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            "{}",
            path.display()
        );
    }
    let json = r#"[1, -2, 3.5, 1e400, 18446744073709551615, -9223372036854775809, "\u00e9\n", null, false, {}]"#;
    let ours = parse::<serde_json::Value>(json);
    assert_eq!(
        ours.is_err(),
        serde_json::from_str::<serde_json::Value>(json).is_err(),
        "{ours:?}"
    );
    let json = r#"[1, -2, 3.5, 18446744073709551615, -9223372036854775809, "\u00e9\n", null, false, {"a": []}]"#;
    assert_eq!(
        parse::<serde_json::Value>(json).unwrap(),
        serde_json::from_str::<serde_json::Value>(json).unwrap()
    );
}

/// Reading UTF-8 as strings are read, not over the whole event first, changes no answer: an
/// event that is not UTF-8 fails at its first bad byte whatever else is wrong before it, and
/// strings with non-ASCII text and escapes at every offset unescape as serde_json reads them.
#[test]
fn utf8_is_checked_where_it_was() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Typed<'a> {
        id: u32,
        name: &'a str,
    }
    // The offset is where checking the whole event first put it.
    let cases: &[&[u8]] = &[
        b"{\"name\":\"\xff\"}",
        // A syntax error, a type error, a control byte and a missing field, each before it.
        b"{\"id\":1,,\"x\":\"\xe2\x82\"}",
        b"{\"id\":\"a\",\"x\":\"\xc3\"}",
        b"{\"id\":1,\"name\":\"\x01\xc3\xa9\xc0\x80\"}",
        b"{\"id\":1} \xf0\x9f\x98",
        b"{\"id\":1, \"x\": [\"\\u00e9\xed\xa0\x80\"]}",
        // Outside strings, and after good multi-byte characters.
        b"{\"id\":1,\xc3\xa9\xff}",
        b"{\"id\":1,\"name\":\"\xc3\xa9\\n\xc3\xa9\xc3\"}",
    ];
    for &event in cases {
        let offset = core::str::from_utf8(event).unwrap_err().valid_up_to();
        for error in [
            de::from_slice::<Typed<'_>>(&mut event.to_vec())
                .map_err(|(e, _)| e)
                .unwrap_err(),
            de::from_slice::<serde::de::IgnoredAny>(&mut event.to_vec())
                .map_err(|(e, _)| e)
                .unwrap_err(),
        ] {
            assert_eq!(error.kind, Kind::Syntax("invalid UTF-8"), "{event:x?}");
            assert_eq!(error.offset, Some(offset), "{event:x?}");
        }
    }
    for at in 0..20 {
        for special in [
            "é",
            "€",
            "😀",
            "\\n",
            "\\\"",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\/",
        ] {
            let text = format!("{}{special}{}{special}", "a".repeat(at), "b".repeat(at % 9));
            let json = format!("{{\"id\":7,\"name\":\"{text}\",\"skipped\":[\"{text}\"]}}");
            let expected: String = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            let typed = parse::<Typed<'_>>(&json).unwrap();
            assert_eq!(typed.name, expected);
            parse::<serde::de::IgnoredAny>(&json).unwrap();
        }
    }
}

/// A 1 MiB string read and another skipped, again and again, and the deserializer's cost per
/// event byte printed (not a test of speed: it asserts only the answers):
/// `cargo test --release --lib --features events -- --nocapture a_megabyte_string`
#[test]
fn a_megabyte_string_is_read_and_another_skipped() {
    #[derive(Deserialize)]
    struct Named<'a> {
        name: &'a str,
    }
    let json = format!(
        "{{\"name\":\"{}\",\"skipped\":\"{}\"}}",
        "x".repeat(1 << 20),
        "é".repeat(1 << 19)
    );
    let mut buf = json.clone().into_bytes();
    // Enough for a figure in an optimized build; one round without optimizations.
    let rounds = if cfg!(debug_assertions) { 1 } else { 200 };
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        buf.copy_from_slice(json.as_bytes());
        let named = de::from_slice::<Named<'_>>(&mut buf)
            .map_err(|(e, _)| e)
            .unwrap();
        assert_eq!(named.name.len(), 1 << 20);
    }
    let copy = std::time::Instant::now();
    for _ in 0..rounds {
        buf.copy_from_slice(json.as_bytes());
        core::hint::black_box(&mut buf);
    }
    let (all, copies) = (copy - start, copy.elapsed());
    let ns = (all.as_nanos() - copies.as_nanos().min(all.as_nanos())) as f64
        / (rounds * json.len()) as f64;
    println!("{ns:.3} ns per event byte (half ASCII, half 2-byte characters, skipped)");
    let json = format!("{{\"name\":\"{}\"}}", "x".repeat(1 << 20));
    let mut buf = json.clone().into_bytes();
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let named = de::from_slice::<Named<'_>>(&mut buf)
            .map_err(|(e, _)| e)
            .unwrap();
        assert_eq!(named.name.len(), 1 << 20);
    }
    let ns = start.elapsed().as_nanos() as f64 / (rounds * json.len()) as f64;
    println!("{ns:.3} ns per event byte (one ASCII string)");
}

#[test]
fn a_float_for_an_integer_is_said_so() {
    #[derive(Debug, Deserialize)]
    struct Count {
        #[allow(dead_code)]
        count: u32,
    }
    assert_eq!(
        message::<Count>(&mut br#"{"count":1.5}"#.to_vec()),
        "invalid type: expected an integer, found a float at count (byte 9)"
    );
    assert_eq!(
        message::<Count>(&mut br#"{"count":4294967296}"#.to_vec()),
        "number out of range for u32 at count (byte 9)"
    );
}

#[derive(Debug, Deserialize)]
struct Id<'a> {
    #[allow(dead_code)]
    id: &'a str,
}

#[test]
fn what_is_not_json_is_invalid_json_not_a_value_of_another_type() {
    for json in [
        r#"{"id":nope}"#,
        r#"{"id":-x}"#,
        r#"{"id":tru}"#,
        r#"{"id":truex}"#,
        r#"{"id":fals}"#,
        r#"{"id":1x}"#,
        r#"{"id":01}"#,
    ] {
        let text = message::<Id<'_>>(&mut json.as_bytes().to_vec());
        assert!(text.starts_with("invalid JSON: "), "{json}: {text}");
        assert!(text.ends_with(" at id (byte 6)"), "{json}: {text}");
    }
    for (json, found) in [
        (r#"{"id":null}"#, "null"),
        (r#"{"id":true}"#, "a boolean"),
        (r#"{"id":false }"#, "a boolean"),
        (r#"{"id":-1}"#, "a number"),
        (r#"{"id":1e5}"#, "a float"),
        (r#"{"id":{}}"#, "an object"),
    ] {
        assert_eq!(
            message::<Id<'_>>(&mut json.as_bytes().to_vec()),
            format!("invalid type: expected a string, found {found} at id (byte 6)"),
            "{json}"
        );
    }
}

#[test]
fn the_path_survives_a_100_kb_key() {
    let key = "é".repeat(50_000);
    let json = format!(r#"{{"{key}":{{"id":7}}}}"#);
    let at = json.find("7}").unwrap();
    let text = message::<std::collections::BTreeMap<&str, Id<'_>>>(&mut json.into_bytes());
    let shown = "é".repeat(super::error::MAX_KEY_SHOWN / 2);
    assert_eq!(
        text,
        format!("invalid type: expected a string, found a number at {shown}….id (byte {at})")
    );
}
