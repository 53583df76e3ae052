//! Processes as `/proc` shows them: a bootstrap's children (workers, isolated invocations,
//! zombies), whether a process is still alive, and its memory figures.

use std::time::{Duration, Instant};

/// One process from `/proc/PID/stat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcEntry {
    pub pid: u32,
    pub parent: u32,
    /// `R`, `S`, `Z` (zombie), ...
    pub state: char,
}

/// `/proc/PID/stat`, or `None` if the process is gone.
pub fn proc_entry(pid: u32) -> Option<ProcEntry> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some(ProcEntry { pid, parent, state })
}

/// Every process whose parent is `pid`, zombies included.
pub fn children_of(pid: u32) -> Vec<ProcEntry> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(proc_entry)
        .filter(|p| p.parent == pid)
        .collect()
}

/// `pid` and every process descended from it.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut tree = vec![pid];
    let mut i = 0;
    while let Some(&parent) = tree.get(i) {
        tree.extend(children_of(parent).iter().map(|child| child.pid));
        i += 1;
    }
    tree
}

/// A `kB` figure of `/proc/PID/status` (`VmRSS:`, `VmHWM:`...), or `None` if the process
/// is gone.
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.trim_start_matches(field)
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// Whether `pid` is alive (present and not a zombie waiting to be reaped).
pub fn is_alive(pid: u32) -> bool {
    proc_entry(pid).is_some_and(|p| p.state != 'Z' && p.state != 'X')
}

/// Polls `done` every 10 ms until it holds or `limit` passes; returns whether it held.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
