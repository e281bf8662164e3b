//! Single-use tokens: a `jti` store with an atomic "set if absent, expire at the token's exp plus
//! skew". In memory for one instance; Redis (`SET key 1 NX EX ttl`) when several share the load.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The store could not be asked.
#[derive(Debug, Clone)]
pub struct StoreDown(pub String);

/// Where seen `jti`s are kept.
pub enum ReplayStore {
    Memory(Mutex<Seen>),
    Redis {
        client: redis::Client,
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
                let attempt = async {
                    let mut guard = conn.lock().await;
                    // A kept connection may have died with a restarted Redis: one retry on a
                    // fresh connection before calling the store down.
                    for _ in 0..2 {
                        let reused = guard.is_some();
                        if guard.is_none() {
                            let fresh = client
                                .get_multiplexed_async_connection()
                                .await
                                .map_err(|e| StoreDown(e.to_string()))?;
                            *guard = Some(fresh);
                        }
                        let c = guard.as_mut().expect("connected above");
                        let set: redis::RedisResult<Option<String>> = redis::cmd("SET")
                            .arg(key)
                            .arg(1)
                            .arg("NX")
                            .arg("EX")
                            .arg(ttl)
                            .query_async(c)
                            .await;
                        match set {
                            Ok(v) => return Ok(v.is_some()),
                            Err(e) => {
                                *guard = None;
                                if !reused {
                                    return Err(StoreDown(e.to_string()));
                                }
                            }
                        }
                    }
                    Err(StoreDown("redis connection lost".into()))
                };
                match tokio::time::timeout(REDIS_TIMEOUT, attempt).await {
                    Ok(r) => r,
                    Err(_) => {
                        *conn.lock().await = None;
                        Err(StoreDown("redis timed out".into()))
                    }
                }
            }
        }
    }
}
