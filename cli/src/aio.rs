//! Reaching Adobe I/O: the HTTPS client and the IMS credentials, from the environment, for
//! `journal` and `serve --journal` alike.
//!
//! `AIO_CLIENT_ID`, `AIO_CLIENT_SECRET`, `AIO_SCOPES` (default `adobeio_api`), `AIO_ORG_ID`
//! (sent as `x-ims-org-id`), `AIO_IMS_URL` (another IMS token endpoint). For tests,
//! `AIO_CA_DER` names a DER certificate to trust besides the Mozilla roots, and
//! `AIO_RESOLVE` (`host=address:port,...`) connects host names to fixed addresses, as
//! `curl --cacert --resolve` do.

use aep_flow_run::journal::{
    HttpsClient, ImsCredentials, ImsTokenProvider, JournalConsumer, JournalSettings, JournalStart,
};
use url::Url;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} (see --help)"))
}

/// A consumer of `journal` with the credentials and client of the environment.
pub fn consumer(
    journal: Url,
    start: JournalStart,
    settings: JournalSettings,
) -> Result<JournalConsumer, String> {
    let client_id = env("AIO_CLIENT_ID")?;
    let credentials = ImsCredentials::new(
        client_id.clone(),
        env("AIO_CLIENT_SECRET")?,
        std::env::var("AIO_SCOPES").unwrap_or_else(|_| "adobeio_api".to_owned()),
    );
    let client = client()?;
    let mut tokens = ImsTokenProvider::new(credentials).with_client(client.clone());
    if let Ok(endpoint) = std::env::var("AIO_IMS_URL") {
        tokens = tokens
            .with_endpoint(Url::parse(&endpoint).map_err(|error| format!("AIO_IMS_URL: {error}"))?);
    }
    let mut consumer = JournalConsumer::new(journal, client_id, tokens)
        .map_err(|error| error.to_string())?
        .with_start(start)
        .with_settings(settings)
        .with_client(client);
    if let Ok(org_id) = std::env::var("AIO_ORG_ID") {
        consumer = consumer.with_org_id(org_id);
    }
    Ok(consumer)
}

/// The HTTPS client, with the test overrides of `AIO_CA_DER` and `AIO_RESOLVE`.
fn client() -> Result<HttpsClient, String> {
    let mut client = match std::env::var_os("AIO_CA_DER") {
        Some(path) => {
            let der = std::fs::read(&path)
                .map_err(|error| format!("AIO_CA_DER {}: {error}", path.to_string_lossy()))?;
            HttpsClient::new()
                .with_root_der(&der)
                .map_err(|error| format!("AIO_CA_DER: {error}"))?
        }
        None => HttpsClient::new(),
    };
    if let Ok(list) = std::env::var("AIO_RESOLVE") {
        for entry in list.split(',').filter(|entry| !entry.is_empty()) {
            let (host, address) = entry
                .split_once('=')
                .ok_or_else(|| format!("AIO_RESOLVE: {entry:?} is no host=address:port"))?;
            let address = address
                .parse()
                .map_err(|error| format!("AIO_RESOLVE: {address:?}: {error}"))?;
            client = client.with_resolve(host, address);
        }
    }
    Ok(client)
}
