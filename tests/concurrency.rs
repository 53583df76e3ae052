//! Lambda Managed Instances: with `AWS_LAMBDA_MAX_CONCURRENCY=N` the bootstrap forks N
//! workers after init, each with a connection of its own, and supervises them. These tests
//! drive the real `probe` bootstrap against the fake API: that N invocations really overlap,
//! that a crashed worker is replaced, that a 500 ends everything, that the trace id stays out
//! of the shared environment, and that invalid values fall back to one at a time.
//!
//! The fake API's barrier (`FakeApi::release_when_held`) holds `GET /next` requests until N
//! are waiting at once, so "N workers are serving" is observed, not assumed. Every wait is
//! bounded.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::*;

const TRACE_ID: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

fn probe_with_concurrency(n: &str) -> Run {
    Run::probe_with_env(Script::new(), &[("AWS_LAMBDA_MAX_CONCURRENCY", n)])
}

/// Releases `steps` when as many `/next` are held, failing the test with diagnostics if not.
fn release(run: &mut Run, steps: Vec<Step>) -> std::time::Instant {
    match run.api.release_when_held(steps, WAIT_LIMIT) {
        Ok(at) => at,
        Err(message) => run.fail(&message),
    }
}

fn wait_posts(run: &mut Run, count: usize) -> Vec<Request> {
    match run.api.wait_for_posts_while_held(count, WAIT_LIMIT) {
        Ok(posts) => posts,
        Err(message) => run.fail(&message),
    }
}

fn invocations(prefix: &str, events: &[&str]) -> Vec<Step> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| Step::Invoke(Invocation::new(&format!("{prefix}-{i}"), *event)))
        .collect()
}

/// The live children of the bootstrap (its workers), waiting up to `EXIT_LIMIT` for `count`.
fn wait_for_workers(run: &mut Run, count: usize) -> Vec<u32> {
    let pid = run.process.id();
    let live = || -> Vec<u32> {
        children_of(pid)
            .into_iter()
            .filter(|p| p.state != 'Z')
            .map(|p| p.pid)
            .collect()
    };
    if !eventually(EXIT_LIMIT, || live().len() == count) {
        let found = children_of(pid);
        run.fail(&format!("expected {count} live workers, found {found:?}"));
    }
    live()
}

fn pid_of(run: &mut Run, post: &Request) -> u32 {
    match post.body_text().trim().parse() {
        Ok(pid) => pid,
        Err(_) => run.fail(&format!("expected a pid, got {}", post.summary())),
    }
}

#[test]
fn n_workers_serve_n_invocations_at_once() {
    let mut run = probe_with_concurrency("4");
    let workers = wait_for_workers(&mut run, 4);
    let released = release(&mut run, invocations("sleep", &["sleep:300"; 4]));
    let posts = wait_posts(&mut run, 4);
    let last = posts.iter().map(|p| p.received_at).max().unwrap();
    let first = posts.iter().map(|p| p.received_at).min().unwrap();
    // Sequentially the four would take 1.2 s; overlapped, about 0.3 s.
    if last - released >= Duration::from_millis(1000) || last - first >= Duration::from_millis(250)
    {
        run.fail(&format!(
            "the 4 invocations did not overlap: last post {:?} after the release, {:?} between first and last",
            last - released,
            last - first
        ));
    }
    let mut ids = BTreeSet::new();
    let mut pids = BTreeSet::new();
    let mut connections = BTreeSet::new();
    for post in &posts {
        match &post.route {
            Route::Response(id) => ids.insert(id.clone()),
            _ => run.fail(&format!("expected a /response, got {}", post.summary())),
        };
        let pid = pid_of(&mut run, post);
        pids.insert(pid);
        connections.insert(post.connection);
    }
    assert_eq!(ids.len(), 4, "every invocation answered once");
    if pids.len() != 4 || connections.len() != 4 {
        run.fail(&format!(
            "expected 4 pids over 4 connections, got pids {pids:?} over connections {connections:?}"
        ));
    }
    let expected: BTreeSet<u32> = workers.into_iter().collect();
    assert_eq!(
        pids, expected,
        "the invocations ran in the supervisor's 4 workers"
    );
    assert!(
        !pids.contains(&run.process.id()),
        "the supervisor itself serves nothing"
    );
    run.assert_no_violations();
}

#[test]
fn every_worker_keeps_its_connection() {
    let mut run = probe_with_concurrency("2");
    wait_for_workers(&mut run, 2);
    for round in 0..3 {
        release(
            &mut run,
            invocations(&format!("r{round}"), &["sleep:100"; 2]),
        );
        wait_posts(&mut run, 2 * (round + 1));
    }
    let posts = run.api.posts();
    let connections: BTreeSet<usize> = posts.iter().map(|p| p.connection).collect();
    if connections.len() != 2 || run.api.connections() != 2 {
        run.fail(&format!(
            "expected 2 kept-alive connections, posts came over {connections:?}"
        ));
    }
    run.assert_no_violations();
}

#[test]
fn a_crashed_worker_is_replaced() {
    let mut run = probe_with_concurrency("2");
    let before = wait_for_workers(&mut run, 2);
    release(&mut run, invocations("crash", &["crash"]));
    let stderr = "a worker was killed by signal 6; starting another";
    if !eventually(WAIT_LIMIT, || run.process.stderr().contains(stderr)) {
        run.fail(&format!("expected {stderr:?} on stderr"));
    }
    let after = wait_for_workers(&mut run, 2);
    let replaced: Vec<u32> = after
        .iter()
        .filter(|p| !before.contains(p))
        .copied()
        .collect();
    assert_eq!(
        replaced.len(),
        1,
        "one new worker: before {before:?}, after {after:?}"
    );
    // Both workers serve again: two slow invocations overlap, in two processes.
    release(&mut run, invocations("after", &["sleep:200"; 2]));
    let posts = wait_posts(&mut run, 2);
    let pids: BTreeSet<u32> = posts.iter().map(|p| pid_of(&mut run, p)).collect();
    assert_eq!(
        pids,
        after.iter().copied().collect(),
        "served by the survivor and the replacement"
    );
    // The crashed invocation was never answered (its worker died with it).
    assert!(
        posts
            .iter()
            .all(|p| p.route != Route::Response("crash-0".into()))
    );
    // And the pool keeps going.
    release(&mut run, invocations("more", &["count"; 2]));
    wait_posts(&mut run, 4);
    assert!(
        run.process.exit_status().is_none(),
        "the supervisor is still running"
    );
    run.assert_no_violations();
}

#[test]
fn a_panicking_worker_answers_and_is_replaced() {
    let mut run = probe_with_concurrency("2");
    wait_for_workers(&mut run, 2);
    release(&mut run, invocations("panic", &["panic"]));
    let posts = wait_posts(&mut run, 1);
    assert_eq!(
        posts[0].route,
        Route::Error("panic-0".into()),
        "{}",
        posts[0].summary()
    );
    assert_eq!(
        posts[0].header("Lambda-Runtime-Function-Error-Type"),
        Some("Runtime.HandlerPanic")
    );
    let stderr = "a worker exited with status 101; starting another";
    if !eventually(WAIT_LIMIT, || run.process.stderr().contains(stderr)) {
        run.fail(&format!("expected {stderr:?} on stderr"));
    }
    wait_for_workers(&mut run, 2);
    release(&mut run, invocations("after", &["sleep:100"; 2]));
    wait_posts(&mut run, 3);
}

#[test]
fn a_500_ends_the_supervisor_and_every_worker() {
    let mut run = probe_with_concurrency("3");
    let supervisor = run.process.id();
    let workers = wait_for_workers(&mut run, 3);
    let fatal = Invocation::new("fatal", "hello").reply_status(500);
    release(&mut run, vec![Step::Invoke(fatal)]);
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(
        status.code(),
        Some(1),
        "a 500 ends the runtime with status 1"
    );
    // The kernel kills the other workers when the supervisor dies (PR_SET_PDEATHSIG).
    if !eventually(EXIT_LIMIT, || workers.iter().all(|&pid| !is_alive(pid))) {
        let alive: Vec<u32> = workers
            .iter()
            .copied()
            .filter(|&pid| is_alive(pid))
            .collect();
        run.fail(&format!("workers {alive:?} outlived the supervisor"));
    }
    assert!(
        children_of(supervisor).iter().all(|p| p.state == 'Z'),
        "nothing is left under the supervisor"
    );
}

#[test]
fn a_next_error_that_means_exit_ends_everything() {
    // /next answered with 500: the worker that got it exits 1, and with it the runtime.
    let script = Script::new()
        .invoke(Invocation::new("a", "hello"))
        .next_status(500);
    let mut run = Run::probe_with_env(script, &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")]);
    let status = run.wait_for_exit(WAIT_LIMIT);
    assert_eq!(status.code(), Some(1));
    let pid = run.process.id();
    assert!(eventually(EXIT_LIMIT, || children_of(pid)
        .iter()
        .all(|p| p.state == 'Z')));
}

#[test]
fn the_trace_id_reaches_the_context_but_not_the_environment() {
    let mut run = probe_with_concurrency("2");
    wait_for_workers(&mut run, 2);
    let steps = vec![
        Step::Invoke(
            Invocation::new("env", "env:_X_AMZN_TRACE_ID")
                .header("Lambda-Runtime-Trace-Id", TRACE_ID),
        ),
        Step::Invoke(Invocation::new("ctx", "ctx").header("Lambda-Runtime-Trace-Id", TRACE_ID)),
    ];
    release(&mut run, steps);
    let posts = wait_posts(&mut run, 2);
    let body = |id: &str| {
        posts
            .iter()
            .find(|p| p.route == Route::Response(id.into()))
            .map(|p| p.body_text())
            .unwrap_or_else(|| panic!("no response for {id}"))
    };
    assert_eq!(
        body("env"),
        "<unset>",
        "_X_AMZN_TRACE_ID is shared by concurrent invocations: not set"
    );
    assert!(
        body("ctx").contains(&format!("trace_id={TRACE_ID}\n")),
        "{}",
        body("ctx")
    );
}

#[test]
fn invalid_values_serve_one_at_a_time() {
    for value in ["0", "65", "abc", "", "-1", "4x"] {
        let script = Script::new()
            .invocations(
                ["count", "count", "count"]
                    .iter()
                    .enumerate()
                    .map(|(i, e)| Invocation::new(&format!("c{i}"), *e)),
            )
            .invoke(
                Invocation::new("trace", "env:_X_AMZN_TRACE_ID")
                    .header("Lambda-Runtime-Trace-Id", TRACE_ID),
            );
        let mut run = Run::probe_with_env(script, &[("AWS_LAMBDA_MAX_CONCURRENCY", value)]);
        let posts = run.wait_for_posts(4);
        let bodies: Vec<String> = posts.iter().map(|p| p.body_text()).collect();
        // One process served all three (its count grows), and the trace id is exported.
        assert_eq!(
            bodies,
            ["1", "2", "3", TRACE_ID],
            "AWS_LAMBDA_MAX_CONCURRENCY={value:?}"
        );
        let message =
            "AWS_LAMBDA_MAX_CONCURRENCY is not a number from 1 to 64; serving one at a time";
        // The line is written before the first /next, but reaches us through a pipe.
        if !eventually(EXIT_LIMIT, || run.process.stderr().contains(message)) {
            run.fail(&format!("{value:?}: expected {message:?} on stderr"));
        }
        assert!(
            children_of(run.process.id()).is_empty(),
            "{value:?}: no workers"
        );
        assert_eq!(run.api.connections(), 1);
    }
}

#[test]
fn one_and_the_maximum_are_valid() {
    // 1: served in the process itself, no message.
    let script =
        Script::new().invocations((0..3).map(|i| Invocation::new(&format!("c{i}"), "count")));
    let mut run = Run::probe_with_env(script, &[("AWS_LAMBDA_MAX_CONCURRENCY", "1")]);
    let bodies: Vec<String> = run
        .wait_for_posts(3)
        .iter()
        .map(|p| p.body_text())
        .collect();
    assert_eq!(bodies, ["1", "2", "3"]);
    assert!(
        !run.process.stderr().contains("AWS_LAMBDA_MAX_CONCURRENCY"),
        "{}",
        run.process.stderr()
    );
    assert!(children_of(run.process.id()).is_empty());
    drop(run);

    // 64: 64 workers, each waiting on /next over a connection of its own.
    let mut run = probe_with_concurrency("64");
    wait_for_workers(&mut run, 64);
    if let Err(message) = run.api.wait_for_held_nexts(64, WAIT_LIMIT) {
        run.fail(&message);
    }
    assert_eq!(run.api.connections(), 64);
    assert!(
        !run.process.stderr().contains("not a number"),
        "{}",
        run.process.stderr()
    );
}
