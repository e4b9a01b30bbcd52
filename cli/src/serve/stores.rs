//! The one store the webhook and the journal share, opened from `--store`: deduplication,
//! run state and journal positions together.

use std::sync::Arc;

use aep_flow_run::store::{
    Checkpoint, DedupStore, MemoryStore, PageStore, RedisSettings, RedisStore, RunStore,
    SqliteSettings, SqliteStore, StoreError,
};

use super::config::{Config, StoreUrl};

/// The store, seen through each of its traits, and how to ask whether it answers.
#[derive(Clone)]
pub struct Stores {
    pub dedup: Arc<dyn DedupStore>,
    pub runs: Arc<dyn RunStore>,
    pub checkpoint: Arc<dyn Checkpoint>,
    /// The alerts firing, and the pages owed (recorded with the run states when `--notify`).
    pub pages: Arc<dyn PageStore>,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Memory,
    Sqlite(SqliteStore),
    Redis(RedisStore),
}

impl Stores {
    /// Opens the store `config` names, and checks that it answers: a file that cannot be
    /// written or a Redis server that cannot be reached stops the start.
    pub async fn open(config: &Config) -> Result<Self, String> {
        // Pages are recorded only when someone is to receive them.
        let paging = config.notify.as_ref().map(|_| config.page_rules);
        match &config.store {
            StoreUrl::Memory => {
                let mut store = MemoryStore::default();
                if let Some(rules) = paging {
                    store = store.with_paging(rules);
                }
                let store = Arc::new(store);
                Ok(Stores {
                    dedup: store.clone(),
                    runs: store.clone(),
                    checkpoint: store.clone(),
                    pages: store,
                    kind: Kind::Memory,
                })
            }
            StoreUrl::Sqlite(path) => {
                let mut settings = SqliteSettings::default();
                settings.paging = paging;
                let store = SqliteStore::open(path, settings).map_err(|error| {
                    format!("--store sqlite:{}: {}", path.display(), chain(&error))
                })?;
                store.ping().await.map_err(|error| {
                    format!("--store sqlite:{}: {}", path.display(), chain(&error))
                })?;
                Ok(Stores {
                    dedup: Arc::new(store.clone()),
                    runs: Arc::new(store.clone()),
                    checkpoint: Arc::new(store.clone()),
                    pages: Arc::new(store.clone()),
                    kind: Kind::Sqlite(store),
                })
            }
            StoreUrl::Redis(url) => {
                let mut settings = RedisSettings::default();
                if let Some(prefix) = &config.redis_prefix {
                    settings.prefix = prefix.clone();
                }
                settings.paging = paging;
                let store = RedisStore::connect(url, settings)
                    .await
                    .map_err(|error| format!("--store {}: {}", redacted(url), chain(&error)))?;
                // The journal position and its reading lease are shared too: one replica at
                // a time reads the journal, and a restart resumes where the last one stopped.
                Ok(Stores {
                    dedup: Arc::new(store.clone()),
                    runs: Arc::new(store.clone()),
                    checkpoint: Arc::new(store.clone()),
                    pages: Arc::new(store.clone()),
                    kind: Kind::Redis(store),
                })
            }
        }
    }

    /// Whether the store answers now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.kind {
            Kind::Memory => Ok(()),
            Kind::Sqlite(store) => store.ping().await,
            Kind::Redis(store) => store.ping().await,
        }
    }

    /// What the store is, for the start-up log line (no password).
    pub fn describe(config: &Config) -> String {
        match &config.store {
            StoreUrl::Memory => "in memory (forgotten on restart)".to_owned(),
            StoreUrl::Sqlite(path) => format!("SQLite file {}", path.display()),
            StoreUrl::Redis(url) => format!("Redis at {}", redacted(url)),
        }
    }
}

/// A Redis URL without its password.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(an unusable URL)".to_owned(),
    }
}

/// An error with its sources, for logs and start-up errors (never for HTTP answers).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
