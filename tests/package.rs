//! Packaging (docs/packaging.md): `tools/package` run on the bootstrap under test, its
//! `bootstrap.zip` and OCI image archive read back with independent readers (zip, tar,
//! flate2, sha2), both checked byte-for-byte reproducible; and, where podman is installed,
//! `scratch.Dockerfile` built and the archive loaded, each image run with its port published
//! on loopback and invoked over HTTP in local mode.
//!
//! Exec mode's packages (`--exec`, docs/exec.md) are laid out as Lambda lays them out and run
//! with AWS tutorial's `function.sh` (examples/exec/function.sh): the layer's `bootstrap` from
//! `opt/`, the function zip's from `var/task/`, against the test Runtime API; and the image to
//! copy from is copied into a busybox image with one `COPY --from` line, run with podman.
//!
//! The tool is a workspace of its own: it is built here with `cargo build --release
//! --offline` for the host (also in the arm64 run, where the bootstrap under test is the
//! aarch64 one), into `target/package-tool`.

use crate::sizes;
use crate::support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{FakeApi, Invocation, Route, Run, Script, runner, skip};

/// Every timestamp the tool writes: 1980-01-01T00:00:00Z.
const EPOCH: u64 = 315_532_800;
const DEFAULT_NAME: &str = "lambda-bootstrap:latest";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const INVOKE_PATH: &str = "/2015-03-31/functions/function/invocations";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bootstrap"))
}

/// `target/`, the outer build's own directory (`target/<triple>/release/bootstrap`).
fn target_dir() -> &'static Path {
    bootstrap()
        .ancestors()
        .nth(3)
        .expect("target/<triple>/release/bootstrap")
}

/// A fresh directory for one test's output.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = target_dir().join("package-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The architecture the bootstrap under test is built for: Lambda's name and the OCI name.
fn arch() -> (&'static str, &'static str) {
    if cfg!(target_arch = "aarch64") {
        ("arm64", "arm64")
    } else {
        ("x86_64", "amd64")
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn host_triple() -> String {
    let output = Command::new("rustc")
        .arg("-vV")
        .current_dir(repository())
        .output()
        .expect("rustc runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .unwrap_or_else(|| panic!("no host in `rustc -vV`:\n{text}"))
        .to_string()
}

/// The tool, built once for the host (the root's .cargo/config.toml would build it for musl,
/// and the arm64 run must still get a program this machine runs).
fn tool() -> &'static Path {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(|| {
        let host = host_triple();
        let dir = target_dir().join("package-tool");
        let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "--offline",
                "--manifest-path",
                "tools/package/Cargo.toml",
            ])
            .args(["--target", &host])
            .current_dir(repository())
            .env("CARGO_TARGET_DIR", &dir)
            .env_remove("CARGO_BUILD_TARGET")
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building tools/package failed (if a crate is missing offline: cargo fetch \
             --manifest-path tools/package/Cargo.toml):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        dir.join(host).join("release/lambda-package")
    })
}

fn run_tool(args: &[&str], dir: &Path) -> Output {
    Command::new(tool())
        .args(args)
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("lambda-package runs")
}

/// What one run of the tool wrote.
struct Packages {
    zip: Vec<u8>,
    image: Vec<u8>,
    image_path: PathBuf,
    /// The digest the tool printed.
    digest: String,
}

fn package(binary: &Path, extra: &[&str], out: &Path) -> Packages {
    let mut args = vec![
        "--bootstrap",
        binary.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    std::fs::create_dir_all(out).unwrap();
    let output = run_tool(&args, out);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "lambda-package {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprint!("{stdout}");
    let digest = stdout
        .split_whitespace()
        .find(|word| word.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest printed:\n{stdout}"))
        .to_string();
    let image_path = out.join("bootstrap-image.tar");
    Packages {
        zip: std::fs::read(out.join("bootstrap.zip")).unwrap(),
        image: std::fs::read(&image_path).unwrap(),
        image_path,
        digest,
    }
}

/// The packages of the bootstrap under test, made once with the defaults (but `--out`).
fn packages() -> &'static Packages {
    static PACKAGES: OnceLock<Packages> = OnceLock::new();
    PACKAGES.get_or_init(|| package(bootstrap(), &[], &scratch_dir("default")))
}

/// The entries of a tar: name, header and data, in order.
fn tar_entries(bytes: &[u8]) -> Vec<(String, tar::Header, Vec<u8>)> {
    let mut archive = tar::Archive::new(bytes);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let header = entry.header().clone();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (name, header, data)
        })
        .collect()
}

/// An OCI image archive read back: the files of its layout by name.
struct Layout(BTreeMap<String, Vec<u8>>);

impl Layout {
    fn read(archive: &[u8]) -> Layout {
        let entries = tar_entries(archive);
        let names: Vec<&str> = entries.iter().map(|(name, ..)| name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "the archive's entries are sorted");
        for (name, header, _) in &entries {
            let directory = name.ends_with('/');
            assert_eq!(header.uid().unwrap(), 0, "{name}");
            assert_eq!(header.gid().unwrap(), 0, "{name}");
            assert_eq!(header.mtime().unwrap(), EPOCH, "{name}");
            assert_eq!(header.username().unwrap(), Some(""), "{name}");
            assert_eq!(
                header.mode().unwrap(),
                if directory { 0o755 } else { 0o644 },
                "{name}"
            );
            let kind = if directory {
                tar::EntryType::Directory
            } else {
                tar::EntryType::Regular
            };
            assert_eq!(header.entry_type(), kind, "{name}");
        }
        Layout(
            entries
                .into_iter()
                .filter(|(name, ..)| !name.ends_with('/'))
                .map(|(n, _, d)| (n, d))
                .collect(),
        )
    }

    fn json(&self, name: &str) -> Value {
        serde_json::from_slice(self.0.get(name).unwrap_or_else(|| panic!("no {name}"))).unwrap()
    }

    /// The blob a descriptor points to, checked against the descriptor's digest and size.
    fn blob(&self, descriptor: &Value, media_type: &str) -> &[u8] {
        assert_eq!(descriptor["mediaType"], media_type, "{descriptor}");
        let digest = descriptor["digest"].as_str().unwrap();
        let hex = digest.strip_prefix("sha256:").unwrap();
        let blob = self
            .0
            .get(&format!("blobs/sha256/{hex}"))
            .unwrap_or_else(|| panic!("no blob {digest}"));
        assert_eq!(sha256_hex(blob), hex);
        assert_eq!(
            descriptor["size"].as_u64(),
            Some(blob.len() as u64),
            "{descriptor}"
        );
        blob
    }
}

/// Checks an OCI archive of `binary` for `oci_arch`; returns the manifest's digest.
fn check_oci_archive(archive: &[u8], binary: &[u8], oci_arch: &str, name: &str) -> String {
    let layout = Layout::read(archive);
    let blobs = layout
        .0
        .keys()
        .filter(|name| name.starts_with("blobs/sha256/"))
        .count();
    assert_eq!(
        blobs,
        3,
        "a manifest, a config and a layer: {:?}",
        layout.0.keys()
    );
    assert_eq!(
        layout.0.len(),
        5,
        "blobs, index.json, oci-layout: {:?}",
        layout.0.keys()
    );
    for (path, blob) in &layout.0 {
        if let Some(hex) = path.strip_prefix("blobs/sha256/") {
            assert_eq!(sha256_hex(blob), hex, "{path} is named by its digest");
        }
    }
    assert_eq!(
        layout.json("oci-layout"),
        serde_json::json!({ "imageLayoutVersion": "1.0.0" })
    );

    let index = layout.json("index.json");
    assert_eq!(index["schemaVersion"], 2);
    let manifests = index["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 1, "one image: {index}");
    let entry = &manifests[0];
    assert_eq!(
        entry["platform"],
        serde_json::json!({ "architecture": oci_arch, "os": "linux" })
    );
    assert_eq!(
        entry["annotations"]["org.opencontainers.image.ref.name"],
        name
    );
    let manifest_bytes = layout.blob(entry, MANIFEST_MEDIA_TYPE);
    let manifest: Value = serde_json::from_slice(manifest_bytes).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(
        manifest["mediaType"], MANIFEST_MEDIA_TYPE,
        "a single-platform image manifest, not an index"
    );

    let config: Value = serde_json::from_slice(layout.blob(
        &manifest["config"],
        "application/vnd.oci.image.config.v1+json",
    ))
    .unwrap();
    assert_eq!(config["architecture"], oci_arch);
    assert_eq!(config["os"], "linux");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/bootstrap"])
    );
    assert!(config["config"].get("Cmd").is_none());
    assert_eq!(
        config["config"]["ExposedPorts"],
        serde_json::json!({ "8080/tcp": {} })
    );
    assert_eq!(config["rootfs"]["type"], "layers");

    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    let layer = layout.blob(&layers[0], "application/vnd.oci.image.layer.v1.tar+gzip");
    assert_eq!(&layer[..3], &[0x1f, 0x8b, 8], "gzip");
    assert_eq!(&layer[4..8], &[0; 4], "no time in the gzip header");
    assert_eq!(layer[9], 255, "no OS in the gzip header");
    let mut layer_tar = Vec::new();
    flate2::read::GzDecoder::new(layer)
        .read_to_end(&mut layer_tar)
        .unwrap();
    let diff_id = format!("sha256:{}", sha256_hex(&layer_tar));
    assert_eq!(config["rootfs"]["diff_ids"], serde_json::json!([diff_id]));
    let files = tar_entries(&layer_tar);
    assert_eq!(files.len(), 1, "the layer holds the bootstrap alone");
    let (path, header, data) = &files[0];
    assert_eq!(path, "bootstrap");
    assert_eq!(header.entry_type(), tar::EntryType::Regular);
    assert_eq!(header.mode().unwrap(), 0o755);
    assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
    assert_eq!(header.mtime().unwrap(), EPOCH);
    assert!(data == binary, "the layer's bootstrap is the binary");
    format!("sha256:{}", sha256_hex(manifest_bytes))
}

#[test]
fn zip_holds_the_bootstrap_alone_mode_0755() {
    let packages = packages();
    let binary = std::fs::read(bootstrap()).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&packages.zip[..])).unwrap();
    assert_eq!(zip.len(), 1, "one entry");
    let mut entry = zip.by_index(0).unwrap();
    assert_eq!(entry.name(), "bootstrap", "at the root");
    assert!(entry.is_file());
    assert_eq!(
        entry.unix_mode(),
        Some(0o100755),
        "a regular file, rwxr-xr-x"
    );
    assert_eq!(
        entry.last_modified(),
        Some(zip::DateTime::default()),
        "1980-01-01 00:00:00"
    );
    assert!(
        entry.extra_data().is_none_or(|extra| extra.is_empty()),
        "no extra fields (times, uids)"
    );
    let mut data = Vec::new();
    entry.read_to_end(&mut data).unwrap();
    assert!(data == binary, "the zip's bootstrap is the binary");
}

/// docs/packaging.md's sizes are those of the packages built here (within 2%), in the
/// column of the architecture under test.
#[test]
fn the_documented_package_sizes_hold() {
    let packages = packages();
    let column = if arch().0 == "x86_64" { 0 } else { 1 };
    let doc = "docs/packaging.md";
    sizes::check_in(
        doc,
        "`bootstrap`",
        column,
        std::fs::metadata(bootstrap()).unwrap().len(),
    );
    sizes::check_in(doc, "`bootstrap.zip`", column, packages.zip.len() as u64);
    sizes::check_in(
        doc,
        "`bootstrap-image.tar` (the OCI archive)",
        column,
        packages.image.len() as u64,
    );
}

#[test]
fn oci_archive_is_one_single_platform_image_of_the_bootstrap() {
    let packages = packages();
    let binary = std::fs::read(bootstrap()).unwrap();
    let digest = check_oci_archive(&packages.image, &binary, arch().1, DEFAULT_NAME);
    assert_eq!(
        digest, packages.digest,
        "the digest printed is the manifest's"
    );
}

/// The same binary, copied elsewhere with another time and packaged again in another
/// directory, gives the same bytes.
#[test]
fn packages_are_byte_for_byte_reproducible() {
    let first = packages();
    let dir = scratch_dir("again");
    let copy = dir.join("copied-bootstrap");
    std::fs::copy(bootstrap(), &copy).unwrap();
    let again = package(&copy, &["--arch", arch().0], &dir.join("out"));
    assert!(
        first.zip == again.zip,
        "bootstrap.zip differs between two runs"
    );
    assert!(
        first.image == again.image,
        "bootstrap-image.tar differs between two runs"
    );
    assert_eq!(first.digest, again.digest);
}

/// The other architecture: the bootstrap under test with its ELF machine changed stands for
/// a binary of it (the tool reads the architecture from the header).
#[test]
fn the_other_architecture_is_packaged_as_such() {
    let (other, other_oci, machine): (&str, &str, u16) = if arch().0 == "x86_64" {
        ("arm64", "arm64", 183)
    } else {
        ("x86_64", "amd64", 62)
    };
    let dir = scratch_dir("other-arch");
    let mut binary = std::fs::read(bootstrap()).unwrap();
    binary[18..20].copy_from_slice(&machine.to_le_bytes());
    let path = dir.join("bootstrap");
    std::fs::write(&path, &binary).unwrap();
    let packages = package(&path, &["--arch", other], &dir.join("out"));
    let digest = check_oci_archive(&packages.image, &binary, other_oci, DEFAULT_NAME);
    assert_eq!(digest, packages.digest);
    assert_ne!(digest, self::packages().digest);
}

#[test]
fn mistakes_are_refused_with_a_clear_message() {
    let dir = scratch_dir("mistakes");
    let bootstrap = bootstrap().to_str().unwrap();
    let other = if arch().0 == "x86_64" {
        "arm64"
    } else {
        "x86_64"
    };
    let cases: [(&[&str], &str); 5] = [
        (
            &["--bootstrap", bootstrap, "--arch", other],
            "not for --arch",
        ),
        (
            &[],
            "target/x86_64-unknown-linux-musl/release/bootstrap does not exist: build it first with `cargo build --release`",
        ),
        (
            &["--arch", "arm64"],
            "build it first with `cargo build --release --target aarch64-unknown-linux-musl`",
        ),
        (&["--bootstrap", "Cargo.toml"], "is not an ELF executable"),
        (&["--arch", "mips"], "unknown architecture"),
    ];
    std::fs::write(dir.join("Cargo.toml"), "[package]\n").unwrap();
    for (args, message) in cases {
        let output = run_tool(args, &dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(
            stderr.contains(message),
            "{args:?}: no {message:?} in:\n{stderr}"
        );
    }
    assert!(!dir.join("target").exists(), "nothing written");
}

#[test]
#[cfg_attr(
    missing = "skopeo",
    ignore = "skopeo is not installed (apt-get install skopeo)"
)]
fn skopeo_reads_the_archive() {
    if Command::new("skopeo").arg("--version").output().is_err() {
        skip::missing("skopeo is not installed (apt-get install skopeo)");
        return;
    }
    let packages = packages();
    let reference = format!("oci-archive:{}", packages.image_path.display());
    let output = Command::new("skopeo")
        .args(["inspect", &reference])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skopeo inspect: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let inspect: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(inspect["Digest"], packages.digest.as_str());
    assert_eq!(inspect["Architecture"], arch().1);
    assert_eq!(inspect["Os"], "linux");
}

// ---- podman: the images run and answer in local mode ----

fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .args(args)
        .output()
        .expect("podman runs")
}

fn podman_ok(args: &[&str]) -> String {
    let output = podman(args);
    assert!(
        output.status.success(),
        "podman {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Removes the containers and images a test made, however it ends.
#[derive(Default)]
struct Cleanup {
    containers: Vec<String>,
    images: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for container in &self.containers {
            let _ = podman(&["rm", "--force", "--time", "0", container]);
        }
        for image in &self.images {
            let _ = podman(&["rmi", "--force", image]);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `POST` of `event` to the emulator's path on 127.0.0.1:port: the status and body.
fn invoke(port: u16, event: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let head = format!(
        "POST {INVOKE_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        event.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(event)?;
    let mut reply = Vec::new();
    let mut buffer = [0u8; 4096];
    let broken =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    // The head, then as much body as Content-Length says (or up to the close).
    let (head_end, length) = loop {
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            return Err(broken("closed before a complete head"));
        }
        reply.extend_from_slice(&buffer[..n]);
        if let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&reply[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map(|value| {
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| broken("bad Content-Length"))
                })
                .transpose()?;
            break (end + 4, length);
        }
    };
    loop {
        if length.is_some_and(|length| reply.len() >= head_end + length) {
            break;
        }
        match stream.read(&mut buffer)? {
            0 if length.is_none() => break,
            0 => return Err(broken("closed before the whole body")),
            n => reply.extend_from_slice(&buffer[..n]),
        }
    }
    let status = std::str::from_utf8(&reply[..head_end])
        .ok()
        .and_then(|head| head.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| broken("no status line"))?;
    let body = reply[head_end..].to_vec();
    Ok((status, body[..length.unwrap_or(body.len())].to_vec()))
}

/// Runs `image` with 8080 published on a free loopback port, invokes it with `event`, checks
/// that the answer is a 200 with `expected`.
fn run_and_invoke(image: &str, event: &[u8], expected: &[u8], cleanup: &mut Cleanup) {
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:8080");
    // This machine's podman needs runc and these limits (shared/build-notes.md). No --rm: the
    // container's log stays readable if it fails; Cleanup removes it.
    let container = podman_ok(&[
        "run",
        "-d",
        "--runtime",
        "runc",
        "--ulimit",
        "nofile=20000:20000",
        "--ulimit",
        "nproc=32768:32768",
        "-p",
        &publish,
        image,
    ]);
    cleanup.containers.push(container.clone());
    let start = Instant::now();
    let mut last = None;
    for _ in 0..100 {
        match invoke(port, event) {
            Ok(answer) => {
                last = Some(Ok(answer));
                break;
            }
            Err(e) => last = Some(Err(e)),
        }
        if !podman_ok(&["inspect", "--format", "{{.State.Running}}", &container]).contains("true") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let logs = podman(&["logs", &container]);
    let logs =
        String::from_utf8_lossy(&logs.stderr).into_owned() + &String::from_utf8_lossy(&logs.stdout);
    match last {
        Some(Ok((status, body))) => {
            assert!(
                status == 200 && body == expected,
                "{image}: expected 200 {:?}, got {status} {:?}; container log:\n{logs}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(&body)
            );
            eprintln!(
                "{image}: 200 {:?} after {:?}",
                String::from_utf8_lossy(&body),
                start.elapsed()
            );
        }
        other => {
            panic!("{image} on 127.0.0.1:{port} gave no answer ({other:?}); container log:\n{logs}")
        }
    }
}

/// Whether the podman tests run: on x86_64 with podman installed (else skipped, or failed
/// under `LAMBDA_BOOTSTRAP_NO_SKIP=1`).
fn podman_runs_here() -> bool {
    if !cfg!(target_arch = "x86_64") {
        skip::not_applicable(
            "the podman tests run the x86_64 images only (this machine runs no arm64 containers)",
        );
        return false;
    }
    if !Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        skip::missing("podman is not installed (apt-get install podman runc)");
        return false;
    }
    true
}

#[test]
#[cfg_attr(
    missing = "podman",
    ignore = "podman is not installed (apt-get install podman runc)"
)]
fn podman_runs_the_dockerfile_image_and_the_archive_and_they_answer() {
    if !podman_runs_here() {
        return;
    }
    tool(); // built before the clock starts
    let start = Instant::now();
    let mut cleanup = Cleanup::default();
    let unique = format!("lambda-bootstrap-test-{}", std::process::id());

    // scratch.Dockerfile from the prebuilt binary: the documented command (the repository as
    // context, the default BOOTSTRAP) when the bootstrap under test is where it says, else a
    // context holding the binary alone.
    let built = format!("localhost/{unique}:dockerfile");
    let default_path = repository().join("target/x86_64-unknown-linux-musl/release/bootstrap");
    let (context, build_arg) = if bootstrap() == default_path {
        (repository().to_path_buf(), None)
    } else {
        let context = scratch_dir("podman-context");
        std::fs::copy(bootstrap(), context.join("bootstrap")).unwrap();
        (context, Some("BOOTSTRAP=bootstrap"))
    };
    let dockerfile = repository().join("scratch.Dockerfile");
    let mut args = vec![
        "build",
        "--quiet",
        "--layers=false",
        "-f",
        dockerfile.to_str().unwrap(),
        "-t",
        &built,
    ];
    if let Some(arg) = build_arg {
        args.extend(["--build-arg", arg]);
    }
    args.push(context.to_str().unwrap());
    cleanup.images.push(built.clone());
    podman_ok(&args);

    // The archive, named for this test so that it replaces no one's image.
    let loaded = format!("localhost/{unique}:oci");
    let packages = package(
        bootstrap(),
        &["--name", &loaded],
        &scratch_dir("podman-archive"),
    );
    cleanup.images.push(loaded.clone());
    let said = podman_ok(&["load", "--input", packages.image_path.to_str().unwrap()]);
    assert!(
        said.contains(&loaded),
        "podman load named it otherwise: {said}"
    );
    let digest = podman_ok(&["image", "inspect", "--format", "{{.Digest}}", &loaded]);
    assert_eq!(
        digest, packages.digest,
        "podman keeps the archive's manifest"
    );

    for image in [&built, &loaded] {
        let size = podman_ok(&["image", "inspect", "--format", "{{.Size}}", image]);
        let config = podman_ok(&[
            "image",
            "inspect",
            "--format",
            "{{.Architecture}} {{.Config.Entrypoint}}",
            image,
        ]);
        eprintln!("{image}: {size} bytes, {config}");
        assert_eq!(config, "amd64 [/bootstrap]");
        let row = if *image == built {
            "the image built from `scratch.Dockerfile`"
        } else {
            "the image as `podman images` reports it, loaded from the archive"
        };
        sizes::check_in("docs/packaging.md", row, 0, size.parse().unwrap());
        let event = br#"{"from":"podman"}"#;
        let expected = [&b"Hello: "[..], event].concat();
        run_and_invoke(image, event, &expected, &mut cleanup);
    }
    drop(cleanup);
    eprintln!("podman test: {:?}", start.elapsed());
}

// ---- exec mode (--exec): the layer, the function zip and the image to copy from ----

const EXEC_NAME: &str = "lambda-bootstrap-exec:latest";
/// AWS's custom-runtime tutorial's `function.sh`, unchanged (docs/exec.md).
const TUTORIAL_FUNCTION_SH: &str = include_str!("../examples/exec/function.sh");

fn exec_bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bootstrap-exec"))
}

/// What one run of `lambda-package --exec` wrote.
struct ExecPackages {
    layer: Vec<u8>,
    image: Vec<u8>,
    image_path: PathBuf,
    /// `function.zip`, when scripts were given.
    function: Option<Vec<u8>>,
}

/// `lambda-package --exec` on `binary`, with `scripts` for `function.zip`, into `out`.
fn package_exec(binary: &Path, extra: &[&str], scripts: &[&Path], out: &Path) -> ExecPackages {
    let mut args = vec![
        "--exec",
        "--bootstrap",
        binary.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.extend(scripts.iter().map(|path| path.to_str().unwrap()));
    std::fs::create_dir_all(out).unwrap();
    let output = run_tool(&args, out);
    assert!(
        output.status.success(),
        "lambda-package {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&output.stdout));
    let function = out.join("function.zip");
    assert_eq!(
        function.exists(),
        !scripts.is_empty(),
        "function.zip is written when scripts are named"
    );
    let image_path = out.join("exec-image.tar");
    ExecPackages {
        layer: std::fs::read(out.join("exec-layer.zip")).unwrap(),
        image: std::fs::read(&image_path).unwrap(),
        image_path,
        function: scripts.first().map(|_| std::fs::read(&function).unwrap()),
    }
}

/// The tutorial's `function.sh` in a directory of its own, as a user has it.
fn tutorial_script(dir: &Path) -> PathBuf {
    let path = dir.join("function.sh");
    std::fs::write(&path, TUTORIAL_FUNCTION_SH).unwrap();
    path
}

/// The exec packages of the bootstrap-exec under test, with the tutorial's script.
fn exec_packages() -> &'static ExecPackages {
    static PACKAGES: OnceLock<ExecPackages> = OnceLock::new();
    PACKAGES.get_or_init(|| {
        let dir = scratch_dir("exec");
        let script = tutorial_script(&dir);
        package_exec(exec_bootstrap(), &[], &[&script], &dir.join("out"))
    })
}

/// A zip's entries: name, Unix mode and data, in order.
fn zip_entries(bytes: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            assert_eq!(
                entry.last_modified(),
                Some(zip::DateTime::default()),
                "{}",
                entry.name()
            );
            assert!(entry.extra_data().is_none_or(|extra| extra.is_empty()));
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().to_string(), entry.unix_mode().unwrap(), data)
        })
        .collect()
}

/// Writes a zip's entries into `dir`, with their modes, as Lambda unpacks a package.
fn unzip_into(bytes: &[u8], dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    for (name, mode, data) in zip_entries(bytes) {
        let path = dir.join(&name);
        std::fs::write(&path, data).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o777)).unwrap();
    }
}

/// Runs `bootstrap` as Lambda runs a function whose package is `task` and whose handler
/// setting is the tutorial's, through the test Runtime API; checks the tutorial's answers.
fn run_tutorial_as_lambda(bootstrap: &Path, task: &Path) {
    let events: [&[u8]; 2] = [
        br#"{"key1":"value1","key2":"value2","key3":"value3"}"#,
        b"second",
    ];
    let script = Script::new()
        .invoke(Invocation::new("tut-1", events[0]))
        .invoke(Invocation::new("tut-2", events[1]));
    let env = [
        ("LAMBDA_TASK_ROOT", task.to_str().unwrap()),
        ("_HANDLER", "function.handler"),
        ("PATH", "/usr/bin:/bin"),
    ];
    let mut run = Run::start(
        bootstrap,
        FakeApi::start(script),
        |addr| addr.to_string(),
        &env,
    );
    let posts = run.wait_for_posts(2);
    for (post, (id, event)) in posts
        .iter()
        .zip([("tut-1", events[0]), ("tut-2", events[1])])
    {
        let expected = [&b"Echoing request: '"[..], event, b"'"].concat();
        if post.route != Route::Response(id.into()) || post.body != expected {
            run.fail(&format!(
                "expected the /response of {id} with {:?}, got {}",
                String::from_utf8_lossy(&expected),
                post.summary()
            ));
        }
    }
    run.assert_no_violations();
}

/// Exec mode is run natively only (as in tests/exec.rs: under qemu a vfork-style clone is a
/// plain fork); the packages are still built and read back in the arm64 run.
fn exec_runs_here() -> bool {
    let native = runner().is_none();
    if !native {
        skip::not_applicable("exec mode is not run under an emulator (tests/exec.rs)");
    }
    native
}

/// The layer holds `bootstrap` alone, which Lambda extracts to `/opt/bootstrap`: laid out so
/// (`opt/` from the layer, `var/task/` holding the tutorial's function.sh alone), the bootstrap
/// found at `opt/bootstrap` serves the tutorial's handler.
#[test]
fn the_exec_layer_runs_the_tutorials_function_sh_from_opt() {
    let packages = exec_packages();
    let entries = zip_entries(&packages.layer);
    assert_eq!(entries.len(), 1, "the layer holds the bootstrap alone");
    let (name, mode, data) = &entries[0];
    assert_eq!(name, "bootstrap", "at the layer's root: /opt/bootstrap");
    assert_eq!(*mode, 0o100755);
    assert!(
        *data == std::fs::read(exec_bootstrap()).unwrap(),
        "the layer's bootstrap is bootstrap-exec"
    );
    if !exec_runs_here() {
        return;
    }
    let root = scratch_dir("exec-layer-root");
    unzip_into(&packages.layer, &root.join("opt"));
    let task = root.join("var/task");
    std::fs::create_dir_all(&task).unwrap();
    tutorial_script(&task);
    run_tutorial_as_lambda(&root.join("opt/bootstrap"), &task);
}

/// `lambda-package --exec function.sh` writes the whole function: `bootstrap` (exec mode) and
/// the script, not executable as the tutorial has it; unzipped into `var/task/`, it serves
/// the tutorial's handler.
#[test]
fn the_exec_function_zip_holds_bootstrap_and_the_script_and_runs() {
    let packages = exec_packages();
    let function = packages.function.as_ref().unwrap();
    let entries = zip_entries(function);
    let names: Vec<(&str, u32)> = entries
        .iter()
        .map(|(name, mode, _)| (name.as_str(), *mode))
        .collect();
    assert_eq!(
        names,
        [("bootstrap", 0o100755), ("function.sh", 0o100644)],
        "the bootstrap and the script at the root, sorted, with their modes"
    );
    assert!(entries[0].2 == std::fs::read(exec_bootstrap()).unwrap());
    assert_eq!(entries[1].2, TUTORIAL_FUNCTION_SH.as_bytes());
    if !exec_runs_here() {
        return;
    }
    let task = scratch_dir("exec-function-root").join("var/task");
    unzip_into(function, &task);
    run_tutorial_as_lambda(&task.join("bootstrap"), &task);
}

/// The image to copy from is the scratch image of bootstrap-exec, named for it.
#[test]
fn the_exec_image_is_one_single_platform_image_of_bootstrap_exec() {
    let binary = std::fs::read(exec_bootstrap()).unwrap();
    check_oci_archive(&exec_packages().image, &binary, arch().1, EXEC_NAME);
}

/// The same binary and script, copied elsewhere, give the same bytes.
#[test]
fn exec_packages_are_byte_for_byte_reproducible() {
    let first = exec_packages();
    let dir = scratch_dir("exec-again");
    let copy = dir.join("copied-bootstrap-exec");
    std::fs::copy(exec_bootstrap(), &copy).unwrap();
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let script = tutorial_script(&scripts);
    let again = package_exec(&copy, &["--arch", arch().0], &[&script], &dir.join("out"));
    assert!(first.layer == again.layer, "exec-layer.zip differs");
    assert!(first.image == again.image, "exec-image.tar differs");
    assert!(first.function == again.function, "function.zip differs");
}

/// docs/packaging.md's exec rows are the sizes of the packages built here (within 2%).
#[test]
fn the_documented_exec_package_sizes_hold() {
    let packages = exec_packages();
    let column = if arch().0 == "x86_64" { 0 } else { 1 };
    let doc = "docs/packaging.md";
    sizes::check_in(
        doc,
        "`bootstrap-exec`",
        column,
        std::fs::metadata(exec_bootstrap()).unwrap().len(),
    );
    sizes::check_in(doc, "`exec-layer.zip`", column, packages.layer.len() as u64);
    sizes::check_in(
        doc,
        "`exec-image.tar` (the image to copy from)",
        column,
        packages.image.len() as u64,
    );
    sizes::check_in(
        doc,
        "`function.zip` with the tutorial's `function.sh`",
        column,
        packages.function.as_ref().unwrap().len() as u64,
    );
}

#[test]
fn exec_mistakes_are_refused_before_anything_is_written() {
    let dir = scratch_dir("exec-mistakes");
    let exec = exec_bootstrap().to_str().unwrap();
    std::fs::write(dir.join("bootstrap"), "#!/bin/sh\n").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--exec", "--bootstrap", exec, "missing.sh"],
            "cannot read missing.sh",
        ),
        (
            &["--exec", "--bootstrap", exec, "bootstrap"],
            "would replace the runtime",
        ),
        (
            &["--exec", "--bootstrap", exec, "."],
            "is not a regular file",
        ),
        (
            &["--exec", "--arch", "arm64"],
            "build it first with `cargo build --release --bin bootstrap-exec --target aarch64-unknown-linux-musl`",
        ),
    ];
    for (args, message) in cases {
        let mut args = args.to_vec();
        let out = dir.join("out");
        args.extend(["--out", out.to_str().unwrap()]);
        let output = run_tool(&args, &dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(
            stderr.contains(message),
            "{args:?}: no {message:?} in:\n{stderr}"
        );
        assert!(!out.exists(), "{args:?}: nothing written");
    }
}

/// An existing image adds the runtime with one line: a busybox image (Debian's static busybox
/// as /bin/sh, `FROM scratch`: available offline), the tutorial's function.sh and
/// `COPY --from=IMAGE /bootstrap /var/runtime/bootstrap`, where IMAGE is the exec archive
/// loaded and, in turn, scratch.Dockerfile's `exec` stage. Each runs in local mode and
/// answers as the tutorial's handler.
#[test]
#[cfg_attr(
    missing = "podman",
    ignore = "podman is not installed (apt-get install podman runc)"
)]
fn podman_adds_the_exec_runtime_to_a_busybox_image_with_one_copy_line() {
    if !podman_runs_here() {
        return;
    }
    let busybox = Path::new("/bin/busybox");
    let is_static = std::fs::read(busybox)
        .is_ok_and(|bytes| !bytes.windows(15).any(|w| w == b"/lib64/ld-linux"));
    if !is_static {
        skip::missing("a static /bin/busybox (apt-get install busybox-static)");
        return;
    }
    tool();
    let mut cleanup = Cleanup::default();
    let unique = format!("lambda-bootstrap-exec-test-{}", std::process::id());

    // The existing image: busybox alone.
    let base = format!("localhost/{unique}:busybox");
    let base_dir = scratch_dir("exec-podman-base");
    std::fs::create_dir_all(base_dir.join("rootfs/bin")).unwrap();
    std::fs::copy(busybox, base_dir.join("rootfs/bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", base_dir.join("rootfs/bin/sh")).unwrap();
    std::fs::write(
        base_dir.join("Containerfile"),
        "FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nCMD [\"/bin/sh\"]\n",
    )
    .unwrap();
    cleanup.images.push(base.clone());
    podman_ok(&["build", "--quiet", "-t", &base, base_dir.to_str().unwrap()]);

    // The images to copy from: the archive, and scratch.Dockerfile's `exec` stage.
    let loaded = format!("localhost/{unique}:oci");
    let packages = package_exec(
        exec_bootstrap(),
        &["--name", &loaded],
        &[],
        &scratch_dir("exec-podman-archive"),
    );
    cleanup.images.push(loaded.clone());
    let said = podman_ok(&["load", "--input", packages.image_path.to_str().unwrap()]);
    assert!(
        said.contains(&loaded),
        "podman load named it otherwise: {said}"
    );
    let size: u64 = podman_ok(&["image", "inspect", "--format", "{{.Size}}", &loaded])
        .parse()
        .unwrap();
    sizes::check_in(
        "docs/packaging.md",
        "the image to copy from as `podman images` reports it",
        0,
        size,
    );

    let staged = format!("localhost/{unique}:dockerfile");
    let context = scratch_dir("exec-podman-dockerfile");
    std::fs::copy(exec_bootstrap(), context.join("bootstrap-exec")).unwrap();
    let dockerfile = repository().join("scratch.Dockerfile");
    cleanup.images.push(staged.clone());
    podman_ok(&[
        "build",
        "--quiet",
        "--layers=false",
        "-f",
        dockerfile.to_str().unwrap(),
        "--target",
        "exec",
        "--build-arg",
        "BOOTSTRAP_EXEC=bootstrap-exec",
        "-t",
        &staged,
        context.to_str().unwrap(),
    ]);

    let event = br#"{"key1":"value1","key2":"value2"}"#;
    let expected = [&b"Echoing request: '"[..], event, b"'"].concat();
    for (n, source) in [&loaded, &staged].into_iter().enumerate() {
        let dir = scratch_dir(&format!("exec-podman-function-{n}"));
        tutorial_script(&dir);
        let containerfile = format!(
            "FROM {base}\n\
             COPY --from={source} /bootstrap /var/runtime/bootstrap\n\
             COPY function.sh /var/task/function.sh\n\
             WORKDIR /var/task\n\
             ENTRYPOINT [\"/var/runtime/bootstrap\"]\n\
             CMD [\"function.handler\"]\n"
        );
        std::fs::write(dir.join("Containerfile"), containerfile).unwrap();
        let image = format!("localhost/{unique}:function-{n}");
        cleanup.images.push(image.clone());
        podman_ok(&[
            "build",
            "--quiet",
            "--pull=never",
            "-t",
            &image,
            dir.to_str().unwrap(),
        ]);
        run_and_invoke(&image, event, &expected, &mut cleanup);
    }
}
