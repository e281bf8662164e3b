//! The decision for one token on one route: issuer, keys, signature, header checks, claims, rules.
//! No HTTP here: the gateway and forward-auth handlers wrap it.

use std::sync::Arc;

use joseguard::jws::{self, dangerous, Header, Verified, Verifier};
use serde_json::Value;

use crate::answer::{from_jose, from_keys, Audit, Rejection};
use crate::runtime::{normalize_media_type, Issuer, KidMap, Route};

/// An accepted token.
pub struct Accepted {
    pub issuer: Arc<Issuer>,
    pub header: Header,
    pub payload: Vec<u8>,
    /// The claims (the payload as JSON when it is an object, else `null`).
    pub claims: Value,
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

    fn put(&self, key: [u8; 32], accepted: &Arc<Accepted>, now: i64) {
        if accepted.issuer.x5c.is_some() {
            return;
        }
        let mut until = now.saturating_add(self.ttl);
        if let Some(exp) = accepted.claims.get("exp").and_then(Value::as_i64) {
            until = until.min(exp.saturating_add(accepted.issuer.leeway as i64));
        }
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
    let json = token.first() == Some(&b'{');
    if json && !route.allow_json {
        return Err(Rejection::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "serialization_not_allowed",
            "this route accepts the compact serialization only",
        ));
    }
    let header = jws::peek_header(token).map_err(from_jose)?;
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
    let claims = match serde_json::from_slice::<Value>(&verified.payload) {
        Ok(Value::Object(c)) if !route.check_claims => Value::Object(c),
        Ok(Value::Object(_)) => {
            let c = issuer
                .validation(route)
                .validate(verified.protected_header(), &verified.payload, now)
                .map_err(from_jose)?;
            Value::Object(c.all)
        }
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
        .and_then(|p| serde_json::from_slice::<Value>(p).ok())
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
    // leaf's key must then verify the token (and equal the configured key for the kid, if any).
    if let Some(x5c) = &issuer.x5c {
        match header.get("x5c") {
            Some(chain) => {
                let leaf = x5c.leaf_key(chain).await?;
                let configured = kid.and_then(|k| issuer.by_kid.get(k));
                if let Some(configured) = configured {
                    let sha = joseguard::Sha2::Sha256;
                    if configured.thumbprint(sha) != leaf.thumbprint(sha) {
                        return Err(Rejection::new(
                            axum::http::StatusCode::UNAUTHORIZED,
                            "x5c_key_mismatch",
                            "the x5c leaf's key is not the key configured for this kid",
                        ));
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
        let keys = jws::Keys::Resolver(Arc::new(KidMap(issuer.by_kid.clone())));
        return run(&Verifier::new(policy(), keys));
    }
    let source = issuer.jwks.as_ref().expect("checked above");
    let set = source.keys_for(kid).await.map_err(from_keys)?;
    if set.is_empty() {
        return Err(malformed("the issuer's JWK Set has no usable key"));
    }
    run(&Verifier::new(policy(), set))
}
