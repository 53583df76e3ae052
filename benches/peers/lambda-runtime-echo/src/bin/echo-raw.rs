//! The official Rust runtime at its cheapest: the event stays an unparsed
//! `Box<serde_json::value::RawValue>` (validated, not turned into a tree) and is written back
//! as it came. This is the floor of what `lambda_runtime` itself costs.
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;

async fn echo(event: LambdaEvent<Box<RawValue>>) -> Result<Box<RawValue>, Error> {
    Ok(event.payload)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(echo)).await
}
