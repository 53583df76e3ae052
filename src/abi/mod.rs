//! The handler ABI (`include/lambda_bootstrap.h`): what a handler is given (a context, the
//! event, a response buffer), what it reports back, and the streams it may write instead.
//! The Rust API (`Context`, `Response`, `Error`) is a safe face over the same C structures.

pub mod c;
pub mod context;
pub mod error;
pub mod handler;
pub mod log;
#[cfg(feature = "log")]
pub mod logger;
pub mod stream;
