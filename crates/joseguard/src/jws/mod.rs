//! JSON Web Signature (RFC 7515) with the algorithms of RFC 7518 §3, RFC 8037, RFC 8812 and
//! RFC 9864, unencoded payloads (RFC 7797), and all three serializations.
//!
//! - Sign with [`JwsBuilder`]: one payload, one or more signers, then [`JwsBuilder::compact`],
//!   [`JwsBuilder::flattened`] or [`JwsBuilder::general`].
//! - Verify with a [`Verifier`]: a [`VerifyPolicy`] (allowed algorithms, declared `crit` and
//!   private header names, limits) and [`Keys`] (one key, a JWK Set, or a resolver). It detects the
//!   serialization unless the policy demands one.
//! - [`peek_header`] reads the first protected header without verifying anything, for routing (for
//!   example to pick an issuer); [`dangerous::decode_unverified`] decodes a whole token for
//!   debugging.

mod compact;
mod flattened;
mod general;
mod header;
mod primitive;
mod sign;
mod verify;

pub use crate::header::Header;
pub use header::REGISTERED_HEADER_NAMES;
pub use sign::JwsBuilder;
pub use verify::{
    KeyResolver, Keys, Limits, SignatureOutcome, SignatureRequirement, Verified, Verifier,
    VerifyPolicy,
};

use crate::b64;
use crate::error::{Error, Result};

/// The three JWS serializations of RFC 7515 §3 and §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Serialization {
    /// `header.payload.signature`.
    Compact,
    /// JSON with one signature at the top level (RFC 7515 §7.2.2).
    Flattened,
    /// JSON with a `signatures` array (RFC 7515 §7.2.1).
    General,
}

impl Serialization {
    /// A name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Serialization::Compact => "compact",
            Serialization::Flattened => "flattened JSON",
            Serialization::General => "general JSON",
        }
    }
}

/// One signature of a parsed JWS, before verification.
pub(crate) struct RawSignature {
    /// The protected header segment exactly as received (its bytes are what was signed).
    pub protected_b64: String,
    pub protected: Header,
    pub unprotected: Option<Header>,
    pub signature: Vec<u8>,
}

/// A parsed JWS, before verification.
pub(crate) struct RawJws {
    pub serialization: Serialization,
    /// The payload exactly as it appears in the token (base64url, or raw with `b64: false`);
    /// `None` when the payload is detached.
    pub payload: Option<String>,
    pub signatures: Vec<RawSignature>,
}

/// Splits a token into its serialization and parses it, enforcing the size limits first.
pub(crate) fn parse(token: &[u8], limits: &Limits) -> Result<RawJws> {
    if token.len() > limits.max_token_bytes {
        return Err(Error::TooLarge {
            what: "token",
            limit: limits.max_token_bytes,
        });
    }
    match token.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {
            let map = crate::json::parse_object(token, "JWS JSON")?;
            if map.contains_key("signatures") {
                general::parse(map, limits)
            } else {
                flattened::parse(map, limits)
            }
        }
        _ => compact::parse(token, limits),
    }
}

/// Decodes a header segment (base64url JSON object, duplicates refused).
pub(crate) fn decode_header(segment: &str, limits: &Limits) -> Result<Header> {
    if segment.len() > limits.max_header_bytes {
        return Err(Error::TooLarge {
            what: "protected header",
            limit: limits.max_header_bytes,
        });
    }
    let bytes = b64::decode(segment, "protected header")?;
    Header::from_json_bytes(&bytes, "protected header")
}

/// Signs a JWS Signing Input (`BASE64URL(protected) '.' payload`) that the caller assembled, for
/// reproducing exact bytes (test vectors, headers with particular whitespace). The key must fit
/// `alg` and be allowed to sign. Prefer [`JwsBuilder`].
pub fn sign_signing_input(
    key: &crate::jwk::Jwk,
    alg: crate::jwa::JwsAlgorithm,
    signing_input: &[u8],
) -> Result<Vec<u8>> {
    key.check_jws(alg, crate::jwk::KeyOperation::Sign)?;
    primitive::sign(key, alg, signing_input)
}

/// The signature primitive, for signers in this crate that have checked the key once already.
pub(crate) fn primitive_sign(
    key: &crate::jwk::Jwk,
    alg: crate::jwa::JwsAlgorithm,
    input: &[u8],
) -> Result<Vec<u8>> {
    primitive::sign(key, alg, input)
}

/// Signs a digest computed elsewhere (a signing service receiving only a document's hash): the
/// result is the same signature `alg` would give over the document. ECDSA and RSA only (Ed25519
/// signs messages, not digests); the digest must be the algorithm's hash. The caller vouches for
/// the digest.
pub fn sign_digest(
    key: &crate::jwk::Jwk,
    alg: crate::jwa::JwsAlgorithm,
    digest: &[u8],
) -> Result<Vec<u8>> {
    key.check_jws(alg, crate::jwk::KeyOperation::Sign)?;
    primitive::sign_digest(key, alg, digest)
}

/// The first signature's protected header, unverified. Use it to route (pick an issuer or a key
/// source), never to decide.
pub fn peek_header(token: &[u8]) -> Result<Header> {
    peek(token).map(|(_, header)| header)
}

/// The serialization the parser found and the first signature's protected header, unverified:
/// for routing, and for refusing a serialization before any key is looked up.
pub fn peek(token: &[u8]) -> Result<(Serialization, Header)> {
    let raw = parse(token, &Limits::default())?;
    let serialization = raw.serialization;
    raw.signatures
        .into_iter()
        .next()
        .map(|s| (serialization, s.protected))
        .ok_or_else(|| Error::Malformed("no signature".into()))
}

/// Operations that skip verification. Their names say so; never use them to make a decision.
pub mod dangerous {
    use super::*;

    /// A JWS decoded without verifying any signature.
    #[derive(Debug, Clone)]
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
        let raw = parse(token, &Limits::default())?;
        let b64_payload = raw
            .signatures
            .first()
            .is_none_or(|s| s.protected.b64().unwrap_or(true));
        let payload = match &raw.payload {
            None => None,
            Some(p) if b64_payload => Some(b64::decode(p, "payload")?),
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
}
