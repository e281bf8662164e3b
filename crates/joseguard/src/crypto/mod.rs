//! The only module that calls the crypto backend (aws-lc-rs). Everything else in the crate goes
//! through these types, so another backend could be added behind the same surface.
//!
//! Each key type is built once (parsing and validating the key) and then reused: verification keys
//! hold the backend's parsed form, so no operation re-parses key material.

pub(crate) mod aes;
mod ec;
pub(crate) mod ecdh;
mod hmac;
pub(crate) mod kdf;
mod mldsa;
mod okp;
mod roca;
mod rsa;

pub(crate) use ec::{EcPrivateKey, EcPublicKey};
pub(crate) use hmac::HmacKey;
pub(crate) use mldsa::{MlDsaPrivateKey, MlDsaPublicKey};
pub(crate) use okp::{Ed25519PrivateKey, Ed25519PublicKey, X25519PrivateKey, X25519PublicKey};
pub(crate) use rsa::{RsaComponents, RsaEncryption, RsaPrivateKey, RsaPublicKey};

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};
use crate::jwa::Sha2;

/// `len` bytes from the system's CSPRNG.
pub(crate) fn random(len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| Error::Crypto("random generator failed"))?;
    Ok(out)
}

/// The SHA-2 digest of `data`.
pub(crate) fn sha2(hash: Sha2, data: &[u8]) -> Vec<u8> {
    digest::digest(digest_alg(hash), data).as_ref().to_vec()
}

/// A digest computed elsewhere, for signing it (the caller vouches for it).
pub(crate) fn import_digest(hash: Sha2, value: &[u8]) -> Result<digest::Digest> {
    digest::Digest::import_less_safe(value, digest_alg(hash))
        .map_err(|_| Error::Config(format!("a {hash:?} digest is {} bytes", hash.len())))
}

fn digest_alg(hash: Sha2) -> &'static digest::Algorithm {
    match hash {
        Sha2::Sha256 => &digest::SHA256,
        Sha2::Sha384 => &digest::SHA384,
        Sha2::Sha512 => &digest::SHA512,
    }
}
