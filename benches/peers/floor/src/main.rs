//! The floor: the least a Runtime API client can do per invocation, to measure the others
//! against. One keep-alive connection and, per invocation, four socket calls (more only when
//! the kernel hands a large event over in pieces): write `GET /next`, read the event, write
//! the response `POST` (head and event in one `writev`), read the `202`.
//!
//! It is deliberately not a runtime: no chunked decoding, no header matching in any case, no
//! error path. The request id is found by a fixed search for the header as the benchmark's
//! fake Runtime API spells it. It uses `std` (what the std cost adds is start-up, not the
//! steady state measured against it) and is built static for musl like the others.
use std::io::{IoSlice, Read, Write};
use std::net::TcpStream;

/// The largest event Lambda sends (6 MiB) plus room for the response head.
const BUFFER_BYTES: usize = 6 * 1024 * 1024 + 64 * 1024;

fn main() {
    let address = std::env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API");
    let mut api = TcpStream::connect(address.as_str()).expect("connect");
    api.set_nodelay(true).expect("TCP_NODELAY");

    let next = format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {address}\r\n\r\n");
    // Zeroed by the allocator (fresh pages), so only the bytes an event fills are touched.
    let mut event = vec![0u8; BUFFER_BYTES];
    let mut reply = vec![0u8; 4096];
    let mut head = Vec::with_capacity(256);

    loop {
        api.write_all(next.as_bytes()).expect("send GET /next");
        let (head_len, body_len) = read_message(&mut api, &mut event);
        if !event.starts_with(b"HTTP/1.1 200") {
            return; // the benchmark ends a run with a 500
        }
        let id = header(&event[..head_len], b"Lambda-Runtime-Aws-Request-Id: ");
        let body = &event[head_len..head_len + body_len];

        head.clear();
        head.extend_from_slice(b"POST /2018-06-01/runtime/invocation/");
        head.extend_from_slice(id);
        write!(head, "/response HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n", body.len())
            .expect("format the head");
        write_all_vectored(&mut api, &mut [IoSlice::new(&head), IoSlice::new(body)]);
        read_message(&mut api, &mut reply);
    }
}

/// Reads one HTTP message with a `Content-Length` body into `buf`; returns the head's and
/// the body's lengths. One `read` when the message arrives whole, as small ones do.
fn read_message(api: &mut TcpStream, buf: &mut [u8]) -> (usize, usize) {
    let mut filled = 0;
    let mut head_len = 0;
    let mut total = usize::MAX;
    while filled < total {
        let n = api.read(&mut buf[filled..]).expect("read");
        assert!(n > 0, "the Runtime API closed the connection");
        filled += n;
        if head_len == 0 {
            if let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                head_len = end + 4;
                let length = header(&buf[..head_len], b"Content-Length: ");
                let length: usize = std::str::from_utf8(length).unwrap().parse().unwrap();
                total = head_len + length;
                assert!(total <= buf.len(), "message larger than the buffer");
            }
        }
    }
    (head_len, total - head_len)
}

/// The value of the header that starts with `name` (exactly as spelt), up to its CR.
fn header<'a>(head: &'a [u8], name: &[u8]) -> &'a [u8] {
    let start = head.windows(name.len()).position(|w| w == name).expect("header") + name.len();
    let len = head[start..].iter().position(|&b| b == b'\r').expect("CR");
    &head[start..start + len]
}

fn write_all_vectored(api: &mut TcpStream, mut slices: &mut [IoSlice<'_>]) {
    while !slices.is_empty() {
        let n = api.write_vectored(slices).expect("writev");
        IoSlice::advance_slices(&mut slices, n);
    }
}
