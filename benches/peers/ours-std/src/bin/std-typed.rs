//! The padded events (`{"id":"...","padding":"..."}`) into the same struct as the product's
//! `typed-bench` (examples/typed_bench/padded.rs) and the lambda_runtime peer, through std
//! mode's `run_json`: owned strings, as `run_json` wants `T: DeserializeOwned` (so does
//! lambda_runtime's `LambdaEvent<T>`). The answer is the padding's length.
use lambda_bootstrap::{Context, Error};
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

fn main() {
    lambda_bootstrap::run_json(|_: &Context<'_>, event: Event| -> Result<Answer, Error> {
        let Event { id, padding } = event;
        Ok(Answer {
            id,
            padding_bytes: padding.len(),
        })
    })
}
