//! The one door to everything that weakens a default. Each type with such options has a
//! `dangerous()` method that leads here, so that a reviewer finds every use with one search:
//!
//! ```
//! use joseguard::jwa::{ContentEncryption, KeyManagementAlgorithm};
//! use joseguard::jwe::DecryptPolicy;
//!
//! // RSA1_5 is off by default (RFC 8725 §3.2); a legacy partner may leave no choice.
//! let policy = DecryptPolicy::new([KeyManagementAlgorithm::RsaOaep256], [ContentEncryption::A256Gcm])?
//!     .dangerous()
//!     .enable_rsa1_5();
//! # Ok::<(), joseguard::Error>(())
//! ```
//!
//! And [`decode_unverified`] reads a JWS without verifying it, for inspection only.

use crate::b64;
use crate::error::Result;
use crate::jwe::{self, DecryptPolicy};
use crate::jwk::Jwk;
use crate::jws::{self, Header, Limits, Serialization, VerifyPolicy};
use crate::jwt::Validation;

/// A value whose defaults are about to be weakened: each method says what it gives up and
/// returns the value.
#[derive(Debug)]
pub struct Dangerous<T>(pub(crate) T);

impl Dangerous<VerifyPolicy> {
    /// Verifies with a JWK Set that holds secret (`oct`) keys beside asymmetric ones, refused by
    /// default ([`JwkSet::mixes_secret_and_public`](crate::JwkSet::mixes_secret_and_public)):
    /// whoever can read the set could then forge HMAC tokens.
    pub fn allow_mixed_key_set(self) -> VerifyPolicy {
        self.0.allow_mixed_key_set()
    }

    /// Accepts any private header name: unknown parameters go unchecked.
    pub fn allow_any_private_header(self) -> VerifyPolicy {
        self.0.allow_any_private_header()
    }
}

impl Dangerous<Validation> {
    /// Accepts tokens without `exp`: such a token never expires.
    pub fn allow_missing_exp(self) -> Validation {
        self.0.allow_missing_exp()
    }
}

impl Dangerous<DecryptPolicy> {
    /// Accepts `RSA1_5` (RFC 8725 §3.2 advises against it); joseguard answers a bad unwrap with a
    /// random CEK so the failure is indistinguishable from a bad tag (RFC 7516 §11.5).
    pub fn enable_rsa1_5(self) -> DecryptPolicy {
        self.0.enable_rsa1_5()
    }

    /// Accepts `PBES2-HS256+A128KW`, `PBES2-HS384+A192KW` and `PBES2-HS512+A256KW` (a password is
    /// as strong as its entropy), with at most `max_iterations` PBKDF2 iterations, checked
    /// before any work.
    pub fn enable_pbes2(self, max_iterations: u32) -> DecryptPolicy {
        self.0.enable_pbes2(max_iterations)
    }
}

impl<'a> Dangerous<jwe::Builder<'a>> {
    /// Uses this CEK instead of a random one, to reproduce a test vector: a reused CEK destroys
    /// confidentiality.
    pub fn fixed_cek(self, cek: &[u8]) -> jwe::Builder<'a> {
        self.0.fixed_cek(cek)
    }

    /// Uses this content IV instead of a random one, to reproduce a test vector: a reused GCM
    /// IV destroys confidentiality and integrity.
    pub fn fixed_iv(self, iv: &[u8]) -> jwe::Builder<'a> {
        self.0.fixed_iv(iv)
    }

    /// Uses this ephemeral private key for ECDH-ES, to reproduce a test vector.
    pub fn ephemeral_key(self, key: Jwk) -> jwe::Builder<'a> {
        self.0.ephemeral_key(key)
    }

    /// Uses this PBES2 salt input (`p2s`), to reproduce a test vector.
    pub fn fixed_p2s(self, p2s: &[u8]) -> jwe::Builder<'a> {
        self.0.fixed_p2s(p2s)
    }

    /// Uses this IV for AES-GCM key wrapping, to reproduce a test vector.
    pub fn fixed_key_wrap_iv(self, iv: &[u8]) -> jwe::Builder<'a> {
        self.0.fixed_key_wrap_iv(iv)
    }
}

/// A JWS decoded without verifying any signature.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Unverified {
    /// The serialization of the token.
    pub serialization: Serialization,
    /// Protected and unprotected header of each signature.
    pub headers: Vec<(Header, Option<Header>)>,
    /// The payload (`None` when detached).
    pub payload: Option<Vec<u8>>,
}

/// Decodes a JWS without verifying it, for debugging and inspection only.
pub fn decode_unverified(token: &[u8]) -> Result<Unverified> {
    let raw = jws::parse(token, &Limits::default())?;
    let b64_payload = raw
        .signatures
        .first()
        .is_none_or(|s| s.protected.b64().unwrap_or(true));
    let payload = match &raw.payload {
        None => None,
        Some(p) if b64_payload => Some(b64::decode(p.as_ref(), "payload")?),
        Some(p) => Some(p.as_bytes().to_vec()),
    };
    Ok(Unverified {
        serialization: raw.serialization,
        headers: raw
            .signatures
            .into_iter()
            .map(|s| (s.protected, s.unprotected))
            .collect(),
        payload,
    })
}
