//! A Lambda function behind an API Gateway HTTP API or a function URL: it answers every
//! request with a greeting.
#![no_std]
#![no_main]

use lambda_bootstrap::{Context, Error, Response};

/// The event is the request as JSON (payload format 2.0); the response is JSON that tells the
/// HTTP API or function URL the status, headers and body to send.
fn handle(ctx: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
    if !event.starts_with(b"{") {
        return Err(Error::from_static("Function.BadRequest", "expected an HTTP request as JSON"));
    }
    out.write(br#"{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"Hello from request "#)?;
    // A Lambda request id is a UUID: nothing in it needs escaping in JSON.
    out.write(ctx.request_id.as_bytes())?;
    out.write(br#""}"#)?;
    Ok(())
}

lambda_bootstrap::main!(handle);
