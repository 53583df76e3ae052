//! Parsing `AWS_LAMBDA_RUNTIME_API` into a socket address, a `Host` header value and a path
//! prefix.
//!
//! Lambda sets a bare `host:port`; emulators and tools set `http://host:port`, `[::1]:port`,
//! `localhost:port`, sometimes with a path prefix. There is no resolver in a `FROM scratch`
//! image, so the host must be an IP literal or `localhost`; anything else is refused with a
//! message that says why, rather than failing later with a connection error.

use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::http::eq_ignore_case;
use crate::{api::ip, codec::num};

/// Longest address we keep; real values are ~15 bytes, prefixed ones well under 100.
pub const MAX_LEN: usize = 256;

/// Where the Runtime API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The address to connect to.
    pub addr: SocketAddr,
    /// The authority as written (`127.0.0.1:9001`, `[::1]:9001`, `localhost:9001`), sent as `Host`.
    pub host: heapless::String<MAX_LEN>,
    /// A path prefix without a trailing slash (`""` or `/.rt/fn`), put before `/2018-06-01`.
    pub prefix: heapless::String<MAX_LEN>,
}

/// Why an address was refused; [`EndpointError::message`] is what the user reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointError {
    /// Never from the bootstrap itself, which takes an empty variable as unset (`start::main`).
    Empty,
    /// Longer than [`MAX_LEN`].
    TooLong,
    /// A scheme other than `http://`.
    Scheme,
    /// No `:port`.
    MissingPort,
    /// A port that is not 1 to 65535.
    BadPort,
    /// A host that is not an IP address or `localhost`.
    BadHost,
    /// A host name, which would need DNS.
    Hostname,
    /// A path prefix with bytes a request line cannot carry.
    BadPath,
}

impl EndpointError {
    /// Completes "`AWS_LAMBDA_RUNTIME_API` …" in the message the user reads.
    pub fn message(self) -> &'static str {
        match self {
            Self::Empty => "is empty",
            Self::TooLong => "is too long",
            Self::Scheme => "has a scheme other than http:// (https is not supported)",
            Self::MissingPort => "has no port (expected host:port)",
            Self::BadPort => "has a port that is not a number from 1 to 65535",
            Self::BadHost => "has a host that is not an IPv4 address, [IPv6] address or localhost",
            Self::Hostname => {
                "names a host other than localhost; there is no DNS here, use an IP address"
            }
            Self::BadPath => "has a path with characters other than visible ASCII, or a query",
        }
    }
}

/// Parses `host:port`, `http://host:port`, `[v6]:port`, `localhost:port`, each optionally
/// followed by a path prefix.
///
/// Works on bytes: slicing a `str` could panic, and the panic machinery for it would cost
/// more than this whole parser. Slices are cut with `get` and `split_at_checked`, which have
/// no panic paths at all.
pub fn parse(value: &str) -> Result<Endpoint, EndpointError> {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return Err(EndpointError::Empty);
    }
    if bytes.len() > MAX_LEN {
        return Err(EndpointError::TooLong);
    }
    // A scheme comes before any `/`: a `://` in the path is part of the path. (`any`, not
    // `contains`: core's is a 200-byte word-at-a-time search, for a few bytes here.)
    let scheme = position(bytes, b"://").and_then(|i| bytes.split_at_checked(i));
    #[allow(clippy::manual_contains)]
    let rest = match scheme.filter(|(scheme, _)| !scheme.iter().any(|&b| b == b'/')) {
        Some((scheme, rest)) if eq_ignore_case(scheme, b"http") => {
            rest.get(3..).unwrap_or_default()
        }
        Some(_) => return Err(EndpointError::Scheme),
        None => bytes,
    };
    let slash = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at_checked(slash).unwrap_or((rest, b""));
    let addr = parse_authority(authority)?;
    if !path
        .iter()
        .all(|&b| b.is_ascii_graphic() && b != b'?' && b != b'#')
    {
        return Err(EndpointError::BadPath);
    }
    let mut prefix = path;
    while let [rest @ .., b'/'] = prefix {
        prefix = rest;
    }
    let mut endpoint = Endpoint {
        addr,
        host: heapless::String::new(),
        prefix: heapless::String::new(),
    };
    // Both are ASCII (checked above, or by parse_authority) and fit: each is a part of
    // `value`, which is at most MAX_LEN bytes.
    let _ = endpoint.host.push_str(text(authority));
    let _ = endpoint.prefix.push_str(text(prefix));
    Ok(endpoint)
}

fn parse_authority(authority: &[u8]) -> Result<SocketAddr, EndpointError> {
    let (ip, port) = if let [b'[', bracketed @ ..] = authority {
        let end = bracketed
            .iter()
            .position(|&b| b == b']')
            .ok_or(EndpointError::BadHost)?;
        let (host, after) = bracketed
            .split_at_checked(end)
            .ok_or(EndpointError::BadHost)?;
        let [b']', b':', port @ ..] = after else {
            return Err(EndpointError::MissingPort);
        };
        let ip = ip::parse_v6(host).ok_or(EndpointError::BadHost)?;
        (IpAddr::V6(ip), port)
    } else {
        let colon = authority
            .iter()
            .rposition(|&b| b == b':')
            .ok_or(EndpointError::MissingPort)?;
        let (host, port) = authority
            .split_at_checked(colon)
            .ok_or(EndpointError::MissingPort)?;
        let port = port.get(1..).unwrap_or_default();
        let ip = if eq_ignore_case(host, b"localhost") {
            Ipv4Addr::LOCALHOST
        } else if let Some(ip) = ip::parse_v4(host) {
            ip
        } else if !host.is_empty()
            && host
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(EndpointError::Hostname);
        } else {
            return Err(EndpointError::BadHost);
        };
        (IpAddr::V4(ip), port)
    };
    Ok(SocketAddr::new(ip, parse_port(port)?))
}

fn parse_port(port: &[u8]) -> Result<u16, EndpointError> {
    if port.is_empty() {
        return Err(EndpointError::MissingPort);
    }
    match num::ascii_to_u64(port).map(u16::try_from) {
        Some(Ok(port)) if port != 0 => Ok(port),
        _ => Err(EndpointError::BadPort),
    }
}

/// Where `needle` first occurs in `haystack`.
fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Bytes known to be ASCII as `str`; anything else reads as empty, which no caller accepts.
fn text(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv6Addr;

    fn ok(value: &str) -> Endpoint {
        parse(value).unwrap_or_else(|e| panic!("{value:?}: {}", e.message()))
    }

    #[test]
    fn bare_host_port_as_lambda_sets_it() {
        let e = ok("127.0.0.1:9001");
        assert_eq!(e.addr, SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 9001));
        assert_eq!(e.host.as_str(), "127.0.0.1:9001");
        assert_eq!(e.prefix.as_str(), "");
    }

    #[test]
    fn http_scheme_any_case() {
        assert_eq!(ok("http://10.0.0.7:80").addr.to_string(), "10.0.0.7:80");
        assert_eq!(ok("HTTP://10.0.0.7:80").host.as_str(), "10.0.0.7:80");
    }

    #[test]
    fn ipv6_literal() {
        let e = ok("[::1]:9001");
        assert_eq!(e.addr, SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 9001));
        assert_eq!(e.host.as_str(), "[::1]:9001");
        assert_eq!(ok("http://[::]:9000/.rt/fn").prefix.as_str(), "/.rt/fn");
    }

    #[test]
    fn localhost_means_ipv4_loopback() {
        let e = ok("localhost:8080");
        assert_eq!(e.addr, SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 8080));
        assert_eq!(e.host.as_str(), "localhost:8080");
        assert_eq!(ok("LocalHost:1").addr.port(), 1);
    }

    #[test]
    fn path_prefix_loses_trailing_slashes() {
        assert_eq!(
            ok("http://127.0.0.1:9000/.rt/fn").prefix.as_str(),
            "/.rt/fn"
        );
        assert_eq!(ok("127.0.0.1:9000/.rt/fn/").prefix.as_str(), "/.rt/fn");
        assert_eq!(ok("127.0.0.1:9000/").prefix.as_str(), "");
    }

    #[test]
    fn a_path_may_hold_what_looks_like_a_scheme() {
        // Found by fuzzing: with the scheme it was accepted, without it refused as a scheme.
        assert_eq!(ok("http://127.0.0.1:9001/a://b").prefix.as_str(), "/a://b");
        assert_eq!(ok("127.0.0.1:9001/a://b").prefix.as_str(), "/a://b");
        assert_eq!(
            parse("x/y://127.0.0.1:9001"),
            Err(EndpointError::MissingPort)
        );
    }

    #[test]
    fn refusals_say_why() {
        use EndpointError::*;
        let cases = [
            ("", Empty),
            ("https://127.0.0.1:9001", Scheme),
            ("unix:///tmp/x", Scheme),
            ("127.0.0.1", MissingPort),
            ("127.0.0.1:", MissingPort),
            ("[::1]", MissingPort),
            ("[::1]9001", MissingPort),
            ("127.0.0.1:0", BadPort),
            ("127.0.0.1:65536", BadPort),
            ("127.0.0.1:+80", BadPort),
            ("127.0.0.1:8o", BadPort),
            ("example.com:80", Hostname),
            ("runtime-api:9001", Hostname),
            (":9001", BadHost),
            ("::1:9001", BadHost),
            ("[::1:9001", BadHost),
            ("[nope]:9001", BadHost),
            ("[1:2:3:4:5:6:7:8::]:9001", BadHost),
            ("user@host:1", BadHost),
            ("127.0.0.1:9001/a b", BadPath),
            ("127.0.0.1:9001/x?y", BadPath),
            ("127.0.0.1:9001/x#y", BadPath),
        ];
        for (value, want) in cases {
            assert_eq!(parse(value), Err(want), "{value:?}");
        }
        let long = "1".repeat(MAX_LEN + 1);
        assert_eq!(parse(&long), Err(TooLong));
    }
}
