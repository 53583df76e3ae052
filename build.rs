//! Link settings for the bootstrap binaries, never for build scripts or test harnesses, which
//! need their unwind tables and default layout.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{dir}/link/discard-unwind-tables.ld");
    println!("cargo:rerun-if-changed=link/discard-unwind-tables.ld");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !target.contains("linux") {
        return;
    }
    // No unwind tables: with panic = "abort" nothing unwinds.
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{script}");
    // Code and read-only data share pages instead of each being padded to 4 KiB; there is
    // still no segment that is both writable and executable.
    println!("cargo:rustc-link-arg-bins=-Wl,-z,noseparate-code");
}
