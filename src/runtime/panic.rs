//! Turning a panic in a Rust handler into an `/error` post for the current invocation.
//!
//! Without this the process would just die and the caller would see a bare
//! `Runtime.ExitError`. The panic handler cannot reach the loop's connection or buffers (they
//! are borrowed by the interrupted code), so the runtime records here, before each handler
//! call, what a report needs: the endpoint and the invocation's ids. The report opens its own
//! connection and uses stack buffers.

use core::cell::UnsafeCell;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicI32, AtomicU8, Ordering};

use crate::api::client::Connection;
use crate::api::endpoint::{self, Endpoint};
use crate::api::{Ids, RuntimeApi};
use crate::contract::{MAX_REQUEST_ID, error_type};
use crate::http::chunked;
use crate::{api::net, codec::json, codec::num, sys::log};

/// The error type callers see for a panic.
pub const HANDLER_PANIC: &[u8] = error_type::HANDLER_PANIC.as_bytes();
/// The exit status after a panic, as Rust programs use.
pub const EXIT_STATUS: i32 = 101;

const IDLE: u8 = 0;
const IN_INIT: u8 = 1;
const IN_INVOCATION: u8 = 2;
const REPORTING: u8 = 3;

struct Slot {
    /// `AWS_LAMBDA_RUNTIME_API` as given (a parsed `Endpoint` would put the slot in `.data`:
    /// a kilobyte of file, where zeroes cost nothing in `.bss`).
    address: heapless::String<{ endpoint::MAX_LEN }>,
    request_id: heapless::Vec<u8, MAX_REQUEST_ID>,
    invocation_id: heapless::Vec<u8, MAX_REQUEST_ID>,
}

struct SlotCell(UnsafeCell<Slot>);

// SAFETY: the process is single-threaded; see `PHASE` for who may touch the slot when.
unsafe impl Sync for SlotCell {}

/// The slot is written only while the phase is `IDLE`, and read only by `report` when the
/// phase was `IN_INIT` or `IN_INVOCATION`, which are set after the writes are complete. So a
/// reader never sees a half-written slot, even when the panic interrupts the runtime.
static PHASE: AtomicU8 = AtomicU8::new(IDLE);
static SLOT: SlotCell = SlotCell(UnsafeCell::new(Slot {
    address: heapless::String::new(),
    request_id: heapless::Vec::new(),
    invocation_id: heapless::Vec::new(),
}));

fn with_idle_slot(write: impl FnOnce(&mut Slot)) {
    PHASE.store(IDLE, Ordering::SeqCst);
    // SAFETY: the phase is IDLE, so `report` will not read the slot, and no other reference
    // to it exists (the functions of this module do not nest).
    write(unsafe { &mut *SLOT.0.get() });
}

/// Records where to post reports: a valid `AWS_LAMBDA_RUNTIME_API`. Called once, before init.
pub fn set_address(address: &str) {
    with_idle_slot(|slot| {
        slot.address.clear();
        let _ = slot.address.push_str(address); // fits: a valid address is at most MAX_LEN
    });
}

/// From now a panic is an init failure.
pub fn enter_init() {
    PHASE.store(IN_INIT, Ordering::SeqCst);
}

/// From now a panic fails the invocation with these ids.
pub fn enter_invocation(ids: &Ids<'_>) {
    with_idle_slot(|slot| {
        slot.request_id.clear();
        slot.invocation_id.clear();
        // Both fit: ids are checked to be at most MAX_REQUEST_ID bytes.
        let _ = slot.request_id.extend_from_slice(ids.request_id);
        let _ = slot.invocation_id.extend_from_slice(ids.invocation_id);
    });
    PHASE.store(IN_INVOCATION, Ordering::SeqCst);
}

/// The descriptor of a streamed response in progress, or -1: a panic then ends that stream
/// with error trailers, since a second response for the invocation would be refused.
static STREAM_FD: AtomicI32 = AtomicI32::new(-1);

/// A streamed response has started on `api`'s connection.
pub fn enter_stream(api: &RuntimeApi) {
    STREAM_FD.store(api.raw_fd().unwrap_or(-1), Ordering::SeqCst);
}

/// The streamed response has ended (or broken).
pub fn leave_stream() {
    STREAM_FD.store(-1, Ordering::SeqCst);
}

/// Local mode: the channel to the invocation's watchdog, or -1. A panic sends
/// [`WITNESS_MARK`] and its message there, for the watchdog to answer the caller with.
static WITNESS_FD: AtomicI32 = AtomicI32::new(-1);
/// What precedes a panic's message on the witness's channel.
pub const WITNESS_MARK: u8 = b'P';

/// Local mode: from now a panic's message goes to `fd` (-1: nowhere).
pub fn set_witness(fd: i32) {
    WITNESS_FD.store(fd, Ordering::SeqCst);
}

/// The handler returned: a panic now is the runtime's own, with nobody to answer.
pub fn leave() {
    PHASE.store(IDLE, Ordering::SeqCst);
    leave_stream();
}

/// Logs the panic, posts it as the current invocation's (or init's) error, and exits.
pub fn report(info: &PanicInfo<'_>) -> ! {
    report_message(describe(info).as_bytes())
}

/// [`report`] for a panic already described (`panicked at FILE:LINE:COL: MESSAGE`): std mode's
/// panic hook formats messages with arguments itself.
#[inline(always)]
pub fn report_message(message: &[u8]) -> ! {
    let phase = PHASE.swap(REPORTING, Ordering::SeqCst);
    if phase == REPORTING {
        // A panic while reporting one: give up at once rather than loop.
        crate::sys::exit(EXIT_STATUS);
    }
    log::error(&[message]);
    let witness = WITNESS_FD.load(Ordering::SeqCst);
    if witness >= 0 {
        // SAFETY: the witness's channel is open while it is set (`set_witness(-1)` comes
        // before it closes), and the process exits right after this.
        let channel = unsafe { rustix::fd::BorrowedFd::borrow_raw(witness) };
        let _ = net::send_all(channel, &[&[WITNESS_MARK], message]);
    }
    if phase == IN_INIT || phase == IN_INVOCATION {
        // SAFETY: the phase was IN_INIT or IN_INVOCATION, so the slot is complete and, the
        // phase now being REPORTING, nothing writes it any more.
        let slot = unsafe { &*SLOT.0.get() };
        let stream_fd = STREAM_FD.load(Ordering::SeqCst);
        if phase == IN_INVOCATION && stream_fd >= 0 {
            end_stream(stream_fd, message);
        } else if let Ok(endpoint) = endpoint::parse(&slot.address) {
            let ids = Ids {
                request_id: &slot.request_id,
                invocation_id: &slot.invocation_id,
            };
            let ids = if phase == IN_INVOCATION {
                Some(&ids)
            } else {
                None
            };
            post(endpoint, ids, message);
        }
    }
    crate::sys::exit(EXIT_STATUS)
}

fn post(endpoint: Endpoint, ids: Option<&Ids<'_>>, message: &[u8]) {
    let mut api = RuntimeApi::new(Connection::new(endpoint, crate::api::reply_timeout_s()));
    let mut scratch = [0u8; 4];
    let mut document = [0u8; 8 * 1024];
    let mut reply = [0u8; 1024];
    let document = json::error_document(HANDLER_PANIC, message, &mut scratch, &mut document);
    let _ = api.post_error(ids, HANDLER_PANIC, document, &mut reply);
}

/// Ends the streamed response on `fd` with the panic as its error trailers, and waits
/// (briefly, for the process is ending) for the Runtime API's reply.
fn end_stream(fd: i32, message: &[u8]) {
    // SAFETY: `fd` is the open connection of the stream in progress (STREAM_FD is reset when
    // the stream ends), and the process exits right after this, so nothing else closes it.
    let socket = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) };
    let mut document = [0u8; 8 * 1024];
    let mut body = [0u8; 11 * 1024];
    let document =
        json::error_document_cut(HANDLER_PANIC, message, 1024, &mut [0u8; 4], &mut document);
    let body = crate::codec::base64::encode(document, &mut body).unwrap_or(b"");
    let mut size = [0; chunked::SIZE_LINE_LEN];
    let ending = chunked::end(b"", Some((HANDLER_PANIC, body)), &mut size);
    if net::send_all(socket, &ending).is_ok() {
        let mut reply = [0u8; 512];
        let _ = net::recv(socket, &mut reply);
    }
}

/// `panicked at src/lib.rs:12:5: message`. Messages with arguments would need `core::fmt`,
/// which would double the binary; their location still says where.
fn describe(info: &PanicInfo<'_>) -> heapless::String<1024> {
    let mut text = heapless::String::new();
    let mut digits = [0; num::U64_DIGITS];
    // What fits, cut at a character boundary (a `push_str` per piece, not a `push` per char).
    let mut put = |s: &str| {
        let _ = text.push_str(json::cut(s, text.capacity() - text.len()));
    };
    put("panicked");
    if let Some(location) = info.location() {
        put(" at ");
        put(location.file());
        put(":");
        put(ascii(num::u64_to_ascii(
            location.line().into(),
            &mut digits,
        )));
        put(":");
        put(ascii(num::u64_to_ascii(
            location.column().into(),
            &mut digits,
        )));
    }
    put(": ");
    put(info
        .message()
        .as_str()
        .unwrap_or("(a message with arguments, not formatted)"));
    text
}

fn ascii(digits: &[u8]) -> &str {
    core::str::from_utf8(digits).unwrap_or("?")
}
