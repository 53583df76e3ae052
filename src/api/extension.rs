//! The Extensions API, as far as an internal extension with no events needs it: Lambda sends
//! the runtime SIGTERM at shutdown only when an extension is registered, so a bootstrap with a
//! shutdown hook registers one (docs/shutdown.md).
//!
//! `POST /2020-01-01/extension/register` with `Lambda-Extension-Name` and `{"events":[]}`;
//! its reply's `Lambda-Extension-Identifier` goes with `GET /2020-01-01/extension/event/next`,
//! which Lambda must see before init ends. That request is left pending on a connection of
//! its own for the life of the process: with no events it is never answered.

use crate::api::client::{Connection, Request};
use crate::api::endpoint::Endpoint;
use crate::api::request::{EXTENSION_API_VERSION, write_head_in};
use crate::contract::MAX_REQUEST_ID;
use crate::http::HeadBuffer;
use crate::http::eq_ignore_case;
use crate::sys::log;

/// The name the extension registers under (any name will do for an internal extension).
pub const NAME: &[u8] = b"lambda-bootstrap";
const EVENTS: &[u8] = br#"{"events":[]}"#;

/// A registered extension: the connection its pending `event/next` is on. Dropping it closes
/// that connection.
pub struct Extension {
    _pending: Connection,
}

/// Registers the extension and sends its `event/next`, using `buf` for the register reply.
/// `None` (logged) if the API refused or is unreachable: the function then runs without one.
pub fn register(endpoint: &Endpoint, buf: &mut [u8]) -> Option<Extension> {
    let mut head = HeadBuffer::new();
    let path: [&[u8]; 1] = [b"/extension/register"];
    let name: [(&str, &[u8]); 1] = [("Lambda-Extension-Name", NAME)];
    // Cannot fail: fixed path and header, an endpoint of at most 2 × 256 bytes.
    let _ = write_head_in(
        EXTENSION_API_VERSION,
        &mut head,
        "POST",
        endpoint,
        &path,
        &name,
        Some(EVENTS.len()),
    );
    let mut conn = Connection::new(endpoint.clone(), super::reply_timeout_s());
    let mut id = heapless::Vec::<u8, MAX_REQUEST_ID>::new();
    let reply = conn.exchange(
        Request::Post,
        &head,
        EVENTS,
        buf,
        Some(&mut |_, _, headers: &[httparse::Header<'_>]| {
            for header in headers {
                if eq_ignore_case(header.name.as_bytes(), b"lambda-extension-identifier")
                    && header.value.iter().all(u8::is_ascii_graphic)
                {
                    id.clear();
                    let _ = id.extend_from_slice(header.value);
                }
            }
        }),
    );
    match reply {
        Ok(reply) if reply.head.status == 200 && !id.is_empty() => {}
        _ => {
            log::text(b"cannot register the shutdown hook's extension; SIGTERM may not come");
            return None;
        }
    }
    let path: [&[u8]; 1] = [b"/extension/event/next"];
    let identifier: [(&str, &[u8]); 1] = [("Lambda-Extension-Identifier", &id)];
    let _ = write_head_in(
        EXTENSION_API_VERSION,
        &mut head,
        "GET",
        endpoint,
        &path,
        &identifier,
        None,
    );
    // On the same connection (`start` opens a new one if the server closed it).
    if conn.start(&[&head]).is_err() {
        log::text(b"cannot send the shutdown hook's extension's event/next");
        return None;
    }
    Some(Extension { _pending: conn })
}
