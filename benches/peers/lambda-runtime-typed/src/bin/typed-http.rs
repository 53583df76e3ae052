//! The HTTP API sample into the same structs as the product's `HttpRequest` and
//! `HttpResponse` (src/events/http.rs), field for field, with owned types where lambda_runtime
//! needs `DeserializeOwned`: `String` for `&str`, `HashMap` for the fixed-capacity maps,
//! `Box<RawValue>` (validated, kept as text) for `RawJson`. The handler is `template/`'s, as in
//! the product's `typed-bench-http` (examples/typed_bench/http.rs).
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;

#[allow(dead_code)] // read by serde, as the product's fields are; the handler reads a few
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpRequest {
    version: String,
    route_key: String,
    raw_path: String,
    #[serde(default)]
    raw_query_string: Option<String>,
    #[serde(default)]
    cookies: Option<Vec<String>>,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    query_string_parameters: HashMap<String, String>,
    #[serde(default)]
    path_parameters: HashMap<String, String>,
    #[serde(default)]
    stage_variables: HashMap<String, String>,
    request_context: HttpRequestContext,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpRequestContext {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    api_id: Option<String>,
    #[serde(default)]
    authentication: Option<Box<RawValue>>,
    #[serde(default)]
    authorizer: Option<Box<RawValue>>,
    domain_name: String,
    domain_prefix: String,
    http: HttpDescription,
    request_id: String,
    route_key: String,
    stage: String,
    time: String,
    time_epoch: i64,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpDescription {
    method: String,
    path: String,
    protocol: String,
    source_ip: String,
    #[serde(default)]
    user_agent: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpResponse {
    status_code: u16,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    headers: HashMap<&'static str, &'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    is_base64_encoded: bool,
}

async fn handle(event: LambdaEvent<HttpRequest>) -> Result<HttpResponse, Error> {
    let request = event.payload;
    let name = request.query_string_parameters.get("name").map(String::as_str).unwrap_or("world");
    let http = &request.request_context.http;
    let text = format!("Hello, {name}! ({} {})", http.method, http.path);
    let headers = HashMap::from([("content-type", "text/plain; charset=utf-8")]);
    Ok(HttpResponse { status_code: 200, headers, cookies: Vec::new(), body: Some(text), is_base64_encoded: false })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
