//! The async case: an AWS SDK client called from a synchronous handler. `main` builds a tokio
//! current-thread runtime and a DynamoDB client once (Lambda's init phase); each invocation
//! `block_on`s a `GetItem` and answers with the item, its attributes as strings.
//!
//! Event: `{"id": "42"}`. Answer: `{"id":"42","found":true,"item":{"id":"42",...}}`.
//! Configuration (environment): `TABLE_NAME`; `AWS_REGION` and the credentials, which Lambda
//! sets; `DYNAMODB_ENDPOINT` to call something other than DynamoDB (the tests' fake).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_bootstrap::{Context, Error};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    id: String,
}

#[derive(Serialize)]
struct Answer {
    id: String,
    found: bool,
    item: BTreeMap<String, String>,
}

fn main() {
    // Init phase: everything made here lives for every invocation.
    let runtime = lambda_bootstrap::init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    });
    let table = lambda_bootstrap::init(|| environment("TABLE_NAME"));
    let client = lambda_bootstrap::init(make_client);

    lambda_bootstrap::run_json(
        move |_ctx: &Context<'_>, request: Request| -> Result<Answer, Error> {
            let call = client
                .get_item()
                .table_name(&table)
                .key("id", AttributeValue::S(request.id.clone()))
                .send();
            let output = runtime
                .block_on(call)
                .map_err(|e| Error::typed("DynamoDB.GetItem", DisplayErrorContext(e)))?;
            let item = output.item.unwrap_or_default();
            Ok(Answer {
                id: request.id,
                found: !item.is_empty(),
                item: item.into_iter().map(|(k, v)| (k, text(&v))).collect(),
            })
        },
    )
}

/// The client, with what Lambda gives a function: its region and its role's credentials in
/// the environment. Static credentials need no `aws-config` (and none of its providers).
fn make_client() -> Result<Client, Error> {
    let credentials = Credentials::new(
        environment("AWS_ACCESS_KEY_ID")?,
        environment("AWS_SECRET_ACCESS_KEY")?,
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
        "environment",
    );
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(environment("AWS_REGION")?))
        .credentials_provider(credentials)
        .http_client(https_client());
    if let Ok(url) = std::env::var("DYNAMODB_ENDPOINT") {
        config = config.endpoint_url(url);
    }
    Ok(Client::from_conf(config.build()))
}

fn environment(name: &'static str) -> Result<String, Error> {
    std::env::var(name).map_err(|e| Error::typed("Config.Missing", format_args!("{name}: {e}")))
}

/// rustls on ring, trusting Mozilla's roots compiled into the binary (webpki-root-certs) and
/// nothing from the file system: the SDK's default reads the system's certificates, which a
/// `FROM scratch` image does not have.
fn https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let mut roots = TrustStore::empty().with_native_roots(false);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        roots.add_pem_certificate(pem(cert));
    }
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .expect("a trust store without native roots always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The SDK's trust store takes PEM; webpki-root-certs has DER.
fn pem(der: &[u8]) -> String {
    let body = aws_smithy_types::base64::encode(der);
    format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
}

/// An attribute as text: strings and numbers as they are, anything else as the SDK shows it.
fn text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}
