//! ECDSA over P-256, P-384, P-521 and secp256k1 with fixed-size R‖S signatures (RFC 7518 §3.4).

use aws_lc_rs::encoding::{AsBigEndian, EcPrivateKeyBin};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, ParsedPublicKey};
use std::sync::OnceLock;
use zeroize::Zeroizing;

use super::ecdh::{AgreementKey, EcdhCurve};

use crate::error::{Error, Result};
use crate::jwa::EcCurve;

fn verify_alg(curve: EcCurve) -> &'static signature::EcdsaVerificationAlgorithm {
    match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        EcCurve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_FIXED,
    }
}

fn signing_alg(curve: EcCurve) -> &'static signature::EcdsaSigningAlgorithm {
    match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        EcCurve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
    }
}

/// An EC public key, validated to be a point on its curve when built.
#[derive(Clone)]
pub(crate) struct EcPublicKey {
    curve: EcCurve,
    /// Uncompressed SEC1 point: 0x04 ‖ x ‖ y.
    point: Vec<u8>,
    parsed: ParsedPublicKey,
}

impl EcPublicKey {
    /// From the fixed-length big-endian coordinates of a JWK.
    pub(crate) fn from_coordinates(curve: EcCurve, x: &[u8], y: &[u8]) -> Result<Self> {
        let len = curve.coordinate_len();
        if x.len() != len {
            return Err(Error::key(
                "x",
                format!("must be {len} bytes for {}", curve.name()),
            ));
        }
        if y.len() != len {
            return Err(Error::key(
                "y",
                format!("must be {len} bytes for {}", curve.name()),
            ));
        }
        let mut point = Vec::with_capacity(1 + 2 * len);
        point.push(4);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Self::from_sec1(curve, &point)
    }

    /// From a SEC1 point (uncompressed, or compressed as OpenSSH and some certificates carry).
    pub(crate) fn from_sec1(curve: EcCurve, point: &[u8]) -> Result<Self> {
        let parsed = ParsedPublicKey::new(verify_alg(curve), point)
            .map_err(|_| Error::key("x/y", format!("not a point on {}", curve.name())))?;
        // Normalise a compressed point to the uncompressed form from the backend's own encoding
        // of the key; an uncompressed one the backend accepted is that form already.
        let point = if point.len() == 1 + 2 * curve.coordinate_len() && point[0] == 4 {
            point.to_vec()
        } else {
            uncompressed_point(curve, &parsed)?
        };
        Ok(EcPublicKey {
            curve,
            point,
            parsed,
        })
    }

    pub(crate) fn curve(&self) -> EcCurve {
        self.curve
    }

    pub(crate) fn x(&self) -> &[u8] {
        &self.point[1..1 + self.curve.coordinate_len()]
    }

    pub(crate) fn y(&self) -> &[u8] {
        &self.point[1 + self.curve.coordinate_len()..]
    }

    pub(crate) fn sec1_uncompressed(&self) -> &[u8] {
        &self.point
    }

    /// Verifies a fixed-size R‖S signature. The length is checked first; the backend refuses
    /// r or s of zero or not below the group order (CVE-2022-21449).
    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        sig.len() == 2 * self.curve.coordinate_len() && self.parsed.verify_sig(msg, sig).is_ok()
    }
}

/// The uncompressed point of a parsed key, taken from its SubjectPublicKeyInfo encoding (the BIT
/// STRING at the end holds the point, and a SPKI always ends with it).
fn uncompressed_point(curve: EcCurve, parsed: &ParsedPublicKey) -> Result<Vec<u8>> {
    use aws_lc_rs::encoding::AsDer;
    let der = parsed
        .as_der()
        .map_err(|_| Error::Crypto("EC public key encoding failed"))?;
    let der = der.as_ref();
    let len = 1 + 2 * curve.coordinate_len();
    if der.len() < len || der[der.len() - len] != 4 {
        return Err(Error::Crypto("EC public key encoding failed"));
    }
    Ok(der[der.len() - len..].to_vec())
}

/// An EC private key with its public half.
pub(crate) struct EcPrivateKey {
    d: Zeroizing<Vec<u8>>,
    key_pair: EcdsaKeyPair,
    public: EcPublicKey,
    /// The same key for ECDH-ES, built on first use (building it costs a scalar multiplication).
    agreement: OnceLock<Option<AgreementKey>>,
}

impl EcPrivateKey {
    /// From the JWK `d` and the already validated public key; refuses a `d` that does not belong to
    /// the public point.
    pub(crate) fn from_scalar(public: EcPublicKey, d: &[u8]) -> Result<Self> {
        let curve = public.curve;
        if d.len() != curve.coordinate_len() {
            return Err(Error::key(
                "d",
                format!(
                    "must be {} bytes for {}",
                    curve.coordinate_len(),
                    curve.name()
                ),
            ));
        }
        let key_pair =
            EcdsaKeyPair::from_private_key_and_public_key(signing_alg(curve), d, &public.point)
                .map_err(|_| Error::key("d", "does not match the public key x/y"))?;
        Ok(EcPrivateKey {
            d: Zeroizing::new(d.to_vec()),
            key_pair,
            public,
            agreement: OnceLock::new(),
        })
    }

    pub(crate) fn generate(curve: EcCurve) -> Result<Self> {
        let key_pair = EcdsaKeyPair::generate(signing_alg(curve))
            .map_err(|_| Error::Crypto("EC key generation failed"))?;
        Self::from_key_pair(curve, key_pair)
    }

    /// From a PKCS#8 or SEC1 (RFC 5915) document whose curve the caller has read.
    pub(crate) fn from_der(curve: EcCurve, der: &[u8]) -> Result<Self> {
        let key_pair = EcdsaKeyPair::from_private_key_der(signing_alg(curve), der)
            .map_err(|_| Error::key("private key", format!("not a valid {} key", curve.name())))?;
        Self::from_key_pair(curve, key_pair)
    }

    fn from_key_pair(curve: EcCurve, key_pair: EcdsaKeyPair) -> Result<Self> {
        let d: EcPrivateKeyBin = key_pair
            .private_key()
            .as_be_bytes()
            .map_err(|_| Error::Crypto("EC key export failed"))?;
        let public = EcPublicKey::from_sec1(curve, key_pair.public_key().as_ref())?;
        Ok(EcPrivateKey {
            d: Zeroizing::new(d.as_ref().to_vec()),
            key_pair,
            public,
            agreement: OnceLock::new(),
        })
    }

    pub(crate) fn public(&self) -> &EcPublicKey {
        &self.public
    }

    pub(crate) fn d(&self) -> &[u8] {
        &self.d
    }

    /// This key for ECDH (P-256, P-384, P-521).
    pub(crate) fn agreement(&self) -> Result<&AgreementKey> {
        let curve = self.public.curve;
        self.agreement
            .get_or_init(|| {
                let ecdh = EcdhCurve::from_ec(curve)?;
                AgreementKey::from_scalar(ecdh, &self.d).ok()
            })
            .as_ref()
            .ok_or_else(|| Error::KeyMismatch(format!("{} keys do no ECDH", curve.name())))
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        self.key_pair
            .sign(&SystemRandom::new(), msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Crypto("ECDSA signing failed"))
    }

    /// Signs a digest computed elsewhere (fixed-size R‖S).
    pub(crate) fn sign_digest(&self, digest: &aws_lc_rs::digest::Digest) -> Result<Vec<u8>> {
        self.key_pair
            .sign_digest(digest)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Crypto("ECDSA digest signing failed (hash/curve mismatch?)"))
    }
}
