//! Posted error bodies, checked as JSON (with `serde_json`) rather than as text, so an escape
//! the bootstrap gets wrong fails the test even when the text looks right.

use serde_json::Value;

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
