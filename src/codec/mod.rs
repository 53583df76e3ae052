//! Sans-IO encodings the runtime writes by hand, so that no `core::fmt` is linked: decimal
//! numbers, base64, JSON error documents, and bounded copies into byte buffers.

pub mod base64;
pub mod bytes;
pub mod json;
pub mod num;
