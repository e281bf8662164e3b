//! Nested JWTs (RFC 7519 §5.2, §11.2): a JWS inside a JWE with `cty: "JWT"`, as OpenID Connect
//! uses for encrypted ID tokens and userinfo responses.
//!
//! Decryption alone does not say who wrote the content (anyone with the recipient's public key can
//! encrypt to it), so [`decrypt_then_verify`] always verifies the inner signature.

use super::{Builder, Decrypted, Decrypter};
use crate::error::{Error, Result};
use crate::header::Header;
use crate::jwa::{ContentEncryption, JwsAlgorithm, KeyManagementAlgorithm};
use crate::jwk::Jwk;
use crate::jws::{self, Verified, Verifier};

/// Signs `claims` (the JWT payload) with `signer` under `sign_alg` (`typ: "JWT"`), then encrypts
/// the compact JWS to `recipient` under `alg`/`enc` with `cty: "JWT"`. Returns the compact JWE.
pub fn sign_then_encrypt(
    claims: &[u8],
    signer: &Jwk,
    sign_alg: JwsAlgorithm,
    recipient: &Jwk,
    alg: KeyManagementAlgorithm,
    enc: ContentEncryption,
) -> Result<String> {
    let inner = jws::Builder::new(claims)
        .signer(signer, sign_alg, Header::new().with("typ", "JWT"))?
        .compact()?;
    Builder::new(inner.as_bytes(), enc)
        .protected(Header::new().with("cty", "JWT"))
        .recipient(recipient, alg)?
        .compact()
}

/// A decrypted and verified nested JWT.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NestedVerified {
    /// The outer JWE (its plaintext is the inner compact JWS).
    pub decrypted: Decrypted,
    /// The inner JWS; its payload is the JWT claims.
    pub verified: Verified,
}

/// Decrypts a JWE and verifies the JWS inside it; the inner signature is always required.
///
/// RFC 7519 §5.2 says a nested JWT's JWE SHOULD carry `cty: "JWT"`; some providers (Singapore's
/// Corppass among them) leave it out. Since the caller asked for decrypt-then-verify, an absent
/// `cty` is accepted (the content must still be a JWS that verifies); a `cty` naming anything
/// other than JWT is refused.
pub fn decrypt_then_verify(
    token: &[u8],
    decrypter: &Decrypter,
    verifier: &Verifier,
) -> Result<NestedVerified> {
    let decrypted = decrypter.decrypt(token)?;
    match decrypted.header_member("cty") {
        None => {}
        Some(v) => {
            let is_jwt = v.as_str().is_some_and(|c| {
                c.eq_ignore_ascii_case("JWT") || c.eq_ignore_ascii_case("application/jwt")
            });
            if !is_jwt {
                return Err(Error::header(
                    "cty",
                    "a nested JWT's cty must be \"JWT\" (or absent)",
                ));
            }
        }
    }
    let verified = verifier.verify(&decrypted.plaintext)?;
    Ok(NestedVerified {
        decrypted,
        verified,
    })
}
