//! Sans-IO encodings the runtime writes by hand, so that no `core::fmt` is linked: decimal
//! numbers, base64, JSON error documents, AWS event-stream framing, and bounded copies into
//! byte buffers; and URL decoding, for event fields (S3 keys).

pub mod base64;
pub mod bytes;
pub mod eventstream;
pub mod json;
pub mod num;
pub mod url;
