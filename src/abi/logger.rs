//! The `log` crate's records in the function's log (feature `log`): each record becomes one
//! of the handler's lines (`abi::log`), under the same controls (`AWS_LAMBDA_LOG_FORMAT`,
//! `AWS_LAMBDA_LOG_LEVEL`), with the invocation's request id. Std mode installs it; a `main!`
//! bootstrap calls [`install`] in its init hook.

use core::fmt::Write;

use crate::sys::log::{self, Level, Source};

/// The longest message of a record; a longer one is cut.
pub const MAX_RECORD: usize = 8 * 1024;

struct Logger;

static LOGGER: Logger = Logger;

/// Makes this the `log` crate's logger, unless the program set one already, and lets through
/// the records that `AWS_LAMBDA_LOG_LEVEL` keeps.
pub fn install() {
    if ::log::set_logger(&LOGGER).is_ok() {
        ::log::set_max_level(filter(log::minimum()));
    }
}

/// The `log` filter that keeps the levels from `minimum` up (`FATAL` has no `log` level: it
/// keeps `ERROR`, as Lambda's own runtimes do).
fn filter(minimum: Level) -> ::log::LevelFilter {
    match minimum {
        Level::Trace => ::log::LevelFilter::Trace,
        Level::Debug => ::log::LevelFilter::Debug,
        Level::Info => ::log::LevelFilter::Info,
        Level::Warn => ::log::LevelFilter::Warn,
        Level::Error | Level::Fatal => ::log::LevelFilter::Error,
    }
}

fn level(level: ::log::Level) -> Level {
    match level {
        ::log::Level::Trace => Level::Trace,
        ::log::Level::Debug => Level::Debug,
        ::log::Level::Info => Level::Info,
        ::log::Level::Warn => Level::Warn,
        ::log::Level::Error => Level::Error,
    }
}

impl ::log::Log for Logger {
    fn enabled(&self, metadata: &::log::Metadata<'_>) -> bool {
        level(metadata.level()) >= log::minimum()
    }

    fn log(&self, record: &::log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // A message without arguments is written as it is; others are formatted on the stack.
        if let Some(text) = record.args().as_str() {
            log::write(level(record.level()), Source::Handler, &[text.as_bytes()]);
            return;
        }
        let mut text = heapless::String::<MAX_RECORD>::new();
        let _ = write!(Cut(&mut text), "{}", record.args());
        log::write(level(record.level()), Source::Handler, &[text.as_bytes()]);
    }

    fn flush(&self) {}
}

/// Writes what fits, cut at a character boundary.
struct Cut<'a>(&'a mut heapless::String<MAX_RECORD>);

impl Write for Cut<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let mut end = s.len().min(self.0.capacity() - self.0.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.0.push_str(&s[..end]).map_err(|_| core::fmt::Error)
    }
}
