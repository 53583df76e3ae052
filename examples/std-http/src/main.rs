//! A std handler that calls another service over HTTP(S) with a blocking client: each event
//! is POSTed to the URL in `UPSTREAM_URL`, and the function answers with what that service
//! answered. An error status from the service fails the invocation (`?` on ureq's error).

use std::io::Read;
use std::time::Duration;

use lambda_bootstrap::{Context, Error, Response};

fn main() {
    // Init phase: read the configuration and make the client once, for every invocation.
    let url = lambda_bootstrap::init(|| {
        std::env::var("UPSTREAM_URL")
            .map_err(|_| Error::new("Config.Missing", "UPSTREAM_URL is not set"))
    });
    let agent = make_agent();
    let mut body = Vec::new();

    lambda_bootstrap::run(
        move |_ctx: &Context<'_>, event: &[u8], out: &mut Response<'_>| -> Result<(), Error> {
            let mut answer = agent
                .post(&url)
                .header("content-type", "application/json")
                .send(event)?;
            body.clear();
            answer.body_mut().as_reader().read_to_end(&mut body)?;
            out.write(&body)?;
            Ok(())
        },
    )
}

/// One agent for the whole process: it keeps its connection to the service open between
/// invocations, so a warm function does not reconnect (nor redo the TLS handshake).
fn make_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}
