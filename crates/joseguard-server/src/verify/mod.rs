//! The decision for one token on one route: issuer, keys, signature, header checks, claims, rules.
//! No HTTP here: the gateway and forward-auth handlers wrap it.

use std::sync::Arc;

use joseguard::jws::{self, dangerous, Header, Verified, Verifier};
use serde_json::Value;

use crate::answer::{from_jose, from_keys, from_x5c, Audit, Rejection};
use crate::runtime::{normalize_media_type, Issuer, Route};

/// An accepted token.
pub struct Accepted {
    pub issuer: Arc<Issuer>,
    pub header: Header,
    pub payload: Vec<u8>,
    /// The claims (the payload as JSON when it is an object, else `null`).
    pub claims: Value,
    /// The first second at which the token is no longer accepted for its `exp` (with the
    /// route's leeway), from the one NumericDate parse of the validation: the verified-token
    /// cache and the single-use store use this, never their own reading of `exp`.
    pub valid_until: Option<i64>,
}

fn malformed(detail: impl Into<String>) -> Rejection {
    Rejection::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "token_malformed",
        detail,
    )
}

/// Decides on `token` for `route` at time `now`.
pub async fn decide(route: &Route, token: &[u8], now: i64) -> Result<Arc<Accepted>, Rejection> {
    decide_detached(route, token, None, now).await
}

/// [`decide`] for a token whose payload may travel beside it (RFC 7515 Appendix F).
pub async fn decide_detached(
    route: &Route,
    token: &[u8],
    detached: Option<&[u8]>,
    now: i64,
) -> Result<Arc<Accepted>, Rejection> {
    let cache = route.cache.as_ref().filter(|_| detached.is_none());
    let key = cache.map(|_| cache_key(token));
    let cached = cache.zip(key.as_ref()).and_then(|(c, k)| c.get(k, now));
    let accepted = match cached {
        Some(a) => a,
        None => {
            let a = Arc::new(verify_token(route, token, detached, now).await?);
            if let (Some(c), Some(k)) = (cache, key) {
                c.put(k, &a, now);
            }
            a
        }
    };
    if let Some(rules) = &route.rules {
        if let Err(why) = rules.eval(&accepted.claims) {
            let mut r = Rejection::denied(why);
            r.audit = Some(Box::new(accepted.audit()));
            return Err(r);
        }
    }
    Ok(accepted)
}

fn cache_key(token: &[u8]) -> [u8; 32] {
    joseguard::Sha2::Sha256
        .digest(token)
        .try_into()
        .expect("SHA-256 is 32 bytes")
}

/// A verified token and the second until which it may be served from the cache.
type Entry = (Arc<Accepted>, i64);

/// Tokens a route verified, by SHA-256 of the token, so that one presented again skips the
/// signature and claim checks (rules still run on every request). An entry lasts at most the
/// TTL and never past the token's `exp` plus leeway; the cache belongs to the runtime, so a
/// reload (keys, issuers, routes changed) starts empty. Tokens verified through an `x5c` chain
/// are not kept: their revocation status is checked each time. When full, expired entries go
/// first, then everything (bounded memory, no eviction bookkeeping on the hot path).
pub struct VerifiedCache {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], Entry>>,
    capacity: usize,
    ttl: i64,
}

impl VerifiedCache {
    pub fn new(capacity: usize, ttl: std::time::Duration) -> VerifiedCache {
        VerifiedCache {
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
            capacity,
            ttl: ttl.as_secs().min(i64::MAX as u64) as i64,
        }
    }

    fn get(&self, key: &[u8; 32], now: i64) -> Option<Arc<Accepted>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(a, _)| a.clone())
    }

    /// Until when an entry made at `now` may serve: the TTL, never past the token's validity.
    fn until(&self, valid_until: Option<i64>, now: i64) -> i64 {
        let until = now.saturating_add(self.ttl);
        valid_until.map_or(until, |v| until.min(v))
    }

    fn put(&self, key: [u8; 32], accepted: &Arc<Accepted>, now: i64) {
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

/// Everything but the rules: serialization, `typ`/`cty`, issuer, signature, claims.
async fn verify_token(
    route: &Route,
    token: &[u8],
    detached: Option<&[u8]>,
    now: i64,
) -> Result<Accepted, Rejection> {
    // The serialization as the parser found it (leading whitespace and all), not a first byte.
    let (serialization, header) = jws::peek(token).map_err(from_jose)?;
    if serialization != jws::Serialization::Compact && !route.allow_json {
        return Err(Rejection::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "serialization_not_allowed",
            "this route accepts the compact serialization only",
        ));
    }
    if let Some(typ) = header.typ().filter(|_| !route.typ.is_empty()) {
        // RFC 7515 §4.1.9: compare case-insensitively, `application/` optional. An absent typ
        // is accepted (it is optional in JWS).
        if !route.typ.contains(&normalize_media_type(typ)) {
            return Err(Rejection::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "typ_not_allowed",
                format!("typ {typ:?} is not accepted here"),
            ));
        }
    }
    if !route.cty.is_empty() {
        let ok = header
            .cty()
            .is_some_and(|c| route.cty.contains(&normalize_media_type(c)));
        if !ok {
            return Err(Rejection::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "cty_not_allowed",
                format!("cty {:?} is not accepted here", header.cty()),
            ));
        }
    }
    let issuer = pick_issuer(route, &header, token)?;
    let verified = verify(route, &issuer, &header, token, detached).await?;
    let mut valid_until = None;
    let claims = match joseguard::json::parse(&verified.payload, "payload") {
        Ok(Value::Object(c)) if !route.check_claims => Value::Object(c),
        Ok(Value::Object(_)) => {
            let c = issuer
                .validation(route)
                .validate(verified.protected_header(), &verified.payload, now)
                .map_err(from_jose)?;
            valid_until = c.valid_until(issuer.leeway_on(route));
            Value::Object(c.all)
        }
        // Claims with a member twice are refused, never read last-wins.
        Err(e @ joseguard::Error::DuplicateMember { .. }) => return Err(from_jose(e)),
        _ if route.require_exp && route.check_claims => {
            return Err(Rejection::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "token_time_invalid",
                "claim \"exp\" missing (the payload is not a JSON object)",
            ));
        }
        _ => Value::Null,
    };
    Ok(Accepted {
        issuer,
        header: verified.protected_header().clone(),
        payload: verified.payload,
        claims,
        valid_until,
    })
}

impl Accepted {
    /// The identity for the audit log.
    pub fn audit(&self) -> Audit {
        let claim = |name: &str| {
            self.claims
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        Audit {
            issuer: self.issuer.name.clone(),
            iss: claim("iss"),
            sub: claim("sub"),
            jti: claim("jti"),
            kid: self.header.kid().unwrap_or("").to_owned(),
        }
    }
}

/// The route's issuer; with several, the one whose `iss` the (unverified) payload names, else
/// (signed documents carry no `iss`) the one holding the header's `kid`. The choice only selects
/// keys and rules: the signature and `iss` are then verified.
fn pick_issuer(route: &Route, header: &Header, token: &[u8]) -> Result<Arc<Issuer>, Rejection> {
    if route.issuers.len() == 1 {
        return Ok(route.issuers[0].clone());
    }
    let unverified = dangerous::decode_unverified(token).map_err(from_jose)?;
    let iss = unverified
        .payload
        .as_deref()
        .and_then(|p| joseguard::json::parse(p, "payload").ok())
        .and_then(|v| v.get("iss").and_then(Value::as_str).map(str::to_owned));
    route
        .issuers
        .iter()
        .find(|i| i.iss.is_some() && i.iss == iss)
        .or_else(|| {
            let kid = header.kid()?;
            route.issuers.iter().find(|i| i.by_kid.contains_key(kid))
        })
        .cloned()
        .ok_or_else(|| {
            Rejection::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "issuer_unknown",
                format!("no accepted issuer {iss:?}"),
            )
        })
}

async fn verify(
    route: &Route,
    issuer: &Issuer,
    header: &Header,
    token: &[u8],
    detached: Option<&[u8]>,
) -> Result<Verified, Rejection> {
    let run = |v: &Verifier| {
        match detached {
            Some(payload) => v.verify_detached(token, payload),
            None => v.verify(token),
        }
        .map_err(from_jose)
    };
    let kid = header.kid();
    let policy = || {
        let p = issuer.policy.clone();
        if route.crit.is_empty() {
            p
        } else {
            p.understand_crit(route.crit.iter().cloned())
        }
    };
    // A chain in the header is used only when the issuer configures trust anchors for it; the
    // leaf's key must then verify the token, and be the key pinned for its kid (docs/gateway.md,
    // "Which leaf may sign").
    if let Some(x5c) = &issuer.x5c {
        match header.get("x5c") {
            Some(chain) => {
                let leaf = x5c.policy.leaf_key(chain).await.map_err(from_x5c)?;
                match pinned_keys(issuer, kid).await? {
                    Some(pins) => {
                        let sha = joseguard::Sha2::Sha256;
                        let print = leaf.thumbprint(sha);
                        if !pins.iter().any(|k| k.thumbprint(sha) == print) {
                            return Err(Rejection::new(
                                axum::http::StatusCode::UNAUTHORIZED,
                                "x5c_key_mismatch",
                                "the x5c leaf's key is not the key configured for this kid",
                            ));
                        }
                    }
                    None if x5c.trust_any_leaf => {}
                    None => {
                        return Err(from_jose(joseguard::Error::KidUnknown {
                            kid: kid.map(str::to_owned),
                        }))
                    }
                }
                return run(&Verifier::new(policy(), leaf));
            }
            None if x5c.require => {
                return Err(Rejection::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "x5c_missing",
                    "this issuer's tokens must carry x5c",
                ));
            }
            None => {}
        }
    }
    let in_map = issuer.by_kid.contains_key(kid.unwrap_or("default"));
    if in_map || issuer.jwks.is_none() {
        if route.crit.is_empty() {
            return run(&issuer.static_verifier);
        }
        return run(&Verifier::new(policy(), issuer.static_keys.clone()));
    }
    let source = issuer.jwks.as_ref().expect("checked above");
    let set = source.keys_for(kid).await.map_err(from_keys)?;
    if set.is_empty() {
        return Err(malformed("the issuer's JWK Set has no usable key"));
    }
    run(&Verifier::new(policy(), set))
}

/// The keys an `x5c` leaf must match: the issuer's key for the token's kid (`default` without
/// one), else the keys of its JWK Set with that kid; `None` when nothing is configured for it.
async fn pinned_keys(
    issuer: &Issuer,
    kid: Option<&str>,
) -> Result<Option<Vec<Arc<joseguard::Jwk>>>, Rejection> {
    if let Some(key) = issuer.by_kid.get(kid.unwrap_or("default")) {
        return Ok(Some(vec![key.clone()]));
    }
    let (Some(kid), Some(source)) = (kid, &issuer.jwks) else {
        return Ok(None);
    };
    let set = source.keys_for(Some(kid)).await.map_err(from_keys)?;
    let keys: Vec<_> = set.by_kid(kid).cloned().collect();
    Ok((!keys.is_empty()).then_some(keys))
}

#[cfg(test)]
mod tests {
    use super::VerifiedCache;
    use crate::replay::ReplayStore;
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
