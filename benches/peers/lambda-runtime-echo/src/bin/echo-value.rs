//! The official Rust runtime with the usual handler shape: the event is parsed into a
//! `serde_json::Value` tree and serialised back. What most `lambda_runtime` functions pay.
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

async fn echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(echo)).await
}
