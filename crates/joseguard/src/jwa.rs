//! Algorithm and curve names from the JWA registry (RFC 7518, RFC 8037, RFC 8812, RFC 9864), and
//! what each algorithm needs from a key.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A JWS algorithm (`alg` of RFC 7515 §4.1.1). `none` is deliberately absent: it cannot be named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // the variants are the registry's names
#[non_exhaustive]
pub enum JwsAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    /// ECDSA over secp256k1 with SHA-256 (RFC 8812).
    ES256K,
    /// EdDSA (RFC 8037); joseguard implements it with Ed25519 only.
    EdDSA,
    /// Ed25519 by its fully specified name (RFC 9864).
    Ed25519,
    /// ML-DSA-44 (FIPS 204, RFC 9964), pure mode, empty context.
    MlDsa44,
    /// ML-DSA-65 (FIPS 204, RFC 9964).
    MlDsa65,
    /// ML-DSA-87 (FIPS 204, RFC 9964).
    MlDsa87,
}

/// An ML-DSA parameter set (FIPS 204): what an `AKP` key's `alg` names (RFC 9964).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MlDsa {
    /// ML-DSA-44 (NIST security category 2).
    MlDsa44,
    /// ML-DSA-65 (category 3).
    MlDsa65,
    /// ML-DSA-87 (category 5).
    MlDsa87,
}

impl MlDsa {
    /// Every parameter set.
    pub const ALL: [MlDsa; 3] = [MlDsa::MlDsa44, MlDsa::MlDsa65, MlDsa::MlDsa87];

    /// The name, which is also the JWS `alg`: `ML-DSA-44`, `ML-DSA-65`, `ML-DSA-87`.
    pub fn name(self) -> &'static str {
        self.jws_algorithm().name()
    }

    /// The JWS algorithm of this parameter set.
    pub fn jws_algorithm(self) -> JwsAlgorithm {
        match self {
            MlDsa::MlDsa44 => JwsAlgorithm::MlDsa44,
            MlDsa::MlDsa65 => JwsAlgorithm::MlDsa65,
            MlDsa::MlDsa87 => JwsAlgorithm::MlDsa87,
        }
    }

    /// Public key length in bytes (FIPS 204 Table 2).
    pub fn public_key_len(self) -> usize {
        match self {
            MlDsa::MlDsa44 => 1312,
            MlDsa::MlDsa65 => 1952,
            MlDsa::MlDsa87 => 2592,
        }
    }

    /// Signature length in bytes.
    pub fn signature_len(self) -> usize {
        match self {
            MlDsa::MlDsa44 => 2420,
            MlDsa::MlDsa65 => 3309,
            MlDsa::MlDsa87 => 4627,
        }
    }
}

impl FromStr for MlDsa {
    type Err = Error;
    fn from_str(s: &str) -> Result<MlDsa, Error> {
        MlDsa::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| Error::AlgUnsupported {
                alg: format!("{s} (an ML-DSA parameter set: ML-DSA-44, ML-DSA-65 or ML-DSA-87)"),
            })
    }
}

/// What kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyRequirement {
    /// A symmetric `oct` key of at least this many bytes (RFC 7518 §3.2: the hash size).
    Oct {
        /// Minimum key length in bytes.
        min_len: usize,
    },
    /// An RSA key.
    Rsa,
    /// An EC key on this curve.
    Ec(EcCurve),
    /// An OKP key on this curve.
    Okp(OkpCurve),
    /// An `AKP` key of this ML-DSA parameter set.
    Akp(MlDsa),
}

impl KeyRequirement {
    /// Whether `key` is of the kind this requirement asks for (type and curve; length aside).
    pub fn fits_type_of(self, key: &crate::jwk::Jwk) -> bool {
        match self {
            KeyRequirement::Oct { .. } => key.key_type() == crate::jwk::KeyType::Oct,
            KeyRequirement::Rsa => key.key_type() == crate::jwk::KeyType::Rsa,
            KeyRequirement::Ec(c) => key.ec_curve() == Some(c),
            KeyRequirement::Okp(c) => key.okp_curve() == Some(c),
            KeyRequirement::Akp(set) => key.ml_dsa() == Some(set),
        }
    }
}

/// A SHA-2 hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sha2 {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Sha2 {
    /// Output length in bytes.
    pub fn len(self) -> usize {
        match self {
            Sha2::Sha256 => 32,
            Sha2::Sha384 => 48,
            Sha2::Sha512 => 64,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        crate::crypto::sha2(self, data)
    }

    /// Always false: a hash has output. Present for clippy's `len_without_is_empty`.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The name as hash registries write it: `SHA-256`, `SHA-384`, `SHA-512`.
    pub fn name(self) -> &'static str {
        match self {
            Sha2::Sha256 => "SHA-256",
            Sha2::Sha384 => "SHA-384",
            Sha2::Sha512 => "SHA-512",
        }
    }
}

impl FromStr for Sha2 {
    type Err = Error;

    /// `SHA-256`, `SHA256` or `sha-256` (and 384, 512).
    fn from_str(s: &str) -> Result<Sha2, Error> {
        match s.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA256" => Ok(Sha2::Sha256),
            "SHA384" => Ok(Sha2::Sha384),
            "SHA512" => Ok(Sha2::Sha512),
            _ => Err(Error::AlgUnsupported {
                alg: format!("{s} (a SHA-2 hash: SHA-256, SHA-384 or SHA-512)"),
            }),
        }
    }
}

impl fmt::Display for Sha2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The RSA signature padding of an `RS*`/`PS*` algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaPadding {
    /// RSASSA-PKCS1-v1_5.
    Pkcs1,
    /// RSASSA-PSS with MGF1 and a salt as long as the hash.
    Pss,
}

/// All JWS algorithms joseguard implements, in registry order.
pub const ALL_JWS_ALGORITHMS: [JwsAlgorithm; 18] = [
    JwsAlgorithm::HS256,
    JwsAlgorithm::HS384,
    JwsAlgorithm::HS512,
    JwsAlgorithm::RS256,
    JwsAlgorithm::RS384,
    JwsAlgorithm::RS512,
    JwsAlgorithm::PS256,
    JwsAlgorithm::PS384,
    JwsAlgorithm::PS512,
    JwsAlgorithm::ES256,
    JwsAlgorithm::ES384,
    JwsAlgorithm::ES512,
    JwsAlgorithm::ES256K,
    JwsAlgorithm::EdDSA,
    JwsAlgorithm::Ed25519,
    JwsAlgorithm::MlDsa44,
    JwsAlgorithm::MlDsa65,
    JwsAlgorithm::MlDsa87,
];

impl JwsAlgorithm {
    /// The registry name.
    pub fn name(self) -> &'static str {
        use JwsAlgorithm::*;
        match self {
            HS256 => "HS256",
            HS384 => "HS384",
            HS512 => "HS512",
            RS256 => "RS256",
            RS384 => "RS384",
            RS512 => "RS512",
            PS256 => "PS256",
            PS384 => "PS384",
            PS512 => "PS512",
            ES256 => "ES256",
            ES384 => "ES384",
            ES512 => "ES512",
            ES256K => "ES256K",
            EdDSA => "EdDSA",
            Ed25519 => "Ed25519",
            MlDsa44 => "ML-DSA-44",
            MlDsa65 => "ML-DSA-65",
            MlDsa87 => "ML-DSA-87",
        }
    }

    /// The key this algorithm needs.
    pub fn key_requirement(self) -> KeyRequirement {
        use JwsAlgorithm::*;
        match self {
            HS256 | HS384 | HS512 => KeyRequirement::Oct {
                min_len: self.hash().len(),
            },
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => KeyRequirement::Rsa,
            ES256 => KeyRequirement::Ec(EcCurve::P256),
            ES384 => KeyRequirement::Ec(EcCurve::P384),
            ES512 => KeyRequirement::Ec(EcCurve::P521),
            ES256K => KeyRequirement::Ec(EcCurve::Secp256k1),
            EdDSA | Ed25519 => KeyRequirement::Okp(OkpCurve::Ed25519),
            MlDsa44 => KeyRequirement::Akp(MlDsa::MlDsa44),
            MlDsa65 => KeyRequirement::Akp(MlDsa::MlDsa65),
            MlDsa87 => KeyRequirement::Akp(MlDsa::MlDsa87),
        }
    }

    /// The hash the algorithm uses (for EdDSA: SHA-512, internal to Ed25519; ML-DSA hashes
    /// with SHAKE256 inside the scheme and is reported as SHA-512 where a size is wanted).
    pub fn hash(self) -> Sha2 {
        use JwsAlgorithm::*;
        match self {
            HS256 | RS256 | PS256 | ES256 | ES256K => Sha2::Sha256,
            HS384 | RS384 | PS384 | ES384 => Sha2::Sha384,
            HS512 | RS512 | PS512 | ES512 | EdDSA | Ed25519 | MlDsa44 | MlDsa65 | MlDsa87 => {
                Sha2::Sha512
            }
        }
    }

    /// The hash of a digest this algorithm can sign when the digest is computed elsewhere
    /// ([`crate::jws::sign_digest`]): RSA and ECDSA only. HMAC, EdDSA and ML-DSA (pure mode)
    /// sign the message itself.
    pub fn digest_hash(self) -> Option<Sha2> {
        match self.key_requirement() {
            KeyRequirement::Rsa | KeyRequirement::Ec(_) => Some(self.hash()),
            _ => None,
        }
    }

    /// The RSA padding, for `RS*` and `PS*`.
    pub fn rsa_padding(self) -> Option<RsaPadding> {
        use JwsAlgorithm::*;
        match self {
            RS256 | RS384 | RS512 => Some(RsaPadding::Pkcs1),
            PS256 | PS384 | PS512 => Some(RsaPadding::Pss),
            _ => None,
        }
    }

    /// True for the HMAC algorithms.
    pub fn is_symmetric(self) -> bool {
        matches!(self.key_requirement(), KeyRequirement::Oct { .. })
    }
}

impl FromStr for JwsAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.eq_ignore_ascii_case("none") {
            return Err(Error::AlgNone);
        }
        ALL_JWS_ALGORITHMS
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| Error::AlgUnsupported { alg: s.to_owned() })
    }
}

impl fmt::Display for JwsAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An elliptic curve for `kty: EC` (RFC 7518 §6.2.1.1, RFC 8812 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
    /// secp256k1 (RFC 8812).
    Secp256k1,
}

impl EcCurve {
    /// The `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
            EcCurve::P521 => "P-521",
            EcCurve::Secp256k1 => "secp256k1",
        }
    }

    /// Length in bytes of one coordinate and of the private scalar.
    pub fn coordinate_len(self) -> usize {
        match self {
            EcCurve::P256 | EcCurve::Secp256k1 => 32,
            EcCurve::P384 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The JWS algorithm bound to this curve.
    pub fn jws_algorithm(self) -> JwsAlgorithm {
        match self {
            EcCurve::P256 => JwsAlgorithm::ES256,
            EcCurve::P384 => JwsAlgorithm::ES384,
            EcCurve::P521 => JwsAlgorithm::ES512,
            EcCurve::Secp256k1 => JwsAlgorithm::ES256K,
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Self> {
        [
            EcCurve::P256,
            EcCurve::P384,
            EcCurve::P521,
            EcCurve::Secp256k1,
        ]
        .into_iter()
        .find(|c| c.name() == s)
    }
}

/// A curve for `kty: OKP` (RFC 8037).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OkpCurve {
    /// Ed25519 signatures.
    Ed25519,
    /// X25519 key agreement.
    X25519,
}

impl OkpCurve {
    /// The `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            OkpCurve::Ed25519 => "Ed25519",
            OkpCurve::X25519 => "X25519",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "Ed25519" => Some(OkpCurve::Ed25519),
            "X25519" => Some(OkpCurve::X25519),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_none_is_refused() {
        for a in ALL_JWS_ALGORITHMS {
            assert_eq!(a.name().parse::<JwsAlgorithm>().unwrap(), a);
        }
        assert_eq!("none".parse::<JwsAlgorithm>().unwrap_err(), Error::AlgNone);
        assert_eq!("NONE".parse::<JwsAlgorithm>().unwrap_err(), Error::AlgNone);
        assert!(matches!(
            "hs256".parse::<JwsAlgorithm>().unwrap_err(),
            Error::AlgUnsupported { .. }
        ));
    }
}

/// A JWE key-management algorithm (`alg` of RFC 7516 §4.1.1, RFC 7518 §4): every one of the
/// registry. (`A192KW` and its ECDH-ES and PBES2 variants wrap with the RFC 3394 mode over the
/// backend's AES-192 block cipher, since aws-lc-rs has no AES-192 key wrap.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs, non_camel_case_types)] // the variants are the registry's names
#[non_exhaustive]
pub enum KeyManagementAlgorithm {
    Dir,
    RsaOaep,
    RsaOaep256,
    RsaOaep384,
    RsaOaep512,
    /// RSAES-PKCS1-v1_5: refused unless the caller enables it (padding oracles, RFC 7516 §11.5).
    Rsa1_5,
    A128KW,
    A192KW,
    A256KW,
    A128GCMKW,
    A192GCMKW,
    A256GCMKW,
    EcdhEs,
    EcdhEsA128KW,
    EcdhEsA192KW,
    EcdhEsA256KW,
    /// Password-based: refused unless the caller enables it.
    Pbes2Hs256A128KW,
    /// Password-based: refused unless the caller enables it.
    Pbes2Hs384A192KW,
    /// Password-based: refused unless the caller enables it.
    Pbes2Hs512A256KW,
}

/// Every key-management algorithm joseguard implements.
pub const ALL_KEY_MANAGEMENT_ALGORITHMS: [KeyManagementAlgorithm; 19] = {
    use KeyManagementAlgorithm::*;
    [
        Dir,
        RsaOaep,
        RsaOaep256,
        RsaOaep384,
        RsaOaep512,
        Rsa1_5,
        A128KW,
        A192KW,
        A256KW,
        A128GCMKW,
        A192GCMKW,
        A256GCMKW,
        EcdhEs,
        EcdhEsA128KW,
        EcdhEsA192KW,
        EcdhEsA256KW,
        Pbes2Hs256A128KW,
        Pbes2Hs384A192KW,
        Pbes2Hs512A256KW,
    ]
};

impl KeyManagementAlgorithm {
    /// The registry name.
    pub fn name(self) -> &'static str {
        use KeyManagementAlgorithm::*;
        match self {
            Dir => "dir",
            RsaOaep => "RSA-OAEP",
            RsaOaep256 => "RSA-OAEP-256",
            RsaOaep384 => "RSA-OAEP-384",
            RsaOaep512 => "RSA-OAEP-512",
            Rsa1_5 => "RSA1_5",
            A128KW => "A128KW",
            A192KW => "A192KW",
            A256KW => "A256KW",
            A128GCMKW => "A128GCMKW",
            A192GCMKW => "A192GCMKW",
            A256GCMKW => "A256GCMKW",
            EcdhEs => "ECDH-ES",
            EcdhEsA128KW => "ECDH-ES+A128KW",
            EcdhEsA192KW => "ECDH-ES+A192KW",
            EcdhEsA256KW => "ECDH-ES+A256KW",
            Pbes2Hs256A128KW => "PBES2-HS256+A128KW",
            Pbes2Hs384A192KW => "PBES2-HS384+A192KW",
            Pbes2Hs512A256KW => "PBES2-HS512+A256KW",
        }
    }

    /// Length in bytes of the AES key-wrap key this algorithm ends with, if it wraps.
    pub fn wrap_key_len(self) -> Option<usize> {
        use KeyManagementAlgorithm::*;
        match self {
            A128KW | EcdhEsA128KW | Pbes2Hs256A128KW | A128GCMKW => Some(16),
            A192KW | EcdhEsA192KW | Pbes2Hs384A192KW | A192GCMKW => Some(24),
            A256KW | EcdhEsA256KW | Pbes2Hs512A256KW | A256GCMKW => Some(32),
            _ => None,
        }
    }

    /// True for the algorithms that must be enabled explicitly (RSA1_5, PBES2).
    pub fn needs_explicit_enable(self) -> bool {
        matches!(
            self,
            KeyManagementAlgorithm::Rsa1_5
                | KeyManagementAlgorithm::Pbes2Hs256A128KW
                | KeyManagementAlgorithm::Pbes2Hs384A192KW
                | KeyManagementAlgorithm::Pbes2Hs512A256KW
        )
    }
}

impl FromStr for KeyManagementAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.eq_ignore_ascii_case("none") {
            return Err(Error::AlgNone);
        }
        ALL_KEY_MANAGEMENT_ALGORITHMS
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| Error::AlgUnsupported { alg: s.to_owned() })
    }
}

impl fmt::Display for KeyManagementAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A JWE content-encryption algorithm (`enc`, RFC 7518 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs, non_camel_case_types)]
#[non_exhaustive]
pub enum ContentEncryption {
    A128CbcHs256,
    A192CbcHs384,
    A256CbcHs512,
    A128Gcm,
    A192Gcm,
    A256Gcm,
}

/// Every content-encryption algorithm.
pub const ALL_CONTENT_ENCRYPTIONS: [ContentEncryption; 6] = [
    ContentEncryption::A128CbcHs256,
    ContentEncryption::A192CbcHs384,
    ContentEncryption::A256CbcHs512,
    ContentEncryption::A128Gcm,
    ContentEncryption::A192Gcm,
    ContentEncryption::A256Gcm,
];

impl ContentEncryption {
    /// The registry name.
    pub fn name(self) -> &'static str {
        match self {
            ContentEncryption::A128CbcHs256 => "A128CBC-HS256",
            ContentEncryption::A192CbcHs384 => "A192CBC-HS384",
            ContentEncryption::A256CbcHs512 => "A256CBC-HS512",
            ContentEncryption::A128Gcm => "A128GCM",
            ContentEncryption::A192Gcm => "A192GCM",
            ContentEncryption::A256Gcm => "A256GCM",
        }
    }

    /// The content-encryption key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            ContentEncryption::A128Gcm => 16,
            ContentEncryption::A192Gcm => 24,
            ContentEncryption::A256Gcm | ContentEncryption::A128CbcHs256 => 32,
            ContentEncryption::A192CbcHs384 => 48,
            ContentEncryption::A256CbcHs512 => 64,
        }
    }

    /// The IV length in bytes.
    pub fn iv_len(self) -> usize {
        if self.is_gcm() {
            12
        } else {
            16
        }
    }

    /// The authentication tag length in bytes.
    pub fn tag_len(self) -> usize {
        match self {
            ContentEncryption::A128CbcHs256 => 16,
            ContentEncryption::A192CbcHs384 => 24,
            ContentEncryption::A256CbcHs512 => 32,
            _ => 16,
        }
    }

    /// True for AES-GCM.
    pub fn is_gcm(self) -> bool {
        matches!(
            self,
            ContentEncryption::A128Gcm | ContentEncryption::A192Gcm | ContentEncryption::A256Gcm
        )
    }
}

impl FromStr for ContentEncryption {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        ALL_CONTENT_ENCRYPTIONS
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| Error::AlgUnsupported { alg: s.to_owned() })
    }
}

impl fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
