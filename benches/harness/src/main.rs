//! The benchmark harness: measures our bootstrap beside the official Rust runtime, the
//! classic bash + curl bootstrap and a raw-socket floor, all against one fake Runtime API on
//! loopback, and prints Markdown tables and writes results.json. `run.sh` builds everything
//! and calls it; see ../README.md for what is measured and how.
//!
//! Usage: harness --main DIR --benches DIR --peers-target DIR --ours-target DIR
//!                [--quick] [--no-pin] [--only ID,ID...] [--event-shape padded|records] [--out FILE]
//!        harness ... --concurrency [--quick] [--no-pin]   (workers and isolation only; see concurrency.rs)
mod binary_size;
mod concurrency;
mod events;
mod fake_api;
mod http;
mod machine;
mod measure;
mod plan;
mod process;
mod report;
mod runtimes;
mod stats;
mod syscalls;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    main_dir: PathBuf,
    benches_dir: PathBuf,
    /// `target/x86_64-unknown-linux-musl` of the product and of the benches workspace.
    ours_target: PathBuf,
    peers_target: PathBuf,
    quick: bool,
    no_pin: bool,
    /// Only the concurrency and isolation section (`concurrency.rs`).
    concurrency: bool,
    /// Runtime ids to run (all when empty): for trying one runtime out.
    only: Vec<String>,
    event_shape: events::Shape,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut values: HashMap<String, String> = HashMap::new();
    let mut quick = false;
    let mut no_pin = false;
    let mut concurrency = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--no-pin" => no_pin = true,
            "--concurrency" => concurrency = true,
            "--main" | "--benches" | "--ours-target" | "--peers-target" | "--out" | "--only"
            | "--event-shape" => {
                let value = args.next().ok_or(format!("{arg} needs a value"))?;
                values.insert(arg, value);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let mut take = |name: &str| values.remove(name).ok_or(format!("missing {name}")).map(PathBuf::from);
    let main_dir = take("--main")?;
    let benches_dir = take("--benches")?;
    let ours_target = take("--ours-target")?;
    let peers_target = take("--peers-target")?;
    let out = take("--out").unwrap_or_else(|_| benches_dir.join("results.json"));
    let only = values.remove("--only").map(|v| v.split(',').map(str::to_owned).collect()).unwrap_or_default();
    let event_shape = match values.remove("--event-shape").as_deref() {
        None | Some("padded") => events::Shape::Padded,
        Some("records") => events::Shape::Records,
        Some(other) => return Err(format!("unknown event shape {other:?} (padded or records)")),
    };
    Ok(Args { main_dir, benches_dir, ours_target, peers_target, quick, no_pin, concurrency, only, event_shape, out })
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("harness: {e}\nusage: harness --main DIR --benches DIR --ours-target DIR --peers-target DIR [--quick] [--no-pin] [--only ID,...] [--event-shape padded|records] [--out FILE]");
            std::process::exit(2);
        }
    };
    if args.concurrency {
        run_concurrency(&args);
        return;
    }
    let plan = if args.quick { plan::Plan::quick() } else { plan::Plan::full() };
    let mut plan = match events::http_api_sample(&args.main_dir) {
        Ok(sample) => plan.with_sample(sample),
        Err(e) => {
            eprintln!("harness: cannot read the HTTP API sample: {e}");
            std::process::exit(2);
        }
    };
    plan.event_shape = args.event_shape;
    // Before anything is measured or started: the pinning is inherited by every runtime.
    plan.pinned_cpu = if args.no_pin { None } else { machine::pin_to_one_cpu() };
    let paths = runtimes::Paths {
        ours_bootstrap: args.ours_target.join("release/bootstrap"),
        ours_echo: args.ours_target.join("release/echo"),
        ours_exec: args.ours_target.join("release/bootstrap-exec"),
        ours_typed: args.ours_target.join("release/typed-bench"),
        ours_typed_http: args.ours_target.join("release/typed-bench-http"),
        exec_dir: args.benches_dir.join("peers/exec"),
        peers_target: args.peers_target.clone(),
        bash_curl_dir: args.benches_dir.join("peers/bash-curl"),
    };
    let mut runtimes = runtimes::all(&paths);
    if !args.only.is_empty() {
        runtimes.retain(|r| args.only.iter().any(|id| id == r.id));
    }
    if plan.event_shape != events::Shape::Padded {
        // The typed handlers' struct is the padded event's.
        runtimes.retain(|r| !(r.typed && r.takes(events::Kind::Generated)));
    }
    for runtime in &runtimes {
        if !runtime.program.is_file() {
            eprintln!("harness: {} is missing: run benches/run.sh, which builds it", runtime.program.display());
            std::process::exit(2);
        }
    }
    let scratch = args.benches_dir.join("target/scratch");
    measure::clear_tmp(&scratch);
    let machine = machine::describe(&args.main_dir, &args.benches_dir);
    let started = Instant::now();
    let busyness = machine::Busyness::now(plan.pinned_cpu);

    eprintln!("binary sizes");
    let footprints = runtimes.iter().map(|r| (r.id, binary_size::measure(r, &scratch))).collect();
    eprintln!("cold start ({} spawns of each runtime per repetition)", plan.cold_spawns);
    let cold = measure::cold_starts(&runtimes, &plan, &scratch);
    eprintln!("steady state");
    let steady = measure::steady_state(&runtimes, &plan, &scratch);
    eprintln!("system calls (strace -f -c)");
    let syscalls = syscalls::measure(&runtimes, &plan, &scratch);
    eprintln!("done in {:.0} s\n", started.elapsed().as_secs_f64());

    let others_share = busyness.others_share_since();
    let measurements = report::Measurements { footprints, cold, steady, syscalls };
    let mut results = report::build(&plan, machine, &runtimes, measurements);
    results.duration_s = started.elapsed().as_secs_f64();
    results.other_processes_cpu_share = others_share;
    print!("{}", report::markdown(&results));

    let json = serde_json::to_string_pretty(&results).expect("results serialise");
    if let Err(e) = std::fs::write(&args.out, json + "\n") {
        eprintln!("harness: cannot write {}: {e}", args.out.display());
    } else {
        eprintln!("\nwrote {}", args.out.display());
    }

    if results.mismatches > 0 {
        eprintln!("\nFAILED: {} wrong answers from the runtimes (see above and results.json)", results.mismatches);
    }
    for failure in &results.failures {
        eprintln!("note: {failure}");
    }
    if results.mismatches > 0 {
        std::process::exit(1);
    }
}

/// `--concurrency`: the workers and isolation section alone; writes results-concurrency.json
/// (or `--out`).
fn run_concurrency(args: &Args) {
    let scratch = args.benches_dir.join("target/scratch");
    measure::clear_tmp(&scratch);
    for bin in ["bootstrap", "probe", "probe-isolated"] {
        let path = args.ours_target.join("release").join(bin);
        if !path.is_file() {
            eprintln!("harness: {} is missing: run benches/run.sh --concurrency, which builds it", path.display());
            std::process::exit(2);
        }
    }
    eprintln!("workers and isolation");
    let (results, pinned) = concurrency::measure(&args.ours_target, &scratch, args.quick, !args.no_pin);
    print!("{}", concurrency::markdown(&results, machine::online_cpus(), pinned));
    let out = if args.out.ends_with("results.json") { args.benches_dir.join("results-concurrency.json") } else { args.out.clone() };
    let json = serde_json::to_string_pretty(&results).expect("results serialise");
    match std::fs::write(&out, json + "\n") {
        Ok(()) => eprintln!("\nwrote {}", out.display()),
        Err(e) => eprintln!("harness: cannot write {}: {e}", out.display()),
    }
    if !results.failures.is_empty() {
        std::process::exit(1);
    }
}
