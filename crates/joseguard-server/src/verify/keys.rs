//! Which keys verify a token, and the verification itself: the issuer's static keys by `kid`,
//! its JWK Set (file or URL), or the leaf of an `x5c` chain that validated to a trust anchor
//! and is pinned to a configured key (docs/gateway.md, "Which leaf may sign").

use std::sync::Arc;

use joseguard::jws::{ParsedJws, Verified, Verifier};
use joseguard::Jwk;

use crate::denial::{from_jose, from_keys, from_x5c, Code, Denial};
use crate::runtime::{Issuer, RouteIssuer};

/// Verifies `parsed` with the keys `ri`'s issuer has for it, under the route's policy.
pub(super) async fn verify(
    ri: &RouteIssuer,
    parsed: &ParsedJws<'_>,
    detached: Option<&[u8]>,
) -> Result<Verified, Denial> {
    let run = |v: &Verifier| {
        match detached {
            Some(payload) => v.verify_parsed_detached(parsed, payload),
            None => v.verify_parsed(parsed),
        }
        .map_err(from_jose)
    };
    let issuer = &ri.issuer;
    let kid = parsed.kid();
    if let Some(x5c) = &issuer.x5c {
        match parsed.protected_header().get("x5c") {
            Some(chain) => {
                let leaf = x5c.policy.leaf_key(chain).await.map_err(from_x5c)?;
                match pinned_keys(issuer, kid).await? {
                    Some(pins) => {
                        let sha = joseguard::Sha2::Sha256;
                        let print = leaf.thumbprint(sha);
                        if !pins.iter().any(|k| k.thumbprint(sha) == print) {
                            return Err(Denial::new(
                                Code::X5cKeyMismatch,
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
                return run(&Verifier::new(ri.policy.clone(), leaf));
            }
            None if x5c.require => {
                return Err(Denial::new(
                    Code::X5cMissing,
                    "this issuer's tokens must carry x5c",
                ))
            }
            None => {}
        }
    }
    let in_map = issuer.by_kid.contains_key(kid.unwrap_or("default"));
    let Some(source) = issuer.jwks.as_ref().filter(|_| !in_map) else {
        return run(&ri.verifier);
    };
    let set = source.keys_for(kid).await.map_err(from_keys)?;
    if set.is_empty() {
        return Err(Denial::new(
            Code::TokenMalformed,
            "the issuer's JWK Set has no usable key",
        ));
    }
    run(&Verifier::new(ri.policy.clone(), set))
}

/// The keys an `x5c` leaf must match: the issuer's key for the token's kid (`default` without
/// one), else the keys of its JWK Set with that kid; `None` when nothing is configured for it.
async fn pinned_keys(issuer: &Issuer, kid: Option<&str>) -> Result<Option<Vec<Arc<Jwk>>>, Denial> {
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
