//! A typed handler's result, written as JSON straight into the response buffer.

use serde::Serialize;

use crate::abi::handler::{Error, TooLarge};

/// Writes `value` as JSON into `buf` and returns its length. A document that does not fit is
/// an error, never written in part: the runtime posts `Runtime.ResponseTooLarge`.
pub fn to_slice<T: Serialize + ?Sized>(value: &T, buf: &mut [u8]) -> Result<usize, Error> {
    serde_json_core::to_slice(value, buf).map_err(|_| Error::from(TooLarge))
}
