//! A bootstrap started with standard descriptors closed (`2>&-`, a supervisor that closes
//! them) must not let a socket take their numbers: its log lines would then be written into
//! the Runtime API connection, or into a local caller's answer (src/stdio.rs).

use crate::support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// The shell redirections each test starts the bootstrap with.
const CLOSED: [&str; 3] = ["2>&-", ">&- 2>&-", "<&- >&- 2>&-"];

#[test]
fn with_closed_descriptors_the_runtime_api_sees_clean_requests() {
    for redirections in CLOSED {
        // The first reply makes the bootstrap log a line while its connection is open (a
        // deadline that is not a number); then the next request must still be clean.
        let script = Script::new()
            .invoke(
                Invocation::bare("closed-1", "one").header("Lambda-Runtime-Deadline-Ms", "soon"),
            )
            .invoke(Invocation::new("closed-2", "two"));
        let wrapper = shell_wrapper(redirections);
        let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
        let api = FakeApi::start(script);
        let address = api.addr().to_string();
        let process = Process::spawn_wrapped(
            &wrapper,
            &bootstrap_program(),
            &[("AWS_LAMBDA_RUNTIME_API", &address)],
        );
        let mut run = Run { process, api };
        let posts = run.wait_for_posts(2);
        for (post, (id, body)) in posts
            .iter()
            .zip([("closed-1", "Hello: one"), ("closed-2", "Hello: two")])
        {
            if post.route != Route::Response(id.to_string()) || post.body != body.as_bytes() {
                run.fail(&format!(
                    "with {redirections}: expected the /response of {id} with {body:?}, got {}",
                    post.summary()
                ));
            }
        }
        run.assert_no_violations();
    }
}

#[test]
fn with_closed_descriptors_local_callers_get_clean_answers() {
    for redirections in CLOSED {
        let wrapper = shell_wrapper(redirections);
        let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
        let mut server =
            LocalServer::start_wrapped(&wrapper, "127.0.0.1", &bootstrap_program(), &[]);
        for event in ["world", "again"] {
            let answer = server.invoke(event.as_bytes());
            assert_eq!(
                (answer.status, answer.text()),
                (200, format!("Hello: {event}")),
                "with {redirections}"
            );
            assert!(
                answer.header("x-amzn-requestid").is_some(),
                "with {redirections}: {answer:?}"
            );
        }
    }
}

/// Where there is no `/dev/null` (an empty root, as a `FROM scratch` image run without a
/// container runtime), a closed stderr is held another way. Needs the right to
/// chroot (root, as in CI); says so and skips otherwise.
#[test]
#[cfg_attr(missing = "chroot", ignore = "chroot needs root")]
fn in_an_empty_filesystem_closed_descriptors_are_held_too() {
    if runner().is_some() {
        skip::not_applicable("under an emulator, the chroot would need the emulator inside it");
        return;
    }
    let root = std::env::temp_dir().join(format!(
        "lambda-bootstrap-closed-root-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(bootstrap_program(), root.join("bootstrap")).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut command = Command::new("/bootstrap");
    command.env_clear().env("LAMBDA_LOCAL_ADDRESS", &address);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let dir = root.clone();
    // SAFETY: chroot, chdir and close are async-signal-safe and touch no parent state; fd 2
    // is the child's own (Stdio::null), closed before anything in the child uses it.
    unsafe {
        command.pre_exec(move || {
            std::os::unix::fs::chroot(&dir)?;
            std::env::set_current_dir("/")?;
            rustix::io::close(2);
            Ok(())
        });
    }
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            skip::missing(&format!("chroot needs root ({e})"));
            return;
        }
        Err(e) => panic!("cannot run the bootstrap in an empty root: {e}"),
    };
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Kill(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stream = loop {
        match TcpStream::connect(&address) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline && child.0.try_wait().unwrap().is_none() => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!(
                "local mode did not start in the empty root: {e}; {:?}",
                child.0.try_wait()
            ),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "POST {INVOKE_PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7\r\n\r\nscratch"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    std::fs::remove_dir_all(&root).ok();
    let answer = Answer::parse(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&bytes)));
    assert_eq!(
        (answer.status, answer.text()),
        (200, "Hello: scratch".to_string())
    );
}
