//! Ed25519 signatures and X25519 keys (RFC 8037).

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin};
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair, ParsedPublicKey};
use zeroize::Zeroizing;

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

impl Ed25519PublicKey {
    pub(crate) fn new(x: &[u8]) -> Result<Self> {
        check_len("x", x)?;
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
        })
    }

    pub(crate) fn public(&self) -> &X25519PublicKey {
        &self.public
    }

    pub(crate) fn d(&self) -> &[u8] {
        &self.d
    }
}
