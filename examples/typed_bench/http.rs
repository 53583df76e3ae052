//! The benchmark's typed handler for the HTTP API sample event: `template/`'s handler (what a
//! new function starts from), which reads the whole request into the product's `HttpRequest`
//! and answers an `HttpResponse`. benches/peers/lambda-runtime-typed has the same structs for
//! lambda_runtime.
#![no_std]
#![no_main]

use lambda_bootstrap::events::http::{HttpRequest, HttpResponse};
use lambda_bootstrap::{Context, Error};

/// The greeting, built here: the response owns it (what it borrows comes from the event).
type Text = heapless::String<256>;

fn handle<'a>(_: &Context<'_>, request: HttpRequest<'a>) -> Result<HttpResponse<'a, Text>, Error> {
    let name = request
        .query_string_parameters
        .get("name")
        .copied()
        .unwrap_or("world");
    let http = &request.request_context.http;
    let mut text = Text::new();
    for piece in ["Hello, ", name, "! (", http.method, " ", http.path, ")"] {
        text.push_str(piece)
            .map_err(|_| Error::from_static("Function.BadRequest", "the name is too long"))?;
    }
    let mut response = HttpResponse::new(200, text);
    let _ = response
        .headers
        .push("content-type", "text/plain; charset=utf-8");
    Ok(response)
}

lambda_bootstrap::main!(json handle);
