//! SIGTERM and SIGINT, and the shutdown hook (`main!(..., shutdown = bye)`): the `probe-shutdown`
//! bootstrap registers an internal extension with the Runtime API (so that Lambda sends it
//! SIGTERM), finishes the invocation in progress on SIGTERM, runs its hook once in each process
//! that served invocations, and exits 0; a hook that hangs is cut off. A bootstrap without a
//! hook never calls the Extensions API. Local mode stops on SIGTERM and SIGINT, as process 1
//! of a PID namespace too (a container's `docker stop` and Ctrl-C).

use crate::support;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use support::*;

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill(1) runs");
    assert!(status.success(), "kill -{name} {pid} failed");
}

fn shutdown_run(script: Script, env: &[(&str, &str)]) -> Run {
    Run::start(
        &probe_shutdown_program(),
        FakeApi::start(script),
        |addr| addr.to_string(),
        env,
    )
}

/// Waits until the bootstrap waits on `GET /next` with the script used up, and its extension's
/// `event/next` is pending.
fn wait_until_idle(run: &mut Run, nexts: usize) {
    let idle = eventually(WAIT_LIMIT, || {
        let requests = run.api.requests();
        let held = requests.iter().filter(|r| r.route == Route::Next).count();
        let extension = requests.iter().any(|r| r.route == Route::ExtensionNext);
        held >= nexts && extension && run.api.is_holding_next()
    });
    if !idle {
        run.fail("the bootstrap never became idle with its extension registered");
    }
}

fn hook_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("probe: shutdown hook ran in "))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_hook_registers_an_extension_before_the_first_next_and_runs_on_sigterm() {
    let mut run = shutdown_run(Script::new().invocations(events("a", &["count"])), &[]);
    run.wait_for_posts(1);
    wait_until_idle(&mut run, 2);
    let requests = run.api.requests();
    let position = |route: Route| requests.iter().position(|r| r.route == route);
    let register = position(Route::ExtensionRegister).expect("registered");
    let extension_next = position(Route::ExtensionNext).expect("event/next sent");
    let first_next = position(Route::Next).expect("GET /next sent");
    // The register is answered before the bootstrap goes on. (Its event/next is sent before
    // the first /next too, but on another connection, whose thread here may record it later.)
    assert!(
        register < first_next,
        "register before the runtime's first /next:\n{}",
        run.api.diagnostics()
    );
    let register_index = register;
    let register = &requests[register];
    assert_eq!(
        register.header("Lambda-Extension-Name"),
        Some("lambda-bootstrap")
    );
    let body: serde_json::Value = serde_json::from_slice(&register.body).unwrap();
    assert_eq!(body, serde_json::json!({"events": []}));
    assert_eq!(
        requests[extension_next].header("Lambda-Extension-Identifier"),
        Some(EXTENSION_ID)
    );
    // The pending event/next stays on the register's connection, not the runtime's.
    assert_eq!(
        requests[extension_next].connection,
        requests[register_index].connection
    );
    assert_ne!(
        requests[extension_next].connection,
        requests[first_next].connection
    );
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.route == Route::ExtensionRegister)
            .count(),
        1
    );

    signal(run.process.id(), "TERM");
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "{}", run.process.diagnostics());
    let stderr = run.process.stderr();
    let hooks = hook_lines(&stderr);
    assert_eq!(hooks.len(), 1, "the hook runs once:\n{stderr}");
    let pid = run.process.id();
    assert!(
        hooks[0].ends_with(&format!("ran in {pid} after 1 invocations")),
        "{stderr}"
    );
    run.assert_no_violations();
}

#[test]
fn sigint_runs_the_hook_too() {
    let mut run = shutdown_run(Script::new(), &[]);
    wait_until_idle(&mut run, 1);
    signal(run.process.id(), "INT");
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "{}", run.process.diagnostics());
    assert_eq!(hook_lines(&run.process.stderr()).len(), 1);
}

/// The invocation in progress finishes as it would have: the signal does not cut the handler's
/// sleep short (a `nanosleep` interrupted by a signal handler fails with `EINTR` whatever
/// `SA_RESTART` says, so the runtime blocks SIGTERM while a handler runs).
#[test]
fn sigterm_during_an_invocation_answers_it_before_the_hook_runs() {
    const SLEEP_MS: u64 = 2000;
    let mut run = shutdown_run(
        Script::new().invocations(events("slow", &[&format!("sleep:{SLEEP_MS}")])),
        &[],
    );
    let handed_out = eventually(WAIT_LIMIT, || run.api.next_count() >= 1);
    let started = Instant::now();
    assert!(handed_out, "{}", run.api.diagnostics());
    // The invocation is in the handler's hands (it sleeps 2 s).
    thread::sleep(Duration::from_millis(500));
    assert!(run.api.posts().is_empty(), "{}", run.api.diagnostics());
    signal(run.process.id(), "TERM");
    let answered = eventually(WAIT_LIMIT, || !run.api.posts().is_empty());
    let took = started.elapsed();
    assert!(answered, "{}", run.api.diagnostics());
    // `started` is within a poll (10 ms) of the hand-out: the whole sleep ends about this late.
    assert!(
        took >= Duration::from_millis(SLEEP_MS - 100),
        "answered {took:?} after the event was handed out: the {SLEEP_MS} ms sleep was cut short"
    );
    let status = run.wait_for_exit(WAIT_LIMIT);
    assert_eq!(status.code(), Some(0), "{}", run.process.diagnostics());
    let posts = run.api.posts();
    assert_eq!(posts.len(), 1, "{}", run.api.diagnostics());
    assert_eq!(posts[0].route, Route::Response("slow-0".into()));
    assert_eq!(posts[0].body_text(), run.process.id().to_string());
    let stderr = run.process.stderr();
    let hooks = hook_lines(&stderr);
    assert_eq!(hooks.len(), 1, "{stderr}");
    assert!(hooks[0].ends_with("after 1 invocations"), "{stderr}");
}

#[test]
fn a_hook_that_hangs_is_cut_off_with_a_log_line() {
    let mut run = shutdown_run(Script::new(), &[("PROBE_SHUTDOWN_HANG", "1")]);
    wait_until_idle(&mut run, 1);
    signal(run.process.id(), "TERM");
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(1), "{}", run.process.diagnostics());
    let stderr = run.process.stderr();
    assert_eq!(hook_lines(&stderr).len(), 1, "{stderr}");
    assert!(
        stderr.contains("bootstrap: the shutdown hook ran out of time; exiting"),
        "{stderr}"
    );
}

#[test]
fn with_workers_each_runs_the_hook_for_what_it_served_and_the_supervisor_exits_0() {
    let env = [("AWS_LAMBDA_MAX_CONCURRENCY", "2")];
    let mut run = shutdown_run(Script::new(), &env);
    // Both workers wait on GET /next.
    let both = eventually(WAIT_LIMIT, || run.api.next_count() >= 2);
    assert!(both, "{}", run.api.diagnostics());
    let workers: Vec<u32> = children_of(run.process.id())
        .iter()
        .map(|p| p.pid)
        .collect();
    assert_eq!(workers.len(), 2, "{}", run.process.diagnostics());
    signal(run.process.id(), "TERM");
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "{}", run.process.diagnostics());
    let stderr = run.process.stderr();
    let mut ran_in: Vec<u32> = hook_lines(&stderr)
        .iter()
        .map(|l| {
            let pid = l
                .split("ran in ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            pid.parse().unwrap()
        })
        .collect();
    ran_in.sort();
    let mut expected = workers.clone();
    expected.sort();
    assert_eq!(
        ran_in, expected,
        "once in each worker, not in the supervisor:\n{stderr}"
    );
    assert_eq!(
        run.api
            .requests()
            .iter()
            .filter(|r| r.route == Route::ExtensionRegister)
            .count(),
        1,
        "one extension, registered before the workers start"
    );
}

/// With isolation each invocation runs (and counts) in a child that is gone by shutdown: the
/// hook runs in the process that forked them, with the state init left (no invocations).
#[test]
fn with_isolation_the_hook_runs_once_in_the_forking_process() {
    let mut run = Run::start(
        &probe_isolated_shutdown_program(),
        FakeApi::start(Script::new().invocations(events("iso", &["count", "count"]))),
        |addr| addr.to_string(),
        &[],
    );
    let posts = run.wait_for_posts(2);
    assert!(
        posts.iter().all(|p| p.body_text() == "1"),
        "each in a fresh child"
    );
    wait_until_idle(&mut run, 3);
    signal(run.process.id(), "TERM");
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "{}", run.process.diagnostics());
    let stderr = run.process.stderr();
    let hooks = hook_lines(&stderr);
    assert_eq!(hooks.len(), 1, "{stderr}");
    let pid = run.process.id();
    assert!(
        hooks[0].ends_with(&format!("ran in {pid} after 0 invocations")),
        "{stderr}"
    );
}

#[test]
fn without_a_hook_the_extensions_api_is_never_called_and_sigterm_is_not_caught() {
    let mut run = Run::probe(Script::new().invocations(events("a", &["count"])));
    run.wait_for_posts(1);
    let idle = eventually(WAIT_LIMIT, || run.api.is_holding_next());
    assert!(idle, "{}", run.api.diagnostics());
    let extension_calls: Vec<_> = run
        .api
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/extension/"))
        .collect();
    assert!(extension_calls.is_empty(), "{extension_calls:?}");
    signal(run.process.id(), "TERM");
    let status = run.wait_for_exit(EXIT_LIMIT);
    // The default disposition: no handler was installed.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(15), "{}", run.process.diagnostics());
}

fn events(prefix: &str, bodies: &[&str]) -> Vec<Invocation> {
    bodies
        .iter()
        .enumerate()
        .map(|(i, body)| Invocation::new(&format!("{prefix}-{i}"), body.as_bytes()))
        .collect()
}

#[test]
fn local_mode_answers_the_caller_in_flight_runs_the_hook_and_exits_0() {
    let mut server = LocalServer::start(&probe_shutdown_program(), &[]);
    let addr = server.addr;
    let started = Instant::now();
    let caller = thread::spawn(move || {
        let mut client = LocalClient(addr);
        client.invoke(b"sleep:1000")
    });
    // The invocation is running once the server has read it; give it a moment.
    thread::sleep(Duration::from_millis(300));
    signal(server.process.id(), "TERM");
    let answer = caller.join().unwrap();
    assert_eq!(answer.0, 200, "{}", answer.1);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1000),
        "answered after {took:?}: the handler's 1 s sleep was cut short"
    );
    let status = server.process.wait_for_exit(EXIT_LIMIT);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.process.diagnostics()
    );
    let stderr = server.process.stderr();
    let hooks = hook_lines(&stderr);
    assert_eq!(hooks.len(), 1, "{stderr}");
    assert!(
        hooks[0].ends_with("after 1 invocations"),
        "in the server that served it: {stderr}"
    );
    assert_eq!(
        answer.1,
        hooks[0]
            .split("ran in ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
    );
}

/// A caller on another thread: status and body of one invocation.
struct LocalClient(std::net::SocketAddr);

impl LocalClient {
    fn invoke(&mut self, event: &[u8]) -> (u16, String) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(self.0).unwrap();
        stream.set_read_timeout(Some(WAIT_LIMIT)).unwrap();
        let head = format!(
            "POST {INVOKE_PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
            event.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(event).unwrap();
        let mut bytes = vec![];
        stream.read_to_end(&mut bytes).unwrap();
        let answer = Answer::parse(&bytes).unwrap();
        (answer.status, answer.text())
    }
}

/// `unshare --pid --fork`: the bootstrap as process 1 of a new PID namespace, as in a
/// container. Without a handler for it, process 1 never gets SIGTERM or SIGINT.
#[test]
#[cfg_attr(
    missing = "pid-namespace",
    ignore = "cannot start a process in a new PID namespace here (unshare --pid, as root)"
)]
fn local_mode_as_process_1_exits_0_on_sigterm_and_sigint_within_a_second() {
    let Some(pid_1) = pid_namespace() else {
        return;
    };
    for (signal_name, program) in [
        ("TERM", bootstrap_program()),
        ("INT", probe_shutdown_program()),
    ] {
        let mut server = LocalServer::start_wrapped(&pid_1, "127.0.0.1", &program, &[]);
        assert_eq!(server.invoke(b"x").status, 200);
        let unshare = server.process.id();
        let init = children_of(unshare);
        assert_eq!(init.len(), 1, "{}", server.process.diagnostics());
        let sent = Instant::now();
        signal(init[0].pid, signal_name);
        let status = server.process.wait_for_exit(Duration::from_secs(1));
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "SIG{signal_name} to process 1: not ended within a second ({:?})\n{}",
            sent.elapsed(),
            server.process.diagnostics()
        );
        if program == probe_shutdown_program() {
            assert_eq!(hook_lines(&server.process.stderr()).len(), 1);
        }
    }
}

/// A caller that sent half a request (`POST ... HTTP/1.1\r\nContent-Le`) and nothing more does
/// not hold up a stop: its read is cut short, the hook runs, and the bootstrap exits 0 within
/// a second, not after `LAMBDA_LOCAL_CALLER_TIMEOUT` (10 s by default), as before.
#[test]
fn local_mode_exits_on_sigterm_whatever_a_caller_has_half_sent() {
    use std::io::Write;
    let mut server = LocalServer::start(&probe_shutdown_program(), &[]);
    assert_eq!(server.invoke(b"x").status, 200);
    let mut half = server.connect();
    half.write_all(format!("POST {INVOKE_PATH} HTTP/1.1\r\nContent-Le").as_bytes())
        .unwrap();
    // Taken (the bytes arrived, so `TCP_DEFER_ACCEPT` lets it through) and being read.
    thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    signal(server.process.id(), "TERM");
    let status = server.process.wait_for_exit(Duration::from_secs(1));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "not ended within a second of SIGTERM ({:?})\n{}",
        sent.elapsed(),
        server.process.diagnostics()
    );
    assert_eq!(hook_lines(&server.process.stderr()).len(), 1);
    drop(half);
}
