//! System calls per invocation: `strace -f -c` over two runs of different lengths; the
//! difference of their counts, divided by the difference of their lengths, leaves out
//! start-up and exit. `-f` follows threads (tokio) and children (curl, grep, ...).
//!
//! With 145 B events (the target), and with 1 MiB events, where the count shows how each
//! runtime moves a large body (how many reads, and what the allocator maps and unmaps).
use crate::events::{self, Shape};
use crate::fake_api::{self, Goal};
use crate::measure;
use crate::plan::Plan;
use crate::runtimes::Runtime;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// One repetition's figures for one runtime.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyscallCount {
    pub event_bytes: usize,
    pub per_invocation: Option<f64>,
    /// Per-call-name counts per invocation (those of at least 0.05).
    pub by_name: BTreeMap<String, f64>,
    pub lengths: (u64, u64),
    pub failure: Option<String>,
}

/// The event sizes counted, and the name their results are filed under.
pub const SMALL: (&str, usize) = ("145 B", 145);
pub const LARGE: (&str, usize) = ("1 MiB", 1024 * 1024);

/// Returns, per (runtime id, size name), one `SyscallCount` per repetition. Slow runtimes
/// (bash + curl, which cannot take 1 MiB events anyway) are counted at 145 B only.
pub fn measure(
    runtimes: &[Runtime],
    plan: &Plan,
    scratch: &Path,
) -> HashMap<(&'static str, &'static str), Vec<SyscallCount>> {
    let mut results: HashMap<(&'static str, &'static str), Vec<SyscallCount>> = HashMap::new();
    for rep in 0..plan.repetitions {
        for (size, bytes) in [SMALL, LARGE] {
            for runtime in runtimes.iter().filter(|r| r.takes(events::Kind::Generated)) {
                let lengths = match (runtime.slow, bytes == LARGE.1) {
                    (true, true) => continue,
                    (true, false) => plan.slow_strace_lengths,
                    (false, false) => plan.strace_lengths,
                    (false, true) => plan.large_strace_lengths,
                };
                let count = count_per_invocation(runtime, bytes, plan.event_shape, lengths, scratch);
                eprintln!(
                    "  syscalls {size:>6}, repetition {}/{}: {:<36} {:.2} per invocation{}",
                    rep + 1,
                    plan.repetitions,
                    runtime.label,
                    count.per_invocation.unwrap_or(f64::NAN),
                    count.failure.as_deref().map(|f| format!("  FAILED: {f}")).unwrap_or_default(),
                );
                results.entry((runtime.id, size)).or_default().push(count);
            }
        }
    }
    results
}

fn count_per_invocation(
    runtime: &Runtime,
    event_bytes: usize,
    shape: Shape,
    (short, long): (u64, u64),
    scratch: &Path,
) -> SyscallCount {
    let mut result = SyscallCount { event_bytes, lengths: (short, long), ..Default::default() };
    let counts = [short, long].map(|n| traced_run(runtime, event_bytes, shape, n, scratch));
    match counts {
        [Ok(a), Ok(b)] => {
            let span = (long - short) as f64;
            result.per_invocation = Some((b.total as f64 - a.total as f64) / span);
            for (name, &calls_b) in &b.by_name {
                let calls_a = a.by_name.get(name).copied().unwrap_or(0);
                let per_invocation = (calls_b as f64 - calls_a as f64) / span;
                if per_invocation.abs() >= 0.05 {
                    result.by_name.insert(name.clone(), per_invocation);
                }
            }
        }
        [Err(e), _] | [_, Err(e)] => result.failure = Some(e),
    }
    result
}

struct StraceSummary {
    total: u64,
    by_name: HashMap<String, u64>,
}

/// Runs `runtime` under `strace -f -c` for `invocations` invocations of the event.
fn traced_run(
    runtime: &Runtime,
    event_bytes: usize,
    shape: Shape,
    invocations: u64,
    scratch: &Path,
) -> Result<StraceSummary, String> {
    let summary_path = scratch.join(format!("{}.strace", runtime.id));
    let _ = std::fs::remove_file(&summary_path);
    let wrapper: Vec<OsString> =
        vec!["strace".into(), "-f".into(), "-c".into(), "-o".into(), summary_path.clone().into(), "--".into()];
    let event = events::event(event_bytes, shape);
    let expected = runtime.expected_response(events::Kind::Generated, &event);
    // No time cap: the counts must cover exactly `invocations` invocations.
    let goal = Goal::Invocations { total: invocations, warmup: 0, time_cap: Duration::from_secs(3600) };
    let outcome = fake_api::run(runtime.command(scratch, &wrapper), &event, &expected, goal);
    measure::clear_tmp(scratch);
    if outcome.failure.is_some() || outcome.mismatches > 0 || outcome.completed != invocations {
        let mismatch = outcome.first_mismatch.clone().unwrap_or_default();
        return Err(format!("{} {mismatch}", measure::describe_failure(&outcome, runtime, scratch)));
    }
    let text = std::fs::read_to_string(&summary_path).map_err(|e| format!("no strace summary: {e}"))?;
    parse_summary(&text).ok_or_else(|| "unreadable strace summary".into())
}

/// Parses `strace -c` output: rows `% time, seconds, usecs/call, calls, [errors], syscall`
/// and a closing `total` row.
fn parse_summary(text: &str) -> Option<StraceSummary> {
    let mut by_name = HashMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 || fields[0].parse::<f64>().is_err() {
            continue;
        }
        let calls: u64 = fields[3].parse().ok()?;
        let name = *fields.last()?;
        if name == "total" {
            return Some(StraceSummary { total: calls, by_name });
        }
        by_name.insert(name.to_string(), calls);
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_strace_summary() {
        let text = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.000300           3       100           sendmsg
 40.00    0.000200           2       101         1 recvfrom
------ ----------- ----------- --------- --------- ----------------
100.00    0.000500           2       201         1 total
";
        let summary = super::parse_summary(text).unwrap();
        assert_eq!(summary.total, 201);
        assert_eq!(summary.by_name["recvfrom"], 101);
    }
}
