//! JSON Web Signature (RFC 7515) with the algorithms of RFC 7518 §3, RFC 8037, RFC 8812 and
//! RFC 9864, unencoded payloads (RFC 7797), and all three serializations.
//!
//! - Sign with [`Builder`]: one payload, one or more signers, then [`Builder::compact`],
//!   [`Builder::flattened`] or [`Builder::general`].
//! - Verify with a [`Verifier`]: a [`VerifyPolicy`] (allowed algorithms, declared `crit` and
//!   private header names, limits) and [`Keys`] (one key, a JWK Set, or a resolver). It detects the
//!   serialization unless the policy demands one.
//! - [`peek_header`] reads the first protected header without verifying anything, for routing (for
//!   example to pick an issuer); [`crate::dangerous::decode_unverified`] decodes a whole token for
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
pub use sign::Builder;
pub use verify::{
    KeyResolver, Keys, Limits, SignatureOutcome, SignatureRequirement, Verified, Verifier,
    VerifyPolicy,
};

use std::borrow::Cow;

use crate::b64;
use crate::error::{Error, Result};

/// The three JWS serializations of RFC 7515 §3 and §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
// Not `non_exhaustive`: RFC 7515 §7 and RFC 7516 §7 define exactly these three.
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
pub(crate) struct RawSignature<'a> {
    /// The protected header segment exactly as received (its bytes are what was signed).
    pub protected_b64: Cow<'a, str>,
    pub protected: Header,
    pub unprotected: Option<Header>,
    pub signature: Vec<u8>,
}

/// A parsed JWS, before verification. Compact tokens are borrowed, not copied.
pub(crate) struct RawJws<'a> {
    pub serialization: Serialization,
    /// The payload exactly as it appears in the token (base64url, or raw with `b64: false`);
    /// `None` when the payload is detached.
    pub payload: Option<Cow<'a, str>>,
    /// A compact token's signing input, a slice of the token (`header.payload`).
    pub signing_input: Option<&'a [u8]>,
    pub signatures: Vec<RawSignature<'a>>,
}

/// A JWS parsed once and not yet verified: what routing needs (the serialization, the first
/// protected header, its `kid`, the unverified payload to pick an issuer by `iss`), then
/// [`Verifier::verify_parsed`] without parsing again. Compact tokens are borrowed.
pub struct ParsedJws<'a> {
    raw: RawJws<'a>,
    token_len: usize,
}

impl<'a> ParsedJws<'a> {
    /// Parses `token` under `limits` (the verifier's limits are checked again when it verifies).
    pub fn parse(token: &'a [u8], limits: &Limits) -> Result<ParsedJws<'a>> {
        Ok(ParsedJws {
            raw: parse(token, limits)?,
            token_len: token.len(),
        })
    }

    /// The serialization the parser found.
    pub fn serialization(&self) -> Serialization {
        self.raw.serialization
    }

    /// The first signature's protected header (unverified).
    pub fn protected_header(&self) -> &Header {
        &self.raw.signatures[0].protected
    }

    /// The first signature's `kid`, from its protected header or else its unprotected one
    /// (unverified).
    pub fn kid(&self) -> Option<&str> {
        let first = &self.raw.signatures[0];
        first
            .protected
            .kid()
            .or_else(|| first.unprotected.as_ref().and_then(Header::kid))
    }

    /// The payload, decoded as the first signature's `b64` says, unverified: for routing only.
    /// `None` when detached.
    pub fn unverified_payload(&self) -> Result<Option<Cow<'_, [u8]>>> {
        let b64_payload = self.raw.signatures[0].protected.b64().unwrap_or(true);
        match &self.raw.payload {
            None => Ok(None),
            Some(p) if b64_payload => Ok(Some(Cow::Owned(b64::decode(p.as_ref(), "payload")?))),
            Some(p) => Ok(Some(Cow::Borrowed(p.as_bytes()))),
        }
    }

    pub(crate) fn raw(&self) -> &RawJws<'a> {
        &self.raw
    }

    pub(crate) fn token_len(&self) -> usize {
        self.token_len
    }
}

/// Splits a token into its serialization and parses it, enforcing the size limits first.
pub(crate) fn parse<'a>(token: &'a [u8], limits: &Limits) -> Result<RawJws<'a>> {
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
    Header::from_json_vec(bytes, "protected header")
}

/// Signs a JWS Signing Input (`BASE64URL(protected) '.' payload`) that the caller assembled, for
/// reproducing exact bytes (test vectors, headers with particular whitespace). The key must fit
/// `alg` and be allowed to sign. Prefer [`Builder`].
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
    ParsedJws::parse(token, &Limits::default()).map(|p| p.protected_header().clone())
}
