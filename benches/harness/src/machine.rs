//! The machine and tools a run was made with, for the report.
use serde::Serialize;
use std::path::Path;
use std::process::Command;

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub rustc: String,
    pub lambda_runtime: String,
    pub curl: String,
    pub bash: String,
    pub strace: String,
}

pub fn describe(main_dir: &Path, benches_dir: &Path) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cpus: online_cpus(),
        cpu_model,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().into(),
        // In the product's directory, so that its rust-toolchain.toml picks the compiler.
        rustc: first_line(Command::new("rustc").arg("-V").current_dir(main_dir)),
        lambda_runtime: locked_version(&benches_dir.join("Cargo.lock"), "lambda_runtime"),
        curl: first_line(Command::new("curl").arg("--version")),
        bash: first_line(Command::new("bash").arg("--version")),
        strace: first_line(Command::new("strace").arg("-V")),
    }
}

fn first_line(command: &mut Command) -> String {
    match command.output() {
        Ok(out) => String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").trim().to_string(),
        Err(e) => format!("unavailable ({e})"),
    }
}

/// The version of `package` in a Cargo.lock.
fn locked_version(lock: &Path, package: &str) -> String {
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            return version.trim_matches('"').to_string();
        }
    }
    "unknown".into()
}

/// How busy the CPU the benchmark runs on was with other work: on a shared machine this
/// is the noise to read the figures against. With `cpu` set (the benchmark is pinned), it
/// watches that CPU; without, all of them.
#[derive(Clone, Copy, Debug)]
pub struct Busyness {
    cpu: Option<usize>,
    busy_s: f64,
    own_s: f64,
    at: std::time::Instant,
}

impl Busyness {
    pub fn now(cpu: Option<usize>) -> Busyness {
        Busyness { cpu, busy_s: busy_seconds(cpu), own_s: own_cpu_seconds(), at: std::time::Instant::now() }
    }

    /// The share of the watched CPU capacity that processes other than the harness and the
    /// runtimes it ran used since `self` (10 ms resolution: a rough figure for short runs).
    pub fn others_share_since(&self) -> f64 {
        let now = Busyness::now(self.cpu);
        let others = (now.busy_s - self.busy_s) - (now.own_s - self.own_s);
        let cpus = if self.cpu.is_some() { 1 } else { online_cpus() };
        let capacity = (now.at - self.at).as_secs_f64() * cpus as f64;
        (others / capacity).clamp(0.0, 1.0)
    }
}

pub fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize
}

/// Busy time (user, nice, system, irq, softirq, steal) from /proc/stat's `cpu` line, or
/// `cpuN` line for one CPU, in seconds.
fn busy_seconds(cpu: Option<usize>) -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let name = match cpu {
        Some(n) => format!("cpu{n}"),
        None => "cpu".to_string(),
    };
    let fields: Vec<u64> = stat
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name.as_str()))
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let busy: u64 = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| fields.get(i)).sum();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    busy as f64 / ticks
}

/// CPU time of the harness and of every child it has waited for (the runtimes, strace).
fn own_cpu_seconds() -> f64 {
    let seconds = |who| {
        // SAFETY: valid out-pointer.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(who, &mut usage);
            usage
        };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        tv(usage.ru_utime) + tv(usage.ru_stime)
    };
    seconds(libc::RUSAGE_SELF) + seconds(libc::RUSAGE_CHILDREN)
}

/// Pins the calling process (its only thread, and so every process it starts from now on)
/// to the last CPU it may run on, and returns that CPU.
///
/// Why: this machine is a 2-vCPU virtual machine. When the fake API and the runtime run on
/// different vCPUs, each hand-over wakes a halted vCPU through the hypervisor, a cost that
/// is charged to whichever process did the waking and that comes and goes with how the
/// scheduler happens to place them: the same runtime measured 6 µs or 40 µs of CPU per
/// invocation from one run to the next. On one CPU, a hand-over is a plain context switch
/// and the figures repeat to a few percent. `--no-pin` measures without it.
pub fn pin_to_one_cpu() -> Option<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the calls get valid pointers.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        let cpu = (0..libc::CPU_SETSIZE as usize).rev().find(|&c| libc::CPU_ISSET(c, &set))?;
        let mut only = std::mem::zeroed::<libc::cpu_set_t>();
        libc::CPU_SET(cpu, &mut only);
        (libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &only) == 0).then_some(cpu)
    }
}
