//! Writing a scripted raw `/next` reply ([`RawReply`]): its bytes as given, paced, with pauses
//! at given offsets, and cut short (the connection then closes) where the script says.

use std::io;
use std::net::TcpStream;
use std::thread;

use super::http::write_paced;
use crate::support::script::RawReply;

/// Writes `raw` to `stream`. Returns whether the connection must be closed afterwards (the
/// reply was cut short, or the script says so).
pub(super) fn write_raw(stream: &mut TcpStream, raw: &RawReply) -> io::Result<bool> {
    let end = raw.cut_at.unwrap_or(raw.bytes.len()).min(raw.bytes.len());
    let mut pauses: Vec<_> = raw
        .pauses
        .iter()
        .filter(|(at, _)| *at < end)
        .copied()
        .collect();
    pauses.sort_by_key(|(at, _)| *at);
    let mut written = 0;
    for (at, pause) in pauses {
        write_paced(stream, &raw.bytes[written..at], &raw.pacing)?;
        written = at;
        thread::sleep(pause);
    }
    write_paced(stream, &raw.bytes[written..end], &raw.pacing)?;
    Ok(raw.cut_at.is_some() || raw.close)
}
