//! A typed function URL handler (`main!(json ...)`, feature `events`): greets the caller
//! named by the `name` query parameter, or the request body's text.
//!
//! `cargo build --release --features events --bin typed`, then
//! `target/x86_64-unknown-linux-musl/release/typed --invoke "$(cat event.json)"`.
#![no_std]
#![no_main]

use lambda_bootstrap::events::http::{FunctionUrlRequest, FunctionUrlResponse};
use lambda_bootstrap::events::{MAX_HEADERS, body};
use lambda_bootstrap::{Context, Error};

/// The greeting: built here, so the response owns it (headers borrow from the event).
type Text = heapless::String<1024>;

fn greet<'a>(
    _: &Context<'_>,
    request: FunctionUrlRequest<'a>,
) -> Result<FunctionUrlResponse<'a, Text>, Error> {
    let http = &request.request_context.http;
    let (method, path) = (http.method, http.path);
    let query = request.query_string_parameters.get("name").copied();
    let is_base64 = request.is_base64_encoded;
    let body = request.body.and_then(|b| body::decode(b, is_base64));
    let name = match (query, body) {
        (Some(name), _) => name,
        (None, Some(bytes)) if !bytes.is_empty() => core::str::from_utf8(bytes)
            .map_err(|_| Error::new("Function.BadRequest", "the body is not UTF-8"))?,
        _ => "world",
    };
    let mut text = Text::new();
    let fits = ["Hello, ", name, " (", method, " ", path, ")"]
        .iter()
        .all(|piece| text.push_str(piece).is_ok());
    if !fits {
        return Err(Error::new("Function.BadRequest", "the name is too long"));
    }
    let mut response = FunctionUrlResponse::new(200, text);
    let _ = response
        .headers
        .push("content-type", "text/plain; charset=utf-8");
    if request.headers.len() == MAX_HEADERS {
        let _ = response.headers.push("x-headers", "at capacity");
    }
    Ok(response)
}

lambda_bootstrap::main!(json greet);
