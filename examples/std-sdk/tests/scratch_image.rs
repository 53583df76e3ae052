//! The bootstrap in a `FROM scratch` image (the Containerfile: the binary and nothing else),
//! run with podman: it answers `--invoke` from the fake DynamoDB on 127.0.0.1 (host network),
//! so it needs no libc, no certificate files, nothing from the image but itself.
//!
//! Needs podman (and runc: shared/build-notes.md). Without them the test says SKIPPED, and
//! fails when `LAMBDA_BOOTSTRAP_NO_SKIP=1` (as CI sets it).

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};
use support::{FakeDynamoDb, assert_get_item, item};

fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .args(args)
        .output()
        .expect("podman runs")
}

fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Removes the image however the test ends.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = podman(&["rmi", "--force", &self.0]);
    }
}

#[test]
fn the_scratch_image_answers() {
    if !installed("podman") || !installed("runc") {
        assert!(
            std::env::var_os("LAMBDA_BOOTSTRAP_NO_SKIP").is_none(),
            "podman and runc are needed (apt-get install podman runc)"
        );
        eprintln!("SKIPPED: podman or runc is not installed");
        return;
    }
    // The build context: the Containerfile's directory holds only the bootstrap.
    let context = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scratch-image");
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_bootstrap"), context.join("bootstrap")).unwrap();
    let image = Image(format!(
        "localhost/std-sdk-scratch-test:{}",
        std::process::id()
    ));
    let containerfile = concat!(env!("CARGO_MANIFEST_DIR"), "/Containerfile");
    let built = podman(&[
        "build",
        "-q",
        "-f",
        containerfile,
        "-t",
        &image.0,
        context.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "podman build: {built:?}");

    let fake = FakeDynamoDb::start(1, "200 OK", item());
    // This machine's podman needs runc and these limits (shared/build-notes.md).
    let mut args = vec![
        "run",
        "--rm",
        "--runtime",
        "runc",
        "--ulimit",
        "nofile=20000:20000",
        "--ulimit",
        "nproc=32768:32768",
        "--network",
        "host",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    for (name, value) in support::environment(&fake.url) {
        args.extend(["--env".into(), format!("{name}={value}")]);
    }
    args.extend([image.0.clone(), "--invoke".into(), r#"{"id":"42"}"#.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = podman(&args);

    let seen = fake.seen();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_get_item(&seen[0], "42");
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer,
        json!({"id": "42", "found": true, "item": {"id": "42", "name": "widget", "count": "3"}})
    );
}
