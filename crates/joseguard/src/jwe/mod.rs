//! JSON Web Encryption (RFC 7516) with every key-management and content-encryption algorithm of
//! RFC 7518 that the backend offers, in all three serializations, and nested JWTs.
//!
//! - Encrypt with [`Builder`]: plaintext, `enc`, one or more recipients (each its own `alg` and
//!   key), then [`Builder::compact`], [`Builder::flattened`] or [`Builder::general`].
//! - Decrypt with a [`Decrypter`]: a [`DecryptPolicy`] (allowed `alg` and `enc` values, limits)
//!   and the recipient's keys. The result says which recipient and key were used.
//! - [`nested`] signs then encrypts, and decrypts then verifies, a JWT in one call.
//!
//! Failures to decrypt are one error, [`Error::DecryptionFailed`], whatever the cause (bad tag,
//! bad padding, bad wrapped key, wrong key), so they cannot be used as an oracle.

mod compact;
mod content;
mod decrypt;
mod encrypt;
mod header;
mod json;
mod keymgmt;
pub mod nested;
mod zip;

pub use crate::header::Header;
pub use crate::jws::Serialization;
pub use decrypt::{DecryptPolicy, Decrypted, Decrypter, DecryptionKeys, JweLimits};
pub use encrypt::Builder;
pub use header::REGISTERED_JWE_HEADER_NAMES;
pub use keymgmt::PBES2_DEFAULT_ITERATIONS;

use crate::b64;
use crate::error::{Error, Result};

pub(crate) struct RawRecipient {
    pub header: Option<Header>,
    pub encrypted_key: Vec<u8>,
}

/// A parsed JWE, before decryption.
pub(crate) struct RawJwe {
    pub serialization: Serialization,
    pub protected_b64: String,
    pub protected: Header,
    pub unprotected: Option<Header>,
    pub recipients: Vec<RawRecipient>,
    pub aad_b64: Option<String>,
    pub iv: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub tag: Vec<u8>,
}

impl RawJwe {
    /// The Additional Authenticated Data of RFC 7516 §5.1 step 14.
    pub(crate) fn aad(&self) -> Vec<u8> {
        aad(&self.protected_b64, self.aad_b64.as_deref())
    }
}

pub(crate) fn aad(protected_b64: &str, aad_b64: Option<&str>) -> Vec<u8> {
    let mut out = protected_b64.as_bytes().to_vec();
    if let Some(a) = aad_b64 {
        out.push(b'.');
        out.extend_from_slice(a.as_bytes());
    }
    out
}

pub(crate) fn parse(token: &[u8], limits: &JweLimits) -> Result<RawJwe> {
    if token.len() > limits.max_token_bytes {
        return Err(Error::TooLarge {
            what: "token",
            limit: limits.max_token_bytes,
        });
    }
    match token.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => json::parse(crate::json::parse_object(token, "JWE JSON")?, limits),
        _ => compact::parse(token, limits),
    }
}

fn decode_protected(segment: &str, limits: &JweLimits) -> Result<Header> {
    if segment.len() > limits.max_header_bytes {
        return Err(Error::TooLarge {
            what: "protected header",
            limit: limits.max_header_bytes,
        });
    }
    let bytes = b64::decode(segment, "protected header")?;
    Header::from_json_vec(bytes, "protected header")
}

/// Checks that `key` can serve `alg` with `enc`, for encrypting or (with `decrypting`) decrypting:
/// type, curve and size, the private part when decrypting, and the key's own `alg`/`use`/
/// `key_ops`.
pub fn check_key(
    key: &crate::jwk::Jwk,
    alg: crate::jwa::KeyManagementAlgorithm,
    enc: crate::jwa::ContentEncryption,
    decrypting: bool,
) -> Result<()> {
    keymgmt::check_key(key, alg, enc, decrypting, 2048)
}

/// The key-management algorithms `key` can decrypt with under one of `encs`, leaving out those
/// that must be enabled explicitly (RSA1_5, PBES2); when there is none, what is wrong with the
/// key, and for a key that only an opt-in algorithm could use, that it is opt-in.
pub fn usable_algorithms(
    key: &crate::jwk::Jwk,
    encs: &[crate::jwa::ContentEncryption],
) -> Result<Vec<crate::jwa::KeyManagementAlgorithm>> {
    use crate::jwa::ALL_KEY_MANAGEMENT_ALGORITHMS;
    let mut first_error = None;
    let mut fitting = Vec::new();
    let mut opt_in = Vec::new();
    for alg in ALL_KEY_MANAGEMENT_ALGORITHMS {
        if key.alg().is_some_and(|own| own != alg.name()) {
            continue;
        }
        // Fits when it fits with one of the content encryptions (dir depends on it).
        let mut fits = false;
        let mut why = None;
        for enc in encs {
            match check_key(key, alg, *enc, true) {
                Ok(()) => {
                    fits = true;
                    break;
                }
                Err(e) => {
                    why.get_or_insert(e);
                }
            }
        }
        match (fits, why) {
            (true, _) if alg.needs_explicit_enable() => opt_in.push(alg),
            (true, _) => fitting.push(alg),
            (false, Some(e)) => {
                first_error.get_or_insert(e);
            }
            (false, None) => {}
        }
    }
    if !fitting.is_empty() {
        return Ok(fitting);
    }
    if let Some(alg) = opt_in.first() {
        return Err(Error::KeyMismatch(format!(
            "the key fits only {}, which is refused unless enabled explicitly ({})",
            opt_in
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(", "),
            if *alg == crate::jwa::KeyManagementAlgorithm::Rsa1_5 {
                "RSA1_5 invites padding-oracle attacks"
            } else {
                "PBES2 costs the decrypter what the sender chooses"
            }
        )));
    }
    if let Some(own) = key.alg() {
        if own.parse::<crate::jwa::KeyManagementAlgorithm>().is_err() {
            return Err(Error::KeyMismatch(format!(
                "the key's alg {own:?} is not a JWE key-management algorithm"
            )));
        }
    }
    Err(first_error
        .unwrap_or_else(|| Error::KeyMismatch("no key-management algorithm uses this key".into())))
}

/// The protected header of a JWE, unverified and undecrypted (to route by `kid` or `iss`).
pub fn peek_header(token: &[u8]) -> Result<Header> {
    Ok(parse(token, &JweLimits::default())?.protected)
}
