//! Lambda's contract, stated once: the limits the platform sets, the error types callers see,
//! the Runtime API's header names, and what a status means for the runtime. Values only; the
//! layers above check against them.

/// The largest event Lambda sends (synchronous invocations; asynchronous ones are 1 MB).
pub const MAX_EVENT: usize = 6 * 1024 * 1024;
/// The most response bytes Lambda accepts for a buffered response.
pub const MAX_RESPONSE: usize = 6 * 1024 * 1024;
/// Longest request id we accept. Lambda's are 36-byte UUIDs.
pub const MAX_REQUEST_ID: usize = 256;
/// Longest error type we pass on: it becomes a header value.
pub const MAX_ERROR_TYPE: usize = 128;
/// Longest error message we put in an error document, in bytes before escaping.
pub const MAX_ERROR_MESSAGE: usize = 64 * 1024;
/// Longest error message carried in a streamed response's trailer: one header line.
pub const MAX_TRAILER_MESSAGE: usize = 4096;
/// Longest `Content-Type` of a streamed response; it goes into the head.
pub const MAX_CONTENT_TYPE: usize = 128;

/// The error types the runtime itself reports, as callers and log filters see them.
pub mod error_type {
    /// A failing handler that named no type, or one that cannot be a header value.
    pub const DEFAULT: &str = "Function.Error";
    /// The response is over [`super::MAX_RESPONSE`], or the handler reported a length past
    /// its buffer.
    pub const RESPONSE_TOO_LARGE: &str = "Runtime.ResponseTooLarge";
    /// The event is over [`super::MAX_EVENT`].
    pub const EVENT_TOO_LARGE: &str = "Runtime.EventTooLarge";
    /// A Rust handler panicked.
    pub const HANDLER_PANIC: &str = "Runtime.HandlerPanic";
    /// An isolated invocation's process was killed by a signal.
    pub const HANDLER_CRASHED: &str = "Runtime.HandlerCrashed";
    /// An isolated invocation's process exited before answering.
    pub const HANDLER_EXITED: &str = "Runtime.HandlerExited";
    /// Local mode: the function's process died without answering (Lambda's word for it).
    pub const EXIT_ERROR: &str = "Runtime.ExitError";
    /// The invocation ran past its deadline (Lambda's word for it).
    pub const TIMED_OUT: &str = "Sandbox.Timedout";
    /// A typed handler's event is not valid JSON for its event type.
    pub const INVALID_EVENT: &str = "Runtime.InvalidEvent";
    /// A Rust handler's stream could not be sent.
    pub const STREAM_BROKEN: &str = "Runtime.StreamBroken";
}

/// The Runtime API's header names.
pub mod header {
    /// The invocation's request id (`/next`).
    pub const REQUEST_ID: &[u8] = b"Lambda-Runtime-Aws-Request-Id";
    /// The deadline, in milliseconds since the epoch (`/next`).
    pub const DEADLINE_MS: &[u8] = b"Lambda-Runtime-Deadline-Ms";
    /// The ARN of the function, version or alias invoked (`/next`).
    pub const INVOKED_FUNCTION_ARN: &[u8] = b"Lambda-Runtime-Invoked-Function-Arn";
    /// The X-Ray trace header (`/next`).
    pub const TRACE_ID: &[u8] = b"Lambda-Runtime-Trace-Id";
    /// The mobile SDK's client context, JSON (`/next`).
    pub const CLIENT_CONTEXT: &[u8] = b"Lambda-Runtime-Client-Context";
    /// The Cognito identity, JSON (`/next`).
    pub const COGNITO_IDENTITY: &[u8] = b"Lambda-Runtime-Cognito-Identity";
    /// The tenant id of a multi-tenant function (`/next`).
    pub const TENANT_ID: &[u8] = b"Lambda-Runtime-Aws-Tenant-Id";
    /// Managed Instances' invocation id: sent with `/next`, echoed on every post.
    pub const INVOCATION_ID: &str = "Lambda-Runtime-Invocation-Id";
    /// A failure's error type: a header on `/error`, a trailer on a stream.
    pub const ERROR_TYPE: &str = "Lambda-Runtime-Function-Error-Type";
    /// A failed stream's error document, base64: a trailer.
    pub const ERROR_BODY: &str = "Lambda-Runtime-Function-Error-Body";
    /// `streaming` on a streamed response.
    pub const RESPONSE_MODE: &str = "Lambda-Runtime-Function-Response-Mode";
}

/// The Runtime API asked the runtime to exit (any 5xx: Lambda will restart it), or is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MustExit;

/// What a reply's status means for the runtime: a 5xx is the Runtime API's way of saying
/// the runtime must exit.
pub fn must_exit(status: u16) -> bool {
    status >= 500
}
