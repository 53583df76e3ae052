//! An SQS consumer (`main!(json stream ...)`, feature `events`) that answers with a partial
//! batch response: each message's body must be JSON `{"n": <a u32>}`; the messages whose body
//! is not, or that do not parse at all, are named in `batchItemFailures` (retried), the others
//! are deleted. A batch of any size (10,000 messages, 6 MiB) is read one message at a time.
//!
//! `cargo build --release --features events --bin sqs-batch`.
#![no_std]
#![no_main]

use lambda_bootstrap::events::batch;
use lambda_bootstrap::events::sqs::{SqsEvent, SqsMessage};
use lambda_bootstrap::{Context, Error, Response};

/// What a message's body says.
#[derive(serde::Deserialize)]
struct Job {
    n: u32,
}

/// The body is parsed where it lies in the event ([`InPlace::parse`]): no copy, no scratch
/// buffer.
///
/// [`InPlace::parse`]: lambda_bootstrap::events::InPlace::parse
fn process(message: SqsMessage<'_>) -> Result<(), Error> {
    let bad = || Error::from_static("Function.BadMessage", "the body is not a job");
    let job: Job = message.body.parse().and_then(Result::ok).ok_or_else(bad)?;
    if job.n == u32::MAX {
        return Err(bad());
    }
    Ok(())
}

fn handle(_: &Context<'_>, event: SqsEvent<'_>, out: &mut Response<'_>) -> Result<(), Error> {
    batch::answer(event.records, out, process)
}

lambda_bootstrap::main!(json stream handle);
