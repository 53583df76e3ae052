//! `template/` (or `template-std/`) copied as a user copies it: to a directory of its own, its dependency on
//! lambda-bootstrap pointed at this checkout (the one change a copy needs), with this
//! repository's `Cargo.lock` so that it builds offline with the versions tested here.

use std::path::Path;
use std::process::{Command, Output};

/// Copies the template to `to` (made afresh), points its dependency at this checkout and
/// downloads its crates, as a user's first build would: the template needs some that the
/// repository's own build does not (the `events` feature's serde), so on a machine whose cargo
/// registry holds only what `cargo build` of this repository fetched, the tests' offline
/// builds of it (template.rs, cargo_lambda.rs) would fail. All platforms' crates: cargo-lambda
/// builds for the glibc targets. A failed fetch (no network, say) is not an error by itself:
/// with every crate already downloaded the builds still succeed, and if one is missing their
/// failure shows this output.
pub fn copy_template(to: &Path) {
    copy_crate("template", to);
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("fetch")
        .current_dir(to)
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("cargo runs");
    if !output.status.success() {
        eprintln!(
            "cargo fetch in the template failed; building with what the registry has:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Copies the repository's crate `name` (a template) to `to` (made afresh) and points its
/// dependency at this checkout.
pub fn copy_crate(name: &str, to: &Path) {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
    let _ = std::fs::remove_dir_all(to);
    copy_tree(&repository.join(name), to);
    let manifest = to.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    // The start of the line, whatever features follow.
    let in_place = r#"lambda-bootstrap = { path = "..""#;
    assert!(
        text.contains(in_place),
        "{name}/Cargo.toml no longer says `{in_place}`: update tests/support/template_copy.rs"
    );
    let here = format!(
        "lambda-bootstrap = {{ path = {:?}",
        repository.display().to_string()
    );
    std::fs::write(&manifest, text.replace(in_place, &here)).unwrap();
    std::fs::copy(repository.join("Cargo.lock"), to.join("Cargo.lock")).unwrap();
}

/// Copies `from` to `to`, leaving out what a build of the template in place leaves there.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == "Cargo.lock" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// Runs `cargo ARGS` in a copied crate `dir`, building into `target`, as its user would (no
/// target inherited from this repository's own build).
pub fn cargo_in(dir: &Path, target: &Path, args: &[&str]) -> Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("cargo runs")
}

/// Fails with cargo's output unless `output` (of `what`) succeeded.
pub fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
