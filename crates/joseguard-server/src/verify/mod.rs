//! The decision for one token on one route: serialization, `typ`/`cty`, issuer, keys,
//! signature, claims, rules. No HTTP and no network code here beyond the key sources it is
//! handed: a token and a route in, an [`Accepted`] or a [`Denial`] out.
//!
//! The token is parsed once ([`ParsedJws`]) and that parse serves routing (issuer by `iss` or
//! `kid`), key lookup and verification; the payload is parsed once, by the claim validation.

mod keys;

use std::sync::Arc;

use joseguard::jws::{Limits, ParsedJws, Serialization};
use serde_json::Value;

use crate::denial::{from_jose, Code, Denial};
pub use crate::runtime::Accepted;
use joseguard::header::normalize_media_type;

use crate::runtime::{Route, RouteIssuer, VerifiedCache};

/// Decides on `token` for `route` at time `now`; `detached` is the payload of a token that does
/// not carry it (RFC 7515 Appendix F). Rules run on every call; the rest may come from the
/// route's verified-token cache.
pub async fn decide(
    route: &Route,
    token: &[u8],
    detached: Option<&[u8]>,
    now: i64,
) -> Result<Arc<Accepted>, Denial> {
    let cache = route.cache.as_ref().filter(|_| detached.is_none());
    let key = cache.map(|_| VerifiedCache::key(token));
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
            return Err(Denial::new(Code::RuleDenied, why).about(accepted.audit()));
        }
    }
    Ok(accepted)
}

fn refuse(code: Code, detail: impl Into<String>) -> Denial {
    Denial::new(code, detail)
}

/// Everything but the rules.
async fn verify_token(
    route: &Route,
    token: &[u8],
    detached: Option<&[u8]>,
    now: i64,
) -> Result<Accepted, Denial> {
    let parsed = ParsedJws::parse(token, &Limits::default()).map_err(from_jose)?;
    // The serialization as the parser found it: refused before any key is looked up. The
    // route's policy demands the same again when it verifies.
    if parsed.serialization() != Serialization::Compact && !route.allow_json {
        return Err(refuse(
            Code::SerializationNotAllowed,
            "this route accepts the compact serialization only",
        ));
    }
    let header = parsed.protected_header();
    if let Some(typ) = header.typ().filter(|_| !route.typ.is_empty()) {
        // RFC 7515 §4.1.9: compare case-insensitively, `application/` optional. An absent typ
        // is accepted (it is optional in JWS).
        if !route.typ.contains(&normalize_media_type(typ)) {
            return Err(refuse(
                Code::TypNotAllowed,
                format!("typ {typ:?} is not accepted here"),
            ));
        }
    }
    if !route.cty.is_empty() {
        let cty = header.cty();
        if !cty.is_some_and(|c| route.cty.contains(&normalize_media_type(c))) {
            return Err(refuse(
                Code::CtyNotAllowed,
                format!("cty {cty:?} is not accepted here"),
            ));
        }
    }
    let ri = pick_issuer(route, &parsed)?;
    let verified = keys::verify(ri, &parsed, detached).await?;
    let (claims, valid_until) = claims(route, ri, &verified, now)?;
    Ok(route.slim(Accepted {
        issuer: ri.issuer.clone(),
        header: verified.protected_header().clone(),
        payload: verified.payload,
        claims,
        valid_until,
    }))
}

/// The claims as JSON, validated when the route checks claims, with the second the token stops
/// being valid. The payload is parsed once, strictly (duplicate members refused).
fn claims(
    route: &Route,
    ri: &RouteIssuer,
    verified: &joseguard::jws::Verified,
    now: i64,
) -> Result<(Value, Option<i64>), Denial> {
    if !route.check_claims {
        let value = joseguard::json::parse(&verified.payload, "payload");
        return match value {
            Ok(v @ Value::Object(_)) => Ok((v, None)),
            Err(e @ joseguard::Error::DuplicateMember { .. }) => Err(from_jose(e)),
            _ => Ok((Value::Null, None)),
        };
    }
    match ri
        .validation
        .validate(verified.protected_header(), &verified.payload, now)
    {
        Ok(c) => {
            let until = c.valid_until(ri.leeway);
            Ok((Value::Object(c.all), until))
        }
        // Not a JSON object: a signed document rather than a token.
        Err(joseguard::Error::Json { .. }) if !route.require_exp => Ok((Value::Null, None)),
        Err(joseguard::Error::Json { .. }) => Err(refuse(
            Code::TokenTimeInvalid,
            "claim \"exp\" missing (the payload is not a JSON object)",
        )),
        Err(e) => Err(from_jose(e)),
    }
}

/// The route's issuer; with several, the one whose `iss` the (unverified) payload names, else
/// (signed documents carry no `iss`) the one holding the header's `kid`. The choice only selects
/// keys and rules: the signature and `iss` are then verified.
fn pick_issuer<'r>(route: &'r Route, parsed: &ParsedJws<'_>) -> Result<&'r RouteIssuer, Denial> {
    if let [only] = route.issuers.as_slice() {
        return Ok(only);
    }
    let iss = parsed
        .unverified_payload()
        .ok()
        .flatten()
        .and_then(|p| joseguard::json::parse(&p, "payload").ok())
        .and_then(|v| v.get("iss").and_then(Value::as_str).map(str::to_owned));
    route
        .issuers
        .iter()
        .find(|ri| ri.issuer.iss.is_some() && ri.issuer.iss == iss)
        .or_else(|| {
            let kid = parsed.kid()?;
            route
                .issuers
                .iter()
                .find(|ri| ri.issuer.by_kid.contains_key(kid))
        })
        .ok_or_else(|| refuse(Code::IssuerUnknown, format!("no accepted issuer {iss:?}")))
}
