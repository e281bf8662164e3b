//! Ed25519 signatures and X25519 keys (RFC 8037).

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin};
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair, ParsedPublicKey};
use std::sync::OnceLock;
use zeroize::Zeroizing;

use super::ecdh::{AgreementKey, EcdhCurve};

use crate::error::{Error, Result};

const KEY_LEN: usize = 32;

fn check_len(member: &str, bytes: &[u8]) -> Result<()> {
    if bytes.len() != KEY_LEN {
        return Err(Error::key(member, format!("must be {KEY_LEN} bytes")));
    }
    Ok(())
}

/// An Ed25519 public key.
#[derive(Clone)]
pub(crate) struct Ed25519PublicKey {
    x: Vec<u8>,
    parsed: ParsedPublicKey,
}

/// The y coordinates of the Ed25519 points of small order (the identity, the point of order 2,
/// the two of order 4, the four of order 8) and the non-canonical encodings y = p and y = p + 1,
/// compared with the sign bit cleared: libsodium's blocklist. With such a public key, one fixed signature verifies many messages
/// (the identity: any message), so they are refused at import, as small-order X25519 points are.
const ED25519_SMALL_ORDER: [[u8; 32]; 7] = [
    // 0 (order 4)
    [0; 32],
    // 1 (order 1: the identity)
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // order 8
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // order 8
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // p - 1 (order 2)
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p (non-canonical 0)
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p + 1 (non-canonical 1)
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether an Ed25519 public key encoding is a point of small order (sign bit ignored).
fn ed25519_small_order(x: &[u8]) -> bool {
    let mut y = [0u8; 32];
    y.copy_from_slice(x);
    y[31] &= 0x7f;
    ED25519_SMALL_ORDER.contains(&y)
}

impl Ed25519PublicKey {
    pub(crate) fn new(x: &[u8]) -> Result<Self> {
        check_len("x", x)?;
        if ed25519_small_order(x) {
            return Err(Error::key(
                "x",
                "a point of small order: a fixed signature would verify many messages",
            ));
        }
        let parsed = ParsedPublicKey::new(&signature::ED25519, x)
            .map_err(|_| Error::key("x", "not an Ed25519 public key"))?;
        Ok(Ed25519PublicKey {
            x: x.to_vec(),
            parsed,
        })
    }

    pub(crate) fn x(&self) -> &[u8] {
        &self.x
    }

    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        sig.len() == 64 && self.parsed.verify_sig(msg, sig).is_ok()
    }
}

/// An Ed25519 private key (its 32-byte seed) with its public half.
pub(crate) struct Ed25519PrivateKey {
    seed: Zeroizing<Vec<u8>>,
    key_pair: Ed25519KeyPair,
    public: Ed25519PublicKey,
}

impl Ed25519PrivateKey {
    /// From the seed `d`; refuses a seed that does not belong to `public`.
    pub(crate) fn from_seed(public: Ed25519PublicKey, d: &[u8]) -> Result<Self> {
        check_len("d", d)?;
        let key_pair = Ed25519KeyPair::from_seed_and_public_key(d, public.x())
            .map_err(|_| Error::key("d", "does not match the public key x"))?;
        Ok(Ed25519PrivateKey {
            seed: Zeroizing::new(d.to_vec()),
            key_pair,
            public,
        })
    }

    /// From the seed alone (as PKCS#8 carries it); the public key is derived.
    pub(crate) fn from_seed_only(d: &[u8]) -> Result<Self> {
        check_len("d", d)?;
        let key_pair = Ed25519KeyPair::from_seed_unchecked(d)
            .map_err(|_| Error::key("d", "not an Ed25519 seed"))?;
        Self::from_key_pair(key_pair)
    }

    pub(crate) fn generate() -> Result<Self> {
        let key_pair =
            Ed25519KeyPair::generate().map_err(|_| Error::Crypto("Ed25519 generation failed"))?;
        Self::from_key_pair(key_pair)
    }

    fn from_key_pair(key_pair: Ed25519KeyPair) -> Result<Self> {
        let seed: Curve25519SeedBin = key_pair
            .seed()
            .and_then(|s| s.as_be_bytes())
            .map_err(|_| Error::Crypto("Ed25519 export failed"))?;
        let public = Ed25519PublicKey::new(key_pair.public_key().as_ref())?;
        Ok(Ed25519PrivateKey {
            seed: Zeroizing::new(seed.as_ref().to_vec()),
            key_pair,
            public,
        })
    }

    pub(crate) fn public(&self) -> &Ed25519PublicKey {
        &self.public
    }

    pub(crate) fn d(&self) -> &[u8] {
        &self.seed
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.key_pair.sign(msg).as_ref().to_vec()
    }
}

/// An X25519 public key (used by ECDH-ES in JWE).
#[derive(Clone)]
pub(crate) struct X25519PublicKey {
    x: Vec<u8>,
}

impl X25519PublicKey {
    pub(crate) fn new(x: &[u8]) -> Result<Self> {
        check_len("x", x)?;
        Ok(X25519PublicKey { x: x.to_vec() })
    }

    pub(crate) fn x(&self) -> &[u8] {
        &self.x
    }
}

/// An X25519 private key with its public half.
pub(crate) struct X25519PrivateKey {
    d: Zeroizing<Vec<u8>>,
    public: X25519PublicKey,
    /// The key for ECDH-ES, built on first use.
    agreement: OnceLock<Option<AgreementKey>>,
}

impl X25519PrivateKey {
    /// From the scalar `d`; refuses a `d` whose public key is not `public`.
    pub(crate) fn from_scalar(public: X25519PublicKey, d: &[u8]) -> Result<Self> {
        check_len("d", d)?;
        let private = agreement::PrivateKey::from_private_key(&agreement::X25519, d)
            .map_err(|_| Error::key("d", "not an X25519 private key"))?;
        let computed = private
            .compute_public_key()
            .map_err(|_| Error::key("d", "not an X25519 private key"))?;
        if computed.as_ref() != public.x() {
            return Err(Error::key("d", "does not match the public key x"));
        }
        Ok(X25519PrivateKey {
            d: Zeroizing::new(d.to_vec()),
            public,
            agreement: OnceLock::new(),
        })
    }

    /// From the scalar alone (as PKCS#8 carries it); the public key is derived.
    pub(crate) fn from_scalar_only(d: &[u8]) -> Result<Self> {
        check_len("d", d)?;
        let private = agreement::PrivateKey::from_private_key(&agreement::X25519, d)
            .map_err(|_| Error::key("d", "not an X25519 private key"))?;
        Self::from_agreement_key(private)
    }

    pub(crate) fn generate() -> Result<Self> {
        let private = agreement::PrivateKey::generate(&agreement::X25519)
            .map_err(|_| Error::Crypto("X25519 generation failed"))?;
        Self::from_agreement_key(private)
    }

    fn from_agreement_key(private: agreement::PrivateKey) -> Result<Self> {
        let d: Curve25519SeedBin = private
            .as_be_bytes()
            .map_err(|_| Error::Crypto("X25519 export failed"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Crypto("X25519 export failed"))?;
        Ok(X25519PrivateKey {
            d: Zeroizing::new(d.as_ref().to_vec()),
            public: X25519PublicKey::new(public.as_ref())?,
            agreement: OnceLock::new(),
        })
    }

    pub(crate) fn public(&self) -> &X25519PublicKey {
        &self.public
    }

    pub(crate) fn d(&self) -> &[u8] {
        &self.d
    }

    /// This key for ECDH-ES.
    pub(crate) fn agreement(&self) -> Result<&AgreementKey> {
        self.agreement
            .get_or_init(|| AgreementKey::from_scalar(EcdhCurve::X25519, &self.d).ok())
            .as_ref()
            .ok_or_else(|| Error::key("d", "not an X25519 private key"))
    }
}
