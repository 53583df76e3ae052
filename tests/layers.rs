//! The layering of `src/` holds: each top-level module uses only the modules below it in the
//! order `src/lib.rs` gives (nothing imports upward), so that the folder tree stays the
//! architecture. A `crate::` path in a module's own code (not its tests) that names a module
//! above it fails this test.

use std::collections::BTreeSet;
use std::path::Path;

/// The layers, bottom first: as `src/lib.rs` lists them. Modules on one line are peers.
const LAYERS: &[&[&str]] = &[
    &["sys"],
    &["contract"],
    &["codec"],
    &["http"],
    &["abi"],
    &["api"],
    &["runtime"],
    &["typed"],
    &["events"],
    &["local", "exec"],
    &["start"],
    &["std_mode"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a piece of code names through `crate::` (in paths and in
/// `use crate::{...}` groups), its comments and tests left out.
fn used_modules(source: &str) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let code: String = code
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut used = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                used.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            used.insert(name);
        }
    }
    used
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = rank(&top) else { continue }; // lib.rs, main.rs
        checked += 1;
        for used in used_modules(&std::fs::read_to_string(file).unwrap()) {
            if rank(&used).is_some_and(|r| r > own) {
                upward.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} files checked: is src/ laid out as LAYERS says?"
    );
    assert!(
        upward.is_empty(),
        "imports from a layer above:\n{}",
        upward.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(name) = line.strip_prefix("pub mod ") {
            let name = name.trim_end_matches(';');
            assert!(
                rank(name).is_some(),
                "src/lib.rs declares `{name}`, which LAYERS does not place"
            );
        }
    }
}

#[test]
fn the_checker_sees_an_upward_import() {
    let used = used_modules(
        "use crate::{sys::log, runtime::invoke};\nfn f() { crate::local::serve(); }\n// crate::start\n#[cfg(test)]\nuse crate::exec;",
    );
    assert_eq!(
        used,
        BTreeSet::from(["sys".into(), "runtime".into(), "local".into()])
    );
}
