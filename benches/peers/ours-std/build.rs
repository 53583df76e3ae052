//! Links the bootstrap as lambda-bootstrap links its own: without unwind tables (nothing
//! unwinds with panic = "abort") and with its segments packed, about 45 KB smaller. Cargo
//! takes link arguments for a binary only from its own package's build script, so
//! lambda-bootstrap hands them over as a file (`DEP_LAMBDA_BOOTSTRAP_LINK_ARGS`) that this
//! passes on to the linker. With panic = "unwind", delete this file.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(args) = std::env::var("DEP_LAMBDA_BOOTSTRAP_LINK_ARGS") {
        println!("cargo:rustc-link-arg-bins=@{args}");
    }
}
