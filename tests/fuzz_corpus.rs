//! The fuzz targets' corpora as regular tests: every file of `fuzz/corpus/<target>/`
//! (in subfolders too) goes through the same check as the fuzz target (`fuzz/checks/mod.rs`),
//! so the seeds and the inputs fuzzing runs found (`found/`) are checked on machines without
//! cargo-fuzz or nightly, such as CI. Fuzzing itself: see `fuzz/README.md`.

#[allow(dead_code)]
#[path = "../fuzz/checks/mod.rs"]
mod checks;

use std::path::Path;

/// Runs `check` on each file of the target's corpus, naming the file that fails.
fn corpus(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    for path in &files {
        let data = std::fs::read(path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{} fails its check (above)",
            path.strip_prefix(&dir).unwrap().display()
        );
    }
    eprintln!("{target}: {} inputs", files.len());
}

/// The files under `dir`, in subfolders too (libFuzzer reads corpora the same way).
fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

#[test]
fn response_head() {
    corpus("response_head", checks::response_head);
}

#[test]
fn chunked() {
    corpus("chunked", checks::chunked);
}

#[test]
fn reply() {
    corpus("reply", checks::reply);
}

#[test]
fn next_headers() {
    corpus("next_headers", checks::next_headers);
}

#[test]
fn endpoint() {
    corpus("endpoint", checks::endpoint);
}

#[test]
fn ip() {
    corpus("ip", checks::ip);
}

#[test]
fn error_document() {
    corpus("error_document", checks::error_document);
}

#[test]
fn http_prelude() {
    corpus("http_prelude", checks::http_prelude);
}

#[test]
fn base64() {
    corpus("base64", checks::base64);
}

/// The reference decoder the chunked checks trust, on known cases.
#[test]
fn reference_dechunk_knows_the_grammar() {
    use checks::{Dechunked, reference_dechunk};
    use lambda_bootstrap::http::chunked::ChunkError;
    let done = |body: &[u8], consumed| Dechunked::Done {
        body: body.to_vec(),
        consumed,
    };
    assert_eq!(
        reference_dechunk(b"3\r\nabc\r\n0\r\n\r\n", 100),
        done(b"abc", 13)
    );
    assert_eq!(
        reference_dechunk(b"3;x=y\nabc\n0\nT: 1\n\nrest", 100),
        done(b"abc", 18)
    );
    assert_eq!(reference_dechunk(b"3\r\nab", 100), Dechunked::Incomplete);
    assert_eq!(
        reference_dechunk(b"4\r\nabcd\r\n", 3),
        Dechunked::Error(ChunkError::TooLarge)
    );
    assert_eq!(
        reference_dechunk(b"g\r\n", 100),
        Dechunked::Error(ChunkError::BadSize)
    );
    assert_eq!(
        reference_dechunk(b"10000000000000000\r\n", 100),
        Dechunked::Error(ChunkError::SizeOverflow)
    );
    assert_eq!(
        reference_dechunk(b"1\r\nab\r\n", 100),
        Dechunked::Error(ChunkError::BadDataEnd)
    );
}

/// And the base64 decoder the round trip trusts.
#[test]
fn base64_decoder_knows_rfc_4648() {
    for (text, bytes) in [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYmFy", "foobar"),
    ] {
        assert_eq!(
            checks::base64_decode(text.as_bytes()).as_deref(),
            Some(bytes.as_bytes())
        );
    }
    for bad in ["Zg=", "Z===", "Zh==", "Zg==Zg==", "Zm9*"] {
        assert_eq!(checks::base64_decode(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn local_request() {
    corpus("local_request", checks::local_request);
}
