//! The two timed experiments: cold start and steady state. Runtimes are interleaved within
//! each repetition, so that the machine's noise (2 shared cores) falls on all of them alike.
use crate::events;
use crate::fake_api::{self, Goal, RunOutcome};
use crate::machine::Busyness;
use crate::plan::{Plan, SizeClass};
use crate::runtimes::Runtime;
use crate::stats;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// One runtime's cold starts in one repetition.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ColdStarts {
    /// Spawn until the first `GET /next`, milliseconds, every spawn.
    pub samples_ms: Vec<f64>,
    pub failures: u64,
    pub first_failure: Option<String>,
}

/// Cold starts: `plan.cold_spawns` spawns of every runtime per repetition, in rounds of one
/// spawn each, in a shuffled order.
/// Returns, per runtime id, one `ColdStarts` per repetition.
pub fn cold_starts(runtimes: &[Runtime], plan: &Plan, scratch: &Path) -> HashMap<&'static str, Vec<ColdStarts>> {
    let event = events::event(145, plan.event_shape);
    let mut results: HashMap<&'static str, Vec<ColdStarts>> = HashMap::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for rep in 0..plan.repetitions {
        let mut this_rep: HashMap<&'static str, ColdStarts> = HashMap::new();
        let mut order: Vec<usize> = (0..runtimes.len()).collect();
        for _ in 0..plan.cold_spawns {
            // A new order each round, so that no runtime always follows the same one (the
            // exit of bash and its curl, say, which is still being torn down).
            shuffle(&mut order, &mut seed);
            for &k in &order {
                let runtime = &runtimes[k];
                // Let the previous runtime's exit finish before timing the next start.
                std::thread::sleep(std::time::Duration::from_millis(5));
                // Not checked: the run ends at the first `GET /next`.
                let expected = runtime.expected_response(events::Kind::Generated, &event);
                let outcome = fake_api::run(runtime.command(scratch, &[]), &event, &expected, Goal::FirstRequest);
                let entry = this_rep.entry(runtime.id).or_default();
                match outcome.cold_start {
                    Some(d) => entry.samples_ms.push(d.as_secs_f64() * 1e3),
                    None => {
                        entry.failures += 1;
                        entry.first_failure.get_or_insert_with(|| describe_failure(&outcome, runtime, scratch));
                    }
                }
            }
        }
        for runtime in runtimes {
            let cold = this_rep.remove(runtime.id).unwrap_or_default();
            eprintln!(
                "  cold start, repetition {}/{}: {:<36} median {:.3} ms over {} spawns{}",
                rep + 1,
                plan.repetitions,
                runtime.label,
                stats::median(&cold.samples_ms).unwrap_or(f64::NAN),
                cold.samples_ms.len(),
                if cold.failures > 0 { format!(", {} FAILED", cold.failures) } else { String::new() },
            );
            results.entry(runtime.id).or_default().push(cold);
        }
    }
    results
}

/// Fisher–Yates with xorshift64: a fixed sequence of orders, so runs are repeatable.
fn shuffle(items: &mut [usize], seed: &mut u64) {
    for i in (1..items.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        items.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

/// One steady-state run, reduced to its figures.
#[derive(Clone, Debug, Serialize)]
pub struct SteadyRun {
    pub event_bytes: usize,
    pub completed: u64,
    pub measured: u64,
    pub cycle_p50_us: Option<f64>,
    pub cycle_p99_us: Option<f64>,
    pub invocations_per_second: Option<f64>,
    /// The runtime's user + system CPU per measured invocation (children included).
    pub runtime_cpu_us: Option<f64>,
    /// The fake API's own CPU per measured invocation.
    pub api_cpu_us: Option<f64>,
    /// `VmHWM` just before the runtime was told to exit.
    pub peak_rss_kib: Option<u64>,
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    pub failure: Option<String>,
    /// How the runtime ended: after the final 500, or killed.
    pub exit: Option<String>,
    /// The share of the machine's CPU that other processes used during the run.
    pub others_cpu_share: f64,
    /// Runtime CPU per invocation of every run of the repetition this one was chosen from.
    pub cpu_us_of_runs: Vec<Option<f64>>,
}

impl SteadyRun {
    pub fn ok(&self) -> bool {
        self.failure.is_none() && self.mismatches == 0
    }
}

/// The event a runtime gets for a size class. For 6 MiB, the default handler's event is 7
/// bytes shorter so that `Hello: ` + event is exactly the 6 MiB response limit.
pub fn event_bytes(runtime: &Runtime, size: &SizeClass) -> usize {
    if size.largest_only { size.bytes - runtime.response_prefix.len() } else { size.bytes }
}

pub fn runs_size(runtime: &Runtime, size: &SizeClass) -> bool {
    (!size.largest_only || runtime.takes_largest) && runtime.takes(size.kind)
}

/// Steady state: every size class, every runtime that takes it, `plan.repetitions` times.
/// Returns, per (runtime id, size name), one `SteadyRun` per repetition.
pub fn steady_state(
    runtimes: &[Runtime],
    plan: &Plan,
    scratch: &Path,
) -> HashMap<(&'static str, &'static str), Vec<SteadyRun>> {
    let mut results: HashMap<(&'static str, &'static str), Vec<SteadyRun>> = HashMap::new();
    let mut events: HashMap<(events::Kind, usize), Vec<u8>> = HashMap::new();
    for rep in 0..plan.repetitions {
        for size in &plan.sizes {
            for runtime in runtimes.iter().filter(|r| runs_size(r, size)) {
                let bytes = event_bytes(runtime, size);
                let event = events.entry((size.kind, bytes)).or_insert_with(|| plan.event(size.kind, bytes));
                let runs: Vec<SteadyRun> =
                    (0..size.runs_per_repetition).map(|_| one_run(runtime, size, event, plan, scratch)).collect();
                let run = representative(runs);
                eprintln!(
                    "  steady {:>6}, repetition {}/{}: {:<36} {:>6} inv, CPU/inv {:>9.1} µs, p50 {:>9.1} µs, others {:>3.0}%{}",
                    size.name,
                    rep + 1,
                    plan.repetitions,
                    runtime.label,
                    run.measured,
                    run.runtime_cpu_us.unwrap_or(f64::NAN),
                    run.cycle_p50_us.unwrap_or(f64::NAN),
                    run.others_cpu_share * 100.0,
                    problems(&run),
                );
                results.entry((runtime.id, size.name)).or_default().push(run);
            }
        }
    }
    results
}

fn one_run(runtime: &Runtime, size: &SizeClass, event: &[u8], plan: &Plan, scratch: &Path) -> SteadyRun {
    let expected = runtime.expected_response(size.kind, event);
    let goal = Goal::Invocations { total: size.invocations, warmup: size.warmup, time_cap: size.time_cap };
    let before = Busyness::now(plan.pinned_cpu);
    let outcome = fake_api::run(runtime.command(scratch, &[]), event, &expected, goal);
    let others = before.others_share_since();
    clear_tmp(scratch);
    let mut run = reduce(&outcome, event.len(), runtime, scratch);
    run.others_cpu_share = others;
    run
}

/// A repetition's run among several: a failed one if any failed (so that it is reported),
/// else the one with the median CPU per invocation. Why several: with large events, a run's
/// cost depends on where its buffers land in physical memory (caches), which changes from one
/// process to the next; the median of three runs steadies that.
fn representative(mut runs: Vec<SteadyRun>) -> SteadyRun {
    let cpu_of_runs: Vec<Option<f64>> = runs.iter().map(|r| r.runtime_cpu_us).collect();
    let chosen = match runs.iter().position(|r| !r.ok()) {
        Some(failed) => failed,
        None => {
            let mut order: Vec<usize> = (0..runs.len()).collect();
            order.sort_by(|&a, &b| {
                let cpu = |i: usize| runs[i].runtime_cpu_us.unwrap_or(f64::INFINITY);
                cpu(a).total_cmp(&cpu(b))
            });
            order[order.len() / 2]
        }
    };
    let mut run = runs.swap_remove(chosen);
    run.cpu_us_of_runs = cpu_of_runs;
    run
}

fn reduce(outcome: &RunOutcome, event_bytes: usize, runtime: &Runtime, scratch: &Path) -> SteadyRun {
    let per_invocation = |total: f64| (outcome.measured > 0).then(|| total / outcome.measured as f64);
    let failure = outcome.failure.as_ref().map(|_| describe_failure(outcome, runtime, scratch));
    SteadyRun {
        event_bytes,
        completed: outcome.completed,
        measured: outcome.measured,
        cycle_p50_us: stats::percentile_us(&outcome.cycles, 50.0),
        cycle_p99_us: stats::percentile_us(&outcome.cycles, 99.0),
        invocations_per_second: (outcome.measured > 0)
            .then(|| outcome.measured as f64 / outcome.measured_wall.as_secs_f64()),
        runtime_cpu_us: outcome.runtime_cpu.and_then(|d| per_invocation(d.as_secs_f64() * 1e6)),
        api_cpu_us: per_invocation(outcome.api_cpu.as_secs_f64() * 1e6),
        peak_rss_kib: outcome.peak_rss_kib,
        mismatches: outcome.mismatches,
        first_mismatch: outcome.first_mismatch.clone(),
        failure,
        exit: outcome.exit_status.map(|s| s.to_string()),
        others_cpu_share: 0.0,
        cpu_us_of_runs: Vec::new(),
    }
}

/// Why a run failed, with the runtime's last words on stderr.
pub fn describe_failure(outcome: &RunOutcome, runtime: &Runtime, scratch: &Path) -> String {
    let why = outcome.failure.clone().unwrap_or_else(|| "no GET /next".into());
    let status = outcome.exit_status.map(|s| format!(" ({s})")).unwrap_or_default();
    match runtime.last_stderr_line(scratch) {
        Some(line) => format!("{why}{status}: {line}"),
        None => format!("{why}{status}"),
    }
}

fn problems(run: &SteadyRun) -> String {
    let mut text = String::new();
    if run.mismatches > 0 {
        text += &format!("  {} MISMATCHES: {}", run.mismatches, run.first_mismatch.as_deref().unwrap_or(""));
    }
    if let Some(failure) = &run.failure {
        text += &format!("  FAILED: {failure}");
    }
    text
}

/// The bash runtime's `mktemp` leaves a file per invocation in TMPDIR.
pub fn clear_tmp(scratch: &Path) {
    let tmp = scratch.join("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::create_dir_all(&tmp);
}
