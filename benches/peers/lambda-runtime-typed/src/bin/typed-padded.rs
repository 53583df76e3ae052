//! The padded events (`{"id":"...","padding":"..."}`) into the same struct as the product's
//! `typed-bench` (examples/typed_bench/padded.rs), with owned strings: lambda_runtime's
//! `LambdaEvent<T>` wants `T: DeserializeOwned`. The answer is the padding's length.
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Event {
    id: String,
    padding: String,
}

#[derive(Serialize)]
struct Answer {
    id: String,
    padding_bytes: usize,
}

async fn measure(event: LambdaEvent<Event>) -> Result<Answer, Error> {
    let Event { id, padding } = event.payload;
    Ok(Answer { id, padding_bytes: padding.len() })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(measure)).await
}
