//! A raw std-mode handler, steered by the event: `COMMAND:ARGUMENT`.
//!
//! - `echo:TEXT`: answers TEXT;
//! - `parse:TEXT`: answers TEXT parsed as a number, with `?` on the `ParseIntError`;
//! - `panic:TEXT`: panics with a formatted message;
//! - `count`: answers how many invocations this process served (state captured from `main`);
//! - `env:NAME`, `file:PATH`: a variable, a file's text (`?` on their errors);
//! - `heap:N`: a `Vec`, a `HashMap` and `format!` over N words;
//! - `log:TEXT`: `log::info!`, `log::debug!` and `println!` of TEXT;
//! - `stream:A,B,C`: streams the pieces;
//! - `sleep:MS`: sleeps, then answers `slept`.
//!
//! Init: `STD_PROBE_INIT=fail` fails `init` with a `ParseIntError`, `=panic` panics in it.
//! `STD_PROBE_SHUTDOWN=1` adds a shutdown hook that logs what the process served.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

use lambda_bootstrap::{Context, Error, Response};

fn main() {
    let greeting = lambda_bootstrap::init(|| match std::env::var("STD_PROBE_INIT").as_deref() {
        Ok("fail") => "not a number".parse::<u32>().map(|_| String::new()),
        Ok("panic") => panic!("init panicked with {}", 42),
        _ => Ok(std::env::var("GREETING").unwrap_or_else(|_| "hello".into())),
    });
    let served = Rc::new(Cell::new(0u64));
    let counter = served.clone();
    let handler = move |ctx: &Context<'_>, event: &[u8], out: &mut Response<'_>| {
        counter.set(counter.get() + 1);
        handle(ctx, event, out, &greeting, counter.get())
    };
    if std::env::var_os("STD_PROBE_SHUTDOWN").is_some() {
        lambda_bootstrap::Runtime::new()
            .on_shutdown(move || eprintln!("std-probe: shutdown hook ran after {}", served.get()))
            .run(handler)
    }
    lambda_bootstrap::run(handler)
}

fn handle(
    _: &Context<'_>,
    event: &[u8],
    out: &mut Response<'_>,
    greeting: &str,
    served: u64,
) -> Result<(), Error> {
    let event = std::str::from_utf8(event)?;
    let (command, argument) = event.split_once(':').unwrap_or((event, ""));
    match command {
        "echo" => write!(out, "{greeting} {argument}")?,
        "parse" => {
            let n: u64 = argument.parse()?;
            write!(out, "{}", n * 2)?;
        }
        "panic" => panic!("boom {argument}"),
        "count" => write!(out, "{served}")?,
        "env" => out.write_all(std::env::var(argument)?.as_bytes())?,
        "file" => out.write_all(std::fs::read_to_string(argument)?.as_bytes())?,
        "heap" => {
            let n: usize = argument.parse()?;
            let words: Vec<String> = (0..n).map(|i| format!("w{}", i % 3)).collect();
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for word in &words {
                *counts.entry(word).or_default() += 1;
            }
            let mut keys: Vec<_> = counts.into_iter().collect();
            keys.sort();
            serde_json::to_writer(out, &keys)?;
        }
        "log" => {
            log::info!("info {argument} {}", served);
            log::debug!("debug {argument}");
            println!("stdout {argument}");
            out.write_all(b"logged")?;
        }
        "stream" => {
            for piece in argument.split(',') {
                out.stream(piece.as_bytes())?;
            }
        }
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_millis(argument.parse()?));
            out.write_all(b"slept")?;
        }
        _ => return Err(Error::new("Probe.UnknownCommand", command)),
    }
    Ok(())
}
