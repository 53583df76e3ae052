//! Request bodies: an HTTP request's body is base64 when API Gateway or a function URL says
//! `isBase64Encoded` (binary content types); it is decoded where it lies in the event.

use super::InPlace;

/// The body's bytes: decoded in place if `is_base64_encoded`, as they are otherwise. `None`
/// when it is not base64, or the body did not come from the runtime's deserializer (which
/// alone lends it writable).
pub fn decode(body: InPlace<'_>, is_base64_encoded: bool) -> Option<&[u8]> {
    let bytes = body.into_bytes_mut()?;
    if is_base64_encoded {
        crate::codec::base64::decode_in_place(bytes).map(|b| &*b)
    } else {
        Some(bytes)
    }
}
