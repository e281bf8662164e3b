//! OAuth 2.0 client assertions (`private_key_jwt`, RFC 7523 §2.2 and §3; OpenID Connect Core
//! §9): `iss` = `sub` = the client id, `aud` = the token endpoint, a random `jti`, a short `exp`.

use super::{Builder, Claims, Token, Validation, Verifier};
use crate::error::Result;
use crate::jwa::JwsAlgorithm;
use crate::jwk::Jwk;
use crate::jws;

/// Default lifetime of a built assertion, in seconds.
pub const DEFAULT_LIFETIME: i64 = 60;

/// Builds a signed client assertion at time `now`, valid for `lifetime` seconds.
pub fn build(
    client_id: &str,
    token_endpoint: &str,
    key: &Jwk,
    alg: JwsAlgorithm,
    now: i64,
    lifetime: i64,
) -> Result<String> {
    let jti = super::random_jti()?;
    Builder::new()
        .issuer(client_id)
        .subject(client_id)
        .audience(token_endpoint)
        .jwt_id(&jti)
        .issued_at(now)
        .expires_at(now + lifetime)
        .sign(key, alg)
}

/// Verifies a client assertion for `client_id` at `token_endpoint`: the signature with the
/// client's keys, `iss` and `sub` equal to the client id, `aud` containing the endpoint, `exp`
/// and `jti` present, and (when `max_lifetime` is given) `exp - iat` at most that. Replay of the
/// `jti` is the caller's to track (it has the storage).
pub fn verify(
    token: &[u8],
    client_keys: jws::Verifier,
    client_id: &str,
    token_endpoint: &str,
    now: i64,
    max_lifetime: Option<i64>,
) -> Result<Token<Claims>> {
    let mut validation = Validation::new()
        .issuer(client_id)
        .subject(client_id)
        .audience(token_endpoint)
        .require(["jti"]);
    if let Some(max) = max_lifetime {
        validation = validation.require(["iat"]).max_lifetime(max.max(0) as u64);
    }
    Verifier::from_parts(client_keys, validation).verify_at(token, now)
}
