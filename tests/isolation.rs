//! Per-invocation isolation (`main!(isolated ...)`): the `probe-isolated` bootstrap runs every
//! invocation in a child forked from the initialised process. These tests drive it against
//! the fake API: each invocation starts from init's state, a crash or a panic fails only its
//! invocation, a 500 still ends the process, nothing leaks over hundreds of invocations, and
//! a child can stream. Every wait is bounded.

use crate::support;

use support::*;

const TRACE_ID: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

fn isolated(script: Script) -> Run {
    isolated_with_env(script, &[])
}

fn isolated_with_env(script: Script, env: &[(&str, &str)]) -> Run {
    Run::start(
        &probe_isolated_program(),
        FakeApi::start(script),
        |addr| addr.to_string(),
        env,
    )
}

fn events(prefix: &str, events: &[&str]) -> Vec<Invocation> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| Invocation::new(&format!("{prefix}-{i}"), *event))
        .collect()
}

fn bodies(posts: &[Request]) -> Vec<String> {
    posts.iter().map(Request::body_text).collect()
}

/// The post must be the `/error` of `id` with this type; returns its message.
fn error_of(run: &mut Run, post: &Request, id: &str, error_type: &str) -> String {
    if post.route != Route::Error(id.into()) {
        run.fail(&format!(
            "expected the /error of {id}, got {}",
            post.summary()
        ));
    }
    let header = post.header("Lambda-Runtime-Function-Error-Type");
    if header != Some(error_type) {
        run.fail(&format!("error type {header:?}, expected {error_type}"));
    }
    match parse_error_body(&post.body) {
        Ok(error) if error.error_type == error_type => error.message,
        Ok(error) => run.fail(&format!(
            "errorType {:?}, expected {error_type}",
            error.error_type
        )),
        Err(problem) => run.fail(&problem),
    }
}

/// Waits until the bootstrap waits on `/next` again (so the last child has been reaped).
fn wait_until_idle(run: &mut Run) {
    if !eventually(WAIT_LIMIT, || run.api.is_holding_next()) {
        run.fail("the bootstrap did not come back to GET /next");
    }
}

#[test]
fn every_invocation_starts_from_the_state_init_left() {
    let mut run = isolated(Script::new().invocations(events("c", &["count"; 5])));
    assert_eq!(bodies(&run.wait_for_posts(5)), ["1"; 5]);
    run.assert_no_violations();
    // The plain probe, for contrast: one process, whose count grows.
    let mut plain = Run::probe(Script::new().invocations(events("c", &["count"; 5])));
    assert_eq!(bodies(&plain.wait_for_posts(5)), ["1", "2", "3", "4", "5"]);
}

#[test]
fn each_invocation_runs_in_a_new_process() {
    let mut run = isolated(Script::new().invocations(events("s", &["sleep:0"; 3])));
    let posts = run.wait_for_posts(3);
    let parent = run.process.id();
    let pids: Vec<u32> = posts
        .iter()
        .map(|p| p.body_text().parse().unwrap())
        .collect();
    assert!(
        pids.iter().all(|&pid| pid != parent),
        "children, not the bootstrap: {pids:?}"
    );
    assert!(
        pids[0] != pids[1] && pids[1] != pids[2],
        "a new child each time: {pids:?}"
    );
    // The children answer on the connection they inherited: one connection in all.
    assert_eq!(run.api.connections(), 1, "{}", run.api.diagnostics());
}

#[test]
fn a_crash_fails_only_its_invocation() {
    let script =
        Script::new().invocations(events("i", &["count", "crash", "count", "crash", "hello"]));
    let mut run = isolated(script);
    let posts = run.wait_for_posts(5);
    assert_eq!(posts[0].body_text(), "1");
    for (post, id) in [(&posts[1], "i-1"), (&posts[3], "i-3")] {
        let message = error_of(&mut run, post, id, "Runtime.HandlerCrashed");
        assert_eq!(message, "the handler's process was killed by signal 6");
    }
    assert_eq!(posts[2].route, Route::Response("i-2".into()));
    assert_eq!(posts[2].body_text(), "1");
    assert_eq!(posts[4].route, Route::Response("i-4".into()));
    assert_eq!(posts[4].body_text(), "hello");
    assert!(eventually(EXIT_LIMIT, || run
        .process
        .stderr()
        .contains("the invocation's process was killed by signal 6")));
    assert!(
        run.process.exit_status().is_none(),
        "the bootstrap survives its handler's crashes"
    );
    run.assert_no_violations();
}

#[test]
fn a_panic_is_posted_by_the_child_and_the_loop_goes_on() {
    let script =
        Script::new().invocations(events("p", &["count", "panic", "count", "panic", "count"]));
    let mut run = isolated(script);
    let posts = run.wait_for_posts(5);
    for (post, id) in [(&posts[1], "p-1"), (&posts[3], "p-3")] {
        let message = error_of(&mut run, post, id, "Runtime.HandlerPanic");
        assert!(message.contains("probe panic"), "{message}");
    }
    assert_eq!(
        bodies(&[posts[0].clone(), posts[2].clone(), posts[4].clone()]),
        ["1"; 3]
    );
    // The panic handler posts on a connection of its own; the parent's stays in use.
    let main = posts[0].connection;
    assert!(
        posts[1].connection != main && posts[3].connection != main,
        "{}",
        run.api.diagnostics()
    );
    assert!(
        posts[2].connection == main && posts[4].connection == main,
        "{}",
        run.api.diagnostics()
    );
    // Exactly one error per panicking invocation: the parent does not post a second.
    assert_eq!(run.api.posts().len(), 5);
    assert!(run.process.exit_status().is_none());
    run.assert_no_violations();
}

#[test]
fn a_500_still_ends_the_process() {
    let script = Script::new()
        .invoke(Invocation::new("ok", "count"))
        .invoke(Invocation::new("fatal", "count").reply_status(500))
        .invoke(Invocation::new("never", "count"));
    let mut run = isolated(script);
    let status = run.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(1));
    assert_eq!(run.api.steps_left(), 1, "nothing is fetched after the 500");
    assert!(children_of(run.process.id()).is_empty());
}

#[test]
fn a_500_to_a_crash_report_ends_the_process() {
    let script = Script::new()
        .invoke(Invocation::new("crash", "crash").reply_status(500))
        .invoke(Invocation::new("never", "count"));
    let mut run = isolated(script);
    assert_eq!(run.wait_for_exit(EXIT_LIMIT).code(), Some(1));
    assert_eq!(run.api.steps_left(), 1);
}

#[test]
fn a_connection_the_child_was_told_to_close_is_replaced() {
    // The child reads `Connection: close` (or finds the socket gone) and closes its copy; the
    // parent's copy still looks open. The next /next must still get through.
    let script = Script::new()
        .invoke(Invocation::new("a", "count").then(AfterReply::ConnectionClose))
        .invoke(Invocation::new("b", "count").then(AfterReply::AbruptClose))
        .invoke(Invocation::new("c", "count"))
        .invoke(Invocation::new("d", "count"));
    let mut run = isolated(script);
    let posts = run.wait_for_posts(4);
    let routes: Vec<Route> = posts.iter().map(|p| p.route.clone()).collect();
    assert_eq!(
        routes,
        ["a", "b", "c", "d"].map(|id| Route::Response(id.into())),
        "{}",
        run.api.diagnostics()
    );
    assert_eq!(bodies(&posts), ["1"; 4]);
    run.assert_no_violations();
}

#[test]
fn the_trace_id_is_exported_to_the_child() {
    let script = Script::new()
        .invoke(
            Invocation::new("t", "env:_X_AMZN_TRACE_ID")
                .header("Lambda-Runtime-Trace-Id", TRACE_ID),
        )
        .invoke(Invocation::new("u", "env:_X_AMZN_TRACE_ID"));
    let mut run = isolated(script);
    let posts = run.wait_for_posts(2);
    assert_eq!(posts[0].body_text(), TRACE_ID);
    assert_eq!(posts[1].body_text(), "<unset>");
}

#[test]
fn no_zombie_or_descriptor_leaks_over_200_invocations() {
    let script = Script::new().invocations(events("warm", &["count"; 3]));
    let mut run = isolated(script);
    run.wait_for_posts(3);
    wait_until_idle(&mut run);
    let pid = run.process.id();
    let fds_before = run.process.open_fds().expect("the bootstrap is running");
    let events: Vec<&str> = (0..200)
        .map(|i| ["count", "crash", "panic", "error:x", "big:70000"][i % 5])
        .collect();
    for invocation in self::events("n", &events) {
        run.api.push(Step::Invoke(invocation));
    }
    let posts = run
        .api
        .wait_for_posts_while_held(203, WAIT_LIMIT)
        .unwrap_or_else(|m| run.fail(&m));
    wait_until_idle(&mut run);
    let counts = posts.iter().filter(|p| p.body_text() == "1").count();
    assert_eq!(counts, 3 + 40, "every `count` answered 1");
    let crashed = posts
        .iter()
        .filter(|p| {
            p.header("Lambda-Runtime-Function-Error-Type") == Some("Runtime.HandlerCrashed")
        })
        .count();
    assert_eq!(crashed, 40);
    let fds_after = run.process.open_fds().expect("the bootstrap is running");
    assert_eq!(fds_after, fds_before, "descriptors leaked");
    let children = children_of(pid);
    assert!(
        children.is_empty(),
        "children left behind (zombies or not): {children:?}"
    );
    run.assert_no_violations();
}

fn pattern_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn a_child_streams_its_response() {
    let script = Script::new()
        .invoke(Invocation::new("s", "stream:100000:4096"))
        .invoke(Invocation::new("after", "count"));
    let mut run = isolated(script);
    let posts = run.wait_for_posts(2);
    let stream = &posts[0];
    assert_eq!(stream.route, Route::Response("s".into()));
    assert!(
        stream.is_streamed() && stream.chunked,
        "{}",
        stream.summary()
    );
    assert_eq!(stream.body, pattern_bytes(100_000));
    assert_eq!(stream.header("Content-Type"), Some("text/plain"));
    assert!(stream.trailers.is_empty(), "{}", stream.summary());
    assert_eq!(posts[1].body_text(), "1");
    run.assert_no_violations();
}

#[test]
fn a_panic_mid_stream_is_reported_in_the_trailers() {
    let script = Script::new()
        .invoke(Invocation::new("p", "stream-panic:10000"))
        .invoke(Invocation::new("after", "count"));
    let mut run = isolated(script);
    let posts = run.wait_for_posts(2);
    assert_eq!(posts[0].route, Route::Response("p".into()));
    assert_eq!(
        posts[0].trailer("Lambda-Runtime-Function-Error-Type"),
        Some("Runtime.HandlerPanic"),
        "{}",
        posts[0].summary()
    );
    assert_eq!(posts.last().unwrap().body_text(), "1");
    run.assert_no_violations();
}

#[test]
fn a_crash_mid_stream_is_reported_on_a_fresh_connection() {
    // The child dies with its streamed response half sent on the connection it shares with
    // the parent: the parent must not write its /error into the middle of that chunked body.
    let script = Script::new()
        .invoke(Invocation::new("sc", "stream-crash:10000"))
        .invoke(Invocation::new("after", "count"));
    let mut run = isolated(script);
    let posts = run.wait_for_posts(1);
    let error = posts
        .iter()
        .find(|p| p.route == Route::Error("sc".into()))
        .cloned();
    let Some(error) = error else {
        run.fail("the crash mid-stream was not reported as an /error")
    };
    let message = error_of(&mut run, &error, "sc", "Runtime.HandlerCrashed");
    assert_eq!(message, "the handler's process was killed by signal 6");
    let posts = run.wait_for_posts(2);
    assert_eq!(
        posts.last().unwrap().route,
        Route::Response("after".into()),
        "{}",
        run.api.diagnostics()
    );
    assert_eq!(posts.last().unwrap().body_text(), "1");
    run.assert_no_violations();
}

#[test]
fn isolation_and_workers_combine() {
    let mut run = isolated_with_env(Script::new(), &[("AWS_LAMBDA_MAX_CONCURRENCY", "2")]);
    let supervisor = run.process.id();
    if !eventually(EXIT_LIMIT, || children_of(supervisor).len() == 2) {
        run.fail("expected 2 workers");
    }
    let steps: Vec<Step> = events("w", &["count", "crash"])
        .into_iter()
        .map(Step::Invoke)
        .collect();
    if let Err(message) = run.api.release_when_held(steps, WAIT_LIMIT) {
        run.fail(&message);
    }
    let posts = run
        .api
        .wait_for_posts_while_held(2, WAIT_LIMIT)
        .unwrap_or_else(|m| run.fail(&m));
    let crash = posts
        .iter()
        .find(|p| p.route == Route::Error("w-1".into()))
        .expect("the crash is reported");
    assert_eq!(
        crash.header("Lambda-Runtime-Function-Error-Type"),
        Some("Runtime.HandlerCrashed")
    );
    // The worker survived its invocation's crash: no replacement was needed.
    assert!(
        !run.process.stderr().contains("a worker was killed"),
        "{}",
        run.process.stderr()
    );
    let steps: Vec<Step> = events("x", &["count"; 2])
        .into_iter()
        .map(Step::Invoke)
        .collect();
    if let Err(message) = run.api.release_when_held(steps, WAIT_LIMIT) {
        run.fail(&message);
    }
    let posts = run
        .api
        .wait_for_posts_while_held(4, WAIT_LIMIT)
        .unwrap_or_else(|m| run.fail(&m));
    assert!(posts[2..].iter().all(|p| p.body_text() == "1"));
}
