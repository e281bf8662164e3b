//! Content encryption (`enc`, RFC 7518 §5): lengths checked per algorithm, then the crypto module.

use zeroize::Zeroizing;

use crate::crypto::aes;
use crate::error::{Error, Result};
use crate::jwa::ContentEncryption;

pub(crate) fn encrypt(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() {
        return Err(Error::Config(format!(
            "{enc} needs a {}-byte key and a {}-byte IV",
            enc.key_len(),
            enc.iv_len()
        )));
    }
    if enc.is_gcm() {
        aes::gcm_seal(cek, iv, aad, plaintext)
    } else {
        aes::cbc_hmac_seal(cek, iv, aad, plaintext)
    }
}

/// Decrypts; the IV and tag lengths are checked first (they are public and say nothing about the
/// key), then a CEK of the wrong length and every cryptographic failure give
/// [`Error::DecryptionFailed`].
pub(crate) fn decrypt(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if iv.len() != enc.iv_len() {
        return Err(Error::Malformed(format!(
            "iv must be {} bytes for {enc}",
            enc.iv_len()
        )));
    }
    if tag.len() != enc.tag_len() {
        return Err(Error::Malformed(format!(
            "tag must be {} bytes for {enc}",
            enc.tag_len()
        )));
    }
    if cek.len() != enc.key_len() {
        return Err(Error::DecryptionFailed);
    }
    if enc.is_gcm() {
        aes::gcm_open(cek, iv, aad, ciphertext, tag)
    } else {
        aes::cbc_hmac_open(cek, iv, aad, ciphertext, tag)
    }
}
