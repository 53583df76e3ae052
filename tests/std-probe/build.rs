//! Under the `release-abort` profile the probe links as template-std does, with
//! lambda-bootstrap's link settings (no unwind tables: nothing unwinds with panic = "abort").
//! Under `release` (panic = "unwind") it keeps them: unwinding needs them. A user's crate has
//! one profile and says so in its own build.rs; the probe has two, told apart by where Cargo
//! builds (the profile's directory), which a build script is not told otherwise.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = std::env::var("OUT_DIR").unwrap_or_default();
    let abort = out.contains("/release-abort/");
    if let (true, Ok(args)) = (abort, std::env::var("DEP_LAMBDA_BOOTSTRAP_LINK_ARGS")) {
        println!("cargo:rustc-link-arg-bins=@{args}");
    }
}
