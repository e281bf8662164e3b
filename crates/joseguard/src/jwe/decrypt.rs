//! Decryption: the policy, the recipient's keys, and what the caller learns.

use std::fmt;
use std::sync::Arc;

use super::header::{self, JweRules};
use super::keymgmt::{self, PBES2_DEFAULT_ITERATIONS};
use super::{content, parse, zip, Header, RawJwe, Serialization};
use crate::error::{Error, Result};
use crate::jwa::{ContentEncryption, KeyManagementAlgorithm};
use crate::jwk::{Jwk, JwkSet};

/// Input limits for JWE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct JweLimits {
    /// Largest token, in bytes (default 1 MiB).
    pub max_token_bytes: usize,
    /// Largest encoded protected header, in bytes (default 64 KiB, as for JWS).
    pub max_header_bytes: usize,
    /// Most recipients in a general JSON JWE (default 16).
    pub max_recipients: usize,
    /// Most keys tried for one recipient when the token does not single one out (default 8).
    pub max_key_candidates: usize,
    /// Largest plaintext after `zip: DEF` inflation, in bytes (default 250 kB); inflation stops
    /// there.
    pub max_decompressed_bytes: usize,
    /// Highest PBES2 iteration count accepted (default 10,000), checked before any work.
    pub max_pbes2_iterations: u32,
}

impl Default for JweLimits {
    fn default() -> Self {
        JweLimits {
            max_token_bytes: 1 << 20,
            max_header_bytes: 64 << 10,
            max_recipients: 16,
            max_key_candidates: 8,
            max_decompressed_bytes: 250_000,
            max_pbes2_iterations: PBES2_DEFAULT_ITERATIONS,
        }
    }
}

/// What a decrypter accepts.
#[derive(Debug, Clone)]
pub struct DecryptPolicy {
    algorithms: Vec<KeyManagementAlgorithm>,
    encryptions: Vec<ContentEncryption>,
    crit: Vec<String>,
    private_headers: Vec<String>,
    serialization: Option<Serialization>,
    limits: JweLimits,
    min_rsa_bits: usize,
}

impl DecryptPolicy {
    /// A policy accepting exactly these `alg` and `enc` values; both lists must be non-empty.
    /// `RSA1_5` and the PBES2 algorithms are refused here: enable them with
    /// [`dangerous().enable_rsa1_5()`](crate::dangerous::Dangerous::enable_rsa1_5) and
    /// [`dangerous().enable_pbes2()`](crate::dangerous::Dangerous::enable_pbes2).
    pub fn new(
        algorithms: impl IntoIterator<Item = KeyManagementAlgorithm>,
        encryptions: impl IntoIterator<Item = ContentEncryption>,
    ) -> Result<Self> {
        let mut algorithms: Vec<_> = algorithms.into_iter().collect();
        let mut encryptions: Vec<_> = encryptions.into_iter().collect();
        algorithms.sort();
        algorithms.dedup();
        encryptions.sort();
        encryptions.dedup();
        if algorithms.is_empty() || encryptions.is_empty() {
            return Err(Error::Config(
                "the allowed alg and enc lists must not be empty".into(),
            ));
        }
        if let Some(a) = algorithms.iter().find(|a| a.needs_explicit_enable()) {
            return Err(Error::Config(format!(
                "{a} must be enabled explicitly (DecryptPolicy::enable_rsa1_5 / enable_pbes2)"
            )));
        }
        Ok(DecryptPolicy {
            algorithms,
            encryptions,
            crit: Vec::new(),
            private_headers: Vec::new(),
            serialization: None,
            limits: JweLimits::default(),
            min_rsa_bits: 2048,
        })
    }

    /// A policy from an explicit list that may name `RSA1_5` and the PBES2 algorithms, for
    /// allowlists that come from configuration or a command line where a person typed those
    /// names. PBES2 iteration counts are capped at `max_pbes2_iterations`. Both lists must be
    /// non-empty.
    pub fn new_explicit(
        algorithms: impl IntoIterator<Item = KeyManagementAlgorithm>,
        encryptions: impl IntoIterator<Item = ContentEncryption>,
        max_pbes2_iterations: u32,
    ) -> Result<Self> {
        let algorithms: Vec<_> = algorithms.into_iter().collect();
        let (explicit, ordinary): (Vec<_>, Vec<_>) =
            algorithms.iter().partition(|a| a.needs_explicit_enable());
        // Build from the ordinary ones (or a placeholder the explicit ones then replace).
        let seed = if ordinary.is_empty() {
            vec![KeyManagementAlgorithm::Dir]
        } else {
            ordinary.clone()
        };
        let mut policy = DecryptPolicy::new(seed, encryptions)?;
        if ordinary.is_empty() {
            policy.algorithms.clear();
        }
        policy.algorithms.extend(explicit);
        policy.algorithms.sort();
        policy.algorithms.dedup();
        if policy.algorithms.is_empty() {
            return Err(Error::Config(
                "the allowed alg list must not be empty".into(),
            ));
        }
        policy.limits.max_pbes2_iterations = max_pbes2_iterations;
        Ok(policy)
    }

    /// Options that weaken a default ([`crate::dangerous`]).
    pub fn dangerous(self) -> crate::dangerous::Dangerous<Self> {
        crate::dangerous::Dangerous(self)
    }

    pub(crate) fn enable_rsa1_5(mut self) -> Self {
        self.algorithms.push(KeyManagementAlgorithm::Rsa1_5);
        self
    }

    pub(crate) fn enable_pbes2(mut self, max_iterations: u32) -> Self {
        self.algorithms.extend([
            KeyManagementAlgorithm::Pbes2Hs256A128KW,
            KeyManagementAlgorithm::Pbes2Hs384A192KW,
            KeyManagementAlgorithm::Pbes2Hs512A256KW,
        ]);
        self.limits.max_pbes2_iterations = max_iterations;
        self
    }

    /// Declares `crit` extension names the caller understands.
    pub fn understand_crit(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.crit.extend(names.into_iter().map(Into::into));
        self
    }

    /// Declares private (unregistered) header names the caller accepts.
    pub fn allow_private_headers(
        mut self,
        names: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.private_headers
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Accepts only this serialization.
    pub fn require_serialization(mut self, serialization: Serialization) -> Self {
        self.serialization = Some(serialization);
        self
    }

    /// Replaces the limits (the PBES2 cap set by `enable_pbes2` is part of them).
    pub fn limits(mut self, limits: JweLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Raises the minimum RSA modulus size (floor 2048).
    pub fn min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits.max(2048);
        self
    }

    fn rules(&self) -> JweRules<'_> {
        JweRules {
            algorithms: &self.algorithms,
            encryptions: &self.encryptions,
            crit: &self.crit,
            private_names: &self.private_headers,
        }
    }
}

/// The recipient's keys.
#[derive(Clone)]
#[non_exhaustive]
pub enum DecryptionKeys {
    /// One key (for PBES2: an `oct` key holding the password); a `kid` in the token is not
    /// consulted.
    Single(Arc<Jwk>),
    /// A JWK Set: keys chosen by `kid` when the recipient has one, else every key that fits.
    Set(Arc<JwkSet>),
}

impl fmt::Debug for DecryptionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecryptionKeys::Single(k) => f.debug_tuple("Single").field(k).finish(),
            DecryptionKeys::Set(s) => f.debug_tuple("Set").field(&s.len()).finish(),
        }
    }
}

impl From<Jwk> for DecryptionKeys {
    fn from(k: Jwk) -> Self {
        DecryptionKeys::Single(Arc::new(k))
    }
}
impl From<Arc<Jwk>> for DecryptionKeys {
    fn from(k: Arc<Jwk>) -> Self {
        DecryptionKeys::Single(k)
    }
}
impl From<JwkSet> for DecryptionKeys {
    fn from(s: JwkSet) -> Self {
        DecryptionKeys::Set(Arc::new(s))
    }
}
impl From<Arc<JwkSet>> for DecryptionKeys {
    fn from(s: Arc<JwkSet>) -> Self {
        DecryptionKeys::Set(s)
    }
}

/// A decrypted JWE.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Decrypted {
    /// The plaintext (inflated if `zip: DEF`).
    pub plaintext: Vec<u8>,
    /// The serialization the token used.
    pub serialization: Serialization,
    /// The protected header.
    pub protected: Header,
    /// The shared unprotected header (JSON serializations).
    pub unprotected: Option<Header>,
    /// Which recipient was decrypted (0 for compact and flattened).
    pub recipient: usize,
    /// That recipient's own header (JSON serializations).
    pub recipient_header: Option<Header>,
    /// The key that decrypted it.
    pub key: Arc<Jwk>,
    /// The key-management algorithm used.
    pub alg: KeyManagementAlgorithm,
    /// The content encryption used.
    pub enc: ContentEncryption,
    /// The `aad` member (JSON serializations), decoded.
    pub aad: Option<Vec<u8>>,
}

impl Decrypted {
    /// A header member, looked up in the protected, shared and recipient headers.
    pub fn header_member(&self, name: &str) -> Option<&serde_json::Value> {
        self.protected
            .get(name)
            .or_else(|| self.unprotected.as_ref().and_then(|h| h.get(name)))
            .or_else(|| self.recipient_header.as_ref().and_then(|h| h.get(name)))
    }
}

/// Decrypts JWE with a fixed policy and keys. Build once, share.
#[derive(Debug, Clone)]
pub struct Decrypter {
    policy: DecryptPolicy,
    keys: DecryptionKeys,
}

impl Decrypter {
    /// A decrypter with this policy and keys.
    pub fn new(policy: DecryptPolicy, keys: impl Into<DecryptionKeys>) -> Decrypter {
        Decrypter {
            policy,
            keys: keys.into(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &DecryptPolicy {
        &self.policy
    }

    /// Decrypts a JWE in any serialization (or the one the policy demands).
    pub fn decrypt(&self, token: &[u8]) -> Result<Decrypted> {
        let raw = parse(token, &self.policy.limits)?;
        if let Some(expected) = self.policy.serialization {
            if expected != raw.serialization {
                return Err(Error::SerializationMismatch {
                    expected: expected.name(),
                    found: raw.serialization.name(),
                });
            }
        }
        let rules = self.policy.rules();
        let aad = raw.aad();
        let mut first_error = None;
        for (index, recipient) in raw.recipients.iter().enumerate() {
            let others: Vec<&Header> = raw
                .unprotected
                .iter()
                .chain(recipient.header.iter())
                .collect();
            let result = header::check(&raw.protected, &others, &rules).and_then(|checked| {
                let lookup = |name: &str| {
                    raw.protected
                        .get(name)
                        .or_else(|| others.iter().find_map(|h| h.get(name)))
                };
                let kid = lookup("kid").and_then(|v| v.as_str());
                self.try_keys(&raw, &aad, &checked, kid, &recipient.encrypted_key, &lookup)
            });
            match result {
                Ok((plaintext, key, alg, enc)) => {
                    return Ok(Decrypted {
                        plaintext,
                        serialization: raw.serialization,
                        protected: raw.protected.clone(),
                        unprotected: raw.unprotected.clone(),
                        recipient: index,
                        recipient_header: recipient.header.clone(),
                        key,
                        alg,
                        enc,
                        aad: raw
                            .aad_b64
                            .as_deref()
                            .map(|a| crate::b64::decode(a, "aad"))
                            .transpose()?,
                    })
                }
                // Limits are answered at once: trying other recipients would only add work.
                Err(e @ Error::TooLarge { .. }) => return Err(e),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(Error::DecryptionFailed))
    }

    #[allow(clippy::type_complexity)]
    fn try_keys<'a>(
        &self,
        raw: &RawJwe,
        aad: &[u8],
        checked: &header::Checked,
        kid: Option<&str>,
        encrypted_key: &[u8],
        lookup: &impl Fn(&str) -> Option<&'a serde_json::Value>,
    ) -> Result<(Vec<u8>, Arc<Jwk>, KeyManagementAlgorithm, ContentEncryption)> {
        let (alg, enc) = (checked.alg, checked.enc);
        let candidates: Vec<Arc<Jwk>> = match &self.keys {
            DecryptionKeys::Single(k) => vec![k.clone()],
            DecryptionKeys::Set(set) => match kid {
                Some(kid) => set.by_kid(kid).cloned().collect(),
                None => set.keys().to_vec(),
            },
        };
        let mut usable = Vec::new();
        let mut mismatch = None;
        for key in candidates {
            match keymgmt::check_key(&key, alg, enc, true, self.policy.min_rsa_bits) {
                Ok(()) => usable.push(key),
                Err(e) => mismatch = Some(e),
            }
        }
        if usable.is_empty() {
            return Err(match (mismatch, kid) {
                (Some(e), Some(_)) => e,
                (Some(e), None) if matches!(self.keys, DecryptionKeys::Single(_)) => e,
                (_, kid) => Error::KidUnknown {
                    kid: kid.map(str::to_owned),
                },
            });
        }
        usable.truncate(self.policy.limits.max_key_candidates);
        let mut last = Error::DecryptionFailed;
        for key in usable {
            let attempt = keymgmt::decrypt_key(
                alg,
                enc,
                &key,
                encrypted_key,
                lookup,
                self.policy.limits.max_pbes2_iterations,
            )
            .and_then(|cek| content::decrypt(enc, &cek, &raw.iv, aad, &raw.ciphertext, &raw.tag));
            match attempt {
                Ok(mut plaintext) => {
                    let plaintext = if checked.zip {
                        zip::decompress(&plaintext, self.policy.limits.max_decompressed_bytes)?
                    } else {
                        // Handed to the caller as is (an empty buffer is left to zeroize).
                        std::mem::take(&mut *plaintext)
                    };
                    return Ok((plaintext, key, alg, enc));
                }
                Err(e @ (Error::TooLarge { .. } | Error::Header { .. } | Error::Malformed(_))) => {
                    return Err(e)
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}
