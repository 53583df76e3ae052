//! The benchmark's typed handler for its padded events (`{"id":"...","padding":"..."}`,
//! benches/harness/src/events.rs): the event is deserialized into a struct whose strings
//! borrow from the event buffer, and the answer is derived from it (the padding's length), so
//! that every byte of the event is really parsed. benches/peers/lambda-runtime-typed has the
//! same struct for lambda_runtime.
#![no_std]
#![no_main]

use lambda_bootstrap::{Context, Error};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Event<'a> {
    id: &'a str,
    padding: &'a str,
}

#[derive(Serialize)]
struct Answer<'a> {
    id: &'a str,
    padding_bytes: usize,
}

fn measure<'a>(_: &Context<'_>, event: Event<'a>) -> Result<Answer<'a>, Error> {
    Ok(Answer {
        id: event.id,
        padding_bytes: event.padding.len(),
    })
}

lambda_bootstrap::main!(json measure);
