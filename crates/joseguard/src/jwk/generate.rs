//! Key generation for every key type.

use std::fmt;
use std::str::FromStr;

use super::{Jwk, Material};
use crate::crypto::{
    self, EcPrivateKey, Ed25519PrivateKey, HmacKey, MlDsaPrivateKey, RsaPrivateKey,
    X25519PrivateKey,
};
use crate::error::{Error, Result};
use crate::jwa::{EcCurve, JwsAlgorithm, KeyRequirement, MlDsa, OkpCurve};

/// What key to generate. Parses from `oct:BITS`, `RSA:BITS`, `EC:P-256|P-384|P-521|secp256k1`,
/// `OKP:Ed25519|X25519` and `AKP:ML-DSA-44|ML-DSA-65|ML-DSA-87`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySpec {
    /// A symmetric key of this many bits (a multiple of 8, at least 128).
    Oct(usize),
    /// An RSA key of 2048, 3072, 4096 or 8192 bits.
    Rsa(usize),
    /// An EC key.
    Ec(EcCurve),
    /// An OKP key.
    Okp(OkpCurve),
    /// An `AKP` key: ML-DSA of this parameter set, from a fresh 32-byte seed.
    Akp(MlDsa),
}

impl KeySpec {
    /// The key `alg` signs with, at its usual size: an HMAC key as long as the hash, RSA 2048,
    /// the algorithm's curve or ML-DSA parameter set.
    pub fn for_jws(alg: JwsAlgorithm) -> KeySpec {
        match alg.key_requirement() {
            KeyRequirement::Oct { min_len } => KeySpec::Oct(min_len * 8),
            KeyRequirement::Rsa => KeySpec::Rsa(2048),
            KeyRequirement::Ec(c) => KeySpec::Ec(c),
            KeyRequirement::Okp(c) => KeySpec::Okp(c),
            KeyRequirement::Akp(m) => KeySpec::Akp(m),
        }
    }
}

impl FromStr for KeySpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::Config(format!(
                "key spec {s:?}: expected oct:BITS, RSA:BITS, EC:CURVE, OKP:CURVE or AKP:ML-DSA-65"
            ))
        };
        // An ML-DSA parameter set names its key alone (worker `generate = "ML-DSA-65"`).
        if let Ok(set) = s.parse::<MlDsa>() {
            return Ok(KeySpec::Akp(set));
        }
        let (kty, arg) = s.split_once(':').ok_or_else(bad)?;
        let bits = || arg.parse::<usize>().map_err(|_| bad());
        match kty {
            "oct" => Ok(KeySpec::Oct(bits()?)),
            "RSA" => Ok(KeySpec::Rsa(bits()?)),
            "EC" => EcCurve::from_name(arg).map(KeySpec::Ec).ok_or_else(bad),
            "OKP" => OkpCurve::from_name(arg).map(KeySpec::Okp).ok_or_else(bad),
            "AKP" => arg.parse().map(KeySpec::Akp).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySpec::Oct(b) => write!(f, "oct:{b}"),
            KeySpec::Rsa(b) => write!(f, "RSA:{b}"),
            KeySpec::Ec(c) => write!(f, "EC:{}", c.name()),
            KeySpec::Okp(c) => write!(f, "OKP:{}", c.name()),
            KeySpec::Akp(m) => write!(f, "AKP:{}", m.name()),
        }
    }
}

impl Jwk {
    /// Generates a new private key (no `kid`, `alg` or `use`: set them as needed).
    pub fn generate(spec: KeySpec) -> Result<Jwk> {
        let material = match spec {
            KeySpec::Oct(bits) => {
                if bits < 128 || bits % 8 != 0 {
                    return Err(Error::Config(format!(
                        "oct key size {bits}: use a multiple of 8 of at least 128"
                    )));
                }
                Material::Oct(HmacKey::new(crypto::random(bits / 8)?))
            }
            KeySpec::Rsa(bits) => {
                let pkcs8 = RsaPrivateKey::generate_pkcs8(bits)?;
                return Jwk::from_der(&pkcs8);
            }
            KeySpec::Ec(curve) => Material::EcPrivate(EcPrivateKey::generate(curve)?),
            KeySpec::Okp(OkpCurve::Ed25519) => {
                Material::Ed25519Private(Ed25519PrivateKey::generate()?)
            }
            KeySpec::Okp(OkpCurve::X25519) => {
                Material::X25519Private(X25519PrivateKey::generate()?)
            }
            KeySpec::Akp(set) => Material::MlDsaPrivate(MlDsaPrivateKey::generate(set)?),
        };
        Ok(Jwk::from_material(material))
    }
}
