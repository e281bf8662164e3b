//! The front door for JWTs: one value that holds the allowed algorithms, the keys and the claim
//! validation, and answers `verify::<MyClaims>(token)`.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::validate::{check_replicated, Validation};
use crate::error::{Error, Result};
use crate::header::Header;
use crate::jwa::JwsAlgorithm;
use crate::jwe::nested::decrypt_then_verify;
use crate::jwe::Decrypter;
use crate::jwk::Jwk;
use crate::jws::{self, Keys, Serialization, VerifyPolicy};

/// A verified JWT: its claims as the caller's type, the protected header of its signature, and
/// the key that verified it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Token<C> {
    /// The claims.
    pub claims: C,
    /// The JWS protected header.
    pub header: Header,
    /// The key that verified the signature.
    pub key: Arc<Jwk>,
    /// For a nested JWT, the JWE protected header it came in.
    pub encryption: Option<Header>,
}

/// Verifies JWTs (RFC 7519, with the checks of RFC 8725): the compact JWS signature with an
/// allowed algorithm and one of its keys, then the claims under a [`Validation`], then the
/// claims deserialized into the caller's type in one more pass.
///
/// ```
/// use joseguard::jwt::{self, Claims};
/// use joseguard::{EcCurve, Jwk, JwsAlgorithm::ES256, KeySpec};
///
/// let key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?.with_kid("k1");
/// let token = jwt::Builder::new()
///     .issuer("https://op.example")
///     .audience("api")
///     .expires_at(jwt::now() + 300)
///     .sign(&key, ES256)?;
///
/// let verifier = jwt::Verifier::new([ES256], key.to_public()?)?
///     .issuer("https://op.example")
///     .audience("api");
/// let verified = verifier.verify::<Claims>(&token)?;
/// assert_eq!(verified.claims.iss.as_deref(), Some("https://op.example"));
/// # Ok::<(), joseguard::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    jws: jws::Verifier,
    validation: Validation,
    decrypter: Option<Decrypter>,
}

impl Verifier {
    /// A verifier for `algorithms` (at least one) with `keys` (a [`Jwk`], a
    /// [`JwkSet`](crate::JwkSet), or a [`KeyResolver`](crate::jws::KeyResolver)) and the default
    /// [`Validation`]: `exp` required, 60 s leeway. Name the issuer and audience you expect.
    pub fn new(
        algorithms: impl IntoIterator<Item = JwsAlgorithm>,
        keys: impl Into<Keys>,
    ) -> Result<Verifier> {
        let policy = VerifyPolicy::new(algorithms)?;
        Ok(Verifier::from_parts(
            jws::Verifier::new(policy, keys),
            Validation::new(),
        ))
    }

    /// A verifier from a JWS verifier and a validation. The JWS verifier is made to demand the
    /// compact serialization (RFC 7519 §7.2), however a JSON one is spelled.
    pub fn from_parts(verifier: jws::Verifier, validation: Validation) -> Verifier {
        Verifier {
            jws: verifier.require_serialization(Serialization::Compact),
            validation,
            decrypter: None,
        }
    }

    /// `iss` must equal this (call again to accept several).
    pub fn issuer(self, iss: &str) -> Verifier {
        self.map_validation(|v| v.issuer(iss))
    }

    /// `aud` must contain this, or another given this way.
    pub fn audience(self, aud: &str) -> Verifier {
        self.map_validation(|v| v.audience(aud))
    }

    /// `sub` must equal this.
    pub fn subject(self, sub: &str) -> Verifier {
        self.map_validation(|v| v.subject(sub))
    }

    /// The header `typ` must be one of these (e.g. `["at+jwt"]`).
    pub fn typ<S: Into<String>>(self, types: impl IntoIterator<Item = S>) -> Verifier {
        self.map_validation(|v| v.typ(types))
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (default 60).
    pub fn leeway(self, seconds: u64) -> Verifier {
        self.map_validation(|v| v.leeway(seconds))
    }

    /// These claims must be present.
    pub fn require<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Verifier {
        self.map_validation(|v| v.require(names))
    }

    /// Replaces the whole claim validation.
    pub fn with_validation(self, validation: Validation) -> Verifier {
        Verifier { validation, ..self }
    }

    /// The claim validation.
    pub fn validation(&self) -> &Validation {
        &self.validation
    }

    /// Tokens are nested JWTs (RFC 7519 §5.2: a JWS inside a JWE, as encrypted OpenID Connect ID
    /// tokens are): each is decrypted with `decrypter`, then its inner JWS is verified as a JWT.
    /// The inner signature is always required; a JWE `cty` other than `JWT` is refused (an
    /// absent one is accepted, as some providers omit it); `iss`, `sub` and `aud` replicated in
    /// the JWE header must equal the claims (RFC 7519 §5.3).
    pub fn decrypt_with(self, decrypter: Decrypter) -> Verifier {
        Verifier {
            decrypter: Some(decrypter),
            ..self
        }
    }

    fn map_validation(self, f: impl FnOnce(Validation) -> Validation) -> Verifier {
        Verifier {
            validation: f(self.validation),
            ..self
        }
    }

    /// Verifies `token` now (the system clock) and deserializes its claims into `C`
    /// ([`Claims`](super::Claims) keeps every claim).
    pub fn verify<C: DeserializeOwned>(&self, token: impl AsRef<[u8]>) -> Result<Token<C>> {
        self.verify_at(token, super::now())
    }

    /// [`verify`](Self::verify) at `now`, seconds since the Unix epoch (for tests and replays).
    pub fn verify_at<C: DeserializeOwned>(
        &self,
        token: impl AsRef<[u8]>,
        now: i64,
    ) -> Result<Token<C>> {
        let (jws, encryption) = match &self.decrypter {
            None => (self.jws.verify(token.as_ref())?, None),
            Some(decrypter) => {
                let n = decrypt_then_verify(token.as_ref(), decrypter, &self.jws)?;
                // A JWT is compact (RFC 7519 §7.2) whatever the decrypter allows: a JSON JWE
                // would carry header members outside the protected header, unchecked below.
                if n.decrypted.serialization != crate::jws::Serialization::Compact {
                    return Err(Error::SerializationMismatch {
                        expected: "compact",
                        found: n.decrypted.serialization.name(),
                    });
                }
                (n.verified, Some(n.decrypted.protected))
            }
        };
        let header = jws.protected_header().clone();
        let registered = self.validation.validate_fast(&header, &jws.payload, now)?;
        if let Some(outer) = &encryption {
            check_replicated(outer, &registered)?;
        }
        let claims = serde_json::from_slice(&jws.payload).map_err(|e| Error::Json {
            part: "JWT claims",
            detail: e.to_string(),
        })?;
        let key = jws
            .verified_signature()
            .key
            .clone()
            .ok_or(Error::SignatureInvalid)?;
        Ok(Token {
            claims,
            header,
            key,
            encryption,
        })
    }
}
