//! Posted error bodies, checked as JSON (with `serde_json`) rather than as text, so an escape
//! the bootstrap gets wrong fails the test even when the text looks right; and the same
//! document as a streamed response carries it, base64-encoded in a trailer.

use serde_json::Value;

use super::base64::decode_base64;

/// A posted error body: `{"errorMessage":"...","errorType":"...","stackTrace":[...]}`.
#[derive(Debug)]
pub struct PostedError {
    pub message: String,
    pub error_type: String,
}

/// Checks that `body` is a JSON error object as the Runtime API expects and returns its fields.
pub fn parse_error_body(body: &[u8]) -> Result<PostedError, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("error body is not valid JSON: {e}"))?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("error body has no string {name:?}"))
    };
    let message = field("errorMessage")?;
    let error_type = field("errorType")?;
    if !value.get("stackTrace").is_some_and(Value::is_array) {
        return Err("error body has no \"stackTrace\" array".into());
    }
    Ok(PostedError {
        message,
        error_type,
    })
}

/// Checks a `Lambda-Runtime-Function-Error-Body` trailer: the base64 of an error document as
/// [`parse_error_body`] wants it.
pub fn parse_error_trailer(value: &str) -> Result<PostedError, String> {
    let document = decode_base64(value).map_err(|e| format!("error body trailer: {e}"))?;
    parse_error_body(&document).map_err(|e| {
        format!(
            "error body trailer: {e}: {:?}",
            String::from_utf8_lossy(&document)
        )
    })
}
