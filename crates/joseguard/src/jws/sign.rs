//! Producing a JWS in any serialization.

use serde_json::Value;

use super::{compact, flattened, general, primitive, Header};
use crate::b64;
use crate::error::{Error, Result};
use crate::jwa::JwsAlgorithm;
use crate::jwk::{Jwk, KeyOperation};

struct Signer<'k> {
    key: &'k Jwk,
    alg: JwsAlgorithm,
    protected: Header,
    unprotected: Option<Header>,
}

/// Builds and signs a JWS.
///
/// ```
/// use joseguard::{Jwk, JwsAlgorithm, KeySpec};
/// use joseguard::jws::{self, Header};
///
/// let key = Jwk::generate(KeySpec::Okp(joseguard::OkpCurve::Ed25519))?;
/// let token = jws::Builder::new(b"hello")
///     .signer(&key, JwsAlgorithm::EdDSA, Header::new().with("typ", "JOSE"))?
///     .compact()?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), joseguard::Error>(())
/// ```
pub struct Builder<'a> {
    payload: &'a [u8],
    b64: bool,
    detached: bool,
    signers: Vec<Signer<'a>>,
}

impl<'a> Builder<'a> {
    /// A JWS over `payload`.
    pub fn new(payload: &'a [u8]) -> Self {
        Builder {
            payload,
            b64: true,
            detached: false,
            signers: Vec::new(),
        }
    }

    /// Leaves the payload out of the output (RFC 7515 Appendix F); the verifier supplies it.
    pub fn detached(mut self, detached: bool) -> Self {
        self.detached = detached;
        self
    }

    /// With `false`, signs the payload unencoded (RFC 7797): `b64: false` and `crit: ["b64"]` are
    /// added to every protected header.
    pub fn b64(mut self, b64: bool) -> Self {
        self.b64 = b64;
        self
    }

    /// Adds a signer with a protected header (its `alg` is set from `alg`; its `kid` from the key's
    /// when neither header has one).
    pub fn signer(self, key: &'a Jwk, alg: JwsAlgorithm, protected: Header) -> Result<Self> {
        self.signer_with_unprotected(key, alg, protected, None)
    }

    /// Adds a signer with a protected and an unprotected header (JSON serializations only).
    pub fn signer_with_unprotected(
        mut self,
        key: &'a Jwk,
        alg: JwsAlgorithm,
        protected: Header,
        unprotected: Option<Header>,
    ) -> Result<Self> {
        key.check_jws(alg, KeyOperation::Sign)?;
        self.signers.push(Signer {
            key,
            alg,
            protected,
            unprotected,
        });
        Ok(self)
    }

    /// The compact serialization. Needs exactly one signer and no unprotected header.
    pub fn compact(&self) -> Result<String> {
        let (payload_segment, mut sigs) = self.sign_all()?;
        if sigs.len() != 1 {
            return Err(Error::Config(
                "the compact serialization has exactly one signature".into(),
            ));
        }
        let (protected, unprotected, sig) = sigs.remove(0);
        if unprotected.is_some_and(|h| !h.is_empty()) {
            return Err(Error::Config(
                "the compact serialization has no unprotected header".into(),
            ));
        }
        if !self.b64 && !self.detached && payload_segment.contains('.') {
            // RFC 7797 §5.2: a '.' would split the compact form.
            return Err(Error::Config(
                "an unencoded compact payload must not contain '.'".into(),
            ));
        }
        let payload = if self.detached { "" } else { &payload_segment };
        Ok(compact::serialize(&protected, payload, &sig))
    }

    /// The flattened JSON serialization. Needs exactly one signer.
    pub fn flattened(&self) -> Result<String> {
        let (payload_segment, mut sigs) = self.sign_all()?;
        if sigs.len() != 1 {
            return Err(Error::Config(
                "the flattened serialization has exactly one signature".into(),
            ));
        }
        let (protected, unprotected, sig) = sigs.remove(0);
        let payload = (!self.detached).then_some(payload_segment.as_str());
        Ok(flattened::serialize(
            payload,
            &protected,
            unprotected.as_ref(),
            &sig,
        ))
    }

    /// The general JSON serialization, with one entry per signer.
    pub fn general(&self) -> Result<String> {
        let (payload_segment, sigs) = self.sign_all()?;
        let payload = (!self.detached).then_some(payload_segment.as_str());
        Ok(general::serialize(payload, &sigs))
    }

    /// The payload segment and, per signer, (protected segment, unprotected header, signature).
    #[allow(clippy::type_complexity)]
    fn sign_all(&self) -> Result<(String, Vec<(String, Option<Header>, Vec<u8>)>)> {
        if self.signers.is_empty() {
            return Err(Error::Config("no signer".into()));
        }
        // The signing input takes the payload's bytes; an unencoded payload that travels inside
        // the JWS must be UTF-8, a detached one may be any bytes (RFC 7797 §5.2).
        let travels = !self.detached;
        let signed_payload: Vec<u8> = if self.b64 {
            b64::encode(self.payload).into_bytes()
        } else {
            if travels && std::str::from_utf8(self.payload).is_err() {
                return Err(Error::Config(
                    "an unencoded (b64: false) payload must be UTF-8 to travel in JOSE; detach it"
                        .into(),
                ));
            }
            self.payload.to_vec()
        };
        let payload_segment = if travels {
            String::from_utf8(signed_payload.clone()).expect("checked above")
        } else {
            String::new()
        };
        let mut out = Vec::with_capacity(self.signers.len());
        for s in &self.signers {
            let protected = self.protected_header(s)?;
            let protected_b64 = b64::encode(protected.to_json());
            let mut input = Vec::with_capacity(protected_b64.len() + 1 + signed_payload.len());
            input.extend_from_slice(protected_b64.as_bytes());
            input.push(b'.');
            input.extend_from_slice(&signed_payload);
            let sig = primitive::sign(s.key, s.alg, &input)?;
            out.push((protected_b64, s.unprotected.clone(), sig));
        }
        Ok((payload_segment, out))
    }

    fn protected_header(&self, s: &Signer<'_>) -> Result<Header> {
        // `alg` first, then the caller's members in their order.
        let mut h = Header::new().with("alg", s.alg.name());
        for (k, v) in s.protected.members() {
            if k != "alg" {
                h.insert(k, v.clone());
            }
        }
        let in_unprotected = |name: &str| s.unprotected.as_ref().is_some_and(|u| u.contains(name));
        if in_unprotected("alg") {
            return Err(Error::Config("alg belongs in the protected header".into()));
        }
        if let Some(kid) = s.key.kid() {
            if !h.contains("kid") && !in_unprotected("kid") {
                h.insert("kid", kid);
            }
        }
        if !self.b64 {
            h.insert("b64", false);
            let mut crit: Vec<Value> = match h.remove("crit") {
                Some(Value::Array(c)) => c,
                _ => Vec::new(),
            };
            if !crit.iter().any(|c| c == "b64") {
                crit.push("b64".into());
            }
            h.insert("crit", crit);
        }
        Ok(h)
    }
}
