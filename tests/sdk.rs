//! Local mode through a real AWS SDK: tests/sdk/boto3_local.py calls the probe bootstrap,
//! serving on loopback, with boto3's Lambda client (Invoke with each invocation and log type,
//! InvokeWithResponseStream), as a developer would test a function before deploying it.
//!
//! boto3 comes from PyPI (`.ci/run` installs it). Without it the test is ignored (see
//! `skip/mod.rs`), except under `LAMBDA_BOOTSTRAP_NO_SKIP=1`: there it fails.

use crate::support;

use std::path::Path;
use std::process::Command;

use support::*;

#[test]
#[cfg_attr(
    missing = "boto3",
    ignore = "python3 with boto3 is not installed (python3 -m pip install boto3)"
)]
fn boto3_invokes_local_mode_as_it_invokes_lambda() {
    let found = Command::new("python3")
        .args(["-c", "import boto3"])
        .output();
    if !found.is_ok_and(|output| output.status.success()) {
        skip::missing("python3 with boto3 is not installed (python3 -m pip install boto3)");
        return;
    }
    let mut server = LocalServer::start(&probe_program(), &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "30")]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/boto3_local.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(server.addr.port().to_string())
        // No credentials or configuration from the machine: dummy ones, and no profile files.
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("running python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        server.fail(&format!("boto3 script failed:\n{stdout}\n{stderr}"));
    }
    assert!(stdout.contains(" ok"), "{stdout}");
    // The log of Tail invocations still reaches the terminal, after the invocation.
    server.wait_for_log("probe log line 1000", 1);
}
