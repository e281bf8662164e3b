//! Single-use tokens: a `jti` store with an atomic "set if absent, expire when the token would no
//! longer be accepted". In memory for one instance; Redis (a Lua script: set this request's mark
//! if absent) when several share the load.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The store could not be asked.
#[derive(Debug, Clone)]
pub struct StoreDown(pub String);

/// The replay stores by their spec (`memory`, `redis://...`), created on first use. They live
/// in the server's state, not in a configuration, so that a reload forgets no spent token.
#[derive(Default)]
pub struct Stores(std::sync::Mutex<HashMap<String, std::sync::Arc<ReplayStore>>>);

impl Stores {
    /// The store for `spec`. The spec was checked at load; were it refused here anyway, the
    /// store counts as down (never a silent fall back to memory, which would stop several
    /// instances from seeing each other's tokens).
    pub fn get(&self, spec: &str) -> Result<std::sync::Arc<ReplayStore>, StoreDown> {
        let mut stores = self
            .0
            .lock()
            .map_err(|_| StoreDown("replay stores poisoned".into()))?;
        if let Some(store) = stores.get(spec) {
            return Ok(store.clone());
        }
        let store = std::sync::Arc::new(ReplayStore::new(spec).map_err(StoreDown)?);
        stores.insert(spec.to_owned(), store.clone());
        Ok(store)
    }
}

/// Where seen `jti`s are kept.
pub enum ReplayStore {
    /// One instance's memory.
    Memory(Mutex<Seen>),
    /// A Redis server shared by instances.
    Redis {
        /// The client.
        client: redis::Client,
        /// The kept connection.
        conn: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    },
}

/// `jti` keys with their expiry, in memory. Expired entries are swept when the map has doubled
/// since the last sweep, so that a sweep's cost is spread over as many insertions as it scans
/// (never a full scan per request).
pub struct Seen {
    until: HashMap<String, i64>,
    sweep_at: usize,
}

const FIRST_SWEEP: usize = 10_000;

/// Bound on a Redis round trip: a hung store must not hang requests.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether `spec` names a store: `memory`, or a URL `redis::Client` accepts.
pub fn check_spec(spec: &str) -> Result<(), String> {
    ReplayStore::new(spec).map(drop)
}

impl ReplayStore {
    /// A store from `memory` or a `redis://` URL. Connects lazily.
    pub fn new(spec: &str) -> Result<ReplayStore, String> {
        if spec == "memory" {
            return Ok(ReplayStore::Memory(Mutex::new(Seen {
                until: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            })));
        }
        if spec.starts_with("redis://") || spec.starts_with("rediss://") {
            let client = redis::Client::open(spec).map_err(|e| e.to_string())?;
            return Ok(ReplayStore::Redis {
                client,
                conn: tokio::sync::Mutex::new(None),
            });
        }
        Err(format!("{spec:?}: use \"memory\" or a redis:// URL"))
    }

    /// Records `key` until `expires_at` (Unix seconds); `Ok(true)` the first time, `Ok(false)`
    /// for a replay.
    pub async fn first_use(&self, key: &str, expires_at: i64, now: i64) -> Result<bool, StoreDown> {
        match self {
            ReplayStore::Memory(seen) => {
                let mut seen = seen
                    .lock()
                    .map_err(|_| StoreDown("replay store poisoned".into()))?;
                if seen.until.len() >= seen.sweep_at {
                    seen.until.retain(|_, exp| *exp > now);
                    seen.sweep_at = (seen.until.len() * 2).max(FIRST_SWEEP);
                }
                match seen.until.get(key) {
                    Some(exp) if *exp > now => Ok(false),
                    _ => {
                        seen.until.insert(key.to_owned(), expires_at);
                        Ok(true)
                    }
                }
            }
            ReplayStore::Redis { client, conn } => {
                let ttl = (expires_at - now).max(1);
                // A value unique to this request: a retry after a lost answer recognises its own
                // mark, and a request answered 503 can take back exactly its own mark.
                let mark = joseguard::jwt::random_jti().map_err(|e| StoreDown(e.to_string()))?;
                let mut last = StoreDown("redis unreachable".into());
                // A kept connection may have died with a restarted Redis: one more attempt on a
                // fresh connection before calling the store down.
                for _ in 0..2 {
                    let mut c = match connection(client, conn).await {
                        Ok(c) => c,
                        Err(e) => {
                            last = e;
                            continue;
                        }
                    };
                    let cmd = eval(MARK_IF_ABSENT, key, &mark, ttl);
                    let claim = cmd.query_async::<i64>(&mut c);
                    match tokio::time::timeout(REDIS_TIMEOUT, claim).await {
                        Ok(Ok(first)) => return Ok(first == 1),
                        Ok(Err(e)) => {
                            *conn.lock().await = None;
                            take_back(c, key, &mark, ttl);
                            last = StoreDown(e.to_string());
                        }
                        Err(_) => {
                            *conn.lock().await = None;
                            take_back(c, key, &mark, ttl);
                            return Err(StoreDown("redis timed out".into()));
                        }
                    }
                }
                Err(last)
            }
        }
    }
}

/// Sets the key to this request's mark when it is absent (returns 1), or finds this request's
/// own mark from an attempt whose answer was lost (1), or another's (0: a replay).
const MARK_IF_ABSENT: &str = r"local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
if v == ARGV[1] then return 1 end
return 0";

/// Deletes the key only if it still holds this request's mark.
const TAKE_BACK: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// `EVAL script 1 key mark ttl` (scripts run atomically in Redis).
fn eval(script: &str, key: &str, mark: &str, ttl: i64) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(1).arg(key).arg(mark).arg(ttl);
    cmd
}

/// The shared connection, opened (within the timeout) when there is none.
async fn connection(
    client: &redis::Client,
    conn: &tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
) -> Result<redis::aio::MultiplexedConnection, StoreDown> {
    let mut guard = conn.lock().await;
    if let Some(c) = guard.as_ref() {
        return Ok(c.clone());
    }
    let fresh = tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection())
        .await
        .map_err(|_| StoreDown("redis timed out".into()))?
        .map_err(|e| StoreDown(e.to_string()))?;
    *guard = Some(fresh.clone());
    Ok(fresh)
}

/// A request that found Redis slow or failing is answered 503 and must not have spent its token:
/// the mark it asked for may still be set when Redis answers again (a frozen Redis runs the
/// buffered command later). So the take-back goes on the same connection, queued after that
/// command, and waits as long as the mark could live.
fn take_back(mut c: redis::aio::MultiplexedConnection, key: &str, mark: &str, ttl: i64) {
    let (key, mark) = (key.to_owned(), mark.to_owned());
    tokio::spawn(async move {
        let cmd = eval(TAKE_BACK, &key, &mark, ttl);
        let undo = cmd.query_async::<i64>(&mut c);
        match tokio::time::timeout(Duration::from_secs(ttl.max(1) as u64), undo).await {
            Ok(Ok(n)) => tracing::info!(
                removed = n,
                "single-use mark of a refused request taken back"
            ),
            Ok(Err(e)) => tracing::warn!(error = %e, "single-use mark could not be taken back"),
            Err(_) => tracing::warn!("single-use mark take-back timed out (the mark has expired)"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::ReplayStore;
    use crate::runtime::VerifiedCache;
    use joseguard::jws::Header;
    use joseguard::jwt::{Claims, Validation};
    use proptest::prelude::*;

    proptest! {
        /// One NumericDate, one rounding: whatever the fraction, leeway and TTL, a cached entry
        /// never serves a token the validation would refuse, and a single-use mark is still
        /// there at every second the validation would accept the token.
        #[test]
        fn cache_and_single_use_agree_with_validation(
            exp in 1_000_000_000i64..2_000_000_000,
            millis in 0u32..1000,
            leeway in 0u64..600,
            ttl in 0u64..900,
            cached_at in -700i64..700,
            later in 0i64..1500,
        ) {
            let payload = format!(r#"{{"exp":{exp}.{millis:03}}}"#);
            let validation = Validation::new().leeway(leeway);
            let accepts = |t: i64| validation.validate(&Header::new(), payload.as_bytes(), t).is_ok();
            let claims = Claims::from_json(payload.as_bytes()).unwrap();
            let valid_until = claims.valid_until(leeway);
            let now = exp + cached_at;
            prop_assume!(accepts(now));
            let t = now + later;
            let cache = VerifiedCache::new(8, std::time::Duration::from_secs(ttl));
            if t < cache.until(valid_until, now) {
                prop_assert!(accepts(t), "served from the cache at {t} after the token expired");
            }
            let store = ReplayStore::new("memory").unwrap();
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            prop_assert!(rt.block_on(store.first_use("k", valid_until.unwrap(), now)).unwrap());
            if accepts(t) {
                let first = rt.block_on(store.first_use("k", valid_until.unwrap(), t)).unwrap();
                prop_assert!(!first, "the mark was gone at {t} while the token was still valid");
            }
        }
    }
}
