//! `lambda-package`: packages a built `bootstrap` for AWS Lambda, without Docker.
//!
//! ```sh
//! cargo run --release --manifest-path tools/package/Cargo.toml -- [--arch x86_64|arm64]
//!     [--bootstrap PATH] [--out DIR] [--name NAME:TAG]
//! ```
//!
//! writes into `target/package/<arch>/` (or `--out DIR`):
//!
//! - `bootstrap.zip`: the function package for the `provided.al2023` runtime, one entry,
//!   `bootstrap`, a regular file of mode 0755 dated 1980-01-01 00:00:00;
//! - `bootstrap-image.tar`: an OCI image archive (a tar of an OCI image layout) of the image
//!   `scratch.Dockerfile` builds: one single-platform manifest, named by the
//!   `org.opencontainers.image.ref.name` annotation, one gzip layer holding `/bootstrap`
//!   (mode 0755, owner 0:0), entrypoint `/bootstrap`, port 8080 exposed. `podman load -i`
//!   and `skopeo` read it.
//!
//! With `--exec` it packages `bootstrap-exec` (exec mode, docs/exec.md) for people whose
//! function is a script, into the same directory:
//!
//! - `exec-layer.zip`: a Lambda layer holding `bootstrap` (mode 0755) at its root, which
//!   Lambda extracts to `/opt/bootstrap` and runs when the function's package has none;
//! - `exec-image.tar`: the same `FROM scratch` OCI archive as above with `bootstrap-exec` as
//!   `/bootstrap`, an image to copy the runtime from (`COPY --from=IMAGE /bootstrap ...`);
//! - `function.zip`, when scripts are named after the options: `bootstrap` and the scripts,
//!   each at the zip's root, a whole `provided.al2023` function.
//!
//! All are byte-for-byte the same for the same binary (and the same `--name` and scripts):
//! every time, owner and mode is fixed, entries are sorted, the gzip header has no time or
//! OS, nothing comes from the machine. See docs/packaging.md.

use std::fmt::Write as _;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flate2::{Compression, GzBuilder};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Every timestamp in the packages: 1980-01-01T00:00:00Z, the earliest a zip can hold.
const EPOCH: u64 = 315_532_800;
const EPOCH_RFC3339: &str = "1980-01-01T00:00:00Z";
const DEFAULT_NAME: &str = "lambda-bootstrap:latest";
const ZIP_NAME: &str = "bootstrap.zip";
const IMAGE_NAME: &str = "bootstrap-image.tar";
const EXEC_DEFAULT_NAME: &str = "lambda-bootstrap-exec:latest";
const EXEC_LAYER_NAME: &str = "exec-layer.zip";
const EXEC_IMAGE_NAME: &str = "exec-image.tar";
const FUNCTION_ZIP_NAME: &str = "function.zip";

const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

const USAGE: &str = "\
usage: lambda-package [--arch x86_64|arm64] [--bootstrap PATH] [--out DIR] [--name NAME:TAG]
       lambda-package --exec [OPTIONS] [SCRIPT...]

Writes bootstrap.zip (for the provided.al2023 runtime) and bootstrap-image.tar (an OCI image
archive: FROM scratch, /bootstrap as entrypoint, port 8080) into target/package/<arch>/, all
byte-for-byte reproducible.

With --exec, packages bootstrap-exec (exec mode) instead: exec-layer.zip (a Lambda layer: its
bootstrap lands at /opt/bootstrap), exec-image.tar (an image holding /bootstrap, to copy
from), and with SCRIPTs function.zip (bootstrap and the scripts at its root: a whole
provided.al2023 function, e.g. the tutorial's function.sh with --handler function.handler).

  --exec       package bootstrap-exec (target/<triple>/release/bootstrap-exec by default)

  --arch       x86_64 (also amd64) or arm64 (also aarch64); by default the bootstrap's own
               architecture, or x86_64
  --bootstrap  the binary; default target/x86_64-unknown-linux-musl/release/bootstrap or
               target/aarch64-unknown-linux-musl/release/bootstrap ($CARGO_TARGET_DIR
               instead of target/ when set)
  --out        the output directory; default target/package/<arch>
  --name       the image's name in the archive, for podman load; default lambda-bootstrap:latest
               (lambda-bootstrap-exec:latest with --exec)
";

/// A Lambda architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    fn parse(name: &str) -> Option<Arch> {
        match name {
            "x86_64" | "amd64" | "x86-64" => Some(Arch::X86_64),
            "arm64" | "aarch64" => Some(Arch::Arm64),
            _ => None,
        }
    }

    /// Lambda's name (`--architectures`), also the output directory's.
    pub fn lambda(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The OCI/Go name, in the image's config and platform.
    pub fn oci(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Arm64 => "aarch64-unknown-linux-musl",
        }
    }

    fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => 62,
            Arch::Arm64 => 183,
        }
    }
}

/// The architecture of a 64-bit little-endian ELF file, from its header.
fn elf_arch(bytes: &[u8]) -> Result<Arch, String> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return Err("is not an ELF executable".into());
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return Err("is not a 64-bit little-endian ELF file".into());
    }
    match u16::from_le_bytes([bytes[18], bytes[19]]) {
        62 => Ok(Arch::X86_64),
        183 => Ok(Arch::Arm64),
        other => Err(format!("is an ELF file for machine {other}, neither x86_64 nor aarch64")),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        write!(hex, "{byte:02x}").unwrap();
    }
    hex
}

/// `bootstrap.zip`: one deflated entry, `bootstrap`, a Unix regular file of mode 0755.
pub fn zip_package(bootstrap: &[u8]) -> Vec<u8> {
    zip_of(&[("bootstrap", 0o755, bootstrap)])
}

/// A zip of regular files at its root, deflated, sorted by name, each dated 1980-01-01
/// 00:00:00 with the Unix mode given and no extra fields.
fn zip_of(files: &[(&str, u32, &[u8])]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut files = files.to_vec();
    files.sort_by_key(|&(name, ..)| name);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, mode, data) in files {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9))
            // With permissions set, the entry is marked as made on Unix, whatever the machine.
            .unix_permissions(mode)
            .last_modified_time(zip::DateTime::default());
        writer.start_file(name, options).expect("writing to memory");
        writer.write_all(data).expect("writing to memory");
    }
    writer.finish().expect("writing to memory").into_inner()
}

/// A user's script for `function.zip`: its file name, mode and bytes.
pub struct Script {
    pub name: String,
    pub mode: u32,
    pub data: Vec<u8>,
}

impl Script {
    /// Reads the script at `path`. It goes to the zip's root under its file name, executable
    /// (0755) if any execute bit is set, else 0644: the tutorial's `function.sh` is sourced,
    /// not executed, and need not be executable.
    fn read(path: &Path) -> Result<Script, String> {
        use std::os::unix::fs::PermissionsExt;
        let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if !metadata.is_file() {
            return Err(format!("{} is not a regular file: name each script", path.display()));
        }
        let name = path.file_name().and_then(|n| n.to_str()).ok_or(format!("{} has no file name", path.display()))?;
        if name == "bootstrap" {
            return Err(format!("{}: a script named bootstrap would replace the runtime", path.display()));
        }
        let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mode = if metadata.permissions().mode() & 0o111 != 0 { 0o755 } else { 0o644 };
        Ok(Script { name: name.to_string(), mode, data })
    }
}

/// `function.zip`: `bootstrap` (exec mode) and the scripts beside it, as Lambda's
/// `provided.al2023` runtime wants a function: it runs `/var/task/bootstrap`.
pub fn function_zip(bootstrap: &[u8], scripts: &[Script]) -> Result<Vec<u8>, String> {
    let mut files: Vec<(&str, u32, &[u8])> = vec![("bootstrap", 0o755, bootstrap)];
    for script in scripts {
        if files.iter().any(|&(name, ..)| name == script.name) {
            return Err(format!("two scripts are named {}: the zip's root holds one", script.name));
        }
        files.push((&script.name, script.mode, &script.data));
    }
    Ok(zip_of(&files))
}

/// A tar header for a regular file or directory owned by 0:0 and dated [`EPOCH`].
fn tar_header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_username("").unwrap();
    header.set_groupname("").unwrap();
    header.set_mtime(EPOCH);
    header.set_size(size);
    header
}

/// A tar of `entries` in the order given: names ending in `/` are directories (0755), the
/// others files of the given mode.
fn tar_of(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for &(name, mode, data) in entries {
        let kind = if name.ends_with('/') { tar::EntryType::Directory } else { tar::EntryType::Regular };
        let mut header = tar_header(kind, mode, data.len() as u64);
        builder.append_data(&mut header, name, data).expect("writing to memory");
    }
    builder.into_inner().expect("writing to memory")
}

/// Gzip with a fixed header: no name, mtime 0, OS "unknown" (255).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzBuilder::new().mtime(0).operating_system(255).write(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn descriptor(media_type: &str, blob: &[u8]) -> serde_json::Value {
    json!({
        "mediaType": media_type,
        "digest": format!("sha256:{}", sha256_hex(blob)),
        "size": blob.len(),
    })
}

/// The OCI image archive and its manifest's digest (`sha256:...`, the image's digest).
pub fn oci_archive(bootstrap: &[u8], arch: Arch, name: &str) -> (Vec<u8>, String) {
    let layer_tar = tar_of(&[("bootstrap", 0o755, bootstrap)]);
    let layer = gzip(&layer_tar);
    let config = json!({
        "created": EPOCH_RFC3339,
        "architecture": arch.oci(),
        "os": "linux",
        "config": {
            "Entrypoint": ["/bootstrap"],
            "ExposedPorts": { "8080/tcp": {} },
        },
        "rootfs": {
            "type": "layers",
            "diff_ids": [format!("sha256:{}", sha256_hex(&layer_tar))],
        },
        "history": [{
            "created": EPOCH_RFC3339,
            "created_by": "lambda-package: COPY bootstrap /bootstrap",
        }],
    });
    let config = serde_json::to_vec(&config).unwrap();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": descriptor(CONFIG_MEDIA_TYPE, &config),
        "layers": [descriptor(LAYER_MEDIA_TYPE, &layer)],
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let mut manifest_descriptor = descriptor(MANIFEST_MEDIA_TYPE, &manifest);
    manifest_descriptor["platform"] = json!({ "architecture": arch.oci(), "os": "linux" });
    manifest_descriptor["annotations"] = json!({ "org.opencontainers.image.ref.name": name });
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": [manifest_descriptor],
    });
    let index = serde_json::to_vec(&index).unwrap();
    let layout = serde_json::to_vec(&json!({ "imageLayoutVersion": "1.0.0" })).unwrap();

    let mut blobs: Vec<(String, &[u8])> = [&config[..], &layer[..], &manifest[..]]
        .into_iter()
        .map(|blob| (format!("blobs/sha256/{}", sha256_hex(blob)), blob))
        .collect();
    blobs.sort();
    let mut entries: Vec<(&str, u32, &[u8])> = vec![("blobs/", 0o755, b""), ("blobs/sha256/", 0o755, b"")];
    entries.extend(blobs.iter().map(|(path, blob)| (path.as_str(), 0o644, *blob)));
    entries.push(("index.json", 0o644, &index));
    entries.push(("oci-layout", 0o644, &layout));
    (tar_of(&entries), format!("sha256:{}", sha256_hex(&manifest)))
}

struct Options {
    arch: Option<Arch>,
    bootstrap: Option<PathBuf>,
    out: Option<PathBuf>,
    name: Option<String>,
    /// Package `bootstrap-exec`: the layer, the image to copy from, the function's zip.
    exec: bool,
    /// With `exec`: the scripts for `function.zip`.
    scripts: Vec<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options { arch: None, bootstrap: None, out: None, name: None, exec: false, scripts: Vec::new() };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || inline.clone().or_else(|| args.next()).ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--arch" => {
                let value = value()?;
                let arch = Arch::parse(&value).ok_or(format!("unknown architecture {value:?}: x86_64 or arm64"))?;
                options.arch = Some(arch);
            }
            "--bootstrap" => options.bootstrap = Some(value()?.into()),
            "--out" => options.out = Some(value()?.into()),
            "--name" => options.name = Some(value()?),
            "--exec" => options.exec = true,
            _ if !arg.starts_with('-') => options.scripts.push(arg.into()),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if !options.exec && !options.scripts.is_empty() {
        return Err(format!("scripts ({}) go with --exec only", options.scripts[0].display()));
    }
    Ok(Some(options))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()).map_or_else(|| "target".into(), PathBuf::from)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn run(options: Options) -> Result<(), String> {
    let binary = if options.exec { "bootstrap-exec" } else { "bootstrap" };
    let (path, explicit) = match &options.bootstrap {
        Some(path) => (path.clone(), true),
        None => {
            let arch = options.arch.unwrap_or(Arch::X86_64);
            (target_dir().join(arch.rust_target()).join("release").join(binary), false)
        }
    };
    let bootstrap = std::fs::read(&path).map_err(|e| {
        if explicit || e.kind() != std::io::ErrorKind::NotFound {
            format!("cannot read {}: {e}", path.display())
        } else {
            let arch = options.arch.unwrap_or(Arch::X86_64);
            let bin = if options.exec { " --bin bootstrap-exec" } else { "" };
            let target = match arch {
                Arch::X86_64 => String::new(),
                Arch::Arm64 => format!(" --target {}", arch.rust_target()),
            };
            format!(
                "{} does not exist: build it first with `cargo build --release{bin}{target}`, \
                 or name the binary with --bootstrap PATH",
                path.display()
            )
        }
    })?;
    let found = elf_arch(&bootstrap).map_err(|e| format!("{} {e}", path.display()))?;
    let arch = options.arch.unwrap_or(found);
    if found != arch {
        return Err(format!(
            "{} is built for {}, not for --arch {}: Lambda could not run it",
            path.display(),
            found.lambda(),
            arch.lambda()
        ));
    }
    debug_assert_eq!(arch.elf_machine(), u16::from_le_bytes([bootstrap[18], bootstrap[19]]));
    // Read before anything is written: a missing script leaves no half-made packages.
    let scripts = options.scripts.iter().map(|path| Script::read(path)).collect::<Result<Vec<_>, _>>()?;
    let function = if scripts.is_empty() { None } else { Some(function_zip(&bootstrap, &scripts)?) };

    let out = options.out.unwrap_or_else(|| target_dir().join("package").join(arch.lambda()));
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let default_name = if options.exec { EXEC_DEFAULT_NAME } else { DEFAULT_NAME };
    let name = options.name.as_deref().unwrap_or(default_name);
    // A layer is a zip extracted to /opt: the same single `bootstrap` entry as a function's.
    let zip = zip_package(&bootstrap);
    let (image, digest) = oci_archive(&bootstrap, arch, name);
    let (zip_name, image_name) = if options.exec { (EXEC_LAYER_NAME, EXEC_IMAGE_NAME) } else { (ZIP_NAME, IMAGE_NAME) };
    let zip_path = out.join(zip_name);
    let image_path = out.join(image_name);
    write_file(&zip_path, &zip)?;
    write_file(&image_path, &image)?;

    println!("{:<10} {} ({} bytes, {})", binary, path.display(), bootstrap.len(), arch.lambda());
    if options.exec {
        println!("layer      {} ({} bytes): /opt/bootstrap", zip_path.display(), zip.len());
    } else {
        println!("zip        {} ({} bytes)", zip_path.display(), zip.len());
    }
    println!("image      {} ({} bytes)", image_path.display(), image.len());
    println!("           {name} linux/{}, digest {digest}", arch.oci());
    if let Some(function) = function {
        let function_path = out.join(FUNCTION_ZIP_NAME);
        write_file(&function_path, &function)?;
        let names: Vec<&str> = scripts.iter().map(|s| s.name.as_str()).collect();
        println!("function   {} ({} bytes): bootstrap {}", function_path.display(), function.len(), names.join(" "));
    }
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("lambda-package: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lambda-package: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_elf(machine: u16) -> Vec<u8> {
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[18..20].copy_from_slice(&machine.to_le_bytes());
        elf
    }

    #[test]
    fn elf_headers_name_the_architecture() {
        assert_eq!(elf_arch(&fake_elf(62)), Ok(Arch::X86_64));
        assert_eq!(elf_arch(&fake_elf(183)), Ok(Arch::Arm64));
        assert!(elf_arch(&fake_elf(40)).is_err());
        assert!(elf_arch(b"#!/bin/sh\n").is_err());
    }

    #[test]
    fn packages_are_reproducible() {
        let binary = fake_elf(62);
        assert_eq!(zip_package(&binary), zip_package(&binary));
        assert_eq!(oci_archive(&binary, Arch::X86_64, DEFAULT_NAME), oci_archive(&binary, Arch::X86_64, DEFAULT_NAME));
        assert_ne!(oci_archive(&binary, Arch::X86_64, DEFAULT_NAME).1, oci_archive(&binary, Arch::Arm64, DEFAULT_NAME).1);
    }

    #[test]
    fn gzip_header_has_no_time_and_no_os() {
        let gz = gzip(b"x");
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&gz[4..8], &[0, 0, 0, 0]);
        assert_eq!(gz[9], 255);
    }

    #[test]
    fn arguments() {
        let args = |list: &[&str]| parse_args(list.iter().map(|s| s.to_string()));
        let options = args(&["--arch", "aarch64", "--out=o", "--bootstrap", "b"]).unwrap().unwrap();
        assert_eq!(options.arch, Some(Arch::Arm64));
        assert_eq!(options.out, Some(PathBuf::from("o")));
        assert_eq!(options.bootstrap, Some(PathBuf::from("b")));
        assert!(args(&["--arch", "mips"]).is_err());
        assert!(args(&["--out"]).is_err());
        assert!(args(&["--help"]).unwrap().is_none());
        let options = args(&["--exec", "function.sh", "--arch", "x86_64", "lib.sh"]).unwrap().unwrap();
        assert!(options.exec);
        assert_eq!(options.scripts, [PathBuf::from("function.sh"), PathBuf::from("lib.sh")]);
        assert!(args(&["function.sh"]).is_err(), "scripts without --exec");
    }

    #[test]
    fn a_function_zip_holds_the_bootstrap_and_the_scripts_sorted() {
        let binary = fake_elf(62);
        let script = |name: &str, mode| Script { name: name.into(), mode, data: b"echo".to_vec() };
        let one = function_zip(&binary, &[script("z.sh", 0o644), script("a.sh", 0o755)]).unwrap();
        let two = function_zip(&binary, &[script("a.sh", 0o755), script("z.sh", 0o644)]).unwrap();
        assert_eq!(one, two, "the order given does not matter");
        assert!(function_zip(&binary, &[script("a.sh", 0o644), script("a.sh", 0o644)]).is_err());
    }
}
