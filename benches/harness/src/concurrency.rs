//! `--concurrency`: Managed Instances' workers and per-invocation isolation, a section of its
//! own (the main tables measure one invocation at a time).
//!
//! - **Workers**: invocations per second of our bootstrap with `AWS_LAMBDA_MAX_CONCURRENCY`
//!   = 1, 2, 4, 16, with two handlers: the default one on a 145 B event (pure CPU, so the
//!   ceiling is the machine, here 2 vCPUs shared with the fake API), and the `probe`'s
//!   `sleep:10` (a handler that waits 10 ms, as one waiting on a database would: workers
//!   overlap the waits). Not pinned: workers exist to use more than one CPU.
//! - **Isolation**: `probe` against `probe-isolated` (every invocation in a forked child),
//!   both echoing a 145 B event, one at a time, pinned to one CPU like the main tables: the
//!   difference is the cost of the `fork`, the child's exit and the `wait`.
use crate::events::{self, Shape};
use crate::fake_api::{self, Goal, RunOutcome};
use crate::runtimes::{Family, Runtime, Takes};
use crate::stats::{self, Spread};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const WORKER_COUNTS: [usize; 4] = [1, 2, 4, 16];

#[derive(Debug, Serialize)]
pub struct Results {
    pub repetitions: usize,
    /// Per handler ("hello-145B", "sleep-10ms"), per worker count: invocations/s per repetition.
    pub workers: Vec<WorkerRow>,
    pub isolation: Vec<IsolationRow>,
    pub failures: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct WorkerRow {
    pub handler: &'static str,
    pub workers: usize,
    pub invocations_per_second: Vec<f64>,
}

#[derive(Debug, Serialize)]
pub struct IsolationRow {
    pub runtime: &'static str,
    pub invocations_per_second: Vec<f64>,
    /// Runtime CPU per invocation, µs: the process's clock plus its waited-for children
    /// (the isolated invocations), which `/proc` counts in 10 ms ticks.
    pub cpu_us: Vec<f64>,
    pub cycle_p50_us: Vec<f64>,
}

fn runtime(id: &'static str, program: PathBuf) -> Runtime {
    Runtime {
        id,
        label: id,
        family: Family::Ours,
        program,
        response_prefix: b"",
        takes_largest: false,
        slow: false,
        argument: None,
        takes: Takes::Any,
        typed: false,
    }
}

fn check(outcome: &RunOutcome, what: &str, failures: &mut Vec<String>) -> bool {
    let problem = match (&outcome.failure, &outcome.first_mismatch) {
        (Some(failure), _) => format!("{what}: {failure}"),
        (None, Some(mismatch)) => format!("{what}: {} wrong answers, first: {mismatch}", outcome.mismatches),
        (None, None) if outcome.measured == 0 => format!("{what}: nothing measured"),
        (None, None) => return true,
    };
    eprintln!("  {problem}");
    failures.push(problem);
    false
}

fn per_second(outcome: &RunOutcome) -> f64 {
    outcome.measured as f64 / outcome.measured_wall.as_secs_f64()
}

/// Runs both experiments. `ours_target` is the product's `target/x86_64-unknown-linux-musl`.
/// `pin` pins the harness to one CPU for the isolation runs (after the worker runs).
pub fn measure(ours_target: &Path, scratch: &Path, quick: bool, pin: bool) -> (Results, Option<usize>) {
    let release = ours_target.join("release");
    let hello = runtime("ours", release.join("bootstrap"));
    let probe = runtime("probe", release.join("probe"));
    let isolated = runtime("probe-isolated", release.join("probe-isolated"));
    let repetitions = if quick { 1 } else { 3 };
    let event = events::event(145, Shape::Padded);
    let hello_expected = events::expected_response(b"Hello: ", &event);
    let mut failures = Vec::new();
    let mut workers = Vec::new();

    let cap = Duration::from_secs(if quick { 1 } else { 3 });
    let handlers: [(&str, &Runtime, &[u8], Option<&[u8]>, u64); 2] = [
        ("hello-145B", &hello, &event, Some(&hello_expected), 20_000),
        ("sleep-10ms", &probe, b"sleep:10", None, 2_000),
    ];
    for (name, runtime, event, expected, total) in handlers {
        for n in WORKER_COUNTS {
            let mut row = WorkerRow { handler: name, workers: n, invocations_per_second: vec![] };
            for rep in 0..repetitions {
                let mut command = runtime.command(scratch, &[]);
                command.env("AWS_LAMBDA_MAX_CONCURRENCY", n.to_string());
                let goal = Goal::Invocations { total, warmup: 4 * n as u64 + 20, time_cap: cap };
                let outcome = fake_api::run_concurrent(command, event, expected, goal, n);
                if check(&outcome, &format!("{name} with {n} workers"), &mut failures) {
                    row.invocations_per_second.push(per_second(&outcome));
                }
                eprintln!(
                    "  workers {:>2}, {name}, repetition {}/{repetitions}: {:>8.0} inv/s",
                    n,
                    rep + 1,
                    row.invocations_per_second.last().copied().unwrap_or(f64::NAN)
                );
            }
            workers.push(row);
        }
    }

    let pinned = if pin { crate::machine::pin_to_one_cpu() } else { None };
    let mut isolation: Vec<IsolationRow> = [&probe, &isolated]
        .iter()
        .map(|r| IsolationRow { runtime: r.id, invocations_per_second: vec![], cpu_us: vec![], cycle_p50_us: vec![] })
        .collect();
    let total = if quick { 3_000 } else { 10_000 };
    for rep in 0..repetitions {
        for (row, runtime) in isolation.iter_mut().zip([&probe, &isolated]) {
            let goal = Goal::Invocations { total, warmup: 200, time_cap: cap * 2 };
            let outcome = fake_api::run(runtime.command(scratch, &[]), &event, &event, goal);
            if !check(&outcome, runtime.id, &mut failures) {
                continue;
            }
            row.invocations_per_second.push(per_second(&outcome));
            let cpu = outcome.runtime_cpu.map(|d| d.as_secs_f64() * 1e6 / outcome.measured as f64);
            row.cpu_us.extend(cpu);
            row.cycle_p50_us.extend(stats::percentile_us(&outcome.cycles, 50.0));
            eprintln!(
                "  isolation, repetition {}/{repetitions}: {:<16} {:>8.0} inv/s, CPU/inv {:>7.1} µs, p50 {:>7.1} µs",
                rep + 1,
                runtime.id,
                per_second(&outcome),
                cpu.unwrap_or(f64::NAN),
                row.cycle_p50_us.last().copied().unwrap_or(f64::NAN),
            );
        }
    }
    (Results { repetitions, workers, isolation, failures }, pinned)
}

fn cell(values: &[f64], decimals: usize) -> String {
    match Spread::of(values) {
        None => "–".into(),
        Some(s) if s.n == 1 => format!("{:.*}", decimals, s.median),
        Some(s) => format!("{:.*} ({:.*}–{:.*})", decimals, s.median, decimals, s.min, decimals, s.max),
    }
}

pub fn markdown(results: &Results, cpus: usize, pinned: Option<usize>) -> String {
    let mut out = format!(
        "### Managed Instances workers (`AWS_LAMBDA_MAX_CONCURRENCY`)\n\nInvocations per second, {} repetition(s), median (min–max); {cpus} CPUs, not pinned.\n\n\
         | workers | default handler, 145 B event | × 1 worker | `probe` `sleep:10` (waits 10 ms) | × 1 worker |\n|--:|--:|--:|--:|--:|\n",
        results.repetitions
    );
    let median = |handler: &str, n: usize| {
        results
            .workers
            .iter()
            .find(|r| r.handler == handler && r.workers == n)
            .map(|r| (cell(&r.invocations_per_second, 0), stats::median(&r.invocations_per_second)))
            .unwrap_or(("–".into(), None))
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}×", a / b),
        _ => "–".into(),
    };
    let (_, hello_one) = median("hello-145B", 1);
    let (_, sleep_one) = median("sleep-10ms", 1);
    for n in WORKER_COUNTS {
        let (hello, hello_m) = median("hello-145B", n);
        let (sleep, sleep_m) = median("sleep-10ms", n);
        out += &format!("| {n} | {hello} | {} | {sleep} | {} |\n", ratio(hello_m, hello_one), ratio(sleep_m, sleep_one));
    }
    let pin = match pinned {
        Some(cpu) => format!("pinned to CPU {cpu}"),
        None => "not pinned".into(),
    };
    out += &format!(
        "\n### Per-invocation isolation (`main!(isolated ...)`)\n\nThe probe echoing a 145 B event, one invocation at a time, {pin}; median (min–max).\n\n\
         | runtime | invocations/s | runtime CPU / inv (µs) | cycle p50 (µs) |\n|---|--:|--:|--:|\n"
    );
    for row in &results.isolation {
        out += &format!(
            "| `{}` | {} | {} | {} |\n",
            row.runtime,
            cell(&row.invocations_per_second, 0),
            cell(&row.cpu_us, 1),
            cell(&row.cycle_p50_us, 1)
        );
    }
    if let [plain, isolated] = &results.isolation[..] {
        if let (Some(a), Some(b)) = (stats::median(&plain.cpu_us), stats::median(&isolated.cpu_us)) {
            out += &format!("\nIsolation costs {:.0} µs of CPU per invocation ({:.1}× the plain probe's).\n", b - a, b / a);
        }
    }
    for failure in &results.failures {
        out += &format!("\nFAILED: {failure}\n");
    }
    out
}
