//! The same struct as std-typed, with strings borrowed from the event buffer: a raw handler
//! (`run`) deserializes the bytes itself with `serde_json::from_slice` (the borrow ends with
//! the call) and writes the answer straight into the response buffer with
//! `serde_json::to_writer` (`Response` is a `std::io::Write`).
use lambda_bootstrap::{Context, Error, Response};
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

fn main() {
    lambda_bootstrap::run(
        |_: &Context<'_>, event: &[u8], out: &mut Response<'_>| -> Result<(), Error> {
            let event: Event<'_> = serde_json::from_slice(event)?;
            serde_json::to_writer(
                out,
                &Answer {
                    id: event.id,
                    padding_bytes: event.padding.len(),
                },
            )?;
            Ok(())
        },
    )
}
