//! A Lambda function behind an API Gateway HTTP API or a function URL: it greets the caller
//! named by the `name` query parameter, or the world.
#![no_std]
#![no_main]

use lambda_bootstrap::events::http::{HttpRequest, HttpResponse};
use lambda_bootstrap::{Context, Error};

/// The greeting, built here: the response owns it (what it borrows comes from the event).
type Text = heapless::String<256>;

/// The request arrives parsed (its strings borrowed from the event, no heap); the response is
/// written as the JSON that tells the HTTP API or function URL what to send.
fn handle<'a>(_: &Context<'_>, request: HttpRequest<'a>) -> Result<HttpResponse<'a, Text>, Error> {
    let name = request.query_string_parameters.get("name").copied().unwrap_or("world");
    let http = &request.request_context.http;
    let mut text = Text::new();
    for piece in ["Hello, ", name, "! (", http.method, " ", http.path, ")"] {
        text.push_str(piece).map_err(|_| Error::from_static("Function.BadRequest", "the name is too long"))?;
    }
    let mut response = HttpResponse::new(200, text);
    let _ = response.headers.push("content-type", "text/plain; charset=utf-8");
    Ok(response)
}

lambda_bootstrap::main!(json handle);
