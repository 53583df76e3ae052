//! Which of the tools some tests need this machine lacks, found when the tests are built (by
//! `build.rs`, which includes this file): each missing one is a `missing = "NAME"` cfg, and
//! the tests that need it carry
//! `#[cfg_attr(missing = "NAME", ignore = "why, and how to install it")]`, so that cargo
//! counts them as `ignored`, reason shown, instead of `ok` (see `skip/mod.rs`).
//!
//! Under `LAMBDA_BOOTSTRAP_NO_SKIP=1` (CI) nothing is reported missing: every test runs, and
//! one whose tool is missing fails (`skip::missing`). The checks are what the tests check at
//! run time, as cheap as that allows; they run again when `PATH` or `LAMBDA_BOOTSTRAP_NO_SKIP`
//! changes, or after `touch build.rs` (a tool installed meanwhile in a directory already on
//! `PATH` is seen only then).

use std::env;
use std::path::Path;
use std::process::{Command, Stdio};

/// The names a `missing` cfg may have, for `rustc-check-cfg`.
const NAMES: [&str; 10] = [
    "boto3",
    "cargo-lambda",
    "chroot",
    "clippy",
    "ipv6-loopback",
    "musl-headers",
    "pid-namespace",
    "podman",
    "release-build",
    "skopeo",
];

/// Prints the build script's lines: the cfg's allowed values, when to look again, and one
/// `missing` cfg for each tool this machine lacks.
pub fn report() {
    let values: Vec<String> = NAMES.iter().map(|n| format!("{n:?}")).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(missing, values({}))",
        values.join(", ")
    );
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=LAMBDA_BOOTSTRAP_NO_SKIP");
    if strict() {
        return;
    }
    for name in NAMES {
        if !present(name) {
            println!("cargo:rustc-cfg=missing={name:?}");
        }
    }
}

/// `LAMBDA_BOOTSTRAP_NO_SKIP` set to anything but `0`, as `skip::missing` reads it.
fn strict() -> bool {
    env::var_os("LAMBDA_BOOTSTRAP_NO_SKIP").is_some_and(|v| v != "0")
}

fn present(name: &str) -> bool {
    match name {
        "boto3" => succeeds("python3", &["-c", "import boto3"]),
        "cargo-lambda" => succeeds("cargo", &["lambda", "--version"]),
        "chroot" => is_root(),
        "clippy" => succeeds("cargo", &["clippy", "--version"]),
        "ipv6-loopback" => std::net::TcpListener::bind("[::1]:0").is_ok(),
        "musl-headers" => Path::new("/usr/include/x86_64-linux-musl/stdio.h").is_file(),
        "pid-namespace" => succeeds("unshare", &["--pid", "--fork", "--kill-child", "true"]),
        "podman" => succeeds("podman", &["--version"]),
        "release-build" => env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_none(),
        "skopeo" => succeeds("skopeo", &["--version"]),
        _ => true,
    }
}

/// Whether `program args` runs and exits 0.
fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether this process's effective user is root (`Uid:` in `/proc/self/status`: real,
/// effective, ...), which `chroot` needs.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}
