//! How much of everything a benchmark run does: the default run and `--quick`.
use crate::events::{Kind, Shape};
use std::time::Duration;

/// One event size and how long its steady-state runs last.
#[derive(Clone, Debug)]
pub struct SizeClass {
    pub name: &'static str,
    /// For the HTTP API sample, its length (set once it is read, see `Plan::with_sample`).
    pub bytes: usize,
    /// A generated event of `bytes`, or the HTTP API sample.
    pub kind: Kind,
    /// Invocations per run, of which the first `warmup` are not measured (first-touch page
    /// faults, allocator growth, connection set-up).
    pub invocations: u64,
    pub warmup: u64,
    /// A run stops early once its measured part has lasted this long: slow runtimes (bash,
    /// `lambda_runtime` with large `Value` events) get fewer invocations, not more minutes.
    pub time_cap: Duration,
    /// Only runtimes that accept events this large run it (ours and the floor for 6 MiB).
    pub largest_only: bool,
    /// Runs per runtime in each repetition, of which the median counts (see
    /// `measure::representative`): more than one for large events.
    pub runs_per_repetition: usize,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub name: &'static str,
    pub repetitions: usize,
    /// What the events look like inside (`--event-shape`).
    pub event_shape: Shape,
    /// The CPU the harness and every runtime are pinned to (none with `--no-pin`).
    pub pinned_cpu: Option<usize>,
    /// Spawns per repetition for the cold start (the median of them is one repetition's figure).
    pub cold_spawns: usize,
    pub sizes: Vec<SizeClass>,
    /// The two run lengths whose strace counts are subtracted (start-up and exit cancel out).
    pub strace_lengths: (u64, u64),
    /// The same for runtimes that take milliseconds per invocation (bash + curl).
    pub slow_strace_lengths: (u64, u64),
    /// The same with 1 MiB events.
    pub large_strace_lengths: (u64, u64),
    /// The HTTP API sample event (`events::http_api_sample`), empty until read.
    pub http_api_sample: Vec<u8>,
}

pub const KIB: usize = 1024;
pub const MIB: usize = 1024 * 1024;

impl Plan {
    pub fn full() -> Plan {
        Plan {
            name: "full",
            repetitions: 5,
            event_shape: Shape::Padded,
            pinned_cpu: None,
            cold_spawns: 50,
            sizes: vec![
                size("145 B", 145, 10_000, 200, 6.0, false, 1),
                sample("HTTP API", 10_000, 200, 6.0),
                size("64 KiB", 64 * KIB, 3_000, 20, 3.0, false, 1),
                size("1 MiB", MIB, 500, 5, 3.0, false, 3),
                size("6 MiB", 6 * MIB, 100, 3, 3.0, true, 3),
            ],
            strace_lengths: (1_000, 2_000),
            slow_strace_lengths: (20, 40),
            large_strace_lengths: (100, 200),
            http_api_sample: Vec::new(),
        }
    }

    pub fn quick() -> Plan {
        Plan {
            name: "quick",
            repetitions: 2,
            event_shape: Shape::Padded,
            pinned_cpu: None,
            cold_spawns: 50,
            sizes: vec![
                size("145 B", 145, 10_000, 200, 2.0, false, 1),
                sample("HTTP API", 10_000, 200, 2.0),
                size("64 KiB", 64 * KIB, 1_000, 20, 1.0, false, 1),
                size("1 MiB", MIB, 100, 5, 1.0, false, 3),
                size("6 MiB", 6 * MIB, 20, 3, 1.0, true, 3),
            ],
            strace_lengths: (200, 400),
            slow_strace_lengths: (10, 20),
            large_strace_lengths: (20, 40),
            http_api_sample: Vec::new(),
        }
    }

    /// The plan with the HTTP API sample event in it (its size class gets its length).
    pub fn with_sample(mut self, sample: Vec<u8>) -> Plan {
        for size in self.sizes.iter_mut().filter(|s| s.kind == Kind::HttpApiSample) {
            size.bytes = sample.len();
        }
        self.http_api_sample = sample;
        self
    }

    /// The event of a size class, `bytes` long if generated.
    pub fn event(&self, kind: Kind, bytes: usize) -> Vec<u8> {
        match kind {
            Kind::Generated => crate::events::event(bytes, self.event_shape),
            Kind::HttpApiSample => self.http_api_sample.clone(),
        }
    }
}

fn size(
    name: &'static str,
    bytes: usize,
    invocations: u64,
    warmup: u64,
    cap_s: f64,
    largest_only: bool,
    runs_per_repetition: usize,
) -> SizeClass {
    let time_cap = Duration::from_secs_f64(cap_s);
    SizeClass { name, bytes, kind: Kind::Generated, invocations, warmup, time_cap, largest_only, runs_per_repetition }
}

/// The HTTP API sample's class: run like the smallest events.
fn sample(name: &'static str, invocations: u64, warmup: u64, cap_s: f64) -> SizeClass {
    SizeClass { kind: Kind::HttpApiSample, ..size(name, 0, invocations, warmup, cap_s, false, 1) }
}
