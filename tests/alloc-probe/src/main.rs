//! A `no_std` handler with a heap: the event is numbers separated by commas; the answer is a
//! JSON object made with serde_json's `alloc` mode. `?` converts `Utf8Error`, `ParseIntError`
//! and serde_json's errors.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::vec::Vec;

use lambda_bootstrap::{Context, Error, Response};

fn handle(_: &Context<'_>, event: &[u8], out: &mut Response<'_>) -> Result<(), Error> {
    let text = core::str::from_utf8(event)?;
    let numbers = text
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<u64>, _>>()?;
    let answer = serde_json::json!({
        "sum": numbers.iter().sum::<u64>(),
        "said": format!("{} numbers, the largest {:?}", numbers.len(), numbers.iter().max()),
    });
    out.write(serde_json::to_string(&answer)?.as_bytes())?;
    Ok(())
}

lambda_bootstrap::main!(handle);
