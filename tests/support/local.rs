//! Local mode from the caller's side: a bootstrap started without `AWS_LAMBDA_RUNTIME_API`,
//! listening on a free loopback port, and a small HTTP/1.1 client that sends raw requests
//! and reads whole answers (the server closes each connection after answering).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use super::process::Process;

/// The invoke path of the official emulator.
pub const INVOKE_PATH: &str = "/2015-03-31/functions/function/invocations";

/// How long any one answer may take before the test fails.
const ANSWER_LIMIT: Duration = Duration::from_secs(30);

/// A bootstrap in local mode, killed on drop.
pub struct LocalServer {
    pub process: Process,
    pub addr: SocketAddr,
}

impl LocalServer {
    /// Starts `program` in local mode on a free port of 127.0.0.1, with `env` besides
    /// `LAMBDA_LOCAL_ADDRESS`, and waits until it accepts connections.
    pub fn start(program: &Path, env: &[(&str, &str)]) -> LocalServer {
        Self::start_on("127.0.0.1", program, env)
    }

    /// As [`LocalServer::start`], on `host` (`127.0.0.1` or `[::1]`).
    pub fn start_on(host: &str, program: &Path, env: &[(&str, &str)]) -> LocalServer {
        Self::start_wrapped(&[], host, program, env)
    }

    /// As [`LocalServer::start_on`], through `wrapper` (see [`Process::spawn_wrapped`]).
    pub fn start_wrapped(
        wrapper: &[&str],
        host: &str,
        program: &Path,
        env: &[(&str, &str)],
    ) -> LocalServer {
        let port = free_port(host);
        let address = format!("{host}:{port}");
        let mut all = vec![("LAMBDA_LOCAL_ADDRESS", address.as_str())];
        all.extend_from_slice(env);
        let mut process = Process::spawn_wrapped(wrapper, program, &all);
        let addr: SocketAddr = address.parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if process.exit_status().is_some() || Instant::now() > deadline {
                panic!(
                    "local mode did not start listening on {address}\n{}",
                    process.diagnostics()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        LocalServer { process, addr }
    }

    /// POSTs `event` to the invoke path.
    pub fn invoke(&mut self, event: &[u8]) -> Answer {
        self.invoke_with(&[], event)
    }

    /// POSTs `event` with extra `headers`.
    pub fn invoke_with(&mut self, headers: &[(&str, &str)], event: &[u8]) -> Answer {
        let mut request = format!("POST {INVOKE_PATH} HTTP/1.1\r\nHost: localhost\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n", event.len()));
        let mut raw = request.into_bytes();
        raw.extend_from_slice(event);
        self.send_raw(&raw)
    }

    /// Sends `raw` bytes as they are and reads the answer.
    pub fn send_raw(&mut self, raw: &[u8]) -> Answer {
        let mut stream = self.connect();
        stream
            .write_all(raw)
            .unwrap_or_else(|e| self.fail(&format!("sending the request: {e}")));
        self.read_answer(stream)
    }

    pub fn connect(&mut self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .unwrap_or_else(|e| self.fail(&format!("connecting: {e}")));
        stream.set_read_timeout(Some(ANSWER_LIMIT)).unwrap();
        stream.set_write_timeout(Some(ANSWER_LIMIT)).unwrap();
        stream
    }

    /// Reads an answer to its end (the server closes the connection after it).
    pub fn read_answer(&mut self, mut stream: TcpStream) -> Answer {
        let mut bytes = Vec::new();
        if let Err(e) = stream.read_to_end(&mut bytes) {
            self.fail(&format!(
                "reading the answer (after {} bytes): {e}",
                bytes.len()
            ));
        }
        Answer::parse(&bytes).unwrap_or_else(|e| {
            self.fail(&format!(
                "bad answer: {e}\n{:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(2000)])
            ))
        })
    }

    pub fn fail(&mut self, message: &str) -> ! {
        panic!("{message}\n{}", self.process.diagnostics())
    }

    /// Waits until the server's stderr holds `count` lines containing `text`.
    pub fn wait_for_log(&mut self, text: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.process.stderr();
            if log.lines().filter(|l| l.contains(text)).count() >= count {
                return log;
            }
            if Instant::now() > deadline {
                self.fail(&format!("expected {count} log lines with {text:?}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A port that was free a moment ago.
fn free_port(host: &str) -> u16 {
    let listener = TcpListener::bind(format!("{host}:0")).unwrap();
    listener.local_addr().unwrap().port()
}

/// A whole HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the body came chunked.
    pub chunked: bool,
    pub trailers: Vec<(String, String)>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    pub fn trailer(&self, name: &str) -> Option<&str> {
        let found = self
            .trailers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// Parses a complete answer, which must end exactly where its framing says.
    pub fn parse(bytes: &[u8]) -> Result<Answer, String> {
        let mut rest = bytes;
        // Interim answers (100 Continue) come first.
        loop {
            let end = find(rest, b"\r\n\r\n").ok_or("no complete head")?;
            let head = std::str::from_utf8(&rest[..end]).map_err(|e| e.to_string())?;
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or("");
            let status: u16 = status_line
                .strip_prefix("HTTP/1.1 ")
                .and_then(|s| s.get(..3))
                .and_then(|s| s.parse().ok())
                .ok_or(format!("bad status line {status_line:?}"))?;
            rest = &rest[end + 4..];
            if status == 100 {
                continue;
            }
            let mut headers = Vec::new();
            for line in lines {
                let (name, value) = line
                    .split_once(':')
                    .ok_or(format!("bad header line {line:?}"))?;
                headers.push((name.to_string(), value.trim().to_string()));
            }
            let mut answer = Answer {
                status,
                headers,
                body: Vec::new(),
                chunked: false,
                trailers: Vec::new(),
            };
            if status == 204 {
                if !rest.is_empty() || answer.header("content-length").is_some() {
                    return Err("a 204 with a body or a length".into());
                }
            } else if let Some(length) = answer.header("content-length") {
                let length: usize = length.parse().map_err(|_| "bad Content-Length")?;
                if rest.len() != length {
                    return Err(format!(
                        "Content-Length {length} but {} body bytes",
                        rest.len()
                    ));
                }
                answer.body = rest.to_vec();
            } else if answer.header("transfer-encoding") == Some("chunked") {
                answer.chunked = true;
                decode_chunked(rest, &mut answer)?;
            } else {
                return Err("neither Content-Length nor chunked".into());
            }
            return Ok(answer);
        }
    }
}

fn decode_chunked(mut rest: &[u8], answer: &mut Answer) -> Result<(), String> {
    loop {
        let end = find(rest, b"\r\n").ok_or("truncated chunk size line")?;
        let line = std::str::from_utf8(&rest[..end]).map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size line {line:?}"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            break;
        }
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return Err(format!("truncated chunk of {size} bytes"));
        }
        answer.body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    loop {
        let end = find(rest, b"\r\n").ok_or("truncated trailers")?;
        if end == 0 {
            rest = &rest[2..];
            break;
        }
        let line = std::str::from_utf8(&rest[..end]).map_err(|e| e.to_string())?;
        let (name, value) = line
            .split_once(':')
            .ok_or(format!("bad trailer {line:?}"))?;
        answer
            .trailers
            .push((name.to_string(), value.trim().to_string()));
        rest = &rest[end + 2..];
    }
    if !rest.is_empty() {
        return Err(format!("{} bytes after the chunked body", rest.len()));
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
