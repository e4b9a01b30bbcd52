//! Journal positions and the reading lease in Redis (feature `redis`), for
//! [`RedisStore`]: replicas share one position per journal, and one of them reads at a time.

use std::sync::OnceLock;
use std::time::Duration;

use redis::Script;

use super::redis::millis;
use super::{Checkpoint, Lease, RedisStore, StoreError};
use crate::BoxFuture;

// KEYS[1] the lease key; ARGV[1] the holder, ARGV[2] the lease in ms. Takes the lease when
// it is free or the holder's, and answers -1; otherwise the milliseconds the other holder's
// lease runs yet (0 or more).
const LEASE: &str = r"
local held = redis.call('GET', KEYS[1])
if not held or held == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return -1
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return left
";

// KEYS[1] the lease key, KEYS[2] the position key; ARGV[1] the holder, ARGV[2] the position,
// ARGV[3] the lease in ms. Saves and renews only while the holder holds the lease: 1, else 0.
const SAVE_LEASED: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

// KEYS[1] the lease key; ARGV[1] the holder. Ends the lease if the holder holds it.
const END_LEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

fn scripts() -> &'static [Script; 3] {
    static SCRIPTS: OnceLock<[Script; 3]> = OnceLock::new();
    SCRIPTS.get_or_init(|| {
        [
            Script::new(LEASE),
            Script::new(SAVE_LEASED),
            Script::new(END_LEASE),
        ]
    })
}

impl Checkpoint for RedisStore {
    fn load<'a>(&'a self, journal: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection();
            let key = self.position_key(journal);
            self.bounded(async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async(&mut connection)
                    .await
            })
            .await
        })
    }

    fn save<'a>(
        &'a self,
        journal: &'a str,
        position: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection();
            let key = self.position_key(journal);
            self.bounded(async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(position)
                    .query_async::<()>(&mut connection)
                    .await
            })
            .await
        })
    }

    fn lease<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move {
            let keys = vec![self.lease_key(journal)];
            let args = [holder.to_owned(), millis(duration)];
            let left: i64 = self.run_script(&scripts()[0], keys, &args).await?;
            Ok(match u64::try_from(left) {
                Ok(left) => Lease::Elsewhere {
                    remaining: Duration::from_millis(left),
                },
                Err(_) => Lease::Held,
            })
        })
    }

    fn save_leased<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
        position: &'a str,
        duration: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let keys = vec![self.lease_key(journal), self.position_key(journal)];
            let args = [holder.to_owned(), position.to_owned(), millis(duration)];
            let saved: i64 = self.run_script(&scripts()[1], keys, &args).await?;
            Ok(saved == 1)
        })
    }

    fn end_lease<'a>(
        &'a self,
        journal: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let keys = vec![self.lease_key(journal)];
            let _: i64 = self
                .run_script(&scripts()[2], keys, &[holder.to_owned()])
                .await?;
            Ok(())
        })
    }
}
