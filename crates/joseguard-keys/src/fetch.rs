//! The one HTTP fetcher for everything joseguard fetches (JWK Sets, CRLs), and a cache of what
//! it fetched.
//!
//! [`Fetcher`]: `http` and `https` only (`http` to loopback only, where asked), no redirects
//! unless configured (and then only to `http`/`https` under the same rule), a whole-request
//! timeout, and a size limit enforced while the body streams in.
//!
//! [`FetchCache`]: parsed documents by URL, shared as `Arc` (never copied per use), with one
//! fetch per URL at a time however many callers want it (single flight), failures remembered
//! for a short while (a hung server costs one timeout, not one per request), and a bound on the
//! bytes it keeps.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, CACHE_CONTROL};
use reqwest::{redirect, Client, StatusCode, Url};
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// What a [`Fetcher`] allows.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest body accepted; a longer one is cut off as it streams.
    pub max_body_bytes: usize,
    /// Redirects followed at most (default 0).
    pub max_redirects: usize,
    /// Refuse `http` except to loopback addresses (JWK Sets: keys must come over TLS). CRLs are
    /// signed and commonly served over `http`, so their fetcher allows it.
    pub https_except_loopback: bool,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The URL is not one this fetcher may fetch.
    Url(String),
    /// Connection, timeout, HTTP status, or a body over the limit.
    Http(String),
    /// The body is not the expected document.
    Parse(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Url(m) | FetchError::Http(m) | FetchError::Parse(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for FetchError {}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => h
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Whether `url` may be fetched under the scheme rule.
fn allowed(url: &Url, https_except_loopback: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if !https_except_loopback || is_loopback(url) => Ok(()),
        "http" => Err(format!("{url}: must be https (http only to loopback)")),
        s => Err(format!(
            "{url}: {s}:// is not fetched (http and https only)"
        )),
    }
}

/// A fetched body and the freshness its server gave it.
#[derive(Debug)]
pub struct Fetched {
    /// The body.
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` (zero for `no-store`/`no-cache`), when present.
    pub max_age: Option<Duration>,
}

/// An HTTP client under a [`FetchPolicy`].
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Client,
    policy: FetchPolicy,
}

impl Fetcher {
    /// A fetcher; nothing is fetched yet.
    pub fn new(policy: FetchPolicy) -> Result<Fetcher, FetchError> {
        let (limit, https_only) = (policy.max_redirects, policy.https_except_loopback);
        let redirects = if limit == 0 {
            redirect::Policy::none()
        } else {
            redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > limit {
                    attempt.error(format!("more than {limit} redirects"))
                } else if let Err(e) = allowed(attempt.url(), https_only) {
                    attempt.error(e)
                } else {
                    attempt.follow()
                }
            })
        };
        let client = Client::builder()
            .timeout(policy.timeout)
            .redirect(redirects)
            .user_agent(concat!("joseguard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Url(e.to_string()))?;
        Ok(Fetcher { client, policy })
    }

    /// Parses `url` and checks that this fetcher may fetch it.
    pub fn url(&self, url: &str) -> Result<Url, FetchError> {
        let parsed = Url::parse(url).map_err(|e| FetchError::Url(format!("{url:?}: {e}")))?;
        allowed(&parsed, self.policy.https_except_loopback).map_err(FetchError::Url)?;
        Ok(parsed)
    }

    /// GETs `url` (accepting `accept`); 200 only, the body at most `max_body_bytes`.
    pub async fn get(&self, url: &Url, accept: &str) -> Result<Fetched, FetchError> {
        allowed(url, self.policy.https_except_loopback).map_err(FetchError::Url)?;
        let fail = |e: reqwest::Error| {
            FetchError::Http(if e.is_timeout() {
                "timed out".into()
            } else {
                e.to_string()
            })
        };
        let mut resp = self
            .client
            .get(url.clone())
            .header(ACCEPT, accept)
            .send()
            .await
            .map_err(fail)?;
        if resp.status() != StatusCode::OK {
            return Err(FetchError::Http(format!("HTTP {}", resp.status().as_u16())));
        }
        let limit = self.policy.max_body_bytes;
        let too_large = || FetchError::Http(format!("body larger than {limit} bytes"));
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let max_age = max_age(resp.headers());
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(fail)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, max_age })
    }
}

/// `Cache-Control: max-age`, or zero for `no-store`/`no-cache`.
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let cc = headers.get(CACHE_CONTROL)?.to_str().ok()?;
    let mut age = None;
    for directive in cc.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            age = v
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    age
}

/// A parsed document: what it is, until when it may be used, and its cost in memory.
#[derive(Debug)]
pub struct Parsed<T> {
    /// The document.
    pub value: T,
    /// It must not be used after this (a CRL's `nextUpdate`).
    pub fresh_until: SystemTime,
    /// Bytes it holds, roughly (counted against the cache's bound).
    pub size: usize,
}

/// A cached document.
#[derive(Debug)]
pub struct Cached<T> {
    /// The document.
    pub value: T,
    /// Not to be used after this.
    pub fresh_until: SystemTime,
    /// When it was fetched.
    pub fetched: SystemTime,
    size: usize,
}

enum Slot<T> {
    Ready(Arc<Cached<T>>),
    Failed { error: FetchError, until: Instant },
}

type Flight<T> = Arc<OnceCell<Result<Arc<Cached<T>>, FetchError>>>;

struct State<T> {
    slots: HashMap<String, Slot<T>>,
    flights: HashMap<String, Flight<T>>,
    bytes: usize,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Fetch attempts.
    pub fetches: u64,
    /// Failed attempts.
    pub failures: u64,
    /// Documents kept.
    pub entries: usize,
    /// Bytes they hold.
    pub bytes: usize,
    /// Age of the oldest kept document.
    pub oldest_age: Option<Duration>,
}

/// Documents by URL; see the module documentation.
pub struct FetchCache<T> {
    fetcher: Fetcher,
    accept: &'static str,
    parse: fn(&[u8]) -> Result<Parsed<T>, String>,
    max_bytes: usize,
    max_entries: usize,
    failure_ttl: Duration,
    state: Mutex<State<T>>,
    fetches: std::sync::atomic::AtomicU64,
    failures: std::sync::atomic::AtomicU64,
}

impl<T: Send + Sync + 'static> FetchCache<T> {
    /// A cache fetching with `fetcher` (asking for `accept`), turning bodies into documents with
    /// `parse`, keeping at most `max_bytes` (and 1,024 URLs), and remembering a failure for
    /// `failure_ttl`.
    pub fn new(
        fetcher: Fetcher,
        accept: &'static str,
        parse: fn(&[u8]) -> Result<Parsed<T>, String>,
        max_bytes: usize,
        failure_ttl: Duration,
    ) -> FetchCache<T> {
        FetchCache {
            fetcher,
            accept,
            parse,
            max_bytes,
            max_entries: 1024,
            failure_ttl,
            state: Mutex::new(State {
                slots: HashMap::new(),
                flights: HashMap::new(),
                bytes: 0,
            }),
            fetches: Default::default(),
            failures: Default::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        use std::sync::atomic::Ordering::Relaxed;
        let st = self.state.lock().expect("fetch cache lock");
        let oldest = st
            .slots
            .values()
            .filter_map(|s| match s {
                Slot::Ready(c) => Some(c.fetched),
                Slot::Failed { .. } => None,
            })
            .min();
        CacheStats {
            fetches: self.fetches.load(Relaxed),
            failures: self.failures.load(Relaxed),
            entries: st
                .slots
                .values()
                .filter(|s| matches!(s, Slot::Ready(_)))
                .count(),
            bytes: st.bytes,
            oldest_age: oldest.and_then(|t| t.elapsed().ok()),
        }
    }

    /// The document at `url`: from the cache while fresh, else fetched once for every caller
    /// waiting on it; a failure is returned as is for `failure_ttl`.
    pub async fn get(&self, url: &str) -> Result<Arc<Cached<T>>, FetchError> {
        let flight = {
            let mut st = self.state.lock().expect("fetch cache lock");
            match st.slots.get(url) {
                Some(Slot::Ready(c)) if SystemTime::now() < c.fresh_until => return Ok(c.clone()),
                Some(Slot::Failed { error, until }) if Instant::now() < *until => {
                    return Err(error.clone())
                }
                _ => {}
            }
            st.flights.entry(url.to_owned()).or_default().clone()
        };
        flight
            .get_or_init(|| self.fetch_and_keep(url))
            .await
            .clone()
    }

    async fn fetch_and_keep(&self, url: &str) -> Result<Arc<Cached<T>>, FetchError> {
        use std::sync::atomic::Ordering::Relaxed;
        self.fetches.fetch_add(1, Relaxed);
        let outcome = self.fetch(url).await;
        let mut st = self.state.lock().expect("fetch cache lock");
        st.flights.remove(url);
        if let Some(Slot::Ready(old)) = st.slots.remove(url) {
            st.bytes -= old.size;
        }
        match &outcome {
            Ok(c) => {
                tracing::info!(url, bytes = c.size, "fetched");
                if c.size <= self.max_bytes {
                    while st.bytes + c.size > self.max_bytes || st.slots.len() >= self.max_entries {
                        if !evict_oldest(&mut st) {
                            break;
                        }
                    }
                    st.bytes += c.size;
                    st.slots.insert(url.to_owned(), Slot::Ready(c.clone()));
                }
            }
            Err(e) => {
                self.failures.fetch_add(1, Relaxed);
                tracing::warn!(url, error = %e, "fetch failed; remembered for a while");
                if st.slots.len() >= self.max_entries {
                    evict_oldest(&mut st);
                }
                st.slots.insert(
                    url.to_owned(),
                    Slot::Failed {
                        error: e.clone(),
                        until: Instant::now() + self.failure_ttl,
                    },
                );
            }
        }
        outcome
    }

    async fn fetch(&self, url: &str) -> Result<Arc<Cached<T>>, FetchError> {
        let parsed_url = self.fetcher.url(url)?;
        let fetched = self.fetcher.get(&parsed_url, self.accept).await?;
        let parsed = (self.parse)(&fetched.body).map_err(FetchError::Parse)?;
        Ok(Arc::new(Cached {
            value: parsed.value,
            fresh_until: parsed.fresh_until,
            fetched: SystemTime::now(),
            size: parsed.size,
        }))
    }
}

/// Drops a failure record, else the document fetched longest ago; false when empty.
fn evict_oldest<T>(st: &mut State<T>) -> bool {
    let victim = st
        .slots
        .iter()
        .min_by_key(|(_, s)| match s {
            Slot::Failed { .. } => None,
            Slot::Ready(c) => Some(c.fetched),
        })
        .map(|(u, _)| u.clone());
    match victim.and_then(|u| st.slots.remove(&u)) {
        Some(Slot::Ready(c)) => {
            st.bytes -= c.size;
            true
        }
        Some(Slot::Failed { .. }) => true,
        None => false,
    }
}
