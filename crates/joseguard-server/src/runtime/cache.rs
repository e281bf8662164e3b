//! Tokens a route verified, so that one presented again skips the signature and claim checks
//! (rules still run on every request).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Accepted;

/// A verified token and the second until which it may be served from the cache.
type Entry = (Arc<Accepted>, i64);

/// Verified tokens by SHA-256 of the token. An entry lasts at most the TTL and never past the
/// second the validation would refuse the token ([`Accepted::valid_until`]); the cache belongs
/// to the route, so a reload (keys, issuers, routes changed) starts empty. Tokens verified
/// through an `x5c` chain are not kept: their revocation status is checked each time. When
/// full, expired entries go first, then everything (bounded memory, no eviction bookkeeping on
/// the hot path).
pub struct VerifiedCache {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
    capacity: usize,
    ttl: i64,
}

impl VerifiedCache {
    /// A cache of at most `capacity` tokens, each kept at most `ttl`.
    pub fn new(capacity: usize, ttl: std::time::Duration) -> VerifiedCache {
        VerifiedCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
            ttl: ttl.as_secs().min(i64::MAX as u64) as i64,
        }
    }

    /// The cache key of a token: its SHA-256.
    pub fn key(token: &[u8]) -> [u8; 32] {
        joseguard::Sha2::Sha256
            .digest(token)
            .try_into()
            .expect("SHA-256 is 32 bytes")
    }

    /// The token's entry, while it may serve.
    pub fn get(&self, key: &[u8; 32], now: i64) -> Option<Arc<Accepted>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(a, _)| a.clone())
    }

    /// Until when an entry made at `now` may serve: the TTL, never past the token's validity.
    pub fn until(&self, valid_until: Option<i64>, now: i64) -> i64 {
        let until = now.saturating_add(self.ttl);
        valid_until.map_or(until, |v| until.min(v))
    }

    /// Keeps an accepted token (not one verified through an `x5c` chain).
    pub fn put(&self, key: [u8; 32], accepted: &Arc<Accepted>, now: i64) {
        if accepted.issuer.x5c.is_some() {
            return;
        }
        let until = self.until(accepted.valid_until, now);
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, u)| now < *u);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (accepted.clone(), until));
    }
}
