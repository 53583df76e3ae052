//! A Lambda function behind an API Gateway HTTP API or a function URL, in ordinary Rust: it
//! greets the caller named by the `name` query parameter, `times` times.
//!
//! The code before `run_json` is the init phase: what every invocation shares is made there,
//! once, and the handler (a closure) captures it. The request and the response are ordinary
//! serde types; `?` turns any error into the invocation's error.

use std::collections::HashMap;

use lambda_bootstrap::{Context, Error};
use serde::{Deserialize, Serialize};

/// The parts of the HTTP API's request (payload 2.0) this function reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    /// Absent (or null) when the URL has no query string.
    query_string_parameters: Option<HashMap<String, String>>,
    request_context: RequestContext,
}

#[derive(Deserialize)]
struct RequestContext {
    http: Http,
}

#[derive(Deserialize)]
struct Http {
    method: String,
    path: String,
}

/// What tells the HTTP API or function URL what to send.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    status_code: u16,
    headers: HashMap<&'static str, &'static str>,
    body: String,
}

fn main() {
    // Init: read once, shared by every invocation.
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_string());

    lambda_bootstrap::run_json(move |ctx: &Context<'_>, request: Request| -> Result<Response, Error> {
        let query = request.query_string_parameters.unwrap_or_default();
        let name = query.get("name").map_or("world", String::as_str);
        // `?` on the ParseIntError: `?times=x` fails the invocation with its message.
        let times: usize = query.get("times").map_or("1", String::as_str).parse()?;
        let http = &request.request_context.http;
        log::info!("{} {} for {name} ({})", http.method, http.path, ctx.request_id);
        let greetings = vec![format!("{greeting}, {name}!"); times.min(10)];
        Ok(Response {
            status_code: 200,
            headers: HashMap::from([("content-type", "text/plain; charset=utf-8")]),
            body: format!("{} ({} {})", greetings.join(" "), http.method, http.path),
        })
    })
}
