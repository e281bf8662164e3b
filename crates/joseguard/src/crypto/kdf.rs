//! Key derivation for JWE: the Concat KDF of ECDH-ES (RFC 7518 §4.6.2, NIST SP 800-56A single-step
//! KDF with SHA-256) and PBKDF2 for PBES2 (RFC 7518 §4.8).

use std::num::NonZeroU32;

use aws_lc_rs::kdf::{get_sskdf_digest_algorithm, sskdf_digest, SskdfDigestAlgorithmId};
use aws_lc_rs::pbkdf2;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::Sha2;

fn length_prefixed(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

/// Concat KDF: `len` bytes from shared secret `z` with AlgorithmID `alg`, PartyUInfo `apu` and
/// PartyVInfo `apv`.
pub(crate) fn concat_kdf(
    z: &[u8],
    alg: &str,
    apu: &[u8],
    apv: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut info = Vec::with_capacity(16 + alg.len() + apu.len() + apv.len());
    length_prefixed(&mut info, alg.as_bytes());
    length_prefixed(&mut info, apu);
    length_prefixed(&mut info, apv);
    info.extend_from_slice(&((len * 8) as u32).to_be_bytes());
    let alg = get_sskdf_digest_algorithm(SskdfDigestAlgorithmId::Sha256)
        .ok_or(Error::Crypto("Concat KDF unavailable"))?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    sskdf_digest(alg, z, &info, &mut out).map_err(|_| Error::Crypto("Concat KDF failed"))?;
    Ok(out)
}

/// PBKDF2-HMAC-SHA-2.
pub(crate) fn pbkdf2(
    hash: Sha2,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let alg = match hash {
        Sha2::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
        Sha2::Sha384 => pbkdf2::PBKDF2_HMAC_SHA384,
        Sha2::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
    };
    let iterations =
        NonZeroU32::new(iterations).ok_or_else(|| Error::header("p2c", "must be positive"))?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    pbkdf2::derive(alg, iterations, salt, password, &mut out);
    Ok(out)
}
