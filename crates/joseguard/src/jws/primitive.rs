//! One JWS algorithm applied to one key: the bridge from `alg` to the crypto module.

use super::super::jwk::{Jwk, Material};
use crate::error::{Error, Result};
use crate::jwa::JwsAlgorithm;

/// Signs `input` with `key` under `alg`. The caller has checked that the key fits the algorithm.
pub(crate) fn sign(key: &Jwk, alg: JwsAlgorithm, input: &[u8]) -> Result<Vec<u8>> {
    match (&*key.material, alg.rsa_padding()) {
        (Material::Oct(k), None) if alg.is_symmetric() => Ok(k.sign(alg.hash(), input)),
        (Material::RsaPrivate(k), Some(padding)) => k.sign(padding, alg.hash(), input),
        (Material::EcPrivate(k), None) => k.sign(input),
        (Material::Ed25519Private(k), None) => Ok(k.sign(input)),
        (Material::MlDsaPrivate(k), None) => k.sign(input),
        (Material::Remote(r, _), _) => r.sign(alg, input),
        _ => Err(Error::KeyMismatch(format!(
            "{alg} cannot sign with this key"
        ))),
    }
}

/// Signs a precomputed digest of `alg`'s hash.
pub(crate) fn sign_digest(key: &Jwk, alg: JwsAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
    if alg.digest_hash().is_none() {
        return Err(Error::KeyMismatch(format!(
            "{alg} cannot sign a digest (only ECDSA and RSA can)"
        )));
    }
    let d = crate::crypto::import_digest(alg.hash(), digest)?;
    match (&*key.material, alg.rsa_padding()) {
        (Material::Remote(r, _), _) => r.sign_digest(alg, digest),
        (Material::RsaPrivate(k), Some(padding)) => k.sign_digest(padding, alg.hash(), &d),
        (Material::EcPrivate(k), None) => k.sign_digest(&d),
        _ => Err(Error::KeyMismatch(format!(
            "{alg} cannot sign a digest (only ECDSA and RSA can)"
        ))),
    }
}

/// Verifies `sig` over `input`. False for any mismatch between key and algorithm.
pub(crate) fn verify(key: &Jwk, alg: JwsAlgorithm, input: &[u8], sig: &[u8]) -> bool {
    if key
        .check_jws(alg, crate::jwk::KeyOperation::Verify)
        .is_err()
    {
        return false;
    }
    if let Material::Oct(k) = &*key.material {
        return alg.is_symmetric() && k.verify(alg.hash(), input, sig);
    }
    if let (Some(padding), Some(k)) = (alg.rsa_padding(), key.rsa_public()) {
        return k.verify(padding, alg.hash(), input, sig);
    }
    if let Some(k) = key.ec_public() {
        return k.curve().jws_algorithm() == alg && k.verify(input, sig);
    }
    if let Some(k) = key.ed25519_public() {
        return k.verify(input, sig);
    }
    if let Some(k) = key.ml_dsa_public() {
        return k.set().jws_algorithm() == alg && k.verify(input, sig);
    }
    false
}
