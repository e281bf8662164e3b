//! Issuers: who signs, with which keys and algorithms, and what their tokens must claim.

use std::collections::HashMap;
use std::sync::Arc;

use joseguard::jws::{Header, KeyResolver, Keys, VerifyPolicy};
use joseguard::{Jwk, JwsAlgorithm};
use joseguard_keys::x5c::X5cPolicy;
use joseguard_keys::JwksSource;

/// An issuer: who signs, with which keys and algorithms, and what its tokens must claim.
pub struct Issuer {
    /// Its name in the configuration.
    pub name: String,
    /// Expected `iss`.
    pub iss: Option<String>,
    /// Its algorithms and private header names (routes add `crit` and the serialization).
    pub policy: VerifyPolicy,
    /// Accepted audiences (any-of).
    pub audiences: Vec<String>,
    /// Clock skew tolerated, in seconds.
    pub leeway: u64,
    /// Keys by `kid` (with `default` for tokens without one), verified without I/O.
    pub by_kid: Arc<HashMap<String, Arc<Jwk>>>,
    /// `by_kid` as a verifier sees it: by kid, or the one key whatever the kid (`ignore_kid`).
    pub static_keys: Keys,
    /// A JWK Set file or URL, consulted for `kid`s not in `by_kid`.
    pub jwks: Option<JwksSource>,
    /// Certificate chains in `x5c`, when configured.
    pub x5c: Option<IssuerX5c>,
}

/// An issuer's `x5c` settings: the chain policy, and how the leaf relates to configured keys.
pub struct IssuerX5c {
    /// Trust anchors, validity and revocation.
    pub policy: X5cPolicy,
    /// Tokens without `x5c` are refused.
    pub require: bool,
    /// Any leaf that chains to an anchor may sign, whatever its key and the token's kid.
    pub trust_any_leaf: bool,
}

/// Resolves `kid` (or `default` for tokens without one) in a fixed map.
pub struct KidMap(pub Arc<HashMap<String, Arc<Jwk>>>);

impl KeyResolver for KidMap {
    fn resolve(
        &self,
        protected: &Header,
        unprotected: Option<&Header>,
        _: JwsAlgorithm,
        _: &[u8],
    ) -> joseguard::Result<Vec<Arc<Jwk>>> {
        let kid = protected
            .kid()
            .or_else(|| unprotected.and_then(Header::kid));
        let key = self.0.get(kid.unwrap_or("default"));
        key.map(|k| vec![k.clone()])
            .ok_or_else(|| joseguard::Error::KidUnknown {
                kid: kid.map(str::to_owned),
            })
    }
}
