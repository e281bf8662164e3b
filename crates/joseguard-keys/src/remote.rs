//! A JWK Set fetched from a URL: cached, refreshed on key rotation, kept through outages for a
//! bounded time, then failing closed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use joseguard::JwkSet;
use reqwest::Url;
use tokio::time::Instant;

use crate::fetch::{FetchPolicy, Fetcher};
use crate::KeySourceError;

/// How a [`RemoteJwks`] caches and fetches. The defaults suit an OpenID provider's `jwks_uri`.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// How long a fetched set is fresh when the response has no `Cache-Control: max-age`
    /// (default 10 min).
    pub default_max_age: Duration,
    /// Lower bound applied to `Cache-Control: max-age` (default 30 s): a server cannot make us
    /// fetch on every request.
    pub min_max_age: Duration,
    /// Upper bound applied to `Cache-Control: max-age` (default 24 h): a server cannot pin keys
    /// for days.
    pub max_max_age: Duration,
    /// Least time between two fetches triggered by unknown `kid`s or after a failure
    /// (default 30 s).
    pub cooldown: Duration,
    /// Whole-request timeout (default 5 s).
    pub timeout: Duration,
    /// Largest response body accepted (default 512 KiB).
    pub max_body_bytes: usize,
    /// How long past its freshness the last good set is still served while refreshing fails
    /// (default 1 h). After that the source fails closed.
    pub stale_if_error: Duration,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        RemoteConfig {
            default_max_age: Duration::from_secs(600),
            min_max_age: Duration::from_secs(30),
            max_max_age: Duration::from_secs(86_400),
            cooldown: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            max_body_bytes: 512 << 10,
            stale_if_error: Duration::from_secs(3600),
        }
    }
}

/// Counters a server can export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Fetch attempts.
    pub fetches: u64,
    /// Failed fetch attempts.
    pub failures: u64,
    /// Lookups answered from a fresh set that had the `kid` (or no `kid` was asked).
    pub hits: u64,
    /// Lookups that found the set stale, absent, or without the `kid`.
    pub misses: u64,
    /// Age of the set being served.
    pub age: Option<Duration>,
    /// Number of keys in the set being served.
    pub keys: usize,
    /// Keys left out of fetched sets because they were secret (`oct`) or carried private
    /// members, over all fetches.
    pub refused_secret_keys: u64,
}

#[derive(Debug, Default)]
struct State {
    set: Option<Arc<JwkSet>>,
    fetched_at: Option<Instant>,
    fresh_until: Option<Instant>,
    /// When the last fetch started, and when the last one that finished had started: they
    /// differ while a fetch runs, or after one was abandoned (its caller went away).
    last_attempt: Option<Instant>,
    last_finished: Option<Instant>,
    last_error: Option<KeySourceError>,
    /// Bumped after every fetch attempt; lets waiters of a single flight see it happened.
    generation: u64,
}

/// A JWK Set URL. `https` is required, except `http` to a loopback address (local test servers
/// and sidecars). Redirects are not followed: a `jwks_uri` that moves must be reconfigured.
#[derive(Debug)]
pub struct RemoteJwks {
    url: Url,
    config: RemoteConfig,
    fetcher: Fetcher,
    state: Mutex<State>,
    fetch_lock: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
    failures: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    refused: AtomicU64,
}

impl RemoteJwks {
    /// A source for `url`; nothing is fetched until keys are first asked for.
    pub fn new(url: &str, config: RemoteConfig) -> Result<Self, KeySourceError> {
        let fetcher = Fetcher::new(FetchPolicy {
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
            max_redirects: 0,
            https_except_loopback: true,
        })
        .map_err(|e| KeySourceError::Config(e.to_string()))?;
        let url = fetcher
            .url(url)
            .map_err(|e| KeySourceError::Config(format!("JWK Set URL {e}")))?;
        Ok(RemoteJwks {
            url,
            config,
            fetcher,
            state: Mutex::new(State::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The counters and the served set's age.
    pub fn stats(&self) -> Stats {
        let st = self.state.lock().expect("lock poisoned");
        Stats {
            fetches: self.fetches.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            refused_secret_keys: self.refused.load(Ordering::Relaxed),
            age: st.fetched_at.map(|t| t.elapsed()),
            keys: st.set.as_ref().map_or(0, |s| s.len()),
        }
    }

    /// The set, fetching it when there is none or it is stale (used at start-up to be ready); a
    /// fetch that failed within the cooldown is reported rather than repeated.
    pub async fn warm_up(&self) -> Result<Arc<JwkSet>, KeySourceError> {
        self.keys_for(None).await
    }

    /// The set to verify a token naming `kid` with.
    ///
    /// A fresh set that has the `kid` (or when no `kid` is asked) is returned as is. A fresh set
    /// without it is refetched, at most once per cooldown (key rotation). A stale or absent set is
    /// refetched; when that fails, the last good set is served until `stale_if_error` past its
    /// freshness, then [`KeySourceError::Unavailable`].
    pub async fn keys_for(&self, kid: Option<&str>) -> Result<Arc<JwkSet>, KeySourceError> {
        let now = Instant::now();
        let (set, fresh, generation, cooled_down) = {
            let st = self.state.lock().expect("lock poisoned");
            let fresh = st.fresh_until.is_some_and(|t| now < t);
            let cooled = st
                .last_attempt
                .is_none_or(|t| now.duration_since(t) >= self.config.cooldown);
            (st.set.clone(), fresh, st.generation, cooled)
        };
        let has_kid = |s: &JwkSet| kid.is_none_or(|k| s.by_kid(k).next().is_some());
        if let (Some(s), true) = (&set, fresh) {
            if has_kid(s) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(s.clone());
            }
            self.misses.fetch_add(1, Ordering::Relaxed);
            if !cooled_down {
                // The kid is unknown and we fetched recently: the verifier will say kid unknown.
                return Ok(s.clone());
            }
            return Ok(self.refresh(generation).await.unwrap_or_else(|_| s.clone()));
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // One read of the last error: a refresh finishing meanwhile must not change the answer
        // between looking and taking.
        let failed_recently = match cooled_down {
            true => None,
            false => self.state.lock().expect("lock poisoned").last_error.clone(),
        };
        let result = match failed_recently {
            Some(e) => Err(e),
            None => self.refresh(generation).await,
        };
        match result {
            Ok(s) => Ok(s),
            Err(e) => self.stale_or_closed(e),
        }
    }

    fn stale_or_closed(&self, error: KeySourceError) -> Result<Arc<JwkSet>, KeySourceError> {
        let st = self.state.lock().expect("lock poisoned");
        match (&st.set, st.fresh_until) {
            (Some(set), Some(until)) if Instant::now() < until + self.config.stale_if_error => {
                tracing::warn!(url = %self.url, error = %error, "serving a stale JWK Set");
                Ok(set.clone())
            }
            _ => Err(KeySourceError::Unavailable(error.to_string())),
        }
    }

    /// One fetch shared by every caller that saw `generation`.
    async fn refresh(&self, generation: u64) -> Result<Arc<JwkSet>, KeySourceError> {
        let _flight = self.fetch_lock.lock().await;
        {
            let st = self.state.lock().expect("lock poisoned");
            if st.generation != generation {
                // Another caller fetched while we waited: share its outcome.
                return match (&st.last_error, &st.set) {
                    (None, Some(set)) => Ok(set.clone()),
                    (Some(e), _) => Err(e.clone()),
                    (None, None) => Err(KeySourceError::Unavailable("no JWK Set yet".into())),
                };
            }
        }
        let started = Instant::now();
        {
            // The attempt counts from its start: a caller that goes away mid-fetch (a reset
            // request) drops this future, and the next caller must not simply fetch again, or
            // aborted requests naming unknown kids would keep the provider busy.
            let mut st = self.state.lock().expect("lock poisoned");
            // Holding the flight lock, nothing runs: a start without a finish was abandoned.
            let abandoned = st.last_attempt.filter(|t| st.last_finished != Some(*t));
            if abandoned.is_some_and(|t| started.duration_since(t) < self.config.cooldown) {
                return Err(KeySourceError::Unavailable(
                    "a fetch was abandoned moments ago; waiting out the cooldown".into(),
                ));
            }
            st.last_attempt = Some(started);
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let outcome = self.fetch().await;
        let mut st = self.state.lock().expect("lock poisoned");
        st.generation += 1;
        st.last_finished = Some(started);
        match outcome {
            Ok((set, ttl)) => {
                tracing::info!(url = %self.url, keys = set.len(), ttl_s = ttl.as_secs(), "JWK Set fetched");
                st.set = Some(set.clone());
                st.fetched_at = Some(started);
                st.fresh_until = Some(started + ttl);
                st.last_error = None;
                Ok(set)
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(url = %self.url, error = %e, "JWK Set fetch failed");
                st.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    async fn fetch(&self) -> Result<(Arc<JwkSet>, Duration), KeySourceError> {
        let fetched = self
            .fetcher
            .get(&self.url, "application/jwk-set+json, application/json")
            .await
            .map_err(|e| KeySourceError::Fetch(e.to_string()))?;
        let ttl = fetched
            .max_age
            .map(|a| a.clamp(self.config.min_max_age, self.config.max_max_age))
            .unwrap_or(self.config.default_max_age);
        let set = JwkSet::from_json(&fetched.body).map_err(KeySourceError::Parse)?;
        // A secret published at a URL is no secret: oct keys and keys with private members
        // are never used from a fetched set (counted, and logged).
        let (set, refused) = set.without_secrets();
        if refused > 0 {
            self.refused.fetch_add(refused as u64, Ordering::Relaxed);
            tracing::warn!(url = %self.url, refused, "JWK Set publishes secret or private keys; they are not used");
        }
        Ok((Arc::new(set), ttl))
    }
}
