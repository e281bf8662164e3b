//! AES for JWE: GCM (RFC 7518 §5.3, §4.7), CBC with HMAC-SHA-2 (RFC 7518 §5.2), and key wrap
//! (RFC 3394, RFC 7518 §4.4).

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    self, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use aws_lc_rs::constant_time;
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::key_wrap::{AesKek, KeyWrap, AES_128, AES_256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The one error every content or key decryption failure maps to, so that tag, padding and
/// unwrap failures cannot be told apart (RFC 7516 §11.4, §11.5).
pub(crate) fn decryption_failed() -> Error {
    Error::DecryptionFailed
}

fn gcm_alg(key_len: usize) -> Result<&'static aead::Algorithm> {
    match key_len {
        16 => Ok(&aead::AES_128_GCM),
        24 => Ok(&aead::AES_192_GCM),
        32 => Ok(&aead::AES_256_GCM),
        _ => Err(Error::Crypto("AES-GCM key must be 16, 24 or 32 bytes")),
    }
}

/// AES-GCM encryption; returns (ciphertext, 16-byte tag).
pub(crate) fn gcm_seal(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let key = LessSafeKey::new(
        UnboundKey::new(gcm_alg(key.len())?, key).map_err(|_| Error::Crypto("AES-GCM key"))?,
    );
    let nonce = Nonce::try_assume_unique_for_key(iv)
        .map_err(|_| Error::Crypto("AES-GCM IV must be 12 bytes"))?;
    let mut buf = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| Error::Crypto("AES-GCM encryption failed"))?;
    Ok((buf, tag.as_ref().to_vec()))
}

/// AES-GCM decryption. Any failure is [`Error::DecryptionFailed`].
pub(crate) fn gcm_open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if tag.len() != 16 || iv.len() != 12 {
        return Err(decryption_failed());
    }
    let key = LessSafeKey::new(
        UnboundKey::new(gcm_alg(key.len())?, key).map_err(|_| decryption_failed())?,
    );
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| decryption_failed())?;
    let mut buf = Zeroizing::new(Vec::with_capacity(ciphertext.len() + tag.len()));
    buf.extend_from_slice(ciphertext);
    buf.extend_from_slice(tag);
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| decryption_failed())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

fn cbc_parts(key: &[u8]) -> Result<(&[u8], &[u8], hmac::Algorithm, &'static cipher::Algorithm)> {
    let (mac, aes) = match key.len() {
        32 => (hmac::HMAC_SHA256, &cipher::AES_128),
        48 => (hmac::HMAC_SHA384, &cipher::AES_192),
        64 => (hmac::HMAC_SHA512, &cipher::AES_256),
        _ => return Err(Error::Crypto("AES-CBC-HMAC key must be 32, 48 or 64 bytes")),
    };
    let (mac_key, enc_key) = key.split_at(key.len() / 2);
    Ok((mac_key, enc_key, mac, aes))
}

/// The CBC-HMAC tag: the first half of HMAC(MAC_KEY, A ‖ IV ‖ E ‖ AL), AL being the AAD length in
/// bits as a 64-bit big-endian integer computed in 64 bits (CVE-2016-9123, CVE-2017-12972 were
/// 32-bit overflows of it).
fn cbc_tag(mac: hmac::Algorithm, mac_key: &[u8], aad: &[u8], iv: &[u8], ct: &[u8]) -> Vec<u8> {
    let al = (aad.len() as u64).wrapping_mul(8).to_be_bytes();
    let key = hmac::Key::new(mac, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ct);
    ctx.update(&al);
    let full = ctx.sign();
    full.as_ref()[..mac_key.len()].to_vec()
}

/// AES-CBC-HMAC-SHA2 encryption; returns (ciphertext, tag).
pub(crate) fn cbc_hmac_seal(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let (mac_key, enc_key, mac, aes) = cbc_parts(key)?;
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| Error::Crypto("AES-CBC IV must be 16 bytes"))?;
    let key = PaddedBlockEncryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(aes, enc_key).map_err(|_| Error::Crypto("AES-CBC key"))?,
    )
    .map_err(|_| Error::Crypto("AES-CBC key"))?;
    let mut buf = plaintext.to_vec();
    key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| Error::Crypto("AES-CBC encryption failed"))?;
    let tag = cbc_tag(mac, mac_key, aad, &iv, &buf);
    Ok((buf, tag))
}

/// AES-CBC-HMAC-SHA2 decryption: the tag is checked in constant time before anything is
/// decrypted, and padding errors give the same [`Error::DecryptionFailed`] as tag errors.
pub(crate) fn cbc_hmac_open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let (mac_key, enc_key, mac, aes) = cbc_parts(key)?;
    let expected = cbc_tag(mac, mac_key, aad, iv, ciphertext);
    if constant_time::verify_slices_are_equal(&expected, tag).is_err() {
        return Err(decryption_failed());
    }
    let iv: [u8; 16] = iv.try_into().map_err(|_| decryption_failed())?;
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return Err(decryption_failed());
    }
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(aes, enc_key).map_err(|_| decryption_failed())?,
    )
    .map_err(|_| decryption_failed())?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| decryption_failed())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

fn kek(key: &[u8]) -> Result<AesKek> {
    let cipher = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => return Err(Error::Crypto("AES key wrap needs a 16- or 32-byte key")),
    };
    AesKek::new(cipher, key).map_err(|_| Error::Crypto("AES key wrap key"))
}

/// RFC 3394 key wrap.
pub(crate) fn key_wrap(kek_bytes: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    let mut out = vec![0u8; cek.len() + 8];
    let len = kek(kek_bytes)?
        .wrap(cek, &mut out)
        .map_err(|_| Error::Crypto("AES key wrap failed"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// RFC 3394 key unwrap; a wrapped key shorter than 24 bytes or not a multiple of 8 is refused
/// before the backend sees it.
pub(crate) fn key_unwrap(kek_bytes: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if wrapped.len() < 24 || wrapped.len() % 8 != 0 {
        return Err(decryption_failed());
    }
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = kek(kek_bytes)?
        .unwrap(wrapped, &mut out)
        .map_err(|_| decryption_failed())?
        .len();
    out.truncate(len);
    Ok(out)
}
