//! Build settings for the bootstrap binaries:
//! - the handler: the built-in one, or the file named by `LAMBDA_HANDLER` (a C source, an
//!   object file or a static library defining `handler`), linked into `bootstrap`;
//! - libc, linked after the handler, which may need it;
//! - link settings for the bins only, never for build scripts or test harnesses, which need
//!   their unwind tables and default layout; handed on to crates that depend on this one;
//! - for the tests: which tools this machine lacks (`tests/skip/tools.rs`), so that a test
//!   that needs one shows as `ignored` with its reason. (This runs for a crate that depends
//!   on this one too: a few quick `--version`-like commands, once per build of it.)

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "tests/skip/tools.rs"]
mod tools;

/// The variable naming a handler to link instead of the built-in one.
const HANDLER_VAR: &str = "LAMBDA_HANDLER";

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!(
        "cargo::rustc-check-cfg=cfg(external_handler, external_handler_init, external_handler_shutdown, isolated)"
    );
    println!("cargo:rerun-if-env-changed={HANDLER_VAR}");
    println!("cargo:rerun-if-env-changed=LAMBDA_ISOLATE");
    if env::var("LAMBDA_ISOLATE").is_ok_and(|v| v == "1") {
        // src/main.rs: a C handler's bootstrap runs each invocation in a forked child.
        println!("cargo:rustc-cfg=isolated");
    }
    if let Some(handler) = env::var_os(HANDLER_VAR).filter(|v| !v.is_empty()) {
        link_handler(&dir, &dir.join(handler));
    }
    // After the handler: a static library only resolves what is already wanted. musl's only:
    // on other targets (fuzz/ builds this library for the glibc host) std links the system's
    // libc, and glibc's libc.a inside that dynamically linked program breaks it (under
    // AddressSanitizer it aborts at start: no real `memcpy` to intercept).
    if env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|e| e == "musl") {
        println!("cargo:rustc-link-lib=static:-bundle=c");
    }
    link_settings(&dir);
    tools::report();
}

/// The link settings of a bootstrap, for bins only: never for build scripts or test
/// harnesses, which need their unwind tables and default layout.
///
/// They go in a response file (`@FILE`, read by the C compiler that drives the link) that
/// this crate's bins and a user's crate share: cargo passes link arguments to a binary only
/// from its own package's build script, so a crate that depends on this one finds the file
/// in `DEP_LAMBDA_BOOTSTRAP_LINK_ARGS` (the `links` metadata) and passes it on with one line
/// of its own build script (see template/build.rs). What does not work: the unwind-table
/// script as an implicit linker script (a `rustc-link-lib` or `#[link]` input), which GNU ld
/// ignores without `-T` ("contains output sections; did you forget -T?") or refuses with
/// `INSERT` (".text not found for insert"); and a linker script cannot set `-z` options.
fn link_settings(dir: &Path) {
    if !env::var("TARGET").unwrap_or_default().contains("linux") {
        return;
    }
    let script = dir.join("link/discard-unwind-tables.ld");
    println!("cargo:rerun-if-changed=link/discard-unwind-tables.ld");
    let zig = linker_is_zig();
    let args = [
        // No unwind tables: with panic = "abort" nothing unwinds.
        format!("-Wl,-T,{}", script.display()),
        // Code and read-only data share pages instead of each being padded to 4 KiB; there is
        // still no segment that is both writable and executable.
        "-Wl,-z,noseparate-code".to_string(),
        // No RELRO segment: musl's static-pie start-up relocates the binary but never makes the
        // segment read-only (/proc/PID/maps shows it rw-), so it protected nothing, while its
        // page alignment padded the file by up to 4 KiB, 10% of the size budget.
        "-Wl,-z,norelro".to_string(),
        // Let the data segment start right after the code in the file (its address moves a page
        // instead); with the default 4 KiB "common page" the linker pads the file to a page
        // boundary to save a page of memory.
        "-Wl,-z,common-page-size=64".to_string(),
        // libc once more, last: on aarch64, compiler-builtins (linked after the crate's libraries)
        // asks for getauxval.
        "-lc".to_string(),
    ];
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let file = out.join("link-args");
    let text: String = args
        .iter()
        .filter(|arg| !(zig && ZIG_REFUSES.contains(&arg.as_str())))
        .map(|arg| response_file_word(arg) + "\n")
        .collect();
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    println!("cargo:rustc-link-arg-bins=@{}", file.display());
    println!("cargo::metadata=LINK_ARGS={}", file.display());
}

/// The link settings `zig cc` (cargo-zigbuild, cargo-lambda's default compiler) refuses
/// ("unsupported linker extension flag"); its linker packs segments without being asked.
const ZIG_REFUSES: [&str; 1] = ["-Wl,-z,noseparate-code"];

/// Whether the target's linker is `zig cc`: cargo-zigbuild (and so cargo-lambda) sets the
/// target's linker to a wrapper script named `zigcc-TRIPLE-HASH.sh`, which cargo hands to
/// build scripts as `RUSTC_LINKER`.
fn linker_is_zig() -> bool {
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    env::var_os("RUSTC_LINKER").is_some_and(|linker| {
        Path::new(&linker)
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("zigc"))
    })
}

/// `arg` as one word of a GCC response file: blanks, quotes and backslashes escaped (paths may
/// hold them).
fn response_file_word(arg: &str) -> String {
    let mut word = String::with_capacity(arg.len());
    for c in arg.chars() {
        if c.is_whitespace() || matches!(c, '\'' | '"' | '\\') {
            word.push('\\');
        }
        word.push(c);
    }
    word
}

/// Links the handler at `path` into the bootstrap: compiles a `.c` file, or takes a `.o` or
/// `.a` as it is, checks that it defines `handler`, and tells `src/main.rs` (through cfgs)
/// to call it and, if defined, `handler_init` and `handler_shutdown`.
fn link_handler(dir: &Path, path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
    if !path.is_file() {
        fail(path, "no such file");
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let kind = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let (objects, archive) = match kind {
        "c" => {
            let mut build = compiler();
            build.file(path).include(dir.join("include"));
            let objects = build.compile_intermediates();
            let archive = archive_of(&build, &objects, &out);
            (objects, archive)
        }
        "o" | "obj" => {
            let objects = vec![path.to_path_buf()];
            let archive = archive_of(&compiler(), &objects, &out);
            (objects, archive)
        }
        "a" => (vec![path.to_path_buf()], path.to_path_buf()),
        _ => fail(
            path,
            "expected a C source (.c), an object file (.o) or a static library (.a)",
        ),
    };
    let defined = defined_symbols(&objects, path);
    if !defined.iter().any(|s| s == "handler") {
        fail(
            path,
            "defines no `handler` function; see include/lambda_bootstrap.h for its signature \
             (`int handler(const lb_context *, const uint8_t *, size_t, lb_response *)`, \
             with C linkage: `extern \"C\"` in C++)",
        );
    }
    println!("cargo:rustc-cfg=external_handler");
    if defined.iter().any(|s| s == "handler_init") {
        println!("cargo:rustc-cfg=external_handler_init");
    }
    // `void handler_shutdown(void)`: the shutdown hook (docs/shutdown.md).
    if defined.iter().any(|s| s == "handler_shutdown") {
        println!("cargo:rustc-cfg=external_handler_shutdown");
    }
    // As a library of the crate, so it comes before libc on the link line; only `bootstrap`
    // refers to `handler`, so the other binaries and the tests take nothing from it.
    let name = archive
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.strip_prefix("lib"));
    let Some(name) = name else {
        fail(path, "a static library must be named libNAME.a")
    };
    println!(
        "cargo:rustc-link-search=native={}",
        archive.parent().unwrap_or(Path::new(".")).display()
    );
    println!("cargo:rustc-link-lib=static={name}");
}

/// A C compiler for the target: `musl-gcc` (Debian's musl-tools) compiles against musl's
/// headers, which is what the handler will run with.
fn compiler() -> cc::Build {
    let mut build = cc::Build::new();
    let target = env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-linux-musl"
        && env::var_os("CC_x86_64_unknown_linux_musl").is_none()
        && Command::new("musl-gcc").arg("--version").output().is_ok()
    {
        build.compiler("musl-gcc");
    }
    build
        .opt_level_str("s")
        .warnings(true)
        .extra_warnings(true)
        .pic(true);
    build
}

/// Packs `objects` into `lib<handler>.a` in `out`, with the toolchain's archiver.
fn archive_of(build: &cc::Build, objects: &[PathBuf], out: &Path) -> PathBuf {
    let archive = out.join("liblambda_handler.a");
    let _ = std::fs::remove_file(&archive);
    let mut ar = build.get_archiver();
    let status = ar.arg("crs").arg(&archive).args(objects).status();
    if !status.is_ok_and(|s| s.success()) {
        fail(
            &objects[0],
            "cannot make a static library of it (is `ar` installed?)",
        );
    }
    archive
}

/// The global symbols that `files` define, from `nm`.
fn defined_symbols(files: &[PathBuf], path: &Path) -> Vec<String> {
    let nm = env::var("NM").unwrap_or_else(|_| "nm".to_string());
    let output = match Command::new(&nm)
        .arg("--defined-only")
        .arg("--extern-only")
        .args(files)
        .output()
    {
        Ok(output) if output.status.success() => output,
        Ok(output) => fail(
            path,
            &format!(
                "`{nm}` cannot read it: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ),
        Err(e) => fail(
            path,
            &format!("`{nm}` (binutils) is needed to check the handler: {e}"),
        ),
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().nth(2).map(str::to_string))
        .collect()
}

fn fail(path: &Path, why: &str) -> ! {
    eprintln!("error: {HANDLER_VAR}={}: {why}", path.display());
    println!("cargo::error={HANDLER_VAR}={}: {why}", path.display());
    std::process::exit(1);
}
