//! What each runtime costs on disk: the stripped binary (for a `FROM scratch` image, the
//! whole image), or for bash + curl the programs and shared libraries the script needs.
use crate::runtimes::{Family, Runtime};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Debug, Serialize)]
pub struct Footprint {
    /// The stripped binary (the script, for bash + curl).
    pub binary_bytes: u64,
    /// What an image needs besides: nothing for the static binaries; for bash + curl the
    /// programs it runs and their shared libraries, as found on this machine.
    pub image_bytes: u64,
    pub dependencies: Vec<String>,
}

/// The programs the tutorial's bootstrap runs.
const BASH_TOOLS: [&str; 6] = ["bash", "curl", "grep", "tr", "cut", "mktemp"];

pub fn measure(runtime: &Runtime, scratch: &Path) -> Result<Footprint, String> {
    if runtime.family == Family::BashCurl {
        return bash_footprint(runtime);
    }
    let bytes = stripped_size(&runtime.program, &scratch.join(format!("{}.stripped", runtime.id)))?;
    Ok(Footprint { binary_bytes: bytes, image_bytes: bytes, dependencies: Vec::new() })
}

/// Size after `strip` (a copy is stripped; ours and the size-opt peers already are).
fn stripped_size(program: &Path, copy: &Path) -> Result<u64, String> {
    let status = Command::new("strip")
        .arg("-o")
        .arg(copy)
        .arg(program)
        .status()
        .map_err(|e| format!("strip: {e}"))?;
    if !status.success() {
        return Err(format!("strip {} failed", program.display()));
    }
    let bytes = std::fs::metadata(copy).map_err(|e| e.to_string())?.len();
    let _ = std::fs::remove_file(copy);
    Ok(bytes)
}

fn bash_footprint(runtime: &Runtime) -> Result<Footprint, String> {
    let script = std::fs::metadata(&runtime.program).map_err(|e| e.to_string())?.len();
    let function = runtime.program.with_file_name("function.sh");
    let script = script + std::fs::metadata(function).map(|m| m.len()).unwrap_or(0);
    let mut files = BTreeSet::new();
    for tool in BASH_TOOLS {
        let path = which(tool).ok_or_else(|| format!("{tool} not found in PATH"))?;
        files.insert(std::fs::canonicalize(&path).unwrap_or(path.clone()));
        for library in shared_libraries(&path) {
            files.insert(std::fs::canonicalize(&library).unwrap_or(library));
        }
    }
    let mut image = script;
    for file in &files {
        image += std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    }
    let dependencies = files.iter().map(|f| f.display().to_string()).collect();
    Ok(Footprint { binary_bytes: script, image_bytes: image, dependencies })
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// The shared libraries `ldd` lists for `program` (including the dynamic loader).
fn shared_libraries(program: &Path) -> Vec<PathBuf> {
    let Ok(output) = Command::new("ldd").arg(program).output() else { return Vec::new() };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}
