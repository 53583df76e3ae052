//! Sans-IO encodings the runtime writes by hand, so that no `core::fmt` is linked: decimal
//! numbers, base64, JSON error documents, AWS event-stream framing, and bounded copies into
//! byte buffers.

pub mod base64;
pub mod bytes;
pub mod eventstream;
pub mod json;
pub mod num;
