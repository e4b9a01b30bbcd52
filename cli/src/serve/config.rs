//! The command line of `serve`, every flag also read from the environment, checked before
//! anything starts.

use std::path::PathBuf;
use std::time::Duration;

use aep_flow_run::store::PageRules;
use url::Url;

/// The longest lease accepted: a claim outliving a day would hold an event past Adobe's
/// retries.
const MAX_LEASE_SECS: u64 = 24 * 60 * 60;

/// The arguments of `serve`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Every flag also reads an environment variable (shown above). \
    With --journal, the credentials come from AIO_CLIENT_ID, AIO_CLIENT_SECRET and AIO_SCOPES \
    (and AIO_ORG_ID, AIO_IMS_URL)."
)]
pub struct Args {
    /// The recipient client id deliveries must name (the Developer Console project's API key).
    #[arg(long, env = "AEP_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// Accept bodies that name no recipient (message lists, alerts) only from this
    /// organisation (XXXX@AdobeOrg).
    #[arg(long, env = "AEP_ORG_ID", value_name = "ORG")]
    pub org: Option<String>,
    /// Accept such bodies from any organisation: anyone who registers this URL with Adobe
    /// can then send them.
    #[arg(long, env = "AEP_ANY_ORG")]
    pub any_org: bool,
    /// The directory of Adobe's public keys, each under its key path.
    #[arg(long, env = "AEP_KEYS_DIR", value_name = "DIR")]
    pub keys: Option<PathBuf>,
    /// Fetch the public keys from https://static.adobeioevents.com instead.
    #[arg(long, env = "AEP_FETCH_KEYS")]
    pub fetch_keys: bool,
    /// The webhook's port on 127.0.0.1 (0 picks one).
    #[arg(long, env = "AEP_PORT", default_value_t = 8080)]
    pub port: u16,
    /// The admin port on 127.0.0.1: the status page /, /metrics, /healthz, /readyz, /api/flows
    /// (0 picks one).
    #[arg(long, env = "AEP_ADMIN_PORT", default_value_t = 9090)]
    pub admin_port: u16,
    /// Where state lives: sqlite:PATH, redis://HOST:PORT (shared by replicas) or memory.
    #[arg(
        long,
        env = "AEP_STORE",
        default_value = "sqlite:aep-flow-run.db",
        hide_env_values = true
    )]
    pub store: String,
    /// The prefix of the Redis keys (default aep-flow-run:).
    #[arg(long, env = "AEP_REDIS_PREFIX", value_name = "PREFIX")]
    pub redis_prefix: Option<String>,
    /// Catch up from this registration's journal and keep following it.
    #[arg(long, env = "AEP_JOURNAL_URL", value_name = "URL")]
    pub journal: Option<Url>,
    /// How long a claimed event stays in flight, in seconds (1 to 86400).
    #[arg(long, env = "AEP_LEASE_SECS", default_value_t = 60)]
    pub lease_secs: u64,
    /// One JSON line per event handled for the first time on standard output.
    #[arg(long, env = "AEP_JSON")]
    pub json: bool,
    /// How logs are written on standard error.
    #[arg(long, env = "AEP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// The most connections the webhook holds at once.
    #[arg(long, env = "AEP_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// The most of them one peer address may hold (raise it behind a proxy).
    #[arg(long, env = "AEP_PEER_CONNECTIONS", default_value_t = 256)]
    pub peer_connections: usize,
    /// How long a connection may take to send its headers, and its body, in milliseconds.
    #[arg(long, env = "AEP_READ_TIMEOUT_MS", default_value_t = 30_000)]
    pub read_timeout_ms: u64,
    /// Page failures and firing alerts: post a Slack-compatible JSON message to this URL
    /// (an incoming webhook).
    #[arg(
        long,
        env = "AEP_NOTIFY_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub notify: Option<Url>,
    /// At most one page per flow in this many seconds; the next says how many came meanwhile.
    #[arg(long, env = "AEP_NOTIFY_COOLDOWN_SECS", default_value_t = 900)]
    pub notify_cooldown_secs: u64,
    /// A partial success pages (and shows as failing) from this share of input records
    /// failed, in percent.
    #[arg(long, env = "AEP_NOTIFY_FAILED_PERCENT", default_value_t = 10)]
    pub notify_failed_percent: u32,
    /// The status page's address as people reach it, for the link in pages (default the
    /// admin address).
    #[arg(long, env = "AEP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Url>,
}

/// Text lines or JSON lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the public keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keys {
    /// A directory of PEM public keys, each under its key path.
    Dir(PathBuf),
    /// Fetched from `https://static.adobeioevents.com`.
    Fetch,
}

/// Where state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A Redis server, shared by replicas.
    Redis(String),
    /// Memory: forgotten on restart.
    Memory,
}

/// What `serve` runs with, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub client_id: String,
    /// `None`: any organisation (`--any-org`).
    pub org: Option<String>,
    pub keys: Keys,
    pub port: u16,
    pub admin_port: u16,
    pub store: StoreUrl,
    pub redis_prefix: Option<String>,
    pub journal: Option<Url>,
    pub lease: Duration,
    pub json: bool,
    pub log_format: LogFormat,
    pub max_connections: usize,
    pub peer_connections: usize,
    pub read_timeout: Duration,
    /// Where pages go, if anywhere.
    pub notify: Option<Url>,
    pub notify_cooldown: Duration,
    /// What pages, and what the status page shows as failing.
    pub page_rules: PageRules,
    pub public_url: Option<Url>,
}

impl Args {
    /// The configuration, or what is wrong with the flags.
    pub fn check(self) -> Result<Config, String> {
        let client_id = self
            .client_id
            .filter(|id| !id.trim().is_empty())
            .ok_or("--client-id ID is required (or AEP_CLIENT_ID): the recipient client id of the Developer Console project")?;
        let org = match (self.org.filter(|org| !org.trim().is_empty()), self.any_org) {
            (Some(_), true) => return Err("give --org ORG or --any-org, not both".to_owned()),
            (Some(org), false) => Some(org),
            (None, true) => None,
            (None, false) => {
                return Err(
                    "--org ORG@AdobeOrg is required (or AEP_ORG_ID): bodies that name \
                            no recipient (message lists, alerts) are accepted only from it; \
                            --any-org accepts them from any organisation, which lets anyone \
                            who registers this URL with Adobe send them"
                        .to_owned(),
                )
            }
        };
        let keys = match (self.keys, self.fetch_keys) {
            (Some(_), true) => return Err("give --keys DIR or --fetch-keys, not both".to_owned()),
            (Some(dir), false) => Keys::Dir(dir),
            (None, true) => Keys::Fetch,
            (None, false) => {
                return Err(
                    "--keys DIR is required: the directory of Adobe's public keys, \
                            each under its key path (there is no default, so that no test key \
                            is ever trusted by accident); --fetch-keys fetches them from \
                            https://static.adobeioevents.com instead"
                        .to_owned(),
                )
            }
        };
        if !(1..=MAX_LEASE_SECS).contains(&self.lease_secs) {
            return Err(format!(
                "invalid --lease-secs {}: give 1 to {MAX_LEASE_SECS} seconds",
                self.lease_secs
            ));
        }
        if self.max_connections == 0 || self.peer_connections == 0 {
            return Err("--max-connections and --peer-connections must be at least 1".to_owned());
        }
        if let Some(url) = &self.notify {
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(format!(
                    "invalid --notify {url}: give an http:// or https:// URL"
                ));
            }
        }
        if self.read_timeout_ms == 0 {
            return Err("--read-timeout-ms must be at least 1".to_owned());
        }
        Ok(Config {
            client_id,
            org,
            keys,
            port: self.port,
            admin_port: self.admin_port,
            store: store_url(&self.store)?,
            redis_prefix: self.redis_prefix.filter(|prefix| !prefix.is_empty()),
            journal: self.journal,
            lease: Duration::from_secs(self.lease_secs),
            json: self.json,
            log_format: self.log_format,
            max_connections: self.max_connections,
            peer_connections: self.peer_connections.min(self.max_connections),
            read_timeout: Duration::from_millis(self.read_timeout_ms),
            notify: self.notify,
            notify_cooldown: Duration::from_secs(self.notify_cooldown_secs),
            page_rules: PageRules::new(self.notify_failed_percent),
            public_url: self.public_url,
        })
    }
}

fn store_url(text: &str) -> Result<StoreUrl, String> {
    if text == "memory" {
        Ok(StoreUrl::Memory)
    } else if let Some(path) = text.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err("--store sqlite:PATH needs a path".to_owned());
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(path)))
    } else if text.starts_with("redis://") || text.starts_with("rediss://") {
        Ok(StoreUrl::Redis(text.to_owned()))
    } else {
        Err(format!(
            "--store {text:?}: give sqlite:PATH, redis://HOST:PORT or memory"
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        args: Args,
    }

    fn check(line: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["serve"];
        argv.extend_from_slice(line);
        Command::try_parse_from(argv)
            .map_err(|error| error.to_string())?
            .args
            .check()
    }

    const BASE: [&str; 4] = ["--client-id", "c", "--keys", "k"];

    #[test]
    fn the_flags_are_checked_before_anything_starts() {
        let with = |more: &[&str]| {
            let mut line = BASE.to_vec();
            line.extend_from_slice(more);
            check(&line)
        };
        let error = with(&[]).unwrap_err();
        assert!(error.contains("--org ORG@AdobeOrg is required"), "{error}");
        assert!(with(&["--org", "O@AdobeOrg", "--any-org"])
            .unwrap_err()
            .contains("not both"));
        let config = with(&["--org", "O@AdobeOrg", "--lease-secs", "7", "--port", "0"]).unwrap();
        assert_eq!(config.org.as_deref(), Some("O@AdobeOrg"));
        assert_eq!(config.lease, Duration::from_secs(7));
        assert_eq!(
            config.store,
            StoreUrl::Sqlite(PathBuf::from("aep-flow-run.db"))
        );
        assert_eq!(config.keys, Keys::Dir(PathBuf::from("k")));
        // Issue 28, finding 7: a lease past the end of time panicked every delivery.
        let error = with(&["--any-org", "--lease-secs", "18446744073709551615"]).unwrap_err();
        assert!(error.contains("invalid --lease-secs"), "{error}");
        assert!(with(&["--any-org", "--lease-secs", "0"]).is_err());
        // Paging: off by default; a URL that cannot be posted to is refused at the start.
        assert_eq!(config.notify, None);
        assert_eq!(config.notify_cooldown, Duration::from_secs(900));
        assert_eq!(config.page_rules, PageRules::new(10));
        let error = with(&["--any-org", "--notify", "ftp://hooks.example.com/x"]).unwrap_err();
        assert!(error.contains("invalid --notify"), "{error}");
        let paging = with(&[
            "--any-org",
            "--notify",
            "https://hooks.example.com/x",
            "--notify-cooldown-secs",
            "60",
            "--notify-failed-percent",
            "25",
        ])
        .unwrap();
        assert_eq!(paging.notify_cooldown, Duration::from_secs(60));
        assert_eq!(paging.page_rules.failed_percent, 25);
        let stores = [
            ("memory", StoreUrl::Memory),
            (
                "sqlite:/var/lib/x.db",
                StoreUrl::Sqlite(PathBuf::from("/var/lib/x.db")),
            ),
            (
                "redis://127.0.0.1:6379/",
                StoreUrl::Redis("redis://127.0.0.1:6379/".to_owned()),
            ),
        ];
        for (text, store) in stores {
            assert_eq!(with(&["--any-org", "--store", text]).unwrap().store, store);
        }
        let error = with(&["--any-org", "--store", "memcached://x"]).unwrap_err();
        assert!(
            error.contains("give sqlite:PATH, redis://HOST:PORT or memory"),
            "{error}"
        );
        let error = check(&["--client-id", "c", "--any-org"]).unwrap_err();
        assert!(error.contains("--keys DIR is required"), "{error}");
        let both = with(&["--any-org", "--fetch-keys"]).unwrap_err();
        assert!(both.contains("not both"), "{both}");
        assert!(check(&["--keys", "k", "--any-org"])
            .unwrap_err()
            .contains("--client-id"));
    }
}
