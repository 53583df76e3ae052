//! Exec mode (`bootstrap-exec`, src/exec/): the bootstrap runs a `/bin/sh` script per
//! invocation against the fake Runtime API. Each test writes its scripts to a directory of
//! its own and names the program in `_HANDLER` (relative to `LAMBDA_TASK_ROOT`) or as the
//! bootstrap's argument; every failure is followed by an invocation that must be served.

use crate::support;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// Under qemu's user-mode emulation (the arm64 tests), a vfork-style `clone` becomes a plain
/// fork, so a failed exec cannot report its errno, and the tests that start the bootstrap
/// themselves would need the emulator too: exec mode is tested natively (x86_64) only.
fn emulated() -> bool {
    let emulated = runner().is_some();
    if emulated {
        skip::not_applicable("exec mode is not tested under an emulator (see emulated())");
    }
    emulated
}

fn exec_program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bootstrap-exec"))
}

/// Lambda's limit on a buffered response, the size of the runtime's response buffer.
const MAX_RESPONSE: usize = 6 * 1024 * 1024;
/// Linux's limit on one argument, NUL included.
const MAX_ARG_STRLEN: usize = 131_072;

/// A directory for one test's scripts, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("lambda-exec-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// Writes an executable `/bin/sh` script.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        self.file(name, &format!("#!/bin/sh\n{body}\n"), 0o755)
    }

    fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `bootstrap-exec` running `dir/handler` (through `_HANDLER` and `LAMBDA_TASK_ROOT`).
fn run(dir: &Dir, handler: &str, script: Script, env: &[(&str, &str)]) -> Run {
    let mut full_env = vec![
        ("_HANDLER", handler),
        ("LAMBDA_TASK_ROOT", dir.path()),
        ("PATH", "/usr/bin:/bin"),
    ];
    full_env.extend_from_slice(env);
    Run::start(
        &exec_program(),
        FakeApi::start(script),
        |addr| addr.to_string(),
        &full_env,
    )
}

fn expect_response(run: &mut Run, post: &Request, request_id: &str, body: &[u8]) {
    if post.route != Route::Response(request_id.into()) || post.body != body {
        let expected = if body.len() <= 200 {
            format!("{:?}", String::from_utf8_lossy(body))
        } else {
            format!("{} bytes", body.len())
        };
        run.fail(&format!(
            "expected the /response of {request_id} with {expected}, got {}",
            post.summary()
        ));
    }
}

/// Checks an error post's route, type header and JSON body; returns the message.
fn expect_error(run: &mut Run, post: &Request, route: Route, error_type: &str) -> String {
    let header = post.header("Lambda-Runtime-Function-Error-Type");
    match parse_error_body(&post.body) {
        Ok(error)
            if post.route == route
                && header == Some(error_type)
                && error.error_type == error_type =>
        {
            error.message
        }
        _ => run.fail(&format!(
            "expected a {route:?} post of type {error_type}, got {}",
            post.summary()
        )),
    }
}

/// A deadline `ms` from now, in Unix epoch milliseconds.
fn deadline_in(ms: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (now.as_millis() + u128::from(ms)).to_string()
}

fn ascii_event(len: usize, seed: u64) -> Vec<u8> {
    Rng::new(seed)
        .bytes(len)
        .into_iter()
        .map(|b| b' ' + b % 95)
        .collect()
}

#[test]
fn the_event_is_on_stdin_and_in_the_first_argument_when_it_fits() {
    if emulated() {
        return;
    }
    let dir = Dir::new("event");
    dir.script("handler.sh", r#"printf '%s\n%s\n' "$#" "$1"; cat"#);
    let json = br#"{"name": "Ada \"Lovelace\"", "shell": "$HOME `id` $(id) *", "n": 1}
"#
    .to_vec();
    let longest = ascii_event(MAX_ARG_STRLEN - 1, 1);
    let too_long = ascii_event(MAX_ARG_STRLEN, 2);
    let mib = ascii_event(1024 * 1024, 3);
    let with_nul = b"binary\0event".to_vec();
    let events = [&json, &vec![], &longest, &too_long, &mib, &with_nul];
    let script = Script::new().invocations(
        events
            .iter()
            .enumerate()
            .map(|(i, e)| Invocation::new(&format!("ev-{i}"), e.to_vec())),
    );
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(events.len());
    let as_argument = |event: &[u8]| [b"1\n", event, b"\n", event].concat();
    let on_stdin_only = |event: &[u8]| [b"0\n\n", event].concat();
    expect_response(&mut run, &posts[0], "ev-0", &as_argument(&json));
    expect_response(&mut run, &posts[1], "ev-1", &as_argument(b""));
    expect_response(&mut run, &posts[2], "ev-2", &as_argument(&longest));
    expect_response(&mut run, &posts[3], "ev-3", &on_stdin_only(&too_long));
    expect_response(&mut run, &posts[4], "ev-4", &on_stdin_only(&mib));
    expect_response(&mut run, &posts[5], "ev-5", &on_stdin_only(&with_nul));
    run.assert_no_violations();
}

#[test]
fn a_response_of_exactly_6_mib_and_one_byte_more() {
    if emulated() {
        return;
    }
    let dir = Dir::new("large");
    dir.script(
        "handler.sh",
        r#"case "$1" in endless) exec cat /dev/zero ;; *) exec head -c "$1" /dev/zero ;; esac"#,
    );
    let script = Script::new()
        .invoke(Invocation::new("big-1", MAX_RESPONSE.to_string()))
        .invoke(Invocation::new("big-2", (MAX_RESPONSE + 1).to_string()))
        .invoke(Invocation::new("big-3", "endless"))
        .invoke(Invocation::new("big-4", "5"));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(4);
    expect_response(&mut run, &posts[0], "big-1", &vec![0; MAX_RESPONSE]);
    for (post, id) in [(&posts[1], "big-2"), (&posts[2], "big-3")] {
        let message = expect_error(
            &mut run,
            post,
            Route::Error(id.into()),
            "Runtime.ResponseTooLarge",
        );
        assert!(
            message.starts_with("wrote more than 6291456 bytes to stdout"),
            "{message}"
        );
    }
    expect_response(&mut run, &posts[3], "big-4", &[0; 5]);
    run.assert_no_violations();
}

#[test]
fn a_failing_program_reports_its_status_or_signal_and_the_end_of_its_stderr() {
    if emulated() {
        return;
    }
    let dir = Dir::new("failure");
    dir.script(
        "handler.sh",
        r#"case "$1" in
fail)
    echo "first line of stderr" >&2
    i=0; while [ $i -lt 800 ]; do echo "progress line $i" >&2; i=$((i+1)); done
    printf 'partial output'
    echo "the last words" >&2
    exit 3 ;;
signal) echo "about to die" >&2; kill -KILL $$ ;;
*) printf 'ok:%s' "$1" ;;
esac"#,
    );
    let script = Script::new()
        .invoke(Invocation::new("f-1", "fail"))
        .invoke(Invocation::new("f-2", "after-fail"))
        .invoke(Invocation::new("f-3", "signal"))
        .invoke(Invocation::new("f-4", "after-signal"));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(4);
    let message = expect_error(
        &mut run,
        &posts[0],
        Route::Error("f-1".into()),
        "Function.ExitStatus",
    );
    assert!(
        message.starts_with("exited with status 3; stderr (last "),
        "{message}"
    );
    assert!(
        message.ends_with("progress line 799\nthe last words"),
        "{message}"
    );
    assert!(
        !message.contains("first line") && message.len() <= 4096,
        "only the end fits: {message}"
    );
    expect_response(&mut run, &posts[1], "f-2", b"ok:after-fail");
    let message = expect_error(
        &mut run,
        &posts[2],
        Route::Error("f-3".into()),
        "Function.Signal",
    );
    assert_eq!(
        message,
        "killed by signal 9 (SIGKILL); stderr: about to die"
    );
    expect_response(&mut run, &posts[3], "f-4", b"ok:after-signal");
    let log = run.process.stderr();
    assert!(
        log.contains("first line of stderr\nprogress line 0\n"),
        "all of stderr goes to the log:\n{log}"
    );
    run.assert_no_violations();
}

#[test]
fn at_the_deadline_the_program_and_its_children_are_killed() {
    if emulated() {
        return;
    }
    let dir = Dir::new("timeout");
    let pid_file = dir.0.join("pids");
    dir.script(
        "handler.sh",
        r#"case "$1" in
sleep) sleep 20 & echo "$$ $!" > "$PID_FILE"; echo "sleeping" >&2; sleep 20 ;;
*) printf 'ok:%s' "$1" ;;
esac"#,
    );
    let started = Instant::now();
    let script = Script::new()
        .invoke(
            Invocation::bare("t-1", "sleep")
                .header("Lambda-Runtime-Deadline-Ms", &deadline_in(1500)),
        )
        .invoke(Invocation::new("t-2", "after-timeout"))
        .invoke(Invocation::bare("t-3", "late").header(
            "Lambda-Runtime-Deadline-Ms",
            &(deadline_in(0).parse::<u64>().unwrap() - 1000).to_string(),
        ));
    let mut run = run(
        &dir,
        "handler.sh",
        script,
        &[("PID_FILE", pid_file.to_str().unwrap())],
    );
    let posts = run.wait_for_posts(1);
    let elapsed = started.elapsed();
    // Lambda's own type and words (the time from the event's arrival to its deadline).
    let message = expect_error(
        &mut run,
        &posts[0],
        Route::Error("t-1".into()),
        "Sandbox.Timedout",
    );
    let seconds = message
        .strip_prefix("RequestId: t-1 Error: Task timed out after ")
        .and_then(|rest| rest.strip_suffix(" seconds; stderr: sleeping"))
        .unwrap_or_else(|| panic!("{message}"));
    let seconds: f64 = seconds.parse().unwrap();
    assert!(
        (1.0..=1.5).contains(&seconds) && seconds.to_string().len() <= 4,
        "{message}"
    );
    // The log line may follow the post by a moment: wait for it, boundedly.
    let line = format!("t-1 Task timed out after {seconds:.2} seconds\n");
    let said = (0..100).any(|_| {
        let said = run.process.stderr().contains(&line);
        if !said {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        said
    });
    assert!(said, "the log says it as Lambda does");
    assert!(
        elapsed >= Duration::from_millis(1300) && elapsed < Duration::from_millis(4500),
        "the error came {elapsed:?} after a deadline 1.5 s ahead"
    );
    let pids = std::fs::read_to_string(&pid_file).unwrap();
    let pids: Vec<u32> = pids
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let gone_by = Instant::now() + Duration::from_secs(3);
    while pids.iter().any(|&pid| is_alive(pid)) {
        assert!(
            Instant::now() < gone_by,
            "the script or its background sleep ({pids:?}) still runs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let posts = run.wait_for_posts(3);
    expect_response(&mut run, &posts[1], "t-2", b"ok:after-timeout");
    let message = expect_error(
        &mut run,
        &posts[2],
        Route::Error("t-3".into()),
        "Sandbox.Timedout",
    );
    assert_eq!(
        message,
        "RequestId: t-3 Error: Task timed out after 0.00 seconds; the deadline had passed before the program could start"
    );
    run.assert_no_violations();
}

#[test]
fn a_missing_or_unrunnable_program_is_an_init_error() {
    if emulated() {
        return;
    }
    let dir = Dir::new("init");
    dir.file("plain.sh", "#!/bin/sh\necho hi\n", 0o644);
    std::fs::create_dir_all(dir.0.join("folder")).unwrap();
    let cases: [(Option<&str>, &str, String); 4] = [
        (
            None,
            "Runtime.HandlerNotFound",
            "no program to run: name it as the bootstrap's first argument".into(),
        ),
        (
            Some("missing.sh"),
            "Runtime.HandlerNotFound",
            format!("{}/missing.sh does not exist", dir.path()),
        ),
        (
            Some("plain.sh"),
            "Runtime.HandlerNotExecutable",
            format!("{}/plain.sh is not executable: ", dir.path()),
        ),
        (
            Some("folder"),
            "Runtime.HandlerNotExecutable",
            format!("{}/folder is not a regular file", dir.path()),
        ),
    ];
    for (handler, error_type, start) in cases {
        let script = Script::new().invoke(Invocation::new("never", "{}"));
        let env = [("LAMBDA_TASK_ROOT", dir.path())];
        let mut run = match handler {
            Some(handler) => run(&dir, handler, script, &[]),
            None => Run::start(
                &exec_program(),
                FakeApi::start(script),
                |addr| addr.to_string(),
                &env,
            ),
        };
        let posts = run.wait_for_posts(1);
        let message = expect_error(&mut run, &posts[0], Route::InitError, error_type);
        assert!(message.starts_with(&start), "{handler:?}: {message}");
        let status = run.wait_for_exit(EXIT_LIMIT);
        assert_eq!(status.code(), Some(1), "{handler:?}");
        assert_eq!(
            run.api.next_count(),
            0,
            "{handler:?}: no /next after a failed init"
        );
    }
}

#[test]
fn a_program_that_cannot_be_executed_fails_each_invocation_clearly() {
    if emulated() {
        return;
    }
    let dir = Dir::new("noexec");
    dir.file("handler.sh", "#!/nonexistent/interpreter\necho hi\n", 0o755);
    let script = Script::new()
        .invoke(Invocation::new("x-1", "a"))
        .invoke(Invocation::new("x-2", "b"));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(2);
    for (post, id) in posts.iter().zip(["x-1", "x-2"]) {
        let message = expect_error(
            &mut run,
            post,
            Route::Error(id.into()),
            "Runtime.ExecFailed",
        );
        assert_eq!(
            message,
            format!(
                "cannot execute {}/handler.sh: No such file or directory \
                 (the program, or the interpreter its #! line names)",
                dir.path()
            )
        );
    }
    run.assert_no_violations();
}

/// A directory holding only a link to `cat`: a `PATH` without bash, for the `sh` fallback.
fn path_without_bash(dir: &Dir) -> String {
    let bin = dir.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("/bin/cat", bin.join("cat")).unwrap();
    assert!(!bin.join("bash").exists());
    bin.to_str().unwrap().to_string()
}

/// A file without `#!`, executable or not, runs with bash where `PATH` has it (as bash runs
/// such files, and bash bootstraps ran them), else with `/bin/sh` (as `execvp` does); as
/// bash bootstraps' `$(...)` did, trailing newlines leave its output.
#[test]
fn a_script_without_a_shebang_line_runs_with_bash_or_sh() {
    if emulated() {
        return;
    }
    let dir = Dir::new("noshebang");
    let body = "printf '%s ran %s with %s\\n\\n' \"${BASH_VERSION:+bash}${BASH_VERSION:-sh}\" \"$0\" \"$1\"\n";
    dir.file("handler", body, 0o755);
    dir.file("plain", body, 0o644);
    let no_bash = path_without_bash(&dir);
    for (program, path, shell) in [
        ("handler", "/usr/bin:/bin", "bash"),
        ("plain", "/usr/bin:/bin", "bash"),
        ("plain", &no_bash, "sh"),
    ] {
        let mut run = run(
            &dir,
            program,
            Script::new().invoke(Invocation::new("s-1", "it")),
            &[("PATH", path)],
        );
        let posts = run.wait_for_posts(1);
        let text = posts[0].body_text();
        let expected = format!(" ran {}/{program} with it", dir.path());
        assert!(
            text.starts_with(shell) && text.ends_with(&expected),
            "{program} with PATH={path}: {text:?}"
        );
        assert!(
            !text.starts_with("bash") || text.len() > "bash".len() + expected.len(),
            "bash's version: {text:?}"
        );
        run.assert_no_violations();
    }
}

/// AWS's custom-runtime tutorial, unchanged: `_HANDLER=function.handler` names the function
/// `handler` in `function.sh`, a file without `#!` that is not executable; its bootstrap
/// sources it and posts `$(handler "$EVENT_DATA")`.
const TUTORIAL_FUNCTION_SH: &str = r#"function handler () {
  EVENT_DATA=$1

  RESPONSE="Echoing request: '$EVENT_DATA'"
  echo $RESPONSE
}
"#;

#[test]
fn the_tutorials_function_sh_runs_unchanged() {
    if emulated() {
        return;
    }
    let dir = Dir::new("tutorial");
    dir.file("function.sh", TUTORIAL_FUNCTION_SH, 0o644);
    let small = br#"{"key1":"value1","key2":"value2","key3":"value3"}"#.to_vec();
    // Too large to be an argument: the shell reads it from stdin and passes it as $1.
    let large = [
        &br#"{"text":""#[..],
        &ascii_event(300 * 1024, 7)
            .iter()
            .map(|&b| {
                if b == b' ' || b == b'*' || b == b'?' || b == b'[' {
                    b'_'
                } else {
                    b
                }
            })
            .collect::<Vec<u8>>(),
        b"\"}",
    ]
    .concat();
    let script = Script::new()
        .invoke(Invocation::new("tut-1", small.clone()))
        .invoke(Invocation::new("tut-2", large.clone()));
    let mut run = run(&dir, "function.handler", script, &[]);
    let posts = run.wait_for_posts(2);
    let echoed = |event: &[u8]| [&b"Echoing request: '"[..], event, b"'"].concat();
    expect_response(&mut run, &posts[0], "tut-1", &echoed(&small));
    expect_response(&mut run, &posts[1], "tut-2", &echoed(&large));
    let log = run.process.stderr();
    assert!(
        log.contains(&format!(
            "calling shell function handler of {}/function.sh with ",
            dir.path()
        )),
        "{log}"
    );
    run.assert_no_violations();
}

/// The function form where there is no bash: `/bin/sh` sources the file. The function gets
/// the event as `$1` at any size, and on stdin too when it was an argument.
#[test]
fn a_function_handler_runs_with_sh_where_there_is_no_bash() {
    if emulated() {
        return;
    }
    let dir = Dir::new("function-sh");
    std::fs::create_dir_all(dir.0.join("lib")).unwrap();
    dir.file(
        "lib/app.sh",
        "greeting=hello\nrespond() {\n  printf '%s %s %s|%s|' \"${BASH_VERSION:-sh}\" \"$greeting\" \"$#\" \"$1\"\n  cat\n}\n",
        0o644,
    );
    let large = ascii_event(200 * 1024, 8);
    let script = Script::new()
        .invoke(Invocation::new("fsh-1", "small"))
        .invoke(Invocation::new("fsh-2", large.clone()));
    let no_bash = path_without_bash(&dir);
    let mut run = run(&dir, "lib/app.respond", script, &[("PATH", &no_bash)]);
    let posts = run.wait_for_posts(2);
    expect_response(&mut run, &posts[0], "fsh-1", b"sh hello 1|small|small");
    expect_response(
        &mut run,
        &posts[1],
        "fsh-2",
        &[&b"sh hello 1|"[..], &large, b"|"].concat(),
    );
    run.assert_no_violations();
}

/// The function form never answers with another event than it was given: an event with a NUL
/// byte, which no shell string holds (and which `$(cat)` would drop), is refused as the program
/// form refuses it, without calling the function; one too large to be an argument reaches the
/// function whole, its trailing newlines too (which `$(cat)` alone drops); any other byte
/// passes as it is. With bash and with sh.
#[test]
fn a_function_handler_never_answers_with_a_changed_event() {
    if emulated() {
        return;
    }
    let dir = Dir::new("function-bytes");
    dir.file("echo.sh", "reply() {\n  printf '%s|' \"$1\"\n}\n", 0o644);
    let with_nul = b"{\"a\":\"x\0y\"}\0\xff".to_vec();
    let large = [&ascii_event(MAX_ARG_STRLEN, 10)[..], b"\n\n"].concat();
    let small = b"{\"b\":\"\xff\xfe\"}\n\n".to_vec();
    for path in ["/usr/bin:/bin", &path_without_bash(&dir)] {
        let script = Script::new()
            .invoke(Invocation::new("fb-1", with_nul.clone()))
            .invoke(Invocation::new("fb-2", large.clone()))
            .invoke(Invocation::new("fb-3", small.clone()));
        let mut run = run(&dir, "echo.reply", script, &[("PATH", path)]);
        let posts = run.wait_for_posts(3);
        let message = expect_error(
            &mut run,
            &posts[0],
            Route::Error("fb-1".into()),
            "Runtime.EventTooLargeForArgument",
        );
        assert!(
            message.starts_with(&format!(
                "the event ({} bytes) has a NUL byte, which a shell function's $1 cannot hold, so the function was not called",
                with_nul.len()
            )),
            "{message}"
        );
        expect_response(&mut run, &posts[1], "fb-2", &[&large[..], b"|"].concat());
        expect_response(&mut run, &posts[2], "fb-3", &[&small[..], b"|"].concat());
        let log = run.process.stderr();
        assert!(!log.contains("null byte"), "the shell saw the NUL: {log}");
        run.assert_no_violations();
    }
}

#[test]
fn a_function_handler_whose_file_is_missing_is_an_init_error() {
    if emulated() {
        return;
    }
    let dir = Dir::new("function-missing");
    let script = Script::new().invoke(Invocation::new("never", "{}"));
    let mut run = run(&dir, "function.handler", script, &[]);
    let posts = run.wait_for_posts(1);
    let message = expect_error(
        &mut run,
        &posts[0],
        Route::InitError,
        "Runtime.HandlerNotFound",
    );
    let dir = dir.path();
    assert_eq!(
        message,
        format!(
            "{dir}/function.handler does not exist, nor does {dir}/function.sh (for the file.function form: the shell function in file.sh)"
        )
    );
    assert_eq!(run.wait_for_exit(EXIT_LIMIT).code(), Some(1));
}

/// The classic article's bootstrap ran `RESPONSE=$(bash $LAMBDA_TASK_ROOT/$_HANDLER $EVENT_DATA)`:
/// the script, neither executable nor with `#!`, got the event as its arguments, split into
/// words. It runs unchanged: with bash, the whole event as `$1` (so `$*` is the event too),
/// and its output without the trailing newline, as `$(...)` gave it.
#[test]
fn a_script_for_the_classic_bash_bootstrap_runs_unchanged() {
    if emulated() {
        return;
    }
    let dir = Dir::new("classic");
    dir.file(
        "handler.sh",
        "EVENT=\"$*\"\necho \"{\\\"received\\\": $EVENT, \\\"words\\\": $#}\"\n",
        0o644,
    );
    let script = Script::new().invoke(Invocation::new("cl-1", r#"{"name": "Ada", "n": 1}"#));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(1);
    expect_response(
        &mut run,
        &posts[0],
        "cl-1",
        br#"{"received": {"name": "Ada", "n": 1}, "words": 1}"#,
    );
    run.assert_no_violations();
}

/// A script that reads its event from `$1` gets none when the event is too large to be an
/// argument (or has a NUL byte); having read nothing from stdin either, it never saw the
/// event, so its answer is not posted as a response but as a clear error.
#[test]
fn a_program_that_never_sees_its_event_fails_clearly() {
    if emulated() {
        return;
    }
    let dir = Dir::new("unseen");
    dir.script("handler.sh", r#"printf '{"got":"%s"}' "$1""#);
    let too_long = ascii_event(MAX_ARG_STRLEN, 9);
    let script = Script::new()
        .invoke(Invocation::new("u-1", too_long))
        .invoke(Invocation::new("u-2", b"a\0b".to_vec()))
        .invoke(Invocation::new("u-3", "small"));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(3);
    let message = expect_error(
        &mut run,
        &posts[0],
        Route::Error("u-1".into()),
        "Runtime.EventTooLargeForArgument",
    );
    assert!(message.starts_with("the event (131072 bytes) is too large to be an argument (at most 131071 bytes), so the program got no $1, and it exited with status 0 without reading the event from its stdin"), "{message}");
    let message = expect_error(
        &mut run,
        &posts[1],
        Route::Error("u-2".into()),
        "Runtime.EventTooLargeForArgument",
    );
    assert!(
        message.starts_with("the event (3 bytes) has a NUL byte"),
        "{message}"
    );
    expect_response(&mut run, &posts[2], "u-3", br#"{"got":"small"}"#);
    run.assert_no_violations();
}

#[test]
fn a_program_that_closes_stdout_early_is_read_to_its_exit() {
    if emulated() {
        return;
    }
    let dir = Dir::new("closes");
    dir.script(
        "handler.sh",
        r#"case "$1" in
close) printf 'partial'; exec 1>&-; sleep 0.3; echo "exiting" >&2 ;;
close-all) exec 1>&- 2>&-; sleep 0.3; exit 4 ;;
*) printf 'ok:%s' "$1" ;;
esac"#,
    );
    let started = Instant::now();
    let script = Script::new()
        .invoke(Invocation::new("c-1", "close"))
        .invoke(Invocation::new("c-2", "close-all"))
        .invoke(Invocation::new("c-3", "after"));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(3);
    expect_response(&mut run, &posts[0], "c-1", b"partial");
    assert!(
        posts[0].received_at - started >= Duration::from_millis(300),
        "answered before the exit"
    );
    let message = expect_error(
        &mut run,
        &posts[1],
        Route::Error("c-2".into()),
        "Function.ExitStatus",
    );
    assert_eq!(message, "exited with status 4; nothing on stderr");
    expect_response(&mut run, &posts[2], "c-3", b"ok:after");
    run.assert_no_violations();
}

#[test]
fn a_program_that_never_reads_stdin_does_not_block_the_runtime() {
    if emulated() {
        return;
    }
    let dir = Dir::new("noread");
    dir.script(
        "handler.sh",
        r#"case "$1" in close*) exec 0<&-; sleep 0.2; printf 'closed %s' "$#"; exit ;; esac
sleep 0.2
printf 'ignored %s' "$#""#,
    );
    // Both events are larger than a pipe holds (64 KiB): writing them blocks until the
    // program exits (the first) or fails with EPIPE once it closes its stdin (the second).
    let mib = ascii_event(1024 * 1024, 4);
    let close = [&b"close "[..], &ascii_event(100 * 1024, 5)].concat();
    let script = Script::new()
        .invoke(Invocation::new("n-1", mib))
        .invoke(Invocation::new("n-2", close))
        .invoke(Invocation::new("n-3", "small"));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(3);
    // Without the event as $1 and without reading stdin, it never saw its event: an error.
    expect_error(
        &mut run,
        &posts[0],
        Route::Error("n-1".into()),
        "Runtime.EventTooLargeForArgument",
    );
    expect_response(&mut run, &posts[1], "n-2", b"closed 1");
    expect_response(&mut run, &posts[2], "n-3", b"ignored 1");
    run.assert_no_violations();
}

/// With an environment so large that the event no longer fits beside it (Linux limits
/// arguments and environment together to a quarter of the stack limit), the program still
/// runs, without the argument.
#[test]
fn an_event_that_does_not_fit_beside_the_environment_is_not_an_argument() {
    if emulated() {
        return;
    }
    let output = Command::new("getconf").arg("ARG_MAX").output().unwrap();
    let arg_max: usize = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    if !(1024 * 1024..=4 * 1024 * 1024).contains(&arg_max) {
        skip::missing(&format!(
            "ARG_MAX is {arg_max}; this test fills the environment up to it"
        ));
        return;
    }
    let dir = Dir::new("e2big");
    dir.script("handler.sh", r#"printf '%s %s' "$#" "$(wc -c)""#);
    // Values of 100,000 bytes up to 60,000 bytes short of the limit: the bootstrap starts,
    // but not the program with a 131,071-byte argument too.
    let value = "v".repeat(100_000);
    let names: Vec<String> = (0..(arg_max - 60_000) / 100_010)
        .map(|i| format!("PAD_{i:03}"))
        .collect();
    let mut env: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), value.as_str())).collect();
    env.push(("LAMBDA_TASK_ROOT", dir.path()));
    let event = ascii_event(MAX_ARG_STRLEN - 1, 6);
    let script = Script::new()
        .invoke(Invocation::new("e-1", event))
        .invoke(Invocation::new("e-2", "small"));
    let mut run = run(&dir, "handler.sh", script, &env);
    let posts = run.wait_for_posts(2);
    expect_response(
        &mut run,
        &posts[0],
        "e-1",
        format!("0 {}", MAX_ARG_STRLEN - 1).as_bytes(),
    );
    expect_response(&mut run, &posts[1], "e-2", b"1 5");
}

#[test]
fn the_context_reaches_the_program_as_environment_variables() {
    if emulated() {
        return;
    }
    let dir = Dir::new("context");
    dir.script("handler.sh", "env");
    let deadline = deadline_in_five_minutes();
    let full = Invocation::bare("ctx-1", "{}")
        .header("Lambda-Runtime-Deadline-Ms", &deadline)
        .header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
        .header(
            "Lambda-Runtime-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        )
        .header(
            "Lambda-Runtime-Client-Context",
            r#"{"client":{"app_title":"t"}}"#,
        )
        .header(
            "Lambda-Runtime-Cognito-Identity",
            r#"{"cognitoIdentityId":"id"}"#,
        )
        .header("Lambda-Runtime-Aws-Tenant-Id", "tenant-42")
        .header("Lambda-Runtime-Invocation-Id", "inv-7");
    let script = Script::new()
        .invoke(full)
        .invoke(Invocation::bare("ctx-2", "{}"));
    let env = [
        ("LAMBDA_RUNTIME_AWS_REQUEST_ID", "stale"),
        ("MY_SETTING", "kept"),
    ];
    let mut run = run(&dir, "handler.sh", script, &env);
    let posts = run.wait_for_posts(2);
    let variables = |post: &Request| -> HashMap<String, Vec<String>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for line in post.body_text().lines() {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            map.entry(name.to_string())
                .or_default()
                .push(value.to_string());
        }
        map
    };
    let first = variables(&posts[0]);
    let expected = [
        ("LAMBDA_RUNTIME_AWS_REQUEST_ID", "ctx-1"),
        ("LAMBDA_RUNTIME_DEADLINE_MS", deadline.as_str()),
        ("LAMBDA_RUNTIME_INVOKED_FUNCTION_ARN", FUNCTION_ARN),
        (
            "_X_AMZN_TRACE_ID",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        ),
        (
            "LAMBDA_RUNTIME_CLIENT_CONTEXT",
            r#"{"client":{"app_title":"t"}}"#,
        ),
        (
            "LAMBDA_RUNTIME_COGNITO_IDENTITY",
            r#"{"cognitoIdentityId":"id"}"#,
        ),
        ("LAMBDA_RUNTIME_AWS_TENANT_ID", "tenant-42"),
        ("LAMBDA_RUNTIME_INVOCATION_ID", "inv-7"),
        ("MY_SETTING", "kept"),
        ("_HANDLER", "handler.sh"),
    ];
    for (name, value) in expected {
        assert_eq!(
            first.get(name),
            Some(&vec![value.to_string()]),
            "{name} in:\n{}",
            posts[0].body_text()
        );
    }
    assert!(first.contains_key("AWS_LAMBDA_RUNTIME_API"));
    let second = variables(&posts[1]);
    assert_eq!(
        second.get("LAMBDA_RUNTIME_AWS_REQUEST_ID"),
        Some(&vec!["ctx-2".to_string()])
    );
    for (name, _) in &expected[1..8] {
        assert_eq!(
            second.get(*name),
            None,
            "{name} was not sent the second time:\n{}",
            posts[1].body_text()
        );
    }
    run.assert_no_violations();
}

#[test]
fn no_process_or_descriptor_is_left_behind() {
    if emulated() {
        return;
    }
    let dir = Dir::new("leaks");
    dir.script(
        "handler.sh",
        r#"case "$1" in
fail) exit 1 ;;
kill) kill -KILL $$ ;;
background) sleep 20 & printf 'started' ;;
*) cat >/dev/null; printf '%s %s' "$PPID" "$(ls /proc/$PPID/fd | wc -l)" ;;
esac"#,
    );
    // The count waits for stdin's end: the bootstrap closes its copies of the child's ends of
    // the pipes as soon as the child has started, then writes the event and closes stdin; a
    // shell scheduled first saw those four descriptors still open (1 run in 7).
    let events = ["count", "fail", "kill", "background", "count"];
    let script = Script::new().invocations(
        events
            .iter()
            .enumerate()
            .map(|(i, e)| Invocation::new(&format!("l-{i}"), *e)),
    );
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(events.len());
    let first = posts[0].body_text();
    let (pid, fds) = first.split_once(' ').unwrap();
    let pid: u32 = pid.parse().unwrap();
    assert_eq!(
        posts[4].body_text(),
        first,
        "the same descriptors at the first and last invocation"
    );
    assert!(
        fds.trim().parse::<u32>().unwrap() <= 10,
        "{fds} descriptors open during an invocation"
    );
    expect_response(&mut run, &posts[3], "l-3", b"started");
    assert_eq!(
        children_of(pid),
        Vec::<ProcEntry>::new(),
        "bootstrap {pid} has children left"
    );
    run.assert_no_violations();
}

#[test]
fn the_program_can_be_the_bootstrap_argument() {
    if emulated() {
        return;
    }
    let dir = Dir::new("argument");
    let program = dir.script("cmd.sh", r#"printf 'cmd:%s' "$1""#);
    dir.script("handler.sh", r#"printf 'handler:%s' "$1""#);
    // An image's ENTRYPOINT ["/bootstrap"] with CMD ["cmd.sh"]: the wrapper execs the bootstrap
    // with the program as its argument (the test support starts programs without arguments).
    let wrapper = dir.script("entrypoint", r#"exec "$BOOTSTRAP" "$PROGRAM""#);
    let env = [
        ("BOOTSTRAP", exec_program().to_str().unwrap().to_string()),
        ("PROGRAM", program.to_str().unwrap().to_string()),
        ("_HANDLER", "handler.sh".to_string()),
        ("LAMBDA_TASK_ROOT", dir.path().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let script = Script::new().invoke(Invocation::new("a-1", "x"));
    let mut run = Run::start(
        &wrapper,
        FakeApi::start(script),
        |addr| addr.to_string(),
        &env,
    );
    let posts = run.wait_for_posts(1);
    expect_response(&mut run, &posts[0], "a-1", b"cmd:x");
}

#[test]
fn a_local_call_names_the_program_after_the_event() {
    if emulated() {
        return;
    }
    let dir = Dir::new("local");
    let program = dir.script(
        "handler.sh",
        r#"printf 'local:%s:' "$1"; cat; echo "logged" >&2; [ "$1" != fail ]"#,
    );
    let call = |event: &str| {
        Command::new(exec_program())
            .args(["--invoke", event])
            .arg(&program)
            .env_clear()
            .output()
            .unwrap()
    };
    let output = call("hello");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, b"local:hello:hello");
    assert!(String::from_utf8_lossy(&output.stderr).contains("logged"));
    let output = call("fail");
    assert_eq!(output.status.code(), Some(1));
    let error = parse_error_body(output.stdout.trim_ascii_end()).unwrap();
    assert_eq!(
        (error.error_type.as_str(), error.message.as_str()),
        (
            "Function.ExitStatus",
            "exited with status 1; stderr: logged"
        )
    );
}

/// cargo-lambda's emulator sends `Lambda-Runtime-Deadline-Ms: 600000` (ten minutes as a
/// duration, not an epoch time): read as a time it is in 1970, and every invocation would
/// time out before it started. It means "no deadline", and the log says so once.
#[test]
fn a_deadline_that_is_no_epoch_time_is_no_deadline() {
    if emulated() {
        return;
    }
    let dir = Dir::new("emulator-deadline");
    dir.script(
        "handler.sh",
        r#"printf '%s:%s' "$1" "${LAMBDA_RUNTIME_DEADLINE_MS-none}""#,
    );
    let cargo_lambda =
        |id: &str| Invocation::bare(id, id).header("Lambda-Runtime-Deadline-Ms", "600000");
    let script = Script::new()
        .invoke(cargo_lambda("d-1"))
        .invoke(cargo_lambda("d-2"));
    let mut run = run(&dir, "handler.sh", script, &[]);
    let posts = run.wait_for_posts(2);
    expect_response(&mut run, &posts[0], "d-1", b"d-1:none");
    expect_response(&mut run, &posts[1], "d-2", b"d-2:none");
    let log = run.process.stderr();
    assert_eq!(
        log.matches("Lambda-Runtime-Deadline-Ms is before 2001 (a duration?)")
            .count(),
        1,
        "logged once:\n{log}"
    );
    run.assert_no_violations();
}

/// In local mode the bootstrap catches SIGTERM, and blocks it while a handler runs (so that
/// the signal does not cut the handler short): the program it starts does not inherit the
/// block, and a SIGTERM during the invocation lets it finish.
#[test]
fn the_program_starts_with_no_signal_blocked_and_finishes_through_a_sigterm() {
    if emulated() {
        return;
    }
    let dir = Dir::new("signals");
    // Not a shell script: dash and bash clear the blocked signals when they start.
    dir.file(
        "handler.awk",
        r#"#!/usr/bin/awk -f
BEGIN {
    while ((getline line < "/proc/self/status") > 0) if (line ~ /^SigBlk/) print line
    system("sleep 1"); printf "done"; exit
}
"#,
        0o755,
    );
    let mut server = LocalServer::start(
        &exec_program(),
        &[
            ("_HANDLER", "handler.awk"),
            ("LAMBDA_TASK_ROOT", dir.path()),
        ],
    );
    let pid = server.process.id();
    let started = Instant::now();
    let terminate = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill(1) runs")
    });
    let answer = server.invoke(b"{}");
    assert!(terminate.join().unwrap().success());
    let took = started.elapsed();
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.text(),
        "SigBlk:\t0000000000000000\ndone",
        "the signals blocked in the program (and so in what it runs)"
    );
    assert!(took >= Duration::from_secs(1), "answered after {took:?}");
    let status = server.process.wait_for_exit(EXIT_LIMIT);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.process.diagnostics()
    );
}
