//! Verification: the policy, where keys come from, and what the caller learns.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::header::{self, HeaderRules};
use super::{primitive, Header, ParsedJws, RawJws, RawSignature, Serialization};
use crate::b64;
use crate::error::{Error, Result};
use crate::jwa::JwsAlgorithm;
use crate::jwk::{Jwk, JwkSet, KeyOperation};

/// Input limits. The defaults suit tokens in headers and request bodies; raise them for large
/// signed documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest token accepted, in bytes (default 1 MiB).
    pub max_token_bytes: usize,
    /// Largest encoded protected header, in bytes (default 64 KiB: room for an `x5c` chain of
    /// three ML-DSA-87 certificates, about 7.5 KB each before two base64 encodings).
    pub max_header_bytes: usize,
    /// Most signatures in a general JSON JWS (default 16).
    pub max_signatures: usize,
    /// Most keys tried for one signature when the token does not single one out (default 8).
    pub max_key_candidates: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_token_bytes: 1 << 20,
            max_header_bytes: 64 << 10,
            max_signatures: 16,
            max_key_candidates: 8,
        }
    }
}

/// With several signatures, how many must verify (CVE-2016-9122: a verifier that stops at the
/// first good signature must say so). The caller chooses; the default is [`All`](Self::All).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureRequirement {
    /// Every signature must verify.
    #[default]
    All,
    /// At least one signature must verify; [`Verified::signatures`] says which.
    AtLeastOne,
}

/// What a verifier accepts.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    algorithms: Vec<JwsAlgorithm>,
    crit: Vec<String>,
    private_headers: Vec<String>,
    any_private_header: bool,
    signatures: SignatureRequirement,
    serialization: Option<Serialization>,
    limits: Limits,
    min_rsa_bits: usize,
    mixed_key_sets: bool,
}

impl VerifyPolicy {
    /// A policy accepting exactly these algorithms. An empty list is refused: there is no
    /// "any algorithm" setting.
    pub fn new(algorithms: impl IntoIterator<Item = JwsAlgorithm>) -> Result<Self> {
        let mut algs: Vec<JwsAlgorithm> = algorithms.into_iter().collect();
        algs.sort();
        algs.dedup();
        if algs.is_empty() {
            return Err(Error::Config(
                "the allowed algorithm list must not be empty".into(),
            ));
        }
        Ok(VerifyPolicy {
            algorithms: algs,
            crit: Vec::new(),
            private_headers: Vec::new(),
            any_private_header: false,
            signatures: SignatureRequirement::All,
            serialization: None,
            limits: Limits::default(),
            min_rsa_bits: 2048,
            mixed_key_sets: false,
        })
    }

    /// Declares `crit` extension names this caller understands and processes (`b64` is built in).
    /// A token whose `crit` lists any other name is rejected.
    pub fn understand_crit(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.crit.extend(names.into_iter().map(Into::into));
        self
    }

    /// Declares private (unregistered) header names the caller accepts. By default a header with
    /// an unregistered name is rejected, as Authlib/joserfc do, so that a token cannot carry
    /// parameters nobody checks; see [`header::REGISTERED_HEADER_NAMES`](super::REGISTERED_HEADER_NAMES).
    pub fn allow_private_headers(
        mut self,
        names: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.private_headers
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// How many signatures of a general JSON JWS must verify.
    pub fn require_signatures(mut self, requirement: SignatureRequirement) -> Self {
        self.signatures = requirement;
        self
    }

    /// Accepts only this serialization.
    pub fn require_serialization(mut self, serialization: Serialization) -> Self {
        self.serialization = Some(serialization);
        self
    }

    /// Replaces the input limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Raises the minimum RSA modulus size (default and floor 2048 bits: the backend cannot verify
    /// with smaller keys, so lowering is not offered).
    pub fn min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits.max(2048);
        self
    }

    /// The allowed algorithms.
    pub fn algorithms(&self) -> &[JwsAlgorithm] {
        &self.algorithms
    }

    /// The limits in force.
    pub fn current_limits(&self) -> &Limits {
        &self.limits
    }

    /// Options that weaken a default ([`crate::dangerous`]).
    pub fn dangerous(self) -> crate::dangerous::Dangerous<Self> {
        crate::dangerous::Dangerous(self)
    }

    pub(crate) fn allow_mixed_key_set(mut self) -> Self {
        self.mixed_key_sets = true;
        self
    }

    /// The serialization this policy demands, if any.
    pub fn serialization(&self) -> Option<Serialization> {
        self.serialization
    }

    pub(crate) fn allow_any_private_header(mut self) -> Self {
        self.any_private_header = true;
        self
    }

    fn rules(&self) -> HeaderRules<'_> {
        HeaderRules {
            allowed: &self.algorithms,
            crit: &self.crit,
            private_names: &self.private_headers,
            any_private_name: self.any_private_header,
        }
    }
}

/// Finds the keys for a signature from its header, the way Authlib's `load_key(header, payload)`
/// does. Return them in the order they should be tried.
pub trait KeyResolver: Send + Sync {
    /// Keys to try for a signature with these headers under `alg` (already checked against the
    /// policy). The payload is unverified: use it only to route (for example by `iss`).
    fn resolve(
        &self,
        protected: &Header,
        unprotected: Option<&Header>,
        alg: JwsAlgorithm,
        payload: &[u8],
    ) -> Result<Vec<Arc<Jwk>>>;
}

/// Where a verifier's keys come from.
#[derive(Clone)]
#[non_exhaustive]
pub enum Keys {
    /// One key; a `kid` in the token is not consulted.
    Single(Arc<Jwk>),
    /// A JWK Set: keys chosen by `kid` when the token has one, else every key that fits `alg`.
    Set(Arc<JwkSet>),
    /// The caller's resolver.
    Resolver(Arc<dyn KeyResolver>),
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Keys::Single(k) => f.debug_tuple("Single").field(k).finish(),
            Keys::Set(s) => f.debug_tuple("Set").field(&s.len()).finish(),
            Keys::Resolver(_) => f.write_str("Resolver"),
        }
    }
}

impl From<Jwk> for Keys {
    fn from(k: Jwk) -> Self {
        Keys::Single(Arc::new(k))
    }
}
impl From<Arc<Jwk>> for Keys {
    fn from(k: Arc<Jwk>) -> Self {
        Keys::Single(k)
    }
}
impl From<JwkSet> for Keys {
    fn from(s: JwkSet) -> Self {
        Keys::Set(Arc::new(s))
    }
}
impl From<Arc<JwkSet>> for Keys {
    fn from(s: Arc<JwkSet>) -> Self {
        Keys::Set(s)
    }
}

/// The outcome of one signature.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignatureOutcome {
    /// Position in the token (0 for compact and flattened).
    pub index: usize,
    /// The protected header.
    pub protected: Header,
    /// The unprotected header (JSON serializations).
    pub unprotected: Option<Header>,
    /// The algorithm, when the header named an allowed one.
    pub alg: Option<JwsAlgorithm>,
    /// The key that verified the signature, if one did.
    pub key: Option<Arc<Jwk>>,
    /// Why it did not verify, if it did not.
    pub error: Option<Error>,
}

impl SignatureOutcome {
    /// True when this signature verified.
    pub fn is_verified(&self) -> bool {
        self.error.is_none()
    }
}

/// A verified JWS.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verified {
    /// The payload bytes (decoded unless `b64: false`).
    pub payload: Vec<u8>,
    /// The serialization the token used.
    pub serialization: Serialization,
    /// Every signature with its outcome, in token order.
    pub signatures: Vec<SignatureOutcome>,
}

impl Verified {
    /// The first verified signature (there is always one in a [`Verified`]).
    pub fn verified_signature(&self) -> &SignatureOutcome {
        self.signatures
            .iter()
            .find(|s| s.is_verified())
            .expect("a Verified holds at least one verified signature")
    }

    /// The protected header of the first verified signature.
    pub fn protected_header(&self) -> &Header {
        &self.verified_signature().protected
    }

    /// The payload parsed as JSON into `T`, duplicate members refused at every depth (the same
    /// strict parser as headers and claims: no "last one wins").
    pub fn payload_json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        let value = crate::json::parse(&self.payload, "payload")?;
        serde_json::from_value(value).map_err(|e| Error::Json {
            part: "payload",
            detail: e.to_string(),
        })
    }
}

/// Verifies JWS with a fixed policy and key source. Build once, share (it is `Send + Sync`).
///
/// ```
/// use joseguard::{Jwk, JwsAlgorithm, KeySpec, EcCurve};
/// use joseguard::jws::{self, Header, Verifier, VerifyPolicy};
///
/// let key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?;
/// let token = jws::Builder::new(b"{\"hello\":1}")
///     .signer(&key, JwsAlgorithm::ES256, Header::new())?
///     .compact()?;
///
/// let verifier = Verifier::new(VerifyPolicy::new([JwsAlgorithm::ES256])?, key.to_public()?);
/// let verified = verifier.verify(token.as_bytes())?;
/// assert_eq!(verified.payload, b"{\"hello\":1}");
/// # Ok::<(), joseguard::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    policy: VerifyPolicy,
    keys: Keys,
}

impl Verifier {
    /// A verifier with this policy and keys.
    pub fn new(policy: VerifyPolicy, keys: impl Into<Keys>) -> Verifier {
        Verifier {
            policy,
            keys: keys.into(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &VerifyPolicy {
        &self.policy
    }

    /// The same verifier, accepting only `serialization`.
    pub fn require_serialization(mut self, serialization: Serialization) -> Verifier {
        self.policy.serialization = Some(serialization);
        self
    }

    /// Verifies a JWS in any serialization (or the one the policy demands). A compact token with
    /// an empty payload segment verifies as an empty payload; use [`verify_detached`](Self::verify_detached)
    /// for detached content.
    pub fn verify(&self, token: &[u8]) -> Result<Verified> {
        self.check_keys()?;
        let parsed = ParsedJws::parse(token, &self.policy.limits)?;
        self.verify_parsed(&parsed)
    }

    /// Verifies a token parsed earlier (to route it) without parsing it again. The policy's
    /// limits and serialization are checked here, whatever limits it was parsed under.
    pub fn verify_parsed(&self, parsed: &ParsedJws<'_>) -> Result<Verified> {
        let raw = self.admit(parsed)?;
        let Some(segment) = raw.payload.as_deref() else {
            return Err(Error::Malformed(
                "payload is detached; use verify_detached".into(),
            ));
        };
        self.verify_raw(raw, PayloadSource::Token(segment))
    }

    /// Verifies a JWS whose payload was detached (RFC 7515 Appendix F): the token must carry no
    /// payload (an empty compact segment, or no `payload` member) and `payload` is the content.
    pub fn verify_detached(&self, token: &[u8], payload: &[u8]) -> Result<Verified> {
        self.check_keys()?;
        let parsed = ParsedJws::parse(token, &self.policy.limits)?;
        self.verify_parsed_detached(&parsed, payload)
    }

    /// [`verify_detached`](Self::verify_detached) on a token parsed earlier.
    pub fn verify_parsed_detached(
        &self,
        parsed: &ParsedJws<'_>,
        payload: &[u8],
    ) -> Result<Verified> {
        let raw = self.admit(parsed)?;
        if raw.payload.as_deref().is_some_and(|p| !p.is_empty()) {
            return Err(Error::Malformed(
                "token carries a payload; it is not detached".into(),
            ));
        }
        self.verify_raw(raw, PayloadSource::Detached(payload))
    }

    fn check_keys(&self) -> Result<()> {
        if let Keys::Set(set) = &self.keys {
            if set.mixes_secret_and_public() && !self.policy.mixed_key_sets {
                return Err(Error::KeyMismatch(
                    "the JWK Set mixes secret (oct) and public keys; keep them in separate sets"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// The policy's limits and serialization, on a parsed token.
    fn admit<'p, 'a>(&self, parsed: &'p ParsedJws<'a>) -> Result<&'p RawJws<'a>> {
        self.check_keys()?;
        let limits = &self.policy.limits;
        let raw = parsed.raw();
        if parsed.token_len() > limits.max_token_bytes {
            return Err(Error::TooLarge {
                what: "token",
                limit: limits.max_token_bytes,
            });
        }
        if raw.signatures.len() > limits.max_signatures {
            return Err(Error::TooLarge {
                what: "signatures",
                limit: limits.max_signatures,
            });
        }
        if raw
            .signatures
            .iter()
            .any(|s| s.protected_b64.len() > limits.max_header_bytes)
        {
            return Err(Error::TooLarge {
                what: "protected header",
                limit: limits.max_header_bytes,
            });
        }
        if let Some(expected) = self.policy.serialization {
            if expected != raw.serialization {
                return Err(Error::SerializationMismatch {
                    expected: expected.name(),
                    found: raw.serialization.name(),
                });
            }
        }
        Ok(raw)
    }

    fn verify_raw(&self, raw: &RawJws<'_>, source: PayloadSource<'_>) -> Result<Verified> {
        let rules = self.policy.rules();
        // Header checks first: they decide b64, which decides what the payload bytes are.
        let checked: Vec<Result<(JwsAlgorithm, bool)>> = raw
            .signatures
            .iter()
            .map(|s| header::check(&s.protected, s.unprotected.as_ref(), &rules))
            .collect();
        let b64_values: Vec<bool> = checked
            .iter()
            .filter_map(|c| c.as_ref().ok().map(|c| c.1))
            .collect();
        if b64_values.windows(2).any(|w| w[0] != w[1]) {
            return Err(Error::Crit("signatures disagree on b64".into()));
        }
        let b64_payload = b64_values.first().copied().unwrap_or(true);
        let (segment, payload) = if b64_values.is_empty() {
            // No header passed its checks, so no signature is verified and `b64` is unknown:
            // report the header errors below rather than a payload decoded under a guess.
            (Cow::Borrowed(&[][..]), Vec::new())
        } else {
            payload_bytes(&source, b64_payload)?
        };

        // A compact token with its payload in it signed exactly its own first two segments.
        let in_place = match source {
            PayloadSource::Token(_) => raw.signing_input,
            PayloadSource::Detached(_) => None,
        };
        let total = raw.signatures.len();
        let mut outcomes = Vec::with_capacity(total);
        for (index, (sig, check)) in raw.signatures.iter().zip(checked).enumerate() {
            let (alg, key, error) = match check {
                Err(e) => (None, None, Some(e)),
                Ok((alg, _)) => match self.verify_one(sig, alg, in_place, &segment, &payload) {
                    Ok(key) => (Some(alg), Some(key), None),
                    Err(e) => (Some(alg), None, Some(e)),
                },
            };
            outcomes.push(SignatureOutcome {
                index,
                protected: sig.protected.clone(),
                unprotected: sig.unprotected.clone(),
                alg,
                key,
                error,
            });
        }
        let verified = outcomes.iter().filter(|o| o.is_verified()).count();
        let ok = match self.policy.signatures {
            SignatureRequirement::All => verified == total,
            SignatureRequirement::AtLeastOne => verified >= 1,
        };
        if !ok {
            if total == 1 {
                return Err(outcomes.remove(0).error.unwrap_or(Error::SignatureInvalid));
            }
            return Err(Error::SignaturesInsufficient { verified, total });
        }
        Ok(Verified {
            payload,
            serialization: raw.serialization,
            signatures: outcomes,
        })
    }

    /// Verifies one signature; returns the key that verified it.
    fn verify_one(
        &self,
        sig: &RawSignature<'_>,
        alg: JwsAlgorithm,
        signing_input: Option<&[u8]>,
        payload_segment: &[u8],
        payload: &[u8],
    ) -> Result<Arc<Jwk>> {
        let kid = sig
            .protected
            .kid()
            .or_else(|| sig.unprotected.as_ref().and_then(Header::kid));
        let candidates: Cow<'_, [Arc<Jwk>]> = match &self.keys {
            Keys::Single(k) => Cow::Borrowed(std::slice::from_ref(k)),
            Keys::Set(set) => match kid {
                Some(kid) => Cow::Owned(set.by_kid(kid).cloned().collect()),
                None => Cow::Borrowed(set.keys()),
            },
            Keys::Resolver(r) => {
                Cow::Owned(r.resolve(&sig.protected, sig.unprotected.as_ref(), alg, payload)?)
            }
        };
        let assembled;
        let input = match signing_input {
            Some(input) => input,
            None => {
                let mut v = Vec::with_capacity(sig.protected_b64.len() + 1 + payload_segment.len());
                v.extend_from_slice(sig.protected_b64.as_bytes());
                v.push(b'.');
                v.extend_from_slice(payload_segment);
                assembled = v;
                &assembled
            }
        };
        // Keys that cannot be used are skipped; at most `max_key_candidates` usable ones are
        // tried.
        let mut usable = 0;
        let mut mismatch = None;
        for key in candidates.iter() {
            if let Err(e) = self.check_key(key, alg) {
                mismatch = Some(e);
                continue;
            }
            usable += 1;
            if usable > self.policy.limits.max_key_candidates {
                break;
            }
            if primitive::verify(key, alg, input, &sig.signature) {
                return Ok(key.clone());
            }
        }
        if usable > 0 {
            return Err(Error::SignatureInvalid);
        }
        // A key that exists but cannot be used says more than "unknown kid".
        Err(match (mismatch, kid) {
            (Some(e), Some(_)) => e,
            (Some(e), None) if matches!(self.keys, Keys::Single(_)) => e,
            (_, kid) => Error::KidUnknown {
                kid: kid.map(str::to_owned),
            },
        })
    }

    fn check_key(&self, key: &Jwk, alg: JwsAlgorithm) -> Result<()> {
        key.check_jws(alg, KeyOperation::Verify)?;
        if let Some(bits) = key.rsa_bits() {
            if bits < self.policy.min_rsa_bits {
                return Err(Error::KeyTooSmall {
                    bits,
                    min: self.policy.min_rsa_bits,
                });
            }
        }
        Ok(())
    }
}

enum PayloadSource<'a> {
    /// The payload segment as it appears in the token.
    Token(&'a str),
    /// Detached content, raw.
    Detached(&'a [u8]),
}

/// The payload as it enters the signing input, and the payload bytes. A detached unencoded
/// payload may be any bytes (RFC 7797 §5.2).
fn payload_bytes<'a>(
    source: &PayloadSource<'a>,
    b64_payload: bool,
) -> Result<(Cow<'a, [u8]>, Vec<u8>)> {
    match (source, b64_payload) {
        (PayloadSource::Token(seg), true) => {
            Ok((Cow::Borrowed(seg.as_bytes()), b64::decode(*seg, "payload")?))
        }
        (PayloadSource::Token(seg), false) => {
            Ok((Cow::Borrowed(seg.as_bytes()), seg.as_bytes().to_vec()))
        }
        (PayloadSource::Detached(p), true) => {
            Ok((Cow::Owned(b64::encode(p).into_bytes()), p.to_vec()))
        }
        (PayloadSource::Detached(p), false) => Ok((Cow::Borrowed(*p), p.to_vec())),
    }
}
